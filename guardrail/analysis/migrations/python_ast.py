"""What the Django and Alembic readers share: the statement recorder, the normalized definition
of a call (compare.py), and SQL read out of Python strings. The readers themselves are
django.py and alembic.py; Python is read from its syntax tree, never imported or run.
"""

from __future__ import annotations

import ast
import copy
import functools
import re
from dataclasses import dataclass, field
from typing import TypeVar, Unpack, cast

from guardrail.analysis.migrations.ops import Facts, Op, OpKind
from guardrail.analysis.migrations.pyeval import UNKNOWN, Scope
from guardrail.analysis.migrations.sql import comments_above, parse_ignores, read_sql


@functools.lru_cache(maxsize=4)
def _source_lines(source: str) -> list[str]:
    """The source's lines as `ast` counts them (\\r\\n, \\n or \\r; not form feeds), once
    per source: `ast.get_source_segment` splits the whole file on every call, which made
    reading a migration of n operations take n² time (2k → 8k Django operations: 25 s → 413 s)."""
    return _LINE.findall(source)  # one regular-expression pass (a character loop was a tenth
    # of reading a migration)


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def segment(source: str, node: ast.AST) -> str:
    """`ast.get_source_segment(source, node)`, in time proportional to the segment."""
    try:
        first, last = node.lineno - 1, node.end_lineno - 1  # type: ignore[attr-defined]
        start, end = node.col_offset, node.end_col_offset  # type: ignore[attr-defined]
    except AttributeError:
        return ""
    if first is None or last is None or start is None or end is None:
        return ""
    lines = _source_lines(source)
    if not (0 <= first <= last < len(lines)):
        return ""
    if first == last:
        return str(lines[first].encode()[start:end].decode(errors="replace"))
    head = lines[first].encode()[start:].decode(errors="replace")
    tail = lines[last].encode()[:end].decode(errors="replace")
    return str(head + "".join(lines[first + 1 : last]) + tail)


def short(node: ast.AST, source: str) -> str:
    seg = segment(source, node)
    one = " ".join(seg.split())
    return one if len(one) <= 90 else one[:89] + "…"


# Arguments that never reach the database: Django keeps them in Python (the ORM, forms, admin).
# An edit to them in a shipped migration changes nothing the database sees.
_ORM_ONLY = frozenset(
    {
        "related_name",
        "related_query_name",
        "verbose_name",
        "verbose_name_plural",
        "help_text",
        "choices",
        "validators",
        "editable",
        "blank",
        "error_messages",
        "limit_choices_to",
        "upload_to",
        "storage",
        "on_delete",
        "serialize",
        "unique_for_date",
        "unique_for_month",
        "unique_for_year",
        "ordering",
        "permissions",
        "default_permissions",
        "get_latest_by",
        "default_related_name",
        "base_manager_name",
        "default_manager_name",
        "bases",
        "managers",
        "elidable",
        "hints",
        # JSONField's (de)serialisers: Python code, the column stays `jsonb`.
        "encoder",
        "decoder",
    }
)


