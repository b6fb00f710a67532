"""Which database a migration runs on, from the framework's own settings (issue 11): Rails'
config/database.yml adapter and EF Core's provider. Guessing wrong either way is a defect:
PostgreSQL rules on a MySQL project are noise, and a PostgreSQL project called MySQL goes
unjudged; so anything decided at boot (ERB, DATABASE_URL) leaves the default."""

from __future__ import annotations

import pytest

from guardrail.analysis.migrations.dialect import ef_project_files, target

MIGRATION = "db/migrate/20240101120000_x.rb"


def _rails(yml: str) -> str:
    files = {"config/database.yml": yml}
    return target(MIGRATION, "", "rails", read=files.get).database


@pytest.mark.parametrize(
    ("yml", "database"),
    [
        # Flat production section, inheriting the adapter from an anchor.
        ("default: &d\n  adapter: mysql2\nproduction:\n  <<: *d\n  database: shop\n", "mysql"),
        ("production:\n  adapter: trilogy\n", "mysql"),
        ("production:\n  adapter: sqlserver\n", "mssql"),
        ("production:\n  adapter: oracle_enhanced\n", "oracle"),
        # Multi-database: the primary decides.
        (
            "production:\n  primary:\n    adapter: sqlite3\n  cache:\n    adapter: sqlite3\n",
            "sqlite",
        ),
        # ERB control lines are templates, not YAML: stripped, the rest still reads.
        (
            "<% if ENV['X'] %>\n<% end %>\nproduction:\n  adapter: mysql2\n"
            "  pool: <%= ENV.fetch('RAILS_MAX_THREADS') { 5 } %>\n",
            "mysql",
        ),
        # No production section: the one adapter every environment names.
        ("development:\n  adapter: mysql2\ntest:\n  adapter: mysql2\n", "mysql"),
        # PostgreSQL, or anything decided at boot: the default stays.
        ("production:\n  adapter: postgresql\n", "postgres"),
        ("production:\n  adapter: postgis\n", "postgres"),
        ("production:\n  adapter: <%= ENV['DB_ADAPTER'] %>\n", "postgres"),
        (
            "development:\n  adapter: sqlite3\nproduction:\n  url: <%= ENV['DATABASE_URL'] %>\n",
            "postgres",
        ),
        ("production:\n  url: mysql2://db/shop\n", "mysql"),
        ("development:\n  adapter: sqlite3\ntest:\n  adapter: mysql2\n", "postgres"),
        ("production: [unclosed\n", "postgres"),
        ("", "postgres"),
    ],
)
def test_rails_database_yml(yml: str, database: str) -> None:
    assert _rails(yml) == database


def test_rails_app_in_a_subfolder_reads_its_own_database_yml() -> None:
    files = {"apps/shop/config/database.yml": "production:\n  adapter: mysql2\n"}
    found = target("apps/shop/db/migrate/20240101120000_x.rb", "", "rails", read=files.get)
    assert found.database == "mysql"
    assert "apps/shop/config/database.yml" in found.evidence


EF = "src/Shop.Data/Migrations/20240101120000_X.cs"
LISTING = [
    "src/Shop.Data/Shop.Data.csproj",
    "src/Shop.Data/ShopContext.cs",
    "src/Shop.Data/Migrations/ShopContextModelSnapshot.cs",
    "src/Shop.Web/Shop.Web.csproj",
    "src/Shop.Web/Program.cs",
]


def test_the_nearest_project_and_its_sources_are_read() -> None:
    assert ef_project_files(EF, LISTING) == [
        "src/Shop.Data/Shop.Data.csproj",
        "src/Shop.Data/ShopContext.cs",
    ]


def _ef(files: dict[str, str], text: str = "") -> str:
    return target(EF, text, "efcore", read=files.get, listing=LISTING).database


def test_provider_package_decides() -> None:
    csproj = '<Project><ItemGroup><PackageReference Include="Pomelo.EntityFrameworkCore.MySql" Version="8.0.2" /></ItemGroup></Project>'
    assert _ef({"src/Shop.Data/Shop.Data.csproj": csproj}) == "mysql"


