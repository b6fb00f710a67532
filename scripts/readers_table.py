"""Print docs/migrations.md's table of the migration readers from `detect.READERS`, or `--write`
it into the page between the `readers-table` markers. tests/test_framework_readers.py fails
when the page and the table differ."""

from __future__ import annotations

import sys
from pathlib import Path

from guardrail.analysis.migrations.detect import markdown_table

PAGE = Path(__file__).resolve().parent.parent / "docs" / "migrations.md"
START, END = "<!-- readers-table:start -->\n", "<!-- readers-table:end -->\n"


def replaced(page: str) -> str:
    head, _, rest = page.partition(START)
    _, _, tail = rest.partition(END)
    return head + START + markdown_table() + END + tail


def main(argv: list[str]) -> int:
    if "--write" in argv:
        PAGE.write_text(replaced(PAGE.read_text(encoding="utf-8")), encoding="utf-8")
    else:
        sys.stdout.write(markdown_table())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
