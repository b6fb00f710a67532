"""Marked finding text read back into parts: every character accounted for, no mark survives."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from guardrail.text import CODE_CLOSE, CODE_OPEN, LIT_CLOSE, LIT_OPEN, Code, join, parts

_marked = st.text(
    alphabet=st.sampled_from(["a", " ", "`", CODE_OPEN, CODE_CLOSE, LIT_OPEN, LIT_CLOSE])
)


@settings(max_examples=500, deadline=None)
@given(_marked)
def test_parts_are_stable_and_carry_no_marks(marked: str) -> None:
    got = parts(marked)
    assert parts(join(got)) == got
    for part in got:
        text = part.value if isinstance(part, Code) else part.text
        assert not set(text) & {CODE_OPEN, CODE_CLOSE, LIT_OPEN, LIT_CLOSE}
    visible = "".join(p.value if isinstance(p, Code) else p.text for p in got)
    assert visible == "".join(ch for ch in marked if ch in "a `")


def test_prose_code_and_literal_in_order() -> None:
    marked = f"Drop {CODE_OPEN}orders.coupon{CODE_CLOSE} as {LIT_OPEN}said{LIT_CLOSE}."
    assert [type(p).__name__ for p in parts(marked)] == [
        "Prose",
        "Code",
        "Prose",
        "Literal",
        "Prose",
    ]
