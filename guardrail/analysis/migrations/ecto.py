"""Ecto (Elixir) migrations, read from tree-sitter-elixir's syntax tree.

Understood: `def change`/`def up` with `create`/`create_if_not_exists`/`alter`/`drop`/
`drop_if_exists`/`rename` of `table(…)`, `index(…)`, `unique_index(…)` and `constraint(…)`;
`add`/`add_if_not_exists`/`remove`/`remove_if_exists`/`modify` (with and without `from:`)/
`timestamps` in `alter` blocks; `execute` with strings, heredocs (`\"\"\"…\"\"\"`) and sigils,
read by the SQL reader; `repo().update_all/delete_all` on a table name, a schema or a
`from(t in "table", where: …)` query, piped (`|>`) or passed; module attributes set to a
literal (`@prefix "legacy:"`, also interpolated in SQL); private helpers (`defp`) called from
the migration; `@disable_ddl_transaction true`. Anything else is reported, with its line.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from guardrail.analysis.migrations.grammar import (
    Dynamic,
    Recorder,
    Value,
    as_str,
    as_strs,
    line,
    parse,
    sql_default,
    sql_type,
    syntax_note,
    text,
    walk,
)
from guardrail.analysis.migrations.literals import Literals, Syntax, first_row
from guardrail.analysis.migrations.ops import ColumnDef, Framework, OpKind, Reading
from guardrail.analysis.migrations.postgres import type_change_rewrites

if TYPE_CHECKING:
    from tree_sitter import Node

FRAMEWORK = Framework(
    name="ecto",
    language="elixir",
    wraps_transaction=True,
    no_transaction=(
        "a migration with `@disable_ddl_transaction true` and `@disable_migration_lock true`"
    ),
    concurrent_index=(
        "`create index(:table, [:column], concurrently: true)` in a migration with "
        "`@disable_ddl_transaction true` and `@disable_migration_lock true`"
    ),
    drop_index=(
        "`drop index(:table, [:column], concurrently: true)` in a migration with "
        "`@disable_ddl_transaction true` and `@disable_migration_lock true`"
    ),
    lock_timeout="`execute \"SET lock_timeout = '5s'\"` at the start of `up`",
    batch=(
        "a loop over primary-key ranges with `@disable_ddl_transaction true` "
        "(or a separate data migration)"
    ),
    db_default="`default:`",
    raw_sql='`execute "{sql}"`',
)

_HARMLESS = frozenset(
    [
        "flush",
        "timestamps_type",
        "execute_file",
        "use",
        "import",
        "require",
        "alias",
        "comment",
        "create_constraint_if_not_exists",
    ]
)


@dataclass(frozen=True)
class _Call:
    node: Node
    name: str
    receiver: str | None
    args: list[Node]
    kwargs: dict[str, Value]
    block: Node | None


def _call(node: Node) -> _Call:
    target = node.child_by_field_name("target")
    name, receiver = "", None
    if target is not None and target.type == "identifier":
        name = text(target)
    elif target is not None and target.type == "dot":
        right, left = target.child_by_field_name("right"), target.child_by_field_name("left")
        name = text(right) if right is not None else ""
        receiver = text(left) if left is not None else None
    args: list[Node] = []
    kwargs: dict[str, Value] = {}
    block = None
    for c in node.named_children:
        if c.type == "arguments":
            for a in c.named_children:
                if a.type == "keywords":
                    kwargs.update(_keywords(a))
                elif a.type != "comment":
                    args.append(a)
        elif c.type == "do_block":
            block = c
    return _Call(node, name, receiver, args, kwargs, block)


def _keywords(node: Node) -> dict[str, Value]:
    out: dict[str, Value] = {}
    for pair in node.named_children:
        key, val = pair.child_by_field_name("key"), pair.child_by_field_name("value")
        if key is not None and val is not None:
            out[text(key).strip().rstrip(":").strip('"')] = value(val)
    return out


def _unescape(seq: str) -> str:
    return {"\\n": "\n", "\\t": "\t", '\\"': '"', "\\'": "'", "\\\\": "\\"}.get(seq, seq[1:])


_SYNTAX = Syntax(
    strings=frozenset({"quoted_atom", "string", "charlist"}),
    content=frozenset({"quoted_content"}),
    unescape=_unescape,
    interpolations=frozenset({"interpolation"}),
    integers=frozenset({"integer"}),
    integer=lambda digits: int(digits.replace("_", "")),
    constants={"nil": None},
    booleans=frozenset({"boolean"}),
    lists=frozenset({"list", "tuple"}),
)


# The module attributes of the file being read (`@prefix "legacy:"`): name -> literal value.
_ATTRIBUTES: ContextVar[Mapping[str, Value] | None] = ContextVar("ecto_attributes", default=None)


def _attribute_name(node: Node) -> str | None:
    """`prefix` of a module attribute read, `@prefix`."""
    operand = node.child_by_field_name("operand")
    at = node.type == "unary_operator" and text(node).startswith("@")
    return text(operand) if at and operand is not None and operand.type == "identifier" else None


def _attributes(root: Node) -> dict[str, Value]:
    """The module attributes set once, to a literal string or integer, in the module's body
    (`@legacy_vin_prefix "__legacy_null_vin__:"`). One set twice, or to anything else, is left
    out: a read of it stays run-time."""
    seen: dict[str, Value] = {}
    twice: set[str] = set()
    for node in walk(root):
        operand = node.child_by_field_name("operand") if node.type == "unary_operator" else None
        if operand is None or operand.type != "call" or not text(node).startswith("@"):
            continue
        c = _call(operand)
        if c.receiver is not None or not c.name or len(c.args) != 1 or c.kwargs or c.block:
            continue
        v = value(c.args[0])
        if c.name in seen:
            twice.add(c.name)
        seen[c.name] = v
    return {
        k: v
        for k, v in seen.items()
        if k not in twice and isinstance(v, (str, int)) and not isinstance(v, bool)
    }


class _Literals(Literals):
    """Elixir's: atoms, `~s` sigils, module attributes set to a literal, and keyword lists
    inside lists and tuples."""

    def value(self, node: Node) -> Value:
        if node.type == "atom":
            return text(node)[1:]
        attribute = _attribute_name(node)
        if attribute is not None:
            known = _ATTRIBUTES.get() or {}
            return known[attribute] if attribute in known else Dynamic(text(node))
        if node.type == "sigil":
            name = node.child_by_field_name("sigil_name") or next(
                (c for c in node.named_children if c.type == "sigil_name"), None
            )
            if name is None or text(name) not in ("s", "S"):
                return Dynamic(text(node))
            return self.string(node)
        return super().value(node)

    def item(self, node: Node) -> Value:
        return _keywords(node) if node.type == "keywords" else self.value(node)

    def interpolation(self, node: Node) -> str | None:
        """`#{@prefix}` where the module says `@prefix "legacy:"`: its literal value."""
        inner = [c for c in node.named_children if c.type != "comment"]
        if len(inner) == 1 and _attribute_name(inner[0]) is not None:
            v = self.value(inner[0])
            if isinstance(v, (str, int)):
                return str(v)  # only strings and integers are kept (_attributes)
        return None


value = _Literals(_SYNTAX).value


def _first_row(node: Node) -> int:
    return first_row(node, _SYNTAX.content)


@dataclass(frozen=True)
class _Where:
    section: str
    table: str | None = None  # inside `alter table(:t) do … end`
    creating: bool = False


class _Reader:
    def __init__(self, source: str) -> None:
        self.rec = Recorder(source, "ecto")
        self.helpers: dict[str, Node] = {}
        self.visiting: set[str] = set()
        self.irreversible = ""
        # (table, column) -> (type, null) as `def down` modifies them back.
        self.restores: dict[tuple[str | None, str | None], tuple[str | None, bool | None]] = {}

    def visit(self, node: Node, where: _Where) -> None:
        if node.type == "call":
            self.on_call(_call(node), where)
            return
        if node.type == "binary_operator" and self.piped_repo_call(node):
            return
        if node.type == "identifier" and text(node) in self.helpers:
            self.helper(text(node), where)
            return
        if node.type in ("comment", "anonymous_function"):
            return
        for c in node.named_children:
            self.visit(c, where)

    def body(self, block: Node | None, where: _Where) -> None:
        if block is None:
            return
        for c in block.named_children:
            self.visit(c, where)

    def helper(self, name: str, where: _Where) -> None:
        if name in self.visiting:
            return
        self.visiting.add(name)
        fn = _call(self.helpers[name])
        self.body(fn.block, where)
        inline = fn.kwargs.get("do")
        if inline is not None or fn.block is None:
            for k in _keyword_lists(self.helpers[name]):
                self.visit(k, where)
        self.visiting.discard(name)

    def on_call(self, c: _Call, where: _Where) -> None:
        if c.receiver is None and c.name in self.helpers:
            self.helper(c.name, where)
            return
        if c.receiver is not None:
            if c.name in _REPO_ROW_CHANGES and c.args:
                self.repo_rows(c, c.args[0], c.args[1:], c.node)
                return
            if c.name in _REPO_ROW_CHANGES:
                self.rec.add(c.node, _REPO_ROW_CHANGES[c.name], None, batched=False)
            elif (c.name == "query!" or c.name == "query") and c.receiver.endswith("SQL"):
                # `Ecto.Adapters.SQL.query!(Repo, sql, params)`: the SQL follows the repo.
                self.execute(replace(c, args=c.args[1:]), where, from_repo=True)
            elif c.name == "query!" or c.name == "query":
                self.execute(c, where, from_repo=True)
            elif c.receiver in ("Ecto.Migration",) and c.name == "execute":
                self.execute(c, where)
            for a in c.args:
                self.visit(a, where)
            self.body(c.block, where)
            return
        handler = _HANDLERS.get(c.name)
        if handler is not None:
            handler(self, c, where)
        elif c.name not in _HARMLESS:
            self.rec.unknown(c.node, f"`{c.name}` is not an Ecto migration command guardrail knows")

    def piped_repo_call(self, node: Node) -> bool:
        """`from(t in "trips", where: …) |> where(…) |> Repo.update_all([])`: the pipe's first
        stage is the query `update_all`/`delete_all` runs on. False: not such a pipe."""
        stages: list[Node] = []
        at: Node | None = node
        while at is not None and at.type == "binary_operator" and _operator(at) == "|>":
            right = at.child_by_field_name("right")
            if right is None:
                return False
            stages.insert(0, right)
            at = at.child_by_field_name("left")
        if at is None or not stages or stages[-1].type != "call":
            return False
        last = _call(stages[-1])
        if last.receiver is None:
            return False
        if last.name in _REPO_READS and _query_source(at) != (None, None, False):
            return True  # `from(s in "settings", select: …) |> Repo.all()` reads rows
        if last.name not in _REPO_ROW_CHANGES:
            return False
        self.repo_rows(last, at, stages[:-1], node)
        return True

    def repo_rows(self, c: _Call, query: Node, more: list[Node], at: Node) -> None:
        """`Repo.update_all(query, …)`/`delete_all(query)`: rows of the query's table change. The
        table is a literal source (`"trips"`, `from(t in "trips", …)`); a schema module's table is
        not known (named instead). A `where` (keyword or piped stage) limits the rows, read as
        SQL's UPDATE … WHERE is (sql.py); `Repo.update_all` with `set:` and no query filter
        changes every row."""
        table, model, filtered = _query_source(query)
        for stage in more:
            if stage.type == "call" and _call(stage).name == "where":
                filtered = True
        kind = _REPO_ROW_CHANGES[c.name]
        if kind == OpKind.DELETE_ROWS:
            self.rec.add(at, kind, table, name=model)
        else:
            self.rec.add(at, kind, table, batched=filtered, name=model)

    def execute(self, c: _Call, where: _Where, *, from_repo: bool = False) -> None:
        if not c.args:
            self.rec.unknown(c.node, "`execute` without an argument")
            return
        sql = value(c.args[0])
        self.rec.sql(c.node, sql if isinstance(sql, str) else None, _first_row(c.args[0]))
        if where.section == "change" and len(c.args) < 2 and not from_repo:
            self.irreversible = self.irreversible or "`execute/1` in `change` cannot be reversed"

    # -- inside `alter table(:t) do … end` ------------------------------------------------------

    def column_call(self, c: _Call, where: _Where) -> None:
        table = where.table
        col = as_str(value(c.args[0])) if c.args else None
        if c.name in ("add", "add_if_not_exists"):
            if where.creating:
                if col:
                    self.rec.define(table, _ecto_defined(c, col))
                return
            typ = c.args[1] if len(c.args) > 1 else None
            default = c.kwargs.get("default")
            self.rec.add(
                c.node,
                OpKind.ADD_COLUMN,
                table,
                col,
                not_null=c.kwargs.get("null") is False or c.kwargs.get("primary_key") is True,
                has_default="default" in c.kwargs and default is not None,
                volatile_default=isinstance(default, Dynamic)
                and any(w in default.text.lower() for w in ("random", "uuid", "nextval")),
                if_not_exists=c.name == "add_if_not_exists",
                table_columns=(_ecto_defined(c, col),) if col else (),
                # `add_if_not_exists`: ADD COLUMN IF NOT EXISTS, nothing where it exists.
                only_without=(table, col)
                if c.name == "add_if_not_exists" and table and col
                else self.rec.only_without,
            )
            if typ is not None and typ.type == "call" and _call(typ).name == "references":
                ref = _call(typ)
                self.rec.add(
                    c.node,
                    OpKind.ADD_FOREIGN_KEY,
                    table,
                    col,
                    not_valid=ref.kwargs.get("validate") is False,
                )
        elif c.name in ("remove", "remove_if_exists"):
            if where.creating:
                return
            self.rec.add(c.node, OpKind.DROP_COLUMN, table, col)
            if where.section == "change" and len(c.args) < 2 and c.name == "remove":
                self.irreversible = self.irreversible or "`remove` in `change` has no column type"
        elif c.name == "modify":
            if where.creating:
                return
            self.modify(c, table, col)
        elif c.name == "timestamps":
            if where.creating:
                stamp = _ecto_pg(as_str(c.kwargs.get("type")) or "naive_datetime", {}) or ""
                null = c.kwargs.get("null") is True
                for name in ("inserted_at", "updated_at"):
                    self.rec.define(table, ColumnDef(name, stamp, not null))
                return
            for name in ("inserted_at", "updated_at"):
                self.rec.add(
                    c.node,
                    OpKind.ADD_COLUMN,
                    table,
                    name,
                    not_null=c.kwargs.get("null") is not True,
                    has_default="default" in c.kwargs,
                )
        else:
            self.on_call(c, where)

    def modify(self, c: _Call, table: str | None, col: str | None) -> None:
        """`modify :c, :type, null: false, from: {:old_type, null: true}`."""
        new_type = _type_name(c.args[1]) if len(c.args) > 1 else None
        frm = c.kwargs.get("from", _MISSING)
        before_type, before_null, opts = _from(c, frm)
        known = frm is not _MISSING
        restored = self.restores.get((table, col))
        if not known and restored is not None:
            # `def down` modifies it back: that is what it was.
            known, (before_type, before_null) = True, restored
        if known and before_type is not None and new_type is not None:
            # Compared as PostgreSQL stores them: `:string` -> `:text` is varchar(255) -> text,
            # which keeps the table (it still queues for ACCESS EXCLUSIVE, as GR226 says).
            # ecto_sql writes `ALTER COLUMN … TYPE` for every `modify`, the same type included:
            # the op stays (with both types) so the lock rules see it. A `def down` gives no
            # size or precision, so the same type restored from it is not compared.
            old_pg = _ecto_pg(before_type, opts)
            new_pg = _ecto_pg(new_type, c.kwargs)
            if frm is _MISSING and before_type == new_type:
                # The same type (a reference restated with another `on_delete:` too): still
                # ALTER COLUMN … TYPE, so the lock rules see it, but not a type change.
                same = new_pg or new_type
                self.rec.add(
                    c.node, OpKind.ALTER_TYPE, table, col, to_type=same, from_type=same, value=same
                )
            elif old_pg and new_pg:
                rewrites = False if old_pg == new_pg else type_change_rewrites(old_pg, new_pg)
                self.rec.add(
                    c.node,
                    OpKind.ALTER_TYPE,
                    table,
                    col,
                    narrowing=rewrites is not False,
                    to_type=new_pg,
                    from_type=old_pg,
                    value=new_pg,
                )
            elif (
                before_type != new_type and type_change_rewrites(before_type, new_type) is not False
            ):
                self.rec.add(
                    c.node, OpKind.ALTER_TYPE, table, col, narrowing=True, to_type=new_type
                )
        else:
            # As PostgreSQL names it where known, so an earlier migration's column compares.
            pg = _ecto_pg(new_type, c.kwargs) if new_type else None
            self.rec.add(c.node, OpKind.ALTER_TYPE, table, col, to_type=pg or new_type, maybe=True)
        null = c.kwargs.get("null")
        if null is False:
            if before_null is True:
                self.rec.add(c.node, OpKind.SET_NOT_NULL, table, col)
            elif before_null is None:
                self.rec.add(c.node, OpKind.SET_NOT_NULL, table, col, maybe=True)
        elif null is True and before_null is False:
            self.rec.add(c.node, OpKind.DROP_NOT_NULL, table, col)
        typ = c.args[1] if len(c.args) > 1 else None
        if typ is not None and typ.type == "call" and _call(typ).name == "references":
            # Ecto drops and adds the foreign key constraint again: it validates every row.
            ref = _call(typ)
            self.rec.add(
                c.node,
                OpKind.ADD_FOREIGN_KEY,
                table,
                col,
                not_valid=ref.kwargs.get("validate") is False,
            )


_MISSING = Dynamic("")


def _ecto_pg(name: str | None, kw: dict[str, Value]) -> str | None:
    """`:string, size: 40` -> `varchar(40)`, `:decimal, precision: 10, scale: 2` ->
    `numeric(10,2)`, `:utc_datetime_usec, precision: 3` -> `timestamp(3)`, as ecto_sql's
    `column_type_name` writes them (grammar.sql_type's Ecto table); None for a type it does
    not know."""
    if name and name.startswith("{:array, ") and name.endswith("}"):
        # ecto_sql's column_type({:array, type}, opts): the inner type with the options, and [].
        inner = _ecto_pg(name[len("{:array, ") : -1].removeprefix(":"), kw)
        return f"{inner}[]" if inner else None
    size, precision, scale = kw.get("size"), kw.get("precision"), kw.get("scale")
    size = size if isinstance(size, int) and not isinstance(size, bool) else None
    precision = (
        precision if isinstance(precision, int) and not isinstance(precision, bool) else None
    )
    base = sql_type(name, size, precision, scale if isinstance(scale, int) else 0, "ecto")
    if base in ("timestamp", "time") and name and name.endswith("_usec") and precision:
        return f"{base}({precision})"
    return base


def _ecto_defined(c: _Call, col: str) -> ColumnDef:
    """One `add` of a `create table` block: PostgreSQL's type, NOT NULL with `null: false` or
    `primary_key: true`, the default."""
    typ_node = c.args[1] if len(c.args) > 1 else None
    written = value(typ_node) if typ_node is not None else None
    typ: str | None = None
    if typ_node is not None and typ_node.type == "call" and _call(typ_node).name == "references":
        ref_type = _call(typ_node).kwargs.get("type")
        typ = _ecto_pg(as_str(ref_type) or "bigserial", {})  # references' default
    elif isinstance(written, list) and len(written) == 2 and written[0] == "array":
        inner = _ecto_pg(as_str(written[1]), c.kwargs)
        typ = f"{inner}[]" if inner else None
    elif isinstance(written, str):
        typ = _ecto_pg(written, c.kwargs) or written.lower()
    primary = c.kwargs.get("primary_key") is True
    default: str | None = None
    if "default" in c.kwargs and c.kwargs["default"] is not None:
        default = sql_default(c.kwargs["default"])
    not_null = primary or c.kwargs.get("null") is False
    return ColumnDef(col, typ or "", not_null, default, primary)


# ecto_sql's reference_column_type (5e45b435, adapters/postgres/connection.ex).
_REFERENCE_COLUMN = {"serial": "integer", "bigserial": "bigint", "identity": "bigint"}


def _from(c: _Call, frm: Value) -> tuple[str | None, bool | None, dict[str, Value]]:
    """What `modify`'s `from:` says the column was: (type, null, its options such as size and
    precision). `from: {:type, null: true}` or `from: :type`; `references(…)` is its column's
    type."""
    if frm is _MISSING:
        return None, None, {}
    before_type: str | None = None
    before_null: bool | None = None
    opts: dict[str, Value] = {}
    if _array(frm):  # `from: {:array, :string}` is the type itself, with no options
        before_type = _value_type(frm)
    elif isinstance(frm, list) and frm:  # {:type, null: true}
        before_type = _value_type(frm[0])
        opts = frm[1] if len(frm) > 1 and isinstance(frm[1], dict) else {}
        was_null = opts.get("null")
        before_null = was_null if isinstance(was_null, bool) else None
    else:
        before_type = _value_type(frm)
    node = _keyword_node(c, "from")
    if node is not None and node.type == "tuple" and node.named_children:
        node = node.named_children[0]
    if node is not None and node.type == "call":
        before_type = _type_name(node)
    return before_type, before_null, opts


def _keyword_lists(node: Node) -> list[Node]:
    """The `keywords` nodes of a call's arguments (`add :x, :int, null: false` has one)."""
    return [
        k
        for a in node.named_children
        if a.type == "arguments"
        for k in a.named_children
        if k.type == "keywords"
    ]


