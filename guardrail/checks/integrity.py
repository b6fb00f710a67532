"""GR50x — Does the migration history still hold after the merge?

Judged on the base branch's migrations (its tip: what landed since the branch point counts)
plus the PR's: two heads or leaves, a parent that does not exist, two files with one version,
a version lower than one production already has (`migration-integrity`). Also: migrations that
already shipped and are edited or deleted, and models changed without a migration.
"""

from __future__ import annotations

import functools
import posixpath
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from guardrail.analysis import flyway
from guardrail.analysis import history as H
from guardrail.analysis.diff import parse_patch
from guardrail.analysis.migrations.changed import Migration, migrations, text_of
from guardrail.analysis.migrations.compare import Comparison, Edit, code_only, compare
from guardrail.analysis.migrations.detect import detect
from guardrail.analysis.migrations.ops import Op, OpKind
from guardrail.checks.base import Analysis, Output
from guardrail.model import Answer, CheckName, Finding, Note, Severity
from guardrail.rules import by_code
from guardrail.text import code

INTEGRITY = CheckName.MIGRATION_INTEGRITY

GR501 = by_code("GR501")
GR502 = by_code("GR502")
GR503 = by_code("GR503")
GR505 = by_code("GR505")
GR506 = by_code("GR506")
GR504 = by_code("GR504")

# Files read from the base branch per app or folder at most (Django, Alembic): the history
# a PR can conflict with is its recent end.
MAX_HISTORY_FILES = 400
_UP_ROLES = ("up", "baseline")


@dataclass(frozen=True)
class _Change:
    """The PR's migration files, as the history sees them."""

    new: list[Migration]  # added (or renamed into place): not on the base branch
    gone: set[str]  # paths the PR deletes or renames away
    paths: set[str]  # the new files' paths


def _change(ctx: Analysis) -> _Change:
    new = [
        m
        for m in migrations(ctx)
        if m.file.status in ("added", "renamed", "copied") and m.kind.role in _UP_ROLES
    ]
    gone = {f.path for f in ctx.pr.files if f.status == "removed"} | {
        f.previous_path for f in ctx.pr.files if f.status == "renamed" and f.previous_path
    }
    return _Change(new, gone, {m.file.path for m in new})


def _base_paths(ctx: Analysis, change: _Change) -> list[str] | None:
    if ctx.base_tree is None:
        return None
    return [p for p in ctx.base_tree.paths() if p not in change.gone and p not in change.paths]


def _name(path: str) -> str:
    return path.rsplit("/", 1)[-1]


# -- Django: leaves and dependencies -----------------------------------------------------------------


def _number(name: str) -> int:
    digits = name[:4]
    return int(digits) if digits.isdigit() else 0


def _django_labels(ctx: Analysis, new: list[Migration]) -> dict[str, str]:
    """folder -> app label of the apps this PR adds migrations to: the folder's name unless
    the app's AppConfig sets `label` (their dependencies then name the label)."""
    labels: dict[str, str] = {}
    for m in new:
        where = H.django_app(m.file.path)
        if where is not None and where[0] not in labels:
            from guardrail.analysis.migrations.django import app_config_label

            apps_py = ctx.read("head", f"{where[0]}/apps.py") if ctx.read else None
            labels[where[0]] = app_config_label(apps_py) or where[1]
    return labels


def _labelled(labels: dict[str, str], path: str) -> tuple[str, str] | None:
    where = H.django_app(path)
    return (where[0], labels.get(where[0], where[1])) if where is not None else None


def _read_labelled(labels: dict[str, str], path: str, text: str) -> H.DjangoMigration | None:
    node = H.read_django(path, text)
    where = _labelled(labels, path)
    return replace(node, app=where[1]) if node is not None and where is not None else node


