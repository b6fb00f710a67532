"""Alembic: each column as the revisions before a PR's revision leave it, for an
`alter_column` that does not say what the column was (no `existing_nullable`, no
`existing_type`) to be judged against what the database has.

Alembic orders revisions by `down_revision`, not by file name: the chain is built from each
file's `revision`, `down_revision` (a tuple for a merge) and `depends_on` (a revision of another
branch applied first, named by its id or by a `branch_labels` it declares), over the base
branch's files in the folder of the PR's revision and the PR's own revisions. The ancestors of the PR's revision are
replayed parents first (`op.create_table` with its columns, `op.add_column`, `op.alter_column`,
drops and renames, through base_columns.apply), then the operations above it in its own file.
A parent that no file names, a file that does not read, or more files than MAX_FILES: unknown,
and unknown keeps the operation as the reader wrote it.
"""

from __future__ import annotations

from collections.abc import Iterable

from guardrail.analysis.core import Analysis, Fact
from guardrail.analysis.migrations.base_columns import Columns, apply
from guardrail.analysis.migrations.ops import ColumnDef, Op, OpKind, Reading

MAX_FILES = 1500
MAX_CHARS = 15_000_000

# folder -> revision id -> its reading (None: a file of the folder that could not be read)
Revisions = dict[str, dict[str, Reading]]


def _read_base(ctx: Analysis) -> tuple[Revisions, set[str]]:
    """The base branch's revisions per folder of a PR revision, and the folders with a file
    that could not be read (their chains are unknown)."""
    from guardrail.analysis.migrations.changed import MIGRATIONS
    from guardrail.analysis.migrations.detect import detect, read

    out: Revisions = {}
    broken: set[str] = set()
    if ctx.base_tree is None:
        return out, broken
    changed = ctx.get(MIGRATIONS)
    wanted = {m.file.path.rsplit("/", 1)[0] for m in changed if m.kind.framework == "alembic"}
    own = {m.file.path for m in changed}
    by_folder: dict[str, list[str]] = {}
    for p in ctx.base_tree.paths():
        folder = p.rsplit("/", 1)[0] if "/" in p else ""
        if folder in wanted and p not in own and p.endswith(".py"):
            by_folder.setdefault(folder, []).append(p)
    for folder, paths in by_folder.items():
        if len(paths) > MAX_FILES:
            broken.add(folder)
            continue
        texts = ctx.base_tree.read_many(paths)
        if sum(len(t) for t in texts.values() if t) > MAX_CHARS:
            broken.add(folder)
            continue
        revisions: dict[str, Reading] = {}
        for path in sorted(texts):
            text = texts[path]
            kind = detect(path, text) if text is not None else None
            if kind is None or kind.framework != "alembic" or text is None:
                continue
            try:
                reading = read(kind, text)
            except Exception:  # a revision outside the PR that cannot be read: chain unknown
                broken.add(folder)
                continue
            if reading.revision:
                revisions[reading.revision] = reading
        out[folder] = revisions
    return out, broken


BASE_REVISIONS: Fact[tuple[Revisions, set[str]]] = Fact("alembic_base_revisions", _read_base)


def ancestors(revisions: dict[str, Reading], parents: Iterable[str]) -> list[Reading] | None:
    """The revisions `parents` descend from (themselves included), parents before children;
    None when one of them is named by no file (the chain is not all there). A revision's
    parents are its `down_revision`s and its `depends_on`, as Alembic's RevisionMap joins
    them (`_all_down_revisions`); either may name a revision by a branch label it declares."""
    labelled = {label: rev for rev, r in revisions.items() for label in r.labels}

    def resolved(names: Iterable[str]) -> set[str] | None:
        out: set[str] = set()
        for name in names:
            rev = name if name in revisions else labelled.get(name)
            if rev is None:
                return None
            out.add(rev)
        return out

    seen: dict[str, set[str]] = {}
    todo = resolved(parents)
    if todo is None:
        return None
    pending = list(todo)
    while pending:
        rev = pending.pop()
        if rev in seen:
            continue
        ups = resolved((*revisions[rev].parents, *revisions[rev].depends_on))
        if ups is None:
            return None
        seen[rev] = ups
        pending.extend(ups)
    ordered: list[Reading] = []
    done: set[str] = set()
    while len(done) < len(seen):
        ready = sorted(r for r, ups in seen.items() if r not in done and ups <= done)
        if not ready:
            return None  # a cycle: Alembic refuses it, and so no order is known
        for r in ready:
            done.add(r)
            ordered.append(revisions[r])
    return ordered


def column_before(
    ctx: Analysis, path: str, reading: Reading, table: str, column: str, earlier: Iterable[Op]
) -> ColumnDef | None:
    """The column as the revisions before the PR's revision at `path` leave it, after the
    operations `earlier` in the file itself; None when not known."""
    from guardrail.analysis.migrations.changed import MIGRATIONS

    if ctx.base_tree is None or not (reading.parents or reading.depends_on):
        return None
    folder = path.rsplit("/", 1)[0] if "/" in path else ""
    base, broken = ctx.get(BASE_REVISIONS)
    if folder in broken:
        return None
    revisions = dict(base.get(folder, {}))
    changed = ctx.get(MIGRATIONS)
    for m in changed:
        if m.kind.framework == "alembic" and m.reading.revision and m.file.path != path:
            revisions[m.reading.revision] = m.reading
    chain = ancestors(revisions, (*reading.parents, *reading.depends_on))
    if chain is None:
        return None
    state: Columns = {}
    for each in chain:
        for op in each.ops:
            apply(state, op)
    for op in earlier:
        if op.table == table or op.new_name == table or op.kind == OpKind.RAW:
            apply(state, op)
    return state.get(table, {}).get(column)
