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

import re
from collections.abc import Iterator
from dataclasses import dataclass

from guardrail.analysis import evidence as ev
from guardrail.analysis.diff import parse_patch
from guardrail.analysis.isolate import attempt
from guardrail.analysis.paths import matches
from guardrail.analysis.shapes import Field, Shape, ShapeKind, TKind, direction, language
from guardrail.analysis.shapes.changed import Change, candidate, changes, read_shapes
from guardrail.checks.base import Context, Fact, Output
from guardrail.rules import by_code
from guardrail.text import code

MAX_LAYER_FILES = 400  # files of the head tree parsed to find the other layers

GR304 = by_code("GR304")

_SUFFIXES = (
    "createrequest",
    "updaterequest",
    "request",
    "response",
    "schema",
    "input",
    "create",
    "update",
    "payload",
    "params",
    "body",
    "model",
    "record",
    "row",
    "table",
    "entity",
    "dto",
    "form",
    "in",
)
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


def model_key(name: str) -> str:
    """`OrderCreateRequest`, `order_schema`, `orders`, `POST /orders body (…)` -> `order`."""
    base = name.rsplit(".", 1)[-1]
    if " " in name:  # an OpenAPI operation: its last path segment names the resource
        segments = [s for s in name.split(" ")[1].split("/") if s and not s.startswith("{")]
        base = segments[-1] if segments else name
    key = re.sub(r"[^a-z0-9]", "", base.lower())
    changed = True
    while changed:
        changed = False
        for suffix in _SUFFIXES:
            if key.endswith(suffix) and len(key) > len(suffix) + 2:
                key, changed = key[: -len(suffix)], True
    if key.endswith("ies") and len(key) > 4:
        key = key[:-3] + "y"
    elif key.endswith("s") and not key.endswith("ss") and len(key) > 3:
        key = key[:-1]
    return key


@dataclass(frozen=True)
class Layer:
    path: str
    shape: Shape
    field: Field


def _allows_absence(f: Field) -> bool:
    return not f.required or f.nullable


def _layer_texts(ctx: Context) -> list[tuple[str, str]]:
    """(path, head text) of the shape files that could be other layers."""
    out: dict[str, str] = {}
    for f in ctx.pr.files:
        if f.status == "removed" or f.binary or ev.is_test_path(f.path):
            continue
        text: str | None = None
        if f.status == "added" and f.patch is not None:
            text = "\n".join(ln.text for ln in parse_patch(f.patch).added)
        elif candidate(f) and ctx.read is not None:
            text = ctx.read("head", f.path)
        if text is not None and language(f.path, text) is not None:
            out[f.path] = text
    if ctx.tree is not None and ctx.read_tree is not None:
        for path in ctx.tree():
            if path in out or ev.is_test_path(path) or language(path) is None:
                continue
            if len(out) >= MAX_LAYER_FILES:
                break
            text = ctx.read_tree(path)
            if text is not None and language(path, text) is not None:
                out[path] = text
    return list(out.items())


def _read_layers(ctx: Context) -> dict[tuple[str, str], list[Layer]]:
    """(model key, field) -> every layer of the head commit that declares that field."""
    wanted = {
        (model_key(c.tightening.shape.name), c.tightening.field or "")
        for c in changes(ctx)
        if c.tightening.code in (TKind.REQUIRED, TKind.NEW_REQUIRED, TKind.NOT_NULL)
    }
    out: dict[tuple[str, str], list[Layer]] = {}
    if not wanted:
        return out
    fields = {f for _, f in wanted}
    for path, text in _layer_texts(ctx):
        if not any(f in text for f in fields):
            continue  # cheap: a file that never names the field is no layer of it
        if matches(path, ctx.config.data_shapes.exclude):
            continue
        included = matches(path, ctx.config.data_shapes.include)
        if not included and direction.generated(path, text):
            continue
        read = attempt(ctx.problems, path, "data shape", read_shapes, ctx, path, text) or []
        for shape in direction.directed(read, included=included):
            if not shape.reads_stored_data:
                continue
            key = model_key(shape.name)
            for fname, f in shape.fields.items():
                if (key, fname) in wanted:
                    out.setdefault((key, fname), []).append(Layer(path, shape, f))
    return out


LAYERS: Fact[dict[tuple[str, str], list[Layer]]] = Fact("shape_layers", _read_layers)


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


def check_contract(ctx: Context) -> Iterator[Output]:
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
