"""The only wiring: inputs -> config -> source -> engine -> render -> publish -> exit code.

`guardrail action` is the container's entrypoint (inputs from INPUT_* variables, the event
from GITHUB_EVENT_PATH); `guardrail check --base REF` runs the same analysis on a local
checkout with no token. Exit codes: 0 nothing reaches `fail-on`, 1 something does, 2 a usage,
configuration, input or GitHub error (one line of reason, one of fix).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from guardrail import __version__
from guardrail.errors import ConfigError, GitHubError, GuardrailError, InputError
from guardrail.model import Severity, Verdict

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
FAIL_ON = ("error", "warning", "never")
COMMENT_MODES = ("on-gaps", "always", "off")


def _input(name: str, default: str = "") -> str:
    """An action input: INPUT_<NAME> with hyphens kept (as the runner sets it) or underscored."""
    upper = name.upper()
    for key in (f"INPUT_{upper}", f"INPUT_{upper.replace('-', '_')}"):
        value = os.environ.get(key)
        if value is not None and value.strip() != "":
            return value.strip()
    return default


def _bool_input(name: str, default: bool) -> bool:
    raw = _input(name, "true" if default else "false").lower()
    if raw in ("true", "yes", "1", "on"):
        return True
    if raw in ("false", "no", "0", "off"):
        return False
    raise InputError(f"input `{name}` must be true or false, got {raw!r}", f"set `{name}: true`")


def _choice_input(name: str, choices: Sequence[str], default: str) -> str:
    raw = _input(name, default).lower()
    if raw not in choices:
        raise InputError(
            f"input `{name}` must be one of {', '.join(choices)}, got {raw!r}",
            f"set `{name}: {default}`",
        )
    return raw


def _exit_for(verdict: Verdict) -> int:
    return EXIT_FAIL if verdict is Verdict.FAIL else EXIT_OK


# -- local runs ---------------------------------------------------------------------------------


def _cmd_check(args: argparse.Namespace) -> int:
    from guardrail.sources import local_git

    body: str | None = None
    if args.body == "-":
        body = sys.stdin.read()
    elif args.body:
        try:
            body = Path(args.body).read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise InputError(
                f"cannot read --body {args.body}: {exc.strerror}",
                "pass a readable file, or - for stdin",
            ) from None
    base = args.base or local_git.default_base(Path.cwd())
    pr, read, notes = local_git.load(Path.cwd(), base, args.head, body)
    if not pr.files:
        # Nothing to compare: no check has anything to judge, so neither the configuration
        # nor the analysis is loaded (a no-op run costs little more than Python's start-up).
        return _report_nothing_changed(args, base, notes)
    from guardrail import engine

    if args.label:
        from dataclasses import replace as _replace

        pr = _replace(pr, labels=tuple(args.label))
    root = local_git.repo_root(Path.cwd())
    config, config_rel = _local_config(args, pr, read, root, notes)
    head_sha = pr.head_sha or "HEAD"
    observed = None
    if args.trace or args.database_url:
        from guardrail.trace.api import trace

        base_tree = local_git.tree_files(root, pr.base_sha) if pr.base_sha else []
        observed = trace(pr, read, base_tree, config, database_url=args.database_url)
        notes.append(_trace_note(observed))
    report = engine.run(
        pr,
        config,
        read=read,
        source="git",
        tree=functools.cache(lambda: local_git.tree_files(root, head_sha)),
        read_tree=lambda path: read("head", path),
        base_tree=local_git.base_tree(root, base),
        fail_on=args.fail_on,
        trace=observed,
        config_path=config_rel,
    )
    for note in notes:
        print(f"guardrail: {note}", file=sys.stderr)
    # Only SARIF places results on a file; asking whether a PR template exists reads the head
    # side of every changed file (1,384 blobs in the SQL-volume bench), which no other format needs.
    anchor = (
        sarif_anchor(pr, lambda path: read("head", path) is not None)
        if args.format == "sarif"
        else ""
    )
    _write_local_report(args, report, (root, anchor))
    return _exit_for(report.verdict)


def _local_config(
    args: argparse.Namespace, pr: Any, read: Any, root: Path, notes: list[str]
) -> tuple[Any, str]:
    """The configuration a local run is judged by, and where it is kept: the base commit's
    `.github/guardrail.yml` (as the action reads it: never the working tree's, which the
    change controls), or the file `--config` names. A note says which was used."""
    from guardrail import config as cfgmod

    if args.config:
        path = Path(args.config)
        notes.append(f"configuration: {path} (from --config, as it is on disk)")
        config = cfgmod.load(path, required=True, fetch=cfgmod.local_fetch(root))
        try:
            rel = path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            rel = cfgmod.DEFAULT_CONFIG_PATH
        return config, rel
    rel = cfgmod.DEFAULT_CONFIG_PATH
    at = (pr.base_sha or "")[:7] or "the merge base"
    if any(rel in (f.path, f.previous_path) for f in pr.files):
        notes.append(
            f"this change edits {rel}; it is judged by the base commit's configuration "
            "(the new one takes effect after merge; pass --config to try it)"
        )

    def fetch(ref: str) -> str | None:  # `extends:` paths, at the same commit
        if ":" in ref:
            return None
        text: str | None = read("base", ref)
        return text

    text = read("base", rel)
    if text is None:
        notes.append(f"configuration: defaults ({rel} does not exist at {at})")
        return cfgmod.Config(), rel
    notes.append(f"configuration: {rel} at the merge base {at}")
    return cfgmod.load_text(text, f"{rel} (at the merge base {at})", fetch), rel


def _silence_stdout() -> None:
    """The reader of our output went away (`guardrail check | head -1`): point stdout at
    /dev/null so that nothing more, not even the interpreter's final flush, raises."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


