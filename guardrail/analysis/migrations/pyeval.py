"""Literal values in Python migrations, worked out from the syntax tree — never by running code.

Migrations name things through module constants (`MODEL = "order"`), loop over literal tuples,
build SQL in f-strings and in small helper functions of the same file. `Scope` knows the
module's constants and functions; `value()` works out an expression when everything it uses is
a literal, and answers `UNKNOWN` otherwise, so a reader can say what it could not read instead
of guessing.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

UNKNOWN: object = object()  # what `value()` answers when an expression is not a literal

MAX_DEPTH = 4  # helper functions calling helper functions
MAX_ITEMS = 200  # elements of a loop or comprehension worked out one by one
_PASS_THROUGH = frozenset({"text", "dedent", "literal_column", "str", "strip"})


@dataclass
class Scope:
    """Module-level constants and functions, and the local names of the code being read."""

    constants: dict[str, object] = field(default_factory=dict)
    functions: dict[str, ast.FunctionDef] = field(default_factory=dict)
    local: dict[str, object] = field(default_factory=dict)
    depth: int = 0
    # Module constants written as one string literal: where that literal is (for line numbers).
    literals: dict[str, ast.Constant] = field(default_factory=dict)

    @classmethod
    def of_module(cls, tree: ast.Module) -> Scope:
        scope = cls()
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                scope.functions[node.name] = node
        for node in tree.body:
            if isinstance(node, ast.Assign):
                targets, value = list(node.targets), node.value
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                targets, value = [node.target], node.value
            else:
                continue
            got = scope.value(value)
            for target in targets:
                if isinstance(target, ast.Name) and got is not UNKNOWN:
                    scope.constants[target.id] = got
                    if isinstance(value, ast.Constant):
                        scope.literals[target.id] = value
        return scope

    def child(self, names: Mapping[str, object]) -> Scope:
        """The scope of a loop body or a helper's body: more local names, one level deeper."""
        return Scope(
            self.constants,
            self.functions,
            {**self.local, **names},
            self.depth + 1,
            self.literals,
        )

    def located(self, node: ast.expr | None, fallback: ast.expr) -> ast.expr:
        """Where the text of `node` is written: the literal itself, the literal a module
        constant names, or else `fallback` (the call)."""
        if isinstance(node, (ast.Constant, ast.List, ast.Tuple)):
            return node
        if isinstance(node, ast.Name) and node.id not in self.local and node.id in self.literals:
            return self.literals[node.id]
        return fallback

    # -- values -----------------------------------------------------------------------------------

    def value(self, node: ast.AST | None) -> object:
        if node is None:
            return UNKNOWN
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            if node.id in self.local:
                return self.local[node.id]
            return self.constants.get(node.id, UNKNOWN)
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            return self._sequence(node)
        if isinstance(node, ast.Dict):
            return self._mapping(node)
        if isinstance(node, ast.JoinedStr):
            return self._fstring(node)
        if isinstance(node, ast.BinOp):
            return self._binop(node)
        if isinstance(node, ast.Subscript):
            return self._subscript(node)
        if isinstance(node, ast.Call):
            return self._call(node)
        return UNKNOWN

    def _sequence(self, node: ast.Tuple | ast.List | ast.Set) -> object:
        """A tuple, list or set of literals (starred literal sequences spliced in), as a tuple."""
        items: list[object] = []
        for elt in node.elts:
            if isinstance(elt, ast.Starred):
                inner = self.value(elt.value)
                if not isinstance(inner, (tuple, list)):
                    return UNKNOWN
                items.extend(inner)
                continue
            got = self.value(elt)
            if got is UNKNOWN:
                return UNKNOWN
            items.append(got)
        return tuple(items)

    def _mapping(self, node: ast.Dict) -> object:
        out: dict[object, object] = {}
        for k, v in zip(node.keys, node.values, strict=True):
            key, val = self.value(k), self.value(v)
            if key is UNKNOWN or val is UNKNOWN:
                return UNKNOWN
            out[key] = val
        return out

    def _subscript(self, node: ast.Subscript) -> object:
        base, index = self.value(node.value), self.value(node.slice)
        try:
            return base[index]  # type: ignore[index]  # a literal container or a TypeError
        except Exception:
            return UNKNOWN

    def string(self, node: ast.AST | None) -> str | None:
        got = self.value(node)
        return got if isinstance(got, str) else None

    def _fstring(self, node: ast.JoinedStr) -> object:
        parts: list[str] = []
        for piece in node.values:
            if isinstance(piece, ast.Constant) and isinstance(piece.value, str):
                parts.append(piece.value)
            elif isinstance(piece, ast.FormattedValue):
                got = self.value(piece.value)
                if got is UNKNOWN or isinstance(got, (dict, tuple, list)):
                    return UNKNOWN
                parts.append(str(got))
            else:
                return UNKNOWN
        return "".join(parts)

    def _binop(self, node: ast.BinOp) -> object:
        left, right = self.value(node.left), self.value(node.right)
        if left is UNKNOWN or right is UNKNOWN:
            return UNKNOWN
        if isinstance(node.op, ast.Add):
            if isinstance(left, str) and isinstance(right, str):
                return left + right
            if isinstance(left, tuple) and isinstance(right, tuple):
                return left + right
        if isinstance(node.op, ast.Mod) and isinstance(left, str):
            try:
                return left % right
            except Exception:
                return UNKNOWN
        return UNKNOWN

    def _call(self, node: ast.Call) -> object:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if isinstance(func, ast.Attribute) and name in ("format", "strip", "lower", "upper"):
            base = self.value(func.value)
            if not isinstance(base, str):
                return UNKNOWN
            if name != "format":
                return getattr(base, name)()
            args = [self.value(a) for a in node.args]
            kwargs = {k.arg: self.value(k.value) for k in node.keywords if k.arg}
            if any(a is UNKNOWN for a in [*args, *kwargs.values()]):
                return UNKNOWN
            try:
                return base.format(*args, **kwargs)
            except Exception:
                return UNKNOWN
        if isinstance(func, ast.Attribute) and name in ("bindparams", "execution_options"):
            return self.value(func.value)  # sa.text("…").bindparams(…): the text
        if isinstance(func, ast.Attribute) and name == "join":
            sep, items = self.value(func.value), self.value(node.args[0] if node.args else None)
            if (
                isinstance(sep, str)
                and isinstance(items, tuple)
                and all(isinstance(i, str) for i in items)
            ):
                return sep.join(items)
            return UNKNOWN
        if name in _PASS_THROUGH and len(node.args) == 1:
            return self.value(node.args[0])
        if isinstance(func, ast.Name) and name in self.functions:
            return self.returned(self.functions[name], node)
        return UNKNOWN

    # -- helper functions -----------------------------------------------------------------------

    def bind(self, fn: ast.FunctionDef, call: ast.Call) -> Scope | None:
        """The scope of `fn`'s body for this call, with its parameters bound (literals or
        UNKNOWN), or None when it is too deep."""
        if self.depth >= MAX_DEPTH:
            return None
        params = [a.arg for a in [*fn.args.posonlyargs, *fn.args.args]]
        names: dict[str, object] = {}
        defaults = fn.args.defaults
        for i, default in enumerate(defaults):
            names[params[len(params) - len(defaults) + i]] = self.value(default)
        for kwarg, kw_default in zip(fn.args.kwonlyargs, fn.args.kw_defaults, strict=True):
            names[kwarg.arg] = self.value(kw_default) if kw_default is not None else UNKNOWN
        for i, arg in enumerate(call.args):
            if i < len(params) and not isinstance(arg, ast.Starred):
                names[params[i]] = self.value(arg)
        for kw in call.keywords:
            if kw.arg:
                names[kw.arg] = self.value(kw.value)
        for p in params:
            names.setdefault(p, UNKNOWN)
        return self.child(names)

    def returned(self, fn: ast.FunctionDef, call: ast.Call) -> object:
        """What a helper returns, when its body is assignments of literals and one return."""
        inner = self.bind(fn, call)
        if inner is None:
            return UNKNOWN
        for stmt in fn.body:
            if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
                continue  # docstring
            if isinstance(stmt, ast.Assign):
                inner.assign(stmt)
                continue
            if isinstance(stmt, ast.Return):
                return inner.value(stmt.value)
            return UNKNOWN
        return UNKNOWN

    def assign(self, stmt: ast.Assign | ast.AnnAssign) -> None:
        """Remember a local name's literal value (or forget it when it is not one)."""
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        got = self.value(stmt.value)
        for target in targets:
            if isinstance(target, ast.Name):
                self.local[target.id] = got

    def iterate(self, target: ast.expr, iterable: ast.expr) -> Iterator[Scope] | None:
        """One scope per element of a loop over a literal sequence; None when it is not one."""
        items = self.value(iterable)
        if isinstance(items, dict):
            items = tuple(items)
        if not isinstance(items, tuple) or len(items) > MAX_ITEMS:
            return None
        return (self.child(_unpack(target, item)) for item in items)


def _unpack(target: ast.expr, item: object) -> dict[str, object]:
    if isinstance(target, ast.Name):
        return {target.id: item}
    if isinstance(target, (ast.Tuple, ast.List)):
        if isinstance(item, (tuple, list)) and len(item) == len(target.elts):
            out: dict[str, object] = {}
            for t, v in zip(target.elts, item, strict=True):
                out.update(_unpack(t, v))
            return out
        return {n.id: UNKNOWN for n in ast.walk(target) if isinstance(n, ast.Name)}
    return {}
