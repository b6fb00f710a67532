"""What each PostgreSQL major version does, in one place: the rules ask here, never hard-code.

The default version is the oldest major the PostgreSQL project still supports on the day this
release was cut (2026-11-28). Each major is supported for five years; PostgreSQL 14's final
release was planned for 12 November 2026 (postgresql.org/support/versioning), so 14 is out of
support and 15 (supported until November 2027) is the oldest supported major. Judging for the
oldest supported version means a rule never calls safe what an older but still supported server
would do badly; a team on a newer server says so with `migrations.postgres-version`.
"""

from __future__ import annotations

import re

DEFAULT_POSTGRES_VERSION = 15
OLDEST_KNOWN = 10
NEWEST_KNOWN = 18

# Feature -> the first major that has it.
NON_VOLATILE_DEFAULT_NO_REWRITE = 11  # ADD COLUMN ... DEFAULT <constant or stable> is catalog-only
SET_NOT_NULL_USES_VALID_CHECK = 12  # a validated CHECK (col IS NOT NULL) spares the scan
ENUM_ADD_VALUE_IN_TRANSACTION = 12  # ALTER TYPE ... ADD VALUE may run inside a transaction
REINDEX_CONCURRENTLY = 12
DETACH_PARTITION_CONCURRENTLY = 14
NULLS_NOT_DISTINCT = 15

FEATURES: dict[str, int] = {
    "a non-volatile column default without a table rewrite": NON_VOLATILE_DEFAULT_NO_REWRITE,
    "SET NOT NULL proven by a validated CHECK constraint": SET_NOT_NULL_USES_VALID_CHECK,
    "ALTER TYPE … ADD VALUE inside a transaction block": ENUM_ADD_VALUE_IN_TRANSACTION,
    "REINDEX CONCURRENTLY": REINDEX_CONCURRENTLY,
    "DETACH PARTITION CONCURRENTLY": DETACH_PARTITION_CONCURRENTLY,
    "UNIQUE NULLS NOT DISTINCT": NULLS_NOT_DISTINCT,
}

# Type names as pglast spells them, to one family name.
_ALIASES = {
    "int2": "smallint",
    "smallint": "smallint",
    "int4": "integer",
    "int": "integer",
    "integer": "integer",
    "int8": "bigint",
    "bigint": "bigint",
    "varchar": "varchar",
    "character varying": "varchar",
    "text": "text",
    "bpchar": "char",
    "char": "char",
    "character": "char",
    "numeric": "numeric",
    "decimal": "numeric",
    "varbit": "varbit",
    "bit varying": "varbit",
    "citext": "citext",
    "timestamp": "timestamp",
    "timestamptz": "timestamptz",
    # EF Core's `type:` and Laravel write the SQL-standard names.
    "timestamp without time zone": "timestamp",
    "timestamp with time zone": "timestamptz",
    "time": "time",
    "timetz": "timetz",
    "time without time zone": "time",
    "time with time zone": "timetz",
    "json": "json",
    "jsonb": "jsonb",
}
_TYPE = re.compile(r"^\s*([a-z_ 0-9]+?)\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?\s*$")


# pglast spells built-in types by their catalog names (`int4`, `int8`, `bool`); a finding names
# them as the author writes them in SQL.
_SQL_SPELLING = {
    "int2": "smallint",
    "int4": "integer",
    "int8": "bigint",
    "float4": "real",
    "float8": "double precision",
    "bool": "boolean",
    "bpchar": "char",
    "varbit": "bit varying",
}


def display_type(type_text: str) -> str:
    """`int4` -> `integer`, `bpchar(3)` -> `char(3)`, `int8[]` -> `bigint[]`; others unchanged."""
    cut = min(
        (i for i in (type_text.find("("), type_text.find("[")) if i >= 0), default=len(type_text)
    )
    head = type_text[:cut].strip()
    return _SQL_SPELLING.get(head.lower(), head) + type_text[cut:] if head else type_text


