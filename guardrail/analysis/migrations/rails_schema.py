"""Column types from a Rails schema dump, `db/schema.rb` (read from tree-sitter-ruby's syntax
tree, never executed): what every earlier migration left, in one file Rails keeps up to date.

Read: `create_table "name"` (also `"schema.name"`) and the `t.<type> "column", limit:,
precision:, scale:` calls of its block, `t.references`/`t.belongs_to` (a `bigint` `<name>_id`,
or `type:`), and `id:` of the table (`bigint` unless it says `:serial`, `:uuid`, …). The types
are spelled as PostgreSQL spells them (grammar.sql_type), the way the rules compare them. A
call the dump does not make (anything dynamic) is skipped: this only answers "what was the
column's type", and an unknown answer keeps GR216 at its default warning.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from guardrail.analysis.migrations.grammar import parse, sql_type, text
from guardrail.analysis.migrations.sql import column_key

if TYPE_CHECKING:
    from tree_sitter import Node

# Rails column types whose PostgreSQL name differs from their own (grammar.sql_type covers
# string/text/integer/bigint/decimal/datetime/timestamp/json/jsonb).
_PG = {
    "float": "double precision",
    "binary": "bytea",
    "boolean": "boolean",
    "date": "date",
    "time": "time",
    "uuid": "uuid",
    "inet": "inet",
    "cidr": "cidr",
    "macaddr": "macaddr",
    "hstore": "hstore",
    "interval": "interval",
    "money": "money",
    "xml": "xml",
    "tsvector": "tsvector",
    "serial": "integer",
    "bigserial": "bigint",
}
_ID_TYPES = {"serial": "integer", "bigserial": "bigint", "uuid": "uuid", "integer": "integer"}


def _literal(node: Node) -> str | int | bool | None:
    if node.type == "string":
        parts = [c for c in node.named_children]
        if all(c.type == "string_content" for c in parts):
            return "".join(text(c) for c in parts)
        return None
    if node.type == "simple_symbol":
        return text(node)[1:]
    if node.type == "integer":
        try:
            return int(text(node).replace("_", ""), 0)
        except ValueError:
            return None
    if node.type in ("true", "false"):
        return node.type == "true"
    return None


def _args(call: Node) -> tuple[list[str | int | bool | None], dict[str, str | int | bool | None]]:
    args: list[str | int | bool | None] = []
    kwargs: dict[str, str | int | bool | None] = {}
    arglist = call.child_by_field_name("arguments")
    for a in arglist.named_children if arglist is not None else ():
        if a.type == "pair":
            key, value = a.child_by_field_name("key"), a.child_by_field_name("value")
            if key is not None and value is not None:
                name = text(key).lstrip(":").rstrip(":").strip('"')
                kwargs[name] = _literal(value)
        else:
            args.append(_literal(a))
    return args, kwargs


def _type(kind: str, kwargs: dict[str, str | int | bool | None]) -> str | None:
    if kwargs.get("array") is True:
        return None  # an array's element type changes are not modelled
    limit, precision, scale = kwargs.get("limit"), kwargs.get("precision"), kwargs.get("scale")

    def number(v: str | int | bool | None) -> int | None:
        return v if isinstance(v, int) and not isinstance(v, bool) else None

    if kind in _PG:
        return _PG[kind]
    return sql_type(kind, number(limit), number(precision), number(scale) or 0, "rails")


def column_types(source: str) -> dict[str, str]:
    """`column_key(table, column)` -> type, for every column `db/schema.rb` creates."""
    root = parse("ruby", source)
    out: dict[str, str] = {}
    stack = [root]
    while stack:
        node = stack.pop()
        stack.extend(node.named_children)
        method = node.child_by_field_name("method") if node.type == "call" else None
        if method is None or text(method) != "create_table":
            continue
        args, kwargs = _args(node)
        table = args[0] if args and isinstance(args[0], str) else None
        block = node.child_by_field_name("block")
        if table is None or block is None:
            continue
        table = table.rsplit(".", 1)[-1]
        id_kind = kwargs.get("id", "bigint")
        if id_kind is not False:
            key = kwargs.get("primary_key")
            pk = key if isinstance(key, str) else "id"
            out[column_key(table, pk)] = _ID_TYPES.get(str(id_kind), "bigint")
        params = block.child_by_field_name("parameters")
        var = (
            text(params.named_children[0]) if params is not None and params.named_children else None
        )
        body = block.child_by_field_name("body")
        for stmt in body.named_children if body is not None else ():
            receiver = stmt.child_by_field_name("receiver") if stmt.type == "call" else None
            kind_node = stmt.child_by_field_name("method") if stmt.type == "call" else None
            if receiver is None or kind_node is None or text(receiver) != var:
                continue
            kind = text(kind_node)
            cargs, ckw = _args(stmt)
            names = [a for a in cargs if isinstance(a, str)]
            if kind in ("references", "belongs_to"):
                ref_type = ckw.get("type")
                ref = (_type(ref_type, {}) if isinstance(ref_type, str) else None) or "bigint"
                for name in names:
                    out[column_key(table, f"{name}_id")] = ref
                continue
            if kind in ("index", "timestamps", "check_constraint", "foreign_key"):
                continue
            if kind == "column" and len(cargs) > 1 and isinstance(cargs[1], str):
                kind, names = cargs[1], names[:1]
            col_type = _type(kind, ckw)
            for name in names:
                if col_type is not None:
                    out[column_key(table, name)] = col_type
    return out
