"""The vocabulary of data shapes: a shape, its fields, and the typed changes between versions.

A tightening is a change that data or clients of the old shape may fail (catalog T01–T13 in
docs/data-shapes.md); a loosening is one they cannot (a widening, a new optional field). Only
tightenings become findings; loosenings are kept so tests and reports can say what was seen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ShapeKind(StrEnum):
    PYDANTIC = "pydantic"
    DATACLASS = "dataclass"
    ATTRS = "attrs"
    TYPEDDICT = "typeddict"
    ENUM = "enum"
    SQLALCHEMY = "sqlalchemy"
    DJANGO = "django"
    JSONSCHEMA = "jsonschema"
    AVRO = "avro"
    PROTOBUF = "protobuf"
    GRAPHQL_INPUT = "graphql-input"
    GRAPHQL_TYPE = "graphql-type"
    TYPESCRIPT = "typescript"
    ZOD = "zod"
    SQL = "sql"  # the DDL side of a shape, read from a migration


class TKind(StrEnum):
    """Tightenings, by catalog code (a StrEnum: `TKind.REQUIRED == "T01"`)."""

    REQUIRED = "T01"  # optional -> required, default removed
    NEW_REQUIRED = "T02"  # a new field without a default
    NOT_NULL = "T03"  # null no longer accepted
    DEFAULT_CHANGED = "T04"
    REMOVED = "T05"
    RENAMED = "T06"
    TYPE_NARROWED = "T07"
    VALUES_NARROWED = "T08"  # an enum member / literal value no longer accepted
    LIMIT_TIGHTENED = "T09"  # maxLength lowered, minimum raised, pattern added …
    CLOSED = "T10"  # unknown keys now rejected
    WIRE = "T13"  # protobuf wire compatibility: number reused/renumbered, field deleted


class LKind(StrEnum):
    """Loosenings: never findings."""

    OPTIONAL = "optional"  # required -> optional, default added
    NULLABLE = "nullable"  # null now accepted
    NEW_OPTIONAL = "new-optional"  # a new field old data may lack
    TYPE_WIDENED = "type-widened"  # int -> bigint, boolean -> boolean | null
    VALUES_WIDENED = "values-widened"  # an enum member added
    LIMIT_RELAXED = "limit-relaxed"  # a longer max_length


@dataclass(frozen=True)
class Field:
    name: str
    line: int
    required: bool  # must be present (no default)
    nullable: bool  # accepts null / None
    has_default: bool = False
    type: str = ""
    values: frozenset[str] | None = None  # Literal / enum-typed values, when known
    alias: str | None = None
    number: int | None = None  # protobuf field number
    limits: tuple[tuple[str, float], ...] = ()  # maxLength, minimum, … (JSON Schema names)
    group: str | None = None  # the protobuf `oneof` holding the field


@dataclass(frozen=True)
class Shape:
    name: str
    kind: ShapeKind
    line: int
    fields: dict[str, Field] = field(default_factory=dict)
    members: frozenset[str] | None = None  # enums
    closed: bool = False  # unknown keys rejected
    reserved: frozenset[str] = frozenset()
    # Old data or old clients flow into it (stored rows, requests, messages, configuration);
    # False for what only flows out (response types, output-only enums).
    inbound: bool = True
    reserved_ranges: tuple[tuple[int, int], ...] = ()  # protobuf `reserved 4, 8 to 10;`

    def number_reserved(self, number: int | None) -> bool:
        return number is not None and any(lo <= number <= hi for lo, hi in self.reserved_ranges)

    @property
    def reads_stored_data(self) -> bool:
        """Shapes whose instances are built from data written earlier (storage, requests)."""
        return self.inbound and self.kind != ShapeKind.GRAPHQL_TYPE


class ShapeReadError(Exception):
    """A file a reader could not interpret: reported as such (GR901), never skipped silently."""

    def __init__(self, message: str, line: int = 1) -> None:
        super().__init__(f"line {line}: {message}")
        self.message = message
        self.line = line


@dataclass(frozen=True)
class Tightening:
    code: TKind
    shape: Shape  # head version (base version for a removed shape)
    field: str | None
    line: int
    what: str  # one phrase: "`coupon` became required"
    old: Field | None = None
    new: Field | None = None
    old_fields: tuple[str, ...] = ()  # the fields the old shape had: what old data carries


@dataclass(frozen=True)
class Loosening:
    kind: LKind
    shape: Shape
    field: str | None
    line: int
