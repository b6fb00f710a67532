"""Read SQL migrations with the real PostgreSQL parser (pglast: libpg_query, the server's own
grammar). Other dialects are understood as far as Postgres's grammar accepts them; a statement
it cannot parse is reported as not understood, never guessed at.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import Any, Protocol, Unpack

from guardrail.analysis.migrations import postgres as pg
from guardrail.analysis.migrations.ops import ColumnDef, Facts, Op, OpKind

# Defaults that do not force a table rewrite on PostgreSQL >= 11 (constants and stable functions).
_NON_VOLATILE_FUNCS = frozenset(
    {
        "now",
        "current_timestamp",
        "statement_timestamp",
        "transaction_timestamp",
        "current_date",
        "lower",
        "upper",
        "coalesce",
        "jsonb_build_object",
        "json_build_object",
        "array",
        "to_jsonb",
    }
)
# Built-ins that take no arguments: called with some, it is another (unknown) function.
_NO_ARGUMENTS = frozenset(
    {"now", "current_timestamp", "statement_timestamp", "transaction_timestamp", "current_date"}
)
_NARROW_TYPES = frozenset({"int2", "smallint", "int4", "integer", "int", "date", "bool", "boolean"})
_SERIAL = frozenset({"serial", "serial4", "serial8", "bigserial", "smallserial", "serial2"})


@dataclass
class SqlReading:
    ops: list[Op]
    notes: list[str]
    # Every column's type as the script leaves it (column_key -> type text), starting from the
    # `known_types` it was given: what the base branch's migrations replay (base_schema.py).
    column_types: dict[str, str] = field(default_factory=dict)


def skip_space_and_comments(text: str, pos: int) -> int:
    """The first position at or after `pos` that is not white space or an SQL comment."""
    n = len(text)
    while pos < n:
        if text[pos].isspace():
            pos += 1
        elif text.startswith("--", pos):
            end = text.find("\n", pos)
            pos = n if end < 0 else end + 1
        elif text.startswith("/*", pos):
            end = text.find("*/", pos + 2)
            pos = n if end < 0 else end + 2
        else:
            break
    return pos


def parse_ignores(comment_lines: list[str]) -> tuple[tuple[str, str], ...]:
    """`-- guardrail: ignore GR217, GR218 the table has 40 rows` -> (("GR217", reason), …)."""
    out: list[tuple[str, str]] = []
    for raw in comment_lines:
        text = raw.strip().lstrip("-#/*").strip().rstrip("*/").strip()
        low = text.lower()
        for prefix in (
            "guardrail: ignore",
            "guardrail:ignore",
            "guardrail-ignore",
            "guardrail ignore",
        ):
            if low.startswith(prefix):
                rest = text[len(prefix) :].strip()
                break
        else:
            continue
        codes: list[str] = []
        words = rest.split()  # codes are comma- or space-separated; the reason keeps its commas
        i = 0
        while i < len(words):
            names = [n.upper() for n in words[i].rstrip(":").split(",") if n]
            if not names or not all(n.startswith("GR") and n[2:].isdigit() for n in names):
                break
            codes.extend(names)
            i += 1
        reason = " ".join(words[i:]).lstrip(":—–-").strip()
        for code in codes:
            out.append((code, reason))
    return tuple(out)


def comments_above(lines: list[str], line: int) -> list[str]:
    """Comment lines directly above 1-based `line`, and a trailing comment on it."""
    found: list[str] = []
    i = line - 2
    while i >= 0:
        s = lines[i].strip()
        if s.startswith(("--", "#", "//", "/*", "*")):
            found.append(s)
            i -= 1
        else:
            break
    if 0 < line <= len(lines):
        current = lines[line - 1]
        for marker in ("--", "#", "//"):
            idx = current.find(marker + " guardrail")
            if idx >= 0:
                found.append(current[idx:])
    return found


def _name(node: Any) -> str | None:
    if node is None:
        return None
    relname = getattr(node, "relname", None)
    if relname:
        schema = getattr(node, "schemaname", None)
        return f"{schema}.{relname}" if schema else relname
    return None


def _type_names(type_name: Any) -> list[str]:
    if type_name is None:
        return []
    return [getattr(n, "sval", "") for n in (type_name.names or ())]


def _func_name(expr: Any) -> str | None:
    names = getattr(expr, "funcname", None)
    if not names:
        return None
    return str(getattr(names[-1], "sval", "")).lower()


def _is_volatile(expr: Any) -> bool:
    from pglast import ast

    if expr is None:
        return False
    if isinstance(expr, ast.TypeCast):
        return _is_volatile(expr.arg)
    if isinstance(expr, ast.FuncCall):
        name = _func_name(expr) or ""
        if name in _NO_ARGUMENTS and expr.args:
            return True  # not the built-in (`now(123)`): an unknown function may be volatile
        if name in _NON_VOLATILE_FUNCS:
            return any(_is_volatile(a) for a in (expr.args or ()))
        return True
    return False


def default_is_volatile(expression: str) -> bool | None:
    """Whether a column default written as SQL (a Rails `default: -> { "now()" }`, EF's
    `defaultValueSql`) is computed per row, so ADD COLUMN rewrites the table: as the SQL reader
    judges `DEFAULT <expression>` (constants and the stable built-ins above are not). None when
    the text is not one SQL expression."""
    from pglast import ast
    from pglast.parser import ParseError

    from guardrail.analysis.pgsql import parse_sql

    try:
        raw = parse_sql(f"SELECT {expression}")
    except ParseError:
        return None
    select = raw[0].stmt if len(raw) == 1 else None
    targets: list[Any] = list(getattr(select, "targetList", None) or [])
    if not isinstance(select, ast.SelectStmt) or len(targets) != 1 or select.fromClause:
        return None
    return _is_volatile(targets[0].val)


def _short(text: str, limit: int = 90) -> str:
    one = " ".join(text.split())
    return one if len(one) <= limit else one[: limit - 1] + "…"


def normalized(sql: str) -> str:
    """A statement's tokens without comments and layout: the same for two spellings of it."""
    from pglast.parser import scan

    try:
        tokens = scan(sql)
    except Exception:  # the scanner gave up (unterminated string): compare the layout-free text
        return " ".join(sql.split())
    return " ".join(
        sql[t.start : t.end + 1]  # character indexes
        for t in tokens
        if t.name not in ("SQL_COMMENT", "C_COMMENT")
    )


