"""Liquibase changelogs: XML, YAML, JSON and formatted SQL.

The structured formats are read with their own parsers (ElementTree, PyYAML, json); SQL in
`<sql>` changes and formatted-SQL changesets goes through the SQL reader.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Protocol, Unpack

from guardrail.analysis.migrations.ops import Facts, Op, OpKind, Reading
from guardrail.analysis.migrations.sql import comments_above, parse_ignores, read_sql


@dataclass
class Stmt:
    line: int
    text: str
    section: str  # up | down | other


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


def _lb_change(kind: str, attrs: dict[str, object], line: int, sink: _Sink) -> None:  # noqa: C901, PLR0912 — one branch per Liquibase change type
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


def read(source: str, path: str) -> Reading:
    """Both Liquibase formats: formatted SQL, and XML/YAML/JSON changeSets (changesets())."""
    if formatted_sql(source):
        return _read_formatted(source)
    c = _Collector(source, "liquibase")
    lines = source.splitlines()

    def sink(
        kind: OpKind, table: str | None, line: int, column: object = None, **facts: Unpack[Facts]
    ) -> None:
        st = Stmt(line, lines[line - 1] if 0 < line <= len(lines) else kind, "up")
        c.add(st, kind, table, str(column) if column is not None else None, **facts)

    try:
        found = changesets(source, path)
    except NotUnderstood as exc:
        return Reading("liquibase", (), None, "", (f"not understood: {exc}",), True)
    reversible = True
    why = ""
    for cs in found:
        if not runs_on_postgresql(cs.attrs.get("dbms", "")):
            continue  # Liquibase skips it on PostgreSQL (`dbms="mysql"`), as --trace does
        for change in cs.changes:
            if not runs_on_postgresql(str(change.attrs.get("dbms") or "")):
                continue  # `<sql dbms="oracle">`: the same
            if change.kind == "sql":
                sub = read_sql(
                    change.text,
                    line_offset=change.text_line - 1,
                    in_transaction=in_transaction(cs),
                )
                c.ops.extend(sub.ops)
                c.notes.extend(sub.notes)
                if not cs.rollback:
                    reversible, why = False, "an `<sql>` change has no `<rollback>`"
            else:
                _lb_change(change.kind, change.attrs, change.line, sink)
    return Reading("liquibase", tuple(c.ops), reversible, why, tuple(c.notes), True)


def _read_formatted(source: str) -> Reading:
    """--changeset author:id … SQL … --rollback …"""
    c = _Collector(source, "liquibase")
    reversible = True
    why = ""
    current: list[str] = []
    start = 1
    has_rollback = False
    sets = 0
    skipping = False

    def flush() -> None:
        nonlocal reversible, why
        if current and any(ln.strip() for ln in current):
            sub = read_sql("\n".join(current), line_offset=start - 1)
            c.ops.extend(sub.ops)
            c.notes.extend(sub.notes)
            if not has_rollback:
                reversible, why = False, "a changeset has no `--rollback`"

    for i, ln in enumerate(source.splitlines(), 1):
        s = ln.strip().lower()
        if s.startswith("--changeset"):
            flush()
            current, start, has_rollback = [], i + 1, False
            sets += 1
            # `--changeset author:id dbms:mysql`: Liquibase skips it on PostgreSQL.
            skipping = not runs_on_postgresql(_formatted_dbms(s))
        elif s.startswith("--rollback"):
            has_rollback = True
        elif sets and not skipping:
            current.append(ln)
    flush()
    return Reading("liquibase", tuple(c.ops), reversible, why, tuple(c.notes), True)


def _formatted_dbms(changeset_line: str) -> str:
    """The `dbms:` attribute of a formatted SQL `--changeset` line ("" when it has none)."""
    for word in changeset_line.split():
        if word.startswith("dbms:"):
            return word.removeprefix("dbms:")
    return ""


# -- the changeSets of an XML/YAML/JSON changelog -------------------------------------------------


class NotUnderstood(ValueError):
    """A changelog its own format's parser refuses (the parser's message)."""


@dataclass(frozen=True)
class Change:
    """One change of a changeSet, as written: `sql`, `sqlFile`, `addColumn`, …"""

    kind: str
    attrs: dict[str, object]
    line: int  # the change's line in the changelog
    text: str = ""  # the SQL of a `sql`/`createProcedure` change, its lines kept
    text_line: int = 0  # the changelog line the text starts on
    # JSON: the text is one string on one line, its newlines are not the file's.
    one_line: bool = False


@dataclass(frozen=True)
class ChangeSet:
    id: str
    author: str
    line: int
    attrs: dict[str, str]  # runInTransaction, dbms, failOnError, …
    changes: tuple[Change, ...]
    rollback: bool = False
    # The onFail of its <preConditions> ("HALT", Liquibase's default, when it has one without),
    # or "" when it has none.
    pre_on_fail: str = ""
    modify_sql: tuple[str, ...] = ()  # the dbms of each <modifySql> ("" for every database)


# Children of a changeSet that are not changes.
_NOT_CHANGES = frozenset({"comment", "validCheckSum", "preConditions", "rollback", "modifySql"})


@dataclass
class _El:
    """An XML element with the lines it was written on (ElementTree keeps none)."""

    tag: str
    attrs: dict[str, str]
    line: int
    kids: list[_El] = field(default_factory=list)
    text: str = ""  # its own character data (not its children's), lines kept
    text_line: int = 0

    def add_text(self, chunk: str, line: int) -> None:
        if not self.text_line:
            self.text_line = line
        end = self.text_line + self.text.count("\n")
        self.text += "\n" * max(0, line - end) + chunk


def _xml(source: str) -> _El:
    """The document's elements with their lines, read with expat (Python's XML parser, which
    ElementTree uses too): no DTD or external entity is loaded, and expat's own limits refuse
    entity expansion attacks."""
    import xml.parsers.expat

    parser = xml.parsers.expat.ParserCreate(namespace_separator="}")
    parser.buffer_text = False  # each chunk's line is known when it arrives
    root = _El("", {}, 0)
    stack = [root]

    def start(tag: str, attrs: dict[str, str]) -> None:
        el = _El(tag.rsplit("}", 1)[-1], attrs, parser.CurrentLineNumber)
        stack[-1].kids.append(el)
        stack.append(el)

    def end(_tag: str) -> None:
        stack.pop()

    def data(chunk: str) -> None:
        stack[-1].add_text(chunk, parser.CurrentLineNumber)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = data
    try:
        parser.Parse(source.encode("utf-8"), True)
    except xml.parsers.expat.ExpatError as exc:
        raise NotUnderstood(str(exc)) from exc
    return root


def _xml_change(el: _El) -> Change:
    attrs: dict[str, object] = dict(el.attrs)
    attrs["columns"] = [
        {
            **col.attrs,
            "constraints": next((dict(k.attrs) for k in col.kids if k.tag == "constraints"), {}),
        }
        for col in el.kids
        if col.tag == "column"
    ]
    if el.tag in ("sql", "createProcedure"):
        attrs["sql"] = el.text
        return Change(el.tag, attrs, el.line, el.text, el.text_line or el.line)
    return Change(el.tag, attrs, el.line)


def _xml_changesets(source: str) -> list[ChangeSet]:
    out: list[ChangeSet] = []
    stack = [_xml(source)]
    while stack:
        el = stack.pop()
        if el.tag != "changeSet":
            stack.extend(reversed(el.kids))
            continue
        pre = next((k for k in el.kids if k.tag == "preConditions"), None)
        out.append(
            ChangeSet(
                el.attrs.get("id", ""),
                el.attrs.get("author", ""),
                el.line,
                dict(el.attrs),
                tuple(_xml_change(k) for k in el.kids if k.tag not in _NOT_CHANGES),
                rollback=any(k.tag == "rollback" for k in el.kids),
                pre_on_fail=(pre.attrs.get("onFail") or "HALT") if pre is not None else "",
                modify_sql=tuple(k.attrs.get("dbms", "") for k in el.kids if k.tag == "modifySql"),
            )
        )
    return out


def _yaml_child(node: object, key: str) -> object:
    """The value node of `key` in a composed YAML mapping node, or None."""
    import yaml

    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                return v
    return None


def _yaml_text_line(node: object, fallback: int) -> int:
    """The line a YAML scalar's text starts on: the line after a `|`/`>` block's indicator."""
    import yaml

    if not isinstance(node, yaml.ScalarNode):
        return fallback
    line = node.start_mark.line + 1
    return line + 1 if node.style in ("|", ">") else line


def _on_fail(pre: object) -> str:
    """The onFail of a YAML/JSON changeSet's preConditions (a list of one-key maps, the onFail
    among them), HALT when none says."""
    entries = pre if isinstance(pre, list) else [pre]
    for entry in entries:
        if isinstance(entry, dict) and entry.get("onFail"):
            return str(entry["onFail"])
    return "HALT"


def _modify_sql(mods: object) -> tuple[str, ...]:
    """The dbms of each modifySql of a YAML/JSON changeSet ("" for every database)."""
    listed = mods if isinstance(mods, list) else [mods]
    return tuple(str(m.get("dbms", "")) for m in listed if isinstance(m, dict))


def _structured_changesets(source: str, path: str) -> list[ChangeSet]:
    """The changeSets of a YAML or JSON changelog. YAML's lines come from the composed document
    (PyYAML's marks); JSON has none, so a change's line is where its key is next written, and
    its SQL (one JSON string) is taken to be on that line."""
    import yaml

    from guardrail.analysis import yamlsafe

    is_yaml = path.lower().endswith((".yaml", ".yml"))
    try:
        # Aliases bounded: a billion-laughs changelog raises, and the run records GR901.
        doc, tree = yamlsafe.load_with_nodes(source) if is_yaml else (json.loads(source), None)
    except (yaml.YAMLError, ValueError) as exc:
        raise NotUnderstood(str(exc)) from exc
    lines = source.splitlines()

    def line_of(token: str, after: int) -> int:
        for i in range(after, len(lines)):
            if token in lines[i]:
                return i + 1
        return after + 1 if after < len(lines) else 1

    def line_at(node: object, token: str, after: int) -> int:
        if isinstance(node, yaml.Node):
            return node.start_mark.line + 1
        return line_of(token, after)

    items = (doc or {}).get("databaseChangeLog", []) if isinstance(doc, dict) else []
    item_nodes = _yaml_child(tree, "databaseChangeLog")
    nodes = item_nodes.value if isinstance(item_nodes, yaml.SequenceNode) else []
    out: list[ChangeSet] = []
    cursor = 0
    for n, item in enumerate(items if isinstance(items, list) else []):
        raw = item.get("changeSet") if isinstance(item, dict) else None
        if not isinstance(raw, dict):
            continue
        cs_node = _yaml_child(nodes[n], "changeSet") if n < len(nodes) else None
        cs_line = cursor = line_at(nodes[n] if n < len(nodes) else None, '"changeSet"', cursor)
        change_nodes = _yaml_child(cs_node, "changes")
        listed = change_nodes.value if isinstance(change_nodes, yaml.SequenceNode) else []
        changes: list[Change] = []
        raw_changes = raw.get("changes") or []
        for m, entry in enumerate(raw_changes if isinstance(raw_changes, list) else []):
            if not isinstance(entry, dict):
                continue
            entry_node = listed[m] if m < len(listed) else None
            for kind, value in entry.items():
                attrs: dict[str, object] = dict(value) if isinstance(value, dict) else {}
                line = cursor = line_at(entry_node, f'"{kind}"', cursor)
                if kind not in ("sql", "createProcedure"):
                    changes.append(Change(str(kind), attrs, line))
                    continue
                key = "sql" if kind == "sql" else "procedureText"
                sql = attrs.get(key, value)
                text = sql if isinstance(sql, str) else ""
                attrs["sql"] = text
                text_node = _yaml_child(_yaml_child(entry_node, str(kind)), key)
                if tree is not None:
                    at = _yaml_text_line(text_node, line)
                else:
                    at = cursor = line_of(f'"{key}"', line)
                changes.append(Change(str(kind), attrs, line, text, at, one_line=tree is None))
        out.append(
            ChangeSet(
                str(raw.get("id", "")),
                str(raw.get("author", "")),
                cs_line,
                {str(k): str(v) for k, v in raw.items() if not isinstance(v, (dict, list))},
                tuple(changes),
                rollback="rollback" in raw,
                pre_on_fail=_on_fail(raw["preConditions"]) if "preConditions" in raw else "",
                modify_sql=_modify_sql(raw.get("modifySql")),
            )
        )
    return out


def changesets(source: str, path: str) -> list[ChangeSet]:
    """The changeSets of an XML, YAML or JSON changelog, in the order Liquibase runs them, each
    with its lines. Raises NotUnderstood when the format's parser refuses the text."""
    if path.lower().endswith(".xml"):
        return _xml_changesets(source)
    return _structured_changesets(source, path)


def in_transaction(cs: ChangeSet) -> bool:
    """Liquibase runs a changeSet in a transaction of its own unless `runInTransaction` is false."""
    return cs.attrs.get("runInTransaction", "true").strip().lower() != "false"


def formatted_sql(source: str) -> bool:
    """A Liquibase formatted-SQL changelog (`--liquibase formatted sql` on its first line)."""
    return source.lstrip().lower().startswith("--liquibase formatted sql")


def runs_on_postgresql(dbms: str) -> bool:
    """Liquibase's `dbms` list (DatabaseList.definitionMatches): empty or `all` runs everywhere,
    `none` nowhere, `!postgresql` everywhere else; otherwise only on the databases it names."""
    names = [d.strip().lower() for d in dbms.split(",") if d.strip()]
    if not names or "all" in names:
        return "!postgresql" not in names
    if "none" in names or "!postgresql" in names:
        return False
    if all(n.startswith("!") for n in names):
        return True
    return "postgresql" in names


# -- which changeSets already ran --------------------------------------------------------------


def fingerprint(cs: ChangeSet) -> str:
    """What a changeSet runs, without where it is written: equal for a changeSet a later commit
    only moved, different for one whose changes were edited (Liquibase's checksum then differs)."""
    return repr(
        [
            (
                ch.kind,
                sorted((k, repr(v)) for k, v in ch.attrs.items() if k != "sql"),
                ch.text.split(),
            )
            for ch in cs.changes
        ]
    )


@dataclass(frozen=True)
class FormattedSet:
    """One `--changeset author:id` of a formatted-SQL changelog."""

    key: tuple[str, str]  # (id, author)
    line: int
    in_transaction: bool
    run_on_change: bool
    fingerprint: str


def formatted_sets(source: str) -> list[FormattedSet]:
    """The changesets of a formatted-SQL changelog, each with the SQL it runs (its `--rollback`
    lines left out) as its fingerprint."""
    heads: list[tuple[int, list[str]]] = []
    bodies: list[list[str]] = []
    for number, line in enumerate(source.splitlines(), 1):
        words = line.strip().split()
        if words and words[0].lower() == "--changeset":
            heads.append((number, words[1:]))
            bodies.append([])
        elif bodies and not line.strip().lower().startswith("--rollback"):
            bodies[-1].append(line)
    out: list[FormattedSet] = []
    for (number, words), body in zip(heads, bodies, strict=True):
        author, _, ident = (words[0] if words else "").partition(":")
        flags = {w.lower() for w in words[1:]}
        out.append(
            FormattedSet(
                (ident, author),
                number,
                "runintransaction:false" not in flags,
                "runonchange:true" in flags,
                repr(" ".join(body).split()),
            )
        )
    return out


def ran_before(source: str | None, path: str) -> dict[tuple[str, str], str] | None:
    """(id, author) -> fingerprint of every changeSet of a changelog's base version: Liquibase
    runs a changeSet once per database (DATABASECHANGELOG), so these already ran. None when the
    base version cannot be read (then which changeSets are new is unknown)."""
    if source is None:
        return None
    if formatted_sql(source):
        return {s.key: s.fingerprint for s in formatted_sets(source)}
    from guardrail.analysis.yamlsafe import AliasBomb

    try:
        return {(cs.id, cs.author): fingerprint(cs) for cs in changesets(source, path)}
    except (NotUnderstood, AliasBomb, RecursionError):
        return None
