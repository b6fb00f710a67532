"""A pull request from a local git checkout: HEAD against the merge base of a ref. No token."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import IO

from guardrail.analysis.diff import split_git_diff
from guardrail.analysis.encoding import decode
from guardrail.errors import GitError
from guardrail.limits import check_size
from guardrail.model import BaseTree, ChangedFile, ContentReader, PullRequest

_STATUS = {"A": "added", "M": "modified", "D": "removed", "R": "renamed", "C": "copied"}


def git(args: list[str], cwd: Path, *, check: bool = True) -> str:
    try:
        proc = subprocess.run(
            ["git", "-c", "core.quotePath=false", *args],
            cwd=cwd,
            capture_output=True,
            check=False,
        )
    except FileNotFoundError:
        raise GitError(
            "git is not installed", "install git, or run guardrail as the action"
        ) from None
    if check and proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git {args[0]} failed: {err[-1] if err else proc.returncode}")
    return proc.stdout.decode("utf-8", "replace")


def _git_bytes(args: list[str], cwd: Path) -> bytes | None:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    return proc.stdout if proc.returncode == 0 else None


class _BatchReader:
    """One `git cat-file --batch` process for every file read: a process per file costs
    milliseconds each, which is most of the time on a large change."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.proc: subprocess.Popen[bytes] | None = None
        self.cache: dict[str, bytes | None] = {}

    # Requests written before their answers are read: small enough that the lines always fit
    # in the pipe while git is blocked writing answers (no deadlock), large enough that a
    # thousand files cost a few round trips instead of a thousand.
    CHUNK = 128

    def _start(self) -> subprocess.Popen[bytes]:
        if self.proc is None:
            self.proc = subprocess.Popen(
                ["git", "cat-file", "--batch"],
                cwd=self.root,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
        return self.proc

    def blob(self, spec: str) -> bytes | None:
        if spec not in self.cache:
            self.prefetch([spec])
        return self.cache.get(spec)

    def prefetch(self, specs: list[str]) -> None:
        """Read every `rev:path` not read yet, in pipelined chunks; the answers are cached."""
        wanted = list(dict.fromkeys(s for s in specs if s not in self.cache))
        for spec in wanted:
            if "\n" in spec:
                self.cache[spec] = None
        wanted = [s for s in wanted if "\n" not in s]
        if not wanted:
            return
        proc = self._start()
        assert proc.stdin is not None and proc.stdout is not None
        for at in range(0, len(wanted), self.CHUNK):
            chunk = wanted[at : at + self.CHUNK]
            proc.stdin.write(b"".join(s.encode("utf-8", "surrogateescape") + b"\n" for s in chunk))
            proc.stdin.flush()
            for spec in chunk:
                self.cache[spec] = self._answer(proc.stdout)

    @staticmethod
    def _answer(out: IO[bytes]) -> bytes | None:
        header = out.readline().split()
        if len(header) == 3 and header[1] == b"blob":
            data = out.read(int(header[2]))
            out.read(1)  # the newline after the content
            return data
        if len(header) == 3:
            out.read(int(header[2]) + 1)  # a tree or commit: not a file
        return None  # "<spec> missing"


def repo_root(start: Path) -> Path:
    proc = subprocess.run(
        ["git", "rev-parse", "--show-toplevel"], cwd=start, capture_output=True, check=False
    )
    if proc.returncode != 0:
        raise GitError(
            f"{start} is not inside a git checkout",
            "run `guardrail check` from your repository, or pass the pull request with the action",
        )
    return Path(proc.stdout.decode().strip())


def default_base(cwd: Path) -> str:
    """The branch a change most likely merges into, when --base is not given."""
    root = repo_root(cwd)
    for ref in ("origin/HEAD", "origin/main", "main", "origin/master", "master"):
        if not subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
            cwd=root,
            capture_output=True,
            check=False,
        ).returncode:
            return ref
    raise GitError(
        "no --base given and none of origin/HEAD, origin/main, main, origin/master, master exists",
        "pass the branch this change will merge into, e.g. `--base origin/develop`",
    )


def merge_base(root: Path, base: str, head: str) -> str:
    for ref in (base, head):
        if subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
            cwd=root,
            capture_output=True,
            check=False,
        ).returncode:
            raise GitError(
                f"unknown git ref {ref!r}",
                "pass a branch, tag or commit that exists here, e.g. `--base origin/main` "
                "(run `git fetch` first if it lives on the remote)",
            )
    out = git(["merge-base", base, head], root, check=False).strip()
    if not out:
        raise GitError(
            f"{base!r} and {head!r} have no common history",
            "pass the branch this change will merge into as --base",
        )
    return out


def _parse_name_status(raw: str) -> list[tuple[str, str, str | None]]:
    parts = raw.split("\0")
    out: list[tuple[str, str, str | None]] = []
    i = 0
    while i < len(parts) and parts[i]:
        code = parts[i]
        letter = code[0]
        if letter in ("R", "C"):
            out.append((_STATUS[letter], parts[i + 2], parts[i + 1]))
            i += 3
        else:
            out.append((_STATUS.get(letter, "modified"), parts[i + 1], None))
            i += 2
    return out


