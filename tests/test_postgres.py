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
    ],
)
def test_type_change_rewrites(old: str, new: str, rewrites: bool | None) -> None:
    assert pg.type_change_rewrites(old, new) is rewrites


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
