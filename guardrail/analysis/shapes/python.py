"""Python data shapes from the syntax tree (never imported): pydantic v1/v2, dataclasses, attrs,
TypedDict, Enum, SQLAlchemy and Django models."""

from __future__ import annotations

import ast
import sys
from collections.abc import Callable
from dataclasses import replace

from guardrail.analysis import pyast
from guardrail.analysis.pyast import call_name as _call_name
from guardrail.analysis.pyast import const as _const
from guardrail.analysis.pyast import kwarg as _kw
from guardrail.analysis.shapes.model import Field, Shape, ShapeKind, ShapeReadError

# Keyword constraints of pydantic `Field`/`constr`/`conint`/`StringConstraints`, Django and
# marshmallow-style fields, by their JSON Schema names (how tightenings name them).
_LIMIT_KEYWORDS = {
    "max_length": "maxLength",
    "min_length": "minLength",
    "ge": "minimum",
    "le": "maximum",
    "gt": "exclusiveMinimum",
    "lt": "exclusiveMaximum",
    "max_items": "maxItems",
    "min_items": "minItems",
    "max_digits": "maxDigits",
    "decimal_places": "maxDecimalPlaces",
}
_SQL_SIZED = ("String", "VARCHAR", "Unicode", "CHAR", "NVARCHAR")


def _limits(stmt: ast.stmt) -> tuple[tuple[str, float], ...]:
    """Declared constraints of a field: `Field(max_length=8)`, `Annotated[str, Field(...)]`,
    `constr(max_length=8)`, `models.CharField(max_length=8)`, `Column(String(8))`."""
    nodes: list[ast.AST] = []
    if isinstance(stmt, ast.AnnAssign):
        nodes += [stmt.annotation, stmt.value] if stmt.value is not None else [stmt.annotation]
    elif isinstance(stmt, ast.Assign):
        nodes.append(stmt.value)
    out: dict[str, float] = {}
    for node in nodes:
        for call in (n for n in ast.walk(node) if isinstance(n, ast.Call)):
            for kw in call.keywords:
                value = _const(kw.value)
                if (
                    kw.arg in _LIMIT_KEYWORDS
                    and isinstance(value, (int, float))
                    and not isinstance(value, bool)
                ):
                    out.setdefault(_LIMIT_KEYWORDS[kw.arg], float(value))
            first = _const(call.args[0]) if call.args else None
            if _call_name(call) in _SQL_SIZED and isinstance(first, int):
                out.setdefault("maxLength", float(first))
            default = _DJANGO_DEFAULT_MAX_LENGTH.get(_call_name(call))
            if default is not None and "maxLength" not in out:
                # `models.SlugField()` holds at most 50 characters without saying so: an
                # explicit `max_length=100` later is a longer limit, not a new one.
                out["maxLength"] = default
    return tuple(sorted(out.items()))


# Django fields whose max_length has a default (Django's own: SlugField 50, EmailField 254, …).
_DJANGO_DEFAULT_MAX_LENGTH = {
    "SlugField": 50.0,
    "EmailField": 254.0,
    "URLField": 200.0,
    "FilePathField": 100.0,
    "FileField": 100.0,
    "ImageField": 100.0,
}


def _ann_text(node: ast.AST | None) -> str:
    return ast.unparse(node) if node is not None else ""


def _nullable(ann: str) -> bool:
    a = ann.replace(" ", "")
    return (
        "Optional[" in a or "None" in a.split("[")[-1] or "|None" in a or "None|" in a or a == "Any"
    )


def _literal_values(node: ast.AST | None) -> frozenset[str] | None:
    if isinstance(node, ast.Subscript):
        base = ast.unparse(node.value)
        if base.endswith("Literal"):
            elts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            return frozenset(str(e.value) for e in elts if isinstance(e, ast.Constant))
        for child in ast.iter_child_nodes(node):
            found = _literal_values(child)
            if found is not None:
                return found
    if isinstance(node, ast.BinOp):
        left, right = _literal_values(node.left), _literal_values(node.right)
        return left or right
    return None


def _bases(cls: ast.ClassDef) -> list[str]:
    return [ast.unparse(b).split("[")[0].rsplit(".", 1)[-1] for b in cls.bases]


def _decorators(cls: ast.ClassDef) -> list[str]:
    out = []
    for d in cls.decorator_list:
        target = d.func if isinstance(d, ast.Call) else d
        out.append(ast.unparse(target).rsplit(".", 1)[-1])
    return out


def _class_kind(cls: ast.ClassDef, known: dict[str, str]) -> str | None:
    bases = _bases(cls)
    decos = _decorators(cls)
    if "dataclass" in decos:
        return "dataclass"
    if any(d in ("define", "frozen", "mutable", "s", "attrs") for d in decos):
        return "attrs"
    for b in bases:
        if (
            b in ("BaseModel", "SQLModel", "RootModel", "BaseSettings", "Schema")
            or known.get(b) == "pydantic"
        ):
            return "pydantic"
        if b == "TypedDict" or known.get(b) == "typeddict":
            return "typeddict"
        if b in ("Enum", "IntEnum", "StrEnum", "Flag", "IntFlag") or known.get(b) == "enum":
            return "enum"
        if b == "Model" or known.get(b) == "django":
            return "django"
        if (
            b in ("Base", "DeclarativeBase", "DeclarativeBaseNoMeta")
            or known.get(b) == "sqlalchemy"
        ):
            return "sqlalchemy"
    return None


