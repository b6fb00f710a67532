"""Read unified diffs with unidiff: GitHub's per-file `patch` and `git diff` output alike."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from unidiff.errors import UnidiffParseError
from unidiff.patch import PatchSet


@dataclass(frozen=True)
class Line:
    number: int  # line number in the new file (added/context) or old file (removed)
    text: str


@dataclass(frozen=True)
class FileDiff:
    added: tuple[Line, ...]
    removed: tuple[Line, ...]


_EMPTY = FileDiff((), ())


@lru_cache(maxsize=4096)
def parse_patch(patch: str | None) -> FileDiff:
    """Added and removed lines of one file's hunks (GitHub's `patch` field has no file header)."""
    if not patch:
        return _EMPTY
    text = patch if patch.startswith("--- ") else f"--- a/file\n+++ b/file\n{patch}"
    if not text.endswith("\n"):
        text += "\n"
    try:
        patchset = PatchSet(text)
    except UnidiffParseError:
        return _EMPTY
    added: list[Line] = []
    removed: list[Line] = []
    for pfile in patchset:
        for hunk in pfile:
            for line in hunk:
                if line.is_added and line.target_line_no is not None:
                    added.append(Line(line.target_line_no, line.value.rstrip("\n")))
                elif line.is_removed and line.source_line_no is not None:
                    removed.append(Line(line.source_line_no, line.value.rstrip("\n")))
    return FileDiff(tuple(added), tuple(removed))


def _header_path(line: str) -> str:
    path = line[4:].rstrip("\n")
    if path.endswith("\t"):
        path = path[:-1]
    if "\t" in path:  # git appends a tab before timestamps when names have spaces
        path = path.split("\t", 1)[0]
    if path.startswith('"') and path.endswith('"'):
        path = (
            path[1:-1]
            .encode("latin-1", "backslashreplace")
            .decode("unicode_escape")
            .encode("latin-1")
            .decode("utf-8", "replace")
        )
    return path[2:] if path.startswith(("a/", "b/")) else path


def split_git_diff(diff_text: str) -> dict[str, str]:
    """`git diff` output -> {new path: that file's hunks}, in GitHub's `patch` form.

    Splitting a whole-repository diff is a linear scan over file headers; each file's hunks
    are parsed with unidiff only when a check needs them (parse_patch, cached).
    """
    out: dict[str, str] = {}
    path: str | None = None
    old: str | None = None
    hunks: list[str] = []
    in_hunks = False

    def flush() -> None:
        if path is not None and hunks:
            out[path] = "".join(hunks).rstrip("\n")

    for line in diff_text.splitlines(keepends=True):
        if line.startswith("diff --git "):
            flush()
            path, old, hunks, in_hunks = None, None, [], False
            continue
        if not in_hunks:
            if line.startswith("--- "):
                old = _header_path(line)
                continue
            if line.startswith("+++ "):
                new = _header_path(line)
                path = old if new == "/dev/null" else new
                continue
            if line.startswith("@@"):
                in_hunks = True
            else:
                continue
        hunks.append(line)
    flush()
    return out
