"""Avro schemas (.avsc): records and enums.

Avro's Java parser reads a schema with Jackson's ALLOW_COMMENTS, and real schemas rely on it
(Apache Hudi's start with a /* licence */ block and hold /** notes **/ inside records).
Python's json rejects comments, so `_uncommented` blanks them first: one string-aware pass
over the text (no library reads exactly "JSON plus comments"; json5 also accepts single quotes,
trailing commas and more that Avro rejects), keeping every newline so lines stay where they
were. A schema that is still not JSON is reported (GR901), never read as empty.
"""

from __future__ import annotations

import json
import re

from guardrail.analysis.shapes.common import line_finder
from guardrail.analysis.shapes.model import Field, Shape, ShapeKind, ShapeReadError

# A JSON string, a /* block */ or a // line comment, whichever starts first.
_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"|/\*.*?\*/|//[^\n]*', re.S)


def _uncommented(text: str) -> str:
    """`text` with comments outside strings replaced by spaces (newlines kept)."""
    if "/" not in text:
        return text

    def blank(m: re.Match[str]) -> str:
        tok = m.group(0)
        return tok if tok.startswith('"') else re.sub(r"[^\n]", " ", tok)

    return _TOKEN.sub(blank, text)


def read(path: str, text: str) -> list[Shape]:
    del path
    try:
        doc = json.loads(_uncommented(text))
    except ValueError as exc:
        line = getattr(exc, "lineno", 1)
        raise ShapeReadError(f"not a JSON Avro schema ({getattr(exc, 'msg', exc)})", line) from exc
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
