from __future__ import annotations

import time

from guardrail.analysis.markdown import assess, find_sections, normalize, strip_html_comments
from guardrail.config import DEFAULT_PLACEHOLDERS, DEFAULT_ROLLBACK_HEADINGS

H = DEFAULT_ROLLBACK_HEADINGS


def test_heading_section_runs_to_the_next_heading_of_same_level() -> None:
    body = "# Title\n## Rollback\nline one\n### detail\nmore\n## Testing\nnot this\n"
    (sec,) = find_sections(body, H)
    assert sec.kind == "heading" and sec.line == 2
    assert "line one" in sec.text and "more" in sec.text and "not this" not in sec.text


def test_setext_heading_and_crlf() -> None:
    body = "Rollback plan\r\n-------------\r\nRevert it.\r\n"
    (sec,) = find_sections(body, H)
    assert sec.text.strip() == "Revert it."


def test_inline_label_variants() -> None:
    for body in (
        "**Rollback:** revert",
        "__Rollback__: revert",
        "Rollback — revert",
        "*Revert plan*: revert",
    ):
        secs = find_sections(body, H)
        assert secs and secs[0].text.strip() == "revert", body


def test_label_must_be_the_whole_title() -> None:
    assert find_sections("Rollbacks are hard: we know", H) == []
    assert find_sections("The rollback: later", H) == []


def test_normalize() -> None:
    assert normalize("3. 🔙 Back-out plan:") == "back out plan"
    assert normalize("  ROLLBACK / Revert ") == "rollback revert"


def test_html_comments_are_not_content() -> None:
    assert strip_html_comments("a<!-- b -->c<!-- d") == "ac"
    (sec,) = find_sections("## Rollback\n<!-- fill me -->\n", H)
    assert assess(sec.text, DEFAULT_PLACEHOLDERS).status == "empty"


def test_assess_statuses() -> None:
    ph = DEFAULT_PLACEHOLDERS
    assert assess("", ph).status == "empty"
    assert assess("N/A", ph).status == "placeholder"
    assert assess("n.a.", ph).status == "placeholder"
    assert assess("None.", ph).status == "placeholder"
    assert assess("How to undo it: …\nData: ...", ph).status == "template"
    assert assess("[ ] tested the rollback", ph).status == "template"
    assert assess("revert the deploy", ph).status == "ok"
    assert assess("How to undo it: revert", ph).text == "How to undo it: revert"


def test_linear_time_on_hostile_bodies() -> None:
    # Deep nesting, long runs of markup characters and many headings: time grows linearly.
    def timed(n: int) -> float:
        body = ("> " * 50 + "**Rollback:** " + "*" * 200 + "\n") * n + "## Rollback\n" * n
        start = time.process_time()  # CPU time: a busy machine's other processes do not count
        find_sections(body, H)
        return time.process_time() - start

    small, big = timed(200), timed(800)
    assert big < small * 12 + 0.5