# Where GitHub looks for a pull-request template, in its order (docs: "Creating a pull request
# template for your repository"). SARIF shows findings about the whole PR on it.
PR_TEMPLATES = (
    ".github/pull_request_template.md",
    ".github/PULL_REQUEST_TEMPLATE.md",
    "pull_request_template.md",
    "PULL_REQUEST_TEMPLATE.md",
    "docs/pull_request_template.md",
    "docs/PULL_REQUEST_TEMPLATE.md",
)


def sarif_anchor(pr: Any, exists: Any) -> str:
    """The file a SARIF result about the whole pull request is shown on: the PR template when
    the repository has one (that is where a missing rollback note is fixed for good), else the
    first file the PR changes, else the configuration file."""
    from guardrail.config import DEFAULT_CONFIG_PATH

    for path in PR_TEMPLATES:
        if exists(path):
            return path
    first = next((f.path for f in pr.files if f.status != "removed"), None)
    return first or DEFAULT_CONFIG_PATH


def _write_local_report(
    args: argparse.Namespace, report: Any, where: tuple[Path, str] | None = None
) -> None:
    try:
        _write_local_report_to_stdout(args, report, where)
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()  # the verdict still decides the exit code


def _write_local_report_to_stdout(
    args: argparse.Namespace, report: Any, where: tuple[Path, str] | None
) -> None:
    if args.format == "json":
        from guardrail.render import json as render_json

        sys.stdout.write(render_json.render(report))
    elif args.format == "sarif":
        from guardrail.render import sarif

        root, anchor = where if where is not None else (None, None)
        sys.stdout.write(sarif.render(report, root=root, anchor=anchor))
    else:
        from guardrail.publish.actions import print_untrusted
        from guardrail.render import markdown as render_md

        text = render_md.render(report, render_md.Meta(local=True), marker=False, budget=None)
        print_untrusted(text.rstrip("\n"))


def _report_nothing_changed(args: argparse.Namespace, base: str, notes: list[str]) -> int:
    from guardrail.model import Report

    notes.append(f"no file changes between {base} and {args.head or 'HEAD'}: nothing to check")
    for note in notes:
        print(f"guardrail: {note}", file=sys.stderr)
    fail_on = args.fail_on or "error"
    _write_local_report(args, Report(findings=(), verdict=Verdict.PASS, fail_on=fail_on))
    return EXIT_OK


def _trace_note(observed: Any) -> str:
    base = observed.base
    return (
        f"traced on {observed.engine}: {len(observed.statements)} statements of this change over "
        f"{base.statements} statements of the base branch's {base.files} migrations, "
        f"{len(observed.not_traced)} parts not traced, in {observed.total_s:.1f} s"
    )


def _database_url_input(name: str) -> str | None:
    """A `postgres://`/`postgresql://` URL or None; anything else is a usage error."""
    raw = _input(name)
    if not raw:
        return None
    if not raw.startswith(("postgres://", "postgresql://")):
        raise InputError(
            f"input `{name}` must be a postgresql:// URL",
            "pass e.g. `postgresql://postgres:postgres@localhost:5432/postgres` (a service container)",
        )
    return raw