def _django(ctx: Analysis, change: _Change, base: list[str]) -> Iterator[Finding]:
    assert ctx.base_tree is not None
    new = [m for m in change.new if m.kind.framework == "django"]
    if not new:
        return
    labels = _django_labels(ctx, new)
    app_of = functools.partial(_labelled, labels)
    read_node = functools.partial(_read_labelled, labels)
    by_app: dict[tuple[str, str], list[H.DjangoMigration]] = {}
    for m in new:
        text = text_of(ctx, m.file)
        node = read_node(m.file.path, text) if text is not None else None
        where = app_of(m.file.path)
        if node is not None and where is not None:
            by_app.setdefault(where, []).append(node)
    # Every Django migration folder after the merge, by app label: what a dependency can name.
    names: dict[str, set[str]] = {}
    listed: set[str] = set()  # labels whose folder the base branch's listing has
    for p in base:
        where = app_of(p)
        if where:
            listed.add(where[1])
    for p in [*base, *change.paths]:
        where = app_of(p)
        if where and p.endswith(".py") and not _name(p).startswith("__"):
            names.setdefault(where[1], set()).add(_name(p)[: -len(".py")])
    for (folder, label), mine in by_app.items():
        parents = [n for m in mine for a, n in m.dependencies if a == label]
        floor = min((_number(n) for n in parents), default=0)
        candidates = [
            p
            for p in base
            if app_of(p) == (folder, label)
            and _name(p)[:4].isdigit()
            and p.endswith(".py")
            and _number(_name(p)) >= floor
        ]
        texts = ctx.base_tree.read_many(sorted(candidates)[-MAX_HISTORY_FILES:])
        theirs = [n for p, t in texts.items() if t is not None for n in [read_node(p, t)] if n]
        before = H.django_leaves(theirs, label)
        after = H.django_leaves([*theirs, *mine], label)
        ours = [leaf for leaf in after if leaf.path in change.paths]
        others = [leaf for leaf in after if leaf.path not in change.paths]
        if ours and others and len(after) > max(1, len(before)):
            mine_leaf, other = ours[0], others[0]
            shared = {n for a, n in mine_leaf.dependencies if a == label} & {
                n for a, n in other.dependencies if a == label
            }
            relation = (
                f"both follow {code(sorted(shared)[0])}"
                if shared
                else f"are both the latest migration of {code(label)}"
            )
            yield GR501.finding(
                f"{code(mine_leaf.name)} (this PR) and {code(other.name)} (on the base branch) "
                f"{relation}: after the merge {code(label)} has two leaf migrations.",
                "Django stops `migrate` with “Conflicting migrations detected” until they are "
                f"joined. Merge the base branch, then run `python manage.py makemigrations --merge "
                f"{label}`, or make yours depend on {code(other.name)} and renumber it.",
                path=mine_leaf.path,
                line=mine_leaf.line,
            )
        squashed = any("squashed" in n for n in names.get(label, ()))
        for node in mine:
            for app, parent in node.dependencies:
                if parent in ("__first__", "__latest__") or app not in names:
                    continue  # a third-party app: its migrations are not in this repository
                if app not in listed and not parent.startswith("0001"):
                    continue  # the base listing does not cover that folder: do not guess
                if parent in names[app] or (app == label and squashed):
                    continue
                yield GR502.finding(
                    f"{code(node.name)} depends on {code(f'{app}.{parent}')}, which does not "
                    "exist after the merge.",
                    f"Django refuses to load the migration graph (NodeNotFoundError). Point the "
                    f"dependency at an existing migration of {code(app)} (the latest is what "
                    "`makemigrations` would pick), or add the missing one to this PR.",
                    path=node.path,
                    line=node.line,
                )


# -- Alembic: heads and down_revision ----------------------------------------------------------------


