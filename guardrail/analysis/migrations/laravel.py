"""Laravel migrations, read from tree-sitter-php's syntax tree.

Understood: `Schema::create/table/drop/dropIfExists/rename/dropColumns` (also after
`Schema::connection(…)`), the Blueprint calls in their closures with chained modifiers
(`$table->string('x')->nullable(false)->change()`, `->index()`, `->unique()`, `->constrained()`),
`$table->dropColumn/dropPrimary/renameColumn/…`, `DB::statement`/`DB::unprepared` with SQL
(strings, heredocs, literal concatenations) read by the SQL reader, query-builder data changes
(`DB::table('t')->update(…)`, `->chunkById(…)`), helper methods called as `$this->helper()`,
and `public $withinTransaction = false`. Anything else is reported, with its line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from guardrail.analysis.migrations.grammar import (
    Dynamic,
    Recorder,
    Value,
    as_str,
    as_strs,
    parse,
    sql_default,
    sql_type,
    syntax_note,
    text,
    type_changes,
    walk,
)
from guardrail.analysis.migrations.literals import Literals, Syntax, first_row
from guardrail.analysis.migrations.ops import ColumnDef, Framework, OpKind, Reading

if TYPE_CHECKING:
    from tree_sitter import Node

FRAMEWORK = Framework(
    name="laravel",
    language="php",
    wraps_transaction=True,
    no_transaction="a migration with `public $withinTransaction = false;` and `DB::statement(...)`",
    concurrent_index=(
        "`DB::statement('CREATE INDEX CONCURRENTLY … ON … (…)')` in a migration with "
        "`public $withinTransaction = false;` (Laravel has no CONCURRENTLY helper)"
    ),
    drop_index=(
        "`DB::statement('DROP INDEX CONCURRENTLY …')` in a migration with "
        "`public $withinTransaction = false;` (Laravel has no CONCURRENTLY helper)"
    ),
    lock_timeout="`DB::statement(\"SET lock_timeout = '5s'\")` at the start of `up()`",
    batch=(
        "`DB::table(...)->chunkById(1000, ...)` in a migration with "
        "`public $withinTransaction = false;`"
    ),
    db_default="`->default(…)`",
    raw_sql="`DB::statement('{sql}')`",
)

_TYPES = frozenset(
    [
        "bigInteger",
        "binary",
        "boolean",
        "char",
        "date",
        "dateTime",
        "dateTimeTz",
        "decimal",
        "double",
        "enum",
        "float",
        "foreignId",
        "foreignIdFor",
        "foreignUlid",
        "foreignUuid",
        "geography",
        "geometry",
        "integer",
        "ipAddress",
        "json",
        "jsonb",
        "longText",
        "macAddress",
        "mediumInteger",
        "mediumText",
        "set",
        "smallInteger",
        "string",
        "text",
        "time",
        "timeTz",
        "timestamp",
        "timestampTz",
        "tinyInteger",
        "tinyText",
        "unsignedBigInteger",
        "unsignedDecimal",
        "unsignedInteger",
        "unsignedMediumInteger",
        "unsignedSmallInteger",
        "unsignedTinyInteger",
        "ulid",
        "uuid",
        "vector",
        "year",
    ]
)
# Auto-incrementing columns: a default computed per row (a sequence), so adding one rewrites.
_SERIAL = frozenset(
    ["id", "increments", "bigIncrements", "mediumIncrements", "smallIncrements", "tinyIncrements"]
)
# Column helpers that add nullable columns with fixed names.
_NULLABLE_HELPERS = {
    "timestamps": ("created_at", "updated_at"),
    "timestampsTz": ("created_at", "updated_at"),
    "nullableTimestamps": ("created_at", "updated_at"),
    "softDeletes": ("deleted_at",),
    "softDeletesTz": ("deleted_at",),
    "rememberToken": ("remember_token",),
}
_DROP_HELPERS = {
    "dropTimestamps": ("created_at", "updated_at"),
    "dropTimestampsTz": ("created_at", "updated_at"),
    "dropSoftDeletes": ("deleted_at",),
    "dropSoftDeletesTz": ("deleted_at",),
    "dropRememberToken": ("remember_token",),
}
_HARMLESS_BLUEPRINT = frozenset(
    [
        "comment",
        "charset",
        "collation",
        "engine",
        "temporary",
        "dropForeign",
        "renameIndex",
        "dropFullText",
        "dropSpatialIndex",
    ]
)
_HARMLESS_SCHEMA = frozenset(
    [
        "hasTable",
        "hasColumn",
        "hasColumns",
        "hasIndex",
        "getColumnListing",
        "getColumnType",
        "getTables",
        "disableForeignKeyConstraints",
        "enableForeignKeyConstraints",
        "defaultStringLength",
        "getConnection",
        "createDatabase",
    ]
)
_DATA_WRITES = frozenset({"update", "increment", "decrement", "upsert", "updateOrInsert", "save"})
_DATA_DELETES = frozenset({"delete", "forceDelete", "truncate"})
_BATCHES = frozenset({"chunk", "chunkById", "each", "eachById", "lazy", "lazyById", "cursor"})
_CALLS = ("member_call_expression", "scoped_call_expression", "nullsafe_member_call_expression")


@dataclass(frozen=True)
class _Link:
    node: Node  # the call expression ending with this link
    name: str
    args: list[Node]


def _chain(node: Node) -> tuple[Node, list[_Link]]:
    """`$table->string('x')->nullable()` -> ($table, [string('x'), nullable()])."""
    links: list[_Link] = []
    cur = node
    while cur.type in _CALLS:
        name = cur.child_by_field_name("name")
        arguments = cur.child_by_field_name("arguments")
        args = [
            a.named_children[-1] if a.type == "argument" and a.named_children else a
            for a in (arguments.named_children if arguments is not None else [])
        ]
        links.append(_Link(cur, text(name) if name is not None else "", args))
        nxt = cur.child_by_field_name("object") or cur.child_by_field_name("scope")
        if nxt is None:
            break
        cur = nxt
    links.reverse()
    return cur, links


def _unescape(seq: str) -> str:
    return {"\\n": "\n", "\\t": "\t", '\\"': '"', "\\'": "'", "\\\\": "\\", "\\$": "$"}.get(
        seq, seq
    )


_SYNTAX = Syntax(
    strings=frozenset({"string", "encapsed_string", "heredoc", "nowdoc"}),
    content=frozenset({"string_content", "string_value", "nowdoc_string"}),
    unescape=_unescape,
    interpolations=frozenset(
        {"variable_name", "member_access_expression", "dynamic_variable_name"}
    ),
    deep=True,
    integers=frozenset({"integer"}),
    constants={"null": None},
    booleans=frozenset({"boolean"}),
    concat=".",
)


class _Literals(Literals):
    """PHP's: an argument is its expression, and an array is a list or a map."""

    def value(self, node: Node) -> Value:
        if node.type == "argument" and node.named_children:
            return self.value(node.named_children[-1])
        if node.type == "array_creation_expression":
            return self.array(node)
        return super().value(node)

    def array(self, node: Node) -> Value:
        items = [c for c in node.named_children if c.type == "array_element_initializer"]
        if any(len(c.named_children) == 2 for c in items):
            out: dict[str, Value] = {}
            for c in items:
                if len(c.named_children) == 2:
                    k = self.value(c.named_children[0])
                    out[k if isinstance(k, str) else text(c.named_children[0])] = self.value(
                        c.named_children[1]
                    )
            return out
        return [self.value(c.named_children[0]) for c in items if c.named_children]


