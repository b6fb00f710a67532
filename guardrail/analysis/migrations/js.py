"""Knex, Sequelize and TypeORM migrations, read from the tree-sitter JavaScript and TypeScript
syntax trees.

Understood: `up`/`down` however they are written (`exports.up = …`, `module.exports = { async
up (…) {…} }`, arrow expressions, `export async function up`, TypeORM classes), the knex schema
builder and its table callbacks (`t.string('x').notNullable().alter()`), Sequelize's
`queryInterface` and TypeORM's `queryRunner` methods, SQL in `knex.raw`, `knex.schema.raw`,
`queryInterface.sequelize.query` and `queryRunner.query` (strings, templates without
substitutions, literal concatenations) read by the SQL reader, and the transaction settings:
knex's `exports.config = { transaction: false }`, TypeORM's `transaction = false` (an instance
field, as TypeORM reads it), and
Sequelize's CLI, which runs migrations outside a transaction unless they open one.

`changeColumn`/`.alter()` restate a whole column. What it was is looked up in the same file's
`down` (which restores it) or an earlier `createTable`/`addColumn`; when neither says, a
tightening is reported as possible (a warning), never as certain. TypeORM's `changeColumn` is
compared as TypeORM compares the old and new `TableColumn`: where it drops and re-adds the
column instead of altering it, that is what is recorded (OpKind.RECREATE_COLUMN, GR297).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Unpack

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
from guardrail.analysis.migrations.ops import ColumnDef, Facts, Framework, OpKind, Reading
from guardrail.analysis.migrations.sql import default_is_volatile

if TYPE_CHECKING:
    from tree_sitter import Node

KNEX = Framework(
    name="knex",
    language="javascript",
    wraps_transaction=True,
    no_transaction="a migration with `exports.config = { transaction: false }` and `knex.raw(...)`",
    concurrent_index=(
        "`knex.raw('CREATE INDEX CONCURRENTLY … ON … (…)')` in a migration with "
        "`exports.config = { transaction: false };` (knex has no CONCURRENTLY helper)"
    ),
    drop_index=(
        "`knex.raw('DROP INDEX CONCURRENTLY …')` in a migration with "
        "`exports.config = { transaction: false };` (knex has no CONCURRENTLY helper)"
    ),
    lock_timeout="`await knex.raw(\"SET lock_timeout = '5s'\")` at the start of `up`",
    batch=(
        "a loop that updates `.whereBetween('id', [lo, hi])` per batch, with "
        "`exports.config = { transaction: false }`"
    ),
    db_default="`.defaultTo(…)`",
    raw_sql="`knex.raw('{sql}')`",
)
SEQUELIZE = Framework(
    name="sequelize",
    language="javascript",
    wraps_transaction=False,
    no_transaction=(
        "a migration that opens no `queryInterface.sequelize.transaction(…)` (the Sequelize CLI "
        "runs each migration outside a transaction)"
    ),
    concurrent_index=(
        "`queryInterface.addIndex(table, fields, { concurrently: true })` outside "
        "`sequelize.transaction(…)`"
    ),
    drop_index=(
        "`queryInterface.sequelize.query('DROP INDEX CONCURRENTLY …')` outside "
        "`sequelize.transaction(…)`"
    ),
    lock_timeout=(
        "`await queryInterface.sequelize.query(\"SET lock_timeout = '5s'\")` at the start of `up`"
    ),
    batch=(
        "a loop of `queryInterface.sequelize.query('UPDATE … WHERE id >= :lo AND id < :hi', "
        "{ replacements: { lo, hi } })`, one primary-key range per call, outside "
        "`sequelize.transaction(…)`"
    ),
    db_default="`defaultValue:`",
    raw_sql="`queryInterface.sequelize.query('{sql}')`",
)
TYPEORM = Framework(
    name="typeorm",
    language="typescript",
    wraps_transaction=True,
    no_transaction=(
        "a migration class with the instance field `transaction = false` (not `static`; it "
        "needs `migrationsTransactionMode: 'each'`)"
    ),
    concurrent_index=(
        "`await queryRunner.query('CREATE INDEX CONCURRENTLY …')` in a migration with "
        "`transaction = false`"
    ),
    drop_index=(
        "`await queryRunner.query('DROP INDEX CONCURRENTLY …')` in a migration with "
        "`transaction = false`"
    ),
    lock_timeout="`await queryRunner.query(\"SET lock_timeout = '5s'\")` at the start of `up`",
    batch=(
        "a loop of `queryRunner.query('UPDATE … WHERE id >= $1 AND id < $2', [lo, hi])`, one "
        "primary-key range per call, in a migration with `transaction = false`"
    ),
    db_default="`DEFAULT …` in the `ADD COLUMN` (`default:` on the entity column)",
    raw_sql="`queryRunner.query('{sql}')`",
)
FRAMEWORKS = {f.name: f for f in (KNEX, SEQUELIZE, TYPEORM)}

_KNEX_TYPES = frozenset(
    [
        "bigInteger",
        "bigint",
        "binary",
        "boolean",
        "date",
        "datetime",
        "decimal",
        "double",
        "enu",
        "enum",
        "float",
        "geography",
        "geometry",
        "integer",
        "json",
        "jsonb",
        "mediumint",
        "point",
        "smallint",
        "specificType",
        "string",
        "text",
        "time",
        "timestamp",
        "tinyint",
        "uuid",
    ]
)
_KNEX_SERIAL = frozenset({"increments", "bigIncrements"})
_KNEX_HARMLESS = frozenset(
    [
        "comment",
        "charset",
        "collate",
        "engine",
        "inherits",
        "dropForeign",
        "dropChecks",
        "dropTimestamps",
        "renameIndex",
        "setNullable",
        "dropPrimary",
    ]
)
_SCHEMA_HARMLESS = frozenset(
    [
        "hasTable",
        "hasColumn",
        "createSchema",
        "createSchemaIfNotExists",
        "createExtension",
        "createExtensionIfNotExists",
        "dropExtension",
        "dropExtensionIfExists",
        "createView",
        "createViewOrReplace",
        "dropView",
        "dropViewIfExists",
    ]
)
_SQL_METHODS = frozenset({"raw", "query"})
_QI_HARMLESS = frozenset(
    [
        "bulkInsert",
        "removeConstraint",
        "createSchema",
        "showAllTables",
        "describeTable",
        "createFunction",
        "addEnumValue",
        "renameEnum",
        "dropEnum",
        "insert",
        "createEnum",
    ]
)
_CALLS = ("call_expression",)
# `:name` not preceded by `:` (a `::type` cast) or a word character (a time literal's `12:30`).
_REPLACEMENT = re.compile(r"(?<![:\w]):[A-Za-z_]\w*")
# queryInterface / queryRunner methods that change no schema, or are read elsewhere.
_API_KNOWN = frozenset(
    [
        "bulkUpdate",
        "bulkDelete",
        "bulkInsert",
        "update",
        "delete",
        "select",
        "query",
        "sequelize",
        "transaction",
        "hasTable",
        "hasColumn",
        "getTable",
        "getTables",
        "clearSqlMemory",
        "startTransaction",
        "commitTransaction",
        "rollbackTransaction",
        "connect",
        "release",
        "manager",
        "createDatabase",
        "showIndex",
    ]
)


@dataclass(frozen=True)
class _Link:
    node: Node
    name: str
    args: list[Node]


def _chain(node: Node) -> tuple[Node, list[_Link]]:
    """`knex.schema.alterTable('t', cb)` -> (knex, [schema, alterTable('t', cb)])."""
    links: list[_Link] = []
    cur = node
    while True:
        if cur.type == "await_expression" and cur.named_children:
            cur = cur.named_children[0]
            continue
        if cur.type == "call_expression":
            fn = cur.child_by_field_name("function")
            arguments = cur.child_by_field_name("arguments")
            args = [a for a in (arguments.named_children if arguments is not None else [])]
            args = [a for a in args if a.type != "comment"]
            if fn is not None and fn.type == "member_expression":
                prop = fn.child_by_field_name("property")
                links.append(_Link(cur, text(prop) if prop is not None else "", args))
                obj = fn.child_by_field_name("object")
                if obj is None:
                    break
                cur = obj
                continue
            if fn is not None:
                # `knex('users')`: a call of the root itself.
                links.append(_Link(cur, "()", args))
                cur = fn
                continue
            break
        if cur.type == "member_expression":
            prop = cur.child_by_field_name("property")
            links.append(_Link(cur, text(prop) if prop is not None else "", []))
            obj = cur.child_by_field_name("object")
            if obj is None:
                break
            cur = obj
            continue
        if cur.type in ("parenthesized_expression", "non_null_expression") and cur.named_children:
            cur = cur.named_children[0]
            continue
        break
    links.reverse()
    return cur, links


def _unescape(seq: str) -> str:
    return {"\\n": "\n", "\\t": "\t", '\\"': '"', "\\'": "'", "\\`": "`", "\\\\": "\\"}.get(
        seq, seq[1:] if seq.startswith("\\") else seq
    )


_SYNTAX = Syntax(
    strings=frozenset({"string", "template_string"}),
    content=frozenset({"string_fragment"}),
    unescape=_unescape,
    escapes=None,
    interpolations=frozenset({"template_substitution"}),
    integers=frozenset({"number"}),
    constants={"true": True, "false": False, "null": None, "undefined": None},
    concat="+",
    unwrap=frozenset({"as_expression", "satisfies_expression", "parenthesized_expression"}),
    lists=frozenset({"array"}),
    list_skip=frozenset({"comment"}),
)


class _Literals(Literals):
    """JavaScript's and TypeScript's: objects, and TypeORM's `new TableColumn({ … })`."""

    def value(self, node: Node) -> Value:
        if node.type == "object":
            return self.object(node)
        if node.type == "new_expression":
            # TypeORM `new TableColumn({ … })`: its options.
            arguments = node.child_by_field_name("arguments")
            if arguments is not None and arguments.named_children:
                return self.value(arguments.named_children[0])
            return Dynamic(text(node))
        return super().value(node)

    def object(self, node: Node) -> dict[str, Value]:
        out: dict[str, Value] = {}
        for c in node.named_children:
            if c.type == "pair":
                key = c.child_by_field_name("key")
                val = c.child_by_field_name("value")
                if key is not None and val is not None:
                    k = self.value(key) if key.type == "string" else text(key)
                    out[k if isinstance(k, str) else text(key)] = self.value(val)
            elif c.type == "shorthand_property_identifier":
                out[text(c)] = Dynamic(text(c))
        return out


