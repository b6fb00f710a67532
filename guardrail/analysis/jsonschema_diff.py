"""Tightenings between two JSON Schema or OpenAPI documents, schema node by schema node.

JSON Schema: the root and every `$defs`/`definitions` entry. OpenAPI: what flows *in* — request
bodies and parameters of each operation, with `$ref`s into `components` resolved in each version.
Response schemas are not compared: old data and old clients are on the request side (oasdiff's
"request direction", Confluent's BACKWARD compatibility).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from guardrail.analysis.shapes.common import line_finder, load_structured
from guardrail.analysis.shapes.model import Field, Shape, ShapeKind, Tightening, TKind
from guardrail.text import code

_MAX_DEPTH = 32
_INTEGRAL = {"integer": "number"}  # integer narrows number


# Loads another file of the repository (the same commit) by its path, or None.
Load = Callable[[str], str | None]
_ABS = "repo:"  # a `$ref` rewritten to name its file from the repository root


def _join(base_path: str, ref_file: str) -> str:
    parts: list[str] = base_path.split("/")[:-1]
    for part in ref_file.split("/"):
        if part == "..":
            if parts:
                parts.pop()
        elif part not in ("", "."):
            parts.append(part)
    return "/".join(parts)


def _absolute(node: Any, file: str, depth: int = 0) -> Any:
    """A copy of a node read from `file` whose `$ref`s name their file from the root."""
    if depth > 64:
        return node
    if isinstance(node, list):
        return [_absolute(v, file, depth + 1) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: _absolute(v, file, depth + 1) for k, v in node.items()}
    ref = out.get("$ref")
    if isinstance(ref, str) and not ref.startswith((_ABS, "http://", "https://")):
        ref_file, _, pointer = ref.partition("#")
        out["$ref"] = f"{_ABS}{_join(file, ref_file) if ref_file else file}#{pointer}"
    return out


def _resolver(doc: Any, path: str = "", load: Load | None = None) -> Callable[[Any], Any]:
    """Follows `$ref`s: within the document, and into other files of the repository (split
    specifications, `$ref: ./schemas/order.yaml#/Order`) when `load` can read them."""
    docs: dict[str, Any] = {path: doc}
    seen_files: set[str] = set()

    def document(file: str) -> Any:
        if file not in docs:
            text = load(file) if load is not None and len(seen_files) < 200 else None
            seen_files.add(file)
            loaded = load_structured(text, file) if text is not None else None
            docs[file] = _absolute(loaded, file) if loaded is not None else None
        return docs[file]

    def resolve(node: Any, depth: int = 0) -> Any:
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and depth < 16:
            ref = node["$ref"]
            if ref.startswith(_ABS):
                file, _, pointer = ref[len(_ABS) :].partition("#")
            elif ref.startswith("#"):
                file, pointer = path, ref[1:]
            elif "://" in ref:
                return node
            else:
                ref_file, _, pointer = ref.partition("#")
                file = _join(path, ref_file)
            target: Any = document(file)
            for part in pointer.split("/")[1:] if pointer else []:
                part = part.replace("~1", "/").replace("~0", "~")
                target = target.get(part) if isinstance(target, dict) else None
            if target is None:
                return node
            node = target
            depth += 1
        return node

    return resolve


def _types(s: dict[str, Any]) -> tuple[frozenset[str], bool]:
    t = s.get("type")
    types: set[str] = set()
    if isinstance(t, list):
        types = {str(x) for x in t}
    elif isinstance(t, str):
        types = {t}
    nullable = "null" in types or bool(s.get("nullable"))
    types.discard("null")
    return frozenset(types), nullable


def _narrowed(old: frozenset[str], new: frozenset[str]) -> bool:
    """Some value valid before is not now: a type dropped (integer still fits number)."""
    if not new:
        return False
    if not old:
        return True  # untyped (anything) -> typed
    return any(t not in new and not (t == "integer" and "number" in new) for t in old)


_ANY_PATTERN = frozenset({".*", "^.*$", "^.*", ".*$", "(.*)"})
_LIMITS = (
    ("maxLength", "max"),
    ("minLength", "min"),
    ("maximum", "max"),
    ("minimum", "min"),
    ("exclusiveMaximum", "max"),
    ("exclusiveMinimum", "min"),
    ("maxItems", "max"),
    ("minItems", "min"),
    ("maxProperties", "max"),
    ("minProperties", "min"),
)


Found = tuple[TKind, str, str | None, dict[str, Any]]  # code, phrase, field, its object schema


def _walk(
    old: Any,
    new: Any,
    where: str,
    ro: Callable[[Any], Any],
    rn: Callable[[Any], Any],
    depth: int = 0,
) -> Iterator[Found]:
    """(code, phrase, field name, the object schema holding the field) for each tightening:
    the node's own values, its limits, its properties (each walked), its items and its
    sub-schemas, in that order."""
    old, new = ro(old), rn(new)
    if depth > _MAX_DEPTH or not isinstance(old, dict) or not isinstance(new, dict):
        return
    leaf = where.rsplit(".", 1)[-1] if "." in where else None
    yield from _value_changes(old, new, where, leaf)
    yield from _limit_changes(old, new, where, leaf)
    yield from _property_changes(old, new, where, ro, rn, depth)
    if "items" in old and "items" in new:
        yield from _walk(old["items"], new["items"], f"{where}[]", ro, rn, depth + 1)
    for key in ("allOf", "anyOf", "oneOf"):
        ol, nl = old.get(key), new.get(key)
        if isinstance(ol, list) and isinstance(nl, list) and len(ol) == len(nl):
            for a, b in zip(ol, nl, strict=True):
                yield from _walk(a, b, f"{where}", ro, rn, depth + 1)


def _value_changes(
    old: dict[str, Any], new: dict[str, Any], where: str, leaf: str | None
) -> Iterator[Found]:
    """The values the node accepts: null, its type, its enum, its default, its const."""
    ot, onull = _types(old)
    nt, nnull = _types(new)
    if onull and not nnull and (nt or new.get("$ref")):
        yield TKind.NOT_NULL, f"{code(where)} no longer accepts null", leaf, {}
    if _narrowed(ot, nt):
        yield (
            TKind.TYPE_NARROWED,
            f"{code(where)} changed type {'/'.join(sorted(ot)) or 'any'} → {'/'.join(sorted(nt))}",
            leaf,
            {},
        )
    for enum_key in ("enum", "x-extensible-enum"):
        oe, ne = old.get(enum_key), new.get(enum_key)
        if (
            enum_key == "enum"
            and isinstance(ne, list)
            and not isinstance(oe, list)
            and "const" not in old
        ):
            yield TKind.VALUES_NARROWED, f"{code(where)} became an enum", leaf, {}
        elif isinstance(oe, list) and isinstance(ne, list):
            removed = [v for v in oe if v not in ne]
            if removed:
                yield (
                    TKind.VALUES_NARROWED,
                    f"{code(where)} no longer accepts {code(json.dumps(removed[0]))}",
                    leaf,
                    {},
                )
    if "default" in old and "default" in new and old["default"] != new["default"]:
        # Old data that relied on the default now means something else (T04).
        yield (
            TKind.DEFAULT_CHANGED,
            f"{code(where)} default changed to {code(json.dumps(new['default']))}",
            leaf,
            {},
        )
    if "const" in new and old.get("const") != new.get("const"):
        yield (
            TKind.VALUES_NARROWED,
            f"{code(where)} now only accepts {code(json.dumps(new['const']))}",
            leaf,
            {},
        )


def _limit_changes(
    old: dict[str, Any], new: dict[str, Any], where: str, leaf: str | None
) -> Iterator[Found]:
    """Numeric limits tightened, and a pattern or format added or changed."""
    for key, kind in _LIMITS:
        ov, nv = old.get(key), new.get(key)
        if (
            isinstance(nv, (int, float))
            and not isinstance(nv, bool)
            and (
                not isinstance(ov, (int, float))
                or (kind == "max" and nv < ov)
                or (kind == "min" and nv > ov)
            )
        ):
            yield TKind.LIMIT_TIGHTENED, f"{code(where)} {key} tightened to {nv:g}", leaf, {}
    for key in ("pattern", "format", "contentMediaType", "contentEncoding", "contentSchema"):
        value = new.get(key)
        if value is None or value == old.get(key) or (key == "pattern" and value in _ANY_PATTERN):
            continue
        yield TKind.LIMIT_TIGHTENED, f"{code(where)} {key} changed", leaf, {}


def _property_changes(
    old: dict[str, Any],
    new: dict[str, Any],
    where: str,
    ro: Callable[[Any], Any],
    rn: Callable[[Any], Any],
    depth: int,
) -> Iterator[Found]:
    """Properties made required, removed from a closed object, the object closed; then each
    property kept, walked."""
    oprops, nprops = old.get("properties") or {}, new.get("properties") or {}
    if not isinstance(oprops, dict) or not isinstance(nprops, dict):
        return
    oreq = set(old.get("required") or []) if isinstance(old.get("required"), list) else set()
    nreq = set(new.get("required") or []) if isinstance(new.get("required"), list) else set()
    for name in sorted(nreq - oreq):
        sub = rn(nprops.get(name)) if name in nprops else {}
        if isinstance(sub, dict) and "default" in sub:
            continue
        tcode = TKind.REQUIRED if name in oprops else TKind.NEW_REQUIRED
        yield (
            tcode,
            f"{code(name)} became required"
            if tcode == TKind.REQUIRED
            else f"new property {code(name)} is required",
            name,
            new,
        )
    closed_old = old.get("additionalProperties") is False
    for name in sorted(set(oprops) - set(nprops)):
        if new.get("additionalProperties") is False or closed_old:
            yield TKind.REMOVED, f"{code(name)} was removed", name, old
    if new.get("additionalProperties") is False and old.get("additionalProperties") is not False:
        yield TKind.CLOSED, f"{code(where)} now rejects unknown properties", None, new
    for name in sorted(set(oprops) & set(nprops)):
        for tcode, phrase, fname, holder in _walk(
            oprops[name], nprops[name], f"{where}.{name}", ro, rn, depth + 1
        ):
            yield tcode, phrase, fname, holder or new


def _is_openapi(doc: Any) -> bool:
    return isinstance(doc, dict) and ("openapi" in doc or "swagger" in doc)


def _request_schemas(doc: Any, resolve: Callable[[Any], Any]) -> dict[str, Any]:
    """operation input -> schema: 'POST /orders body', 'GET /orders query limit'."""
    out: dict[str, Any] = {}
    paths = doc.get("paths") if isinstance(doc, dict) else None
    if not isinstance(paths, dict):
        return out
    for p, item in paths.items():
        item = resolve(item)  # split specifications: `/orders: {$ref: paths/orders.yaml}`
        if not isinstance(item, dict):
            continue
        shared = item.get("parameters") if isinstance(item.get("parameters"), list) else []
        for method, op in item.items():
            if method.lower() not in (
                "get",
                "put",
                "post",
                "patch",
                "delete",
                "options",
                "head",
            ) or not isinstance(op, dict):
                continue
            body = resolve(op.get("requestBody"))
            if isinstance(body, dict) and isinstance(body.get("content"), dict):
                for media, spec in body["content"].items():
                    if isinstance(spec, dict) and "schema" in spec:
                        out[f"{method.upper()} {p} body ({media})"] = spec["schema"]
            own = op.get("parameters")
            params = list(shared or []) + (own if isinstance(own, list) else [])
            for param in params:
                param = resolve(param)
                if isinstance(param, dict) and "name" in param:
                    schema = param.get(
                        "schema",
                        {k: v for k, v in param.items() if k in ("type", "enum", "format")},
                    )
                    out[f"{method.upper()} {p} {param.get('in', 'query')} {param['name']}"] = schema
    return out


def _operation_exists(doc: Any, name: str, resolve: Callable[[Any], Any]) -> bool:
    """'POST /orders body (application/json)' -> is POST /orders still in the document?"""
    method, _, rest = name.partition(" ")
    path = rest.split(" body (", 1)[0]
    paths = doc.get("paths") if isinstance(doc, dict) else None
    item = resolve(paths.get(path)) if isinstance(paths, dict) else None
    return isinstance(item, dict) and method.lower() in item


def _roots(doc: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if not isinstance(doc, dict):
        return out
    out[str(doc.get("title") or "(root)")] = doc
    for key in ("$defs", "definitions"):
        sub = doc.get(key)
        if isinstance(sub, dict):
            out.update({str(k): v for k, v in sub.items()})
    return out


def tightenings(
    base_text: str,
    head_text: str,
    path: str,
    *,
    base_path: str | None = None,
    load_base: Load | None = None,
    load_head: Load | None = None,
) -> list[Tightening]:
    old, new = load_structured(base_text, path), load_structured(head_text, path)
    if not isinstance(old, dict) or not isinstance(new, dict):
        return []
    ro, rn = _resolver(old, base_path or path, load_base), _resolver(new, path, load_head)
    if _is_openapi(new):
        before, after = _request_schemas(old, ro), _request_schemas(new, rn)
    else:
        before, after = _roots(old), _roots(new)
    out: list[Tightening] = []
    seen: set[tuple[str, str]] = set()
    find_line = line_finder(head_text)  # indexed once: a lookup per tightening stays cheap
    holder_fields: dict[int, dict[str, Field]] = {}
    field_names: dict[int, tuple[str, ...]] = {}
    for name in before:
        if name in after or " body (" not in name or not _operation_exists(new, name, rn):
            continue
        # A request body media type (or the whole body) of an operation that still exists was
        # dropped: clients still sending it now fail.
        out.append(
            Tightening(
                TKind.REMOVED,
                Shape(name, ShapeKind.JSONSCHEMA, 1, {}),
                None,
                1,
                f"{code(name)} is no longer accepted",
            )
        )
    for name, schema in after.items():
        if name not in before:
            continue
        for tcode, phrase, fname, holder in _walk(before[name], schema, name, ro, rn):
            if (tcode, phrase) in seen:
                continue
            seen.add((tcode, phrase))
            props = holder.get("properties") if isinstance(holder, dict) else None
            if not isinstance(props, dict):
                fields: dict[str, Field] = {}
            elif id(props) in holder_fields:  # one schema, many tightenings: built once
                fields = holder_fields[id(props)]
            else:
                fields = holder_fields[id(props)] = {k: Field(k, 1, False, False) for k in props}
            names = field_names.get(id(fields))
            if names is None:
                names = field_names[id(fields)] = tuple(fields)
            line = find_line(fname) if fname else 1
            shape = Shape(name, ShapeKind.JSONSCHEMA, line, fields)
            out.append(Tightening(tcode, shape, fname, line, phrase, old_fields=names))
    return out
