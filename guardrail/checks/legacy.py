"""GR3xx — Do the tests include old data?

For every data shape the PR tightens (optional → required, a new required field, null no
longer accepted, a field removed or renamed, values narrowed), look for a test that feeds the
new code data of the old shape. None found: a finding at the model's line, with what old data
looks like and a test to paste. Found: the comment says which test covers it. A migration in
the same PR that backfills or defaults the column lowers the severity, and the comment says so.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator

from guardrail.analysis import evidence as ev
from guardrail.analysis.migrations.changed import migration_fills, migrations
from guardrail.analysis.migrations.ops import OpKind
from guardrail.analysis.paths import matches
from guardrail.analysis.shapes import (
    Field,
    ShapeKind,
    Tightening,
    TKind,
)
from guardrail.analysis.shapes.changed import MAX_SHAPE_FILES, SHAPE_CHANGES, Change
from guardrail.analysis.shapes.direction import response_by_name
from guardrail.analysis.shapes.routes import not_lowered, response_only, taken_in
from guardrail.analysis.testindex import test_index
from guardrail.checks.base import Analysis, Output
from guardrail.model import Answer, CheckName, Note, Severity
from guardrail.rules import Rule, by_code
from guardrail.text import CODE_OPEN, code

CHECK = CheckName.LEGACY_DATA_TESTS

GR301 = by_code("GR301")
GR302 = by_code("GR302")
GR303 = by_code("GR303")

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


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _backfilled(ctx: Analysis, t: Tightening) -> str | None:
    """A migration in this PR that fills or defaults this field for rows already stored."""
    fills = migration_fills(ctx)
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
    if path.endswith((".ts", ".tsx", ".mts")) and shape.kind == ShapeKind.ZOD:
        return (
            f"it('reads a {name} stored before `{field}` changed', () => {{\n"
            f"  const old = {payload.replace('None', 'null')};  // the shape production still holds\n"
            f"  const result = {name}.safeParse(old);\n"
            f"  expect(result.success).toBe(true);  // or assert the error old data should get\n"
            f"}});\n",
            "ts",
        )
    if path.endswith((".ts", ".tsx")):
        return (
            f"it('reads a {name} stored before `{field}` changed', () => {{\n"
            f"  const old = {payload.replace('None', 'null')} as unknown as {name};\n"
            f"  expect(() => parse{name}(old)).not.toThrow();  // or assert the fallback\n"
            f"}});\n",
            "ts",
        )
    # GraphQL, protobuf, Avro, JSON Schema: the tests are in whatever language reads them, so
    # the offer is a fixture of the old shape, saved where `fixture_path` says.
    return (json.dumps(json.loads(_json_payload(t)), indent=2) + "\n", "json")


def _json_payload(t: Tightening) -> str:
    """The old payload as JSON (placeholders as JSON values)."""
    return _old_payload(t).replace("None", "null").replace("True", "true")


def fixture_path(t: Tightening, root: str) -> str:
    """Where the fixture a template offers is saved: a name that says what it holds, under the
    shape's service root, where the evidence search finds it."""
    name = _snake(t.shape.name.rsplit(".", 1)[-1])
    field = _snake(t.field or "value")
    return f"{root + '/' if root else ''}tests/fixtures/{name}_before_{field}.json"


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


def _kept_columns(ctx: Analysis) -> set[tuple[str, str | None]]:
    """(model, field) of Django fields the PR's migrations remove from the state only."""
    return {
        (op.model, op.column)
        for m in migrations(ctx)
        for op in m.reading.state
        if op.kind == OpKind.DROP_COLUMN and op.model
    }


def _removed_from_a_response(ctx: Analysis, t: Tightening, path: str) -> bool:
    """A field removed from a pydantic model that only flows out, decided as `_as_response`
    decides it for GR301 (the routes read return it and take it in nowhere, or it is named as a
    response and nothing read takes it in). Stored rows that still carry the field are built
    into it, and pydantic ignores a key the model no longer declares: no data of the old shape
    fails, only the response stops carrying the field (a question for its readers, not for old
    data). Kept: a model that forbids unknown keys (`extra="forbid"` rejects such a row), one
    guardrail could not read every module for, and a path `data-shapes.include` names."""
    if t.code != TKind.REMOVED or t.shape.kind != ShapeKind.PYDANTIC or t.shape.closed:
        return False
    if matches(path, ctx.config.data_shapes.include) or not_lowered(ctx, t.shape.name):
        return False
    if response_only(ctx, t.shape.name) is not None:
        return True
    if not response_by_name(t.shape):
        return False
    seen, unread = taken_in(ctx, t.shape.name)
    return not seen and not unread


