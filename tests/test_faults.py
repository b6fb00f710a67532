"""Fault injection against the fake GitHub on 127.0.0.1: each fault, and what the run does.

The retry pacing is shortened through environment knobs so the suite stays fast; the logic
(what is retried, how often, what stops the run) is the production logic."""

from __future__ import annotations

import json
import threading
import time

from tests.conftest import ActionRun
from tests.fakegithub import BOT, FakeGitHub, Fault, file_entry

HEAD = "3" * 40
FAST = {"GUARDRAIL_RETRY_BACKOFF": "0.01", "GUARDRAIL_RATE_WAIT": "0.05", "GUARDRAIL_MAX_WAIT": "5"}
RISKY = "@@ -0,0 +1 @@\n+ALTER TABLE orders ADD COLUMN coupon text;"


def pull(fake: FakeGitHub, number: int = 5, **kw: object) -> None:
    files = kw.pop("files", None) or [file_entry("db/migrations/0002.sql", RISKY, "added")]
    fake.add_pull(number, head_sha=HEAD, files=files, **kw)  # type: ignore[arg-type]


def event(number: int = 5) -> dict[str, object]:
    return {"action": "synchronize", "pull_request": {"number": number}}


def ours(fake: FakeGitHub, number: int = 5) -> list[dict[str, object]]:
    return [c for c in fake.comments[number] if c["user"]["login"] == BOT]


def clean(run: ActionRun) -> None:
    assert "Traceback" not in run.stderr, run.stderr
    for line in run.stdout.splitlines():
        if line.startswith("::"):
            head = line.split("::")[1].split(" ")[0]
            assert head in ("error", "warning", "notice", "debug"), line


def test_connection_dropped_then_served(fake_github, run_action):
    pull(fake_github)
    fake_github.faults.append(Fault("GET", r"/pulls/5$", 0, drop=True))
    run = run_action(fake_github, "pull_request", event(), extra_env=FAST)
    clean(run)
    assert run.returncode == 1 and run.outputs["verdict"] == "fail"
    assert fake_github.statuses and fake_github.statuses[-1]["sha"] == HEAD


def test_server_errors_exhausted_is_a_clear_exit_2(fake_github, run_action):
    pull(fake_github)
    fake_github.faults.append(
        Fault("GET", r"/pulls/5$", 502, times=50, body={"message": "Bad Gateway"})
    )
    run = run_action(fake_github, "pull_request", event(), extra_env=FAST)
    clean(run)
    assert run.returncode == 2
    assert "GitHub failed to read pull request #5 (502" in run.stdout
    assert (
        len([r for r in fake_github.requests("GET") if r.path.endswith("/pulls/5")]) == 4
    )  # bounded
    assert "could not run" in run.summary


def test_secondary_rate_limit_waits_as_told(fake_github, run_action):
    pull(fake_github)
    fake_github.faults.append(
        Fault(
            "POST",
            r"/statuses/",
            403,
            headers={"Retry-After": "1"},
            body={"message": "You have exceeded a secondary rate limit"},
        )
    )
    start = time.monotonic()
    run = run_action(fake_github, "pull_request", event(), extra_env=FAST)
    clean(run)
    assert time.monotonic() - start >= 1.0  # it waited as GitHub said
    assert run.returncode == 1 and [s["state"] for s in fake_github.statuses] == ["failure"]


def test_long_primary_rate_limit_stops_with_a_message(fake_github, run_action):
    pull(fake_github)
    reset = str(int(time.time()) + 3600)
    fake_github.faults.append(
        Fault(
            "GET",
            r"/pulls/5$",
            403,
            headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset},
            body={"message": "API rate limit exceeded"},
        )
    )
    start = time.monotonic()
    run = run_action(fake_github, "pull_request", event(), extra_env=FAST)
    clean(run)
    assert time.monotonic() - start < 30  # never sleeps for the hour
    assert run.returncode == 2 and "rate limit" in run.stdout and "re-run" in run.stdout


def test_429_without_retry_after_backs_off_and_succeeds(fake_github, run_action):
    pull(fake_github)
    fake_github.faults.append(
        Fault("POST", r"/statuses/", 429, times=2, body={"message": "Too Many Requests"})
    )
    run = run_action(fake_github, "pull_request", event(), extra_env=FAST)
    clean(run)
    assert [r.status for r in fake_github.requests("POST", "/statuses/")] == [429, 429, 201]


def test_comment_that_cannot_be_posted_still_finishes_the_job(fake_github, run_action):
    pull(fake_github)
    fake_github.faults.append(Fault("POST", r"/issues/5/comments", 500, times=50))
    run = run_action(fake_github, "pull_request", event(), extra_env=FAST)
    clean(run)
    assert run.returncode == 1  # by verdict, not 2
    assert "could not post its comment" in run.stdout
    assert fake_github.statuses[-1]["state"] == "failure"  # the status still lands
    assert "Can we roll this back?" in run.summary
    # a POST is never blindly repeated after a 5xx without looking first
    posts = fake_github.requests("POST", "/issues/5/comments")
    graphql = fake_github.requests("POST", "/graphql")
    assert len(posts) <= 2 and len(graphql) >= 2


def test_comment_refused_as_too_long_falls_back_to_the_short_form(fake_github, run_action):
    pull(fake_github)
    fake_github.faults.append(
        Fault(
            "POST",
            r"/issues/5/comments",
            422,
            body={
                "message": "Validation Failed",
                "errors": [{"message": "body is too long (maximum is 65536 characters)"}],
            },
        )
    )
    run = run_action(fake_github, "pull_request", event(), extra_env=FAST)
    clean(run)
    (comment,) = ours(fake_github)
    assert "job summary" in comment["body"] and run.returncode == 1


