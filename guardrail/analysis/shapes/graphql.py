"""GraphQL SDL: input types (what clients send), object types, interfaces and enums."""

from __future__ import annotations

from guardrail.analysis.shapes.common import tokens as _tokens
from guardrail.analysis.shapes.model import Field, Shape, ShapeKind


def read(path: str, text: str) -> list[Shape]:
    del path
    toks = _tokens(text, hash_comments=True)
    out: list[Shape] = []
    i = 0
    while i < len(toks):
        tok, line = toks[i]
        if tok in ("type", "input", "interface", "enum") and i + 1 < len(toks):
            name = toks[i + 1][0]
            j = i + 2
            while j < len(toks) and toks[j][0] != "{":
                if toks[j][0] in (
                    "type",
                    "input",
                    "enum",
                    "interface",
                    "scalar",
                    "union",
                    "schema",
                ):
                    break
                j += 1
            if j >= len(toks) or toks[j][0] != "{":
                i += 1
                continue
            j += 1
            fields: dict[str, Field] = {}
            members: set[str] = set()
            depth = 0
            while j < len(toks) and not (toks[j][0] == "}" and depth == 0):
                t, ln = toks[j]
                if t == "(":
                    depth += 1
                elif t == ")":
                    depth -= 1
                elif depth == 0 and tok == "enum" and t.isidentifier():
                    members.add(t)
                elif (
                    depth == 0
                    and j + 1 < len(toks)
                    and toks[j + 1][0] in (":", "(")
                    and t.isidentifier()
                ):
                    k = j + 1
                    if toks[k][0] == "(":  # arguments
                        d = 0
                        while k < len(toks):
                            if toks[k][0] == "(":
                                d += 1
                            elif toks[k][0] == ")":
                                d -= 1
                                if d == 0:
                                    break
                            k += 1
                        k += 1
                    if k < len(toks) and toks[k][0] == ":":
                        k += 1
                        type_toks: list[str] = []
                        while (
                            k < len(toks)
                            and toks[k][0] in ("[", "]", "!")
                            or (k < len(toks) and not type_toks)
                        ):
                            type_toks.append(toks[k][0])
                            k += 1
                        while k < len(toks) and toks[k][0] in ("]", "!"):
                            type_toks.append(toks[k][0])
                            k += 1
                        ftype = "".join(type_toks)
                        has_default = k < len(toks) and toks[k][0] == "="
                        non_null = ftype.endswith("!")
                        fields[t] = Field(
                            t, ln, non_null and not has_default, not non_null, has_default, ftype
                        )
                        j = k - 1
                j += 1
            if tok == "enum":
                out.append(Shape(name, ShapeKind.ENUM, line, members=frozenset(members)))
            else:
                kind = ShapeKind.GRAPHQL_INPUT if tok == "input" else ShapeKind.GRAPHQL_TYPE
                out.append(Shape(name, kind, line, fields))
            i = j + 1
            continue
        i += 1
    return out
