"""Read unified diffs with unidiff: GitHub's per-file `patch` and `git diff` output alike."""

from __future__ import annotations

from dataclasses import dataclass

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


def split_git_diff(diff_text: str) -> dict[str, str]:
    """`git diff` output -> {new path: that file's hunks}, in GitHub's `patch` form."""
    out: dict[str, str] = {}
    try:
        patchset = PatchSet(diff_text)
    except UnidiffParseError:
        return out
    for pfile in patchset:
        path = pfile.target_file
        if path == "/dev/null":
            path = pfile.source_file
        path = path[2:] if path.startswith(("a/", "b/")) else path
        out[path] = "".join(str(h) for h in pfile)
    return out
