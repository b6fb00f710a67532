"""What a migration does, in one vocabulary for every framework and SQL dialect."""

from __future__ import annotations

from dataclasses import dataclass, field

# Operation kinds. Each maps to at most one migration-safety rule (checks/migrations.py).
ADD_COLUMN = "add_column"  # detail: not_null, has_default, volatile_default, generated_stored
SET_NOT_NULL = "set_not_null"
DROP_NOT_NULL = "drop_not_null"
DROP_COLUMN = "drop_column"
DROP_TABLE = "drop_table"
TRUNCATE = "truncate"
DELETE_ROWS = "delete_rows"
RENAME_COLUMN = "rename_column"
RENAME_TABLE = "rename_table"
ALTER_TYPE = "alter_type"
CREATE_INDEX = "create_index"  # detail: concurrently, unique
DROP_INDEX = "drop_index"  # detail: concurrently
ADD_FOREIGN_KEY = "add_foreign_key"  # detail: not_valid
ADD_CHECK = "add_check"  # detail: not_valid
ADD_UNIQUE = "add_unique"  # detail: using_index
ADD_PRIMARY_KEY = "add_primary_key"  # detail: using_index
SET_DEFAULT = "set_default"
CREATE_TABLE = "create_table"
BACKFILL = "backfill"  # UPDATE / data migration code
DATA_MIGRATION = "data_migration"  # RunPython and the like
IRREVERSIBLE = "irreversible"  # detail: why
RAW = "raw"  # a statement or call guardrail could not read
BEGIN = "begin"
COMMIT = "commit"

DESTRUCTIVE = frozenset({DROP_COLUMN, DROP_TABLE, TRUNCATE, DELETE_ROWS})


@dataclass(frozen=True)
class Op:
    kind: str
    line: int  # 1-based line in the migration file
    table: str | None = None
    column: str | None = None
    detail: dict[str, object] = field(default_factory=dict)
    text: str = ""  # the statement or call, shortened, for messages
    # Suppression written next to the statement: ("GR217", "reason") pairs.
    ignores: tuple[tuple[str, str], ...] = ()

    def flag(self, name: str) -> bool:
        return bool(self.detail.get(name))

    @property
    def destructive(self) -> bool:
        if self.kind in DESTRUCTIVE:
            return True
        return self.kind == ALTER_TYPE and bool(self.detail.get("narrowing"))


@dataclass(frozen=True)
class Reading:
    """Everything read from one migration file."""

    framework: str
    ops: tuple[Op, ...]
    reversible: bool | None = None  # None: the framework has no notion we can check
    irreversible_why: str = ""
    notes: tuple[str, ...] = ()  # what could not be read
    in_transaction: bool = False  # the framework wraps the migration in a transaction
