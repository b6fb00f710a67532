"""GR507, GR508 — models and schema files changed without the migration that makes it so.

Part of `migration-integrity`: a Django model field added, removed or altered with no
migration of that app doing it; `schema.prisma` changed with no new Prisma migration; an EF
Core model snapshot and its migrations out of step; SQLAlchemy models changed in an Alembic
project with no new revision (a notice: autogenerate may not see every change); a Rails
migration without `db/schema.rb`/`structure.sql` changing, or the reverse.
"""

from __future__ import annotations

import dataclasses
import posixpath
from collections.abc import Iterator

from guardrail.analysis import model_fields as MF
from guardrail.analysis.diff import parse_patch
from guardrail.analysis.migrations.changed import Migration, migrations
from guardrail.analysis.migrations.compare import Edit
from guardrail.analysis.migrations.detect import detect
from guardrail.analysis.migrations.ops import OpKind
from guardrail.analysis.reads import wants
from guardrail.checks.base import Analysis
from guardrail.config import Config
from guardrail.model import ChangedFile, Finding, Severity
from guardrail.rules import by_code
from guardrail.text import code

GR507 = by_code("GR507")
GR508 = by_code("GR508")


_SQLALCHEMY_MARKS = ("Column(", "mapped_column(", "Mapped[", "__tablename__")


def _maybe_sqlalchemy(f: ChangedFile) -> bool:
    """Whether the patch touches what SQLAlchemy models are made of (only then is the file
    read: every changed Python file would cost a read each through the API)."""
    if not f.path.endswith(".py"):
        return False
    return f.patch is None or any(m in f.patch for m in _SQLALCHEMY_MARKS)  # None: unknown


@wants
def _drift_reads(f: ChangedFile, config: Config) -> Iterator[tuple[str, str]]:
    """What the drift checks read for one changed file."""
    app = django_app(f.path)
    sides = [("head", f.path)] + (
        [] if f.status == "added" else [("base", f.previous_path or f.path)]
    )
    if app is not None:
        yield from sides
        yield ("base", f"{app}/migrations/__init__.py")
    if _maybe_sqlalchemy(f):
        yield from sides
        yield ("base", "alembic.ini")
    if f.path.endswith(".prisma"):
        yield from sides
        yield ("base", prisma_migrations(f.path) + "migration_lock.toml")
    if f.status == "added" and f.path.endswith(".rb"):
        kind = detect(f.path, include=config.migration_include, exclude=config.migration_exclude)
        if kind is not None and kind.framework == "rails":
            yield from (("base", dump) for dump in rails_dumps(f.path))


def _texts(ctx: Analysis, f: ChangedFile) -> tuple[str | None, str | None]:
    if ctx.read is None:
        return None, None
    base = None if f.status == "added" else ctx.read("base", f.previous_path or f.path)
    head = None if f.status == "removed" else ctx.read("head", f.path)
    return base, head


def _doing(ms: list[Migration]) -> list[Migration]:
    """Migrations the PR adds, or edits in a way that changes what they do."""
    return [m for m in ms if m.edit in (Edit.ADDED, Edit.OPERATIONS)]


