"""The migration-safety rules, one unit each, in one explicit table.

A rule is its row in `guardrail/rules.py`'s `RULES` (code, name, default severity, docs page
`docs/rules/<code>.md`), named here by code, the operation kinds it looks at, and a pure
function from one operation (and the facts of its migration) to a verdict: the gap in one line,
why it matters with the safe pattern, and a severity when it differs from the default. Adding a
rule: its row in `RULES`, a function here, a row in `TABLE`, its docs page and its golden cases
(tests/rules/<code>.yml).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fnmatch import fnmatchcase

from guardrail.analysis.migrations import postgres as pg
from guardrail.analysis.migrations.detect import framework
from guardrail.analysis.migrations.ops import OLD_TYPE_UNKNOWN, Op, OpKind
from guardrail.analysis.migrations.postgres import DEFAULT_POSTGRES_VERSION
from guardrail.model import CheckName, Severity
from guardrail.rules import Rule, by_code
from guardrail.text import code

SAFETY = CheckName.MIGRATION_SAFETY


@dataclass(frozen=True)
class Facts:
    """What a rule may consult besides the operation itself."""

    framework: str  # the migration's framework: django, rails, sql, …
    path: str
    postgres: int = DEFAULT_POSTGRES_VERSION  # the major version the migrations run on
    wrapped: bool = False  # the framework runs the migration in a transaction of its own
    # Timeouts set for every migration outside the file (configuration, strong_migrations).
    lock_timeout: str | None = None
    statement_timeout: str | None = None
    earlier: tuple[Op, ...] = ()  # the operations before this one in the same migration
    tables: Tables | None = None  # configured large, hot and small tables


@dataclass(frozen=True)
class Verdict:
    title: str  # the gap, lower-case first letter, no final period
    why: str  # why it matters and the safe pattern, in the framework's own way
    severity: Severity | None = None  # None: the rule's default


Judge = Callable[[Op, Facts], "Verdict | None"]


@dataclass(frozen=True)
class SafetyRule:
    rule: Rule
    kinds: frozenset[str]  # operation kinds the judge is asked about
    judge: Judge


def target(op: Op) -> str:
    if op.table and op.column:
        return code(f"{op.table}.{op.column}")
    if op.table:
        return code(op.table)
    if op.column:
        return code(op.column)
    return "a table"


def _new(op: Op) -> bool:
    return op.new_table


# The framework's own words for the safe patterns: one table, next to the readers
# (analysis/migrations/detect.py `framework()`), SQL's words for every SQL-file tool.


def no_transaction(facts: Facts) -> str:
    return framework(facts.framework).no_transaction


def set_lock_timeout(facts: Facts) -> str:
    return framework(facts.framework).lock_timeout


def set_statement_timeout(facts: Facts) -> str:
    return framework(facts.framework).set_statement_timeout


def batched(facts: Facts) -> str:
    return framework(facts.framework).batch


def concurrent_index(facts: Facts) -> str:
    return framework(facts.framework).concurrent_index


def concurrent_drop_index(facts: Facts) -> str:
    return framework(facts.framework).drop_index


def run_sql(facts: Facts, sql: str) -> str:
    return framework(facts.framework).run_sql(sql)


# -- the rules -------------------------------------------------------------------------------------

GR210 = by_code("GR210")


def required_column_without_default(op: Op, facts: Facts) -> Verdict | None:
    if not op.not_null or op.has_default or _new(op):
        return None
    t = target(op)
    if op.orm_default:
        return Verdict(
            f"adds NOT NULL {t} with an ORM-only default",
            "Django drops the default right after adding the column, so the running version inserts rows "
            "without it and fails during the deploy. Add it with `db_default=`, or nullable, backfill, then "
            "set NOT NULL.",
            Severity.WARNING,
        )
    return Verdict(
        f"adds NOT NULL {t} with no default",
        "It fails on a table that has rows, and the running version (and a rollback) inserts rows without "
        "it. Add it nullable, backfill in batches, then set NOT NULL in a later migration (or give it a "
        f"database default, {framework(facts.framework).db_default}).",
    )


GR211 = by_code("GR211")


def _filled_by_default(op: Op, facts: Facts) -> bool:
    """An earlier statement of the same migration added this column with a database default
    (Alembic `add_column(Column(..., server_default="9"))`, then `alter_column(nullable=False)`):
    every row it met has the default, so none is NULL."""
    return any(
        e.kind == OpKind.ADD_COLUMN
        and e.has_default
        and e.column == op.column
        and e.table == op.table
        and e.table is not None
        for e in facts.earlier
    )


def _backfilled(op: Op, facts: Facts) -> str | None:
    """How an earlier statement of the same migration dealt with this table's rows: "filling
    it" (UPDATE, data code), "deleting its NULL rows" (a DELETE of the same table whose WHERE
    removes every row where the column is NULL); None when none did."""
    for e in facts.earlier:
        if e.kind in (OpKind.BACKFILL, OpKind.DATA_MIGRATION) and e.table in (None, op.table):
            return "filling it"
    column = (op.column or "").lower()
    for e in facts.earlier:
        if e.kind == OpKind.DELETE_ROWS and e.table == op.table and column in e.columns:
            return "deleting its NULL rows"
    return None


def set_not_null(op: Op, facts: Facts) -> Verdict | None:
    if _new(op):
        return None
    if op.validated_check and facts.postgres >= pg.SET_NOT_NULL_USES_VALID_CHECK:
        return None  # the NOT VALID + VALIDATE + SET NOT NULL pattern: no scan
    maybe = op.maybe
    safe = (
        f"add `CHECK ({op.column or 'col'} IS NOT NULL) NOT VALID`, `VALIDATE CONSTRAINT` it in a later "
        "step, then SET NOT NULL, which then skips the scan"
        if facts.postgres >= pg.SET_NOT_NULL_USES_VALID_CHECK
        else f"on {pg.describe(facts.postgres)} SET NOT NULL always scans; run it when the table is quiet, "
        "with a `lock_timeout`, or upgrade (from PostgreSQL 12 a validated CHECK spares the scan)"
    )
    if _filled_by_default(op, facts):
        return Verdict(
            f"makes {target(op)} NOT NULL right after adding it with a default",
            "The default filled the rows the column was added to, so the statement will not fail on "
            "NULLs, but it scans the table under an ACCESS EXCLUSIVE lock. Add the column NOT NULL with "
            "its default in one statement instead: from PostgreSQL 11 a constant default is not written "
            "to the rows, and nothing is scanned.",
            Severity.WARNING,
        )
    prepared = _backfilled(op, facts)
    if prepared:
        # What the statement above did, in its own words: an UPDATE fills, a DELETE removes.
        held, first = (
            ("the delete's row locks", "Delete in batches first")
            if prepared.startswith("deleting")
            else ("the backfill's row locks", "Backfill in batches first")
        )
        return Verdict(
            f"makes {target(op)} NOT NULL right after {prepared}, under one lock",
            "The statement above deals with the rows first, so this one will not fail on NULLs, but the scan runs "
            f"under an ACCESS EXCLUSIVE lock, and in the same transaction {held} are held "
            f"with it. {first}, then {safe}.",
            Severity.WARNING,
        )
    return Verdict(
        f"{'may make' if maybe else 'makes'} {target(op)} NOT NULL",
        "It scans the table under an ACCESS EXCLUSIVE lock and fails on any stored row that is still NULL. "
        f"Backfill first; then {safe}.",
        Severity.WARNING if maybe else None,
    )


GR212 = by_code("GR212")


def drop_column(op: Op, facts: Facts) -> Verdict | None:
    return Verdict(
        f"drops {target(op)}",
        "The data is gone, and the running version still selects the column until it is restarted. Stop using "
        "it in code first, deploy, then drop it in a later release.",
    )


GR297 = by_code("GR297")


def _recreated_because(op: Op) -> str:
    """What makes TypeORM recreate the column (Op.why, set by analysis/migrations/js.py)."""
    if op.why == "alias" and op.to_type:
        return (
            f"the new type is written {code(op.to_type)}, not as PostgreSQL names it, so it never "
            "equals the type TypeORM reads from the database"
        )
    if op.why == "type" and op.to_type and op.from_type:
        return f"the type changes from {code(op.from_type)} to {code(op.to_type)}"
    return {
        "length": "the length changes",
        "array": "the column becomes an array, or stops being one",
        "generated": "the column becomes a stored generated column, or its expression changes",
    }.get(op.why, "the type or the length differs from the column in the database")


def recreated_column(op: Op, facts: Facts) -> Verdict | None:
    if _new(op):
        return None  # a table made in this migration has no rows to lose
    t = target(op)
    fix = (
        f"Convert it in place with {run_sql(facts, 'ALTER TABLE … ALTER COLUMN … TYPE …')}, or "
        "pass the type exactly as PostgreSQL names it (`character varying`, `integer`) with the "
        "column's length, so TypeORM sees no difference."
    )
    because = _recreated_because(op)
    if op.maybe:
        return Verdict(
            f"may drop and re-add {t}, losing every value in it",
            "TypeORM's `changeColumn` compares the new column with the one it reads from the "
            f"database and drops and re-adds it when {because}; what the column is in the "
            f"database is not in this pull request. {fix}",
            Severity.WARNING,
        )
    return Verdict(
        f"drops and re-adds {t}: every value in it is lost",
        f"TypeORM's `changeColumn` runs `DROP COLUMN` then `ADD COLUMN`, not a conversion, when "
        f"{because}. {fix}",
    )


GR213 = by_code("GR213")
_DESTROY_VERB = {
    OpKind.DROP_TABLE: "drops",
    OpKind.TRUNCATE: "truncates",
    OpKind.DELETE_ROWS: "deletes rows from",
}


def drop_table_or_rows(op: Op, facts: Facts) -> Verdict | None:
    if op.cascade:
        what = "truncates" if op.kind == OpKind.TRUNCATE else "drops"
        gone = "rows" if op.kind == OpKind.TRUNCATE else "foreign keys (and views)"
        return Verdict(
            f"{what} {target(op)} with CASCADE, which reaches every table that references it",
            f"CASCADE also removes the {gone} of tables this statement does not name, so what is lost "
            "depends on foreign keys nobody reviewed here, and a revert brings none of it back. Name each "
            "table explicitly without CASCADE, keep a backup, and say how to recover in the rollback note.",
        )
    return Verdict(
        f"{_DESTROY_VERB[op.kind]} {target(op)}",
        "The data cannot come back with a revert. Remove every use in code first, keep a backup, and say how "
        "to recover in the rollback note.",
    )


GR214 = by_code("GR214")


def _to_name(op: Op) -> str:
    return f" to {code(op.new_name)}" if op.new_name else ""


def rename_column(op: Op, facts: Facts) -> Verdict | None:
    return Verdict(
        f"renames {target(op)}{_to_name(op)}",
        "The running version still uses the old name and fails until every instance is replaced. Expand and "
        "contract: add the new column, write both, backfill, switch reads, then drop the old one.",
    )


GR215 = by_code("GR215")


def rename_table(op: Op, facts: Facts) -> Verdict | None:
    return Verdict(
        f"renames {target(op)}{_to_name(op)}",
        "The running version still queries the old name. Create the new table (or a view under the old "
        "name), write to both, then switch.",
    )


GR216 = by_code("GR216")


def change_column_type(op: Op, facts: Facts) -> Verdict | None:
    if _new(op):
        return None
    if op.maybe and op.why == OLD_TYPE_UNKNOWN:
        # The column is restated in full (Knex `.alter()`, Sequelize `changeColumn`, Laravel
        # `->change()`, Ecto `modify` without `from:`) and nothing guardrail read says it
        # exists: say so instead of guessing either way.
        return Verdict(
            f"may change the type of {target(op)}: its old type is unknown",
            "This migration restates the column in full, and no migration guardrail read says "
            "what it was before (the history may be squashed into a schema dump, or the column "
            "made outside migrations). If the type "
            "really changes, PostgreSQL may rewrite the table under an ACCESS EXCLUSIVE lock: "
            "compare with the production column before deploying.",
            Severity.NOTICE,
        )
    if op.maybe:
        return None
    if op.from_type and op.value and op.from_type.lower() == op.value.lower():
        return None  # restated, the same type (Ecto's `modify` of a reference): the lock only
    if op.from_type and op.value:
        rewrites = pg.type_change_rewrites(op.from_type, op.value, facts.postgres)
        if rewrites is False:
            return None  # binary-coercible: the catalog changes, the rows do not
        if rewrites:
            return Verdict(
                f"changes {target(op)} from {code(pg.display_type(op.from_type))} to "
                f"{code(pg.display_type(op.value))}, which rewrites the table",
                f"On {pg.describe(facts.postgres)} this change rewrites the table and every index on it under "
                "an ACCESS EXCLUSIVE lock: reads and writes wait for the whole rewrite. Add a new column of the "
                "new type, write both, backfill in batches, then switch reads and drop the old one.",
            )
    if op.from_type and op.value:
        # Both types known, the pair not in guardrail's table (timestamp -> timestamptz rewrites
        # or not depending on the session's TimeZone): name them, and say what is not known.
        return Verdict(
            f"changes {target(op)} from {code(pg.display_type(op.from_type))} to "
            f"{code(pg.display_type(op.value))}",
            f"guardrail does not know whether {pg.describe(facts.postgres)} rewrites the table for this "
            "pair of types; if it does, the table and every index on it are rewritten under an ACCESS "
            "EXCLUSIVE lock, and stored values that do not convert fail. Run the migration with `--trace` "
            "or on a copy of production to see, or add a new column, backfill, and switch reads instead.",
        )
    return Verdict(
        f"changes the type of {target(op)}",
        "Most type changes rewrite the table and its indexes under an ACCESS EXCLUSIVE lock, and stored values "
        "that do not fit fail. Add a new column, backfill, and switch reads instead.",
    )


GR217 = by_code("GR217")


def blocking_index_change(op: Op, facts: Facts) -> Verdict | None:
    if _new(op) or op.concurrently:
        return None
    if op.kind == OpKind.DROP_INDEX:
        return Verdict(
            "drops an index without CONCURRENTLY",
            "DROP INDEX takes an ACCESS EXCLUSIVE lock on the table. Drop it without blocking with "
            f"{concurrent_drop_index(facts)}, after checking the index is unused.",
        )
    return Verdict(
        f"creates an index on {target(op)} without CONCURRENTLY",
        "Building it holds a SHARE lock that blocks every write to the table until it finishes. Build it "
        f"without blocking writes with {concurrent_index(facts)}.",
    )


GR218 = by_code("GR218")


def constraint_validates_under_lock(op: Op, facts: Facts) -> Verdict | None:
    if _new(op):
        return None
    t = target(op)
    if op.kind in (OpKind.ADD_FOREIGN_KEY, OpKind.ADD_CHECK):
        if op.not_valid:
            return None
        what = "a foreign key" if op.kind == OpKind.ADD_FOREIGN_KEY else "a CHECK constraint"
        return Verdict(
            f"adds {what} on {t} that validates every row",
            "Validation scans the table while writes are blocked. Add it `NOT VALID`, then `VALIDATE CONSTRAINT` "
            "in a separate step, which lets writes continue.",
        )
    if op.using_index:
        return None
    what = "a unique constraint" if op.kind == OpKind.ADD_UNIQUE else "a primary key"
    return Verdict(
        f"adds {what} on {t} built under a lock",
        "The index is built under an ACCESS EXCLUSIVE lock, and duplicates already stored make it fail. Build "
        "a unique index CONCURRENTLY, then `ADD CONSTRAINT … USING INDEX`.",
    )


GR219 = by_code("GR219")


def volatile_default(op: Op, facts: Facts) -> Verdict | None:
    if _new(op) or (op.not_null and not op.has_default):
        return None  # no rows, or GR210's case
    if (
        not op.volatile_default
        and op.has_default
        and facts.postgres < pg.NON_VOLATILE_DEFAULT_NO_REWRITE
    ):
        return Verdict(
            f"adds {target(op)} with a default, which rewrites the table on {pg.describe(facts.postgres)}",
            f"Before PostgreSQL {pg.NON_VOLATILE_DEFAULT_NO_REWRITE} every default is written into every row "
            "under an ACCESS EXCLUSIVE lock. Add the column without a default, set the default for new rows, "
            "then backfill in batches.",
        )
    if not op.volatile_default:
        return None
    return Verdict(
        f"adds {target(op)} with a volatile or generated default",
        "Computing a value per row rewrites the whole table under an ACCESS EXCLUSIVE lock. Add the column "
        "without a default, set the default for new rows, then backfill in batches.",
    )


GR221 = by_code("GR221")


def concurrent_index_in_transaction(op: Op, facts: Facts) -> Verdict | None:
    if _new(op) or not op.concurrently or not op.in_transaction:
        return None
    return Verdict(
        f"builds an index on {target(op)} CONCURRENTLY inside a transaction",
        "Postgres refuses CREATE INDEX CONCURRENTLY in a transaction, so the migration fails. Run it in "
        f"{no_transaction(facts)}.",
    )


GR222 = by_code("GR222")


def drop_not_null(op: Op, facts: Facts) -> Verdict | None:
    if _new(op) or op.maybe:
        return None
    restated = ""
    if op.why == "restated without NOT NULL":
        said = "`allowNull: false`" if facts.framework == "sequelize" else "`.notNullable()`"
        restated = (
            f" The column is restated without {said}, which drops its NOT NULL; add it if the "
            "column should stay required."
        )
    return Verdict(
        f"allows NULL in {target(op)}",
        "Code that assumed the value is always set (including the previous version) may break on "
        f"new rows.{restated}",
    )


# Judged per migration file, not per operation (checks/migrations.py).
GR220 = by_code("GR220")


# -- rules that follow the PostgreSQL version and the deploy-safety set --------------------------

GR223 = by_code("GR223")


def needs_newer_postgres(op: Op, facts: Facts) -> Verdict | None:
    have = facts.postgres
    need: tuple[str, int] | None = None
    if op.kind == OpKind.REINDEX and op.concurrently and have < pg.REINDEX_CONCURRENTLY:
        need = ("REINDEX CONCURRENTLY", pg.REINDEX_CONCURRENTLY)
    elif (
        op.kind == OpKind.DETACH_PARTITION
        and op.concurrently
        and have < pg.DETACH_PARTITION_CONCURRENTLY
    ):
        need = ("DETACH PARTITION … CONCURRENTLY", pg.DETACH_PARTITION_CONCURRENTLY)
    elif op.nulls_not_distinct and have < pg.NULLS_NOT_DISTINCT:
        need = ("NULLS NOT DISTINCT", pg.NULLS_NOT_DISTINCT)
    elif (
        op.kind == OpKind.ADD_ENUM_VALUE
        and op.in_transaction
        and have < pg.ENUM_ADD_VALUE_IN_TRANSACTION
    ):
        return Verdict(
            f"adds a value to enum {code(op.name or '?')} inside a transaction",
            f"Before PostgreSQL {pg.ENUM_ADD_VALUE_IN_TRANSACTION}, `ALTER TYPE … ADD VALUE` cannot run in a "
            f"transaction block, so on {pg.describe(have)} the migration fails. Run it in "
            f"{no_transaction(facts)}.",
        )
    if need is None:
        return None
    what, since = need
    return Verdict(
        f"uses {what}, which {pg.describe(have)} does not have",
        f"{what} exists from PostgreSQL {since} on; on {pg.describe(have)} the statement is a syntax error "
        "and the migration stops there. Use the older form, or set `migrations.postgres-version` if the "
        "database is newer than that.",
    )


GR224 = by_code("GR224")


def blocking_reindex(op: Op, facts: Facts) -> Verdict | None:
    what = code(op.name or "?")
    if op.reindex_target == "system":
        return None  # system catalogs cannot be rebuilt concurrently
    if op.concurrently:
        if op.in_transaction and facts.postgres >= pg.REINDEX_CONCURRENTLY:
            return Verdict(
                f"rebuilds {op.reindex_target} {what} CONCURRENTLY inside a transaction",
                "PostgreSQL refuses REINDEX CONCURRENTLY in a transaction block, so the migration fails. "
                f"Run it in {no_transaction(facts)}.",
                Severity.ERROR,
            )
        return None
    safe = (
        f"Use {run_sql(facts, 'REINDEX ' + (op.reindex_target.upper() or 'INDEX') + ' CONCURRENTLY …')} "
        f"in {no_transaction(facts)}."
        if facts.postgres >= pg.REINDEX_CONCURRENTLY
        else "Build a new index with CREATE INDEX CONCURRENTLY, drop the old one CONCURRENTLY, and rename."
    )
    return Verdict(
        f"rebuilds {op.reindex_target} {what} without CONCURRENTLY",
        "REINDEX blocks writes to the table, and reads that would use the index, until the rebuild ends. "
        + safe,
    )


GR225 = by_code("GR225")


def blocking_partition_detach(op: Op, facts: Facts) -> Verdict | None:
    part = code(op.name or "?")
    if op.concurrently:
        if op.in_transaction and facts.postgres >= pg.DETACH_PARTITION_CONCURRENTLY:
            return Verdict(
                f"detaches {part} from {target(op)} CONCURRENTLY inside a transaction",
                "PostgreSQL refuses DETACH PARTITION … CONCURRENTLY in a transaction block, so the migration "
                f"fails. Run it in {no_transaction(facts)}.",
                Severity.ERROR,
            )
        return None
    safe = (
        f"Use {run_sql(facts, 'ALTER TABLE … DETACH PARTITION … CONCURRENTLY')} in {no_transaction(facts)}."
        if facts.postgres >= pg.DETACH_PARTITION_CONCURRENTLY
        else f"{pg.describe(facts.postgres)} has no CONCURRENTLY form: set a short `lock_timeout` and retry, "
        "at a quiet time."
    )
    return Verdict(
        f"detaches {part} from {target(op)} without CONCURRENTLY",
        "It takes an ACCESS EXCLUSIVE lock on the parent table: every query on any partition waits. "
        + safe,
    )


GR231 = by_code("GR231")


def domain_constraint(op: Op, facts: Facts) -> Verdict | None:
    name = code(op.name or "?")
    if op.created:
        return Verdict(
            f"creates domain {name} with a constraint",
            "No column uses it yet, so nothing is checked now; but changing that constraint later means "
            "checking every column of the domain in every table at once, with no online way. Prefer a "
            "plain type and CHECK constraints on the tables.",
            Severity.NOTICE,
        )
    if op.not_valid:
        return None
    return Verdict(
        f"adds a constraint to domain {name}",
        "PostgreSQL checks every column of this domain in every table while holding locks on them. Add it "
        "`NOT VALID`, then `ALTER DOMAIN … VALIDATE CONSTRAINT` in a later step.",
    )


GR232 = by_code("GR232")


def drop_primary_key(op: Op, facts: Facts) -> Verdict | None:
    if not op.primary_key or _new(op):
        return None
    return Verdict(
        f"drops the primary key of {target(op)}" + (f" ({code(op.name)})" if op.name else ""),
        "The running version's ORM finds, updates and deletes rows by it; logical replication stops "
        "replicating updates and deletes without it; foreign keys that reference it block the drop or are "
        "dropped with it. Build the new key's unique index CONCURRENTLY first, then swap both keys in one "
        "short transaction (`ADD PRIMARY KEY USING INDEX`).",
    )


GR233 = by_code("GR233")


def drop_type_or_enum_value(op: Op, facts: Facts) -> Verdict | None:
    name = code(op.name or "?")
    if op.kind == OpKind.RENAME_ENUM_VALUE:
        return Verdict(
            f"renames value {code(op.value or '?')} of enum {name}"
            + (f" to {code(op.new_name)}" if op.new_name else ""),
            "The running version still writes and compares the old label, and every such write fails "
            "(`invalid input value for enum`). Add the new value, move rows and code to it, and drop the "
            "old one only when nothing uses it.",
        )
    return Verdict(
        f"drops type {name}",
        "Columns, functions and the running version's casts that use it break (PostgreSQL refuses the drop "
        "while a column still uses it, unless CASCADE drops those too). Stop using it in code and columns "
        "first, and drop it in a later release.",
    )


GR234 = by_code("GR234")


def drop_default(op: Op, facts: Facts) -> Verdict | None:
    if _new(op) or op.maybe:
        return None
    restated = ""
    if op.why == "restated without its default":
        restated = (
            " knex's `.alter()` drops the default when the column is restated without "
            "`.defaultTo(…)`: restate the default if it should stay."
        )
    return Verdict(
        f"drops the default of {target(op)}",
        "The running version inserts rows without this column and relied on the default: those rows now "
        "get NULL, or fail if the column is NOT NULL. Ship code that always sets the column first, then "
        f"drop the default in a later release.{restated}",
    )


GR235 = by_code("GR235")


def table_rewrite_command(op: Op, facts: Facts) -> Verdict | None:
    if _new(op):
        return None
    online = (
        "`REPACK (CONCURRENTLY)`"
        if facts.postgres >= 19
        else "the pg_repack extension (`pg_repack --table …`), outside the migration"
    )
    return Verdict(
        f"rewrites {target(op) if op.table else 'every table'} with {op.name or 'VACUUM FULL'}",
        "The whole table is copied while an ACCESS EXCLUSIVE lock blocks every read and write, for as long "
        f"as the copy takes. Use {online}, which holds that lock only for a moment.",
    )


GR236 = by_code("GR236")


def _exclusive_before(op: Op, facts: Facts) -> list[str]:
    """Existing tables this migration's transaction already holds ACCESS EXCLUSIVE on."""
    if not op.in_transaction:
        return []
    held: list[str] = []
    for e in facts.earlier:
        if e.kind in (OpKind.BEGIN, OpKind.COMMIT):
            if e.kind == OpKind.COMMIT:
                held = []
            continue
        lock = pg.lock_of(e.kind, concurrently=e.concurrently, mode=e.lock)
        taken = lock == pg.ACCESS_EXCLUSIVE and e.table and not e.new_table and e.in_transaction
        if taken and e.table not in held:
            held.append(str(e.table))
    return held


