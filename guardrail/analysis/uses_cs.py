"""Where C# code (Entity Framework Core) uses one table's column or inserts into the table,
read from the tree-sitter C# grammar and scoped to the table's entity; the C# half of
analysis/uses.py (see its docstring for what counts as a use).

A use is tied to the table when:
- the entity class (`class Order`, or one marked `[Table("orders")]`) declares the property
  (`public string Status { get; set; }`, or one mapped by `[Column("status")]`), or reads
  `this.Status`;
- a row of the entity reads it (`order.Status`, `order?.Status`), where `order` is bound to
  the entity: a parameter or variable typed `Order` (or `List<Order>`, `EntityTypeBuilder<
  Order>`), an assignment from a query on `db.Orders` / `db.Set<Order>()`, a `foreach` over
  one, the parameter of a lambda passed to such a query (`db.Orders.Where(o => o.Status …)`,
  `modelBuilder.Entity<Order>().Property(e => e.Status)`), or a LINQ range variable (`from o
  in db.Orders where o.Status …`);
- a string in a query's arguments names it (`.HasColumnName("status")`,
  `EF.Property<string>(o, "Status")`), or an SQL string names the table and the column.

A navigation of a row (`order.Customer.Status`) is another entity, unless it is named after
this one (`line.Order.Status`). EF Core maps a property to the column of the same name, and a
naming convention (`EFCore.NamingConventions`) maps `OrderStatus` to `order_status`,
`orderstatus`, `orderStatus`, `ORDERSTATUS` or `ORDER_STATUS`: a property is the column when
one of these is the column's exact name (uses_common.maps_to_column; ignoring case on a
database that does, `Target.folds`). A quoted `"Status"` on PostgreSQL is not a property
`status`, nor `status_text` a property `Status`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from guardrail.analysis.uses_common import (
    CSHARP,
    Target,
    bare_table,
    is_model_name,
    maps_to_column,
    model_keys,
    names_column,
    node_text,
    sql_names,
    walk_nodes,
)

if TYPE_CHECKING:
    from tree_sitter import Node

_STRINGS = ("string_literal", "verbatim_string_literal", "raw_string_literal")
_ADDS = frozenset({"Add", "AddAsync", "AddRange", "AddRangeAsync"})
# LINQ operators whose result is no longer the entity's rows (`db.Orders.Select(o =>
# o.Customer)` holds customers): a column read on it, or a lambda chained after it, is not
# this table's. Their own lambdas still take the rows (`db.Orders.Select(o => o.Status)`).
_PROJECTIONS = frozenset(
    {
        "Select",
        "SelectMany",
        "GroupBy",
        "GroupJoin",
        "Join",
        "Zip",
        "ToLookup",
        "ToDictionary",
        "Aggregate",
    }
)


def _norm(name: str) -> str:
    return name.replace("_", "").lower()


def _same(a: str, b: str, folds: bool) -> bool:
    return a.lower() == b.lower() if folds else a == b


def _string(node: Node) -> str | None:
    """A literal string's content (not an interpolated one)."""
    if node.type == "string_literal":
        if any(c.type != "string_literal_content" for c in node.named_children):
            return None
        return "".join(node_text(c) for c in node.named_children)
    if node.type == "verbatim_string_literal":
        return node_text(node)[2:-1]
    if node.type == "raw_string_literal":
        return "".join(node_text(c) for c in node.named_children if c.type == "raw_string_content")
    return None


def _line(node: Node) -> int:
    return node.start_point[0] + 1


def _field(node: Node | None, name: str) -> Node | None:
    return node.child_by_field_name(name) if node is not None else None


