"""A fake GitHub REST + GraphQL API on 127.0.0.1, for end-to-end tests of the console script.

It keeps just enough state to be honest: pull requests, their files (paginated with Link
headers, at most 3,000 like GitHub), conversation comments with authors, commit statuses and
file contents. Every request is logged. Faults can be queued per method and path.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

BOT = "github-actions[bot]"
BLOB_TEXT_LIMIT = 512_000  # GraphQL's Blob.text stops here (isTruncated: true)
SCHEMA_PATH = (
    Path(__file__).resolve().parent.parent.parent / "shared/corpus/github/graphql/schema.graphql"
)


@functools.cache
def github_schema() -> Any:
    """GitHub's published GraphQL schema (graphql-core), built once per test session; None
    when ../shared is not here. GitHub's SDL defines two EnterpriseOwnerInfo fields twice and
    deprecates some interface fields only in their implementations; graphql-core's strict
    schema checks refuse both, which says nothing about the queries, so they are skipped."""
    if not SCHEMA_PATH.is_file():
        return None
    from graphql import build_schema

    return build_schema(
        SCHEMA_PATH.read_text(encoding="utf-8"), assume_valid_sdl=True, assume_valid=True
    )


def schema_errors(query: str) -> list[str]:
    """What GitHub would refuse in a query: its validation errors against the schema."""
    schema = github_schema()
    if schema is None:
        return []
    from graphql import GraphQLError, parse, validate

    try:
        document = parse(query)
    except GraphQLError as exc:
        return [exc.message]
    return [e.message for e in validate(schema, document)]


@dataclass
class Fault:
    method: str
    path_re: str
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    times: int = 1
    drop: bool = False  # close the connection without answering


@dataclass
class Logged:
    method: str
    path: str
    body: Any
    status: int


class FakeGitHub:
    def __init__(self) -> None:
        self.pulls: dict[int, dict[str, Any]] = {}
        self.files: dict[int, list[dict[str, Any]]] = {}
        self.comments: dict[int, list[dict[str, Any]]] = {}
        self.statuses: list[dict[str, Any]] = []
        self.contents: dict[tuple[str, str], str] = {}
        # Git trees by commit sha: {path: blob sha}; a sha in `truncated_trees` is cut.
        self.trees: dict[str, dict[str, str]] = {}
        self.truncated_trees: set[str] = set()
        self.merge_bases: dict[tuple[str, str], str] = {}  # (base, head) -> sha; default base
        self.blobs: dict[str, bytes] = {}
        self.tokens: dict[str, str] = {"t-bot": BOT}
        self.read_only_tokens: set[str] = set()
        self.faults: list[Fault] = []
        self.log: list[Logged] = []
        self.repo = "octo/shop"
        self._next_id = 1000
        self.graphql_errors_for: set[str] = set()  # paths whose GraphQL read comes as an error
        self.no_full_database_id = False  # a GHES version whose IssueComment lacks it
        # Every GraphQL query is validated against GitHub's schema as it arrives; one GitHub
        # would refuse is answered as GitHub does and kept here (the fixture fails the test).
        self.invalid_queries: list[tuple[str, list[str]]] = []
        # A GraphQL answer whose `repository` came back null with an error at path length 1.
        self.graphql_repository_error: dict[str, Any] | None = None
        self.ghes = False  # GitHub Enterprise Server's layout: /api/v3/… and /api/graphql
        # GraphQL served somewhere GITHUB_API_URL does not imply (GITHUB_GRAPHQL_URL says where).
        self.graphql_path: str | None = None
        self._accept = ""  # the Accept header of the request being answered
        self.label_events: dict[int, list[tuple[str, str]]] = {}  # number -> (label, login)
        self.timeline_pages = 0  # timeline pages asked for after the prefetch
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # -- lifecycle -------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        """What GITHUB_API_URL is on this server: GHES keeps the REST API under /api/v3."""
        return f"{self.url}/api/v3" if self.ghes else self.url

    @property
    def graphql_url(self) -> str:
        return f"{self.url}{self._graphql_path}"

    @property
    def _graphql_path(self) -> str:
        return self.graphql_path or ("/api/graphql" if self.ghes else "/graphql")

    def __enter__(self) -> FakeGitHub:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- state helpers ---------------------------------------------------------------------------
    def add_pull(
        self,
        number: int,
        *,
        title: str = "A change",
        body: str | None = "",
        files: list[dict[str, Any]] | None = None,
        head_sha: str = "a" * 40,
        base_sha: str = "b" * 40,
        fork: bool = False,
        changed_files: int | None = None,
        labels: tuple[str, ...] = (),
    ) -> None:
        files = files or []
        full = self.repo
        head_repo = "someone/shop" if fork else full
        api = f"{self.api_url}/repos/{full}"
        self.pulls[number] = {
            "url": f"{api}/pulls/{number}",
            "id": 10_000 + number,
            "node_id": f"PR_{number}",
            "number": number,
            "state": "open",
            "title": title,
            "body": body,
            "html_url": f"https://github.example/{full}/pull/{number}",
            "issue_url": f"{api}/issues/{number}",
            "user": {
                "login": "alice",
                "id": 1,
                "type": "User",
                "url": f"{self.api_url}/users/alice",
            },
            "labels": [
                {"name": n, "id": i, "url": f"{api}/labels/{n}"} for i, n in enumerate(labels)
            ],
            "head": {
                "sha": head_sha,
                "ref": "feature",
                "label": "x:feature",
                "repo": {
                    "full_name": head_repo,
                    "name": "shop",
                    "url": f"{self.api_url}/repos/{head_repo}",
                },
            },
            "base": {
                "sha": base_sha,
                "ref": "main",
                "label": "x:main",
                "repo": {"full_name": full, "name": "shop", "url": api},
            },
            "changed_files": changed_files if changed_files is not None else len(files),
            "additions": sum(f.get("additions", 0) for f in files),
            "deletions": sum(f.get("deletions", 0) for f in files),
        }
        self.files[number] = files
        self.comments.setdefault(number, [])

    def add_comment(self, number: int, body: str, login: str) -> int:
        cid = self._new_id()
        self.comments.setdefault(number, []).append(
            {"id": cid, "body": body, "user": {"login": login}}
        )
        return cid

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def requests(self, method: str | None = None, contains: str = "") -> list[Logged]:
        return [
            r for r in self.log if (method is None or r.method == method) and contains in r.path
        ]

    # -- HTTP ------------------------------------------------------------------------------------
    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _dispatch(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = None
                token = (
                    (self.headers.get("Authorization") or "")
                    .removeprefix("token ")
                    .removeprefix("Bearer ")
                )
                with fake._lock:
                    fake._accept = self.headers.get("Accept") or ""
                    status, headers, payload, drop = fake._route(method, self.path, body, token)
                    fake.log.append(Logged(method, self.path, body, status))
                if drop:
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                data = b"" if payload is None else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._dispatch("GET")

            def do_POST(self) -> None:
                self._dispatch("POST")

            def do_PATCH(self) -> None:
                self._dispatch("PATCH")

            def do_DELETE(self) -> None:
                self._dispatch("DELETE")

        return Handler

    def _route(
        self, method: str, raw_path: str, body: Any, token: str
    ) -> tuple[int, dict[str, str], Any, bool]:
        parsed = urlparse(raw_path)
        path = parsed.path
        query = parse_qs(parsed.query)
        graphql = self._graphql_path
        if method == "POST" and path == graphql:
            problems = schema_errors(str((body or {}).get("query") or ""))
            if problems:  # checked as it arrives, before any fault is served
                self.invalid_queries.append((str((body or {}).get("query")), problems))
                # GitHub's answer to a query its schema refuses: HTTP 200, errors, no data.
                return 200, {}, {"errors": [{"message": m} for m in problems]}, False
        elif self.ghes:
            # GHES serves REST under /api/v3 only; anything else is a wrong base URL.
            if not path.startswith("/api/v3/"):
                return 404, {}, {"message": f"not a GHES API path: {path}"}, False
            path = path.removeprefix("/api/v3")
        for fault in self.faults:
            if fault.times > 0 and fault.method == method and re.search(fault.path_re, path):
                fault.times -= 1
                return fault.status, fault.headers, fault.body, fault.drop
        login = self.tokens.get(token)
        if login is None:
            return 401, {}, {"message": "Bad credentials"}, False
        repo = f"/repos/{self.repo}"
        forbidden = (403, {}, {"message": "Resource not accessible by integration"}, False)

        if method == "GET" and path == "/user":
            return forbidden
        if method == "POST" and path == graphql:
            return self._graphql(body or {}, login)
        m = re.fullmatch(rf"{repo}/pulls/(\d+)", path)
        if method == "GET" and m:
            number = int(m.group(1))
            if number not in self.pulls:
                return 404, {}, {"message": "Not Found"}, False
            return 200, {}, self.pulls[number], False
        m = re.fullmatch(rf"{repo}/pulls/(\d+)/files", path)
        if method == "GET" and m:
            number = int(m.group(1))
            if number not in self.pulls:
                return 404, {}, {"message": "Not Found"}, False
            per_page = min(100, int(query.get("per_page", ["30"])[0]))
            page = int(query.get("page", ["1"])[0])
            items = self.files[number][:3000]
            chunk = items[(page - 1) * per_page : page * per_page]
            headers = {}
            pages = max(1, -(-len(items) // per_page))
            if page < pages:
                nxt = f"{self.api_url}{path}?per_page={per_page}&page={page + 1}"
                last = f"{self.api_url}{path}?per_page={per_page}&page={pages}"
                headers["Link"] = f'<{nxt}>; rel="next", <{last}>; rel="last"'
            return 200, headers, chunk, False
        m = re.fullmatch(rf"{repo}/issues/(\d+)/comments", path)
        if m and method == "POST":
            if token in self.read_only_tokens:
                return forbidden
            number = int(m.group(1))
            body_text = (body or {}).get("body", "")
            if len(body_text) > 65536:
                return (
                    422,
                    {},
                    {
                        "message": "Validation Failed",
                        "errors": [{"message": "body is too long (maximum is 65536 characters)"}],
                    },
                    False,
                )
            cid = self.add_comment(number, body_text, login)
            return 201, {}, self._rest_comment(cid, number), False
        m = re.fullmatch(rf"{repo}/issues/comments/(\d+)", path)
        if m and method in ("PATCH", "DELETE"):
            if token in self.read_only_tokens:
                return forbidden
            cid = int(m.group(1))
            for number, items in self.comments.items():
                for c in items:
                    if c["id"] == cid:
                        if method == "DELETE":
                            items.remove(c)
                            return 204, {}, None, False
                        text = (body or {}).get("body", "")
                        if len(text) > 65536:
                            return 422, {}, {"message": "Validation Failed"}, False
                        c["body"] = text
                        c["edited_by"] = login
                        return 200, {}, self._rest_comment(cid, number), False
            return 404, {}, {"message": "Not Found"}, False
        m = re.fullmatch(rf"{repo}/statuses/([0-9a-f]{{40}})", path)
        if m and method == "POST":
            if token in self.read_only_tokens:
                return forbidden
            payload = dict(body or {})
            if len(payload.get("description", "")) > 140:
                return (
                    422,
                    {},
                    {"message": "description is too long (maximum is 140 characters)"},
                    False,
                )
            payload["sha"] = m.group(1)
            self.statuses.append(payload)
            return 201, {}, {"id": self._new_id(), **payload}, False
        m = re.fullmatch(rf"{repo}/compare/([0-9a-f]{{40}})\.\.\.([0-9a-f]{{40}})", path)
        if m and method == "GET":
            base, head = m.group(1), m.group(2)
            mb = self.merge_bases.get((base, head), base)
            # GitHub lists at most 300 files here: useless for a flood, but it names the base.
            return 200, {}, {"merge_base_commit": {"sha": mb}, "files": []}, False
        m = re.fullmatch(rf"{repo}/git/trees/([0-9a-f]{{40}})", path)
        if m and method == "GET":
            sha = m.group(1)
            if sha not in self.trees:
                return 404, {}, {"message": "Not Found"}, False
            entries = [
                {"path": p, "mode": "100644", "type": "blob", "sha": blob}
                for p, blob in sorted(self.trees[sha].items())
            ]
            truncated = sha in self.truncated_trees
            return 200, {}, {"sha": sha, "tree": entries, "truncated": truncated}, False
        m = re.fullmatch(rf"{repo}/contents/(.+)", path)
        if m and method == "GET":
            ref = query.get("ref", [""])[0]
            key = (ref, m.group(1))
            if key not in self.contents:
                return 404, {}, {"message": "Not Found"}, False
            data = self.contents[key].encode()
            large = len(data) > 1_048_576  # GitHub sends no content past 1 MB
            if large and "application/vnd.github.object" not in self._accept:
                # The default media type stops at 1 MB; the object media type answers with
                # metadata (encoding "none", no content), and the Git blobs API has the bytes.
                return (
                    403,
                    {},
                    {
                        "message": "This API returns blobs up to 1 MB in size. The requested "
                        "blob is too large to fetch via the API, but you can use the Git Data "
                        "API to request blobs up to 100 MB in size.",
                        "errors": [{"resource": "Blob", "field": "data", "code": "too_large"}],
                        "documentation_url": "https://docs.github.com/rest/repos/contents",
                    },
                    False,
                )
            sha = hashlib.sha1(data).hexdigest()
            self.blobs[sha] = data
            return (
                200,
                {},
                {
                    "type": "file",
                    "encoding": "none" if large else "base64",
                    "name": key[1].rsplit("/", 1)[-1],
                    "path": key[1],
                    "size": len(data),
                    "sha": sha,
                    "url": f"{self.api_url}{path}",
                    "content": "" if large else base64.b64encode(data).decode(),
                },
                False,
            )
        m = re.fullmatch(rf"{repo}/git/blobs/([0-9a-f]+)", path)
        if m and method == "GET" and m.group(1) in self.blobs:
            blob = self.blobs[m.group(1)]
            body = {"sha": m.group(1), "size": len(blob), "encoding": "base64"}
            return 200, {}, {**body, "content": base64.b64encode(blob).decode()}, False
        return 404, {}, {"message": f"fake GitHub has no route for {method} {path}"}, False

    def _rest_comment(self, cid: int, number: int) -> dict[str, Any]:
        for c in self.comments[number]:
            if c["id"] == cid:
                return {
                    "id": cid,
                    "body": c["body"],
                    "user": c["user"],
                    "url": f"{self.api_url}/repos/{self.repo}/issues/comments/{cid}",
                    "html_url": f"https://github.example/{self.repo}/pull/{number}#issuecomment-{cid}",
                }
        raise KeyError(cid)

    def _timeline(self, number: int, before: str | None) -> dict[str, Any]:
        """`timelineItems(itemTypes: [LABELED_EVENT], last: 100, before: $before)`: the 100
        labelling events before the cursor (the latest 100 without one), oldest first."""
        events = self.label_events.get(number, [])
        end = int(before) if before else len(events)
        start = max(0, end - 100)
        return {
            "nodes": [
                {"actor": {"login": who}, "label": {"name": name}}
                for name, who in events[start:end]
            ],
            "pageInfo": {"hasPreviousPage": start > 0, "startCursor": str(start)},
        }

    def _graphql(self, body: dict[str, Any], login: str) -> tuple[int, dict[str, str], Any, bool]:
        if self.graphql_repository_error is not None:
            error = {"path": ["repository"], **self.graphql_repository_error}
            return 200, {}, {"data": {"repository": None}, "errors": [error]}, False
        variables = body.get("variables") or {}
        number = int(variables.get("number", 0))
        if "timelineItems" in str(body.get("query")) and "comments(" not in str(body.get("query")):
            timeline = self._timeline(number, variables.get("before"))
            self.timeline_pages += 1
            return (
                200,
                {},
                {"data": {"repository": {"pullRequest": {"timelineItems": timeline}}}},
                False,
            )
        blobs: dict[str, Any] = {}
        errors: list[dict[str, Any]] = []
        for key, value in variables.items():
            if key.startswith("t") and key[1:].isdigit() and isinstance(value, str):
                sha, _, folder = value.partition(":")
                inside = [
                    p[len(folder) + 1 :]
                    for at, p in self.contents
                    if at == sha and p.startswith(folder + "/")
                ]
                # Sub-trees with their entries only when the query asks (a Flyway location).
                asks = f"{key}: object(expression: ${key}) {{ ... on Tree {{ entries {{ name type object"
                if asks in str(body.get("query", "")):
                    blobs[key] = _nested(inside)
                else:
                    names = sorted(p for p in inside if "/" not in p)
                    blobs[key] = {"entries": [{"name": n, "type": "blob"} for n in names]}
            if key.startswith("u") and key[1:].isdigit() and isinstance(value, str):
                # A test folder listed with its sub-folders (names only), as the prefetch asks.
                sha, _, folder = value.partition(":")
                inside = [
                    p[len(folder) + 1 :]
                    for at, p in self.contents
                    if at == sha and p.startswith(folder + "/")
                ]
                blobs[key] = _nested(inside) if inside else None
            if key.startswith("e") and key[1:].isdigit() and isinstance(value, str):
                sha, _, path = value.partition(":")
                if path in self.graphql_errors_for:
                    # A field that fails comes back null, next to the rest, with an error.
                    blobs[f"f{key[1:]}"] = None
                    errors.append(
                        {"path": ["repository", f"f{key[1:]}"], "message": "Something went wrong"}
                    )
                    continue
                text = self.contents.get((sha, path))
                if text is None:
                    blobs[f"f{key[1:]}"] = None
                    continue
                data = text.encode()
                # GitHub cuts Blob.text at 512,000 bytes and says so with isTruncated.
                cut = len(data) > BLOB_TEXT_LIMIT
                shown = data[:BLOB_TEXT_LIMIT].decode("utf-8", "ignore") if cut else text
                blobs[f"f{key[1:]}"] = {
                    "text": shown,
                    "isBinary": False,
                    "isTruncated": cut,
                    "byteSize": len(data),
                }
        extra = {"errors": errors} if errors else {}
        if "number" not in variables:  # files only, no pull request
            return 200, {}, {"data": {"repository": blobs}, **extra}, False
        if number not in self.pulls:
            return (
                200,
                {},
                {
                    "data": {"repository": {"pullRequest": None}},
                    "errors": [
                        {"type": "NOT_FOUND", "message": "Could not resolve to a PullRequest"}
                    ],
                },
                False,
            )
        if self.no_full_database_id and "fullDatabaseId" in str(body.get("query")):
            # What GitHub answers a query naming a field its schema does not have.
            return (
                200,
                {},
                {
                    "errors": [
                        {
                            "path": ["query", "repository", "pullRequest", "comments", "nodes"],
                            "extensions": {
                                "code": "undefinedField",
                                "typeName": "IssueComment",
                                "fieldName": "fullDatabaseId",
                            },
                            "message": "Field 'fullDatabaseId' doesn't exist on type "
                            "'IssueComment'",
                        }
                    ]
                },
                False,
            )
        items = self.comments.get(number, [])
        start = int(variables.get("cursor") or 0)
        chunk = items[start : start + 100]
        nodes = [
            {
                # databaseId is a 32-bit Int: null past 2^31; fullDatabaseId is a BigInt string.
                "databaseId": c["id"] if c["id"] < 2**31 else None,
                **({} if self.no_full_database_id else {"fullDatabaseId": str(c["id"])}),
                "body": c["body"],
                "viewerDidAuthor": c["user"]["login"] == login,
                "isMinimized": False,
            }
            for c in chunk
        ]
        more = start + 100 < len(items)
        conn = {
            "nodes": nodes,
            "pageInfo": {"hasNextPage": more, "endCursor": str(start + 100) if more else None},
        }
        pull: dict[str, Any] = {"comments": conn}
        if "timelineItems" in str(body.get("query")):
            pull["timelineItems"] = self._timeline(number, variables.get("before"))
        return (
            200,
            {},
            {"data": {"repository": {"pullRequest": pull, **blobs}}, **extra},
            False,
        )


def file_entry(
    path: str, patch: str | None, status: str = "modified", **extra: Any
) -> dict[str, Any]:
    adds = sum(1 for ln in (patch or "").splitlines() if ln.startswith("+"))
    dels = sum(1 for ln in (patch or "").splitlines() if ln.startswith("-"))
    entry: dict[str, Any] = {
        "sha": "d" * 40,
        "filename": path,
        "status": status,
        "additions": adds,
        "deletions": dels,
        "changes": adds + dels,
    }
    if patch is not None:
        entry["patch"] = patch
    entry.update(extra)
    return entry


def _nested(paths: list[str]) -> dict[str, Any]:
    """A Tree object as GitHub's GraphQL gives it: entries, sub-trees with their own entries."""
    files = sorted(p for p in paths if "/" not in p)
    subs: dict[str, list[str]] = {}
    for p in paths:
        if "/" in p:
            head, _, rest = p.partition("/")
            subs.setdefault(head, []).append(rest)
    entries: list[dict[str, Any]] = [{"name": n, "type": "blob"} for n in files]
    entries += [{"name": n, "type": "tree", "object": _nested(v)} for n, v in sorted(subs.items())]
    return {"entries": entries}
