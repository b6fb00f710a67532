"""The report as Markdown: the PR comment, the job summary and the local report.

Speaks to a colleague about to ship: one line per gap, why it matters in one sentence, a
template to paste, the most important gap first. Notices never crowd out errors.
"""

from __future__ import annotations

from dataclasses import dataclass

from guardrail.model import CheckName, Finding, Report, Severity, Verdict
from guardrail.render.inline import markdown as inline
from guardrail.rules import QUESTIONS
from guardrail.text import fence_block, location, strip_marks

MARKER = "<!-- guardrail:report v1 -->"
COMMENT_LIMIT = 65_536  # GitHub refuses longer comment bodies (422)
COMMENT_BUDGET = 60_000  # leave room for the marker, footer and multi-byte surprises
SUMMARY_BUDGET = 1_000_000  # GitHub's job summary holds 1 MiB per step
MINIMAL_BUDGET = 1  # forces the shortest form: the table and where to read the rest

_ICON = {Severity.ERROR: "❌", Severity.WARNING: "⚠️", Severity.NOTICE: "ℹ️"}


@dataclass(frozen=True)
class Meta:
    head_sha: str | None = None
    run_url: str | None = None
    summary_url: str | None = None  # where the full report lives when the comment is condensed
    local: bool = False


def _by_check(findings: tuple[Finding, ...]) -> dict[CheckName, list[Finding]]:
    groups: dict[CheckName, list[Finding]] = {}
    for f in findings:
        groups.setdefault(f.check, []).append(f)
    return groups


def _question(check: CheckName) -> str:
    return QUESTIONS.get(check, check.replace("-", " ").capitalize() + "?")


def _headline(report: Report) -> str:
    serious = {f.check for f in report.findings if f.severity >= Severity.WARNING}
    n = len(serious)
    if not n:
        return "ready to ship"
    noun = "question needs" if n == 1 else "questions need"
    if report.verdict is Verdict.FAIL:
        return f"{n} {noun} an answer before this ships"
    return f"{n} {noun} a look before this ships"


def _finding_line(f: Finding) -> str:
    where = inline(location(f.path, f.line))
    title = inline(f.title)
    head = f"{where} — {title}" if where else title
    seen = ""
    if f.observed is not None:
        from guardrail.trace.judge import observed_text

        seen = f" <sub>{inline(observed_text(dict(f.observed)))}</sub>"
    return f"- {head} {inline(f.detail)}{seen}"


def _rule_links(findings: list[Finding]) -> str:
    seen: dict[str, str] = {}
    for f in findings:
        seen.setdefault(f.rule, f.docs_url or "")
    return ", ".join(f"[{code}]({url})" if url else code for code, url in seen.items())


def _templates(findings: list[Finding]) -> list[str]:
    """The template of the section's most important gap: one thing to paste, not a pile."""
    out: list[str] = []
    for f in findings:
        if f.template and not out:
            label = "Paste and fill in" if f.template_lang == "markdown" else "A test to start from"
            out.append(
                f"<details><summary>{label}</summary>\n\n"
                f"{fence_block(strip_marks(f.template), f.template_lang)}\n</details>"
            )
    return out


_SAFETY = CheckName.MIGRATION_SAFETY


def _section(
    check: CheckName, findings: list[Finding], limit: int | None, answered: str | None = None
) -> str:
    shown = findings if limit is None else findings[:limit]
    lines = [f"**{_question(check)}** — {_rule_links(findings)}"]
    lines += [_finding_line(f) for f in shown]
    hidden = len(findings) - len(shown)
    if hidden > 0:
        lines.append(f"- …and {hidden} more in the job summary.")
    if answered:
        lines.append(f"- ✓ {inline(answered[:1].upper() + answered[1:])}.")
    lines += _templates(shown)
    return "\n".join(lines)


