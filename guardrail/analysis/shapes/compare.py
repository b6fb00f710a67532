"""Comparing two versions of a file's shapes: typed tightenings (findings) and loosenings."""

from __future__ import annotations

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


def _types_narrowed(old: str, new: str) -> bool:
    if not old or not new or old == new:
        return False

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
    return not b >= a  # a superset of the old types is a widening


def _tighter_limit(key: str, prev: float | None, value: float) -> bool:
    if prev is None:
        return key != "pattern"  # a limit that did not exist before
    if key.startswith(("max", "exclusiveMax")):
        return value < prev
    if key.startswith(("min", "exclusiveMin")):
        return value > prev
    return False


@dataclass
class ShapeDiff:
    tightenings: list[Tightening] = field(default_factory=list)
    loosenings: list[Loosening] = field(default_factory=list)


def compare(base: list[Shape], head: list[Shape]) -> list[Tightening]:
    """Tightenings from `base` to `head`: what data or clients of the old shape may now fail."""
    return diff(base, head).tightenings


def diff(base: list[Shape], head: list[Shape]) -> ShapeDiff:
    before = {s.name: s for s in base}
    out = ShapeDiff()
    for new in head:
        old = before.get(new.name)
        if old is not None:
            _ShapePair(old, new, out).run()
    return out


@dataclass
class _ShapePair:
    old: Shape
    new: Shape
    out: ShapeDiff

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
        if new.kind == ShapeKind.ENUM or new.members is not None:
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

    def presence(self) -> dict[str, str]:
        """Fields removed, renamed and added."""
        old, new = self.old, self.new
        renamed_to: dict[str, str] = {}
        aliased = {f.alias: n for n, f in new.fields.items() if f.alias}
        gone = [f for f in old.fields if f not in new.fields and f not in aliased]
        added = [
            f for f in new.fields if f not in old.fields and new.fields[f].alias not in old.fields
        ]
        for g in gone:
            for a in added:
                if old.fields[g].type == new.fields[a].type and a not in renamed_to.values():
                    if new.fields[a].alias != g:
                        renamed_to[g] = a
                    break
        for g in gone:
            if new.kind == ShapeKind.PROTOBUF and g in new.reserved:
                continue
            if g in renamed_to:
                a = renamed_to[g]
                self.tight(
                    TKind.RENAMED,
                    a,
                    new.fields[a].line,
                    f"{code(g)} was renamed to {code(a)}",
                    old.fields[g],
                    new.fields[a],
                )
            elif new.kind == ShapeKind.PROTOBUF:
                number = old.fields[g].number
                self.tight(
                    TKind.WIRE,
                    g,
                    new.line,
                    f"field {code(g)} = {number} was removed without `reserved`",
                    old.fields[g],
                )
            else:
                self.tight(TKind.REMOVED, g, new.line, f"{code(g)} was removed", old.fields[g])
        for a in added:
            f = new.fields[a]
            if a in renamed_to.values():
                continue
            if f.required and new.reads_stored_data and new.kind != ShapeKind.PROTOBUF:
                self.tight(
                    TKind.NEW_REQUIRED, a, f.line, f"new field {code(a)} is required", None, f
                )
            else:
                self.loose(LKind.NEW_OPTIONAL, a, f.line)
        return renamed_to

    def protobuf_field(self, name: str, o: Field, f: Field) -> None:
        if o.number != f.number:
            what = f"{code(name)} was renumbered {o.number} → {f.number}"
            self.tight(TKind.WIRE, name, f.line, what, o, f)
        elif o.type.split()[-1] != f.type.split()[-1]:
            what = f"{code(name)} changed type {o.type} → {f.type}"
            self.tight(TKind.WIRE, name, f.line, what, o, f)
        elif f.required and not o.required:
            self.tight(TKind.REQUIRED, name, f.line, f"{code(name)} became required", o, f)

    def field(self, name: str, o: Field, f: Field) -> None:
        if f.required and not o.required:
            removed_default = " (its default was removed)" if o.has_default else ""
            what = f"{code(name)} became required{removed_default}"
            self.tight(TKind.REQUIRED, name, f.line, what, o, f)
        elif o.nullable and not f.nullable:
            self.tight(TKind.NOT_NULL, name, f.line, f"{code(name)} no longer accepts null", o, f)
        elif (o.values is None or f.values is None) and _types_narrowed(o.type, f.type):
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
