"""The Alembic revision chain (analysis/migrations/alembic_chain.py)."""

from __future__ import annotations

from guardrail.analysis.migrations import alembic
from guardrail.analysis.migrations.alembic_chain import ancestors
from guardrail.analysis.migrations.ops import Reading
from guardrail.analysis.migrations.order import _alembic_order


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


def test_depends_on_and_branch_labels_are_read() -> None:
    got = alembic.read(
        'revision = "m2"\ndown_revision = "m1"\nbranch_labels = ("main",)\n'
        'depends_on: str | Sequence[str] | None = "networking"\n'
    )
    assert (got.parents, got.depends_on, got.labels) == (("m1",), ("networking",), ("main",))
    assert (
        alembic.read('revision = "x"\ndown_revision = None\ndepends_on = None\n').depends_on == ()
    )


def test_depends_on_is_followed_by_id_or_by_branch_label() -> None:
    net = alembic.read('revision = "n1"\ndown_revision = None\nbranch_labels = ("networking",)\n')
    m1 = _rev("m1", "None")
    by_label = alembic.read('revision = "m2"\ndown_revision = "m1"\ndepends_on = "networking"\n')
    revs = {"n1": net, "m1": m1, "m2": by_label}
    order = ancestors(revs, ["m2"])
    assert order is not None and [r.revision for r in order] == ["m1", "n1", "m2"]
    by_id = alembic.read('revision = "m3"\ndown_revision = "m1"\ndepends_on = ["n1"]\n')
    order = ancestors({**revs, "m3": by_id}, ["m3"])
    assert order is not None and [r.revision for r in order] == ["m1", "n1", "m3"]
    # A dependency no revision has (nor any branch label): the chain is not all there.
    lost = alembic.read('revision = "m4"\ndown_revision = "m1"\ndepends_on = "billing"\n')
    assert ancestors({**revs, "m4": lost}, ["m4"]) is None


def test_the_file_order_follows_depends_on_and_deep_chains() -> None:
    """order.py's Alembic order (the base schema's replay and --trace): depends_on by branch
    label, and a 3,000-revision chain whose newest file sorts first (it was a RecursionError:
    the walk recursed once per revision)."""
    texts = {
        "v/a.py": 'revision = "a"\ndown_revision = None\nbranch_labels = ("net",)\n',
        "v/b.py": 'revision = "b"\ndown_revision = None\n',
        "v/c.py": 'revision = "c"\ndown_revision = "b"\ndepends_on = "net"\n',
        "v/0.py": 'revision = "z"\ndown_revision = "c"\n',
    }
    assert _alembic_order(sorted(texts), texts) == ["v/b.py", "v/a.py", "v/c.py", "v/0.py"]
    deep = {
        f"v/{3000 - i:05d}.py": f"revision = 'r{i}'\ndown_revision = {f'r{i - 1}' if i else None!r}\n"
        for i in range(3000)
    }
    got = _alembic_order(sorted(deep), deep)
    assert got == sorted(deep, reverse=True)
