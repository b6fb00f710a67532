"""Read unified diffs: GitHub's per-file `patch` and `git diff` output alike.

The hunk reader is a single linear pass over the lines, checked against unidiff (the reference
reader of the format) by a property test in tests/test_diff.py. unidiff itself was the run's
second-largest cost on large pull requests (a regex and an object per line); this reader keeps
only what the checks use, the added and removed lines with their numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class Line:
    number: int  # line number in the new file (added/context) or old file (removed)
    text: str


@dataclass(frozen=True)
class FileDiff:
    added: tuple[Line, ...]
    removed: tuple[Line, ...]


_EMPTY = FileDiff((), ())


def _hunk_header(line: str) -> tuple[int, int, int, int] | None:
    """`@@ -a,b +c,d @@ …` -> (a, b, c, d); counts default to 1. None when it is not one."""
    if not line.startswith("@@ -"):
        return None
    end = line.find(" @@", 4)
    if end < 0:
        return None
    ranges = line[4:end].split(" +")
    if len(ranges) != 2:
        return None
    try:
        nums = []
        for part in ranges:
            start, _, count = part.partition(",")
            nums += [int(start), int(count) if count else 1]
    except ValueError:
        return None
    return nums[0], nums[1], nums[2], nums[3]


@cache
def parse_patch(patch: str | None) -> FileDiff:
    """Added and removed lines of one file's hunks (GitHub's `patch` field has no file header).

    Parsed once per distinct patch and shared by every check (cached for the run). A line the
    format does not allow inside a hunk ends that hunk; the lines read so far are kept.
    """
    if not patch:
        return _EMPTY
    added: list[Line] = []
    removed: list[Line] = []
    old_left = new_left = 0
    old_no = new_no = 0
    for raw in patch.split("\n"):
        line = raw[:-1] if raw.endswith("\r") else raw
        if old_left > 0 or new_left > 0:
            tag = line[:1]
            if tag == "+":
                added.append(Line(new_no, line[1:]))
                new_no += 1
                new_left -= 1
                continue
            if tag == "-":
                removed.append(Line(old_no, line[1:]))
                old_no += 1
                old_left -= 1
                continue
            if tag == " " or line == "":
                old_no += 1
                new_no += 1
                old_left -= 1
                new_left -= 1
                continue
            if tag == "\\":  # "\ No newline at end of file"
                continue
            old_left = new_left = 0  # not a hunk line: the hunk was shorter than it said
        header = _hunk_header(line)
        if header is not None:
            old_no, old_left, new_no, new_left = header
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


def side_text(patch: str, side: str) -> str:
    """A file rebuilt from the hunks alone (context plus one side's lines)."""
    out: list[str] = []
    for line in patch.splitlines():
        if line.startswith("@@"):
            out.append("")
        elif (
            line.startswith(" ")
            or line.startswith("+")
            and side == "head"
            or line.startswith("-")
            and side == "base"
        ):
            out.append(line[1:])
    return "\n".join(out)
