"""The trace's rules (GR260-GR269), rows of `guardrail/rules.py`'s `RULES` like every other rule;
the trace itself (server, runner, judge) is imported only when a trace is asked for."""

from __future__ import annotations

from guardrail.model import CheckName
from guardrail.rules import by_code

SAFETY = CheckName.MIGRATION_SAFETY

GR260 = by_code("GR260")
GR261 = by_code("GR261")
GR262 = by_code("GR262")