value = _Literals(_SYNTAX).value


def _bare(node: Node | None) -> Node | None:
    """The expression inside parentheses."""
    while node is not None and node.type == "parenthesized_expression" and node.named_children:
        node = node.named_children[0]
    return node


def _first_row(node: Node) -> int:
    """The file row where the text of a string argument starts (a heredoc's body)."""
    return first_row(node, _SYNTAX.content)


@dataclass(frozen=True)
class _Where:
    table_var: str | None = None
    table: str | None = None
    creating: bool = False
    batched: bool = False


_MORPHS = frozenset({"morphs", "nullableMorphs", "uuidMorphs", "ulidMorphs"})
_DROPS = frozenset({"dropColumn", "dropColumns", "removeColumn", "dropMorphs"})
_COLUMN_SETS = _MORPHS | _DROPS | frozenset(_NULLABLE_HELPERS) | frozenset(_DROP_HELPERS)
# Blueprint methods that are one operation: method -> (kind, its column: the one listed in its
# arguments, the first argument, or none).
_BLUEPRINT_ONE_OP: dict[str, tuple[OpKind, str]] = {
    "dropConstrainedForeignId": (OpKind.DROP_COLUMN, "first"),
    "dropConstrainedForeignIdFor": (OpKind.DROP_COLUMN, "first"),
    "index": (OpKind.CREATE_INDEX, "listed"),
    "fullText": (OpKind.CREATE_INDEX, "listed"),
    "spatialIndex": (OpKind.CREATE_INDEX, "listed"),
    "rawIndex": (OpKind.CREATE_INDEX, "listed"),
    "unique": (OpKind.ADD_UNIQUE, "listed"),
    "primary": (OpKind.ADD_PRIMARY_KEY, "listed"),
    "foreign": (OpKind.ADD_FOREIGN_KEY, "first"),
    "dropIndex": (OpKind.DROP_INDEX, "none"),
    "dropUnique": (OpKind.DROP_INDEX, "none"),
    "drop": (OpKind.DROP_TABLE, "none"),
    "dropIfExists": (OpKind.DROP_TABLE, "none"),
}