# What a Django field passes to the database. Django's schema editor decides whether an
# AlterField needs SQL in `BaseDatabaseSchemaEditor._field_should_be_altered`
# (django/db/backends/base/schema.py): it compares the two fields' `deconstruct()` keyword
# arguments minus `Field.non_db_attrs` (blank, choices, db_column when the column keeps its name,
# editable, error_messages, help_text, limit_choices_to, on_delete, related_name,
# related_query_name, validators, verbose_name). That is a list of what does NOT matter, so any
# argument of a project's own field class (saleor's `SanitizedJSONField(sanitizer=…)`) still
# sends Django into `_alter_field`, which then emits SQL only for what it compares: the column
# type (`db_parameters()`: max_length, max_digits/decimal_places, an array's base_field and
# size, a GIS field's srid/geography/dim, a generated field's expression), the column name
# (db_column), NULL, db_default (and `default=`, which fills existing rows when a column is
# added or made NOT NULL), unique, db_index, primary_key, the foreign key's target and
# db_constraint, db_collation, db_comment, db_tablespace. guardrail keeps that list instead:
# an argument outside it changes nothing in the database.
_DB_FIELD_ARGS = frozenset(
    {
        "null",
        "default",
        "db_default",
        "max_length",
        "max_digits",
        "decimal_places",
        "unique",
        "db_index",
        "db_column",
        "db_collation",
        "db_comment",
        "db_tablespace",
        "primary_key",
        "to",
        "to_field",
        "db_constraint",
        "through",  # ManyToManyField: which table joins
        "db_table",  # ManyToManyField: the join table's name
        "base_field",  # ArrayField
        "size",  # ArrayField: part of the type (`varchar(20)[3]`)
        "srid",  # django.contrib.gis
        "geography",
        "dim",
        "spatial_index",
        "expression",  # GeneratedField (Django 5.0)
        "output_field",
        "db_persist",
        "dimensions",  # pgvector's VectorField: `vector(n)`
    }
)
# Arguments Django's own field classes take that stay in Python (Field.__init__ and the
# subclasses' own: file storage, auto timestamps, JSON (de)serialisers, IP parsing, paths).
_PYTHON_FIELD_ARGS = frozenset(
    {
        "verbose_name",
        "name",
        "blank",
        "choices",
        "editable",
        "error_messages",
        "help_text",
        "limit_choices_to",
        "related_name",
        "related_query_name",
        "validators",
        "serialize",
        "unique_for_date",
        "unique_for_month",
        "unique_for_year",
        "auto_created",
        "auto_now",
        "auto_now_add",
        "upload_to",
        "storage",
        "width_field",
        "height_field",
        "encoder",
        "decoder",
        "protocol",
        "unpack_ipv4",
        "path",
        "match",
        "recursive",
        "allow_files",
        "allow_folders",
        "allow_unicode",
        "symmetrical",
        "through_fields",
        "parent_link",
        "swappable",
        "form_class",
    }
)
# The names under which migrations (makemigrations writes `from django.db import models`) call
# Django's own field classes; a bare name is Django's only when it is one of Django's classes.
_DJANGO_FIELD_MODULES = ("models.", "django.db.", "django.contrib.")


def _django_field_class(node: ast.Call) -> bool:
    """`models.CharField`, `django.contrib.postgres.fields.ArrayField`, a bare `ArrayField`:
    a class of Django itself, not a project's own (`saleor.core.db.fields.SanitizedJSONField`)."""
    dotted = ast.unparse(node.func)
    if "." not in dotted:
        return dotted in _DJANGO_BARE
    return dotted.startswith(_DJANGO_FIELD_MODULES)


_DJANGO_BARE = frozenset(
    {
        "ArrayField",
        "HStoreField",
        "CICharField",
        "CIEmailField",
        "CITextField",
        "DateTimeRangeField",
        "DateRangeField",
        "IntegerRangeField",
        "BigIntegerRangeField",
        "DecimalRangeField",
        "SearchVectorField",
        "GeneratedField",
    }
)


def _is_code(node: ast.expr) -> bool:
    """A function, class or object named in the migration (`sanitizer=app.clean`, a lambda):
    Django serialises it by reference for Python to call; it is no value DDL could hold."""
    return isinstance(node, (ast.Name, ast.Attribute, ast.Lambda))


def _db_on_delete(node: ast.expr) -> bool:
    """`on_delete=models.DB_CASCADE` (Django 6.1: the database enforces it, ON DELETE …);
    `models.CASCADE` and the rest run in Python."""
    dotted = ast.unparse(node)
    return dotted.rsplit(".", 1)[-1].startswith("DB_")