# Above this many characters of non-ASCII text, statements are parsed one by one: pglast maps
# each node's byte offset to a character index in time that grows with the text before it.
_WHOLE_PARSE_LIMIT = 100_000


_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_RUN = 20_000  # characters of statements parsed together when a file is read in parts


def _pieces(text: str) -> list[tuple[int, str]]:
    """(character offset, text) of each statement, split at the semicolons PostgreSQL's own
    scanner sees (not those in strings, comments or dollar quotes). Every statement is kept,
    the ones that will not parse too: they become notes, never a silent skip."""
    from pglast.parser import scan

    # Non-ASCII characters become one ASCII letter each for the scan: the same tokens at the
    # same character indexes, without pglast's per-token index mapping (quadratic on long text).
    safe = text if text.isascii() else _NON_ASCII.sub("x", text)
    out: list[tuple[int, str]] = []
    first: int | None = None
    for tok in scan(safe):
        if tok.name in ("SQL_COMMENT", "C_COMMENT"):
            continue
        if first is None:
            first = tok.start
        if tok.name == "ASCII_59":  # ;
            out.append((first, text[first : tok.end]))
            first = None
    if first is not None:
        out.append((first, text[first:].rstrip()))
    return [(i, p) for i, p in out if p.strip()]


def _runs(placed: list[tuple[int, str]]) -> list[list[tuple[int, str]]]:
    runs: list[list[tuple[int, str]]] = []
    size = _RUN
    for item in placed:
        if size + len(item[1]) > _RUN:
            runs.append([])
            size = 0
        runs[-1].append(item)
        size += len(item[1])
    return runs


def _statements(text: str) -> tuple[list[tuple[Any, str, int]], list[str]]:
    """(statement node, its text, its character offset) for each statement; notes on failures.
    (pglast gives statement locations as character indexes, not bytes.)"""
    from pglast.parser import ParseError

    from guardrail.analysis.pgsql import parse_sql

    notes: list[str] = []
    if len(text) <= _WHOLE_PARSE_LIMIT or text.isascii():
        try:
            raw = parse_sql(text)
            out = []
            for rs in raw:
                loc = rs.stmt_location or 0
                length = rs.stmt_len or (len(text) - loc)
                out.append((rs.stmt, text[loc : loc + length], loc))
            return out, notes
        except ParseError:
            pass
    # One statement does not parse, or the file is large: read it in runs of statements of a
    # bounded size, and a run that does not parse statement by statement.
    try:
        placed = _pieces(text)
    except Exception:  # the scanner itself gave up (unterminated string or comment)
        return [], ["the SQL could not be split into statements"]
    out = []
    for run in _runs(placed):
        start, end = run[0][0], run[-1][0] + len(run[-1][1])
        try:
            parsed = parse_sql(text[start:end])
        except ParseError:
            pass
        else:
            for rs in parsed:
                loc = rs.stmt_location or 0
                length = rs.stmt_len or (end - start - loc)
                out.append((rs.stmt, text[start + loc : start + loc + length], start + loc))
            continue
        for idx, piece in run:
            try:
                parsed = parse_sql(piece)
            except ParseError as exc:
                line = text.count("\n", 0, idx) + 1
                first = piece.strip().splitlines()[0] if piece.strip() else piece
                notes.append(f"line {line}: not understood ({exc.args[0]}): {_short(first, 60)}")
                out.append((None, piece, idx))
                continue
            for rs in parsed:
                out.append((rs.stmt, piece, idx + (rs.stmt_location or 0)))
    return out, notes