def _table(report: Report, groups: dict[CheckName, list[Finding]]) -> str:
    rows = ["| | question | answer |", "|---|---|---|"]
    answered = {a.check: a.text for a in report.answers}
    for check in QUESTIONS:
        items = [f for f in groups.get(check, []) if f.severity >= Severity.WARNING]
        if items:
            worst = max(f.severity for f in items)
            first = items[0]
            where = inline(location(first.path, first.line), table=True)
            title = inline(first.title, table=True)
            text = f"{where} {title}" if where else title
            if len(items) > 1:
                text += f" (+{len(items) - 1} more)"
            rows.append(f"| {_ICON[worst]} | {_question(check)} | {text} |")
        elif check in answered:
            rows.append(f"| ✅ | {_question(check)} | {inline(answered[check], table=True)} |")
    return "\n".join(rows)


def _footer(meta: Meta) -> str:
    if meta.local:
        return ""
    bits = []
    if meta.head_sha:
        bits.append(f"Updated for {meta.head_sha[:7]}")
    if meta.run_url:
        bits.append(f"[run]({meta.run_url})")
    bits.append(
        "re-run: push, edit the description, or run the workflow by hand with this PR's number"
    )
    return "<sub>" + " · ".join(bits) + "</sub>"


def _all_clear(report: Report, meta: Meta, marker: bool, full: bool = False) -> str:
    answers = " · ".join(f"{inline(a.text)} ✓" for a in report.answers) or "nothing to ask"
    parts = [MARKER] if marker else []
    parts += ["### 🛡️ guardrail — ready to ship", answers[:1].upper() + answers[1:]]
    notices = [f for f in report.findings if f.severity == Severity.NOTICE]
    if notices:
        parts.append(_notices(notices))
    parts += _note_lines(report, full, leading="")
    footer = _footer(meta)
    if footer:
        parts.append(footer)
    return "\n".join(parts) + "\n"


def _notices(notices: list[Finding]) -> str:
    if len(notices) == 1:
        f = notices[0]
        return f"\n<sub>ℹ️ {inline(f.title)} {inline(f.detail)} ({f.rule})</sub>"
    body = "\n".join(_finding_line(f) + f" ({f.rule})" for f in notices)
    return f"\n<details><summary>ℹ️ {len(notices)} notes</summary>\n\n{body}\n</details>"


def render(
    report: Report, meta: Meta, *, marker: bool = True, budget: int | None = COMMENT_BUDGET
) -> str:
    serious = tuple(f for f in report.findings if f.severity >= Severity.WARNING)
    full = budget is None
    if not serious:
        return _fit(_all_clear(report, meta, marker, full), report, meta, marker, budget)
    groups = _by_check(serious)
    notices = [f for f in report.findings if f.severity == Severity.NOTICE]
    for limit in (None, 20, 10, 5, 3, 1):
        text = _compose(report, meta, groups, notices, limit, marker, full=full)
        if budget is None or len(text) <= budget:
            return text
    # Still too long (enormous titles): the table alone, and where to read the rest.
    table = _compose(report, meta, {}, [], 0, marker, table_groups=groups)
    return _fit(table, report, meta, marker, budget)


def _fit(text: str, report: Report, meta: Meta, marker: bool, budget: int | None) -> str:
    """The last guarantee: a comment GitHub accepts whatever the findings say. Past the
    budget, the counts per question and where to read the rest: no text from the findings."""
    if budget is None or len(text) <= max(budget, COMMENT_BUDGET):
        return text
    parts = [MARKER] if marker else []
    parts.append(f"### 🛡️ guardrail — {_headline(report)}")
    parts.append("")
    groups = _by_check(report.findings)
    for check in QUESTIONS:
        items = groups.get(check, [])
        if items:
            worst = max(f.severity for f in items)
            rules = ", ".join(dict.fromkeys(f.rule for f in items))
            parts.append(f"- {_ICON[worst]} {_question(check)} {len(items)} × {rules}")
    where = f"[job summary]({meta.summary_url})" if meta.summary_url else "job summary"
    parts.append("")
    parts.append(f"<sub>The findings are too long for a comment; read them in the {where}.</sub>")
    footer = _footer(meta)
    if footer:
        parts += ["", footer]
    return "\n".join(parts)[:COMMENT_LIMIT] + "\n"