class _Normalize(ast.NodeTransformer):
    """Drops ORM-only keyword arguments and option keys, and keeps of a Django field only the
    arguments that reach the database (`unsure` collects those of a project's own field class
    that may: a literal on an argument guardrail does not know)."""

    def __init__(self) -> None:
        self.unsure: list[str] = []
        self.fields: set[int] = set()  # field calls already kept to their database arguments

    def visit_Call(self, node: ast.Call) -> ast.AST:
        name = node.func.attr if isinstance(node.func, ast.Attribute) else ""
        name = name or (node.func.id if isinstance(node.func, ast.Name) else "")
        if name in ("AddField", "AlterField"):
            self._field_at(node, 2, "field")
        elif name == "CreateModel":
            fields = _argument(node, 1, "fields")
            if isinstance(fields, (ast.List, ast.Tuple)):
                for elt in fields.elts:
                    if isinstance(elt, ast.Tuple) and len(elt.elts) == 2:
                        elt.elts[1] = self.field(elt.elts[1])
        if id(node) not in self.fields:
            node.keywords = [k for k in node.keywords if k.arg not in _ORM_ONLY]
        self.generic_visit(node)
        return node

    def _field_at(self, call: ast.Call, index: int, keyword: str) -> None:
        if len(call.args) > index:
            call.args[index] = self.field(call.args[index])
        for k in call.keywords:
            if k.arg == keyword:
                k.value = self.field(k.value)

    def field(self, node: ast.expr) -> ast.expr:
        """A field call with only the arguments that reach the database."""
        if not isinstance(node, ast.Call):
            return node
        own = _django_field_class(node)
        kept: list[ast.keyword] = []
        for k in node.keywords:
            if k.arg is None or k.arg in _DB_FIELD_ARGS:
                if k.arg == "base_field":
                    k.value = self.field(k.value)
                kept.append(k)
            elif k.arg == "on_delete":
                if _db_on_delete(k.value):
                    kept.append(k)
            elif k.arg in _PYTHON_FIELD_ARGS or k.arg in _ORM_ONLY or own or _is_code(k.value):
                continue
            else:
                # A project's own argument with a value: it may size the column, or not.
                self.unsure.append(f"{ast.unparse(node.func)}({k.arg}={ast.unparse(k.value)})")
        node.keywords = kept
        node.args = [self.field(a) if isinstance(a, ast.Call) else a for a in node.args]
        self.fields.add(id(node))
        return node

    def visit_Dict(self, node: ast.Dict) -> ast.AST:
        pairs = [
            (k, v)
            for k, v in zip(node.keys, node.values, strict=True)
            if not (isinstance(k, ast.Constant) and k.value in _ORM_ONLY)
        ]
        node.keys = [k for k, _ in pairs]
        node.values = [v for _, v in pairs]
        self.generic_visit(node)
        return node


T = TypeVar("T")
_ATOMS = (str, int, float, complex, bytes, bool, type(None), type(Ellipsis))


def tree_copy(node: T) -> T:
    """`copy.deepcopy` of a syntax tree, about 3× faster: a node's fields and positions live in
    its `__dict__`, copied here node by node (lists copied, constants shared as deepcopy
    shares them; anything else goes through deepcopy). The readers' trees are shared for the
    run (pyast.parse), so a reader that edits one edits a copy."""
    if isinstance(node, ast.AST):
        new = type(node)()
        new.__dict__.update({k: tree_copy(v) for k, v in node.__dict__.items()})
        return cast(T, new)
    if isinstance(node, list):
        return cast(T, [tree_copy(v) for v in node])
    if isinstance(node, _ATOMS):
        return node
    return copy.deepcopy(node)


def database_field(call: ast.Call) -> ast.Call:
    """A copy of a Django field call with only the arguments that reach the database (a
    project field's own literal arguments left out too: they may, or may not)."""
    out = _Normalize().field(tree_copy(call))
    assert isinstance(out, ast.Call)
    return out


def _argument(call: ast.Call, index: int, name: str) -> ast.expr | None:
    if len(call.args) > index and not isinstance(call.args[index], ast.Starred):
        return call.args[index]
    return next((k.value for k in call.keywords if k.arg == name), None)


def definition(
    call: ast.Call, functions: dict[str, ast.FunctionDef], unsure: list[str] | None = None
) -> str:
    """The call as the database sees it, without positions, comments or arguments that stay
    in Python; with the module's functions it names (RunPython's code), so an edit to them is
    seen. `unsure` receives the arguments of a project's own field class that may reach the
    database (a literal on an argument guardrail does not know): they are left out here."""
    normalize = _Normalize()
    tree = normalize.visit(tree_copy(call))
    if unsure is not None:
        unsure.extend(normalize.unsure)
    named = sorted({n.id for n in ast.walk(call) if isinstance(n, ast.Name) and n.id in functions})
    parts = [ast.dump(tree)] + [ast.dump(functions[name]) for name in named]
    return "\n".join(parts)


