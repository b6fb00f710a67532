"""What one test (or helper) file does, read once per run: the facts the evidence search asks.

Each file is parsed once with a real parser: Python with `ast`, TypeScript and JavaScript with
the tree-sitter TypeScript/TSX and JavaScript grammars the shape and migration readers already
use. The facts are what it imports, which functions it defines (and their parameters), which
names it calls or constructs, with which literal data (a dict or object literal, a local name
bound to one, keyword arguments), and which of the enclosing function's parameters a call passes
on (so evidence can follow data into a helper that builds the model, a few calls deep).

Go has no grammar installed in the project: Go test files are read by a small scanner for
composite literals (`Order{ID: 1}`) only, and nothing else in them counts (docs/data-shapes.md).
Other languages are not indexed as code; their data files (JSON fixtures) are read as data.
"""

from __future__ import annotations

import ast
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from guardrail.analysis import pyast

if TYPE_CHECKING:
    from tree_sitter import Node

PYTHON = "python"
TYPESCRIPT = "typescript"
GO = "go"
TS_SUFFIXES = (".ts", ".mts", ".cts")
TSX_SUFFIXES = (".tsx",)
JS_SUFFIXES = (".js", ".jsx", ".mjs", ".cjs")
# The parse budget for a test file: tree-sitter's error recovery can turn quadratic on hostile
# input, so a file past BASE seconds plus one per RATE bytes is reported unreadable (GR901).
BUDGET_BASE = 3.0
BUDGET_RATE = 25_000
MAX_DEPTH = 400


def language_of(path: str) -> str | None:
    low = path.lower()
    if low.endswith(".py"):
        return PYTHON
    if low.endswith(TS_SUFFIXES + TSX_SUFFIXES + JS_SUFFIXES) and not low.endswith(".d.ts"):
        return TYPESCRIPT
    if low.endswith(".go"):
        return GO
    return None


@dataclass(frozen=True)
class Payload:
    """A literal of data: its keys, those set to None/null/undefined/nil, and whether it is
    open (a `**spread` or `...spread` whose keys are unknown, so it cannot be said to lack one)."""

    line: int
    keys: frozenset[str]
    nulls: frozenset[str] = frozenset()
    open: bool = False
    scope: str = ""  # the enclosing function (Python; "" at module level or unknown)
    # keys an open payload certainly lacks: `const {coupon, ...legacy} = row` (TypeScript)
    absent: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Call:
    callee: str  # as written, dotted: "Order.model_validate", "factories.make_order", "Order"
    line: int
    scope: str  # the enclosing function ("" at module level)
    payloads: tuple[Payload, ...]  # the literal data the call is given
    keywords: Payload | None  # Python keyword arguments as one payload (None without any)
    passes: frozenset[str]  # parameters of the enclosing function passed on to the callee
    star: bool = False  # `**something` whose keys are unknown


@dataclass(frozen=True)
class Function:
    name: str
    line: int
    params: frozenset[str]


@dataclass
class Facts:
    path: str
    language: str
    idents: frozenset[str] = frozenset()  # identifiers used as code (not in strings/comments)
    imports: dict[str, tuple[str, str]] = field(default_factory=dict)  # local -> (module, name)
    calls: tuple[Call, ...] = ()
    payloads: tuple[Payload, ...] = ()  # every data literal of the file
    values: dict[str, int] = field(default_factory=dict)  # string literals, attribute names
    functions: dict[str, Function] = field(default_factory=dict)
    # Python: the names each function's code uses ("" for module level), to tie a data
    # literal to the test that uses the model.
    names_in: dict[str, frozenset[str]] = field(default_factory=dict)
    _by_scope: dict[str, list[Call]] | None = None

    def calls_in(self, scope: str) -> list[Call]:
        if self._by_scope is None:
            self._by_scope = {}
            for c in self.calls:
                self._by_scope.setdefault(c.scope, []).append(c)
        return self._by_scope.get(scope, [])


def read(path: str, text: str) -> Facts | None:
    """The facts of one file, or None for a language that is not indexed as code. Raises on a
    file its parser cannot read at all (the caller records it as unreadable)."""
    lang = language_of(path)
    if lang == PYTHON:
        return _python(path, text)
    if lang == TYPESCRIPT:
        return _typescript(path, text)
    if lang == GO:
        return _go(path, text)
    return None


