"""Publishing against GitHub's REST and GraphQL APIs, mocked with `responses`."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import responses

from guardrail.errors import GitHubError
from guardrail.publish import comment
from guardrail.render.markdown import MARKER
from guardrail.sources.github_api import GitHubClient, RetryPolicy, retry_after_seconds

API = "https://api.github.com"
REPO = f"{API}/repos/octo/shop"


def u(path: str) -> re.Pattern[str]:
    """PyGithub writes absolute URLs with an explicit :443; GitHub accepts both spellings."""
    return re.compile(rf"https://api\.github\.com(:443)?{re.escape(path)}(\?.*)?$")


GQL = u("/graphql")
R = "/repos/octo/shop"


def client(**kw: Any) -> GitHubClient:
    return GitHubClient(
        "tok",
        "octo/shop",
        API,
        write_interval=0,
        sleep=lambda s: None,
        policy=RetryPolicy(backoff=0),
        **kw,
    )


def gql_pages(*pages: list[dict[str, Any]]) -> Any:
    """A GraphQL callback answering successive pages of comments by cursor."""

    def cb(request: Any) -> tuple[int, dict[str, str], str]:
        variables = json.loads(request.body)["variables"]
        index = int(variables["cursor"] or 0)
        more = index + 1 < len(pages)
        conn = {
            "nodes": pages[index],
            "pageInfo": {"hasNextPage": more, "endCursor": str(index + 1) if more else None},
        }
        return 200, {}, json.dumps({"data": {"repository": {"pullRequest": {"comments": conn}}}})

    return cb


def node(cid: int, body: str, mine: bool) -> dict[str, Any]:
    return {"databaseId": cid, "body": body, "viewerDidAuthor": mine, "isMinimized": False}


@responses.activate
def test_creates_when_none_is_ours() -> None:
    responses.add_callback(responses.POST, GQL, callback=gql_pages([node(1, "hello", False)]))
    responses.add(responses.POST, u(f"{R}/issues/5/comments"), json={"id": 99}, status=201)
    assert comment.upsert(client(), 5, f"{MARKER}\nreport") == "created"
    posted = [
        c for c in responses.calls if c.request.method == "POST" and "comments" in c.request.url
    ]
    assert json.loads(posted[0].request.body)["body"].startswith(MARKER)


@responses.activate
def test_updates_ours_found_on_a_later_page_and_leaves_a_spoof_alone() -> None:
    page1 = [
        node(i, f"{MARKER} spoof by a human" if i == 3 else "chat", False) for i in range(1, 101)
    ]
    page2 = [node(200, f"{MARKER}\nold report", True)]
    responses.add_callback(responses.POST, GQL, callback=gql_pages(page1, page2))
    responses.add(responses.PATCH, u(f"{R}/issues/comments/200"), json={"id": 200})
    assert comment.upsert(client(), 5, f"{MARKER}\nnew report") == "updated"
    methods = [(c.request.method, c.request.url.replace(":443", "")) for c in responses.calls]
    assert ("PATCH", f"{REPO}/issues/comments/200") in methods
    assert not any("comments/3" in url for _, url in methods)


@responses.activate
def test_unchanged_body_is_not_written_again() -> None:
    responses.add_callback(
        responses.POST, GQL, callback=gql_pages([node(7, f"{MARKER}\nsame", True)])
    )
    assert comment.upsert(client(), 5, f"{MARKER}\nsame") == "unchanged"
    assert len(responses.calls) == 1


@responses.activate
def test_duplicates_left_by_a_race_are_removed_keeping_the_oldest() -> None:
    responses.add_callback(
        responses.POST,
        GQL,
        callback=gql_pages(
            [
                node(7, f"{MARKER}\na", True),
                node(8, f"{MARKER}\nb", True),
                node(9, f"{MARKER}\nhuman", False),
            ]
        ),
    )
    responses.add(responses.DELETE, u(f"{R}/issues/comments/8"), status=204)
    responses.add(responses.PATCH, u(f"{R}/issues/comments/7"), json={"id": 7})
    assert comment.upsert(client(), 5, f"{MARKER}\nc") == "updated"
    assert [c.request.method for c in responses.calls] == ["POST", "DELETE", "PATCH"]


@responses.activate
def test_create_after_a_5xx_looks_before_posting_again() -> None:
    state = {"created": False}

    def gql(request: Any) -> tuple[int, dict[str, str], str]:
        nodes = [node(50, f"{MARKER}\nx", True)] if state["created"] else []
        conn = {"nodes": nodes, "pageInfo": {"hasNextPage": False, "endCursor": None}}
        return 200, {}, json.dumps({"data": {"repository": {"pullRequest": {"comments": conn}}}})

    def post(request: Any) -> tuple[int, dict[str, str], str]:
        state["created"] = True  # GitHub created it, then the proxy failed
        return 502, {}, json.dumps({"message": "Bad Gateway"})

    responses.add_callback(responses.POST, GQL, callback=gql)
    responses.add_callback(responses.POST, u(f"{R}/issues/5/comments"), callback=post)
    responses.add(responses.PATCH, u(f"{R}/issues/comments/50"), json={"id": 50})
    assert comment.upsert(client(), 5, f"{MARKER}\nx2") == "updated"
    posts = [c for c in responses.calls if c.request.url.endswith("/issues/5/comments")]
    assert len(posts) == 1  # never posted blindly twice


@responses.activate
def test_files_are_paginated_and_patches_kept() -> None:
    pr = {
        "url": f"{REPO}/pulls/5",
        "number": 5,
        "title": "t",
        "body": None,
        "state": "open",
        "labels": [],
        "user": {"login": "a"},
        "changed_files": 150,
        "html_url": "h",
        "head": {"sha": "1" * 40, "repo": {"full_name": "octo/shop"}},
        "base": {"sha": "2" * 40, "repo": {"full_name": "octo/shop"}},
    }
    responses.add(responses.GET, u(f"{R}/pulls/5"), json=pr)
    page1 = [
        {
            "filename": f"f{i}.py",
            "status": "modified",
            "additions": 1,
            "deletions": 0,
            "patch": "@@ -1 +1 @@\n+x",
        }
        for i in range(100)
    ]
    page2 = [{"filename": "big.sql", "status": "added", "additions": 9000, "deletions": 0}]
    responses.add(
        responses.GET,
        u(f"{R}/pulls/5/files"),
        json=page1,
        headers={"Link": f'<{REPO}/pulls/5/files?per_page=100&page=2>; rel="next"'},
        match=[responses.matchers.query_param_matcher({"per_page": "100"})],
    )
    responses.add(
        responses.GET,
        u(f"{R}/pulls/5/files"),
        json=page2,
        match=[responses.matchers.query_param_matcher({"per_page": "100", "page": "2"})],
    )
    info = client().pull_request(5)
    assert len(info.pr.files) == 101 and info.pr.body == ""
    assert info.pr.files[-1].patch is None and not info.pr.files[-1].binary
    assert info.pr.files_unseen == 49


@responses.activate
def test_rate_limit_waits_when_short_and_stops_when_long() -> None:
    sleeps: list[float] = []
    c = GitHubClient(
        "tok", "octo/shop", API, write_interval=0, sleep=sleeps.append, clock=lambda: 1000.0
    )
    responses.add(
        responses.POST,
        u(f"{R}/statuses/{'a' * 40}"),
        status=403,
        json={"message": "You have exceeded a secondary rate limit"},
        headers={"Retry-After": "3"},
    )
    responses.add(responses.POST, u(f"{R}/statuses/{'a' * 40}"), status=201, json={})
    c.create_status("a" * 40, "success", "guardrail", "ok", None)
    assert sleeps == [3.0]
    responses.add(
        responses.POST,
        u(f"{R}/statuses/{'b' * 40}"),
        status=403,
        json={"message": "API rate limit exceeded"},
        headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(1000 + 3600)},
    )
    with pytest.raises(GitHubError, match="rate limit"):
        c.create_status("b" * 40, "success", "guardrail", "ok", None)
    assert sleeps == [3.0]


@responses.activate
def test_retry_after_as_an_http_date_is_waited_on_until_that_time() -> None:
    # RFC 9110 §10.2.3: Retry-After is delay-seconds OR an HTTP-date. A date used to fall
    # back to the exponential backoff; it is the wait GitHub asked for, counted from now.
    sleeps: list[float] = []
    now = 1445412470.0  # Wed, 21 Oct 2015 07:27:50 GMT
    c = GitHubClient(
        "tok", "octo/shop", API, write_interval=0, sleep=sleeps.append, clock=lambda: now
    )
    responses.add(
        responses.POST,
        u(f"{R}/statuses/{'c' * 40}"),
        status=429,
        json={"message": "Too many requests"},
        headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"},
    )
    responses.add(responses.POST, u(f"{R}/statuses/{'c' * 40}"), status=201, json={})
    c.create_status("c" * 40, "success", "guardrail", "ok", None)
    assert sleeps == [10.0]


def test_retry_after_values_that_are_neither_seconds_nor_a_date_give_no_wait() -> None:
    assert retry_after_seconds("120", 0.0) == 120.0
    assert retry_after_seconds(" 0 ", 0.0) == 0.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", 2e9) == 0.0  # already past
    for bad in ("soon", "", "-5", "1.5", "Wed, 99 Foo 2015"):
        assert retry_after_seconds(bad, 0.0) is None, bad


@responses.activate
def test_401_and_404_explain_the_likely_cause() -> None:
    responses.add(responses.GET, u(f"{R}/pulls/5"), status=401, json={"message": "Bad credentials"})
    with pytest.raises(GitHubError, match="token") as info:
        client().pull_request(5)
    assert info.value.exit_code == 2
    responses.replace(responses.GET, u(f"{R}/pulls/5"), status=404, json={"message": "Not Found"})
    with pytest.raises(GitHubError, match="PR number"):
        client().pull_request(5)


@responses.activate
def test_a_422_says_re_running_will_not_help() -> None:
    """A 422 is GitHub judging the request (a force-pushed commit, 1,000 statuses on one
    context): the same request fails again, so 're-run the job' would be untrue advice."""
    sha = "c" * 40
    responses.add(
        responses.POST,
        u(f"{R}/statuses/{sha}"),
        status=422,
        json={"message": f"No commit found for SHA: {sha}"},
    )
    with pytest.raises(GitHubError, match="422 No commit found") as info:
        client().create_status(sha, "success", "guardrail", "ok", None)
    assert info.value.status == 422
    assert "will not help" in info.value.fix and "force-pushed" in info.value.fix
    assert len(responses.calls) == 1  # not retried
