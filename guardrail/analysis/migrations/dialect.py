"""Which database a migration runs on, and how guardrail knows.

The migration-safety rules about locks, rewrites and CONCURRENTLY are PostgreSQL's; on MySQL,
SQLite, SQL Server, H2 or Oracle they would be noise. The target is, in order: the
configuration (`migrations.database`, per `paths` entry too), a folder named after a database
(Flyway's `db/migration/h2/`), the framework's own settings (Prisma's `migration_lock.toml`,
a `knexfile`, Alembic's `alembic.ini`, Django's `DATABASES` ENGINE, Rails' `config/database.yml`
adapter, EF Core's provider: the annotations it writes into a migration, the project's provider
package or its `Use…` call, Ecto's driver, sequelize-cli's dialect, Laravel's `DB_CONNECTION`,
a TypeORM data source's `type`), and unmistakable syntax
of another dialect in a SQL file (`ENGINE=InnoDB`, `GO` batches, `AUTOINCREMENT`, `VARCHAR2`).
Without any of them it is PostgreSQL. Pure: the project's files come through `read`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tree_sitter import Node

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
    if framework == "efcore":
        marked = _ef_markers(text)
        if marked is not None:
            return marked
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
    if framework == "rails":
        return [rails_database_yml(path)]
    if framework == "ecto" and "priv/" in path:
        return [path.split("priv/", 1)[0] + "mix.exs"]
    if framework == "sequelize":
        # sequelize-cli's default `config/config.json`, beside the migrations folder or above it.
        return [_join(folder, "config/config.json") for folder in _parents(path)[1:3]]
    if framework == "laravel":
        root = laravel_root(path)
        return [root + ".env.example", root + "config/database.php"] + [
            root + name for name in _COMPOSE_FILES
        ]
    return []


def laravel_root(path: str) -> str:
    """The Laravel app whose `database/migrations/` holds the migration ("" at the top)."""
    return path.split("database/migrations/", 1)[0] if "database/migrations/" in path else ""


def rails_database_yml(path: str) -> str:
    """config/database.yml of the Rails app whose `db/migrate/` holds the migration."""
    root = path.split("db/migrate/", 1)[0] if "db/migrate/" in path else ""
    if not root and "db/post_migrate/" in path:
        root = path.split("db/post_migrate/", 1)[0]
    return root + "config/database.yml"


def _settings(path: str, framework: str, read: Read, listing: Iterable[str]) -> Target | None:
    """What the framework's own settings say (each framework's reader below)."""
    reader = _SETTINGS.get(framework)
    return reader(path, read, listing) if reader is not None else None


def _prisma_provider(path: str, read: Read, listing: Iterable[str]) -> Target | None:
    from guardrail.text import code

    for lock in settings_files(path, "prisma"):
        found = _PRISMA_PROVIDER.search(read(lock) or "")
        if found and found.group(1).lower() in _CLIENTS:
            return Target(
                _CLIENTS[found.group(1).lower()], f"{code(lock)} (provider {code(found.group(1))})"
            )
    return None


def _knex_client(path: str, read: Read, listing: Iterable[str]) -> Target | None:
    from guardrail.text import code

    for kf in settings_files(path, "knex"):
        found = _KNEX_CLIENT.search(read(kf) or "")
        if found and found.group(1).lower() in _CLIENTS:
            return Target(
                _CLIENTS[found.group(1).lower()], f"{code(kf)} (client {code(found.group(1))})"
            )
    return None


def _alembic_url(path: str, read: Read, listing: Iterable[str]) -> Target | None:
    from guardrail.text import code

    for ini in settings_files(path, "alembic"):
        found = _SQLALCHEMY_URL.search(read(ini) or "")
        if found:
            scheme = found.group(1).lower().split("+")[0]
            if scheme in _CLIENTS:
                return Target(
                    _CLIENTS[scheme], f"{code(ini)} ({code('sqlalchemy.url')} {code(scheme)})"
                )
    return None


def _rails_settings(path: str, read: Read, listing: Iterable[str]) -> Target | None:
    yml = rails_database_yml(path)
    return _rails_adapter(yml, read(yml) or "")


def _ecto_settings(path: str, read: Read, listing: Iterable[str]) -> Target | None:
    mixes = settings_files(path, "ecto")
    return _ecto_driver(mixes[0], read(mixes[0]) or "") if mixes else None


_SETTINGS: dict[str, Callable[[str, Read, Iterable[str]], Target | None]] = {
    "prisma": _prisma_provider,
    "knex": _knex_client,
    "alembic": _alembic_url,
    "django": lambda path, read, listing: _django_engine(read, listing),
    "rails": _rails_settings,
    "efcore": lambda path, read, listing: _ef_project(ef_project_files(path, listing), read),
    "ecto": _ecto_settings,
    "sequelize": lambda path, read, listing: _sequelize_dialect(path, read),
    "laravel": lambda path, read, listing: _laravel_connection(path, read),
    "typeorm": lambda path, read, listing: _typeorm_type(path, read, listing),
}


def _sequelize_dialect(path: str, read: Read) -> Target | None:
    """The `dialect` of sequelize-cli's config.json: production's, else the one every
    environment names (a `use_env_variable` without a dialect is decided at run time)."""
    import json

    from guardrail.text import code

    for name in settings_files(path, "sequelize"):
        text = read(name)
        if not text:
            continue
        try:
            data = json.loads(text)
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
        envs = [data["production"]] if "production" in data else list(data.values())
        dialects = {env.get("dialect") if isinstance(env, dict) else None for env in envs}
        if len(dialects) != 1:
            return None
        (dialect,) = dialects
        if not isinstance(dialect, str) or _CLIENTS.get(dialect.lower()) in (None, POSTGRES):
            return None
        return Target(_CLIENTS[dialect.lower()], f"{code(name)} (dialect {code(dialect)})")
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


# -- Rails: config/database.yml -----------------------------------------------------------------

_ERB = re.compile(r"<%.*?%>", re.S)


def _rails_database(adapter: str) -> str | None:
    a = adapter.lower()
    if "postg" in a or "cockroach" in a:
        return "postgres"
    if "mysql" in a or "trilogy" in a:
        return "mysql"
    if "maria" in a:
        return "mariadb"
    if "sqlite" in a:
        return "sqlite"
    if "sqlserver" in a:
        return "mssql"
    if "oracle" in a:
        return "oracle"
    return None


def _rails_primary(env: object) -> dict[str, object] | None:
    """The configuration of an environment's primary database (flat, or `primary:` of a
    multi-database configuration)."""
    if not isinstance(env, dict):
        return None
    if "adapter" in env or "url" in env or "database" in env:
        return env
    primary = env.get("primary")
    return primary if isinstance(primary, dict) else None


def _rails_adapter(yml: str, text: str) -> Target | None:
    """The adapter of the production database (database.yml without its ERB tags, which are
    templates evaluated at boot: a value set by one is unknown). Without a production section,
    the one adapter every environment names."""
    import yaml

    from guardrail.analysis import yamlsafe
    from guardrail.text import code

    try:
        data = yamlsafe.load(_ERB.sub("", text))
    except (yaml.YAMLError, yamlsafe.AliasBomb):
        return None
    if not isinstance(data, dict):
        return None
    if "production" in data:
        envs = [_rails_primary(data["production"])]
    else:
        envs = [
            _rails_primary(v) for k, v in data.items() if not str(k).startswith(("_", "default"))
        ]
    adapters: set[str] = set()
    for env in envs:
        if env is None:
            return None
        adapter, url = env.get("adapter"), env.get("url")
        if "url" in env and not (isinstance(url, str) and url):
            return None  # DATABASE_URL decides at boot
        if isinstance(url, str) and url:
            adapter = url.split(":", 1)[0]
        if not isinstance(adapter, str) or not adapter:
            return None
        adapters.add(adapter)
    if len(adapters) != 1:
        return None
    (adapter,) = adapters
    database = _rails_database(adapter)
    if database is None or database == POSTGRES:
        return None
    return Target(database, f"{code(yml)} (adapter {code(adapter)})")


# -- EF Core: the provider -----------------------------------------------------------------------

# Provider packages (.csproj PackageReference) and the DbContextOptionsBuilder calls that pick
# one (`UseNpgsql(…)` in Program.cs, Startup.cs or a DbContext's OnConfiguring).
_EF_PACKAGES = {
    "npgsql.entityframeworkcore.postgresql": "postgres",
    "microsoft.entityframeworkcore.sqlserver": "mssql",
    "pomelo.entityframeworkcore.mysql": "mysql",
    "mysql.entityframeworkcore": "mysql",
    "microsoft.entityframeworkcore.sqlite": "sqlite",
    "oracle.entityframeworkcore": "oracle",
}
_EF_CALLS = {
    "UseNpgsql": "postgres",
    "UseSqlServer": "mssql",
    "UseAzureSql": "mssql",
    "UseMySql": "mysql",
    "UseMySQL": "mysql",
    "UseSqlite": "sqlite",
    "UseOracle": "oracle",
}
# What EF Core writes into a generated migration for one provider only.
_EF_ANNOTATIONS = re.compile(r"\"(Npgsql|SqlServer|Sqlite|MySql|Oracle):\w+\"")
_EF_ANNOTATION_DB = {
    "Npgsql": "postgres",
    "SqlServer": "mssql",
    "Sqlite": "sqlite",
    "MySql": "mysql",
    "Oracle": "oracle",
}
_EF_SOURCES = ("Program.cs", "Startup.cs")
_MAX_EF_FILES = 6


def ef_project_files(path: str, listing: Iterable[str]) -> list[str]:
    """The files of the migration's project that may name its provider: the nearest `.csproj`
    above the migration, then that project's Program.cs, Startup.cs and *Context.cs (outside
    its Migrations folder), shallowest first."""
    files = list(listing)
    for folder in _parents(path):
        prefix = f"{folder}/" if folder else ""
        projects = [
            p
            for p in files
            if p.endswith(".csproj") and p.startswith(prefix) and "/" not in p[len(prefix) :]
        ]
        if projects:
            sources = sorted(
                (
                    p
                    for p in files
                    if p.startswith(prefix)
                    and not p.endswith(".csproj")
                    and "/migrations/" not in f"/{p.lower()}"
                ),
                key=len,
            )
            return (sorted(projects) + sources)[:_MAX_EF_FILES]
    return []


def _ef_markers(text: str) -> Target | None:
    from guardrail.text import code

    found = {_EF_ANNOTATION_DB[m.group(1)]: m.group(0) for m in _EF_ANNOTATIONS.finditer(text)}
    if len(found) == 1:
        ((database, marker),) = found.items()
        return Target(database, f"its annotation {code(marker.strip(chr(34)))}")
    return None


def _ef_project(files: list[str], read: Read) -> Target | None:
    """The one provider the project's package references (or its Use… calls) name."""
    from guardrail.text import code

    seen: dict[str, str] = {}
    for name in files:
        text = read(name) or ""
        if name.endswith(".csproj"):
            for package in _csproj_packages(text):
                database = _EF_PACKAGES.get(package.lower())
                if database:
                    seen.setdefault(database, f"{code(name)} (package {code(package)})")
        else:
            for call in _csharp_calls(text):
                database = _EF_CALLS.get(call)
                if database:
                    seen.setdefault(database, f"{code(name)} ({code(call + '(…)')})")
    if len(seen) == 1:
        ((database, evidence),) = seen.items()
        return Target(database, evidence)
    return None