def unbatched_data_change(op: Op, facts: Facts) -> Verdict | None:
    if _new(op) or op.batched:
        return None
    if op.kind == OpKind.DATA_MIGRATION and not op.value:
        return None  # data code whose calls were not read: GR236 needs to see the change
    where = target(op) if op.table else "a table"
    if op.kind == OpKind.BACKFILL and not op.value:
        what = f"changes every row of {where} in one statement"
    elif op.kind == OpKind.BACKFILL and op.table:
        what = f"changes every row of {where} with {code(op.value or '?')} in one statement"
    elif op.in_transaction:
        what = f"changes rows of {where} with {code(op.value or '?')} in one transaction"
    else:
        what = f"changes rows of {where} with {code(op.value or '?')} in one statement"
    held = _exclusive_before(op, facts)
    if held:
        locks = ", ".join(code(t) for t in held)
        return Verdict(
            what + ", in the transaction that holds ACCESS EXCLUSIVE on " + locks,
            f"The DDL's lock on {locks} is held until the whole data change commits: every read and write of "
            f"that table waits meanwhile. Move the data change to {batched(facts)}, after the DDL has committed.",
        )
    return Verdict(
        what,
        "One statement over the whole table locks every row it touches until the migration commits, "
        "bloats the table, and on a large table runs for minutes while the deploy waits. Do it in "
        f"{batched(facts)}.",
    )


