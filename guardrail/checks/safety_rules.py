"""The migration-safety rules, one unit each, in one explicit table.

A rule is its registry entry (code, name, default severity, docs page `docs/rules/<code>.md`),
the operation kinds it looks at, and a pure function from one operation (and the facts of its
migration) to a verdict: the gap in one line, why it matters with the safe pattern, and a
severity when it differs from the default. Adding a rule: a function here, a row in `TABLE`,
its docs page and its golden cases (tests/rules/<code>.yml).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from guardrail.analysis.migrations import postgres as pg
from guardrail.analysis.migrations.ops import Op, OpKind
from guardrail.analysis.migrations.postgres import DEFAULT_POSTGRES_VERSION
from guardrail.model import Severity
from guardrail.rules import Rule, register
from guardrail.text import code

SAFETY = "migration-safety"


@dataclass(frozen=True)
class Facts:
    """What a rule may consult besides the operation itself."""

    framework: str  # the migration's framework: django, rails, sql, …
    path: str
    postgres: int = DEFAULT_POSTGRES_VERSION  # the major version the migrations run on


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


# -- the rules -------------------------------------------------------------------------------------

GR210 = register(
    Rule(
        "GR210",
        "required-column-without-default",
        SAFETY,
        "Adds a NOT NULL column with no default.",
        Severity.ERROR,
    )
)


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
        "it. Add it nullable, backfill in batches, then set NOT NULL in a later migration.",
    )


GR211 = register(
    Rule("GR211", "set-not-null", SAFETY, "Makes an existing column NOT NULL.", Severity.ERROR)
)


def set_not_null(op: Op, facts: Facts) -> Verdict | None:
    if _new(op):
        return None
    maybe = op.maybe
    return Verdict(
        f"{'may make' if maybe else 'makes'} {target(op)} NOT NULL",
        "It scans the table under an ACCESS EXCLUSIVE lock and fails on any stored row that is still NULL. "
        "Backfill first; on Postgres add `CHECK (col IS NOT NULL) NOT VALID`, `VALIDATE` it, then SET NOT NULL.",
        Severity.WARNING if maybe else None,
    )


GR212 = register(Rule("GR212", "drop-column", SAFETY, "Drops a column.", Severity.WARNING))


def drop_column(op: Op, facts: Facts) -> Verdict | None:
    return Verdict(
        f"drops {target(op)}",
        "The data is gone, and the running version still selects the column until it is restarted. Stop using "
        "it in code first, deploy, then drop it in a later release.",
    )


GR213 = register(
    Rule(
        "GR213",
        "drop-table-or-rows",
        SAFETY,
        "Drops a table, truncates it or deletes rows.",
        Severity.WARNING,
    )
)
_DESTROY_VERB = {
    OpKind.DROP_TABLE: "drops",
    OpKind.TRUNCATE: "truncates",
    OpKind.DELETE_ROWS: "deletes rows from",
}


def drop_table_or_rows(op: Op, facts: Facts) -> Verdict | None:
    return Verdict(
        f"{_DESTROY_VERB[op.kind]} {target(op)}",
        "The data cannot come back with a revert. Remove every use in code first, keep a backup, and say how "
        "to recover in the rollback note.",
    )


GR214 = register(Rule("GR214", "rename-column", SAFETY, "Renames a column.", Severity.ERROR))


def _to_name(op: Op) -> str:
    return f" to {code(op.new_name)}" if op.new_name else ""


def rename_column(op: Op, facts: Facts) -> Verdict | None:
    return Verdict(
        f"renames {target(op)}{_to_name(op)}",
        "The running version still uses the old name and fails until every instance is replaced. Expand and "
        "contract: add the new column, write both, backfill, switch reads, then drop the old one.",
    )


GR215 = register(Rule("GR215", "rename-table", SAFETY, "Renames a table.", Severity.ERROR))


def rename_table(op: Op, facts: Facts) -> Verdict | None:
    return Verdict(
        f"renames {target(op)}{_to_name(op)}",
        "The running version still queries the old name. Create the new table (or a view under the old "
        "name), write to both, then switch.",
    )


GR216 = register(
    Rule("GR216", "change-column-type", SAFETY, "Changes a column's type.", Severity.WARNING)
)


def change_column_type(op: Op, facts: Facts) -> Verdict | None:
    if _new(op) or op.maybe:
        return None
    return Verdict(
        f"changes the type of {target(op)}",
        "Most type changes rewrite the table and its indexes under an ACCESS EXCLUSIVE lock, and stored values "
        "that do not fit fail. Add a new column, backfill, and switch reads instead.",
    )


GR217 = register(
    Rule(
        "GR217",
        "blocking-index-change",
        SAFETY,
        "Creates or drops an index without CONCURRENTLY.",
        Severity.WARNING,
    )
)


def blocking_index_change(op: Op, facts: Facts) -> Verdict | None:
    if _new(op) or op.concurrently:
        return None
    if op.kind == OpKind.DROP_INDEX:
        return Verdict(
            "drops an index without CONCURRENTLY",
            "DROP INDEX takes an ACCESS EXCLUSIVE lock on the table. Use DROP INDEX CONCURRENTLY, after checking "
            "the index is unused.",
        )
    return Verdict(
        f"creates an index on {target(op)} without CONCURRENTLY",
        "Building it holds a SHARE lock that blocks every write to the table until it finishes. Use CREATE "
        "INDEX CONCURRENTLY outside a transaction (Django `AddIndexConcurrently`, Rails `algorithm: :concurrently`).",
    )


GR218 = register(
    Rule(
        "GR218",
        "constraint-validates-under-lock",
        SAFETY,
        "Adds a constraint that checks the whole table under a lock.",
        Severity.WARNING,
    )
)


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


GR219 = register(
    Rule(
        "GR219",
        "volatile-default",
        SAFETY,
        "Adds a column whose default rewrites the table.",
        Severity.WARNING,
    )
)


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


GR221 = register(
    Rule(
        "GR221",
        "concurrent-index-in-transaction",
        SAFETY,
        "Builds an index CONCURRENTLY inside a transaction.",
        Severity.ERROR,
    )
)


def concurrent_index_in_transaction(op: Op, facts: Facts) -> Verdict | None:
    if _new(op) or not op.concurrently or not op.in_transaction:
        return None
    return Verdict(
        f"builds an index on {target(op)} CONCURRENTLY inside a transaction",
        "Postgres refuses CREATE INDEX CONCURRENTLY in a transaction, so the migration fails. Mark the "
        "migration non-transactional (Django `atomic = False`, Rails `disable_ddl_transaction!`, goose "
        "`NO TRANSACTION`).",
    )


GR222 = register(
    Rule(
        "GR222",
        "drop-not-null",
        SAFETY,
        "Allows NULL in a column readers may expect to be set.",
        Severity.NOTICE,
    )
)


def drop_not_null(op: Op, facts: Facts) -> Verdict | None:
    if _new(op):
        return None
    return Verdict(
        f"allows NULL in {target(op)}",
        "Code that assumed the value is always set (including the previous version) may break on new rows.",
    )


# Judged per migration file, not per operation (checks/migrations.py).
GR220 = register(
    Rule(
        "GR220",
        "irreversible-migration",
        SAFETY,
        "The migration cannot be undone.",
        Severity.WARNING,
    )
)


# -- the table: every operation is asked of every rule that names its kind, in this order ----------

TABLE: tuple[SafetyRule, ...] = (
    SafetyRule(GR210, frozenset({OpKind.ADD_COLUMN}), required_column_without_default),
    SafetyRule(GR219, frozenset({OpKind.ADD_COLUMN}), volatile_default),
    SafetyRule(GR211, frozenset({OpKind.SET_NOT_NULL}), set_not_null),
    SafetyRule(GR222, frozenset({OpKind.DROP_NOT_NULL}), drop_not_null),
    SafetyRule(GR212, frozenset({OpKind.DROP_COLUMN}), drop_column),
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
)


def judge(op: Op, facts: Facts) -> list[tuple[Rule, Verdict]]:
    """Every rule's verdict on one operation, in table order."""
    out: list[tuple[Rule, Verdict]] = []
    for unit in TABLE:
        if op.kind in unit.kinds:
            verdict = unit.judge(op, facts)
            if verdict is not None:
                out.append((unit.rule, verdict))
    return out
