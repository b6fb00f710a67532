"""GitHub, through PyGithub, with a retry policy of our own.

PyGithub's built-in retry re-sends POSTs after a 5xx (a second comment), does not retry
PATCH, and can sleep for an hour on a rate limit without a word. So PyGithub runs with
`retry=None` and every call goes through `_call`, which:
- retries 5xx and connection errors with bounded exponential backoff (idempotent calls only);
- waits as GitHub says (`retry-after`, `x-ratelimit-reset`) when the wait is short, and
  otherwise stops with a message saying when to try again;
- turns 401/404 into a GitHubError that names the likely cause (exit 2).

Requests per typical run: the PR, its files (1 page per 100), its comments (GraphQL, one page
per 100), one comment write, one status write. The listings of the base branch's migration folders
ride in the one GraphQL prefetch; a PR that adds Django or Alembic migrations adds one GraphQL
request per 100 base-branch migration files their history needs.
"""

from __future__ import annotations

import base64
import datetime
import email.utils
import functools
import json
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote

import requests
from github import Auth, Github, GithubException, UnknownObjectException
from github.PullRequest import PullRequest as PyPullRequest

from guardrail.analysis.encoding import decode
from guardrail.errors import GitHubError
from guardrail.limits import check_size
from guardrail.model import ChangedFile, PullRequest

T = TypeVar("T")

MAX_FILES = 3000  # GitHub's files endpoint stops here


def comments_fields(full_ids: bool = True) -> str:
    """A page of conversation comments. `databaseId` is a 32-bit Int and comment ids passed
    2^31 in 2024: `fullDatabaseId` (a BigInt, a string in JSON) is the id, and `databaseId`
    stands in where it is null or, on a GHES version without the field, not asked for."""
    ids = "fullDatabaseId databaseId" if full_ids else "databaseId"
    return (
        f"comments(first: 100, after: $cursor) {{ nodes {{ {ids} body viewerDidAuthor }} "
        "pageInfo { hasNextPage endCursor } }"
    )


def comments_query(full_ids: bool = True, fields: str | None = None) -> str:
    return (
        "query($owner: String!, $name: String!, $number: Int!, $cursor: String) { "
        "repository(owner: $owner, name: $name) { pullRequest(number: $number) { "
        + (fields or comments_fields(full_ids))
        + " } } }"
    )


# Who added each label (the reviewer behind a label acknowledgement): the latest 100
# labelling events in the prefetch, then earlier pages only for a label still on the pull
# request whose event was not among them, LABEL_PAGES pages (500 events) at most.
LABELERS = (
    "timelineItems(itemTypes: [LABELED_EVENT], last: 100, before: $before) { nodes { "
    "... on LabeledEvent { actor { login } label { name } } } "
    "pageInfo { hasPreviousPage startCursor } }"
)
LABEL_PAGES = 5


def labelers_query() -> str:
    return (
        "query($owner: String!, $name: String!, $number: Int!, $before: String) { "
        "repository(owner: $owner, name: $name) { pullRequest(number: $number) { "
        + LABELERS
        + " } } }"
    )


PREFETCH_LIMIT = 80  # files per prefetch; more are read one by one
HISTORY_BATCH = 100  # base-branch migration files per GraphQL request (migration history)
FOLDER_LIMIT = 20  # migration folders listed per prefetch
TEST_FOLDER_LIMIT = 20  # test folders listed per prefetch (without a checkout)
TEST_FOLDER_DEPTH = 3  # levels of a test folder listed: tests/, tests/unit/, tests/unit/api/


def _nested_entries(depth: int = TEST_FOLDER_DEPTH) -> str:
    """`... on Tree { entries { name type object { ... } } }`, `depth` levels deep."""
    inner = "" if depth <= 1 else f" object {{ {_nested_entries(depth - 1)} }}"
    return f"... on Tree {{ entries {{ name type{inner} }} }}"