def _keyword_node(c: _Call, key: str) -> Node | None:
    """The node of keyword argument `key:` of a call (its value as written)."""
    for k in _keyword_lists(c.node):
        for pair in k.named_children:
            name, val = pair.child_by_field_name("key"), pair.child_by_field_name("value")
            if name is not None and text(name).strip().rstrip(":") == key:
                return val
    return None


def _type_name(node: Node) -> str | None:
    if node.type == "call":
        c = _call(node)
        if c.name != "references" or c.receiver is not None:
            return text(node)
        # The column's type is the reference's `type:` (on_delete and the rest belong to the
        # constraint). Without `type:` it is the repo's configured default (`:bigserial`
        # unless `migration_foreign_key` says otherwise): the same as another reference's
        # default, but not a type guardrail can name.
        typ = as_str(c.kwargs.get("type"))
        return _REFERENCE_COLUMN.get(typ, typ) if typ else "references"
    return _value_type(value(node))


def _array(v: object) -> bool:
    """`{:array, inner}`: ecto_sql's runner reads a `from:` tuple as `{type, options}` only when
    its second element is a list (Ecto.Migration.Runner.table_reverse), so this is a type."""
    return isinstance(v, list) and len(v) == 2 and v[0] == "array" and not isinstance(v[1], dict)


