"""The code files a deploy-order question reads, derived once per run (facts of the Analysis,
core.py): the PR's changed code files with the words of their patches, their base-side lines,
and the checkout's other source files. Tests are left out everywhere: a test that stops naming
something is not the running version reading it, and tests insert into a test database.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache

from guardrail.analysis.core import Analysis, Fact
from guardrail.analysis.evidence import is_test_path
from guardrail.analysis.migrations.detect import detect
from guardrail.analysis.words import Containing, words
from guardrail.model import ChangedFile

CODE_EXT = (
    ".py",
    ".rb",
    ".js",
    ".ts",
    ".mjs",
    ".cjs",
    ".jsx",
    ".tsx",
    ".php",
    ".go",
    ".java",
    ".kt",
    ".cs",
    ".ex",
    ".exs",
    ".prisma",
    ".sql",
)


def is_code(ctx: Analysis, f: ChangedFile) -> bool:
    if not f.path.endswith(CODE_EXT) or f.binary:
        return False
    config = ctx.config
    return _not_a_migration(f.path, config.migration_include, config.migration_exclude)


@lru_cache(maxsize=16384)
def _not_a_migration(path: str, include: tuple[str, ...], exclude: tuple[str, ...]) -> bool:
    # Asked once per file and required column otherwise: remembered per path.
    return detect(path, include=include, exclude=exclude) is None


# Seed scripts and model factories fill a fresh database (local, CI, a new environment), or,
# where a deploy runs them, run after the migration at the NEW version; the old version serving
# during a deploy or after a rollback never runs them, so they neither read nor insert for it.
# Only the places each framework runs them from count, in that framework's language: a folder
# merely named `seeds` (`app/services/seeds/importer.rb`) is the application's code.
# - Laravel seeders and factories (`php artisan db:seed`, `migrate --seed`): `database/seeders/`
#   (`database/seeds/` before Laravel 8) and `database/factories/`, in any Laravel app folder;
# - Rails `db/seeds.rb` (`bin/rails db:seed`) and the `db/seeds/` folder it loads by
#   convention (also a usual Knex `seeds.directory`);
# - Ecto `priv/<repo>/seeds.exs` (`mix run priv/repo/seeds.exs`);
# - Prisma `prisma/seed.ts` (`prisma db seed`, the name its docs and `init` use);
# - Knex `seeds/` (knexfile's default `./seeds`) and Sequelize `seeders/` (sequelize-cli's
#   default `seeders-path`): both relative to where the CLI runs, a JavaScript project's folder
#   (the repository's root, or one holding a `package.json`, a knexfile or a `.sequelizerc`).
_JS_SEED_EXT = (".js", ".ts", ".mjs", ".cjs", ".mts", ".cts")
_FRESH_DATABASE_ONLY: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("database/seeders/", (".php",)),
    ("database/seeds/", (".php",)),
    ("database/factories/", (".php",)),
    ("db/seeds/", (".rb", *_JS_SEED_EXT)),
)
_SEED_FILES = re.compile(
    r"(?:^|/)(?:db/seeds\.rb|priv/[^/]+/seeds\.exs|prisma/seed\.(?:ts|js|mjs|cjs|mts|cts))$"
)
_JS_PROJECT_FILES = (
    "package.json",
    "knexfile.js",
    "knexfile.ts",
    "knexfile.cjs",
    "knexfile.mjs",
    ".sequelizerc",
)
_JS_SEED_FOLDERS = ("seeds/", "seeders/")


def _fresh_database_only(path: str, js_projects: Callable[[], frozenset[str]]) -> bool:
    """Whether `path` is a seed script or factory of its framework (above). `js_projects`
    gives the folders (`""`: the root, `web/`) where a Knex or Sequelize CLI runs."""
    if _SEED_FILES.search(path):
        return True
    for folder, ext in _FRESH_DATABASE_ONLY:
        if path.endswith(ext) and (path.startswith(folder) or f"/{folder}" in path):
            return True
    if not path.endswith(_JS_SEED_EXT):
        return False
    parts = path.split("/")
    for i, part in enumerate(parts[:-1]):
        if f"{part}/" in _JS_SEED_FOLDERS:
            project = "".join(f"{p}/" for p in parts[:i])
            if project == "" or project in js_projects():
                return True
    return False


def _js_projects(ctx: Analysis) -> frozenset[str]:
    """The folders that hold a JavaScript project's own files (`web/` for `web/package.json`),
    from the checkout's listing or else the base branch's; none known without either."""
    if ctx.tree is not None:
        listing: Iterable[str] = ctx.tree()
    elif ctx.base_tree is not None:
        listing = ctx.base_tree.paths()
    else:
        return frozenset()
    return frozenset(
        folder + "/"
        for folder, _, name in (p.rpartition("/") for p in listing)
        if folder and name in _JS_PROJECT_FILES
    )


JS_PROJECTS: Fact[frozenset[str]] = Fact("deploy-order.js-projects", _js_projects)


def _serving_code(ctx: Analysis, path: str) -> bool:
    """Code the running version executes: not a test (a test that stops naming something is
    not the running version reading it) and not a seed script or factory."""
    return not is_test_path(path) and not _fresh_database_only(path, lambda: ctx.get(JS_PROJECTS))


def _read_patch_words(ctx: Analysis) -> list[tuple[ChangedFile, frozenset[bytes] | None]]:
    """The PR's code files (tests left out: a test that stops naming something is not the
    running version reading it) with their patch's words, read once for every name asked."""
    return [
        (f, words(f.patch))
        for f in ctx.pr.files
        if f.patch is not None and is_code(ctx, f) and _serving_code(ctx, f.path)
    ]


