"""Where PHP code (Laravel's Eloquent and query builder) uses one table's column or inserts
into the table, read from the tree-sitter PHP grammar and scoped to the table's model; the
PHP half of analysis/uses.py (see its docstring for what counts as a use).

A use is tied to the table when:
- the model class (`class Order extends Model`, or one with `protected $table = 'orders'`)
  lists the column in `$fillable`, `$guarded`, `$casts`, `$hidden`, `$visible`, `$dates`,
  `$attributes` or its `casts()` method, or reads `$this->status`;
- a query built on the model names it in a call's arguments (`Order::where('status', …)`,
  `DB::table('orders')->pluck('status')`, `$user->orders()->orderBy('status')`);
- a row of the model reads it (`$order->status`, `$order['status']`), where `$order` is
  bound to the model: a parameter typed `Order`, an assignment from a query on it, a
  `foreach` over one, a closure parameter of a query's `where(function ($q) { … })`;
- an SQL string names the table and the column.

Eloquent's relation methods take the *related* model's columns (`whereHas('invoice', fn
($q) => $q->where('status', …))`, `whereRelation('invoice', 'status', …)`): their arguments
are not this table's. A relation of a row (`$order->invoice()`) is another model unless its
name is the model's own (`$user->orders()`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from guardrail.analysis.uses_common import (
    Target,
    bare_table,
    in_order,
    is_model_name,
    model_keys,
    names_column,
    node_text,
    nodes_by_type,
    sql_names,
    walk_nodes,
)

if TYPE_CHECKING:
    from tree_sitter import Node

# Model properties and methods that list the model's columns.
_COLUMN_LISTS = frozenset(
    {"fillable", "guarded", "casts", "hidden", "visible", "dates", "attributes"}
)
# Calls whose arguments name a related model's columns (or relations), not this table's.
_RELATION_CALLS = frozenset(
    {
        "with",
        "withCount",
        "withSum",
        "withAvg",
        "withMax",
        "withMin",
        "withExists",
        "load",
        "loadMissing",
        "loadCount",
        "has",
        "orHas",
        "doesntHave",
        "orDoesntHave",
        "whereHas",
        "orWhereHas",
        "whereDoesntHave",
        "orWhereDoesntHave",
        "whereRelation",
        "orWhereRelation",
        "whereBelongsTo",
        "whereMorphRelation",
    }
)
# Methods of a row that stay on the row's own table (other methods of a row are relations).
_ROW_METHODS = frozenset(
    {
        "update",
        "fill",
        "forceFill",
        "save",
        "push",
        "delete",
        "getAttribute",
        "setAttribute",
        "getOriginal",
        "getRawOriginal",
        "isDirty",
        "isClean",
        "wasChanged",
        "increment",
        "decrement",
        "only",
        "except",
        "makeHidden",
        "makeVisible",
        "refresh",
        "fresh",
        "replicate",
    }
)
# The last call of a chain that gives one row (the variable then holds a row, not a query).
_ROW_FETCH = frozenset(
    {
        "first",
        "firstOrFail",
        "firstWhere",
        "find",
        "findOrFail",
        "findOr",
        "sole",
        "create",
        "forceCreate",
        "firstOrCreate",
        "firstOrNew",
        "updateOrCreate",
        "make",
        "replicate",
        "fresh",
    }
)
_INSERTS = frozenset(
    {
        "create",
        "createMany",
        "createQuietly",
        "forceCreate",
        "insert",
        "insertOrIgnore",
        "insertGetId",
        "insertUsing",
        "firstOrCreate",
        "updateOrCreate",
        "upsert",
    }
)
# Collection methods whose result is no longer the model's rows (`Order::all()->map(fn ($o) =>
# $o->customer)` holds customers, `->pluck('status')` values): a column read on it, or a
# closure chained after it, is not this table's. Their own arguments still speak of the rows
# (`->pluck('status')`, `->map(fn ($o) => $o->status)`).
_PROJECTIONS = frozenset(
    {
        "map",
        "flatMap",
        "mapWithKeys",
        "mapInto",
        "mapSpread",
        "mapToGroups",
        "mapToDictionary",
        "pluck",
        "keys",
        "countBy",
        "groupBy",
        "zip",
        "reduce",
        "value",
    }
)
_STRINGS = ("string", "encapsed_string", "heredoc", "nowdoc")
_MEMBER = ("member_access_expression", "nullsafe_member_access_expression")
_CALLS = ("member_call_expression", "nullsafe_member_call_expression", "scoped_call_expression")
_FUNCTIONS = ("anonymous_function", "arrow_function")


def _string(node: Node) -> str | None:
    """A literal string's content; None for an interpolated one or another node."""
    if node.type not in ("string", "encapsed_string"):
        return None
    if any(c.type not in ("string_content", "escape_sequence") for c in node.named_children):
        return None
    raw = node_text(node)
    return raw[1:-1] if len(raw) >= 2 else ""