def test_use_call_in_the_context_decides_and_comments_do_not() -> None:
    context = (
        "public class ShopContext : DbContext {\n"
        "  // was: optionsBuilder.UseNpgsql(...)\n"
        '  protected override void OnConfiguring(DbContextOptionsBuilder o) => o.UseSqlServer("x");\n'
        "}\n"
    )
    assert _ef({"src/Shop.Data/ShopContext.cs": context}) == "mssql"


def test_two_providers_are_not_guessed() -> None:
    csproj = (
        "<Project><ItemGroup>"
        '<PackageReference Include="Npgsql.EntityFrameworkCore.PostgreSQL" />'
        '<PackageReference Include="Microsoft.EntityFrameworkCore.Sqlite" />'
        "</ItemGroup></Project>"
    )
    assert _ef({"src/Shop.Data/Shop.Data.csproj": csproj}) == "postgres"


def test_annotations_in_the_migration_come_first() -> None:
    text = 'table.Column<int>(nullable: false).Annotation("Sqlite:Autoincrement", true)'
    csproj = '<Project><ItemGroup><PackageReference Include="Microsoft.EntityFrameworkCore.SqlServer" /></ItemGroup></Project>'
    found = target(EF, text, "efcore", read={"src/Shop.Data/Shop.Data.csproj": csproj}.get)
    assert found.database == "sqlite"
    npgsql = 'b.Annotation("Npgsql:ValueGenerationStrategy", 2)'
    assert _ef({"src/Shop.Data/Shop.Data.csproj": csproj}, npgsql) == "postgres"


def test_a_broken_csproj_is_no_evidence() -> None:
    assert _ef({"src/Shop.Data/Shop.Data.csproj": "<Project><ItemGroup>"}) == "postgres"


ECTO = "priv/repo/migrations/20240101120000_orders_coupon.exs"
MIX = """defmodule Shop.MixProject do
  use Mix.Project

  defp deps do
    [
      {:ecto_sql, "~> 3.10"},
      {DRIVER},
      # {:postgrex, ">= 0.0.0"},
      {:ecto_sqlite3, "~> 0.17", only: :test},
      {:jason, "~> 1.2"}
    ]
  end
end
"""


@pytest.mark.parametrize(
    ("driver", "database"),
    [
        (':myxql, "~> 0.6.0"', "mysql"),
        (':tds, "~> 2.3"', "mssql"),
        (':postgrex, ">= 0.0.0"', "postgres"),
        # Two drivers outside tests: not guessed.
        (':myxql, "~> 0.6.0"}, {:postgrex, ">= 0.0.0"', "postgres"),
        # Only the test driver (and a comment): no evidence.
        (':phoenix, "~> 1.7"', "postgres"),
    ],
)
def test_ecto_driver_in_mix_exs(driver: str, database: str) -> None:
    files = {"mix.exs": MIX.replace("DRIVER", driver)}
    assert target(ECTO, "", "ecto", read=files.get).database == database


def test_ecto_umbrella_app_reads_its_own_mix_exs() -> None:
    files = {"apps/shop/mix.exs": MIX.replace("DRIVER", ':myxql, "~> 0.6.0"')}
    found = target("apps/shop/" + ECTO, "", "ecto", read=files.get)
    assert found.database == "mysql"
    assert "apps/shop/mix.exs" in found.evidence


SEQ = "migrations/20240101120000-orders-coupon.js"


