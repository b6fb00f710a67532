"""Django and Alembic migrations, read from the Python syntax tree — never imported or run."""

from __future__ import annotations

import ast
import copy
import dataclasses
from dataclasses import dataclass
from typing import Unpack

from guardrail.analysis.migrations.ops import Facts, Op, OpKind, Reading
from guardrail.analysis.migrations.sql import comments_above, parse_ignores, read_sql
from guardrail.analysis.pyast import arg as _arg
from guardrail.analysis.pyast import call_name as _callee
from guardrail.analysis.pyast import const as _const
from guardrail.analysis.pyast import has_kwarg as _has_kw
from guardrail.analysis.pyast import kwarg as _kw
from guardrail.analysis.pyast import string as _str


def _sql_text(node: ast.AST | None) -> str | None:
    """A SQL string, or a list/tuple of them, as one script."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, (ast.List, ast.Tuple)):
        parts = [_sql_text(e) for e in node.elts]
        if all(p is not None for p in parts):
            return ";\n".join(p for p in parts if p)
    return None


def _short(node: ast.AST, source: str) -> str:
    seg = ast.get_source_segment(source, node) or ""
    one = " ".join(seg.split())
    return one if len(one) <= 90 else one[:89] + "…"


def _is_noop(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "noop"


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
    }
)


class _Normalize(ast.NodeTransformer):
    """Drops ORM-only keyword arguments and option keys."""

    def visit_Call(self, node: ast.Call) -> ast.AST:
        node.keywords = [k for k in node.keywords if k.arg not in _ORM_ONLY]
        self.generic_visit(node)
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


def _definition(call: ast.Call, functions: dict[str, ast.FunctionDef]) -> str:
    """The call as the database sees it, without positions, comments or ORM-only arguments;
    with the module's functions it names (RunPython's code), so an edit to them is seen."""
    tree = _Normalize().visit(copy.deepcopy(call))
    named = sorted({n.id for n in ast.walk(call) if isinstance(n, ast.Name) and n.id in functions})
    parts = [ast.dump(tree)] + [ast.dump(functions[name]) for name in named]
    return "\n".join(parts)


_SAME = object()  # "the statement's own table"


@dataclass
class _Statement:
    """Records the operations one migration statement performs, on its line, with its text and
    any `guardrail: ignore` written next to it."""

    found: list[Op]
    created: set[str]  # tables created earlier in the same migration
    in_transaction: bool
    line: int
    text: str
    ignores: tuple[tuple[str, str], ...]
    table: str | None
    definition: str = ""  # the call, normalized (compare.py)

    def add(
        self,
        kind: OpKind,
        column: str | None = None,
        _t: str | None | object = _SAME,
        **facts: Unpack[Facts],
    ) -> None:
        """`_t` names another table than the statement's own (None: no table at all)."""
        table = self.table if _t is _SAME else (_t if isinstance(_t, str) else None)
        facts.setdefault("new_table", table in self.created if table else False)
        facts.setdefault("in_transaction", self.in_transaction)
        facts.setdefault("definition", self.definition)
        self.found.append(Op(kind, self.line, table, column, self.text, self.ignores, **facts))


# -- Django ---------------------------------------------------------------------------------------

_DJANGO_FK = ("ForeignKey", "OneToOneField")
_DJANGO_INDEX_OPS = {
    "AddIndex": (OpKind.CREATE_INDEX, False),
    "AddIndexConcurrently": (OpKind.CREATE_INDEX, True),
    "RemoveIndex": (OpKind.DROP_INDEX, False),
    "RemoveIndexConcurrently": (OpKind.DROP_INDEX, True),
}


@dataclass(frozen=True)
class _Field:
    """What a Django field declaration says (`models.CharField(null=True, default=...)`)."""

    field: str = ""  # the field class: "CharField", "ForeignKey", …
    null: bool = False
    has_default: bool = False  # `default=`: applied by the ORM only
    db_default: bool = False  # `db_default=`: kept by the database
    primary_key: bool = False