class CSharp:
    def __init__(self, root: Node, t: Target, path: str) -> None:
        self.t = t
        self.table = bare_table(t.table)
        self.keys = model_keys(t.table, path) | t.keys
        self.nodes = walk_nodes(root)
        self.entities = [n for n in self.nodes if n.type == "class_declaration" and self._maps(n)]
        # The properties mapped to the column by `[Column("status")]` (any other name is
        # mapped by EF Core's conventions: `maps_to_column`).
        self.mapped: set[str] = set()
        if t.column is not None:
            for n in self.nodes:
                if n.type == "property_declaration" and self._column_attribute(n, t.column):
                    self.mapped.add(node_text(_field(n, "name") or n))
        self.bound: set[str] = set()  # variables holding rows or queries of the entity
        for _ in range(2):
            for node in self.nodes:
                self._bind(node)

    # -- what maps to the table
    def _attributes(self, node: Node) -> list[tuple[str, list[str]]]:
        """(name, string arguments) of the attributes on a declaration."""
        out = []
        for lst in node.named_children:
            if lst.type != "attribute_list":
                continue
            for attr in lst.named_children:
                name = _field(attr, "name")
                strings = [s for s in (_string(x) for x in walk_nodes(attr)) if s is not None]
                if name is not None:
                    out.append((node_text(name).rsplit(".", 1)[-1], strings))
        return out

    def _maps(self, cls: Node) -> bool:
        if is_model_name(node_text(_field(cls, "name") or cls), self.keys):
            return True
        return any(
            name in ("Table", "TableAttribute") and args and bare_table(args[0]) == self.table
            for name, args in self._attributes(cls)
        )

    def _column_attribute(self, prop: Node, column: str) -> bool:
        return any(
            name in ("Column", "ColumnAttribute") and args and _same(args[0], column, self.t.folds)
            for name, args in self._attributes(prop)
        )

    def is_model(self, node: Node) -> bool:
        kind = node.type
        if kind == "identifier":
            return is_model_name(node_text(node), self.keys)
        if kind == "generic_name":  # Set<Order>, List<Order>, EntityTypeBuilder<Order>
            return any(self.is_model(n) for n in walk_nodes(node) if n.type == "identifier")
        if kind in ("qualified_name", "nullable_type", "array_type"):
            return any(self.is_model(c) for c in node.named_children)
        return False

    def _in_entity(self, node: Node) -> bool:
        p = node.parent
        while p is not None:
            if p.type == "class_declaration":
                return any(p.id == e.id for e in self.entities)
            p = p.parent
        return False

    # -- what a chain starts at
    def _scoped(self, ident: Node, name: str) -> bool | None:
        """A lambda parameter or LINQ range variable `name`: bound (True) or not (False);
        None when no enclosing lambda or query declares it."""
        p = ident.parent
        while p is not None:
            if p.type == "lambda_expression":
                params = _field(p, "parameters")
                if params is not None:
                    found = _lambda_param(params, name)
                    if found is not None:
                        kind = _field(found, "type")
                        if kind is not None and self.is_model(kind):
                            return True
                        call = _enclosing_call(p)
                        if call is None:
                            return False
                        if _method(call) == "ThenInclude":
                            return self._included(call)  # the navigation Include took
                        return self.rooted(call, call_args=True)
            elif p.type == "query_expression":
                for clause in p.named_children:
                    source = _range_source(clause)
                    if source is not None and source[0] == name:
                        return self.rooted(source[1])
            p = p.parent
        return None

    def _variable(self, ident: Node) -> bool:
        name = node_text(ident)
        scoped = self._scoped(ident, name)
        if scoped is not None:
            return scoped
        return name in self.bound

    def _included(self, call: Node) -> bool:
        """`….Include(o => o.Lines).ThenInclude(l => …)`: `l` is a row of the navigation the
        previous Include or ThenInclude took, this entity's only when it is named after it."""
        prev = _field(_field(call, "function"), "expression")
        args = _field(prev, "arguments") if prev is not None else None
        for arg in args.named_children if args is not None else []:
            body = arg.named_children[0] if arg.named_children else None
            if body is not None and body.type == "lambda_expression":
                nav = _field(body, "body")
                name = _field(nav, "name") if nav is not None else None
                if nav is not None and nav.type == "conditional_access_expression":
                    binding = nav.named_children[-1] if nav.named_children else None
                    name = _field(binding, "name") if binding is not None else None
                return name is not None and _norm(node_text(name)) in self.keys
        return False

    def rooted(self, node: Node | None, *, call_args: bool = False) -> bool:
        """An expression built on the entity: a query, a row, or a collection of rows. With
        `call_args`, `node` is a call whose arguments are asked about: they speak of the rows
        it is called on, even for a projection (`db.Orders.Select(o => o.Status)`)."""
        start = node
        while node is not None:
            step = self._step(node, projection_ok=call_args and node == start)
            if isinstance(step, bool):
                return step
            node = step
        return False

    def _step(self, node: Node, *, projection_ok: bool) -> bool | Node | None:
        """What `rooted` decides at `node` (a bool), or the node it goes on to."""
        kind = node.type
        if kind == "identifier":
            return self.is_model(node) or self._variable(node)
        if kind in ("this_expression", "this"):
            return self._in_entity(node)
        if kind == "generic_name":
            return self.is_model(node)
        if kind == "member_access_expression":
            # a property of a row is a value or a navigation: only one named after the
            # entity (db.Orders, line.Order) stays on it
            name = _field(node, "name")
            return name is not None and (
                _norm(node_text(name)) in self.keys
                or (name.type == "generic_name" and self.is_model(name))
            )
        if kind == "object_creation_expression":
            return self.is_model(_field(node, "type") or node)
        if kind == "query_expression":
            source = next((_range_source(c) for c in node.named_children), None)
            return source is not None and self.rooted(source[1])
        if kind == "invocation_expression":
            return self._receiver(node, projection_ok=projection_ok)
        if kind in ("await_expression", "parenthesized_expression", "cast_expression"):
            return node.named_children[-1] if node.named_children else None
        if kind == "postfix_unary_expression" and node_text(node).endswith("!"):
            return node.named_children[0] if node.named_children else None  # order!
        if kind == "conditional_access_expression":
            # `order?.Customer` is a navigation as `order.Customer` is: the tree keeps the
            # step in its last child (`order?[0]` stays on the rows)
            binding = node.named_children[-1] if node.named_children else None
            if binding is not None and binding.type == "member_binding_expression":
                name = _field(binding, "name")
                return name is not None and _norm(node_text(name)) in self.keys
            return _field(node, "condition")
        return False

    def _receiver(self, call: Node, *, projection_ok: bool) -> bool | Node | None:
        fn = _field(call, "function")
        if fn is None or fn.type != "member_access_expression":
            return fn
        name = _field(fn, "name")
        if name is not None and name.type == "generic_name" and self.is_model(name):
            return True  # db.Set<Order>(), modelBuilder.Entity<Order>()
        if name is not None and node_text(name) in _PROJECTIONS and not projection_ok:
            return False  # `db.Orders.Select(o => o.Customer)`: customers
        return _field(fn, "expression")

    def _bind(self, node: Node) -> None:
        kind = node.type
        if kind == "variable_declaration":
            typed = self._typed(_field(node, "type"))
            for decl in node.named_children:
                if decl.type != "variable_declarator":
                    continue
                name = _field(decl, "name")
                value = decl.named_children[-1] if len(decl.named_children) > 1 else None
                if name is not None and (typed or (value is not None and self._holds(value))):
                    self.bound.add(node_text(name))
        elif kind == "assignment_expression":
            left = _field(node, "left")
            right = _field(node, "right")
            if (
                left is not None
                and left.type == "identifier"
                and right is not None
                and self._holds(right)
            ):
                self.bound.add(node_text(left))
        elif kind == "foreach_statement":
            left = _field(node, "left")
            right = _field(node, "right")
            typed = self._typed(_field(node, "type"))
            if left is not None and (typed or self.rooted(right)):
                self.bound.add(node_text(left))
        elif kind == "parameter" and node.parent is not None:
            if node.parent.parent is not None and node.parent.parent.type == "lambda_expression":
                return  # resolved by scope (_scoped)
            name = _field(node, "name")
            if name is not None and self._typed(_field(node, "type")):
                self.bound.add(node_text(name))

    def _typed(self, kind: Node | None) -> bool:
        return kind is not None and self.is_model(kind)

    def _holds(self, value: Node) -> bool:
        """An assigned value that is a row or query of the entity (not a column's value)."""
        if value.type == "member_access_expression":
            name = _field(value, "name")
            if self._is_column(name):
                return False  # var status = order.Status
        return self.rooted(value)

    # -- uses
    def uses(self) -> list[int]:
        out: list[int] = []
        col = self.t.column
        for node in self.nodes:
            kind = node.type
            if kind in _STRINGS and sql_names(node_text(node), self.t, insert=False):
                out.append(_line(node))
            if col is not None:
                out.extend(self._column_use(node, col))
            elif kind in ("identifier", "generic_name") and self.is_model(node):
                parent = node.parent
                if kind == "generic_name" or parent is None or parent.type != "generic_name":
                    out.append(_line(node))  # Set<Order> counted once, as the generic name
        return sorted(set(out))

    def _is_column(self, name: Node | None) -> bool:
        return name is not None and self._names_column(name)

    def _names_column(self, name: Node | str) -> bool:
        """A property (or a string naming one) that is the column: mapped by `[Column]`, or
        by EF Core's name or a naming convention (`Status`, `OrderStatus` for `order_status`;
        not `Status` for a quoted `"STATUS_TEXT"`)."""
        text = name if isinstance(name, str) else node_text(name)
        column = self.t.column
        return column is not None and (
            text in self.mapped or maps_to_column(text, column, CSHARP, folds=self.t.folds)
        )

    def _column_use(self, node: Node, col: str) -> list[int]:
        kind = node.type
        hit = False
        if kind == "member_access_expression" and self._is_column(_field(node, "name")):
            obj = _field(node, "expression")
            hit = self.rooted(obj) or (obj is None and self._in_entity(node))
        elif kind == "member_binding_expression":  # order?.Status
            access = node.parent
            hit = (
                self._is_column(_field(node, "name"))
                and access is not None
                and access.type == "conditional_access_expression"
                and self.rooted(_field(access, "condition"))
            )
        elif kind == "object_creation_expression" and self.rooted(node):
            init = _field(node, "initializer")  # new Order { Status = "new" }
            return [
                _line(a)
                for a in (init.named_children if init is not None else [])
                if a.type == "assignment_expression" and self._is_column(_field(a, "left"))
            ]
        elif kind in ("property_declaration", "field_declaration") and self._in_entity(node):
            return self._declared(node)
        elif kind == "invocation_expression":
            args = _field(node, "arguments")
            first = args.named_children[0] if args is not None and args.named_children else None
            ef_property = node_text(node).startswith("EF.Property") and (
                first is not None and bool(first.named_children)
            )
            if self.rooted(node, call_args=True) or (
                ef_property and first is not None and self.rooted(first.named_children[0])
            ):
                return self._in_arguments(node, col)
        return [_line(node)] if hit else []

    def _declared(self, node: Node) -> list[int]:
        if node.type == "property_declaration":
            name = _field(node, "name")
            return [_line(node)] if self._is_column(name) else []
        return [
            _line(node)
            for d in walk_nodes(node)
            if d.type == "variable_declarator" and self._names_column(_field(d, "name") or d)
        ]

    def _in_arguments(self, call: Node, col: str) -> list[int]:
        args = _field(call, "arguments")
        out = []
        stack = list(args.named_children) if args is not None else []
        while stack:
            n = stack.pop()
            if n.type == "lambda_expression":
                continue  # a lambda's body is judged on its own
            value = _string(n)
            if value is not None:
                if names_column(value, col) or self._names_column(value):
                    out.append(_line(n))
                continue
            stack.extend(n.named_children)
        return out

    # -- inserts
    def inserts(self) -> list[int]:
        out = []
        for node in self.nodes:
            kind = node.type
            if kind in _STRINGS:
                if sql_names(node_text(node), self.t, insert=True):
                    out.append(_line(node))
            elif kind == "object_creation_expression":
                if self.is_model(_field(node, "type") or node):
                    out.append(_line(node))  # new Order { … }: a row added to a context
            elif kind == "invocation_expression":
                fn = _field(node, "function")
                name = _field(fn, "name")
                if fn is None or fn.type != "member_access_expression" or name is None:
                    continue
                if node_text(name) not in _ADDS:
                    continue
                args = _field(node, "arguments")
                if self.rooted(_field(fn, "expression")) or any(
                    self.rooted(a.named_children[0])
                    for a in (args.named_children if args is not None else [])
                    if a.named_children
                ):
                    out.append(_line(node))
        return sorted(set(out))


