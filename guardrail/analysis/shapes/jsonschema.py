"""JSON Schema and OpenAPI documents (JSON or YAML) as shapes: every object schema with
properties, every enum. The comparison itself is `guardrail.analysis.jsonschema_diff`, which walks
both versions schema by schema; these shapes serve evidence, templates and layer contracts."""

from __future__ import annotations

from guardrail.analysis.shapes.common import line_finder, load_structured
from guardrail.analysis.shapes.model import Field, Shape, ShapeKind


def _schema_types(schema: dict[str, object]) -> tuple[str, bool]:
    t = schema.get("type")
    nullable = bool(schema.get("nullable"))
    if isinstance(t, list):
        nullable = nullable or "null" in t
        t = "|".join(sorted(str(x) for x in t if x != "null"))
    for key in ("anyOf", "oneOf"):
        options = schema.get(key)
        if isinstance(options, list):
            names = []
            for o in options:
                if isinstance(o, dict):
                    if o.get("type") == "null":
                        nullable = True
                    else:
                        names.append(str(o.get("type") or o.get("$ref") or "?"))
            t = "|".join(sorted(names))
    if t is None and "$ref" in schema:
        t = str(schema["$ref"]).rsplit("/", 1)[-1]
    return str(t or ""), nullable


_LIMITS = (
    "maxLength",
    "minLength",
    "maximum",
    "minimum",
    "exclusiveMaximum",
    "exclusiveMinimum",
    "maxItems",
    "minItems",
    "pattern",
)


def read(path: str, text: str) -> list[Shape]:  # noqa: C901 — one walk over the schema keywords
    doc = load_structured(text, path)
    if not isinstance(doc, dict):
        return []
    find = line_finder(text)
    out: list[Shape] = []

    def visit(node: object, name: str, depth: int) -> None:
        if depth > 40 or not isinstance(node, dict):
            return
        props = node.get("properties")
        if isinstance(props, dict):
            required = (
                set(node.get("required") or []) if isinstance(node.get("required"), list) else set()
            )
            line = find(name.rsplit("/", 1)[-1])
            fields: dict[str, Field] = {}
            for key, sub in props.items():
                if not isinstance(sub, dict):
                    continue
                t, nullable = _schema_types(sub)
                enum = sub.get("enum")
                values = (
                    frozenset(str(v) for v in enum if v is not None)
                    if isinstance(enum, list)
                    else None
                )
                limits = tuple(
                    (k, float(sub[k])) for k in _LIMITS if isinstance(sub.get(k), (int, float))
                )
                fields[key] = Field(
                    key,
                    find(key, line - 1),
                    key in required and "default" not in sub,
                    nullable,
                    "default" in sub,
                    t,
                    values,
                    limits=limits,
                )
            closed = (
                node.get("additionalProperties") is False
                or node.get("unevaluatedProperties") is False
            )
            out.append(Shape(name, ShapeKind.JSONSCHEMA, line, fields, closed=closed))
            for key, sub in props.items():
                visit(sub, f"{name}/properties/{key}", depth + 1)
        enum = node.get("enum")
        if isinstance(enum, list) and "properties" not in node and name.count("/properties/") == 0:
            out.append(
                Shape(
                    name,
                    ShapeKind.ENUM,
                    find(name.rsplit("/", 1)[-1]),
                    members=frozenset(str(v) for v in enum),
                )
            )
        for key in ("items", "additionalProperties"):
            visit(node.get(key), f"{name}/{key}", depth + 1)
        for key in ("definitions", "$defs", "schemas", "components"):
            sub = node.get(key)
            if key == "components" and isinstance(sub, dict):
                key, sub = "schemas", sub.get("schemas")
            if isinstance(sub, dict):
                for k, v in sub.items():
                    visit(v, f"{name}/{key}/{k}", depth + 1)
        for key in ("allOf", "anyOf", "oneOf"):
            subs = node.get(key)
            if isinstance(subs, list):
                for i, v in enumerate(subs):
                    visit(v, f"{name}/{key}/{i}", depth + 1)

    visit(doc, "#", 0)
    # OpenAPI request bodies and parameters use inline schemas: walk paths too.
    paths = doc.get("paths")
    if isinstance(paths, dict):
        for p, ops in paths.items():
            if isinstance(ops, dict):
                for method, op in ops.items():
                    if isinstance(op, dict):
                        body = (
                            ((op.get("requestBody") or {}).get("content") or {})
                            if isinstance(op.get("requestBody"), dict)
                            else {}
                        )
                        for _media, spec in body.items() if isinstance(body, dict) else []:
                            if isinstance(spec, dict):
                                visit(spec.get("schema"), f"{method.upper()} {p} request", 0)
    # Titles read better than pointers.
    return [
        Shape(
            s.name.split("/")[-1]
            if "/schemas/" in s.name or "/definitions/" in s.name or "/$defs/" in s.name
            else s.name,
            s.kind,
            s.line,
            s.fields,
            s.members,
            s.closed,
        )
        for s in out
    ]
