"""The Alembic revision chain (analysis/migrations/alembic_chain.py)."""

from __future__ import annotations

from guardrail.analysis.migrations import alembic
from guardrail.analysis.migrations.alembic_chain import ancestors
from guardrail.analysis.migrations.ops import Reading


def _rev(revision: str, down: str) -> Reading:
    return alembic.read(
        f"revision = {revision!r}\ndown_revision = {down}\ndef upgrade():\n    pass\n"
        "def downgrade():\n    pass\n"
    )


def test_revision_and_parents_are_read() -> None:
    merge = _rev("d4", '("b2", "c3")')
    assert (merge.revision, merge.parents) == ("d4", ("b2", "c3"))
    annotated = alembic.read('revision: str = "x1"\ndown_revision: str | None = None\n')
    assert (annotated.revision, annotated.parents) == ("x1", ())


def test_ancestors_run_parents_first_across_a_merge() -> None:
    revs = {
        r.revision: r
        for r in (
            _rev("a1", "None"),
            _rev("b2", '"a1"'),
            _rev("c3", '"a1"'),
            _rev("d4", '("c3", "b2")'),
        )
        if r.revision
    }
    order = ancestors(revs, ["d4"])
    assert order is not None
    names = [r.revision for r in order]
    assert names[0] == "a1" and names[-1] == "d4" and set(names[1:3]) == {"b2", "c3"}


def test_a_missing_parent_or_a_cycle_is_unknown() -> None:
    assert ancestors({"b2": _rev("b2", '"zz"')}, ["b2"]) is None
    cycle = {"a": _rev("a", '"b"'), "b": _rev("b", '"a"')}
    assert ancestors(cycle, ["a"]) is None
