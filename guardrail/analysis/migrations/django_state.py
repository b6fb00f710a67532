"""Django: each field as the app's earlier migrations leave it, for an AlterField to be judged
against what the database really has.

An AlterField restates the whole field. Django's schema editor compares it with the field as the
app's migration state had it and emits SQL for the differences alone: a new `related_name`,
`verbose_name`, `help_text`, `validators` or choice label emits nothing. So the state is
replayed here the way Django builds it: the base branch's migrations of the app
(`<app>/migrations/*.py`; the files a squashed migration `replaces` are left out when it is
there) and the PR's own, in the order Django's plan applies them (`plan`, by `dependencies`
and `run_before` within the app; name order, said as GR290, when a link names no migration or
the links form a cycle), then the operations above the AlterField in its own file. CreateModel, AddField, AlterField, RemoveField, RenameField,
DeleteModel and RenameModel step the state; inside SeparateDatabaseAndState its state
operations do (Django's own rule). Operations guardrail cannot read make the whole app unknown
from there on; SQL in RunSQL that changes a column (or a table it cannot read) makes that
column (or table) unknown. Unknown keeps the AlterField as the reader wrote it ("may").

Computed only when a PR migration has an AlterField (a Fact asked for lazily), from one batched
read of the base tree; an app with more than MAX_FILES migrations is not replayed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from guardrail.analysis.core import Analysis, Fact
from guardrail.analysis.migrations.ops import DjangoField, FieldEvent, Reading

if TYPE_CHECKING:
    from guardrail.analysis.migrations.django import App

MAX_FILES = 1500
MAX_CHARS = 15_000_000


@dataclass
class AppState:
    """model (lower case) -> field name -> declaration (None: not known), and each model's
    table as the reader named it (for SQL that changes a column behind Django's back)."""

    fields: dict[str, dict[str, DjangoField | None]] = field(default_factory=dict)
    tables: dict[str, str | None] = field(default_factory=dict)

    def apply(self, e: FieldEvent) -> None:
        if e.kind in _LINKS:
            return  # how the migrations are ordered, not a step of the state
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


_LINKS = frozenset({"replaces", "depends", "runs_before"})

# app folder -> [(file name, its model-state steps)], the base branch's, by name; an app over
# the caps is one NOT_REPLAYED entry that makes its state unknown.
NOT_REPLAYED = ""
Steps = dict[str, list[tuple[str, tuple[FieldEvent, ...]]]]


def plan(parents: dict[str, set[str]]) -> list[str] | str:
    """The app's migrations in the order Django applies them, given each one's parents within
    the app, or why they cannot be ordered (a parent that is not there, a cycle).

    As `migrate` builds its full plan: the leaf nodes by name, each followed back through its
    parents by MigrationGraph.iterative_dfs, which pushes a node's parents sorted and so takes
    the last-named first (a merge of 0003_a and 0003_b applies 0003_b, then 0003_a), each
    migration once. Another app's migrations are not followed: a link through another app
    (shop 0005 -> billing 0002 -> shop 0004) is not seen."""
    for name, ups in sorted(parents.items()):
        missing = sorted(ups - parents.keys())
        if missing:
            return f"`{name}` depends on `{missing[0]}`, which is not among the app's migrations"
    children: dict[str, set[str]] = {n: set() for n in parents}
    for name, ups in parents.items():
        for up in ups:
            children[up].add(name)
    done: list[str] = []
    seen: set[str] = set()
    entered: set[str] = set()  # a node met again before it is done closes a cycle
    for leaf in sorted(n for n, below in children.items() if not below):
        stack = [(leaf, False)]
        while stack:
            node, processed = stack.pop()
            if node in seen:
                continue
            if processed:
                seen.add(node)
                done.append(node)
            elif node not in entered:
                entered.add(node)
                stack.append((node, True))
                stack += [(up, False) for up in sorted(parents[node])]
    at = {n: i for i, n in enumerate(done)}
    late = [n for n in done if any(at[up] > at[n] for up in parents[n])]
    stuck = sorted(parents.keys() - seen) or late
    if stuck:
        return f"their dependencies form a cycle (through `{stuck[0]}`)"
    return done


def _replay(ctx: Analysis) -> Steps:
    from guardrail.analysis.migrations import django
    from guardrail.analysis.migrations.changed import MIGRATIONS, django_app
    from guardrail.analysis.migrations.detect import detect

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
            out[folder] = [(NOT_REPLAYED, (FieldEvent("lost", 0),))]
            continue
        texts = ctx.base_tree.read_many(paths)
        if sum(len(t) for t in texts.values() if t is not None) > MAX_CHARS:
            out[folder] = [(NOT_REPLAYED, (FieldEvent("lost", 0),))]
            continue
        files: list[tuple[str, tuple[FieldEvent, ...]]] = []
        replaced: set[str] = set()
        for path in sorted(texts, key=lambda p: p.rsplit("/", 1)[-1]):
            name = path.rsplit("/", 1)[-1]
            text = texts[path]
            if text is None:  # not read (binary, too large): the app is unknown from it on
                files.append((name, (FieldEvent("lost", 0),)))
                continue
            kind = detect(path, text)
            if kind is None or kind.framework != "django":
                continue
            steps = state_steps(text, django_app(ctx, kind) or django.app_of(path))
            replaced |= {f"{e.name}.py" for e in steps if e.kind == "replaces"}
            files.append((name, steps))
        out[folder] = [(n, steps) for n, steps in files if n not in replaced]
    return out


BASE_STEPS: Fact[Steps] = Fact("django_base_steps", _replay)


def state_steps(text: str, app: App) -> tuple[FieldEvent, ...]:
    """A base migration's model-state steps and links, read without the operations'
    definitions (nothing compares them here). A file that cannot be read, not valid Python
    included, makes the app's state unknown from it on."""
    from guardrail.analysis.migrations import django

    try:
        return django.read(text, app, definitions=False).fields
    except Exception:  # a file outside the PR: the app is unknown from it on
        return (FieldEvent("lost", 0),)


def field_before(
    ctx: Analysis, path: str, model: str, name: str, line: int, reading: Reading
) -> tuple[DjangoField | None, str | None]:
    """The field `model.name` as Django's state has it just before line `line` of the PR's
    migration at `path` (whose head reading is `reading`), or None when it is not known; and
    why the app's migrations were replayed in name order when their dependencies could not
    order them (`before`)."""
    if ctx.base_tree is None or "/migrations/" not in path:
        return None, None
    state = AppState()
    earlier, why = before(ctx, path)
    for steps in earlier:
        for e in steps:
            state.apply(e)
    for e in reading.fields:
        if e.line >= line:
            break
        state.apply(e)
    return state.get(model, name), why


def replayed(ctx: Analysis, path: str) -> bool:
    """False when the app of the PR's migration at `path` was over the replay's caps."""
    base = ctx.get(BASE_STEPS).get(path.rpartition("/")[0], [])
    return not any(n == NOT_REPLAYED for n, _ in base)


def before(ctx: Analysis, path: str) -> tuple[list[tuple[FieldEvent, ...]], str | None]:
    """The steps of the app's migrations that Django applies before the PR's migration at
    `path` (the base branch's, the PR's own replacing theirs), in the order of their
    `dependencies` within the app (`plan`); and, when that order cannot be made (a parent not
    there, a cycle), why: the migrations are then taken in name order, as before."""
    from guardrail.analysis.migrations.changed import MIGRATIONS

    folder, _, own = path.rpartition("/")
    base = ctx.get(BASE_STEPS).get(folder, [])
    if any(n == NOT_REPLAYED for n, _ in base):
        return [steps for _, steps in base], (
            f"the app has more than {MAX_FILES:,} migrations (or {MAX_CHARS // 1_000_000} million "
            "characters of them), so its history was not replayed"
        )
    files: dict[str, tuple[FieldEvent, ...]] = {n.removesuffix(".py"): steps for n, steps in base}
    for m in ctx.get(MIGRATIONS):
        other_folder, _, other = m.file.path.rpartition("/")
        if other_folder == folder and m.kind.framework == "django":
            files[other.removesuffix(".py")] = m.reading.fields
    own = own.removesuffix(".py")
    if own not in files:
        return [], None
    # A squashed migration stands for the ones it replaces (whose files are left out).
    squashed = {e.name: n for n, steps in files.items() for e in steps if e.kind == "replaces"}
    parents: dict[str, set[str]] = {n: set() for n in files}
    absent: str | None = None
    for n, steps in files.items():
        for e in steps:
            if e.name is None or e.kind not in ("depends", "runs_before"):
                continue
            other = squashed.get(e.name, e.name) if e.name not in files else e.name
            if e.kind == "depends":
                parents[n].add(other)
            elif other in files:
                parents[other].add(n)
            else:
                absent = f"`{n}` runs before `{other}`, which is not among the app's migrations"
    order = plan(parents) if absent is None else absent
    why = None
    if isinstance(order, str):
        why = order
        order = sorted(files)
    return [files[n] for n in order[: order.index(own)]], why


def field_at(reading: Reading, model: str, name: str, line: int) -> DjangoField | None:
    """What the AlterField at `line` declares for `model.name`."""
    for e in reading.fields:
        if e.kind == "alter" and e.line == line and e.model == model and e.name == name:
            return e.field
    return None
