"""GR9xx — about the analysis itself: what guardrail could not see."""

from __future__ import annotations

from collections.abc import Iterator

from guardrail.checks.base import Context
from guardrail.model import Finding, Severity
from guardrail.rules import Rule, register
from guardrail.text import code

CHECK = "analysis"

GR901 = register(
    Rule(
        "GR901",
        "incomplete-analysis",
        CHECK,
        "Part of the change could not be read, so guardrail cannot vouch for it.",
        Severity.WARNING,
    )
)


def check_coverage(ctx: Context) -> Iterator[Finding]:
    pr = ctx.pr
    if pr.files_unseen:
        yield GR901.finding(
            f"{pr.files_unseen} of {pr.changed_files} changed files were not listed by GitHub.",
            "GitHub lists at most 3,000 files per pull request, so those files were not checked; "
            "run `guardrail check --base <base branch>` on a checkout to check them all.",
        )
    unknown = [
        f.path for f in pr.files if f.patch is None and not f.binary and f.status != "removed"
    ]
    if unknown:
        shown = ", ".join(code(p) for p in unknown[:3])
        more = f" and {len(unknown) - 3} more" if len(unknown) > 3 else ""
        yield GR901.finding(
            f"The diff of {len(unknown)} file(s) was not available: {shown}{more}.",
            "GitHub leaves out the diff of very large files; guardrail judged them by name only.",
            severity=Severity.NOTICE,
        )


CHECKS = (check_coverage,)
