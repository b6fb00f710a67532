"""Migration history: versions read from file names, and Django/Alembic migration graphs.

Pure functions over paths and file texts. Nothing here is imported or run: Django's
`dependencies` and Alembic's `revision`/`down_revision` are read from the syntax tree, versions
from the names the tools themselves parse (Flyway `V1_2__x.sql`, golang-migrate `7_x.up.sql`,
Rails `20240101120000_x.rb`, …).
"""

from __future__ import annotations

import ast
import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from guardrail.config import Config
    from guardrail.model import ChangedFile, PullRequest

from guardrail.analysis import pyast

# -- versions from file names ----------------------------------------------------------------------

_FLYWAY_V = re.compile(r"^[Vv](\d+(?:[._]\d+)*)__")
_GOLANG = re.compile(r"^(\d+)_.+\.(up|down)\.sql$")
_NUMBERED = re.compile(r"^(\d+)[_-]")
_EF = re.compile(r"^(\d{14})_\w+\.cs$")

# How each tool treats a version it has not applied that is lower than one it has.
# "skip": never applied, silently; "refuse": the tool stops with an error; "apply": applied.
OUT_OF_ORDER = {
    "golang-migrate": "skip",
    "flyway": "refuse",
    "goose": "refuse",
    "efcore": "snapshot",
    "rails": "apply",
    "knex": "apply",
    "sequelize": "apply",
    "dbmate": "apply",
    "ecto": "apply",
}
# Tools that key the applied migrations by version alone: two files with one version collide.
VERSION_KEYED = frozenset(
    {"flyway", "golang-migrate", "goose", "dbmate", "rails", "ecto", "efcore"}
)

_EXTENSIONS = {
    "flyway": (".sql",),
    "golang-migrate": (".sql",),
    "goose": (".sql", ".go"),
    "dbmate": (".sql",),
    "rails": (".rb",),
    "ecto": (".exs",),
    "efcore": (".cs",),
    "knex": (".js", ".ts", ".mjs", ".cjs"),
    "sequelize": (".js", ".ts", ".mjs", ".cjs"),
}


def version(framework: str, path: str) -> tuple[int, ...] | None:
    """The version a tool reads from this file's name, or None (not a versioned migration)."""
    name = path.rsplit("/", 1)[-1]
    if not name.lower().endswith(_EXTENSIONS.get(framework, ())):
        return None
    if framework == "flyway":
        m = _FLYWAY_V.match(name)
        return tuple(int(p) for p in re.split(r"[._]", m.group(1))) if m else None
    if framework == "golang-migrate":
        m = _GOLANG.match(name)
        return (int(m.group(1)),) if m else None
    if framework == "efcore":
        if name.lower().endswith(".designer.cs"):
            return None
        m = _EF.match(name)
        return (int(m.group(1)),) if m else None
    m = _NUMBERED.match(name)
    return (int(m.group(1)),) if m else None


def version_text(v: tuple[int, ...]) -> str:
    return ".".join(str(p) for p in v)


def migration_key(framework: str, path: str) -> str:
    """One migration's identity apart from its direction: golang-migrate's `7_x.up.sql` and
    `7_x.down.sql` are one migration."""
    if framework == "golang-migrate":
        return re.sub(r"\.(up|down)\.sql$", "", path)
    return path


def version_root(framework: str, path: str) -> str:
    """The folder whose files share one version space. Flyway scans its location recursively,
    so sub-folders of `db/migration` share the space; the other tools read one folder."""
    folder = posixpath.dirname(path)
    if framework == "flyway":
        parts = folder.split("/")
        for i in range(len(parts) - 1, -1, -1):
            if parts[i].lower() in ("migration", "migrations"):
                return "/".join(parts[: i + 1])
    return folder


def sibling_folders(framework: str, path: str, other: str) -> bool:
    """Two Flyway files in sibling sub-folders of one location (`db/migration/dev/` and
    `db/migration/test/`): read together only if one `locations` setting names both, or their
    parent; unlike files in one folder, or in a folder and its parent (`db/migration`, the
    default location, scans everything below it)."""
    if framework != "flyway":
        return False
    a, b = posixpath.dirname(path), posixpath.dirname(other)
    return not (a == b or a.startswith(b + "/") or b.startswith(a + "/"))


