"""TypeScript interfaces and object type aliases; string-literal unions as enums."""

from __future__ import annotations

import re

from guardrail.analysis.shapes.model import Field, Shape, ShapeKind


def read(path: str, text: str) -> list[Shape]:
    del path
    out: list[Shape] = []
    lines = text.splitlines()
    i = 0
    head = re.compile(
        r"^\s*(?:export\s+)?(?:declare\s+)?(interface\s+(\w+)[^{=]*\{|type\s+(\w+)\s*(?:<[^=]*>)?\s*=\s*(.*))"
    )
    while i < len(lines):
        m = head.match(lines[i])
        if not m:
            i += 1
            continue
        name = m.group(2) or m.group(3) or ""
        rest = m.group(4) or ""
        start = i + 1
        if m.group(3) and not rest.lstrip().startswith("{"):
            # type X = 'a' | 'b'  (a literal union: an enum-like shape)
            body = rest
            j = i
            while body.rstrip().endswith("|") or (
                j + 1 < len(lines) and lines[j + 1].lstrip().startswith("|")
            ):
                j += 1
                if j >= len(lines):
                    break
                body += " " + lines[j]
            lits = re.findall(r"""['"]([^'"]*)['"]""", body)
            if lits and all(
                part.strip().startswith(("'", '"'))
                for part in body.rstrip(";").split("|")
                if part.strip()
            ):
                out.append(Shape(name, ShapeKind.ENUM, start, members=frozenset(lits)))
            i = j + 1
            continue
        depth = lines[i].count("{") - lines[i].count("}")
        fields: dict[str, Field] = {}
        j = i + 1
        while j < len(lines) and depth > 0:
            ln = lines[j]
            if depth == 1:
                fm = re.match(r"^\s*(?:readonly\s+)?['\"]?(\w+)['\"]?(\?)?\s*:\s*([^;,]*)", ln)
                if fm:
                    ftype = fm.group(3).strip()
                    optional = bool(fm.group(2))
                    nullable = "null" in ftype.replace(" ", "").split("|") or "undefined" in ftype
                    lits = re.findall(r"""['"]([^'"]*)['"]""", ftype)
                    values = frozenset(lits) if lits and "|" in ftype else None
                    fields[fm.group(1)] = Field(
                        fm.group(1), j + 1, not optional, nullable or optional, False, ftype, values
                    )
            depth += ln.count("{") - ln.count("}")
            j += 1
        out.append(Shape(name, ShapeKind.TYPESCRIPT, start, fields))
        i = j
    return out