def _value_type(v: Value) -> str | None:
    """An Ecto type as written: `string`, `{:array, :string}` (nested arrays too)."""
    if isinstance(v, str):
        return v
    if isinstance(v, Dynamic):
        return v.text
    if _array(v):
        assert isinstance(v, list)
        inner = _value_type(v[1])
        if inner is None:
            return None
        return f"{{:array, {inner if inner.startswith('{') else ':' + inner}}}"
    return None


_REPO_ROW_CHANGES = {"update_all": OpKind.BACKFILL, "delete_all": OpKind.DELETE_ROWS}
# Repo functions that only read what a query selects.
_REPO_READS = frozenset({"all", "one", "one!", "exists?", "aggregate", "stream"})


def _operator(node: Node) -> str:
    op = node.child_by_field_name("operator")
    return text(op) if op is not None else ""


def _query_source(node: Node) -> tuple[str | None, str | None, bool]:
    """(table, schema module, filtered) of an Ecto query: `"trips"`, `Trip`, or
    `from(t in "trips", where: …)` (its source and whether it has a `where:`)."""
    if node.type == "call":
        c = _call(node)
        if c.name != "from" or c.receiver is not None or not c.args:
            return None, None, False
        source = c.args[0]
        if source.type == "binary_operator" and _operator(source) == "in":
            source = source.child_by_field_name("right") or source
        table, model, _ = _query_source(source)
        return table, model, "where" in c.kwargs
    if node.type == "alias":
        return None, text(node).rsplit(".", 1)[-1].lower(), False
    v = value(node)
    return (v, None, False) if isinstance(v, str) else (None, None, False)