def in_root(framework: str, root: str, path: str) -> bool:
    if framework == "flyway":
        return path.startswith(root + "/") if root else True
    return posixpath.dirname(path) == root


# -- Django ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DjangoMigration:
    app: str  # app label, from the folder name
    name: str  # file name without .py
    path: str
    dependencies: tuple[tuple[str, str], ...]
    replaces: tuple[tuple[str, str], ...] = ()
    line: int = 1  # of `dependencies`
    # `run_before`: migrations (of any app) that must run after this one, as if they listed it
    # in their dependencies.
    run_before: tuple[tuple[str, str], ...] = ()


def django_app(path: str) -> tuple[str, str] | None:
    """(app folder, app label) of `<app>/migrations/<name>.py`."""
    head, sep, _ = path.rpartition("/migrations/")
    if not sep or "/" in path[len(head) + len(sep) :]:
        return None
    return head, head.rsplit("/", 1)[-1]


def _pairs(node: ast.expr | None) -> tuple[list[tuple[str, str]], bool]:
    """Literal (app, name) pairs of a list, and whether anything else was in it."""
    out: list[tuple[str, str]] = []
    other = False
    if not isinstance(node, (ast.List, ast.Tuple)):
        return out, node is not None
    for elt in node.elts:
        if (
            isinstance(elt, ast.Tuple)
            and len(elt.elts) == 2
            and all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in elt.elts)
        ):
            a, b = (e.value for e in elt.elts if isinstance(e, ast.Constant))
            out.append((str(a), str(b)))
        else:
            other = True  # swappable_dependency(settings.AUTH_USER_MODEL) and the like
    return out, other


def read_django(path: str, text: str) -> DjangoMigration | None:
    where = django_app(path)
    if where is None:
        return None
    try:
        tree = pyast.parse(text)
    except (SyntaxError, ValueError):
        return None
    deps: list[tuple[str, str]] = []
    replaces: list[tuple[str, str]] = []
    run_before: list[tuple[str, str]] = []
    line = 1
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for stmt in node.body:
                target = _assigned(stmt)
                if target == "dependencies":
                    deps, _ = _pairs(_value(stmt))
                    line = stmt.lineno
                elif target == "replaces":
                    replaces, _ = _pairs(_value(stmt))
                elif target == "run_before":
                    run_before, _ = _pairs(_value(stmt))
    name = path.rsplit("/", 1)[-1][: -len(".py")]
    return DjangoMigration(
        where[1], name, path, tuple(deps), tuple(replaces), line, tuple(run_before)
    )


def _assigned(stmt: ast.stmt) -> str | None:
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        t = stmt.targets[0]
        return t.id if isinstance(t, ast.Name) else None
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
        return stmt.target.id
    return None


def _value(stmt: ast.stmt) -> ast.expr | None:
    if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
        return stmt.value
    return None


def django_leaves(migrations: Iterable[DjangoMigration], app: str) -> list[DjangoMigration]:
    """The app's migrations that no other migration of the app follows, as Django's
    `makemigrations --check` and `migrate` see them (a squash stands for what it replaces)."""
    mine = [m for m in migrations if m.app == app]
    alias: dict[str, str] = {}
    for m in mine:
        for a, n in m.replaces:
            if a == app:
                alias[n] = m.name
    present = {m.name for m in mine}
    nodes = [m for m in mine if not (m.name in alias and alias[m.name] in present)]
    followed: set[str] = set()
    names = {m.name for m in nodes}
    for m in nodes:
        for a, n in m.dependencies:
            if a == app:
                followed.add(alias.get(n, n))
        if any(a == app and alias.get(n, n) in names for a, n in m.run_before):
            followed.add(m.name)  # a migration of the app runs after it
    return sorted((m for m in nodes if m.name not in followed), key=lambda m: m.name)


# -- Alembic --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AlembicRevision:
    path: str
    revision: str
    down: tuple[str, ...]  # down_revision: none for the first, two or more for a merge
    depends_on: tuple[str, ...] = ()
    branch_labels: bool = False
    line: int = 1  # of `down_revision`


