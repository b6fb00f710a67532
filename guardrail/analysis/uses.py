"""Where code uses one table's column (or the table itself), and where it inserts rows into
it, read from the code's syntax tree and scoped to the model that maps to the table.

A column name such as `status` is in many tables: the word alone says nothing about which
one the code reads. A use counts here only where the syntax ties it to the table:

- the model's own definition (a Django/SQLAlchemy class, an Active Record class, a TypeORM
  entity, a Prisma `model` block) declares the column;
- a query built on the model names it: a keyword argument, a string or a hash/object key in
  the arguments of a call chain that starts at the model (`Order.objects.filter(status=…)`,
  `Order.where(status: …)`, `prisma.order.findMany({ where: { status } })`,
  `knex("orders").select("status")`), or an attribute of the model or of a variable bound to
  one of its rows or querysets (`Order.status`, `order = Order.objects.get(…); order.status`);
- an SQL string literal names the table (and the column).

Python is read with `ast`; Ruby, JavaScript/TypeScript, PHP (uses_php.py: Eloquent) and C#
(uses_cs.py: EF Core) with the tree-sitter grammars the migration readers use
(analysis/migrations/grammar.py); Prisma schemas with the line grammar of
analysis/model_fields.py; Ecto's inserts (not its uses) with the Elixir grammar (uses_ex.py). Blade templates (`.blade.php`) and JSX are read by the name alone. For any other language, or a file that does not parse, the functions
return None: the caller may fall back to the name alone and must say so.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from guardrail.analysis import pyast
from guardrail.analysis.uses_common import (
    Target,
    bare_table,
    is_model_name,
    model_keys,
    names_column,
    node_text,
    sql_names,
    walk_nodes,
)

if TYPE_CHECKING:
    from tree_sitter import Node

_JS_EXT = (".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs")
STRUCTURAL_EXT = (".py", ".rb", ".prisma", ".php", ".cs", *_JS_EXT)
# Read by the name alone: templates mix markup with code the grammar does not see as code.
_TEMPLATES = (".tsx", ".jsx", ".blade.php")

# Methods that insert a row, per ORM (the receiver is the model or a query built on it).
_PY_INSERTS = frozenset({"create", "bulk_create", "get_or_create", "update_or_create"})
_RELATION_FIELDS = frozenset({"ForeignKey", "OneToOneField", "ManyToManyField"})
# Django calls that follow a relation and select the related model's columns.
_JOINS = frozenset({"select_related", "prefetch_related"})
# Django query expressions called by name that take lookups.
_EXPRESSIONS = frozenset(
    {"Q", "F", "OuterRef", "Count", "Sum", "Min", "Max", "Avg", "Prefetch", "Coalesce"}
)
_RB_INSERTS = frozenset(
    {
        "create",
        "create!",
        "new",
        "insert",
        "insert!",
        "insert_all",
        "insert_all!",
        "upsert",
        "upsert_all",
        "find_or_create_by",
        "find_or_create_by!",
        "create_or_find_by",
        "create_or_find_by!",
        "first_or_create",
        "first_or_create!",
    }
)
_JS_INSERTS = frozenset(
    {"insert", "create", "createMany", "upsert", "bulkCreate", "save", "insertInto"}
)
# -- Python ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class App:
    """The Django app a models file belongs to, seen from the model's app: `label` is the
    model's app label (`"shop"` for `ForeignKey("shop.Order")`), `own` whether the file is
    in that app (where `ForeignKey("Order")` and a class named `Order` are the model)."""

    label: str
    own: bool


class _Py:
    def __init__(self, tree: ast.Module, t: Target, path: str, app: App | None = None) -> None:
        self.t = t
        self.keys = model_keys(t.table, path) | t.keys
        self.tree = tree
        self.app = app
        self.nodes = list(ast.walk(tree))  # walked once, read by every pass below
        self.models: set[str] = set()  # class names in this file that map to the table
        self.bound: set[str] = set()  # variables holding the model's rows or querysets
        # In another app, the model is only a name imported from the model's app.
        self.imported: set[str] = set()
        if app is not None and not app.own:
            self.imported = {
                name
                for name, original in _imported_from(self.nodes, app.label).items()
                if is_model_name(original, self.keys)
            }
        for node in self.nodes:
            if isinstance(node, ast.ClassDef) and self._maps(node):
                self.models.add(node.name)
        # Relation names that lead to the model in a lookup path (`order__status`): the
        # model's own name, and the fields of this file's models that point at it
        # (`purchase = ForeignKey(Order)`), or its related_name when it is the model's.
        self.relations: set[str] = set(self.keys) | set(t.relations)
        for node in self.nodes:
            if isinstance(node, ast.ClassDef):
                self._relations(node)
        # Two passes: `orders = Order.objects.all(); for o in orders: o.status`.
        binders = [
            n
            for n in self.nodes
            if isinstance(
                n, (ast.Assign, ast.AnnAssign, ast.For, ast.AsyncFor, ast.comprehension, ast.arg)
            )
        ]
        for _ in range(2):
            for node in binders:
                self._bind(node)

    def _maps(self, cls: ast.ClassDef) -> bool:
        if is_model_name(cls.name, self.keys) and (self.app is None or self.app.own):
            return True  # another app's `Order` is another model
        table = bare_table(self.t.table)
        for stmt in ast.walk(cls):
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
                target = stmt.targets[0]
                if (
                    isinstance(target, ast.Name)
                    and target.id in ("__tablename__", "db_table")
                    and isinstance(stmt.value, ast.Constant)
                    and str(stmt.value.value).lower() == table
                ):
                    return True
        return False

    def _relations(self, cls: ast.ClassDef) -> None:
        own = cls.name in self.models
        for stmt in cls.body:
            if not (
                isinstance(stmt, ast.Assign)
                and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name)
                and isinstance(stmt.value, ast.Call)
            ):
                continue
            call = stmt.value
            kind = call.func.attr if isinstance(call.func, ast.Attribute) else ""
            kind = kind or (call.func.id if isinstance(call.func, ast.Name) else "")
            # The related model: first argument, or `to=` (nautobot writes
            # `OneToOneField(to="Device", …)`).
            to = (
                call.args[0]
                if call.args
                else next((kw.value for kw in call.keywords if kw.arg == "to"), None)
            )
            if kind not in _RELATION_FIELDS or to is None:
                continue
            if self._points_at_model(to):
                self.relations.add(stmt.targets[0].id.replace("_", "").lower())
            if own:  # the reverse side of this model's relation: `related_name="items"`
                for kw in call.keywords:
                    if kw.arg in ("related_name", "related_query_name") and isinstance(
                        kw.value, ast.Constant
                    ):
                        self.relations.add(str(kw.value.value).replace("_", "").lower())

    def _points_at_model(self, to: ast.expr) -> bool:
        """A relation field's model is this table's: `ForeignKey(Order)`, `"Order"` or
        `"shop.Order"`. Read as a models file of an app (`self.app`), exactly as Django
        resolves it: a string with an app label names that app's model, a bare one (or a
        class) the file's own app's; in another app a class must be imported from the
        model's app (`from shop.models import Order`)."""
        app = self.app
        if isinstance(to, ast.Constant) and isinstance(to.value, str):
            label, _, name = to.value.rpartition(".")
            if not is_model_name(name, self.keys):
                return False
            return app is None or (label == app.label if label else app.own)
        if isinstance(to, ast.Name):
            if app is not None and not app.own:
                return to.id in self.imported
            return self.is_model(to)
        return False

    def _lookup(self, value: str, col: str | None) -> bool:
        """A Django lookup path through a relation to the model: `order__status`,
        `-items__order__status__in` (col), or `order` / `order__customer` in
        select_related (col None)."""
        parts = value.lstrip("-").split("__")
        related = [p.replace("_", "").lower() in self.relations for p in parts]
        if col is None:
            return any(related)
        return any(parts[i] == col and related[i - 1] for i in range(1, len(parts)))

    def is_model(self, node: ast.AST) -> bool:
        return isinstance(node, ast.Name) and (
            node.id in self.models or is_model_name(node.id, self.keys)
        )

    def rooted(self, node: ast.AST) -> bool:
        """An expression built on the model: `Order.objects.filter(...)`, `session.query(Order)
        .filter_by(...)`, `select(Order)`, or a variable bound to one."""
        while True:
            if self.is_model(node):
                return True
            if isinstance(node, ast.Name):
                return node.id in self.bound
            if isinstance(node, ast.Call):
                if any(self.is_model(a) for a in node.args):
                    return True
                node = node.func
            elif isinstance(node, (ast.Attribute, ast.Subscript, ast.Await)):
                node = node.value
            else:
                return False

    def _row_of_model(self, value: ast.AST) -> bool:
        """The expression a column is read on is a row (or the class) of the model:
        `order.status`, `Order.objects.get(...).status`, `Order.__table__.c.status`. An
        attribute step in between is a relation, and the column is its model's:
        `order.customer.status` reads the customer's status, `line.order.status` or
        `self.order.status` the order's (the relation is named like the model, or is one this
        file or the models file says leads to it)."""
        if isinstance(value, ast.Attribute):
            if value.attr in ("c", "columns") and self.rooted(value.value):
                return True  # SQLAlchemy's column collection
            return value.attr.replace("_", "").lower() in self.relations
        return self.rooted(value)

    def _bind(self, node: ast.AST) -> None:
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            if self.rooted(node.value) and not self._is_column_value(node.value):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    for n in ast.walk(target):
                        if isinstance(n, ast.Name):
                            self.bound.add(n.id)
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
            if self.rooted(node.iter):
                for n in ast.walk(node.target):
                    if isinstance(n, ast.Name):
                        self.bound.add(n.id)
        elif (
            isinstance(node, ast.arg)
            and node.annotation is not None
            and any(self.is_model(n) for n in ast.walk(node.annotation))
        ):
            self.bound.add(node.arg)

    def _is_column_value(self, node: ast.AST) -> bool:
        # `status = order.status` holds the value, not a row.
        return isinstance(node, ast.Attribute) and node.attr == self.t.column

    def uses(self) -> list[int]:
        out: list[int] = []
        col = self.t.column
        for node in self.nodes:
            line = getattr(node, "lineno", 0)
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if sql_names(node.value, self.t, insert=False):
                    out.append(line)
            elif col is None:
                if self.is_model(node) and isinstance(getattr(node, "ctx", None), ast.Load):
                    out.append(line)
            elif isinstance(node, ast.ClassDef) and node.name in self.models:
                out.extend(self._declared(node, col))
            elif isinstance(node, ast.Attribute) and node.attr == col:
                if self._row_of_model(node.value):
                    out.append(line)
            elif isinstance(node, ast.Call) and self.rooted(node.func):
                out.extend(self._in_arguments(node, col))
            if isinstance(node, ast.Call) and not self.rooted(node.func):
                out.extend(self._lookups(node, col))
        return sorted(set(out))

    def _declared(self, cls: ast.ClassDef, col: str) -> list[int]:
        out = []
        for stmt in cls.body:
            targets: list[ast.expr] = []
            if isinstance(stmt, ast.Assign):
                targets = list(stmt.targets)
            elif isinstance(stmt, ast.AnnAssign):
                targets = [stmt.target]
            if any(isinstance(t, ast.Name) and t.id == col for t in targets):
                out.append(stmt.lineno)
        for node in ast.walk(cls):  # self.status in the model's own methods
            if (
                isinstance(node, ast.Attribute)
                and node.attr == col
                and isinstance(node.value, ast.Name)
                and node.value.id == "self"
            ):
                out.append(node.lineno)
        return out

    def _lookups(self, call: ast.Call, col: str | None) -> list[int]:
        """Lookups through a relation in a query on another model (`LineItem.objects
        .filter(order__status=…)`, `values("order__status")`, `Q(order__status=…)`); for the
        table itself, the relation followed (`select_related("order")`)."""
        out = []
        func = call.func
        method = func.attr if isinstance(func, ast.Attribute) else ""
        if col is None and method not in _JOINS:
            return []
        if not method and not (isinstance(func, ast.Name) and func.id in _EXPRESSIONS):
            return []  # `log("order__status")` is not a query
        for kw in call.keywords:
            if col is not None and kw.arg and "__" in kw.arg and self._lookup(kw.arg, col):
                out.append(getattr(kw, "lineno", call.lineno))
        for arg in call.args:
            if (
                isinstance(arg, ast.Constant)
                and isinstance(arg.value, str)
                and (col is None or "__" in arg.value)
                and self._lookup(arg.value, col)
            ):
                out.append(arg.lineno)
        return out

    def _in_arguments(self, call: ast.Call, col: str) -> list[int]:
        out = []
        for arg in [*call.args, *(k.value for k in call.keywords)]:
            for n in ast.walk(arg):
                if isinstance(n, ast.Constant) and isinstance(n.value, str):
                    if names_column(n.value, col):
                        out.append(n.lineno)
                elif isinstance(n, ast.keyword) and n.arg and names_column(n.arg, col):
                    out.append(getattr(n, "lineno", call.lineno))
        for kw in call.keywords:
            if kw.arg and names_column(kw.arg, col):
                out.append(getattr(kw, "lineno", call.lineno))
        return out

    def inserts(self) -> list[int]:
        out = []
        for node in self.nodes:
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if sql_names(node.value, self.t, insert=True):
                    out.append(node.lineno)
            elif isinstance(node, ast.Call):
                func = node.func
                if self.is_model(func):  # Order(...): a new row (saved, or added to a session)
                    out.append(node.lineno)
                elif isinstance(func, ast.Attribute) and func.attr in _PY_INSERTS:
                    if self.rooted(func.value):
                        out.append(node.lineno)
                elif (
                    isinstance(func, ast.Name)
                    and func.id == "insert"
                    and any(self.is_model(a) for a in node.args)  # SQLAlchemy insert(Order)
                ):
                    out.append(node.lineno)
        return sorted(set(out))


