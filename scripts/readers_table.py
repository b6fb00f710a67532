"""Print docs/migrations.md's table of the migration readers from `detect.READERS`, or `--write`
it into the page between the `readers-table` markers. tests/test_framework_readers.py fails
when the page and the table differ."""

from __future__ import annotations

import sys
from pathlib import Path

from marked_table import run

from guardrail.analysis.migrations.detect import markdown_table

PAGE = Path(__file__).resolve().parent.parent / "docs" / "migrations.md"

if __name__ == "__main__":
    raise SystemExit(run(sys.argv[1:], PAGE, "readers-table", markdown_table))