# -- the table: every operation is asked of every rule that names its kind, in this order ----------

TABLE: tuple[SafetyRule, ...] = (
    SafetyRule(GR210, frozenset({OpKind.ADD_COLUMN}), required_column_without_default),
    SafetyRule(GR219, frozenset({OpKind.ADD_COLUMN}), volatile_default),
    SafetyRule(GR211, frozenset({OpKind.SET_NOT_NULL}), set_not_null),
    SafetyRule(GR222, frozenset({OpKind.DROP_NOT_NULL}), drop_not_null),
    SafetyRule(GR212, frozenset({OpKind.DROP_COLUMN}), drop_column),
    SafetyRule(GR297, frozenset({OpKind.RECREATE_COLUMN}), recreated_column),
    SafetyRule(
        GR213,
        frozenset({OpKind.DROP_TABLE, OpKind.TRUNCATE, OpKind.DELETE_ROWS}),
        drop_table_or_rows,
    ),
    SafetyRule(GR214, frozenset({OpKind.RENAME_COLUMN}), rename_column),
    SafetyRule(GR215, frozenset({OpKind.RENAME_TABLE}), rename_table),
    SafetyRule(GR216, frozenset({OpKind.ALTER_TYPE}), change_column_type),
    SafetyRule(GR221, frozenset({OpKind.CREATE_INDEX}), concurrent_index_in_transaction),
    SafetyRule(GR217, frozenset({OpKind.CREATE_INDEX, OpKind.DROP_INDEX}), blocking_index_change),
    SafetyRule(
        GR218,
        frozenset(
            {OpKind.ADD_FOREIGN_KEY, OpKind.ADD_CHECK, OpKind.ADD_UNIQUE, OpKind.ADD_PRIMARY_KEY}
        ),
        constraint_validates_under_lock,
    ),
    SafetyRule(
        GR223,
        frozenset(
            {
                OpKind.REINDEX,
                OpKind.DETACH_PARTITION,
                OpKind.CREATE_INDEX,
                OpKind.ADD_UNIQUE,
                OpKind.ADD_ENUM_VALUE,
            }
        ),
        needs_newer_postgres,
    ),
    SafetyRule(GR224, frozenset({OpKind.REINDEX}), blocking_reindex),
    SafetyRule(GR225, frozenset({OpKind.DETACH_PARTITION}), blocking_partition_detach),
    SafetyRule(GR231, frozenset({OpKind.DOMAIN_CONSTRAINT}), domain_constraint),
    SafetyRule(GR232, frozenset({OpKind.DROP_CONSTRAINT}), drop_primary_key),
    SafetyRule(
        GR233, frozenset({OpKind.DROP_TYPE, OpKind.RENAME_ENUM_VALUE}), drop_type_or_enum_value
    ),
    SafetyRule(GR234, frozenset({OpKind.DROP_DEFAULT}), drop_default),
    SafetyRule(GR235, frozenset({OpKind.REWRITE_TABLE}), table_rewrite_command),
    SafetyRule(GR236, frozenset({OpKind.BACKFILL, OpKind.DATA_MIGRATION}), unbatched_data_change),
)


