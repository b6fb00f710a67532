"""The whole change, when GitHub's files listing stops at 3,000.

A pull request that lists 3,000 files first can hide a migration, or an edit of the
configuration, behind them. When the listing is cut, the rest is found another way: the
checkout's git history when the workflow fetched both commits (a shallow checkout fetches the
merge base and the head by SHA, one commit deep), otherwise the two commits'
file trees (the Git trees API, which lists up to 100,000 files) from their merge base. Files
found that way and not listed carry no patch ("content unknown"), so every check reads them
whole. When neither way works, the caller reports an error finding that says why.

Why the trees API and not the compare API for the second way: GitHub's "compare two commits"
returns at most 300 changed files, whatever the page asked for (its `files` list is not paged),
so it sees less of a flood than the pull request's own 3,000-file listing. Two recursive trees
(up to 100,000 entries each) compared blob by blob list every changed path; the compare API is
used only for the merge base (`merge_base_commit`), one request.
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


class _OneMergeBase:
    """A TreeAPI that asks GitHub for a merge base once (a failure is asked again)."""

    def __init__(self, api: TreeAPI) -> None:
        self._api = api
        self._bases: dict[tuple[str, str], str | None] = {}

    def merge_base(self, base: str, head: str) -> str | None:
        if (base, head) not in self._bases:
            self._bases[(base, head)] = self._api.merge_base(base, head)
        return self._bases[(base, head)]

    def tree(self, sha: str) -> dict[str, str] | None:
        return self._api.tree(sha)


def fetch_commits(root: Path, shas: list[str]) -> str | None:
    """Bring commits into a shallow checkout by SHA, one commit deep, from `origin`
    (actions/checkout's default `fetch-depth: 1` has the merge commit only). GitHub serves any
    commit reachable from the repository by SHA. Never prompts. None when the commits are
    there; otherwise why not, in our own words (git's output is not repeated: it is not ours
    to print), and the API is asked instead."""
    import os
    import subprocess

    from guardrail.sources import local_git

    missing = [s for s in dict.fromkeys(shas) if not local_git.has_commit(root, s)]
    if not missing:
        return None
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
    except subprocess.TimeoutExpired:
        return "`git fetch` from origin took over 120 s"
    except OSError:
        return "git could not be started"
    if proc.returncode != 0:
        return f"`git fetch` from origin failed (exit {proc.returncode})"
    if not all(local_git.has_commit(root, s) for s in missing):
        return "`git fetch` from origin did not bring the commits"
    return None


def from_checkout(
    workspace: Path,
    pr: PullRequest,
    api: TreeAPI | None = None,
    log: Callable[[str], None] = lambda _m: None,
) -> list[ChangedFile] | None:
    """The change from the checkout's git history, when both commits are there. A shallow
    checkout (no common history) uses the merge base GitHub names and fetches it and the head
    by SHA, one commit deep: the diff of those two commits is the pull request's change. When
    that fetch fails (a private repository checked out with `persist-credentials: false`, an
    origin out of reach) one line says so and how to fix it; the caller asks the API."""
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
            try:
                mb = api.merge_base(pr.base_sha, pr.head_sha)
            except GuardrailError:
                return None  # GitHub's error: said once, when the API listing asks again
            if not mb:
                return None
            failed = fetch_commits(root, [mb, pr.head_sha])
            if failed is not None:
                log(
                    f"guardrail: the checkout does not hold the pull request's merge base and "
                    f"{failed}, so the rest of the change is asked of GitHub's API instead. "
                    "To read it from git, check out with `fetch-depth: 0`, or keep "
                    "actions/checkout's `persist-credentials` (the default) so a private "
                    "repository can be fetched from."
                )
                return None
        return local_git.changed_files(root, mb, pr.head_sha)
    except GuardrailError as exc:
        log(f"guardrail: the checkout's git history could not be read: {exc.message}")
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
    api = _OneMergeBase(api)  # both ways start from the merge base: one request, not two
    files = from_checkout(workspace, pr, api, log)
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
