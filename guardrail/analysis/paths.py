"""Glob matching with gitignore semantics (pathspec), compiled once per set of patterns."""

from __future__ import annotations

from functools import lru_cache

import pathspec


@lru_cache(maxsize=64)
def compile_globs(patterns: tuple[str, ...]) -> pathspec.GitIgnoreSpec:
    """The patterns compiled once (the configuration compiles its globs when it loads)."""
    return pathspec.GitIgnoreSpec.from_lines(patterns)


@lru_cache(maxsize=65536)
def matches(path: str, patterns: tuple[str, ...]) -> bool:
    """Whether the path matches a pattern. Remembered: several checks ask the same question of
    every changed file, and pathspec tries each pattern's regular expression in turn."""
    if not patterns:
        return False
    return bool(compile_globs(patterns).match_file(path))
