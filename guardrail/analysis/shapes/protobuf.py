"""Protocol Buffers (.proto), parsed with proto-schema-parser (an ANTLR grammar of proto2, proto3
and editions).

Shapes: every message by its full name inside the file (`Order.Item` for a nested message), with
its fields (label, type, number, the `oneof` holding it), `map<>` fields, `reserved` names and
number ranges; every enum by full name, with its values. A message that the file only ever
returns from an RPC (never takes as input, never nests in a field) is outbound: old data does not
flow into it.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from guardrail.analysis.shapes.model import Field, Shape, ShapeKind, ShapeReadError
from guardrail.text import strip_spans

if TYPE_CHECKING:
    from collections.abc import Iterable

_MAX_FIELD = 536_870_911


def _raise_on_error(recognizer: Any) -> None:
    from antlr4.error.ErrorListener import ErrorListener

    class _Raise(ErrorListener):  # type: ignore[misc]
        def syntaxError(
            self, recognizer: Any, symbol: Any, line: int, column: int, msg: str, e: Any
        ) -> None:
            raise ShapeReadError(f"{msg.split(' expecting ')[0]} (column {column + 1})", line)

    recognizer.removeErrorListeners()
    recognizer.addErrorListener(_Raise())


def parse(text: str) -> Any:
    from proto_schema_parser.parser import Parser

    parser = Parser(setup_lexer=_raise_on_error, setup_parser=_raise_on_error)
    try:
        return parser.parse(text)
    except ShapeReadError:
        raise
    except (ValueError, AttributeError, TypeError, IndexError) as exc:
        # The AST builder trips over a few invalid inputs the grammar let through.
        raise ShapeReadError(f"not a valid .proto file ({type(exc).__name__})") from exc


class _Lines:
    """Lines of declarations, found in the text with comments blanked (the AST has none)."""

    def __init__(self, text: str) -> None:
        blank = strip_spans(text, "/*", "*/", keep_newlines=True)
        self.text = re.sub(r"//[^\n]*", "", blank)

    def find(self, pattern: str, start: int = 0) -> tuple[int, int]:
        """(line, offset) of the first match at or after `start`; (1, start) when absent."""
        m = re.compile(pattern).search(self.text, start)
        if m is None:
            return 1, start
        return self.text.count("\n", 0, m.start()) + 1, m.start()


def _ranges(items: Iterable[str]) -> tuple[tuple[int, int], ...]:
    out = []
    for item in items:
        lo, _, hi = str(item).partition(" to ")
        try:
            start = int(lo.strip(), 0)
            end = _MAX_FIELD if hi.strip() == "max" else int(hi.strip() or lo.strip(), 0)
        except ValueError:
            continue
        out.append((start, end))
    return tuple(out)


def _label(cardinality: Any) -> str:
    return "" if cardinality is None else str(cardinality.value).lower()


class _Reader:
    def __init__(self, text: str) -> None:
        self.lines = _Lines(text)
        self.out: list[Shape] = []
        self.field_types: set[str] = set()

    def message(self, node: Any, prefix: str, start: int) -> None:
        from proto_schema_parser import ast as P

        name = f"{prefix}{node.name}"
        line, offset = self.lines.find(rf"\bmessage\s+{re.escape(node.name)}\b", start)
        fields: dict[str, Field] = {}
        reserved_names: set[str] = set()
        reserved: list[tuple[int, int]] = []

        def add(f: Any, group: str | None) -> None:
            if isinstance(f, P.MapField):
                ftype, label = f"map<{f.key_type}, {f.value_type}>", "repeated"
            else:
                ftype, label = str(f.type), _label(f.cardinality)
            self.field_types.add(ftype.rsplit(".", 1)[-1])
            fline, _ = self.lines.find(rf"\b{re.escape(f.name)}\s*=\s*{f.number}\b", offset)
            fields[f.name] = Field(
                f.name,
                fline,
                label == "required",
                label != "required",
                any(o.name == "default" for o in f.options or ()),
                f"{label} {ftype}".strip(),
                number=int(f.number),
                group=group,
            )

        for child in node.elements:
            if isinstance(child, (P.Field, P.MapField)):
                add(child, None)
            elif isinstance(child, P.OneOf):
                for member in child.elements:
                    if isinstance(member, (P.Field, P.MapField)):
                        add(member, child.name)
            elif isinstance(child, P.Reserved):
                reserved_names.update(str(n).strip("\"'") for n in child.names)
                reserved.extend(_ranges(child.ranges))
            elif isinstance(child, P.Message):
                self.message(child, f"{name}.", offset)
            elif isinstance(child, P.Enum):
                self.enum(child, f"{name}.", offset)
        self.out.append(
            Shape(
                name,
                ShapeKind.PROTOBUF,
                line,
                fields,
                reserved=frozenset(reserved_names),
                reserved_ranges=tuple(reserved),
            )
        )

    def enum(self, node: Any, prefix: str, start: int) -> None:
        from proto_schema_parser import ast as P

        line, offset = self.lines.find(rf"\benum\s+{re.escape(node.name)}\b", start)
        values: dict[str, Field] = {}
        for child in node.elements:
            if isinstance(child, P.EnumValue):
                vline, _ = self.lines.find(
                    rf"\b{re.escape(child.name)}\s*=\s*-?{abs(int(child.number))}\b", offset
                )
                values[child.name] = Field(
                    child.name, vline, False, False, number=int(child.number)
                )
        self.out.append(
            Shape(
                f"{prefix}{node.name}",
                ShapeKind.ENUM,
                line,
                values,
                members=frozenset(values),
            )
        )


def read(path: str, text: str) -> list[Shape]:
    from proto_schema_parser import ast as P

    del path
    tree = parse(text)
    reader = _Reader(text)
    inputs: set[str] = set()
    outputs: set[str] = set()
    for node in tree.file_elements:
        if isinstance(node, P.Message):
            reader.message(node, "", 0)
        elif isinstance(node, P.Enum):
            reader.enum(node, "", 0)
        elif isinstance(node, P.Service):
            for method in node.elements:
                if isinstance(method, P.Method):
                    inputs.add(str(method.input_type.type).rsplit(".", 1)[-1])
                    outputs.add(str(method.output_type.type).rsplit(".", 1)[-1])
    response_only = outputs - inputs - reader.field_types
    return [replace(s, inbound=False) if s.name in response_only else s for s in reader.out]