@pytest.mark.parametrize(
    ("config", "database"),
    [
        ('{"development": {"dialect": "mysql"}, "production": {"dialect": "mysql"}}', "mysql"),
        ('{"production": {"use_env_variable": "DATABASE_URL", "dialect": "mariadb"}}', "mariadb"),
        ('{"development": {"dialect": "sqlite"}, "test": {"dialect": "sqlite"}}', "sqlite"),
        (
            '{"development": {"dialect": "sqlite"}, "production": {"dialect": "postgres"}}',
            "postgres",
        ),
        ('{"production": {"use_env_variable": "DATABASE_URL"}}', "postgres"),
        ('{"development": {"dialect": "sqlite"}, "test": {"dialect": "mysql"}}', "postgres"),
        ("{not json", "postgres"),
    ],
)
def test_sequelize_config_json(config: str, database: str) -> None:
    files = {"config/config.json": config}
    assert target(SEQ, "", "sequelize", read=files.get).database == database


# -- Laravel: DB_CONNECTION in .env.example, else config/database.php's default --------------

LARAVEL = "database/migrations/2024_01_01_120000_orders_coupon_index.php"
# laravel/laravel 8a119d7f4461c73b47197b80f4cecb3c97796919 config/database.php (MIT; minimal
# excerpt of the skeleton's default connection and two of its connections).
SKELETON_CONFIG = """<?php

use Illuminate\\Support\\Str;

return [
    'default' => env('DB_CONNECTION', 'sqlite'),

    'connections' => [
        'sqlite' => [
            'driver' => 'sqlite',
            'url' => env('DB_URL'),
        ],
        'pgsql' => [
            'driver' => 'pgsql',
            'url' => env('DB_URL'),
        ],
    ],
];
"""


def _laravel(files: dict[str, str], path: str = LARAVEL) -> tuple[str, str]:
    found = target(path, "", "laravel", read=files.get)
    return found.database, found.evidence


def test_laravel_skeleton_defaults_to_sqlite_and_says_what_was_assumed() -> None:
    # laravel/laravel 8a119d7f .env.example line 23 (MIT).
    database, evidence = _laravel(
        {"config/database.php": SKELETON_CONFIG, ".env.example": "DB_CONNECTION=sqlite\n"}
    )
    assert database == "sqlite"
    assert ".env.example" in evidence and "DB_CONNECTION=sqlite" in evidence
    assert "deployed" in evidence


@pytest.mark.parametrize(
    ("files", "database"),
    [
        # .env.example is the project's documented setup: it wins over the fallback.
        (
            {"config/database.php": SKELETON_CONFIG, ".env.example": "DB_CONNECTION=pgsql\n"},
            "postgres",
        ),
        # Commented out, quoted, exported.
        ({".env.example": "# DB_CONNECTION=mysql\nDB_CONNECTION=pgsql\n"}, "postgres"),
        ({".env.example": 'DB_CONNECTION="mysql"\n'}, "mysql"),
        ({".env.example": "export DB_CONNECTION=sqlsrv # prod\n"}, "mssql"),
        # No .env.example: the fallback of env('DB_CONNECTION', …).
        ({"config/database.php": SKELETON_CONFIG}, "sqlite"),
        ({"config/database.php": SKELETON_CONFIG.replace("'sqlite'),", "'pgsql'),")}, "postgres"),
        # A connection of the project's own name is resolved through its driver.
        (
            {
                "config/database.php": "<?php return ['default' => 'main', 'connections' => "
                "['main' => ['driver' => 'mysql']]];",
            },
            "mysql",
        ),
        (
            {
                "config/database.php": "<?php return ['default' => 'main', 'connections' => "
                "['main' => ['driver' => 'pgsql']]];",
                ".env.example": "APP_NAME=Shop\n",
            },
            "postgres",
        ),
        # Decided at run time, unknown names, nothing: the default stays.
        ({"config/database.php": "<?php return ['default' => env('DB_CONNECTION')];"}, "postgres"),
        ({".env.example": "DB_CONNECTION=${DB_KIND}\n"}, "postgres"),
        ({".env.example": "DB_CONNECTION=\n"}, "postgres"),
        ({"config/database.php": "<?php // 'default' => 'mysql'\nreturn [];"}, "postgres"),
        ({}, "postgres"),
    ],
)
def test_laravel_default_connection(files: dict[str, str], database: str) -> None:
    assert _laravel(files)[0] == database


