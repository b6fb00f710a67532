"""Migration DSLs read as text: Rails (ActiveRecord), Laravel, Knex, Sequelize, TypeORM, Ecto,
EF Core and Liquibase (XML, YAML, JSON, formatted SQL).

No Ruby, PHP, JavaScript, Elixir or C# parser is worth its weight here: these files are
generated or written to a narrow, conventional shape. Each file is split into logical
statements (lines joined until brackets balance) and each statement is matched against the
framework's schema methods. What is understood, and what is not, is listed in
docs/migrations.md. SQL embedded in a statement (`execute`, `knex.raw`, `queryRunner.query`,
`migrationBuilder.Sql`, `<sql>`) goes through the real SQL parser.

Every regular expression here is linear: no nested or adjacent unbounded quantifiers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol, Unpack

from guardrail.analysis.migrations.ops import Facts, Op, OpKind, Reading
from guardrail.analysis.migrations.sql import comments_above, parse_ignores, read_sql

_MAX_STATEMENT = 20_000


@dataclass
class Stmt:
    line: int
    text: str
    section: str  # up | down | other


def _strip_line_comment(line: str, markers: tuple[str, ...]) -> str:
    in_quote = ""
    for i, ch in enumerate(line):
        if in_quote:
            if ch == in_quote:
                in_quote = ""
            continue
        if ch in "'\"`":
            in_quote = ch
            continue
        for m in markers:
            if line.startswith(m, i):
                return line[:i]
    return line


def statements(
    source: str,
    *,
    comment: tuple[str, ...],
    up: tuple[str, ...],
    down: tuple[str, ...],
    heredoc: bool = False,
    braces: bool = False,
) -> Iterator[Stmt]:
    """Logical statements with their first line and the section (up/down) they are in.

    Ruby and Elixir (`braces=False`): a statement is a line, joined with the next while
    brackets are open or the line ends with a continuation. JavaScript, PHP and C#
    (`braces=True`): statements also end at `;` and at the braces of a block — a `{` that
    follows `)`, `=>` or a word — while an object literal's braces stay inside the statement.
    """
    lines = source.splitlines()
    section = "other"
    buf: list[str] = []
    start = 0
    depth = 0
    saved: list[int] = []  # paren depth outside each open block
    literal: list[bool] = []  # for each open brace: is it an object literal?
    last = ""  # last non-space character seen

    size = 0  # characters in buf; `has_code` says whether any of them is not blank
    has_code = False

    def emit() -> Iterator[Stmt]:
        nonlocal buf, section, size, has_code
        text = " ".join("".join(buf).split()).strip()
        buf = []
        size = 0
        has_code = False
        if text:
            low = text.lower()
            if any(marker in low for marker in up):
                section = "up"
            elif any(marker in low for marker in down):
                section = "down"
            yield Stmt(start, text, section)

    i = 0
    while i < len(lines):
        code = _strip_line_comment(lines[i], comment)
        if heredoc and "<<" in code:
            idx = code.find("<<")
            tag = (
                code[idx + 2 :]
                .lstrip("~-")
                .strip()
                .strip("'\"")
                .split(")")[0]
                .split(",")[0]
                .strip()
            )
            if tag.isidentifier():
                body: list[str] = []
                j = i + 1
                while j < len(lines) and lines[j].strip() != tag:
                    body.append(lines[j])
                    j += 1
                if not has_code:
                    start = i + 1
                buf.append(code[:idx] + json.dumps("\n".join(body)))
                yield from emit()
                i = j + 1
                continue
        quote = ""
        for ch in code:
            if not has_code and not ch.isspace():
                start = i + 1
                has_code = True
            size += 1
            if quote:
                buf.append(ch)
                if ch == quote:
                    quote = ""
                continue
            if ch in "'\"`":
                quote = ch
                buf.append(ch)
                last = ch
                continue
            if braces and ch == "{":
                if last in "(,:=[?":
                    literal.append(True)
                    depth += 1
                    buf.append(ch)
                else:
                    literal.append(False)
                    yield from emit()
                    saved.append(depth)
                    depth = 0
                last = ch
                continue
            if braces and ch == "}":
                if literal and literal[-1]:
                    literal.pop()
                    depth = max(0, depth - 1)
                    buf.append(ch)
                else:
                    if literal:
                        literal.pop()
                    yield from emit()
                    depth = saved.pop() if saved else 0
                last = ch
                continue
            if braces and ch == ";" and depth == 0:
                yield from emit()
                last = ch
                continue
            if ch in "([":
                depth += 1
            elif ch in ")]" or (not braces and ch == "}"):
                depth = max(0, depth - 1)
            elif not braces and ch == "{":
                depth += 1
            buf.append(ch)
            if not ch.isspace():
                last = ch
        buf.append(" ")
        stripped = code.strip()
        continues = stripped.endswith((",", "\\", "->", ".", "=>", "(", "[", "+", "&&", "||"))
        if depth == 0 and not continues and not braces:
            yield from emit()
        elif size > _MAX_STATEMENT:
            yield from emit()
            depth = 0
        i += 1
    yield from emit()


# -- small readers of arguments (linear regexes) -------------------------------------------------

_SYM_OR_STR = r"(?::(\w+)|['\"]([\w.]+)['\"])"


def _args(text: str) -> list[str]:
    """Symbols and string literals in order: add_column :orders, "coupon" -> [orders, coupon]."""
    return [a or b for a, b in re.findall(_SYM_OR_STR, text)]


def _strings(text: str) -> list[str]:
    return [a or b or c for a, b, c in re.findall(r"'([^'\n]*)'|\"([^\"\n]*)\"|`([^`]*)`", text)]


def _has(text: str, *needles: str) -> bool:
    low = text.lower()
    return any(n in low for n in needles)


def _embedded_sql(text: str, line: int, sink: list[Op], notes: list[str], in_tx: bool) -> None:
    strings = _strings(text)
    sql = max(strings, key=len) if strings else ""
    if not sql.strip():
        sink.append(Op(OpKind.RAW, line, text=text[:90], why="SQL built at run time"))
        return
    sql = sql.replace("\\n", "\n")
    sub = read_sql(sql, line_offset=line - 1, in_transaction=in_tx)
    sink.extend(sub.ops)
    notes.extend(sub.notes)


class _Collector:
    def __init__(self, source: str, framework: str) -> None:
        self.lines = source.splitlines()
        self.framework = framework
        self.ops: list[Op] = []
        self.notes: list[str] = []
        self.created: set[str] = set()
        self.in_tx = True

    def add(
        self,
        stmt: Stmt,
        kind: OpKind,
        table: str | None,
        column: str | None = None,
        **facts: Unpack[Facts],
    ) -> None:
        facts.setdefault("new_table", bool(table and table in self.created))
        facts.setdefault("in_transaction", self.in_tx)
        ignores = parse_ignores(comments_above(self.lines, stmt.line))
        short = " ".join(stmt.text.split())
        self.ops.append(Op(kind, stmt.line, table, column, short[:90], tuple(ignores), **facts))

    def sql(self, stmt: Stmt) -> None:
        _embedded_sql(stmt.text, stmt.line, self.ops, self.notes, self.in_tx)


# -- Rails ----------------------------------------------------------------------------------------


def read_rails(source: str) -> Reading:
    c = _Collector(source, "rails")
    if "disable_ddl_transaction!" in source:
        c.in_tx = False
    has_change = re.search(r"^\s*def change\b", source, re.M) is not None
    has_up = re.search(r"^\s*def up\b", source, re.M) is not None
    has_down = re.search(r"^\s*def down\b", source, re.M) is not None
    irreversible = ""
    for st in statements(
        source, comment=("#",), up=("def change", "def up"), down=("def down",), heredoc=True
    ):
        if st.section == "down":
            if "IrreversibleMigration" in st.text:
                irreversible = "`down` raises `ActiveRecord::IrreversibleMigration`"
            continue
        t = st.text
        head = t.split("(")[0].split(" ")[0]
        a = _args(t)
        if head in ("create_table",) and a:
            c.created.add(a[0])
            if "force: true" in t or "force: :cascade" in t:
                c.add(st, OpKind.DROP_TABLE, a[0])
            c.add(st, OpKind.CREATE_TABLE, a[0])
        elif head == "add_column" and len(a) >= 2:
            c.add(
                st,
                OpKind.ADD_COLUMN,
                a[0],
                a[1],
                not_null=_has(t, "null: false", ":null => false"),
                has_default=_has(t, "default:", ":default =>"),
                volatile_default=_has(t, "default: -> {", "default: ->{"),
            )
        elif head == "add_reference" and len(a) >= 2:
            c.add(
                st,
                OpKind.ADD_COLUMN,
                a[0],
                f"{a[1]}_id",
                not_null=_has(t, "null: false"),
                has_default=False,
            )
            if not _has(t, "index: false"):
                c.add(
                    st, OpKind.CREATE_INDEX, a[0], concurrently=_has(t, "algorithm: :concurrently")
                )
            if _has(t, "foreign_key: true", "foreign_key: {"):
                c.add(st, OpKind.ADD_FOREIGN_KEY, a[0], not_valid=_has(t, "validate: false"))
        elif head == "change_column_null" and len(a) >= 2:
            kind = OpKind.SET_NOT_NULL if re.search(r",\s*false\b", t) else OpKind.DROP_NOT_NULL
            c.add(st, kind, a[0], a[1])
            if kind == OpKind.SET_NOT_NULL and re.search(r",\s*false\s*,", t):
                c.add(st, OpKind.BACKFILL, a[0], a[1], batched=False)
        elif head in ("remove_column", "remove_columns") and len(a) >= 2:
            for col in a[1:] if head == "remove_columns" else a[1:2]:
                c.add(st, OpKind.DROP_COLUMN, a[0], col)
            if has_change and head == "remove_column" and len(a) < 3:
                irreversible = irreversible or "`remove_column` in `change` has no column type"
        elif head == "remove_reference" and len(a) >= 2:
            c.add(st, OpKind.DROP_COLUMN, a[0], f"{a[1]}_id")
        elif head in ("drop_table",) and a:
            c.add(st, OpKind.DROP_TABLE, a[0])
            if has_change and " do " not in f" {t} " and "{" not in t:
                irreversible = irreversible or "`drop_table` in `change` has no block"
        elif head == "rename_column" and len(a) >= 3:
            c.add(st, OpKind.RENAME_COLUMN, a[0], a[1], new_name=a[2])
        elif head == "rename_table" and len(a) >= 2:
            c.add(st, OpKind.RENAME_TABLE, a[0], new_name=a[1])
        elif head == "change_column" and len(a) >= 2:
            c.add(st, OpKind.ALTER_TYPE, a[0], a[1], narrowing=True)
            if has_change:
                irreversible = irreversible or "`change_column` in `change` cannot be reversed"
        elif head == "add_index" and a:
            c.add(
                st,
                OpKind.CREATE_INDEX,
                a[0],
                concurrently=_has(t, "algorithm: :concurrently"),
                unique=_has(t, "unique: true"),
            )
        elif head == "remove_index" and a:
            c.add(st, OpKind.DROP_INDEX, a[0], concurrently=_has(t, "algorithm: :concurrently"))
        elif head == "add_foreign_key" and a:
            c.add(st, OpKind.ADD_FOREIGN_KEY, a[0], not_valid=_has(t, "validate: false"))
        elif head == "add_check_constraint" and a:
            c.add(st, OpKind.ADD_CHECK, a[0], not_valid=_has(t, "validate: false"))
        elif head == "execute":
            c.sql(st)
            if has_change and "reversible" not in source:
                irreversible = irreversible or "`execute` in `change` cannot be reversed"
        elif _has(t, "update_all", "find_each", "in_batches", ".update!("):
            c.add(st, OpKind.BACKFILL, None, batched=_has(t, "in_batches", "find_each"))
    if has_up and not has_down and not has_change:
        irreversible = irreversible or "`def up` has no `def down`"
    reversible = not irreversible
    return Reading("rails", tuple(c.ops), reversible, irreversible, tuple(c.notes), c.in_tx)


# -- Laravel --------------------------------------------------------------------------------------

_LARAVEL_TYPES = frozenset(
    [
        "bigIncrements",
        "bigInteger",
        "binary",
        "boolean",
        "char",
        "date",
        "dateTime",
        "dateTimeTz",
        "decimal",
        "double",
        "enum",
        "float",
        "foreignId",
        "foreignIdFor",
        "foreignUlid",
        "foreignUuid",
        "geometry",
        "increments",
        "integer",
        "ipAddress",
        "json",
        "jsonb",
        "longText",
        "macAddress",
        "mediumInteger",
        "mediumText",
        "morphs",
        "nullableMorphs",
        "set",
        "smallInteger",
        "string",
        "text",
        "time",
        "timeTz",
        "timestamp",
        "timestampTz",
        "tinyInteger",
        "tinyText",
        "unsignedBigInteger",
        "unsignedInteger",
        "unsignedSmallInteger",
        "ulid",
        "uuid",
        "year",
    ]
)


def _down_is_empty(source: str, marker: str) -> bool:
    idx = source.find(marker)
    if idx < 0:
        return True
    open_ = source.find("{", idx)
    if open_ < 0:
        return True
    depth = 0
    for j in range(open_, len(source)):
        ch = source[j]
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                body = source[open_ + 1 : j]
                code = [
                    ln
                    for ln in body.splitlines()
                    if ln.strip() and not ln.strip().startswith(("//", "#", "*", "/*"))
                ]
                return not code
    return True


def read_laravel(source: str) -> Reading:
    c = _Collector(source, "laravel")
    table: str | None = None
    creating = False
    for st in statements(
        source, comment=("//", "#"), up=("function up",), down=("function down",), braces=True
    ):
        if st.section != "up":
            continue
        t = st.text
        if "Schema::create(" in t or "Schema::table(" in t:
            names = _strings(t)
            table = names[0] if names else None
            creating = "Schema::create(" in t
            if creating and table:
                c.created.add(table)
                c.add(st, OpKind.CREATE_TABLE, table)
        if "Schema::drop" in t:
            for name in _strings(t)[:1]:
                c.add(st, OpKind.DROP_TABLE, name)
            continue
        if "Schema::rename(" in t:
            names = _strings(t)
            if names:
                c.add(
                    st, OpKind.RENAME_TABLE, names[0], new_name=names[1] if len(names) > 1 else None
                )
            continue
        if "DB::statement(" in t or "DB::unprepared(" in t:
            c.sql(st)
            continue
        if "$table->" not in t or creating:
            continue
        m = re.search(r"\$table->(\w+)\(", t)
        if not m:
            continue
        method = m.group(1)
        args = _strings(t)
        col = args[0] if args else None
        if method in _LARAVEL_TYPES:
            if "->change()" in t:
                c.add(st, OpKind.ALTER_TYPE, table, col, narrowing=True)
                if "->nullable()" not in t:
                    c.add(st, OpKind.SET_NOT_NULL, table, col, maybe=True)
            else:
                c.add(
                    st,
                    OpKind.ADD_COLUMN,
                    table,
                    col,
                    not_null="->nullable(" not in t,
                    has_default="->default(" in t or "->useCurrent(" in t,
                )
                if "->constrained(" in t or "->references(" in t:
                    c.add(st, OpKind.ADD_FOREIGN_KEY, table, col, not_valid=False)
        elif method in ("dropColumn", "dropColumns", "removeColumn"):
            for name in args or [None]:  # type: ignore[list-item]
                c.add(st, OpKind.DROP_COLUMN, table, name)
        elif method == "renameColumn":
            c.add(st, OpKind.RENAME_COLUMN, table, col, new_name=args[1] if len(args) > 1 else None)
        elif method in ("index", "fullText", "spatialIndex"):
            c.add(st, OpKind.CREATE_INDEX, table, concurrently=False)
        elif method == "unique":
            c.add(st, OpKind.ADD_UNIQUE, table, using_index=False)
        elif method == "foreign":
            c.add(st, OpKind.ADD_FOREIGN_KEY, table, col, not_valid=False)
        elif method in ("dropIndex", "dropUnique"):
            c.add(st, OpKind.DROP_INDEX, table, concurrently=False)
    reversible = not _down_is_empty(source, "function down")
    why = "" if reversible else "`down()` is empty or missing"
    return Reading("laravel", tuple(c.ops), reversible, why, tuple(c.notes), True)


# -- Knex, Sequelize, TypeORM (JavaScript / TypeScript) ------------------------------------------

_KNEX_TYPES = frozenset(
    [
        "increments",
        "integer",
        "bigInteger",
        "bigIncrements",
        "text",
        "string",
        "float",
        "double",
        "decimal",
        "boolean",
        "date",
        "datetime",
        "time",
        "timestamp",
        "timestamps",
        "binary",
        "enu",
        "enum",
        "json",
        "jsonb",
        "uuid",
        "specificType",
        "tinyint",
        "smallint",
        "mediumint",
        "bigint",
    ]
)


def _js_down_empty(source: str) -> bool:
    for marker in ("exports.down", "async down(", "down(", "function down", "down:", "down ="):
        idx = source.find(marker)
        if idx >= 0:
            return _down_is_empty(source, marker)
    return True


def read_js(source: str, framework: str) -> Reading:
    c = _Collector(source, framework)
    table: str | None = None
    creating = False
    for st in statements(
        source,
        comment=("//",),
        up=("exports.up", "async up(", "up(", "function up", "up:"),
        down=("exports.down", "async down(", "down(", "function down", "down:"),
        braces=True,
    ):
        if st.section == "down":
            continue
        t = st.text
        s = _strings(t)
        # Raw SQL: knex.raw, queryRunner.query, sequelize.query
        if re.search(r"\.(raw|query)\(", t) and s:
            c.sql(st)
            continue
        if re.search(r"\.(createTable|createTableIfNotExists)\(", t) and s:
            table, creating = s[0], True
            c.created.add(table)
            c.add(st, OpKind.CREATE_TABLE, table)
            continue
        if re.search(r"\.(alterTable|table)\(", t) and s and "schema" in t:
            table, creating = s[0], False
            continue
        if re.search(r"\.(dropTable|dropTableIfExists)\(", t) and s:
            c.add(st, OpKind.DROP_TABLE, s[0])
            continue
        if re.search(r"\.renameTable\(", t) and s:
            c.add(st, OpKind.RENAME_TABLE, s[0], new_name=s[1] if len(s) > 1 else None)
            continue
        # Sequelize queryInterface.* (table is the first argument)
        m = re.search(r"queryInterface\.(\w+)\(", t) or re.search(r"queryRunner\.(\w+)\(", t)
        if m:
            method = m.group(1)
            tbl = s[0] if s else None
            col = s[1] if len(s) > 1 else None
            if method == "addColumn":
                c.add(
                    st,
                    OpKind.ADD_COLUMN,
                    tbl,
                    col,
                    not_null=_has(t, "allownull: false", "isnullable: false"),
                    has_default=_has(t, "defaultvalue", "default:"),
                )
            elif method in ("removeColumn", "dropColumn"):
                c.add(st, OpKind.DROP_COLUMN, tbl, col)
            elif method == "renameColumn":
                c.add(st, OpKind.RENAME_COLUMN, tbl, col, new_name=s[2] if len(s) > 2 else None)
            elif method == "changeColumn":
                c.add(st, OpKind.ALTER_TYPE, tbl, col, narrowing=True)
                if _has(t, "allownull: false", "isnullable: false"):
                    c.add(st, OpKind.SET_NOT_NULL, tbl, col)
            elif method == "addIndex" or method == "createIndex":
                c.add(st, OpKind.CREATE_INDEX, tbl, concurrently=_has(t, "concurrently: true"))
            elif method in ("removeIndex", "dropIndex"):
                c.add(st, OpKind.DROP_INDEX, tbl, concurrently=_has(t, "concurrently: true"))
            elif method in ("addConstraint", "createForeignKey"):
                if _has(t, "foreign key", "foreignkey", "createforeignkey"):
                    c.add(st, OpKind.ADD_FOREIGN_KEY, tbl, not_valid=False)
                elif _has(t, "'unique'", '"unique"'):
                    c.add(st, OpKind.ADD_UNIQUE, tbl, using_index=False)
                elif _has(t, "'check'", '"check"'):
                    c.add(st, OpKind.ADD_CHECK, tbl, not_valid=False)
            elif method == "bulkUpdate":
                c.add(st, OpKind.BACKFILL, tbl)
            continue
        # Knex column builder inside table callbacks: t.string('x').notNullable()
        m = re.search(r"\b\w+\.(\w+)\(", t)
        if m and table and not creating:
            method = m.group(1)
            col = s[0] if s else None
            if method in _KNEX_TYPES:
                if ".alter(" in t:
                    c.add(st, OpKind.ALTER_TYPE, table, col, narrowing=True)
                    if ".notNullable(" in t:
                        c.add(st, OpKind.SET_NOT_NULL, table, col)
                else:
                    c.add(
                        st,
                        OpKind.ADD_COLUMN,
                        table,
                        col,
                        not_null=".notNullable(" in t,
                        has_default=".defaultTo(" in t,
                    )
                    if ".references(" in t:
                        c.add(st, OpKind.ADD_FOREIGN_KEY, table, col, not_valid=False)
            elif method in ("dropColumn", "dropColumns"):
                for name in s or [None]:  # type: ignore[list-item]
                    c.add(st, OpKind.DROP_COLUMN, table, name)
            elif method == "renameColumn":
                c.add(st, OpKind.RENAME_COLUMN, table, col, new_name=s[1] if len(s) > 1 else None)
            elif method == "index":
                c.add(st, OpKind.CREATE_INDEX, table, concurrently=False)
            elif method == "unique":
                c.add(st, OpKind.ADD_UNIQUE, table, using_index=False)
            elif method == "foreign":
                c.add(st, OpKind.ADD_FOREIGN_KEY, table, col, not_valid=False)
            elif method == "setNullable":
                c.add(st, OpKind.DROP_NOT_NULL, table, col)
            elif method == "dropNullable":
                c.add(st, OpKind.SET_NOT_NULL, table, col)
    reversible = not _js_down_empty(source)
    why = "" if reversible else "`down` is empty or missing"
    return Reading(framework, tuple(c.ops), reversible, why, tuple(c.notes), True)


# -- Ecto -----------------------------------------------------------------------------------------


def read_ecto(source: str) -> Reading:
    c = _Collector(source, "ecto")
    if re.search(r"@disable_ddl_transaction\s+true", source):
        c.in_tx = False
    has_change = re.search(r"^\s*def change\b", source, re.M) is not None
    has_up = re.search(r"^\s*def up\b", source, re.M) is not None
    has_down = re.search(r"^\s*def down\b", source, re.M) is not None
    irreversible = ""
    table: str | None = None
    creating = False
    for st in statements(
        source, comment=("#",), up=("def change", "def up"), down=("def down",), heredoc=True
    ):
        if st.section == "down":
            continue
        t = st.text
        a = _args(t)
        m = re.match(
            r"(alter|create|create_if_not_exists|drop|drop_if_exists|rename|remove|add|modify|execute)\b",
            t,
        )
        head = m.group(1) if m else ""
        if head in ("alter", "create", "create_if_not_exists") and "table(" in t:
            table = a[0] if a else None
            creating = head != "alter"
            if creating and table:
                c.created.add(table)
                c.add(st, OpKind.CREATE_TABLE, table)
        elif head in ("create", "create_if_not_exists") and ("index(" in t):
            c.add(
                st,
                OpKind.CREATE_INDEX,
                a[0] if a else None,
                concurrently=_has(t, "concurrently: true"),
                unique="unique_index(" in t,
            )
        elif head in ("drop", "drop_if_exists") and "index(" in t:
            c.add(
                st,
                OpKind.DROP_INDEX,
                a[0] if a else None,
                concurrently=_has(t, "concurrently: true"),
            )
        elif head in ("drop", "drop_if_exists") and "table(" in t:
            c.add(st, OpKind.DROP_TABLE, a[0] if a else None)
        elif head == "rename" and " to: table(" in t:
            c.add(
                st, OpKind.RENAME_TABLE, a[0] if a else None, new_name=a[1] if len(a) > 1 else None
            )
        elif head == "rename" and "table(" in t:
            c.add(
                st,
                OpKind.RENAME_COLUMN,
                a[0] if a else None,
                a[1] if len(a) > 1 else None,
                new_name=a[2] if len(a) > 2 else None,
            )
        elif head == "add" and table and not creating:
            c.add(
                st,
                OpKind.ADD_COLUMN,
                table,
                a[0] if a else None,
                not_null=_has(t, "null: false"),
                has_default=_has(t, "default:"),
            )
            if "references(" in t:
                c.add(
                    st,
                    OpKind.ADD_FOREIGN_KEY,
                    table,
                    a[0] if a else None,
                    not_valid=_has(t, "validate: false"),
                )
        elif head == "remove" and table and not creating:
            c.add(st, OpKind.DROP_COLUMN, table, a[0] if a else None)
            if has_change and len(a) < 2:
                irreversible = irreversible or "`remove` in `change` has no column type"
        elif head == "modify" and table and not creating:
            c.add(st, OpKind.ALTER_TYPE, table, a[0] if a else None, narrowing=True)
            if _has(t, "null: false"):
                c.add(st, OpKind.SET_NOT_NULL, table, a[0] if a else None)
        elif head == "execute":
            c.sql(st)
            if has_change and len(_strings(t)) < 2:
                irreversible = irreversible or "`execute/1` in `change` cannot be reversed"
        elif t.strip() == "end":
            table, creating = None, False
    if has_up and not has_down:
        irreversible = irreversible or "`def up` has no `def down`"
    return Reading("ecto", tuple(c.ops), not irreversible, irreversible, tuple(c.notes), c.in_tx)


# -- EF Core --------------------------------------------------------------------------------------


def _named(text: str, name: str) -> str | None:
    m = re.search(rf"\b{name}:\s*\"([^\"\n]*)\"", text)
    return m.group(1) if m else None


def read_efcore(source: str) -> Reading:
    c = _Collector(source, "efcore")
    for st in statements(
        source, comment=("//",), up=("void up(",), down=("void down(",), braces=True
    ):
        if st.section != "up":
            continue
        t = st.text
        m = re.search(r"migrationBuilder\.(\w+)", t)
        if not m:
            continue
        method = m.group(1)
        table = _named(t, "table")
        col = _named(t, "name")
        if method == "CreateTable":
            c.created.add(col or "")
            c.add(st, OpKind.CREATE_TABLE, col)
        elif method == "AddColumn":
            c.add(
                st,
                OpKind.ADD_COLUMN,
                table,
                col,
                not_null=_has(t, "nullable: false"),
                has_default=_has(t, "defaultvalue:", "defaultvaluesql:"),
            )
        elif method == "DropColumn":
            c.add(st, OpKind.DROP_COLUMN, table, col)
        elif method == "RenameColumn":
            c.add(st, OpKind.RENAME_COLUMN, table, col, new_name=_named(t, "newName"))
        elif method == "DropTable":
            c.add(st, OpKind.DROP_TABLE, col)
        elif method == "RenameTable":
            c.add(st, OpKind.RENAME_TABLE, col, new_name=_named(t, "newName"))
        elif method == "AlterColumn":
            if _has(t, "nullable: false") and _has(t, "oldnullable: true"):
                c.add(st, OpKind.SET_NOT_NULL, table, col)
            old_type, new_type = _named(t, "oldType"), _named(t, "type")
            if old_type and new_type and old_type != new_type:
                c.add(st, OpKind.ALTER_TYPE, table, col, narrowing=True)
        elif method == "CreateIndex":
            c.add(
                st, OpKind.CREATE_INDEX, table, concurrently=False, unique=_has(t, "unique: true")
            )
        elif method == "DropIndex":
            c.add(st, OpKind.DROP_INDEX, table, concurrently=False)
        elif method == "AddForeignKey":
            c.add(st, OpKind.ADD_FOREIGN_KEY, table, not_valid=False)
        elif method == "AddUniqueConstraint":
            c.add(st, OpKind.ADD_UNIQUE, table, using_index=False)
        elif method == "AddCheckConstraint":
            c.add(st, OpKind.ADD_CHECK, table, not_valid=False)
        elif method == "Sql":
            c.sql(st)
    reversible = not _down_is_empty(source, "void Down(")
    return Reading(
        "efcore",
        tuple(c.ops),
        reversible,
        "" if reversible else "`Down()` is empty",
        tuple(c.notes),
        True,
    )


# -- Liquibase ------------------------------------------------------------------------------------

_LB_ATTRS = {
    "addColumn": "tableName",
    "dropColumn": "tableName",
    "renameColumn": "tableName",
    "dropTable": "tableName",
    "renameTable": "oldTableName",
    "modifyDataType": "tableName",
    "addNotNullConstraint": "tableName",
    "dropNotNullConstraint": "tableName",
    "createIndex": "tableName",
    "dropIndex": "tableName",
    "addForeignKeyConstraint": "baseTableName",
    "addUniqueConstraint": "tableName",
    "createTable": "tableName",
    "update": "tableName",
    "delete": "tableName",
}


class _Sink(Protocol):
    def __call__(
        self,
        kind: OpKind,
        table: str | None,
        line: int,
        column: object = None,
        **facts: Unpack[Facts],
    ) -> None: ...


def _opt_str(value: object) -> str | None:
    return str(value) if value is not None else None


def _lb_change(kind: str, attrs: dict[str, object], line: int, sink: _Sink) -> None:
    table = attrs.get(_LB_ATTRS.get(kind, "tableName"))
    table = str(table) if table is not None else None
    if kind == "createTable":
        sink(OpKind.CREATE_TABLE, table, line)
    elif kind == "addColumn":
        columns = attrs.get("columns") or []
        for raw in columns if isinstance(columns, list) else []:
            col = raw.get("column", raw) if isinstance(raw, dict) else {}
            cons = col.get("constraints") or {}
            not_null = (
                str(cons.get("nullable", "true")).lower() == "false"
                or str(cons.get("primaryKey", "false")).lower() == "true"
            )
            has_default = any(k.startswith("defaultValue") for k in col)
            sink(
                OpKind.ADD_COLUMN,
                table,
                line,
                column=col.get("name"),
                not_null=not_null,
                has_default=has_default,
            )
    elif kind == "dropColumn":
        sink(OpKind.DROP_COLUMN, table, line, column=attrs.get("columnName"))
    elif kind == "renameColumn":
        sink(
            OpKind.RENAME_COLUMN,
            table,
            line,
            column=attrs.get("oldColumnName"),
            new_name=_opt_str(attrs.get("newColumnName")),
        )
    elif kind == "dropTable":
        sink(OpKind.DROP_TABLE, table, line)
    elif kind == "renameTable":
        sink(OpKind.RENAME_TABLE, table, line, new_name=_opt_str(attrs.get("newTableName")))
    elif kind == "modifyDataType":
        sink(OpKind.ALTER_TYPE, table, line, column=attrs.get("columnName"), narrowing=True)
    elif kind == "addNotNullConstraint":
        sink(OpKind.SET_NOT_NULL, table, line, column=attrs.get("columnName"))
        if attrs.get("defaultNullValue") is not None:
            sink(OpKind.BACKFILL, table, line, batched=False)
    elif kind == "dropNotNullConstraint":
        sink(OpKind.DROP_NOT_NULL, table, line, column=attrs.get("columnName"))
    elif kind == "createIndex":
        sink(
            OpKind.CREATE_INDEX,
            table,
            line,
            concurrently=False,
            unique=str(attrs.get("unique", "")).lower() == "true",
        )
    elif kind == "dropIndex":
        sink(OpKind.DROP_INDEX, table, line, concurrently=False)
    elif kind == "addForeignKeyConstraint":
        sink(
            OpKind.ADD_FOREIGN_KEY,
            table,
            line,
            not_valid=str(attrs.get("validate", "true")).lower() == "false",
        )
    elif kind == "addUniqueConstraint":
        sink(OpKind.ADD_UNIQUE, table, line, using_index=False)
    elif kind == "update":
        sink(OpKind.BACKFILL, table, line, batched=False)
    elif kind == "delete":
        sink(OpKind.DELETE_ROWS, table, line)


def read_liquibase(source: str, path: str) -> Reading:
    c = _Collector(source, "liquibase")
    lines = source.splitlines()

    def line_of(token: str, after: int = 0) -> int:
        for i in range(after, len(lines)):
            if token in lines[i]:
                return i + 1
        return after + 1 if after < len(lines) else 1

    def sink(
        kind: OpKind, table: str | None, line: int, column: object = None, **facts: Unpack[Facts]
    ) -> None:
        st = Stmt(line, lines[line - 1] if 0 < line <= len(lines) else kind, "up")
        c.add(st, kind, table, str(column) if column is not None else None, **facts)

    reversible = True
    why = ""
    low = path.lower()
    if source.lstrip().lower().startswith("--liquibase formatted sql"):
        # --changeset author:id … SQL … --rollback …
        current: list[str] = []
        start = 1
        has_rollback = False
        sets = 0

        def flush() -> None:
            nonlocal reversible, why
            if current and any(ln.strip() for ln in current):
                sub = read_sql("\n".join(current), line_offset=start - 1)
                c.ops.extend(sub.ops)
                c.notes.extend(sub.notes)
                if not has_rollback:
                    reversible, why = False, "a changeset has no `--rollback`"

        for i, ln in enumerate(lines, 1):
            s = ln.strip().lower()
            if s.startswith("--changeset"):
                flush()
                current, start, has_rollback = [], i + 1, False
                sets += 1
            elif s.startswith("--rollback"):
                has_rollback = True
            elif sets:
                current.append(ln)
        flush()
        return Reading("liquibase", tuple(c.ops), reversible, why, tuple(c.notes), True)
    changesets: list[dict[str, object]] = []
    if low.endswith(".xml"):
        import xml.etree.ElementTree as ET

        try:
            root = ET.fromstring(source)
        except ET.ParseError as exc:
            return Reading("liquibase", (), None, "", (f"not understood: {exc}",), True)
        cursor = 0
        for cs in root.iter():
            if not cs.tag.endswith("changeSet"):
                continue
            entry: dict[str, object] = {"changes": [], "rollback": False}
            for child in cs:
                tag = child.tag.split("}")[-1]
                if tag == "rollback":
                    entry["rollback"] = True
                    continue
                attrs: dict[str, object] = dict(child.attrib)
                attrs["columns"] = [
                    {
                        **col.attrib,
                        "constraints": next(
                            (dict(k.attrib) for k in col if k.tag.split("}")[-1] == "constraints"),
                            {},
                        ),
                    }
                    for col in child
                    if col.tag.split("}")[-1] == "column"
                ]
                if tag in ("sql", "createProcedure"):
                    attrs["sql"] = child.text or ""
                cursor = line_of(f"<{tag}", cursor) if lines else 1
                changes = entry["changes"]
                assert isinstance(changes, list)
                changes.append((tag, attrs, cursor))
            changesets.append(entry)
    else:
        import yaml

        try:
            doc = yaml.safe_load(source) if low.endswith((".yaml", ".yml")) else json.loads(source)
        except (yaml.YAMLError, ValueError) as exc:
            return Reading("liquibase", (), None, "", (f"not understood: {exc}",), True)
        items = (doc or {}).get("databaseChangeLog", []) if isinstance(doc, dict) else []
        cursor = 0
        for item in items or []:
            changeset = item.get("changeSet") if isinstance(item, dict) else None
            if not isinstance(changeset, dict):
                continue
            cs_doc: dict[str, object] = changeset
            entry = {"changes": [], "rollback": "rollback" in cs_doc}
            raw_changes = cs_doc.get("changes") or []
            for change in raw_changes if isinstance(raw_changes, list) else []:
                if not isinstance(change, dict):
                    continue
                for tag, attrs in change.items():
                    cursor = line_of(f"{tag}:", cursor)
                    attrs = dict(attrs) if isinstance(attrs, dict) else {}
                    changes = entry["changes"]
                    assert isinstance(changes, list)
                    changes.append((tag, attrs, cursor))
            changesets.append(entry)
    for entry in changesets:
        changes = entry["changes"]
        assert isinstance(changes, list)
        for tag, attrs, line in changes:
            if tag == "sql":
                sub = read_sql(str(attrs.get("sql") or attrs.get("sql", "")), line_offset=line)
                c.ops.extend(sub.ops)
                c.notes.extend(sub.notes)
                if not entry["rollback"]:
                    reversible, why = False, "an `<sql>` change has no `<rollback>`"
            else:
                _lb_change(tag, attrs, line, sink)
    return Reading("liquibase", tuple(c.ops), reversible, why, tuple(c.notes), True)
