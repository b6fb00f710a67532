"""GR304 — the contract between layers: a field made required in one layer, still optional in a
layer that feeds it.

"A value that looked optional in one place was quietly required somewhere else." When the PR
makes a field required (or stops accepting null) in one layer — a model, a column, a request
schema, a TypeScript or zod type — the other layers of the repository at the head commit that
carry the same model or table and field are read; each one that still lets the field be absent
(a nullable column, `null=True`, an optional request property, `field?:`, `.optional()`) is a
place old rows or old clients come from that the new layer will reject. Matching is by the
normalized name (`Order`, `OrderInput`, `OrderSchema`, `orders` are one model) and the field's
name, so a finding names both places and what fails.

Where the layers are searched: the files the PR changes (head), and, with a checkout, every shape
file of the head tree that mentions the field (tests excluded).
"""

from __future__ import annotations

from collections.abc import Iterator

from guardrail.analysis.shapes import Field, ShapeKind, TKind
from guardrail.analysis.shapes.changed import Change, changes
from guardrail.analysis.shapes.layers import LAYERS, Layer, model_key
from guardrail.checks.base import Analysis, Output
from guardrail.rules import by_code
from guardrail.text import code

GR304 = by_code("GR304")

_DB = frozenset({ShapeKind.DJANGO, ShapeKind.SQLALCHEMY, ShapeKind.SQL})
_REQUEST = frozenset(
    {ShapeKind.JSONSCHEMA, ShapeKind.GRAPHQL_INPUT, ShapeKind.TYPESCRIPT, ShapeKind.ZOD}
)
_KIND_WORDS = {
    ShapeKind.DJANGO: "Django model",
    ShapeKind.SQLALCHEMY: "SQLAlchemy model",
    ShapeKind.SQL: "table",
    ShapeKind.JSONSCHEMA: "request schema",
    ShapeKind.GRAPHQL_INPUT: "GraphQL input",
    ShapeKind.TYPESCRIPT: "TypeScript type",
    ShapeKind.ZOD: "zod schema",
    ShapeKind.PYDANTIC: "pydantic model",
    ShapeKind.DATACLASS: "dataclass",
    ShapeKind.ATTRS: "attrs class",
    ShapeKind.TYPEDDICT: "TypedDict",
    ShapeKind.AVRO: "Avro record",
    ShapeKind.PROTOBUF: "protobuf message",
}


def _allows_absence(f: Field) -> bool:
    return not f.required or f.nullable


def _who_fails(layer: Layer, field: str) -> str:
    name = code(field)
    if layer.shape.kind in _DB:
        return f"rows stored with {name} NULL"
    if layer.shape.kind in _REQUEST:
        return f"clients (and stored requests) that omit {name} or send null"
    return f"data written through it without {name}"


def _where(layer: Layer) -> str:
    kind = _KIND_WORDS.get(layer.shape.kind, str(layer.shape.kind))
    return f"{code(f'{layer.path}:{layer.field.line}')} ({kind} {code(layer.shape.name)})"


def check_contract(ctx: Analysis) -> Iterator[Output]:
    found = [
        c
        for c in changes(ctx)
        if c.tightening.code in (TKind.REQUIRED, TKind.NEW_REQUIRED, TKind.NOT_NULL)
        and c.tightening.field
    ]
    if not found:
        return
    layers = ctx.get(LAYERS)
    seen: set[tuple[str, str, str]] = set()
    for change in found:
        yield from _judge(change, layers, seen)


def _judge(
    change: Change, layers: dict[tuple[str, str], list[Layer]], seen: set[tuple[str, str, str]]
) -> Iterator[Output]:
    t = change.tightening
    fname = t.field or ""
    here = change.file.path
    key = (model_key(t.shape.name), fname)
    upstream = [
        layer
        for layer in layers.get(key, [])
        if not (layer.path == here and layer.shape.name == t.shape.name)
        and _allows_absence(layer.field)
    ]
    if not upstream or (here, t.shape.name, fname) in seen:
        return
    seen.add((here, t.shape.name, fname))
    first = upstream[0]
    others = upstream[1:4]
    also = "".join(f" Also {_where(o)}." for o in others)
    kind = _KIND_WORDS.get(t.shape.kind, str(t.shape.kind))
    yield GR304.finding(
        f"{code(t.shape.name + '.' + fname)} is now required here, but {_where(first)} still lets it be absent.",
        f"This {kind} now rejects {code(fname)} missing or null, while the layer that feeds it "
        f"still accepts that: {_who_fails(first, fname)} will fail here.{also} Make the layers "
        f"agree (backfill and tighten {code(first.path)} too, or keep a default here), and test "
        "the old shape.",
        path=here,
        line=t.line,
    )


CHECKS = (check_contract,)