def judge(op: Op, facts: Facts) -> list[tuple[Rule, Verdict]]:
    """Every rule's verdict on one operation, in table order."""
    out: list[tuple[Rule, Verdict]] = []
    for unit in TABLE:
        if op.kind in unit.kinds:
            verdict = unit.judge(op, facts)
            if verdict is not None and facts.tables is not None:
                verdict = weigh(unit.rule, op, verdict, facts.tables)
            if verdict is not None:
                out.append((unit.rule, verdict))
    return out


# -- rules over a whole migration: the order of its statements matters ----------------------------

Found = tuple[Op, Verdict]  # the operation the finding points at (line, suppressions), and why
FileJudge = Callable[[tuple[Op, ...], Facts], list[Found]]


@dataclass(frozen=True)
class FileRule:
    rule: Rule
    judge: FileJudge


def _locks_traffic(op: Op) -> str | None:
    """The lock an operation takes on a table that already has traffic, if any."""
    if op.new_table or op.kind in (OpKind.CREATE_TABLE, OpKind.BEGIN, OpKind.COMMIT):
        return None
    if op.kind == OpKind.REINDEX and op.reindex_target == "system":
        return None
    lock = pg.lock_of(op.kind, concurrently=op.concurrently, mode=op.lock)
    if lock in (pg.ROW_EXCLUSIVE, None):
        return None
    return lock


