"""EF Core migrations (C#), read from tree-sitter-c-sharp's syntax tree.

Understood: `Up(MigrationBuilder …)` and `Down(…)` whatever the parameter is called, the
`MigrationBuilder` operations with named and positional arguments (`AddColumn<T>`,
`AlterColumn<T>` compared with its `old…` arguments (store types as written, else from the facets
Npgsql maps; a column made NOT NULL with a default is first filled by the UPDATE Npgsql
writes), `CreateIndex` and Npgsql's
`.Annotation("Npgsql:CreatedConcurrently", true)`, constraints, renames, drops), and
`Sql(…)` with regular, escaped, verbatim (`@"…"`), raw (`\"\"\"…\"\"\"`), interpolated without an
interpolation (`$"…"`, `$@"…"`) and concatenated literal strings, read by the SQL reader (`suppressTransaction: true` runs it outside the transaction).
`InsertData`/`UpdateData`/`DeleteData` change seed rows by key and are not judged. Anything else
is reported, with its line. An empty `Down` is irreversible only when `Up` does something.
"""

from __future__ import annotations

from collections.abc import Callable
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
    walk,
)
from guardrail.analysis.migrations.literals import Literals, Syntax
from guardrail.analysis.migrations.ops import ColumnDef, Framework, OpKind, Reading
from guardrail.analysis.migrations.postgres import same_type, type_change_rewrites

if TYPE_CHECKING:
    from tree_sitter import Node

FRAMEWORK = Framework(
    name="efcore",
    language="c_sharp",
    wraps_transaction=True,
    no_transaction="`migrationBuilder.Sql(..., suppressTransaction: true)`",
    concurrent_index=(
        '`migrationBuilder.CreateIndex(…).Annotation("Npgsql:CreatedConcurrently", true)` '
        "(Npgsql's `IsCreatedConcurrently()`), or "
        '`migrationBuilder.Sql("CREATE INDEX CONCURRENTLY …", suppressTransaction: true)`'
    ),
    drop_index='`migrationBuilder.Sql("DROP INDEX CONCURRENTLY …", suppressTransaction: true)`',
    lock_timeout="`migrationBuilder.Sql(\"SET lock_timeout = '5s'\")` first",
    batch=(
        'one `migrationBuilder.Sql("UPDATE … WHERE \\"Id\\" >= … AND \\"Id\\" < …", '
        "suppressTransaction: true)` per primary-key range (or a batched job outside the migration)"
    ),
    db_default="`defaultValue:` or `defaultValueSql:`",
    raw_sql='`migrationBuilder.Sql("{sql}")`',
)

_HARMLESS = frozenset(
    [
        "AlterDatabase",
        "AlterSequence",
        "AlterTable",
        "CreateSequence",
        "DropCheckConstraint",
        "DropForeignKey",
        "DropSchema",
        "DropSequence",
        "DropUniqueConstraint",
        "EnsureSchema",
        "InsertData",
        "UpdateData",
        "DeleteData",
        "RenameIndex",
        "RenameSequence",
        "RestartSequence",
    ]
)


@dataclass(frozen=True)
class _Call:
    node: Node  # the whole expression statement's call (with chained annotations)
    name: str
    type_arg: str | None  # `AddColumn<string>` -> "string"
    args: list[Value]
    kwargs: dict[str, Value]
    annotations: dict[str, Value]


def _unescape(seq: str) -> str:
    return {
        "\\n": "\n",
        "\\r": "\r",
        "\\t": "\t",
        '\\"': '"',
        "\\'": "'",
        "\\\\": "\\",
        "\\0": "\0",
    }.get(seq, seq)


_SYNTAX = Syntax(
    strings=frozenset({"string_literal"}),
    content=frozenset({"string_literal_content"}),
    unescape=_unescape,
    escapes=None,
    integers=frozenset({"integer_literal"}),
    integer=lambda digits: int(digits.rstrip("LlUu")),
    constants={"null_literal": None},
    booleans=frozenset({"boolean_literal"}),
    concat="+",
)


