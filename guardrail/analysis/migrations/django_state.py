"""Django: each field as the app's earlier migrations leave it, for an AlterField to be judged
against what the database really has.

An AlterField restates the whole field. Django's schema editor compares it with the field as the
app's migration state had it and emits SQL for the differences alone: a new `related_name`,
`verbose_name`, `help_text`, `validators` or choice label emits nothing. So the state is
replayed here the way Django builds it: the base branch's migrations of the app
(`<app>/migrations/*.py`, in name order; the files a squashed migration `replaces` are left out
when it is there), then the PR's own earlier migrations of the app, then the operations above
the AlterField in its own file. CreateModel, AddField, AlterField, RemoveField, RenameField,
DeleteModel and RenameModel step the state; inside SeparateDatabaseAndState its state
operations do (Django's own rule). Operations guardrail cannot read make the whole app unknown
from there on; SQL in RunSQL that changes a column (or a table it cannot read) makes that
column (or table) unknown. Unknown keeps the AlterField as the reader wrote it ("may").

Computed only when a PR migration has an AlterField (a Fact asked for lazily), from one batched
read of the base tree; an app with more than MAX_FILES migrations is not replayed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from guardrail.analysis.core import Analysis, Fact
from guardrail.analysis.migrations.ops import DjangoField, FieldEvent, Reading

MAX_FILES = 1500
MAX_CHARS = 15_000_000


@dataclass
class AppState:
    """model (lower case) -> field name -> declaration (None: not known), and each model's
    table as the reader named it (for SQL that changes a column behind Django's back)."""

    fields: dict[str, dict[str, DjangoField | None]] = field(default_factory=dict)
    tables: dict[str, str | None] = field(default_factory=dict)

    def apply(self, e: FieldEvent) -> None:
        if e.kind == "lost":
            self.fields.clear()
            self.tables.clear()
            return
        if e.kind == "touch":
            for model, table in self.tables.items():
                if table and e.table and table.lower() == e.table.lower():
                    declared = self.fields.get(model, {})
                    for name in list(declared) if e.name is None else _named(declared, e.name):
                        declared[name] = None
            return
        if not e.model:
            return
        if e.kind == "create":
            self.fields[e.model] = dict(e.fields)
            self.tables[e.model] = e.table
        elif e.kind == "delete":
            self.fields.pop(e.model, None)
            self.tables.pop(e.model, None)
        elif e.kind == "rename_model":
            if e.new_name:
                self.fields[e.new_name] = self.fields.pop(e.model, {})
                self.tables[e.new_name] = self.tables.pop(e.model, None)
        elif e.name:
            self._field(e, e.name)

    def _field(self, e: FieldEvent, name: str) -> None:
        assert e.model is not None
        declared = self.fields.setdefault(e.model, {})
        self.tables.setdefault(e.model, e.table)
        if e.kind in ("add", "alter"):
            declared[name] = e.field
        elif e.kind == "remove":
            declared.pop(name, None)
        elif e.kind == "rename" and e.new_name:
            declared[e.new_name] = declared.pop(name, None)

    def get(self, model: str, name: str) -> DjangoField | None:
        return self.fields.get(model, {}).get(name)


def _named(declared: dict[str, DjangoField | None], column: str) -> list[str]:
    """The fields whose column is `column` (a foreign key `customer` is `customer_id`)."""
    c = column.lower()
    return [n for n in declared if n.lower() in (c, c.removesuffix("_id"))]


# app folder -> [(file name, its model-state steps)], the base branch's, in the order applied.
Steps = dict[str, list[tuple[str, tuple[FieldEvent, ...]]]]


def _replay(ctx: Analysis) -> Steps:
    from guardrail.analysis.migrations.changed import MIGRATIONS
    from guardrail.analysis.migrations.detect import detect, read

    if ctx.base_tree is None:
        return {}
    changed = ctx.get(MIGRATIONS)
    wanted = {
        m.file.path.rsplit("/", 1)[0]
        for m in changed
        if m.kind.framework == "django" and "/migrations/" in m.file.path
    }
    if not wanted:
        return {}
    own = {m.file.path for m in changed}
    by_folder: dict[str, list[str]] = {}
    for p in ctx.base_tree.paths():
        folder, _, name = p.rpartition("/")
        if folder in wanted and p not in own and name.endswith(".py"):
            by_folder.setdefault(folder, []).append(p)
    out: Steps = {}
    for folder, paths in by_folder.items():
        if len(paths) > MAX_FILES:
            continue
        texts = {p: t for p, t in ctx.base_tree.read_many(paths).items() if t is not None}
        if sum(len(t) for t in texts.values()) > MAX_CHARS:
            continue
        files: list[tuple[str, tuple[FieldEvent, ...]]] = []
        replaced: set[str] = set()
        for path in sorted(texts, key=lambda p: p.rsplit("/", 1)[-1]):
            name = path.rsplit("/", 1)[-1]
            kind = detect(path, texts[path])
            if kind is None or kind.framework != "django":
                continue
            try:
                reading = read(kind, texts[path])
            except Exception:  # a file outside the PR: the app is unknown from it on
                files.append((name, (FieldEvent("lost", 0),)))
                continue
            replaced |= {f"{e.name}.py" for e in reading.fields if e.kind == "replaces"}
            files.append((name, reading.fields))
        out[folder] = [(n, steps) for n, steps in files if n not in replaced]
    return out


BASE_STEPS: Fact[Steps] = Fact("django_base_steps", _replay)


def field_before(
    ctx: Analysis, path: str, model: str, name: str, line: int, reading: Reading
) -> DjangoField | None:
    """The field `model.name` as Django's state has it just before line `line` of the PR's
    migration at `path` (whose head reading is `reading`), or None when it is not known."""
    from guardrail.analysis.migrations.changed import MIGRATIONS

    if ctx.base_tree is None or "/migrations/" not in path:
        return None
    folder, _, own = path.rpartition("/")
    state = AppState()
    for file_name, steps in ctx.get(BASE_STEPS).get(folder, []):
        if file_name < own:
            for e in steps:
                state.apply(e)
    changed = ctx.get(MIGRATIONS)
    for m in sorted(changed, key=lambda m: m.file.path):
        other_folder, _, other = m.file.path.rpartition("/")
        if other_folder == folder and other < own and m.kind.framework == "django":
            for e in m.reading.fields:
                state.apply(e)
    for e in reading.fields:
        if e.line >= line:
            break
        state.apply(e)
    return state.get(model, name)


def field_at(reading: Reading, model: str, name: str, line: int) -> DjangoField | None:
    """What the AlterField at `line` declares for `model.name`."""
    for e in reading.fields:
        if e.kind == "alter" and e.line == line and e.model == model and e.name == name:
            return e.field
    return None
