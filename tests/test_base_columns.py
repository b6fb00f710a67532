"""The column map the base branch's migrations leave (analysis/migrations/base_columns.py): what
an earlier migration made a column decides a restatement that does not say what it was. Unknown
must stay unknown: a table never seen created, a column something unread may have changed."""

from __future__ import annotations

from guardrail.analysis.migrations.base_columns import Columns, apply
from guardrail.analysis.migrations.ops import ColumnDef, Op, OpKind


def _replay(*ops: Op) -> Columns:
    state: Columns = {}
    for op in ops:
        apply(state, op)
    return state


CREATE = Op(
    OpKind.CREATE_TABLE,
    1,
    "orders",
    table_columns=(ColumnDef("id", "bigint", True, None, True), ColumnDef("code", "varchar(40)")),
)


def test_create_then_alter_then_rename() -> None:
    state = _replay(
        CREATE,
        Op(OpKind.SET_NOT_NULL, 2, "orders", "code", maybe=True),
        Op(OpKind.ALTER_TYPE, 3, "orders", "code", to_type="varchar(80)"),
        Op(OpKind.RENAME_COLUMN, 4, "orders", "code", new_name="reference"),
        Op(OpKind.ADD_COLUMN, 5, "orders", "note", not_null=False),
        Op(OpKind.RENAME_TABLE, 6, "orders", new_name="purchases"),
    )
    assert set(state) == {"purchases"}
    cols = state["purchases"]
    assert cols["reference"] == ColumnDef("reference", "varchar(80)", True)
    assert "code" not in cols and not cols["note"].not_null and cols["id"].primary_key


def test_drop_not_null_drop_column_drop_table() -> None:
    state = _replay(
        CREATE,
        Op(OpKind.DROP_NOT_NULL, 2, "orders", "id"),
        Op(OpKind.DROP_COLUMN, 3, "orders", "code"),
    )
    assert not state["orders"]["id"].not_null and "code" not in state["orders"]
    assert _replay(CREATE, Op(OpKind.DROP_TABLE, 2, "orders")) == {}


def test_a_table_never_created_knows_only_the_columns_added_to_it() -> None:
    state = _replay(Op(OpKind.ADD_COLUMN, 1, "users", "email", not_null=True))
    assert state == {"users": {"email": ColumnDef("email", "", True)}}
    state = _replay(Op(OpKind.SET_NOT_NULL, 1, "users", "name"))
    assert state == {}


def test_what_was_not_read_forgets_the_table_it_names() -> None:
    state = _replay(
        CREATE,
        Op(OpKind.RAW, 2, text="DB::statement($sql . ' orders')", why="SQL built at run time"),
    )
    assert state == {}
    kept = _replay(CREATE, Op(OpKind.RAW, 2, text="$this->helper()", why="unknown call"))
    assert "orders" in kept


def test_if_not_exists_does_not_replace_a_known_table() -> None:
    state = _replay(
        CREATE, Op(OpKind.CREATE_TABLE, 2, "orders", if_not_exists=True, table_columns=())
    )
    assert "code" in state["orders"]