def relations(path: str, text: str, t: Target, app: App | None = None) -> frozenset[str]:
    """The relation names a Django models file gives the model in lookup paths: its fields'
    `related_name`/`related_query_name`, and the fields of other models pointing at it
    (normalised: lower case, underscores left out). `app`: which app the file is in, seen
    from the model's (None: any model named so is taken as the model). Empty when the file
    does not parse."""
    try:
        tree = pyast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return frozenset()
    reader = _Py(tree, t, path, app)
    return frozenset(reader.relations - reader.keys)


def _imported_from(nodes: list[ast.AST], label: str) -> dict[str, str]:
    """The names a file imports from the models of the app `label`, with the name each is
    imported as (`from shop.models import Order`, `from apps.shop.models.orders import Order
    as ShopOrder`)."""
    out: dict[str, str] = {}
    for node in nodes:
        if not isinstance(node, ast.ImportFrom) or not node.module or node.level:
            continue
        parts = node.module.split(".")
        if label in parts and "models" in parts[parts.index(label) + 1 : parts.index(label) + 2]:
            out.update((alias.asname or alias.name, alias.name) for alias in node.names)
    return out


def _python(text: str, t: Target, path: str, *, insert: bool) -> list[int] | None:
    try:
        tree = pyast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    reader = _Py(tree, t, path)
    return reader.inserts() if insert else reader.uses()