value = _Literals(_SYNTAX).value


def _sql_text(node: Node, constants: dict[str, str]) -> Value:
    """SQL in a template literal: `${name}` of a top-level string constant is its value, and a
    substitution quoted as an identifier (`"${constraintName}"`) stands for a name the reader
    cannot know, so the statement's shape is still read. Anything else is built at run time."""
    if node.type != "template_string":
        return value(node)
    parts: list[str] = []
    for c in node.named_children:
        if c.type == "template_substitution":
            inner = [n for n in c.named_children if n.type != "comment"]
            name = text(inner[0]) if len(inner) == 1 and inner[0].type == "identifier" else None
            quoted = _quoted(c)
            if name is not None and name in constants:
                parts.append(constants[name])
            elif name is not None and quoted:
                parts.append(name)
            else:
                return Dynamic(text(node))
        else:
            parts.append(text(c) if c.type == "string_fragment" else _unescape(text(c)))
    return "".join(parts)


def _quoted(substitution: Node) -> bool:
    before, after = substitution.prev_sibling, substitution.next_sibling
    return (
        before is not None
        and after is not None
        and text(before).endswith('"')
        and text(after).startswith('"')
    )


def _first_row(node: Node) -> int:
    return first_row(node, _SYNTAX.content)


_FUNCTIONS = ("arrow_function", "function_expression", "function", "method_definition")
_FUNCTIONS_ALL = (*_FUNCTIONS, "function_declaration", "generator_function_declaration")


def _bare(node: Node | None) -> Node | None:
    """The expression inside parentheses and `await`."""
    while (
        node is not None
        and node.type in ("parenthesized_expression", "await_expression")
        and node.named_children
    ):
        node = node.named_children[0]
    return node


def _bare_call(then_call: Node) -> Node | None:
    """`x.hasColumn(…)` of `x.hasColumn(…).then(cb)`."""
    fn = then_call.child_by_field_name("function")
    return fn.child_by_field_name("object") if fn is not None else None


def _body(fn: Node) -> Node | None:
    return fn.child_by_field_name("body")


def _param(fn: Node | None, index: int = 0) -> str | None:
    if fn is None:
        return None
    params = fn.child_by_field_name("parameters") or fn.child_by_field_name("parameter")
    if params is None:
        return None
    if params.type == "identifier":
        return text(params) if index == 0 else None
    names = [p for p in params.named_children if p.type != "comment"]
    if len(names) <= index:
        return None
    p = names[index]
    pattern = p.child_by_field_name("pattern")
    return text(pattern if pattern is not None else p)


@dataclass(frozen=True)
class _Where:
    section: str = "up"
    table_var: str | None = None
    table: str | None = None
    creating: bool = False
    batched: bool = False
    in_transaction: bool | None = None  # inside `sequelize.transaction(…)`


@dataclass
class _Column:
    """What a restated column says: its type text and whether it allows NULL."""

    type: str | None
    nullable: bool | None


# Table-callback methods that are one operation: method -> (kind, its column: the one listed in
# its arguments, the first argument, or none).
_KNEX_ONE_OP: dict[str, tuple[OpKind, str]] = {
    "index": (OpKind.CREATE_INDEX, "listed"),
    "unique": (OpKind.ADD_UNIQUE, "listed"),
    "primary": (OpKind.ADD_PRIMARY_KEY, "listed"),
    "foreign": (OpKind.ADD_FOREIGN_KEY, "first"),
    "check": (OpKind.ADD_CHECK, "none"),
    "dropNullable": (OpKind.SET_NOT_NULL, "first"),
    "dropIndex": (OpKind.DROP_INDEX, "none"),
    "dropUnique": (OpKind.DROP_INDEX, "none"),
}