def column_key(table: str, column: str) -> str:
    """`public."Orders".Total` and `orders.total` name the same column: the key both get."""
    bare = table.replace('"', "").rsplit(".", 1)[-1].lower()
    col = column.replace('"', "").lower()
    return f"{bare}.{col}"


def read_sql(  # noqa: C901, PLR0912, PLR0915 — one branch per statement kind the reader records (pglast node types)
    text: str,
    *,
    line_offset: int = 0,
    in_transaction: bool = False,
    known_types: dict[str, str] | None = None,
) -> SqlReading:
    """Operations of a SQL script. `line_offset` shifts lines when the SQL is part of a file;
    `known_types` are column types the script's earlier migrations set (column_key -> type)."""
    from pglast import ast, enums

    stmts, notes = _statements(text)
    lines = text.splitlines()
    result: list[Op] = []
    created: set[str] = set()
    transaction = in_transaction
    state = _State()
    state.column_types.update(known_types or {})

    newlines = [i for i, ch in enumerate(text) if ch == "\n"]
    for node, stmt_text, char_off in stmts:
        start = skip_space_and_comments(text, char_off)
        line = bisect.bisect_left(newlines, start) + 1
        ignores = parse_ignores(comments_above(lines, line))
        short = _short(stmt_text)
        definition = normalized(stmt_text)

        op = _Recorder(
            result, created, line + line_offset, short, tuple(ignores), definition, transaction
        )

        if node is None:
            result.append(
                Op(
                    OpKind.RAW,
                    line + line_offset,
                    text=short,
                    why="unparsed",
                    definition=definition,
                )
            )
            continue
        if isinstance(node, ast.TransactionStmt):
            kind = node.kind
            if kind in (
                enums.TransactionStmtKind.TRANS_STMT_BEGIN,
                enums.TransactionStmtKind.TRANS_STMT_START,
            ):
                transaction = True
                op(OpKind.BEGIN, in_transaction=transaction)
            elif kind in (
                enums.TransactionStmtKind.TRANS_STMT_COMMIT,
                enums.TransactionStmtKind.TRANS_STMT_ROLLBACK,
            ):
                transaction = in_transaction
                op(OpKind.COMMIT, in_transaction=transaction)
            continue
        if isinstance(node, ast.CreateStmt):
            name = _name(node.relation)
            # IF NOT EXISTS is no proof the table is new: it may be there already, with rows.
            columns = _table_columns(node)
            if name and not node.if_not_exists:
                created.add(name)
                for elt in node.tableElts or ():
                    if isinstance(elt, ast.ColumnDef) and elt.colname:
                        state.column_types[column_key(name, elt.colname)] = _type_text(elt.typeName)
            op(
                OpKind.CREATE_TABLE,
                table=name,
                if_not_exists=bool(node.if_not_exists),
                table_columns=columns,
            )
            for parent in _referenced(node):
                # A foreign key to an existing table takes SHARE ROW EXCLUSIVE on that table
                # (it adds the referential triggers there): writes to the parent wait.
                op(OpKind.LOCK_TABLE, table=parent, lock=pg.SHARE_ROW_EXCLUSIVE)
            continue
        if isinstance(node, ast.AlterTableStmt):
            table = _name(node.relation)
            for cmd in node.cmds or ():
                _alter_cmd(cmd, table, op, state, transaction)
            continue
        if isinstance(node, ast.RenameStmt):
            table = _name(node.relation)
            if node.renameType == enums.ObjectType.OBJECT_COLUMN:
                op(OpKind.RENAME_COLUMN, table=table, column=node.subname, new_name=node.newname)
            elif node.renameType == enums.ObjectType.OBJECT_TABLE:
                op(OpKind.RENAME_TABLE, table=table, new_name=node.newname)
            continue
        if isinstance(node, ast.DropStmt):
            if node.removeType == enums.ObjectType.OBJECT_TABLE:
                for obj in node.objects or ():
                    parts = [
                        getattr(p, "sval", "") for p in (obj if isinstance(obj, tuple) else ())
                    ]
                    op(
                        OpKind.DROP_TABLE,
                        table=".".join(p for p in parts if p) or None,
                        cascade=node.behavior == enums.DropBehavior.DROP_CASCADE,
                    )
            elif node.removeType == enums.ObjectType.OBJECT_INDEX:
                op(OpKind.DROP_INDEX, concurrently=bool(node.concurrent))
            elif node.removeType in (enums.ObjectType.OBJECT_TYPE, enums.ObjectType.OBJECT_DOMAIN):
                for obj in node.objects or ():
                    op(OpKind.DROP_TYPE, name=".".join(_type_names(obj)) or None)
            continue
        if isinstance(node, ast.DropdbStmt):
            op(OpKind.DROP_TABLE, table=f"database {node.dbname}")
            continue
        if isinstance(node, ast.IndexStmt):
            table = _name(node.relation)
            op(
                OpKind.CREATE_INDEX,
                table=table,
                concurrently=bool(node.concurrent),
                unique=bool(node.unique),
                nulls_not_distinct=bool(getattr(node, "nulls_not_distinct", False)),
            )
            continue
        if isinstance(node, ast.UpdateStmt):
            op(
                OpKind.BACKFILL,
                table=_name(node.relation),
                batched=node.whereClause is not None,
                columns=tuple(
                    str(t.name).lower() for t in node.targetList or () if getattr(t, "name", None)
                ),
            )
            continue
        if isinstance(node, ast.DeleteStmt):
            op(
                OpKind.DELETE_ROWS,
                table=_name(node.relation),
                columns=_deleted_nulls(node.whereClause),
            )
            continue
        if isinstance(node, ast.TruncateStmt):
            cascade = node.behavior == enums.DropBehavior.DROP_CASCADE
            for rel in node.relations or ():
                op(OpKind.TRUNCATE, table=_name(rel), cascade=cascade)
            continue
        if isinstance(node, ast.DoStmt):
            body, body_line = _do_body(node, text, start, line)
            sub = _read_plpgsql(body, body_line + line_offset - 1, transaction=transaction)
            result.extend(sub.ops)
            notes.extend(sub.notes)
            continue
        _other_statement(node, op, state)
    return SqlReading(result, notes, state.column_types)


