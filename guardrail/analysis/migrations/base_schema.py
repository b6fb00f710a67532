"""Column types as the base branch's migrations leave them, for the static rules that need a
column's type before the PR (GR216/GR227: a varchar widening is catalog-only, `int` -> `bigint`
rewrites the table) when the PR's own file does not say it.

Rails: the schema dump the base branch keeps, `db/schema.rb` (analysis/migrations/rails_schema.py)
or `db/structure.sql`, next to the PR's `db/migrate/`.

The base tree's SQL migrations in the folders of the PR's migrations are replayed, in each
tool's order (analysis/migrations/order.py, the order `--trace` runs them in too), through the same SQL reader the
rules use: CREATE TABLE, ADD COLUMN and ALTER COLUMN TYPE set a column's type. No server is
involved: these are the parsed operations. Computed only when a PR migration changes a column
type whose old type its own file does not give (a Fact asked for lazily), from one batched read.
"""

from __future__ import annotations

from guardrail.analysis.core import Analysis, Fact
from guardrail.analysis.migrations.detect import detect
from guardrail.analysis.migrations.sql import column_key, read_sql

# More files than this in the migration folders: not replayed (a statement's old type stays
# unknown, as before), so a huge history never slows a run down.
# A file over the 5 MB cap (guardrail/limits.py) reads as absent here and is reported once
# as GR901 by the engine; MAX_CHARS bounds what many files under the cap add up to.
MAX_FILES = 3000
MAX_CHARS = 20_000_000


def _schema_dump_types(ctx: Analysis, roots: set[str]) -> dict[str, str]:
    """Rails keeps the schema every earlier migration left in `db/schema.rb` (or, with
    `config.active_record.schema_format = :sql`, `db/structure.sql`, pg_dump's SQL): the column
    types at the base branch's tip, read from that one file instead of replaying migrations."""
    assert ctx.base_tree is not None
    present = set(ctx.base_tree.paths())
    wanted = [
        f"{root}db/{name}"
        for root in sorted(roots)
        for name in ("schema.rb", "structure.sql")
        if f"{root}db/{name}" in present
    ]
    if not wanted:
        return {}
    types: dict[str, str] = {}
    for path, dump in ctx.base_tree.read_many(wanted).items():
        if dump is None:  # absent, or over the size cap (GR901)
            continue
        if path.endswith(".rb"):
            from guardrail.analysis.migrations.rails_schema import column_types

            types.update(column_types(dump))
        else:
            types.update(read_sql(dump).column_types)
    return types


def _rails_roots(paths: list[str]) -> set[str]:
    """`app/db/migrate/2024…_x.rb` -> `app/` (the folder that holds `db/`)."""
    roots: set[str] = set()
    for path in paths:
        for marker in ("db/migrate/", "db/post_migrate/"):
            at = path.find(marker)
            if at == 0 or (at > 0 and path[at - 1] == "/"):
                roots.add(path[:at])
    return roots


def _column_types(ctx: Analysis) -> dict[str, str]:
    from guardrail.analysis.migrations.changed import MIGRATIONS
    from guardrail.analysis.migrations.order import SQL_FRAMEWORKS, order, runnable_sql

    if ctx.base_tree is None:
        return {}
    changed = ctx.get(MIGRATIONS)
    rails = _rails_roots([m.file.path for m in changed if m.kind.framework == "rails"])
    if rails:
        return _schema_dump_types(ctx, rails)
    folders = {
        m.file.path.rsplit("/", 1)[0]
        for m in changed
        if m.kind.framework in SQL_FRAMEWORKS and "/" in m.file.path
    }
    own = {m.file.path for m in changed}
    paths = [
        p
        for p in ctx.base_tree.paths()
        # .go: goose migrations written in Go, next to its .sql ones (detect() tells which).
        if p.lower().endswith((".sql", ".go")) and p.rsplit("/", 1)[0] in folders and p not in own
    ]
    if not paths or len(paths) > MAX_FILES:
        return {}
    texts = {p: t for p, t in ctx.base_tree.read_many(paths).items() if t is not None}
    if sum(len(t) for t in texts.values()) > MAX_CHARS:
        return {}
    kinds = []
    for path, text in texts.items():
        kind = detect(path, text)
        if kind is not None and kind.role not in ("down", "verify"):
            kinds.append(kind)
    types: dict[str, str] = {}
    for mf in order(kinds, texts):
        sql = runnable_sql(mf, texts[mf.path])
        if sql is None:
            continue
        types = read_sql(sql, known_types=types).column_types
    return types


BASE_COLUMN_TYPES: Fact[dict[str, str]] = Fact("base_column_types", _column_types)


def old_type(ctx: Analysis, table: str, column: str) -> str | None:
    """The column's type at the base branch's tip, when its SQL migrations say it."""
    return ctx.get(BASE_COLUMN_TYPES).get(column_key(table, column))