def _csproj_packages(text: str) -> list[str]:
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        return []
    return [
        str(el.get("Include") or el.get("Update") or "")
        for el in root.iter()
        if el.tag.split("}")[-1] == "PackageReference"
    ]


@lru_cache(maxsize=64)
def _csharp_calls(text: str) -> tuple[str, ...]:
    """Names of the methods called in a C# file (tree-sitter: comments and strings are not
    calls). Cached: every EF Core migration of a PR asks about the same project files."""
    from guardrail.analysis.migrations.grammar import parse, walk
    from guardrail.analysis.migrations.grammar import text as node_text

    out: list[str] = []
    for node in walk(parse("c_sharp", text)):
        if node.type != "invocation_expression":
            continue
        fn = node.child_by_field_name("function")
        if fn is None:
            continue
        if fn.type == "member_access_expression":
            fn = fn.child_by_field_name("name")
        if fn is not None and fn.type == "identifier":
            out.append(node_text(fn))
        elif fn is not None and fn.type == "generic_name":
            out.append(node_text(fn).split("<", 1)[0])
    return tuple(out)


# -- Ecto: the driver among mix.exs dependencies ----------------------------------------------

_ECTO_DRIVERS = {
    ":postgrex": "postgres",
    ":myxql": "mysql",
    ":mariaex": "mysql",
    ":ecto_sqlite3": "sqlite",
    ":exqlite": "sqlite",
    ":tds": "mssql",
}