class _Reader:
    def __init__(self, source: str, framework: str) -> None:
        self.rec = Recorder(source, framework)
        self.framework = framework
        self.helpers: dict[str, Node] = {}
        self.visiting: set[str] = set()
        self.api = ""  # the name `up` gives queryInterface / queryRunner / knex
        self.constants: dict[str, str] = {}  # top-level `const name = "literal"`
        # (table, column) -> how `down` restates it, and what earlier adds said.
        self.restored: dict[tuple[str | None, str | None], _Column] = {}
        self.known: dict[tuple[str | None, str | None], _Column] = {}
        # Names bound to `hasColumn(t, c)` results, and to `describeTable(t)` results.
        self.exists_of: dict[str, tuple[str, str]] = {}
        self.described: dict[str, str] = {}

    def visit(self, node: Node, where: _Where) -> None:
        if node.type in ("call_expression", "await_expression"):
            self.on_chain(node, where)
            return
        if node.type == "comment" or node.type in _FUNCTIONS_ALL:
            return
        if node.type == "statement_block":
            self.statements(node.named_children, where)
            return
        if node.type == "if_statement" and self.guarded(node, where):
            return
        if node.type == "variable_declarator":
            self.bind(node)
        for c in node.named_children:
            self.visit(c, where)

    def function_body(self, fn: Node | None, where: _Where) -> None:
        # A helper may be a `function name() {…}` declaration (it was skipped, with what it did).
        if fn is None or fn.type not in _FUNCTIONS_ALL:
            return
        body = _body(fn)
        if body is None:
            return
        if body.type == "statement_block":
            self.statements(body.named_children, where)
        else:
            self.visit(body, where)

    def statements(self, nodes: list[Node], where: _Where) -> None:
        for i, c in enumerate(nodes):
            missing = self.returns_if_exists(c)
            if missing is not None:
                # `if (await knex.schema.hasColumn('t', 'c')) return;`: the rest runs only
                # where the column is missing.
                with self.rec.missing(*missing):
                    self.statements(nodes[i + 1 :], where)
                return
            self.visit(c, where)

    # -- `hasColumn` / `describeTable` guards (Op.only_without) ------------------------------------

    def bind(self, node: Node) -> None:
        """`const has = await knex.schema.hasColumn('t', 'c')` and `const cols = await
        queryInterface.describeTable('t')`: what the name says in later conditions."""
        name, val = node.child_by_field_name("name"), node.child_by_field_name("value")
        if name is None or val is None or name.type != "identifier":
            return
        self.exists_of.pop(text(name), None)
        self.described.pop(text(name), None)
        found = self.has_column(val)
        if found is not None:
            self.exists_of[text(name)] = found
            return
        root, links = _chain(val)
        if links and links[-1].name == "describeTable" and links[-1].args:
            table = _names(links[-1])[0]
            if table:
                self.described[text(name)] = table

    def has_column(self, node: Node | None) -> tuple[str, str] | None:
        """(table, column) of `knex.schema.hasColumn('t', 'c')` / `queryRunner.hasColumn(…)`."""
        node = _bare(node)
        if node is None or node.type not in ("call_expression", "await_expression"):
            return None
        root, links = _chain(node)
        if not links or links[-1].name != "hasColumn" or len(links[-1].args) < 2:
            return None
        names = [link.name for link in links]
        if "schema" not in names and text(root) not in (self.api, "schema"):
            return None
        table, col = _names(links[-1])
        return (table, col) if table and col else None

    def exists_check(self, node: Node | None) -> tuple[str, str] | None:
        """What a condition is true for when the column exists: a `hasColumn` call or a name
        bound to one, `cols.c` / `cols['c']` / `'c' in cols` of a `describeTable` result."""
        node = _bare(node)
        if node is None:
            return None
        if node.type == "identifier":
            return self.exists_of.get(text(node))
        if node.type in ("member_expression", "subscript_expression"):
            obj = node.child_by_field_name("object")
            key = node.child_by_field_name(
                "property" if node.type == "member_expression" else "index"
            )
            if obj is None or key is None or obj.type != "identifier":
                return None
            table = self.described.get(text(obj))
            col = text(key) if key.type == "property_identifier" else as_str(value(key))
            return (table, col) if table and col else None
        if node.type == "binary_expression":
            op, left = node.child_by_field_name("operator"), node.child_by_field_name("left")
            right = node.child_by_field_name("right")
            if op is not None and text(op) == "in" and left is not None and right is not None:
                table = self.described.get(text(right)) if right.type == "identifier" else None
                col = as_str(value(left))
                return (table, col) if table and col else None
            return None
        return self.has_column(node)

    def missing_check(self, node: Node | None, negated: bool) -> tuple[str, str] | None:
        """The column a condition asks to be missing: `!(await knex.schema.hasColumn(…))`,
        `!has`, `has === false`, `!cols.c`, `cols.c === undefined`."""
        node = _bare(node)
        if node is None:
            return None
        if node.type == "unary_expression" and text(node).startswith("!") and node.named_children:
            return self.missing_check(node.named_children[-1], not negated)
        if node.type == "binary_expression":
            op = node.child_by_field_name("operator")
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            if op is not None and left is not None and right is not None and text(op) != "in":
                if text(op) not in ("===", "==", "!==", "!="):
                    return None
                said = text(right)
                if said not in ("true", "false", "undefined", "null"):
                    return None
                absent = said != "true"  # `=== false/undefined/null` asks it to be missing
                return self.missing_check(left, negated != (absent == (text(op) in ("===", "=="))))
        return self.exists_check(node) if negated else None

    def guarded(self, node: Node, where: _Where) -> bool:
        """`if (!(await knex.schema.hasColumn('t', 'c'))) { … }`: its consequence reads as
        running only where the column is missing. False: not such a guard."""
        cond = node.child_by_field_name("condition")
        missing = self.missing_check(cond, False)
        if missing is None:
            return False
        body = node.child_by_field_name("consequence")
        with self.rec.missing(*missing):
            if body is not None:
                self.visit(body, where)
        other = node.child_by_field_name("alternative")
        if other is not None:
            self.visit(other, where)
        return True

    def returns_if_exists(self, node: Node) -> tuple[str, str] | None:
        if node.type != "if_statement" or node.child_by_field_name("alternative") is not None:
            return None
        body = node.child_by_field_name("consequence")
        inner = (
            body.named_children if body is not None and body.type == "statement_block" else [body]
        )
        if len(inner) != 1 or inner[0] is None or inner[0].type != "return_statement":
            return None
        if inner[0].named_children:  # `return knex.schema…`: not an early exit only
            return None
        return self.exists_check(node.child_by_field_name("condition"))

    def with_tx(self, where: _Where) -> bool:
        return self.rec.in_transaction if where.in_transaction is None else where.in_transaction

    def add(
        self,
        node: Node,
        kind: OpKind,
        table: str | None,
        column: str | None,
        where: _Where,
        **facts: Unpack[Facts],
    ) -> None:
        facts.setdefault("in_transaction", self.with_tx(where))
        self.rec.add(node, kind, table, column, **facts)

    def on_chain(self, node: Node, where: _Where) -> None:
        root, links = _chain(node)
        if not self.dispatched(root, links, where):
            self.query_builder(text(root), links, where)

    def dispatched(self, root: Node, links: list[_Link], where: _Where) -> bool:
        """A chain on the table callback's variable, a helper, or a schema, SQL, transaction or
        queryInterface call, read by its handler: True when one took it."""
        names = [link.name for link in links]
        root_text = text(root)
        if where.table_var and root_text == where.table_var and links:
            if not where.creating:
                self.on_table(links, where)
            else:
                for column in _knex_defined(links):
                    self.rec.define(where.table, column)
            return True
        if root.type == "identifier" and root_text in self.helpers and names[:1] == ["()"]:
            self.helper(root_text, where)
            return True
        if root_text == "this" and links and links[0].name in self.helpers:
            self.helper(links[0].name, where)
            return True
        for i, link in enumerate(links):
            if link.name in _SQL_METHODS and link.args:
                self.on_sql(link, where)
                return True
            if link.name == "transaction":
                # `sequelize.transaction(async (t) => { … })` and `knex.transaction(…)`.
                for a in link.args:
                    self.function_body(a, replace(where, in_transaction=True))
                return True
            if link.name in _SCHEMA_HARMLESS and i + 1 < len(links) and links[i + 1].name == "then":
                self.then_chain(link, links[i + 1 :], where)
                return True
            if link.name in _SCHEMA_METHODS and ("schema" in names[:i] or root_text == "schema"):
                _SCHEMA_METHODS[link.name](self, link, where)
                return True
            if link.name in _QI_METHODS and i == len(links) - 1:
                _QI_METHODS[link.name](self, link, where)
                return True
        return False

    def then_chain(self, check: _Link, thens: list[_Link], where: _Where) -> None:
        """`knex.schema.hasTable('t').then((exists) => …)`: the callback is the migration, and
        a `hasColumn` callback may be a guard (GR296)."""
        if check.name != "hasColumn" or not self.then_guard(thens[0], where):
            for a in thens[0].args:
                self.function_body(a, where)
        for later in thens[1:]:  # `.then(…).then(…)`
            for a in later.args:
                if a.type in _FUNCTIONS:
                    self.function_body(a, where)
                else:
                    self.visit(a, where)

    def query_builder(self, root_text: str, links: list[_Link], where: _Where) -> None:
        """Any other chain: a query builder's row changes (`knex('users').where(…).update(…)`,
        `queryInterface.bulkUpdate`), and the calls inside its arguments."""
        if (
            self.framework in ("sequelize", "typeorm")
            and root_text == self.api
            and len(links) == 1
            and links[0].name not in _API_KNOWN
        ):
            # `queryInterface.<method>` / `queryRunner.<method>` is a finite API: say what is new.
            self.rec.unknown(links[0].node, f"`{root_text}.{links[0].name}` is not known")
        # Query builder: `knex('users').where(…).update(…)`, `queryInterface.bulkUpdate`.
        table = None
        if links and links[0].name == "()" and links[0].args:
            table = as_str(value(links[0].args[0]))
        batched = where.batched
        for i, link in enumerate(links):
            if link.name in ("update", "increment", "decrement", "bulkUpdate"):
                tbl = table
                if link.name == "bulkUpdate" and link.args:
                    tbl = as_str(value(link.args[0]))
                # `.where(…).update(…)` changes the rows it selects, not the whole table.
                limited = any(k.name.startswith(("where", "limit")) for k in links[:i])
                self.add(
                    link.node,
                    OpKind.BACKFILL,
                    tbl,
                    None,
                    where,
                    batched=batched or limited,
                    value=f".{link.name}()",
                )
            elif link.name in ("del", "delete", "truncate", "bulkDelete"):
                tbl = table
                if link.name == "bulkDelete" and link.args:
                    tbl = as_str(value(link.args[0]))
                kind = OpKind.TRUNCATE if link.name == "truncate" else OpKind.DELETE_ROWS
                self.add(link.node, kind, tbl, None, where)
            batched = batched or link.name in ("chunk", "batchInsert", "limit")
            for a in link.args:
                if a.type in _FUNCTIONS:
                    self.function_body(a, replace(where, batched=batched))
                else:
                    self.visit(a, where)

    def then_guard(self, then: _Link, where: _Where) -> bool:
        """`knex.schema.hasColumn('t', 'c').then((exists) => { if (!exists) … })`: the
        callback's parameter is the answer. False: the question is not literal names."""
        found = self.has_column(_bare_call(then.node))
        fn = next((a for a in then.args if a.type in _FUNCTIONS), None)
        name = _param(fn) if fn is not None else None
        if found is None or fn is None or not name:
            return False
        saved = self.exists_of.get(name)
        self.exists_of[name] = found
        self.function_body(fn, where)
        if saved is None:
            self.exists_of.pop(name, None)
        else:
            self.exists_of[name] = saved
        return True

    def helper(self, name: str, where: _Where) -> None:
        if name in self.visiting:
            return
        self.visiting.add(name)
        self.function_body(self.helpers[name], where)
        self.visiting.discard(name)

    def on_sql(self, link: _Link, where: _Where) -> None:
        sql = _sql_text(link.args[0], self.constants)
        options = value(link.args[1]) if len(link.args) > 1 else None
        if isinstance(sql, str) and isinstance(options, dict) and "replacements" in options:
            # Sequelize's named replacements (`:sort`) are values, as `$1` is to PostgreSQL.
            sql = _REPLACEMENT.sub("$1", sql)
        saved = self.rec.in_transaction
        self.rec.in_transaction = self.with_tx(where)
        self.rec.sql(link.node, sql if isinstance(sql, str) else None, _first_row(link.args[0]))
        self.rec.in_transaction = saved

    # -- knex table callbacks --------------------------------------------------------------------

    def on_table(self, links: list[_Link], where: _Where) -> None:
        first = links[0]
        args = [value(a) for a in first.args]
        col = as_str(args[0]) if args else None
        table, node, name = where.table, links[-1].node, first.name
        if name in _KNEX_TYPES or name in _KNEX_SERIAL:
            self.on_column(links, args, where)
        elif name == "timestamps":
            for c in ("created_at", "updated_at"):
                self.add(node, OpKind.ADD_COLUMN, table, c, where)
        elif name in ("dropColumn", "dropColumns"):
            cols = [c for a in args for c in as_strs(a)]
            for c in cols:
                self.add(node, OpKind.DROP_COLUMN, table, c, where)
            if len(cols) < len(args) or not args:
                self.rec.unknown(node, f"`{name}` with column names computed at run time")
        elif name == "renameColumn":
            new = as_str(args[1]) if len(args) > 1 else None
            self.add(node, OpKind.RENAME_COLUMN, table, col, where, new_name=new)
        elif name in _KNEX_ONE_OP:
            kind, which = _KNEX_ONE_OP[name]
            column = {"listed": _single(args), "first": col, "none": None}[which]
            self.add(node, kind, table, column, where)
        elif name not in _KNEX_HARMLESS:
            self.rec.unknown(node, f"`{where.table_var}.{name}()` is not known")

    def on_column(self, links: list[_Link], args: list[Value], where: _Where) -> None:
        """`t.string('x').notNullable()` in an alterTable callback: a column added, or restated
        with `.alter()`, and the index, key and reference its modifiers add."""
        first, mods = links[0], {link.name: link for link in links[1:]}
        col = as_str(args[0]) if args else None
        table, node, name = where.table, links[-1].node, first.name
        nullable = False if "notNullable" in mods else True if "nullable" in mods else None
        if "alter" in mods:
            self.on_restate(
                node,
                table,
                col,
                _Column(_knex_type(name, args), nullable if nullable is not None else True),
                where,
            )
            if "defaultTo" not in mods:
                # knex's PostgreSQL `.alter()` drops the default first and sets only the one
                # restated (knex docs, "alter"): an earlier default is lost (the replay says).
                self.add(
                    node, OpKind.DROP_DEFAULT, table, col, where, maybe=True, why=_DROPS_DEFAULT
                )
        else:
            self.known[(table, col)] = _Column(_knex_type(name, args), nullable is not False)
            serial = name in _KNEX_SERIAL
            self.add(
                node,
                OpKind.ADD_COLUMN,
                table,
                col,
                where,
                not_null=nullable is False or serial,
                has_default="defaultTo" in mods or serial,
                volatile_default=serial,
                # what it adds, so a later `.alter()` compares with its type
                table_columns=tuple(_knex_defined(links)),
            )
        if "index" in mods:
            self.add(node, OpKind.CREATE_INDEX, table, col, where)
        if "unique" in mods:
            self.add(node, OpKind.ADD_UNIQUE, table, col, where)
        if "primary" in mods:
            self.add(node, OpKind.ADD_PRIMARY_KEY, table, col, where)
        if "references" in mods or "foreign" in mods:
            self.add(node, OpKind.ADD_FOREIGN_KEY, table, col, where)

    def on_restate(
        self, node: Node, table: str | None, col: str | None, new: _Column, where: _Where
    ) -> None:
        """A column restated in full (`changeColumn`, `.alter()`): judge what changes."""
        before = self.known.get((table, col)) or self.restored.get((table, col))
        if before is None:
            if new.nullable is False:
                self.add(node, OpKind.SET_NOT_NULL, table, col, where, maybe=True)
            elif self.framework in ("knex", "sequelize"):
                # knex `.alter()` without `.notNullable()` and Sequelize `changeColumn` without
                # `allowNull: false` send DROP NOT NULL: a NOT NULL column earlier migrations
                # made stops being one (the replay decides, checks/migrations.py).
                self.add(
                    node, OpKind.DROP_NOT_NULL, table, col, where, maybe=True, why=_DROPS_NOT_NULL
                )
            # As PostgreSQL names it where known, so an earlier migration's column compares.
            to_type = (
                sequelize_pg_type(new.type, table, col) if self.framework == "sequelize" else None
            )
            self.add(
                node, OpKind.ALTER_TYPE, table, col, where, to_type=to_type or new.type, maybe=True
            )
            return
        if new.nullable is False and before.nullable is not False:
            self.add(node, OpKind.SET_NOT_NULL, table, col, where)
        elif new.nullable is True and before.nullable is False:
            self.add(node, OpKind.DROP_NOT_NULL, table, col, where, why=_DROPS_NOT_NULL)
        old_type, new_type = before.type, new.type
        if self.framework == "sequelize":  # as PostgreSQL stores them: STRING is varchar(255)
            old_type = sequelize_pg_type(old_type, table, col) or old_type
            new_type = sequelize_pg_type(new_type, table, col) or new_type
        if new_type and old_type and type_changes(_norm(old_type), _norm(new_type)):
            self.add(node, OpKind.ALTER_TYPE, table, col, where, to_type=new_type, narrowing=True)


