"""Which changed files are database migrations, of which framework, and what they do.

`READERS` is the one table of migration readers: for each, the file convention it claims
(docs/migrations.md lists them), refined by a look at the content where a convention is shared
(a `.js` migration is Knex, Sequelize or TypeORM), and the function that reads it. Adding a
framework means a reader module, a row here, its tests and its docs section. An ordinary `.sql`
file — a report, a query — is not a migration unless it sits in a migrations folder or follows a
migration tool's naming.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from types import ModuleType
from typing import TYPE_CHECKING, cast

from guardrail.analysis.migrations.ops import Framework, Reading
from guardrail.analysis.paths import matches
from guardrail.text import code

if TYPE_CHECKING:
    from guardrail.analysis.migrations import django

_FLYWAY = re.compile(r"^(?:([VUB])\d[\w.]*|R)__\w[^/]*\.sql$", re.I)
_GOLANG = re.compile(r"^\d+_[^/]+\.(up|down)\.sql$")
_TS14 = re.compile(r"^\d{12,14}[_-]")
_DJANGO = re.compile(r"^\d{4}_\w+\.py$")
_EF = re.compile(r"^\d{14}_[^/]+\.cs$")  # `<14 digits>_<anything>.cs`, dashes included
_LARAVEL = re.compile(r"^\d{4}_\d{2}_\d{2}_\d{6}_\w+\.php$")
_DJANGO_CLASS = re.compile(r"^class \w+\(migrations\.Migration\):", re.M)
_ALEMBIC_IMPORT = re.compile(r"^\s*(?:from alembic import|import alembic)", re.M)
_JS_NAME = re.compile(r"^(?:\d{12,14}[_-]|\d{13}-)")
# Content that says "this .js/.ts file is a migration" when its name follows no convention
# (knex-migrator's `2.5.128.js`, hand-numbered `001-init.js`).
_JS_MIGRATION = re.compile(
    r"\bexports\.up\b|\bup\s*[:(=]|\bexport\s+(?:async\s+)?function\s+up\b|MigrationInterface"
)
_MIGRATION_DIRS = frozenset(
    {"migrations", "migration", "migrate", "post_migrate", "schema_migrations"}
)


@dataclass(frozen=True)
class MigrationFile:
    path: str
    framework: str
    role: str = "up"  # up | down | repeatable | baseline | verify


@dataclass(frozen=True)
class _Path:
    path: str
    name: str
    low: str  # the file name, lower case
    dirs: list[str]  # lower-case folders
    head: str  # the first 4,000 characters of the content ("" when not at hand)

    @property
    def in_mig_dir(self) -> bool:
        return any(d in _MIGRATION_DIRS for d in self.dirs)


Exists = Callable[[str], bool]


@dataclass(frozen=True)
class Reader:
    """One row of the table: a framework (or a family sharing a convention) and its reader."""

    frameworks: tuple[str, ...]
    convention: str  # the file convention, in Markdown: docs/migrations.md's table (markdown_table)
    claim: Callable[[_Path], MigrationFile | None]
    read: Callable[[MigrationFile, str, Exists | None], Reading]
    # What the checks may say about the framework: the SQL tools' rows here, the others' in
    # their reader module, imported when asked (a run imports only the readers it needs).
    facts: tuple[Framework | _Facts, ...] = ()


@dataclass(frozen=True)
class _Facts:
    """A framework's row of facts, held by its reader module (`<module>.<attr>`)."""

    name: str  # Framework.name (tests/test_framework_readers.py pins that they agree)
    module: str
    attr: str = "FRAMEWORK"

    def load(self) -> Framework:
        return cast(Framework, getattr(_reader(self.module), self.attr))


def _reader(module: str) -> ModuleType:
    """A reader module of this package, imported on first use: detecting a file by its path
    loads none of them. Through `__import__` (not importlib.import_module), so that
    `python -X importtime` (bench/startup.py, tests/test_fast_paths.py) sees it."""
    name = f"guardrail.analysis.migrations.{module}"
    __import__(name)
    return sys.modules[name]


# -- what each SQL-file tool calls its safe patterns (the statements themselves are SQL) ---------------

_SQL_BATCH = (
    "one short statement per primary-key range (`UPDATE … WHERE id >= $1 AND id < $2`), each "
    "committed on its own, outside this migration's transaction"
)
_ON_ITS_OWN = "a migration of its own that runs outside a transaction"


