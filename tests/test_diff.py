"""The linear hunk reader agrees with unidiff, the reference reader of the unified diff format,
on every well-formed patch, and keeps what it can of a malformed one."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from unidiff.patch import PatchSet

from guardrail.analysis.diff import Line, parse_patch


def _oracle(patch: str) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    added, removed = [], []
    for pfile in PatchSet(f"--- a/f\n+++ b/f\n{patch}\n"):
        for hunk in pfile:
            for line in hunk:
                if line.is_added:
                    added.append((line.target_line_no, line.value.rstrip("\n")))
                elif line.is_removed:
                    removed.append((line.source_line_no, line.value.rstrip("\n")))
    return added, removed


_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r"), max_size=12
)
_body = st.lists(st.tuples(st.sampled_from(" +-"), _text), min_size=1, max_size=12)


@st.composite
def patches(draw: st.DrawFn) -> str:
    out, old, new = [], draw(st.integers(1, 50)), draw(st.integers(1, 50))
    for _ in range(draw(st.integers(1, 4))):
        body = draw(_body)
        n_old = sum(1 for tag, _ in body if tag != "+")
        n_new = sum(1 for tag, _ in body if tag != "-")
        out.append(f"@@ -{old},{n_old} +{new},{n_new} @@ def f():")
        out += [tag + text for tag, text in body]
        if draw(st.booleans()):
            out.append("\\ No newline at end of file")
        old += n_old + draw(st.integers(1, 5))
        new += n_new + draw(st.integers(1, 5))
    return "\n".join(out)


@settings(max_examples=300, deadline=None)
@given(patches())
def test_agrees_with_unidiff(patch: str) -> None:
    got = parse_patch(patch)
    added, removed = _oracle(patch)
    assert [(x.number, x.text) for x in got.added] == added
    assert [(x.number, x.text) for x in got.removed] == removed


def test_github_patch_with_default_counts_and_no_newline_marker() -> None:
    patch = "@@ -1 +1 @@\n-a\n\\ No newline at end of file\n+b\n\\ No newline at end of file"
    got = parse_patch(patch)
    assert got.added == (Line(1, "b"),) and got.removed == (Line(1, "a"),)


def test_lines_that_look_like_file_headers_inside_a_hunk_are_content() -> None:
    patch = "@@ -1,2 +1,2 @@\n--- a comment in SQL\n+++ counter\n context"
    got = parse_patch(patch)
    assert got.removed == (Line(1, "-- a comment in SQL"),)
    assert got.added == (Line(1, "++ counter"),)


def test_a_short_hunk_keeps_what_was_read() -> None:
    patch = "@@ -1,3 +1,3 @@\n+kept\ngarbage that is not a hunk line\n+ignored"
    assert parse_patch(patch).added == (Line(1, "kept"),)


def test_crlf_lines_and_empty_context_lines() -> None:
    patch = "@@ -1,3 +1,3 @@\r\n a\r\n\r\n-b\r\n+c\r\n"
    got = parse_patch(patch)
    assert got.added == (Line(3, "c"),) and got.removed == (Line(3, "b"),)