# --- Python -------------------------------------------------------------------------------


def _dotted(node: ast.expr) -> str:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    elif isinstance(node, ast.Call):
        parts.append(_dotted(node.func) + "()")
    else:
        return ".".join(reversed(parts))
    return ".".join(reversed(parts))


def _py_payload(node: ast.Dict, scope: str = "") -> Payload:
    keys: set[str] = set()
    nulls: set[str] = set()
    is_open = False
    for k, v in zip(node.keys, node.values, strict=False):
        if k is None:
            is_open = True  # {**base, ...}
        elif isinstance(k, ast.Constant) and isinstance(k.value, str):
            keys.add(k.value)
            if isinstance(v, ast.Constant) and v.value is None:
                nulls.add(k.value)
    return Payload(node.lineno, frozenset(keys), frozenset(nulls), is_open, scope)


class _PyFacts(ast.NodeVisitor):
    def __init__(self) -> None:
        self.idents: set[str] = set()
        self.imports: dict[str, tuple[str, str]] = {}
        self.calls: list[Call] = []
        self.payloads: list[Payload] = []
        self.values: dict[str, int] = {}
        self.functions: dict[str, Function] = {}
        self.scope: list[tuple[str, frozenset[str]]] = [("", frozenset())]
        self.bound: list[dict[str, Payload]] = [{}]  # per scope: name -> the dict it holds
        self.names_in: dict[str, set[str]] = {}
        # The scope names data is tied to: `Class.method` for a method, so two classes'
        # `setUp` stay apart; a function's bare name otherwise ("" at module level).
        self.qual: list[str] = [""]
        self.in_class: list[str | None] = [None]  # the class whose body is being read

    def _uses(self, name: str) -> None:
        self.idents.add(name)
        self.names_in.setdefault(self.qual[-1], set()).add(name)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.in_class.append(node.name)
        self.generic_visit(node)
        self.in_class.pop()

    def _lookup(self, name: str) -> Payload | None:
        for scope in reversed(self.bound):
            if name in scope:
                return scope[name]
        return None

    def visit_Import(self, node: ast.Import) -> None:
        for a in node.names:
            local = a.asname or a.name.split(".")[0]
            self.imports[local] = (a.name if a.asname else a.name.split(".")[0], "")
            self.idents.update({local, a.name.rsplit(".", 1)[-1]})

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = "." * node.level + (node.module or "")
        for a in node.names:
            local = a.asname or a.name
            self.imports[local] = (module, a.name)
            self.idents.update({local, a.name})

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        args = node.args
        params = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
        params += [a.arg for a in (args.vararg, args.kwarg) if a is not None]
        self.idents.add(node.name)
        self.idents.update(params)
        self.functions.setdefault(node.name, Function(node.name, node.lineno, frozenset(params)))
        for d in node.decorator_list:
            self.visit(d)
        for default in (*args.defaults, *(d for d in args.kw_defaults if d is not None)):
            self.visit(default)
        if node.returns is not None:
            self.visit(node.returns)
        self.scope.append((node.name, frozenset(params)))
        owner = self.in_class[-1]
        self.qual.append(f"{owner}.{node.name}" if owner else node.name)
        self.in_class.append(None)  # a class defined inside the function is its own
        self.bound.append({})
        for stmt in node.body:
            self.visit(stmt)
        self.scope.pop()
        self.qual.pop()
        self.in_class.pop()
        self.bound.pop()

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function

    def _carries_params(self, value: ast.expr) -> bool:
        params = self.scope[-1][1]
        return bool(params) and any(
            isinstance(n, ast.Name) and n.id in params for n in ast.walk(value)
        )

    def visit_Assign(self, node: ast.Assign) -> None:
        self.generic_visit(node)
        targets = [t.id for t in node.targets if isinstance(t, ast.Name)]
        if isinstance(node.value, ast.Dict):
            for target in targets:
                self.bound[-1][target] = _py_payload(node.value)
        if targets and self._carries_params(node.value):
            # `data = {"id": 1, **overrides}`: the parameter's data flows on through `data`.
            name, params = self.scope[-1]
            self.scope[-1] = (name, params | frozenset(targets))

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self.generic_visit(node)
        if isinstance(node.value, ast.Dict) and isinstance(node.target, ast.Name):
            self.bound[-1][node.target.id] = _py_payload(node.value)

    def visit_Dict(self, node: ast.Dict) -> None:
        self.payloads.append(_py_payload(node, self.qual[-1]))
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        self._uses(node.id)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        self._uses(node.attr)
        self.values.setdefault(node.attr, node.lineno)
        self.generic_visit(node)

    def visit_arg(self, node: ast.arg) -> None:
        self.idents.add(node.arg)
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and len(node.value) <= 200:
            self.values.setdefault(node.value, node.lineno)

    def visit_Call(self, node: ast.Call) -> None:
        self.generic_visit(node)
        scope, params = self.scope[-1]
        payloads: list[Payload] = []
        passes: set[str] = set()
        star = False
        for arg in node.args:
            inner = arg.value if isinstance(arg, ast.Starred) else arg
            if isinstance(inner, ast.Dict):
                payloads.append(_py_payload(inner))
            elif isinstance(inner, ast.Name):
                if inner.id in params:
                    passes.add(inner.id)
                bound = self._lookup(inner.id)
                if bound is not None:
                    payloads.append(bound)
        keys: set[str] = set()
        nulls: set[str] = set()
        for kw in node.keywords:
            value = kw.value
            if isinstance(value, ast.Name) and value.id in params:
                passes.add(value.id)
            if kw.arg is None:
                bound = (
                    _py_payload(value)
                    if isinstance(value, ast.Dict)
                    else self._lookup(value.id)
                    if isinstance(value, ast.Name)
                    else None
                )
                if bound is None:
                    star = True
                else:
                    payloads.append(bound)
                continue
            keys.add(kw.arg)
            if isinstance(value, ast.Constant) and value.value is None:
                nulls.add(kw.arg)
            if isinstance(value, ast.Dict):
                payloads.append(_py_payload(value))
        keywords = Payload(node.lineno, frozenset(keys), frozenset(nulls)) if keys else None
        self.calls.append(
            Call(
                _dotted(node.func),
                node.lineno,
                scope,
                tuple(payloads),
                keywords,
                frozenset(passes),
                star,
            )
        )