def _sql_tool(name: str, wraps: bool, no_transaction: str = _ON_ITS_OWN) -> Framework:
    return Framework(
        name=name,
        language="sql",
        wraps_transaction=wraps,
        no_transaction=no_transaction,
        concurrent_index=f"`CREATE INDEX CONCURRENTLY` in {no_transaction}",
        drop_index=f"`DROP INDEX CONCURRENTLY` in {no_transaction}",
        lock_timeout="`SET lock_timeout = '5s';` at the top of the file",
        batch=_SQL_BATCH,
        db_default="`DEFAULT …`",
        raw_sql="`{sql}`",
    )


_SQL_TOOLS = (
    _sql_tool("goose", True, "a file marked `-- +goose NO TRANSACTION`"),
    _sql_tool("dbmate", True, "a file marked `-- migrate:up transaction:false`"),
    _sql_tool(
        "flyway",
        True,
        "a migration of its own with `executeInTransaction=false` in its script configuration "
        "file (`V…__….sql.conf`)",
    ),
    _sql_tool(
        "liquibase",
        True,
        "a changeset with `runInTransaction: false` (`runInTransaction:false` on a formatted-SQL "
        "`--changeset` line)",
    ),
    _sql_tool(
        "sqitch",
        False,
        "a deploy script without `BEGIN;`/`COMMIT;` (sqitch runs the script as written)",
    ),
    _sql_tool(
        "golang-migrate",
        False,
        "a migration file holding only that statement (golang-migrate sends a file in one "
        "request, which PostgreSQL runs as one transaction)",
    ),
    _sql_tool("prisma", False),
    _sql_tool("sql", False),
)
# Read as SQL when the configuration's `include` names a file of no known framework.
_UNKNOWN = _sql_tool("unknown", False)


# -- claims (which files a reader takes) -------------------------------------------------------------


# goose's Go migrations register themselves: goose.AddMigration(up, down) and its variants
# (Context, NoTx, Named). The name gives the version, like a goose `.sql` file.
_GOOSE_GO = re.compile(r"\bgoose\.Add(?:Named)?Migration\w*\(")


def _claim_sql(p: _Path) -> MigrationFile | None:
    if p.low.endswith(".go"):
        found = _GOOSE_GO.search(p.head) and re.match(r"^\d+_\w+\.go$", p.name)
        return MigrationFile(p.path, "goose") if found else None
    if not p.low.endswith(".sql"):
        return None
    m = _FLYWAY.match(p.name)
    if m:
        prefix = (m.group(1) or "R").upper()
        role = {"V": "up", "U": "down", "B": "baseline", "R": "repeatable"}[prefix]
        return MigrationFile(p.path, "flyway", role)
    m = _GOLANG.match(p.name)
    if m:
        return MigrationFile(p.path, "golang-migrate", m.group(1))
    if p.low == "migration.sql" and len(p.dirs) >= 2 and p.dirs[-2] == "migrations":
        return MigrationFile(p.path, "prisma")
    if p.dirs and p.dirs[-1] in ("deploy", "revert", "verify") and not p.in_mig_dir:
        role = {"deploy": "up", "revert": "down", "verify": "verify"}[p.dirs[-1]]
        return MigrationFile(p.path, "sqitch", role)
    head = p.head.lower()
    if head.lstrip().startswith("--liquibase formatted sql"):
        return MigrationFile(p.path, "liquibase")
    if "-- +goose up" in head:
        return MigrationFile(p.path, "goose")
    if "-- migrate:up" in head:
        return MigrationFile(p.path, "dbmate")
    if p.in_mig_dir or any("changelog" in d for d in p.dirs):
        return MigrationFile(p.path, "sql")
    return None


def _claim_python(p: _Path) -> MigrationFile | None:
    if not p.low.endswith(".py"):
        return None
    if "versions" in p.dirs and any("alembic" in d or "migration" in d for d in p.dirs):
        return MigrationFile(p.path, "alembic")
    if "migrations" in p.dirs and _DJANGO.match(p.name):
        return MigrationFile(p.path, "django")
    if p.in_mig_dir and _DJANGO_CLASS.search(p.head) and p.low != "__init__.py":
        # Django's migration class in a migrations folder, whatever the file is named.
        return MigrationFile(p.path, "django")
    if _ALEMBIC_IMPORT.search(p.head) and "def upgrade" in p.head:
        # Alembic's script: its own imports and an upgrade(), whatever the folder is named.
        return MigrationFile(p.path, "alembic")
    return None


