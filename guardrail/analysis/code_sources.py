"""The code files a deploy-order question reads, derived once per run (facts of the Analysis,
core.py): the PR's changed code files with the words of their patches, their base-side lines,
and the checkout's other source files. Tests are left out everywhere: a test that stops naming
something is not the running version reading it, and tests insert into a test database.
"""

from __future__ import annotations

import re
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
# during a deploy or after a rollback never runs them, so they neither read nor insert for it:
# Laravel seeders (`database/seeders/`, `database/seeds/` before Laravel 8) and factories
# (`php artisan db:seed`, `migrate --seed`), Rails `db/seeds.rb` and `db/seeds/` (`bin/rails
# db:seed`), Knex `seeds/` (knexfile's default seeds directory, `knex seed:run`), Sequelize
# `seeders/` (`sequelize db:seed:all`) and Ecto `priv/repo/seeds.exs` (`mix run`).
_FRESH_DATABASE_ONLY = (
    "database/seeders/",
    "database/seeds/",
    "database/factories/",
    "db/seeds/",
    "seeds/",
    "seeders/",
)
_SEED_FILES = ("db/seeds.rb", "priv/repo/seeds.exs")


def _fresh_database_only(path: str) -> bool:
    return any(path.startswith(d) or f"/{d}" in path for d in _FRESH_DATABASE_ONLY) or any(
        path == f or path.endswith("/" + f) for f in _SEED_FILES
    )


def _serving_code(path: str) -> bool:
    """Code the running version executes: not a test (a test that stops naming something is
    not the running version reading it) and not a seed script or factory."""
    return not is_test_path(path) and not _fresh_database_only(path)


def _read_patch_words(ctx: Analysis) -> list[tuple[ChangedFile, frozenset[bytes] | None]]:
    """The PR's code files (tests left out: a test that stops naming something is not the
    running version reading it) with their patch's words, read once for every name asked."""
    return [
        (f, words(f.patch))
        for f in ctx.pr.files
        if f.patch is not None and is_code(ctx, f) and _serving_code(f.path)
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
        if p not in changed and p.endswith(CODE_EXT) and _serving_code(p) and detect(p) is None
    ][:3000]


# Read once per run, whatever the number of required columns to look up.
BASE_CODE: Fact[tuple[list[BaseCode], Containing]] = Fact("deploy-order.base-code", _read_base_code)
CHECKOUT_SOURCES: Fact[list[str]] = Fact("deploy-order.checkout-sources", _read_checkout_sources)
