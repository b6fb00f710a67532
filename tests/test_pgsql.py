"""The fast parse gives the same syntax trees as pglast's validating one."""

from __future__ import annotations

from pathlib import Path

import pglast
import pytest

from guardrail.analysis.pgsql import one_switch_per_run, parse_sql

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "squawk" / "cases"

SAMPLES = [
    "ALTER TABLE orders ADD COLUMN coupon text NOT NULL DEFAULT 'x';",
    "CREATE UNIQUE INDEX CONCURRENTLY ix ON t (a) WHERE b IS NULL;",
    "ALTER TABLE t ALTER COLUMN c TYPE bigint USING c::bigint, ALTER COLUMN d SET NOT NULL;",
    "DO $$ BEGIN IF NOT EXISTS (SELECT 1) THEN ALTER TYPE s ADD VALUE 'x'; END IF; END $$;",
    "BEGIN; SET lock_timeout = '2s'; ALTER TABLE t DROP CONSTRAINT t_pkey; COMMIT;",
]


@pytest.mark.parametrize("sql", SAMPLES)
def test_same_tree_as_pglast(sql: str) -> None:
    assert parse_sql(sql) == pglast.parse_sql(sql)


def test_validation_is_back_after_the_parse() -> None:
    parse_sql("SELECT 1")
    node = pglast.ast.RangeVar()
    with pytest.raises(ValueError):
        node.relname = 42  # type: ignore[assignment]


def test_parse_errors_are_pglasts_and_leave_validation_on() -> None:
    with pytest.raises(pglast.parser.ParseError):
        parse_sql("ALTER TABLE")
    with pytest.raises(ValueError):
        pglast.ast.RangeVar().relname = 42  # type: ignore[assignment]


def test_one_switch_per_run_parses_the_same_trees_and_restores_validation() -> None:
    """Inside the engine's block the validation is switched off once, at the first parse, and
    back on when the block ends, even when a parse fails inside it."""
    sqls = ["SELECT 1", "ALTER TABLE t ADD COLUMN c int NOT NULL", "CREATE INDEX i ON t (c)"]
    with pytest.raises(pglast.parser.ParseError), one_switch_per_run():
        assert [parse_sql(s) for s in sqls] == [pglast.parse_sql(s) for s in sqls]
        with one_switch_per_run():  # nested: still one switch
            parse_sql("SELECT 2")
        assert pglast.ast.Node.__setattr__ is object.__setattr__  # still off: no switch back
        parse_sql("ALTER TABLE")
    with pytest.raises(ValueError):
        pglast.ast.RangeVar().relname = 42  # type: ignore[assignment]


@pytest.mark.corpus
def test_same_trees_over_the_squawk_corpus() -> None:
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus/squawk is not here")
    compared = 0
    for path in sorted(CORPUS.rglob("*.sql")):
        sql = path.read_text(encoding="utf-8", errors="replace")
        try:
            expected = pglast.parse_sql(sql)
        except pglast.parser.ParseError:
            continue
        assert parse_sql(sql) == expected, path.name
        compared += 1
    assert compared > 250