_Handler = Callable[[_Reader, _Link, _Where], None]
# Said with GR222 when a restatement drops NOT NULL because it does not repeat it.
_DROPS_NOT_NULL = "restated without NOT NULL"
_DROPS_DEFAULT = "restated without its default"


def _knex_type(name: str, args: list[Value]) -> str | None:
    """`t.string('x', 100)` -> `varchar(100)`, as knex's PostgreSQL column compiler writes it:
    string's default length is 255, decimal's precision 8 and scale 2 (`null`: unconstrained),
    timestamp/datetime are timestamptz unless `useTz: false` (or `true` as the second argument)."""
    length = args[1] if len(args) > 1 and isinstance(args[1], int) else None
    if name == "string" and length is None:
        length = 255
    if name == "decimal":
        if len(args) > 1 and args[1] is None:
            return "numeric"
        scale = args[2] if len(args) > 2 and isinstance(args[2], int) else 2
        return sql_type("decimal", None, length or 8, scale)
    if name in ("timestamp", "datetime", "dateTime") and len(args) > 1:
        opt = args[1]
        tz = opt.get("useTz") if isinstance(opt, dict) else opt is not True
        precision = opt.get("precision") if isinstance(opt, dict) else None
        if isinstance(precision, Dynamic) or isinstance(tz, Dynamic):
            return None
        base = "timestamp" if tz is False else "timestamptz"
        if precision is None and len(args) > 2 and isinstance(args[2], int):
            precision = args[2]
        return f"{base}({precision})" if isinstance(precision, int) else base
    return sql_type(name, length, framework="knex")