def _alembic(ctx: Analysis, change: _Change, base: list[str]) -> Iterator[Finding | Note]:
    assert ctx.base_tree is not None
    new = [m for m in change.new if m.kind.framework == "alembic"]
    by_dir: dict[str, list[H.AlembicRevision]] = {}
    for m in new:
        text = text_of(ctx, m.file)
        rev = H.read_alembic(m.file.path, text) if text is not None else None
        if rev is not None:
            by_dir.setdefault(posixpath.dirname(m.file.path), []).append(rev)
    for folder, mine in by_dir.items():
        files = [
            p
            for p in base
            if posixpath.dirname(p) == folder and p.endswith(".py") and not _name(p).startswith("_")
        ]
        if not files and any(r.down for r in mine):
            continue  # the listing does not cover this folder (or it is new): do not guess
        if len(files) > MAX_HISTORY_FILES:
            yield Note(
                f"{code(folder)} has {len(files)} Alembic revisions; guardrail read the newest "
                f"{MAX_HISTORY_FILES} by name, so a conflict with an older one may go unseen"
            )
        texts = ctx.base_tree.read_many(sorted(files)[-MAX_HISTORY_FILES:])
        theirs: list[H.AlembicRevision] = []
        unread = 0
        for p, t in texts.items():
            rev = H.read_alembic(p, t) if t is not None else None
            if rev is not None:
                theirs.append(rev)
            elif t is None or "down_revision" in t:
                unread += 1
        if unread or len(files) > MAX_HISTORY_FILES:
            continue  # an unread revision could be anyone's parent: do not guess
        before = H.alembic_heads(theirs)
        after = H.alembic_heads([*theirs, *mine])
        ours = [r for r in after if r.path in change.paths]
        others = [r for r in after if r.path not in change.paths]
        known = {r.revision for r in [*theirs, *mine]}
        orphaned = any(parent not in known for r in mine for parent in r.down)
        branching = any(r.branch_labels for r in mine)
        if ours and others and len(after) > max(1, len(before)) and not branching and not orphaned:
            head, other = ours[0], others[0]
            yield GR501.finding(
                f"Revision {code(head.revision)} (this PR, {code(_name(head.path))}) and "
                f"{code(other.revision)} (on the base branch, {code(_name(other.path))}) are both "
                "heads after the merge.",
                "`alembic upgrade head` stops with “Multiple head revisions are present”. Merge the "
                "base branch and run `alembic merge heads -m 'merge'`, or set this revision's "
                f"`down_revision` to {code(other.revision)}.",
                path=head.path,
                line=head.line,
            )
        for r in mine:
            for parent in r.down:
                if parent not in known:
                    yield GR502.finding(
                        f"Revision {code(r.revision)} names {code(parent)} as its "
                        "`down_revision`, and no revision has that id.",
                        "Alembic cannot build the history (“Revision … referenced from … is not "
                        "present”) and every `alembic` command fails. Set `down_revision` to the "
                        "current head (`alembic heads` on the base branch).",
                        path=r.path,
                        line=r.line,
                    )


# -- versions in file names ----------------------------------------------------------------------------

_TOOL = {
    "flyway": "Flyway",
    "golang-migrate": "golang-migrate",
    "goose": "goose",
    "dbmate": "dbmate",
    "rails": "Rails",
    "ecto": "Ecto",
    "efcore": "EF Core",
    "knex": "Knex",
    "sequelize": "Sequelize",
}
_COLLIDE_WHY = {
    "flyway": "Flyway stops with “Found more than one migration with version …”",
    "golang-migrate": "golang-migrate stops with a duplicate migration error",
    "goose": "goose stops with “duplicate version”",
    "dbmate": "dbmate records one version for both, so whichever runs second is never applied",
    "rails": "Rails stops with ActiveRecord::DuplicateMigrationVersionError",
    "ecto": "Ecto stops with “migrations can't be executed, migration version … is duplicated”",
    "efcore": "EF Core orders them by name alone, and each was generated from a model snapshot "
    "without the other's change",
}
_OUT_OF_ORDER_WHY = {
    "skip": (
        Severity.ERROR,
        "golang-migrate keeps only the newest version applied, so on every database already past "
        "{newest} it silently never runs this one.",
        "Renumber it above {newest} (e.g. `migrate create -seq` after merging the base branch).",
    ),
    "refuse": (
        Severity.ERROR,
        "{tool} refuses a pending migration older than the newest applied one ({newest}), so the "
        "deploy's migrate step fails on every database already past it.",
        "Renumber it above {newest}{extra}.",
    ),
    "snapshot": (
        Severity.WARNING,
        "EF Core would apply it, but it was generated from a model snapshot without {newest_name}; "
        "the snapshot after the merge misses one side's changes.",
        "Remove it (`dotnet ef migrations remove`), merge the base branch, and add it again.",
    ),
    "apply": (
        Severity.NOTICE,
        "{tool} applies it anyway, but databases will have run the two in different orders; that "
        "matters only if one depends on the other.",
        "Regenerate it with a current timestamp if it depends on {newest_name}.",
    ),
}