def _field_facts(field: ast.expr | None) -> _Field:
    if not isinstance(field, ast.Call):
        return _Field()
    return _Field(
        field=_callee(field),
        null=_const(_kw(field, "null")) is True,
        has_default=_has_kw(field, "default"),
        db_default=_has_kw(field, "db_default"),
        primary_key=_const(_kw(field, "primary_key")) is True,
    )


def read_django(source: str) -> Reading:
    tree = ast.parse(source)
    lines = source.splitlines()
    found: list[Op] = []
    notes: list[str] = []
    reversible = True
    why = ""
    atomic = True
    created: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "atomic" for t in node.targets
        ):
            atomic = _const(node.value) is not False
    functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    operations: list[ast.Call] = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "operations" for t in node.targets)
            and isinstance(node.value, (ast.List, ast.Tuple))
        ):
            operations = [e for e in node.value.elts if isinstance(e, ast.Call)]
    for call in operations:
        name = _callee(call)
        line = call.lineno
        ignores = parse_ignores(comments_above(lines, line))
        text = _short(call, source)
        model = _str(_kw(call, "model_name")) or _str(_arg(call, 0, "name"))
        table = model.lower() if model else None

        definition = _definition(call, functions)
        st = _Statement(found, created, atomic, line, text, tuple(ignores), table, definition)
        add = st.add

        if name == "CreateModel":
            if table:
                created.add(table)
            add(OpKind.CREATE_TABLE)
        elif name == "AddField":
            column = _str(_kw(call, "name")) or _str(_arg(call, 1, "name"))
            facts = _field_facts(_kw(call, "field") or _arg(call, 2, "field"))
            not_null = not facts.null and facts.field != "ManyToManyField"
            if facts.field == "ManyToManyField":
                add(OpKind.CREATE_TABLE, column)
                continue
            add(
                OpKind.ADD_COLUMN,
                column,
                not_null=not_null,
                # Django's `default=` is applied by the ORM and dropped from the table right
                # after; only `db_default=` stays in the database for old code's inserts.
                has_default=facts.db_default,
                orm_default=facts.has_default,
            )
            if facts.field in _DJANGO_FK:
                add(OpKind.ADD_FOREIGN_KEY, column, not_valid=False)
                add(OpKind.CREATE_INDEX, column, concurrently=False)
        elif name == "AlterField":
            column = _str(_kw(call, "name")) or _str(_arg(call, 1, "name"))
            facts = _field_facts(_kw(call, "field") or _arg(call, 2, "field"))
            if not facts.null and not facts.primary_key:
                add(OpKind.SET_NOT_NULL, column, maybe=True)
            add(OpKind.ALTER_TYPE, column, maybe=True, to_type=facts.field or None)
        elif name == "RemoveField":
            add(OpKind.DROP_COLUMN, _str(_kw(call, "name")) or _str(_arg(call, 1, "name")))
        elif name == "DeleteModel":
            table = st.table = (_str(_arg(call, 0, "name")) or "").lower() or None
            add(OpKind.DROP_TABLE)
        elif name == "RenameField":
            add(
                OpKind.RENAME_COLUMN,
                _str(_kw(call, "old_name")) or _str(_arg(call, 1, "old_name")),
                new_name=_str(_kw(call, "new_name")) or _str(_arg(call, 2, "new_name")),
            )
        elif name == "RenameModel":
            table = st.table = (
                _str(_kw(call, "old_name")) or _str(_arg(call, 0, "old_name")) or ""
            ).lower() or None
            add(
                OpKind.RENAME_TABLE,
                new_name=_str(_kw(call, "new_name")) or _str(_arg(call, 1, "new_name")),
            )
        elif name in _DJANGO_INDEX_OPS:
            kind, concurrently = _DJANGO_INDEX_OPS[name]
            add(kind, concurrently=concurrently)
        elif name == "AddConstraint":
            con = _kw(call, "constraint") or _arg(call, 1, "constraint")
            cname = _callee(con) if isinstance(con, ast.Call) else ""
            if cname == "UniqueConstraint":
                add(OpKind.ADD_UNIQUE, using_index=False)
            elif cname == "CheckConstraint":
                add(OpKind.ADD_CHECK, not_valid=False)
        elif name == "AddConstraintNotValid":
            add(OpKind.ADD_CHECK, not_valid=True)
        elif name == "AlterUniqueTogether":
            add(OpKind.ADD_UNIQUE, using_index=False, maybe=True)
        elif name == "RunPython":
            reverse = _kw(call, "reverse_code") or (call.args[1] if len(call.args) > 1 else None)
            add(OpKind.DATA_MIGRATION)
            if reverse is None:
                reversible = False
                why = "`RunPython` has no `reverse_code`"
                add(OpKind.IRREVERSIBLE, why=why)
        elif name == "RunSQL":
            sql = _sql_text(_arg(call, 0, "sql"))
            reverse = _kw(call, "reverse_sql") or (call.args[1] if len(call.args) > 1 else None)
            if sql is not None:
                sub = read_sql(sql, line_offset=line - 1, in_transaction=atomic)
                found.extend(sub.ops)
                notes.extend(sub.notes)
            else:
                found.append(
                    Op(
                        OpKind.RAW,
                        line,
                        text=text,
                        why="RunSQL with computed SQL",
                        definition=definition,
                    )
                )
            if reverse is None:
                reversible = False
                why = "`RunSQL` has no `reverse_sql`"
                add(OpKind.IRREVERSIBLE, why=why)
        elif name == "AddDefaultValue":
            # django-add-default-value: keeps a database default for the column, so rows the
            # running version inserts without it still get a value.
            column = _str(_kw(call, "name"))
            found[:] = [
                dataclasses.replace(o, has_default=True)
                if o.kind == OpKind.ADD_COLUMN and o.column == column and o.table == table
                else o
                for o in found
            ]
        elif name == "SeparateDatabaseAndState":
            notes.append(
                f"line {line}: SeparateDatabaseAndState read as its database operations only"
            )
    return Reading("django", tuple(found), reversible, why, tuple(notes), atomic)


