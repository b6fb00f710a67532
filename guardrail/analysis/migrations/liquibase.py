"""Liquibase changelogs: XML, YAML, JSON and formatted SQL.

The structured formats are read with their own parsers (ElementTree, PyYAML, json); SQL in
`<sql>` changes and formatted-SQL changesets goes through the SQL reader.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
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


def read(source: str, path: str) -> Reading:  # noqa: C901, PLR0912, PLR0915 — both Liquibase formats (formatted SQL, XML/YAML/JSON changeSets) in one pass
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

        from guardrail.analysis import yamlsafe

        try:
            # Aliases bounded: a billion-laughs changelog raises, and the run records GR901.
            doc = yamlsafe.load(source) if low.endswith((".yaml", ".yml")) else json.loads(source)
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