def _flyway_together(ctx: Analysis, base: list[str]) -> Callable[[str, str], bool | None]:
    """Whether Flyway reads two files in one run, per the project's `locations` settings on
    the base branch (analysis/flyway.py): asked only of files in sibling sub-folders, and the
    configuration is read once, when first asked (one request in the action)."""
    cache: dict[str, dict[str, str | None]] = {}

    def together(a: str, b: str) -> bool | None:
        if not H.sibling_folders("flyway", a, b) or ctx.base_tree is None:
            return None
        root = H.version_root("flyway", a)
        if root not in cache:
            names = flyway.config_files([*base, *flyway.ROOT_CONFIGS], root)
            cache[root] = ctx.base_tree.read_many(list(dict.fromkeys(names))) if names else {}
        return flyway.read_together(a, b, root, cache[root])

    return together


_SIBLING = (
    " — if one `locations` setting reads both sub-folders (Flyway scans a location's sub-folders; "
    "folders kept apart per environment are never read together, and then this is fine)"
)


def _versions(ctx: Analysis, change: _Change, base: list[str]) -> Iterator[Finding]:
    pr_files = [m for m in change.new if m.kind.framework in H.OUT_OF_ORDER]
    reported: set[str] = set()
    together = _flyway_together(ctx, base)
    for m in pr_files:
        fw, path = m.kind.framework, m.file.path
        v = H.version(fw, path)
        if v is None:
            continue
        root = H.version_root(fw, path)
        key = H.migration_key(fw, path)
        theirs = [(p, H.version(fw, p)) for p in base if H.in_root(fw, root, p)]
        others = [
            (p, bv) for p, bv in theirs if bv is not None and H.migration_key(fw, p) != key
        ] + [
            (o.file.path, H.version(fw, o.file.path))
            for o in pr_files
            if o is not m
            and o.kind.framework == fw
            and H.in_root(fw, root, o.file.path)
            and H.migration_key(fw, o.file.path) != key
        ]
        # Sibling Flyway folders read by separate `locations` lists never meet.
        same = [
            p
            for p, bv in others
            if bv == v and p not in reported and together(path, p) is not False
        ]
        same.sort(key=lambda p: H.sibling_folders(fw, path, p))  # a certain collision first
        if same and fw in H.VERSION_KEYED:
            reported.add(path)
            on_base = same[0] not in change.paths
            sibling = H.sibling_folders(fw, path, same[0]) and not together(path, same[0])
            yield GR503.finding(
                f"{code(_name(path))} has version {code(H.version_text(v))}, like "
                f"{code(same[0])}" + (" on the base branch." if on_base else " in this PR."),
                f"{_COLLIDE_WHY[fw]}"
                + (_SIBLING if sibling else "")
                + ". Give this one the next free version"
                + (" after merging the base branch." if on_base else "."),
                severity=Severity.WARNING if fw == "efcore" or sibling else None,
                path=path,
                line=1,
            )
            continue
        older = [
            (p, bv)
            for p, bv in theirs
            if bv is not None and bv > v and together(path, p) is not False
        ]
        # A newer version only in a sibling sub-folder may belong to another environment's
        # location: said at a lower severity, after any in this folder or its location's root.
        near = [
            (p, bv) for p, bv in older if not H.sibling_folders(fw, path, p) or together(path, p)
        ]
        if not older:
            continue
        newest_path, newest = max(near or older, key=lambda item: item[1] or ())
        assert newest is not None
        severity, why, fix = _OUT_OF_ORDER_WHY[H.OUT_OF_ORDER[fw]]
        if not near:
            severity = min(severity, Severity.WARNING)
            why = why.rstrip(".") + _SIBLING + "."
        words = {
            "tool": _TOOL[fw],
            "newest": code(H.version_text(newest)),
            "newest_name": code(_name(newest_path)),
            "extra": ", or enable `outOfOrder` if every environment may apply it late"
            if fw == "flyway"
            else ", or run goose with `-allow-missing`"
            if fw == "goose"
            else "",
        }
        yield GR504.finding(
            f"{code(_name(path))} (version {code(H.version_text(v))}) is older than "
            f"{code(newest_path)} on the base branch.",
            why.format(**words) + " " + fix.format(**words),
            severity=severity,
            path=path,
            line=1,
        )