def _list(names: tuple[str, ...], limit: int = 3) -> str:
    shown = ", ".join(code(n) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _describe(change: MF.ModelChange, model: str) -> str:
    if change.created:
        return f"the model {code(model)} is new"
    if change.deleted:
        return f"the model {code(model)} is removed"
    bits = []
    if change.added:
        bits.append(f"{_list(change.added)} added")
    if change.removed:
        bits.append(f"{_list(change.removed)} removed")
    if change.altered:
        bits.append(f"{_list(change.altered)} changed")
    return f"{code(model)}: " + "; ".join(bits)


# -- Django -----------------------------------------------------------------------------------------


def django_app(path: str) -> str | None:
    if path.endswith("/models.py"):
        return path[: -len("/models.py")]
    if "/models/" in path and path.endswith(".py"):
        return path.split("/models/", 1)[0]
    return None


def _has_migrations(ctx: Analysis, app: str) -> bool:
    folder = f"{app}/migrations/"
    if any(f.path.startswith(folder) for f in ctx.pr.files):
        return True
    if ctx.base_tree is not None and any(p.startswith(folder) for p in ctx.base_tree.paths()):
        return True
    return ctx.read is not None and ctx.read("base", folder + "__init__.py") is not None


def _covered(change: MF.ModelChange, ms: list[Migration]) -> list[str]:
    """The fields of a change that no migration operation names."""
    table = change.model.lower()
    named: set[str] = set()
    for m in ms:
        if m.reading.notes or any(op.kind == OpKind.RAW for op in m.reading.ops):
            return []  # partly unread: it may well do it
        # What reaches the database and what changes Django's state only (a state-only
        # removal, a many-to-many field `through=` a model of its own) both follow the model.
        for op in (*m.reading.ops, *m.reading.state):
            if (op.model or op.table or "").lower() != table:
                continue
            if op.kind in (OpKind.CREATE_TABLE, OpKind.DROP_TABLE) and op.column is None:
                return []
            named.update(n for n in (op.column, op.new_name) if n)
    if change.created or change.deleted:
        return [change.model]
    return [f for f in change.fields() if f not in named]


def _django(ctx: Analysis, f: ChangedFile, ms: list[Migration]) -> Iterator[Finding]:
    app = django_app(f.path)
    if app is None or f.status == "removed" or not _has_migrations(ctx, app):
        return
    base_text, head_text = _texts(ctx, f)
    if head_text is None:
        return
    base = MF.django_models(base_text) if base_text is not None else {}
    head = MF.django_models(head_text)
    if base is None or head is None:
        return
    label = app.rsplit("/", 1)[-1]
    mine = [m for m in ms if m.kind.framework == "django" and m.file.path.startswith(app + "/")]
    for change in MF.changes(base, head):
        missing = _covered(change, mine)
        if not missing:
            continue
        keep = set(missing)
        shown = dataclasses.replace(
            change,
            added=tuple(n for n in change.added if n in keep),
            removed=tuple(n for n in change.removed if n in keep),
            altered=tuple(n for n in change.altered if n in keep),
        )
        what = _describe(shown, change.model)
        none = "no migration" if not mine else "no migration of this PR"
        yield GR507.finding(
            f"{what}, and {none} in {code(app + '/migrations/')} does it.",
            "Django changes the database only through migrations: after the deploy the code "
            "queries columns the table does not have (or still writes ones it no longer has). "
            f"Run `python manage.py makemigrations {label}` and commit the migration.",
            path=f.path,
            line=None if change.deleted else change.line,
        )


# -- SQLAlchemy in an Alembic project ------------------------------------------------------------


def _uses_alembic(ctx: Analysis) -> bool:
    if any(m.kind.framework == "alembic" for m in migrations(ctx)):
        return True
    return ctx.read is not None and ctx.read("base", "alembic.ini") is not None


def _sqlalchemy(ctx: Analysis, f: ChangedFile, ms: list[Migration]) -> Iterator[Finding]:
    if f.status == "removed" or not _maybe_sqlalchemy(f):
        return
    base_text, head_text = _texts(ctx, f)
    if head_text is None or "__tablename__" not in head_text + (base_text or ""):
        return
    base = MF.sqlalchemy_models(base_text) if base_text is not None else {}
    head = MF.sqlalchemy_models(head_text)
    if base is None or head is None:
        return
    found = MF.changes(base, head)
    if not found or not _uses_alembic(ctx):
        return
    if any(m.kind.framework == "alembic" for m in _doing(ms)):
        return  # a revision comes with it; autogenerate decides what it holds
    change = found[0]
    more = f" (and {len(found) - 1} more models)" if len(found) > 1 else ""
    yield GR507.finding(
        f"{_describe(change, change.model)}{more}, and the PR adds no Alembic revision.",
        "The table stays as it is until a revision changes it. Run `alembic revision "
        "--autogenerate -m '…'` and review it (autogenerate does not see every change, such "
        "as renames and some type changes).",
        severity=Severity.NOTICE,
        path=f.path,
        line=None if change.deleted else change.line,
    )


# -- Prisma -----------------------------------------------------------------------------------------


def _prisma_root(path: str) -> str:
    folder = posixpath.dirname(path)
    return posixpath.dirname(folder) if folder.endswith("/schema") or folder == "schema" else folder


def prisma_migrations(path: str) -> str:
    """The Prisma migrations folder of a schema file, with a trailing slash."""
    root = _prisma_root(path)
    return f"{root}/migrations/" if root else "migrations/"


def _prisma(ctx: Analysis, f: ChangedFile) -> Iterator[Finding]:
    if not f.path.endswith(".prisma") or f.status == "removed":
        return
    folder = prisma_migrations(f.path)
    if any(
        p.path.startswith(folder) and p.path.endswith("/migration.sql") and p.status == "added"
        for p in ctx.pr.files
    ):
        return
    lock = folder + "migration_lock.toml"
    if ctx.read is None or ctx.read("base", lock) is None:
        return  # `prisma db push` projects keep no migrations
    base_text, head_text = _texts(ctx, f)
    if head_text is None:
        return
    base = MF.prisma_models(base_text or "")
    found = MF.changes(base, MF.prisma_models(head_text))
    if not found:
        return
    change = found[0]
    more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
    yield GR507.finding(
        f"{_describe(change, change.model)}{more}, and no new migration in {code(folder)}.",
        "`prisma migrate deploy` applies only migration files, so production keeps the old "
        "schema while the new client expects the new one. Run `prisma migrate dev --name …` "
        "and commit the migration.",
        path=f.path,
        line=None if change.deleted else change.line,
    )


# -- EF Core ----------------------------------------------------------------------------------------


def _efcore(ctx: Analysis, ms: list[Migration]) -> Iterator[Finding]:
    added = [m for m in ms if m.kind.framework == "efcore" and m.file.status == "added"]
    snapshots = [
        f for f in ctx.pr.files if f.path.endswith("ModelSnapshot.cs") and f.status != "removed"
    ]
    for snap in snapshots:
        folder = posixpath.dirname(snap.path)
        if not any(posixpath.dirname(m.file.path) == folder for m in added):
            yield GR507.finding(
                f"The model snapshot {code(snap.path)} changes, and no migration is added next "
                "to it.",
                "The snapshot says the database has a change no migration makes, so the next "
                "`dotnet ef migrations add` leaves it out. Add the migration "
                "(`dotnet ef migrations add …`) instead of editing the snapshot.",
                path=snap.path,
            )
    listing = ctx.base_tree.paths() if ctx.base_tree is not None else []
    for m in added:
        folder = posixpath.dirname(m.file.path)
        if any(posixpath.dirname(s.path) == folder for s in snapshots):
            continue
        base_snapshots = [
            p for p in listing if posixpath.dirname(p) == folder and p.endswith("ModelSnapshot.cs")
        ]
        if base_snapshots:
            yield GR507.finding(
                f"{code(m.file.path.rsplit('/', 1)[-1])} is added but {code(base_snapshots[0])} "
                "does not change.",
                "EF Core diffs the next migration against the snapshot, so the next one repeats "
                "this change. Add migrations with `dotnet ef migrations add`, which updates both.",
                path=m.file.path,
                line=1,
            )


# -- Rails: db/schema.rb and structure.sql ----------------------------------------------------------


def rails_dumps(migration_path: str) -> tuple[str, ...]:
    """The schema files a Rails migration folder is dumped to."""
    parts = migration_path.split("/")
    if "db" not in parts:
        return ()
    i = len(parts) - 1 - parts[::-1].index("db")
    root = "/".join(parts[: i + 1])
    folder = parts[i + 1] if i + 1 < len(parts) - 1 else ""
    prefix = ""
    if folder.endswith("_migrate") and folder not in ("post_migrate",):
        prefix = folder[: -len("migrate")]
    return (f"{root}/{prefix}schema.rb", f"{root}/{prefix}structure.sql")


def _dump_meaningful(f: ChangedFile) -> bool | None:
    """Whether a schema dump's change is more than its version line; None: not known."""
    if f.patch is None:
        return None
    diff = parse_patch(f.patch)
    for ln in [*diff.added, *diff.removed]:
        text = ln.text.strip()
        if not text or text.startswith(("#", "--")):
            continue
        if "define(version:" in text or text.startswith("('") or "schema_migrations" in text:
            continue
        return True
    return False


def _rails(ctx: Analysis, ms: list[Migration]) -> Iterator[Finding]:
    changed = {f.path: f for f in ctx.pr.files}
    rails = [m for m in _doing(ms) if m.kind.framework == "rails"]
    dumps_seen: set[str] = set()
    for m in rails:
        dumps = rails_dumps(m.file.path)
        dumps_seen.update(dumps)
        if not dumps or any(d in changed for d in dumps) or ctx.read is None:
            continue
        present = [d for d in dumps if ctx.read("base", d) is not None]
        if present:
            yield GR508.finding(
                f"{code(m.file.path.rsplit('/', 1)[-1])} is added but {code(present[0])} does "
                "not change.",
                "New databases (CI, a new environment) are loaded from the schema dump, not "
                "from the migrations, so they miss this change. Run the migration locally "
                "(`bin/rails db:migrate`) and commit the updated dump.",
                path=m.file.path,
                line=1,
            )
    for path, f in changed.items():
        name = path.rsplit("/", 1)[-1]
        if not (name.endswith("schema.rb") or name.endswith("structure.sql")):
            continue
        if "/db/" not in f"/{path}" or path in dumps_seen or f.status == "removed":
            continue
        if _dump_meaningful(f) is not True:
            continue
        yield GR508.finding(
            f"{code(path)} changes, and no migration in this PR makes that change.",
            "Production is changed only by migrations: a hand-edited dump (or one that carries "
            "another branch's migrations) describes a schema production will not have. Add the "
            "migration, or regenerate the dump from the base branch's migrations.",
            path=path,
        )


def check_drift(ctx: Analysis) -> Iterator[Finding]:
    ms = migrations(ctx)
    doing = _doing(ms)
    for f in ctx.pr.files:
        if f.binary:
            continue
        if django_app(f.path) is not None:
            yield from _django(ctx, f, doing)
        if f.path.endswith(".py") and not any(m.file.path == f.path for m in ms):
            yield from _sqlalchemy(ctx, f, ms)
        yield from _prisma(ctx, f)
    yield from _efcore(ctx, ms)
    yield from _rails(ctx, ms)


CHECKS = (check_drift,)