def _blob_paths(tree: object, folder: str) -> list[str]:
    """The file paths of a nested listing (see `_nested_entries`)."""
    out: list[str] = []
    stack: list[tuple[object, str]] = [(tree, folder)]
    while stack:
        node, prefix = stack.pop()
        entries = node.get("entries") if isinstance(node, dict) else None
        for e in entries or ():
            if not isinstance(e, dict) or not e.get("name"):
                continue
            path = f"{prefix}/{e['name']}" if prefix else str(e["name"])
            if e.get("type") == "blob":
                out.append(path)
            elif e.get("type") == "tree":
                stack.append((e.get("object"), path))
    return sorted(out)


FLYWAY_DEPTH = 3  # levels of a Flyway location listed (analysis/history.py FLYWAY_DEPTH)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4  # tries in all, for 5xx and connection errors
    backoff: float = 1.0  # seconds before the 2nd try; doubles after
    max_wait: float = 90.0  # the longest single rate-limit wait; longer stops the run
    rate_wait: float = 60.0  # wait for a secondary limit that names no time (GitHub: >= 1 min)


@dataclass(frozen=True)
class Comment:
    id: int
    body: str
    mine: bool


@dataclass
class PullInfo:
    pr: PullRequest
    head_repo: str | None
    base_repo: str | None
    state: str = "open"

    @property
    def from_fork(self) -> bool:
        return bool(self.head_repo and self.base_repo and self.head_repo != self.base_repo)


def retry_after_seconds(value: str, now: float) -> float | None:
    """The wait a `Retry-After` header asks for: delay-seconds, or an HTTP-date (RFC 9110
    §10.2.3, which any HTTP server may send) taken against `now`; None when it is neither,
    so the caller backs off by its own policy."""
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # an HTTP-date is always GMT (RFC 9110 §5.6.7)
        when = when.replace(tzinfo=datetime.UTC)
    return max(0.0, when.timestamp() - now)


def _header(headers: dict[str, Any] | None, name: str) -> str | None:
    if not headers:
        return None
    for key, value in headers.items():
        if key.lower() == name:
            return str(value)
    return None


def _message(exc: GithubException) -> str:
    data = exc.data
    if isinstance(data, dict):
        msg = data.get("message")
        if msg:
            return str(msg)
        errors = data.get("errors")
        if isinstance(errors, list) and errors:  # GraphQL: the errors' own messages
            said = [str(e.get("message") or "") for e in errors if isinstance(e, dict)]
            return "; ".join(m for m in said if m)[:300]
    return str(data)[:200] if data else ""


def _too_large(exc: GithubException) -> bool:
    """GitHub's 403 for a file past what the contents API sends (`code: too_large`)."""
    errors = exc.data.get("errors") if isinstance(exc.data, dict) else None
    return isinstance(errors, list) and any(
        isinstance(e, dict) and e.get("code") == "too_large" for e in errors
    )


class GraphQLFailure(GithubException):
    """A GraphQL answer (HTTP 200) with errors and nothing usable; not retried."""

    def __init__(self, data: Any, headers: dict[str, Any] | None) -> None:
        super().__init__(200, data, headers)


def _loaded(pull: PyPullRequest) -> PyPullRequest:
    """A lazy PyGithub object fetches on first attribute access: make that happen here, inside
    the retrying call, rather than later at some innocent-looking attribute."""
    _ = pull.title
    return pull