def _subject(c: _Call) -> tuple[str, list[Node], dict[str, Value]]:
    """`create index(:t, [:c], unique: true)` -> ("index", [args], {unique: true})."""
    if not c.args or c.args[0].type != "call":
        return "", [], {}
    inner = _call(c.args[0])
    return inner.name, inner.args, inner.kwargs


def _create(r: _Reader, c: _Call, w: _Where) -> None:
    kind, args, kw = _subject(c)
    table = as_str(value(args[0])) if args else None
    if kind == "table":
        if table:
            r.rec.created.add(table)
        r.rec.add(c.node, OpKind.CREATE_TABLE, table)
        if kw.get("primary_key", True) is not False:
            # Ecto's default primary key: `id bigserial PRIMARY KEY`.
            r.rec.define(table, ColumnDef("id", "bigint", True, "nextval(…)", True))
        r.body(c.block, replace(w, table=table, creating=True))
    elif kind in ("index", "unique_index"):
        cols = as_strs(value(args[1])) if len(args) > 1 else []
        r.rec.add(
            c.node,
            OpKind.CREATE_INDEX,
            table,
            cols[0] if len(cols) == 1 else None,
            concurrently=kw.get("concurrently") is True,
            unique=kind == "unique_index" or kw.get("unique") is True,
        )
    elif kind == "constraint":
        if "check" in kw:
            r.rec.add(c.node, OpKind.ADD_CHECK, table, not_valid=kw.get("validate") is False)
        elif "exclude" not in kw:
            r.rec.unknown(c.node, "`create constraint` without `check:` or `exclude:`")
    else:
        r.rec.unknown(c.node, f"`{c.name}` of something other than a table, index or constraint")