# -- migrations that already shipped -----------------------------------------------------------------

# Tools that record an applied migration by its file name (a rename runs it again) or, for
# Flyway, check the name's description against what they recorded.
_NAME_KEYED = {
    "django": "Django records applied migrations by app and name, so it runs the renamed one "
    "again (and fails on what already exists)",
    "knex": "Knex records applied migrations by file name, so it runs the renamed one again",
    "sequelize": "Sequelize records applied migrations by file name, so it runs the renamed one "
    "again",
    "typeorm": "TypeORM records applied migrations by class name and timestamp",
    "flyway": "Flyway validates the recorded description and checksum, so `migrate` stops with "
    "a validation error",
    "laravel": "Laravel records applied migrations by file name, so it runs the renamed one again",
    "ecto": "Ecto records the version only, but a new version runs again",
    "sqitch": "sqitch records changes by name",
}
_CHECKSUMMED = {"flyway": "Flyway", "liquibase": "Liquibase"}
_SKIPPED_ROLES = ("down", "verify", "repeatable")  # edited by design, or never run forward


def _op_words(op: Op) -> str:
    target = ".".join(p for p in (op.table, op.column) if p)
    return f"{op.kind.words} {code(target)}" if target else op.kind.words


def _not_ef_migration(m: Migration) -> bool:
    """A .cs file the EF Core reader found no `Up(MigrationBuilder …)` in."""
    from guardrail.analysis.migrations.efcore import NO_UP  # tree-sitter C#: only when asked

    return NO_UP in m.reading.notes


def _operations_edited(path: str, changes: Comparison, ops: tuple[Op, ...]) -> Finding:
    """GR505 for a shipped migration whose operations differ: an error, unless the syntax
    cannot tell whether what it does changed (only a data migration's code, or only a
    statement guardrail could not read), then a warning that says both readings."""
    name = code(_name(path))
    if code_only(changes):
        return GR505.finding(
            f"{name} is already on the base branch, and this PR changes only the code its data "
            "migration runs.",
            "It has run in production, so the new code runs only on databases built from "
            "scratch. If the edit keeps the migration importable (a helper it uses moved or was "
            "renamed), nothing else is needed; if it corrects what the data migration writes, "
            "production keeps the old result: put the correction in a new migration.",
            severity=Severity.WARNING,
            path=path,
            line=changes.new[0].line,
        )
    if changes.new and all(op.kind is OpKind.RAW for op in (*changes.new, *changes.gone)):
        return GR505.finding(
            f"{name} is already on the base branch, and this PR changes a statement guardrail "
            "could not read (SQL built at run time, a call it does not know), so it cannot tell "
            "whether what the migration does changed.",
            "If it does, that change never runs in production, and a database built from "
            "scratch will differ: put the change in a new migration. If it only rewrites the "
            "same statement (a deprecated syntax, a renamed variable), nothing else is needed.",
            severity=Severity.WARNING,
            path=path,
            line=changes.new[0].line,
        )
    # An operation that stays but whose details change (a default, a type) reads as
    # "changed", not as one added and the same one gone.
    gone_words = [_op_words(op) for op in changes.gone]
    new_words = [_op_words(op) for op in changes.new]
    changed = [w for w in new_words if w in gone_words]
    said = (
        [f"changed: {w}" for w in changed[:2]]
        + [f"new: {w}" for w in new_words if w not in changed][:2]
        + [f"gone: {w}" for w in gone_words if w not in changed][:2]
    )
    what = "; ".join(said) if said else "how it runs: its transaction or its way back"
    first = (changes.new or changes.gone or (None,))[0]
    return GR505.finding(
        f"{name} is already on the base branch, and this PR changes what it does ({what}).",
        "It has run in production, so this change never runs there, and a database "
        "built from scratch will differ from production. Revert the edit and put the "
        "change in a new migration.",
        path=path,
        line=first.line if first is not None and first in ops else 1,
    )


