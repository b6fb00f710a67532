"""Read SQL migrations with the real PostgreSQL parser (pglast: libpg_query, the server's own
grammar). Other dialects are understood as far as Postgres's grammar accepts them; a statement
it cannot parse is reported as not understood, never guessed at.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, Unpack

from guardrail.analysis.migrations.ops import Facts, Op, OpKind

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
_NARROW_TYPES = frozenset({"int2", "smallint", "int4", "integer", "int", "date", "bool", "boolean"})
_SERIAL = frozenset({"serial", "serial4", "serial8", "bigserial", "smallserial", "serial2"})


@dataclass
class SqlReading:
    ops: list[Op]
    notes: list[str]


def _line_of(data: bytes, offset: int) -> int:
    return data[:offset].count(b"\n") + 1


def _skip_space_and_comments(text: str, pos: int) -> int:
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
        if name in _NON_VOLATILE_FUNCS:
            return any(_is_volatile(a) for a in (expr.args or ()))
        return True
    return False


def _short(text: str, limit: int = 90) -> str:
    one = " ".join(text.split())
    return one if len(one) <= limit else one[: limit - 1] + "…"


def normalized(sql: str) -> str:
    """A statement's tokens without comments and layout: the same for two spellings of it."""
    from pglast.parser import scan

    data = sql.encode("utf-8")
    try:
        tokens = scan(sql)
    except Exception:  # the scanner gave up (unterminated string): compare the layout-free text
        return " ".join(sql.split())
    return " ".join(
        data[t.start : t.end + 1].decode("utf-8", "replace")
        for t in tokens
        if t.name not in ("SQL_COMMENT", "C_COMMENT")
    )


def _statements(text: str) -> tuple[list[tuple[Any, str, int]], list[str]]:
    """(statement node, its text, its byte offset) for each statement; notes on failures."""
    from pglast import split
    from pglast.parser import ParseError

    from guardrail.analysis.pgsql import parse_sql

    data = text.encode("utf-8")
    notes: list[str] = []
    try:
        raw = parse_sql(text)
        out = []
        for rs in raw:
            loc = rs.stmt_location or 0
            length = rs.stmt_len or (len(data) - loc)
            out.append((rs.stmt, data[loc : loc + length].decode("utf-8", "replace"), loc))
        return out, notes
    except ParseError:
        pass
    # One statement does not parse: read the others one by one.
    out = []
    try:
        pieces = list(split(text, with_parser=False))
    except Exception:  # the scanner itself gave up (unterminated string or comment)
        return [], ["the SQL could not be split into statements"]
    pos = 0
    for piece in pieces:
        idx = text.find(piece, pos)
        if idx < 0:
            idx = pos
        pos = idx + len(piece)
        byte_off = len(text[:idx].encode("utf-8"))
        try:
            parsed = parse_sql(piece)
        except ParseError as exc:
            line = _line_of(data, byte_off + len(piece[: max(0, 0)].encode()))
            first = piece.strip().splitlines()[0] if piece.strip() else piece
            notes.append(f"line {line}: not understood ({exc.args[0]}): {_short(first, 60)}")
            out.append((None, piece, byte_off))
            continue
        for rs in parsed:
            out.append((rs.stmt, piece, byte_off + (rs.stmt_location or 0)))
    return out, notes


def read_sql(text: str, *, line_offset: int = 0, in_transaction: bool = False) -> SqlReading:
    """Operations of a SQL script. `line_offset` shifts lines when the SQL is part of a file."""
    from pglast import ast, enums

    stmts, notes = _statements(text)
    data = text.encode("utf-8")
    lines = text.splitlines()
    result: list[Op] = []
    created: set[str] = set()
    transaction = in_transaction
    state = _State()

    for node, stmt_text, byte_off in stmts:
        char_off = len(data[:byte_off].decode("utf-8", "replace"))
        start = _skip_space_and_comments(text, char_off)
        line = text.count("\n", 0, start) + 1
        ignores = parse_ignores(comments_above(lines, line))
        short = _short(stmt_text)
        definition = normalized(stmt_text)

        def op(
            kind: OpKind,
            *,
            table: str | None = None,
            column: str | None = None,
            **facts: Unpack[Facts],
        ) -> None:
            facts.setdefault("new_table", table in created if table else False)
            facts.setdefault("in_transaction", transaction)
            facts.setdefault("definition", definition)
            result.append(
                Op(kind, line + line_offset, table, column, short, tuple(ignores), **facts)
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
                op(OpKind.BEGIN)
            elif kind in (
                enums.TransactionStmtKind.TRANS_STMT_COMMIT,
                enums.TransactionStmtKind.TRANS_STMT_ROLLBACK,
            ):
                transaction = in_transaction
                op(OpKind.COMMIT)
            continue
        if isinstance(node, ast.CreateStmt):
            name = _name(node.relation)
            # IF NOT EXISTS is no proof the table is new: it may be there already, with rows.
            if name and not node.if_not_exists:
                created.add(name)
            op(OpKind.CREATE_TABLE, table=name, if_not_exists=bool(node.if_not_exists))
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
                    op(OpKind.DROP_TABLE, table=".".join(p for p in parts if p) or None)
            elif node.removeType == enums.ObjectType.OBJECT_INDEX:
                op(OpKind.DROP_INDEX, concurrently=bool(node.concurrent))
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
            )
            continue
        if isinstance(node, ast.UpdateStmt):
            op(OpKind.BACKFILL, table=_name(node.relation), batched=node.whereClause is not None)
            continue
        if isinstance(node, ast.DeleteStmt):
            op(OpKind.DELETE_ROWS, table=_name(node.relation))
            continue
        if isinstance(node, ast.TruncateStmt):
            for rel in node.relations or ():
                op(OpKind.TRUNCATE, table=_name(rel))
            continue
    return SqlReading(result, notes)