def _alter(r: _Reader, c: _Call, w: _Where) -> None:
    kind, args, _ = _subject(c)
    table = as_str(value(args[0])) if args else None
    if kind != "table":
        r.rec.unknown(c.node, "`alter` of something other than `table(…)`")
        return
    inner = replace(w, table=table, creating=table in r.rec.created)
    for stmt in c.block.named_children if c.block is not None else []:
        if stmt.type == "call":
            r.column_call(_call(stmt), inner)
        else:
            r.visit(stmt, inner)


def _drop(r: _Reader, c: _Call, w: _Where) -> None:
    kind, args, kw = _subject(c)
    table = as_str(value(args[0])) if args else None
    if kind == "table":
        r.rec.add(c.node, OpKind.DROP_TABLE, table)
    elif kind in ("index", "unique_index"):
        r.rec.add(c.node, OpKind.DROP_INDEX, table, concurrently=kw.get("concurrently") is True)
    elif kind != "constraint":
        r.rec.unknown(c.node, f"`{c.name}` of something other than a table, index or constraint")


def _rename(r: _Reader, c: _Call, w: _Where) -> None:
    kind, args, _ = _subject(c)
    table = as_str(value(args[0])) if args else None
    to = c.kwargs.get("to")
    if kind == "table" and len(c.args) == 1:
        new = None
        if isinstance(to, Dynamic):
            new = to.text
        r.rec.add(c.node, OpKind.RENAME_TABLE, table, new_name=_table_call_name(c) or new)
    elif kind == "table" and len(c.args) >= 2:
        old = as_str(value(c.args[1]))
        r.rec.add(c.node, OpKind.RENAME_COLUMN, table, old, new_name=as_str(to))
    else:
        r.rec.unknown(c.node, "`rename` not of a table or a column")