def _claim_rails(p: _Path) -> MigrationFile | None:
    in_migrate = "migrate" in p.dirs or "post_migrate" in p.dirs
    if p.low.endswith(".rb") and in_migrate and _TS14.match(p.name):
        return MigrationFile(p.path, "rails")
    return None


def _claim_laravel(p: _Path) -> MigrationFile | None:
    conventional = _LARAVEL.match(p.name) is not None or "database" in p.dirs
    if p.low.endswith(".php") and "migrations" in p.dirs and conventional:
        return MigrationFile(p.path, "laravel")
    return None


def _claim_js(p: _Path) -> MigrationFile | None:
    if not p.low.endswith((".js", ".ts", ".mjs", ".cjs")) or p.low.endswith(".d.ts"):
        return None
    if not p.in_mig_dir:
        return None
    if not (_JS_NAME.match(p.name) or _JS_MIGRATION.search(p.head)):
        return None
    if "queryInterface" in p.head or "sequelize" in p.head.lower():
        fw = "sequelize"
    elif "MigrationInterface" in p.head or "queryRunner" in p.head:
        fw = "typeorm"
    else:
        fw = "knex"
    return MigrationFile(p.path, fw)


# Ecto.Migrator runs `<integer>_<name>.exs` only (ecto_sql 5e45b435, lib/ecto/migrator.ex
# extract_migration_info: `Integer.parse` of the name must leave `_…`; Path.wildcard skips dot
# files): Phoenix's `priv/repo/migrations/.formatter.exs` and helper scripts never run.
_ECTO_NAME = re.compile(r"[+-]?\d+_")


def _claim_ecto(p: _Path) -> MigrationFile | None:
    in_folder = "migrations" in p.dirs and "priv" in p.dirs
    if p.low.endswith(".exs") and in_folder and _ECTO_NAME.match(p.name):
        return MigrationFile(p.path, "ecto")
    return None


def _claim_efcore(p: _Path) -> MigrationFile | None:
    if not p.low.endswith(".cs") or p.low.endswith(".designer.cs"):
        return None
    if "migrations" in p.dirs and _EF.match(p.name):
        return MigrationFile(p.path, "efcore")
    return None


def _claim_liquibase(p: _Path) -> MigrationFile | None:
    if p.low.endswith((".xml", ".yaml", ".yml", ".json")) and (
        p.low.startswith("db.changelog") or any("changelog" in d for d in p.dirs)
    ):
        return MigrationFile(p.path, "liquibase")
    return None


# -- reads ---------------------------------------------------------------------------------------------


def _read_python(
    mf: MigrationFile, text: str, exists: Exists | None, app: django.App | None = None
) -> Reading:
    try:
        if mf.framework == "django":
            django_ = _reader("django")
            return cast(Reading, django_.read(text, app or django_.app_of(mf.path)))
        return cast(Reading, _reader("alembic").read(text))
    except SyntaxError as exc:
        return Reading(mf.framework, (), None, "", (f"not valid Python (line {exc.lineno})",))


def _section(text: str, start_marker: str, end_marker: str) -> tuple[str, int, str]:
    """(up part, its line offset, down part) of a goose/dbmate file."""
    lines = text.splitlines()
    up: list[str] = []
    down: list[str] = []
    where = ""
    offset = 0
    for i, ln in enumerate(lines):
        s = ln.strip().lower()
        if s.startswith(start_marker):
            where = "up"
            offset = i + 1
            continue
        if s.startswith(end_marker):
            where = "down"
            continue
        if where == "up":
            up.append(ln)
        elif where == "down":
            down.append(ln)
    return "\n".join(up), offset, "\n".join(down)


def _has_sql(text: str) -> bool:
    for ln in text.splitlines():
        s = ln.strip()
        if s and not s.startswith("--"):
            return True
    return False


# SQL files with up and down sections: (up marker, down marker, no-transaction marker, what a
# missing down section is called).
_SECTIONED = {
    "goose": (
        "-- +goose up",
        "-- +goose down",
        "-- +goose no transaction",
        "there is no `-- +goose Down` section",
    ),
    "dbmate": (
        "-- migrate:up",
        "-- migrate:down",
        "transaction:false",
        "the `-- migrate:down` section is empty",
    ),
}