def _a(lock: str) -> str:
    return ("an " if lock[:1] in "AEIOU" else "a ") + lock


def _timeout_set(op: Op, name: str) -> bool:
    if op.kind != OpKind.SETTING or op.setting != name:
        return False
    return (op.value or "").strip().strip("'\"").lower() not in ("0", "", "default")


def _waits_unbounded(op: Op, facts: Facts) -> str | None:
    """The traffic-blocking lock (ACCESS EXCLUSIVE, EXCLUSIVE, SHARE ROW EXCLUSIVE, SHARE) an
    operation queues for on an existing table with nothing of its own bounding the wait, if any.

    Weaker modes are left out: SHARE UPDATE EXCLUSIVE (VACUUM, CREATE INDEX CONCURRENTLY,
    VALIDATE, COMMENT ON) and ACCESS SHARE conflict with neither ROW EXCLUSIVE nor ACCESS SHARE,
    the modes ordinary reads and writes take, so no query queues behind them while they wait
    (PostgreSQL docs, "Explicit Locking", table of conflicting lock modes). A table configured
    as small is locked for milliseconds; GitLab's `with_lock_retries` bounds the wait itself."""
    lock = _locks_traffic(op)
    if lock not in pg.BLOCKS_TRAFFIC or op.lock_retries:
        return None
    if facts.tables is not None and facts.tables.size(op.table) == "small":
        return None
    return lock