def _python(path: str, text: str) -> Facts:
    # The run's one parse of the text (a helper module a test imports is often a model file
    # the data-shape reader parsed already); the visitor only reads the shared tree.
    tree = pyast.parse(text)
    v = _PyFacts()
    v.visit(tree)
    return Facts(
        path,
        PYTHON,
        frozenset(v.idents),
        v.imports,
        tuple(v.calls),
        tuple(v.payloads),
        v.values,
        v.functions,
        {scope: frozenset(names) for scope, names in v.names_in.items()},
    )


# --- TypeScript / JavaScript (tree-sitter) --------------------------------------------------


def _ts_parse(path: str, data: bytes) -> Node:
    import tree_sitter

    from guardrail.analysis.migrations.grammar import _parser
    from guardrail.analysis.shapes import typescript

    low = path.lower()
    if low.endswith(JS_SUFFIXES):
        parser = _parser("javascript")
    else:
        p = typescript._parser(low.endswith(TSX_SUFFIXES))
        assert isinstance(p, tree_sitter.Parser)
        parser = p
    deadline = time.monotonic() + BUDGET_BASE + len(data) / BUDGET_RATE

    def chunk(offset: int, _point: object) -> bytes:
        return data[offset : offset + 65_536]

    def too_slow(_offset: int, _has_error: bool) -> bool:
        return time.monotonic() > deadline

    try:
        return parser.parse(chunk, progress_callback=too_slow).root_node
    except ValueError as exc:
        parser.reset()
        raise ValueError("the grammar gave up on this test file (too slow to read)") from exc


_WRAPPERS = frozenset(
    {"as_expression", "satisfies_expression", "parenthesized_expression", "non_null_expression"}
)
_FUNCTIONS = frozenset(
    {"function_declaration", "function_expression", "arrow_function", "method_definition"}
)
# Array methods that hand each element to their first argument.
_ITERATORS = frozenset({"map", "forEach", "flatMap", "filter", "every", "some", "find"})