def _strings(node: ast.expr | None) -> tuple[str, ...] | None:
    if isinstance(node, ast.Constant):
        if node.value is None:
            return ()
        if isinstance(node.value, str):
            return (node.value,)
        return None
    if isinstance(node, (ast.List, ast.Tuple)):
        out = [e.value for e in node.elts if isinstance(e, ast.Constant)]
        if len(out) == len(node.elts) and all(isinstance(v, str) for v in out):
            return tuple(str(v) for v in out)
    return None


def read_alembic(path: str, text: str) -> AlembicRevision | None:
    try:
        tree = pyast.parse(text)
    except (SyntaxError, ValueError):
        return None
    found: dict[str, tuple[tuple[str, ...] | None, int]] = {}
    for stmt in tree.body:
        target = _assigned(stmt)
        if target in ("revision", "down_revision", "depends_on", "branch_labels"):
            found[target] = (_strings(_value(stmt)), stmt.lineno)
    rev = found.get("revision", (None, 1))[0]
    down = found.get("down_revision", (None, 1))
    if not rev or down[0] is None:
        return None  # not a revision, or one whose parent is computed: not judged
    return AlembicRevision(
        path,
        rev[0],
        down[0] or (),
        found.get("depends_on", ((), 1))[0] or (),
        bool(found.get("branch_labels", ((), 1))[0]),
        down[1],
    )


def alembic_heads(revisions: Iterable[AlembicRevision]) -> list[AlembicRevision]:
    revs = list(revisions)
    followed = {d for r in revs for d in r.down}
    return sorted((r for r in revs if r.revision not in followed), key=lambda r: r.path)


# -- what the history needs read --------------------------------------------------------------------


def _added_text(f: ChangedFile) -> str:
    """An added file's first lines, from its patch: goose's Go migrations are known by content."""
    if f.status == "removed" or f.patch is None:
        return ""
    return "\n".join(ln[1:] for ln in f.patch.splitlines()[:200] if ln.startswith("+"))


# How deep a Flyway location is listed below its root: Flyway scans sub-folders, and a listing
# of this depth rides in the same request (db/migration/<module>/<release>/V1__x.sql).
FLYWAY_DEPTH = 3


def history_folders(pr: PullRequest, config: Config) -> list[str]:
    """The folders whose base-branch listing the migration history needs: those of the
    migrations the PR adds or deletes (a version or a parent is judged against their
    neighbours), and a Flyway location's root (see `recursive_folders`)."""
    from guardrail.analysis import flyway
    from guardrail.analysis.migrations.detect import detect

    out: list[str] = []
    for f in pr.files:
        if f.status not in ("added", "renamed", "copied", "removed"):
            continue  # removed: a Django squash in the folder may replace it
        text = _added_text(f) if f.path.endswith(".go") else None
        kind = detect(
            f.path, text, include=config.migration_include, exclude=config.migration_exclude
        )
        if kind is not None and "/" in f.path:
            out.append(f.path.rsplit("/", 1)[0])
            if kind.framework == "flyway":  # Flyway's versions span its location's sub-folders
                root = version_root("flyway", f.path)
                if root and root != out[-1]:
                    out.append(root)
                # Spring's application files, which may set the locations (analysis/flyway.py)
                resources = flyway.resources_folder(root)
                if resources:
                    out.append(resources)
    return list(dict.fromkeys(out))


def recursive_folders(pr: PullRequest, config: Config) -> list[str]:
    """Of `history_folders`, those listed with their sub-folders (to FLYWAY_DEPTH): Flyway's
    location roots, whose sibling sub-folders share one version space."""
    from guardrail.analysis.migrations.detect import detect

    out = []
    for f in pr.files:
        if f.status in ("added", "renamed", "copied", "removed"):
            kind = detect(
                f.path, include=config.migration_include, exclude=config.migration_exclude
            )
            if kind is not None and kind.framework == "flyway":
                root = version_root("flyway", f.path)
                if root:
                    out.append(root)
    return list(dict.fromkeys(out))
