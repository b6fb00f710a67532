"""GraphQL errors come with HTTP 200: a rate limit (`RATE_LIMITED`, X-RateLimit-Remaining: 0,
Retry-After) is waited on within the same bounded policy as REST, and data that came next to
errors is used, with only the failed fields asked for again."""

from __future__ import annotations

from tests.fakegithub import FakeGitHub, Fault
from tests.test_action_e2e import GOOD_BODY, pr_event, risky_pull

RATE_LIMITED = {
    "errors": [{"type": "RATE_LIMITED", "message": "API rate limit exceeded for user ID 1."}]
}


def graphql_posts(fake: FakeGitHub) -> int:
    return sum(1 for e in fake.log if e.method == "POST" and e.path.endswith("/graphql"))


def test_a_graphql_rate_limit_with_http_200_is_waited_on_and_retried(fake_github, run_action):
    risky_pull(fake_github, body=GOOD_BODY)
    headers = {"Retry-After": "0", "X-RateLimit-Remaining": "0"}
    fake_github.faults.append(Fault("POST", r"/graphql$", 200, headers, RATE_LIMITED))
    run = run_action(fake_github, "pull_request", pr_event(7))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "GitHub: retrying" in run.stdout + run.stderr
    assert [s["state"] for s in fake_github.statuses] == ["success"]


def test_a_graphql_rate_limit_longer_than_the_bound_stops_the_run_clearly(fake_github, run_action):
    risky_pull(fake_github, body=GOOD_BODY)
    headers = {"Retry-After": "3600", "X-RateLimit-Remaining": "0"}
    fake_github.faults.append(Fault("POST", r"/graphql$", 200, headers, RATE_LIMITED, times=9))
    run = run_action(
        fake_github, "pull_request", pr_event(7), extra_env={"GUARDRAIL_MAX_WAIT": "5"}
    )
    out = run.stdout + run.stderr
    assert run.returncode == 2, out
    assert "rate limit stops this run" in out
    assert "Traceback" not in out


def test_partial_graphql_results_use_the_data_that_came(fake_github, run_action):
    risky_pull(fake_github, body=GOOD_BODY)
    path = ".github/guardrail.yml"  # read at the base commit in the run's one GraphQL request
    fake_github.contents[(fake_github.pulls[7]["base"]["sha"], path)] = "fail-on: error\n"
    fake_github.graphql_errors_for.add(path)
    run = run_action(fake_github, "pull_request", pr_event(7))
    out = run.stdout + run.stderr
    assert run.returncode == 0, out
    assert "GraphQL error(s) next to the data" in out
    assert graphql_posts(fake_github) >= 1
    reread = [e.path for e in fake_github.log if e.method == "GET" and "/contents/" in e.path]
    assert any(path in p for p in reread), "the failed field is asked for again by itself"
