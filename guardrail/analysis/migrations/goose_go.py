"""goose migrations written in Go (`00002_rename_root.go`), read with the tree-sitter Go grammar.

A Go migration registers its functions in `init()`:

    goose.AddMigrationContext(Up00002, Down00002)   // also AddMigration, …NoTx, …NoTxContext,
                                                    // AddNamedMigration… (a file name first)

and its Up function runs SQL through the transaction or the database handle it is given:
`tx.Exec("…")`, `tx.ExecContext(ctx, "…")`, `db.ExecContext(ctx, query)`. The SQL of each such
call is read by the SQL reader when it is a literal: a string (interpreted or raw), a constant
or a variable of the file or the function given one literal, or a `+` of those. Anything else
is said, not guessed (GR290, with its line): SQL built at run time (`fmt.Sprintf`, a
parameter), and any other Go code the Up function runs (a helper, a query read in a loop),
once per function, at the first such call. The `…NoTx…` variants run outside a transaction.
A `nil` Down function makes the migration irreversible.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from guardrail.analysis.migrations.grammar import (
    Recorder,
    line,
    parse,
    short,
    text,
    unreadable,
    walk,
)
from guardrail.analysis.migrations.ops import Reading

if TYPE_CHECKING:
    from tree_sitter import Node

FRAMEWORK = "goose"
_EXEC = {"Exec": 0, "ExecContext": 1}  # method -> index of its SQL argument
# Calls that only report or wrap an error, or release a handle: not what the migration does.
_PLUMBING_PACKAGES = frozenset({"fmt", "errors", "log", "slog"})
_PLUMBING_METHODS = frozenset({"Close", "Err", "Error", "Wrap", "Wrapf"})
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "'": "'"}


def _string(node: Node) -> str | None:
    """A Go string literal's value, or None (an escape this reader does not decode)."""
    if node.type == "raw_string_literal":
        return "".join(text(c) for c in node.named_children)
    if node.type != "interpreted_string_literal":
        return None
    out = []
    for c in node.named_children:
        if c.type == "escape_sequence":
            value = _ESCAPES.get(text(c)[1:])
            if value is None:
                return None
            out.append(value)
        else:
            out.append(text(c))
    return "".join(out)


class _Reader:
    def __init__(self, source: str, root: Node) -> None:
        self.root = root
        self.functions: dict[str, Node] = {}
        self.constants: dict[str, Node] = {}  # top-level const/var given one literal
        for node in root.named_children:
            if node.type == "function_declaration":
                name = node.child_by_field_name("name")
                if name is not None:
                    self.functions[text(name)] = node
            elif node.type in ("const_declaration", "var_declaration"):
                self._literals(node, self.constants)
        self.rec: Recorder | None = None
        self.source = source

    @staticmethod
    def _literals(scope: Node, into: dict[str, Node]) -> None:
        """Names given exactly one value, each once (`const q = "…"`, `query := "…"`);
        a name assigned twice is not a literal any more."""
        seen: dict[str, int] = {}
        for spec in walk(scope, skip=frozenset({"func_literal"})):
            if spec.type in ("const_spec", "var_spec"):
                names = [c for c in spec.children_by_field_name("name")]
                value = spec.child_by_field_name("value")
            elif spec.type in ("short_var_declaration", "assignment_statement"):
                left = spec.child_by_field_name("left")
                names = list(left.named_children) if left is not None else []
                value = spec.child_by_field_name("right")
            else:
                continue
            values = list(value.named_children) if value is not None else []
            for i, name in enumerate(names):
                key = text(name)
                seen[key] = seen.get(key, 0) + 1
                if i < len(values) and len(names) == len(values):
                    into[key] = values[i]
        for key, count in seen.items():
            if count > 1:
                into.pop(key, None)

    def registration(self) -> Node | None:
        for node in walk(self.root):
            if node.type != "call_expression":
                continue
            fn = node.child_by_field_name("function")
            if fn is None or fn.type != "selector_expression":
                continue
            operand = fn.child_by_field_name("operand")
            field = fn.child_by_field_name("field")
            if (
                operand is not None
                and field is not None
                and text(operand) == "goose"
                and text(field).startswith(("AddMigration", "AddNamedMigration"))
            ):
                return node
        return None

    def value(self, node: Node, scope: dict[str, Node], depth: int = 0) -> str | None:
        """The literal SQL an expression stands for, or None when it is built at run time."""
        if depth > 20:
            return None
        found = _string(node)
        if found is not None:
            return found
        if node.type == "identifier":
            bound = scope.get(text(node)) or self.constants.get(text(node))
            return None if bound is None else self.value(bound, {}, depth + 1)
        if node.type == "parenthesized_expression" and node.named_children:
            return self.value(node.named_children[0], scope, depth + 1)
        if node.type == "binary_expression":
            op = node.child_by_field_name("operator")
            left = node.child_by_field_name("left")
            right = node.child_by_field_name("right")
            if op is not None and text(op) == "+" and left is not None and right is not None:
                a = self.value(left, scope, depth + 1)
                b = self.value(right, scope, depth + 1)
                return None if a is None or b is None else a + b
        return None

    def function(self, node: Node) -> Node | None:
        """The body of an Up/Down argument: a function of the file, or a function literal."""
        if node.type == "func_literal":
            return node.child_by_field_name("body")
        if node.type == "identifier" and text(node) in self.functions:
            return self.functions[text(node)].child_by_field_name("body")
        return None

    def read_up(self, rec: _Sink, body: Node) -> None:
        scope: dict[str, Node] = {}
        self._literals(body, scope)
        other: Node | None = None
        for node in walk(body):
            if node.type != "call_expression":
                continue
            fn = node.child_by_field_name("function")
            method = fn.child_by_field_name("field") if fn is not None else None
            name = text(method) if method is not None else ""
            if name in _EXEC:
                args = node.child_by_field_name("arguments")
                values = list(args.named_children) if args is not None else []
                index = _EXEC[name]
                sql_node = values[index] if index < len(values) else None
                sql = None if sql_node is None else self.value(sql_node, scope)
                first_row = _first_row(sql_node) if sql_node is not None and sql else None
                rec.sql(node, sql, first_row)
            elif other is None and not _plumbing(fn):
                other = node
        if other is not None:
            rec.unknown(
                other,
                f"the Up function runs Go code besides its SQL (first `{short(other, 50)}`, "
                f"line {line(other)}): what it does is not judged",
            )


