"""The generated-table scripts' one mechanism: print a table, or `--write` it into a page
between `<!-- NAME:start -->` and `<!-- NAME:end -->` (the tests read the same markers)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path


def run(argv: list[str], page: Path, name: str, table: Callable[[], str]) -> int:
    if "--write" in argv:
        start, end = f"<!-- {name}:start -->\n", f"<!-- {name}:end -->\n"
        head, _, rest = page.read_text(encoding="utf-8").partition(start)
        _, _, tail = rest.partition(end)
        page.write_text(head + start + table() + end + tail, encoding="utf-8")
    else:
        sys.stdout.write(table())
    return 0
