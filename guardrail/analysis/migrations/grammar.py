"""What the framework readers share: tree-sitter grammars loaded on first use, and the recorder
that turns what a reader understood into operations.

Each framework reader (rails.py, laravel.py, js.py, ecto.py, efcore.py, goose_go.py) parses its file with the
language's published tree-sitter grammar and walks the syntax tree. A grammar is imported only
when a file of its language is read, so a run without, say, C# migrations never loads C#.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import cache
from typing import TYPE_CHECKING, Unpack

from guardrail.analysis.migrations.ops import ColumnDef, Facts, Op, OpKind, Reading
from guardrail.analysis.migrations.sql import comments_above, parse_ignores, read_sql

if TYPE_CHECKING:
    from tree_sitter import Language, Node, Parser

# language -> (module, function returning the grammar). The wheels are listed in pyproject.toml.
_GRAMMARS = {
    "ruby": ("tree_sitter_ruby", "language"),
    "php": ("tree_sitter_php", "language_php"),
    "javascript": ("tree_sitter_javascript", "language"),
    "typescript": ("tree_sitter_typescript", "language_typescript"),
    "elixir": ("tree_sitter_elixir", "language"),
    "c_sharp": ("tree_sitter_c_sharp", "language"),
    "go": ("tree_sitter_go", "language"),
}

# Deeper trees than this are not walked (a generated file, or an attack on the recursion limit).
MAX_DEPTH = 200


class GrammarUnavailable(Exception):
    """The grammar wheel for a language is not installed."""


@cache
def _parser(language: str) -> Parser:
    import tree_sitter

    module, func = _GRAMMARS[language]
    try:
        grammar = getattr(importlib.import_module(module), func)()
    except ImportError as exc:  # pragma: no cover - the wheels are dependencies
        raise GrammarUnavailable(module) from exc
    return tree_sitter.Parser(tree_sitter.Language(grammar))


def language(name: str) -> Language:
    """The tree-sitter language of a grammar (for queries over its trees)."""
    return _parser(name).language  # type: ignore[return-value]  # set when the parser is built


def parse(language: str, source: str) -> Node:
    """The root of the syntax tree. tree-sitter always returns a tree; see `first_error`."""
    return _parser(language).parse(source.encode("utf-8", "surrogatepass")).root_node


def first_error(root: Node) -> int | None:
    """The line of the first syntax error in the tree, or None when it parsed cleanly."""
    if not root.has_error:
        return None
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            return node.start_point[0] + 1
        stack.extend(reversed([c for c in node.children if c.has_error or c.is_missing]))
    return root.start_point[0] + 1


def syntax_note(root: Node, language: str) -> str | None:
    """The reader's note for a file its grammar could not parse whole (GR290), or None."""
    error_at = first_error(root)
    if error_at is None:
        return None
    return f"line {error_at}: not valid {language} to the grammar; only what parsed around it was judged"


def text(node: Node) -> str:
    return (node.text or b"").decode("utf-8", "replace")


def line(node: Node) -> int:
    return node.start_point[0] + 1


def short(node: Node, limit: int = 90) -> str:
    return " ".join(text(node).split())[:limit]


def walk(node: Node, skip: frozenset[str] = frozenset()) -> Iterator[Node]:
    """Every node below `node`, in document order, to MAX_DEPTH; nodes whose type is in
    `skip` are yielded but not entered (a reader looking for declarations skips bodies)."""
    stack: list[tuple[Node, int]] = [(node, 0)]
    while stack:
        n, d = stack.pop()
        yield n
        if d < MAX_DEPTH and n.type not in skip:
            stack.extend((c, d + 1) for c in reversed(n.named_children))


@dataclass(frozen=True)
class Dynamic:
    """A value computed at run time (a variable, an interpolation, a call): not a literal."""

    text: str


# A literal argument as the reader sees it: symbols and strings are str.
Value = str | int | float | bool | None | Dynamic | list["Value"] | dict[str, "Value"]