class _Literals(Literals):
    """C#'s: verbatim, raw and interpolated strings, arrays, `nameof(…)` and `typeof(…)`."""

    def value(self, node: Node) -> Value:
        t = node.type
        if t in ("verbatim_string_literal", "raw_string_literal", "interpolated_string_expression"):
            return _special_string(node)
        if t in ("implicit_array_creation_expression", "array_creation_expression"):
            init = next(
                (c for c in node.named_children if c.type == "initializer_expression"), None
            )
            if init is None:
                return Dynamic(text(node))
            return [self.value(c) for c in init.named_children]
        if t == "invocation_expression" and text(node).startswith("nameof("):
            inner = text(node)[len("nameof(") : -1]
            return inner.rsplit(".", 1)[-1]
        if t == "typeof_expression":
            return text(node)[len("typeof(") : -1].strip()
        return super().value(node)


def _special_string(node: Node) -> Value:
    raw = text(node)
    if node.type == "verbatim_string_literal":
        return raw[2:-1].replace('""', '"') if raw.startswith('@"') else Dynamic(raw)
    if node.type == "raw_string_literal":
        parts = [text(c) for c in node.named_children if c.type == "raw_string_content"]
        if parts:
            return "".join(parts)
        quotes = len(raw) - len(raw.lstrip('"'))
        return raw[quotes:-quotes] if quotes >= 3 else Dynamic(raw)
    return _interpolated_string(node)


def _interpolated_string(node: Node) -> Value:
    r"""`$"…"`, verbatim `$@"…"`/`@$"…"` and raw (triple-quoted) ones: a literal only without
    an interpolation. Then its text is what C# makes of it: a regular one's escapes (`\n`,
    `\"`) unescaped, a verbatim one's `""` one quote, and in both `{{`/`}}` one brace; a raw
    one's content is as written (its braces are content, or interpolations)."""
    if any(c.type == "interpolation" for c in node.named_children):
        return Dynamic(text(node))
    start = next((text(c) for c in node.children if c.type == "interpolation_start"), "$")
    raw = any(c.type == "interpolation_quote" for c in node.children)
    verbatim = "@" in start
    parts: list[str] = []
    for c in node.named_children:
        if c.type == "escape_sequence" and not raw and not verbatim:
            parts.append(_unescape(text(c)))
        elif "content" in c.type:
            piece = text(c)
            if not raw:
                piece = piece.replace("{{", "{").replace("}}", "}")
            if verbatim:
                piece = piece.replace('""', '"')
            parts.append(piece)
    return "".join(parts)


value = _Literals(_SYNTAX).value


def _arguments(arglist: Node | None) -> tuple[list[Value], dict[str, Value], list[Node]]:
    args: list[Value] = []
    kwargs: dict[str, Value] = {}
    nodes: list[Node] = []
    for a in arglist.named_children if arglist is not None else []:
        if a.type != "argument":
            continue
        name = a.child_by_field_name("name")
        expr = a.named_children[-1] if a.named_children else a
        nodes.append(expr)
        if name is not None:
            kwargs[text(name)] = value(expr)
        else:
            args.append(value(expr))
    return args, kwargs, nodes


def _member_call(node: Node) -> tuple[Node, str, str | None] | None:
    """`target.Name<T>(…)`, an invocation of a member: (target, Name, T; "" for a generic name
    without type arguments, None when the name is not generic); None for any other call."""
    fn = node.child_by_field_name("function")
    if fn is None or fn.type != "member_access_expression":
        return None
    target = fn.child_by_field_name("expression")
    name_node = fn.child_by_field_name("name")
    if target is None or name_node is None:
        return None
    if name_node.type != "generic_name":
        return target, text(name_node), None
    ident = name_node.named_children[0] if name_node.named_children else name_node
    targs = [c for c in name_node.named_children if c.type == "type_argument_list"]
    # tree-sitter-c-sharp's generic_name always holds its type_argument_list
    return target, text(ident), text(targs[0])[1:-1].strip() if targs else ""


