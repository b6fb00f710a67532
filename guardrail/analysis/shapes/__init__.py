"""Data shapes read structurally from source, one reader per shape language.

Each reader is registered once in `READERS` with the file patterns it reads; adding a language
means one module here, one row in the table, its tests and its docs section. Readers never import
or execute the code they read. `compare` turns two versions of a file's shapes into typed
tightenings (what data or clients of the old shape may now fail) and loosenings (never findings).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from guardrail.analysis.shapes import avro, graphql, protobuf, python, typescript, zod
from guardrail.analysis.shapes.common import load_structured
from guardrail.analysis.shapes.compare import ShapeDiff, compare, diff
from guardrail.analysis.shapes.model import (
    Field,
    LKind,
    Loosening,
    Shape,
    ShapeKind,
    ShapeReadError,
    Tightening,
    TKind,
)


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


def _compared_as_documents(path: str, text: str) -> list[Shape]:
    """JSON Schema and OpenAPI have no shapes of their own: guardrail/analysis/jsonschema_diff.py
    compares the two versions document to document (references, request and response sides).
    The row is here so `language()` knows these files."""
    return []


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
    Reader("typescript", (".ts", ".tsx", ".mts"), typescript.read, _is_typescript),
    Reader("zod", (".ts", ".tsx", ".mts"), zod.read, _is_typescript),
    Reader("jsonschema", (".json", ".yaml", ".yml"), _compared_as_documents, _is_jsonschema),
)

SHAPE_EXTENSIONS: tuple[str, ...] = tuple(dict.fromkeys(s for r in READERS for s in r.suffixes))


def readers_for(path: str, text: str | None = None) -> list[Reader]:
    """Every reader of the file, in table order (a .ts file holds TypeScript types and zod
    schemas alike)."""
    low = path.lower()
    return [
        r
        for r in READERS
        if low.endswith(r.suffixes) and (r.accepts is None or r.accepts(path, text))
    ]


def reader_for(path: str, text: str | None = None) -> Reader | None:
    found = readers_for(path, text)
    return found[0] if found else None


def language(path: str, text: str | None = None) -> str | None:
    reader = reader_for(path, text)
    return reader.language if reader is not None else None


def shapes_of(path: str, text: str) -> list[Shape]:
    """Every shape of the file. Raises ShapeReadError when a reader cannot interpret it."""
    return [shape for reader in readers_for(path, text) for shape in reader.read(path, text)]


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
    "ShapeReadError",
    "TKind",
    "Tightening",
    "compare",
    "diff",
    "language",
    "load_structured",
    "reader_for",
    "readers_for",
    "shapes_of",
]