def reverse_file(mf: MigrationFile) -> str | None:
    """The sibling file that undoes this migration, for frameworks that keep it apart."""
    if mf.framework == "golang-migrate" and mf.path.endswith(".up.sql"):
        return mf.path[: -len(".up.sql")] + ".down.sql"
    if mf.framework == "sqitch" and mf.role == "up":
        if "/deploy/" in mf.path:
            return mf.path.replace("/deploy/", "/revert/")
        return "revert/" + mf.path.split("deploy/", 1)[-1]
    return None


def _read_sql_file(mf: MigrationFile, text: str, exists: Exists | None) -> Reading:
    from guardrail.analysis.migrations.sql import read_sql

    fw = mf.framework
    if fw == "liquibase":
        return cast(Reading, _reader("liquibase").read(text, mf.path))
    if mf.path.lower().endswith(".go"):
        # The literal SQL its Up function executes; other Go code is said (GR290), not judged.
        from guardrail.analysis.migrations import goose_go

        return goose_go.read(text)
    if fw in _SECTIONED:
        up_marker, down_marker, no_tx, missing = _SECTIONED[fw]
        up, offset, down = _section(text, up_marker, down_marker)
        tx = no_tx not in text.lower()
        sub = read_sql(up, line_offset=offset, in_transaction=tx)
        ok = _has_sql(down)
        return Reading(fw, tuple(sub.ops), ok, "" if ok else missing, tuple(sub.notes), tx)
    # Plain SQL files: Flyway, golang-migrate, Prisma, sqitch, plain folders.
    if mf.role in ("down", "verify"):
        return Reading(fw, (), None)
    sub = read_sql(text)
    reversible: bool | None = None
    why = ""
    undo = reverse_file(mf)
    if fw == "golang-migrate" and exists is not None and undo is not None:
        reversible = exists(undo)
        why = "" if reversible else f"there is no {code(undo.rsplit('/', 1)[-1])}"
    elif fw == "sqitch" and exists is not None and undo is not None:
        reversible = exists(undo)
        why = "" if reversible else f"there is no {code(undo)}"
    return Reading(fw, tuple(sub.ops), reversible, why, tuple(sub.notes), False)


def _read_js(mf: MigrationFile, text: str, exists: Exists | None) -> Reading:
    typescript = mf.path.lower().endswith(".ts")
    return cast(Reading, _reader("js").read(text, mf.framework, typescript=typescript))


READERS: tuple[Reader, ...] = (
    Reader(
        ("flyway", "golang-migrate", "prisma", "sqitch", "liquibase", "goose", "dbmate", "sql"),
        "`.sql`: Flyway `V1__x.sql`, golang-migrate `1_x.up.sql`, Prisma `migrations/*/"
        "migration.sql`, sqitch `deploy/`, goose/dbmate/Liquibase by their header, any `.sql` in "
        "a migrations or changelog folder; goose `<version>_x.go` registering itself with "
        "`goose.AddMigration…` (the literal SQL its Up function executes is read; other Go code "
        "is reported, not judged)",
        _claim_sql,
        _read_sql_file,
        _SQL_TOOLS,
    ),
    Reader(
        ("django", "alembic"),
        "Django `<app>/migrations/0001_x.py`; Alembic `versions/*.py` under a folder named for "
        "migrations or alembic, or any script importing alembic with an `upgrade()`",
        _claim_python,
        _read_python,
        (_Facts("django", "django"), _Facts("alembic", "alembic")),
    ),
    Reader(
        ("rails",),
        "`db/migrate/20240101120000_x.rb` (also `post_migrate/`)",
        _claim_rails,
        lambda mf, text, exists: _reader("rails").read(text),
        (_Facts("rails", "rails"),),
    ),
    Reader(
        ("laravel",),
        "`database/migrations/2024_01_01_120000_x.php`",
        _claim_laravel,
        lambda mf, text, exists: _reader("laravel").read(text),
        (_Facts("laravel", "laravel"),),
    ),
    Reader(
        ("knex", "sequelize", "typeorm"),
        "`.js`/`.ts` in a migrations folder named by a timestamp, or any name when the content "
        "exports `up`; Sequelize by `queryInterface`, TypeORM by `MigrationInterface`/"
        "`queryRunner`, else knex",
        _claim_js,
        _read_js,
        (
            _Facts("knex", "js", "KNEX"),
            _Facts("sequelize", "js", "SEQUELIZE"),
            _Facts("typeorm", "js", "TYPEORM"),
        ),
    ),
    Reader(
        ("ecto",),
        "`priv/repo/migrations/<integer>_x.exs` (what `Ecto.Migrator` runs)",
        _claim_ecto,
        lambda mf, text, exists: _reader("ecto").read(text),
        (_Facts("ecto", "ecto"),),
    ),
    Reader(
        ("efcore",),
        "`Migrations/<14 digits>_<anything>.cs` (not `.Designer.cs`)",
        _claim_efcore,
        lambda mf, text, exists: _reader("efcore").read(text),
        (_Facts("efcore", "efcore"),),
    ),
    Reader(
        ("liquibase",),
        "`db.changelog*.xml|yaml|yml|json`, or those files in a `changelog` folder",
        _claim_liquibase,
        _read_sql_file,
        tuple(f for f in _SQL_TOOLS if f.name == "liquibase"),
    ),
)