class _TsFacts:
    def __init__(self, path: str, data: bytes) -> None:
        self.path = path
        self.data = data
        self.idents: set[str] = set()
        self.imports: dict[str, tuple[str, str]] = {}
        self.calls: list[Call] = []
        self.payloads: list[Payload] = []
        self.values: dict[str, int] = {}
        self.functions: dict[str, Function] = {}
        # Names bound to an object literal, per function that declares them (the start byte of
        # that function, -1 at module level): two tests may each call their data `row`. None: a
        # name declared there with another value, which hides an outer literal of that name.
        # A name may hold one of several literals (the elements of an array it iterates);
        # `fixtures.legacy` is bound too when `fixtures` is an object literal.
        self.bound: dict[tuple[int, str], tuple[Payload, ...] | None] = {}
        # Declared without a value (`let order;`): bound by its one later assignment, if any.
        self.unassigned: dict[tuple[int, str], list[tuple[Payload, ...] | None]] = {}
        self.reassigned: set[tuple[int, str]] = set()  # declared with a value, assigned again

    def text(self, node: Node) -> str:
        return self.data[node.start_byte : node.end_byte].decode("utf-8", "replace")

    def unquote(self, node: Node) -> str:
        raw = self.text(node)
        return raw[1:-1] if node.type == "string" and len(raw) >= 2 else raw

    def unwrap(self, node: Node) -> Node:
        while node.type in _WRAPPERS and node.named_children:
            node = node.named_children[0]
        return node

    def payload(self, node: Node) -> Payload:
        keys: set[str] = set()
        nulls: set[str] = set()
        is_open = False
        # What every open part lacks (None: no open part yet); a key set later is present.
        absent: set[str] | None = None
        for child in node.named_children:
            if child.type == "pair":
                key = child.child_by_field_name("key")
                value = child.child_by_field_name("value")
                if key is None:
                    continue
                if key.type == "computed_property_name":
                    is_open = True
                    continue
                name = self.unquote(key)
                keys.add(name)
                if value is not None and self.text(value) in ("null", "undefined"):
                    nulls.add(name)
                else:
                    nulls.discard(name)  # `{...stored, coupon: 'X'}` sets what the spread held
            elif child.type == "shorthand_property_identifier":
                keys.add(self.text(child))
                nulls.discard(self.text(child))
            elif child.type == "spread_element":
                # `{...stored}` of an object literal bound in reach: its keys, in order (a
                # later key overrides); any other spread may hold anything.
                spread = self.spread(child)
                if spread is None:
                    is_open = True
                    absent = set()
                else:
                    keys |= spread.keys
                    nulls = (nulls - spread.keys) | spread.nulls
                    is_open = is_open or spread.open
                    if spread.open:
                        lacks = set(spread.absent) - keys
                        absent = lacks if absent is None else absent & lacks
            elif child.type == "method_definition":
                name_node = child.child_by_field_name("name")
                if name_node is not None:
                    keys.add(self.unquote(name_node))
        return Payload(
            node.start_point[0] + 1,
            frozenset(keys),
            frozenset(nulls),
            is_open,
            absent=frozenset((absent or set()) - keys) if is_open else frozenset(),
        )

    def params(self, fn: Node) -> frozenset[str]:
        params = fn.child_by_field_name("parameters") or fn.child_by_field_name("parameter")
        if params is None:
            return frozenset()
        if params.type == "identifier":
            return frozenset({self.text(params)})
        out: set[str] = set()
        for p in params.named_children:
            target = p.child_by_field_name("pattern") or p
            if target.type == "identifier":
                out.add(self.text(target))
            elif target.type == "rest_pattern" and target.named_children:
                out.add(self.text(target.named_children[0]))
        return frozenset(out)

    def spread(self, node: Node) -> Payload | None:
        inner = self.unwrap(node.named_children[0]) if node.named_children else None
        if inner is None:
            return None
        if inner.type == "object":
            return self.payload(inner)
        found = self.lookup(inner)
        return found[0] if found is not None and len(found) == 1 else None

    def dotted(self, node: Node) -> str | None:
        """`fixtures.legacy` for a member access of plain names, `order` for a name."""
        node = self.unwrap(node)
        if node.type == "identifier":
            return self.text(node)
        if node.type == "member_expression":
            obj = node.child_by_field_name("object")
            prop = node.child_by_field_name("property")
            head = self.dotted(obj) if obj is not None else None
            if head is not None and prop is not None and prop.type == "property_identifier":
                return f"{head}.{self.text(prop)}"
        return None

    def lookup(self, ident: Node) -> tuple[Payload, ...] | None:
        """The object literals the name (or `a.b` member access) `ident` is bound to where it
        is used: in the innermost enclosing function that declares it, else at module level."""
        word = self.dotted(ident)
        return self.lookup_word(word, ident) if word is not None else None

    def lookup_word(self, word: str, at: Node) -> tuple[Payload, ...] | None:
        root = word.split(".", 1)[0]
        node: Node | None = at.parent
        while node is not None:
            if node.type in _FUNCTIONS:
                if (node.start_byte, word) in self.bound:
                    return self.bound[(node.start_byte, word)]
                if (node.start_byte, root) in self.bound:
                    return None  # declared here, but not as a literal holding `word`
                if root in self.params(node):
                    return None  # a parameter of that name: whatever the caller gives
            node = node.parent
        return self.bound.get((-1, word))

    def literals(self, value: Node | None) -> tuple[Payload, ...] | None:
        """The object literals an expression stands for: itself, what a name holds, or the
        object elements of an array (`[old, current]`: either may be what a test gives)."""
        inner = self.unwrap(value) if value is not None else None
        if inner is None:
            return None
        if inner.type == "object":
            return (self.payload(inner),)
        if inner.type == "array":
            out: list[Payload] = []
            for el in inner.named_children:
                if self.unwrap(el).type == "array":
                    continue  # a row of a table (`it.each([[…]])`): not one value
                found = self.literals(el)
                if found is not None:
                    out.extend(found)
            return tuple(out) or None
        return self.lookup(inner)

    def elements(self, value: Node | None) -> tuple[Payload, ...] | None:
        """The literals an iterable stands for: an array literal's, or a name bound to one."""
        inner = self.unwrap(value) if value is not None else None
        if inner is None:
            return None
        return (
            self.literals(inner)
            if inner.type in ("array", "identifier", "member_expression")
            else None
        )

    def fn_name(self, node: Node) -> str | None:
        name = node.child_by_field_name("name")
        if name is not None:
            return self.text(name)
        parent = node.parent
        if parent is not None and parent.type == "variable_declarator":
            target = parent.child_by_field_name("name")
            if target is not None and target.type == "identifier":
                return self.text(target)
        return None

    def walk(self, root: Node) -> None:
        # (node, scope name, scope params, depth), document order.
        stack: list[tuple[Node, str, frozenset[str], int]] = [(root, "", frozenset(), 0)]
        while stack:
            node, scope, params, depth = stack.pop()
            kind = node.type
            if kind in _FUNCTIONS:
                name = self.fn_name(node)
                own = self.params(node)
                if name is not None:
                    self.functions.setdefault(name, Function(name, node.start_point[0] + 1, own))
                    scope, params = name, own
                else:
                    params = params | own  # a callback sees its own and its parent's parameters
            elif kind == "import_statement":
                self.import_statement(node)
            elif kind in ("call_expression", "new_expression"):
                self.call(node, scope, params)
            elif kind == "object":
                self.payloads.append(self.payload(node))
            elif kind == "variable_declarator":
                self.declarator(node)
            elif kind in ("identifier", "type_identifier", "shorthand_property_identifier"):
                self.idents.add(self.text(node))
            elif kind == "property_identifier":
                word = self.text(node)
                self.idents.add(word)
                self.values.setdefault(word, node.start_point[0] + 1)
            elif kind == "string_fragment":
                word = self.text(node)
                if len(word) <= 200:
                    self.values.setdefault(word, node.start_point[0] + 1)
            if depth < MAX_DEPTH:
                stack.extend((c, scope, params, depth + 1) for c in reversed(node.named_children))

    def import_statement(self, node: Node) -> None:
        source = node.child_by_field_name("source")
        module = self.unquote(source) if source is not None else ""
        for clause in node.named_children:
            if clause.type != "import_clause":
                continue
            for part in clause.named_children:
                if part.type == "identifier":
                    self.imports[self.text(part)] = (module, "default")
                elif part.type == "namespace_import" and part.named_children:
                    self.imports[self.text(part.named_children[-1])] = (module, "")
                elif part.type == "named_imports":
                    for spec in part.named_children:
                        if spec.type != "import_specifier":
                            continue
                        name = spec.child_by_field_name("name")
                        alias = spec.child_by_field_name("alias")
                        if name is None:
                            continue
                        local = self.text(alias if alias is not None else name)
                        self.imports[local] = (module, self.text(name))

    def bindings(self, nodes: list[Node]) -> None:
        for node in nodes:
            if node.type == "variable_declarator":
                self.declarator(node)
            elif node.type == "assignment_expression":
                self.assignment(node)
            elif node.type == "for_in_statement":
                self.for_of(node)
            else:
                self.iteration(node)
        # `let order;` assigned once (in a `beforeEach`, say) holds that; more often: unknown.
        for key, values in self.unassigned.items():
            self.bound[key] = values[0] if len(values) == 1 else None

    def assignment(self, node: Node) -> None:
        left = node.child_by_field_name("left")
        right = node.child_by_field_name("right")
        if left is None or right is None or left.type != "identifier":
            return
        word = self.text(left)
        up: Node | None = node.parent
        while up is not None:
            if up.type in _FUNCTIONS and (up.start_byte, word) in self.bound:
                break
            up = up.parent
        key = (up.start_byte if up is not None else -1, word)
        if key in self.unassigned:
            self.unassigned[key].append(self.literals(right))
        elif key in self.bound:
            self.bound[key] = None  # reassigned: which value a use sees is not followed
            self.reassigned.add(key)

    def for_of(self, node: Node) -> None:
        """`for (const row of rows)`: `row` holds each element of `rows`."""
        left = node.child_by_field_name("left")
        right = node.child_by_field_name("right")
        if left is None or left.type != "identifier":
            return
        is_of = any(c.type == "of" for c in node.children)
        self.bound[(self.owner(node), self.text(left))] = self.elements(right) if is_of else None

    def iteration(self, node: Node) -> None:
        """`rows.map((row) => …)` and `it.each(rows)('…', (row) => …)`: the callback's first
        parameter holds each element of `rows`."""
        fn = node.child_by_field_name("function")
        args = node.child_by_field_name("arguments")
        if fn is None or args is None:
            return
        source: Node | None = None
        if fn.type == "member_expression":
            prop = fn.child_by_field_name("property")
            if prop is not None and self.text(prop) in _ITERATORS:
                source = fn.child_by_field_name("object")
        elif fn.type == "call_expression":  # it.each(rows)(name, fn)
            inner_fn = fn.child_by_field_name("function")
            inner_args = fn.child_by_field_name("arguments")
            if (
                inner_fn is not None
                and inner_fn.type == "member_expression"
                and self.text(inner_fn).rsplit(".", 1)[-1] == "each"
                and inner_args is not None
                and inner_args.named_children
            ):
                source = inner_args.named_children[0]
        if source is None:
            return
        callback = next((a for a in args.named_children if a.type in _FUNCTIONS), None)
        if callback is None:
            return
        params = callback.child_by_field_name("parameters")
        first: Node | None = callback.child_by_field_name("parameter")
        if first is None and params is not None and params.named_children:
            p = params.named_children[0]
            first = p.child_by_field_name("pattern") or p
        if first is not None and first.type == "identifier":
            self.bound[(callback.start_byte, self.text(first))] = self.elements(source)

    def owner(self, node: Node) -> int:
        """The start byte of the function whose scope holds `node` (-1: the module)."""
        up: Node | None = node.parent
        while up is not None and up.type not in _FUNCTIONS:
            up = up.parent
        return up.start_byte if up is not None else -1

    def declarator(self, node: Node) -> None:
        name = node.child_by_field_name("name")
        value = node.child_by_field_name("value")
        if name is None:
            return
        scope = self.owner(node)
        if name.type == "object_pattern":
            self.pattern(scope, name, value)
            return
        if name.type != "identifier":
            return
        word = self.text(name)
        if value is None:  # `let order;`: bound by its one later assignment
            if (scope, word) in self.unassigned:
                return  # seen already (the walk meets every declarator a second time)
            self.bound[(scope, word)] = None
            self.unassigned[(scope, word)] = []
            return
        if (scope, word) not in self.reassigned:
            self.bind(scope, word, value)

    def bind(self, scope: int, word: str, value: Node, depth: int = 0) -> None:
        """`word` holds what `value` stands for; an object literal's members are bound too
        (`fixtures.legacy`), a few levels deep."""
        self.bound[(scope, word)] = self.literals(value)
        inner = self.unwrap(value)
        if inner.type != "object" or depth >= 3:
            return
        for pair in inner.named_children:
            key = pair.child_by_field_name("key") if pair.type == "pair" else None
            member = pair.child_by_field_name("value") if pair.type == "pair" else None
            if key is not None and member is not None and key.type != "computed_property_name":
                self.bind(scope, f"{word}.{self.unquote(key)}", member, depth + 1)

    def pattern(self, scope: int, pattern: Node, value: Node | None) -> None:
        """`const {coupon, ...legacy} = row`: `legacy` is `row` without `coupon` (whatever else
        `row` holds); `const {legacy} = fixtures` is `fixtures.legacy`."""
        source = self.dotted(value) if value is not None else None
        named: set[str] = set()
        for part in pattern.named_children:
            if part.type == "shorthand_property_identifier_pattern":
                word = self.text(part)
                named.add(word)
                self.bound[(scope, word)] = (
                    self.lookup_word(f"{source}.{word}", pattern) if source is not None else None
                )
            elif part.type == "pair_pattern":
                key = part.child_by_field_name("key")
                target = part.child_by_field_name("value")
                if key is not None:
                    named.add(self.unquote(key))
                if target is not None and target.type == "identifier":
                    self.bound[(scope, self.text(target))] = None
            elif part.type == "object_assignment_pattern":
                left = part.child_by_field_name("left")
                if left is not None:
                    named.add(self.text(left))
                    self.bound[(scope, self.text(left))] = None
        for part in pattern.named_children:
            if part.type != "rest_pattern" or not part.named_children:
                continue
            rest = part.named_children[0]
            if rest.type != "identifier":
                continue
            found = self.literals(value) if value is not None else None
            if found is None:
                lacks = frozenset(named)
                line = rest.start_point[0] + 1
                self.bound[(scope, self.text(rest))] = (
                    Payload(line, frozenset(), open=True, absent=lacks),
                )
            else:
                self.bound[(scope, self.text(rest))] = tuple(
                    Payload(
                        p.line,
                        p.keys - named,
                        p.nulls - named,
                        p.open,
                        absent=(p.absent | named) if p.open else frozenset(),
                    )
                    for p in found
                )

    def call(self, node: Node, scope: str, params: frozenset[str]) -> None:
        fn = node.child_by_field_name("function") or node.child_by_field_name("constructor")
        args = node.child_by_field_name("arguments")
        if fn is None:
            return
        callee = self.callee(fn)
        payloads: list[Payload] = []
        passes: set[str] = set()
        star = False
        for arg in args.named_children if args is not None else ():
            inner = self.unwrap(arg)
            if inner.type == "spread_element" and inner.named_children:
                star = True
                inner = self.unwrap(inner.named_children[0])
            if inner.type == "object":
                payloads.append(self.payload(inner))
            elif inner.type in ("identifier", "member_expression"):
                word = self.text(inner)
                if word in params:
                    passes.add(word)
                if (bound := self.lookup(inner)) is not None:
                    payloads.extend(bound)
        line = node.start_point[0] + 1
        self.calls.append(Call(callee, line, scope, tuple(payloads), None, frozenset(passes), star))
        # `rows.map(Order.parse)`, `rows.forEach(check)`: each element goes to the function.
        if fn.type == "member_expression" and args is not None and args.named_children:
            prop = fn.child_by_field_name("property")
            handler = self.unwrap(args.named_children[0])
            if (
                prop is not None
                and self.text(prop) in _ITERATORS
                and handler.type in ("identifier", "member_expression")
                and (rows := self.elements(fn.child_by_field_name("object"))) is not None
            ):
                self.calls.append(
                    Call(self.callee(handler), line, scope, rows, None, frozenset(), False)
                )

    def callee(self, fn: Node) -> str:
        parts: list[str] = []
        node: Node | None = fn
        while node is not None:
            node = self.unwrap(node)
            if node.type == "member_expression":
                prop = node.child_by_field_name("property")
                parts.append(self.text(prop) if prop is not None else "")
                node = node.child_by_field_name("object")
            elif node.type == "call_expression":
                inner = node.child_by_field_name("function")
                parts.append("()")
                node = inner
            elif node.type in ("identifier", "this"):
                parts.append(self.text(node))
                node = None
            else:
                node = None
        return ".".join(reversed(parts))


