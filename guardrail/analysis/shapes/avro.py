"""Avro schemas (.avsc): records and enums."""

from __future__ import annotations

import json

from guardrail.analysis.shapes.common import line_finder
from guardrail.analysis.shapes.model import Field, Shape, ShapeKind


def read(path: str, text: str) -> list[Shape]:
    del path
    try:
        doc = json.loads(text)
    except ValueError:
        return []
    find = line_finder(text)
    out: list[Shape] = []

    def visit(node: object, depth: int) -> None:
        if depth > 40:
            return
        if isinstance(node, list):
            for n in node:
                visit(n, depth + 1)
            return
        if not isinstance(node, dict):
            return
        if node.get("type") == "record" and isinstance(node.get("fields"), list):
            name = str(node.get("name", "record"))
            line = find(name)
            fields: dict[str, Field] = {}
            for f in node["fields"]:
                if not isinstance(f, dict) or "name" not in f:
                    continue
                t = f.get("type")
                nullable = isinstance(t, list) and "null" in t
                tname = json.dumps(t, sort_keys=True) if not isinstance(t, str) else t
                fields[f["name"]] = Field(
                    f["name"],
                    find(f["name"], line - 1),
                    "default" not in f,
                    nullable,
                    "default" in f,
                    tname,
                    alias=",".join(f.get("aliases", [])) or None,
                )
                visit(t, depth + 1)
            out.append(Shape(name, ShapeKind.AVRO, line, fields))
        elif node.get("type") == "enum" and isinstance(node.get("symbols"), list):
            name = str(node.get("name", "enum"))
            out.append(
                Shape(
                    name, ShapeKind.ENUM, find(name), members=frozenset(map(str, node["symbols"]))
                )
            )

    visit(doc, 0)
    return out
