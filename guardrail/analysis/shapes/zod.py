"""zod schemas in TypeScript and JavaScript, read from the same tree-sitter tree as TypeScript.

`const Order = z.object({...})` is a shape named `Order`; each property's chain says what it
accepts: `.optional()` / `.nullish()` / `.default()` / `.catch()` make it optional, `.nullable()` /
`.nullish()` let it be null, `.min()` / `.max()` / `.length()` / `.int()` / `.positive()` are limits,
`z.enum([...])` and `z.literal()` its values; `z.coerce.number()` is read as `z.number()`. `.strict()` rejects unknown keys; `.partial()` makes
every field optional; `.extend({...})` adds fields. A nested `z.object` is a shape of its own
(`Order.address`). zod 4's `z.strictObject({...})` is an object that rejects unknown keys and
`z.looseObject({...})` one that keeps them (`.passthrough()` / `.strip()` / `.loose()` reopen a
strict one): the field holding one is still of type `object`, its keys are the nested shape's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from guardrail.analysis.shapes.model import Field, Shape, ShapeKind
from guardrail.analysis.shapes.typescript import (
    _SOURCE,
    TSX_SUFFIXES,
    line_of,
    parse,
    text_of,
    use_source,
)

if TYPE_CHECKING:
    from tree_sitter import Node, Tree

_OPTIONAL = frozenset({"optional", "nullish", "default", "catch"})
_NULLABLE = frozenset({"nullable", "nullish"})
_STRINGY = frozenset({"string", "array", "set"})
_OBJECTS = frozenset({"object", "strictObject", "looseObject"})
_REOPEN = frozenset({"passthrough", "strip", "loose"})
_LIMIT_NAMES = {
    ("min", True): "minLength",
    ("max", True): "maxLength",
    ("min", False): "minimum",
    ("max", False): "maximum",
    ("gte", False): "minimum",
    ("lte", False): "maximum",
    ("gt", False): "exclusiveMinimum",
    ("lt", False): "exclusiveMaximum",
}


def mentions_zod(path: str, text: str | None) -> bool:
    return text is None or "zod" in text


def _chain(node: Node) -> tuple[str, list[tuple[str, Node | None]]]:
    """`z.string().max(8).optional()` -> ("string", [("max", args), ("optional", args)]).
    The base is "" when the chain does not start at `z.<type>(…)`."""
    calls: list[tuple[str, Node | None]] = []
    while node.type == "call_expression":
        func = node.child_by_field_name("function")
        args = node.child_by_field_name("arguments")
        if func is None or func.type != "member_expression":
            return "", []
        method = text_of(func.child_by_field_name("property"))
        target = func.child_by_field_name("object")
        # `z.coerce.number()` accepts what `z.number()` does, and more (it converts first).
        if target is not None and text_of(target) in ("z", "z.coerce"):
            calls.append((method, args))
            calls.reverse()
            return calls[0][0], calls
        calls.append((method, args))
        if target is None:
            return "", []
        node = target
    return "", []


def _schema_ref(node: Node) -> tuple[str, list[str]] | None:
    """`ZMeta.optional().nullable()` -> ("ZMeta", ["optional", "nullable"]); `ZMeta` ->
    ("ZMeta", []). None when the value is not a chain of calls on a schema's name (the root
    `z` is `_chain`'s)."""
    methods: list[str] = []
    while node.type == "call_expression":
        func = node.child_by_field_name("function")
        if func is None or func.type != "member_expression":
            return None
        methods.append(text_of(func.child_by_field_name("property")))
        target = func.child_by_field_name("object")
        if target is None:
            return None
        node = target
    if node.type != "identifier" or text_of(node) == "z":
        return None
    methods.reverse()
    return text_of(node), methods


def _number(args: Node | None) -> float | None:
    if args is None or not args.named_children:
        return None
    first = args.named_children[0]
    try:
        return float(text_of(first))
    except ValueError:
        return None


def _strings(node: Node | None) -> list[str]:
    if node is None:
        return []
    out = []
    for child in node.named_children:
        if child.type == "string":
            out.append(text_of(child)[1:-1])
        elif child.type == "array":
            out.extend(_strings(child))
    return out