def sql_default(given: Value) -> str:
    """A literal default as SQL writes it (`0`, `'draft'`, `true`); `…` when computed: how every
    DSL reader states a column's database default in its `ColumnDef`."""
    if isinstance(given, bool):
        return "true" if given else "false"
    if isinstance(given, int | float):
        return str(given)
    if isinstance(given, str):
        return "'" + given.replace("'", "''") + "'"
    return "…"


def as_str(value: Value) -> str | None:
    return value if isinstance(value, str) else None


def as_strs(value: Value) -> list[str]:
    """A name or a list of names (`[:a, :b]`, `%i[a b]`, `['a', 'b']`)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


# Column types of the framework DSLs, as PostgreSQL spells them (for postgres.py's comparison).
_SQL_TYPES = {
    "string": "varchar",
    "char": "char",
    "text": "text",
    "mediumText": "text",
    "longText": "text",
    "tinyText": "text",
    "citext": "citext",
    "integer": "integer",
    "unsignedInteger": "integer",
    "smallInteger": "smallint",
    "unsignedSmallInteger": "smallint",
    "tinyInteger": "smallint",
    "bigInteger": "bigint",
    "unsignedBigInteger": "bigint",
    "bigint": "bigint",
    "decimal": "numeric",
    "numeric": "numeric",
    "json": "json",
    "jsonb": "jsonb",
    "timestamp": "timestamp",
    "datetime": "timestamp",
    "dateTime": "timestamp",
    "timestamptz": "timestamptz",
    "timestampTz": "timestamptz",
}


# What each framework's own PostgreSQL column compiler creates, where it differs from the shared
# table above. Each entry was read in the project's source at the commit named (2026-11-28):
# - Rails (rails/rails 2a2db1e8, MIT): activerecord/lib/active_record/connection_adapters/
#   postgresql_adapter.rb NATIVE_DATABASE_TYPES: string -> character varying (no length),
#   float -> float (double precision), binary -> bytea, datetime -> timestamp (datetime_type
#   defaults to :timestamp); postgresql/schema_statements.rb `type_to_sql`: integer limit 1-2
#   smallint, nil/3-4 integer, 5-8 bigint.
# - knex (knex/knex dd911fcb, MIT): lib/dialects/postgres/schema/pg-columncompiler.js:
#   `float` -> real, `double` -> double precision, `tinyint` -> smallint, `binary` -> bytea,
#   `enu`/`enum` -> text with a CHECK, `datetime`/`timestamp` -> timestamptz unless
#   `useTz: false`, `decimal` -> decimal(8, 2) unless given (`null` precision: unconstrained).
# - Laravel (laravel/framework bd71b45f, MIT): src/Illuminate/Database/Schema/Grammars/
#   PostgresGrammar.php: `tinyText` -> varchar(255), `enum` -> varchar(255) with a CHECK (the
#   reader spells it, so it is not here), `boolean`, `uuid`. `dateTime`/`timestamp` and the
#   other time types are spelled by the reader with their precision (laravel._TIME_TYPES:
#   timestamp(0) unless given, Builder::$defaultTimePrecision).
# - Sequelize v6, the released line (sequelize/sequelize v6 cb7f99ad, MIT): src/data-types.js
#   and src/dialects/postgres/data-types.js: STRING -> VARCHAR(255) and CHAR -> CHAR(255) unless
#   a length is given, DATE -> TIMESTAMP WITH TIME ZONE (precision ignored), DATEONLY -> DATE,
#   FLOAT -> FLOAT (double precision; FLOAT(1..24) is real), DOUBLE -> DOUBLE PRECISION,
#   DECIMAL -> DECIMAL or DECIMAL(p,s), BLOB -> BYTEA, INTEGER/BIGINT/SMALLINT drop a length;
#   ENUM is a type of its own, `enum_<table>_<column>` (utils.generateEnumName). v7 (alpha)
#   writes FLOAT as REAL: not followed here.
# - Ecto (elixir-ecto/ecto_sql 5e45b435, Apache-2.0): lib/ecto/adapters/postgres/connection.ex
#   `ecto_to_db`/`column_type_name`: :string -> varchar(255) unless `size:`, :id -> integer,
#   :time/:naive_datetime/:utc_datetime -> time(0)/timestamp(0), the _usec forms without a
#   precision, :map -> jsonb (the :postgres_map_type default in mix.exs), :binary -> bytea,
#   :binary_id -> uuid, :decimal -> decimal or decimal(p,s), :float -> float, :identity ->
#   bigint, :duration -> interval, :bitstring -> varbit; `references` default to :bigserial,
#   whose column is bigint (`reference_column_type`).
# - EF Core with Npgsql (npgsql/efcore.pg c715cff1, PostgreSQL licence):
#   src/EFCore.PG/Storage/Internal/NpgsqlTypeMappingSource.cs ClrTypeMappings: string -> text
#   (with a size: character varying(n), fixed: character(n), above 10485760: text), DateTime ->
#   timestamp with time zone (timestamp without time zone under the legacy switch, not
#   followed), DateTimeOffset -> timestamp with time zone, decimal -> numeric, bool -> boolean,
#   Guid -> uuid, byte/short -> smallint, int -> integer, long -> bigint, float -> real, double ->
#   double precision, char -> character(1), DateOnly -> date, TimeOnly -> time without time
#   zone, TimeSpan -> interval, byte[] -> bytea.
_FRAMEWORK_TYPES: dict[str, dict[str, str]] = {
    "rails": {
        "float": "double precision",
        "binary": "bytea",
        "datetime": "timestamp",
        "boolean": "boolean",
        "uuid": "uuid",
        "date": "date",
        "time": "time",
    },
    "knex": {
        "float": "real",
        "double": "double precision",
        "tinyint": "smallint",
        "smallint": "smallint",
        "bigint": "bigint",
        "bigInteger": "bigint",
        "binary": "bytea",
        "boolean": "boolean",
        "uuid": "uuid",
        "enu": "text",
        "enum": "text",
        "datetime": "timestamptz",
        "dateTime": "timestamptz",
        "timestamp": "timestamptz",
        "date": "date",
        "time": "time",
    },
    "laravel": {
        "boolean": "boolean",
        "uuid": "uuid",
        "tinyText": "varchar(255)",
    },
    "sequelize": {
        "STRING": "varchar",
        "CHAR": "char",
        "TEXT": "text",
        "CITEXT": "citext",
        "INTEGER": "integer",
        "BIGINT": "bigint",
        "SMALLINT": "smallint",
        "FLOAT": "double precision",
        "DOUBLE": "double precision",
        "REAL": "real",
        "DECIMAL": "numeric",
        "BOOLEAN": "boolean",
        "DATE": "timestamptz",
        "DATEONLY": "date",
        "TIME": "time",
        "UUID": "uuid",
        "JSON": "json",
        "JSONB": "jsonb",
        "BLOB": "bytea",
    },
    "ecto": {
        "id": "integer",
        "serial": "integer",
        "bigserial": "bigint",
        "identity": "bigint",
        "integer": "integer",
        "bigint": "bigint",
        "smallint": "smallint",
        "float": "double precision",
        "boolean": "boolean",
        "string": "varchar",
        "text": "text",
        "citext": "citext",
        "binary": "bytea",
        "bitstring": "varbit",
        "uuid": "uuid",
        "binary_id": "uuid",
        "map": "jsonb",
        "jsonb": "jsonb",
        "date": "date",
        "time": "time(0)",
        "time_usec": "time",
        "naive_datetime": "timestamp(0)",
        "naive_datetime_usec": "timestamp",
        "utc_datetime": "timestamp(0)",
        "utc_datetime_usec": "timestamp",
        "duration": "interval",
        "decimal": "numeric",
    },
    "efcore": {
        "string": "text",
        "DateTime": "timestamptz",
        "DateTimeOffset": "timestamptz",
        "decimal": "numeric",
        "bool": "boolean",
        "Guid": "uuid",
        "byte": "smallint",
        "short": "smallint",
        "int": "integer",
        "long": "bigint",
        "float": "real",
        "double": "double precision",
        "char": "character(1)",
        "DateOnly": "date",
        "TimeOnly": "time",
        "TimeSpan": "interval",
        "byte[]": "bytea",
    },
}
# A length the framework writes when none is given (Sequelize STRING/CHAR, Ecto :string).
_DEFAULT_LENGTH = {
    ("sequelize", "varchar"): 255,
    ("sequelize", "char"): 255,
    ("ecto", "varchar"): 255,
}
# EF Core's CLR names also come fully qualified or aliased.
_CLR_ALIASES = {
    "String": "string",
    "System.String": "string",
    "Decimal": "decimal",
    "System.Decimal": "decimal",
    "Boolean": "bool",
    "System.Boolean": "bool",
    "Int16": "short",
    "System.Int16": "short",
    "Int32": "int",
    "System.Int32": "int",
    "Int64": "long",
    "System.Int64": "long",
    "Single": "float",
    "System.Single": "float",
    "Double": "double",
    "System.Double": "double",
    "Byte": "byte",
    "System.Byte": "byte",
    "System.DateTime": "DateTime",
    "System.DateTimeOffset": "DateTimeOffset",
    "System.Guid": "Guid",
    "System.DateOnly": "DateOnly",
    "System.TimeOnly": "TimeOnly",
    "System.TimeSpan": "TimeSpan",
    "Char": "char",
    "System.Char": "char",
}
# Npgsql maps a string longer than this to text (NpgsqlTypeMappingSource, "See #342").
_NPGSQL_MAX_VARCHAR = 10485760


def sql_type(
    name: str | None,
    length: int | None = None,
    precision: int | None = None,
    scale: int = 0,
    framework: str = "",
) -> str | None:
    """`string` with limit 100 -> `varchar(100)`; the name itself when the type has no known
    spelling. `framework` picks that framework's own spelling where it differs (see above);
    Sequelize, Ecto and EF Core have whole tables of their own and give None for a name that
    is not in theirs. EF Core names are CLR types (`string`, `DateTime?`, `System.Int32`)."""
    own = _FRAMEWORK_TYPES.get(framework, {})
    if framework == "efcore":
        name = _CLR_ALIASES.get((name or "").rstrip("?"), (name or "").rstrip("?"))
        if name == "string" and length:
            return "text" if length > _NPGSQL_MAX_VARCHAR else f"varchar({length})"
    if framework in ("sequelize", "ecto", "efcore"):
        base = own.get(name or "")  # their own tables are whole: no shared guesses
    else:
        base = own.get(name or "") or _SQL_TYPES.get(name or "")
    if base is None:
        return None if framework in ("sequelize", "ecto", "efcore") else name
    length = length or _DEFAULT_LENGTH.get((framework, base))
    if framework == "sequelize" and name == "FLOAT" and length:
        return "real" if length <= 24 else "double precision"  # PostgreSQL's float(p)
    if base == "integer" and framework == "rails" and length:
        if length <= 2:
            return "smallint"
        return "bigint" if length > 4 else "integer"
    if base == "integer" and length == 8 and not framework:  # Rails `integer, limit: 8`
        return "bigint"
    if base in ("varchar", "char") and length:
        return f"{base}({length})"
    if base == "numeric" and precision:
        return f"numeric({precision},{scale})"
    return base


def type_changes(before: str | None, after: str | None) -> bool:
    """Does restating a column of type `before` as `after` change it in a way that matters
    (a rewrite or a narrowing)? Unknown pairs do."""
    from guardrail.analysis.migrations.postgres import type_change_rewrites

    if before is None or after is None:
        return True
    if before.lower() == after.lower():
        return False
    return type_change_rewrites(before, after) is not False


@dataclass
class Recorder:
    """Collects what a reader understood, in file order, with the file's inline suppressions."""

    source: str
    framework: str
    in_transaction: bool = True
    # Set while reading inside `with_lock_retries` / `safety_assured` (Op.lock_retries/.assured).
    lock_retries: bool = False
    assured: str = ""
    # Set while reading inside a guard that the column is missing (Op.only_without).
    only_without: tuple[str, str] | None = None
    ops: list[Op] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    created: set[str] = field(default_factory=set)
    _lines: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lines = self.source.splitlines()

    def add(
        self,
        node: Node,
        kind: OpKind,
        table: str | None,
        column: str | None = None,
        **facts: Unpack[Facts],
    ) -> None:
        at = line(node)
        facts.setdefault("new_table", bool(table and table in self.created))
        facts.setdefault("in_transaction", self.in_transaction)
        facts.setdefault("lock_retries", self.lock_retries)
        facts.setdefault("assured", self.assured)
        facts.setdefault("only_without", self.only_without)
        ignores = parse_ignores(comments_above(self._lines, at))
        self.ops.append(Op(kind, at, table, column, short(node), tuple(ignores), **facts))

    def define(self, table: str | None, column: ColumnDef) -> None:
        """A column of the table the last CREATE TABLE of `table` in this file creates (the
        columns of a `create_table`/`Schema::create`/`createTable`/`create table`/`CreateTable`
        block, in order): they become that operation's `table_columns`."""
        for i in range(len(self.ops) - 1, -1, -1):
            op = self.ops[i]
            if op.kind == OpKind.CREATE_TABLE and op.table == table and table:
                kept = [c for c in op.table_columns if c.name != column.name]
                self.ops[i] = replace(op, table_columns=(*kept, column))
                return

    @contextmanager
    def missing(self, table: str | None, column: str | None) -> Iterator[None]:
        """What is recorded inside runs only where `table.column` is missing (a `hasColumn` /
        `column_exists?` guard): each operation carries it (Op.only_without). A guard whose
        names are not literals changes nothing."""
        before = self.only_without
        if table and column:
            self.only_without = (table, column)
        try:
            yield
        finally:
            self.only_without = before

    def unknown(self, node: Node, construct: str) -> None:
        """A construct the reader cannot interpret: a GR290 notice naming it and its line."""
        self.ops.append(Op(OpKind.RAW, line(node), text=short(node), why=construct))

    def sql(self, node: Node, sql: str | None, first_row: int | None = None) -> None:
        """SQL embedded in a call, read by the SQL reader. `first_row` is the 0-based file row
        of the SQL's first line (its string's start when not given)."""
        if sql is None or not sql.strip():
            self.unknown(node, f"`{short(node, 40)}` runs SQL built at run time")
            return
        row = node.start_point[0] if first_row is None else first_row
        sub = read_sql(sql, line_offset=row, in_transaction=self.in_transaction)
        if self.lock_retries or self.assured or self.only_without:
            self.ops.extend(
                replace(
                    o,
                    lock_retries=o.lock_retries or self.lock_retries,
                    assured=self.assured,
                    only_without=o.only_without or self.only_without,
                )
                for o in sub.ops
            )
        else:
            self.ops.extend(sub.ops)
        self.notes.extend(sub.notes)

    def reading(self, reversible: bool | None, why: str = "") -> Reading:
        return Reading(
            self.framework,
            tuple(self.ops),
            reversible,
            why,
            tuple(self.notes),
            self.in_transaction,
        )


def unreadable(framework: str, root: Node) -> Reading | None:
    """A Reading that says the file is not valid code, or None when it parsed."""
    at = first_error(root)
    if at is None:
        return None
    return Reading(
        framework, (), None, "", (f"not valid code near line {at}: nothing in it was judged",)
    )