def _ecto_driver(mix: str, text: str) -> Target | None:
    """The one database driver the app depends on outside tests (tree-sitter Elixir: a
    commented-out dependency is not one; `only: :test` drivers do not run migrations)."""
    from guardrail.analysis.migrations.grammar import parse, walk
    from guardrail.analysis.migrations.grammar import text as node_text
    from guardrail.text import code

    if not text:
        return None
    seen: dict[str, str] = {}
    for node in walk(parse("elixir", text)):
        if node.type != "tuple" or not node.named_children:
            continue
        first = node.named_children[0]
        database = _ECTO_DRIVERS.get(node_text(first)) if first.type == "atom" else None
        if database is None:
            continue
        options = [c for c in node.named_children[1:] if c.type == "keywords"]
        if any(node_text(pair).startswith("only:") for kw in options for pair in kw.named_children):
            continue
        seen.setdefault(database, node_text(first))
    if len(seen) != 1:
        return None
    ((database, atom),) = seen.items()
    if database == POSTGRES:
        return None
    return Target(database, f"{code(mix)} (dependency {code(atom)})")


# -- Laravel: the default connection ------------------------------------------------------------

# The `driver` of a connection in config/database.php.
_LARAVEL_DRIVERS = {
    "pgsql": "postgres",
    "mysql": "mysql",
    "mariadb": "mariadb",
    "sqlite": "sqlite",
    "sqlsrv": "mssql",
}
_DOTENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")