# -- Alembic --------------------------------------------------------------------------------------


def _func(tree: ast.Module, name: str) -> ast.FunctionDef | None:
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return node
    return None


def _empty(fn: ast.FunctionDef) -> bool:
    for stmt in fn.body:
        if isinstance(stmt, ast.Pass):
            continue
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue  # a docstring or "..."
        return False
    return True


@dataclass(frozen=True)
class _Column:
    """What an Alembic `sa.Column(...)` says."""

    not_null: bool = False
    has_default: bool = False
    volatile: bool = False
    fk: bool = False


def _column_facts(col: ast.expr | None) -> _Column:
    if not isinstance(col, ast.Call):
        return _Column()
    nullable = _kw(col, "nullable")
    not_null = _const(nullable) is False or _const(_kw(col, "primary_key")) is True
    default = _kw(col, "server_default")
    volatile = (
        isinstance(default, ast.Call)
        and _callee(default) == "text"
        and any(
            isinstance(a, ast.Constant)
            and isinstance(a.value, str)
            and "(" in a.value
            and not a.value.lower().startswith(("now(", "current_timestamp"))
            for a in default.args
        )
    )
    fk = any(isinstance(a, ast.Call) and _callee(a) == "ForeignKey" for a in col.args)
    return _Column(not_null, default is not None, volatile, fk)