def _referenced(node: Any) -> list[str]:
    """The tables a CREATE TABLE's foreign keys reference (column and table constraints)."""
    from pglast import ast, enums

    out: list[str] = []
    for elt in node.tableElts or ():
        cons = list(elt.constraints or ()) if isinstance(elt, ast.ColumnDef) else [elt]
        for con in cons:
            if (
                isinstance(con, ast.Constraint)
                and con.contype == enums.ConstrType.CONSTR_FOREIGN
                and con.pktable is not None
            ):
                name = _name(con.pktable)
                if name and name not in out:
                    out.append(name)
    return out


# serial types: the column is an integer of that width with a sequence default.
_SERIAL_TYPE = {
    "smallserial": "smallint",
    "serial2": "smallint",
    "serial": "integer",
    "serial4": "integer",
    "bigserial": "bigint",
    "serial8": "bigint",
}


def _table_columns(node: Any) -> tuple[ColumnDef, ...]:
    """The columns a CREATE TABLE defines: type as PostgreSQL spells it for people
    (`integer`, `varchar(64)`, `int8[]` as `bigint[]`), NOT NULL (a primary key, inline or
    table-level, is NOT NULL), the database default as written (a serial's sequence, an
    identity or a generated column count as one)."""
    from pglast import ast, enums

    ct = enums.ConstrType
    keys: set[str] = set()
    for elt in node.tableElts or ():
        if isinstance(elt, ast.Constraint) and elt.contype == ct.CONSTR_PRIMARY:
            keys.update(str(getattr(k, "sval", k)) for k in elt.keys or ())
    return tuple(
        _column_def(elt, keys)
        for elt in node.tableElts or ()
        if isinstance(elt, ast.ColumnDef) and elt.colname
    )


def _null(expr: object) -> bool:
    """`DEFAULT NULL` (also `NULL::integer`): the default every column has, which fills no
    NOT NULL column (ADD COLUMN … NOT NULL DEFAULT NULL fails on a table with rows)."""
    from pglast import ast

    while isinstance(expr, ast.TypeCast):
        expr = expr.arg
    return isinstance(expr, ast.A_Const) and bool(expr.isnull)


