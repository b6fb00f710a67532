"""TypeScript, parsed with tree-sitter's TypeScript and TSX grammars.

Shapes: interfaces (with the fields of interfaces they extend in the same file), object type
aliases, `enum`s and string-literal unions (`type Status = "new" | "paid"`) as enums. A field is
required without `?`, nullable with `| null` / `| undefined`; a union of string literals gives its
accepted values. A declaration the grammar cannot read makes the file unreadable (GR901), never a
field silently lost.

Not data: a member whose type is a function (`enqueue: (job: Job) => Promise<void>`, a method
signature) is behaviour, which no stored record or request body can hold, so it is no field. A
type named for the function of the same file that takes it as a parameter (`TranslateFieldsInput`
of `translateFields(input: TranslateFieldsInput)`, `TGenerateExampleResponsesArgs` of
`generateExampleResponses`) is that function's argument object: its callers are code the compiler
checks at the head commit, so old data does not reach it (`inbound=False`; `data-shapes.include`
judges it all the same).
"""

from __future__ import annotations

import re
from contextvars import ContextVar, Token
from dataclasses import replace
from functools import lru_cache
from typing import TYPE_CHECKING

from guardrail.analysis.shapes.model import Field, Shape, ShapeKind, ShapeReadError

if TYPE_CHECKING:
    from tree_sitter import Node, Tree

TSX_SUFFIXES = (".tsx", ".jsx")
# The parse budget: BUDGET_BASE seconds plus one second per BUDGET_RATE bytes.
BUDGET_BASE = 3.0
BUDGET_RATE = 25_000


@lru_cache(maxsize=2)
def _parser(tsx: bool) -> object:
    import tree_sitter
    import tree_sitter_typescript

    grammar = (
        tree_sitter_typescript.language_tsx()
        if tsx
        else tree_sitter_typescript.language_typescript()
    )
    return tree_sitter.Parser(tree_sitter.Language(grammar))


@lru_cache(maxsize=8)
def parse(text: str, tsx: bool = False) -> Tree:
    """One parse per text, shared by the TypeScript and zod readers. The grammar's error
    recovery can turn quadratic on hostile input; past a budget linear in the size (about 40 s
    for 1 MB, where real code takes well under one) the file is reported unreadable."""
    import time

    import tree_sitter

    parser = _parser(tsx)
    assert isinstance(parser, tree_sitter.Parser)
    data = text.encode("utf-8")
    deadline = time.monotonic() + BUDGET_BASE + len(data) / BUDGET_RATE

    def chunk(offset: int, _point: object) -> bytes:
        return data[offset : offset + 65_536]

    def too_slow(_offset: int, _has_error: bool) -> bool:
        return time.monotonic() > deadline

    try:
        return parser.parse(chunk, progress_callback=too_slow)
    except ValueError as exc:
        parser.reset()  # else the next parse would resume this one
        raise ShapeReadError(
            "the TypeScript grammar gave up on this file (too slow to read)"
        ) from exc


# The bytes of the file being read. A tree parsed through a read callback (the only form with a
# time budget) keeps no source, and `Node.text` then costs a callback round per node: the
# readers slice the bytes they parsed instead.
_SOURCE: ContextVar[bytes] = ContextVar("typescript_source", default=b"")


def use_source(text: str) -> Token[bytes]:
    return _SOURCE.set(text.encode("utf-8"))


def text_of(node: Node | None) -> str:
    if node is None:
        return ""
    return _SOURCE.get()[node.start_byte : node.end_byte].decode("utf-8", "replace")


def line_of(node: Node) -> int:
    return node.start_point[0] + 1


def _unquote(node: Node) -> str:
    raw = text_of(node)
    if node.type == "string" and len(raw) >= 2:
        return raw[1:-1]
    return raw


def _union_parts(node: Node) -> list[Node]:
    if node.type == "union_type":
        return [p for child in node.named_children for p in _union_parts(child)]
    if node.type == "parenthesized_type" and node.named_children:
        return _union_parts(node.named_children[0])
    return [node]


def _string_literal(node: Node) -> str | None:
    if node.type == "literal_type" and node.named_children:
        inner = node.named_children[0]
        if inner.type == "string":
            return _unquote(inner)
    return None


def _is_null(node: Node) -> bool:
    raw = text_of(node)
    return raw in ("null", "undefined") or (node.type == "literal_type" and raw == "null")


_FUNCTION_TYPES = frozenset({"function_type", "constructor_type"})


def _inline_object(part: Node) -> Node | None:
    """The object type literal a field holds: `{ … }`, `{ … }[]` or `Array<{ … }>`."""
    if part.type == "array_type" and part.named_children:
        part = part.named_children[0]
    elif part.type == "generic_type" and text_of(part.child_by_field_name("name")) in (
        "Array",
        "ReadonlyArray",
    ):
        args = part.child_by_field_name("type_arguments")
        if args is not None and len(args.named_children) == 1:
            part = args.named_children[0]
    return part if part.type == "object_type" else None