# -- Ruby and JavaScript/TypeScript (tree-sitter) --------------------------------------------------


def _string_value(node: Node) -> str | None:
    """A literal string's content, or None (interpolated strings are not literal)."""
    if node.type in ("string", "template_string"):
        parts = [
            c
            for c in node.named_children
            if c.type not in ("string_content", "string_fragment", "escape_sequence")
        ]
        if parts:
            return None
        raw = node_text(node)
        return raw[1:-1] if len(raw) >= 2 else ""
    if node.type in ("simple_symbol", "hash_key_symbol"):
        return node_text(node).lstrip(":")
    return None


# Active Record methods that return a relation (a chain of scopes may follow them).
_RB_RELATION_METHODS = frozenset(
    {
        "all",
        "where",
        "rewhere",
        "not",
        "or",
        "order",
        "reorder",
        "limit",
        "offset",
        "includes",
        "preload",
        "eager_load",
        "joins",
        "left_joins",
        "left_outer_joins",
        "references",
        "select",
        "distinct",
        "group",
        "having",
        "none",
        "unscoped",
        "readonly",
        "strict_loading",
        "merge",
        "extending",
    }
)
# ... and those that return the model's rows or a relation of them: a column read on their
# result is the model's (`Order.where(…).first.status`). Any other method called on a row
# (`order.customer`) may be an association to another model, whose columns it then reads.
_RB_QUERY_METHODS = _RB_RELATION_METHODS | frozenset(
    {
        "build",
        "create",
        "create!",
        "create_or_find_by",
        "create_or_find_by!",
        "find",
        "find_by",
        "find_by!",
        "find_or_create_by",
        "find_or_create_by!",
        "find_or_initialize_by",
        "find_sole_by",
        "first",
        "first!",
        "last",
        "last!",
        "lock",
        "lock!",
        "new",
        "presence",
        "reload",
        "second",
        "sole",
        "take",
        "take!",
        "tap",
        "then",
        "third",
    }
)
# Enumerable and Active Record methods whose result is no longer the model's rows
# (`Order.all.map { |o| o.customer }` holds customers, `.pluck(:status)` values).
_RB_PROJECTIONS = frozenset(
    {
        "map",
        "collect",
        "flat_map",
        "collect_concat",
        "filter_map",
        "pluck",
        "pick",
        "ids",
        "group_by",
        "zip",
        "sum",
        "inject",
        "reduce",
        "each_with_object",
        "to_h",
        "count",
    }
)
# Sequelize's row internals: `order.dataValues.status` is still the row's column.
_JS_ROW_PROPERTIES = frozenset({"dataValues", "_previousDataValues"})
_JS_FUNCTIONS = frozenset(
    {
        "arrow_function",
        "function_expression",
        "function",
        "function_declaration",
        "method_definition",
    }
)
# Array methods whose callback takes a row of the array: the parameters (by position) that do.
_JS_ROW_PARAMETERS: dict[str, frozenset[int]] = {
    **dict.fromkeys(
        (
            "forEach",
            "map",
            "flatMap",
            "filter",
            "find",
            "findLast",
            "findIndex",
            "findLastIndex",
            "some",
            "every",
        ),
        frozenset({0}),
    ),
    "reduce": frozenset({1}),
    "reduceRight": frozenset({1}),
    "sort": frozenset({0, 1}),
    "toSorted": frozenset({0, 1}),
    "then": frozenset({0}),  # the rows (or the row) a query resolves to
}
# Methods whose result is the callback's values, not the rows (`rows.map(o => o.customer)`).
_JS_PROJECTIONS = frozenset({"map", "flatMap", "reduce", "reduceRight", "then", "entries", "keys"})