@dataclass
class _State:
    """What earlier statements of the same file established."""

    added_in_tx: set[str] = field(default_factory=set)  # NOT VALID constraints of this transaction
    not_null_checks: dict[str, str] = field(default_factory=dict)  # constraint -> column
    validated_columns: set[str] = field(default_factory=set)


def _not_null_check_column(expr: Any) -> str | None:
    """`CHECK (col IS NOT NULL)` -> col."""
    from pglast import ast, enums

    if isinstance(expr, ast.NullTest) and expr.nulltesttype == enums.NullTestType.IS_NOT_NULL:
        fields = getattr(expr.arg, "fields", None) or ()
        if fields:
            return str(getattr(fields[-1], "sval", "")) or None
    return None


class _Record(Protocol):
    def __call__(
        self,
        kind: OpKind,
        *,
        table: str | None = None,
        column: str | None = None,
        **facts: Unpack[Facts],
    ) -> None: ...


def _alter_cmd(cmd: Any, table: str | None, op: _Record, state: _State, transaction: bool) -> None:
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
            elif ct == enums.ConstrType.CONSTR_DEFAULT:
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
        op(
            OpKind.ADD_COLUMN,
            table=table,
            column=col.colname,
            not_null=not_null,
            has_default=has_default or serial,
            volatile_default=volatile or serial or stored,
        )
        if inline_fk:
            op(OpKind.ADD_FOREIGN_KEY, table=table, column=col.colname, not_valid=False)
        if inline_unique:
            kind = OpKind.ADD_PRIMARY_KEY if inline_unique == "primary key" else OpKind.ADD_UNIQUE
            op(kind, table=table, column=col.colname, using_index=False)
    elif sub == at.AT_ValidateConstraint:
        if cmd.name in state.added_in_tx:
            # Validating in the transaction that added it NOT VALID keeps the add's lock.
            op(OpKind.ADD_CHECK, table=table, not_valid=False)
        if cmd.name in state.not_null_checks:
            state.validated_columns.add(f"{table}.{state.not_null_checks[cmd.name]}")
    elif sub == at.AT_SetNotNull:
        # PG >= 12 uses a validated CHECK (col IS NOT NULL) instead of scanning the table.
        safe = f"{table}.{cmd.name}" in state.validated_columns
        if not safe:
            op(OpKind.SET_NOT_NULL, table=table, column=cmd.name)
    elif sub == at.AT_DropNotNull:
        op(OpKind.DROP_NOT_NULL, table=table, column=cmd.name)
    elif sub == at.AT_DropColumn:
        op(OpKind.DROP_COLUMN, table=table, column=cmd.name)
    elif sub == at.AT_AlterColumnType:
        col = cmd.def_
        types = [t.lower() for t in _type_names(getattr(col, "typeName", None))]
        mods = getattr(getattr(col, "typeName", None), "typmods", None)
        narrowing = bool(mods) or bool(types and types[-1] in _NARROW_TYPES)
        op(
            OpKind.ALTER_TYPE,
            table=table,
            column=cmd.name,
            narrowing=narrowing,
            to_type=" ".join(types[-1:]),
        )
    elif sub == at.AT_ColumnDefault:
        op(OpKind.SET_DEFAULT, table=table, column=cmd.name)
    elif sub == at.AT_AddConstraint and isinstance(cmd.def_, ast.Constraint):
        con = cmd.def_
        ct = con.contype
        not_valid = bool(con.skip_validation)
        if not_valid and con.conname:
            if transaction:
                state.added_in_tx.add(con.conname)
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
            op(OpKind.ADD_UNIQUE, table=table, using_index=bool(con.indexname))
        elif ct == enums.ConstrType.CONSTR_PRIMARY:
            op(OpKind.ADD_PRIMARY_KEY, table=table, using_index=bool(con.indexname))
        elif ct == enums.ConstrType.CONSTR_EXCLUSION:
            op(OpKind.ADD_UNIQUE, table=table, using_index=False)
