"""The checkout, read and written without following a symlink out of it.

The checkout is the pull request's own content, and a symlink in it is something the PR
chose: `guardrail-report.json -> /etc/cron.d/x` would have the report written there, and a test
file linked to a file outside would be read as evidence. Every read and write here checks that
the real path stays inside the workspace and opens the last component with O_NOFOLLOW; files
are replaced by rename, which replaces a link itself rather than its target.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

from guardrail.analysis.encoding import decode
from guardrail.limits import MAX_FILE_BYTES, check_size

MAX_TREE_FILES = 50_000
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


class Refused(Exception):
    """A path that leads out of the workspace, or through a symlink."""


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def contained(root: Path, rel: str | Path) -> Path:
    """`root / rel` when it is inside root and reached through no symlinked directory."""
    real_root = root.resolve()
    rel_path = Path(rel)
    if rel_path.is_absolute() or ".." in rel_path.parts:
        raise Refused(f"{rel} is not a path inside the checkout")
    target = real_root / rel_path
    parent = target.parent.resolve()
    if parent != target.parent or not _inside(parent, real_root):
        raise Refused(f"{rel} leads through a symlink")
    return target


def files(root: Path, limit: int = MAX_TREE_FILES) -> Iterator[str]:
    """Regular files under root, relative and sorted per directory; symlinks (to files or
    directories) and .git are skipped."""
    count = 0
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d != ".git")
        here = Path(dirpath)
        for name in sorted(filenames):
            path = here / name
            if path.is_symlink() or not path.is_file():
                continue
            yield path.relative_to(root).as_posix()
            count += 1
            if count >= limit:
                return


def read_text(root: Path, rel: str) -> str | None:
    """A file's text, or None when it is missing, a symlink, or outside the checkout."""
    try:
        target = contained(root, rel)
        fd = os.open(target, os.O_RDONLY | _NOFOLLOW)
    except (Refused, OSError):
        return None
    with os.fdopen(fd, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        check_size(rel, size)  # before reading: a file over the cap is not read at all
        data = fh.read(MAX_FILE_BYTES + 1)
    check_size(rel, len(data))  # grown since, or not a regular file
    return decode(data)


def write_text(path: Path, text: str, root: Path) -> None:
    """Write `path` (absolute, or relative to root). Inside root, the real directory must stay
    inside root and a symlink at `path` is replaced, never followed. Outside root (a path the
    workflow chose, e.g. under RUNNER_TEMP) only the last component is never followed.
    Raises Refused."""
    real_root = root.resolve()
    root_n = Path(os.path.normpath(root.absolute()))
    full = Path(os.path.normpath(path if path.is_absolute() else root_n / path))
    base = root_n if _inside(full, root_n) else real_root if _inside(full, real_root) else None
    in_root = base is not None
    if base is not None:
        rel = full.relative_to(base)
        # Every existing ancestor must be a real directory inside the workspace.
        probe = real_root
        for part in rel.parts[:-1]:
            probe = probe / part
            if probe.is_symlink() or (probe.exists() and not probe.is_dir()):
                raise Refused(f"{rel} leads through {probe.relative_to(real_root)}, a symlink")
        target = real_root / rel
    else:
        target = full
    target.parent.mkdir(parents=True, exist_ok=True)
    if in_root and not _inside(target.parent.resolve(), real_root):
        raise Refused(f"{path} leads out of the checkout")
    tmp = target.parent / f".{target.name}.{secrets.token_hex(6)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o644)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, target)  # replaces a symlink at target itself, not what it points to
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
