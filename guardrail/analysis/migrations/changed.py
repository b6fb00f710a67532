"""The pull request's migrations, read once per run: each changed file a migration reader
claims, read at the head and (for a file the PR edits) at the base commit, with the operations
the PR adds or changes, and the database it runs on. Facts of the Analysis (core.py), shared
by every check that asks; the files they read are declared here with `@wants`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from guardrail.analysis.core import Analysis, Fact
from guardrail.analysis.diff import parse_patch
from guardrail.analysis.encoding import undecodable
from guardrail.analysis.migrations.compare import Edit, compare
from guardrail.analysis.migrations.detect import MigrationFile, detect, read, reverse_file
from guardrail.analysis.migrations.dialect import (
    POSTGRES,
    Target,
    settings_files,
    target,
    typeorm_config_file,
)
from guardrail.analysis.migrations.ops import Op, OpKind, Reading
from guardrail.analysis.reads import discovers, wants
from guardrail.config import Config
from guardrail.model import ChangedFile

if TYPE_CHECKING:  # the Django reader is imported only when a Django migration is read
    from guardrail.analysis.migrations.django import App, Models

_SNIFFED = (".sql", ".py", ".js", ".ts", ".mjs", ".cjs", ".go")


@dataclass(frozen=True)
class Migration:
    file: ChangedFile
    kind: MigrationFile
    reading: Reading  # the whole file at the head commit
    # The same file at the base commit, when it was already there (it has run in production).
    base: Reading | None = None
    # What the PR changes in it: every operation of a new file, only the new or changed ones of
    # a file edited by the PR (compare.py). The checks judge these.
    ops: tuple[Op, ...] = ()
    edit: Edit = Edit.ADDED
    # The database it runs on, and how guardrail knows (dialect.py).
    target: Target = Target(POSTGRES, "")
    # A cosmetic edit of arguments of a project's own field class that may reach the database.
    unsure: tuple[str, ...] = ()

    @property
    def cosmetic(self) -> bool:
        """An edit of a shipped migration that changes none of its operations (or only their
        `IF [NOT] EXISTS` guards, which do the same where it has run and on a fresh database)."""
        return self.edit in (Edit.COSMETIC, Edit.GUARDS)


def _table_key(table: str | None) -> str:
    return (table or "").lower().replace('"', "").rsplit(".", 1)[-1]


def _new_tables_across(found: list[Migration]) -> list[Migration]:
    """Tables created by the PR (not merely named in CREATE TABLE IF NOT EXISTS) have no rows:
    what other migrations of the same PR do to them locks or rewrites nothing that exists.
    A table the PR also drops is left alone (its old rows are what the drop destroys)."""
    created: set[str] = set()
    dropped: set[str] = set()
    for m in found:
        for op in m.ops:
            if op.kind == OpKind.CREATE_TABLE and op.table and not op.if_not_exists:
                created.add(_table_key(op.table))
            elif op.kind in (OpKind.DROP_TABLE, OpKind.RENAME_TABLE) and op.table:
                dropped.add(_table_key(op.table))
    fresh = created - dropped
    if not fresh:
        return found
    keep = (OpKind.CREATE_TABLE, OpKind.DROP_TABLE)

    def mark(op: Op) -> Op:
        if op.new_table or op.kind in keep or _table_key(op.table) not in fresh:
            return op
        return replace(op, new_table=True)

    return [replace(m, ops=tuple(mark(op) for op in m.ops)) for m in found]


@wants
def _migration_reads(f: ChangedFile, config: Config) -> Iterator[tuple[str, str]]:
    """What reading one migration asks for: its head (unless the patch holds it all), its base
    version when it existed before, the file that undoes it, and a Django app's models."""
    kind = detect(f.path, include=config.migration_include, exclude=config.migration_exclude)
    if kind is None:
        return
    if f.status != "added" or f.patch is None:
        yield ("head", f.path)
    if f.status != "added":
        yield ("base", f.previous_path or f.path)
    undo = reverse_file(kind)
    if undo is not None:
        yield ("head", undo)
    if kind.framework == "django" and "/migrations/" in f.path:
        # The app's models as Models reads them (the modules a models/ package imports are
        # only known once its __init__ is read, and are fetched then).
        app = f.path.rsplit("/migrations/", 1)[0]
        yield ("base", f"{app}/models.py")
        yield ("base", f"{app}/models/__init__.py")
        yield ("head", f"{app}/apps.py")  # AppConfig.label names the app's tables


@wants
def _dialect_reads(f: ChangedFile, config: Config) -> Iterator[tuple[str, str]]:
    """The framework's files that may name a migration's database (knexfile, alembic.ini, …)."""
    kind = detect(f.path, include=config.migration_include, exclude=config.migration_exclude)
    if kind is not None and config.migration_setting("database", f.path) is None:
        for name in settings_files(f.path, kind.framework):
            yield ("head", name)


def _django_settings_file(path: str) -> bool:
    return path.endswith(".py") and "settings" in path


