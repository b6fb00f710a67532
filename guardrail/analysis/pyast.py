"""Small readers of Python syntax trees, shared by the migration and data-shape readers."""

from __future__ import annotations

import ast


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