def _python_field(kind: str, stmt: ast.stmt, total: bool) -> Field | None:  # noqa: C901, PLR0912 — one branch per field declaration style
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
        name = stmt.target.id
        if name.startswith("_") or name in ("model_config", "Config", "Meta"):
            return None
        ann = _ann_text(stmt.annotation)
        if ann.startswith("ClassVar"):
            return None
        value = stmt.value
        values = _literal_values(stmt.annotation)
        alias: str | None = None
        has_default = value is not None
        if isinstance(value, ast.Call) and _call_name(value) in (
            "Field",
            "field",
            "ib",
            "attrib",
            "mapped_column",
            "Column",
        ):
            fname = _call_name(value)
            alias_node = _kw(value, "alias") or _kw(value, "validation_alias")
            alias_value = _const(alias_node)
            alias = alias_value if isinstance(alias_value, str) else None
            if fname in ("mapped_column", "Column"):
                nullable_kw = _const(_kw(value, "nullable"))
                nullable = _nullable(ann) if nullable_kw is None else bool(nullable_kw)
                dflt = _kw(value, "default") is not None or _kw(value, "server_default") is not None
                return Field(
                    name, stmt.lineno, not nullable and not dflt, nullable, dflt, ann, values, alias
                )
            positional_default = bool(value.args) and not (
                isinstance(value.args[0], ast.Constant) and value.args[0].value is Ellipsis
            )
            has_default = (
                positional_default
                or _kw(value, "default") is not None
                or _kw(value, "default_factory") is not None
                or _kw(value, "factory") is not None
            )
            if (
                isinstance(_kw(value, "default"), ast.Constant)
                and _const(_kw(value, "default")) is Ellipsis
            ):
                has_default = False
        nullable = _nullable(ann)
        if kind == "typeddict":
            required = total
            if ann.startswith(
                ("NotRequired[", "typing.NotRequired[", "typing_extensions.NotRequired[")
            ):
                required = False
            if ann.startswith(("Required[", "typing.Required[")):
                required = True
            return Field(name, stmt.lineno, required, nullable, False, ann, values)
        if kind == "sqlalchemy":
            # `x: Mapped[str]` is NOT NULL; `Mapped[Optional[str]]` is nullable.
            return Field(
                name,
                stmt.lineno,
                not nullable and not has_default,
                nullable,
                has_default,
                ann,
                values,
            )
        return Field(name, stmt.lineno, not has_default, nullable, has_default, ann, values, alias)
    if (
        isinstance(stmt, ast.Assign)
        and len(stmt.targets) == 1
        and isinstance(stmt.targets[0], ast.Name)
    ):
        name = stmt.targets[0].id
        if name.startswith("_") or name in ("objects", "Meta", "model_config"):
            return None
        value = stmt.value
        fname = _call_name(value)
        if (
            kind == "django"
            and isinstance(value, ast.Call)
            and fname.endswith(("Field", "ForeignKey", "OneToOneField"))
        ):
            if fname in ("ManyToManyField",):
                return None
            nullable = _const(_kw(value, "null")) is True
            dflt = _kw(value, "default") is not None or _kw(value, "db_default") is not None
            return Field(name, stmt.lineno, not nullable and not dflt, nullable, dflt, fname)
        if (
            kind == "sqlalchemy"
            and isinstance(value, ast.Call)
            and fname in ("Column", "mapped_column")
        ):
            nullable_kw = _const(_kw(value, "nullable"))
            pk = _const(_kw(value, "primary_key")) is True
            nullable = (not pk) if nullable_kw is None else bool(nullable_kw)
            dflt = (
                _kw(value, "default") is not None or _kw(value, "server_default") is not None or pk
            )
            ctype = ast.unparse(value.args[0]) if value.args else ""
            return Field(name, stmt.lineno, not nullable and not dflt, nullable, dflt, ctype)
        if kind == "attrs" and fname in ("ib", "attrib", "field"):
            dflt = _kw(value, "default") is not None or _kw(value, "factory") is not None  # type: ignore[arg-type]
            return Field(name, stmt.lineno, not dflt, False, dflt, "")
    return None


# Reads another file of the repository at the same commit, or None.
Load = Callable[[str], str | None]
_MAX_IMPORT_DEPTH = 3


def read(path: str, source: str) -> list[Shape]:
    return read_resolving(path, source, None)


def _module_candidates(path: str, module: str, level: int) -> list[str]:
    """Where `from <module> import X` (with `level` leading dots) may live in the repository."""
    dirs = path.split("/")[:-1]
    if level:
        parts = dirs[: len(dirs) - (level - 1)] + (module.split(".") if module else [])
        roots = [""]
    else:
        parts = module.split(".")
        # The repository root, a src/ layout, and the service folder of a monorepo.
        roots = list(dict.fromkeys(["", "src/", f"{dirs[0]}/" if dirs else ""]))
    stem = "/".join(p for p in parts if p)
    return [f"{root}{stem}{end}" for root in roots for end in (".py", "/__init__.py")]


