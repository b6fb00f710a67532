"""Print the README's rule table from the registry, or `--write` it into README.md between the
`rules-table` markers. tests/test_registry.py fails when the README and the registry differ."""

from __future__ import annotations

import sys
from pathlib import Path

from guardrail.rules import markdown_table

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- rules-table:start -->\n", "<!-- rules-table:end -->\n"


def replaced(readme: str) -> str:
    head, _, rest = readme.partition(START)
    _, _, tail = rest.partition(END)
    return head + START + markdown_table() + END + tail


def main(argv: list[str]) -> int:
    if "--write" in argv:
        README.write_text(replaced(README.read_text(encoding="utf-8")), encoding="utf-8")
    else:
        sys.stdout.write(markdown_table())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