def _parse(type_text: str) -> tuple[str, tuple[int, ...]] | None:
    m = _TYPE.match(type_text.lower().replace("pg_catalog.", ""))
    if not m:
        return None
    name = _ALIASES.get(m.group(1).strip())
    if name is None:
        return None
    mods = tuple(int(g) for g in m.groups()[1:] if g is not None)
    return name, mods


def same_type(a: str, b: str) -> bool | None:
    """Do two spellings name one type (`varchar(20)` and `character varying(20)`)? None when
    either is not a spelling guardrail can compare."""
    left, right = _parse(a), _parse(b)
    if left is None or right is None:
        return None
    return left == right


def known_type(type_text: str) -> bool:
    """Is this a spelling guardrail can compare (`character varying(20)`, `int8`, `timestamptz`)?"""
    return _parse(type_text) is not None


def type_change_rewrites(
    old: str, new: str, version: int = DEFAULT_POSTGRES_VERSION
) -> bool | None:
    """Does `ALTER COLUMN … TYPE new` on a column of type `old` rewrite the table (and its
    indexes) on this major version? None when guardrail does not know the pair.

    Binary-coercible changes are catalog-only (since 9.2): widening or dropping a varchar
    length, varchar -> text, text -> varchar without a length, raising a numeric's precision at
    the same scale, varbit widening. `int` -> `bigint` and the other integer widenings change
    the on-disk width and rewrite. A narrowing is not a rewrite but a full scan that fails on
    values that do not fit; it is reported as a rewrite (the table is read under the lock).
    """
    del version  # the same on every supported major; kept for the version-specific cases
    old_array, new_array = old.rstrip().endswith("[]"), new.rstrip().endswith("[]")
    if old_array or new_array:
        return _array_change_rewrites(old, new) if old_array and new_array else None
    a, b = _parse(old), _parse(new)
    if a is None or b is None:
        return None
    (an, am), (bn, bm) = a, b
    if an == bn and am == bm:
        return False
    if an in ("varchar", "text", "citext") and bn in ("varchar", "text"):
        if bn == "text" and an != "citext":
            return False
        if bn == "varchar" and not bm:
            return an == "citext"
        if an == "varchar" and bn == "varchar":
            return bool(am) and bool(bm) and bm[0] < am[0]
        return True
    if an == "varbit" and bn == "varbit":
        return bool(am) and bool(bm) and bm[0] < am[0]
    if an == "numeric" and bn == "numeric":
        if not bm:
            return False  # unconstrained numeric takes every value
        if not am:
            return True
        same_scale = (am[1:] or (0,)) == (bm[1:] or (0,))
        return not (same_scale and bm[0] >= am[0])
    if an in ("smallint", "integer", "bigint") and bn in ("smallint", "integer", "bigint"):
        return True
    if an == bn and an in ("timestamp", "timestamptz", "time", "timetz"):
        # 9.2 release notes: raising a timestamp's precision (or dropping it) keeps the table;
        # lowering it rounds every value. 6 is the most a timestamp holds, so `timestamp` ->
        # `timestamp(6)` keeps it too (timestamp.c, TemporalSimplify: new == max precision is a
        # relabel): Rails 7 writes `datetime` as timestamp(6), older migrations as timestamp.
        # time and timetz simplify the same way (date.c, time_support; MAX_TIME_PRECISION 6).
        return bool(bm) and bm[0] < 6 and (not am or bm[0] < am[0])
    if an == "json" and bn == "jsonb":
        return True
    return None


def _array_change_rewrites(old: str, new: str) -> bool | None:
    """Between two array types every change rewrites, even one whose element change alone keeps
    the table (`varchar(255)[]` -> `text[]`, `varchar(20)[]` -> `varchar(40)[]`): PostgreSQL
    converts an array column with an ArrayCoerceExpr, and ATColumnChangeRequiresRewrite
    (tablecmds.c) only looks through a RelabelType. Observed on the embedded PostgreSQL 18.6 for
    those two pairs, `integer[]` -> `bigint[]` and `timestamp(0)[]` -> `timestamp(3)[]`."""
    a, b = old.rstrip()[:-2], new.rstrip()[:-2]
    if a.strip().lower() == b.strip().lower():
        return False
    same = same_type(a, b)
    return None if same is None else not same