def _knex_defined(links: list[_Link]) -> list[ColumnDef]:
    """The columns one `t.…` call of a knex `createTable` callback defines: PostgreSQL's type,
    NOT NULL only with `.notNullable()` (knex's columns allow NULL), the default."""
    first, mods = links[0], {link.name: link for link in links[1:]}
    args = [value(a) for a in first.args]
    col = as_str(args[0]) if args else None
    name = first.name
    if name == "timestamps":
        # knex `timestamps(useTimestamps, defaultToNow)`: timestamptz unless `useTimestamps`;
        # NOT NULL DEFAULT CURRENT_TIMESTAMP with `defaultToNow`, else nullable.
        stamp = "timestamp" if args[:1] == [True] else "timestamptz"
        now = len(args) > 1 and args[1] is True
        at = "CURRENT_TIMESTAMP" if now else None
        return [ColumnDef(c, stamp, now, at) for c in ("created_at", "updated_at")]
    if col is None and name in _KNEX_SERIAL:
        col = "id"
    if col is None or (name not in _KNEX_TYPES and name not in _KNEX_SERIAL):
        return []
    serial = name in _KNEX_SERIAL
    typ = {"increments": "integer", "bigIncrements": "bigint"}.get(name) or _knex_type(name, args)
    default: str | None = "nextval(…)" if serial else None
    if "defaultTo" in mods:
        given = value(mods["defaultTo"].args[0]) if mods["defaultTo"].args else None
        default = sql_default(given)
    primary = serial or "primary" in mods
    not_null = primary or "notNullable" in mods
    return [ColumnDef(col, (typ or name).lower(), not_null, default, primary)]


_SEQUELIZE_TYPE = re.compile(
    r"^(?:Sequelize|DataTypes|Types)?\.?([A-Z]+)(?:\((\d+)(?:,\s*(\d+))?\))?$"
)


def sequelize_pg_type(
    type_text: str | None, table: str | None = None, column: str | None = None
) -> str | None:
    """`Sequelize.STRING(100)` -> `varchar(100)`, `DataTypes.DATE` -> `timestamptz`, `ENUM(…)`
    -> `enum_<table>_<column>` (grammar.sql_type's Sequelize table, from Sequelize's source);
    None for a type it does not know."""
    text = "".join((type_text or "").split())
    if text.replace("Sequelize.", "").replace("DataTypes.", "").startswith("ENUM("):
        return f"enum_{table}_{column}" if table and column else None
    found = _SEQUELIZE_TYPE.match(text)
    if found is None:
        return None
    name, first, second = found.group(1), found.group(2), found.group(3)
    if name == "DECIMAL":
        return sql_type(
            name, None, int(first) if first else None, int(second or 0), framework="sequelize"
        )
    sized = name in ("STRING", "CHAR", "FLOAT") and first
    return sql_type(name, int(first) if sized else None, framework="sequelize")


def _sequelize_defined(name: str, spec: dict[str, Value], table: str | None) -> ColumnDef:
    """One column of `queryInterface.createTable(t, { name: { type, allowNull, … } })`."""
    written = _type_text(spec.get("type"))
    typ = sequelize_pg_type(written, table, name) or (written or "").lower()
    primary = spec.get("primaryKey") is True
    serial = spec.get("autoIncrement") is True
    default = sql_default(spec["defaultValue"]) if "defaultValue" in spec else None
    if serial:
        default, typ = "nextval(…)", typ or "integer"
    return ColumnDef(name, typ, primary or spec.get("allowNull") is False, default, primary)


