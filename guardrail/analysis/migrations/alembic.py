"""Alembic migrations, read from the Python syntax tree as their authors wrote them.

`upgrade()` is read statement by statement: `with op.get_context().autocommit_block():` runs
its body outside a transaction (CONCURRENTLY is right there); `with op.batch_alter_table("t")
as batch_op:` makes the batch's operations belong to `t`; loops over literal tuples are read
once per element; helper functions of the same file are read where they are called, with their
arguments, so SQL built in them is read too. `op.drop_index` of a table that the same upgrade
then drops is part of dropping the table (one finding, the drop). What cannot be worked out
from the file alone is an unread operation (GR290) naming the construct and its line.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from guardrail.analysis import pyast
from guardrail.analysis.migrations.ops import ColumnDef, Framework, Op, OpKind, Reading
from guardrail.analysis.migrations.pyeval import UNKNOWN, Scope
from guardrail.analysis.migrations.python_ast import Recorder, Statement, definition, sql_of
from guardrail.analysis.pyast import call_name

FRAMEWORK = Framework(
    name="alembic",
    language="python",
    wraps_transaction=True,
    no_transaction="a `with op.get_context().autocommit_block():` block",
    concurrent_index=(
        "`op.create_index(…, postgresql_concurrently=True)` inside "
        "`with op.get_context().autocommit_block():`"
    ),
    drop_index=(
        "`op.drop_index(…, postgresql_concurrently=True)` inside "
        "`with op.get_context().autocommit_block():`"
    ),
    lock_timeout="`op.execute(\"SET lock_timeout = '5s'\")` at the start of `upgrade()`",
    batch=(
        "a loop over primary-key ranges inside `op.get_context().autocommit_block()`, one short "
        "statement per range"
    ),
    db_default="`server_default=`",
    raw_sql='`op.execute("{sql}")`',
)

_OWNERS = frozenset({"op", "migration"})
# Positions of the table argument of `op.<name>(...)` outside a batch (inside, it is the batch's).
_TABLE_ARG = {
    "create_table": (0, "table_name"),
    "drop_table": (0, "table_name"),
    "rename_table": (0, "old_table_name"),
    "add_column": (0, "table_name"),
    "alter_column": (0, "table_name"),
    "drop_column": (0, "table_name"),
    "bulk_insert": (0, "table"),
    "create_index": (1, "table_name"),
    "create_unique_constraint": (1, "table_name"),
    "create_check_constraint": (1, "table_name"),
    "create_primary_key": (1, "table_name"),
    "create_foreign_key": (1, "source_table"),
    "drop_constraint": (1, "table_name"),
    "drop_index": (1, "table_name"),
}
# Arguments after the table move one place left inside a batch, where there is no table argument.
_SHIFTED = frozenset(
    {
        "add_column",
        "alter_column",
        "drop_column",
        "create_index",
        "create_unique_constraint",
        "create_check_constraint",
        "create_primary_key",
        "create_foreign_key",
        "drop_constraint",
    }
)


@dataclass
class _Where:
    """Where a statement runs: in a transaction or not, inside which batches."""

    in_transaction: bool = True
    batches: dict[str, str | None] = field(default_factory=dict)  # `as` name -> table
    binds: set[str] = field(default_factory=set)  # names bound to op.get_bind() (shared)


@dataclass(frozen=True)
class _Column:
    """What an Alembic `sa.Column(...)` says."""

    not_null: bool = False
    has_default: bool = False
    volatile: bool = False
    fk: bool = False
    index: bool = False
    unique: bool = False


def _kw(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _column_facts(col: ast.expr | None, scope: Scope) -> _Column:
    if not isinstance(col, ast.Call):
        return _Column()
    not_null = (
        scope.value(_kw(col, "nullable")) is False or scope.value(_kw(col, "primary_key")) is True
    )
    default = _kw(col, "server_default")
    if default is not None and scope.value(default) is None:
        default = None  # `server_default=None`: SQLAlchemy's "no server default"
    text = scope.string(default.args[0]) if isinstance(default, ast.Call) and default.args else None
    volatile = (
        text is not None
        and call_name(default) == "text"
        and "(" in text
        and not text.lower().startswith(("now(", "current_timestamp"))
    )
    return _Column(
        not_null=not_null,
        has_default=default is not None,
        volatile=volatile,
        fk=any(isinstance(a, ast.Call) and call_name(a) == "ForeignKey" for a in col.args),
        index=scope.value(_kw(col, "index")) is True,
        unique=scope.value(_kw(col, "unique")) is True,
    )


# SQLAlchemy types as PostgreSQL names them (sqlalchemy/dialects/postgresql/base.py
# `PGTypeCompiler`); `{}` takes the length.
_SA_TYPE = {
    "Integer": "integer",
    "INTEGER": "integer",
    "BigInteger": "bigint",
    "BIGINT": "bigint",
    "SmallInteger": "smallint",
    "SMALLINT": "smallint",
    "String": "varchar{}",
    "VARCHAR": "varchar{}",
    "Unicode": "varchar{}",
    "CHAR": "char{}",
    "Text": "text",
    "TEXT": "text",
    "UnicodeText": "text",
    "Boolean": "boolean",
    "BOOLEAN": "boolean",
    "Date": "date",
    "DATE": "date",
    "Time": "time",
    "Interval": "interval",
    "INTERVAL": "interval",
    "Float": "double precision",
    "FLOAT": "double precision",
    "Double": "double precision",
    "JSON": "json",
    "JSONB": "jsonb",
    "UUID": "uuid",
    "Uuid": "uuid",
    "LargeBinary": "bytea",
    "BYTEA": "bytea",
    "INET": "inet",
    "CITEXT": "citext",
    "TIMESTAMP": "timestamp",
    "Numeric": "numeric",
    "NUMERIC": "numeric",
    "DECIMAL": "numeric",
}


def _sa_type(node: ast.expr | None, scope: Scope) -> str:
    """`sa.String(length=50)` -> `varchar(50)`, `sa.DateTime(timezone=True)` -> `timestamptz`,
    `postgresql.ARRAY(sa.Integer())` -> `integer[]`; another type in lower case; empty when
    there is none (a foreign key's column may take its type from the target)."""
    if isinstance(node, (ast.Name, ast.Attribute)):
        node = ast.Call(func=node, args=[], keywords=[])
    if not isinstance(node, ast.Call):
        return ""
    name = call_name(node)
    if name in ("ForeignKey", "Sequence", "Identity", "Computed"):
        return ""
    if name == "ARRAY":
        inner = _sa_type(node.args[0] if node.args else _kw(node, "item_type"), scope)
        return f"{inner}[]" if inner else ""
    if name in ("DateTime", "TIMESTAMP"):
        tz = scope.value(node.args[0] if node.args else _kw(node, "timezone")) is True
        return "timestamptz" if tz else "timestamp"
    spelled = _SA_TYPE.get(name)
    if spelled is None:
        return name.lower()
    if spelled.endswith("{}"):
        length = scope.value(node.args[0] if node.args else _kw(node, "length"))
        return spelled.format(f"({length})" if isinstance(length, int) else "")
    if spelled == "numeric":
        precision = scope.value(node.args[0] if node.args else _kw(node, "precision"))
        scale = scope.value(node.args[1] if len(node.args) > 1 else _kw(node, "scale"))
        if isinstance(precision, int):
            return f"numeric({precision},{scale if isinstance(scale, int) else 0})"
    return spelled


def _server_default(node: ast.expr | None, scope: Scope) -> str | None:
    """`server_default="x"` -> `'x'`, `sa.text("now()")` -> `now()`; None when absent or
    `None` (SQLAlchemy's "no server default")."""
    if node is None or scope.value(node) is None:
        return None
    if isinstance(node, ast.Call) and call_name(node) in ("text", "literal_column") and node.args:
        text = scope.string(node.args[0])
        if text is not None:
            return " ".join(text.split())
    text = scope.string(node)
    if text is not None:
        return "'" + text.replace("'", "''") + "'"
    return " ".join(ast.unparse(node).split())


def _table_columns(call: ast.Call, scope: Scope) -> tuple[ColumnDef, ...]:
    """The columns of `op.create_table("t", sa.Column(...), ..., sa.PrimaryKeyConstraint(...))`:
    a column is NULL unless `nullable=False` or it is in the primary key; `server_default=`
    is the database default (`default=` is applied by SQLAlchemy)."""
    keys: set[str] = set()
    for a in call.args[1:]:
        if isinstance(a, ast.Call) and call_name(a) == "PrimaryKeyConstraint":
            keys.update(s for s in (scope.string(e) for e in a.args) if s)
    out: list[ColumnDef] = []
    for a in call.args[1:]:
        if not isinstance(a, ast.Call) or call_name(a) != "Column" or not a.args:
            continue
        name = scope.string(a.args[0])
        if name is None:
            continue
        type_node = a.args[1] if len(a.args) > 1 else _kw(a, "type_")
        primary = scope.value(_kw(a, "primary_key")) is True or name in keys
        nullable = scope.value(_kw(a, "nullable"))
        out.append(
            ColumnDef(
                name,
                _sa_type(type_node, scope),
                not_null=nullable is False or (primary and nullable is not True),
                default=_server_default(_kw(a, "server_default"), scope),
                primary_key=primary,
            )
        )
    return tuple(out)


_Arg = Callable[[int, str], "ast.expr | None"]  # an argument by position (batch-aware) or keyword


class _Reader:
    def __init__(self, source: str, tree: ast.Module) -> None:
        self.rec = Recorder(source)
        self.scope = Scope.of_module(tree)
        self.active: set[str] = set()  # helper functions being read (no recursion)

    # -- statements ------------------------------------------------------------------------------

    def block(self, body: list[ast.stmt], scope: Scope, where: _Where) -> None:
        for stmt in body:
            self.stmt(stmt, scope, where)

    def stmt(self, stmt: ast.stmt, scope: Scope, where: _Where) -> None:
        if isinstance(stmt, ast.With):
            self.with_(stmt, scope, where)
        elif isinstance(stmt, ast.For):
            scopes = scope.iterate(stmt.target, stmt.iter)
            if scopes is None:
                names = {n.id: UNKNOWN for n in ast.walk(stmt.target) if isinstance(n, ast.Name)}
                self.block(stmt.body, scope.child(names), where)
            else:
                for inner in scopes:
                    self.block(stmt.body, inner, where)
        elif isinstance(stmt, ast.If):
            self.block(stmt.body, scope, where)
            self.block(stmt.orelse, scope, where)
        elif isinstance(stmt, ast.Try):
            self.block(stmt.body, scope, where)
            self.block(stmt.orelse, scope, where)
            self.block(stmt.finalbody, scope, where)
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            if stmt.value is not None:
                self.expr(stmt.value, scope, where)
                scope.assign(stmt)
                if _is_get_bind(stmt.value):
                    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                    where.binds.update(t.id for t in targets if isinstance(t, ast.Name))
        elif isinstance(stmt, (ast.Expr, ast.Return)) and stmt.value is not None:
            self.expr(stmt.value, scope, where)

    def with_(self, stmt: ast.With, scope: Scope, where: _Where) -> None:
        inner = where
        for item in stmt.items:
            ctx = item.context_expr
            name = call_name(ctx)
            if name == "autocommit_block":
                inner = replace(inner, in_transaction=False)
            elif name == "batch_alter_table" and isinstance(ctx, ast.Call):
                table = scope.string(ctx.args[0] if ctx.args else _kw(ctx, "table_name"))
                alias = item.optional_vars
                if isinstance(alias, ast.Name):
                    inner = replace(inner, batches={**inner.batches, alias.id: table})
            elif isinstance(ctx, ast.Call):
                self.expr(ctx, scope, where)
        self.block(stmt.body, scope, inner)

    def expr(self, node: ast.expr, scope: Scope, where: _Where) -> None:
        for call in (n for n in ast.walk(node) if isinstance(n, ast.Call)):
            func = call.func
            if isinstance(func, ast.Attribute):
                owner = func.value
                owner_name = owner.id if isinstance(owner, ast.Name) else ""
                if owner_name in where.batches:
                    self.operation(call, scope, where, where.batches[owner_name], batch=True)
                elif owner_name in _OWNERS:
                    self.operation(call, scope, where, None, batch=False)
                elif func.attr == "execute" and (owner_name in where.binds or _is_get_bind(owner)):
                    self.execute(call, scope, where)
            elif isinstance(func, ast.Name) and func.id in self.scope.functions:
                self.helper(call, func.id, scope, where)

    def helper(self, call: ast.Call, name: str, scope: Scope, where: _Where) -> None:
        """A function of the same file, read where it is called, with its arguments."""
        if name in self.active or name in ("upgrade", "downgrade"):
            return
        fn = self.scope.functions[name]
        inner = scope.bind(fn, call)
        if inner is None:
            return
        self.active.add(name)
        try:
            self.block(fn.body, inner, where)
        finally:
            self.active.discard(name)

    # -- one operation ----------------------------------------------------------------------------

    def operation(
        self, call: ast.Call, scope: Scope, where: _Where, batch_table: str | None, *, batch: bool
    ) -> None:
        name = call_name(call)
        if name in ("execute",):
            self.execute(call, scope, where)
            return
        shift = 1 if batch and name in _SHIFTED else 0

        def arg(index: int, kw: str) -> ast.expr | None:
            i = index - shift
            if 0 <= i < len(call.args) and not isinstance(call.args[i], ast.Starred):
                return call.args[i]
            return _kw(call, kw)

        if batch:
            table = batch_table
        else:
            pos, kw = _TABLE_ARG.get(name, (0, "table_name"))
            table = scope.string(arg(pos, kw))
        st = self.rec.statement(call, table, where.in_transaction, definition(call, {}))
        handler = _HANDLERS.get(name)
        if handler is not None:
            handler(self, call, scope, st, arg)

    def execute(self, call: ast.Call, scope: Scope, where: _Where) -> None:
        node = call.args[0] if call.args else _kw(call, "sqltext") or _kw(call, "statement")
        sql = sql_of(node, scope)
        st = self.rec.statement(call, None, where.in_transaction, definition(call, {}))
        if sql is None:
            st.unread(f"`{short_name(call)}` with SQL built at run time")
            return
        if node is not None:
            self.rec.sql(
                sql, node if isinstance(node, ast.Constant) else call, where.in_transaction
            )

    def create_table(self, call: ast.Call, scope: Scope, st: Statement, arg: _Arg) -> None:
        if_not_exists = scope.value(_kw(call, "if_not_exists")) is True
        if st.table and not if_not_exists:
            self.rec.created.add(st.table)
        st.add(
            OpKind.CREATE_TABLE,
            if_not_exists=if_not_exists,
            table_columns=_table_columns(call, scope),
        )

    def add_column(self, call: ast.Call, scope: Scope, st: Statement, arg: _Arg) -> None:
        col = arg(1, "column")
        facts = _column_facts(col, scope)
        column = scope.string(col.args[0]) if isinstance(col, ast.Call) and col.args else None
        type_node = None
        if isinstance(col, ast.Call):
            type_node = col.args[1] if len(col.args) > 1 else _kw(col, "type_")
        st.add(
            OpKind.ADD_COLUMN,
            column,
            not_null=facts.not_null,
            has_default=facts.has_default,
            volatile_default=facts.volatile,
            # The column as added, so a later revision's alter_column can be compared with it.
            table_columns=(
                ColumnDef(
                    column,
                    _sa_type(type_node, scope),
                    not_null=facts.not_null,
                    default=_server_default(_kw(col, "server_default"), scope)
                    if isinstance(col, ast.Call)
                    else None,
                ),
            )
            if column
            else (),
        )
        if facts.fk:
            st.add(OpKind.ADD_FOREIGN_KEY, column, not_valid=False)
        if facts.index:
            st.add(OpKind.CREATE_INDEX, column, concurrently=False, unique=facts.unique)
        elif facts.unique:
            st.add(OpKind.ADD_UNIQUE, column, using_index=False)

    def alter_column(self, call: ast.Call, scope: Scope, st: Statement, arg: _Arg) -> None:
        column = scope.string(arg(1, "column_name"))
        nullable = scope.value(_kw(call, "nullable"))
        was = scope.value(_kw(call, "existing_nullable"))
        if nullable is False and was is not False:
            # Without `existing_nullable` the column may already be NOT NULL (PostgreSQL then
            # does nothing): the revisions before this one decide (alembic_chain.py).
            st.add(OpKind.SET_NOT_NULL, column, maybe=was is not True)
        if nullable is True and was is not True:
            st.add(OpKind.DROP_NOT_NULL, column)
        type_ = _kw(call, "type_")
        if type_ is not None:
            # `existing_type` is what the column was (Alembic's own argument for it).
            existing = _kw(call, "existing_type")
            st.add(
                OpKind.ALTER_TYPE,
                column,
                narrowing=True,
                to_type=_sa_type(type_, scope) or call_name(type_) or None,
                from_type=(_sa_type(existing, scope) or None) if existing is not None else None,
            )
        default = _kw(call, "server_default")
        if default is not None:
            # Alembic: `server_default=None` removes the default (False, the default, leaves it).
            value = scope.value(default)
            if value is None:
                st.add(OpKind.DROP_DEFAULT, column)
            elif value is not False:
                st.add(OpKind.SET_DEFAULT, column)
        new = scope.string(_kw(call, "new_column_name"))
        if new:
            st.add(OpKind.RENAME_COLUMN, column, new_name=new)

    def drop_column(self, call: ast.Call, scope: Scope, st: Statement, arg: _Arg) -> None:
        st.add(OpKind.DROP_COLUMN, scope.string(arg(1, "column_name")))

    def drop_table(self, call: ast.Call, scope: Scope, st: Statement, arg: _Arg) -> None:
        st.add(OpKind.DROP_TABLE)

    def rename_table(self, call: ast.Call, scope: Scope, st: Statement, arg: _Arg) -> None:
        st.add(OpKind.RENAME_TABLE, new_name=scope.string(arg(1, "new_table_name")))

    def create_index(self, call: ast.Call, scope: Scope, st: Statement, arg: _Arg) -> None:
        conc = scope.value(_kw(call, "postgresql_concurrently")) is True
        unique = scope.value(_kw(call, "unique")) is True
        st.add(OpKind.CREATE_INDEX, concurrently=conc, unique=unique)

    def drop_index(self, call: ast.Call, scope: Scope, st: Statement, arg: _Arg) -> None:
        conc = scope.value(_kw(call, "postgresql_concurrently")) is True
        st.add(OpKind.DROP_INDEX, concurrently=conc)

    def create_foreign_key(self, call: ast.Call, scope: Scope, st: Statement, arg: _Arg) -> None:
        st.add(OpKind.ADD_FOREIGN_KEY, not_valid=False)

    def create_unique(self, call: ast.Call, scope: Scope, st: Statement, arg: _Arg) -> None:
        st.add(OpKind.ADD_UNIQUE, using_index=False)

    def create_check(self, call: ast.Call, scope: Scope, st: Statement, arg: _Arg) -> None:
        st.add(OpKind.ADD_CHECK, not_valid=False)

    def create_primary_key(self, call: ast.Call, scope: Scope, st: Statement, arg: _Arg) -> None:
        st.add(OpKind.ADD_PRIMARY_KEY, using_index=False)

    def bulk_insert(self, call: ast.Call, scope: Scope, st: Statement, arg: _Arg) -> None:
        st.add(OpKind.BACKFILL)


def short_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return f"{func.value.id}.{func.attr}"
    return call_name(call) or "call"


def _is_get_bind(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and call_name(node) in ("get_bind", "connection")


_HANDLERS = {
    "create_table": _Reader.create_table,
    "add_column": _Reader.add_column,
    "alter_column": _Reader.alter_column,
    "drop_column": _Reader.drop_column,
    "drop_table": _Reader.drop_table,
    "rename_table": _Reader.rename_table,
    "create_index": _Reader.create_index,
    "drop_index": _Reader.drop_index,
    "create_foreign_key": _Reader.create_foreign_key,
    "create_unique_constraint": _Reader.create_unique,
    "create_check_constraint": _Reader.create_check,
    "create_primary_key": _Reader.create_primary_key,
    "bulk_insert": _Reader.bulk_insert,
}


def _function(tree: ast.Module, name: str) -> ast.FunctionDef | None:
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


def _drops_with_their_table(ops: list[Op]) -> list[Op]:
    """An index dropped right before its table is dropped goes with the table: one operation."""
    out: list[Op] = []
    for i, op in enumerate(ops):
        if (
            op.kind == OpKind.DROP_INDEX
            and op.table
            and any(o.kind == OpKind.DROP_TABLE and o.table == op.table for o in ops[i + 1 :])
        ):
            continue
        out.append(op)
    return out


def read(source: str) -> Reading:
    tree = pyast.parse(source)
    up = _function(tree, "upgrade")
    down = _function(tree, "downgrade")
    reversible = down is not None and not _empty(down)
    why = (
        ""
        if reversible
        else ("`downgrade()` is empty" if down is not None else "there is no `downgrade()`")
    )
    revision, parents, depends_on, labels = revision_links(tree)
    if up is None:
        return Reading(
            "alembic",
            (),
            reversible,
            why,
            ("no upgrade() function",),
            True,
            revision=revision,
            parents=parents,
            depends_on=depends_on,
            labels=labels,
        )
    reader = _Reader(source, tree)
    reader.block(up.body, reader.scope.child({}), _Where())
    ops = _drops_with_their_table(reader.rec.found)
    return Reading(
        "alembic",
        tuple(ops),
        reversible,
        why,
        tuple(reader.rec.notes),
        True,
        revision=revision,
        parents=parents,
        depends_on=depends_on,
        labels=labels,
    )


def revision_links(
    tree: ast.Module,
) -> tuple[str | None, tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """`revision`, `down_revision` (a string, a tuple of them for a merge, or None),
    `depends_on` and `branch_labels` (each a string, a tuple/list of them, or None), as the
    module assigns them literally (`revision: str = "…"` too)."""
    found: dict[str, ast.expr] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target, value = stmt.targets[0], stmt.value
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            target, value = stmt.target, stmt.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id in _REVISION_NAMES:
            found[target.id] = value
    rev = found.get("revision")
    revision = rev.value if isinstance(rev, ast.Constant) and isinstance(rev.value, str) else None

    def strings(name: str) -> tuple[str, ...]:
        node = found.get(name)
        elts = node.elts if isinstance(node, (ast.Tuple, ast.List)) else [node] if node else []
        return tuple(
            e.value for e in elts if isinstance(e, ast.Constant) and isinstance(e.value, str)
        )

    return revision, strings("down_revision"), strings("depends_on"), strings("branch_labels")


_REVISION_NAMES = frozenset({"revision", "down_revision", "depends_on", "branch_labels"})
