"""What the Django and Alembic readers share: the statement recorder, the normalized definition
of a call (compare.py), and SQL read out of Python strings. The readers themselves are
django.py and alembic.py; Python is read from its syntax tree, never imported or run.
"""

from __future__ import annotations

import ast
import copy
import functools
from dataclasses import dataclass, field
from typing import Unpack

from guardrail.analysis.migrations.ops import Facts, Op, OpKind
from guardrail.analysis.migrations.pyeval import UNKNOWN, Scope
from guardrail.analysis.migrations.sql import comments_above, parse_ignores, read_sql


@functools.lru_cache(maxsize=4)
def _source_lines(source: str) -> list[str]:
    """The source's lines as `ast` counts them (\\r\\n, \\n or \\r; not form feeds), once
    per source: `ast.get_source_segment` splits the whole file on every call, which made
    reading a migration of n operations take n² time (2k → 8k Django operations: 25 s → 413 s)."""
    lines: list[str] = []
    start = 0
    n = len(source)
    i = 0
    while i < n:
        ch = source[i]
        if ch == "\r" or ch == "\n":
            end = i + 2 if ch == "\r" and i + 1 < n and source[i + 1] == "\n" else i + 1
            lines.append(source[start:end])
            start = i = end
            continue
        i += 1
    if start < n:
        lines.append(source[start:])
    return lines


def segment(source: str, node: ast.AST) -> str:
    """`ast.get_source_segment(source, node)`, in time proportional to the segment."""
    try:
        first, last = node.lineno - 1, node.end_lineno - 1  # type: ignore[attr-defined]
        start, end = node.col_offset, node.end_col_offset  # type: ignore[attr-defined]
    except AttributeError:
        return ""
    if first is None or last is None or start is None or end is None:
        return ""
    lines = _source_lines(source)
    if not (0 <= first <= last < len(lines)):
        return ""
    if first == last:
        return str(lines[first].encode()[start:end].decode(errors="replace"))
    head = lines[first].encode()[start:].decode(errors="replace")
    tail = lines[last].encode()[:end].decode(errors="replace")
    return str(head + "".join(lines[first + 1 : last]) + tail)


def short(node: ast.AST, source: str) -> str:
    seg = segment(source, node)
    one = " ".join(seg.split())
    return one if len(one) <= 90 else one[:89] + "…"


# Arguments that never reach the database: Django keeps them in Python (the ORM, forms, admin).
# An edit to them in a shipped migration changes nothing the database sees.
_ORM_ONLY = frozenset(
    {
        "related_name",
        "related_query_name",
        "verbose_name",
        "verbose_name_plural",
        "help_text",
        "choices",
        "validators",
        "editable",
        "blank",
        "error_messages",
        "limit_choices_to",
        "upload_to",
        "storage",
        "on_delete",
        "serialize",
        "unique_for_date",
        "unique_for_month",
        "unique_for_year",
        "ordering",
        "permissions",
        "default_permissions",
        "get_latest_by",
        "default_related_name",
        "base_manager_name",
        "default_manager_name",
        "bases",
        "managers",
        "elidable",
        "hints",
        # JSONField's (de)serialisers: Python code, the column stays `jsonb`.
        "encoder",
        "decoder",
    }
)


class _Normalize(ast.NodeTransformer):
    """Drops ORM-only keyword arguments and option keys."""

    def visit_Call(self, node: ast.Call) -> ast.AST:
        node.keywords = [k for k in node.keywords if k.arg not in _ORM_ONLY]
        self.generic_visit(node)
        return node

    def visit_Dict(self, node: ast.Dict) -> ast.AST:
        pairs = [
            (k, v)
            for k, v in zip(node.keys, node.values, strict=True)
            if not (isinstance(k, ast.Constant) and k.value in _ORM_ONLY)
        ]
        node.keys = [k for k, _ in pairs]
        node.values = [v for _, v in pairs]
        self.generic_visit(node)
        return node


def definition(call: ast.Call, functions: dict[str, ast.FunctionDef]) -> str:
    """The call as the database sees it, without positions, comments or ORM-only arguments;
    with the module's functions it names (RunPython's code), so an edit to them is seen."""
    tree = _Normalize().visit(copy.deepcopy(call))
    named = sorted({n.id for n in ast.walk(call) if isinstance(n, ast.Name) and n.id in functions})
    parts = [ast.dump(tree)] + [ast.dump(functions[name]) for name in named]
    return "\n".join(parts)


