"""What a migration does, in one vocabulary for every framework and SQL dialect.

Every reader (SQL, Django/Alembic, the DSL readers) produces `Op`s; every check reads them. The
facts an operation carries are typed attributes, so mypy catches a misspelled one: there is no
free-form detail dictionary. A fact that does not apply to a kind keeps its default.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TypedDict


class OpKind(enum.StrEnum):
    """Operation kinds. Each maps to at most one migration-safety rule (checks/migrations.py)."""

    ADD_COLUMN = "add_column"  # not_null, has_default, orm_default, volatile_default
    SET_NOT_NULL = "set_not_null"  # maybe
    DROP_NOT_NULL = "drop_not_null"
    DROP_COLUMN = "drop_column"
    DROP_TABLE = "drop_table"
    TRUNCATE = "truncate"
    DELETE_ROWS = "delete_rows"
    RENAME_COLUMN = "rename_column"  # new_name
    RENAME_TABLE = "rename_table"  # new_name
    ALTER_TYPE = "alter_type"  # narrowing, to_type, maybe
    CREATE_INDEX = "create_index"  # concurrently, unique
    DROP_INDEX = "drop_index"  # concurrently
    ADD_FOREIGN_KEY = "add_foreign_key"  # not_valid
    ADD_CHECK = "add_check"  # not_valid
    ADD_UNIQUE = "add_unique"  # using_index, maybe
    ADD_PRIMARY_KEY = "add_primary_key"  # using_index
    SET_DEFAULT = "set_default"
    CREATE_TABLE = "create_table"  # if_not_exists, table_columns
    BACKFILL = "backfill"  # UPDATE / data migration code; batched
    DATA_MIGRATION = "data_migration"  # RunPython and the like
    IRREVERSIBLE = "irreversible"  # why
    RAW = "raw"  # a statement or call guardrail could not read; why
    BEGIN = "begin"
    COMMIT = "commit"  # COMMIT or ROLLBACK
    # PostgreSQL statements the deploy-safety rules read (checks/safety_rules.py).
    SETTING = "setting"  # SET name = value, set_config(): setting, value
    REINDEX = "reindex"  # name, concurrently, reindex_target
    DETACH_PARTITION = "detach_partition"  # name (the partition), concurrently
    DOMAIN_CONSTRAINT = "domain_constraint"  # name (the domain), created, not_valid
    DROP_TYPE = "drop_type"  # name
    RENAME_ENUM_VALUE = "rename_enum_value"  # name (the type), value (old label), new_name
    ADD_ENUM_VALUE = "add_enum_value"  # name (the type), value
    DROP_CONSTRAINT = "drop_constraint"  # name, primary_key
    DROP_DEFAULT = "drop_default"
    LOCK_TABLE = "lock_table"  # LOCK, COMMENT ON, VACUUM, CREATE TRIGGER: lock
    REWRITE_TABLE = "rewrite_table"  # VACUUM FULL, CLUSTER
    # TypeORM `changeColumn` that drops the column and adds it again: why (what differs), maybe
    # (what the column is in the database is not known), to_type (the new type as written).
    RECREATE_COLUMN = "recreate_column"

    @property
    def words(self) -> str:
        """`add_column` -> "add column", for messages."""
        return self.value.replace("_", " ")


# ALTER_TYPE's `why` when the column was restated in full and nothing guardrail read (the
# earlier migrations in its folder, the lines above it) says the column exists: a squashed
# history or a column made outside migrations. GR216 says so rather than guess.
OLD_TYPE_UNKNOWN = "old type unknown"

DESTRUCTIVE = frozenset(
    {
        OpKind.DROP_COLUMN,
        OpKind.DROP_TABLE,
        OpKind.TRUNCATE,
        OpKind.DELETE_ROWS,
        OpKind.RECREATE_COLUMN,
    }
)


class Facts(TypedDict, total=False):
    """The optional facts of an `Op`, for readers' helpers that pass them on as keywords
    (`**facts: Unpack[Facts]`): mypy checks each name and type at the call."""

    not_null: bool
    has_default: bool
    orm_default: bool
    volatile_default: bool
    concurrently: bool
    unique: bool
    not_valid: bool
    using_index: bool
    narrowing: bool
    to_type: str | None
    new_name: str | None
    batched: bool
    columns: tuple[str, ...]
    maybe: bool
    why: str
    if_not_exists: bool
    definition: str
    new_table: bool
    in_transaction: bool
    name: str | None
    setting: str | None
    value: str | None
    lock: str | None
    primary_key: bool
    created: bool
    reindex_target: str
    nulls_not_distinct: bool
    validated_check: bool
    from_type: str | None
    lock_retries: bool
    assured: str
    cascade: bool
    model: str | None
    table_columns: tuple[ColumnDef, ...]
    only_without: tuple[str, str] | None


@dataclass(frozen=True)
class ColumnDef:
    """One column as a CREATE TABLE (`CreateModel`, `op.create_table`, `create_table do |t|`,
    `Schema::create`, …) defines it, so a later migration that restates the column (Laravel
    `->change()`, Sequelize `changeColumn`, Ecto `modify`, …) can be compared with what an earlier
    migration made it. Only what reaches the database; a fact the reader cannot tell keeps its
    default, and `type` is empty when the type is not known."""

    name: str
    # As PostgreSQL spells it where the reader can tell (`varchar(100)`, `integer`, `bigint`,
    # `numeric(10,2)`, `timestamptz`, `jsonb`: analysis/migrations/postgres.py compares these),
    # else the framework's own name in lower case (a Django field class, a DSL type).
    type: str = ""
    not_null: bool = False  # NOT NULL, a primary key, or the framework's NOT NULL by default
    # The default the database keeps, as written and normalized (`0`, `'draft'`, `now()`);
    # None: no database default (an ORM-only default such as Django's `default=` is not one).
    default: str | None = None
    primary_key: bool = False

    @property
    def has_default(self) -> bool:
        return self.default is not None


@dataclass(frozen=True)
class Op:
    kind: OpKind
    line: int  # 1-based line in the migration file
    table: str | None = None
    column: str | None = None
    text: str = ""  # the statement or call, shortened, for messages
    # Suppression written next to the statement: ("GR217", "reason") pairs.
    ignores: tuple[tuple[str, str], ...] = ()
    # Where it runs.
    new_table: bool = False  # the table was created earlier in this migration: it has no rows
    in_transaction: bool = False  # the statement runs inside a transaction
    # ADD_COLUMN
    not_null: bool = False
    has_default: bool = False  # a default the database keeps (old code's inserts get it)
    orm_default: bool = False  # a default only the ORM applies (Django `default=`)
    volatile_default: bool = False  # computed per row (volatile, generated, serial): rewrites
    # CREATE_INDEX / DROP_INDEX
    concurrently: bool = False
    unique: bool = False
    # ADD_FOREIGN_KEY / ADD_CHECK
    not_valid: bool = False
    # ADD_UNIQUE / ADD_PRIMARY_KEY
    using_index: bool = False  # built from an index that already exists
    # ALTER_TYPE
    narrowing: bool = False  # stored values may not fit, or the table is rewritten
    to_type: str | None = None  # the new type as written (SQL type or ORM field class)
    # RENAME_COLUMN / RENAME_TABLE
    new_name: str | None = None
    # BACKFILL
    batched: bool = False
    # The columns it sets, when the reader can tell (SQL UPDATE, Rails `update_all(col: …)`,
    # the fields a Django RunPython function writes); also on DATA_MIGRATION. On DELETE_ROWS: the
    # columns whose NULL rows it removes for certain (`WHERE col IS NULL OR …`).
    columns: tuple[str, ...] = ()
    # The reader cannot tell whether this really changes anything (Django AlterField restates
    # the whole field; what it was before is resolved against the base commit's model).
    maybe: bool = False
    # RAW / IRREVERSIBLE: what could not be read, or why it cannot be undone; DROP_NOT_NULL /
    # DROP_DEFAULT: how a restatement drops it (`restated without …`), for the finding's words.
    why: str = ""
    # CREATE_TABLE: `IF NOT EXISTS` — the table may already be there, with rows. ADD_COLUMN:
    # sent as `ADD COLUMN IF NOT EXISTS` (Ecto `add_if_not_exists`, SQL): where the column
    # exists it does nothing but still takes its lock (a host-language guard sends nothing).
    if_not_exists: bool = False
    # What the reader saw that decides the database's shape beyond the facts above, normalized
    # (comments, formatting and ORM-only arguments such as Django's `related_name` left out):
    # the same operation at the base and head commits has the same definition. Empty when the
    # facts say it all. Read by compare.py only, never shown.
    definition: str = ""
    # The object a statement names when it is not a table or column: index, type, domain,
    # constraint, partition; for a BACKFILL written through an ORM model whose table the reader
    # cannot tell (Rails `Order.update_all`), the model, lower case.
    name: str | None = None
    # SETTING: the setting's name (lower case) and value as written; ADD/RENAME_ENUM_VALUE: label.
    setting: str | None = None
    value: str | None = None
    # LOCK_TABLE: the lock mode it takes (analysis/migrations/postgres.py names them).
    lock: str | None = None
    # DROP_CONSTRAINT: the table's primary key (named `<table>_pkey`, or DROP PRIMARY KEY).
    primary_key: bool = False
    # DOMAIN_CONSTRAINT: the domain is created here (no column uses it yet).
    created: bool = False
    # REINDEX: index | table | schema | database | system.
    reindex_target: str = ""
    # CREATE_INDEX / ADD_UNIQUE: UNIQUE NULLS NOT DISTINCT (PostgreSQL 15).
    nulls_not_distinct: bool = False
    # SET_NOT_NULL: a validated CHECK (col IS NOT NULL) proves it (no scan from PostgreSQL 12).
    validated_check: bool = False
    # ALTER_TYPE: the column's type before, when the migration or an earlier one says it.
    from_type: str | None = None
    # Runs under the framework's lock retries (GitLab's `with_lock_retries`/`enable_lock_retries!`):
    # a short lock_timeout, retried with a growing one, so the wait in the lock queue is bounded.
    lock_retries: bool = False
    # Acknowledged in code by the construct named here (strong_migrations' `safety_assured`).
    assured: str = ""
    # TRUNCATE / DROP TABLE … CASCADE: tables that reference this one go too.
    cascade: bool = False
    # Django: the model (lower case) the operation names; `table` is its real table
    # (`<app_label>_<model>`, or the model's `db_table`), as SQL and the other readers name it.
    model: str | None = None
    # CREATE_TABLE: the columns it defines, in order, when the reader can tell (empty: not read,
    # or a table created from another one). Part of what the operation does (compare.py), so
    # an edit that changes a column of a shipped CREATE TABLE is an operation change.
    table_columns: tuple[ColumnDef, ...] = ()
    # Runs only where this (table, column) is missing: ADD COLUMN IF NOT EXISTS (Rails
    # `if_not_exists: true`, Ecto `add_if_not_exists`), or a statement inside a guard that asks
    # (`unless column_exists?`, `if (!Schema::hasColumn(…))`, knex `hasColumn`). Where an earlier
    # migration already made the column, it does nothing (GR296). ADD_COLUMN also carries its own
    # definition in `table_columns` when the reader can tell.
    only_without: tuple[str, str] | None = None

    @property
    def destructive(self) -> bool:
        if self.kind in DESTRUCTIVE:
            return True
        return self.kind == OpKind.ALTER_TYPE and self.narrowing


@dataclass(frozen=True)
class DjangoField:
    """Django: what one field declaration makes of its column, for the replay of an app's
    migrations (analysis/migrations/django_state.py). Only what reaches the database:
    `related_name`, `verbose_name`, `help_text`, `validators`, choices and `default=` (applied
    by the ORM) are not here, so a restatement that changes only those compares equal."""

    field: str  # the field class as written ("CharField", a project's own class)
    type: str  # PostgreSQL type (django.column_type); "" when not known (a foreign key)
    null: bool
    pk: bool
    many: bool  # many-to-many: no column
    db_default: str | None  # `db_default=` as written, normalized; None: none
    target: str = ""  # a relation's `to`, as written (its column's type is the target's key)
    # A project's own field class: where the migration imports it from (`shop.fields.MoneyField`),
    # and the literal sizes its call gives (max_length, max_digits, decimal_places), so its
    # column type can be worked out from the Django class it derives from (django_fields.py).
    origin: str = ""
    sizes: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class FieldEvent:
    """Django: one step of an app's model state, in file order. `kind` is one of
    create (a model and its `fields`), add, alter, remove, rename (field `name` -> `new_name`),
    delete, rename_model (`model` -> `new_name`), touch (SQL changed `table`.`name`'s column,
    or the whole table when `name` is None: unknown from then on), lost (operations guardrail
    could not read: the app's whole state is unknown from then on)."""

    kind: str
    line: int
    model: str | None = None  # lower case
    table: str | None = None
    name: str | None = None
    new_name: str | None = None
    field: DjangoField | None = None  # None: a declaration guardrail cannot read
    fields: tuple[tuple[str, DjangoField | None], ...] = ()


@dataclass(frozen=True)
class Reading:
    """Everything read from one migration file."""

    framework: str
    ops: tuple[Op, ...]
    reversible: bool | None = None  # None: the framework has no notion we can check
    irreversible_why: str = ""
    notes: tuple[str, ...] = ()  # what could not be read
    in_transaction: bool = False  # the framework wraps the migration in a transaction
    # Django: what changes only Django's idea of the models, not the database
    # (`SeparateDatabaseAndState(state_operations=…)`, a many-to-many field `through=` a model
    # of its own). No check judges these; schema drift reads them (the model change is covered).
    state: tuple[Op, ...] = ()
    # Django: arguments of a project's own field classes that may or may not reach the database
    # (a literal on an argument guardrail does not know, `VectorField(dimensions=3)`), as
    # `Class(arg=value)`. Left out of the operations' definitions; compare.py reports an edit
    # that changes only these as one guardrail cannot judge.
    unsure: tuple[str, ...] = ()
    # Django: the model state's steps as Django applies them (its state operations, not the
    # database operations of SeparateDatabaseAndState), for the replay of earlier migrations.
    fields: tuple[FieldEvent, ...] = ()
    # Alembic: the file's `revision` and its `down_revision`s (a merge has several), for the
    # replay of the revisions before it (analysis/migrations/alembic_chain.py).
    revision: str | None = None
    parents: tuple[str, ...] = ()
    # Alembic: `depends_on` (revisions, or branch labels, applied before this one although not
    # its `down_revision`) and the `branch_labels` this revision declares, which a `depends_on`
    # elsewhere may name instead of its id.
    depends_on: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class Framework:
    """A migration framework's own way to apply each safe pattern, in its own words (Markdown).

    The one source of framework-specific advice: every finding that says how to fix something
    asks the framework's row (analysis/migrations/detect.py `framework()`), so a Laravel author
    reads `DB::statement`, a TypeORM author `queryRunner.query`. Each phrase is written to
    follow "in …" or "Set …" or "Do it in …" in a finding's detail; `{sql}` in `raw_sql` stands
    for the statement."""

    name: str
    language: str
    wraps_transaction: bool  # each migration runs in a transaction unless the author opts out
    no_transaction: str  # where a statement runs outside a transaction ("Run it in …")
    concurrent_index: str  # how to build an index without blocking writes
    drop_index: str  # how to drop an index without blocking reads and writes
    lock_timeout: str  # how to set `lock_timeout` for this migration ("Set …")
    batch: str  # how to change many rows one short transaction at a time ("Do it in …")
    db_default: str  # how a column gets a default the database applies to every insert
    raw_sql: str  # how to run one SQL statement, `{sql}` being the statement
    statement_timeout: str = ""  # "Set …"; empty: `lock_timeout`'s way with statement_timeout

    def run_sql(self, sql: str) -> str:
        return self.raw_sql.replace("{sql}", sql)

    @property
    def set_statement_timeout(self) -> str:
        return self.statement_timeout or self.lock_timeout.replace(
            "lock_timeout = '5s'", "statement_timeout = '15min'"
        )