def _dotenv(text: str, key: str) -> str | None:
    """The value of `key` in a dotenv file (KEY=value lines, `#` comments, optional quotes).
    dotenv is a line format with no grammar package of its own; only the one key is read."""
    value: str | None = None
    for line in text.splitlines():
        found = _DOTENV_LINE.match(line)
        if found is None or found.group(1) != key:
            continue
        raw = found.group(2)
        if raw[:1] in ("'", '"'):
            end = raw.find(raw[0], 1)
            value = raw[1:end] if end > 0 else None
        else:
            value = raw.split(" #", 1)[0].strip()
    return value or None


def _php_str(node: Node) -> str | None:
    """A PHP string literal's value (no interpolation), else None."""
    from guardrail.analysis.migrations.grammar import text as node_text

    if node.type not in ("string", "encapsed_string"):
        return None
    parts = node.named_children
    if any(c.type not in ("string_content", "string_value") for c in parts):
        return None
    return "".join(node_text(c) for c in parts)


def _php_pairs(array: Node) -> dict[str, Node]:
    """The literal-keyed elements of a PHP array literal: key -> value node."""
    out: dict[str, Node] = {}
    for element in array.named_children:
        if element.type != "array_element_initializer" or len(element.named_children) != 2:
            continue
        key, value = element.named_children
        name = _php_str(key)
        if name is not None:
            out[name] = value
    return out