_SAME = object()  # "the statement's own table"


@dataclass
class Recorder:
    """The operations and notes of one migration, with the tables it created so far."""

    source: str
    lines: list[str] = field(default_factory=list)
    found: list[Op] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    created: set[str] = field(default_factory=set)  # tables created earlier in the migration

    def __post_init__(self) -> None:
        self.lines = self.source.splitlines()

    def statement(
        self,
        node: ast.expr,
        table: str | None,
        in_transaction: bool,
        defn: str,
        model: str | None = None,
    ) -> Statement:
        line = node.lineno
        ignores = parse_ignores(comments_above(self.lines, line))
        text = short(node, self.source)
        return Statement(self, line, text, ignores, table, in_transaction, defn, model)

    def note(self, line: int, what: str) -> None:
        self.notes.append(f"line {line}: {what}")

    def sql(self, sql: str, node: ast.expr, in_transaction: bool) -> None:
        """SQL written in a Python string: read by the SQL reader, at its lines in the file
        (`node` is the string literal, whose first line is the SQL's, or else the call)."""
        sub = read_sql(sql, line_offset=node.lineno - 1, in_transaction=in_transaction)
        self.found.extend(sub.ops)
        self.notes.extend(sub.notes)


@dataclass
class Statement:
    """Records the operations one migration call performs, on its line, with its text and any
    `guardrail: ignore` written next to it."""

    rec: Recorder
    line: int
    text: str
    ignores: tuple[tuple[str, str], ...]
    table: str | None
    in_transaction: bool
    definition: str = ""
    model: str | None = None  # Django: the model the call names (lower case)

    def add(
        self,
        kind: OpKind,
        column: str | None = None,
        _t: str | None | object = _SAME,
        **facts: Unpack[Facts],
    ) -> None:
        """`_t` names another table than the statement's own (None: no table at all)."""
        table = self.table if _t is _SAME else (_t if isinstance(_t, str) else None)
        facts.setdefault("new_table", table in self.rec.created if table else False)
        facts.setdefault("in_transaction", self.in_transaction)
        facts.setdefault("definition", self.definition)
        if self.model is not None and _t is _SAME:
            facts.setdefault("model", self.model)
        self.rec.found.append(Op(kind, self.line, table, column, self.text, self.ignores, **facts))

    def unread(self, why: str) -> None:
        """Something this call does that cannot be read: a GR290 naming it and its line."""
        self.rec.found.append(
            Op(OpKind.RAW, self.line, text=self.text, why=why, definition=self.definition)
        )


def sql_of(node: ast.expr | None, scope: Scope) -> str | None:
    """A SQL string, a list/tuple of them, or of (sql, params) pairs, as one script; None when
    the SQL is built at run time. The statements of a list of literals keep their lines:
    the script starts at the list's first line."""
    got = scope.value(node)
    if got is UNKNOWN:
        return None
    if isinstance(node, (ast.List, ast.Tuple)) and node.elts:
        placed = _placed(node, scope)
        if placed is not None:
            return placed
    return _join_sql(got)


def _placed(node: ast.List | ast.Tuple, scope: Scope) -> str | None:
    """The statements of a list at their own lines, padded with blank lines between them."""
    out: list[str] = []
    line = node.lineno
    for elt in node.elts:
        at = elt.elts[0] if isinstance(elt, ast.Tuple) and elt.elts else elt
        text = scope.string(at)
        where = scope.located(at, node)
        if text is None or where.lineno < line:
            return None
        out.append("\n" * (where.lineno - line))
        body = text.rstrip().rstrip(";")
        out.append(body + ";")
        line = where.lineno + body.count("\n")
    return "".join(out)


def _join_sql(got: object) -> str | None:
    if isinstance(got, str):
        return got
    if isinstance(got, (tuple, list)):
        parts: list[str] = []
        for item in got:
            if isinstance(item, (tuple, list)) and item and isinstance(item[0], str):
                parts.append(item[0])  # (sql, params)
            elif isinstance(item, str):
                parts.append(item)
            else:
                return None
        return ";\n".join(p.strip().rstrip(";") for p in parts if p.strip())
    return None