_SAME = object()  # "the statement's own table"


@dataclass
class Recorder:
    """The operations and notes of one migration, with the tables it created so far."""

    source: str
    lines: list[str] = field(default_factory=list)
    found: list[Op] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    created: set[str] = field(default_factory=set)  # tables created earlier in the migration

    def __post_init__(self) -> None:
        self.lines = self.source.splitlines()

    def statement(
        self,
        node: ast.expr,
        table: str | None,
        in_transaction: bool,
        defn: str,
        model: str | None = None,
    ) -> Statement:
        line = node.lineno
        ignores = parse_ignores(comments_above(self.lines, line))
        text = short(node, self.source)
        return Statement(self, line, text, ignores, table, in_transaction, defn, model)

    def note(self, line: int, what: str) -> None:
        self.notes.append(f"line {line}: {what}")

    def sql(self, sql: str, node: ast.expr, in_transaction: bool) -> None:
        """SQL written in a Python string: read by the SQL reader, at its lines in the file
        (`node` is the string literal, whose first line is the SQL's, or else the call)."""
        sub = read_sql(sql, line_offset=node.lineno - 1, in_transaction=in_transaction)
        self.found.extend(sub.ops)
        self.notes.extend(sub.notes)


@dataclass
class Statement:
    """Records the operations one migration call performs, on its line, with its text and any
    `guardrail: ignore` written next to it."""

    rec: Recorder
    line: int
    text: str
    ignores: tuple[tuple[str, str], ...]
    table: str | None
    in_transaction: bool
    definition: str = ""
    model: str | None = None  # Django: the model the call names (lower case)

    def add(
        self,
        kind: OpKind,
        column: str | None = None,
        _t: str | None | object = _SAME,
        **facts: Unpack[Facts],
    ) -> None:
        """`_t` names another table than the statement's own (None: no table at all)."""
        table = self.table if _t is _SAME else (_t if isinstance(_t, str) else None)
        facts.setdefault("new_table", table in self.rec.created if table else False)
        facts.setdefault("in_transaction", self.in_transaction)
        facts.setdefault("definition", self.definition)
        if self.model is not None and _t is _SAME:
            facts.setdefault("model", self.model)
        self.rec.found.append(Op(kind, self.line, table, column, self.text, self.ignores, **facts))

    def unread(self, why: str) -> None:
        """Something this call does that cannot be read: a GR290 naming it and its line."""
        self.rec.found.append(
            Op(OpKind.RAW, self.line, text=self.text, why=why, definition=self.definition)
        )


def sql_of(node: ast.expr | None, scope: Scope) -> str | None:
    """A SQL string, a list/tuple of them, or of (sql, params) pairs, as one script; None when
    the SQL is built at run time. The statements of a list of literals keep their lines:
    the script starts at the list's first line."""
    got = scope.value(node)
    if got is UNKNOWN:
        return None
    if isinstance(node, (ast.List, ast.Tuple)) and node.elts:
        placed = _placed(node, scope)
        if placed is not None:
            return placed
    return _join_sql(got)


def _placed(node: ast.List | ast.Tuple, scope: Scope) -> str | None:
    """The statements of a list at their own lines, padded with blank lines between them."""
    out: list[str] = []
    line = node.lineno
    for elt in node.elts:
        at = elt.elts[0] if isinstance(elt, ast.Tuple) and elt.elts else elt
        text = scope.string(at)
        where = scope.located(at, node)
        if text is None or where.lineno < line:
            return None
        out.append("\n" * (where.lineno - line))
        body = text.rstrip().rstrip(";")
        out.append(body + ";")
        line = where.lineno + body.count("\n")
    return "".join(out)


def _join_sql(got: object) -> str | None:
    if isinstance(got, str):
        return got
    if isinstance(got, (tuple, list)):
        parts: list[str] = []
        for item in got:
            if isinstance(item, (tuple, list)) and item and isinstance(item[0], str):
                parts.append(item[0])  # (sql, params)
            elif isinstance(item, str):
                parts.append(item)
            else:
                return None
        return ";\n".join(p.strip().rstrip(";") for p in parts if p.strip())
    return None