def _chain(node: Node, builder: str) -> _Call | None:
    """`builder.CreateIndex(…).Annotation(k, v)` -> the CreateIndex call and its annotations."""
    annotations: dict[str, Value] = {}
    cur = node
    while cur.type == "invocation_expression":
        member = _member_call(cur)
        if member is None:
            return None
        target, name, type_arg = member
        args, kwargs, _ = _arguments(cur.child_by_field_name("arguments"))
        if text(target) == builder:
            return _Call(node, name, type_arg or None, args, kwargs, annotations)
        if name in ("Annotation", "OldAnnotation") and len(args) >= 2:
            if name == "Annotation" and isinstance(args[0], str):
                annotations[args[0]] = args[1]
            cur = target
            continue
        return None
    return None


def _sql_arg(node: Node) -> tuple[Node | None, int]:
    arglist = node.child_by_field_name("arguments")
    _, _, nodes = _arguments(arglist)
    first = nodes[0] if nodes else None
    if first is None:
        return None, node.start_point[0]
    for c in walk(first):
        if c.type in ("string_literal_content", "raw_string_content"):
            return first, c.start_point[0]
    return first, first.start_point[0]


_CALL_SKIP = frozenset({"argument_list"})
_DECLARATION_SKIP = frozenset({"block", "arrow_expression_clause", "parameter_list"})


class _Reader:
    def __init__(self, source: str) -> None:
        self.rec = Recorder(source, "efcore")

    def statement(self, node: Node, builder: str) -> None:
        # Calls are read from the outermost of a chain (`_chain`); their arguments (lambdas of
        # CreateTable included) are not entered.
        for c in walk(node, _CALL_SKIP):
            if c.type != "invocation_expression":
                continue
            parent = c.parent
            if parent is not None and parent.type == "member_access_expression":
                continue
            call = _chain(c, builder)
            if call is None:
                continue
            handler = _HANDLERS.get(call.name)
            if handler is not None:
                handler(self, call)
            elif call.name not in _HARMLESS:
                self.rec.unknown(c, f"`{builder}.{call.name}` is not known")


def _named(c: _Call, key: str, position: int | None = None) -> Value:
    if key in c.kwargs:
        return c.kwargs[key]
    if position is not None and len(c.args) > position:
        return c.args[position]
    return None


def _name_table(c: _Call) -> tuple[str | None, str | None]:
    return as_str(_named(c, "name", 0)), as_str(_named(c, "table", 1))


def _create_table(r: _Reader, c: _Call) -> None:
    table = as_str(_named(c, "name", 0))
    if table:
        r.rec.created.add(table)
    r.rec.add(c.node, OpKind.CREATE_TABLE, table)
    for column in _table_columns(c.node):
        r.rec.define(table, column)


def _argument(call: Node, name: str) -> Node | None:
    """The expression of the named argument `name:` of the first call in `call` that has it."""
    for node in walk(call):
        if node.type != "argument":
            continue
        label = node.child_by_field_name("name")
        if label is not None and text(label) == name and node.named_children:
            return node.named_children[-1]
    return None


def _lambda_body(node: Node | None) -> Node | None:
    if node is None or node.type != "lambda_expression":
        return None
    return node.child_by_field_name("body")