def _parse_numstat(raw: str) -> dict[str, tuple[int, int, bool]]:
    parts = raw.split("\0")
    out: dict[str, tuple[int, int, bool]] = {}
    i = 0
    while i < len(parts) and parts[i]:
        fields = parts[i].split("\t")
        added, deleted = fields[0], fields[1]
        binary = added == "-"
        if len(fields) >= 3 and fields[2]:
            path = fields[2]
            i += 1
        else:  # rename: "a\td\t\0old\0new"
            path = parts[i + 2]
            i += 3
        out[path] = (0 if binary else int(added), 0 if binary else int(deleted), binary)
    return out


def changed_files(root: Path, mb: str, head: str) -> list[ChangedFile]:
    """Every file `head` changes over `mb`, with its patch: no listing limit."""
    ns = _parse_name_status(git(["diff", "--name-status", "-z", "-M", mb, head], root))
    stats = _parse_numstat(git(["diff", "--numstat", "-z", "-M", mb, head], root))
    patches = split_git_diff(
        git(["diff", "-M", "--no-color", "--no-ext-diff", "--unified=3", mb, head], root)
    )
    files = []
    for status, path, previous in ns:
        added, deleted, binary = stats.get(path, (0, 0, False))
        patch = None if binary else patches.get(path, "")
        files.append(ChangedFile(path, status, previous, added, deleted, patch, binary))
    return files


def has_commit(root: Path, sha: str) -> bool:
    return not subprocess.run(
        ["git", "cat-file", "-e", f"{sha}^{{commit}}"],
        cwd=root,
        capture_output=True,
        check=False,
    ).returncode


def tree_files(root: Path, rev: str) -> list[str]:
    out = git(["ls-tree", "-r", "-z", "--name-only", rev], root)
    return [p for p in out.split("\0") if p]


_PREFETCH_LINES = 20_000  # a changed file this long on its side is read only when asked for


def _side_paths(files: list[ChangedFile], side: str) -> list[str]:
    out = []
    for f in files:
        if f.binary or f.additions + f.deletions > _PREFETCH_LINES:
            continue
        if side == "head" and f.status != "removed":
            out.append(f.path)
        elif side == "base" and f.status != "added":
            out.append(f.previous_path or f.path)
    return out


def load(
    cwd: Path, base: str, head: str = "HEAD", body: str | None = None
) -> tuple[PullRequest, ContentReader, list[str]]:
    """The change HEAD makes over merge-base(base, HEAD), with a reader for both sides."""
    root = repo_root(cwd)
    mb = merge_base(root, base, head)
    notes: list[str] = []
    files = changed_files(root, mb, head)
    log = git(["log", "--format=%s%n%n%b%x00", f"{mb}..{head}"], root).split("\0")
    messages = [m.strip() for m in log if m.strip()]
    title = messages[0].splitlines()[0] if messages else ""
    if body is None:
        body = "\n\n".join(messages[::-1])
        notes.append(
            "no --body given: reading the commit messages as the description "
            "(GitHub pre-fills a PR from them); pass --body FILE to check your PR text"
        )
    head_sha = git(["rev-parse", head], root).strip()
    batch = _BatchReader(root)
    prefetched: set[str] = set()
    texts: dict[tuple[str, str], str | None] = {}

    def read(side: str, path: str) -> str | None:
        """A file's text on one side, decoded once per run however often checks ask."""
        if (side, path) not in texts:
            texts[side, path] = _read(side, path)
        return texts[side, path]

    def _read(side: str, path: str) -> str | None:
        rev = mb if side == "base" else head_sha
        if side not in prefetched:
            # Checks read most changed files on each side they look at: ask git for all of
            # them at once (each file is read from git once; small ones are what gets read).
            prefetched.add(side)
            batch.prefetch([f"{rev}:{p}" for p in _side_paths(files, side)])
        data = batch.blob(f"{rev}:{path}")
        if data is not None:
            check_size(path, len(data))
        return None if data is None else decode(data)

    pr = PullRequest(
        title=title,
        body=body,
        files=tuple(files),
        base_sha=mb,
        head_sha=head_sha,
        changed_files=len(files),
    )
    return pr, read, notes


def base_tree(cwd: Path, base: str) -> BaseTree:
    """The tip of the branch the change merges into: what its migration history is judged
    against (the merge base can be behind it; conflicts come from what landed since)."""
    root = repo_root(cwd)
    tip = git(["rev-parse", f"{base}^{{commit}}"], root).strip()
    batch = _BatchReader(root)
    listing: list[str] = []

    def paths() -> list[str]:
        if not listing:
            listing.extend(tree_files(root, tip))
        return listing

    def read_many(wanted: list[str]) -> dict[str, str | None]:
        batch.prefetch([f"{tip}:{path}" for path in wanted])
        out: dict[str, str | None] = {}
        for path in wanted:
            data = batch.blob(f"{tip}:{path}")
            if data is not None:
                check_size(path, len(data))
            out[path] = None if data is None else decode(data)
        return out

    return BaseTree(paths, read_many)
