"""What each PostgreSQL version rewrites or refuses (analysis/migrations/postgres.py)."""

from __future__ import annotations

import pytest

from guardrail import config as cfgmod
from guardrail.analysis.migrations import postgres as pg


@pytest.mark.parametrize(
    ("old", "new", "rewrites"),
    [
        ("varchar(16)", "varchar(64)", False),  # widening: catalog only
        ("varchar(16)", "varchar", False),  # dropping the limit
        ("varchar(16)", "text", False),
        ("text", "varchar", False),
        ("varchar(64)", "varchar(16)", True),  # narrowing: every row is checked
        ("int4", "int8", True),  # integer -> bigint changes the stored width
        ("integer", "bigint", True),
        ("numeric(10,2)", "numeric(12,2)", False),
        ("numeric(10,2)", "numeric(12,3)", True),
        ("numeric(10,2)", "numeric", False),
        ("json", "jsonb", True),
        ("timestamp", "date", None),  # not known: the rule stays cautious
        ("timestamp(0)", "timestamp(3)", False),  # more precision: catalog only
        ("timestamp(3)", "timestamp(0)", True),  # less: every value is rounded
        ("varchar(255)[]", "text[]", True),  # arrays: an ArrayCoerceExpr always rewrites
        ("integer[]", "integer[]", False),
        ("text", "text[]", None),
    ],
)
def test_type_change_rewrites(old: str, new: str, rewrites: bool | None) -> None:
    assert pg.type_change_rewrites(old, new) is rewrites


# Pairs whose answer the embedded server checks (relfilenode before and after the ALTER).
_OBSERVED = [
    ("varchar(16)", "varchar(64)"),
    ("varchar(16)", "text"),
    ("integer", "bigint"),
    ("numeric(10,2)", "numeric(12,2)"),
    ("timestamp(0)", "timestamp(3)"),
    ("timestamp(3)", "timestamp(0)"),
    ("timestamp", "timestamp(6)"),
    ("timestamptz(0)", "timestamptz"),
    ("time(0)", "time(3)"),
    ("time(3)", "time(0)"),
    ("timetz(0)", "timetz"),
    ("varchar(255)[]", "text[]"),
    ("varchar(20)[]", "varchar(40)[]"),
    ("integer[]", "bigint[]"),
    ("timestamp(0)[]", "timestamp(3)[]"),
]


def test_the_rewrite_table_agrees_with_postgresql(embedded_pg: str) -> None:
    """What type_change_rewrites says of each pair is what PostgreSQL does with a table that
    has a row: a rewrite gives the table a new relfilenode."""
    import psycopg

    observed: dict[tuple[str, str], bool] = {}
    with psycopg.connect(embedded_pg, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA gr_rewrites")
        conn.execute("SET search_path = gr_rewrites")
        for n, (old, new) in enumerate(_OBSERVED):
            table = f"t{n}"
            conn.execute(f"CREATE TABLE {table} (x {old})")
            conn.execute(f"INSERT INTO {table} DEFAULT VALUES")
            node = f"SELECT relfilenode FROM pg_class WHERE oid = 'gr_rewrites.{table}'::regclass"
            before = conn.execute(node).fetchone()
            conn.execute(f"ALTER TABLE {table} ALTER COLUMN x TYPE {new}")
            observed[(old, new)] = conn.execute(node).fetchone() != before
        conn.execute("DROP SCHEMA gr_rewrites CASCADE")
    said = {pair: pg.type_change_rewrites(*pair) for pair in _OBSERVED}
    assert said == observed


def test_default_version_is_the_oldest_supported_major() -> None:
    # PostgreSQL 14's final release was 12 November 2026; 15 is supported until November 2027.
    assert pg.DEFAULT_POSTGRES_VERSION == 15
    assert cfgmod.parse(None, "t").postgres_version() == 15


def test_a_paths_entry_sets_its_own_version() -> None:
    config = cfgmod.parse(
        {
            "migrations": {"postgres-version": 17},
            "paths": [{"paths": ["legacy/**"], "migrations": {"postgres-version": 11}}],
        },
        "t",
    )
    assert config.postgres_version("legacy/db/migrations/1.sql") == 11
    assert config.postgres_version("db/migrations/1.sql") == 17


def test_an_impossible_version_is_a_configuration_error() -> None:
    with pytest.raises(Exception, match="postgres-version"):
        cfgmod.parse({"migrations": {"postgres-version": 9}}, "t")


def test_lock_modes_of_concurrent_forms_do_not_block_traffic() -> None:
    assert pg.lock_of("create_index") == pg.SHARE
    assert pg.lock_of("create_index", concurrently=True) not in pg.BLOCKS_TRAFFIC
    assert pg.lock_of("reindex", concurrently=True) not in pg.BLOCKS_TRAFFIC
    assert pg.lock_of("add_column") == pg.ACCESS_EXCLUSIVE