class _Reader:
    def __init__(self) -> None:
        self.out: list[Shape] = []
        self.known: dict[str, dict[str, Field]] = {}

    def field(self, owner: str, key: Node, value: Node) -> Field | None:
        name = text_of(key).strip("'\"")
        base, calls = _chain(value)
        if not base:
            ref = _schema_ref(value)
            if ref is None:
                return None
            schema, methods = ref
            # A key whose value is another schema (`state: ZJsState`, `meta: ZMeta.optional()`),
            # declared here or imported: its optionality is read like a `z.<type>()`'s.
            return Field(
                name,
                line_of(key),
                not any(m in _OPTIONAL for m in methods),
                any(m in _NULLABLE for m in methods),
                "default" in methods,
                schema,
            )
        methods = [m for m, _ in calls]
        optional = any(m in _OPTIONAL for m in methods)
        nullable = any(m in _NULLABLE for m in methods)
        values: frozenset[str] | None = None
        limits: list[tuple[str, float]] = []
        ztype = "object" if base in _OBJECTS else base
        for method, args in calls:
            if method == "enum" and method == base:
                values = frozenset(_strings(args))
            elif method == "literal" and method == base:
                values = frozenset(_strings(args)) or None
            elif method in _OBJECTS and method == base:
                self.object(f"{owner}.{name}", value, line_of(key))
            elif method == "int":
                ztype = "integer"
            elif method in ("positive",):
                limits.append(("exclusiveMinimum", 0.0))
            elif method in ("nonnegative",):
                limits.append(("minimum", 0.0))
            elif method == "length":
                n = _number(args)
                if n is not None:
                    limits += [("minLength", n), ("maxLength", n)]
            elif (method, base in _STRINGY) in _LIMIT_NAMES:
                n = _number(args)
                if n is not None:
                    limits.append((_LIMIT_NAMES[(method, base in _STRINGY)], n))
        return Field(
            name,
            line_of(key),
            not optional,
            nullable,
            "default" in methods,
            ztype,
            values,
            limits=tuple(limits),
        )

    def object(self, name: str, node: Node, line: int) -> None:
        """`z.object({...})` with its chain (`.strict()`, `.partial()`, `.extend({...})`)."""
        base, calls = _chain(node)
        if base not in _OBJECTS:
            if base == "" and node.type == "call_expression":
                self.derived(name, node, line)
            return
        fields: dict[str, Field] = {}
        closed = base == "strictObject"
        for method, args in calls:
            if method in (base, "extend", "merge") and args is not None:
                fields.update(self.properties(name, args))
            elif method == "strict":
                closed = True
            elif method in _REOPEN:
                closed = False
            elif method == "partial":
                fields = {k: _optional(f) for k, f in fields.items()}
        self.known[name] = fields
        self.out.append(Shape(name, ShapeKind.ZOD, line, fields, closed=closed))

    def derived(self, name: str, node: Node, line: int) -> None:
        """`Base.extend({...})`, `Base.partial()`, `Base.strict()` of a schema read earlier."""
        calls: list[tuple[str, Node | None]] = []
        while node.type == "call_expression":
            func = node.child_by_field_name("function")
            if func is None or func.type != "member_expression":
                return
            calls.append(
                (
                    text_of(func.child_by_field_name("property")),
                    node.child_by_field_name("arguments"),
                )
            )
            target = func.child_by_field_name("object")
            if target is None:
                return
            node = target
        source = text_of(node)
        if node.type != "identifier" or source not in self.known:
            return
        fields = dict(self.known[source])
        closed = False
        for method, args in reversed(calls):
            if method in ("extend", "merge") and args is not None:
                fields.update(self.properties(name, args))
            elif method == "strict":
                closed = True
            elif method in _REOPEN:
                closed = False
            elif method == "partial":
                fields = {k: _optional(f) for k, f in fields.items()}
        self.known[name] = fields
        self.out.append(Shape(name, ShapeKind.ZOD, line, fields, closed=closed))

    def properties(self, owner: str, args: Node) -> dict[str, Field]:
        out: dict[str, Field] = {}
        for obj in args.named_children:
            if obj.type != "object":
                continue
            for pair in obj.named_children:
                if pair.type != "pair":
                    continue
                key, value = pair.child_by_field_name("key"), pair.child_by_field_name("value")
                if key is None or value is None:
                    continue
                f = self.field(owner, key, value)
                if f is not None:
                    out[f.name] = f
        return out


def _optional(f: Field) -> Field:
    return Field(
        f.name,
        f.line,
        False,
        f.nullable,
        f.has_default,
        f.type,
        f.values,
        f.alias,
        f.number,
        f.limits,
    )


def read(path: str, text: str) -> list[Shape]:
    if "z." not in text:
        return []
    tree = parse(text, path.lower().endswith(TSX_SUFFIXES))
    token = use_source(text)
    try:
        return _read_tree(tree)
    finally:
        _SOURCE.reset(token)


def _read_tree(tree: Tree) -> list[Shape]:
    reader = _Reader()
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type == "variable_declarator":
            name_node, value = node.child_by_field_name("name"), node.child_by_field_name("value")
            if name_node is not None and value is not None and name_node.type == "identifier":
                reader.object(text_of(name_node), value, line_of(node))
            continue
        if node.type in (
            "program",
            "export_statement",
            "lexical_declaration",
            "variable_declaration",
        ):
            stack.extend(reversed(node.named_children))
    return reader.out