def _missing_lock_timeout(ops: tuple[Op, ...], facts: Facts) -> tuple[Op, str] | None:
    """The first operation that queues for a traffic-blocking lock before a lock_timeout is set."""
    if facts.lock_timeout:
        return None
    for op in ops:
        if _timeout_set(op, "lock_timeout"):
            return None
        lock = _waits_unbounded(op, facts)
        if lock is not None:
            return op, lock
    return None


GR226 = by_code("GR226")


def missing_lock_timeout(ops: tuple[Op, ...], facts: Facts) -> list[Found]:
    """One finding per migration, at its first statement that queues for a traffic-blocking lock
    with no lock_timeout; when the file also lacks the statement_timeout GR227 asks for, that is
    said here too (one line per file, not two)."""
    found = _missing_lock_timeout(ops, facts)
    if found is None:
        return []
    op, lock = found
    hot = facts.tables is not None and facts.tables.size(op.table) == "hot"
    long = _missing_statement_timeout(ops, facts)
    also = ""
    if long is not None:
        table = code(long[0].table or long[0].name or "?")
        also = (
            f" It also reads or rewrites {table} while holding the lock, and no `statement_timeout` "
            f"bounds that either: set {set_statement_timeout(facts)} as well."
        )
    return [
        (
            op,
            Verdict(
                f"takes {_a(lock)} lock on {code(op.table or op.name or '?')} "
                "with no `lock_timeout` set"
                + (" (nor a `statement_timeout`)" if long is not None else ""),
                f"If a long query holds the table, this statement waits for it, and every "
                f"{'query' if lock == pg.ACCESS_EXCLUSIVE else 'write'} behind it waits "
                f"too: {_a(lock)} lock in the queue takes the site down within seconds. Set {set_lock_timeout(facts)} "
                "(or `migrations.lock-timeout` when the deploy sets it), and retry on timeout."
                + also,
                # A notice while the table's traffic is unknown (squawk leaves its rule off by
                # default; GitLab requires lock retries for its high-traffic tables): a table listed
                # in `hot-tables` makes it a warning here, and `weigh` an error.
                Severity.WARNING if hot else None,
            ),
        )
    ]


