"""The layers of the head commit that carry a field the PR makes required: every shape (a
model, a column, a request schema, a TypeScript or zod type) of the PR's changed files and,
with a checkout, of the head tree, that declares the same model (by normalized name) and field.
A fact of the Analysis (core.py), read once per run; the contract check (GR304) judges it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from guardrail.analysis import evidence as ev
from guardrail.analysis.core import Analysis, Fact
from guardrail.analysis.diff import parse_patch
from guardrail.analysis.paths import matches
from guardrail.analysis.shapes import Field, Shape, direction, language
from guardrail.analysis.shapes.changed import candidate, read_shapes, required_changes
from guardrail.analysis.words import naming_any

MAX_LAYER_FILES = 400  # files of the head tree parsed to find the other layers

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


def _layer_texts(ctx: Analysis) -> list[tuple[str, str]]:
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


def _read_layers(ctx: Analysis) -> dict[tuple[str, str], list[Layer]]:
    """(model key, field) -> every layer of the head commit that declares that field."""
    wanted = {
        (model_key(c.tightening.shape.name), c.tightening.field or "")
        for c in required_changes(ctx)
    }
    out: dict[tuple[str, str], list[Layer]] = {}
    if not wanted:
        return out
    naming = naming_any({f for _, f in wanted})
    for path, text in _layer_texts(ctx):
        if not naming(text):
            continue  # cheap: a file that never names the field is no layer of it
        if matches(path, ctx.config.data_shapes.exclude):
            continue
        included = matches(path, ctx.config.data_shapes.include)
        if not included and direction.generated(path, text):
            continue
        read = ctx.problems.attempt(path, "data shape", read_shapes, ctx, path, text) or []
        for shape in direction.directed(read, included=included):
            if not shape.reads_stored_data:
                continue
            if not included and direction.response_by_name(shape):
                continue  # what code returns feeds no other layer (judged itself, GR301)
            key = model_key(shape.name)
            for fname, f in shape.fields.items():
                if (key, fname) in wanted:
                    out.setdefault((key, fname), []).append(Layer(path, shape, f))
    return out


LAYERS: Fact[dict[tuple[str, str], list[Layer]]] = Fact("shape_layers", _read_layers)