def _as_response(
    ctx: Analysis, t: Tightening, path: str, detail: str
) -> tuple[Severity | None, str]:
    """A GR301 on a pydantic model that only flows out: the routes read return it and take it
    in nowhere, or it is named as a response (`OrderResponse`, `OrderOut`) and nothing read
    takes it in. Old clients send it nothing; the stored rows a response is built from lack
    the field only where storage lets them (GR304 says so when it sees that layer): a
    warning. A model guardrail cannot be sure of stays as it is."""
    field_ = code(t.field or "")
    if (route := response_only(ctx, t.shape.name)) is not None:
        return Severity.WARNING, (
            f"{code(t.shape.name)} is only a response model here (returned at "
            f"{code(route)}): old data reaches it through the stored rows a response is "
            f"built from, and a row without {field_} fails that response "
            "wherever storage still lets the value be empty."
        )
    if unsure := not_lowered(ctx, t.shape.name):
        return None, detail + (
            f" Routes seen only return {code(t.shape.name)}, but {unsure}: a request "
            "route there would go unseen, so this stays an error."
        )
    if not response_by_name(t.shape) or matches(path, ctx.config.data_shapes.include):
        return None, detail
    seen, unread = taken_in(ctx, t.shape.name)
    if seen:
        return None, detail
    # Named as what code returns, as a route-returned model is seen to be: the same failure
    # (a stored row without the value fails the response), the same warning.
    said = (
        f"{code(t.shape.name)} is named as a response and no route or code guardrail read "
        "takes it in (a request body or parameter, or a rebuild from data): old data reaches "
        f"it through the stored rows a response is built from, and a row without {field_} "
        "fails that response wherever storage still lets the value be empty. If requests or "
        "messages are read into it, treat this as an error."
    )
    return Severity.WARNING, said + (f" Not every module was read: {unread}." if unread else "")


MODULE_ROUNDS = 2  # batches of imported modules read without a checkout (one request each)


def _search(
    found: list[Change], index: ev.TestIndex
) -> dict[tuple[str, str, str | None], ev.Evidence | None]:
    """Evidence for each tightening. Without a checkout, a test that hands old data to a module
    of the application (`importer.import_row({...})`) is followed as with one: the modules
    the search wanted are read in one batch through the API, and the uncovered tightenings
    are searched again (a module that imports another: a second batch, at most
    MODULE_ROUNDS). `index.searched` then says how many were read, and what was not."""
    out: dict[tuple[str, str, str | None], ev.Evidence | None] = {}
    for change in found:
        t = change.tightening
        key = (change.file.path, t.shape.name, t.field)
        if key not in out:
            out[key] = ev.find(t, index, change.file.path)
    read = 0
    for _ in range(MODULE_ROUNDS):
        if None not in out.values() or not (asked := index.read_unread()):
            break
        read += asked
        for change in found:
            t = change.tightening
            key = (change.file.path, t.shape.name, t.field)
            if out[key] is None:
                out[key] = ev.find(t, index, change.file.path)
    found_modules = sum(1 for text in index.fetched.values() if text is not None)
    if read:
        index.searched += (
            f"; evidence was followed into {found_modules} application "
            f"module{'s' if found_modules != 1 else ''} the tests import, read through the "
            "GitHub API"
        )
    if index.unread and None in out.values():
        index.searched += (
            f"; {len(index.unread)} more modules the tests import were not read (add "
            "actions/checkout to follow every one)"
        )
    return out


def check_legacy(ctx: Analysis) -> Iterator[Output]:
    shape_changes = ctx.get(SHAPE_CHANGES)
    if shape_changes.not_compared:
        yield Note(
            f"{shape_changes.not_compared} more data-shape files were not compared (limit {MAX_SHAPE_FILES} per run)."
        )
    found = shape_changes.changes
    if not found:
        return
    index = test_index(ctx)
    evidence_of = _search(found, index)
    searched = index.searched
    seen: set[tuple[str, str, str | None]] = set()
    model_fields = {(c.tightening.field or "") for c in found if c.source != "migration"}
    covered: list[str] = []
    kept = _kept_columns(ctx)
    for change in found:
        t = change.tightening
        key = (change.file.path, t.shape.name, t.field)
        if key in seen:
            continue
        seen.add(key)
        if (
            t.code == TKind.REMOVED
            and t.shape.kind == ShapeKind.DJANGO
            and (t.shape.name.lower(), t.field) in kept
        ):
            # A state-only removal (the expand step): the column and its stored values stay,
            # and the code that no longer names it reads nothing of the old shape.
            continue
        if change.source == "migration" and (t.field or "") in model_fields:
            continue  # the model's own finding already asks for the test
        rule = _RULE.get(t.code, GR303)
        if rule is GR302 and _removed_from_a_response(ctx, t, change.file.path):
            continue
        evidence = evidence_of[key]
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
        if rule is GR301 and t.shape.kind == ShapeKind.PYDANTIC:
            severity, detail = _as_response(ctx, t, change.file.path, detail)
        fill = _backfilled(ctx, t)
        if fill and rule is GR301:
            severity = Severity.WARNING
            detail += f" {fill[:1].upper() + fill[1:]}, so stored rows are handled; a test still proves the code reads them."
        elif rule is GR301 and (unread := migration_fills(ctx).data_migration):
            # Data code that names no model may fill anything or nothing: said, not assumed.
            detail += (
                f" {code(unread)} runs data code guardrail could not read (it names no model); "
                f"if it fills {code(t.field or '')} for stored rows, say so when acknowledging."
            )
        if change.source == "migration":
            severity = Severity.WARNING if severity is None else severity
        detail += (
            f" ({_SOURCE.get(change.source, change.source)}) Evidence was searched in {searched}."
        )
        template, lang = _template(t, change.file.path)
        if lang == "json":
            saved = fixture_path(t, index.root(change.file.path))
            detail += (
                f" Save the fixture below as {code(saved)} and load it in the test of the code "
                f"that reads stored {code(t.shape.name)} data."
            )
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


CHECKS = (check_legacy,)
