"""One `git cat-file --batch` process, asked many files at once: answers in order, no deadlock
when the answers are far larger than a pipe holds, missing files are None."""

from __future__ import annotations

from pathlib import Path

from guardrail.sources.local_git import _BatchReader
from tests.gitrepo import make_repo


def test_many_large_files_in_one_prefetch(tmp_path: Path) -> None:
    files: dict[str, str | None] = {
        f"d/f{i}.txt": (f"{i}\n" * (20_000 + i)) for i in range(300)
    }  # ~30 MB of answers against a 64 KB pipe
    repo = make_repo(tmp_path / "r", {}, files)
    batch = _BatchReader(repo)
    specs = [f"HEAD:d/f{i}.txt" for i in range(300)] + ["HEAD:missing.txt", "HEAD:d"]
    batch.prefetch(specs)
    for i in (0, 1, 150, 299):
        data = batch.blob(f"HEAD:d/f{i}.txt")
        assert data is not None and data.count(b"\n") == 20_000 + i
    assert batch.blob("HEAD:missing.txt") is None
    assert batch.blob("HEAD:d") is None  # a tree, not a file
    assert batch.blob("HEAD:bad\nspec") is None


def test_one_at_a_time_after_a_prefetch(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"a.txt": "base\n"}, {"a.txt": "head\n", "b.txt": "b\n"})
    batch = _BatchReader(repo)
    batch.prefetch(["HEAD:a.txt"])
    assert batch.blob("main:a.txt") == b"base\n"
    assert batch.blob("HEAD:b.txt") == b"b\n"
    assert batch.blob("HEAD:a.txt") == b"head\n"
