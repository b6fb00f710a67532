"""GR3xx — Do the tests include old data?

For every data shape the PR tightens (optional → required, a new required field, null no
longer accepted, a field removed or renamed, values narrowed), look for a test that feeds the
new code data of the old shape. None found: a finding at the model's line, with what old data
looks like and a test to paste. Found: the comment says which test covers it. A migration in
the same PR that backfills or defaults the column lowers the severity, and the comment says so.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass

from guardrail.analysis import evidence as ev
from guardrail.analysis import jsonschema_diff
from guardrail.analysis.diff import parse_patch
from guardrail.analysis.isolate import attempt
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
from guardrail.checks.base import Context, Fact, Output
from guardrail.checks.migrations import migrations
from guardrail.config import Config
from guardrail.model import Answer, ChangedFile, Note, Severity
from guardrail.rules import Rule, register
from guardrail.text import CODE_OPEN, code

CHECK = "legacy-data-tests"
MAX_SHAPE_FILES = 200  # files compared per run; the rest are named in a note

GR301 = register(
    Rule(
        "GR301",
        "required-without-legacy-test",
        CHECK,
        "A field became required (or stopped accepting null) and no test feeds the code data of the old shape.",
        Severity.ERROR,
    )
)
GR302 = register(
    Rule(
        "GR302",
        "removed-field-without-legacy-test",
        CHECK,
        "A field was removed or renamed and no test feeds the code data that still has it.",
        Severity.WARNING,
    )
)
GR303 = register(
    Rule(
        "GR303",
        "narrowed-values-without-legacy-test",
        CHECK,
        "Accepted values were narrowed (type, enum, constraint, unknown keys) and no test feeds old values.",
        Severity.WARNING,
    )
)

_RULE: dict[TKind, Rule] = {
    TKind.REQUIRED: GR301,
    TKind.NEW_REQUIRED: GR301,
    TKind.NOT_NULL: GR301,
    TKind.RENAMED: GR301,
    TKind.REMOVED: GR302,
    TKind.WIRE: GR302,
    TKind.TYPE_NARROWED: GR303,
    TKind.VALUES_NARROWED: GR303,
    TKind.LIMIT_TIGHTENED: GR303,
    TKind.CLOSED: GR303,
}


@dataclass(frozen=True)
class Change:
    file: ChangedFile
    tightening: Tightening
    source: str  # git | api | patch


def _partial(patch: str, side: str) -> str:
    """A file rebuilt from the hunks alone (context plus one side's lines)."""
    out: list[str] = []
    for line in patch.splitlines():
        if line.startswith("@@"):
            out.append("")
        elif (
            line.startswith(" ")
            or line.startswith("+")
            and side == "head"
            or line.startswith("-")
            and side == "base"
        ):
            out.append(line[1:])
    return "\n".join(out)


def _versions(ctx: Context, f: ChangedFile) -> tuple[str | None, str | None, str]:
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
        return _partial(f.patch, "base"), _partial(f.patch, "head"), "patch"
    return None, None, "none"


@wants
def _shape_reads(f: ChangedFile, config: Config) -> Iterator[tuple[str, str]]:
    """What comparing data shapes and indexing tests asks for, for one changed file."""
    if _candidate(f):
        yield ("base", f.previous_path or f.path)
        yield ("head", f.path)
    elif ev.is_test_path(f.path) and not (f.status == "added" and f.patch is not None):
        yield ("head", f.path)


def _candidate(f: ChangedFile) -> bool:
    if f.status in ("removed", "added") or f.binary:
        return False
    if not f.path.lower().endswith(SHAPE_EXTENSIONS) or ev.is_test_path(f.path):
        return False
    if language(f.path) is None and not f.path.lower().endswith((".json", ".yaml", ".yml")):
        return False
    return f.patch is None or _touches_fields(f.patch)


_SHAPE_HINTS = (
    ":",
    "class ",
    "Field(",
    "Column(",
    "column(",
    "models.",
    "required",
    "enum",
    "?",
    "|",
    "message ",
    "input ",
    "type ",
    "interface ",
    "optional",
    "nullable",
    "default",
)


def _touches_fields(patch: str) -> bool:
    """Do the changed lines look like declarations (a field, a class, a schema key)? A code
    change elsewhere in the file cannot tighten a shape, and is not worth reading twice."""
    return any(
        line[:1] in ("+", "-")
        and not line.startswith(("+++", "---"))
        and any(h in line for h in _SHAPE_HINTS)
        for line in patch.splitlines()
    )


@dataclass(frozen=True)
class ShapeChanges:
    """The PR's data-shape changes, and how many candidate files were over the per-run limit."""

    changes: list[Change]
    not_compared: int = 0


def changes(ctx: Context) -> list[Change]:
    return ctx.get(SHAPE_CHANGES).changes


def _read_changes(ctx: Context) -> ShapeChanges:
    out: list[Change] = []
    migration_paths = {m.file.path for m in migrations(ctx)}
    seen = 0
    skipped: list[str] = []
    excluded = ctx.config.data_shapes.exclude
    for f in ctx.pr.files:
        if not _candidate(f) or f.path in migration_paths or matches(f.path, excluded):
            continue
        if (
            f.patch is not None
            and f.path.endswith(".py")
            and "class " not in f.patch
            and ":" not in f.patch
        ):
            continue
        if seen >= MAX_SHAPE_FILES:
            skipped.append(f.path)
            continue
        seen += 1
        found = attempt(ctx.problems, f.path, "data shape", _compare, ctx, f)
        out.extend(found or ())
    out.extend(_sql_changes(ctx))
    return ShapeChanges(out, len(skipped))


def _compare(ctx: Context, f: ChangedFile) -> list[Change]:
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
        found = compare(
            direction.directed(
                _shapes(ctx, "base", f.previous_path or f.path, base), included=included
            ),
            direction.directed(_shapes(ctx, "head", f.path, head), included=included),
            _renames(ctx),
        )
    return [Change(f, t, source) for t in found]


def _shapes(ctx: Context, side: str, path: str, text: str) -> list[Shape]:
    """A file's shapes; Python classes see base classes imported from other modules."""
    read = ctx.read
    if path.endswith(".py") and read is not None:
        return python.read_resolving(path, text, lambda other: read(side, other))
    return shapes_of(path, text)


@discovers
def _imported_modules(side: str, path: str) -> bool:
    """Modules a model imports its base class from, found only in the model's file."""
    return path.endswith(".py")


@discovers
def _schema_refs(side: str, path: str) -> bool:
    """Files a `$ref` of a split specification names, found only in the specification."""
    return path.lower().endswith((".json", ".yaml", ".yml"))


def _loader(ctx: Context, side: str) -> jsonschema_diff.Load | None:
    """Other files of the same commit, for `$ref`s into split specifications."""
    read = ctx.read
    if read is None:
        return None
    return lambda path: read(side, path)


def _renames(ctx: Context) -> dict[tuple[str, str], str]:
    """Renames the PR's migrations perform: the evidence that a field was renamed, not dropped."""
    out: dict[tuple[str, str], str] = {}
    for m in migrations(ctx):
        for op in m.ops:
            if op.kind == OpKind.RENAME_COLUMN and op.column and op.new_name:
                out.setdefault((op.column, op.new_name), f"{code(m.file.path)} renames the column")
    return out


def _sql_changes(ctx: Context) -> list[Change]:
    """Tightenings written as DDL in migrations: the DDL side of a data shape."""
    out: list[Change] = []
    for m in migrations(ctx):
        for op in m.ops:
            if not op.table or not op.column or op.new_table or op.maybe:
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


def _index(ctx: Context) -> ev.TestIndex:
    return ctx.get(TEST_INDEX)


def _read_index(ctx: Context) -> ev.TestIndex:
    changed: list[tuple[str, str]] = []
    for f in ctx.pr.files:
        if f.status == "removed" or not ev.is_test_path(f.path):
            continue
        text = None
        if f.status == "added" and f.patch is not None:
            text = "\n".join(ln.text for ln in parse_patch(f.patch).added)
        elif ctx.read is not None:
            text = ctx.read("head", f.path)
        elif f.patch:
            text = _partial(f.patch, "head")
        if text is not None:
            changed.append((f.path, text))
    rest = ctx.tree() if ctx.tree is not None and ctx.read_tree is not None else []
    reader = ctx.read_tree or (lambda _path: None)
    roots = ev.project_roots([*rest, *(f.path for f in ctx.pr.files if f.status != "removed")])
    index = ev.build_index(changed, rest, reader, ctx.problems, roots)
    return index


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@dataclass(frozen=True)
class _Fills:
    """What the PR's migrations do for rows already stored, indexed once per run."""

    # (table, columns it sets or () when the reader cannot tell, migration path)
    backfilled: list[tuple[str, tuple[str, ...], str]]
    defaults: dict[tuple[str, str], str]  # (table, column) -> migration path
    data_migration: str | None


def _fills(ctx: Context) -> _Fills:
    return ctx.get(FILLS)


def _read_fills(ctx: Context) -> _Fills:
    backfilled: list[tuple[str, tuple[str, ...], str]] = []
    defaults: dict[tuple[str, str], str] = {}
    data_migration: str | None = None
    for m in migrations(ctx):
        for op in m.ops:
            table = (op.table or "").lower().rsplit(".", 1)[-1]
            if op.kind == OpKind.BACKFILL and table:
                backfilled.append((table, op.columns, m.file.path))
            elif op.kind == OpKind.DATA_MIGRATION:
                data_migration = data_migration or m.file.path
            elif op.column and (op.has_default or op.orm_default or op.kind == OpKind.SET_DEFAULT):
                defaults.setdefault((table, op.column), m.file.path)
    fills = _Fills(backfilled, defaults, data_migration)
    return fills


def _backfilled(ctx: Context, t: Tightening) -> str | None:
    """A migration in this PR that fills or defaults this field for rows already stored."""
    fills = _fills(ctx)
    snake = _snake(t.shape.name)
    names = {t.shape.name.lower(), snake, snake + "s", t.shape.name.lower() + "s"}

    def same(table: str) -> bool:
        return table in names or any(table.endswith("_" + n) for n in names)

    field = (t.field or "").lower()
    for table, columns, path in fills.backfilled:
        # Matched by table and column: an UPDATE of another column (or of another table whose
        # payload shares the field's name) leaves this field's stored rows as they were.
        if same(table) and (not columns or field in columns or _snake(field) in columns):
            return f"{code(path)} backfills it"
    if fills.data_migration:
        return f"{code(fills.data_migration)} runs a data migration"
    for (table, column), path in fills.defaults.items():
        if column == t.field and same(table):
            return f"{code(path)} gives it a default"
    return None


def _placeholder(f: Field) -> str:
    t = f.type.lower()
    if "int" in t or "number" in t or "float" in t or "decimal" in t:
        return "1"
    if "bool" in t:
        return "True"
    if "list" in t or "[]" in t or "array" in t:
        return "[]"
    if "dict" in t or "object" in t:
        return "{}"
    return '"…"'


def _old_payload(t: Tightening) -> str:
    shape = t.shape
    carried = t.old_fields or shape.fields  # asked only until four fields are found
    # The first four: stop there, or n tightenings of one n-field shape take n² time.
    keep = list(
        itertools.islice((f for n, f in shape.fields.items() if n != t.field and n in carried), 4)
    )
    parts = [f'"{f.name}": {_placeholder(f)}' for f in keep]
    if t.code == "T03" and t.field:
        parts.append(f'"{t.field}": None')
    if t.code in ("T05",) and t.field:
        parts.append(f'"{t.field}": "…"')
    if t.code == "T06" and t.old is not None:
        parts.append(f'"{t.old.name}": "…"')
    return "{" + ", ".join(parts) + "}"


def _template(t: Tightening, path: str) -> tuple[str, str]:
    shape = t.shape
    field = t.field or "value"
    name = shape.name
    payload = _old_payload(t)
    test_name = f"test_{_snake(name)}_stored_before_{_snake(field)}_changed"
    if path.endswith(".py"):
        load = {
            "pydantic": f"{name}.model_validate(old)",
            "dataclass": f"{name}(**old)",
            "attrs": f"{name}(**old)",
        }.get(shape.kind, f"load_{_snake(name)}(old)  # the code path that reads stored data")
        return (
            f"def {test_name}():\n"
            f"    old = {payload}  # the shape production still holds\n"
            f"    result = {load}\n"
            f"    assert ...  # what should happen to it: a default, a migration, a clear error\n",
            "python",
        )
    if path.endswith((".ts", ".tsx")):
        return (
            f"it('reads a {name} stored before `{field}` changed', () => {{\n"
            f"  const old = {payload.replace('None', 'null')} as unknown as {name};\n"
            f"  expect(() => parse{name}(old)).not.toThrow();  // or assert the fallback\n"
            f"}});\n",
            "ts",
        )
    return (
        f"# A test fixture of the old shape ({name} before `{field}` changed):\n"
        f"{payload.replace('None', 'null')}\n"
        f"# Feed it to the code that reads stored {name} data and assert what happens.\n",
        "text",
    )


def _why(t: Tightening) -> str:
    name, f = code(t.shape.name), code(t.field or "")
    if t.code in ("T01", "T02"):
        return f"{name} data stored before this change has no {f}, and the new code rejects it or reads it wrong."
    if t.code == "T03":
        return f"{name} data stored before this change can have {f} set to null, which the new shape rejects."
    if t.code == "T06":
        old = code(t.old.name) if t.old is not None else "the old name"
        return f"{name} data stored before this change carries {old}, not {f}."
    if t.code in ("T05", "T13"):
        return f"Stored {name} data and older clients still carry {f}; check the new code ignores or migrates it."
    return f"{name} values stored before this change may not fit the new shape."


_SOURCE = {
    "git": "compared with the base commit from git",
    "api": "compared with the base commit (contents API)",
    "patch": "read from the patch alone",
    "migration": "from the migration's DDL",
}


def check_legacy(ctx: Context) -> Iterator[Output]:
    shape_changes = ctx.get(SHAPE_CHANGES)
    if shape_changes.not_compared:
        yield Note(
            f"{shape_changes.not_compared} more data-shape files were not compared (limit {MAX_SHAPE_FILES} per run)."
        )
    found = shape_changes.changes
    if not found:
        return
    index = _index(ctx)
    searched = (
        "the tests changed by the PR and the checkout's tests"
        if ctx.tree is not None and ctx.read_tree is not None
        else "the tests changed by the PR (no checkout: the rest of the repository's tests were not read)"
    )
    seen: set[tuple[str, str, str | None]] = set()
    model_fields = {(c.tightening.field or "") for c in found if c.source != "migration"}
    covered: list[str] = []
    for change in found:
        t = change.tightening
        key = (change.file.path, t.shape.name, t.field)
        if key in seen:
            continue
        seen.add(key)
        if change.source == "migration" and (t.field or "") in model_fields:
            continue  # the model's own finding already asks for the test
        rule = _RULE.get(t.code, GR303)
        evidence = ev.find(t, index, change.file.path)
        where = (
            t.what
            if t.what.startswith(CODE_OPEN + t.shape.name)
            else f"{code(t.shape.name)}: {t.what}"
        )
        if evidence is not None:
            covered.append(
                f"{code(t.shape.name + '.' + (t.field or ''))} by {code(f'{evidence.path}:{evidence.line}')} ({evidence.what})"
            )
            continue
        severity: Severity | None = None
        detail = _why(t)
        fill = _backfilled(ctx, t)
        if fill and rule is GR301:
            severity = Severity.WARNING
            detail += f" {fill[:1].upper() + fill[1:]}, so stored rows are handled; a test still proves the code reads them."
        if change.source == "migration":
            severity = Severity.WARNING if severity is None else severity
        detail += (
            f" ({_SOURCE.get(change.source, change.source)}) Evidence was searched in {searched}."
        )
        template, lang = _template(t, change.file.path)
        yield rule.finding(
            f"{where}, and no test reads data of the old shape.",
            detail,
            severity=severity,
            path=change.file.path,
            line=t.line,
            template=template,
            template_lang=lang,
        )
    if covered:
        yield Answer(
            CHECK,
            "old data covered: "
            + "; ".join(covered[:3])
            + (f" and {len(covered) - 3} more" if len(covered) > 3 else "")
            + f" (searched in {searched})",
        )


# Derived once per run, shared by every check that asks (guardrail/analysis/core.py).
SHAPE_CHANGES: Fact[ShapeChanges] = Fact("shape_changes", _read_changes)

TEST_INDEX: Fact[ev.TestIndex] = Fact("test_index", _read_index)

FILLS: Fact[_Fills] = Fact("fills", _read_fills)

CHECKS = (check_legacy,)