def _column_def(elt: Any, keys: set[str]) -> ColumnDef:
    """One column definition (of a CREATE TABLE, or an ADD COLUMN): `keys` are the table's
    primary key columns declared apart."""
    from pglast import enums
    from pglast.stream import RawStream

    ct = enums.ConstrType
    written = _type_text(elt.typeName)
    serial = _SERIAL_TYPE.get(written)
    type_ = pg.display_type(serial or written)
    if type_ and getattr(elt.typeName, "arrayBounds", None):
        type_ += "[]"
    name = str(elt.colname)
    not_null = primary = name in keys
    default: str | None = None
    if serial:
        default = "nextval(…)"
    for con in elt.constraints or ():
        if con.contype == ct.CONSTR_NOTNULL:
            not_null = True
        elif con.contype == ct.CONSTR_PRIMARY:
            not_null = primary = True
        elif con.contype == ct.CONSTR_DEFAULT and con.raw_expr is not None:
            if not _null(con.raw_expr):
                default = " ".join(str(RawStream()(con.raw_expr)).split())
        elif con.contype == ct.CONSTR_IDENTITY:
            default = "generated as identity"
            not_null = True
        elif con.contype == ct.CONSTR_GENERATED and con.raw_expr is not None:
            default = f"generated as ({' '.join(str(RawStream()(con.raw_expr)).split())})"
    return ColumnDef(name, type_, not_null, default, primary)


def _type_text(type_name: Any) -> str:
    """`varchar(64)`, `integer`, `numeric(10,2)`: a type as written, modifiers included."""
    names = [n.lower() for n in _type_names(type_name) if n and n.lower() != "pg_catalog"]
    if not names:
        return ""
    mods = []
    for m in getattr(type_name, "typmods", None) or ():
        val = getattr(getattr(m, "val", None), "ival", None)
        if val is not None:
            mods.append(str(val))
    return names[-1] + (f"({','.join(mods)})" if mods else "")


def _option_on(params: Any, name: str) -> bool:
    """`(CONCURRENTLY)`, `(FULL true)` are on; `(FULL false)`, `(CONCURRENTLY 0)` are off."""
    for p in params or ():
        if getattr(p, "defname", "").lower() == name:
            arg = getattr(p, "arg", None)
            value = getattr(arg, "sval", None) or getattr(arg, "ival", None)
            return value is None or str(value).lower() not in ("false", "off", "0", "no")
    return False


def _other_statement(node: Any, op: _Record, state: _State) -> None:  # noqa: C901, PLR0912 — one branch per statement kind (pglast node types)
    """Statements the deploy-safety rules read beyond the table changes above."""
    from pglast import ast, enums

    from guardrail.analysis.migrations import postgres as pg

    if isinstance(node, ast.VariableSetStmt) and node.name:
        value = None
        for a in node.args or ():
            v = getattr(a, "val", None)
            value = str(getattr(v, "sval", None) or getattr(v, "ival", "")) or None
        op(OpKind.SETTING, setting=str(node.name).lower(), value=value)
    elif isinstance(node, ast.SelectStmt):
        # SELECT set_config('lock_timeout', '5s', false)
        for target in node.targetList or ():
            call = getattr(target, "val", None)
            if isinstance(call, ast.FuncCall) and _func_name(call) == "set_config":
                args = [getattr(getattr(a, "val", None), "sval", None) for a in call.args or ()]
                if args and args[0]:
                    op(
                        OpKind.SETTING,
                        setting=str(args[0]).lower(),
                        value=args[1] if len(args) > 1 else None,
                    )
    elif isinstance(node, ast.ReindexStmt):
        kind = node.kind
        target = kind.name.rsplit("_", 1)[-1].lower() if kind is not None else ""
        name = _name(node.relation) or node.name
        op(
            OpKind.REINDEX,
            name=name,
            table=_name(node.relation) if target == "table" else None,
            concurrently=_option_on(node.params, "concurrently"),
            reindex_target=target,
        )
    elif isinstance(node, ast.AlterDomainStmt) and node.subtype == "C":
        con = node.def_
        op(
            OpKind.DOMAIN_CONSTRAINT,
            name=".".join(_type_names(ast.TypeName(names=node.typeName))) or None,
            not_valid=bool(getattr(con, "skip_validation", False)),
        )
    elif isinstance(node, ast.CreateDomainStmt) and any(
        c.contype in (enums.ConstrType.CONSTR_CHECK, enums.ConstrType.CONSTR_NOTNULL)
        for c in node.constraints or ()
    ):
        op(
            OpKind.DOMAIN_CONSTRAINT,
            name=".".join(getattr(n, "sval", "") for n in node.domainname or ()) or None,
            created=True,
        )
    elif isinstance(node, ast.AlterEnumStmt):
        type_name = ".".join(getattr(n, "sval", "") for n in node.typeName or ()) or None
        if node.oldVal:
            op(OpKind.RENAME_ENUM_VALUE, name=type_name, value=node.oldVal, new_name=node.newVal)
        else:
            op(OpKind.ADD_ENUM_VALUE, name=type_name, value=node.newVal)
    elif isinstance(node, ast.LockStmt):
        level = int(node.mode or 0)
        mode = pg.LOCK_MODES[level - 1] if 1 <= level <= len(pg.LOCK_MODES) else None
        for rel in node.relations or ():
            op(OpKind.LOCK_TABLE, table=_name(rel), lock=mode)
    elif isinstance(node, ast.CommentStmt):
        parts: tuple[Any, ...] = node.object if isinstance(node.object, tuple) else ()
        names = [str(getattr(n, "sval", "")) for n in parts]
        if node.objtype == enums.ObjectType.OBJECT_COLUMN and len(names) >= 2:
            op(
                OpKind.LOCK_TABLE,
                table=".".join(names[:-1]),
                column=names[-1],
                lock=pg.SHARE_UPDATE_EXCLUSIVE,
            )
        elif node.objtype == enums.ObjectType.OBJECT_TABLE and names:
            op(OpKind.LOCK_TABLE, table=".".join(names), lock=pg.SHARE_UPDATE_EXCLUSIVE)
    elif isinstance(node, ast.VacuumStmt) and node.is_vacuumcmd:
        full = _option_on(node.options, "full")
        for rel in node.rels or ():
            table = _name(getattr(rel, "relation", None))
            if full:
                op(OpKind.REWRITE_TABLE, table=table, name="VACUUM FULL")
            else:
                op(OpKind.LOCK_TABLE, table=table, lock=pg.SHARE_UPDATE_EXCLUSIVE)
    elif isinstance(node, ast.ClusterStmt):
        op(OpKind.REWRITE_TABLE, table=_name(node.relation), name="CLUSTER")
    elif isinstance(node, ast.CreateTrigStmt):
        op(OpKind.LOCK_TABLE, table=_name(node.relation), lock=pg.SHARE_ROW_EXCLUSIVE)