def _table_columns(call: Node) -> list[ColumnDef]:
    """The columns of `CreateTable(columns: table => new { Id = table.Column<int>(…), … },
    constraints: table => { table.PrimaryKey("PK_x", x => x.Id); })`: the store type as written
    (`type:`, else Npgsql's mapping of the CLR type and facets), NOT NULL with `nullable:
    false` (or a value type without `nullable:`), `defaultValue`/`defaultValueSql`."""
    body = _lambda_body(_argument(call, "columns"))
    if body is None or body.type != "anonymous_object_creation_expression":
        return []
    keys = _primary_key_properties(_lambda_body(_argument(call, "constraints")))
    out: list[ColumnDef] = []
    children = body.named_children
    for prop, expr in zip(children, children[1:], strict=False):
        if prop.type != "identifier" or expr.type != "invocation_expression":
            continue
        column = _column_call(expr)
        if column is None:
            continue
        name = as_str(column.kwargs.get("name")) or text(prop)
        nullable = column.kwargs.get("nullable")
        clr = column.type_arg
        not_null = nullable is False or (
            nullable is None
            and clr is not None
            and not clr.endswith("?")
            and clr not in ("string", "byte[]")
        )
        default: str | None = None
        if "defaultValueSql" in column.kwargs:
            sql = column.kwargs["defaultValueSql"]
            default = sql if isinstance(sql, str) else "…"
        elif "defaultValue" in column.kwargs and column.kwargs["defaultValue"] is not None:
            default = sql_default(column.kwargs["defaultValue"])
        primary = text(prop) in keys
        typ = (_store_type(column, clr, old=False) or "").lower()
        typ = {"character varying": "varchar", "timestamp with time zone": "timestamptz"}.get(
            typ, typ
        )
        if typ.startswith("character varying("):
            typ = "varchar(" + typ.split("(", 1)[1]
        out.append(ColumnDef(name, typ, not_null or primary, default, primary))
    return out


def _column_call(expr: Node) -> _Call | None:
    """`table.Column<int>(…)`, under any chained `.Annotation(…)`."""
    cur = expr
    while cur.type == "invocation_expression":
        member = _member_call(cur)
        if member is None:
            return None
        target, name, clr = member
        if target.type == "identifier" and clr is not None:
            if name != "Column":
                return None
            args, kwargs, _ = _arguments(cur.child_by_field_name("arguments"))
            return _Call(cur, "Column", clr or None, args, kwargs, {})
        cur = target
    return None


def _primary_key_properties(body: Node | None) -> set[str]:
    """The properties `table.PrimaryKey("PK_x", x => x.Id)` (or `x => new { x.A, x.B }`) names."""
    out: set[str] = set()
    if body is None:
        return out
    for node in walk(body):
        if node.type != "invocation_expression":
            continue
        fn = node.child_by_field_name("function")
        name = fn.child_by_field_name("name") if fn is not None else None
        if name is None or text(name) != "PrimaryKey":
            continue
        for lam in walk(node):
            if lam.type == "lambda_expression":
                for access in walk(lam):
                    if access.type == "member_access_expression":
                        member = access.child_by_field_name("name")
                        if member is not None:
                            out.add(text(member))
    return out


def _add_column(r: _Reader, c: _Call) -> None:
    col, table = _name_table(c)
    nullable = c.kwargs.get("nullable")
    # A non-nullable value type (`AddColumn<int>`) without `nullable:` is NOT NULL in EF.
    not_null = nullable is False or (
        nullable is None
        and c.type_arg is not None
        and not c.type_arg.endswith("?")
        and c.type_arg not in ("string", "byte[]")
    )
    computed = "computedColumnSql" in c.kwargs
    r.rec.add(
        c.node,
        OpKind.ADD_COLUMN,
        table,
        col,
        not_null=not_null and not computed,
        has_default="defaultValue" in c.kwargs or "defaultValueSql" in c.kwargs,
        volatile_default=computed and c.kwargs.get("stored") is True,
    )


def _store_type(c: _Call, clr: str | None, old: bool) -> str | None:
    """The column's PostgreSQL type on one side of an `AlterColumn`: `type:`/`oldType:` as
    written, else what Npgsql maps the CLR type and its facets to (a string with `maxLength` is
    `character varying(n)`, with `fixedLength` `character(n)`, without `text`; a decimal with
    `precision`/`scale` is `numeric(p,s)`). EF Core before 5 wrote only the facets."""
    prefix = "old" if old else ""

    def kw(name: str) -> Value:
        return c.kwargs.get(prefix + name[0].upper() + name[1:] if old else name)

    written = as_str(kw("type"))
    if written:
        return written
    base = (clr or "").rstrip("?")
    if base in ("string", "String", "System.String"):
        length = kw("maxLength")
        if isinstance(length, int) and not isinstance(length, bool):
            fixed = kw("fixedLength") is True
            return f"character({length})" if fixed else f"character varying({length})"
        return "text" if length is None else None
    if base in ("decimal", "Decimal", "System.Decimal"):
        precision, scale = kw("precision"), kw("scale")
        if isinstance(precision, int) and not isinstance(precision, bool):
            return f"numeric({precision},{scale if isinstance(scale, int) else 0})"
        return "numeric" if precision is None and scale is None else None
    if kw("maxLength") is not None or kw("precision") is not None:
        return None  # a facet on another CLR type: not followed
    return sql_type(base, framework="efcore")  # Npgsql's ClrTypeMappings (grammar.py)


