"""Comparing two versions of a file's shapes: typed tightenings (findings) and loosenings."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from guardrail.analysis.shapes.model import (
    Field,
    LKind,
    Loosening,
    Shape,
    ShapeKind,
    Tightening,
    TKind,
)
from guardrail.text import code

# Type names whose values all fit the second: a change between them is a widening.
_WIDER = frozenset(
    {
        ("int", "float"),
        ("int", "Decimal"),
        ("int", "bigint"),
        ("int32", "int64"),
        ("integer", "number"),
        ("Integer", "BigInteger"),
        ("SmallInteger", "Integer"),
        ("SmallInteger", "BigInteger"),
        ("IntegerField", "BigIntegerField"),
        ("SmallIntegerField", "IntegerField"),
        ("SmallIntegerField", "BigIntegerField"),
        ("PositiveIntegerField", "IntegerField"),
        ("PositiveIntegerField", "BigIntegerField"),
        ("PositiveSmallIntegerField", "PositiveIntegerField"),
        ("PositiveBigIntegerField", "BigIntegerField"),
        ("CharField", "TextField"),
        ("String", "Text"),
        ("str", "Any"),
        ("int", "Any"),
    }
)


def _non_null_marks(t: str) -> set[int]:
    """Where a GraphQL type says `!`, as positions in the type written without them."""
    out: set[int] = set()
    at = 0
    for ch in t:
        if ch == "!":
            out.add(at)
        else:
            at += 1
    return out


def _types_narrowed(old: str, new: str) -> bool:
    if not old or not new or old == new:
        return False
    if "!" in old + new and old.replace("!", "") == new.replace("!", ""):
        # GraphQL: the same type with `!` added or dropped. Dropping one (`ID!` → `ID`,
        # `[Line!]!` → `[Line!]`) accepts more; only a `!` the old type lacked narrows it
        # (`[Line]` → `[Line!]`: a list holding null is refused).
        return not _non_null_marks(new) <= _non_null_marks(old)

    def norm(t: str) -> frozenset[str]:
        return frozenset(
            p.strip()
            for p in t.replace("Optional[", "")
            .replace("]", "")
            .replace("None", "")
            .replace("null", "")
            .split("|")
            if p.strip()
        )

    a, b = norm(old), norm(new)
    if not a or not b:
        return False
    # A widening keeps every old type (or a type wider than it).
    return not all(t in b or any((t, w) in _WIDER for w in b) for t in a)


# A TypeScript type written only with built-in types and literals (`string | null`, `number[]`,
# `"new" | "paid"`): what it accepts is known from its text. A named type (`TTeamPermission`,
# `Partial<Order>`) is declared elsewhere, so its text says nothing about what it accepts.
_TS_BUILTIN = re.compile(
    r"\s*(string|number|boolean|bigint|null|undefined|Date|object|true|false"
    r'|"[^"]*"|'
    "'[^']*'"
    r"|-?\d+(\.\d+)?)(\[\])*\s*"
)


def _ts_known(t: str) -> bool:
    return all(_TS_BUILTIN.fullmatch(part) for part in t.split("|"))


def _tighter_limit(key: str, prev: float | None, value: float) -> bool:
    if prev is None:
        return key != "pattern"  # a limit that did not exist before
    if key.startswith(("max", "exclusiveMax")):
        return value < prev
    if key.startswith(("min", "exclusiveMin")):
        return value > prev
    return False


# (wider, narrower) pairs that share a wire encoding: the narrower type truncates stored values.
_PROTO_NARROWER = frozenset(
    {
        ("int64", "int32"),
        ("uint64", "uint32"),
        ("sint64", "sint32"),
        ("uint64", "int32"),
        ("int64", "uint32"),
        ("uint32", "int32"),
        ("int64", "bool"),
        ("int32", "bool"),
        ("uint32", "bool"),
        ("uint64", "bool"),
        ("bytes", "string"),
    }
)


@dataclass
class ShapeDiff:
    tightenings: list[Tightening] = field(default_factory=list)
    loosenings: list[Loosening] = field(default_factory=list)


# (old field name, new field name) -> what shows it is a rename ("`0012_x.py` renames the column")
Renames = dict[tuple[str, str], str]


def compare(
    base: list[Shape], head: list[Shape], renames: Renames | None = None
) -> list[Tightening]:
    """Tightenings from `base` to `head`: what data or clients of the old shape may now fail."""
    return diff(base, head, renames).tightenings


def diff(base: list[Shape], head: list[Shape], renames: Renames | None = None) -> ShapeDiff:
    before = {s.name: s for s in base}
    out = ShapeDiff()
    for new in head:
        old = before.get(new.name)
        if old is not None:
            _ShapePair(old, new, out, renames or {}).run()
    return out


@dataclass
class _ShapePair:
    old: Shape
    new: Shape
    out: ShapeDiff
    renames: Renames

    def tight(
        self,
        kind: TKind,
        name: str | None,
        line: int,
        what: str,
        o: Field | None = None,
        f: Field | None = None,
    ) -> None:
        self.out.tightenings.append(
            Tightening(kind, self.new, name, line, what, o, f, tuple(self.old.fields))
        )

    def loose(self, kind: LKind, name: str | None, line: int) -> None:
        self.out.loosenings.append(Loosening(kind, self.new, name, line))

    def run(self) -> None:
        old, new = self.old, self.new
        if not new.reads_stored_data and new.kind != ShapeKind.GRAPHQL_TYPE:
            return  # only flows out (a response): old data never reaches it
        if new.kind == ShapeKind.ENUM or new.members is not None:
            if new.reads_stored_data:
                self.members()
            return
        self.presence()
        for name, f in new.fields.items():
            o = old.fields.get(name)
            if o is None:
                continue
            if new.kind == ShapeKind.PROTOBUF:
                self.protobuf_field(name, o, f)
            elif new.reads_stored_data:
                self.field(name, o, f)
        if new.closed and not old.closed:
            self.tight(TKind.CLOSED, None, new.line, "unknown fields are now rejected")

    def members(self) -> None:
        old_members = self.old.members or frozenset()
        new_members = self.new.members or frozenset()
        for member in sorted(old_members - new_members):
            self.tight(
                TKind.VALUES_NARROWED,
                member,
                self.new.line,
                f"enum member {code(member)} was removed",
            )
        if new_members - old_members:
            self.loose(LKind.VALUES_WIDENED, None, self.new.line)
        for name, f in self.new.fields.items():
            o = self.old.fields.get(name)
            if o is not None and o.number is not None and o.number != f.number:
                what = f"enum value {code(name)} was renumbered {o.number} → {f.number}"
                self.tight(TKind.WIRE, name, f.line, what, o, f)

    def renamed(self, gone: list[str], added: list[str]) -> dict[str, tuple[str, str]]:
        """old name -> (new name, the evidence that it is a rename). Never a guess: the same
        protobuf number, or a rename the PR's migrations perform (same table column)."""
        out: dict[str, tuple[str, str]] = {}
        for g in gone:
            for a in added:
                if any(a == new for _, new in out.values()):
                    continue
                o, f = self.old.fields[g], self.new.fields[a]
                if self.new.kind == ShapeKind.PROTOBUF and o.number is not None:
                    if o.number == f.number:
                        out[g] = (a, f"same number {o.number}")
                        break
                elif (g, a) in self.renames:
                    out[g] = (a, self.renames[(g, a)])
                    break
        return out

    def presence(self) -> None:
        """Fields removed, renamed and added."""
        old, new = self.old, self.new
        aliased = {
            alias.strip() for f in new.fields.values() if f.alias for alias in f.alias.split(",")
        }
        gone = [f for f in old.fields if f not in new.fields and f not in aliased]
        added = [
            f for f in new.fields if f not in old.fields and new.fields[f].alias not in old.fields
        ]
        renamed_to = self.renamed(gone, added)
        for g in gone:
            o = old.fields[g]
            if g in renamed_to:
                a, evidence = renamed_to[g]
                what = f"{code(g)} was renamed to {code(a)} ({evidence})"
                self.tight(TKind.RENAMED, a, new.fields[a].line, what, o, new.fields[a])
            elif new.kind == ShapeKind.PROTOBUF:
                if g in new.reserved or new.number_reserved(o.number):
                    continue  # the documented way to delete: old data's value is skipped
                what = f"field {code(g)} = {o.number} was removed without `reserved`"
                self.tight(TKind.WIRE, g, new.line, what, o)
            else:
                self.tight(TKind.REMOVED, g, new.line, f"{code(g)} was removed", o)
        renamed = {a for a, _ in renamed_to.values()}
        for a in added:
            f = new.fields[a]
            if a in renamed:
                continue
            if f.required and new.reads_stored_data and new.kind != ShapeKind.PROTOBUF:
                what = f"new field {code(a)} is required"
                self.tight(TKind.NEW_REQUIRED, a, f.line, what, None, f)
            else:
                self.loose(LKind.NEW_OPTIONAL, a, f.line)

    def protobuf_field(self, name: str, o: Field, f: Field) -> None:
        old_label, _, old_type = o.type.rpartition(" ")
        new_label, _, new_type = f.type.rpartition(" ")
        if o.number != f.number:
            what = f"{code(name)} was renumbered {o.number} → {f.number}"
            self.tight(TKind.WIRE, name, f.line, what, o, f)
        elif old_type != new_type:
            self.protobuf_type(name, o, f, old_type, new_type)
        elif (old_label == "repeated") != (new_label == "repeated"):
            what = (
                f"{code(name)} changed from {old_label or 'singular'} to {new_label or 'singular'}"
            )
            self.tight(TKind.WIRE, name, f.line, what, o, f)
        elif f.required and not o.required:
            self.tight(TKind.REQUIRED, name, f.line, f"{code(name)} became required", o, f)
        if f.group is not None and f.group != o.group:
            what = (
                f"{code(name)} moved into oneof {code(f.group)}: a stored message that set "
                "more than one of its members keeps only the last"
            )
            self.tight(TKind.WIRE, name, f.line, what, o, f)

    def protobuf_type(self, name: str, o: Field, f: Field, old: str, new: str) -> None:
        if (old, new) in _PROTO_NARROWER:
            what = f"{code(name)} changed type {code(old)} → {code(new)}: stored values may not fit"
            self.tight(TKind.TYPE_NARROWED, name, f.line, what, o, f)
        elif (new, old) in _PROTO_NARROWER:
            self.loose(LKind.TYPE_WIDENED, name, f.line)
        else:
            what = f"{code(name)} changed type {code(old)} → {code(new)}"
            self.tight(TKind.WIRE, name, f.line, what, o, f)

    def field(self, name: str, o: Field, f: Field) -> None:
        if f.required and not o.required:
            removed_default = " (its default was removed)" if o.has_default else ""
            what = f"{code(name)} became required{removed_default}"
            self.tight(TKind.REQUIRED, name, f.line, what, o, f)
        elif o.nullable and not f.nullable:
            self.tight(TKind.NOT_NULL, name, f.line, f"{code(name)} no longer accepts null", o, f)
        elif (
            (o.values is None or f.values is None)
            and (self.new.kind != ShapeKind.TYPESCRIPT or (_ts_known(o.type) and _ts_known(f.type)))
            and _types_narrowed(o.type, f.type)
        ):
            what = f"{code(name)} changed type {code(o.type)} → {code(f.type)}"
            self.tight(TKind.TYPE_NARROWED, name, f.line, what, o, f)
        if o.required and not f.required:
            self.loose(LKind.OPTIONAL, name, f.line)
        if f.nullable and not o.nullable:
            self.loose(LKind.NULLABLE, name, f.line)
        if o.values is not None and f.values is not None:
            for v in sorted(o.values - f.values):
                what = f"{code(name)} no longer accepts {code(str(v))}"
                self.tight(TKind.VALUES_NARROWED, name, f.line, what, o, f)
        previous = dict(o.limits)
        for key, value in f.limits:
            if _tighter_limit(key, previous.get(key), value):
                what = f"{code(name)} {key} tightened to {value:g}"
                self.tight(TKind.LIMIT_TIGHTENED, name, f.line, what, o, f)