class GitHubClient:
    def __init__(
        self,
        token: str,
        repository: str,
        api_url: str = "https://api.github.com",
        *,
        graphql_url: str | None = None,
        policy: RetryPolicy = RetryPolicy(),
        write_interval: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        log: Callable[[str], None] = lambda _msg: None,
    ) -> None:
        self.repository = repository
        self.owner, _, self.name = repository.partition("/")
        self.policy = policy
        self.sleep = sleep
        self.clock = clock
        self.log = log
        self.retries = 0
        self.gh = Github(
            auth=Auth.Token(token),
            base_url=api_url.rstrip("/"),
            per_page=100,
            retry=None,
            timeout=30,
            seconds_between_requests=None,
            seconds_between_writes=write_interval or None,
            lazy=True,  # no request until we ask; _loaded() completes inside _call
            user_agent="guardrail-action",
        )
        self.repo = self.gh.get_repo(repository)
        self.blobs: dict[tuple[str, str], str | None] = {}
        # (sha, folder) -> the names of the files in it, from the prefetch (migration history).
        self.folders: dict[tuple[str, str], list[str]] = {}
        # Test folders listed in the prefetch, (sha, folder) -> file paths (no checkout).
        self.test_paths: dict[tuple[str, str], list[str]] = {}
        self._first_page: tuple[int, dict[str, Any]] | None = None
        self._failed: set[str] = set()  # fields of the last GraphQL answer that came as errors
        self.full_ids = True  # False once a GHES server says IssueComment has no fullDatabaseId
        self.label_actors: tuple[tuple[str, str], ...] = ()  # (label, login), the latest first
        # (pull request, cursor of the timeline's earlier labelling events, None when none)
        self._label_pages: tuple[int, str | None] = (0, None)
        self.repo_url = f"{api_url.rstrip('/')}/repos/{repository}"
        # The runner's GITHUB_GRAPHQL_URL when it names one (GHES, a proxy); else PyGithub's
        # derivation from the REST URL (api.github.com/graphql, HOST/api/v3 -> HOST/api/graphql).
        self.graphql_url = graphql_url or self.gh.requester.graphql_url

    def _graphql(self, query: str, variables: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
        """A GraphQL request, read the way GitHub answers it: errors come with HTTP 200. A rate
        limit (`RATE_LIMITED`) is raised as a limit for _call to wait on; data that came with
        errors is kept, and the top-level fields the errors name are returned so that the
        caller asks again only for those."""
        requester = self.gh.requester
        headers, data = requester.requestJsonAndCheck(
            "POST", self.graphql_url, input={"query": query, "variables": variables}
        )
        errors = data.get("errors") if isinstance(data, dict) else None
        if not errors:
            return data, set()
        kinds = {str(e.get("type") or "") for e in errors if isinstance(e, dict)}
        if "RATE_LIMITED" in kinds or _header(headers, "retry-after") is not None:
            raise GithubException(429, data, headers)  # GitHub says when to ask again
        answer = data.get("data")
        whole = not isinstance(answer, dict) or any(
            answer.get(str(e["path"][0])) is None
            for e in errors
            if isinstance(e, dict) and isinstance(e.get("path"), list) and len(e["path"]) == 1
        )
        if whole or kinds == {"NOT_FOUND"} and len(errors) == 1:
            # Nothing usable came (no data, or the query's root, e.g. `repository`, is null):
            # a clear error, not retried, since GitHub did not say that asking again helps.
            if kinds == {"NOT_FOUND"}:
                raise UnknownObjectException(404, data, headers)
            raise GraphQLFailure(data, headers)
        failed = {
            str(e["path"][1])
            for e in errors
            if isinstance(e, dict) and isinstance(e.get("path"), list) and len(e["path"]) > 1
        }
        self.log(f"GitHub: {len(errors)} GraphQL error(s) next to the data; reading those again")
        return data, failed

    # -- the one place every request goes through ------------------------------------------

    def _call(self, what: str, fn: Callable[[], T], *, idempotent: bool = True) -> T:
        attempt = 1
        while True:
            try:
                return fn()
            except GithubException as exc:
                delay = self._delay(exc, attempt, idempotent)
                if delay is None:
                    raise self._explain(what, exc) from None
            except (requests.ConnectionError, requests.Timeout) as exc:
                if not idempotent or attempt >= self.policy.attempts:
                    raise GitHubError(
                        f"cannot reach GitHub to {what}: {type(exc).__name__}",
                        "check GITHUB_API_URL and the runner's network, then re-run",
                    ) from None
                delay = float(self.policy.backoff * 2.0 ** (attempt - 1))
            self.log(f"GitHub: retrying {what} in {delay:.0f}s (attempt {attempt + 1})")
            self.retries += 1
            self.sleep(delay)
            attempt += 1

    def _delay(self, exc: GithubException, attempt: int, idempotent: bool) -> float | None:
        status = exc.status
        headers = exc.headers or {}
        remaining = _header(headers, "x-ratelimit-remaining")
        retry_after = _header(headers, "retry-after")
        message = _message(exc).lower()
        limited = status in (403, 429) and (
            retry_after is not None or remaining == "0" or "rate limit" in message or status == 429
        )
        if limited:
            told = None if retry_after is None else retry_after_seconds(retry_after, self.clock())
            if told is not None:
                wait = told
            elif remaining == "0" and (reset := _header(headers, "x-ratelimit-reset")):
                wait = max(0.0, float(reset) - self.clock()) + 1.0
            else:
                wait = self.policy.rate_wait * 2 ** (attempt - 1)  # then back off
            if wait > self.policy.max_wait or attempt >= self.policy.attempts:
                raise GitHubError(
                    f"GitHub's rate limit stops this run (it asks to wait {wait:.0f}s)",
                    "re-run the job later; a busy repository can use a GitHub App token, "
                    "which has a higher limit",
                    status=status,
                )
            return wait
        if status >= 500 and idempotent and attempt < self.policy.attempts:
            return float(self.policy.backoff * 2.0 ** (attempt - 1))
        return None

    def _explain(self, what: str, exc: GithubException) -> GitHubError:
        status = exc.status
        msg = _message(exc)
        if isinstance(exc, GraphQLFailure):
            return GitHubError(
                f"GitHub's GraphQL API answered the request to {what} with an error and no "
                f"data ({msg or 'no message'})",
                "check that the token can read this repository (`contents: read`, "
                "`pull-requests: read`); if GitHub's message names a timeout or an outage, "
                "re-run the job",
                status=None,
            )
        if status == 401:
            return GitHubError(
                f"GitHub rejected the token while trying to {what} "
                f"(401 {msg or 'Bad credentials'})",
                "pass a valid token in `github-token` (the default `${{ github.token }}` works)",
                status=401,
            )
        if status == 404:
            return GitHubError(
                f"GitHub found nothing to {what} in {self.repository} (404)",
                "check the PR number, and that the token can read this repository "
                "(`contents: read`, `pull-requests: read`)",
                status=404,
            )
        if status == 403 and _too_large(exc):
            return GitHubError(
                f"GitHub would not send a file through its contents API to {what}: it is over "
                "1 MB (403 too_large)",
                "nothing to grant: guardrail reads such files through the Git blobs API; if "
                "this message stays, please report it",
                status=403,
                too_large=True,
            )
        if status == 403:
            return GitHubError(
                f"GitHub refused to {what} (403 {msg})",
                "grant the workflow `pull-requests: write` and `statuses: write`; on pull "
                "requests from forks the token is read-only (see the README's fork setup)",
                status=403,
            )
        if status == 422:  # GitHub judged the request itself: the same request fails again
            return GitHubError(
                f"GitHub declined the request to {what} as invalid (422 {msg or 'Unprocessable'})",
                "re-running the same commit will not help. If GitHub names the commit, it is no "
                "longer in the repository (the branch was force-pushed; the run for the new head "
                "reports instead); a commit past GitHub's 1,000 statuses per context takes a push; "
                "anything else, please report it with GitHub's message",
                status=422,
            )
        return GitHubError(
            f"GitHub failed to {what} ({status} {msg})".strip(),
            "re-run the job; if it keeps failing, check https://www.githubstatus.com",
            status=status,
        )

    def _comments_graphql(
        self, what: str, build: Callable[[str], str], variables: dict[str, Any]
    ) -> dict[str, Any]:
        """A GraphQL request that lists comments (`build` puts the comments' fields into the
        query): asked with `fullDatabaseId`, and once more without it where the server does
        not know the field (older GHES), so that guardrail always finds its own comment."""

        def ask() -> tuple[dict[str, Any], set[str]]:
            try:
                return self._graphql(build(comments_fields(self.full_ids)), variables)
            except GithubException as exc:
                if not (self.full_ids and "fullDatabaseId" in json.dumps(exc.data, default=str)):
                    raise
                self.full_ids = False
                self.log("GitHub: this server has no IssueComment.fullDatabaseId; using databaseId")
                return self._graphql(build(comments_fields(False)), variables)

        data, failed = self._call(what, ask)
        self._failed = failed
        return data

    # -- reads ----------------------------------------------------------------------------------

    def pull_request(self, number: int) -> PullInfo:
        gpr = self._call(
            f"read pull request #{number}", lambda: _loaded(self.repo.get_pull(number))
        )
        files: list[ChangedFile] = []

        def list_files() -> None:
            files.clear()
            for f in gpr.get_files():
                if len(files) >= MAX_FILES:
                    break
                patch = f.patch
                changes = (f.additions or 0) + (f.deletions or 0)
                binary = patch is None and changes == 0 and f.status != "removed"
                files.append(
                    ChangedFile(
                        path=f.filename,
                        status=f.status,
                        previous_path=f.previous_filename,
                        additions=f.additions or 0,
                        deletions=f.deletions or 0,
                        patch=patch,
                        binary=binary,
                    )
                )

        self._call(f"list the files of pull request #{number}", list_files)
        head_repo = gpr.head.repo.full_name if gpr.head.repo is not None else None
        pr = PullRequest(
            title=gpr.title or "",
            body=gpr.body or "",
            files=tuple(files),
            number=gpr.number,
            labels=tuple(label.name for label in gpr.labels),
            base_sha=gpr.base.sha,
            head_sha=gpr.head.sha,
            author=gpr.user.login if gpr.user is not None else None,
            changed_files=gpr.changed_files,
        )
        return PullInfo(pr, head_repo, self.repository, gpr.state)

    def prefetch(
        self,
        number: int,
        specs: list[tuple[str, str]],
        folders: list[tuple[str, str]] | None = None,
        test_folders: list[tuple[str, str]] | None = None,
        *,
        deep: Collection[tuple[str, str]] = (),
    ) -> None:
        """One GraphQL request for the first page of comments, the files the checks will
        read ((sha, path) pairs, most important first) and the listings of the folders the
        migration history needs ((sha, folder) pairs): what would otherwise be a request per
        file. Folders in `deep` are listed with their sub-folders, to FLYWAY_DEPTH levels (a
        Flyway location). Past PREFETCH_LIMIT, files are read one by one when a check asks."""
        specs = list(dict.fromkeys(specs))[:PREFETCH_LIMIT]
        folders = list(dict.fromkeys(folders or ()))[:FOLDER_LIMIT]
        tests = list(dict.fromkeys(test_folders or ()))[:TEST_FOLDER_LIMIT]
        variables: dict[str, object] = {
            "owner": self.owner,
            "name": self.name,
            "number": number,
            "cursor": None,
            "before": None,
        }
        decls = ["$owner: String!", "$name: String!", "$number: Int!", "$cursor: String"]
        decls.append("$before: String")
        fields = []
        for i, (sha, path) in enumerate(specs):
            variables[f"e{i}"] = f"{sha}:{path}"
            decls.append(f"$e{i}: String!")
            fields.append(
                f"f{i}: object(expression: $e{i}) {{ ... on Blob {{ text isBinary isTruncated }} }}"
            )
        for i, (sha, folder) in enumerate(folders):
            variables[f"t{i}"] = f"{sha}:{folder}"
            decls.append(f"$t{i}: String!")
            listing = _nested_entries(FLYWAY_DEPTH if (sha, folder) in deep else 1)
            fields.append(f"t{i}: object(expression: $t{i}) {{ {listing} }}")
        for i, (sha, folder) in enumerate(tests):
            # A test folder and its sub-folders (TEST_FOLDER_DEPTH levels): names only.
            variables[f"u{i}"] = f"{sha}:{folder}"
            decls.append(f"$u{i}: String!")
            fields.append(f"u{i}: object(expression: $u{i}) {{ {_nested_entries()} }}")
        head = f"query({', '.join(decls)}) {{ repository(owner: $owner, name: $name) {{ "
        rest = " ".join(fields)
        data = self._comments_graphql(
            f"read pull request #{number}'s comments and files",
            lambda comments: (
                f"{head}pullRequest(number: $number) {{ {comments} {LABELERS} }} {rest} }} }}"
            ),
            variables,
        )
        repo = data["data"]["repository"]
        for i, key in enumerate(specs):
            blob = repo.get(f"f{i}")
            if f"f{i}" in self._failed:
                continue  # came as an error: read again by itself when a check asks
            if blob is None:
                self.blobs[key] = None  # not in that commit
            elif (
                not blob.get("isBinary")
                and not blob.get("isTruncated")
                and blob.get("text") is not None
            ):
                self.blobs[key] = blob["text"]
        for i, key in enumerate(folders):
            # A Flyway location's sub-folders' files as `sub/name` (asked for with `deep`).
            self.folders[key] = _blob_paths(repo.get(f"t{i}"), "")
        for i, (sha, folder) in enumerate(tests):
            self.test_paths[(sha, folder)] = _blob_paths(repo.get(f"u{i}"), folder)
        pull = repo.get("pullRequest") if "pullRequest" not in self._failed else None
        self._first_page = (number, pull["comments"]) if pull else None
        timeline = (pull or {}).get("timelineItems") or {}
        self.label_actors = _label_events(timeline)
        self._label_pages = (number, _earlier(timeline))

    def find_label_actors(self, number: int, labels: tuple[str, ...]) -> None:
        """Read earlier pages of the timeline while a label on the pull request has no
        labelling event among those read (a long-lived PR labelled more than 100 times), at
        most LABEL_PAGES pages in all. Who added a label is informational (the JSON report's
        `by`), so a label still unfound after that is reported with `by: null`."""
        at, cursor = self._label_pages
        pages = 1
        while at == number and cursor is not None and pages < LABEL_PAGES:
            found = {label.lower() for label, _ in self.label_actors}
            if all(label.lower() in found for label in labels):
                return
            data, _failed = self._call(
                f"read who labelled pull request #{number}",
                functools.partial(
                    self._graphql,
                    labelers_query(),
                    {"owner": self.owner, "name": self.name, "number": number, "before": cursor},
                ),
            )
            timeline = (data["data"]["repository"]["pullRequest"] or {}).get("timelineItems")
            self.label_actors += _label_events(timeline or {})  # older events after newer
            cursor = _earlier(timeline or {})
            pages += 1

    def comments(self, number: int) -> list[Comment]:
        """Every conversation comment, with whether this token's identity wrote it.

        GraphQL's `viewerDidAuthor` answers "is this mine?" for any kind of token, including
        the default GITHUB_TOKEN, which may not call `GET /user`.
        """
        out: list[Comment] = []
        cursor: str | None = None
        first = self._first_page
        self._first_page = None  # prefetched comments serve one listing; later ones are fresh
        while True:
            if first is not None and first[0] == number:
                conn = first[1]
                first = None
                self._collect(conn, out)
                if not conn["pageInfo"]["hasNextPage"]:
                    return out
                cursor = conn["pageInfo"]["endCursor"]
                continue
            variables = {"owner": self.owner, "name": self.name, "number": number, "cursor": cursor}
            data = self._comments_graphql(
                f"list the comments of pull request #{number}",
                lambda fields: comments_query(fields=fields),
                variables,
            )
            conn = data["data"]["repository"]["pullRequest"]["comments"]
            self._collect(conn, out)
            if not conn["pageInfo"]["hasNextPage"]:
                return out
            cursor = conn["pageInfo"]["endCursor"]

    @staticmethod
    def _collect(conn: dict[str, Any], out: list[Comment]) -> None:
        for node in conn["nodes"]:
            ident = node.get("fullDatabaseId") or node.get("databaseId") if node else None
            if ident is not None and str(ident).isdigit():
                out.append(
                    Comment(
                        int(ident),
                        node.get("body") or "",
                        bool(node.get("viewerDidAuthor")),
                    )
                )

    def file_text(self, path: str, ref: str) -> str | None:
        """A file's text at a commit, or None when it does not exist there."""
        if (ref, path) in self.blobs:
            return self.blobs[(ref, path)]
        try:
            content = self._call(
                f"read {path} at {ref[:7]}", lambda: self.repo.get_contents(path, ref=ref)
            )
        except GitHubError as exc:
            if exc.status == 404:
                return None
            if exc.too_large:  # past 1 MB: 403 `too_large` with the default media type
                return self._large_file(path, ref)
            raise
        if isinstance(content, list):
            return None
        check_size(path, content.size or 0)
        if content.encoding == "none" and content.size:
            return self._large_file(path, ref, content.sha)
        try:
            return decode(content.decoded_content)
        except (AssertionError, GithubException):
            return None

    def _large_file(self, path: str, ref: str, sha: str | None = None) -> str | None:
        """A file past the contents API's 1 MB: its size and blob sha from the object media
        type (the default one answers 403 `too_large`), then its bytes from the Git blobs API
        (up to 100 MB), unless it is over guardrail's own cap (not downloaded at all)."""
        if sha is None:
            url = f"{self.repo_url}/contents/{quote(path, safe='/')}"
            try:
                _, meta = self._call(
                    f"read {path} at {ref[:7]} (large file)",
                    lambda: self.gh.requester.requestJsonAndCheck(
                        "GET",
                        url,
                        parameters={"ref": ref},
                        headers={"Accept": "application/vnd.github.object"},
                    ),
                )
            except GitHubError as exc:
                if exc.status == 404:
                    return None
                raise
            if not isinstance(meta, dict) or meta.get("type") != "file":
                return None
            check_size(path, int(meta.get("size") or 0))
            sha = str(meta.get("sha") or "")
        blob = self._call(
            f"read {path} at {ref[:7]} (large file)", lambda: self.repo.get_git_blob(str(sha))
        )
        check_size(path, int(blob.size or 0))
        return decode(base64.b64decode(str(blob.content)))

    def other_file(self, repository: str, path: str, ref: str | None) -> str | None:
        """A file of another repository (an organization's shared configuration)."""
        import base64
        from urllib.parse import quote

        # config.validate_extends has checked each part; quoting keeps them parts of a path.
        owner, _, name = repository.partition("/")
        where = f"{quote(owner, safe='')}/{quote(name, safe='')}/contents/{quote(path, safe='/')}"
        url = f"{self.repo_url.rsplit('/repos/', 1)[0]}/repos/{where}"
        params = {"ref": ref} if ref else None
        try:
            _, data = self._call(
                f"read {repository}:{path}",
                lambda: self.gh.requester.requestJsonAndCheck("GET", url, parameters=params),
            )
        except GitHubError as exc:
            if exc.status in (401, 403, 404):
                return None
            raise
        if not isinstance(data, dict) or data.get("encoding") != "base64":
            return None
        return decode(base64.b64decode(str(data.get("content", ""))))

    # -- the whole change, when the files listing stops at 3,000 ------------------------------

    def merge_base(self, base: str, head: str) -> str | None:
        """The commit a pull request's diff starts from (GitHub compares three-dot)."""
        url = f"{self.repo_url}/compare/{base}...{head}"
        _, data = self._call(
            f"compare {base[:7]}...{head[:7]}",
            lambda: self.gh.requester.requestJsonAndCheck("GET", url, parameters={"per_page": 1}),
        )
        found = (data or {}).get("merge_base_commit") or {}
        sha = found.get("sha") if isinstance(found, dict) else None
        return str(sha) if sha else None

    def tree(self, sha: str) -> dict[str, str] | None:
        """Every file of a commit as {path: blob sha, with its mode}, or None when GitHub cut
        the listing (`truncated`: more than 100,000 entries or 7 MB)."""
        url = f"{self.repo_url}/git/trees/{sha}"
        _, data = self._call(
            f"list the files of {sha[:7]}",
            lambda: self.gh.requester.requestJsonAndCheck(
                "GET", url, parameters={"recursive": "1"}
            ),
        )
        if not isinstance(data, dict) or data.get("truncated"):
            return None
        return {
            str(e["path"]): f"{e.get('mode')}:{e.get('sha')}"
            for e in data.get("tree") or ()
            if isinstance(e, dict) and e.get("type") == "blob" and e.get("path")
        }

    # -- the base branch's migration files (migration history) --------------------------------

    def read_many(
        self, sha: str, paths: list[str], what: str = "migration files"
    ) -> dict[str, str | None]:
        """Files of one commit, HISTORY_BATCH per GraphQL request; cached with the prefetch."""
        out: dict[str, str | None] = {}
        todo = [p for p in dict.fromkeys(paths) if (sha, p) not in self.blobs]
        for start in range(0, len(todo), HISTORY_BATCH):
            chunk = todo[start : start + HISTORY_BATCH]
            variables: dict[str, object] = {"owner": self.owner, "name": self.name}
            decls = ["$owner: String!", "$name: String!"]
            fields = []
            for i, path in enumerate(chunk):
                variables[f"e{i}"] = f"{sha}:{path}"
                decls.append(f"$e{i}: String!")
                fields.append(
                    f"f{i}: object(expression: $e{i}) {{ ... on Blob {{ text isTruncated }} }}"
                )
            query = (
                f"query({', '.join(decls)}) {{ repository(owner: $owner, name: $name) "
                f"{{ {' '.join(fields)} }} }}"
            )
            data, failed = self._call(
                f"read {len(chunk)} {what} at {sha[:7]}",
                lambda q=query, v=variables: self._graphql(q, v),  # type: ignore[misc]
            )
            repo = data["data"]["repository"]
            for i, path in enumerate(chunk):
                if f"f{i}" in failed:
                    continue  # came as an error: not cached as absent; file_text reads it
                blob = repo.get(f"f{i}")
                if isinstance(blob, dict) and blob.get("isTruncated"):
                    continue  # GraphQL stops at 512,000 bytes: file_text reads it whole
                text = blob.get("text") if isinstance(blob, dict) else None
                self.blobs[(sha, path)] = text if isinstance(text, str) else None
        for path in paths:
            out[path] = self.file_text(path, sha)  # cached, or asked again by itself
        return out

    # -- writes ---------------------------------------------------------------------------------

    def create_comment(self, number: int, body: str) -> int:
        _, data = self._call(
            f"comment on pull request #{number}",
            lambda: self.gh.requester.requestJsonAndCheck(
                "POST", f"{self.repo_url}/issues/{number}/comments", input={"body": body}
            ),
            idempotent=False,
        )
        return int(data["id"])

    def update_comment(self, comment_id: int, body: str) -> None:
        self._call(
            "update guardrail's comment",
            lambda: self.gh.requester.requestJsonAndCheck(
                "PATCH", f"{self.repo_url}/issues/comments/{comment_id}", input={"body": body}
            ),
        )

    def delete_comment(self, comment_id: int) -> None:
        try:
            self._call(
                "delete a duplicate guardrail comment",
                lambda: self.gh.requester.requestJsonAndCheck(
                    "DELETE", f"{self.repo_url}/issues/comments/{comment_id}"
                ),
            )
        except GitHubError as exc:
            if exc.status != 404:  # a concurrent run deleted it first: the goal is met
                raise

    def create_status(
        self, sha: str, state: str, context: str, description: str, target_url: str | None
    ) -> None:
        payload = {"state": state, "context": context, "description": description[:140]}
        if target_url:
            payload["target_url"] = target_url
        self._call(
            f"set the {context!r} status on {sha[:7]}",
            lambda: self.gh.requester.requestJsonAndCheck(
                "POST", f"{self.repo_url}/statuses/{sha}", input=payload
            ),
        )


def _label_events(timeline: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """(label, login) of a page of labelling events, the latest first."""
    events = timeline.get("nodes") or ()
    return tuple(
        (str(e["label"]["name"]), str(e["actor"]["login"]))
        for e in reversed(events)
        if isinstance(e, dict)
        and isinstance(e.get("label"), dict)
        and isinstance(e.get("actor"), dict)
        and e["label"].get("name")
        and e["actor"].get("login")
    )


def _earlier(timeline: dict[str, Any]) -> str | None:
    """The cursor before a page of the timeline, None when it is the first."""
    info = timeline.get("pageInfo") or {}
    cursor = info.get("startCursor")
    return str(cursor) if info.get("hasPreviousPage") and cursor else None
