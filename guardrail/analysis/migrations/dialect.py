"""Which database a migration runs on, and how guardrail knows.

The migration-safety rules about locks, rewrites and CONCURRENTLY are PostgreSQL's; on MySQL,
SQLite, SQL Server, H2 or Oracle they would be noise. The target is, in order: the
configuration (`migrations.database`, per `paths` entry too), a folder named after a database
(Flyway's `db/migration/h2/`), the framework's own settings (Prisma's `migration_lock.toml`,
a `knexfile`, Alembic's `alembic.ini`, Django's `DATABASES` ENGINE), and unmistakable syntax
of another dialect in a SQL file (`ENGINE=InnoDB`, `GO` batches, `AUTOINCREMENT`, `VARCHAR2`).
Without any of them it is PostgreSQL. Pure: the project's files come through `read`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

POSTGRES = "postgres"
DATABASES = ("postgres", "mysql", "mariadb", "sqlite", "mssql", "h2", "oracle")
NAMES = {
    "postgres": "PostgreSQL",
    "mysql": "MySQL",
    "mariadb": "MariaDB",
    "sqlite": "SQLite",
    "mssql": "SQL Server",
    "h2": "H2",
    "oracle": "Oracle",
}
_FOLDERS = {
    "h2": "h2",
    "hsqldb": "h2",
    "sqlite": "sqlite",
    "sqlite3": "sqlite",
    "mysql": "mysql",
    "mariadb": "mariadb",
    "mssql": "mssql",
    "sqlserver": "mssql",
    "oracle": "oracle",
}
# Syntax only that dialect writes (each a regex and what to show as evidence).
_MARKERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("mysql", re.compile(r"\bENGINE\s*=\s*(?:InnoDB|MyISAM|Aria)\b", re.I)),
    ("mysql", re.compile(r"\bAUTO_INCREMENT\b", re.I)),
    ("mysql", re.compile(r"`\w+`[^`\n]*`\w+`")),  # two backtick-quoted names on one line
    ("mssql", re.compile(r"^\s*GO\s*$", re.M | re.I)),
    ("mssql", re.compile(r"\[dbo\]\.", re.I)),
    ("mssql", re.compile(r"\bIDENTITY\s*\(\s*\d+\s*,\s*\d+\s*\)", re.I)),
    ("sqlite", re.compile(r"\bAUTOINCREMENT\b", re.I)),
    ("sqlite", re.compile(r"^\s*PRAGMA\s+\w+", re.M | re.I)),
    ("oracle", re.compile(r"\bVARCHAR2\s*\(", re.I)),
)
_SQL_FRAMEWORKS = frozenset(
    {"sql", "flyway", "golang-migrate", "goose", "dbmate", "sqitch", "liquibase", "prisma"}
)
_CLIENTS = {
    "pg": "postgres",
    "postgres": "postgres",
    "postgresql": "postgres",
    "postgis": "postgres",
    "mysql": "mysql",
    "mysql2": "mysql",
    "mariadb": "mariadb",
    "sqlite": "sqlite",
    "sqlite3": "sqlite",
    "better-sqlite3": "sqlite",
    "mssql": "mssql",
    "sqlserver": "mssql",
    "tedious": "mssql",
    "oracle": "oracle",
    "oracledb": "oracle",
    "cockroachdb": "postgres",
}
_PRISMA_PROVIDER = re.compile(r"provider\s*=\s*\"(\w+)\"")
_KNEX_CLIENT = re.compile(r"client\s*:\s*['\"]([\w-]+)['\"]")
_SQLALCHEMY_URL = re.compile(r"^\s*sqlalchemy\.url\s*=\s*([a-z0-9]+)", re.M)
_DJANGO_ENGINE = re.compile(
    r"django\.db\.backends\.(\w+)|django\.contrib\.gis\.db\.backends\.(\w+)"
)
_MAX_SETTINGS_FILES = 5


@dataclass(frozen=True)
class Target:
    database: str  # one of DATABASES
    evidence: str  # how guardrail knows, in words (values already marked with code())

    @property
    def postgres(self) -> bool:
        return self.database == POSTGRES

    @property
    def name(self) -> str:
        return NAMES.get(self.database, self.database)


Read = Callable[[str], "str | None"]


def target(
    path: str,
    text: str,
    framework: str,
    *,
    configured: str | None = None,
    read: Read | None = None,
    listing: Iterable[str] = (),
) -> Target:
    from guardrail.text import code

    if configured:
        return Target(
            configured, f"the configuration ({code('migrations.database: ' + configured)})"
        )
    dirs = [d.lower() for d in path.split("/")[:-1]]
    for d in dirs:
        if d in _FOLDERS:
            return Target(_FOLDERS[d], f"its folder {code(d + '/')}")
    settings = _settings(path, framework, read, listing) if read is not None else None
    if settings is not None:
        return settings
    if framework in _SQL_FRAMEWORKS:
        for database, marker in _MARKERS:
            found = marker.search(text)
            if found:
                return Target(
                    database, f"{NAMES[database]} syntax ({code(found.group(0).strip()[:40])})"
                )
    return Target(POSTGRES, "")


def _parents(path: str) -> list[str]:
    parts = path.split("/")[:-1]
    return ["/".join(parts[:i]) for i in range(len(parts), -1, -1)]


def _join(folder: str, name: str) -> str:
    return f"{folder}/{name}" if folder else name


def settings_files(path: str, framework: str) -> list[str]:
    """The framework's own files that may name the database of the migration at `path`, in the
    order they are consulted (the readers' declared reads: analysis/reads.py)."""
    if framework == "prisma":
        return [_join(folder, "migration_lock.toml") for folder in _parents(path)[1:3]]
    if framework == "knex":
        names = ("knexfile.js", "knexfile.ts", "knexfile.cjs", "knexfile.mjs")
        return [_join(folder, name) for folder in _parents(path) for name in names]
    if framework == "alembic":
        return [_join(folder, "alembic.ini") for folder in _parents(path)[1:4]]
    return []


def _settings(path: str, framework: str, read: Read, listing: Iterable[str]) -> Target | None:
    from guardrail.text import code

    if framework == "prisma":
        for lock in settings_files(path, framework):
            found = _PRISMA_PROVIDER.search(read(lock) or "")
            if found and found.group(1).lower() in _CLIENTS:
                return Target(
                    _CLIENTS[found.group(1).lower()],
                    f"{code(lock)} (provider {code(found.group(1))})",
                )
    if framework in ("knex",):
        for folder in _parents(path):
            for name in ("knexfile.js", "knexfile.ts", "knexfile.cjs", "knexfile.mjs"):
                kf = _join(folder, name)
                found = _KNEX_CLIENT.search(read(kf) or "")
                if found and found.group(1).lower() in _CLIENTS:
                    return Target(
                        _CLIENTS[found.group(1).lower()],
                        f"{code(kf)} (client {code(found.group(1))})",
                    )
    if framework == "alembic":
        for ini in settings_files(path, framework):
            found = _SQLALCHEMY_URL.search(read(ini) or "")
            if found:
                scheme = found.group(1).lower().split("+")[0]
                if scheme in _CLIENTS:
                    return Target(
                        _CLIENTS[scheme], f"{code(ini)} ({code('sqlalchemy.url')} {code(scheme)})"
                    )
    if framework == "django":
        return _django_engine(read, listing)
    return None


def _django_engine(read: Read, listing: Iterable[str]) -> Target | None:
    """The one engine every settings file names, when it is not PostgreSQL's."""
    from guardrail.text import code

    files = [
        p for p in listing if p.endswith("settings.py") or "/settings/" in p and p.endswith(".py")
    ]
    engines: set[str] = set()
    where = ""
    for settings in files[:_MAX_SETTINGS_FILES]:
        for a, b in _DJANGO_ENGINE.findall(read(settings) or ""):
            engine = (a or b).lower()
            engines.add(engine)
            where = where or settings
    mapped = {
        "postgresql": "postgres",
        "postgresql_psycopg2": "postgres",
        "postgis": "postgres",
        "mysql": "mysql",
        "sqlite3": "sqlite",
        "spatialite": "sqlite",
        "oracle": "oracle",
    }
    databases = {mapped.get(e, e) for e in engines}
    if len(databases) == 1:
        (database,) = databases
        if database in NAMES and database != POSTGRES:
            return Target(
                database,
                f"{code(where)} (ENGINE {code('django.db.backends.' + next(iter(engines)))})",
            )
    return None
