"""Findings as GitHub workflow commands (annotations), escaped and within GitHub's caps.

GitHub shows at most 10 error and 10 warning annotations per step (and 50 per job); what does
not fit stays in the comment and the job summary.
"""

from __future__ import annotations

from guardrail.model import Finding, Report, Severity
from guardrail.render.inline import plain

PER_LEVEL_CAP = 10
_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTICE: "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(kind: str, message: str, **props: str | int | None) -> str:
    """One workflow command line. Every part is escaped, so no text can end it early."""
    shown = [f"{k}={escape_property(str(v))}" for k, v in props.items() if v not in (None, "")]
    head = f"::{kind}"
    if shown:
        head += " " + ",".join(shown)
    return f"{head}::{escape_data(message)}"


def _annotation(f: Finding) -> str:
    title = f"guardrail {f.rule}"
    message = plain(f"{f.title} {f.detail}")
    if f.docs_url:
        message += f" ({f.docs_url})"
    return command(_COMMAND[f.severity], message, file=f.path, line=f.line, title=title)


def render(report: Report, reserved: dict[Severity, int] | None = None) -> tuple[list[str], int]:
    """The annotations GitHub will show, the most severe first, and how many findings did not
    fit. `reserved`: slots per level already taken (guardrail's own warnings, printed first)."""
    counts: dict[Severity, int] = dict(reserved or {})
    out: list[str] = []
    left = 0
    for f in sorted(report.findings, key=lambda f: -f.severity):  # stable: the report's order
        n = counts.get(f.severity, 0)
        if n >= PER_LEVEL_CAP:
            left += 1
            continue
        counts[f.severity] = n + 1
        out.append(_annotation(f))
    return out, left