def _table_call_name(c: _Call) -> str | None:
    for k in _keyword_lists(c.node):
        for pair in k.named_children:
            v = pair.child_by_field_name("value")
            if v is not None and v.type == "call":
                inner = _call(v)
                if inner.name == "table" and inner.args:
                    return as_str(value(inner.args[0]))
    return None


def _execute(r: _Reader, c: _Call, w: _Where) -> None:
    r.execute(c, w)


def _alter_column_outside(r: _Reader, c: _Call, w: _Where) -> None:
    if w.table is None:
        r.rec.unknown(c.node, f"`{c.name}` outside `alter table(…)`")
    else:
        r.column_call(c, w)


_HANDLERS = {
    "create": _create,
    "create_if_not_exists": _create,
    "alter": _alter,
    "drop": _drop,
    "drop_if_exists": _drop,
    "rename": _rename,
    "execute": _execute,
    "add": _alter_column_outside,
    "add_if_not_exists": _alter_column_outside,
    "remove": _alter_column_outside,
    "remove_if_exists": _alter_column_outside,
    "modify": _alter_column_outside,
    "timestamps": _alter_column_outside,
}


def _restores(down: Node) -> dict[tuple[str | None, str | None], tuple[str | None, bool | None]]:
    """How `def down` modifies columns back, i.e. what they were before `up`."""
    out: dict[tuple[str | None, str | None], tuple[str | None, bool | None]] = {}
    for node in walk(down):
        if node.type != "call":
            continue
        c = _call(node)
        if c.name != "alter" or c.block is None:
            continue
        kind, args, _ = _subject(c)
        table = as_str(value(args[0])) if kind == "table" and args else None
        for stmt in c.block.named_children:
            m = _call(stmt) if stmt.type == "call" else None
            if m is None or m.name != "modify" or not m.args:
                continue
            null = m.kwargs.get("null")
            out[(table, as_str(value(m.args[0])))] = (
                _type_name(m.args[1]) if len(m.args) > 1 else None,
                null if isinstance(null, bool) else None,
            )
    return out