def _do_body(node: Any, text: str, start: int, line: int) -> tuple[str, int]:
    """The PL/pgSQL body of a DO statement and the file line of its first character."""
    for arg in node.args or ():
        if getattr(arg, "defname", "") == "as":
            body = str(getattr(arg.arg, "sval", ""))
            at = text.find(body, start) if body else -1
            return body, (text.count("\n", 0, at) + 1) if at >= 0 else line
    return "", line


def _plpgsql_sql(node: Any, out: list[tuple[int, str]], dynamic: list[int]) -> None:
    """(line in the body, SQL) of every statement a PL/pgSQL tree runs; lines of dynamic SQL
    whose text is not a literal."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "PLpgSQL_stmt_execsql":
                query = value.get("sqlstmt", {}).get("PLpgSQL_expr", {}).get("query")
                if query:
                    out.append((int(value.get("lineno", 1)), str(query)))
                continue
            if key == "PLpgSQL_stmt_dynexecute":
                query = str(value.get("query", {}).get("PLpgSQL_expr", {}).get("query", ""))
                literal = query.strip()
                if (
                    len(literal) >= 2
                    and literal[0] == literal[-1] == "'"
                    and "'" not in literal[1:-1].replace("''", "")
                ):
                    out.append((int(value.get("lineno", 1)), literal[1:-1].replace("''", "'")))
                else:
                    dynamic.append(int(value.get("lineno", 1)))
                continue
            _plpgsql_sql(value, out, dynamic)
    elif isinstance(node, list):
        for item in node:
            _plpgsql_sql(item, out, dynamic)


def _read_plpgsql(body: str, first_line: int, *, transaction: bool) -> SqlReading:
    """Operations inside a `DO $$ … $$` block, read with PostgreSQL's PL/pgSQL parser. A DO
    block always runs in one transaction. `first_line`: the file line of the body's line 1."""
    from pglast import parse_plpgsql
    from pglast.parser import ParseError

    wrapped = f"CREATE FUNCTION guardrail_do() RETURNS void AS $guardrail$\n{body}\n$guardrail$ LANGUAGE plpgsql"
    try:
        tree = parse_plpgsql(wrapped)
    except ParseError as exc:
        return SqlReading(
            [], [f"line {first_line}: the DO block is not understood ({exc.args[0]})"]
        )
    found: list[tuple[int, str]] = []
    dynamic: list[int] = []
    _plpgsql_sql(tree, found, dynamic)
    ops: list[Op] = []
    notes: list[str] = []
    for lineno, query in found:
        # PL/pgSQL counts lines from the opening quote of the body: line 1 is `first_line`.
        sub = read_sql(query + ";", line_offset=first_line + lineno - 2, in_transaction=True)
        ops.extend(sub.ops)
        notes.extend(sub.notes)
    for lineno in dynamic:
        ops.append(
            Op(
                OpKind.RAW,
                first_line + lineno - 1,
                text="EXECUTE in a DO block",
                why="dynamic SQL built at run time in a DO block",
                in_transaction=True,
            )
        )
    del transaction
    return SqlReading(ops, notes)