def describe(version: int) -> str:
    return f"PostgreSQL {version}"


# -- locks: what each operation holds on an existing table (PostgreSQL docs, "Explicit Locking") --

ACCESS_EXCLUSIVE = "ACCESS EXCLUSIVE"  # blocks reads and writes
EXCLUSIVE = "EXCLUSIVE"
SHARE_ROW_EXCLUSIVE = "SHARE ROW EXCLUSIVE"  # blocks writes
SHARE = "SHARE"  # blocks writes
SHARE_UPDATE_EXCLUSIVE = "SHARE UPDATE EXCLUSIVE"  # blocks other DDL and VACUUM, not traffic
ROW_EXCLUSIVE = "ROW EXCLUSIVE"  # UPDATE / DELETE: blocks nothing but the row writers
ACCESS_SHARE = "ACCESS SHARE"

# Modes that block ordinary reads or writes while held, and everyone queued behind them while
# waiting: these are the statements that need a lock_timeout.
BLOCKS_TRAFFIC = frozenset({ACCESS_EXCLUSIVE, EXCLUSIVE, SHARE_ROW_EXCLUSIVE, SHARE})

LOCK_MODES = (
    ACCESS_SHARE,
    "ROW SHARE",
    ROW_EXCLUSIVE,
    SHARE_UPDATE_EXCLUSIVE,
    SHARE,
    SHARE_ROW_EXCLUSIVE,
    EXCLUSIVE,
    ACCESS_EXCLUSIVE,
)

_KIND_LOCK = {
    "add_column": ACCESS_EXCLUSIVE,
    "set_not_null": ACCESS_EXCLUSIVE,
    "drop_not_null": ACCESS_EXCLUSIVE,
    "drop_column": ACCESS_EXCLUSIVE,
    "drop_table": ACCESS_EXCLUSIVE,
    "truncate": ACCESS_EXCLUSIVE,
    "rename_column": ACCESS_EXCLUSIVE,
    "rename_table": ACCESS_EXCLUSIVE,
    "alter_type": ACCESS_EXCLUSIVE,
    "add_check": ACCESS_EXCLUSIVE,
    "add_unique": ACCESS_EXCLUSIVE,
    "add_primary_key": ACCESS_EXCLUSIVE,
    "set_default": ACCESS_EXCLUSIVE,
    "drop_default": ACCESS_EXCLUSIVE,
    "drop_constraint": ACCESS_EXCLUSIVE,
    "rewrite_table": ACCESS_EXCLUSIVE,
    "detach_partition": ACCESS_EXCLUSIVE,
    "add_foreign_key": SHARE_ROW_EXCLUSIVE,
    "create_index": SHARE,
    "drop_index": ACCESS_EXCLUSIVE,
    "reindex": ACCESS_EXCLUSIVE,  # on the index; SHARE on its table
    "validate_constraint": SHARE_UPDATE_EXCLUSIVE,
    "backfill": ROW_EXCLUSIVE,
    "delete_rows": ROW_EXCLUSIVE,
}
_CONCURRENT_LOCK = {
    "create_index": SHARE_UPDATE_EXCLUSIVE,
    "drop_index": SHARE_UPDATE_EXCLUSIVE,
    "reindex": SHARE_UPDATE_EXCLUSIVE,
    "detach_partition": SHARE_UPDATE_EXCLUSIVE,
}


def lock_of(kind: str, *, concurrently: bool = False, mode: str | None = None) -> str | None:
    """The table lock an operation of this kind takes (None: none worth naming). `mode` is the
    mode an explicit LOCK TABLE or a reader already knows."""
    if mode:
        return mode
    if concurrently and kind in _CONCURRENT_LOCK:
        return _CONCURRENT_LOCK[kind]
    return _KIND_LOCK.get(kind)