def _lambda_param(params: Node, name: str) -> Node | None:
    """The parameter node of a lambda that declares `name` (an implicit one is itself)."""
    if params.type == "implicit_parameter":
        return params if node_text(params) == name else None
    for p in params.named_children:
        if p.type == "parameter" and node_text(_field(p, "name") or p) == name:
            return p
    return None


def _range_source(clause: Node) -> tuple[str, Node] | None:
    """(range variable, source expression) of `from o in db.Orders` / `join o in …`."""
    if clause.type not in ("from_clause", "join_clause"):
        return None
    parts = clause.named_children
    name = _field(clause, "name") or next((c for c in parts if c.type == "identifier"), None)
    if name is None:
        return None
    rest = [c for c in parts if c.id != name.id and c.start_byte > name.start_byte]
    return (node_text(name), rest[0]) if rest else None


def _method(call: Node) -> str:
    fn = _field(call, "function")
    name = _field(fn, "name") if fn is not None and fn.type == "member_access_expression" else None
    return node_text(name) if name is not None else ""


def _enclosing_call(lambda_: Node) -> Node | None:
    """The invocation a lambda is an argument of: lambda -> argument -> list -> invocation."""
    p = lambda_.parent
    for _ in range(3):
        if p is None:
            return None
        if p.type == "invocation_expression":
            return p
        p = p.parent
    return None