# Top-level packages that are libraries, not modules of the repository: `from pydantic import
# BaseModel` is never looked up in the repository (each look-up is a read, through the API in the
# action). The standard library's names come from Python itself.
_LIBRARIES = frozenset(
    {
        "pydantic",
        "pydantic_settings",
        "django",
        "rest_framework",
        "sqlalchemy",
        "sqlmodel",
        "attr",
        "attrs",
        "marshmallow",
        "msgspec",
        "typing_extensions",
        "mongoengine",
        "peewee",
        "tortoise",
        "ormar",
        "beanie",
        "odmantic",
    }
)


def _is_library(node: ast.ImportFrom) -> bool:
    if node.level or not node.module:
        return False
    top = node.module.split(".", 1)[0]
    return top in _LIBRARIES or top in sys.stdlib_module_names


def _imported_bases(
    tree: ast.Module, path: str, wanted: set[str], load: Load, depth: int
) -> dict[str, Shape]:
    """Shapes of the classes this module imports by name from other modules of the repository,
    keyed by the name they have here."""
    out: dict[str, Shape] = {}
    for node in tree.body:
        if not isinstance(node, ast.ImportFrom):
            continue
        names = {(a.asname or a.name): a.name for a in node.names if (a.asname or a.name) in wanted}
        if not names or _is_library(node):
            continue
        for candidate in _module_candidates(path, node.module or "", node.level):
            text = load(candidate)
            if text is None:
                continue
            found = {s.name: s for s in read_resolving(candidate, text, load, depth + 1)}
            for local, remote in names.items():
                if remote in found:
                    out[local] = found[remote]
            break
    return out


def read_resolving(
    path: str, source: str, load: Load | None, depth: int = 0, *, whole: bool = False
) -> list[Shape]:
    """The file's shapes, with base classes imported from other modules of the repository
    resolved through `load` (pydantic, dataclass, attrs, SQLAlchemy, Django): inherited fields,
    overrides and defaults, a few imports deep. `whole`: the source is the file itself (from
    git or the API), so one that does not parse is reported (GR901); a patch's side, a few
    lines of it, may not parse and then has no shape."""
    try:
        tree = pyast.parse(source)
    except (SyntaxError, ValueError) as exc:
        if whole:
            line = getattr(exc, "lineno", None) or 1
            msg = getattr(exc, "msg", None) or str(exc)
            raise ShapeReadError(f"Python that does not parse ({msg})", line) from exc
        return []
    classes = [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]
    local = {c.name for c in classes}
    imported: dict[str, Shape] = {}
    if load is not None and depth < _MAX_IMPORT_DEPTH:
        wanted = {b for c in classes for b in _bases(c)} - local
        imported = _imported_bases(tree, path, wanted, load, depth)
    known: dict[str, str] = {name: str(s.kind) for name, s in imported.items()}
    shapes: dict[str, Shape] = dict(imported)
    out: list[Shape] = []
    for cls in classes:
        shape = _class_shape(cls, known, shapes)
        if shape is not None:
            shapes[cls.name] = shape
            out.append(shape)
    return out


def _class_shape(
    cls: ast.ClassDef, known: dict[str, str], shapes: dict[str, Shape]
) -> Shape | None:
    kind = _class_kind(cls, known)
    if kind is None:
        return None
    known[cls.name] = kind
    if kind == "enum":
        members = frozenset(
            t.id
            for stmt in cls.body
            if isinstance(stmt, ast.Assign)
            for t in stmt.targets
            if isinstance(t, ast.Name) and not t.id.startswith("_")
        )
        return Shape(cls.name, ShapeKind.ENUM, cls.lineno, members=members)
    total = not any(kw.arg == "total" and _const(kw.value) is False for kw in cls.keywords)
    fields: dict[str, Field] = {}
    closed = False
    for base in reversed(_bases(cls)):
        inherited = shapes.get(base)
        if inherited is not None:
            # Inherited fields, at this class's line: the base may live in another file.
            fields.update({n: replace(f, line=cls.lineno) for n, f in inherited.fields.items()})
            closed = closed or inherited.closed
    for stmt in cls.body:
        f = _python_field(kind, stmt, total)
        if f is not None:
            limits = _limits(stmt)
            fields[f.name] = replace(f, limits=limits) if limits else f
        if (
            isinstance(stmt, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "model_config" for t in stmt.targets)
            and "forbid" in ast.unparse(stmt.value)
        ):
            closed = True
        if (
            isinstance(stmt, ast.ClassDef)
            and stmt.name == "Config"
            and "forbid" in ast.unparse(stmt)
        ):
            closed = True
    if kind in ("sqlalchemy", "django") and not fields:
        return None
    return Shape(cls.name, ShapeKind(kind), cls.lineno, fields, closed=closed)
