"""The columns a model declares, read from source, to tell whether a model changed in a way its
migrations must follow: Django models and SQLAlchemy declarative classes (syntax tree, never
imported) and Prisma schema blocks (a line grammar: one field per line)."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from guardrail.analysis import pyast
from guardrail.analysis.pyast import call_name, const

_FIELD_CALL = ("Field", "ForeignKey", "OneToOneField")


@dataclass(frozen=True)
class Column:
    name: str
    line: int
    definition: str  # normalized: equal definitions mean the same column


@dataclass(frozen=True)
class Model:
    name: str
    line: int
    columns: dict[str, Column]
    table: str | None = None  # SQLAlchemy __tablename__


def _meta(cls: ast.ClassDef) -> dict[str, object]:
    for stmt in cls.body:
        if isinstance(stmt, ast.ClassDef) and stmt.name == "Meta":
            out: dict[str, object] = {}
            for s in stmt.body:
                if isinstance(s, ast.Assign) and len(s.targets) == 1:
                    t = s.targets[0]
                    if isinstance(t, ast.Name):
                        out[t.id] = const(s.value)
            return out
    return {}


def _django_definition(call: ast.Call) -> str:
    """The field's arguments that reach the database, as migrations read them
    (python_ast.database_field: Django's schema editor's list, not a list of ORM-only ones, so
    a project field's own `sanitizer=` changes nothing). `default=` is left out too: Django
    applies it in Python, so a changed default alone needs no schema change."""
    from guardrail.analysis.migrations.python_ast import database_field

    trimmed = database_field(call)
    trimmed.keywords = [k for k in trimmed.keywords if k.arg != "default"]
    return ast.dump(trimmed, include_attributes=False)


def django_models(text: str) -> dict[str, Model] | None:
    """Concrete, managed models and their database fields; None when the file does not parse."""
    try:
        tree = pyast.parse(text)
    except (SyntaxError, ValueError):
        return None
    out: dict[str, Model] = {}
    # Abstract models of the file: a concrete subclass with no fields of its own is still a
    # model (netbox's DeviceBayTemplate(ComponentTemplateModel)), not a class that appears when
    # it gains its first field.
    abstract: set[str] = set()
    for cls in tree.body:
        if not isinstance(cls, ast.ClassDef):
            continue
        meta = _meta(cls)
        if meta.get("abstract") is True:
            abstract.add(cls.name)
            continue
        if meta.get("proxy") is True or meta.get("managed") is False:
            continue
        columns: dict[str, Column] = {}
        for stmt in cls.body:
            if (
                isinstance(stmt, ast.Assign)
                and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name)
                and isinstance(stmt.value, ast.Call)
                and call_name(stmt.value).endswith(_FIELD_CALL)
            ):
                name = stmt.targets[0].id
                columns[name] = Column(name, stmt.lineno, _django_definition(stmt.value))
        bases = [ast.unparse(b).rsplit(".", 1)[-1] for b in cls.bases]
        if columns or any(b == "Model" or b in out or b in abstract for b in bases):
            out[cls.name] = Model(cls.name, cls.lineno, columns)
    return out


def sqlalchemy_models(text: str) -> dict[str, Model] | None:
    """Declarative classes with a `__tablename__`, and their Column/mapped_column attributes."""
    try:
        tree = pyast.parse(text)
    except (SyntaxError, ValueError):
        return None
    out: dict[str, Model] = {}
    for cls in tree.body:
        if not isinstance(cls, ast.ClassDef):
            continue
        table: str | None = None
        columns: dict[str, Column] = {}
        for stmt in cls.body:
            target: str | None = None
            value: ast.expr | None = None
            annotation = ""
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
                t = stmt.targets[0]
                target = t.id if isinstance(t, ast.Name) else None
                value = stmt.value
            elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                target, value = stmt.target.id, stmt.value
                annotation = ast.dump(stmt.annotation, include_attributes=False)
            if target == "__tablename__":
                found = const(value) if value is not None else None
                table = found if isinstance(found, str) else None
                continue
            if target is None or target.startswith("_"):
                continue
            is_column = isinstance(value, ast.Call) and call_name(value) in (
                "Column",
                "mapped_column",
            )
            if is_column or annotation.startswith("Subscript(value=Name(id='Mapped'"):
                if "relationship" in (call_name(value) if isinstance(value, ast.Call) else ""):
                    continue
                dumped = ast.dump(value, include_attributes=False) if value is not None else ""
                columns[target] = Column(target, stmt.lineno, annotation + dumped)
        if table is not None:
            out[cls.name] = Model(cls.name, cls.lineno, columns, table)
    return out


_PRISMA_BLOCK = re.compile(r"^\s*(model|enum|view|type)\s+(\w+)\s*\{")
_PRISMA_COMMENT = re.compile(r"(^|\s)//.*$")


def prisma_models(text: str) -> dict[str, Model]:
    """`model`, `enum`, `view` and `type` blocks; a field is its line, comments and spacing
    left out. `@@` block attributes count as columns named by the attribute."""
    out: dict[str, Model] = {}
    current: Model | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = " ".join(_PRISMA_COMMENT.sub("", raw).split())
        if current is None:
            m = _PRISMA_BLOCK.match(raw)
            if m:
                current = Model(f"{m.group(1)} {m.group(2)}", number, {})
                out[current.name] = current
            continue
        if line.startswith("}"):
            current = None
            continue
        if not line:
            continue
        key = line.split()[0]
        if key.startswith("@@"):
            key = line  # each block attribute is its own entry
        current.columns[key] = Column(key, number, line)
    return out


@dataclass(frozen=True)
class ModelChange:
    model: str
    line: int  # in the head file (the base file for a removed model)
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    altered: tuple[str, ...] = ()
    created: bool = False  # the whole model is new
    deleted: bool = False  # the whole model is gone
    table: str | None = None

    def fields(self) -> tuple[str, ...]:
        return self.added + self.removed + self.altered


def changes(base: dict[str, Model], head: dict[str, Model]) -> list[ModelChange]:
    out: list[ModelChange] = []
    for name, model in head.items():
        old = base.get(name)
        if old is None:
            out.append(ModelChange(name, model.line, created=True, table=model.table))
            continue
        added = tuple(c for c in model.columns if c not in old.columns)
        removed = tuple(c for c in old.columns if c not in model.columns)
        altered = tuple(
            c
            for c, col in model.columns.items()
            if c in old.columns and old.columns[c].definition != col.definition
        )
        if added or removed or altered:
            first = [model.columns[c].line for c in (*added, *altered)] or [model.line]
            out.append(ModelChange(name, min(first), added, removed, altered, table=model.table))
    for name, model in base.items():
        if name not in head:
            out.append(ModelChange(name, model.line, deleted=True, table=model.table))
    return out