@dataclass
class _State:
    """What earlier statements of the same file established."""

    # NOT VALID constraints of this transaction -> what they are (foreign key or CHECK).
    added_in_tx: dict[str, OpKind] = field(default_factory=dict)
    not_null_checks: dict[str, str] = field(default_factory=dict)  # constraint -> column
    validated_columns: set[str] = field(default_factory=set)
    # Constraints validated here that this file did not add (added by an earlier migration).
    validated_elsewhere: dict[str, set[str]] = field(default_factory=dict)  # table -> names
    column_types: dict[str, str] = field(default_factory=dict)  # column_key -> type text


def _not_null_check_column(expr: Any) -> str | None:
    """`CHECK (col IS NOT NULL)` -> col."""
    from pglast import ast, enums

    if isinstance(expr, ast.NullTest) and expr.nulltesttype == enums.NullTestType.IS_NOT_NULL:
        fields = getattr(expr.arg, "fields", None) or ()
        if fields:
            return str(getattr(fields[-1], "sval", "")) or None
    return None


def _deleted_nulls(where: Any) -> tuple[str, ...]:
    """The columns whose NULL rows a DELETE removes for certain: `WHERE col IS NULL`, alone or
    as one side of ORs (`WHERE date IS NULL OR qty IS NULL OR …`), lower case."""
    from pglast import ast, enums

    if isinstance(where, ast.BoolExpr) and where.boolop == enums.BoolExprType.OR_EXPR:
        return tuple(c for arg in where.args or () for c in _deleted_nulls(arg))
    if isinstance(where, ast.NullTest) and where.nulltesttype == enums.NullTestType.IS_NULL:
        fields = getattr(where.arg, "fields", None) or ()
        name = str(getattr(fields[-1], "sval", "")) if fields else ""
        return (name.lower(),) if name else ()
    return ()


class _Record(Protocol):
    def __call__(
        self,
        kind: OpKind,
        *,
        table: str | None = None,
        column: str | None = None,
        **facts: Unpack[Facts],
    ) -> None: ...


@dataclass(frozen=True)
class _Recorder:
    """Records the operations of one statement, with what they share: its line, text, inline
    ignores, normalized definition and transaction context (a _Record)."""

    result: list[Op]
    created: set[str]  # tables created so far in the script (read when an op is recorded)
    line: int
    short: str
    ignores: tuple[tuple[str, str], ...]
    definition: str
    transaction: bool

    def __call__(
        self,
        kind: OpKind,
        *,
        table: str | None = None,
        column: str | None = None,
        **facts: Unpack[Facts],
    ) -> None:
        facts.setdefault("new_table", table in self.created if table else False)
        facts.setdefault("in_transaction", self.transaction)
        facts.setdefault("definition", self.definition)
        self.result.append(Op(kind, self.line, table, column, self.short, self.ignores, **facts))