def _typeorm_defined(spec: dict[str, Value]) -> ColumnDef:
    """One column of TypeORM's `new Table({ columns: [{ name, type, isNullable, … }] })`:
    NOT NULL unless `isNullable: true` (TypeORM's default)."""
    name = str(spec.get("name"))
    written = str(spec.get("type") or "").lower()
    length = spec.get("length")
    typ = {"int": "integer", "int4": "integer", "int8": "bigint", "bool": "boolean"}.get(
        written, written
    )
    if typ in ("varchar", "character varying") and isinstance(length, int | str) and length:
        typ = f"varchar({length})"
    primary = spec.get("isPrimary") is True
    default = sql_default(spec["default"]) if "default" in spec else None
    if spec.get("isGenerated") is True:
        default = "nextval(…)"
    return ColumnDef(name, typ, primary or spec.get("isNullable") is not True, default, primary)


def _norm(type_text: str) -> str:
    return "".join(type_text.split()).replace("Sequelize.", "").replace("DataTypes.", "")


def _single(args: list[Value]) -> str | None:
    names = as_strs(args[0]) if args else []
    return names[0] if len(names) == 1 else None


def _callback(link: _Link) -> Node | None:
    return next((a for a in link.args if a.type in _FUNCTIONS), None)


# -- knex.schema.* ---------------------------------------------------------------------------------


def _schema_table(r: _Reader, link: _Link, w: _Where) -> None:
    table = as_str(value(link.args[0])) if link.args else None
    creating = link.name.startswith("createTable")
    if creating and table:
        r.rec.created.add(table)
        r.add(link.node, OpKind.CREATE_TABLE, table, None, w)
    cb = _callback(link)
    if cb is None and len(link.args) > 1:
        # `alterTable(table, build)` in a helper: the callback (and what it adds) is a parameter.
        r.rec.unknown(link.node, f"`{link.name}` with a table callback passed in, not written here")
        return
    if table is None and link.args:
        r.rec.unknown(link.node, f"`{link.name}` of a table named at run time")
    inner = replace(
        w,
        table_var=_param(cb),
        table=table,
        creating=creating or table in r.rec.created,
    )
    r.function_body(cb, inner)


def _schema_drop(r: _Reader, link: _Link, w: _Where) -> None:
    table = as_str(value(link.args[0])) if link.args else None
    r.add(link.node, OpKind.DROP_TABLE, table, None, w)


def _schema_rename(r: _Reader, link: _Link, w: _Where) -> None:
    args = [value(a) for a in link.args]
    table = as_str(args[0]) if args else None
    new = as_str(args[1]) if len(args) > 1 else None
    r.add(link.node, OpKind.RENAME_TABLE, table, None, w, new_name=new)


def _schema_harmless(r: _Reader, link: _Link, w: _Where) -> None:
    return


_SCHEMA_METHODS: dict[str, _Handler] = {
    "createTable": _schema_table,
    "createTableIfNotExists": _schema_table,
    "createTableLike": _schema_table,
    "alterTable": _schema_table,
    "table": _schema_table,
    "dropTable": _schema_drop,
    "dropTableIfExists": _schema_drop,
    "renameTable": _schema_rename,
    **{name: _schema_harmless for name in _SCHEMA_HARMLESS},
}


# -- Sequelize queryInterface.* and TypeORM queryRunner.* -------------------------------------------


def _opts(link: _Link, index: int) -> dict[str, Value]:
    v = value(link.args[index]) if len(link.args) > index else None
    return v if isinstance(v, dict) else {}


def _names(link: _Link) -> tuple[str | None, str | None]:
    args = [value(a) for a in link.args[:2]]
    table = as_str(args[0]) if args else None
    if isinstance(args[0] if args else None, dict):  # Sequelize `{ tableName, schema }`
        table = as_str(args[0].get("tableName")) if isinstance(args[0], dict) else None
    col = as_str(args[1]) if len(args) > 1 else None
    return table, col


def _qi_add_column(r: _Reader, link: _Link, w: _Where) -> None:
    table, col = _names(link)
    spec = _opts(link, 2) or _opts(link, 1)
    if r.framework == "typeorm":
        _typeorm_add_column(r, link.node, w, table, spec)
        return
    if col is None:
        col = as_str(spec.get("name"))
    nullable = spec.get("allowNull", spec.get("isNullable"))
    default = "defaultValue" in spec or "default" in spec
    typ = spec.get("type")
    r.known[(table, col)] = _Column(_type_text(typ), nullable is not False)
    r.add(
        link.node,
        OpKind.ADD_COLUMN,
        table,
        col,
        w,
        not_null=nullable is False or spec.get("primaryKey") is True,
        has_default=default,
        volatile_default=spec.get("autoIncrement") is True or spec.get("isGenerated") is True,
        # what it adds, so a later `changeColumn` compares with its type
        table_columns=(
            (_sequelize_defined(col, spec, table),) if col and r.framework == "sequelize" else ()
        ),
    )
    if "references" in spec:
        r.add(link.node, OpKind.ADD_FOREIGN_KEY, table, col, w)


def _type_text(typ: Value) -> str | None:
    if isinstance(typ, Dynamic):
        return typ.text
    return typ if isinstance(typ, str) else None


# -- TypeORM's TableColumn (typeorm 281bfba4, src/schema-builder/table/TableColumn.ts and
# src/driver/postgres/PostgresQueryRunner.ts) -------------------------------------------------

# TypeORM spellings PostgreSQL reports under another name. PostgresQueryRunner reads a column's
# type from the database as its `regtype` (`character varying`, `integer`, …), and changeColumn
# compares it with the new TableColumn's type as written: one of these never equals it, so the
# column is dropped and added again (typeorm#3357, #9255).
_TYPEORM_ALIASES = frozenset(
    {
        "varchar",
        "char",
        "int",
        "int2",
        "int4",
        "int8",
        "bool",
        "float",
        "float4",
        "float8",
        "double",
        "decimal",
        "timestamp",
        "timestamptz",
        "time",
        "timetz",
        "varbit",
    }
)


def _typeorm_not_null(spec: dict[str, Value]) -> bool:
    """TableColumn's `isNullable` defaults to false: NOT NULL unless it says true."""
    return spec.get("isNullable") is not True or spec.get("isPrimary") is True


def _typeorm_add_column(
    r: _Reader, node: Node, w: _Where, table: str | None, spec: dict[str, Value]
) -> None:
    """`queryRunner.addColumn('t', new TableColumn({ name, type, isNullable, default, … }))`."""
    col = as_str(spec.get("name"))
    default = spec.get("default")
    volatile = spec.get("isGenerated") is True or spec.get("generatedType") == "STORED"
    if isinstance(default, str):
        # TypeORM writes `default` into the DDL as it is given: SQL (`"'web'"`, `"now()"`).
        volatile = volatile or default_is_volatile(default) is not False
    elif isinstance(default, Dynamic):  # `() => "now()"`: the SQL the function returns
        sql = _arrow_string(default.text)
        volatile = volatile or sql is None or default_is_volatile(sql) is not False
    not_null = _typeorm_not_null(spec)
    r.known[(table, col)] = _Column(_type_text(spec.get("type")), not not_null)
    r.add(
        node,
        OpKind.ADD_COLUMN,
        table,
        col,
        w,
        not_null=not_null,
        has_default="default" in spec and default is not None,
        volatile_default=volatile,
        # what it adds, so a later `changeColumn` compares with its type
        table_columns=(_typeorm_defined(spec),) if col else (),
    )


