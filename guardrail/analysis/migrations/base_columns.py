"""What each column is at the base branch's tip, by the project's own migrations, for the
restatements that do not say what a column was (Laravel `->change()`, Knex `.alter()`,
Sequelize/TypeORM `changeColumn`, Ecto `modify` without `from:`): such an operation is only
"may make … NOT NULL" until an earlier migration says the column is NOT NULL already (nothing
changes) or nullable (it certainly changes).

The base tree's migrations of the same framework in the folder of each such PR migration are
read by the framework's own reader and replayed in file-name order (every DSL here names its
files by timestamp: Rails, Laravel, Knex, Sequelize, TypeORM, Ecto, EF Core): CREATE TABLE with
its columns (Op.table_columns), ADD/DROP/RENAME COLUMN, SET/DROP NOT NULL, a type change, DROP
and RENAME TABLE. A column the replay never saw created or added (a squashed history, a schema loaded
from a dump; Laravel's own `schema:dump` is read first) is unknown, and so is every column of a table that something the readers could not
read names: unknown keeps the "may". The operations earlier in the PR's own file are applied on
top (a column added NOT NULL three lines above its `->change()`). Computed only when a PR migration has such an operation (a Fact asked
for lazily), from one batched read; a folder of more files than MAX_FILES is not replayed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from guardrail.analysis.core import Analysis, Fact
from guardrail.analysis.migrations.ops import ColumnDef, Op, OpKind

MAX_FILES = 1500
MAX_CHARS = 15_000_000
# Frameworks replayed here (SQL tools: base_schema.py; Django resolves against its models).
FRAMEWORKS = frozenset({"rails", "laravel", "knex", "sequelize", "typeorm", "ecto", "efcore"})
# SQL-file tools whose migrations of one folder are replayed here too, in the tool's own order
# (order.py), only for a PR migration's `ADD COLUMN IF NOT EXISTS` (GR296): their other
# statements say what they change and are not restatements. Prisma keeps each migration in a
# folder of its own, Sqitch and Liquibase name theirs in a plan or changelog: not replayed.
SQL_GUARDED = frozenset({"flyway", "golang-migrate", "goose", "dbmate", "sql"})

Columns = dict[str, dict[str, ColumnDef]]  # table -> column -> what it is


def apply(state: Columns, op: Op) -> None:
    """One operation of an earlier migration, applied to the column map."""
    table, col = op.table, op.column
    if op.kind == OpKind.RAW:
        # Not read (SQL built at run time, an unknown call): what it did to a table it names is
        # unknown, so that table is forgotten.
        for name in [t for t in state if t == table or (t and t in op.text)]:
            del state[name]
        return
    if not table:
        return
    if op.only_without is not None and _has(state, op.only_without):
        return  # a guarded statement where its column exists: it does not run
    if op.kind == OpKind.CREATE_TABLE:
        if op.if_not_exists and table in state:
            return
        state[table] = {c.name: c for c in op.table_columns}
        return
    if op.kind == OpKind.DROP_TABLE:
        state.pop(table, None)
        return
    if op.kind == OpKind.RENAME_TABLE:
        if op.new_name and table in state:
            state[op.new_name] = state.pop(table)
        return
    if not col:
        return
    if op.kind == OpKind.ADD_COLUMN:
        # A table never seen created (a squashed history) still learns the columns added to it.
        _apply_column(state.setdefault(table, {}), op, col)
    elif table in state:
        _apply_column(state[table], op, col)


def _has(state: Columns, where: tuple[str, str]) -> bool:
    return where[1] in state.get(where[0], {})


def _apply_column(columns: dict[str, ColumnDef], op: Op, col: str) -> None:
    before = columns.get(col)
    if op.kind == OpKind.ADD_COLUMN:
        added = op.table_columns[0] if op.table_columns else None
        columns[col] = added or ColumnDef(
            col, "", op.not_null, "…" if op.has_default else None, False
        )
    elif op.kind == OpKind.DROP_COLUMN:
        columns.pop(col, None)
    elif op.kind == OpKind.RENAME_COLUMN and op.new_name and before is not None:
        columns[op.new_name] = replace(columns.pop(col), name=op.new_name)
    elif before is None:
        return
    elif op.kind == OpKind.SET_NOT_NULL:
        # A restatement's NOT NULL is a "may" only about the change; after it, NOT NULL holds.
        columns[col] = replace(before, not_null=True)
    elif op.kind == OpKind.DROP_NOT_NULL:
        columns[col] = replace(before, not_null=False)
    elif op.kind == OpKind.ALTER_TYPE:
        columns[col] = replace(before, type=op.to_type or "")
    elif op.kind == OpKind.SET_DEFAULT:
        columns[col] = replace(before, default=before.default or "…")
    elif op.kind == OpKind.DROP_DEFAULT:
        columns[col] = replace(before, default=None)


@dataclass(frozen=True)
class Replay:
    """folder -> the column map its base-branch migrations leave, and which file made each
    column as it is now (a re-added column names it: GR296)."""

    columns: dict[str, Columns]
    origin: dict[str, dict[tuple[str, str], str]]


def _origin(state: Columns, op: Op, path: str, seen: dict[tuple[str, str], str]) -> None:
    """The columns `op` (of `path`, just applied) made or changed are now `path`'s."""
    table = op.new_name if op.kind == OpKind.RENAME_TABLE else op.table
    if not table or table not in state:
        return
    if op.kind == OpKind.CREATE_TABLE:
        names = [c.name for c in op.table_columns]
    elif op.kind == OpKind.RENAME_COLUMN:
        names = [op.new_name] if op.new_name else []
    else:
        names = [op.column] if op.column else []
    for name in names:
        if name in state[table]:
            seen[(table, name)] = path


