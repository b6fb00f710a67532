"""Reading SQL files whole: non-ASCII text, statements that do not parse, large files."""

from __future__ import annotations

import time

from guardrail.analysis.migrations.ops import OpKind
from guardrail.analysis.migrations.sql import read_sql


def test_lines_are_right_after_non_ascii_text() -> None:
    sql = "-- Überblick: café\nSELECT 'ééé';\nALTER TABLE t ADD COLUMN x int NOT NULL;\n"
    ops = read_sql(sql).ops
    assert [(op.kind, op.line) for op in ops] == [(OpKind.ADD_COLUMN, 3)]


def test_a_statement_that_does_not_parse_is_named_never_skipped() -> None:
    reading = read_sql("SELECT 1;\nBOGUS é;\n-- a; comment\nDROP TABLE z;\n")
    assert [(op.kind, op.line) for op in reading.ops] == [
        (OpKind.RAW, 2),
        (OpKind.DROP_TABLE, 4),
    ]
    assert reading.notes == ['line 2: not understood (syntax error at or near "BOGUS"): BOGUS é']


def test_semicolons_in_strings_and_dollar_quotes_do_not_split() -> None:
    sql = "CREATE FUNCTION f() RETURNS int AS $é$ SELECT ';'; $é$ LANGUAGE sql;\nDROP TABLE z;\n"
    reading = read_sql(sql)
    assert reading.notes == []
    assert [(op.kind, op.line) for op in reading.ops] == [(OpKind.DROP_TABLE, 2)]


def test_a_large_non_ascii_file_is_read_in_linear_time() -> None:
    stmt = "ALTER TABLE orders ADD COLUMN c{} integer;\nINSERT INTO t VALUES (1, 'é');\n"
    text = "".join(stmt.format(i) for i in range(3000))  # 220,000 characters
    started = time.perf_counter()
    ops = read_sql(text).ops
    assert time.perf_counter() - started < 20  # quadratic took minutes at this size
    assert len(ops) == 3000
    assert ops[-1].line == 5999