def _arrow_string(source: str) -> str | None:
    """The string literal an arrow function returns (`() => "now()"`), read by the JavaScript
    grammar; None for anything else."""
    root = parse("javascript", f"({source});")
    arrows = [n for n in walk(root) if n.type == "arrow_function"]
    body = arrows[0].child_by_field_name("body") if len(arrows) == 1 else None
    v = value(body) if body is not None and body.type in ("string", "template_string") else None
    return v if isinstance(v, str) else None


def _typeorm_recreates(old: dict[str, Value], new: dict[str, Value]) -> str | None:
    """Why PostgresQueryRunner.changeColumn drops and re-adds the column, compared as it does
    (the strings as written; TableColumn's `length` defaults to "", `isArray` to false)."""
    if str(old.get("type", "")).lower() != str(new.get("type", "")).lower():
        return "type"
    if str(old.get("length", "")) != str(new.get("length", "")):
        return "length"
    if (old.get("isArray") is True) != (new.get("isArray") is True):
        return "array"
    stored = new.get("generatedType") == "STORED"
    if stored and (
        old.get("generatedType") is None or old.get("asExpression") != new.get("asExpression")
    ):
        return "generated"
    return None


def _typeorm_change_column(r: _Reader, link: _Link, w: _Where) -> None:
    """`queryRunner.changeColumn('t', 'c' | oldTableColumn, new TableColumn({…}))`: in place,
    or, when TypeORM sees another type, length or array flag, DROP COLUMN + ADD COLUMN
    (OpKind.RECREATE_COLUMN, GR297). With the old column by name, TypeORM reads it from the
    database: a new type spelled as PostgreSQL does not (`varchar`, `int`) is certain to
    differ; another spelling may (the database is not in the pull request)."""
    table = as_str(value(link.args[0])) if link.args else None
    old = value(link.args[1]) if len(link.args) > 1 else None
    new = _opts(link, 2)
    typ = as_str(new.get("type"))
    if not new or (not isinstance(old, dict) and as_str(old) is None):
        r.rec.unknown(link.node, f"`{link.name}` with a column computed at run time")
        return
    if isinstance(old, dict):
        col = as_str(old.get("name"))
        why, maybe = _typeorm_recreates(old, new), False
        before: _Column | None = _Column(_type_text(old.get("type")), not _typeorm_not_null(old))
    else:
        col, before = as_str(old), None
        why, maybe = None, True
        if new.get("generatedType") == "STORED":
            why = "generated"
        elif typ and typ.lower() in _TYPEORM_ALIASES and new.get("isArray") is not True:
            why, maybe = "alias", False
        elif typ:
            why = "unknown"
    if why is not None:
        r.add(
            link.node,
            OpKind.RECREATE_COLUMN,
            table,
            col,
            w,
            why=why,
            maybe=maybe,
            to_type=typ,
            from_type=as_str(old.get("type")) if isinstance(old, dict) else None,
        )
        if not maybe:  # then TypeORM's addColumn of the new definition
            _typeorm_add_column(r, link.node, w, table, new)
            return
    new_column = _Column(typ, not _typeorm_not_null(new))
    if before is None:
        r.on_restate(link.node, table, col, new_column, w)
    elif new_column.nullable is False and before.nullable is True:
        r.add(link.node, OpKind.SET_NOT_NULL, table, col, w)
    elif new_column.nullable is True and before.nullable is False:
        r.add(link.node, OpKind.DROP_NOT_NULL, table, col, w)


def _qi_change_column(r: _Reader, link: _Link, w: _Where) -> None:
    if r.framework == "typeorm":
        _typeorm_change_column(r, link, w)
        return
    table, col = _names(link)
    spec = _opts(link, 2)
    if not spec:
        r.rec.unknown(link.node, f"`{link.name}` with a column definition computed at run time")
        return
    nullable = spec.get("allowNull", spec.get("isNullable"))
    r.on_restate(
        link.node,
        table,
        col,
        _Column(_type_text(spec.get("type")), nullable if isinstance(nullable, bool) else True),
        w,
    )
    if "references" in spec:
        # Sequelize adds the foreign key constraint again: it validates every row.
        r.add(link.node, OpKind.ADD_FOREIGN_KEY, table, col, w)


def _qi_remove_column(r: _Reader, link: _Link, w: _Where) -> None:
    table, col = _names(link)
    r.add(link.node, OpKind.DROP_COLUMN, table, col, w)


def _qi_rename_column(r: _Reader, link: _Link, w: _Where) -> None:
    table, col = _names(link)
    new = as_str(value(link.args[2])) if len(link.args) > 2 else None
    r.add(link.node, OpKind.RENAME_COLUMN, table, col, w, new_name=new)


def _qi_add_index(r: _Reader, link: _Link, w: _Where) -> None:
    table, _ = _names(link)
    opts = _opts(link, 2) or _opts(link, 1)
    fields = as_strs(value(link.args[1])) if len(link.args) > 1 else []
    if not fields:
        fields = as_strs(opts.get("fields") or opts.get("columnNames") or [])
    r.add(
        link.node,
        OpKind.CREATE_INDEX,
        table,
        fields[0] if len(fields) == 1 else None,
        w,
        concurrently=opts.get("concurrently") is True,
        unique=opts.get("unique") is True or opts.get("isUnique") is True,
    )


def _qi_remove_index(r: _Reader, link: _Link, w: _Where) -> None:
    table, _ = _names(link)
    opts = _opts(link, 2)
    r.add(
        link.node, OpKind.DROP_INDEX, table, None, w, concurrently=opts.get("concurrently") is True
    )


_CONSTRAINTS = {
    "primary key": OpKind.ADD_PRIMARY_KEY,
    "unique": OpKind.ADD_UNIQUE,
    "foreign key": OpKind.ADD_FOREIGN_KEY,
    "check": OpKind.ADD_CHECK,
}


def _qi_add_constraint(r: _Reader, link: _Link, w: _Where) -> None:
    table, _ = _names(link)
    opts = _opts(link, 1) or _opts(link, 2)  # (table, opts) or the old (table, fields, opts)
    kind = _CONSTRAINTS.get(str(opts.get("type", "")).lower())
    if kind is None:
        r.rec.unknown(link.node, "`addConstraint` of a type that is not a literal")
        return
    fields = as_strs(opts.get("fields") or [])
    r.add(link.node, kind, table, fields[0] if len(fields) == 1 else None, w)


def _typeorm_constraint(kind: OpKind) -> _Handler:
    def handler(r: _Reader, link: _Link, w: _Where) -> None:
        table, _ = _names(link)
        r.add(link.node, kind, table, None, w)

    return handler


def _qi_create_table(r: _Reader, link: _Link, w: _Where) -> None:
    table, _ = _names(link)
    spec = _opts(link, 0)
    if spec == {} and link.args and link.args[0].type == "new_expression":
        # TypeORM `queryRunner.createTable(new Table({ name, columns: [...] }))`.
        arguments = link.args[0].child_by_field_name("arguments")
        first = arguments.named_children[0] if arguments and arguments.named_children else None
        got = value(first) if first is not None else None
        spec = got if isinstance(got, dict) else {}
    if table is None:
        table = as_str(spec.get("name"))
    if table:
        r.rec.created.add(table)
    r.add(link.node, OpKind.CREATE_TABLE, table, None, w)
    if r.framework == "typeorm":
        columns = spec.get("columns")
        for col in columns if isinstance(columns, list) else []:
            if isinstance(col, dict) and isinstance(col.get("name"), str):
                r.rec.define(table, _typeorm_defined(col))
    else:
        for name, col in _opts(link, 1).items():
            if isinstance(col, dict):
                r.rec.define(table, _sequelize_defined(name, col, table))