def _js_parameter(fn: Node, name: str) -> tuple[int, Node] | None:
    """(position, parameter node) of the parameter `name` of a function, or None."""
    single = fn.child_by_field_name("parameter")  # `o => …`
    if single is not None:
        return (0, single) if node_text(single) == name else None
    params = fn.child_by_field_name("parameters")
    for i, p in enumerate(params.named_children if params is not None else []):
        pattern = p.child_by_field_name("pattern") if p.type != "identifier" else p
        if pattern is not None and pattern.type == "identifier" and node_text(pattern) == name:
            return i, p
    return None


def _js_projected(node: Node) -> bool:
    """A chain that maps its rows to other values somewhere: `rows.map(o => o.customer)`,
    `Order.findAll().then(rs => …)`, `rows.map(…).filter(Boolean)`."""
    current: Node | None = node
    while current is not None:
        kind = current.type
        if kind == "call_expression":
            fn = current.child_by_field_name("function")
            if fn is not None and fn.type == "member_expression":
                prop = fn.child_by_field_name("property")
                if prop is not None and node_text(prop) in _JS_PROJECTIONS:
                    return True
            current = fn
        elif kind == "member_expression":
            current = current.child_by_field_name("object")
        elif kind in ("await_expression", "parenthesized_expression", "non_null_expression"):
            current = current.named_children[0] if current.named_children else None
        else:
            return False
    return False


