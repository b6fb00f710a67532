from __future__ import annotations

from guardrail.model import Answer, Finding, Report, Severity
from guardrail.render import annotations, inline
from guardrail.render import markdown as md
from guardrail.text import Code, code, fence_block, parts
from guardrail.text import md as md_text


def finding(**kw: object) -> Finding:
    base: dict[str, object] = dict(
        check="rollback-note",
        rule="GR101",
        severity=Severity.ERROR,
        title="No rollback note.",
        detail="Why it matters.",
        template="## Rollback plan\n…\n",
        docs_url="https://x/GR101.md",
    )
    base.update(kw)
    return Finding(**base)  # type: ignore[arg-type]


def report(*findings: Finding, verdict: str = "fail") -> Report:
    return Report(findings=findings, verdict=verdict, fail_on="error")


def test_comment_has_marker_question_why_and_template() -> None:
    text = md.render(report(finding()), md.Meta(head_sha="abcdef1234", run_url="https://run"))
    assert text.startswith(md.MARKER)
    assert "1 question needs an answer before this ships" in text
    assert "Can we roll this back?" in text and "[GR101](https://x/GR101.md)" in text
    assert "<summary>Paste and fill in</summary>" in text and "## Rollback plan" in text
    assert "Updated for abcdef1" in text


def test_all_clear_is_brief() -> None:
    r = Report(
        findings=(),
        verdict="pass",
        fail_on="error",
        answers=(Answer("rollback-note", "rollback note under “Rollback”"),),
    )
    text = md.render(r, md.Meta(head_sha="1234567"))
    assert "ready to ship" in text and len(text.splitlines()) <= 4


def test_notices_do_not_bury_errors() -> None:
    notices = [
        finding(
            rule="GR901", check="analysis", severity=Severity.NOTICE, title=f"n{i}", template=None
        )
        for i in range(10)
    ]
    text = md.render(report(finding(), *notices), md.Meta())
    assert text.index("Can we roll this back?") < text.index("10 notes")
    assert "<details><summary>ℹ️ 10 notes</summary>" in text


def test_condensed_below_githubs_limit_most_important_first() -> None:
    many = [
        finding(rule="GR101", path=f"db/migrations/{i:05d}_{'x' * 200}.sql", line=1, template=None)
        for i in range(2000)
    ]
    text = md.render(report(*many), md.Meta(summary_url="https://run"))
    assert len(text) <= md.COMMENT_LIMIT
    assert "00000_" in text and "more in the job summary" in text
    assert "[job summary](https://run)" in text


def test_untrusted_text_cannot_break_out() -> None:
    evil = "x`</details><img src=x onerror=alert(1)> @org/team | ![a](b)"
    c = inline.markdown(code(evil), table=True)
    assert c.startswith("``") and "\\|" in c and "@\u2060org" in c
    literal = inline.markdown(md_text(evil))
    assert "@\u2060org" in literal and "<img" not in literal and "</details>" not in literal
    fence = fence_block("```\nnot closed")
    assert fence.startswith("````")


def test_status_description_fits() -> None:
    many = [finding(check=f"check-{i}-{'y' * 30}") for i in range(10)]
    assert len(md.status_description(report(*many))) <= 140
    assert md.status_description(report(verdict="pass")) == "Ready to ship"


def test_annotation_escaping_and_caps() -> None:
    f = finding(path="a,b:c%d\n::error::pwn.py", line=3, title="t\n::add-mask::x", detail="100%")
    (line,), _ = annotations.render(report(f))
    assert line.startswith("::error file=a%2Cb%3Ac%25d%0A%3A%3Aerror%3A%3Apwn.py,line=3,")
    assert "\n" not in line and "t ::add-mask::x" in line and "100%25" in line
    many = [finding(line=i) for i in range(30)]
    shown, left = annotations.render(report(*many))
    assert (len(shown), left) == (annotations.PER_LEVEL_CAP, 30 - annotations.PER_LEVEL_CAP)


def test_hostile_schema_names_stay_inside_code_spans() -> None:
    from guardrail.analysis.jsonschema_diff import tightenings

    base = '{"$schema": "x", "type": "object", "properties": {"a": {"type": "string", "enum": ["ok", "</details><img src=x> @org/team"]}}}'
    head = '{"$schema": "x", "type": "object", "properties": {"a": {"type": "string", "enum": ["ok"]}}}'
    (t,) = tightenings(base, head, "x.schema.json")
    assert any(isinstance(p, Code) and "<img" in p.value for p in parts(t.what))
    rendered = md.render(
        report(finding(check="legacy-data-tests", rule="GR303", title=t.what, template=None)),
        md.Meta(),
    )
    assert '`"</details><img src=x> @\u2060org/team"`' in rendered


def test_many_notes_are_capped_in_the_comment_and_all_in_the_summary() -> None:
    r = Report(
        findings=(finding(),),
        verdict="fail",
        fail_on="error",
        notes=tuple(f"note {i}" for i in range(30)),
    )
    comment = md.render(r, md.Meta())
    summary = md.render(r, md.Meta(), marker=False, budget=None)
    assert comment.count("<sub>note ") == 10 and "20 more notes" in comment
    assert summary.count("<sub>note ") == 30
