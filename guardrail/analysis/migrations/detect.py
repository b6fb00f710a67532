"""Which changed files are database migrations, of which framework, and what they do.

Detection is by path convention (docs/migrations.md lists them), refined by a look at the
content where a convention is shared (a `.js` migration is Knex, Sequelize or TypeORM). An
ordinary `.sql` file — a report, a query — is not a migration unless it sits in a migrations
folder or follows a migration tool's naming.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from guardrail.analysis.migrations import alembic, django, dsl
from guardrail.analysis.migrations.ops import Reading
from guardrail.analysis.migrations.sql import read_sql
from guardrail.analysis.paths import matches
from guardrail.text import code

MAX_MIGRATION_CHARS = 2_000_000

_FLYWAY = re.compile(r"^(?:([VUB])\d[\w.]*|R)__\w[^/]*\.sql$", re.I)
_GOLANG = re.compile(r"^\d+_[^/]+\.(up|down)\.sql$")
_TS14 = re.compile(r"^\d{12,14}[_-]")
_DJANGO = re.compile(r"^\d{4}_\w+\.py$")
_EF = re.compile(r"^\d{14}_\w+\.cs$")
_LARAVEL = re.compile(r"^\d{4}_\d{2}_\d{2}_\d{6}_\w+\.php$")
_ALEMBIC_IMPORT = re.compile(r"^\s*(?:from alembic import|import alembic)", re.M)
_MIGRATION_DIRS = frozenset(
    {"migrations", "migration", "migrate", "post_migrate", "schema_migrations"}
)


@dataclass(frozen=True)
class MigrationFile:
    path: str
    framework: str
    role: str = "up"  # up | down | repeatable | baseline | verify


def detect(
    path: str,
    text: str | None = None,
    *,
    include: tuple[str, ...] = (),
    exclude: tuple[str, ...] = (),
) -> MigrationFile | None:
    if exclude and matches(path, exclude):
        return None
    parts = path.split("/")
    name = parts[-1]
    dirs = [p.lower() for p in parts[:-1]]
    low = name.lower()
    in_mig_dir = any(d in _MIGRATION_DIRS for d in dirs)
    head = (text or "")[:4000]
    if low.endswith(".sql"):
        m = _FLYWAY.match(name)
        if m:
            prefix = (m.group(1) or "R").upper()
            role = {"V": "up", "U": "down", "B": "baseline", "R": "repeatable"}[prefix]
            return MigrationFile(path, "flyway", role)
        m = _GOLANG.match(name)
        if m:
            return MigrationFile(path, "golang-migrate", m.group(1))
        if low == "migration.sql" and len(dirs) >= 2 and dirs[-2] == "migrations":
            return MigrationFile(path, "prisma")
        if dirs and dirs[-1] in ("deploy", "revert", "verify") and not in_mig_dir:
            role = {"deploy": "up", "revert": "down", "verify": "verify"}[dirs[-1]]
            return MigrationFile(path, "sqitch", role)
        if head.lstrip().lower().startswith("--liquibase formatted sql"):
            return MigrationFile(path, "liquibase")
        if "-- +goose up" in head.lower():
            return MigrationFile(path, "goose")
        if "-- migrate:up" in head.lower():
            return MigrationFile(path, "dbmate")
        if in_mig_dir or any("changelog" in d for d in dirs):
            return MigrationFile(path, "sql")
    elif low.endswith(".py"):
        if "versions" in dirs and any("alembic" in d or "migration" in d for d in dirs):
            return MigrationFile(path, "alembic")
        if "migrations" in dirs and _DJANGO.match(name):
            return MigrationFile(path, "django")
        if _ALEMBIC_IMPORT.search(head) and "def upgrade" in head:
            # Alembic's script: its own imports and an upgrade(), whatever the folder is named.
            return MigrationFile(path, "alembic")
    elif low.endswith(".rb"):
        if ("migrate" in dirs or "post_migrate" in dirs) and _TS14.match(name):
            return MigrationFile(path, "rails")
    elif low.endswith(".php"):
        if "migrations" in dirs and (_LARAVEL.match(name) or "database" in dirs):
            return MigrationFile(path, "laravel")
    elif low.endswith((".js", ".ts", ".mjs", ".cjs")) and not low.endswith(".d.ts"):
        if in_mig_dir and (_TS14.match(name) or re.match(r"^\d{13}-", name)):
            if "queryInterface" in head:
                fw = "sequelize"
            elif "MigrationInterface" in head or "queryRunner" in head:
                fw = "typeorm"
            else:
                fw = "knex"
            return MigrationFile(path, fw)
    elif low.endswith(".exs"):
        if "migrations" in dirs and "priv" in dirs:
            return MigrationFile(path, "ecto")
    elif low.endswith(".cs"):
        if "migrations" in dirs and _EF.match(name) and not low.endswith(".designer.cs"):
            return MigrationFile(path, "efcore")
    elif low.endswith((".xml", ".yaml", ".yml", ".json")) and (
        low.startswith("db.changelog") or any("changelog" in d for d in dirs)
    ):
        return MigrationFile(path, "liquibase")
    if include and matches(path, include):
        return MigrationFile(path, "sql" if low.endswith(".sql") else "unknown")
    return None


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


def read(mf: MigrationFile, text: str, exists: Callable[[str], bool] | None = None) -> Reading:
    """What the migration does. `exists(path)` answers whether a sibling file is in the head."""
    if len(text) > MAX_MIGRATION_CHARS:
        return Reading(mf.framework, (), None, "", ("too large to read",))
    fw = mf.framework
    if fw == "django":
        try:
            return django.read(text)
        except SyntaxError as exc:
            return Reading(fw, (), None, "", (f"not valid Python (line {exc.lineno})",))
    if fw == "alembic":
        try:
            return alembic.read(text)
        except SyntaxError as exc:
            return Reading(fw, (), None, "", (f"not valid Python (line {exc.lineno})",))
    if fw == "rails":
        return dsl.read_rails(text)
    if fw == "laravel":
        return dsl.read_laravel(text)
    if fw in ("knex", "sequelize", "typeorm"):
        return dsl.read_js(text, fw)
    if fw == "ecto":
        return dsl.read_ecto(text)
    if fw == "efcore":
        return dsl.read_efcore(text)
    if fw == "liquibase":
        return dsl.read_liquibase(text, mf.path)
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