def _alter_cmd(cmd: Any, table: str | None, op: _Record, state: _State, transaction: bool) -> None:  # noqa: C901, PLR0912, PLR0915 — one branch per ALTER TABLE subcommand (AlterTableType)
    from pglast import ast, enums

    at = enums.AlterTableType
    sub = cmd.subtype
    if sub == at.AT_AddColumn and isinstance(cmd.def_, ast.ColumnDef):
        col = cmd.def_
        not_null = has_default = volatile = stored = False
        inline_fk = False
        inline_unique = ""
        for con in col.constraints or ():
            ct = con.contype
            if ct == enums.ConstrType.CONSTR_NOTNULL:
                not_null = True
            elif ct == enums.ConstrType.CONSTR_DEFAULT and not _null(con.raw_expr):
                has_default = True
                volatile = volatile or _is_volatile(con.raw_expr)
            elif ct == enums.ConstrType.CONSTR_GENERATED:
                stored = True
                has_default = True
            elif ct == enums.ConstrType.CONSTR_PRIMARY:
                not_null = True
                inline_unique = "primary key"
            elif ct == enums.ConstrType.CONSTR_UNIQUE:
                inline_unique = "unique"
            elif ct == enums.ConstrType.CONSTR_FOREIGN:
                inline_fk = True
            elif ct == enums.ConstrType.CONSTR_IDENTITY:
                has_default = True
                stored = True
        types = _type_names(col.typeName)
        serial = bool(types) and types[-1].lower() in _SERIAL
        if table and col.colname:
            state.column_types[column_key(table, col.colname)] = _type_text(col.typeName)
        op(
            OpKind.ADD_COLUMN,
            table=table,
            column=col.colname,
            not_null=not_null,
            has_default=has_default or serial,
            volatile_default=volatile or serial or stored,
            table_columns=(_column_def(col, set()),),
            # ADD COLUMN IF NOT EXISTS: nothing (but a NOTICE) where the column exists.
            only_without=(table, col.colname) if cmd.missing_ok and table and col.colname else None,
            if_not_exists=bool(cmd.missing_ok),
        )
        if inline_fk:
            op(OpKind.ADD_FOREIGN_KEY, table=table, column=col.colname, not_valid=False)
        if inline_unique:
            kind = OpKind.ADD_PRIMARY_KEY if inline_unique == "primary key" else OpKind.ADD_UNIQUE
            op(kind, table=table, column=col.colname, using_index=False)
    elif sub == at.AT_ValidateConstraint:
        if cmd.name in state.added_in_tx:
            # Validating in the transaction that added it NOT VALID keeps the add's lock.
            op(state.added_in_tx[cmd.name], table=table, not_valid=False)
        if cmd.name in state.not_null_checks:
            state.validated_columns.add(f"{table}.{state.not_null_checks[cmd.name]}")
        elif cmd.name:
            state.validated_elsewhere.setdefault(str(table), set()).add(str(cmd.name).lower())
    elif sub == at.AT_SetNotNull:
        # A validated CHECK (col IS NOT NULL) spares the scan (PostgreSQL >= 12: the rule
        # decides by version). A constraint added by an earlier migration and validated here
        # counts when its name says so (`orders_coupon_not_null`).
        col_name = str(cmd.name)
        proven = f"{table}.{col_name}" in state.validated_columns or any(
            col_name.lower() in name and "null" in name
            for name in state.validated_elsewhere.get(str(table), ())
        )
        op(OpKind.SET_NOT_NULL, table=table, column=cmd.name, validated_check=proven)
    elif sub == at.AT_DropNotNull:
        op(OpKind.DROP_NOT_NULL, table=table, column=cmd.name)
    elif sub == at.AT_DropColumn:
        op(OpKind.DROP_COLUMN, table=table, column=cmd.name)
    elif sub == at.AT_AlterColumnType:
        col = cmd.def_
        types = [t.lower() for t in _type_names(getattr(col, "typeName", None))]
        mods = getattr(getattr(col, "typeName", None), "typmods", None)
        narrowing = bool(mods) or bool(types and types[-1] in _NARROW_TYPES)
        key = column_key(table or "", cmd.name or "")
        before = state.column_types.get(key)
        after = _type_text(getattr(col, "typeName", None))
        if table and after:
            state.column_types[key] = after
        op(
            OpKind.ALTER_TYPE,
            table=table,
            column=cmd.name,
            narrowing=narrowing,
            to_type=" ".join(types[-1:]),
            from_type=before,
            value=after or None,
        )
    elif sub == at.AT_ColumnDefault:
        if cmd.def_ is None:
            op(OpKind.DROP_DEFAULT, table=table, column=cmd.name)
        else:
            op(OpKind.SET_DEFAULT, table=table, column=cmd.name)
    elif sub == at.AT_DropConstraint:
        constraint = str(cmd.name or "")
        op(
            OpKind.DROP_CONSTRAINT,
            table=table,
            name=constraint or None,
            primary_key=constraint.lower().endswith("_pkey"),
        )
    elif sub == at.AT_DetachPartition:
        part = _name(getattr(cmd.def_, "name", None))
        op(
            OpKind.DETACH_PARTITION,
            table=table,
            name=part,
            concurrently=bool(getattr(cmd.def_, "concurrent", False)),
        )
    elif sub == at.AT_AddConstraint and isinstance(cmd.def_, ast.Constraint):
        con = cmd.def_
        ct = con.contype
        not_valid = bool(con.skip_validation)
        if not_valid and con.conname:
            if transaction:
                state.added_in_tx[con.conname] = (
                    OpKind.ADD_FOREIGN_KEY
                    if ct == enums.ConstrType.CONSTR_FOREIGN
                    else OpKind.ADD_CHECK
                )
            column = (
                _not_null_check_column(con.raw_expr)
                if ct == enums.ConstrType.CONSTR_CHECK
                else None
            )
            if column:
                state.not_null_checks[con.conname] = column
        if ct == enums.ConstrType.CONSTR_FOREIGN:
            op(OpKind.ADD_FOREIGN_KEY, table=table, not_valid=not_valid)
        elif ct == enums.ConstrType.CONSTR_CHECK:
            op(OpKind.ADD_CHECK, table=table, not_valid=not_valid)
        elif ct == enums.ConstrType.CONSTR_UNIQUE:
            op(
                OpKind.ADD_UNIQUE,
                table=table,
                using_index=bool(con.indexname),
                nulls_not_distinct=bool(getattr(con, "nulls_not_distinct", False)),
            )
        elif ct == enums.ConstrType.CONSTR_PRIMARY:
            op(OpKind.ADD_PRIMARY_KEY, table=table, using_index=bool(con.indexname))
        elif ct == enums.ConstrType.CONSTR_EXCLUSION:
            op(OpKind.ADD_UNIQUE, table=table, using_index=False)