class _Reader:
    def __init__(self, source: str) -> None:
        self.rec = Recorder(source, "laravel")
        self.helpers: dict[str, Node] = {}
        self.visiting: set[str] = set()
        # (table, column) -> (SQL type, nullable) as `down()` changes them back.
        self.restored: dict[tuple[str | None, str | None], tuple[str | None, bool]] = {}

    def visit(self, node: Node, where: _Where) -> None:
        if node.type in _CALLS:
            self.on_chain(node, where)
            return
        if node.type in ("comment", "anonymous_function", "arrow_function"):
            return
        if node.type == "compound_statement":
            self.statements(node.named_children, where)
            return
        if node.type == "if_statement" and self.guarded(node, where):
            return
        for c in node.named_children:
            self.visit(c, where)

    def statements(self, nodes: list[Node], where: _Where) -> None:
        for i, c in enumerate(nodes):
            missing = self.returns_if_exists(c)
            if missing is not None:
                # `if (Schema::hasColumn('t', 'c')) { return; }`: the rest runs only where the
                # column is missing.
                with self.rec.missing(*missing):
                    self.statements(nodes[i + 1 :], where)
                return
            self.visit(c, where)

    def closure_body(self, node: Node | None, where: _Where) -> None:
        if node is None or node.type not in ("anonymous_function", "arrow_function"):
            return
        body = node.child_by_field_name("body")
        if body is not None:
            if node.type == "arrow_function":
                self.visit(body, where)
            else:
                self.statements(body.named_children, where)

    # -- `Schema::hasColumn` guards (Op.only_without) ---------------------------------------------

    def has_column(self, node: Node | None) -> tuple[str, str] | None:
        """(table, column) of `Schema::hasColumn('t', 'c')` (also after `Schema::connection(…)`),
        literal names only."""
        node = _bare(node)
        if node is None or node.type not in _CALLS:
            return None
        root, links = _chain(node)
        if root.type != "name" or text(root).lstrip("\\").rsplit("\\", 1)[-1] != "Schema":
            return None
        if not links or links[-1].name != "hasColumn" or len(links[-1].args) < 2:
            return None
        table, col = (as_str(value(a)) for a in links[-1].args[:2])
        return (table, col) if table and col else None

    def missing_check(self, node: Node | None, negated: bool) -> tuple[str, str] | None:
        """The column a condition asks to be missing: `! Schema::hasColumn(…)`,
        `Schema::hasColumn(…) === false`, `!== true`."""
        node = _bare(node)
        if node is None:
            return None
        if node.type == "unary_op_expression" and text(node).startswith("!"):
            return self.missing_check(node.named_children[-1], not negated)
        if node.type == "binary_expression":
            op = node.child_by_field_name("operator")
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            if op is None or left is None or right is None or right.type != "boolean":
                return None
            is_false = (text(right).lower() == "false") == (text(op) in ("===", "=="))
            if text(op) not in ("===", "==", "!==", "!="):
                return None
            return self.missing_check(left, negated != is_false)
        return self.has_column(node) if negated else None

    def guarded(self, node: Node, where: _Where) -> bool:
        """`if (! Schema::hasColumn('t', 'c')) { … }`: its body reads as running only where the
        column is missing. False: not such a guard (read as any other node)."""
        cond = node.child_by_field_name("condition")
        missing = self.missing_check(cond, False)
        if missing is None:
            return False
        body = node.child_by_field_name("body")
        with self.rec.missing(*missing):
            if body is not None:
                self.visit(body, where)
        for c in node.named_children:
            if c != cond and c != body:
                self.visit(c, where)  # `else`: where it exists (not a guard of ours)
        return True

    def returns_if_exists(self, node: Node) -> tuple[str, str] | None:
        if node.type != "if_statement" or node.child_by_field_name("alternative") is not None:
            return None
        body = node.child_by_field_name("body")
        inner = (
            body.named_children
            if body is not None and body.type == "compound_statement"
            else [body]
        )
        if len(inner) != 1 or inner[0] is None or inner[0].type != "return_statement":
            return None
        return self.has_column(node.child_by_field_name("condition"))

    def on_chain(self, node: Node, where: _Where) -> None:
        root, links = _chain(node)
        if links and not self.dispatched(root, links, where):
            self.query_builder(root, links, where)

    def dispatched(self, root: Node, links: list[_Link], where: _Where) -> bool:
        """A `Schema::` or `DB::statement` call, a chain on the closure's Blueprint, or a
        helper method, read by its handler: True when one took it."""
        root_name = text(root).lstrip("\\").rsplit("\\", 1)[-1]
        if root.type == "name" and root_name == "Schema":
            self.on_schema(links, where)
            return True
        if (
            root.type == "name"
            and root_name == "DB"
            and links[0].name
            in (
                "statement",
                "unprepared",
            )
        ):
            self.on_sql(links[0])
            return True
        if root.type == "variable_name" and where.table_var and text(root) == where.table_var:
            if not where.creating:
                self.on_blueprint(links, where)
            else:
                for column in _defined(links):
                    self.rec.define(where.table, column)
            return True
        if text(root) == "$this" and links[0].name in self.helpers:
            name = links[0].name
            if name not in self.visiting:
                self.visiting.add(name)
                body = self.helpers[name].child_by_field_name("body")
                if body is not None:
                    self.visit(body, where)
                self.visiting.discard(name)
            return True
        return False

    def query_builder(self, root: Node, links: list[_Link], where: _Where) -> None:
        root_name = text(root).lstrip("\\").rsplit("\\", 1)[-1]
        # Query builder or model code: `DB::table('t')->where(…)->update([...])`.
        table = None
        if root.type == "name" and root_name == "DB" and links[0].name == "table" and links[0].args:
            table = as_str(value(links[0].args[0]))
        batched = where.batched
        for i, link in enumerate(links):
            if link.name in _DATA_WRITES:
                # `->where(…)->update(…)` changes the rows it selects, not the whole table.
                limited = any(k.name.startswith(("where", "limit", "take")) for k in links[:i])
                self.rec.add(
                    link.node,
                    OpKind.BACKFILL,
                    table,
                    batched=batched or limited,
                    value=f"->{link.name}()",
                )
            elif link.name in _DATA_DELETES:
                self.rec.add(link.node, OpKind.DELETE_ROWS, table)
            elif link.name in ("statement", "unprepared") and root_name == "DB":
                self.on_sql(link)
            batched = batched or link.name in _BATCHES
            for a in link.args:
                if a.type in ("anonymous_function", "arrow_function"):
                    self.closure_body(a, _Where(where.table_var, where.table, False, batched))
                else:
                    self.visit(a, where)

    def on_sql(self, link: _Link) -> None:
        if not link.args:
            self.rec.unknown(link.node, f"`DB::{link.name}` without an argument")
            return
        sql = value(link.args[0])
        if isinstance(sql, str) and len(link.args) > 1:
            # With bindings, PDO reads every `?` as a placeholder: a value, as `$1` is to Postgres.
            sql = _placeholders(sql)
        self.rec.sql(link.node, sql if isinstance(sql, str) else None, _first_row(link.args[0]))

    def on_schema(self, links: list[_Link], where: _Where) -> None:
        while links and links[0].name == "connection":
            links = links[1:]
        if not links:
            return
        link = links[0]
        args = [value(a) for a in link.args]
        table = as_str(args[0]) if args else None
        name = link.name
        if name in ("create", "table"):
            creating = name == "create"
            if creating and table:
                self.rec.created.add(table)
                self.rec.add(link.node, OpKind.CREATE_TABLE, table)
            closure = next(
                (a for a in link.args if a.type in ("anonymous_function", "arrow_function")), None
            )
            self.closure_body(
                closure,
                _Where(_param(closure), table, creating or (table in self.rec.created), False),
            )
        elif name in ("drop", "dropIfExists"):
            self.rec.add(link.node, OpKind.DROP_TABLE, table)
        elif name == "rename":
            self.rec.add(
                link.node,
                OpKind.RENAME_TABLE,
                table,
                new_name=as_str(args[1]) if len(args) > 1 else None,
            )
        elif name == "dropColumns":
            for col in [c for a in args[1:] for c in as_strs(a)]:
                self.rec.add(link.node, OpKind.DROP_COLUMN, table, col)
        elif name == "withoutForeignKeyConstraints":
            for a in link.args:
                self.closure_body(a, where)
        elif name not in _HARMLESS_SCHEMA:
            self.rec.unknown(link.node, f"`Schema::{name}` is not known")

    def on_blueprint(self, links: list[_Link], where: _Where) -> None:
        first, modifiers = links[0], links[1:]
        mods = {m.name: m for m in modifiers}
        args = [value(a) for a in first.args]
        col = as_str(args[0]) if args else None
        table = where.table
        node = links[-1].node
        name = first.name
        if name in _TYPES or name in _SERIAL:
            if name in _SERIAL and col is None:
                col = "id"
            if "change" in mods:
                self.on_change(node, table, col, first, mods)
            else:
                defined = tuple(d for d in _defined(links) if d.name == col)[:1]
                self.on_add(node, table, col, name, mods, defined)
        elif name in _COLUMN_SETS:
            self.on_column_set(node, table, col, args, name, mods)
        elif name in _BLUEPRINT_ONE_OP:
            kind, which = _BLUEPRINT_ONE_OP[name]
            column = {"listed": _single(args), "first": col, "none": None}[which]
            self.rec.add(node, kind, table, column)
        elif name == "renameColumn":
            new = as_str(args[1]) if len(args) > 1 else None
            self.rec.add(node, OpKind.RENAME_COLUMN, table, col, new_name=new)
        elif name == "dropPrimary":
            # Drops the primary key constraint (and its index) under an ACCESS EXCLUSIVE lock:
            # a key change (GR232), not an index that could be dropped CONCURRENTLY.
            self.rec.add(node, OpKind.DROP_CONSTRAINT, table, name=_single(args), primary_key=True)
        elif name == "rename":
            self.rec.add(node, OpKind.RENAME_TABLE, table, new_name=col)
        elif name not in _HARMLESS_BLUEPRINT:
            self.rec.unknown(node, f"`$table->{name}()` is not known")

    def on_column_set(
        self,
        node: Node,
        table: str | None,
        col: str | None,
        args: list[Value],
        name: str,
        mods: dict[str, _Link],
    ) -> None:
        """A Blueprint method that adds or drops a set of columns (`morphs`, `timestamps`,
        `dropColumn([...])`, `dropMorphs`)."""
        if name in _MORPHS:
            for suffix in ("_id", "_type"):
                self.on_add(node, table, f"{col}{suffix}", name, mods)
        elif name in _NULLABLE_HELPERS:
            for c in _helper_names(name, args, _NULLABLE_HELPERS[name]):
                self.rec.add(node, OpKind.ADD_COLUMN, table, c)
        elif name in _DROP_HELPERS:
            for c in _helper_names(name, args, _DROP_HELPERS[name]):
                self.rec.add(node, OpKind.DROP_COLUMN, table, c)
        elif name in ("dropColumn", "dropColumns", "removeColumn"):
            for c in [c for a in args for c in as_strs(a)]:
                self.rec.add(node, OpKind.DROP_COLUMN, table, c)
            if not args or any(isinstance(a, Dynamic) for a in args):
                self.rec.unknown(node, f"`{name}` with column names computed at run time")
        elif name in ("dropMorphs",):
            for suffix in ("_id", "_type"):
                self.rec.add(node, OpKind.DROP_COLUMN, table, f"{col}{suffix}")

    def on_add(
        self,
        node: Node,
        table: str | None,
        col: str | None,
        name: str,
        mods: dict[str, _Link],
        defined: tuple[ColumnDef, ...] = (),
    ) -> None:
        nullable = _nullable(mods)
        serial = name in _SERIAL or "autoIncrement" in mods
        generated = "storedAs" in mods
        self.rec.add(
            node,
            OpKind.ADD_COLUMN,
            table,
            col,
            not_null=nullable is not True and "virtualAs" not in mods and not generated,
            has_default="default" in mods or "useCurrent" in mods or serial,
            volatile_default=serial or generated,
            table_columns=defined,
        )
        self.modifier_ops(node, table, col, mods)
        if serial and "primary" not in mods:
            # `increments`/`id` are the table's primary key: an index built under the lock.
            self.rec.add(node, OpKind.ADD_PRIMARY_KEY, table, col)

    def on_change(
        self, node: Node, table: str | None, col: str | None, first: _Link, mods: dict[str, _Link]
    ) -> None:
        """`->change()` restates the whole column. What it was is known when `down()` changes
        it back; otherwise the type is not judged and a NOT NULL is only possible."""
        nullable = _nullable(mods)
        before = self.restored.get((table, col))
        if before is not None:
            was_type, was_nullable = before
            new_type = _sql_type(first.name, first)
            if type_changes(was_type, new_type):
                self.rec.add(
                    node,
                    OpKind.ALTER_TYPE,
                    table,
                    col,
                    to_type=new_type,
                    from_type=was_type,
                    value=new_type,
                    narrowing=True,
                )
            if nullable is not True and was_nullable:
                self.rec.add(node, OpKind.SET_NOT_NULL, table, col)
            elif nullable is True and not was_nullable:
                self.rec.add(node, OpKind.DROP_NOT_NULL, table, col)
        else:
            self.rec.add(
                node,
                OpKind.ALTER_TYPE,
                table,
                col,
                to_type=_sql_type(first.name, first),
                maybe=True,
            )
            if nullable is False:
                self.rec.add(node, OpKind.SET_NOT_NULL, table, col)
            elif nullable is None and col != "id":
                # Laravel drops modifiers not restated: without `->nullable()` it becomes NOT
                # NULL. (`id` is the primary key, NOT NULL already.)
                self.rec.add(node, OpKind.SET_NOT_NULL, table, col, maybe=True)
        if "default" in mods:
            self.rec.add(node, OpKind.SET_DEFAULT, table, col)
        self.modifier_ops(node, table, col, mods)

    def modifier_ops(
        self, node: Node, table: str | None, col: str | None, mods: dict[str, _Link]
    ) -> None:
        if "index" in mods:
            self.rec.add(node, OpKind.CREATE_INDEX, table, col)
        if "unique" in mods:
            self.rec.add(node, OpKind.ADD_UNIQUE, table, col)
        if "primary" in mods:
            self.rec.add(node, OpKind.ADD_PRIMARY_KEY, table, col)
        if "constrained" in mods or "references" in mods:
            self.rec.add(node, OpKind.ADD_FOREIGN_KEY, table, col)


