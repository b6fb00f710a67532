"""Data shapes read structurally from source, and the tightenings between two versions.

Languages: Python (pydantic v1/v2, dataclasses, attrs, TypedDict, Enum, SQLAlchemy, Django
models — from the syntax tree, never imported), JSON Schema and OpenAPI (JSON/YAML), Avro,
protobuf, GraphQL SDL and TypeScript (small tokenizers: these grammars are regular enough at
the level of fields). A tightening is a change that data or clients of the old shape may fail
(catalog T01–T13 in docs/data-shapes.md); loosenings and new optional fields are not.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from guardrail.analysis.pyast import call_name as _call_name
from guardrail.analysis.pyast import const as _const
from guardrail.analysis.pyast import kwarg as _kw
from guardrail.text import code, strip_spans

MAX_SHAPE_FILE = 1_000_000


@dataclass(frozen=True)
class Field:
    name: str
    line: int
    required: bool  # must be present (no default)
    nullable: bool  # accepts null / None
    has_default: bool = False
    type: str = ""
    values: frozenset[str] | None = None  # Literal / enum-typed values, when known
    alias: str | None = None
    number: int | None = None  # protobuf field number
    limits: tuple[tuple[str, float], ...] = ()  # JSON Schema maxLength, minimum, …


@dataclass(frozen=True)
class Shape:
    name: str
    kind: str  # pydantic | dataclass | attrs | typeddict | enum | sqlalchemy | django | jsonschema | avro | protobuf | graphql-input | graphql-type | typescript
    line: int
    fields: dict[str, Field] = field(default_factory=dict)
    members: frozenset[str] | None = None  # enums
    closed: bool = False  # unknown keys rejected
    reserved: frozenset[str] = frozenset()

    @property
    def reads_stored_data(self) -> bool:
        """Shapes whose instances are built from data written earlier (storage, requests)."""
        return self.kind != "graphql-type"


@dataclass(frozen=True)
class Tightening:
    code: str  # T01 … T13
    shape: Shape  # head version (base version for a removed shape)
    field: str | None
    line: int
    what: str  # one phrase: "`coupon` became required"
    old: Field | None = None
    new: Field | None = None
    old_fields: tuple[str, ...] = ()  # the fields the old shape had: what old data carries


# -- Python -------------------------------------------------------------------------------------


def _ann_text(node: ast.AST | None) -> str:
    return ast.unparse(node) if node is not None else ""


def _nullable(ann: str) -> bool:
    a = ann.replace(" ", "")
    return (
        "Optional[" in a or "None" in a.split("[")[-1] or "|None" in a or "None|" in a or a == "Any"
    )


def _literal_values(node: ast.AST | None) -> frozenset[str] | None:
    if isinstance(node, ast.Subscript):
        base = ast.unparse(node.value)
        if base.endswith("Literal"):
            elts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            return frozenset(str(e.value) for e in elts if isinstance(e, ast.Constant))
        for child in ast.iter_child_nodes(node):
            found = _literal_values(child)
            if found is not None:
                return found
    if isinstance(node, ast.BinOp):
        left, right = _literal_values(node.left), _literal_values(node.right)
        return left or right
    return None


def _bases(cls: ast.ClassDef) -> list[str]:
    return [ast.unparse(b).split("[")[0].rsplit(".", 1)[-1] for b in cls.bases]


def _decorators(cls: ast.ClassDef) -> list[str]:
    out = []
    for d in cls.decorator_list:
        target = d.func if isinstance(d, ast.Call) else d
        out.append(ast.unparse(target).rsplit(".", 1)[-1])
    return out


def _class_kind(cls: ast.ClassDef, known: dict[str, str]) -> str | None:
    bases = _bases(cls)
    decos = _decorators(cls)
    if "dataclass" in decos:
        return "dataclass"
    if any(d in ("define", "frozen", "mutable", "s", "attrs") for d in decos):
        return "attrs"
    for b in bases:
        if (
            b in ("BaseModel", "SQLModel", "RootModel", "BaseSettings", "Schema")
            or known.get(b) == "pydantic"
        ):
            return "pydantic"
        if b == "TypedDict" or known.get(b) == "typeddict":
            return "typeddict"
        if b in ("Enum", "IntEnum", "StrEnum", "Flag", "IntFlag") or known.get(b) == "enum":
            return "enum"
        if b == "Model" or known.get(b) == "django":
            return "django"
        if (
            b in ("Base", "DeclarativeBase", "DeclarativeBaseNoMeta")
            or known.get(b) == "sqlalchemy"
        ):
            return "sqlalchemy"
    return None


def _python_field(kind: str, stmt: ast.stmt, total: bool) -> Field | None:
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
        name = stmt.target.id
        if name.startswith("_") or name in ("model_config", "Config", "Meta"):
            return None
        ann = _ann_text(stmt.annotation)
        if ann.startswith("ClassVar"):
            return None
        value = stmt.value
        values = _literal_values(stmt.annotation)
        alias: str | None = None
        has_default = value is not None
        if isinstance(value, ast.Call) and _call_name(value) in (
            "Field",
            "field",
            "ib",
            "attrib",
            "mapped_column",
            "Column",
        ):
            fname = _call_name(value)
            alias_node = _kw(value, "alias") or _kw(value, "validation_alias")
            alias_value = _const(alias_node)
            alias = alias_value if isinstance(alias_value, str) else None
            if fname in ("mapped_column", "Column"):
                nullable_kw = _const(_kw(value, "nullable"))
                nullable = _nullable(ann) if nullable_kw is None else bool(nullable_kw)
                dflt = _kw(value, "default") is not None or _kw(value, "server_default") is not None
                return Field(
                    name, stmt.lineno, not nullable and not dflt, nullable, dflt, ann, values, alias
                )
            positional_default = bool(value.args) and not (
                isinstance(value.args[0], ast.Constant) and value.args[0].value is Ellipsis
            )
            has_default = (
                positional_default
                or _kw(value, "default") is not None
                or _kw(value, "default_factory") is not None
                or _kw(value, "factory") is not None
            )
            if (
                isinstance(_kw(value, "default"), ast.Constant)
                and _const(_kw(value, "default")) is Ellipsis
            ):
                has_default = False
        nullable = _nullable(ann)
        if kind == "typeddict":
            required = total
            if ann.startswith(
                ("NotRequired[", "typing.NotRequired[", "typing_extensions.NotRequired[")
            ):
                required = False
            if ann.startswith(("Required[", "typing.Required[")):
                required = True
            return Field(name, stmt.lineno, required, nullable, False, ann, values)
        if kind == "sqlalchemy":
            # `x: Mapped[str]` is NOT NULL; `Mapped[Optional[str]]` is nullable.
            return Field(
                name,
                stmt.lineno,
                not nullable and not has_default,
                nullable,
                has_default,
                ann,
                values,
            )
        return Field(name, stmt.lineno, not has_default, nullable, has_default, ann, values, alias)
    if (
        isinstance(stmt, ast.Assign)
        and len(stmt.targets) == 1
        and isinstance(stmt.targets[0], ast.Name)
    ):
        name = stmt.targets[0].id
        if name.startswith("_") or name in ("objects", "Meta", "model_config"):
            return None
        value = stmt.value
        fname = _call_name(value)
        if (
            kind == "django"
            and isinstance(value, ast.Call)
            and fname.endswith(("Field", "ForeignKey", "OneToOneField"))
        ):
            if fname in ("ManyToManyField",):
                return None
            nullable = _const(_kw(value, "null")) is True
            dflt = _kw(value, "default") is not None or _kw(value, "db_default") is not None
            return Field(name, stmt.lineno, not nullable and not dflt, nullable, dflt, fname)
        if (
            kind == "sqlalchemy"
            and isinstance(value, ast.Call)
            and fname in ("Column", "mapped_column")
        ):
            nullable_kw = _const(_kw(value, "nullable"))
            pk = _const(_kw(value, "primary_key")) is True
            nullable = (not pk) if nullable_kw is None else bool(nullable_kw)
            dflt = (
                _kw(value, "default") is not None or _kw(value, "server_default") is not None or pk
            )
            ctype = ast.unparse(value.args[0]) if value.args else ""
            return Field(name, stmt.lineno, not nullable and not dflt, nullable, dflt, ctype)
        if kind == "attrs" and fname in ("ib", "attrib", "field"):
            dflt = _kw(value, "default") is not None or _kw(value, "factory") is not None  # type: ignore[arg-type]
            return Field(name, stmt.lineno, not dflt, False, dflt, "")
    return None


def python_shapes(source: str) -> list[Shape]:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    known: dict[str, str] = {}
    out: list[Shape] = []
    for cls in [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]:
        kind = _class_kind(cls, known)
        if kind is None:
            continue
        known[cls.name] = kind
        if kind == "enum":
            members = frozenset(
                t.id
                for stmt in cls.body
                if isinstance(stmt, ast.Assign)
                for t in stmt.targets
                if isinstance(t, ast.Name) and not t.id.startswith("_")
            )
            out.append(Shape(cls.name, "enum", cls.lineno, members=members))
            continue
        total = not any(kw.arg == "total" and _const(kw.value) is False for kw in cls.keywords)
        fields: dict[str, Field] = {}
        closed = False
        for stmt in cls.body:
            f = _python_field(kind, stmt, total)
            if f is not None:
                fields[f.name] = f
            if (
                isinstance(stmt, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == "model_config" for t in stmt.targets)
                and "forbid" in ast.unparse(stmt.value)
            ):
                closed = True
            if (
                isinstance(stmt, ast.ClassDef)
                and stmt.name == "Config"
                and "forbid" in ast.unparse(stmt)
            ):
                closed = True
        if kind in ("sqlalchemy", "django") and not fields:
            continue
        out.append(Shape(cls.name, kind, cls.lineno, fields, closed=closed))
    return out


# -- JSON Schema / OpenAPI / Avro -------------------------------------------------------------------


def load_structured(text: str, path: str) -> object:
    if path.endswith((".yaml", ".yml")):
        import yaml

        try:
            return yaml.safe_load(text)
        except yaml.YAMLError:
            return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _line_finder(text: str) -> Callable[..., int]:
    lines = text.splitlines()

    def find(key: str, after: int = 0) -> int:
        needles = (f'"{key}"', f"{key}:", f"'{key}'")
        for i in range(max(0, after), len(lines)):
            if any(n in lines[i] for n in needles):
                return i + 1
        return after + 1 if after else 1

    return find


def _schema_types(schema: dict[str, object]) -> tuple[str, bool]:
    t = schema.get("type")
    nullable = bool(schema.get("nullable"))
    if isinstance(t, list):
        nullable = nullable or "null" in t
        t = "|".join(sorted(str(x) for x in t if x != "null"))
    for key in ("anyOf", "oneOf"):
        options = schema.get(key)
        if isinstance(options, list):
            names = []
            for o in options:
                if isinstance(o, dict):
                    if o.get("type") == "null":
                        nullable = True
                    else:
                        names.append(str(o.get("type") or o.get("$ref") or "?"))
            t = "|".join(sorted(names))
    if t is None and "$ref" in schema:
        t = str(schema["$ref"]).rsplit("/", 1)[-1]
    return str(t or ""), nullable


_LIMITS = (
    "maxLength",
    "minLength",
    "maximum",
    "minimum",
    "exclusiveMaximum",
    "exclusiveMinimum",
    "maxItems",
    "minItems",
    "pattern",
)


def jsonschema_shapes(text: str, path: str) -> list[Shape]:
    doc = load_structured(text, path)
    if not isinstance(doc, dict):
        return []
    find = _line_finder(text)
    out: list[Shape] = []

    def visit(node: object, name: str, depth: int) -> None:
        if depth > 40 or not isinstance(node, dict):
            return
        props = node.get("properties")
        if isinstance(props, dict):
            required = (
                set(node.get("required") or []) if isinstance(node.get("required"), list) else set()
            )
            line = find(name.rsplit("/", 1)[-1])
            fields: dict[str, Field] = {}
            for key, sub in props.items():
                if not isinstance(sub, dict):
                    continue
                t, nullable = _schema_types(sub)
                enum = sub.get("enum")
                values = (
                    frozenset(str(v) for v in enum if v is not None)
                    if isinstance(enum, list)
                    else None
                )
                limits = tuple(
                    (k, float(sub[k])) for k in _LIMITS if isinstance(sub.get(k), (int, float))
                )
                fields[key] = Field(
                    key,
                    find(key, line - 1),
                    key in required and "default" not in sub,
                    nullable,
                    "default" in sub,
                    t,
                    values,
                    limits=limits,
                )
            closed = (
                node.get("additionalProperties") is False
                or node.get("unevaluatedProperties") is False
            )
            out.append(Shape(name, "jsonschema", line, fields, closed=closed))
            for key, sub in props.items():
                visit(sub, f"{name}/properties/{key}", depth + 1)
        enum = node.get("enum")
        if isinstance(enum, list) and "properties" not in node and name.count("/properties/") == 0:
            out.append(
                Shape(
                    name,
                    "enum",
                    find(name.rsplit("/", 1)[-1]),
                    members=frozenset(str(v) for v in enum),
                )
            )
        for key in ("items", "additionalProperties"):
            visit(node.get(key), f"{name}/{key}", depth + 1)
        for key in ("definitions", "$defs", "schemas", "components"):
            sub = node.get(key)
            if key == "components" and isinstance(sub, dict):
                key, sub = "schemas", sub.get("schemas")
            if isinstance(sub, dict):
                for k, v in sub.items():
                    visit(v, f"{name}/{key}/{k}", depth + 1)
        for key in ("allOf", "anyOf", "oneOf"):
            subs = node.get(key)
            if isinstance(subs, list):
                for i, v in enumerate(subs):
                    visit(v, f"{name}/{key}/{i}", depth + 1)

    visit(doc, "#", 0)
    # OpenAPI request bodies and parameters use inline schemas: walk paths too.
    paths = doc.get("paths")
    if isinstance(paths, dict):
        for p, ops in paths.items():
            if isinstance(ops, dict):
                for method, op in ops.items():
                    if isinstance(op, dict):
                        body = (
                            ((op.get("requestBody") or {}).get("content") or {})
                            if isinstance(op.get("requestBody"), dict)
                            else {}
                        )
                        for _media, spec in body.items() if isinstance(body, dict) else []:
                            if isinstance(spec, dict):
                                visit(spec.get("schema"), f"{method.upper()} {p} request", 0)
    # Titles read better than pointers.
    return [
        Shape(
            s.name.split("/")[-1]
            if "/schemas/" in s.name or "/definitions/" in s.name or "/$defs/" in s.name
            else s.name,
            s.kind,
            s.line,
            s.fields,
            s.members,
            s.closed,
        )
        for s in out
    ]


def avro_shapes(text: str) -> list[Shape]:
    try:
        doc = json.loads(text)
    except ValueError:
        return []
    find = _line_finder(text)
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
            out.append(Shape(name, "avro", line, fields))
        elif node.get("type") == "enum" and isinstance(node.get("symbols"), list):
            name = str(node.get("name", "enum"))
            out.append(
                Shape(name, "enum", find(name), members=frozenset(map(str, node["symbols"])))
            )

    visit(doc, 0)
    return out


# -- protobuf, GraphQL, TypeScript (tokenizers) ---------------------------------------------------

_TOKEN = re.compile(r'"[^"\n]*"|//[^\n]*|#[^\n]*|\w[\w.]*|[{}();=<>\[\]:,?|!@]|\n')


def _strip_block_comments(text: str) -> str:
    return strip_spans(text, "/*", "*/", keep_newlines=True)


def _tokens(text: str, hash_comments: bool = False) -> list[tuple[str, int]]:
    text = _strip_block_comments(text)
    out: list[tuple[str, int]] = []
    line = 1
    for m in _TOKEN.finditer(text):
        tok = m.group(0)
        if tok == "\n":
            line += 1
            continue
        if tok.startswith("//") or tok.startswith("/*") or (tok.startswith("#") and hash_comments):
            line += tok.count("\n")
            continue
        if tok.startswith("#"):
            continue
        out.append((tok, line))
    return out


def protobuf_shapes(text: str) -> list[Shape]:
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
                out.append(Shape(name, "enum", sline, members=frozenset(fields)))
            else:
                out.append(Shape(name, "protobuf", sline, fields, reserved=frozenset(reserved)))
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


def graphql_shapes(text: str) -> list[Shape]:
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
                out.append(Shape(name, "enum", line, members=frozenset(members)))
            else:
                kind = "graphql-input" if tok == "input" else "graphql-type"
                out.append(Shape(name, kind, line, fields))
            i = j + 1
            continue
        i += 1
    return out


def typescript_shapes(text: str) -> list[Shape]:
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
                out.append(Shape(name, "enum", start, members=frozenset(lits)))
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
        out.append(Shape(name, "typescript", start, fields))
        i = j
    return out


# -- dispatch ------------------------------------------------------------------------------------

SHAPE_EXTENSIONS = (
    ".py",
    ".json",
    ".yaml",
    ".yml",
    ".avsc",
    ".proto",
    ".graphql",
    ".graphqls",
    ".gql",
    ".ts",
    ".tsx",
)


def language(path: str, text: str | None = None) -> str | None:
    low = path.lower()
    if low.endswith(".py"):
        return "python"
    if low.endswith(".avsc"):
        return "avro"
    if low.endswith(".proto"):
        return "protobuf"
    if low.endswith((".graphql", ".graphqls", ".gql")):
        return "graphql"
    if (
        low.endswith((".ts", ".tsx"))
        and not low.endswith(".d.ts")
        and ".test." not in low
        and ".spec." not in low
    ):
        return "typescript"
    if low.endswith((".json", ".yaml", ".yml")):
        name = low.rsplit("/", 1)[-1]
        if (
            ".schema." in name
            or "openapi" in name
            or "swagger" in name
            or "/schemas/" in low
            or name.startswith("schema")
        ):
            return "jsonschema"
        if text is not None and (
            '"$schema"' in text[:2000] or "openapi:" in text[:500] or '"openapi"' in text[:500]
        ):
            return "jsonschema"
    return None


def shapes_of(path: str, text: str) -> list[Shape]:
    if len(text) > MAX_SHAPE_FILE:
        return []
    lang = language(path, text)
    if lang == "python":
        return python_shapes(text)
    if lang == "avro":
        return avro_shapes(text)
    if lang == "protobuf":
        return protobuf_shapes(text)
    if lang == "graphql":
        return graphql_shapes(text)
    if lang == "typescript":
        return typescript_shapes(text)
    if lang == "jsonschema":
        return jsonschema_shapes(text, path)
    return []


# -- comparing versions -------------------------------------------------------------------------------


def _types_narrowed(old: str, new: str) -> bool:
    if not old or not new or old == new:
        return False

    def norm(t: str) -> frozenset[str]:
        return frozenset(
            p.strip()
            for p in t.replace("Optional[", "")
            .replace("]", "")
            .replace("None", "")
            .replace("null", "")
            .split("|")
            if p.strip()
        )

    a, b = norm(old), norm(new)
    if not a or not b:
        return False
    return not b >= a  # a superset of the old types is a widening


def _tighter_limit(key: str, prev: float | None, value: float) -> bool:
    if prev is None:
        return key != "pattern"  # a limit that did not exist before
    if key.startswith(("max", "exclusiveMax")):
        return value < prev
    if key.startswith(("min", "exclusiveMin")):
        return value > prev
    return False


def compare(base: list[Shape], head: list[Shape]) -> list[Tightening]:
    """Tightenings from `base` to `head`: what data or clients of the old shape may now fail."""
    before = {s.name: s for s in base}
    found: list[Tightening] = []
    for new in head:
        old = before.get(new.name)
        if old is None:
            continue
        if new.kind == "enum" or new.members is not None:
            for member in sorted((old.members or frozenset()) - (new.members or frozenset())):
                found.append(
                    Tightening(
                        "T08", new, member, new.line, f"enum member {code(member)} was removed"
                    )
                )
            continue
        old_fields = tuple(old.fields)

        def tight(
            tcode: str,
            name: str | None,
            line: int,
            what: str,
            o: Field | None = None,
            f: Field | None = None,
            *,
            _new: Shape = new,
            _old_fields: tuple[str, ...] = old_fields,
        ) -> None:
            found.append(Tightening(tcode, _new, name, line, what, o, f, _old_fields))

        reads = new.reads_stored_data
        renamed_to: dict[str, str] = {}
        aliased = {f.alias: n for n, f in new.fields.items() if f.alias}
        gone = [f for f in old.fields if f not in new.fields and f not in aliased]
        added = [
            f for f in new.fields if f not in old.fields and new.fields[f].alias not in old.fields
        ]
        for g in gone:
            for a in added:
                if old.fields[g].type == new.fields[a].type and a not in renamed_to.values():
                    if new.fields[a].alias != g:
                        renamed_to[g] = a
                    break
        for g in gone:
            if new.kind == "protobuf" and g in new.reserved:
                continue
            if g in renamed_to:
                a = renamed_to[g]
                tight(
                    "T06",
                    a,
                    new.fields[a].line,
                    f"{code(g)} was renamed to {code(a)}",
                    old.fields[g],
                    new.fields[a],
                )
            elif new.kind == "protobuf":
                number = old.fields[g].number
                tight(
                    "T13",
                    g,
                    new.line,
                    f"field {code(g)} = {number} was removed without `reserved`",
                    old.fields[g],
                )
            else:
                tight("T05", g, new.line, f"{code(g)} was removed", old.fields[g])
        for a in added:
            f = new.fields[a]
            if a not in renamed_to.values() and f.required and reads and new.kind != "protobuf":
                tight("T02", a, f.line, f"new field {code(a)} is required", None, f)
        for name, f in new.fields.items():
            o = old.fields.get(name)
            if o is None:
                continue
            if new.kind == "protobuf":
                if o.number != f.number:
                    tight(
                        "T13",
                        name,
                        f.line,
                        f"{code(name)} was renumbered {o.number} → {f.number}",
                        o,
                        f,
                    )
                elif o.type.split()[-1] != f.type.split()[-1]:
                    tight(
                        "T13", name, f.line, f"{code(name)} changed type {o.type} → {f.type}", o, f
                    )
                elif f.required and not o.required:
                    tight("T01", name, f.line, f"{code(name)} became required", o, f)
                continue
            if not reads and new.kind == "graphql-type":
                continue
            if f.required and not o.required:
                removed_default = " (its default was removed)" if o.has_default else ""
                tight("T01", name, f.line, f"{code(name)} became required{removed_default}", o, f)
            elif o.nullable and not f.nullable:
                tight("T03", name, f.line, f"{code(name)} no longer accepts null", o, f)
            elif (o.values is None or f.values is None) and _types_narrowed(o.type, f.type):
                what = f"{code(name)} changed type {code(o.type)} → {code(f.type)}"
                tight("T07", name, f.line, what, o, f)
            if o.values is not None and f.values is not None:
                for v in sorted(o.values - f.values):
                    tight(
                        "T08", name, f.line, f"{code(name)} no longer accepts {code(str(v))}", o, f
                    )
            previous = dict(o.limits)
            for key, value in f.limits:
                if _tighter_limit(key, previous.get(key), value):
                    tight("T09", name, f.line, f"{code(name)} {key} tightened to {value:g}", o, f)
        if new.closed and not old.closed:
            tight("T10", None, new.line, "unknown fields are now rejected")
    return found
