"""CREATE TABLE operations carry the columns they define (ops.ColumnDef), for every reader of
the Python/SQL side, so a later restatement can be compared with what an earlier migration made
the column, and an edit to a shipped CREATE TABLE's column is an operation change."""

from __future__ import annotations

from guardrail.analysis.migrations.compare import Edit, compare
from guardrail.analysis.migrations.ops import ColumnDef, OpKind, Reading
from guardrail.analysis.migrations.sql import read_sql


def _sql_columns(sql: str) -> tuple[ColumnDef, ...]:
    (op,) = [o for o in read_sql(sql).ops if o.kind == OpKind.CREATE_TABLE]
    return op.table_columns


def test_sql_create_table_columns() -> None:
    cols = _sql_columns(
        "CREATE TABLE t (id bigserial, a varchar(10) NOT NULL DEFAULT 'x', "
        "b timestamptz DEFAULT now(), c int8[], d numeric(10, 2), "
        "e integer GENERATED ALWAYS AS IDENTITY, f int, PRIMARY KEY (id))"
    )
    assert cols == (
        ColumnDef("id", "bigint", True, "nextval(…)", True),
        ColumnDef("a", "varchar(10)", True, "'x'"),
        ColumnDef("b", "timestamptz", False, "now()"),
        ColumnDef("c", "bigint[]"),
        ColumnDef("d", "numeric(10,2)"),
        ColumnDef("e", "integer", True, "generated as identity"),
        ColumnDef("f", "integer"),
    )
    assert cols[1].has_default and not cols[2].not_null and not cols[3].has_default


def test_inline_primary_key_is_not_null() -> None:
    (col,) = _sql_columns("CREATE TABLE t (id integer PRIMARY KEY)")
    assert col.not_null and col.primary_key


def test_sql_edit_of_a_created_column_is_an_operation_change() -> None:
    def reading(sql: str) -> Reading:
        return Reading("flyway", read_sql(sql).ops)

    base = reading("CREATE TABLE t (id int, name text);")
    same = reading("-- a comment\nCREATE TABLE t (\n  id int,\n  name text\n);")
    tighter = reading("CREATE TABLE t (id int, name text NOT NULL);")
    assert compare(base, same).edit is Edit.COSMETIC
    assert compare(base, tighter).edit is Edit.OPERATIONS
