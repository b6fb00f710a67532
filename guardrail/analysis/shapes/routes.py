"""Which pydantic models only leave the service: the response side of FastAPI routes.

Old data reaches a request model from clients that have not upgraded; it reaches a model
that only describes responses through the rows it is built from (FastAPI validates what a
route returns against its `response_model`). A field a response-only model makes required
fails old rows only where storage lets the value be absent, which GR304 judges when it can see
the stored layer; from the model alone guardrail is not sure, so GR301 says it at warning.

Read with Python's `ast` from the PR's Python files and, with a checkout, the head tree's
(tests excluded; bounded): route functions (`@router.get(...)`, `@app.post(...)`,
`@router.api_route(...)`) give response models (`response_model=`, `responses={...: {"model":
...}}`, the return annotation) and request models (the annotations of their parameters). A
model nested in a field of another model takes that model's roles. A model any code rebuilds
from serialized text (`.model_validate_json(`, `.parse_raw(`, `TypeAdapter(...)`) reads stored
payloads and is never response-only. A name is matched by its last part (`schemas.Order` is
`Order`): two models of one name in one service are taken as one, which can only keep a
finding at error.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field

from guardrail.analysis import evidence as ev
from guardrail.analysis.core import Analysis, Fact
from guardrail.analysis.migrations.changed import text_of
from guardrail.analysis.reads import wants
from guardrail.analysis.shapes.model import ShapeKind, TKind
from guardrail.analysis.words import naming_any
from guardrail.config import Config
from guardrail.model import ChangedFile
from guardrail.text import code

MAX_ROUTE_FILES = 3000  # Python modules of the head tree; past this, nothing is response-only
MAX_FILE_CHARS = 400_000  # a larger module is not a route module a person wrote
MAX_ROUNDS = 8  # models holding models, read outwards; deeper nesting: nothing is lowered

_ROUTE_METHODS = frozenset(
    {"get", "post", "put", "patch", "delete", "head", "options", "api_route", "websocket"}
)
_DESERIALIZE = ("model_validate_json", "parse_raw", "parse_file", "validate_json")
_FROM_DATA = (*_DESERIALIZE, "model_validate", "parse_obj", "validate_python", "model_construct")


@dataclass
class Roles:
    """Model name -> where a route returns it (path:line), and the models requests carry."""

    responses: dict[str, str] = field(default_factory=dict)
    requests: set[str] = field(default_factory=set)
    deserialized: set[str] = field(default_factory=set)
    fields_of: dict[str, set[str]] = field(default_factory=dict)  # model -> names its fields use
    read: int = 0  # files read


def _names(node: ast.expr | None, aliases: dict[str, str] | None = None) -> set[str]:
    """Model names an annotation or `response_model=` value mentions: `list[Order]`,
    `Order | None`, `Page[schemas.Order]`, `"Order"`; with the module's import aliases, the
    imported name too (`from app.schemas import Order as OrderSchema`: `Order`)."""
    out = _plain_names(node)
    if aliases:
        out |= {aliases[n] for n in out if n in aliases}
    return out


def _plain_names(node: ast.expr | None) -> set[str]:
    out: set[str] = set()
    stack: list[ast.AST] = [node] if node is not None else []
    while stack:
        n = stack.pop()
        if isinstance(n, ast.Name):
            out.add(n.id)
        elif isinstance(n, ast.Attribute):
            out.add(n.attr)
        elif isinstance(n, ast.Constant) and isinstance(n.value, str):
            out.update(part for part in n.value.replace("[", " ").replace("]", " ").split())
        elif isinstance(n, ast.Subscript):
            stack.extend((n.value, n.slice))
        elif isinstance(n, (ast.Tuple, ast.List)):
            stack.extend(n.elts)
        elif isinstance(n, ast.BinOp):
            stack.extend((n.left, n.right))
        elif isinstance(n, ast.Call):  # Annotated[X, Body()] keeps X; Depends(f) is no model
            continue
    return out


def _route_call(decorator: ast.expr) -> ast.Call | None:
    if (
        isinstance(decorator, ast.Call)
        and isinstance(decorator.func, ast.Attribute)
        and decorator.func.attr in _ROUTE_METHODS
    ):
        return decorator
    return None


def _responses_kw(value: ast.expr, aliases: dict[str, str]) -> set[str]:
    """`responses={404: {"model": NotFound}}`: the models of the other status codes."""
    out: set[str] = set()
    if isinstance(value, ast.Dict):
        for v in value.values:
            if isinstance(v, ast.Dict):
                for k, inner in zip(v.keys, v.values, strict=True):
                    if isinstance(k, ast.Constant) and k.value == "model":
                        out |= _names(inner, aliases)
    return out


def _route(
    fn: ast.FunctionDef | ast.AsyncFunctionDef, path: str, roles: Roles, aliases: dict[str, str]
) -> bool:
    calls = [c for c in (_route_call(d) for d in fn.decorator_list) if c is not None]
    if not calls:
        return False
    returned = _names(fn.returns, aliases)
    for call in calls:
        for kw in call.keywords:
            if kw.arg == "response_model":
                returned |= _names(kw.value, aliases)
            elif kw.arg == "responses":
                returned |= _responses_kw(kw.value, aliases)
    for name in returned:
        roles.responses.setdefault(name, f"{path}:{calls[0].lineno}")  # the decorator
    args = fn.args
    for a in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg):
        if a is not None:
            roles.requests |= _names(a.annotation, aliases)
    return True


def _built_from_data(call: ast.Call, aliases: dict[str, str]) -> set[str]:
    """Models a call builds from data it was handed (a dict, JSON text, a queue message):
    `X.model_validate(d)`, `X.parse_obj(d)`, `X.model_validate_json(t)`, `X(**d)`,
    `TypeAdapter(X)`. Old payloads reach those."""
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in _FROM_DATA:
        return _names(func.value, aliases)
    if isinstance(func, ast.Name) and func.id == "TypeAdapter" and call.args:
        return _names(call.args[0], aliases)
    if isinstance(func, (ast.Name, ast.Attribute)) and any(kw.arg is None for kw in call.keywords):
        return _names(func, aliases)
    return set()


def read_module(path: str, text: str, roles: Roles) -> bool:
    """Add one module's routes, model fields and data-building calls to `roles`; False when
    the module does not parse (it adds nothing, and the caller must not lower anything: a
    request route in it would go unseen). A call inside a route function builds its response
    (FastAPI validates it against the response model); the same call anywhere else may read
    an old payload."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    roles.read += 1
    aliases = {
        a.asname: a.name.rsplit(".", 1)[-1]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for a in node.names
        if a.asname
    }
    in_routes: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if _route(node, path, roles, aliases):
                in_routes.update(id(n) for n in ast.walk(node))
        elif isinstance(node, ast.ClassDef):
            used: set[str] = set()
            for stmt in node.body:
                if isinstance(stmt, ast.AnnAssign):
                    used |= _names(stmt.annotation, aliases)
            if used:
                roles.fields_of.setdefault(node.name, set()).update(used)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and (_deserializes(node) or id(node) not in in_routes):
            roles.deserialized |= _built_from_data(node, aliases)
    return True