GR227 = by_code("GR227")


def _long_under_lock(op: Op, facts: Facts) -> bool:
    """The statement reads or writes the whole table while it holds its lock (a scan, a rewrite,
    an index build): how long it holds the lock grows with the table."""
    k = op.kind
    if op.new_table:
        return False
    if k == OpKind.ALTER_TYPE:
        known = (
            pg.type_change_rewrites(op.from_type, op.value, facts.postgres)
            if op.from_type and op.value
            else None
        )
        return known is not False and not op.maybe
    if k == OpKind.SET_NOT_NULL:
        return not (op.validated_check and facts.postgres >= pg.SET_NOT_NULL_USES_VALID_CHECK)
    if k == OpKind.ADD_COLUMN:
        return op.volatile_default or (
            op.has_default and facts.postgres < pg.NON_VOLATILE_DEFAULT_NO_REWRITE
        )
    if k in (OpKind.CREATE_INDEX, OpKind.REINDEX):
        return not op.concurrently
    if k in (OpKind.ADD_CHECK, OpKind.ADD_FOREIGN_KEY, OpKind.DOMAIN_CONSTRAINT):
        return not op.not_valid and not op.created
    if k in (OpKind.ADD_UNIQUE, OpKind.ADD_PRIMARY_KEY):
        return not op.using_index
    return k == OpKind.REWRITE_TABLE


def _missing_statement_timeout(ops: tuple[Op, ...], facts: Facts) -> tuple[Op, str] | None:
    """The first statement that scans or rewrites an existing table under a traffic-blocking lock
    before a statement_timeout is set."""
    if facts.statement_timeout:
        return None
    for candidate in ops:
        if _timeout_set(candidate, "statement_timeout"):
            return None
        lock = _locks_traffic(candidate)
        if lock in pg.BLOCKS_TRAFFIC and _long_under_lock(candidate, facts):
            if facts.tables is not None and facts.tables.size(candidate.table) == "small":
                continue
            return candidate, str(lock)
    return None


def missing_statement_timeout(ops: tuple[Op, ...], facts: Facts) -> list[Found]:
    if _missing_lock_timeout(ops, facts) is not None:
        return []  # said in GR226's line for this file
    found = _missing_statement_timeout(ops, facts)
    if found is None:
        return []
    op, lock = found
    return [
        (
            op,
            Verdict(
                f"holds {_a(lock)} lock on {code(op.table or op.name or '?')} "
                "with no `statement_timeout` set",
                "It reads or rewrites the whole table while holding the lock, and nothing bounds how long "
                f"that lasts if the table is larger than on staging. Set {set_statement_timeout(facts)} (or "
                "`migrations.statement-timeout` when the deploy sets it).",
            ),
        )
    ]


GR228 = by_code("GR228")


def uncommitted_transaction(ops: tuple[Op, ...], facts: Facts) -> list[Found]:
    open_begin: Op | None = None
    for op in ops:
        if op.kind == OpKind.BEGIN and open_begin is None:
            open_begin = op
        elif op.kind == OpKind.COMMIT:
            open_begin = None
    if open_begin is None:
        return []
    return [
        (
            open_begin,
            Verdict(
                "begins a transaction that is never committed",
                "When the session ends, PostgreSQL rolls back everything after this BEGIN, yet the migration "
                "tool may record the migration as applied. End it with `COMMIT;`.",
            ),
        )
    ]


GR229 = by_code("GR229")


