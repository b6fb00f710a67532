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


# -- the SQL it runs, for --trace and the base-schema replay ------------------------------------

_CREATE = _HEAD + (
    "func init() { goose.AddMigrationContext(upCreate, downCreate) }\n"  # line 5
    "func upCreate(ctx context.Context, tx *sql.Tx) error {\n"
    "\t_, err := tx.ExecContext(ctx, `CREATE TABLE orders (\n"  # line 7
    "\t\tid bigint PRIMARY KEY,\n"
    "\t\tcoupon varchar(20)\n"
    "\t)`)\n"
    "\treturn err\n}\n"
    'func downCreate(ctx context.Context, tx *sql.Tx) error { _, err := tx.ExecContext(ctx, "DROP TABLE orders"); return err }\n'
)
_ALTER = _HEAD + (
    "func init() { goose.AddMigration(up, down) }\n"  # line 5
    "func up(tx *sql.Tx) error {\n"
    '\tif _, err := tx.Exec("ALTER TABLE orders ADD COLUMN note text"); err != nil {\n'  # 7
    "\t\treturn err\n\t}\n"
    "\t_, err := tx.Exec(fmt.Sprintf(\"UPDATE %s SET note = ''\", table))\n"  # line 10
    "\treturn err\n}\n"
    'func down(tx *sql.Tx) error { _, err := tx.Exec("ALTER TABLE orders DROP COLUMN note"); return err }\n'
)


def test_up_sql_keeps_the_file_lines_and_lists_what_it_cannot_read() -> None:
    read = goose_go.up_sql(_ALTER)
    assert read.pieces == [("ALTER TABLE orders ADD COLUMN note text", 6)]
    assert [at for at, _ in read.unread] == [10]
    assert "built at run time" in read.unread[0][1]
    lines = read.text().split("\n")
    assert lines[6] == "ALTER TABLE orders ADD COLUMN note text;"
    assert "DROP COLUMN" not in read.text()  # the Down function is not the Up direction


def test_up_sql_of_a_file_that_registers_nothing_says_so() -> None:
    read = goose_go.up_sql(_HEAD + "func helper() {}\n")
    assert read.pieces == [] and "registers" in read.unread[0][1]


def test_the_trace_runs_a_go_migrations_sql_with_its_lines() -> None:
    """Before, the Go file went through the `-- +goose Up` section splitter: no marker, so an
    empty script, and the base schema missed every table a Go migration made."""
    from guardrail.model import ChangedFile, PullRequest
    from guardrail.trace import plan

    path = "db/migrations/00002_add_note.go"
    pr = PullRequest(
        title="t",
        body="",
        files=(ChangedFile(path=path, status="added", additions=1, deletions=0, patch=None),),
    )
    texts = {("base", "db/migrations/00001_create_orders.go"): _CREATE, ("head", path): _ALTER}
    built = plan.build(
        pr, lambda side, p: texts.get((side, p)), ["db/migrations/00001_create_orders.go"]
    )
    assert [(s.line, s.sql.split("(")[0].strip()) for b in built.base for s in b.statements] == [
        (7, "CREATE TABLE orders")
    ]
    assert [(s.line, s.sql) for c in built.change for s in c.statements] == [
        (7, "ALTER TABLE orders ADD COLUMN note text")
    ]
    assert [c.transaction for c in built.change] == ["file"]
    assert [(n.path, n.line) for n in built.not_traced] == [(path, 10)]


def test_the_base_schema_replay_reads_a_go_migrations_columns() -> None:
    from guardrail.analysis.migrations.detect import detect
    from guardrail.analysis.migrations.order import runnable_sql
    from guardrail.analysis.migrations.sql import read_sql

    mf = detect("db/migrations/00001_create_orders.go", _CREATE)
    assert mf is not None and mf.framework == "goose"
    sql = runnable_sql(mf, _CREATE)
    assert sql is not None
    assert read_sql(sql).column_types.get("orders.coupon", "").startswith("varchar")