def _alter_column(r: _Reader, c: _Call) -> None:
    col, table = _name_table(c)
    nullable = c.kwargs.get("nullable", False)
    old_nullable = c.kwargs.get("oldNullable", False)
    if nullable is False and old_nullable is True:
        if "defaultValue" in c.kwargs or "defaultValueSql" in c.kwargs:
            # Npgsql writes `UPDATE t SET c = <default> WHERE c IS NULL` before SET NOT NULL when
            # the column gets a default (NpgsqlMigrationsSqlGenerator, efcore.pg 310ad641 "Allow
            # making a column non-nullable", still so at c715cff1): the rows are filled, so
            # the statement cannot fail on NULLs; it is read as the backfill it is.
            r.rec.add(c.node, OpKind.BACKFILL, table, batched=True, columns=(col,) if col else ())
        r.rec.add(c.node, OpKind.SET_NOT_NULL, table, col)
    elif nullable is True and old_nullable is False:
        r.rec.add(c.node, OpKind.DROP_NOT_NULL, table, col)
    old_clr = c.kwargs.get("oldClrType")
    new_clr = c.type_arg or as_str(c.kwargs.get("clrType"))
    old_type = _store_type(c, old_clr if isinstance(old_clr, str) else None, old=True)
    new_type = _store_type(c, new_clr, old=False)
    if new_type and old_type:
        if new_type.lower() == old_type.lower() or same_type(old_type, new_type):
            return  # EF restates the column for another facet (nullability, default, comment)
        # Recorded like SQL's ALTER COLUMN … TYPE with both types, so the rules ask PostgreSQL's
        # own answer (a longer varchar and varchar -> text are catalog-only: GR216 stays silent,
        # but the ACCESS EXCLUSIVE lock is still taken: GR226 and the trace still see it).
        rewrites = type_change_rewrites(old_type, new_type)
        r.rec.add(
            c.node,
            OpKind.ALTER_TYPE,
            table,
            col,
            narrowing=rewrites is not False,
            to_type=new_type,
            from_type=old_type,
            value=new_type,
        )
    elif isinstance(old_clr, str) and new_clr and old_clr.rstrip("?") != new_clr.rstrip("?"):
        r.rec.add(c.node, OpKind.ALTER_TYPE, table, col, narrowing=True, to_type=new_clr)


def _drop_column(r: _Reader, c: _Call) -> None:
    col, table = _name_table(c)
    r.rec.add(c.node, OpKind.DROP_COLUMN, table, col)


def _rename_column(r: _Reader, c: _Call) -> None:
    col, table = _name_table(c)
    r.rec.add(c.node, OpKind.RENAME_COLUMN, table, col, new_name=as_str(_named(c, "newName", 2)))


def _drop_table(r: _Reader, c: _Call) -> None:
    r.rec.add(c.node, OpKind.DROP_TABLE, as_str(_named(c, "name", 0)))


def _rename_table(r: _Reader, c: _Call) -> None:
    r.rec.add(
        c.node,
        OpKind.RENAME_TABLE,
        as_str(_named(c, "name", 0)),
        new_name=as_str(_named(c, "newName", 2)),
    )