def _field(
    node: Node,
    generics: tuple[str, ...] = (),
    owner: str = "",
    nested: list[Shape] | None = None,
) -> Field | None:
    name_node = node.child_by_field_name("name")
    if name_node is None:
        return None
    name = _unquote(name_node)
    optional = any(c.type == "?" for c in node.children)
    ann = node.child_by_field_name("type")
    type_node = ann.named_children[0] if ann is not None and ann.named_children else None
    parts = _union_parts(type_node) if type_node is not None else []
    nullable = any(_is_null(p) for p in parts)
    kept = [p for p in parts if not _is_null(p)]
    if kept and all(p.type in _FUNCTION_TYPES for p in kept):
        return None  # a callback or method: behaviour, not a value data can hold
    literals = [_string_literal(p) for p in kept]
    values = (
        frozenset(v for v in literals if v is not None)
        if len(kept) > 1 and all(v is not None for v in literals)
        else None
    )
    type_text = " | ".join(text_of(p) for p in kept)
    for part in kept:
        inner = _inline_object(part)
        if inner is not None:
            # An inline `{ … }` is a shape of its own (`Owner.field`), compared key by key: its
            # text is not a type name, and a new optional key in it is not a narrowing.
            if nested is not None:
                where = f"{owner}.{name}"
                fields = _fields(inner, generics, where, nested)
                nested.append(Shape(where, ShapeKind.TYPESCRIPT, line_of(inner), fields))
            type_text = type_text.replace(text_of(inner), "object")
    for i, param in enumerate(generics):
        # `inputSchema?: InputArgs` of `Config<InputArgs>` is the same field as `InputSchema` of
        # `Config<InputSchema>`: a type parameter is compared by its position, not its name.
        type_text = re.sub(rf"\b{re.escape(param)}\b", f"${i}", type_text)
    return Field(
        name, line_of(name_node), not optional, nullable or optional, False, type_text, values
    )


def _generics(decl: Node) -> tuple[str, ...]:
    """The declaration's type parameters, in order (`type Config<A, B> = …` -> ("A", "B"))."""
    params = decl.child_by_field_name("type_parameters")
    if params is None:
        return ()
    return tuple(
        text_of(p.child_by_field_name("name"))
        for p in params.named_children
        if p.type == "type_parameter"
    )


def _fields(
    body: Node,
    generics: tuple[str, ...] = (),
    owner: str = "",
    nested: list[Shape] | None = None,
) -> dict[str, Field]:
    out: dict[str, Field] = {}
    for child in body.named_children:
        if child.type == "property_signature":
            f = _field(child, generics, owner, nested)
            if f is not None:
                out[f.name] = f
    return out


def _check(node: Node) -> None:
    if node.has_error:
        bad = next((n for n in _walk(node) if n.type == "ERROR" or n.is_missing), node)
        raise ShapeReadError("a declaration the TypeScript grammar cannot read", line_of(bad))


def _walk(node: Node) -> list[Node]:
    out, stack = [], [node]
    while stack:
        n = stack.pop()
        out.append(n)
        stack.extend(reversed(n.children))
    return out


def _declarations(root: Node) -> list[Node]:
    out = []
    for child in root.named_children:
        target = child
        if child.type == "export_statement":
            target = child.child_by_field_name("declaration") or child
        if target.type == "ambient_declaration" and target.named_children:
            target = target.named_children[0]
        if target.type in ("interface_declaration", "type_alias_declaration", "enum_declaration"):
            out.append(target)
    return out


_ARGUMENT_SUFFIX = re.compile(r"(Input|Args|Arguments|Params|Parameters|Options|Opts|Props)$")


def _parameter_types(root: Node) -> set[tuple[str, str]]:
    """(function name, type name) for each function of the file and each parameter type it
    names: `function f(a: A)`, `const f = async ({ x }: A) => …`, `const f = function (a: A)`."""
    out: set[tuple[str, str]] = set()
    for node in _walk(root):
        fn: Node | None = node
        if node.type == "function_declaration":
            name = node.child_by_field_name("name")
        elif node.type == "variable_declarator":
            name, fn = node.child_by_field_name("name"), node.child_by_field_name("value")
        else:
            continue
        if fn is None or fn.type not in (
            "function_declaration",
            "arrow_function",
            "function_expression",
        ):
            continue
        params = fn.child_by_field_name("parameters")
        if name is None or params is None:
            continue
        for param in params.named_children:
            ann = param.child_by_field_name("type")
            if ann is not None and ann.named_children:
                typ = ann.named_children[0]
                if typ.type == "generic_type":
                    typ = typ.child_by_field_name("name") or typ
                out.add((text_of(name), text_of(typ)))
    return out