def markdown_table() -> str:
    """docs/migrations.md's table of the readers, one row per entry of `READERS` with the file
    convention it claims (scripts/readers_table.py writes it into the page;
    tests/test_framework_readers.py fails when the page and the table differ)."""
    rows = ["| frameworks | the files it reads |", "|---|---|"]
    for r in READERS:
        convention = r.convention.replace("|", "\\|")  # a pipe ends a table cell
        rows.append(f"| {', '.join(r.frameworks)} | {convention} |")
    return "\n".join(rows) + "\n"


_BY_FRAMEWORK = {fw: r for r in READERS for fw in r.frameworks}
_FACTS = {f.name: f for r in READERS for f in r.facts}


@lru_cache(maxsize=256)
def framework(name: str) -> Framework:
    """The framework's own way to apply each safe pattern: the one source of the advice the
    migration-safety findings give (a framework not in the table gets plain SQL's words)."""
    found = _FACTS.get(name)
    if found is None:
        return _UNKNOWN
    return found.load() if isinstance(found, _Facts) else found


def detect(
    path: str,
    text: str | None = None,
    *,
    include: tuple[str, ...] = (),
    exclude: tuple[str, ...] = (),
) -> MigrationFile | None:
    if text is None:  # by the path alone: asked by several checks for each file, answered once
        return _detect_path(path, include, exclude)
    return _detect(path, text, include, exclude)


@lru_cache(maxsize=65536)
def _detect_path(
    path: str, include: tuple[str, ...], exclude: tuple[str, ...]
) -> MigrationFile | None:
    return _detect(path, None, include, exclude)


def _detect(
    path: str, text: str | None, include: tuple[str, ...], exclude: tuple[str, ...]
) -> MigrationFile | None:
    if exclude and matches(path, exclude):
        return None
    parts = path.split("/")
    name = parts[-1]
    p = _Path(path, name, name.lower(), [d.lower() for d in parts[:-1]], (text or "")[:4000])
    for reader in READERS:
        found = reader.claim(p)
        if found is not None:
            return found
    if include and matches(path, include):
        return MigrationFile(path, "sql" if p.low.endswith(".sql") else "unknown")
    return None


def read(
    mf: MigrationFile, text: str, exists: Exists | None = None, app: django.App | None = None
) -> Reading:
    """What the migration does. `exists(path)` answers whether a sibling file is in the head;
    `app` names a Django migration's tables (default: labelled by the app's folder).

    A reader that raises (a bug, or a file nested beyond what can be walked) is caught by the
    caller (analysis/isolate.py) and becomes a GR901 finding for that file. No length cap here:
    every text comes through engine._size_capped, at most MAX_FILE_BYTES characters
    (tests/test_size_cap.py), and every reader is linear in it (tests/test_growth.py)."""
    if mf.framework == "django":
        return _read_python(mf, text, exists, app)
    reader = _BY_FRAMEWORK.get(mf.framework)
    if reader is None:  # configured `include` paths of no known framework: read as SQL
        reader = READERS[0]
    return reader.read(mf, text, exists)