@pytest.mark.parametrize(
    ("compose", "database"),
    [
        # Sail's containers run another database than the example env names: undecided.
        ("services:\n  pgsql:\n    image: 'postgres:15'\n", "postgres"),
        ("services:\n  db:\n    image: pgvector/pgvector:pg16\n", "postgres"),
        # The same database, a MariaDB for the mysql driver, or no database service: decided.
        ("services:\n  mysql:\n    image: 'mysql/mysql-server:8.0'\n", "mysql"),
        ("services:\n  mariadb:\n    image: 'mariadb:11'\n", "mysql"),
        ("services:\n  redis:\n    image: redis:7\n", "mysql"),
        ("services: [unclosed\n", "mysql"),
    ],
)
def test_laravel_compose_file_can_contradict_the_example_env(compose: str, database: str) -> None:
    files = {".env.example": "DB_CONNECTION=mysql\n", "docker-compose.yml": compose}
    assert _laravel(files)[0] == database
    files = {".env.example": "DB_CONNECTION=mysql\n", "compose.yaml": compose}
    assert _laravel(files)[0] == database


def test_laravel_app_in_a_subfolder_reads_its_own_settings() -> None:
    files = {
        "backend/.env.example": "DB_CONNECTION=mysql\n",
        ".env.example": "DB_CONNECTION=pgsql\n",
    }
    assert _laravel(files, "backend/" + LARAVEL)[0] == "mysql"


# -- TypeORM: the data source's type -------------------------------------------------------------

TYPEORM = "src/migrations/1700000000000-OrdersCouponIndex.ts"


def _typeorm(files: dict[str, str], path: str = TYPEORM) -> tuple[str, str]:
    found = target(path, "", "typeorm", read=files.get, listing=list(files))
    return found.database, found.evidence


@pytest.mark.parametrize(
    ("files", "database"),
    [
        (
            {
                "src/data-source.ts": "import { DataSource } from 'typeorm';\n"
                "export const AppDataSource = new DataSource({\n  type: 'mysql',\n"
                "  entities: [User],\n  migrations: ['src/migrations/*.ts'],\n});\n"
            },
            "mysql",
        ),
        (
            {
                "ormconfig.json": '{"type": "sqlite", "database": "db.sqlite", "entities": []}',
            },
            "sqlite",
        ),
        ({"ormconfig.json": '[{"name": "default", "type": "mariadb"}]'}, "mariadb"),
        (
            {
                "src/config/typeorm.config.js": "module.exports = { type: `better-sqlite3`,"
                " database: 'x.db', synchronize: false };"
            },
            "sqlite",
        ),
        (
            {
                "src/data-source.ts": "export default new DataSource({ type: 'postgres' as const,"
                " url: process.env.DATABASE_URL, migrations: [] });"
            },
            "postgres",
        ),
        # Decided at run time, two databases, an object that is no data source: the default.
        (
            {
                "src/data-source.ts": "new DataSource({ type: process.env.DB_TYPE as any,"
                " entities: [] });"
            },
            "postgres",
        ),
        (
            {
                "src/data-source.ts": "new DataSource({ type: 'mysql', entities: [] });",
                "test/data-source.ts": "new DataSource({ type: 'sqlite', entities: [] });",
            },
            "postgres",
        ),
        ({"src/data-source.ts": "const column = { type: 'mysql', length: 3 };"}, "postgres"),
        ({"src/data-source.ts": "// new DataSource({ type: 'mysql', entities: [] })"}, "postgres"),
    ],
)
def test_typeorm_data_source_type(files: dict[str, str], database: str) -> None:
    assert _typeorm(files)[0] == database


def test_typeorm_evidence_names_the_file_and_type() -> None:
    files = {"src/data-source.ts": "new DataSource({ type: 'mariadb', migrations: [] });"}
    database, evidence = _typeorm(files)
    assert database == "mariadb" and "src/data-source.ts" in evidence and "mariadb" in evidence