def _laravel_config(text: str) -> tuple[str | None, str | None, dict[str, str]]:
    """config/database.php: (the literal default connection, or None; the env variable that
    overrides it, or None; connection name -> literal driver). tree-sitter-php: the array the
    file returns, not a commented-out line."""
    from guardrail.analysis.migrations.grammar import parse, walk
    from guardrail.analysis.migrations.grammar import text as node_text

    returned = next(
        (
            n.named_children[0]
            for n in walk(parse("php", text))
            if n.type == "return_statement"
            and n.named_children
            and n.named_children[0].type == "array_creation_expression"
        ),
        None,
    )
    if returned is None:
        return None, None, {}
    top = _php_pairs(returned)
    default, variable = None, None
    value = top.get("default")
    if value is not None:
        default = _php_str(value)
        fn = value.child_by_field_name("function")
        args = value.child_by_field_name("arguments")
        if value.type == "function_call_expression" and fn is not None and args is not None:
            argv = [a.named_children[0] for a in args.named_children if a.named_children]
            if node_text(fn) == "env" and argv:
                variable = _php_str(argv[0])
                default = _php_str(argv[1]) if len(argv) > 1 else None
    drivers: dict[str, str] = {}
    connections = top.get("connections")
    if connections is not None and connections.type == "array_creation_expression":
        for name, conn in _php_pairs(connections).items():
            if conn.type == "array_creation_expression":
                driver = _php_pairs(conn).get("driver")
                literal = _php_str(driver) if driver is not None else None
                if literal:
                    drivers[name] = literal
    return default, variable, drivers


def _laravel_connection(path: str, read: Read) -> Target | None:
    """The database of the app's default connection: `DB_CONNECTION` in `.env.example` (the
    setup the project documents; the deployed `.env` is not in the repository), else the
    fallback of `'default' => env('DB_CONNECTION', '…')` in config/database.php; the name is
    resolved through that file's `connections` (their `driver`). When the project's compose
    file (Laravel Sail) runs other databases only, nothing is decided: `.env.example` often keeps
    the skeleton's `mysql`/`sqlite` on a PostgreSQL project (solidtime's first commits).
    phpunit.xml is not asked: it names the test database, often an in-memory SQLite beside a
    PostgreSQL production."""
    from guardrail.text import code

    example, config, *composes = settings_files(path, "laravel")
    default, variable, drivers = _laravel_config(read(config) or "")
    env_text = read(example)
    chosen = _dotenv(env_text, variable or "DB_CONNECTION") if env_text else None
    if chosen is not None:
        source = f"{code(example)} ({code((variable or 'DB_CONNECTION') + '=' + chosen)})"
    elif default is not None:
        source = f"{code(config)} (default connection {code(default)})"
        chosen = default
    else:
        return None
    driver = drivers.get(chosen, chosen if chosen in _LARAVEL_DRIVERS else "")
    database = _LARAVEL_DRIVERS.get(driver)
    if database is None or database == POSTGRES:
        return None
    if driver != chosen:
        source += f", whose driver in {code(config)} is {code(driver)}"
    served = _compose_databases(composes, read)
    if served and database not in served:
        # The project's own containers (Laravel Sail's compose file) run another database:
        # `.env.example` kept the skeleton's default; the repository does not decide.
        return None
    return Target(database, f"{source}; the deployed `.env` may name another connection")


# Docker Compose files (Laravel Sail writes `docker-compose.yml`, newer Sail `compose.yaml`).
_COMPOSE_FILES = ("docker-compose.yml", "docker-compose.yaml", "compose.yaml", "compose.yml")
# Database images, by a word of the image's name (`postgres:15`, `pgvector/pgvector:pg16`,
# `mysql/mysql-server:8.0`, `mariadb:11`, `mcr.microsoft.com/mssql/server`).
_IMAGES = (
    ("postgres", "postgres"),
    ("postgis", "postgres"),
    ("pgvector", "postgres"),
    ("mariadb", "mariadb"),
    ("mysql", "mysql"),
    ("mssql", "mssql"),
)


def _compose_databases(files: list[str], read: Read) -> set[str]:
    """The databases the services of the project's compose files run, by their images."""
    import yaml

    from guardrail.analysis import yamlsafe

    out: set[str] = set()
    for name in files:
        text = read(name)
        if not text:
            continue
        try:
            data = yamlsafe.load(text)
        except (yaml.YAMLError, yamlsafe.AliasBomb):
            continue
        services = data.get("services") if isinstance(data, dict) else None
        for service in services.values() if isinstance(services, dict) else []:
            image = service.get("image") if isinstance(service, dict) else None
            if not isinstance(image, str):
                continue
            repo = image.split(":", 1)[0].lower()
            found = next((db for word, db in _IMAGES if word in repo), None)
            if found:
                out.add(found)
    if "mariadb" in out:
        out.add("mysql")  # Laravel's `mysql` driver speaks to MariaDB too
    return out