def _compose(
    report: Report,
    meta: Meta,
    groups: dict[CheckName, list[Finding]],
    notices: list[Finding],
    limit: int | None,
    marker: bool,
    table_groups: dict[CheckName, list[Finding]] | None = None,
    full: bool = False,
) -> str:
    parts = [MARKER] if marker else []
    parts.append(f"### 🛡️ guardrail — {_headline(report)}")
    parts.append("")
    parts.append(_table(report, table_groups if table_groups is not None else groups))
    if report.risk:
        parts.append("")
        reasons = "; it ".join(inline(reason) for reason in report.risk)
        parts.append(f"<sub>Why this counts as risky: it {reasons}.</sub>")
    for check in QUESTIONS:
        if check in groups:
            parts.append("")
            # The migration files read in full and found fine, named beside the ones flagged:
            # every migration file of the PR is accounted for.
            answered = {a.check: a.text for a in report.answers if a.check == _SAFETY}.get(check)
            parts.append(_section(check, groups[check], limit, answered))
    if limit is not None:
        where = f"[job summary]({meta.summary_url})" if meta.summary_url else "job summary"
        parts.append("")
        parts.append(f"<sub>Shortened to fit a comment; every finding is in the {where}.</sub>")
    if notices and limit is None:
        parts.append(_notices(notices))
    elif notices:
        parts.append(f"\n<sub>ℹ️ {len(notices)} notes in the job summary.</sub>")
    parts += _note_lines(report, table_groups is None and limit is None and full, leading="\n")
    footer = _footer(meta)
    if footer:
        parts.append("")
        parts.append(footer)
    return "\n".join(parts) + "\n"


def _trace_line(report: Report) -> list[str]:
    """What the trace ran, in one line (the details are in the findings and the JSON report)."""
    tr = report.trace
    if tr is None:
        return []
    failed = sum(1 for s in tr.statements if s.error is not None)
    rewrites = sum(1 for s in tr.statements if s.rewrote)
    bits = [f"{len(tr.statements)} statements run on {tr.engine}"]
    bits.append(f"{failed} failed" if failed else "none failed")
    if rewrites:
        bits.append(f"{rewrites} rewrote a table")
    if tr.not_traced:
        bits.append(f"{len(tr.not_traced)} parts not traced")
    base = tr.base
    base_text = f"over the base schema from {base.files} migrations"
    if base.unfilled:
        base_text += f", {len(base.unfilled)} of {base.tables} tables without a seeded row"
    if base.failed or base.not_traced:
        base_text += f", {len(base.failed) + len(base.not_traced)} base parts not run"
    return [f"🔬 Traced: {', '.join(bits)} ({base_text})."]


def _note_lines(report: Report, full: bool, leading: str) -> list[str]:
    """Notes (acknowledgements, ignores, configuration): all in the summary, 10 in a comment."""
    notes = _trace_line(report) + list(report.notes)
    shown = notes if full else notes[:10]
    lines = [f"{leading}<sub>{inline(note)}</sub>" for note in shown]
    if len(notes) > len(shown):
        lines.append(
            f"{leading}<sub>…and {len(notes) - len(shown)} more notes in the job summary.</sub>"
        )
    return lines


def status_description(report: Report) -> str:
    """At most 140 characters, GitHub's limit for a commit status description."""
    serious = [f for f in report.findings if f.severity >= Severity.WARNING]
    if not serious:
        return "Ready to ship"
    checks: list[str] = []
    for f in serious:
        name = f.check.replace("-", " ")
        if name not in checks:
            checks.append(name)
    n = len(serious)
    text = f"{n} gap{'s' if n != 1 else ''} to answer: " + ", ".join(checks)
    return text if len(text) <= 140 else text[:139] + "…"


__all__ = ["COMMENT_LIMIT", "MARKER", "Meta", "render", "status_description"]
