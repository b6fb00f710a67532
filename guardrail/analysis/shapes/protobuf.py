"""Protocol Buffers (.proto): messages and enums."""

from __future__ import annotations

from guardrail.analysis.shapes.common import tokens as _tokens
from guardrail.analysis.shapes.model import Field, Shape, ShapeKind


def read(path: str, text: str) -> list[Shape]:
    del path
    toks = _tokens(text)
    out: list[Shape] = []
    i = 0
    stack: list[tuple[str, int, dict[str, Field], set[str], str]] = []
    while i < len(toks):
        tok, line = toks[i]
        if tok in ("message", "enum") and i + 2 < len(toks) and toks[i + 2][0] == "{":
            stack.append((toks[i + 1][0], line, {}, set(), tok))
            i += 3
            continue
        if tok == "}" and stack:
            name, sline, fields, reserved, kind = stack.pop()
            if kind == "enum":
                out.append(Shape(name, ShapeKind.ENUM, sline, members=frozenset(fields)))
            else:
                out.append(
                    Shape(name, ShapeKind.PROTOBUF, sline, fields, reserved=frozenset(reserved))
                )
            i += 1
            continue
        if stack and tok == "reserved":
            j = i + 1
            while j < len(toks) and toks[j][0] != ";":
                reserved_tok = toks[j][0].strip('"')
                stack[-1][3].add(reserved_tok)
                j += 1
            i = j + 1
            continue
        if (
            stack
            and stack[-1][4] == "enum"
            and i + 2 < len(toks)
            and toks[i + 1][0] == "="
            and tok.isidentifier()
        ):
            stack[-1][2][tok] = Field(tok, line, False, False)
            i += 3
            continue
        if (
            stack
            and stack[-1][4] == "message"
            and tok not in ("option", "oneof", "extensions", "extend", "map")
        ):
            # [label] type name = number ;
            j = i
            label = ""
            if toks[j][0] in ("optional", "required", "repeated"):
                label = toks[j][0]
                j += 1
            if j + 3 < len(toks) and toks[j + 2][0] == "=" and toks[j + 3][0].isdigit():
                ftype, fname, number = toks[j][0], toks[j + 1][0], int(toks[j + 3][0])
                stack[-1][2][fname] = Field(
                    fname,
                    line,
                    label == "required",
                    label != "required",
                    False,
                    f"{label} {ftype}".strip(),
                    number=number,
                )
                while j < len(toks) and toks[j][0] != ";":
                    j += 1
                i = j + 1
                continue
        i += 1
    return out