# Column methods whose PostgreSQL type is not the DSL's name (Illuminate's PostgresGrammar).
_PG_TYPES = {
    "id": "bigint",
    "bigIncrements": "bigint",
    "increments": "integer",
    "mediumIncrements": "integer",
    "smallIncrements": "smallint",
    "tinyIncrements": "smallint",
    "foreignId": "bigint",
    "foreignUuid": "uuid",
    "mediumInteger": "integer",
    "unsignedMediumInteger": "integer",
    "unsignedTinyInteger": "smallint",
    "double": "double precision",
    "float": "double precision",
    "binary": "bytea",
    "ipAddress": "inet",
    "macAddress": "macaddr",
    "year": "integer",
}
# Helpers that define fixed columns: (name, type, nullable). A time type gets the precision the
# helper is given (_helper_precision).
_HELPER_COLUMNS = {
    "timestamps": (("created_at", "timestamp", True), ("updated_at", "timestamp", True)),
    "nullableTimestamps": (("created_at", "timestamp", True), ("updated_at", "timestamp", True)),
    "timestampsTz": (("created_at", "timestamptz", True), ("updated_at", "timestamptz", True)),
    "softDeletes": (("deleted_at", "timestamp", True),),
    "softDeletesTz": (("deleted_at", "timestamptz", True),),
    "rememberToken": (("remember_token", "varchar(100)", True),),
}
# Laravel's time columns as PostgresGrammar writes them (laravel/framework bd71b45f, MIT:
# typeTimestamp/typeTimestampTz/typeTime/typeTimeTz, dateTime = timestamp): the type with the
# precision the Blueprint method is given, else Builder::$defaultTimePrecision, 0 since Laravel
# 5.5 and still 0 since f29df474 made it a setting (Schema::defaultTimePrecision(null) writes no
# precision, PostgreSQL's 6; a project that sets it is not read). A precision change is a type
# change: raising it keeps the table, lowering it rewrites (postgres.type_change_rewrites).
_TIME_TYPES = {
    "timestamp": "timestamp",
    "dateTime": "timestamp",
    "timestampTz": "timestamptz",
    "dateTimeTz": "timestamptz",
    "time": "time",
    "timeTz": "timetz",
}
_DEFAULT_TIME_PRECISION = 0