@discovers
def _django_settings(side: str, path: str) -> bool:
    """Django settings files, found in the head tree's listing (DATABASES ENGINE)."""
    return side == "head" and _django_settings_file(path)


def _ef_project_file(path: str) -> bool:
    return path.endswith((".csproj", "/Program.cs", "/Startup.cs", "Context.cs")) or path in (
        "Program.cs",
        "Startup.cs",
    )


@discovers
def _ef_project(side: str, path: str) -> bool:
    """An EF Core project's .csproj, Program.cs, Startup.cs and DbContext, found in the head
    tree's listing (the provider that decides the database)."""
    return side == "head" and _ef_project_file(path)


@discovers
def _typeorm_data_source(side: str, path: str) -> bool:
    """A TypeORM project's data-source files (`data-source.ts`, `ormconfig.json`, …), found in
    the head tree's listing (their `type` names the database)."""
    return side == "head" and typeorm_config_file(path)


@discovers
def _model_modules(side: str, path: str) -> bool:
    """The modules a Django `models/` package imports, found in its `__init__`."""
    return side == "base" and "/models/" in f"/{path}" and path.endswith(".py")


def _base_reading(ctx: Analysis, f: ChangedFile, kind: MigrationFile) -> Reading | None:
    """The migration as it was at the base commit, for a file the PR edits."""
    if f.status == "added" or ctx.read is None:
        return None
    path = f.previous_path or f.path
    text = ctx.read("base", path)
    if text is None:
        return None
    return read(replace(kind, path=path), text, app=django_app(ctx, kind))


def text_of(ctx: Analysis, f: ChangedFile) -> str | None:
    """The head text: rebuilt from the patch of an added file (no request), else read."""
    if f.status == "added" and f.patch is not None:
        lines = parse_patch(f.patch).added
        if lines and lines[-1].number == len(lines):
            return "\n".join(ln.text for ln in lines) + "\n"
    if ctx.read is not None:
        return ctx.read("head", f.path)
    if f.patch is not None:
        # Only the patch: keep added lines at their line numbers so findings point right.
        out: list[str] = []
        for ln in parse_patch(f.patch).added:
            while len(out) < ln.number - 1:
                out.append("")
            out.append(ln.text)
        return "\n".join(out) + "\n"
    return None


def migrations(ctx: Analysis) -> list[Migration]:
    return ctx.get(MIGRATIONS)


def _read_migrations(ctx: Analysis) -> list[Migration]:
    changed = {f.path for f in ctx.pr.files if f.status != "removed"}

    def exists(path: str) -> bool:
        if path in changed:
            return True
        return ctx.read is not None and ctx.read("head", path) is not None

    found: list[Migration] = []
    for f in ctx.pr.files:
        if f.status == "removed":
            continue
        # Git calls a UTF-16 file binary (its NUL bytes); a migration is still read, decoded.
        if (
            f.binary
            and detect(
                f.path, include=ctx.config.migration_include, exclude=ctx.config.migration_exclude
            )
            is None
        ):
            continue
        migration = ctx.problems.attempt(f.path, "migration", _migration, ctx, f, exists)
        if migration is not None:
            found.append(migration)
    found = _new_tables_across(found)
    return found


def _migration(ctx: Analysis, f: ChangedFile, exists: Callable[[str], bool]) -> Migration | None:
    """One changed file as a migration, or None when it is not one."""
    config_include, config_exclude = ctx.config.migration_include, ctx.config.migration_exclude
    kind = detect(f.path, include=config_include, exclude=config_exclude)
    text: str | None = None
    free = f.status == "added" and f.patch is not None
    if (kind is not None or free) and f.path.lower().endswith(_SNIFFED):
        # goose, dbmate, Liquibase formatted SQL and Alembic are known by their content:
        # look when the text is at hand (a new file) or the path already says "migration".
        text = text_of(ctx, f)
        kind = detect(f.path, text or "", include=config_include, exclude=config_exclude) or kind
    if kind is None:
        return None
    if text is None:
        text = text_of(ctx, f)
    if text is not None and undecodable(text):
        # Not text in any encoding guardrail reads: said as GR901, never judged as garbage.
        ctx.problems.add(f.path, "migration", "not text in UTF-8, UTF-16, UTF-32 or Windows-1252")
        return None
    if text is None:
        # Listed as changed, but no content came (a fetch that failed, a file over the size
        # cap): GR901 at error, never judged as an empty file ("gone: …", "read in full").
        ctx.problems.add(f.path, "migration", "its content could not be fetched", not_fetched=True)
        return None
    reading = read(kind, text, exists, app=django_app(ctx, kind))
    base = _base_reading(ctx, f, kind)
    changes = compare(base, reading)
    where = _target(ctx, f.path, text or "", kind.framework)
    return Migration(f, kind, reading, base, changes.new, changes.edit, where, changes.unsure)