class _Tree:
    """The shared walk for Ruby and JavaScript/TypeScript trees."""

    def __init__(self, root: Node, language: str, t: Target, path: str) -> None:
        self.root = root
        self.ruby = language == "ruby"
        self.t = t
        self.table = bare_table(t.table)
        self.keys = model_keys(t.table, path) | t.keys
        self.nodes = walk_nodes(root)
        self.bound: set[str] = set()
        for _ in range(2):
            for node in self.nodes:
                self._bind(node)

    # what a chain starts at
    def is_model(self, node: Node) -> bool:
        kind = node.type
        name = node_text(node)
        if kind in ("constant", "identifier", "type_identifier"):
            return is_model_name(name, self.keys)
        if kind == "scope_resolution":  # Shop::Order
            last = node.child_by_field_name("name")
            return last is not None and is_model_name(node_text(last), self.keys)
        if kind == "property_identifier":  # prisma.order, db.orders
            return name.replace("_", "").lower() in self.keys
        return False

    def _args(self, call: Node) -> Node | None:
        return call.child_by_field_name("arguments")

    def rooted(self, node: Node | None) -> bool:
        while node is not None:
            if self.is_model(node):
                return True
            kind = node.type
            if kind in ("identifier", "instance_variable"):  # `order`, Ruby's `@order`
                scoped = None if self.ruby else self._js_scoped(node)
                return scoped if scoped is not None else node_text(node) in self.bound
            if kind in ("call", "call_expression", "new_expression"):
                args = self._args(node)
                if args is not None and any(
                    self.is_model(a) or _string_value(a) == self.table for a in args.named_children
                ):
                    return True  # knex("orders"), getRepository(Order), .from("orders")
                field = "receiver" if self.ruby else "function"
                if kind == "new_expression":
                    field = "constructor"
                node = node.child_by_field_name(field)
            elif kind == "member_expression":
                prop = node.child_by_field_name("property")
                if prop is not None and self.is_model(prop):
                    return True
                node = node.child_by_field_name("object")
            elif kind in ("await_expression", "parenthesized_expression", "non_null_expression"):
                node = node.named_children[0] if node.named_children else None
            else:
                return False
        return False

    def _bind(self, node: Node) -> None:
        if node.type in ("assignment", "variable_declarator"):
            left = node.child_by_field_name("left" if self.ruby else "name")
            right = node.child_by_field_name("right" if self.ruby else "value")
            if (
                left is not None
                and right is not None
                and left.type in ("identifier", "instance_variable")
                and self.row_of_model(right)
                and not self._is_column_read(right)
                and (self.ruby or not _js_projected(right))
            ):
                self.bound.add(node_text(left))
        elif self.ruby and node.type in ("block", "do_block"):  # Order.all.each do |o|
            params = node.child_by_field_name("parameters")
            call = node.parent
            receiver = call.child_by_field_name("receiver") if call is not None else None
            if params is not None and receiver is not None and self.row_of_model(receiver):
                for p in params.named_children:
                    if p.type == "identifier":
                        self.bound.add(node_text(p))

    def _js_scoped(self, ident: Node) -> bool | None:
        """A JavaScript/TypeScript name declared by an enclosing callback or loop: whether it
        holds the model's rows there (True/False), or None when nothing encloses it that says
        (the file's bindings decide). `rows.forEach(o => o.status)`, `rows.filter(…).map(o =>
        …)`, `rows.reduce((acc, o) => …)`, `findAll().then(rows => …)` and `for (const o of
        rows)` take a row of `rows` (after a `map`/`flatMap`/`reduce`/`then` the values are
        the callback's, not rows); a parameter typed with the model (`(o: Order) => …`) is
        one; a callback of another method, or of rows not the model's, declares another
        value under the name (`invoices.forEach(o => o.status)`)."""
        name = node_text(ident)
        p = ident.parent
        while p is not None:
            if p.type in _JS_FUNCTIONS:
                found = _js_parameter(p, name)
                if found is not None:
                    return self._callback_rows(p, *found)
            elif p.type == "for_in_statement":
                left = p.child_by_field_name("left")
                right = p.child_by_field_name("right")
                if (
                    left is not None
                    and right is not None
                    and left.type == "identifier"
                    and node_text(left) == name
                    and ident.start_byte >= right.end_byte
                ):
                    of = any(c.type == "of" for c in p.children)
                    return of and self._js_rows(right)
            p = p.parent
        return None

    def _callback_rows(self, fn: Node, index: int, param: Node) -> bool | None:
        kind = param.child_by_field_name("type")
        if kind is not None and any(
            n.type == "type_identifier" and self.is_model(n) for n in kind.named_children
        ):
            return True  # `(o: Order) => …`
        args = fn.parent
        call = args.parent if args is not None and args.type == "arguments" else None
        if call is None or call.type != "call_expression":
            return None  # a function of its own: its callers decide, unseen here
        callee = call.child_by_field_name("function")
        if callee is None or callee.type != "member_expression":
            return False
        method = node_text(callee.child_by_field_name("property") or callee)
        position = args.named_children.index(fn) if args is not None else -1
        row_param = _JS_ROW_PARAMETERS.get(method)
        if row_param is None or position != 0 or index not in row_param:
            return False  # another value under the same name
        return self._js_rows(callee.child_by_field_name("object"))

    def _js_rows(self, node: Node | None) -> bool:
        """`node` holds the model's rows (or a promise of them, for `then`), not values mapped
        from them."""
        return node is not None and self.row_of_model(node) and not _js_projected(node)

    def row_of_model(self, node: Node | None) -> bool:
        """`node` holds the model's rows (or is the model, or a query of it), so a column read
        on it is the model's: `order`, `Order.find(1)`, `prisma.order.findUnique(…)`,
        `line.order`. A step through another association is not: `order.customer.status` reads
        the customer's status (a property or method named like the model is an association to
        it: `line.order.status` is the order's)."""
        if node is None:
            return False
        if node.type == "non_null_expression":  # TypeScript `order!`, `order!.customer!`
            return self.row_of_model(node.named_children[0] if node.named_children else None)
        if node.type == "member_expression":
            prop = node.child_by_field_name("property")
            if prop is None:
                return False
            if self.is_model(prop):
                return True
            if node_text(prop) in _JS_ROW_PROPERTIES:
                return self.row_of_model(node.child_by_field_name("object"))
            return False
        if self.ruby and node.type == "call":
            return self._rb_row_of_model(node)
        return self.rooted(node)

    def _rb_row_of_model(self, call: Node) -> bool:
        """Ruby: a method call whose result is the model's rows. An association named like the
        model (`line.order`, `user.orders`) is; a query or finder of a chain that is the model's
        (`Order.where(…).first`, `user.orders.find(1)`) is, the chain judged the same way all
        the way down (`order.items.first` is the items'); a class method or scope of the model
        (`Order.active`) and a scope on a relation (`Order.where(…).active`) are. Any other
        method of a row is taken as an association to another model (`order.customer`)."""
        method = call.child_by_field_name("method")
        receiver = call.child_by_field_name("receiver")
        name = node_text(method) if method is not None else ""
        bare = self._args(call) is None
        if receiver is None:
            return self.rooted(call)
        if name in _RB_PROJECTIONS:
            return False  # `Order.all.map { |o| o.customer }`: customers
        if bare and name.rstrip("!?").replace("_", "").lower() in self.keys:
            return True  # `line.order`, `current_user.orders`
        if name in _RB_QUERY_METHODS:
            return self.row_of_model(receiver)
        if self.is_model(receiver):
            return True  # `Order.active`, `Order.some_class_method(…)`
        inner = receiver.child_by_field_name("method") if receiver.type == "call" else None
        if bare and inner is not None and node_text(inner) in _RB_RELATION_METHODS:
            return self.row_of_model(receiver)  # a scope on a relation
        return False  # another method of a row: an association, or not a column at all

    def _is_column_read(self, node: Node) -> bool:
        col = self.t.column
        if col is None:
            return False
        if node.type == "call" and self.ruby:
            m = node.child_by_field_name("method")
            return m is not None and node_text(m) == col and self._args(node) is None
        if node.type == "member_expression":
            p = node.child_by_field_name("property")
            return p is not None and node_text(p) == col
        return False

    def _on_a_row(self, member: Node) -> bool:
        """`row.save()` where `row` holds a row read earlier (Sequelize, TypeORM entities)."""
        obj = member.child_by_field_name("object")
        return obj is not None and obj.type == "identifier" and node_text(obj) in self.bound

    def _line(self, node: Node) -> int:
        return node.start_point[0] + 1

    def _in_model_class(self, node: Node) -> bool:
        p = node.parent
        while p is not None:
            if p.type in ("class", "class_declaration"):
                name = p.child_by_field_name("name")
                if name is not None and self.is_model(name):
                    return True
                if not self.ruby and self._entity_of_table(p):
                    return True
            p = p.parent
        return False

    def _entity_of_table(self, cls: Node) -> bool:
        """A TypeORM entity decorated `@Entity("orders")`."""
        p = cls.parent
        siblings = [c for c in (p.children if p is not None else []) if c.type == "decorator"]
        siblings += [c for c in cls.children if c.type == "decorator"]
        return any(
            _string_value(s) == self.table
            for d in siblings
            for s in walk_nodes(d)
            if s.type == "string"
        )

    def uses(self) -> list[int]:
        out: list[int] = []
        col = self.t.column
        for node in self.nodes:
            kind = node.type
            if kind in ("string", "template_string") and sql_names(
                node_text(node), self.t, insert=False
            ):
                out.append(self._line(node))
            if col is None:
                if kind in ("constant", "identifier", "type_identifier") and self.is_model(node):
                    out.append(self._line(node))
            else:
                out.extend(self._column_use(node, col))
        return sorted(set(out))

    def _column_use(self, node: Node, col: str) -> list[int]:
        kind = node.type
        if kind in ("call", "call_expression", "new_expression"):
            if self.ruby and self._reads_method(node, col):
                return [self._line(node)]
            return self._in_arguments(node, col) if self._on_model(node) else []
        if kind == "member_expression":
            prop = node.child_by_field_name("property")
            obj = node.child_by_field_name("object")
            hit = (
                prop is not None
                and node_text(prop) == col
                and obj is not None
                and (
                    self.row_of_model(obj)
                    or (node_text(obj) == "this" and self._in_model_class(node))
                )
            )
            return [self._line(node)] if hit else []
        if kind in ("public_field_definition", "field_definition", "property_signature"):
            name = node.child_by_field_name("name") or node.child_by_field_name("property")
            hit = name is not None and node_text(name) == col and self._in_model_class(node)
            return [self._line(node)] if hit else []
        if self.ruby and kind in ("simple_symbol", "hash_key_symbol"):
            # validates :status, attribute :status, enum status: {...} in the model
            hit = _string_value(node) == col and self._in_model_class(node)
            return [self._line(node)] if hit else []
        return []

    def _reads_method(self, call: Node, col: str) -> bool:
        """Ruby `order.status` / `self.status` in the model: a call of the column's reader."""
        method = call.child_by_field_name("method")
        receiver = call.child_by_field_name("receiver")
        if method is None or node_text(method) != col or receiver is None:
            return False
        return self.row_of_model(receiver) or (
            node_text(receiver) == "self" and self._in_model_class(call)
        )

    def _on_model(self, call: Node) -> bool:
        """A call whose arguments speak of the model's columns: a query of the model
        (`Order.where(status: …)`, `prisma.order.findMany(…)`, `knex("orders").where(…)`),
        not a call on an associated row (`order.customer.update(status: …)`)."""
        if self.ruby:
            receiver = call.child_by_field_name("receiver")
            return self.row_of_model(receiver) if receiver is not None else self.rooted(call)
        fn = call.child_by_field_name("function")
        if fn is not None and fn.type == "member_expression":
            prop = fn.child_by_field_name("property")
            if prop is not None and self.is_model(prop):
                return True  # `db.orders(…)`: the property is the model
            return self.row_of_model(fn.child_by_field_name("object"))
        return self.rooted(call)

    def _in_arguments(self, call: Node, col: str) -> list[int]:
        args = self._args(call)
        if args is None:
            return []
        out = []
        for n in walk_nodes(args):
            if n.type in ("string", "simple_symbol", "hash_key_symbol"):
                value = _string_value(n)
                if value is not None and names_column(value, col):
                    out.append(self._line(n))
            elif (
                n.type in ("property_identifier", "shorthand_property_identifier")
                and node_text(n) == col
                and n.parent is not None
                and n.parent.type in ("pair", "object")
            ):
                out.append(self._line(n))
        return out

    def inserts(self) -> list[int]:
        out: list[int] = []
        for node in self.nodes:
            kind = node.type
            if kind in ("string", "template_string", "heredoc_body"):
                if sql_names(node_text(node), self.t, insert=True):
                    out.append(self._line(node))
            elif self.ruby and kind == "call":
                method = node.child_by_field_name("method")
                receiver = node.child_by_field_name("receiver")
                if (
                    method is not None
                    and node_text(method) in _RB_INSERTS
                    and receiver is not None
                    and self.row_of_model(receiver)
                ):
                    out.append(self._line(node))
            elif not self.ruby and kind == "call_expression":
                fn = node.child_by_field_name("function")
                if fn is not None and fn.type == "member_expression":
                    prop = fn.child_by_field_name("property")
                    if (
                        prop is not None
                        and node_text(prop) in _JS_INSERTS
                        and self.row_of_model(fn.child_by_field_name("object"))
                    ):
                        if node_text(prop) == "save" and self._on_a_row(fn):
                            continue  # `existing.save()` on a fetched row is an UPDATE
                        out.append(self._line(node))
        return sorted(set(out))