def _qi_drop_table(r: _Reader, link: _Link, w: _Where) -> None:
    table, _ = _names(link)
    r.add(link.node, OpKind.DROP_TABLE, table, None, w)


def _qi_rename_table(r: _Reader, link: _Link, w: _Where) -> None:
    table, new = _names(link)
    r.add(link.node, OpKind.RENAME_TABLE, table, None, w, new_name=new)


def _qi_harmless(r: _Reader, link: _Link, w: _Where) -> None:
    return


_QI_METHODS: dict[str, _Handler] = {
    "addColumn": _qi_add_column,
    "changeColumn": _qi_change_column,
    "removeColumn": _qi_remove_column,
    "dropColumn": _qi_remove_column,
    "renameColumn": _qi_rename_column,
    "addIndex": _qi_add_index,
    "createIndex": _qi_add_index,
    "removeIndex": _qi_remove_index,
    "dropIndex": _qi_remove_index,
    "addConstraint": _qi_add_constraint,
    "createForeignKey": _typeorm_constraint(OpKind.ADD_FOREIGN_KEY),
    "createUniqueConstraint": _typeorm_constraint(OpKind.ADD_UNIQUE),
    "createPrimaryKey": _typeorm_constraint(OpKind.ADD_PRIMARY_KEY),
    "createCheckConstraint": _typeorm_constraint(OpKind.ADD_CHECK),
    "createTable": _qi_create_table,
    "dropTable": _qi_drop_table,
    "renameTable": _qi_rename_table,
    **{name: _qi_harmless for name in _QI_HARMLESS},
}


# -- the file ----------------------------------------------------------------------------------------


def _exports(root: Node) -> tuple[dict[str, Node], dict[str, Value]]:
    """The functions named up/down/helpers, and top-level settings (`config`, `transaction`)."""
    fns: dict[str, Node] = {}
    settings: dict[str, Value] = {}

    def function_of(node: Node | None) -> Node | None:
        if node is None:
            return None
        if node.type in _FUNCTIONS_ALL:
            return node
        if node.type == "identifier":
            return fns.get(text(node))
        return None

    for node in walk(root, frozenset({"statement_block"})):  # declarations, not bodies
        found = _declared_function(node, function_of)
        if found is not None:
            fns[found[0]] = found[1]
            continue
        setting = _setting(node)
        if setting is not None:
            settings[setting[0]] = setting[1]
    return fns, settings


def _declared_function(
    node: Node, function_of: Callable[[Node | None], Node | None]
) -> tuple[str, Node] | None:
    """A top-level declaration that names a function: `function up`, `exports.up = …`,
    `const up = …`, an object's `up: …` or a class's `up()`, with its name."""
    t = node.type
    if t in ("function_declaration", "generator_function_declaration", "method_definition"):
        name = node.child_by_field_name("name")
        return (text(name), node) if name is not None else None
    if t == "variable_declarator":
        name, val = node.child_by_field_name("name"), node.child_by_field_name("value")
        fn = function_of(val) if name is not None and val is not None else None
        return (text(name), fn) if name is not None and fn is not None else None
    if t == "assignment_expression":
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        fn = function_of(right) if left is not None and right is not None else None
        return (text(left).rsplit(".", 1)[-1], fn) if left is not None and fn is not None else None
    if t == "pair":
        key, val = node.child_by_field_name("key"), node.child_by_field_name("value")
        fn = function_of(val)
        return (text(key).strip("'\""), fn) if key is not None and fn is not None else None
    return None


def _setting(node: Node) -> tuple[str, Value] | None:
    """A top-level setting that is not a function (`exports.config = { transaction: false }`,
    TypeORM's `transaction = false`), with its name: asked only where `_declared_function`
    found none."""
    t = node.type
    if t == "variable_declarator":
        name, val = node.child_by_field_name("name"), node.child_by_field_name("value")
        return (text(name), value(val)) if name is not None and val is not None else None
    if t == "assignment_expression":
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if left is None or right is None:
            return None
        if right.type == "object" and text(left) in ("module.exports", "exports"):
            return None
        return text(left).rsplit(".", 1)[-1], value(right)
    if t in ("public_field_definition", "field_definition"):
        if any(c.type == "static" for c in node.children):
            # TypeORM reads `migration.instance.transaction` (MigrationExecutor, 281bfba4): a
            # `static transaction = false` is on the class, not the instance, and changes nothing.
            return None
        name = node.child_by_field_name("name") or node.child_by_field_name("property")
        val = node.child_by_field_name("value")
        return (text(name), value(val)) if name is not None and val is not None else None
    return None


def _is_empty(fn: Node | None) -> bool:
    if fn is None:
        return True
    body = _body(fn)
    if body is None:
        return True
    if body.type != "statement_block":
        return False
    return not [c for c in body.named_children if c.type != "comment"]


def read(source: str, framework: str, *, typescript: bool = False) -> Reading:
    root = parse("typescript" if typescript else "javascript", source)
    r = _Reader(source, framework)
    note = syntax_note(root, "TypeScript" if typescript else "JavaScript")
    if note is not None:
        r.rec.notes.append(note)
    fns, settings = _exports(root)
    config = settings.get("config")
    r.rec.in_transaction = (
        FRAMEWORKS[framework].wraps_transaction if framework in FRAMEWORKS else True
    )
    if isinstance(config, dict) and config.get("transaction") is False:
        r.rec.in_transaction = False
    if settings.get("transaction") is False:
        r.rec.in_transaction = False
    r.helpers = {k: v for k, v in fns.items() if k not in ("up", "down")}
    up, down = fns.get("up"), fns.get("down")
    r.api = _param(up) or ""
    r.constants = {k: v for k, v in settings.items() if isinstance(v, str)}
    if down is not None:
        r.restored = _restates(down)
    if up is None:
        r.rec.notes.append("no `up` function was found")
    else:
        r.function_body(up, _Where("up"))
    reversible = not _is_empty(down)
    return r.rec.reading(reversible, "" if reversible else "`down` is empty or missing")


def _restates(down: Node) -> dict[tuple[str | None, str | None], _Column]:
    """How `down` restates columns (`changeColumn` / `.alter()`), i.e. what they were before."""
    out: dict[tuple[str | None, str | None], _Column] = {}
    table_of: dict[str, str | None] = {}
    for node in walk(down):
        if node.type != "call_expression":
            continue
        root, links = _chain(node)
        if not links:
            continue
        last = links[-1]
        if last.name == "changeColumn":
            table, col = _names(last)
            spec = _opts(last, 2)
            nullable = spec.get("allowNull", spec.get("isNullable"))
            out[(table, col)] = _Column(
                _type_text(spec.get("type")), nullable if isinstance(nullable, bool) else True
            )
        elif last.name in ("alterTable", "table") and last.args:
            cb = _callback(last)
            var = _param(cb)
            if var:
                table_of[var] = as_str(value(last.args[0]))
        elif "alter" in [link.name for link in links] and text(root) in table_of:
            first = links[0]
            col = as_str(value(first.args[0])) if first.args else None
            mods = {link.name for link in links}
            nullable = "notNullable" not in mods
            args = [value(a) for a in first.args]
            out[(table_of[text(root)], col)] = _Column(_knex_type(first.name, args), nullable)
    return out