def _typescript(path: str, text: str) -> Facts:
    data = text.encode("utf-8", "surrogatepass")
    root = _ts_parse(path, data)
    v = _TsFacts(path, data)
    # Bindings first (a payload bound after use in document order still reaches the call of a
    # test body that runs later), then everything else.
    v.bindings(_binding_nodes(root))
    v.walk(root)
    return Facts(
        path,
        TYPESCRIPT,
        frozenset(v.idents),
        v.imports,
        tuple(v.calls),
        tuple(v.payloads),
        v.values,
        v.functions,
    )


_BINDING_NODES = frozenset(
    {"variable_declarator", "assignment_expression", "for_in_statement", "call_expression"}
)


def _binding_nodes(root: Node) -> list[Node]:
    """Every node that binds a name to data, in document order (a binding may spread an
    earlier one): declarators, assignments, `for … of` loops, iteration callbacks."""
    out: list[Node] = []
    stack: list[tuple[Node, int]] = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        if node.type in _BINDING_NODES:
            out.append(node)
        if depth < MAX_DEPTH:
            stack.extend((c, depth + 1) for c in reversed(node.named_children))
    return out


# --- Go (a scanner: no Go grammar is installed) ---------------------------------------------

_GO_LITERAL = re.compile(r"\b([A-Z][A-Za-z0-9_]*)\s*\{")
_GO_KEY = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*:\s*(nil\b)?", re.MULTILINE)
_GO_FUNC = re.compile(r"^func\s+(?:\([^)]*\)\s*)?([A-Za-z_]\w*)", re.MULTILINE)