def _deserializes(call: ast.Call) -> bool:
    func = call.func
    return (isinstance(func, ast.Attribute) and func.attr in _DESERIALIZE) or (
        isinstance(func, ast.Name) and func.id == "TypeAdapter"
    )


def _spread(roots: set[str], fields_of: dict[str, set[str]]) -> set[str]:
    """The models `roots` contain, through their fields, transitively."""
    seen = set(roots)
    todo = list(roots)
    while todo:
        for inner in fields_of.get(todo.pop(), ()):
            if inner not in seen:
                seen.add(inner)
                todo.append(inner)
    return seen


@dataclass(frozen=True)
class Directions:
    # model name -> a route that returns it (path:line); empty when guardrail cannot be sure
    # no request uses a model (too many modules, nesting too deep, a module not read)
    response_only: dict[str, str]
    # model name -> why a model routes only return was still not lowered: a module that names
    # it could not be read, so a request route there would be unseen
    not_lowered: dict[str, str] = field(default_factory=dict)
    # model name -> what takes it in: a request (route parameter or body) or a rebuild from
    # data, itself or through a model holding it
    taken_in: frozenset[str] = frozenset()
    unread: str = ""  # why a module naming a model was not read ("" when all were)


def directions(roles: Roles) -> Directions:
    inbound = _spread(roles.requests | roles.deserialized, roles.fields_of)
    out: dict[str, str] = {}
    for name, where in roles.responses.items():
        for inner in _spread({name}, roles.fields_of):
            if inner not in inbound:
                out.setdefault(inner, where)
    return Directions(out, taken_in=frozenset(inbound))


