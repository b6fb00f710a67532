"""The whole change, when GitHub's files listing stops at 3,000.

A pull request that lists 3,000 files first can hide a migration, or an edit of the
configuration, behind them. When the listing is cut, the rest is found another way: the
checkout's git history when the workflow fetched both commits (a shallow checkout fetches the
merge base and the head by SHA, one commit deep), otherwise the two commits'
file trees (the Git trees API, which lists up to 100,000 files) from their merge base. Files
found that way and not listed carry no patch ("content unknown"), so every check reads them
whole. When neither way works, the caller reports an error finding that says why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Protocol

from guardrail.errors import GuardrailError
from guardrail.model import ChangedFile, PullRequest


class TreeAPI(Protocol):
    def merge_base(self, base: str, head: str) -> str | None: ...
    def tree(self, sha: str) -> dict[str, str] | None: ...


def fetch_commits(root: Path, shas: list[str]) -> bool:
    """Bring commits into a shallow checkout by SHA, one commit deep, from `origin`
    (actions/checkout's default `fetch-depth: 1` has the merge commit only). GitHub serves any
    commit reachable from the repository by SHA. Never prompts; a failure only means the API
    is asked instead."""
    import os
    import subprocess

    from guardrail.sources import local_git

    missing = [s for s in dict.fromkeys(shas) if not local_git.has_commit(root, s)]
    if not missing:
        return True
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
    try:
        proc = subprocess.run(
            ["git", "fetch", "--quiet", "--no-tags", "--depth=1", "origin", *missing],
            cwd=root,
            capture_output=True,
            env=env,
            timeout=120,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return proc.returncode == 0 and all(local_git.has_commit(root, s) for s in missing)


def from_checkout(
    workspace: Path, pr: PullRequest, api: TreeAPI | None = None
) -> list[ChangedFile] | None:
    """The change from the checkout's git history, when both commits are there. A shallow
    checkout (no common history) uses the merge base GitHub names and fetches it and the head
    by SHA, one commit deep: the diff of those two commits is the pull request's change."""
    from guardrail.sources import local_git

    if not pr.base_sha or not pr.head_sha or not (workspace / ".git").exists():
        return None
    try:
        root = local_git.repo_root(workspace)
        both = local_git.has_commit(root, pr.base_sha) and local_git.has_commit(root, pr.head_sha)
        mb: str | None = None
        if both:
            try:
                mb = local_git.merge_base(root, pr.base_sha, pr.head_sha)
            except GuardrailError:
                mb = None  # shallow: the history between them is not here
        if mb is None:
            if api is None:
                return None
            mb = api.merge_base(pr.base_sha, pr.head_sha)
            if not mb or not fetch_commits(root, [mb, pr.head_sha]):
                return None
        return local_git.changed_files(root, mb, pr.head_sha)
    except GuardrailError:
        return None


def from_trees(api: TreeAPI, pr: PullRequest) -> list[ChangedFile] | None:
    """The listed files, and every other file whose blob differs between the merge base and
    the head (no patch: read whole). None when a tree is too large for GitHub to list."""
    if not pr.base_sha or not pr.head_sha:
        return None
    mb = api.merge_base(pr.base_sha, pr.head_sha)
    if not mb:
        return None
    before, after = api.tree(mb), api.tree(pr.head_sha)
    if before is None or after is None:
        return None
    listed = {f.path for f in pr.files} | {f.previous_path for f in pr.files if f.previous_path}
    files = list(pr.files)
    for path in sorted(before.keys() | after.keys()):
        if path in listed or before.get(path) == after.get(path):
            continue
        status = "added" if path not in before else "removed" if path not in after else "modified"
        files.append(ChangedFile(path, status, patch=None))
    return files


def complete(
    pr: PullRequest,
    workspace: Path,
    api: TreeAPI,
    log: Callable[[str], None] = lambda _m: None,
) -> tuple[PullRequest, str | None]:
    """(the pull request with every changed file, how they were found) — or the pull request
    as listed and None when the listing was complete or no other way worked."""
    if not pr.files_unseen:
        return pr, None
    files = from_checkout(workspace, pr, api)
    how = "the checkout's git history"
    if files is None:
        try:
            files = from_trees(api, pr)
        except GuardrailError as exc:
            log(f"guardrail: could not list the whole change through the API: {exc.message}")
            files = None
        how = "the commits' file trees"
    if files is None:
        return pr, None
    return replace(
        pr, files=tuple(files), changed_files=max(len(files), pr.changed_files or 0)
    ), how