@lru_cache(maxsize=32)
def _ts_tree(language: str, text: str) -> Node | None:
    """The syntax tree, parsed once per text (a file asked about for several columns);
    None when the grammar cannot parse it whole."""
    from guardrail.analysis.migrations import grammar

    root = grammar.parse(language, text)
    if grammar.first_error(root) is not None and language == "typescript":
        root = grammar.parse("javascript", text)  # plain JS the TS grammar refuses
    return None if grammar.first_error(root) is not None else root


def _tree_sitter(text: str, path: str, t: Target, *, insert: bool) -> list[int] | None:
    language = "ruby" if path.endswith(".rb") else "typescript"
    if path.endswith((".tsx", ".jsx")):
        return None  # JSX needs its own grammar; read by the name alone
    root = _ts_tree(language, text)
    if root is None:
        return None
    reader = _Tree(root, language, t, path)
    return reader.inserts() if insert else reader.uses()


def _php(text: str, path: str, t: Target, *, insert: bool) -> list[int] | None:
    from guardrail.analysis.uses_php import Php

    root = _ts_tree("php", text)
    if root is None:
        return None
    reader = Php(root, t, path)
    return reader.inserts() if insert else reader.uses()


def _csharp(text: str, path: str, t: Target, *, insert: bool) -> list[int] | None:
    from guardrail.analysis.uses_cs import CSharp

    root = _ts_tree("c_sharp", text)
    if root is None:
        return None
    reader = CSharp(root, t, path)
    return reader.inserts() if insert else reader.uses()


