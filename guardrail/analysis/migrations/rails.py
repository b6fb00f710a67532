"""Rails (ActiveRecord) migrations, read from tree-sitter-ruby's syntax tree.

Understood: the schema statements of `ActiveRecord::Migration` in `def change`, `def up`
(`self.up`), `reversible`/`dir.up`, `up_only`, brace and do blocks (`safety_assured { … }`),
`change_table … do |t|` with `t.remove/rename/change/index/…`, literal arguments in any spelling
(`:sym`, `"str"`, `%i[a b]`, `*%i[a b]`, `key: v`, `:key => v`), heredoc SQL (`execute <<~SQL`)
read by the SQL reader, helper methods of the migration class, and model data changes
(`update_all`, `in_batches`). Anything else is reported, with its line, as not understood.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from guardrail.analysis.migrations import postgres as pg
from guardrail.analysis.migrations.grammar import (
    Dynamic,
    Recorder,
    Value,
    as_str,
    as_strs,
    line,
    parse,
    short,
    sql_default,
    sql_type,
    syntax_note,
    text,
    type_changes,
)
from guardrail.analysis.migrations.literals import Literals, Syntax
from guardrail.analysis.migrations.ops import ColumnDef, Framework, OpKind, Reading
from guardrail.analysis.migrations.sql import default_is_volatile

if TYPE_CHECKING:
    from tree_sitter import Node

FRAMEWORK = Framework(
    name="rails",
    language="ruby",
    wraps_transaction=True,
    no_transaction="a migration with `disable_ddl_transaction!`",
    concurrent_index=(
        "`add_index :table, :column, algorithm: :concurrently` in a migration with "
        "`disable_ddl_transaction!`"
    ),
    drop_index=(
        "`remove_index :table, :column, algorithm: :concurrently` in a migration with "
        "`disable_ddl_transaction!`"
    ),
    lock_timeout=(
        "`StrongMigrations.lock_timeout = 10.seconds` (strong_migrations) or "
        "`execute \"SET lock_timeout = '5s'\"` at the start"
    ),
    statement_timeout=(
        "`StrongMigrations.statement_timeout = 1.hour` (strong_migrations) or "
        "`execute \"SET statement_timeout = '15min'\"` at the start"
    ),
    batch=(
        "`Model.unscoped.in_batches(of: 10_000).update_all(...)` in a migration with "
        "`disable_ddl_transaction!`"
    ),
    db_default="`default:`",
    raw_sql='`execute "{sql}"`',
)

# Schema statements that change nothing a running deploy depends on, or whose risk the checks
# do not model: read, and deliberately silent.
_HARMLESS = frozenset(
    {
        "add_enum_value",
        "change_column_comment",
        "change_table_comment",
        "create_enum",
        "create_join_table",
        "create_schema",
        "create_view",
        "disable_extension",
        "drop_enum",
        "drop_schema",
        "enable_extension",
        "execute_block",
        "puts",
        "remove_check_constraint",
        "remove_foreign_key",
        "rename_enum",
        "rename_enum_value",
        "rename_index",
        "require",
        "say",
        "validate_check_constraint",
        "validate_foreign_key",
        "reset_column_information",
    }
)
# Questions about the schema or data: they change nothing.
_QUERIES = frozenset(
    [
        "check_constraint_exists?",
        "column_exists?",
        "columns",
        "data_source_exists?",
        "extension_enabled?",
        "foreign_key_exists?",
        "foreign_keys",
        "index_exists?",
        "index_name_exists?",
        "indexes",
        "primary_key",
        "quote",
        "quote_column_name",
        "quote_table_name",
        "select_all",
        "select_one",
        "select_rows",
        "select_value",
        "select_values",
        "table_exists?",
        "view_exists?",
        "connection",
    ]
)
# Conditionals that may guard statements with `column_exists?` (Op.only_without).
_CONDITIONALS = frozenset({"if", "unless", "if_modifier", "unless_modifier"})
# String methods that keep a literal a literal (`<<~SQL.squish`).
_STRING_METHODS = frozenset({"squish", "strip", "strip_heredoc", "chomp", "freeze", "dedent"})
# Calls whose block is read as part of the migration.
_TRANSPARENT = frozenset({"up_only", "say_with_time", "transaction", "suppress_messages"})
_COLUMN_TYPES = frozenset(
    {
        "bigint",
        "binary",
        "boolean",
        "citext",
        "date",
        "datetime",
        "decimal",
        "enum",
        "float",
        "hstore",
        "inet",
        "integer",
        "interval",
        "json",
        "jsonb",
        "numeric",
        "string",
        "text",
        "time",
        "timestamp",
        "timestamptz",
        "tsvector",
        "uuid",
        "virtual",
    }
)
_DATA_WRITES = frozenset(
    {"update_all", "update_column", "update_columns", "update!", "update", "save!", "upsert_all"}
)
_DATA_DELETES = frozenset({"delete_all", "destroy_all", "delete_by", "destroy_by"})
_BATCHES = frozenset({"in_batches", "find_each", "find_in_batches"})


def _written_columns(c: _Call) -> tuple[str, ...]:
    """The columns `update_all(col: …)`, `update_columns(col: …)` or `update_column(:col, …)`
    set; empty when the call does not name them (`update_all("col = …")`, a hash variable)."""
    if c.name in ("update_all", "update_columns", "update!", "update") and c.kwargs and not c.args:
        return tuple(k.lower() for k in c.kwargs)
    if c.name == "update_column" and c.args and isinstance(c.args[0], str):
        return (c.args[0].lower(),)
    return ()


def _receiver_model(receiver: str | None) -> str | None:
    """The model class a data write goes through: `Order` of `Order.where(…).update_all`."""
    if not receiver:
        return None
    head = receiver.split(".", 1)[0].split("(", 1)[0].split("::")[-1].strip()
    return head.lower() if head[:1].isupper() and head.isidentifier() else None


def _batched_receiver(node: Node) -> bool:
    """A call chain whose receiver calls `in_batches`, `find_each` or `find_in_batches`."""
    receiver = node.child_by_field_name("receiver")
    while receiver is not None and receiver.type == "call":
        method = receiver.child_by_field_name("method")
        if method is not None and text(method) in _BATCHES:
            return True
        receiver = receiver.child_by_field_name("receiver")
    return False


@dataclass(frozen=True)
class _Where:
    section: str  # change | up
    table_var: str | None = None  # `t` of `change_table :x do |t|`
    table: str | None = None
    creating: bool = False  # inside `create_table … do |t|`: the table is new
    batched: bool = False  # inside `in_batches`/`find_each`


@dataclass(frozen=True)
class _Call:
    node: Node
    name: str
    receiver: str | None
    args: list[Value]
    kwargs: dict[str, Value]
    block: Node | None


def _unescape(seq: str) -> str:
    return {"\\n": "\n", "\\t": "\t", '\\"': '"', "\\'": "'", "\\\\": "\\"}.get(seq, seq[1:])


_SYNTAX = Syntax(
    strings=frozenset({"string", "delimited_symbol", "bare_string", "bare_symbol"}),
    content=frozenset({"string_content", "heredoc_content"}),
    unescape=_unescape,
    interpolations=frozenset({"interpolation"}),
    integers=frozenset({"integer"}),
    integer=lambda digits: int(digits.replace("_", ""), 0),
    constants={"true": True, "false": False, "nil": None},
)


class _RubyLiterals(Literals):
    """Ruby's: symbols, heredocs, arrays with splats, hashes, `"…".squish`, and `#{CONSTANT}`
    of a string constant the file defines."""

    def __init__(self, everything: list[Node]) -> None:
        super().__init__(_SYNTAX)
        self.heredocs = [n for n in everything if n.type == "heredoc_body"]
        self.heredoc_starts = [n for n in everything if n.type == "heredoc_beginning"]
        self.constants: dict[str, str] = {}

    def value(self, node: Node) -> Value:
        t = node.type
        if t == "simple_symbol":
            return text(node)[1:]
        if t == "hash_key_symbol":
            return text(node)
        if t == "heredoc_beginning":
            body = self.heredoc(node)
            return self.string(body) if body is not None else Dynamic(text(node))
        if t in ("array", "symbol_array", "string_array"):
            return self.array(node)
        if t == "hash":
            return {k: v for k, v in (self.pair(p) for p in node.named_children) if k}
        if t == "call":
            return self.string_method(node)
        if t == "parenthesized_statements" and node.named_child_count == 1:
            return self.value(node.named_children[0])
        return super().value(node)

    def string_method(self, node: Node) -> Value:
        """`"…".squish`, `<<~SQL.strip_heredoc`: the string, as the method leaves its SQL."""
        method, receiver = node.child_by_field_name("method"), node.child_by_field_name("receiver")
        if method is not None and receiver is not None and text(method) in _STRING_METHODS:
            inner = self.value(receiver)
            return inner if isinstance(inner, str) else Dynamic(text(node))
        return Dynamic(text(node))

    def array(self, node: Node) -> list[Value]:
        out: list[Value] = []
        for c in node.named_children:
            if c.type == "splat_argument" and c.named_children:
                inner = self.value(c.named_children[0])
                out.extend(inner if isinstance(inner, list) else [inner])
            else:
                out.append(self.value(c))
        return out

    def string(self, node: Node) -> Value:
        if not node.named_children and node.type in ("bare_string", "bare_symbol"):
            return text(node)
        return super().string(node)

    def interpolation(self, node: Node) -> str | None:
        """`#{NON_ENIC}` where the class says `NON_ENIC = "non_enic"`, or a string literal
        (`#{' '}`): its literal value."""
        inner = [c for c in node.named_children if c.type != "comment"]
        if len(inner) == 1 and inner[0].type == "constant":
            return self.constants.get(text(inner[0]))
        if len(inner) == 1 and inner[0].type == "string":
            # `#{' '}`: RuboCop's fix for trailing spaces in a heredoc, a literal.
            v = self.value(inner[0])
            return v if isinstance(v, str) else None
        return None

    def heredoc(self, start: Node) -> Node | None:
        """The body of the heredoc `start` opens."""
        for i, s in enumerate(self.heredoc_starts):
            if s.id == start.id and i < len(self.heredocs):
                return self.heredocs[i]
        return None

    def pair(self, node: Node) -> tuple[str, Value]:
        if node.type != "pair":
            return "", None
        key = node.child_by_field_name("key")
        value = node.child_by_field_name("value")
        k = self.value(key) if key is not None else None
        return (k if isinstance(k, str) else ""), (self.value(value) if value is not None else None)


class _Reader:
    def __init__(self, source: str, root: Node) -> None:
        self.rec = Recorder(source, "rails")
        everything = _descendants(root)
        self.everything = everything
        self.literals = _RubyLiterals(everything)
        for n in everything:
            left, right = n.child_by_field_name("left"), n.child_by_field_name("right")
            if (
                n.type == "assignment"
                and left is not None
                and right is not None
                and left.type == "constant"
                and right.type == "string"
            ):
                literal = self.literals.string(right)
                if isinstance(literal, str):
                    self.literals.constants[text(left)] = literal
        self.helpers: dict[str, Node] = {}
        self.visiting: set[str] = set()
        self.irreversible = ""
        self.has_change = False
        # (table, column) -> (SQL type, null:) as `down` changes them back with change_column.
        self.restored: dict[tuple[str | None, str | None], tuple[str | None, Value]] = {}
        self.used_reversible = False

    # -- values ----------------------------------------------------------------------------------

    def value(self, node: Node) -> Value:
        return self.literals.value(node)

    def pair(self, node: Node) -> tuple[str, Value]:
        return self.literals.pair(node)

    def call(self, node: Node) -> _Call:
        method = node.child_by_field_name("method")
        receiver = node.child_by_field_name("receiver")
        arguments = node.child_by_field_name("arguments")
        args: list[Value] = []
        kwargs: dict[str, Value] = {}
        given = arguments.named_children if arguments is not None else []
        for a in given:
            if a.type == "pair":
                k, v = self.pair(a)
                kwargs[k] = v
            elif a.type == "splat_argument" and a.named_children:
                inner = self.value(a.named_children[0])
                args.extend(inner if isinstance(inner, list) else [inner])
            elif a.type == "hash_splat_argument":
                kwargs["**"] = Dynamic(text(a))
            elif a.type == "block_argument":
                continue
            elif a.type == "hash" and a == given[-1]:
                for p in a.named_children:
                    k, v = self.pair(p)
                    kwargs[k] = v
            else:
                args.append(self.value(a))
        return _Call(
            node,
            text(method) if method is not None else "",
            text(receiver) if receiver is not None else None,
            args,
            kwargs,
            node.child_by_field_name("block"),
        )

    # -- walking ---------------------------------------------------------------------------------

    def visit(self, node: Node, where: _Where) -> None:
        if node.type == "call":
            self.on_call(self.call(node), where)
            return
        if node.type in _CONDITIONALS and self.adapter_branch(node, where):
            return
        if node.type in _CONDITIONALS and self.guarded(node, where):
            return
        if node.type in _CONDITIONALS and self.unread_column_guard(node, where):
            return
        if node.type == "identifier" and node.parent is not None and _is_statement(node):
            name = text(node)
            if name in self.helpers:
                self.helper(name, node, where)
            elif name in _SCHEMA_NAMES:
                self.on_call(_Call(node, name, None, [], {}, None), where)
            return
        if node.type in ("heredoc_body", "comment"):
            return
        for c in node.named_children:
            self.visit(c, where)

    def block_body(self, block: Node | None, where: _Where) -> None:
        if block is None:
            return
        body = block.child_by_field_name("body")
        self.statements((body or block).named_children, where)

    def statements(self, nodes: list[Node], where: _Where) -> None:
        for i, c in enumerate(nodes):
            if c.type == "block_parameters":
                continue
            missing = self.returns_if_exists(c, where)
            if missing is not None:
                # `return if column_exists?(:t, :c)`: the rest runs only where it is missing.
                with self.rec.missing(*missing):
                    self.statements(nodes[i + 1 :], where)
                return
            self.visit(c, where)

    # -- `column_exists?` guards (Op.only_without) ------------------------------------------------

    def exists_check(self, node: Node | None, where: _Where) -> tuple[str, str] | None:
        """(table, column) of `column_exists?(:t, :c)` (also `connection.…`, and `t.…(:c)` in a
        `change_table` block), literal names only."""
        while node is not None and node.type == "parenthesized_statements" and node.named_children:
            node = node.named_children[0]
        predicate = self.predicate(node)
        if predicate is not None:
            return self.exists_check(predicate, where)
        if node is None or node.type != "call":
            return None
        c = self.call(node)
        if c.name != "column_exists?":
            return None
        if where.table_var is not None and c.receiver == where.table_var:
            table, col = where.table, as_str(c.args[0]) if c.args else None
        elif c.receiver is None or c.receiver.endswith("connection"):
            table = as_str(c.args[0]) if c.args else None
            col = as_str(c.args[1]) if len(c.args) > 1 else None
        else:
            return None
        return (table, col) if table and col else None

    def missing_check(
        self, node: Node | None, negated: bool, where: _Where
    ) -> tuple[str, str] | None:
        """The column a condition asks to be missing: `!column_exists?(…)`/`not …` under `if`,
        `column_exists?(…)` under `unless`."""
        while node is not None and node.type == "parenthesized_statements" and node.named_children:
            node = node.named_children[0]
        if node is None:
            return None
        if node.type == "unary" and node.named_children and text(node).startswith(("!", "not")):
            return self.missing_check(node.named_children[-1], not negated, where)
        predicate = self.predicate(node)
        if predicate is not None:
            return self.missing_check(predicate, negated, where)
        return self.exists_check(node, where) if negated else None

    def predicate(self, node: Node | None, depth: int = 0) -> Node | None:
        """The one expression a helper method of the class returns, where `node` calls it
        without arguments (`unless coupon_exists?` with `def coupon_exists? =
        column_exists?(:orders, :coupon)`): read in its place. None otherwise."""
        if node is None or depth > 3:
            return None
        name = text(node) if node.type == "identifier" else None
        if node.type == "call" and node.child_by_field_name("receiver") is None:
            c = self.call(node)
            name = c.name if not c.args and not c.kwargs and c.block is None else None
        method = self.helpers.get(name or "")
        if method is None or method.child_by_field_name("parameters") is not None:
            return None
        body = method.child_by_field_name("body")
        statements = [n for n in body.named_children if n.type != "comment"] if body else []
        if len(statements) != 1:
            return None
        return self.predicate(statements[0], depth + 1) or statements[0]

    def plain_check(self, node: Node | None, where: _Where) -> bool:
        """`column_exists?(:t, :c)`, negated or not, directly or through a helper: read exactly
        (under `unless` by `guarded`; under `if`, where it exists, the statements run as
        written, so they are judged as written)."""
        while node is not None and node.type in ("parenthesized_statements", "unary"):
            if node.type == "unary" and not text(node).startswith(("!", "not")):
                return False
            node = node.named_children[-1] if node.named_children else None
        return self.exists_check(node, where) is not None

    def unread_column_guard(self, node: Node, where: _Where) -> bool:
        """A condition that asks `column_exists?` in a way not read above (`column_exists?(…) &&
        ENV["X"]`, a helper of several lines): whether the statements under it run depends on
        it, so they are reported (GR290) rather than judged as if they always ran."""
        cond = node.child_by_field_name("condition")
        if self.plain_check(cond, where):
            return False
        seen: list[Node] = [cond] if cond is not None else []
        for n in list(seen):
            for inner in _descendants(n):
                if inner.type in ("identifier", "call"):
                    found = self.predicate(inner)
                    if found is not None:
                        seen.append(found)
        asks = any(
            inner.type == "identifier" and text(inner) == "column_exists?"
            for n in seen
            for inner in _descendants(n)
        )
        if not asks or cond is None:
            return False
        self.rec.unknown(
            node,
            f"a column check guardrail cannot read (`{text(cond)[:60]}`) decides whether the "
            "statements under it run",
        )
        return True

    def guarded(self, node: Node, where: _Where) -> bool:
        """`… unless column_exists?(…)`, `unless column_exists?(…) … end`, `if !column_exists?`:
        the guarded statements read as running only where the column is missing. False: not
        such a guard (read as any other node)."""
        unless = node.type in ("unless", "unless_modifier")
        missing = self.missing_check(node.child_by_field_name("condition"), unless, where)
        if missing is None:
            return False
        body = node.child_by_field_name("body" if "modifier" in node.type else "consequence")
        with self.rec.missing(*missing):
            if body is not None:
                self.visit(body, where)
        other = node.child_by_field_name("alternative")
        if other is not None:
            self.visit(other, where)
        return True

    def adapter_branch(self, node: Node, where: _Where) -> bool:
        """`if connection.adapter_name == "SQLServer" … else … end` (doorkeeper's generator): on
        PostgreSQL (adapter `PostgreSQL`, or PostGIS's) only one branch runs, and only it is
        read. False: the condition is not an adapter-name comparison."""
        cond = node.child_by_field_name("condition")
        op = cond.child_by_field_name("operator") if cond is not None else None
        if cond is None or cond.type != "binary" or op is None or text(op) not in ("==", "!="):
            return False
        sides = [cond.child_by_field_name("left"), cond.child_by_field_name("right")]
        names = [self.value(n) for n in sides if n is not None and n.type == "string"]
        asked = [n for n in sides if n is not None and text(n).endswith("adapter_name")]
        if len(names) != 1 or not isinstance(names[0], str) or len(asked) != 1:
            return False
        holds = (names[0] in ("PostgreSQL", "PostGIS")) == (text(op) == "==")
        if node.type.startswith("unless"):
            holds = not holds
        if "modifier" in node.type:
            body = node.child_by_field_name("body")
            if holds and body is not None:
                self.visit(body, where)
            return True
        branch = node.child_by_field_name("consequence" if holds else "alternative")
        if branch is not None:
            self.visit(branch, where)
        return True

    def returns_if_exists(self, node: Node, where: _Where) -> tuple[str, str] | None:
        if node.type != "if_modifier":
            return None
        body = node.child_by_field_name("body")
        if body is None or body.type != "return" or body.named_children:
            return None
        return self.exists_check(node.child_by_field_name("condition"), where)

    def helper(self, name: str, node: Node, where: _Where) -> None:
        if name in self.visiting:
            return
        self.visiting.add(name)
        self.block_body(self.helpers[name], where)
        self.visiting.discard(name)

    def on_call(self, c: _Call, where: _Where) -> None:
        if where.table_var is not None and c.receiver == where.table_var:
            self.on_block_var_call(c, where)
            return
        if c.receiver is None and c.name in self.helpers:
            self.helper(c.name, c.node, where)
            return
        on_connection = c.receiver in (None, "connection", "ActiveRecord::Base.connection")
        if on_connection and self.schema_statement(c, where):
            return
        if c.receiver is not None and c.name in ("up", "down") and c.block is not None:
            # `dir.up { … }` inside `reversible do |dir|`: the down side is not deployed, and
            # what runs here is undone by `dir.down`, not inverted by Rails (read as `up`).
            if c.name == "up":
                self.block_body(c.block, replace(where, section="up"))
            return
        if c.name in _DATA_WRITES:
            # `Order.in_batches(of: 10_000).update_all(…)`: the batching is in the receiver chain.
            chained = _batched_receiver(c.node)
            self.rec.add(
                c.node,
                OpKind.BACKFILL,
                None,
                batched=where.batched or chained,
                value=c.name,
                columns=_written_columns(c),
                name=_receiver_model(c.receiver),
            )
        elif c.name in _DATA_DELETES:
            self.rec.add(c.node, OpKind.DELETE_ROWS, None)
        elif c.name in ("execute", "exec_update", "exec_query", "exec_delete"):
            self.execute(c, where)
            return
        inner = replace(where, batched=where.batched or c.name in _BATCHES)
        receiver = c.node.child_by_field_name("receiver")
        if receiver is not None:
            self.visit(receiver, where)
        self.block_body(c.block, inner)

    def on_block_var_call(self, c: _Call, where: _Where) -> None:
        """`t.string :x` in a `create_table`/`change_table` block."""
        if not where.creating:
            self.on_table_call(c, where)
            return
        # The new table's columns change nothing that exists, but its foreign keys lock the
        # tables they reference.
        if c.name in ("references", "belongs_to"):
            _lock_parent(self, c, _reference_parent(c, _arg(c, 0)))
        elif c.name == "foreign_key":
            _lock_parent(self, c, _arg(c, 0))
        for column in _rails_defined(c):
            self.rec.define(where.table, column)
        self.block_body(c.block, where)

    def schema_statement(self, c: _Call, where: _Where) -> bool:
        """A call on the migration or its connection, read as a schema statement (or known
        harmless): True when it was, False for a connection method guardrail does not know."""
        handler = _SCHEMA.get(c.name)
        if handler is not None:
            handler(self, c, where)
            return True
        if c.name in _HARMLESS or c.name in _QUERIES:
            return True
        if c.name in _TRANSPARENT:
            self.block_body(c.block, where)
            return True
        if c.name in ("safety_assured", "with_lock_retries"):
            self.scoped(c, where)
            return True
        if c.name == "reversible":
            self.used_reversible = True
            self.block_body(c.block, where)
            return True
        if c.receiver is None:
            self.rec.unknown(c.node, f"`{c.name}` is not a schema statement guardrail knows")
            return True
        return False

    def scoped(self, c: _Call, where: _Where) -> None:
        """strong_migrations' `safety_assured { … }` (an acknowledgement written in the code) and
        GitLab's `with_lock_retries do … end` (a short lock_timeout, retried): what runs inside
        carries it (Op.assured, Op.lock_retries)."""
        rec = self.rec
        before = (rec.assured, rec.lock_retries)
        if c.name == "safety_assured":
            rec.assured = "safety_assured"
        else:
            rec.lock_retries = True
        try:
            self.block_body(c.block, where)
        finally:
            rec.assured, rec.lock_retries = before

    def on_table_call(self, c: _Call, where: _Where) -> None:
        """`t.something` inside `change_table :x do |t|`."""
        table = where.table
        name = "add_column" if c.name in _COLUMN_TYPES or c.name == "column" else c.name
        if name == "add_column":
            names = as_strs(c.args[0]) if c.args else []
            if c.name != "column":
                names = [n for a in c.args for n in as_strs(a)]
            for col in names:
                self.add_column(c, table, col, c.kwargs)
            return
        mapped = _TABLE_METHODS.get(name)
        if mapped is None:
            if name in _HARMLESS or name in ("remove_foreign_key", "rename_index"):
                return
            self.rec.unknown(c.node, f"`{c.receiver}.{c.name}` in `change_table` is not known")
            return
        # `t.remove :a` is `remove_column :table, :a`: put the table first and dispatch.
        _SCHEMA[mapped](self, replace(c, args=[table, *c.args]), where)

    # -- statements ------------------------------------------------------------------------------

    def add_column(
        self, c: _Call, table: str | None, col: str | None, kw: dict[str, Value]
    ) -> None:
        default = kw.get("default")
        if c.name == "add_column":
            defined = _rails_defined(replace(c, name="column", args=c.args[1:]))
        else:
            defined = [d for d in _rails_defined(c) if d.name == col]
        self.rec.add(
            c.node,
            OpKind.ADD_COLUMN,
            table,
            col,
            not_null=kw.get("null") is False,
            has_default="default" in kw and default is not None,
            volatile_default=_rewrites_to_fill(c, default, kw),
            table_columns=tuple(defined[:1]),
            # `if_not_exists: true` (Rails 6.1): skipped where the column exists.
            only_without=(table, col)
            if kw.get("if_not_exists") is True and table and col
            else self.rec.only_without,
        )

    def execute(self, c: _Call, where: _Where) -> None:
        arg = c.node.child_by_field_name("arguments")
        first = arg.named_children[0] if arg is not None and arg.named_children else None
        if first is None:
            self.rec.unknown(c.node, "`execute` without an argument")
            return
        value = self.value(first)
        node = first
        start = next((n for n in _descendants(first) if n.type == "heredoc_beginning"), None)
        if start is not None:
            body = self.literals.heredoc(start)
            node = body if body is not None else first
        self.rec.sql(c.node, value if isinstance(value, str) else None, node.start_point[0])
        if where.section == "change" and not self.used_reversible:
            self.irreversible = self.irreversible or "`execute` in `change` cannot be reversed"


def text_is_lambda(value: Dynamic) -> bool:
    return value.text.lstrip().startswith(("->", "lambda", "proc"))


def _rewrites_to_fill(c: _Call, default: Value, kw: dict[str, Value]) -> bool:
    """The added column is filled per row, so ADD COLUMN rewrites the table: a stored
    generated column (`t.virtual …, stored: true`, `add_column :t, :c, :virtual, …`), or a
    default given as SQL (`default: -> { "gen_random_uuid()" }`) that is volatile. A stable one
    (`-> { "CURRENT_TIMESTAMP" }`, `now()`) is evaluated once (PostgreSQL 11+); SQL guardrail
    cannot read as one expression counts as volatile."""
    written = c.args[2] if c.name == "add_column" and len(c.args) > 2 else None
    if c.name == "column":
        written = c.args[1] if len(c.args) > 1 else None
    if (c.name == "virtual" or written == "virtual") and kw.get("stored") is True:
        return True
    if not (isinstance(default, Dynamic) and text_is_lambda(default)):
        return False
    sql = _lambda_sql(c.node)
    return sql is None or default_is_volatile(sql) is not False


def _lambda_sql(call: Node) -> str | None:
    """The SQL string a `default: -> { "…" }` (or `lambda { … }`) lambda returns, when it is
    one string literal."""
    for pair in _descendants(call):
        key = pair.child_by_field_name("key") if pair.type == "pair" else None
        if key is None or text(key).strip(":") != "default":
            continue
        body = [n for n in _descendants(pair) if n.type in ("block_body", "body_statement")]
        statements = [n for n in body[0].named_children if n.type != "comment"] if body else []
        if len(statements) == 1 and statements[0].type == "string":
            content = [n for n in statements[0].named_children]
            if all(n.type == "string_content" for n in content):
                return "".join(text(n) for n in content)
        return None
    return None


def _is_statement(node: Node) -> bool:
    parent = node.parent
    return parent is not None and parent.type in ("body_statement", "block_body", "then")


def _descendants(root: Node) -> list[Node]:
    out: list[Node] = []
    stack = [root]
    while stack:
        n = stack.pop()
        out.append(n)
        stack.extend(reversed(n.children))
    return out


# -- schema statements: name -> handler(reader, call, where) ------------------------------------


def _table(c: _Call) -> str | None:
    return as_str(c.args[0]) if c.args else None


def _arg(c: _Call, i: int) -> str | None:
    return as_str(c.args[i]) if len(c.args) > i else None


def _create_table(r: _Reader, c: _Call, w: _Where) -> None:
    table = _table(c)
    if table:
        if c.kwargs.get("force") not in (None, False):
            r.rec.add(c.node, OpKind.DROP_TABLE, table)
        r.rec.created.add(table)
    r.rec.add(c.node, OpKind.CREATE_TABLE, table)
    key = c.kwargs.get("id", "bigint")
    if key is not False:
        # Rails' implicit primary key (`id: :uuid` names its type; bigint since Rails 5.1).
        name = as_str(c.kwargs.get("primary_key")) or "id"
        typ = key if isinstance(key, str) else "bigint"
        default = "nextval(…)" if typ in ("bigint", "integer", "primary_key") else None
        r.rec.define(table, ColumnDef(name, typ, True, default, True))
    var = _block_var(c.block)
    r.block_body(c.block, replace(w, table_var=var, table=table, creating=True))


def _rails_defined(c: _Call) -> list[ColumnDef]:
    """The columns one `t.…` call of a `create_table` block defines: PostgreSQL's type (Rails'
    PostgreSQL adapter: `string` is varchar without a limit, `datetime` timestamp), NOT NULL
    with `null: false`, the default."""
    null = c.kwargs.get("null") is not False
    default = c.kwargs.get("default")
    given = sql_default(default) if "default" in c.kwargs and default is not None else None
    if c.name == "timestamps":
        # NOT NULL since Rails 5 (`null: true` keeps them nullable).
        stamped = c.kwargs.get("null") is not True
        return [ColumnDef(n, "timestamp", stamped) for n in ("created_at", "updated_at")]
    if c.name in ("references", "belongs_to"):
        ref = _arg(c, 0)
        typ = as_str(c.kwargs.get("type")) or "bigint"
        return [ColumnDef(f"{ref}_id", typ, not null)] if ref else []
    if c.name not in _COLUMN_TYPES and c.name != "column":
        return []
    names = [n for a in c.args for n in as_strs(a)]
    if c.name == "column":
        names, written = names[:1], _arg(c, 1)
    else:
        written = c.name

    def number(key: str) -> int | None:
        v = c.kwargs.get(key)
        return v if isinstance(v, int) and not isinstance(v, bool) else None

    typ = (
        sql_type(written, number("limit"), number("precision"), number("scale") or 0, "rails") or ""
    )
    typ = {"datetime": "timestamp", "primary_key": "bigint"}.get(typ, typ)
    primary = c.kwargs.get("primary_key") is True
    return [ColumnDef(n, typ.lower(), primary or not null, given, primary) for n in names]


def _change_table(r: _Reader, c: _Call, w: _Where) -> None:
    var = _block_var(c.block)
    table = _table(c)
    r.block_body(c.block, replace(w, table_var=var, table=table, creating=table in r.rec.created))


def _block_var(block: Node | None) -> str | None:
    if block is None:
        return None
    params = block.child_by_field_name("parameters")
    if params is None or not params.named_children:
        return None
    return text(params.named_children[0])


def _add_column(r: _Reader, c: _Call, w: _Where) -> None:
    r.add_column(c, _table(c), _arg(c, 1), c.kwargs)


def _add_reference(r: _Reader, c: _Call, w: _Where) -> None:
    table, ref = _table(c), _arg(c, 1)
    col = f"{ref}_id" if ref else None
    r.rec.add(c.node, OpKind.ADD_COLUMN, table, col, not_null=c.kwargs.get("null") is False)
    index = c.kwargs.get("index", True)
    if index is not False:
        algorithm = index.get("algorithm") if isinstance(index, dict) else None
        r.rec.add(c.node, OpKind.CREATE_INDEX, table, col, concurrently=algorithm == "concurrently")
    fk = c.kwargs.get("foreign_key")
    if fk not in (None, False):
        validate = fk.get("validate") if isinstance(fk, dict) else c.kwargs.get("validate")
        r.rec.add(c.node, OpKind.ADD_FOREIGN_KEY, table, col, not_valid=validate is False)
        _lock_parent(r, c, _reference_parent(c, ref))


def _reference_parent(c: _Call, ref: str | None) -> str | None:
    """The table a `references :ref, foreign_key: …` points to, or None without a foreign key.
    ActiveRecord's ReferenceDefinition: `foreign_key: {to_table: :x}`, else the reference's name
    pluralized by ActiveSupport's inflector (`inflection` is its port)."""
    fk = c.kwargs.get("foreign_key")
    if fk in (None, False) or c.kwargs.get("polymorphic") not in (None, False):
        return None
    to_table = fk.get("to_table") if isinstance(fk, dict) else None
    if to_table is not None:
        return as_str(to_table)
    if not ref:
        return None
    import inflection

    return str(inflection.pluralize(ref))


def _lock_parent(r: _Reader, c: _Call, parent: str | None) -> None:
    """A foreign key takes SHARE ROW EXCLUSIVE on the table it references, to add the
    referential-integrity triggers there (PostgreSQL docs, ALTER TABLE: ADD FOREIGN KEY "requires
    a SHARE ROW EXCLUSIVE lock on the referenced table"): writes to the parent wait, also when the
    child is created in this migration. Observed on the embedded server by the trace tests."""
    if parent:
        r.rec.add(c.node, OpKind.LOCK_TABLE, parent, lock=pg.SHARE_ROW_EXCLUSIVE)


def _add_timestamps(r: _Reader, c: _Call, w: _Where) -> None:
    # Since Rails 5 timestamps are NOT NULL unless `null: true` is given.
    kw = {"null": c.kwargs.get("null", False), **{k: v for k, v in c.kwargs.items() if k != "null"}}
    for col in ("created_at", "updated_at"):
        r.add_column(c, _table(c), col, kw)


def _remove_timestamps(r: _Reader, c: _Call, w: _Where) -> None:
    for col in ("created_at", "updated_at"):
        r.rec.add(c.node, OpKind.DROP_COLUMN, _table(c), col)


def _remove_column(r: _Reader, c: _Call, w: _Where) -> None:
    r.rec.add(c.node, OpKind.DROP_COLUMN, _table(c), _arg(c, 1))
    if w.section == "change" and len(c.args) < 3 and "type" not in c.kwargs:
        r.irreversible = r.irreversible or "`remove_column` in `change` has no column type"


def _remove_columns(r: _Reader, c: _Call, w: _Where) -> None:
    names = [n for a in c.args[1:] for n in as_strs(a)]
    if len(names) < len(c.args[1:]):
        r.rec.unknown(c.node, "`remove_columns` with column names computed at run time")
    for col in names:
        r.rec.add(c.node, OpKind.DROP_COLUMN, _table(c), col)
    if w.section == "change" and "type" not in c.kwargs:
        r.irreversible = r.irreversible or "`remove_columns` in `change` has no `type:`"


def _remove_reference(r: _Reader, c: _Call, w: _Where) -> None:
    ref = _arg(c, 1)
    r.rec.add(c.node, OpKind.DROP_COLUMN, _table(c), f"{ref}_id" if ref else None)


def _drop_table(r: _Reader, c: _Call, w: _Where) -> None:
    for table in [as_str(a) for a in c.args] or [None]:
        r.rec.add(c.node, OpKind.DROP_TABLE, table)
    if w.section == "change" and c.block is None:
        r.irreversible = r.irreversible or "`drop_table` in `change` has no block"


def _rename_column(r: _Reader, c: _Call, w: _Where) -> None:
    r.rec.add(c.node, OpKind.RENAME_COLUMN, _table(c), _arg(c, 1), new_name=_arg(c, 2))


def _rename_table(r: _Reader, c: _Call, w: _Where) -> None:
    r.rec.add(c.node, OpKind.RENAME_TABLE, _table(c), new_name=_arg(c, 1))


def _column_type(c: _Call) -> str | None:
    """`change_column :t, :c, :string, limit: 100` -> `varchar(100)`."""

    def number(key: str) -> int | None:
        v = c.kwargs.get(key)
        return v if isinstance(v, int) and not isinstance(v, bool) else None

    return sql_type(_arg(c, 2), number("limit"), number("precision"), number("scale") or 0, "rails")


def _change_column(r: _Reader, c: _Call, w: _Where) -> None:
    table, col = _table(c), _arg(c, 1)
    before = r.restored.get((table, col))
    new_type = _column_type(c)
    if before is None or type_changes(before[0], new_type):
        # What the column was is known when `down` changes it back; else the base branch's
        # schema dump may say it (base_schema.py), and the rules ask PostgreSQL's answer.
        r.rec.add(
            c.node,
            OpKind.ALTER_TYPE,
            table,
            col,
            narrowing=True,
            to_type=new_type,
            from_type=before[0] if before is not None else None,
            value=new_type,
        )
    if c.kwargs.get("null") is False and (before is None or before[1] is not False):
        r.rec.add(c.node, OpKind.SET_NOT_NULL, table, col)
    if w.section == "change":
        r.irreversible = r.irreversible or "`change_column` in `change` cannot be reversed"


def _change_column_null(r: _Reader, c: _Call, w: _Where) -> None:
    table, col = _table(c), _arg(c, 1)
    allow = c.args[2] if len(c.args) > 2 else None
    if allow is False:
        r.rec.add(c.node, OpKind.SET_NOT_NULL, table, col)
        if len(c.args) > 3:
            r.rec.add(c.node, OpKind.BACKFILL, table, col, batched=False)
    elif allow is True:
        r.rec.add(c.node, OpKind.DROP_NOT_NULL, table, col)
    else:
        r.rec.unknown(c.node, "`change_column_null` with a value computed at run time")


def _change_column_default(r: _Reader, c: _Call, w: _Where) -> None:
    r.rec.add(c.node, OpKind.SET_DEFAULT, _table(c), _arg(c, 1))


def _index_facts(c: _Call) -> tuple[bool, bool]:
    return c.kwargs.get("algorithm") == "concurrently", c.kwargs.get("unique") is True


def _add_index(r: _Reader, c: _Call, w: _Where) -> None:
    concurrently, unique = _index_facts(c)
    cols = as_strs(c.args[1]) if len(c.args) > 1 else []
    column = cols[0] if len(cols) == 1 else None
    r.rec.add(
        c.node, OpKind.CREATE_INDEX, _table(c), column, concurrently=concurrently, unique=unique
    )


def _remove_index(r: _Reader, c: _Call, w: _Where) -> None:
    concurrently, _ = _index_facts(c)
    r.rec.add(c.node, OpKind.DROP_INDEX, _table(c), concurrently=concurrently)


def _add_foreign_key(r: _Reader, c: _Call, w: _Where) -> None:
    r.rec.add(
        c.node, OpKind.ADD_FOREIGN_KEY, _table(c), not_valid=c.kwargs.get("validate") is False
    )
    _lock_parent(r, c, _arg(c, 1))


def _add_check(r: _Reader, c: _Call, w: _Where) -> None:
    r.rec.add(c.node, OpKind.ADD_CHECK, _table(c), not_valid=c.kwargs.get("validate") is False)


def _add_unique(r: _Reader, c: _Call, w: _Where) -> None:
    r.rec.add(c.node, OpKind.ADD_UNIQUE, _table(c), using_index="using_index" in c.kwargs)


def _execute(r: _Reader, c: _Call, w: _Where) -> None:
    r.execute(c, w)


def _no_transaction(r: _Reader, c: _Call, w: _Where) -> None:
    r.rec.in_transaction = False


def _revert(r: _Reader, c: _Call, w: _Where) -> None:
    if c.block is not None:
        r.rec.unknown(c.node, "`revert do … end` (its operations run inverted)")
    else:
        r.rec.unknown(c.node, "`revert` of another migration class")


_SCHEMA = {
    "create_table": _create_table,
    "change_table": _change_table,
    "add_column": _add_column,
    "add_reference": _add_reference,
    "add_belongs_to": _add_reference,
    "add_timestamps": _add_timestamps,
    "remove_timestamps": _remove_timestamps,
    "remove_column": _remove_column,
    "remove_columns": _remove_columns,
    "remove_reference": _remove_reference,
    "remove_belongs_to": _remove_reference,
    "drop_table": _drop_table,
    "drop_join_table": _drop_table,
    "rename_column": _rename_column,
    "rename_table": _rename_table,
    "change_column": _change_column,
    "change_column_null": _change_column_null,
    "change_column_default": _change_column_default,
    "add_index": _add_index,
    "remove_index": _remove_index,
    "add_foreign_key": _add_foreign_key,
    "add_check_constraint": _add_check,
    "add_unique_constraint": _add_unique,
    "add_unique_key": _add_unique,
    "execute": _execute,
    "disable_ddl_transaction!": _no_transaction,
    "revert": _revert,
}
_SCHEMA_NAMES = frozenset(_SCHEMA) | {"disable_ddl_transaction!"}
# `t.<method>` in `change_table` -> the schema statement it stands for.
_TABLE_METHODS = {
    "remove": "remove_columns",
    "rename": "rename_column",
    "change": "change_column",
    "change_null": "change_column_null",
    "change_default": "change_column_default",
    "index": "add_index",
    "remove_index": "remove_index",
    "references": "add_reference",
    "belongs_to": "add_reference",
    "remove_references": "remove_reference",
    "remove_belongs_to": "remove_reference",
    "timestamps": "add_timestamps",
    "remove_timestamps": "remove_timestamps",
    "foreign_key": "add_foreign_key",
    "check_constraint": "add_check_constraint",
    "unique_constraint": "add_unique_constraint",
}


def read(source: str) -> Reading:
    root = parse("ruby", source)
    r = _Reader(source, root)
    note = syntax_note(root, "Ruby")
    if note is not None:
        r.rec.notes.append(note)
    methods: dict[str, Node] = {}
    for node in r.everything:
        if node.type in ("method", "singleton_method"):
            name = node.child_by_field_name("name")
            if name is not None:
                methods[text(name)] = node
        elif (
            node.type == "call"
            and text(node) == "disable_ddl_transaction!"
            or node.type == "identifier"
            and text(node) == "disable_ddl_transaction"
            and (_is_statement(node))
        ):
            r.rec.in_transaction = False
        elif node.type in ("call", "identifier") and text(node) == "enable_lock_retries!":
            # GitLab: the whole (transactional) migration runs inside `with_lock_retries`.
            r.rec.lock_retries = True
    r.helpers = {k: v for k, v in methods.items() if k not in ("change", "up", "down")}
    r.has_change = "change" in methods
    down = methods.get("down")
    for node in _descendants(down) if down is not None else []:
        if node.type == "call":
            call = r.call(node)
            if call.name == "change_column" and call.receiver is None:
                r.restored[(_table(call), _arg(call, 1))] = (
                    _column_type(call),
                    call.kwargs.get("null", True),
                )
    for section in ("change", "up"):
        if section in methods:
            r.block_body(methods[section], _Where(section))
    if down is not None and "IrreversibleMigration" in text(down):
        r.irreversible = "`down` raises `ActiveRecord::IrreversibleMigration`"
    if "up" in methods and down is None and "change" not in methods:
        r.irreversible = r.irreversible or "`def up` has no `def down`"
    if not methods and not r.rec.ops:
        r.rec.notes.append(
            f"line {line(root)}: no `change`, `up` or `down` method was found ({short(root, 40)})"
        )
    return r.rec.reading(not r.irreversible, r.irreversible)
