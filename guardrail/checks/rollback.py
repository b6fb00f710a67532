"""GR1xx — Can we roll this back? The PR description needs a real rollback note.

Severity follows risk: a change to migrations, data contracts, deploy configuration, or a large
change without a note is an error; an ordinary code change gets a notice; docs-only passes.
"""

from __future__ import annotations

from collections.abc import Iterator

from guardrail.checks.base import Analysis, Output
from guardrail.model import Answer, CheckName, Severity
from guardrail.rules import by_code
from guardrail.text import md, plain

CHECK = CheckName.ROLLBACK_NOTE

GR101 = by_code("GR101")
GR102 = by_code("GR102")

TEMPLATE_RISKY = """## Rollback plan
How to undo it: …
Data written by this version that the previous version must still read: …
"""
TEMPLATE_SMALL = """## Rollback plan
Revert this PR; it changes no schema, stored data or configuration.
"""


def _why(ctx: Analysis) -> str:
    risk = ctx.risk
    if risk.high:
        return (
            f"This PR {risk.reasons[0]}, so undoing it may take more than a revert: say how, "
            "and whether the previous version can read what this one writes."
        )
    return (
        "A one-line note saves whoever is on call from guessing; for a small change "
        "“revert this PR” is enough."
    )


def _snippet(text: str) -> str:
    return md(plain(text, 40))


def check_rollback_note(ctx: Analysis) -> Iterator[Output]:
    risk = ctx.risk
    if risk.level == "none":
        yield Answer(CHECK, "docs-only change, nothing to roll back")
        return
    severity = Severity.ERROR if risk.high else Severity.NOTICE
    template = TEMPLATE_RISKY if risk.high else TEMPLATE_SMALL
    verdicts = ctx.rollback.sections
    if not verdicts:
        yield GR101.finding(
            "No rollback note in the description.",
            _why(ctx),
            severity=severity,
            template=template,
        )
        return
    answered = ctx.rollback.answered
    if answered is not None:
        yield Answer(CHECK, f"rollback note under “{_snippet(answered[0].title)}”")
        return
    section, verdict = verdicts[0]
    if verdict.status == "placeholder" and section.text.strip():
        title = f"The rollback note says only “{_snippet(section.text)}”."
    elif verdict.status == "template":
        title = "The rollback note is still the template, not filled in."
    else:
        title = f"The “{_snippet(section.title)}” section is empty."
    yield GR102.finding(title, _why(ctx), severity=severity, template=template)


CHECKS = (check_rollback_note,)