def _create_index(r: _Reader, c: _Call) -> None:
    _, table = _name_table(c)
    cols = as_strs(c.kwargs.get("column") or c.kwargs.get("columns") or _named(c, "", 2))
    concurrently = c.annotations.get("Npgsql:CreatedConcurrently") is True
    r.rec.add(
        c.node,
        OpKind.CREATE_INDEX,
        table,
        cols[0] if len(cols) == 1 else None,
        concurrently=concurrently,
        unique=c.kwargs.get("unique") is True,
        # Npgsql runs a concurrent index build outside the migration's transaction.
        in_transaction=r.rec.in_transaction and not concurrently,
    )


def _drop_index(r: _Reader, c: _Call) -> None:
    _, table = _name_table(c)
    r.rec.add(c.node, OpKind.DROP_INDEX, table)


def _constraint(kind: OpKind) -> Callable[[_Reader, _Call], None]:
    def handler(r: _Reader, c: _Call) -> None:
        _, table = _name_table(c)
        columns = as_strs(c.kwargs.get("column") or c.kwargs.get("columns"))
        r.rec.add(c.node, kind, table, columns[0] if len(columns) == 1 else None)

    return handler


def _sql(r: _Reader, c: _Call) -> None:
    first, row = _sql_arg(c.node)
    sql = value(first) if first is not None else None
    saved = r.rec.in_transaction
    if c.kwargs.get("suppressTransaction") is True:
        r.rec.in_transaction = False
    r.rec.sql(c.node, sql if isinstance(sql, str) else None, row)
    r.rec.in_transaction = saved


_HANDLERS: dict[str, Callable[[_Reader, _Call], None]] = {
    "CreateTable": _create_table,
    "AddColumn": _add_column,
    "AlterColumn": _alter_column,
    "DropColumn": _drop_column,
    "RenameColumn": _rename_column,
    "DropTable": _drop_table,
    "RenameTable": _rename_table,
    "CreateIndex": _create_index,
    "DropIndex": _drop_index,
    "DropPrimaryKey": _drop_index,
    "AddForeignKey": _constraint(OpKind.ADD_FOREIGN_KEY),
    "AddUniqueConstraint": _constraint(OpKind.ADD_UNIQUE),
    "AddPrimaryKey": _constraint(OpKind.ADD_PRIMARY_KEY),
    "AddCheckConstraint": _constraint(OpKind.ADD_CHECK),
    "Sql": _sql,
}


def _methods(root: Node) -> dict[str, tuple[Node, str]]:
    """Up/Down: their body and the name of their MigrationBuilder parameter."""
    out: dict[str, tuple[Node, str]] = {}
    for node in walk(root, _DECLARATION_SKIP):
        if node.type != "method_declaration":
            continue
        name = node.child_by_field_name("name")
        params = node.child_by_field_name("parameters")
        body = node.child_by_field_name("body")
        if name is None or body is None or text(name) not in ("Up", "Down"):
            continue
        builder = "migrationBuilder"
        for p in params.named_children if params is not None else []:
            pname = p.child_by_field_name("name")
            if pname is not None:
                builder = text(pname)
        out[text(name)] = (body, builder)
    return out


def _is_empty(body: Node | None) -> bool:
    if body is None:
        return True
    if body.type == "arrow_expression_clause":
        return False
    return not [c for c in body.named_children if c.type != "comment"]


# Said of a .cs file in a migrations folder that is not an EF Core migration (an application's
# own migration routines, such as Jellyfin's `IAsyncMigrationRoutine` classes).
NO_UP = "no `Up(MigrationBuilder …)` method was found"


def read(source: str) -> Reading:
    root = parse("c_sharp", source)
    r = _Reader(source)
    note = syntax_note(root, "C#")
    if note is not None:
        r.rec.notes.append(note)
    methods = _methods(root)
    up = methods.get("Up")
    if up is None:
        r.rec.notes.append(NO_UP)
    else:
        body, builder = up
        r.statement(body, builder)
    up_empty = up is None or _is_empty(up[0])
    down_empty = "Down" not in methods or _is_empty(methods["Down"][0])
    # An empty Up/Down pair (a snapshot-only migration) changes nothing and undoes nothing.
    reversible = not down_empty or up_empty
    return r.rec.reading(reversible, "" if reversible else "`Down()` is empty")
