"""Where Elixir code (Ecto) inserts rows into one table, read from the tree-sitter Elixir
grammar (the one the Ecto migration reader uses); the Elixir half of analysis/uses.py's
`inserts` (GR512: the old version inserts rows without a column the migration adds NOT NULL).

An insert is tied to the table when a call of a repository (`Repo.insert/insert!`,
`insert_or_update`, `MyApp.Repo.…`: a module named `Repo` or ending in `.Repo`) or of
`Ecto.Multi` (`Multi.insert(multi, :order, …)`) is given, as an argument or through a pipe:
- a struct of the schema (`%Order{total: 1}`, `%MyApp.Shop.Order{}`);
- a changeset of it: a function of the schema's module named like a changeset
  (`Order.changeset(%Order{}, attrs)`, `Order.create_changeset(…)`, Ecto's convention), or
  Ecto.Changeset's own functions on one (`change(%Order{}, …)`, `cast`, `put_change`,
  `validate_*`, …, piped or not);
- a variable matched to one of these in the file (`changeset = Order.changeset(…)`);
- for `insert_all`, the schema module or the table's name (`Repo.insert_all(Order, rows)`,
  `Repo.insert_all("orders", rows)`);
or an SQL string (or sigil) says `INSERT INTO <table>`.

The schema is its module's last name, matched to the table as the other readers match a class
(`Order` for `orders`). Anything else (a changeset built in another module, a struct passed in
a parameter) is not claimed: the file then shows no insert by its syntax. Column uses in
Elixir stay judged by the name alone (GR511's page says why).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from guardrail.analysis.uses_common import (
    Target,
    bare_table,
    is_model_name,
    model_keys,
    node_text,
    nodes_by_type,
    sql_names,
)

if TYPE_CHECKING:
    from tree_sitter import Node

_REPO_INSERTS = frozenset({"insert", "insert!", "insert_or_update", "insert_or_update!"})
_MULTI_INSERTS = frozenset({"insert", "insert_or_update", "insert_all"})
# Ecto.Changeset functions that take a changeset (or a struct) and give one of the same schema.
_CHANGESET_FUNCTIONS = frozenset(
    {
        "change",
        "cast",
        "cast_assoc",
        "cast_embed",
        "put_change",
        "force_change",
        "put_assoc",
        "put_embed",
        "unique_constraint",
        "foreign_key_constraint",
        "check_constraint",
        "exclusion_constraint",
        "no_assoc_constraint",
        "assoc_constraint",
        "optimistic_lock",
        "prepare_changes",
    }
)
_TYPES = ("call", "binary_operator", "string", "sigil", "map")


def _line(node: Node) -> int:
    return node.start_point[0] + 1


def _operator(node: Node) -> str:
    op = node.child_by_field_name("operator")
    return node_text(op) if op is not None else ""


def _last(alias: Node) -> str:
    return node_text(alias).rsplit(".", 1)[-1]


def _arguments(call: Node) -> list[Node]:
    args = next((c for c in call.named_children if c.type == "arguments"), None)
    return list(args.named_children) if args is not None else []


def _remote(call: Node) -> tuple[str, str] | None:
    """(module, function) of `Module.function(…)`; None for a local call or another form."""
    target = call.child_by_field_name("target")
    if target is None or target.type != "dot":
        return None
    left = target.child_by_field_name("left")
    right = target.child_by_field_name("right")
    if left is None or right is None or left.type != "alias" or right.type != "identifier":
        return None
    return node_text(left), node_text(right)


def _local(call: Node) -> str | None:
    target = call.child_by_field_name("target")
    return node_text(target) if target is not None and target.type == "identifier" else None


def _piped(call: Node) -> Node | None:
    """The value piped into `call` (`x |> Repo.insert()`), or None."""
    parent = call.parent
    if parent is not None and parent.type == "binary_operator" and _operator(parent) == "|>":
        right = parent.child_by_field_name("right")
        if right is not None and right.id == call.id:
            return parent.child_by_field_name("left")
    return None


class Ecto:
    def __init__(self, root: Node, t: Target, path: str) -> None:
        self.t = t
        self.table = bare_table(t.table)
        self.keys = model_keys(t.table, path) | t.keys
        self.found = nodes_by_type(root, "elixir", _TYPES)
        # Variables matched to a struct or changeset of the schema: `cs = Order.changeset(…)`.
        self.bound: set[str] = set()
        matches = [
            (left, right)
            for n in self.found["binary_operator"]
            if _operator(n) == "="
            and (left := n.child_by_field_name("left")) is not None
            and (right := n.child_by_field_name("right")) is not None
            and left.type == "identifier"
        ]
        for _ in range(2):
            for left, right in matches:
                if self._of_schema(right):
                    self.bound.add(node_text(left))

    def _schema(self, alias: Node | None) -> bool:
        return (
            alias is not None and alias.type == "alias" and is_model_name(_last(alias), self.keys)
        )

    def _of_schema(self, node: Node | None) -> bool:
        """A struct or changeset of the schema (see the module's docstring)."""
        if node is None:
            return False
        kind = node.type
        if kind == "map":
            struct = next((c for c in node.named_children if c.type == "struct"), None)
            return struct is not None and any(self._schema(c) for c in struct.named_children)
        if kind == "identifier":
            return node_text(node) in self.bound
        if kind == "binary_operator" and _operator(node) == "|>":
            right = node.child_by_field_name("right")
            if right is None or right.type != "call":
                return False
            if self._schema_changeset(right):
                return True
            return self._keeps_schema(right) and self._of_schema(node.child_by_field_name("left"))
        if kind == "call":
            if self._schema_changeset(node):
                return True
            args = _arguments(node)
            return self._keeps_schema(node) and bool(args) and self._of_schema(args[0])
        return False

    def _schema_changeset(self, call: Node) -> bool:
        """`Order.changeset(…)`, `MyApp.Order.create_changeset(…)`."""
        remote = _remote(call)
        if remote is None:
            return False
        target = call.child_by_field_name("target")
        module = target.child_by_field_name("left") if target is not None else None
        return self._schema(module) and "changeset" in remote[1]

    def _keeps_schema(self, call: Node) -> bool:
        """An Ecto.Changeset function, called as `Ecto.Changeset.f`, `Changeset.f` or
        imported (`f`), that gives a changeset of the schema it is given."""
        remote = _remote(call)
        if remote is not None:
            module, name = remote
            if module not in ("Ecto.Changeset", "Changeset"):
                return False
        else:
            name = _local(call) or ""
        return name in _CHANGESET_FUNCTIONS or name.startswith("validate_")

    def _inserted(self, call: Node) -> bool:
        remote = _remote(call)
        if remote is None:
            return False
        module, name = remote
        args = _arguments(call)
        piped = _piped(call)
        if module == "Repo" or module.endswith(".Repo"):
            if name == "insert_all":
                first = piped if piped is not None else (args[0] if args else None)
                return self._schema(first) or (
                    first is not None
                    and first.type == "string"
                    and bare_table(_plain(first)) == self.table
                )
            if name in _REPO_INSERTS:
                return self._of_schema(piped if piped is not None else (args[0] if args else None))
            return False
        if module in ("Multi", "Ecto.Multi") and name in _MULTI_INSERTS:
            return any(self._of_schema(a) or self._schema(a) for a in args)
        return False

    def uses(self) -> list[int]:
        """The lines that certainly use the column (none are claimed for a table): the schema
        of the table declares it (`schema "orders" do field :status, …`, or a field whose
        `source: :status` it is, `belongs_to :customer` for `customer_id`, `timestamps()` for
        `inserted_at`/`updated_at`), or a struct of the schema names it (`%Order{status: …}`).
        Only a lower bound: an Ecto schema selects every field it declares, so the old
        version's schema naming the column is a use; other reads are not looked for here."""
        col = self.t.column
        if col is None:
            return []
        out: list[int] = []
        for call in self.found["call"]:
            if _local(call) == "schema" and self._is_table_schema(call):
                block = next((c for c in call.named_children if c.type == "do_block"), None)
                for stmt in block.named_children if block is not None else []:
                    if stmt.type == "call" and col in _declared_columns(stmt):
                        out.append(_line(stmt))
        for n in self.found["map"]:
            struct = next((c for c in n.named_children if c.type == "struct"), None)
            if struct is None or not any(self._schema(c) for c in struct.named_children):
                continue
            content = next((c for c in n.named_children if c.type == "map_content"), None)
            if content is not None and col in _keyword_keys(content):
                out.append(_line(n))
        return sorted(set(out))

    def _is_table_schema(self, call: Node) -> bool:
        args = _arguments(call)
        return bool(args) and args[0].type == "string" and bare_table(_plain(args[0])) == self.table

    def inserts(self) -> list[int]:
        out = [
            _line(n)
            for kind in ("string", "sigil")
            for n in self.found[kind]
            if sql_names(node_text(n), self.t, insert=True)
        ]
        out.extend(_line(c) for c in self.found["call"] if self._inserted(c))
        return sorted(set(out))


def _atom(node: Node) -> str | None:
    """`:status` -> `status`."""
    if node.type != "atom":
        return None
    return node_text(node).removeprefix(":")


def _keyword_keys(node: Node) -> dict[str, Node]:
    """The keys of the keyword lists below `node` (`status: 1` -> `status`), with values."""
    out: dict[str, Node] = {}
    for keywords in (c for c in node.named_children if c.type == "keywords"):
        for pair in keywords.named_children:
            key = pair.child_by_field_name("key")
            value = pair.child_by_field_name("value")
            if key is not None and value is not None:
                out[node_text(key).strip().removesuffix(":")] = value
    return out


def _declared_columns(stmt: Node) -> set[str]:
    """The columns a statement of a schema block declares, as Ecto maps them: `field :x`
    (its `source:` when given), `belongs_to :customer` (`customer_id`, or its
    `foreign_key:`), `timestamps()` without options (`inserted_at`, `updated_at`)."""
    name = _local(stmt)
    args = _arguments(stmt)
    options: dict[str, Node] = {}
    for a in args:
        if a.type == "keywords":
            options.update(_keyword_keys(a.parent if a.parent is not None else a))
    if name == "timestamps":
        return {"inserted_at", "updated_at"} if not args else set()
    first = _atom(args[0]) if args else None
    if first is None:
        return set()
    if name == "field":
        source = options.get("source")
        return {(_atom(source) or "") if source is not None else first} - {""}
    if name == "belongs_to":
        key = options.get("foreign_key")
        return {(_atom(key) or "") if key is not None else f"{first}_id"} - {""}
    return set()


def _plain(string: Node) -> str:
    """A string literal's content ("" when it interpolates)."""
    parts = string.named_children
    if any(p.type != "quoted_content" for p in parts):
        return ""
    return "".join(node_text(p) for p in parts)
