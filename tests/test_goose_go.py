"""goose migrations written in Go (guardrail/analysis/migrations/goose_go.py): the literal SQL
of the Up function's Exec calls is read; anything else is said with its line (GR290)."""

from __future__ import annotations

from guardrail.analysis.migrations import goose_go
from guardrail.analysis.migrations.ops import OpKind

_HEAD = 'package migrations\n\nimport "github.com/pressly/goose/v3"\n\n'


def _kinds(source: str) -> list[tuple[OpKind, int]]:
    return [(op.kind, op.line) for op in goose_go.read(_HEAD + source).ops]


def test_literal_constant_and_concatenation_are_read() -> None:
    source = (
        'const table = "orders"\n'  # line 5
        "func init() { goose.AddMigration(up, down) }\n"
        "func up(tx *sql.Tx) error {\n"
        '\tq := "CREATE INDEX ix_orders_c ON " + table + " (c)"\n'
        "\t_, err := tx.Exec(q)\n"  # line 9
        "\treturn err\n}\n"
        'func down(tx *sql.Tx) error { _, err := tx.Exec("DROP INDEX ix_orders_c"); return err }\n'
    )
    reading = goose_go.read(_HEAD + source)
    assert [(op.kind, op.line, op.table) for op in reading.ops] == [
        (OpKind.CREATE_INDEX, 9, "orders")
    ]
    assert reading.reversible is True and reading.in_transaction is True


def test_sql_built_at_run_time_is_reported() -> None:
    source = (
        "func init() { goose.AddMigrationContext(up, nil) }\n"
        "func up(ctx context.Context, tx *sql.Tx) error {\n"
        '\t_, err := tx.ExecContext(ctx, fmt.Sprintf("ALTER TABLE %s ADD c int", name))\n'
        "\treturn err\n}\n"
    )
    reading = goose_go.read(_HEAD + source)
    assert [(op.kind, op.line) for op in reading.ops] == [(OpKind.RAW, 7)]
    assert "built at run time" in reading.ops[0].why
    assert reading.reversible is False and "nil" in reading.irreversible_why


def test_no_tx_named_and_function_literals() -> None:
    source = (
        "func init() {\n"
        '\tgoose.AddNamedMigrationNoTxContext("00005_ix.go",\n'
        "\t\tfunc(ctx context.Context, db *sql.DB) error {\n"
        '\t\t\t_, err := db.ExecContext(ctx, "CREATE INDEX CONCURRENTLY ix ON orders (c)")\n'
        "\t\t\treturn err\n\t\t}, nil)\n}\n"
    )
    reading = goose_go.read(_HEAD + source)
    assert [(op.kind, op.concurrently) for op in reading.ops] == [(OpKind.CREATE_INDEX, True)]
    assert reading.in_transaction is False


def test_a_reassigned_variable_is_not_a_literal() -> None:
    source = (
        "func init() { goose.AddMigration(up, nil) }\n"
        "func up(tx *sql.Tx) error {\n"
        '\tq := "ALTER TABLE orders ADD c int"\n'
        '\tif big { q = "ALTER TABLE orders ADD c bigint" }\n'
        "\t_, err := tx.Exec(q)\n\treturn err\n}\n"
    )
    assert _kinds(source) == [(OpKind.RAW, 9)]


def test_unreadable_and_unregistered_files_say_so() -> None:
    broken = goose_go.read("package migrations\nfunc up( {\n")
    assert not broken.ops and broken.notes and "not valid code" in broken.notes[0]
    bare = goose_go.read(_HEAD + "func up(tx *sql.Tx) error { return nil }\n")
    assert not bare.ops and "goose.AddMigration" in bare.notes[0]