def _replay(ctx: Analysis) -> Replay:
    """folder -> the column map its base-branch migrations leave."""
    from guardrail.analysis.migrations.changed import MIGRATIONS
    from guardrail.analysis.migrations.detect import detect, read

    if ctx.base_tree is None:
        return Replay({}, {})
    changed = ctx.get(MIGRATIONS)
    wanted = {
        m.file.path.rsplit("/", 1)[0]: m.kind.framework
        for m in changed
        if "/" in m.file.path
        and (
            m.kind.framework in FRAMEWORKS
            or (
                m.kind.framework in SQL_GUARDED
                and any(o.only_without is not None for o in m.reading.ops)
            )
        )
    }
    if not wanted:
        return Replay({}, {})
    own = {m.file.path for m in changed}
    by_folder: dict[str, list[str]] = {}
    for p in ctx.base_tree.paths():
        folder = p.rsplit("/", 1)[0] if "/" in p else ""
        if folder in wanted and p not in own:
            by_folder.setdefault(folder, []).append(p)
    out: dict[str, Columns] = {}
    origin: dict[str, dict[tuple[str, str], str]] = {}
    for folder in wanted:
        if wanted[folder] == "laravel" and folder not in by_folder:
            by_folder[folder] = []  # squashed: the schema dump alone may say it
    for folder, paths in by_folder.items():
        if len(paths) > MAX_FILES:
            continue
        texts = {p: t for p, t in ctx.base_tree.read_many(paths).items() if t is not None}
        if sum(len(t) for t in texts.values()) > MAX_CHARS:
            continue
        state: Columns = _laravel_dump(ctx, folder) if wanted[folder] == "laravel" else {}
        seen = origin.setdefault(folder, {})
        for path in _in_order(texts, wanted[folder]):
            kind = detect(path, texts[path])
            if kind is None or kind.framework != wanted[folder] or kind.role in _NOT_RUN:
                continue
            try:
                reading = read(kind, texts[path])
            except Exception:  # a file outside the PR: its columns become unknown (what the
                state = {}  # PR changes is still read and judged, as "may")
                continue
            for op in reading.ops:
                if op.only_without is not None and _has(state, op.only_without):
                    continue  # a guarded statement where its column exists: it does not run
                apply(state, op)
                _origin(state, op, path, seen)
        out[folder] = state
    return Replay(out, origin)


_NOT_RUN = frozenset({"down", "verify"})  # a SQL tool's down/undo and verify scripts


def _in_order(texts: dict[str, str], framework: str) -> list[str]:
    """The folder's files in the order the framework applies them: every DSL here names its
    files by timestamp; a SQL tool has its own order (Flyway's versions: V1_10 after V1_9)."""
    if framework not in SQL_GUARDED:
        return sorted(texts, key=lambda p: p.rsplit("/", 1)[-1])
    from guardrail.analysis.migrations.detect import detect
    from guardrail.analysis.migrations.order import order

    kinds = [k for p, t in texts.items() if (k := detect(p, t)) is not None]
    ordered = [k.path for k in order(kinds, texts)]
    return ordered + sorted(set(texts) - set(ordered))


def _laravel_dump(ctx: Analysis, folder: str) -> Columns:
    """Laravel's `php artisan schema:dump` (`database/schema/pgsql-schema.sql`, pg_dump's SQL,
    through the SQL reader): what the migrations it squashed left. Laravel loads it before the
    migrations still in the folder, so the replay starts from it."""
    from guardrail.analysis.migrations.sql import read_sql

    assert ctx.base_tree is not None
    if not folder.endswith("database/migrations"):
        return {}
    dump = folder[: -len("migrations")] + "schema/pgsql-schema.sql"
    if dump not in set(ctx.base_tree.paths()):
        return {}
    text = ctx.base_tree.read_many([dump]).get(dump)
    state: Columns = {}
    if text is None:  # absent, or over the 5 MB size cap (the engine's GR901)
        return state
    for op in read_sql(text).ops:
        # pg_dump qualifies every name; Laravel's own names are the search_path's (public).
        if op.table and op.table.startswith("public."):
            op = replace(op, table=op.table[len("public.") :])
        apply(state, op)
    return state


BASE_COLUMNS: Fact[Replay] = Fact("base_columns", _replay)


def column_before(
    ctx: Analysis, path: str, table: str, column: str, earlier: Iterable[Op] = ()
) -> ColumnDef | None:
    """The column as the base branch's migrations in `path`'s folder leave it, after the
    operations `earlier` in the file itself, when they say."""
    folder = path.rsplit("/", 1)[0] if "/" in path else ""
    base = ctx.get(BASE_COLUMNS).columns.get(folder, {})
    state: Columns = {table: dict(base[table])} if table in base else {}
    for op in earlier:
        if op.table == table or op.new_name == table or op.kind == OpKind.RAW:
            apply(state, op)
    return state.get(table, {}).get(column)


def made_by(ctx: Analysis, path: str, table: str, column: str) -> str | None:
    """The base-branch migration of `path`'s folder that last made or changed `table.column`."""
    folder = path.rsplit("/", 1)[0] if "/" in path else ""
    return ctx.get(BASE_COLUMNS).origin.get(folder, {}).get((table, column))