def _go(path: str, text: str) -> Facts:
    """Composite literals `Name{Key: value, ...}` (one level of keys), their line and keys. The
    scanner skips string and rune literals and comments when matching braces."""
    calls: list[Call] = []
    payloads: list[Payload] = []
    for m in _GO_LITERAL.finditer(text):
        body = _go_braced(text, m.end())
        if body is None:
            continue
        keys: set[str] = set()
        nulls: set[str] = set()
        for k in _GO_KEY.finditer(_go_top_level(body)):
            keys.add(k.group(1))
            if k.group(2):
                nulls.add(k.group(1))
        line = text.count("\n", 0, m.start()) + 1
        p = Payload(line, frozenset(keys), frozenset(nulls))
        payloads.append(p)
        calls.append(Call(m.group(1), line, "", (p,), None, frozenset()))
    functions = {
        m.group(1): Function(m.group(1), text.count("\n", 0, m.start()) + 1, frozenset())
        for m in _GO_FUNC.finditer(text)
    }
    idents = frozenset(re.findall(r"[A-Za-z_]\w*", _go_code_only(text)))
    return Facts(path, GO, idents, {}, tuple(calls), tuple(payloads), {}, functions)


def _go_braced(text: str, start: int) -> str | None:
    """The text between the `{` before `start` and its matching `}` (None when unbalanced)."""
    depth = 1
    i = start
    n = len(text)
    while i < n:
        ch = text[i]
        if ch in "\"'`":
            end = text.find(ch, i + 1) if ch == "`" else _go_string_end(text, i + 1, ch)
            if end < 0:
                return None
            i = end + 1
            continue
        if text.startswith("//", i):
            nl = text.find("\n", i)
            i = n if nl < 0 else nl
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return text[start:i]
        i += 1
    return None


def _go_string_end(text: str, i: int, quote: str) -> int:
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == quote or text[i] == "\n":
            return i
        i += 1
    return -1


def _go_top_level(body: str) -> str:
    """The body with nested braces' content blanked: only the literal's own keys remain."""
    out: list[str] = []
    depth = 0
    for ch in body:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif depth == 0 or ch == "\n":
            out.append(ch if depth == 0 else "\n")
            continue
        if depth == 0 and ch == "}":
            out.append(" ")
    return "".join(out).replace(",", "\n")


def _go_code_only(text: str) -> str:
    """Go text without `//` comments and string literals (identifiers used as code)."""
    return re.sub(r'//[^\n]*|"(?:\\.|[^"\\\n])*"|`[^`]*`', " ", text)