def _shipped(ctx: Analysis) -> Iterator[Finding | Note]:
    cosmetic: list[str] = []
    guarded: list[str] = []
    for m in migrations(ctx):
        f = m.file
        if f.status == "added" or m.kind.role in _SKIPPED_ROLES:
            continue
        old = f.previous_path or f.path
        fw = m.kind.framework
        if f.status == "renamed" and old != f.path:
            same_version = H.version(fw, old) is not None and H.version(fw, old) == H.version(
                fw, f.path
            )
            if fw == "efcore" and _not_ef_migration(m):
                yield GR505.finding(
                    f"{code(old)} is already on the base branch and this PR renames it to "
                    f"{code(_name(f.path))}; it is not an EF Core migration (no "
                    "`Up(MigrationBuilder …)`), so guardrail cannot tell what records it.",
                    "EF Core records a migration by the id in its `[Migration(…)]` attribute; "
                    "an application's own migration routines have their own key. If that key "
                    "changes with the name, it runs again.",
                    severity=Severity.NOTICE,
                    path=f.path,
                    line=1,
                )
                continue
            if fw in _NAME_KEYED or (fw in H.VERSION_KEYED and not same_version):
                why = _NAME_KEYED.get(
                    fw, "the tool records the version, and a new version runs again"
                )
                yield GR505.finding(
                    f"{code(old)} is already on the base branch and this PR renames it to "
                    f"{code(_name(f.path))}.",
                    f"It has run in production under its old name: {why}. Keep the old name.",
                    path=f.path,
                    line=1,
                )
                continue
        if m.base is None:
            if ctx.read is None:
                yield Note(
                    f"{code(f.path)} is an edited migration; without the base version guardrail "
                    "cannot tell whether the edit changes what it does"
                )
            continue
        if m.edit is Edit.OPERATIONS:
            yield _operations_edited(f.path, compare(m.base, m.reading), m.reading.ops)
        elif m.edit is Edit.COSMETIC and (m.reading.notes or m.base.notes):
            yield GR505.finding(
                f"{code(_name(f.path))} is already on the base branch and this PR edits it; "
                "guardrail could not read all of it, so it cannot tell whether the edit changes "
                "what it does.",
                "If it does, that change never runs in production: put it in a new migration.",
                severity=Severity.WARNING,
                path=f.path,
                line=1,
            )
        elif m.edit is Edit.COSMETIC and m.unsure:
            shown = ", ".join(code(u) for u in m.unsure[:3])
            more = f" and {len(m.unsure) - 3} more" if len(m.unsure) > 3 else ""
            yield GR505.finding(
                f"{code(_name(f.path))} is already on the base branch and this PR changes "
                f"arguments of a field class of the project's own ({shown}{more}).",
                "Django's own arguments that reach the database are unchanged; whether these do "
                "depends on the field class (an argument that sizes the column, such as "
                "`dimensions=`, does; one that only changes Python behaviour does not). If it "
                "does, that change never runs in production: put it in a new migration.",
                severity=Severity.WARNING,
                path=f.path,
                line=1,
            )
        elif m.edit in (Edit.COSMETIC, Edit.GUARDS) and fw in _CHECKSUMMED:
            form = (
                "comments or formatting" if m.edit is Edit.COSMETIC else "`IF [NOT] EXISTS` guards"
            )
            yield GR505.finding(
                f"{code(_name(f.path))} is already on the base branch; this PR edits only its "
                f"{form}, but {_CHECKSUMMED[fw]} keeps a checksum of it.",
                f"{_CHECKSUMMED[fw]} compares the checksum of every applied migration before it "
                "migrates, so the next deploy stops with a checksum mismatch. Revert the edit "
                "(or, if it must stay, repair the recorded checksum on every database: "
                "`flyway repair`, Liquibase `clear-checksums`).",
                severity=Severity.WARNING,
                path=f.path,
                line=1,
            )
        elif m.edit is Edit.COSMETIC:
            cosmetic.append(f.path)
        elif m.edit is Edit.GUARDS:
            guarded.append(f.path)
    yield from _cosmetic(cosmetic)
    yield from _guarded(guarded)
    yield from _deleted(ctx)