PATCH_WORDS: Fact[list[tuple[ChangedFile, frozenset[bytes] | None]]] = Fact(
    "deploy-order.patch-words", _read_patch_words
)


class BaseCode:
    """One code file's base-side lines as the PR's patch shows them (removed and context),
    split only when a table asked for is named in the patch (most files never are)."""

    __slots__ = ("_lines", "patch", "path")

    def __init__(self, path: str, patch: str) -> None:
        self.path = path
        self.patch = patch
        self._lines: tuple[tuple[int, str], ...] | None = None

    @property
    def lines(self) -> tuple[tuple[int, str], ...]:
        """(line number in the base file, text) of each removed and context line."""
        if self._lines is None:
            lines: list[tuple[int, str]] = []
            old = 0
            for raw in self.patch.splitlines():
                if raw.startswith("@@"):
                    hit = re.match(r"@@ -(\d+)", raw)
                    old = int(hit.group(1)) - 1 if hit else 0
                elif not raw.startswith("+"):
                    old += 1
                    lines.append((old, raw[1:]))
            self._lines = tuple(lines)
        return self._lines


def _read_base_code(ctx: Analysis) -> tuple[list[BaseCode], Containing]:
    """The code files with a base version (the patch-words files less those the PR adds),
    and which of their patches name what: one reading for every table asked after."""
    kept = [
        (f, found)
        for f, found in ctx.get(PATCH_WORDS)
        if f.patch is not None and f.status != "added"
    ]
    files = [BaseCode(f.previous_path or f.path, f.patch or "") for f, _ in kept]
    return files, Containing([f.patch for f in files], [found for _, found in kept])


def _read_checkout_sources(ctx: Analysis) -> list[str]:
    if ctx.tree is None:
        return []
    changed = {f.path for f in ctx.pr.files}
    return [
        p
        for p in ctx.tree()
        if p not in changed and p.endswith(CODE_EXT) and _serving_code(ctx, p) and detect(p) is None
    ][:3000]


# Read once per run, whatever the number of required columns to look up.
BASE_CODE: Fact[tuple[list[BaseCode], Containing]] = Fact("deploy-order.base-code", _read_base_code)
CHECKOUT_SOURCES: Fact[list[str]] = Fact("deploy-order.checkout-sources", _read_checkout_sources)