def _target(ctx: Analysis, path: str, text: str, framework: str) -> Target:
    """The database a migration runs on; the project files it looks at are read once."""
    files = ctx.get(PROJECT_FILES)
    reader = ctx.read

    def read(p: str) -> str | None:
        if p not in files:
            files[p] = reader("head", p) if reader is not None else None
        got = files[p]
        return got if isinstance(got, str) else None

    configured = ctx.config.migration_setting("database", path)
    return target(
        path,
        text,
        framework,
        configured=configured if isinstance(configured, str) else None,
        read=read,
        listing=_settings_listing(ctx, framework),
    )


# The checkout's files that may name a framework's database, by framework.
_SETTINGS_FILES: dict[str, Callable[[str], bool]] = {
    "django": _django_settings_file,
    "efcore": _ef_project_file,
    "typeorm": typeorm_config_file,
}


def _settings_listing(ctx: Analysis, framework: str) -> list[str]:
    """The checkout's files that may name the framework's database, listed once per run: each
    migration filtered the whole tree again (300 Django migrations over a 10,000-file checkout
    were 3 million path tests)."""
    wanted = _SETTINGS_FILES.get(framework)
    if wanted is None or ctx.tree is None:
        return []
    listings = ctx.get(SETTINGS_LISTINGS)
    if framework not in listings:
        listings[framework] = [p for p in ctx.tree() if wanted(p)]
    return listings[framework]


def django_app(ctx: Analysis, kind: MigrationFile) -> App | None:
    """How a Django migration's models map to tables: the app's label (its `AppConfig.label`
    in `apps.py`, else its folder) and the `db_table` its models declare at the base commit.
    None for other frameworks (the reader labels by folder when it has nothing else)."""
    if kind.framework != "django" or "/migrations/" not in kind.path:
        return None
    from guardrail.analysis.migrations.django import App, app_config_label, app_of

    app_dir = kind.path.rsplit("/migrations/", 1)[0]
    apps = ctx.get(DJANGO_APPS)
    if app_dir not in apps:
        label = app_of(kind.path).label
        if ctx.read is not None:
            label = app_config_label(ctx.read("head", f"{app_dir}/apps.py")) or label
        models = django_models(ctx)
        tables = models.db_tables(app_dir) if models is not None else {}
        apps[app_dir] = App(label, tables)
    return apps[app_dir]


def django_models(ctx: Analysis) -> Models | None:
    """The base commit's Django models, parsed once per run (models.py or a models/ package)."""
    return ctx.get(DJANGO_MODELS)


def _read_models(ctx: Analysis) -> Models | None:
    if ctx.read is None:
        return None
    from guardrail.analysis.migrations.django import Models

    read = ctx.read
    listing = ctx.tree() if ctx.tree is not None else ()
    return Models(lambda path: read("base", path), listing)


@dataclass(frozen=True)
class Fills:
    """What the PR's migrations do for rows already stored, indexed once per run."""

    # (table or model, columns it sets or () when the reader cannot tell, migration path)
    backfilled: list[tuple[str, tuple[str, ...], str]]
    defaults: dict[tuple[str, str], str]  # (table, column) -> migration path
    # Data code that names no model (a function from another module, no `apps.get_model`): it
    # may fill anything or nothing, so it lowers no finding; GR301 names it in its detail.
    data_migration: str | None


def migration_fills(ctx: Analysis) -> Fills:
    return ctx.get(FILLS)


def _read_fills(ctx: Analysis) -> Fills:
    backfilled: list[tuple[str, tuple[str, ...], str]] = []
    defaults: dict[tuple[str, str], str] = {}
    data_migration: str | None = None
    for m in migrations(ctx):
        for op in m.ops:
            table = (op.table or "").lower().rsplit(".", 1)[-1]
            if op.kind == OpKind.BACKFILL and (table or op.name):
                backfilled.append((table or str(op.name), op.columns, m.file.path))
            elif op.kind == OpKind.DATA_MIGRATION and table:
                # RunPython through `apps.get_model(...)`: that model, the fields it writes.
                backfilled.append((table, op.columns, m.file.path))
            elif op.kind == OpKind.DATA_MIGRATION:
                data_migration = data_migration or m.file.path
            elif op.column and (op.has_default or op.orm_default or op.kind == OpKind.SET_DEFAULT):
                defaults.setdefault((table, op.column), m.file.path)
    fills = Fills(backfilled, defaults, data_migration)
    return fills


# Derived once per run, shared by every check that asks (guardrail/analysis/core.py).
MIGRATIONS: Fact[list[Migration]] = Fact("migrations", _read_migrations)
DJANGO_MODELS: Fact[Models | None] = Fact("django_models", _read_models)
# Project files read to know a migration's database (knexfile, alembic.ini, …), once each.
PROJECT_FILES: Fact[dict[str, str | None]] = Fact("migration_project_files", lambda _a: {})
FILLS: Fact[Fills] = Fact("fills", _read_fills)
# The checkout's settings files per framework (_settings_listing), filtered once per run.
SETTINGS_LISTINGS: Fact[dict[str, list[str]]] = Fact("migration_settings_listings", lambda _a: {})
DJANGO_APPS: Fact[dict[str, App]] = Fact("django_apps", lambda _a: {})