def _time_type(base: str, precision: Value) -> str:
    given = precision if isinstance(precision, int) and not isinstance(precision, bool) else None
    return f"{base}({_DEFAULT_TIME_PRECISION if given is None else given})"


def _helper_names(name: str, args: list[Value], fixed: tuple[str, ...]) -> tuple[str, ...]:
    """The columns a helper names: `softDeletes('archived_at')` and `dropSoftDeletes('archived_at')`
    take the column as their first argument (Blueprint::softDeletes($column = 'deleted_at')); the
    other helpers' names are fixed."""
    if name.startswith(("softDeletes", "dropSoftDeletes")) and args and isinstance(args[0], str):
        return (args[0],)
    return fixed


def _helper_precision(name: str, args: list[Value]) -> Value:
    """`timestamps(3)`, `softDeletes('deleted_at', 3)`: the precision a helper is given."""
    at = 1 if name.startswith("softDeletes") else 0
    return args[at] if len(args) > at else None


def _defined(links: list[_Link]) -> list[ColumnDef]:
    """The columns one `$table->…` call of a `Schema::create` closure defines: PostgreSQL's
    type, NOT NULL unless `->nullable()` (Laravel's default), the database default."""
    first, mods = links[0], {m.name: m for m in links[1:]}
    name = first.name
    args = [value(a) for a in first.args]
    col = as_str(args[0]) if args else None
    if name in _HELPER_COLUMNS:
        precision = _helper_precision(name, args)
        names = _helper_names(name, args, tuple(c for c, _, _ in _HELPER_COLUMNS[name]))
        return [
            ColumnDef(c, _time_type(t, precision) if t in _TIME_TYPES.values() else t, not null)
            for c, (_, t, null) in zip(names, _HELPER_COLUMNS[name], strict=True)
        ]
    if name in ("morphs", "nullableMorphs", "uuidMorphs", "ulidMorphs") and col:
        key = {"uuidMorphs": "uuid", "ulidMorphs": "char(26)"}.get(name, "bigint")
        null = name == "nullableMorphs" or _nullable(mods) is True
        return [
            ColumnDef(f"{col}_id", key, not null),
            ColumnDef(f"{col}_type", "varchar(255)", not null),
        ]
    if name not in _TYPES and name not in _SERIAL:
        return []
    serial = name in _SERIAL or "autoIncrement" in mods
    if name in _SERIAL and col is None:
        col = "id"
    if col is None:
        return []
    typ = _PG_TYPES.get(name) or _sql_type(name, first) or name
    default: str | None = None
    if serial:
        default = "nextval(…)"
    elif "default" in mods:
        given = value(mods["default"].args[0]) if mods["default"].args else None
        default = sql_default(given)
    elif "useCurrent" in mods:
        default = "CURRENT_TIMESTAMP"
    primary = (name in _SERIAL and name != "foreignId") or "primary" in mods
    virtual = "virtualAs" in mods or "storedAs" in mods
    not_null = primary or (_nullable(mods) is not True and not virtual)
    return [ColumnDef(col, typ.lower(), not_null, default, primary)]