def _guarded(paths: list[str]) -> Iterator[Finding]:
    """One notice for the shipped migrations whose only edit is an `IF [NOT] EXISTS` guard."""
    if not paths:
        return
    shown = ", ".join(code(_name(p)) for p in paths[:3])
    more = f" and {len(paths) - 3} more" if len(paths) > 3 else ""
    what = f"{shown}{more} are" if len(paths) > 1 else f"{shown} is"
    yield GR505.finding(
        f"{what} already on the base branch; this PR only adds or removes `IF [NOT] EXISTS` "
        "guards in them.",
        "Where a migration has run it never runs again, and on a database built from scratch "
        "the object is not there yet, so it does the same either way; nothing to do.",
        severity=Severity.NOTICE,
        path=paths[0],
        line=1,
    )


def _cosmetic(paths: list[str]) -> Iterator[Finding]:
    """One notice for every shipped migration edited only in form: a linter run over 300 old
    migrations is one line to read past, not 300 (nothing to do for any of them)."""
    if not paths:
        return
    if len(paths) == 1:
        title = (
            f"{code(_name(paths[0]))} is already on the base branch; this PR edits only its "
            "comments, formatting or arguments that do not reach the database."
        )
    else:
        shown = ", ".join(code(_name(p)) for p in paths[:3])
        more = f" and {len(paths) - 3} more" if len(paths) > 3 else ""
        title = (
            f"{len(paths)} migrations already on the base branch ({shown}{more}) are edited "
            "only in their comments, formatting or arguments that do not reach the database."
        )
    yield GR505.finding(
        title,
        "Nothing changes in production or in a fresh database; nothing to do.",
        severity=Severity.NOTICE,
        path=paths[0],
        line=1,
    )


def _replaced_by_squash(ctx: Analysis, path: str) -> bool:
    """A Django migration that a squashed migration still in the tree replaces: deleting it
    is the documented last step of squashing."""
    where = H.django_app(path)
    if where is None:
        return False
    folder = f"{where[0]}/migrations/"
    target = (where[1], _name(path)[: -len(".py")])
    texts: dict[str, str | None] = {
        m.file.path: text_of(ctx, m.file)
        for m in migrations(ctx)
        if m.file.path.startswith(folder) and "squashed" in _name(m.file.path)
    }
    if ctx.base_tree is not None:
        theirs = [
            p
            for p in ctx.base_tree.paths()
            if p.startswith(folder) and "squashed" in _name(p) and p not in texts
        ]
        texts.update(ctx.base_tree.read_many(theirs) if theirs else {})
    for p, text in texts.items():
        node = H.read_django(p, text) if text is not None else None
        if node is not None and target in node.replaces:
            return True
    return False