# -- Prisma ---------------------------------------------------------------------------------------


def _prisma(text: str, t: Target, *, insert: bool) -> list[int] | None:
    from guardrail.analysis.model_fields import prisma_models

    if insert:
        return []  # a schema inserts nothing
    keys = t.keys
    out = []
    for name, model in prisma_models(text).items():
        kind, _, bare = name.partition(" ")
        mapped = any(
            k.startswith("@@map(") and bare_table(t.table) in k.lower() for k in model.columns
        )
        if kind != "model" or not (bare.replace("_", "").lower() in keys or mapped):
            continue
        if t.column is None:
            out.append(model.line)
        elif t.column in model.columns:
            out.append(model.columns[t.column].line)
    return out


# -- the entry points -----------------------------------------------------------------------------


def structural(path: str) -> bool:
    """Whether this file's language is read by its syntax here."""
    return path.endswith(STRUCTURAL_EXT) and not path.endswith(_TEMPLATES)


def uses(path: str, text: str, t: Target) -> list[int] | None:
    """The lines where the code uses the table's column (or the table), tied to it by the
    syntax; None when the language has no grammar here or the file does not parse."""
    return _read(path, text, t, insert=False)


_INSERT_WORDS = re.compile(r"(?i:insert|create|upsert|save|\bnew\b)|\.Add(?:Range)?(?:Async)?\(")