def _action_base_tree(workspace: Path, pr: Any, read: Any) -> tuple[list[str], Any, list[Any]]:
    """The base branch's files for the trace, from the checkout: every file the PR did not add,
    plus those it removed or renamed away. Unchanged files are read from disk, the rest through
    the API at the base commit. No checkout: no base schema, and the trace says so."""
    from guardrail.trace.model import NotTraced

    tree, read_tree = _workspace_tree(workspace)
    if tree is None or read_tree is None:
        return (
            [],
            read,
            [
                NotTraced(
                    ".",
                    "no checkout of the repository, so the base branch's migrations were not run: "
                    "add actions/checkout (with persist-credentials: false) before guardrail",
                )
            ],
        )
    changed = {f.path for f in pr.files} | {f.previous_path for f in pr.files if f.previous_path}
    added = {f.path for f in pr.files if f.status in ("added", "copied", "renamed")}
    files = [p for p in tree() if p not in added]
    files += [f.previous_path or f.path for f in pr.files if f.status in ("removed", "renamed")]

    def base_read(side: str, path: str) -> str | None:
        if side == "base" and path not in changed:
            text: str | None = read_tree(path)
            return text
        return read(side, path)  # type: ignore[no-any-return]

    return files, base_read, []


def _cmd_template(args: argparse.Namespace) -> int:
    from guardrail import config as cfgmod
    from guardrail import template

    config_path = Path(args.config or cfgmod.DEFAULT_CONFIG_PATH)
    config = cfgmod.load(config_path, required=bool(args.config))
    text = template.render(config)
    if not args.write:
        sys.stdout.write(text)
        return EXIT_OK
    target = Path(args.write)
    if target.exists() and not args.force:
        raise InputError(
            f"{target} already exists", "pass --force to replace it, or print with no --write"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    print(f"guardrail: wrote {target}", file=sys.stderr)
    return EXIT_OK


# -- the action ---------------------------------------------------------------------------------


def _event() -> dict[str, Any]:
    path = os.environ.get("GITHUB_EVENT_PATH")
    if not path or not Path(path).is_file():
        return {}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise InputError(
            f"cannot read the event payload at {path}", "run guardrail as a step of a workflow"
        ) from None
    return data if isinstance(data, dict) else {}


def _pr_number(event_name: str, event: dict[str, Any]) -> int:
    raw = _input("pr-number")
    if not raw:
        inputs = event.get("inputs") or {}
        raw = str(inputs.get("pr-number") or inputs.get("pr_number") or "").strip()
    if not raw:
        pull = event.get("pull_request") or {}
        if pull.get("number"):
            raw = str(pull["number"])
    if not raw:
        raise InputError(
            f"no pull request to check: the `{event_name or 'unknown'}` event carries none",
            "run on pull_request or pull_request_target, or pass `pr-number` "
            "(for example from a workflow_dispatch input)",
        )
    if not raw.isdigit() or int(raw) <= 0:
        raise InputError(
            f"input `pr-number` must be a pull request number, got {raw!r}",
            "pass the number only, e.g. `pr-number: 42`",
        )
    return int(raw)


MERGE_QUEUE_PASS = (
    "merge queue: the pull requests in this group were judged when they were opened/updated"
)
# GitHub names a merge group's branch gh-readonly-queue/<base branch>/pr-<number>-<head sha>.
_QUEUE_REF = re.compile(r"refs/heads/gh-readonly-queue/.+/pr-([0-9]+)-[0-9a-f]+")


def _merge_group(event: dict[str, Any]) -> tuple[str, int | None]:
    """The merge group's head commit (where the required status must go, or the queue waits
    forever) and the pull request its branch name carries, when it carries one."""
    group = event.get("merge_group") or {}
    sha = str(group.get("head_sha") or "")
    if not re.fullmatch(r"[0-9a-f]{40}", sha):
        raise InputError(
            "the `merge_group` event carries no head commit (merge_group.head_sha)",
            "run guardrail on `merge_group` events as GitHub sends them",
        )
    m = _QUEUE_REF.fullmatch(str(group.get("head_ref") or ""))
    number = int(m.group(1)) if m and int(m.group(1)) > 0 else None
    return sha, number


def _action_config(client: Any, pr: Any, path_input: str) -> tuple[Any, list[str]]:
    """The configuration this PR is judged by: the base commit's, never the PR's own edit."""
    from guardrail import config as cfgmod

    notes: list[str] = []
    rel = path_input or cfgmod.DEFAULT_CONFIG_PATH
    explicit = bool(path_input) and path_input != cfgmod.DEFAULT_CONFIG_PATH
    changed = any(rel in (f.path, f.previous_path) for f in pr.files)

    def fetch(ref: str) -> str | None:
        if ":" in ref:  # owner/repo:path@ref — an organization-wide file
            repo, _, rest = ref.partition(":")
            path, _, at = rest.partition("@")
            text: str | None = client.other_file(repo, path, at or None)
            return text
        own: str | None = client.file_text(ref, pr.base_sha) if pr.base_sha else None
        return own

    # Never the working tree: the checkout is the PR's head, and a file the PR controls (an
    # edit hidden behind a flood of files, a symlink) must not choose how the PR is judged.
    if changed:
        notes.append(
            f"This PR changes `{rel}`; it is judged by the base branch's configuration, "
            "and the new one takes effect after merge."
        )
    text = client.file_text(rel, pr.base_sha) if pr.base_sha else None
    if text is None:
        if explicit and not changed:
            raise ConfigError(
                f"{rel}: configuration file not found at the base commit",
                "check the `config` input, or remove it to run with defaults",
            )
        return cfgmod.Config(), notes
    return cfgmod.load_text(text, f"{rel} (at base {pr.base_sha[:7]})", fetch), notes


def _workspace_tree(workspace: Path) -> tuple[Any, Any]:
    """The checkout's files, when the workflow checked the repository out: tests are then read
    from disk instead of the API. No checkout: only the tests the PR changes are searched.
    Symlinks are the PR's choice: never followed, for listing or reading."""
    from guardrail.sources import workspace as ws

    if not (workspace / ".git").exists():
        return None, None

    # Listed once and each file read once per run, whichever checks ask and how often.
    @functools.cache
    def tree() -> list[str]:
        return list(ws.files(workspace))

    @functools.cache
    def read_tree(rel: str) -> str | None:
        return ws.read_text(workspace, rel)

    return tree, read_tree


def _api_head_tests(client: Any, sha: str, folders: list[str]) -> Any:
    """The head commit's test folders as the prefetch listed them, read in batches of 100 per
    GraphQL request when the legacy-data check asks (it asks for at most one batch)."""
    from guardrail.model import HeadTests
    from guardrail.text import code

    def paths() -> list[str]:
        return [p for d in folders for p in client.test_paths.get((sha, d), ())]

    listed = [d for d in folders if client.test_paths.get((sha, d))]
    where = (
        "the folders "
        + ", ".join(code(d + "/") for d in listed[:5])
        + (f" and {len(listed) - 5} more" if len(listed) > 5 else "")
        if listed
        else "the test folders near the changed files (none was found)"
    )
    return HeadTests(
        paths=paths,
        read_many=lambda wanted: client.read_many(sha, wanted, "test files"),
        where=where,
    )


def _api_base_tree(client: Any, sha: str) -> Any:
    """The base branch's migration folders, as the prefetch listed them, and its files read
    100 per GraphQL request when a check asks."""
    from guardrail.model import BaseTree

    def paths() -> list[str]:
        return [
            f"{folder}/{name}"
            for (at, folder), names in client.folders.items()
            if at == sha
            for name in names
        ]

    return BaseTree(paths=paths, read_many=lambda wanted: client.read_many(sha, wanted))


def _merge_queue_pass(
    client: Any, sha: str, context: str, run_url: str | None, want_status: bool
) -> int:
    """A merge group whose branch names no pull request: each PR in it was judged on its own
    runs, so the group passes at once rather than leave the queue waiting on a status."""
    from guardrail.publish import actions

    actions.log(f"guardrail {__version__}: {MERGE_QUEUE_PASS}")
    if want_status:
        try:
            client.create_status(sha, "success", context, MERGE_QUEUE_PASS, run_url)
            actions.log(f"guardrail: status {context!r} = success on {sha[:7]}")
        except GitHubError as exc:
            actions.warn(
                f"guardrail could not post its status on the merge group ({exc.message}): "
                "grant the workflow `statuses: write`, or the merge queue waits for it."
            )
    actions.set_output("verdict", "pass")
    actions.set_output("gaps", "0")
    return 0


DEPENDABOT = "dependabot[bot]"


def _publish_problems(
    refused: list[str], failed: list[tuple[str, str]], info: Any, report: Any
) -> list[str]:
    """What could not be posted, and why, in words that are true for the case: a fork's
    read-only token, Dependabot's, a token without the permissions, or GitHub failing."""
    out: list[str] = []
    verdict = (
        f"The verdict ({report.verdict.value}, fail-on {report.fail_on}) is in the job summary "
        "and the annotations, and the job's exit code follows it."
    )
    if refused:
        what = " and ".join(r.split(" (")[0] for r in refused)
        actor = os.environ.get("GITHUB_ACTOR", "")
        if info.from_fork:
            why = (
                "this pull request comes from a fork, where the workflow token is read-only. "
                "To comment on fork pull requests, see the README section 'Pull requests from "
                "forks'."
            )
        elif DEPENDABOT in (actor, info.pr.author):
            why = (
                "this run was started by Dependabot, and GitHub gives Dependabot's "
                "`pull_request` runs a read-only token unless the workflow asks for more. Add "
                "`permissions: {pull-requests: write, statuses: write}` to the job (GitHub "
                "grants a workflow's `permissions:` to Dependabot runs on the same repository)."
            )
        else:
            why = (
                "the token lacks permission: give the job `permissions: {contents: read, "
                "pull-requests: write, statuses: write}`."
            )
        out.append(f"guardrail could not post its {what}: {why} {verdict}")
    failed_ = [m for m, _ in failed]
    if failed:
        # A 422 says its own fix: the same request fails the same way when the job re-runs.
        fixes = "".join(f" {fix[0].upper()}{fix[1:]}." for _, fix in failed if fix)
        again = fixes or " Re-run the job to post it."
        out.append("guardrail could not post its " + "; ".join(failed_) + f". {verdict}{again}")
    return out


def _sort_failure(
    exc: GitHubError, what: str, refused: list[str], failed: list[tuple[str, str]]
) -> None:
    """A refusal (403/404: permissions), a request GitHub judged invalid (422, with its fix),
    or a failure after retries (re-running may post it)."""
    if exc.status in (403, 404):
        refused.append(f"{what} ({exc.message})")
    else:
        failed.append((f"{what} ({exc.message})", exc.fix if exc.status == 422 else ""))


@dataclass(frozen=True)
class _ActionInputs:
    """The action's inputs and the run's environment, read and checked before any request."""

    token: str
    fail_on: str  # as given, lower case; "" when not given
    comment_mode: str
    want_status: bool
    want_trace: bool
    database_url: str | None
    context: str  # the commit status's name
    repository: str
    number: int  # the pull request; 0 for a merge group that names none
    group_sha: str | None  # a merge queue's run: the status goes on the group's commit
    run_url: str | None
    workspace: Path


def _action_inputs() -> _ActionInputs:
    token = _input("github-token") or os.environ.get("GITHUB_TOKEN", "")
    fail_on_input = _input("fail-on")
    if fail_on_input and fail_on_input.lower() not in FAIL_ON:
        raise InputError(
            f"input `fail-on` must be one of {', '.join(FAIL_ON)}, got {fail_on_input!r}",
            "set `fail-on: error`",
        )
    comment_mode = _choice_input("comment", COMMENT_MODES, "on-gaps")
    want_status = _bool_input("status", True)
    want_trace = _bool_input("trace", False)
    database_url = _database_url_input("database-url")
    context = _input("status-context", "guardrail")
    repository = os.environ.get("GITHUB_REPOSITORY", "")
    if "/" not in repository:
        raise InputError(
            "GITHUB_REPOSITORY is not set",
            "run guardrail as a GitHub Actions step, or use `guardrail check` locally",
        )
    if not token:
        raise InputError(
            "no GitHub token",
            "pass `github-token: ${{ github.token }}` (the default) to the action",
        )
    event_name = os.environ.get("GITHUB_EVENT_NAME", "")
    event = _event()
    group_sha: str | None = None
    if event_name == "merge_group":
        group_sha, queued = _merge_group(event)
        raw = _input("pr-number")
        number = int(raw) if raw.isdigit() and int(raw) > 0 else (queued or 0)
        comment_mode = "off"  # the PR's own runs comment; a queue run only reports its status
    else:
        number = _pr_number(event_name, event)
    server_url = os.environ.get("GITHUB_SERVER_URL") or "https://github.com"
    run_id = os.environ.get("GITHUB_RUN_ID")
    return _ActionInputs(
        token=token,
        fail_on=fail_on_input.lower(),
        comment_mode=comment_mode,
        want_status=want_status,
        want_trace=want_trace,
        database_url=database_url,
        context=context,
        repository=repository,
        number=number,
        group_sha=group_sha,
        run_url=f"{server_url}/{repository}/actions/runs/{run_id}" if run_id else None,
        workspace=Path(os.environ.get("GITHUB_WORKSPACE") or os.getcwd()),
    )


def _action_client(inputs: _ActionInputs) -> Any:
    from guardrail.publish import actions
    from guardrail.sources.github_api import GitHubClient, RetryPolicy

    # Pacing knobs (seconds): GitHub asks for >= 1 s between writes; tests shorten both.
    write_interval = float(os.environ.get("GUARDRAIL_WRITE_INTERVAL", "1.0"))
    backoff = float(os.environ.get("GUARDRAIL_RETRY_BACKOFF", "1.0"))
    rate_wait = float(os.environ.get("GUARDRAIL_RATE_WAIT", "60"))
    max_wait = float(os.environ.get("GUARDRAIL_MAX_WAIT", "90"))
    return GitHubClient(
        inputs.token,
        inputs.repository,
        os.environ.get("GITHUB_API_URL") or "https://api.github.com",
        graphql_url=os.environ.get("GITHUB_GRAPHQL_URL") or None,
        policy=RetryPolicy(backoff=backoff, rate_wait=rate_wait, max_wait=max_wait),
        write_interval=write_interval,
        log=actions.log,
    )


def _whole_pull_request(client: Any, inputs: _ActionInputs) -> tuple[Any, Any]:
    """What GitHub says of the pull request, and the pull request with every file of it (past
    GitHub's listing cap when it can)."""
    from guardrail.publish import actions

    info = client.pull_request(inputs.number)
    pr = info.pr
    if pr.files_unseen:
        from guardrail.sources import whole_change

        listed = len(pr.files)
        pr, how = whole_change.complete(pr, inputs.workspace, client, actions.log)
        if how:
            actions.log(
                f"guardrail: GitHub listed {listed} files; {how} gave the other "
                f"{len(pr.files) - listed}"
            )
    actions.log(
        f"guardrail {__version__}: checking pull request #{inputs.number} of "
        f"{inputs.repository} ({len(pr.files)} files)"
    )
    return info, pr


@dataclass(frozen=True)
class _Prefetched:
    config_rel: str
    tree: Any
    read_tree: Any
    tests: list[str]  # head test folders to list, without a checkout


def _prefetch(client: Any, pr: Any, number: int, workspace: Path) -> _Prefetched:
    """One GraphQL request: the first page of comments, the configuration at the base commit
    and the files the checks will read, instead of a request for each."""
    from guardrail import config as cfgmod
    from guardrail.analysis.history import history_folders, recursive_folders
    from guardrail.analysis.testindex import test_folders
    from guardrail.engine import files_to_read

    config_rel = _input("config") or cfgmod.DEFAULT_CONFIG_PATH
    wanted = [(pr.base_sha, config_rel)] if pr.base_sha else []
    if pr.head_sha and any(f.path == config_rel for f in pr.files):
        wanted.append((pr.head_sha, config_rel))  # the PR's edit is validated (GR920)
    guess = cfgmod.Config()  # the configuration is not known yet; defaults choose the files
    for side, path in files_to_read(pr, guess):
        sha = pr.base_sha if side == "base" else pr.head_sha
        if sha:
            wanted.append((sha, path))
    folders = [(pr.base_sha, d) for d in history_folders(pr, guess)] if pr.base_sha else []
    deep = {(pr.base_sha, d) for d in recursive_folders(pr, guess)} if pr.base_sha else set()
    tree, read_tree = _workspace_tree(workspace)
    # No checkout: the test folders near the changed shapes are listed in the same request, and
    # the legacy-data check reads the tests it needs in one batch (guardrail/checks/legacy.py).
    tests = test_folders(pr) if tree is None and pr.head_sha else []
    head = pr.head_sha or ""
    client.prefetch(number, wanted, folders, [(head, d) for d in tests], deep=deep)
    return _Prefetched(config_rel, tree, read_tree, tests)


def _api_reader(client: Any, pr: Any) -> Any:
    """Reads a file at the PR's base or head commit through the API, each file once."""
    cache: dict[tuple[str, str], str | None] = {}

    def read(side: str, path: str) -> str | None:
        sha = pr.base_sha if side == "base" else pr.head_sha
        if not sha:
            return None
        key = (sha, path)
        if key not in cache:
            cache[key] = client.file_text(path, sha)
        return cache[key]

    return read


def _write_reports(report: Any, pr: Any, inputs: _ActionInputs, read_tree: Any) -> Path | None:
    """The JSON report, the SARIF file when asked, and the job summary; the JSON report's path
    when it was written."""
    from guardrail.publish import actions
    from guardrail.render import json as render_json
    from guardrail.render import markdown as render_md

    report_path = Path(_input("report-path", "guardrail-report.json"))
    wrote_report = actions.write_file(report_path, render_json.render(report), inputs.workspace)
    sarif_path = _input("sarif-path")
    if sarif_path:
        from guardrail.render import sarif

        def present(path: str) -> bool:
            return read_tree is not None and read_tree(path) is not None

        anchor = sarif_anchor(pr, present)
        text = sarif.render(report, root=inputs.workspace, anchor=anchor)
        if actions.write_file(Path(sarif_path), text, inputs.workspace):
            actions.set_output("sarif", sarif_path)
    summary = render_md.render(report, _meta(pr, inputs), marker=False, budget=None)
    actions.append_summary(summary)
    return report_path if wrote_report else None


def _meta(pr: Any, inputs: _ActionInputs) -> Any:
    from guardrail.render import markdown as render_md

    return render_md.Meta(head_sha=pr.head_sha, run_url=inputs.run_url, summary_url=inputs.run_url)


def _post(
    client: Any, report: Any, pr: Any, inputs: _ActionInputs
) -> tuple[list[str], list[tuple[str, str]]]:
    """The sticky comment and the commit status. Publishing never decides the outcome: what
    GitHub refuses (403/404: permissions, forks) or fails on (after retries; a 422 with its own
    fix) is returned, and the exit code still follows the verdict."""
    from guardrail.publish import actions, comment
    from guardrail.render import markdown as render_md

    refused: list[str] = []
    failed: list[tuple[str, str]] = []
    meta = _meta(pr, inputs)
    if inputs.comment_mode != "off":
        body = render_md.render(report, meta)
        create = inputs.comment_mode == "always" or report.gaps > 0
        try:
            try:
                outcome = comment.upsert(client, inputs.number, body, create=create)
            except GitHubError as exc:
                if exc.status != 422:
                    raise
                # Refused as too long despite the budget (multi-byte text): the short form.
                short = render_md.render(report, meta, budget=render_md.MINIMAL_BUDGET)
                outcome = comment.upsert(client, inputs.number, short, create=create)
            actions.log(f"guardrail: comment {outcome}")
        except GitHubError as exc:
            _sort_failure(exc, "comment", refused, failed)
    status_sha = inputs.group_sha or pr.head_sha
    if inputs.want_status and status_sha:
        state = "failure" if report.verdict is Verdict.FAIL else "success"
        context = inputs.context
        try:
            client.create_status(
                status_sha, state, context, render_md.status_description(report), inputs.run_url
            )
            actions.log(f"guardrail: status {context!r} = {state} on {status_sha[:7]}")
        except GitHubError as exc:
            _sort_failure(exc, "status", refused, failed)
    return refused, failed


def _finish(report: Any, problems: list[str], report_path: Path | None) -> int:
    """guardrail's own warnings, the annotations, the outputs; the exit code."""
    from guardrail.publish import actions
    from guardrail.render import annotations

    # guardrail's own warnings first: GitHub shows 10 warning annotations per step, and one
    # that says the comment or status is missing must not fall behind ten findings.
    for message in problems:
        actions.warn(message)
    if problems:
        from guardrail.render.inline import markdown

        actions.append_summary(
            "### 🛡️ guardrail could not post everything\n\n"
            + "\n\n".join(markdown(m) for m in problems)
            + "\n"
        )
    lines, left = annotations.render(report, reserved={Severity.WARNING: len(problems)})
    for line in lines:
        print(line, flush=True)
    if left:
        actions.log(
            f"guardrail: {left} more finding(s) are not annotated (GitHub shows 10 errors and "
            "10 warnings per step, the most severe first here); all are in the job summary"
        )

    actions.set_output("verdict", report.verdict.value)
    actions.set_output("gaps", str(report.gaps))
    if report_path is not None:
        actions.set_output("report", str(report_path))
    gaps = f"{report.gaps} gap" + ("" if report.gaps == 1 else "s")
    actions.log(f"guardrail: verdict {report.verdict.value} ({gaps}, fail-on {report.fail_on})")
    return _exit_for(report.verdict)


def _cmd_action(args: argparse.Namespace) -> int:
    """The action's steps in order: inputs, the pull request, one prefetch, the configuration,
    the trace when asked, judge, write the reports, post, annotate."""
    from dataclasses import replace

    from guardrail import engine
    from guardrail.publish import actions

    inputs = _action_inputs()
    client = _action_client(inputs)
    if inputs.group_sha and not inputs.number:
        return _merge_queue_pass(
            client, inputs.group_sha, inputs.context, inputs.run_url, inputs.want_status
        )
    info, pr = _whole_pull_request(client, inputs)
    got = _prefetch(client, pr, inputs.number, inputs.workspace)
    client.find_label_actors(inputs.number, pr.labels)  # earlier timeline pages, only when needed
    pr = replace(pr, label_actors=client.label_actors)  # who acknowledged by label
    config, notes = _action_config(client, pr, _input("config"))
    read = _api_reader(client, pr)

    observed = None
    if inputs.want_trace or inputs.database_url:
        from guardrail.trace.api import trace

        base_tree, base_read, base_notes = _action_base_tree(inputs.workspace, pr, read)
        observed = trace(
            pr,
            base_read,
            base_tree,
            config,
            database_url=inputs.database_url,
            base_notes=base_notes,
        )
        actions.log(f"guardrail: {_trace_note(observed)}")
    head = pr.head_sha or ""
    report = engine.run(
        pr,
        config,
        read=read,
        source="api",
        tree=got.tree,
        read_tree=got.read_tree,
        base_tree=_api_base_tree(client, pr.base_sha) if pr.base_sha else None,
        head_tests=_api_head_tests(client, head, got.tests) if got.tests else None,
        fail_on=inputs.fail_on or None,
        trace=observed,
        config_path=got.config_rel,
    )
    if notes:
        report = replace(report, notes=report.notes + tuple(notes))

    report_path = _write_reports(report, pr, inputs, got.read_tree)
    refused, failed = _post(client, report, pr, inputs)
    return _finish(report, _publish_problems(refused, failed, info, report), report_path)


# -- entry point --------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="guardrail",
        description="Ask a pull request: can we roll it back, how does the migration ship, "
        "do the tests include old data?",
    )
    parser.add_argument("--version", action="version", version=f"guardrail {__version__}")
    sub = parser.add_subparsers(dest="command")
    check = sub.add_parser("check", help="check the change HEAD makes over a base ref, locally")
    check.add_argument(
        "--base",
        help="the branch this will merge into, e.g. origin/main "
        "(default: the first of origin/HEAD, origin/main, main, origin/master, master)",
    )
    check.add_argument("--head", default="HEAD", help="the tip of the change (default HEAD)")
    check.add_argument("--body", help="the PR description: a file, or - for stdin")
    check.add_argument("--format", choices=("markdown", "json", "sarif"), default="markdown")
    check.add_argument("--config", help="configuration file (default .github/guardrail.yml)")
    check.add_argument("--fail-on", choices=FAIL_ON, help="override the configuration's fail-on")
    check.add_argument(
        "--label", action="append", default=[], help="a label the PR will carry (repeatable)"
    )
    check.add_argument(
        "--trace",
        action="store_true",
        help="run the migrations on an embedded PostgreSQL (pip install 'guardrail[trace]') "
        "and let findings rest on the locks, rewrites and errors it observes",
    )
    check.add_argument(
        "--database-url",
        help="trace on this PostgreSQL instead of the embedded one (implies --trace; the trace "
        "works in a scratch database it creates and drops)",
    )
    sub.add_parser("action", help="run as the GitHub Action (reads INPUT_* and GITHUB_*)")
    tpl = sub.add_parser(
        "template", help="print (or write) a pull-request template guardrail recognises"
    )
    tpl.add_argument("--config", help="configuration file (default .github/guardrail.yml)")
    tpl.add_argument(
        "--write",
        nargs="?",
        const=".github/pull_request_template.md",
        help="write it (default .github/pull_request_template.md)",
    )
    tpl.add_argument("--force", action="store_true", help="replace an existing file")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "check":
            return _cmd_check(args)
        if args.command == "action":
            return _cmd_action(args)
        if args.command == "template":
            return _cmd_template(args)
        parser.print_usage(sys.stderr)
        print("guardrail: error: choose a command: check, template or action", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        _silence_stdout()  # output closed early: quiet, no traceback
        return EXIT_USAGE
    except GuardrailError as exc:
        from guardrail.publish import actions

        actions.error(str(exc))
        if actions.in_actions():
            from guardrail.render.inline import markdown

            actions.append_summary(
                f"### 🛡️ guardrail could not run\n\n{markdown(exc.message)}\n\n"
                f"**Fix:** {markdown(exc.fix)}\n"
            )
            actions.set_output("verdict", "error")
        return exc.exit_code
    except Exception as exc:  # a bug: keep the traceback, but never look like a failing verdict
        import traceback

        from guardrail.publish import actions

        if not actions.in_actions():
            raise
        # An exception's message can quote the repository (a name, a line of a file): printed
        # raw, a line of it starting with `::` would be a workflow command.
        actions.print_lines(traceback.format_exc(), stream=sys.stderr)
        actions.error(
            f"guardrail hit a bug ({type(exc).__name__}); the traceback is in the log. "
            "Please report it; re-running will not help."
        )
        actions.append_summary(
            "### 🛡️ guardrail could not run\n\nguardrail hit a bug; the traceback is in the "
            "step's log. This is not a verdict on the pull request.\n"
        )
        actions.set_output("verdict", "error")
        return EXIT_USAGE
