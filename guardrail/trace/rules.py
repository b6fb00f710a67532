"""The trace's rules (GR260-GR269), registered with every other rule so configuration and docs
know them; the trace itself (server, runner, judge) is imported only when a trace is asked for."""

from __future__ import annotations

from guardrail.model import Severity
from guardrail.rules import Rule, register

SAFETY = "migration-safety"

GR260 = register(
    Rule(
        "GR260",
        "migration-fails-on-postgres",
        SAFETY,
        "A migration statement fails when run on PostgreSQL (--trace).",
        Severity.ERROR,
    )
)
GR261 = register(
    Rule(
        "GR261",
        "migration-not-traced",
        SAFETY,
        "Part of a migration could not be run by the trace (--trace).",
        Severity.NOTICE,
    )
)
GR262 = register(
    Rule(
        "GR262",
        "table-rewrite-observed",
        SAFETY,
        "A migration statement rewrote an existing table (--trace).",
        Severity.WARNING,
    )
)
