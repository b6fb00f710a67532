"""Comment ids past 32 bits: GraphQL's IssueComment.databaseId is a 32-bit Int and real ids
passed 2^31 in 2024; guardrail reads `fullDatabaseId` (a BigInt, a string in JSON) and falls
back to `databaseId` where a GHES version has no such field, so it never loses its own
comment. Every GraphQL query a run sends is validated against GitHub's published schema."""

from __future__ import annotations

import json

import pytest

from tests.fakegithub import BOT, FakeGitHub
from tests.test_action_e2e import pr_event, risky_pull

BIG = 2**31 + 12345  # past a 32-bit Int, as github.com's comment ids are since 2024


def ours(fake: FakeGitHub, number: int = 7) -> list[dict[str, object]]:
    return [c for c in fake.comments[number] if c["user"]["login"] == BOT]


def queries(fake: FakeGitHub) -> list[str]:
    return [
        str(e.body["query"])
        for e in fake.log
        if e.method == "POST" and e.path.endswith("graphql") and isinstance(e.body, dict)
    ]


@pytest.mark.parametrize("ghes", [False, True], ids=["github.com", "ghes-without-fullDatabaseId"])
def test_guardrail_finds_its_own_comment_past_32_bits_and_on_older_ghes(
    fake_github, run_action, ghes
):
    # An older GHES has no fullDatabaseId (and ids that fit databaseId's 32 bits).
    fake_github._next_id = 1000 if ghes else BIG
    fake_github.no_full_database_id = ghes
    risky_pull(fake_github)
    first = run_action(fake_github, "pull_request", pr_event(7))
    assert first.returncode == 1, first.stderr
    (comment,) = ours(fake_github)
    assert comment["id"] > (1000 if ghes else BIG)
    second = run_action(fake_github, "pull_request", pr_event(7))
    assert second.returncode == 1, second.stderr
    assert len(ours(fake_github)) == 1, "the second run must find and update its own comment"
    posted = [e for e in fake_github.log if e.method == "POST" and e.path.endswith("/comments")]
    assert len(posted) == 1
    assert "guardrail: comment created" not in second.stdout
    if ghes:
        assert "no IssueComment.fullDatabaseId" in second.stdout + second.stderr
    else:
        assert all("fullDatabaseId" in q for q in queries(fake_github) if "comments(" in q)


def test_every_graphql_query_of_a_run_is_valid_against_githubs_schema(fake_github, run_action):
    # The fake validates every query as it arrives (tests/fakegithub.py) and the fixture fails
    # any test that sent one GitHub would refuse; here, both comment-query variants too.
    from guardrail.sources.github_api import comments_query
    from tests.fakegithub import github_schema, schema_errors

    if github_schema() is None:
        pytest.skip("../shared/corpus/github/graphql/schema.graphql is not here")
    risky_pull(fake_github)
    run_action(fake_github, "pull_request", pr_event(7))
    run_action(fake_github, "pull_request", pr_event(7))
    # A model tightened without a checkout: the prefetch lists test folders (nested trees) and a
    # second request reads the tests.
    from tests.test_action_e2e import _tightening_pull

    fake_github.pulls.pop(7, None)
    _tightening_pull(fake_github)
    fake_github.contents[("1" * 40, "shop/tests/unit/test_orders.py")] = "def test():\n    pass\n"
    run_action(fake_github, "pull_request", pr_event(7))
    sent = queries(fake_github)
    assert any("... on Tree { entries { name type object" in q for q in sent)
    assert any("fullDatabaseId" in q for q in sent)
    assert not fake_github.invalid_queries
    for query in [*sent, comments_query(True), comments_query(False)]:
        assert not schema_errors(query), query


def test_comment_ids_from_json_strings_and_ints():
    from guardrail.sources.github_api import GitHubClient

    out: list = []
    conn = {
        "nodes": [
            {"fullDatabaseId": str(BIG), "databaseId": None, "body": "a", "viewerDidAuthor": True},
            {"fullDatabaseId": None, "databaseId": 42, "body": "b", "viewerDidAuthor": False},
            {"databaseId": 43, "body": "c"},
            None,
            {"fullDatabaseId": None, "databaseId": None, "body": "d"},
        ]
    }
    GitHubClient._collect(conn, out)
    assert [c.id for c in out] == [BIG, 42, 43]
    assert json.dumps(BIG)  # plain int, no precision lost