def _name(node: Node | None) -> str:
    return node_text(node) if node is not None else ""


def _var(node: Node | None) -> str | None:
    """`$order` -> `order`."""
    if node is None or node.type != "variable_name":
        return None
    return node_text(node).lstrip("$")


# The node types the reader looks at: only these are taken from the tree (a query, in C).
_BINDERS = (
    "assignment_expression",
    "foreach_statement",
    "simple_parameter",
    "property_promotion_parameter",
)
_COLUMN_USES = (
    *_STRINGS,
    *_MEMBER,
    "subscript_expression",
    *_CALLS,
    "object_creation_expression",
    "property_element",
    "method_declaration",
)
_INSERT_SITES = (*_STRINGS, "object_creation_expression", *_CALLS)
_TYPES = tuple(dict.fromkeys(("class_declaration", *_BINDERS, *_COLUMN_USES, *_INSERT_SITES)))
# A dropped table's uses read every name (half a file's nodes): found only when asked.
_NAMES = ("name", "qualified_name")
_TABLE_USES = (*_STRINGS, *_NAMES)


class Php:
    def __init__(self, root: Node, t: Target, path: str) -> None:
        self.t = t
        self.table = bare_table(t.table)
        self.keys = model_keys(t.table, path) | t.keys
        self.root = root
        self.found = nodes_by_type(root, "php", _TYPES)
        self.models = [n for n in self.found["class_declaration"] if self._maps(n)]
        self.rows: set[str] = set()  # variables holding a row of the model
        self.queries: set[str] = set()  # variables holding a query or a collection of it
        # What `rooted` answered per (node, call_args), once the bindings are final.
        self.memo: dict[tuple[int, bool], bool] | None = None
        binders = in_order(self.found, _BINDERS)
        for _ in range(2):
            for node in binders:
                self._bind(node)
        self.memo = {}

    def _nodes(self, types: tuple[str, ...]) -> list[Node]:
        if any(t in _NAMES for t in types):
            self.found = {**self.found, **nodes_by_type(self.root, "php", _NAMES)}
        return [n for t in types for n in self.found[t]]

    # -- what maps to the table
    def _maps(self, cls: Node) -> bool:
        if is_model_name(_name(cls.child_by_field_name("name")), self.keys):
            return True
        body = cls.child_by_field_name("body")
        for prop in body.named_children if body is not None else []:
            if prop.type != "property_declaration":
                continue
            for el in prop.named_children:
                if (
                    el.type == "property_element"
                    and _var(el.child_by_field_name("name")) == "table"
                ):
                    value = el.child_by_field_name("default_value")
                    if value is not None and (_string(value) or "").lower() == self.table:
                        return True
        return False

    def is_model(self, node: Node) -> bool:
        if node.type == "name":
            return is_model_name(node_text(node), self.keys)
        if node.type == "qualified_name":  # \App\Models\Order
            names = [c for c in node.named_children if c.type == "name"]
            return bool(names) and is_model_name(node_text(names[-1]), self.keys)
        if node.type == "named_type":
            return any(self.is_model(c) for c in node.named_children)
        return False

    def _typed(self, param: Node) -> bool:
        kind = param.child_by_field_name("type")
        return kind is not None and any(self.is_model(n) for n in walk_nodes(kind))

    def _in_model(self, node: Node) -> bool:
        p = node.parent
        while p is not None:
            if p.type == "class_declaration":
                return any(p.id == m.id for m in self.models)
            p = p.parent
        return False

    def _key(self, name: str) -> bool:
        """A relation or property named after the model: `$user->orders()`, `$item->order`."""
        return name.replace("_", "").lower() in self.keys

    # -- what a chain starts at
    def _param(self, var: Node, name: str) -> bool | None:
        """The closure parameter `name` resolves to: bound (True), another query (False),
        or None when no enclosing closure declares it."""
        p = var.parent
        while p is not None:
            if p.type in _FUNCTIONS:
                params = p.child_by_field_name("parameters")
                for param in params.named_children if params is not None else []:
                    if _var(param.child_by_field_name("name")) == name:
                        if self._typed(param):
                            return True
                        call = _enclosing_call(p)
                        return (
                            call is not None
                            and _name(call.child_by_field_name("name")) not in _RELATION_CALLS
                            and self.rooted(call, call_args=True)
                        )
                if p.type == "anonymous_function":
                    return None  # a full closure does not see the outer scope's variables
            p = p.parent
        return None

    def _kind(self, node: Node) -> str | None:
        """What a variable holds: "row" (one row of the model), "query" (a query or a
        collection of its rows), or None (not bound to the model)."""
        name = _var(node)
        if name is None:
            return None
        if name == "this":
            return "row" if self._in_model(node) else None
        param = self._param(node, name)
        if param is not None:
            return "query" if param else None
        if self._scope_query(node, name):
            return "query"
        if name in self.rows:
            return "row"
        return "query" if name in self.queries else None

    def _scope_query(self, node: Node, name: str) -> bool:
        """`$query` in a local scope of the model: `public function scopePaid($query)`."""
        p = node.parent
        while p is not None and p.type != "method_declaration":
            p = p.parent
        if p is None or not _name(p.child_by_field_name("name")).startswith("scope"):
            return False
        params = p.child_by_field_name("parameters")
        first = params.named_children[0] if params is not None and params.named_children else None
        return (
            first is not None
            and _var(first.child_by_field_name("name")) == name
            and self._in_model(p)
        )

    def rooted(self, node: Node | None, *, call_args: bool = False) -> bool:
        """An expression built on the model (a query, a row, or the class itself). With
        `call_args`, `node` is a call whose arguments are asked about: they speak of the rows
        it is called on, even for a projection (`Order::all()->pluck('status')`).

        The answer is the same at every step down a chain (a step either decides or moves
        on), so once the variables are bound it is kept for each step walked: a chain of n
        calls, each asked about, is walked once, not n times."""
        start = node.id if node is not None else None
        walked: list[tuple[int, bool]] = []
        found = False
        while node is not None:
            key = (node.id, call_args and node.id == start)
            if self.memo is not None:
                known = self.memo.get(key)
                if known is not None:
                    found = known
                    break
                walked.append(key)
            step = self._step(node, projection_ok=key[1])
            if isinstance(step, bool):
                found = step
                break
            node = step
        if self.memo is not None:
            for key in walked:
                self.memo[key] = found
        return found

    def _table_string(self, node: Node) -> bool:
        """A literal string that is the table's name (`'orders'`), its length asked first."""
        return (
            node.end_byte - node.start_byte == len(self.table.encode()) + 2
            and (_string(node) or "").lower() == self.table
        )

    def _step(self, node: Node, *, projection_ok: bool) -> bool | Node | None:
        """What `rooted` decides at `node` (a bool), or the node it goes on to."""
        kind = node.type
        if self.is_model(node):
            return True
        if kind == "variable_name":
            return self._kind(node) is not None
        if kind == "relative_scope":  # static::query() / self::where() in the model
            return self._in_model(node)
        if kind in _CALLS:
            args = node.child_by_field_name("arguments")
            if args is not None and any(
                self._table_string(s) for a in args.named_children for s in a.named_children
            ):
                return True  # DB::table('orders'), ->from('orders')
            method = _name(node.child_by_field_name("name"))
            if method in _PROJECTIONS and not projection_ok:
                return False  # `->map(fn ($o) => $o->customer)`: no longer its rows
            if kind == "scoped_call_expression":
                return node.child_by_field_name("scope")
            if self._key(method):
                return True  # $user->orders()
            obj = node.child_by_field_name("object")
            if obj is not None and obj.type == "variable_name" and method not in _ROW_METHODS:
                # a row's other methods are its relations (another model); a query's
                # methods stay on the query
                return self._kind(obj) == "query"
            return obj
        if kind in _MEMBER:
            # a property of a row is a value or a relation: only one named after the model
            return self._key(_name(node.child_by_field_name("name")))
        if kind == "object_creation_expression":
            return any(self.is_model(c) for c in node.named_children)
        if kind == "parenthesized_expression":
            return node.named_children[0] if node.named_children else None
        return False

    def _bind(self, node: Node) -> None:
        kind = node.type
        if kind == "assignment_expression":
            left = _var(node.child_by_field_name("left"))
            right = node.child_by_field_name("right")
            if left is None or right is None or not self.rooted(right) or self._reads(right):
                return
            (self.rows if self._gives_a_row(right) else self.queries).add(left)
        elif kind == "foreach_statement":
            parts = node.named_children
            if len(parts) >= 2 and self.rooted(parts[0]):
                value = parts[1]
                if value.type == "pair":
                    value = value.named_children[-1]
                name = _var(value)
                if name:
                    self.rows.add(name)
        elif kind in ("simple_parameter", "property_promotion_parameter") and self._typed(node):
            name = _var(node.child_by_field_name("name"))
            if name and not any(a.type in _FUNCTIONS for a in _ancestors(node, 2)):
                self.rows.add(name)

    def _gives_a_row(self, node: Node) -> bool:
        if node.type == "object_creation_expression":
            return True
        if node.type in _CALLS:
            return _name(node.child_by_field_name("name")) in _ROW_FETCH
        if node.type in _MEMBER:  # $item->order
            return True
        return node.type == "variable_name" and self._kind(node) == "row"

    def _reads(self, node: Node) -> bool:
        """`$status = $order->status` holds the value, not a row."""
        return node.type in _MEMBER and _name(node.child_by_field_name("name")) == self.t.column

    # -- uses
    def uses(self) -> list[int]:
        out: list[int] = []
        col = self.t.column
        for node in self._nodes(_TABLE_USES if col is None else _COLUMN_USES):
            kind = node.type
            if kind in _STRINGS and sql_names(node_text(node), self.t, insert=False):
                out.append(_line(node))
            if col is None:
                if kind in ("name", "qualified_name") and self.is_model(node):
                    out.append(_line(node))
                continue
            if kind in _MEMBER:
                obj = node.child_by_field_name("object")
                if _name(node.child_by_field_name("name")) == col and self.rooted(obj):
                    out.append(_line(node))
            elif kind == "subscript_expression":  # $order['status']
                parts = node.named_children
                if len(parts) == 2 and _string(parts[1]) == col and self.rooted(parts[0]):
                    out.append(_line(node))
            elif kind in _CALLS and self.rooted(node, call_args=True):
                out.extend(self._in_arguments(node, col))
            elif kind == "object_creation_expression" and self.rooted(node):
                out.extend(self._in_arguments(node, col))  # new Order(['status' => …])
            elif kind == "property_element" and self._in_model(node):
                if _var(node.child_by_field_name("name")) in _COLUMN_LISTS:
                    out.extend(self._listed(node, col))
            elif kind == "method_declaration" and self._casts_method(node):
                out.extend(self._listed(node, col))
        return sorted(set(out))

    def _casts_method(self, node: Node) -> bool:
        """Laravel 11's `protected function casts(): array` in the model."""
        return _name(node.child_by_field_name("name")) == "casts" and self._in_model(node)

    def _listed(self, node: Node, col: str) -> list[int]:
        return [
            _line(s)
            for s in walk_nodes(node)
            if s.type in ("string", "encapsed_string")
            and _string(s) == col
            and s.parent is not None
            and s.parent.type == "array_element_initializer"
        ]

    def _in_arguments(self, call: Node, col: str) -> list[int]:
        if _name(call.child_by_field_name("name")) in _RELATION_CALLS:
            return []  # the related model's columns
        args = call.child_by_field_name("arguments") or next(
            (c for c in call.named_children if c.type == "arguments"), None
        )
        if args is None:
            return []
        out = []
        stack = list(args.named_children)
        while stack:
            n = stack.pop()
            if n.type in _FUNCTIONS:
                continue  # a closure's own calls are judged on their own
            value = _string(n)
            if value is not None:
                if names_column(value, col):
                    out.append(_line(n))
                continue
            stack.extend(n.named_children)
        return out

    # -- inserts
    def inserts(self) -> list[int]:
        out: list[int] = []
        for node in self._nodes(_INSERT_SITES):
            kind = node.type
            if kind in _STRINGS:
                if sql_names(node_text(node), self.t, insert=True):
                    out.append(_line(node))
            elif kind == "object_creation_expression":
                if any(self.is_model(c) for c in node.named_children):
                    out.append(_line(node))  # new Order([...]): a row saved or added to one
            elif kind in _CALLS and _name(node.child_by_field_name("name")) in _INSERTS:
                receiver = node.child_by_field_name(
                    "scope" if kind == "scoped_call_expression" else "object"
                )
                if receiver is not None and self.rooted(receiver):
                    out.append(_line(node))
        return sorted(set(out))


def _line(node: Node) -> int:
    return node.start_point[0] + 1


def _ancestors(node: Node, depth: int) -> list[Node]:
    out: list[Node] = []
    p = node.parent
    while p is not None and len(out) < depth:
        out.append(p)
        p = p.parent
    return out


def _enclosing_call(function: Node) -> Node | None:
    """The call a closure is an argument of: closure -> argument -> arguments -> call."""
    p = function.parent
    for _ in range(3):
        if p is None:
            return None
        if p.type in _CALLS:
            return p
        p = p.parent
    return None