# -- TypeORM: the data source's `type` ----------------------------------------------------------

_TYPEORM_TYPES = {
    **_CLIENTS,
    "aurora-mysql": "mysql",
    "aurora-postgres": "postgres",
    "sqljs": "sqlite",
    "capacitor": "sqlite",
    "cordova": "sqlite",
    "expo": "sqlite",
    "react-native": "sqlite",
    "nativescript": "sqlite",
}
# Keys that make an object with a `type` a TypeORM data source (DataSourceOptions).
_TYPEORM_KEYS = frozenset(
    {"entities", "migrations", "synchronize", "migrationsTableName", "migrationsRun", "database"}
)
_TYPEORM_CONFIG = re.compile(
    r"(?:^|[./-])(?:ormconfig|data-?source|typeorm(?:[.-]config)?|orm[.-]?config)"
    r"\.(?:ts|js|mjs|cjs|json)$",
    re.I,
)
_MAX_TYPEORM_FILES = 6


def typeorm_config_file(path: str) -> bool:
    """A file that by its name holds a TypeORM data source (`ormconfig.json`, `data-source.ts`,
    `core.datasource.ts`, `typeorm.config.ts`, …), outside node_modules."""
    name = path.rsplit("/", 1)[-1]
    return _TYPEORM_CONFIG.search(name) is not None and "node_modules/" not in f"/{path}"


def _typeorm_files(path: str, listing: Iterable[str]) -> list[str]:
    """The data-source files nearest the migration: most folders shared with it first."""
    folders = path.split("/")[:-1]

    def shared(p: str) -> int:
        n = 0
        for a, b in zip(folders, p.split("/")[:-1], strict=False):
            if a != b:
                break
            n += 1
        return n

    found = [p for p in listing if typeorm_config_file(p)]
    return sorted(found, key=lambda p: (-shared(p), len(p), p))[:_MAX_TYPEORM_FILES]


def _js_types(name: str, text: str) -> list[str]:
    """The literal `type` of every data-source object in a JS/TS file (tree-sitter: an object
    literal with a `type` string beside a DataSourceOptions key such as `entities`)."""
    from guardrail.analysis.migrations.grammar import parse, walk
    from guardrail.analysis.migrations.grammar import text as node_text

    language = "typescript" if name.endswith(".ts") else "javascript"
    out: list[str] = []
    for node in walk(parse(language, text)):
        if node.type != "object":
            continue
        keys: dict[str, Node] = {}
        for pair in node.named_children:
            key, value = pair.child_by_field_name("key"), pair.child_by_field_name("value")
            if pair.type == "pair" and key is not None and value is not None:
                keys[node_text(key).strip("'\"")] = value
        value = keys.get("type")
        if value is None or not _TYPEORM_KEYS & keys.keys():
            continue
        while value.type in ("as_expression", "satisfies_expression", "parenthesized_expression"):
            value = value.named_children[0]
        parts = value.named_children
        if value.type in ("string", "template_string") and all(
            c.type == "string_fragment" for c in parts
        ):
            out.append("".join(node_text(c) for c in parts))
        else:
            out.append("")  # decided at run time (process.env.DB_TYPE)
    return out


def _json_types(text: str) -> list[str]:
    import json

    try:
        data = json.loads(text)
    except ValueError:
        return []
    entries = data if isinstance(data, list) else [data]
    return [str(e.get("type") or "") for e in entries if isinstance(e, dict) and "type" in e]


def _typeorm_type(path: str, read: Read, listing: Iterable[str]) -> Target | None:
    """The one database every TypeORM data source of the project names (a `type` decided at
    run time, or two different ones, decide nothing)."""
    from guardrail.text import code

    seen: dict[str, str] = {}
    for name in _typeorm_files(path, listing):
        text = read(name)
        if not text:
            continue
        types = _json_types(text) if name.endswith(".json") else _js_types(name, text)
        for kind in types:
            database = _TYPEORM_TYPES.get(kind.lower())
            if database is None:
                return None
            seen.setdefault(database, f"{code(name)} (type {code(kind)})")
    if len(seen) != 1:
        return None
    ((database, evidence),) = seen.items()
    return None if database == POSTGRES else Target(database, evidence)