def _deleted(ctx: Analysis) -> Iterator[Finding]:
    config = ctx.config
    for f in ctx.pr.files:
        if f.status != "removed":
            continue
        kind = detect(f.path, include=config.migration_include, exclude=config.migration_exclude)
        if kind is None or kind.role in _SKIPPED_ROLES:
            continue
        if kind.framework == "django" and _replaced_by_squash(ctx, f.path):
            continue
        rails = kind.framework == "rails"
        yield GR506.finding(
            f"{code(f.path)} is already on the base branch and this PR deletes it.",
            (
                "Rails builds new databases from `db/schema.rb`, so deleting old migrations is "
                "common; make sure nothing still runs them (a `db:migrate` from scratch)."
                if rails
                else "It has run in production, but a database built from scratch (tests, a new "
                "environment) no longer gets what it did, and migrations after it may depend on "
                "it. Keep it; to shorten the history, squash (Django `squashmigrations`) instead."
            ),
            severity=Severity.NOTICE if rails else None,
            path=f.path,
        )


# -- sqitch: change names in sqitch.plan ------------------------------------------------------------


def _plan_names(lines: list[str]) -> list[tuple[str, int, str]]:
    """(change name, line, the line) of a sqitch plan's change lines (not pragmas, tags or
    comments)."""
    out: list[tuple[str, int, str]] = []
    for number, line in enumerate(lines, 1):
        text = line.strip()
        if not text or text[0] in "%@#":
            continue
        out.append((text.split()[0], number, text))
    return out


def _sqitch(ctx: Analysis) -> Iterator[Finding]:
    """A change the PR adds to sqitch.plan that the base branch's plan already names: sqitch
    refuses a plan with the same change twice (a rework names its tagged self and is fine)."""
    if ctx.base_tree is None:
        return
    for f in ctx.pr.files:
        if _name(f.path) != "sqitch.plan" or f.status == "removed" or f.patch is None:
            continue
        added = [(ln.number, ln.text) for ln in parse_patch(f.patch).added]
        theirs = ctx.base_tree.read_many([f.path]).get(f.path)
        if theirs is None:
            continue
        known = {name for name, _, _ in _plan_names(theirs.splitlines())}
        mine = [(name, text) for name, _, text in _plan_names([t for _, t in added])]
        numbers = [n for n, t in added if t.strip() and t.strip()[0] not in "%@#"]
        for (name, text), line in zip(mine, numbers, strict=False):
            if name in known and f"[{name}@" not in text and f" {name}@" not in text:
                yield GR503.finding(
                    f"This PR adds the change {code(name)} to {code(f.path)}, and the base "
                    "branch's plan already has a change of that name.",
                    "sqitch refuses a plan that names one change twice (“Change … already "
                    "exists in plan”), so every deploy stops. Rename yours after merging the "
                    "base branch, or rework the existing change with `sqitch rework`.",
                    path=f.path,
                    line=line,
                )


def history_findings(ctx: Analysis) -> list[Finding | Note]:
    change = _change(ctx)
    if not change.new:
        return []
    base = _base_paths(ctx, change)
    if base is None:
        return [
            Note(
                "the base branch's file list was not available, so migration history "
                "(conflicts, versions) was not checked"
            )
        ]
    out: list[Finding | Note] = [
        *_django(ctx, change, base),
        *_alembic(ctx, change, base),
        *_versions(ctx, change, base),
    ]
    return out


def check_integrity(ctx: Analysis) -> Iterator[Output]:
    found: list[Finding | Note] = [*history_findings(ctx), *_sqitch(ctx), *_shipped(ctx)]
    findings = [f for f in found if isinstance(f, Finding)]
    yield from findings
    new = _change(ctx).new
    if new and ctx.base_tree is not None and not findings:
        yield Answer(INTEGRITY, "migration history checked against the base branch")
    yield from (n for n in found if isinstance(n, Note))


CHECKS = (check_integrity,)
