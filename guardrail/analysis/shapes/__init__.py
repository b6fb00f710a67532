"""Data shapes read structurally from source, one reader per shape language.

Each reader is registered once in `READERS` with the file patterns it reads; adding a language
means one module here, one row in the table, its tests and its docs section. Readers never import
or execute the code they read. `compare` turns two versions of a file's shapes into typed
tightenings (what data or clients of the old shape may now fail) and loosenings (never findings).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from guardrail.analysis.shapes import avro, graphql, jsonschema, protobuf, python, typescript
from guardrail.analysis.shapes.common import load_structured
from guardrail.analysis.shapes.compare import ShapeDiff, compare, diff
from guardrail.analysis.shapes.model import (
    Field,
    LKind,
    Loosening,
    Shape,
    ShapeKind,
    Tightening,
    TKind,
)

MAX_SHAPE_FILE = 1_000_000


def _is_jsonschema(path: str, text: str | None) -> bool:
    low = path.lower()
    name = low.rsplit("/", 1)[-1]
    if (
        ".schema." in name
        or "openapi" in name
        or "swagger" in name
        or "/schemas/" in low
        or name.startswith("schema")
    ):
        return True
    return text is not None and (
        '"$schema"' in text[:2000] or "openapi:" in text[:500] or '"openapi"' in text[:500]
    )


def _is_typescript(path: str, text: str | None) -> bool:
    low = path.lower()
    return not low.endswith(".d.ts") and ".test." not in low and ".spec." not in low


@dataclass(frozen=True)
class Reader:
    language: str
    suffixes: tuple[str, ...]  # file name endings, lower case
    read: Callable[[str, str], list[Shape]]  # (path, text) -> shapes
    # A further test on the path (and the text, when known) for suffixes other formats share.
    accepts: Callable[[str, str | None], bool] | None = None


READERS: tuple[Reader, ...] = (
    Reader("python", (".py",), python.read),
    Reader("avro", (".avsc",), avro.read),
    Reader("protobuf", (".proto",), protobuf.read),
    Reader("graphql", (".graphql", ".graphqls", ".gql"), graphql.read),
    Reader("typescript", (".ts", ".tsx"), typescript.read, _is_typescript),
    Reader("jsonschema", (".json", ".yaml", ".yml"), jsonschema.read, _is_jsonschema),
)

SHAPE_EXTENSIONS: tuple[str, ...] = tuple(s for r in READERS for s in r.suffixes)


def reader_for(path: str, text: str | None = None) -> Reader | None:
    low = path.lower()
    for reader in READERS:
        if low.endswith(reader.suffixes) and (reader.accepts is None or reader.accepts(path, text)):
            return reader
    return None


def language(path: str, text: str | None = None) -> str | None:
    reader = reader_for(path, text)
    return reader.language if reader is not None else None


def shapes_of(path: str, text: str) -> list[Shape]:
    if len(text) > MAX_SHAPE_FILE:
        return []
    reader = reader_for(path, text)
    return reader.read(path, text) if reader is not None else []


__all__ = [
    "READERS",
    "SHAPE_EXTENSIONS",
    "Field",
    "LKind",
    "Loosening",
    "Reader",
    "Shape",
    "ShapeDiff",
    "ShapeKind",
    "TKind",
    "Tightening",
    "compare",
    "diff",
    "language",
    "load_structured",
    "reader_for",
    "shapes_of",
]
