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
    "json": "json",
    "jsonb": "jsonb",
}
_TYPE = re.compile(r"^\s*([a-z_ ]+?)\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?\s*$")


def _parse(type_text: str) -> tuple[str, tuple[int, ...]] | None:
    m = _TYPE.match(type_text.lower().replace("pg_catalog.", ""))
    if not m:
        return None
    name = _ALIASES.get(m.group(1).strip())
    if name is None:
        return None
    mods = tuple(int(g) for g in m.groups()[1:] if g is not None)
    return name, mods


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
    if an == "json" and bn == "jsonb":
        return True
    return None


def describe(version: int) -> str:
    return f"PostgreSQL {version}"