def _nullable(mods: dict[str, _Link]) -> bool | None:
    link = mods.get("nullable")
    if link is None:
        return None
    if not link.args:
        return True
    v = value(link.args[0])
    return v if isinstance(v, bool) else True


def _single(args: list[Value]) -> str | None:
    names = as_strs(args[0]) if args else []
    return names[0] if len(names) == 1 else None


def _param(closure: Node | None) -> str | None:
    if closure is None:
        return None
    params = closure.child_by_field_name("parameters")
    for p in params.named_children if params is not None else []:
        name = p.child_by_field_name("name")
        if name is not None:
            return text(name)
    return None


def _placeholders(sql: str) -> str:
    """`UPDATE t SET a = ? WHERE b = ?` -> `… a = $1 WHERE b = $2`."""
    parts = sql.split("?")
    return parts[0] + "".join(f"${i}{part}" for i, part in enumerate(parts[1:], 1))


def _sql_type(name: str, link: _Link | None) -> str | None:
    """`string('name', 100)` -> `varchar(100)` (Laravel's default length is 255)."""
    args = [value(a) for a in link.args] if link is not None else []
    if name in _TIME_TYPES:
        return _time_type(_TIME_TYPES[name], args[1] if len(args) > 1 else None)
    length = args[1] if len(args) > 1 and isinstance(args[1], int) else None
    if name == "enum":
        return "varchar(255)"  # PostgresGrammar::typeEnum: varchar(255) check (… in (…))
    if name in ("string", "char") and length is None:
        length = 255
    scale = args[2] if len(args) > 2 and isinstance(args[2], int) else 2
    precision = length if name == "decimal" else None
    if name == "decimal":
        precision, length = precision or 8, None
    return sql_type(name, length, precision, scale if name == "decimal" else 0, "laravel")