def argument_of_own_function(name: str, parameter_types: set[tuple[str, str]]) -> bool:
    """`TranslateFieldsInput` taken by `translateFields`: the function's own argument type."""
    stem = _ARGUMENT_SUFFIX.sub("", name)
    stems = {stem.lower()}
    if len(stem) > 1 and stem[0] in "TI" and stem[1].isupper():
        stems.add(stem[1:].lower())  # `TTranslateFieldsInput`, `ITranslateFieldsInput`
    return any(typ == name and fn.lower() in stems for fn, typ in parameter_types)


# A shape is an `interface`, `type` or `enum` declaration (`_declarations`): the grammar starts
# each with that keyword, a whole word, followed (after spaces or comments) by the name. A text
# with no such keyword followed by something a name or a comment can start with declares no shape,
# so it is not parsed (most components and utilities of a real front end). Conservative on
# purpose: only ASCII counts as part of a longer word, and every character that may start a
# name or a comment (a letter of any script, `$`, `_`, a backslash, `/`) counts as a name.
# (The keyword first and the word boundary before it as lookbehinds: the search then tries only
# where a keyword starts, twice as fast as a lookbehind at every character.)
_MAY_DECLARE = re.compile(
    r"(?:interface|type|enum)"
    r"(?<![A-Za-z0-9_$]interface)(?<![A-Za-z0-9_$]type)(?<![A-Za-z0-9_$]enum)"
    r"(?![A-Za-z0-9_$])\s*[^\s:;,)\]}=.?(<>'\"`\[{+\-*%&|^!~@#0-9]"
)


def may_declare(text: str) -> bool:
    """Whether `text` can hold a declaration this reader reads (False only when it cannot)."""
    return _MAY_DECLARE.search(text) is not None


def read(path: str, text: str) -> list[Shape]:
    if not may_declare(text):
        return []
    tree = parse(text, path.lower().endswith(TSX_SUFFIXES))
    token = use_source(text)
    try:
        return _read_tree(tree)
    finally:
        _SOURCE.reset(token)


def _read_tree(tree: Tree) -> list[Shape]:
    out: list[Shape] = []
    interfaces: dict[str, tuple[Node, list[str]]] = {}
    for decl in _declarations(tree.root_node):
        named = decl.child_by_field_name("name")
        if (
            named is None
            or named.start_byte == named.end_byte
            or any(c.type == "ERROR" and c.start_byte < named.start_byte for c in decl.children)
        ):
            # No name after the keyword, only the grammar's error recovery around it
            # (`interface = …`): no declaration, as `may_declare` rules out before parsing.
            continue
        _check(decl)
        name = text_of(decl.child_by_field_name("name"))
        line = line_of(decl)
        if decl.type == "interface_declaration":
            extends = [
                text_of(t).split("<", 1)[0]
                for c in decl.named_children
                if c.type == "extends_type_clause"
                for t in c.named_children
            ]
            interfaces[name] = (decl, extends)
        elif decl.type == "enum_declaration":
            body = decl.child_by_field_name("body")
            members = frozenset(
                _unquote(m.child_by_field_name("name") or m)
                if m.type == "enum_assignment"
                else _unquote(m)
                for m in (body.named_children if body is not None else [])
                if m.type in ("property_identifier", "enum_assignment", "string")
            )
            out.append(Shape(name, ShapeKind.ENUM, line, members=members))
        else:
            value = decl.child_by_field_name("value")
            if value is None:
                continue
            if value.type == "object_type":
                fields = _fields(value, _generics(decl), name, out)
                out.append(Shape(name, ShapeKind.TYPESCRIPT, line, fields))
                continue
            parts = _union_parts(value)
            literals = [_string_literal(p) for p in parts]
            if len(parts) > 1 and all(v is not None for v in literals):
                members = frozenset(v for v in literals if v is not None)
                out.append(Shape(name, ShapeKind.ENUM, line, members=members))

    def resolved(name: str, depth: int = 0) -> dict[str, Field]:
        decl, extends = interfaces[name]
        fields: dict[str, Field] = {}
        for base in extends:
            if base in interfaces and depth < 16:
                fields.update(resolved(base, depth + 1))
        body = decl.child_by_field_name("body")
        if body is not None:
            # Inline object types are shapes under the interface that declares them.
            own = _fields(body, _generics(decl), name, out if depth == 0 else None)
            fields.update(own)
        return fields

    for name, (decl, _) in interfaces.items():
        out.append(Shape(name, ShapeKind.TYPESCRIPT, line_of(decl), resolved(name)))
    if not out:
        return out
    parameter_types = _parameter_types(tree.root_node)
    return [
        replace(s, inbound=False)
        if s.kind == ShapeKind.TYPESCRIPT and argument_of_own_function(s.name, parameter_types)
        else s
        for s in out
    ]