def test_huge_report_is_condensed_below_githubs_limit(fake_github, run_action):
    files = [
        file_entry(
            f"db/migrations/{i:04d}_{'x' * 120}.sql",
            f"@@ -0,0 +1 @@\n+ALTER TABLE orders ADD COLUMN c{i} text NOT NULL;",
            "added",
        )
        for i in range(700)
    ]
    pull(fake_github, files=files)
    run = run_action(fake_github, "pull_request", event(), extra_env=FAST)
    clean(run)
    (comment,) = ours(fake_github)
    assert len(comment["body"]) <= 65536
    assert "0000_" in comment["body"] and "job summary" in comment["body"]
    assert run.summary.count("Adds NOT NULL") >= 700  # nothing lost: all in the summary
    annotations = [ln for ln in run.stdout.splitlines() if ln.startswith("::error")]
    assert len(annotations) <= 10


def test_odd_files_and_hostile_names_are_handled_and_escaped(fake_github, run_action):
    files = [
        file_entry("assets/logo.png", None, "added", additions=0, deletions=0),
        file_entry(
            "docs/new name.md",
            "@@ -1 +1 @@\n-a\n+b",
            "renamed",
            previous_filename="docs/old name.md",
        ),
        file_entry("app/gone.py", "@@ -1 +0,0 @@\n-x", "removed"),
        file_entry(
            "db/migrations/0003_%0A::error::pwned,a:b ñ.sql",
            "@@ -0,0 +1 @@\n+DROP TABLE users;",
            "added",
        ),
        file_entry(
            "db/migrations/0004_@org-team.sql",
            "@@ -0,0 +1 @@\n+ALTER TABLE t RENAME COLUMN a TO b;",
            "added",
        ),
        file_entry(
            "db/migrations/0005_bad.sql",
            "@@ -0,0 +1 @@\n+ALTER TABLE \ufffd\ufffd ADD x int;",
            "added",
        ),
        file_entry("big/generated.json", None, "modified", additions=90000, deletions=0),
    ]
    body = "</details><img src=x onerror=alert(1)> @org/team\n::add-mask::x\n" + ("x" * 1_000_000)
    pull(fake_github, files=files, body=body, title="::error::title injection")
    run = run_action(fake_github, "pull_request", event(), extra_env=FAST)
    clean(run)
    assert run.returncode == 1
    # The name's "%0A" is escaped to "%250A", so it cannot become a line break that starts a
    # command; what follows stays inside our own command's message.
    assert "%250A::error::pwned" in run.stdout
    assert not any(ln.startswith("::error::pwned") for ln in run.stdout.splitlines())
    (comment,) = ours(fake_github)
    text = comment["body"]
    assert "<img" not in text and "@org/team" not in text.replace("@\u2060", "")
    assert "@\u2060org-team" in text or "0004_" in text
    assert "big/generated.json" in text or "diff of 1 file" in run.summary


def test_concurrent_runs_end_with_one_comment(fake_github, run_action):
    pull(fake_github)
    results: list[ActionRun] = []

    def go() -> None:
        results.append(run_action(fake_github, "pull_request", event(), extra_env=FAST))

    threads = [threading.Thread(target=go) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 2, "both runs must finish (a run that raised is not a pass)"
    for r in results:
        clean(r)
        assert r.returncode == 1
    assert len(ours(fake_github)) == 1


def test_the_token_is_never_printed(fake_github, run_action):
    secret = "ghs_" + "S3cr3tT0k3n" * 3
    fake_github.tokens[secret] = BOT
    pull(fake_github)
    run = run_action(fake_github, "pull_request", event(), token=secret, extra_env=FAST)
    everything = run.stdout + run.stderr + run.summary + json.dumps(run.outputs)
    assert run.returncode == 1 and secret not in everything


def test_more_than_3000_files_is_never_all_clear(fake_github, run_action):
    files = [file_entry(f"docs/page{i}.md", "@@ -1 +1 @@\n-a\n+b") for i in range(3000)]
    pull(fake_github, files=files, changed_files=3400, body="Docs.")
    run = run_action(fake_github, "pull_request", event(), extra_env=FAST)
    clean(run)
    assert run.outputs["verdict"] != "pass"
    assert "400 of 3400 changed files were not listed" in run.summary
    report = json.loads((run.workspace / run.outputs["report"]).read_text())
    assert any(f["rule"] == "GR910" and f["severity"] == "error" for f in report["findings"])


def test_a_bug_is_exit_2_with_an_error_not_a_failing_verdict(fake_github, run_action):
    pull(fake_github)
    fake_github.pulls[5]["changed_files"] = "not a number"  # GitHub never sends this: a bug path
    run = run_action(fake_github, "pull_request", event(), extra_env=FAST)
    assert run.returncode == 2
    assert "hit a bug" in run.stdout and run.outputs.get("verdict") == "error"
    assert "Traceback" in run.stderr  # kept for whoever reports it


def test_a_status_github_declines_as_invalid_says_what_is_true(fake_github, run_action):
    """GitHub answers 422 for a commit the branch no longer has (a force-push during the run):
    the same request fails again, so the warning must not say 'Re-run the job'."""
    pull(fake_github)
    fake_github.faults.append(
        Fault("POST", r"/statuses/", 422, body={"message": f"No commit found for SHA: {HEAD}"})
    )
    run = run_action(fake_github, "pull_request", event(), extra_env=FAST)
    warning = next(line for line in run.stdout.splitlines() if "could not post its status" in line)
    assert "422 No commit found" in warning and "force-pushed" in warning
    assert "Re-run the job to post it" not in warning
    assert sum(r.method == "POST" and "/statuses/" in r.path for r in fake_github.log) == 1