def read_alembic(source: str) -> Reading:
    tree = ast.parse(source)
    lines = source.splitlines()
    found: list[Op] = []
    notes: list[str] = []
    up = _func(tree, "upgrade")
    down = _func(tree, "downgrade")
    reversible = down is not None and not _empty(down)
    why = (
        ""
        if reversible
        else ("`downgrade()` is empty" if down is not None else "there is no `downgrade()`")
    )
    created: set[str] = set()
    if up is None:
        return Reading("alembic", (), reversible, why, ("no upgrade() function",), True)
    for node in ast.walk(up):
        if not isinstance(node, ast.Call):
            continue
        name = _callee(node)
        owner = node.func.value if isinstance(node.func, ast.Attribute) else None
        owner_name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", "")
        if owner_name not in ("op", "batch_op", "migration"):
            continue
        line = node.lineno
        ignores = parse_ignores(comments_above(lines, line))
        text = _short(node, source)
        table = _str(_arg(node, 0, "table_name"))

        add = _Statement(
            found, created, True, line, text, tuple(ignores), table, _definition(node, {})
        ).add

        if name == "create_table":
            if table:
                created.add(table)
            add(OpKind.CREATE_TABLE)
        elif name == "add_column":
            col = _arg(node, 1, "column")
            facts = _column_facts(col)
            column = _str(_arg(col, 0, "name")) if isinstance(col, ast.Call) else None
            add(
                OpKind.ADD_COLUMN,
                column,
                not_null=facts.not_null,
                has_default=facts.has_default,
                volatile_default=facts.volatile,
            )
            if facts.fk:
                add(OpKind.ADD_FOREIGN_KEY, column, not_valid=False)
        elif name == "alter_column":
            column = _str(_arg(node, 1, "column_name"))
            if _const(_kw(node, "nullable")) is False:
                add(OpKind.SET_NOT_NULL, column)
            if _const(_kw(node, "nullable")) is True:
                add(OpKind.DROP_NOT_NULL, column)
            if _kw(node, "type_") is not None:
                add(OpKind.ALTER_TYPE, column, narrowing=True)
            new = _str(_kw(node, "new_column_name"))
            if new:
                add(OpKind.RENAME_COLUMN, column, new_name=new)
        elif name == "drop_column":
            add(OpKind.DROP_COLUMN, _str(_arg(node, 1, "column_name")))
        elif name == "drop_table":
            add(OpKind.DROP_TABLE)
        elif name == "rename_table":
            add(OpKind.RENAME_TABLE, new_name=_str(_arg(node, 1, "new_table_name")))
        elif name == "create_index":
            t = _str(_arg(node, 1, "table_name"))
            conc = _const(_kw(node, "postgresql_concurrently")) is True
            add(
                OpKind.CREATE_INDEX,
                _t=t,
                concurrently=conc,
                unique=_const(_kw(node, "unique")) is True,
            )
        elif name == "drop_index":
            conc = _const(_kw(node, "postgresql_concurrently")) is True
            add(OpKind.DROP_INDEX, _t=_str(_kw(node, "table_name")), concurrently=conc)
        elif name == "create_foreign_key":
            t = _str(_arg(node, 1, "source_table"))
            add(OpKind.ADD_FOREIGN_KEY, _t=t, not_valid=False)
        elif name == "create_unique_constraint":
            add(OpKind.ADD_UNIQUE, _t=_str(_arg(node, 1, "table_name")), using_index=False)
        elif name == "create_check_constraint":
            add(OpKind.ADD_CHECK, _t=_str(_arg(node, 1, "table_name")), not_valid=False)
        elif name == "create_primary_key":
            add(OpKind.ADD_PRIMARY_KEY, _t=_str(_arg(node, 1, "table_name")), using_index=False)
        elif name == "execute":
            arg = _arg(node, 0, "sqltext")
            if isinstance(arg, ast.Call) and _callee(arg) == "text":
                arg = arg.args[0] if arg.args else None
            sql = _sql_text(arg)
            if sql is not None:
                sub = read_sql(sql, line_offset=line - 1, in_transaction=True)
                found.extend(sub.ops)
                notes.extend(sub.notes)
            else:
                found.append(Op(OpKind.RAW, line, text=text, why="op.execute with computed SQL"))
        elif name in ("bulk_insert",):
            add(OpKind.BACKFILL)
    return Reading("alembic", tuple(found), reversible, why, tuple(notes), True)