def read(source: str) -> Reading:
    root = parse("elixir", source)
    token = _ATTRIBUTES.set(_attributes(root))
    try:
        return _read(source, root)
    finally:
        _ATTRIBUTES.reset(token)


def _read(source: str, root: Node) -> Reading:
    r = _Reader(source)
    note = syntax_note(root, "Elixir")
    if note is not None:
        r.rec.notes.append(note)
    defs: dict[str, Node] = {}
    for node in walk(root):
        if node.type == "unary_operator" and text(node).startswith("@disable_ddl_transaction"):
            operand = node.child_by_field_name("operand")
            if operand is not None and "true" in text(operand):
                r.rec.in_transaction = False
        if node.type != "call":
            continue
        c = _call(node)
        if c.name in ("def", "defp") and c.args:
            head = c.args[0]
            head_name = _call(head).name if head.type == "call" else text(head)
            defs.setdefault(head_name, node)
    r.helpers = {k: v for k, v in defs.items() if k not in ("change", "up", "down")}
    if "down" in defs:
        r.restores = _restores(defs["down"])
    found = False
    for section in ("change", "up"):
        if section in defs:
            found = True
            fn = _call(defs[section])
            r.body(fn.block, _Where(section))
            for k in _keyword_lists(defs[section]):
                r.visit(k, _Where(section))
    if not found:
        r.rec.notes.append(f"line {line(root)}: no `change` or `up` function was found")
    if "up" in defs and "down" not in defs:
        r.irreversible = r.irreversible or "`def up` has no `def down`"
    return r.rec.reading(not r.irreversible, r.irreversible)