class _Sink(Protocol):
    """What read_up reports to: the Recorder (static rules) or the SQL collector (the trace)."""

    def sql(self, node: Node, sql: str | None, first_row: int | None = None) -> None: ...

    def unknown(self, node: Node, construct: str) -> None: ...


@dataclass
class UpSql:
    """The SQL the Up function runs, as the trace and the base-schema replay need it: each
    literal with the 0-based file row of its first line, and what is not literal SQL, with
    its 1-based line and why (listed as not traced, never skipped)."""

    pieces: list[tuple[str, int]] = field(default_factory=list)
    unread: list[tuple[int, str]] = field(default_factory=list)

    def sql(self, node: Node, sql: str | None, first_row: int | None = None) -> None:
        if sql is None or not sql.strip():
            self.unread.append((line(node), f"`{short(node, 40)}` runs SQL built at run time"))
            return
        self.pieces.append((sql, node.start_point[0] if first_row is None else first_row))

    def unknown(self, node: Node, construct: str) -> None:
        self.unread.append((line(node), construct))

    def text(self) -> str:
        """The pieces as one script whose lines keep their file numbers where they can (a
        piece that starts above the end of the previous one, such as a constant run twice,
        follows it instead); statements are ended with `;` so none runs into the next."""
        out: list[str] = []
        for sql, row in self.pieces:
            while len(out) < row:
                out.append("")
            body = sql.rstrip().rstrip(";")
            out.extend((body + ";").split("\n"))
        return "\n".join(out) + "\n"


def up_sql(source: str) -> UpSql:
    """The literal SQL the Up function of a goose Go migration runs (see read())."""
    out = UpSql()
    opened = _opened(source)
    if isinstance(opened, Reading):
        out.unread.append((1, opened.notes[0] if opened.notes else "not valid Go"))
        return out
    reader, call = opened
    if call is None:
        out.unread.append((1, _UNREGISTERED))
        return out
    _read_up(reader, out, _functions(call)[0])
    return out


_UNREGISTERED = "no `goose.AddMigration…` call registers its functions"


def _opened(source: str) -> tuple[_Reader, Node | None] | Reading:
    """The file's reader and its goose.Add…Migration… call (None: there is none), or the
    Reading of a file that is not valid Go."""
    root = parse("go", source)
    bad = unreadable(FRAMEWORK, root)
    if bad is not None:
        return bad
    reader = _Reader(source, root)
    return reader, reader.registration()


def _read_up(reader: _Reader, sink: _Sink, up: Node | None) -> None:
    """What the Up function runs, into `sink` (nothing for `nil`)."""
    if up is None or up.type == "nil":
        return
    body = reader.function(up)
    if body is None:
        sink.unknown(up, f"the Up function `{short(up, 40)}` is not defined in this file")
    else:
        reader.read_up(sink, body)


def _functions(call: Node) -> tuple[Node | None, Node | None]:
    """The Up and Down arguments of a goose.Add…Migration… call."""
    fn = call.child_by_field_name("function")
    variant = text(fn.child_by_field_name("field") or fn) if fn is not None else ""
    args = call.child_by_field_name("arguments")
    funcs = list(args.named_children) if args is not None else []
    if variant.startswith("AddNamedMigration"):
        funcs = funcs[1:]
    return (funcs[0] if funcs else None), (funcs[1] if len(funcs) > 1 else None)


def _first_row(node: Node) -> int | None:
    """The 0-based file row the SQL's first line is on, when the SQL is one literal in place."""
    return node.start_point[0] if node.type.endswith("string_literal") else None


def _plumbing(fn: Node | None) -> bool:
    if fn is None:
        return True
    if fn.type == "selector_expression":
        operand = fn.child_by_field_name("operand")
        field = fn.child_by_field_name("field")
        return (operand is not None and text(operand) in _PLUMBING_PACKAGES) or (
            field is not None and text(field) in _PLUMBING_METHODS
        )
    return False


def read(source: str) -> Reading:
    opened = _opened(source)
    if isinstance(opened, Reading):
        return opened
    reader, call = opened
    if call is None:
        why = f"{_UNREGISTERED}: nothing in it was judged"
        return Reading(FRAMEWORK, (), None, "", (why,))
    fn = call.child_by_field_name("function")
    variant = text(fn.child_by_field_name("field") or fn) if fn is not None else ""
    rec = Recorder(source, FRAMEWORK, in_transaction="NoTx" not in variant)
    up, down = _functions(call)
    _read_up(reader, rec, up)
    if down is None or down.type == "nil":
        return rec.reading(False, "its Down function is `nil`")
    return rec.reading(True)