def _wanted(ctx: Analysis) -> set[str]:
    """The pydantic models whose direction a finding asks: made required (GR301 at warning on
    a response) or a field removed (GR302 silent on a response, checks/legacy.py)."""
    from guardrail.analysis.shapes.changed import changes, required_changes

    removed = [c for c in changes(ctx) if c.tightening.code == TKind.REMOVED]
    return {
        c.tightening.shape.name.rsplit(".", 1)[-1]
        for c in [*required_changes(ctx), *removed]
        if c.tightening.shape.kind == ShapeKind.PYDANTIC
    }


def _route_module(f: ChangedFile) -> bool:
    """A changed file that may hold routes: Python, present at head, not a test."""
    return f.path.endswith(".py") and f.status != "removed" and not ev.is_test_path(f.path)


@wants
def _route_reads(f: ChangedFile, config: Config) -> Iterator[tuple[str, str]]:
    """The head of a changed module that may hold routes, unless its patch holds it whole."""
    if _route_module(f) and not (f.status == "added" and f.patch is not None):
        yield ("head", f.path)


def _route_texts(ctx: Analysis) -> dict[str, str] | None:
    """The PR's Python modules at head and, with a checkout, the head tree's (tests excluded);
    None when the tree holds more than MAX_ROUTE_FILES of them."""
    texts: dict[str, str] = {}
    for f in ctx.pr.files:
        if _route_module(f):
            text = text_of(ctx, f) if ctx.read is not None else None
            if text:
                texts[f.path] = text
    if ctx.tree is not None and ctx.read_tree is not None:
        paths = [p for p in ctx.tree() if p.endswith(".py") and not ev.is_test_path(p)]
        if len(paths) > MAX_ROUTE_FILES:
            return None
        for path in paths:
            if path not in texts:
                text = ctx.read_tree(path)
                if text:
                    texts[path] = text
    return texts


def _read_directions(ctx: Analysis) -> Directions:
    """Routes are read from every Python module that names a tightened model or a model that
    holds one (found by reading, to a fixed point). With more Python files in the tree than
    MAX_ROUTE_FILES, a request route could be unread: then nothing is called response-only."""
    wanted = _wanted(ctx)
    roles = Roles()
    if not wanted:
        return directions(roles)
    texts = _route_texts(ctx)
    if texts is None:
        return Directions({}, unread=f"the checkout holds over {MAX_ROUTE_FILES:,} Python modules")
    names = set(wanted)
    parsed: set[str] = set()
    unread = ""  # why a module that names a model was not read; then nothing is lowered
    for _ in range(MAX_ROUNDS + 1):
        naming = naming_any(names)  # one pass per module, not one per name
        todo = [p for p in texts if p not in parsed and naming(texts[p])]
        if not todo:
            break
        for path in todo:
            parsed.add(path)
            if len(texts[path]) > MAX_FILE_CHARS:
                unread = (
                    unread
                    or f"{code(path)} is over {MAX_FILE_CHARS:,} characters, so it was not read"
                )
            elif not read_module(path, texts[path], roles):
                unread = unread or f"{code(path)} does not parse as Python"
        holders = {m for m, used in roles.fields_of.items() if used & names}
        if holders <= names:
            break
        names |= holders
    else:  # models nested deeper than MAX_ROUNDS: a request could hold one unseen
        return Directions({}, unread=f"models nest more than {MAX_ROUNDS} levels deep")
    found = directions(roles)
    if unread:
        return Directions({}, dict.fromkeys(found.response_only, unread), found.taken_in, unread)
    return found


DIRECTIONS: Fact[Directions] = Fact("shape_route_directions", _read_directions)


def response_only(ctx: Analysis, model: str) -> str | None:
    """Where a route returns `model` (path:line) when the routes read use it only for
    responses; None when it is also a request, rebuilt from serialized text, or not seen."""
    return ctx.get(DIRECTIONS).response_only.get(model.rsplit(".", 1)[-1])


def not_lowered(ctx: Analysis, model: str) -> str | None:
    """Why a model the routes read only return is still not called response-only: a module
    naming it could not be read (too large, or not Python guardrail can parse)."""
    return ctx.get(DIRECTIONS).not_lowered.get(model.rsplit(".", 1)[-1])


def taken_in(ctx: Analysis, model: str) -> tuple[bool, str]:
    """Whether a route reads `model` from a request or code rebuilds it from data (in the
    modules read), and why some module was not read ("" when every one was)."""
    read = ctx.get(DIRECTIONS)
    return model.rsplit(".", 1)[-1] in read.taken_in, read.unread