def _restored(down: Node) -> dict[tuple[str | None, str | None], tuple[str | None, bool]]:
    """The columns `down()` restates with `->change()`: what they were before `up()`."""
    out: dict[tuple[str | None, str | None], tuple[str | None, bool]] = {}
    for node in walk(down):
        if node.type != "scoped_call_expression":
            continue
        root, links = _chain(node)
        if text(root).rsplit("\\", 1)[-1] != "Schema" or not links or links[-1].name != "table":
            continue
        args = links[-1].args
        table = as_str(value(args[0])) if args else None
        closure = next(
            (a for a in args if a.type in ("anonymous_function", "arrow_function")), None
        )
        var = _param(closure)
        for inner in walk(closure) if closure is not None else []:
            if inner.type != "member_call_expression" or (
                inner.parent is not None and inner.parent.type == "member_call_expression"
            ):
                continue
            base, chain = _chain(inner)
            names = {link.name: link for link in chain}
            if text(base) != var or "change" not in names or not chain:
                continue
            first = chain[0]
            col = as_str(value(first.args[0])) if first.args else None
            out[(table, col)] = (_sql_type(first.name, first), _nullable(names) is True)
    return out


def _is_empty(method: Node | None) -> bool:
    if method is None:
        return True
    body = method.child_by_field_name("body")
    return body is None or not [c for c in body.named_children if c.type != "comment"]


def read(source: str) -> Reading:
    root = parse("php", source)
    r = _Reader(source)
    note = syntax_note(root, "PHP")
    if note is not None:
        r.rec.notes.append(note)
    methods: dict[str, Node] = {}
    for node in walk(root, frozenset({"compound_statement"})):  # declarations, not bodies
        if node.type == "method_declaration":
            name = node.child_by_field_name("name")
            if name is not None:
                methods[text(name)] = node
        elif node.type == "property_element":
            name = node.child_by_field_name("name")
            default = node.child_by_field_name("default_value")
            if name is not None and text(name) == "$withinTransaction" and default is not None:
                r.rec.in_transaction = value(default) is not False
    r.helpers = {k: v for k, v in methods.items() if k not in ("up", "down")}
    if "down" in methods:
        r.restored = _restored(methods["down"])
    up = methods.get("up")
    if up is None:
        r.rec.notes.append("no `up()` method was found")
    else:
        body = up.child_by_field_name("body")
        if body is not None:
            r.visit(body, _Where())
    reversible = not _is_empty(methods.get("down"))
    return r.rec.reading(reversible, "" if reversible else "`down()` is empty or missing")