def nested_transaction(ops: tuple[Op, ...], facts: Facts) -> list[Found]:
    depth = 0
    out: list[Found] = []
    for op in ops:
        if op.kind == OpKind.BEGIN:
            if depth > 0 or facts.wrapped:
                out.append(
                    (
                        op,
                        Verdict(
                            "begins a transaction inside one that is already open"
                            + (
                                f" ({facts.framework} wraps each migration in one)"
                                if facts.wrapped and depth == 0
                                else ""
                            ),
                            "PostgreSQL ignores the inner BEGIN with a warning, so its COMMIT ends the outer "
                            "transaction early: what follows runs outside it and is not rolled back on failure. "
                            "Remove the BEGIN/COMMIT pair"
                            + (
                                ", or run the file in " + no_transaction(facts)
                                if facts.wrapped
                                else ""
                            )
                            + ".",
                        ),
                    )
                )
            depth += 1
        elif op.kind == OpKind.COMMIT:
            if depth == 0:
                out.append(
                    (
                        op,
                        Verdict(
                            "ends a transaction it did not begin"
                            + (
                                f" (the one {facts.framework} wraps the migration in)"
                                if facts.wrapped
                                else ""
                            ),
                            "Statements after it run outside any transaction, so a failure leaves the schema "
                            "half-migrated, and the tool's own COMMIT finds nothing to commit. Remove it.",
                        ),
                    )
                )
            depth = 0
    return out


GR230 = by_code("GR230")


def several_exclusive_locks(ops: tuple[Op, ...], facts: Facts) -> list[Found]:
    held: list[str] = []
    timeout = bool(facts.lock_timeout)
    for op in ops:
        if op.kind == OpKind.COMMIT:
            held = []
            continue
        if _timeout_set(op, "lock_timeout") or op.lock_retries:
            timeout = True
        if not op.in_transaction or not op.table or _locks_traffic(op) != pg.ACCESS_EXCLUSIVE:
            continue
        if op.table in held:
            continue
        held.append(op.table)
        if len(held) == 2:
            first, second = (code(t) for t in held)
            return [
                (
                    op,
                    Verdict(
                        f"holds ACCESS EXCLUSIVE on {first} and {second} in one transaction",
                        f"The lock on {first} is held while this statement waits for {second}: every query "
                        f"on {first} waits too, and code that locks them in the other order deadlocks. Put "
                        "each table's change in its own migration"
                        + ("." if timeout else ", and set a `lock_timeout`."),
                        Severity.NOTICE if timeout else None,
                    ),
                )
            ]
    return []


FILE_TABLE: tuple[FileRule, ...] = (
    FileRule(GR226, missing_lock_timeout),
    FileRule(GR227, missing_statement_timeout),
    FileRule(GR228, uncommitted_transaction),
    FileRule(GR229, nested_transaction),
    FileRule(GR230, several_exclusive_locks),
)


def judge_file(ops: tuple[Op, ...], facts: Facts) -> list[tuple[Rule, Op, Verdict]]:
    """Every whole-migration rule's findings, in table order."""
    out: list[tuple[Rule, Op, Verdict]] = []
    for unit in FILE_TABLE:
        for op, verdict in unit.judge(ops, facts):
            weighed = (
                verdict if facts.tables is None else weigh(unit.rule, op, verdict, facts.tables)
            )
            if weighed is not None:
                out.append((unit.rule, op, weighed))
    return out


# -- table size and traffic (migrations.large-tables / hot-tables / small-tables) ----------------


@dataclass(frozen=True)
class Tables:
    large: tuple[str, ...] = ()
    hot: tuple[str, ...] = ()
    small: tuple[str, ...] = ()

    @staticmethod
    def _matches(table: str | None, globs: tuple[str, ...]) -> bool:
        if not table or not globs:
            return False
        name = table.lower().replace('"', "")
        bare = name.rsplit(".", 1)[-1]
        return any(fnmatchcase(name, g.lower()) or fnmatchcase(bare, g.lower()) for g in globs)

    def size(self, table: str | None) -> str:
        """large | hot | small | "" (unknown)."""
        if self._matches(table, self.hot):
            return "hot"
        if self._matches(table, self.large):
            return "large"
        if self._matches(table, self.small):
            return "small"
        return ""


# Rules whose risk grows with the table's size (a scan, a rewrite, an index build, a long data
# change) and with its traffic (a lock in the queue). Drops, renames and code compatibility do
# not depend on size and are left as they are.
SIZE_SENSITIVE = frozenset(
    {"GR211", "GR216", "GR217", "GR218", "GR219", "GR224", "GR225", "GR227", "GR235", "GR236"}
)
TRAFFIC_SENSITIVE = frozenset({"GR226", "GR230"})
_LOUDER = {Severity.NOTICE: Severity.WARNING, Severity.WARNING: Severity.ERROR}


def weigh(rule: Rule, op: Op, verdict: Verdict, tables: Tables) -> Verdict | None:
    """The verdict for the table's configured size and traffic: louder and stricter for large or
    hot tables, nothing for small ones (None)."""
    size = tables.size(op.table)
    sensitive = rule.code in SIZE_SENSITIVE or rule.code in TRAFFIC_SENSITIVE
    if not size or not sensitive or op.maybe:
        return verdict
    name = code(op.table or "")
    if size == "small":
        # A small table is scanned, rebuilt or locked in milliseconds. A hot one is never small.
        return None
    if size == "large" and rule.code not in SIZE_SENSITIVE:
        return verdict
    severity = verdict.severity or rule.default_severity
    louder = _LOUDER.get(severity, severity)
    note = (
        f" {name} is listed as a large table (`migrations.large-tables`): this runs for as long as "
        "the table is big, so only the online way is acceptable here."
        if size == "large"
        else f" {name} is listed as a high-traffic table (`migrations.hot-tables`): even a short "
        "wait for its lock queues many requests, so set a `lock_timeout` of a few seconds and "
        "retry rather than wait."
    )
    return Verdict(verdict.title, verdict.why + note, louder)
