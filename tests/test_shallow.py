"""A shallow checkout (actions/checkout's default `fetch-depth: 1`) still gives the whole change
from git when GitHub's file list is cut: the merge base GitHub names and the head are fetched by
SHA, one commit deep, from `origin` (here a local repository: tests never use the network)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.fakegithub import FakeGitHub
from tests.gitrepo import git, make_repo
from tests.test_security import DROP, FAST, _flood, event, no_traceback, rules_of


def _origin(tmp_path: Path) -> tuple[Path, str, str]:
    origin = tmp_path / "origin"
    base = {"README.md": "r1\n", ".github/guardrail.yml": "fail-on: warning\n"}
    head: dict[str, str | None] = {f"aaa/{i:04d}.txt": "x\n" for i in range(3000)}
    head.update({".github/guardrail.yml": "fail-on: never\n", "db/migrations/0009_drop.sql": DROP})
    make_repo(origin, base, head)
    # GitHub serves any reachable commit by SHA; a plain git server must be told to.
    git(origin, "config", "uploadpack.allowAnySHA1InWant", "true")
    base_sha, head_sha = git(origin, "rev-parse", "main", "feature").split()
    return origin, base_sha, head_sha


def _flooded_pull(fake_github: FakeGitHub, tmp_path: Path) -> tuple[Path, str, str]:
    """Pull 31 from the origin repository's base and head commits, with more changed files
    than the API lists, and the dropping migration at its head: (origin, base, head)."""
    origin, base_sha, head_sha = _origin(tmp_path)
    _flood(fake_github)
    pull = fake_github.pulls[31]
    pull["base"]["sha"], pull["head"]["sha"] = base_sha, head_sha
    fake_github.contents[(head_sha, "db/migrations/0009_drop.sql")] = DROP
    return origin, base_sha, head_sha


def _shallow_clone(origin: Path, workspace: Path) -> None:
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", "--branch", "feature", origin.as_uri(), "."],
        cwd=workspace,
        check=True,
        capture_output=True,
    )


def test_a_flood_in_a_shallow_checkout_is_read_from_git_fetched_by_sha(
    fake_github, run_action, tmp_path
):
    origin, base_sha, head_sha = _flooded_pull(fake_github, tmp_path)
    fake_github.contents[(base_sha, ".github/guardrail.yml")] = "fail-on: warning\n"
    # No trees for these commits: the API cannot list the rest of the change, git must.

    def checkout(workspace: Path) -> None:
        _shallow_clone(origin, workspace)
        assert git(workspace, "rev-parse", "--is-shallow-repository").strip() == "true"
        has_base = subprocess.run(
            ["git", "cat-file", "-e", f"{base_sha}^{{commit}}"],
            cwd=workspace,
            check=False,
            capture_output=True,
        )
        assert has_base.returncode != 0  # depth 1: the base commit is not there

    run = run_action(fake_github, "pull_request", event(31), extra_env=FAST, prepare=checkout)
    no_traceback(run)
    assert run.returncode == 1, run.stdout
    assert "GR212" in rules_of(run) and "GR910" not in rules_of(run)
    assert "checkout's git history" in run.stdout
    compare = [e for e in fake_github.log if "/compare/" in e.path]
    assert compare, "the merge base comes from GitHub's comparison"


def test_a_shallow_checkout_without_a_reachable_origin_falls_back_and_says_why(
    fake_github, run_action, tmp_path
):
    origin, base_sha, head_sha = _flooded_pull(fake_github, tmp_path)

    def checkout(workspace: Path) -> None:
        _shallow_clone(origin, workspace)
        git(workspace, "remote", "set-url", "origin", (tmp_path / "gone").as_uri())

    run = run_action(fake_github, "pull_request", event(31), extra_env=FAST, prepare=checkout)
    no_traceback(run)
    assert run.returncode == 1
    assert "GR910" in rules_of(run)  # never a pass on what was not seen
    # The failed fetch is said once, in our words, with the fix (not silently passed over).
    said = [line for line in run.stdout.splitlines() if "does not hold the pull request" in line]
    assert len(said) == 1, run.stdout
    assert "`git fetch` from origin failed (exit " in said[0]
    assert "fetch-depth: 0" in said[0] and "persist-credentials" in said[0]
    assert not said[0].startswith("::")
