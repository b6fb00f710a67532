"""The pull request's data-shape changes, read once per run: each changed file a shape reader
claims, compared base to head into typed tightenings, and the DDL side of the same (NOT NULL
set or added by a migration). A fact of the Analysis (core.py); the files it reads are declared
here with `@wants`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from guardrail.analysis import evidence as ev
from guardrail.analysis import jsonschema_diff
from guardrail.analysis.core import Analysis, Fact
from guardrail.analysis.diff import parse_patch, side_text
from guardrail.analysis.migrations.changed import migrations
from guardrail.analysis.migrations.ops import OpKind
from guardrail.analysis.paths import matches
from guardrail.analysis.reads import discovers, wants
from guardrail.analysis.shapes import (
    SHAPE_EXTENSIONS,
    Field,
    Shape,
    ShapeKind,
    Tightening,
    TKind,
    compare,
    direction,
    language,
    python,
    shapes_of,
)
from guardrail.config import Config
from guardrail.model import ChangedFile
from guardrail.text import code

MAX_SHAPE_FILES = 200  # files compared per run; the rest are named in a note


@dataclass(frozen=True)
class Change:
    file: ChangedFile
    tightening: Tightening
    source: str  # git | api | patch


def _versions(ctx: Analysis, f: ChangedFile) -> tuple[str | None, str | None, str]:
    base_path = f.previous_path or f.path
    if f.status == "added":
        if f.patch is not None:
            lines = parse_patch(f.patch).added
            return None, "\n".join(ln.text for ln in lines), "patch"
        return None, ctx.read("head", f.path) if ctx.read else None, ctx.source
    if ctx.read is not None:
        head = ctx.read("head", f.path)
        base = ctx.read("base", base_path)
        if head is not None and base is not None:
            return base, head, ctx.source
    if f.patch:
        return side_text(f.patch, "base"), side_text(f.patch, "head"), "patch"
    return None, None, "none"


@wants
def _shape_reads(f: ChangedFile, config: Config) -> Iterator[tuple[str, str]]:
    """What comparing data shapes asks for, for one changed file."""
    if candidate(f):
        yield ("base", f.previous_path or f.path)
        yield ("head", f.path)


def candidate(f: ChangedFile) -> bool:
    """A changed file whose data shapes may have changed (not a test, not new or removed)."""
    if f.status in ("removed", "added") or f.binary:
        return False
    if not f.path.lower().endswith(SHAPE_EXTENSIONS) or ev.is_test_path(f.path):
        return False
    if language(f.path) is None and not f.path.lower().endswith((".json", ".yaml", ".yml")):
        return False
    return f.patch is None or _touches_fields(f.patch, _suffix(f.path))


def _suffix(path: str) -> str:
    name = path.lower().rsplit("/", 1)[-1]
    return "." + name.rsplit(".", 1)[-1] if "." in name else ""


# Every line of these files is a declaration (or a comment): a field deleted, an enum value
# removed or `int64` -> `int32` is a changed line with no other mark, so they are always read.
_DECLARATIONS_ONLY = (".proto", ".graphql", ".graphqls", ".gql", ".avsc")
_COMMENT = {
    ".py": ("#",),
    ".proto": ("//",),
    ".graphql": ("#",),
    ".graphqls": ("#",),
    ".gql": ("#",),
}
_C_COMMENT = ("//", "/*", "*")


_TS_SUFFIXES = (".ts", ".tsx", ".mts")
# A top-level line that starts a function (TypeScript): `function f(`, `export async function f(`,
# `export const f = async (…) =>`, `const f = function (`.
_TS_FUNCTION = re.compile(
    r"(export\s+(default\s+)?)?(async\s+)?function[\s*(]"
    r"|(export\s+)?(const|let|var)\s+[\w$]+(\s*:[^=]+)?\s*=\s*(async\s+)?"
    r"(function[\s*(]|\([^)]*\)\s*(:[^=]+)?=>|[\w$]+\s*=>)"
)


# A Python line at column 0 that can change what the reader reads: a class, its decorator, or an
# import (a base class resolved through it). The reader reads class bodies only, so any other
# top-level statement (`TIMEOUT = 30`, `def helper(…):`, a call) cannot change a shape.
_PY_TOP_DECLARATION = re.compile(r"(class\s|@|from\s|import\s)")


def _inert(line: str, suffix: str) -> bool:
    """A changed line that cannot change a declaration: blank, a whole-line comment, or (Python)
    a top-level statement that is not a class, a decorator or an import."""
    body = line[1:]
    text = body.strip()
    if not text or text.startswith(_COMMENT.get(suffix, _C_COMMENT)):
        return True
    return suffix == ".py" and not body[0].isspace() and not _PY_TOP_DECLARATION.match(body)


def _in_ts_function(patch: str) -> list[bool]:
    """For each changed line of a TypeScript patch: is it inside the body of a top-level
    function? The TypeScript and zod readers read top-level declarations only, so such a line
    cannot change one. Decided from the hunk as GitHub sends it: the header's context (git's
    nearest earlier line starting at column 0 with a letter) and the hunk's own column-0 lines;
    anything else at column 0 (a `}`, a template string's text) leaves it undecided (read)."""
    out: list[bool] = []
    inside = False
    for line in patch.splitlines():
        if line.startswith("@@"):
            context = line.split("@@", 2)[2].strip() if line.count("@@") >= 2 else ""
            inside = bool(context) and bool(_TS_FUNCTION.match(context))
            continue
        body = line[1:]
        top = bool(body) and not body[0].isspace()
        if top and body.strip():
            starts = bool(_TS_FUNCTION.match(body))
            if line[:1] in ("+", "-"):
                out.append(False)  # a top-level line itself: read
            inside = starts
            continue
        if line[:1] in ("+", "-") and not line.startswith(("+++", "---")):
            out.append(inside)
    return out


@lru_cache(maxsize=4096)
def _touches_fields(patch: str, suffix: str = "") -> bool:
    """Can the changed lines change a declaration? Not when every changed line is blank, a
    comment, (Python) a top-level statement other than a class, decorator or import, or
    (TypeScript) inside a top-level function's body. Any other line may be a field,
    an enum member (`PAID = "paid"`, `  PAID`), a keyword argument of a field written over
    several lines (`null=True,`), a chained zod method (`.max(50)`) or a string of a multi-line
    `z.enum([...])`, none of which has a mark of its own. (A list of hints once skipped exactly
    those: a removed enum member was never read.) Asked for each file by several readers,
    answered once per patch."""
    if suffix in _DECLARATIONS_ONLY:
        return True
    changed = [
        line
        for line in patch.splitlines()
        if line[:1] in ("+", "-") and not line.startswith(("+++", "---"))
    ]
    inside = _in_ts_function(patch) if suffix in _TS_SUFFIXES else [False] * len(changed)
    return any(
        not _inert(line, suffix) and not fn for line, fn in zip(changed, inside, strict=False)
    )


# Marks of a declaration on a changed line: not a gate (a removed enum member has none), only
# the order in which candidates are compared, so the per-run limit falls on the least likely.
_DECLARATION_MARKS = re.compile(
    r":|class |Field\(|[Cc]olumn\(|models\.|required|enum|\?|\||type |interface |optional|null|default"
)


def _likely(f: ChangedFile) -> bool:
    return f.patch is None or any(
        _DECLARATION_MARKS.search(line)
        for line in f.patch.splitlines()
        if line[:1] in ("+", "-") and not line.startswith(("+++", "---"))
    )


@dataclass(frozen=True)
class ShapeChanges:
    """The PR's data-shape changes, and how many candidate files were over the per-run limit."""

    changes: list[Change]
    not_compared: int = 0


def changes(ctx: Analysis) -> list[Change]:
    return ctx.get(SHAPE_CHANGES).changes


def required_changes(ctx: Analysis) -> list[Change]:
    """The changes that make a value required (a field now required, a new required field, a
    value no longer nullable): the ones stored data of the old shape can fail."""
    return [
        c
        for c in changes(ctx)
        if c.tightening.code in (TKind.REQUIRED, TKind.NEW_REQUIRED, TKind.NOT_NULL)
    ]


def _read_changes(ctx: Analysis) -> ShapeChanges:
    out: list[Change] = []
    migration_paths = {m.file.path for m in migrations(ctx)}
    seen = 0
    skipped: list[str] = []
    excluded = ctx.config.data_shapes.exclude
    wanted = [
        f
        for f in ctx.pr.files
        if candidate(f) and f.path not in migration_paths and not matches(f.path, excluded)
    ]
    if len(wanted) > MAX_SHAPE_FILES:
        wanted.sort(key=lambda f: not _likely(f))  # stable: the PR's order otherwise
    for f in wanted:
        if seen >= MAX_SHAPE_FILES:
            skipped.append(f.path)
            continue
        seen += 1
        found = ctx.problems.attempt(f.path, "data shape", _compare, ctx, f)
        out.extend(found or ())
    out.extend(_sql_changes(ctx))
    return ShapeChanges(out, len(skipped))


def _compare(ctx: Analysis, f: ChangedFile) -> list[Change]:
    """The tightenings of one changed file's data shapes, base to head."""
    base, head, source = _versions(ctx, f)
    if base is None or head is None:
        return []
    lang = language(f.path, head)
    if lang is None:
        return []
    if lang == "jsonschema":
        found = jsonschema_diff.tightenings(
            base,
            head,
            f.path,
            base_path=f.previous_path or f.path,
            load_base=_loader(ctx, "base"),
            load_head=_loader(ctx, "head"),
        )
    else:
        included = matches(f.path, ctx.config.data_shapes.include)
        if not included and direction.generated(f.path, head):
            return []
        whole = source != "patch"
        found = compare(
            direction.directed(
                _shapes(ctx, "base", f.previous_path or f.path, base, whole), included=included
            ),
            direction.directed(_shapes(ctx, "head", f.path, head, whole), included=included),
            _renames(ctx),
        )
    return [Change(f, t, source) for t in found]


def _shapes(ctx: Analysis, side: str, path: str, text: str, whole: bool = False) -> list[Shape]:
    """A file's shapes; Python classes see base classes imported from other modules. `whole`:
    `text` is the file itself, not a patch's side (a Python file that does not parse is then
    reported, not read as having no shape)."""
    read = ctx.read
    if path.endswith(".py") and read is not None:
        return python.read_resolving(path, text, lambda other: read(side, other), whole=whole)
    return read_shapes(ctx, path, text)


def read_shapes(ctx: Analysis, path: str, text: str) -> list[Shape]:
    """`shapes_of(path, text)`, read once per run: the data-shape comparison and the layer
    contract read the same head files (a TypeScript file is two tree-sitter readers' work).
    A file that cannot be read raises each time it is asked, as before."""
    cache = ctx.get(SHAPES_READ)
    found = cache.get((path, text))
    if found is None:
        found = cache[(path, text)] = shapes_of(path, text)
    return list(found)


@discovers
def _imported_modules(side: str, path: str) -> bool:
    """Modules a model imports its base class from, found only in the model's file."""
    return path.endswith(".py")


@discovers
def _schema_refs(side: str, path: str) -> bool:
    """Files a `$ref` of a split specification names, found only in the specification."""
    return path.lower().endswith((".json", ".yaml", ".yml"))


def _loader(ctx: Analysis, side: str) -> jsonschema_diff.Load | None:
    """Other files of the same commit, for `$ref`s into split specifications."""
    read = ctx.read
    if read is None:
        return None
    return lambda path: read(side, path)


def _renames(ctx: Analysis) -> dict[tuple[str, str], str]:
    """Renames the PR's migrations perform: the evidence that a field was renamed, not dropped."""
    out: dict[tuple[str, str], str] = {}
    for m in migrations(ctx):
        for op in m.ops:
            if op.kind == OpKind.RENAME_COLUMN and op.column and op.new_name:
                out.setdefault((op.column, op.new_name), f"{code(m.file.path)} renames the column")
    return out


def _sql_changes(ctx: Analysis) -> list[Change]:
    """Tightenings written as DDL in migrations: the DDL side of a data shape."""
    out: list[Change] = []
    for m in migrations(ctx):
        for op in m.ops:
            # A Django AlterField's "may" restates the field (most often unchanged); an Alembic
            # alter_column(nullable=False) without existing_nullable is written to make the
            # column NOT NULL, and stays a tightening to ask old data about.
            unsure = op.maybe and m.kind.framework != "alembic"
            if not op.table or not op.column or op.new_table or unsure:
                continue
            if op.kind == OpKind.SET_NOT_NULL:
                code_, what = TKind.NOT_NULL, f"{code(op.column)} became NOT NULL"
            elif (
                op.kind == OpKind.ADD_COLUMN
                and op.not_null
                and not op.has_default
                and not op.orm_default
            ):
                code_, what = TKind.NEW_REQUIRED, f"new column {code(op.column)} is NOT NULL"
            else:
                continue
            field = Field(op.column, op.line, True, False)
            shape = Shape(op.table, ShapeKind.SQL, op.line, {op.column: field})
            out.append(
                Change(
                    m.file,
                    Tightening(code_, shape, op.column, op.line, what, None, field),
                    "migration",
                )
            )
    return out


SHAPE_CHANGES: Fact[ShapeChanges] = Fact("shape_changes", _read_changes)
# Every file's shapes as `shapes_of` reads them, by (path, text): filled by `read_shapes`.
SHAPES_READ: Fact[dict[tuple[str, str], list[Shape]]] = Fact("shapes_read", lambda ctx: {})
