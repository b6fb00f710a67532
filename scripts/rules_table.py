"""Print the README's rule table from the registry, or `--write` it into README.md between the
`rules-table` markers. tests/test_registry.py fails when the README and the registry differ."""

from __future__ import annotations

import sys
from pathlib import Path

from marked_table import run

from guardrail.rules import markdown_table

README = Path(__file__).resolve().parent.parent / "README.md"

if __name__ == "__main__":
    raise SystemExit(run(sys.argv[1:], README, "rules-table", markdown_table))