def might_insert(text: str, t: Target, path: str = "") -> bool:
    """Whether `inserts` could find anything in this text: every insert it recognises names
    an insert word (`insert`, `create…`, `upsert`, `save`, `new`, EF Core's `.Add(`/`.AddRange(`/
    `.AddAsync(`) or calls the model's class
    (`Order(...)`). A file without either is not parsed (a common table name such as `users`
    is in most files of a project; parsing each would cost tens of milliseconds)."""
    if _INSERT_WORDS.search(text):
        return True
    names = "|".join(re.escape(k) for k in sorted(model_keys(t.table, path)))
    return bool(names) and re.search(rf"(?i)\b(?:{names})\s*\(", text) is not None


_ELIXIR = (".ex", ".exs")


def reads_inserts(path: str) -> bool:
    """Whether `inserts` reads this file's language by its syntax: the languages of
    `structural`, and Elixir (Ecto's inserts, analysis/uses_ex.py; its column uses are read
    by the name alone)."""
    return structural(path) or path.endswith(_ELIXIR)


def inserts(path: str, text: str, t: Target) -> list[int] | None:
    """The lines where the code inserts a row into the table; None as for `uses`."""
    if path.endswith(_ELIXIR):
        return _elixir_inserts(text, path, t)
    return _read(path, text, t, insert=True)


def proven_elixir_uses(path: str, text: str, t: Target) -> list[int]:
    """In an Elixir file, the lines that certainly use the column (uses_ex.Ecto.uses: the
    table's schema declares it, a struct of the schema names it); [] for any other file or
    one that does not parse. A lower bound: Elixir is otherwise judged by the name alone."""
    if not path.endswith(_ELIXIR):
        return []
    from guardrail.analysis.uses_ex import Ecto

    root = _ts_tree("elixir", text)
    return [] if root is None else Ecto(root, t, path).uses()


def _elixir_inserts(text: str, path: str, t: Target) -> list[int] | None:
    from guardrail.analysis.uses_ex import Ecto

    root = _ts_tree("elixir", text)
    return None if root is None else Ecto(root, t, path).inserts()


def _read(path: str, text: str, t: Target, *, insert: bool) -> list[int] | None:
    if not structural(path):
        return None
    if path.endswith(".py"):
        return _python(text, t, path, insert=insert)
    if path.endswith(".prisma"):
        return _prisma(text, t, insert=insert)
    if path.endswith(".php"):
        return _php(text, path, t, insert=insert)
    if path.endswith(".cs"):
        return _csharp(text, path, t, insert=insert)
    return _tree_sitter(text, path, t, insert=insert)
