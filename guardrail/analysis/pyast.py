"""Small readers of Python syntax trees, shared by the migration and data-shape readers; and
the one parse of each Python file per run that they all share."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

# A syntax tree takes about 50 times its source in memory: the trees kept for a run are
# bounded by their sources' size (about 50 MB of trees). A file past the bound is parsed
# again when a second reader asks; one larger than PER_FILE is never kept.
BUDGET = 1_000_000
PER_FILE = 100_000


class _Trees:
    __slots__ = ("kept", "trees")

    def __init__(self) -> None:
        self.trees: dict[str, ast.Module] = {}
        self.kept = 0


_RUN: ContextVar[_Trees | None] = ContextVar("python_trees", default=None)


@contextmanager
def one_parse_per_run() -> Iterator[None]:
    """Within this block, `parse` parses each source text once: the migration reader, the
    history reader, the model-field reader and the data-shape reader of one file share it."""
    token = _RUN.set(_Trees())
    try:
        yield
    finally:
        _RUN.reset(token)


def parse(source: str) -> ast.Module:
    """`ast.parse(source)`, once per distinct source within `one_parse_per_run`. The trees are
    shared: readers must not change them (copy first, as `python_ast.definition` does)."""
    run = _RUN.get()
    if run is None:
        return ast.parse(source)
    tree = run.trees.get(source)
    if tree is None:
        tree = ast.parse(source)
        if len(source) <= PER_FILE and run.kept + len(source) <= BUDGET:
            run.trees[source] = tree
            run.kept += len(source)
    return tree


def const(node: ast.AST | None) -> object:
    """The value of a literal, or None."""
    return node.value if isinstance(node, ast.Constant) else None


def string(node: ast.AST | None) -> str | None:
    value = const(node)
    return value if isinstance(value, str) else None


def kwarg(call: ast.Call, name: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    return None


def arg(call: ast.Call, index: int, name: str) -> ast.expr | None:
    """A call's argument by position, or else by keyword."""
    if len(call.args) > index:
        return call.args[index]
    return kwarg(call, name)


def call_name(node: ast.AST | None) -> str:
    """`models.CharField(...)` -> "CharField"; `Field(...)` -> "Field"; anything else -> ""."""
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Attribute):
            return func.attr
        if isinstance(func, ast.Name):
            return func.id
    return ""
