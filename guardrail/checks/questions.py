"""GR4xx — the seed's other questions. Notices by default: they inform, they never block.

- Could this ship in smaller steps? A large PR that mixes migrations with application code.
- If this goes wrong, how will we know? A risky PR that names no signal to watch.
- Can we turn it off? A risky behaviour change, in a repository that uses feature flags, that
  names no flag or kill switch.
"""

from __future__ import annotations

from collections.abc import Iterator

from guardrail.analysis import evidence as ev
from guardrail.analysis.markdown import find_sections, normalize
from guardrail.analysis.migrations.changed import migrations
from guardrail.analysis.paths import matches
from guardrail.checks.base import Analysis
from guardrail.model import Finding
from guardrail.rules import by_code

GR401 = by_code("GR401")
GR402 = by_code("GR402")
GR403 = by_code("GR403")

_SIGNAL_WORDS = (
    "metric",
    "metrics",
    "alert",
    "alerts",
    "dashboard",
    "dashboards",
    "log",
    "logs",
    "grafana",
    "datadog",
    "sentry",
    "prometheus",
    "error rate",
    "latency",
    "slo",
    "monitor",
    "monitoring",
    "p99",
)
_OFF_WORDS = (
    "flag",
    "feature flag",
    "kill switch",
    "killswitch",
    "toggle",
    "disable",
    "turn off",
    "switch off",
)
_CODE_EXT = (
    ".py",
    ".rb",
    ".js",
    ".ts",
    ".tsx",
    ".go",
    ".java",
    ".kt",
    ".cs",
    ".php",
    ".ex",
    ".exs",
    ".rs",
    ".scala",
    ".swift",
)


def _mentions(text: str, words: tuple[str, ...]) -> bool:
    hay = f" {normalize(text)} "
    return any(f" {normalize(w)} " in hay for w in words)


def check_size(ctx: Analysis) -> Iterator[Finding]:
    qc = ctx.config.questions
    if ctx.pr.lines_changed < qc.large_release_lines:
        return
    mig = {m.file.path for m in migrations(ctx)}
    if not mig:
        return
    code = [
        f.path
        for f in ctx.pr.files
        if f.path not in mig
        and f.path.lower().endswith(_CODE_EXT)
        and not ev.is_test_path(f.path)
        and not matches(f.path, ctx.config.risk.docs)
    ]
    if code:
        yield GR401.finding(
            f"This PR changes {ctx.pr.lines_changed} lines and ships {len(mig)} migration(s) with application code.",
            "Shipping the migration first, on its own, makes each step smaller to review and to undo.",
        )


def check_signal(ctx: Analysis) -> Iterator[Finding]:
    if not ctx.risk.high:
        return
    sections = find_sections(ctx.pr.body, ctx.config.questions.signal_headings)
    if sections or _mentions(ctx.pr.body, _SIGNAL_WORDS):
        return
    yield GR402.finding(
        "The description does not say how we would notice if this goes wrong.",
        "Name the metric, alert, dashboard or log line to watch after the deploy.",
        template="## Monitoring\nWatch after the deploy: …\n",
    )


def _flag_patterns(ctx: Analysis) -> tuple[str, ...]:
    return tuple(p.lower() for p in ctx.config.questions.flag_patterns)


def _uses_flags(ctx: Analysis, patterns: tuple[str, ...]) -> bool:
    return any(f.patch and any(p in f.patch.lower() for p in patterns) for f in ctx.pr.files)


def _adds_flag(patch: str, patterns: tuple[str, ...]) -> bool:
    """Whether an added line of the patch names a feature flag. In a patch's hunks the added
    lines are exactly those that start with `+`: one lower-casing of the patch, and the first
    match ends the search."""
    lowered = patch.lower()
    if not any(p in lowered for p in patterns):
        return False
    return any(line[:1] == "+" and any(p in line for p in patterns) for line in lowered.split("\n"))


def check_off_switch(ctx: Analysis) -> Iterator[Finding]:
    if not ctx.risk.high:
        return
    patterns = _flag_patterns(ctx)
    if not _uses_flags(ctx, patterns) or _mentions(ctx.pr.body, _OFF_WORDS):
        return
    flagged = any(f.patch and _adds_flag(f.patch, patterns) for f in ctx.pr.files)
    yield GR403.finding(
        "The description does not say how to turn this change off."
        + (" The diff touches feature flags." if flagged else ""),
        "This repository uses feature flags: name the flag or kill switch that disables the new behaviour.",
        template="## Turning it off\nFlag or kill switch: …\n",
    )


CHECKS = (check_size, check_signal, check_off_switch)
