"""A project's own Django field class, traced to the Django field class it derives from, so an
AlterField that uses it can be judged by that class's column type.

The migration says where the class comes from (`shop.fields.MoneyField`, through its imports);
the module is looked for in the checkout (`shop/fields.py` or `shop/fields/__init__.py`, at the
root or under a folder above the migration, as netbox keeps its code in `netbox/`). Its class
statement is read with `ast`: a single base that is Django's own field class
(`models.DecimalField`, through the module's imports), or a project class traced the same way,
at most MAX_DEPTH classes deep. A class that changes what Django makes of it
(`db_type`, `rel_db_type`, `get_internal_type`, `db_parameters`, `__init__`, which may set
sizes or NULL), more than one base, or a module not found: not traced (None), and the caller
says so (GR290) instead of guessing.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from guardrail.analysis import pyast
from guardrail.analysis.migrations.django import django_field_class, imported_names

MAX_DEPTH = 4
_CHANGES_TYPE = frozenset(
    {"db_type", "rel_db_type", "get_internal_type", "db_parameters", "cast_db_type", "__init__"}
)


def _candidates(module: str, near: str) -> list[str]:
    rel = module.replace(".", "/")
    folders = [""]
    parts = near.split("/")[:-1]
    folders += ["/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]
    return [f"{f}{rel}{tail}" for f in folders for tail in (".py", "/__init__.py")]


def trace(origin: str, near: str, read: Callable[[str], str | None]) -> str | None:
    """The Django field class `origin` (a dotted class name) derives from, or None."""
    seen: set[str] = set()
    for _ in range(MAX_DEPTH):
        if origin in seen:
            return None
        seen.add(origin)
        module, _, name = origin.rpartition(".")
        if module.startswith("django."):
            return name if django_field_class(name) else None
        if not module:
            return None
        found = _class(module, name, near, read)
        if found is None:
            return None
        cls, imports = found
        if len(cls.bases) != 1 or any(
            isinstance(s, ast.FunctionDef) and s.name in _CHANGES_TYPE for s in cls.body
        ):
            return None
        origin = _dotted(cls.bases[0], imports, module)
        if not origin:
            return None
    return None


def _dotted(node: ast.expr, imports: dict[str, str], module: str) -> str:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return ""
    head = imports.get(node.id, f"{module}.{node.id}")  # else a class of the same module
    return ".".join([head, *reversed(parts)])


def _class(
    module: str, name: str, near: str, read: Callable[[str], str | None]
) -> tuple[ast.ClassDef, dict[str, str]] | None:
    for path in _candidates(module, near):
        text = read(path)
        if text is None:
            continue
        try:
            tree = pyast.parse(text)
        except (SyntaxError, ValueError):
            return None
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and node.name == name:
                return node, imported_names(tree)
        return None
    return None
