"""What a team rolling guardrail out meets on real GitHub, end to end through the console
script against the fake GitHub (tests/fakegithub.py) and local git repositories."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fakegithub import BOT, FakeGitHub, file_entry
from tests.gitrepo import make_repo
from tests.test_action_e2e import BASE, GOOD_BODY, HEAD, MIGRATION_PATCH, pr_event, risky_pull
from tests.test_local import MIGRATION, check

CONFIG = ".github/guardrail.yml"
BROKEN = "fail-on: sometimes\nrisk:\n  migratons: ['db/**']\n"


def config_pull(fake: FakeGitHub, head_config: str, number: int = 31) -> None:
    fake.add_pull(
        number,
        body=GOOD_BODY,
        head_sha=HEAD,
        base_sha=BASE,
        files=[
            file_entry("db/migrations/0004.sql", MIGRATION_PATCH, "added"),
            file_entry(CONFIG, "@@ -1 +1,3 @@\n-fail-on: error\n+" + head_config, "modified"),
        ],
    )
    fake.contents[(BASE, CONFIG)] = "fail-on: error\n"
    fake.contents[(HEAD, CONFIG)] = head_config


def test_a_broken_configuration_in_a_pr_is_an_error_finding_and_the_base_one_judges(
    fake_github, run_action
):
    config_pull(fake_github, BROKEN)
    run = run_action(fake_github, "pull_request", pr_event(31))
    # The PR is judged (not exit 2), by the base configuration, and fails on its broken edit.
    assert run.returncode == 1, run.stdout + run.stderr
    report = json.loads((run.workspace / run.outputs["report"]).read_text())
    (gr920,) = [f for f in report["findings"] if f["rule"] == "GR920"]
    assert gr920["severity"] == "error" and gr920["path"] == CONFIG and gr920["line"] == 1
    assert "fail-on" in gr920["title"] and "risk.migratons" in gr920["title"]
    assert "line 3" in gr920["title"]
    assert "To fix it" in gr920["detail"]
    assert fake_github.statuses[-1]["state"] == "failure"
    assert "judged by the base branch's configuration" in run.summary
    assert f"::error file={CONFIG},line=1" in run.stdout


def test_a_valid_configuration_edit_in_a_pr_is_silent(fake_github, run_action):
    config_pull(fake_github, "fail-on: warning\n")
    run = run_action(fake_github, "pull_request", pr_event(31))
    assert run.returncode == 0, run.stdout + run.stderr
    report = json.loads((run.workspace / run.outputs["report"]).read_text())
    assert not [f for f in report["findings"] if f["rule"] == "GR920"]


def test_locally_the_configuration_comes_from_the_base_commit_not_the_working_tree(
    tmp_path: Path,
) -> None:
    repo = make_repo(
        tmp_path / "r",
        {".github/guardrail.yml": "fail-on: error\n"},
        {"db/migrations/0002.sql": MIGRATION},
    )
    # An uncommitted (or committed-elsewhere) edit in the working tree does not choose.
    (repo / ".github" / "guardrail.yml").write_text("fail-on: never\n")
    proc = check(repo, "--base", "main", "--body", "-", stdin="No notes.")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "configuration: .github/guardrail.yml at the merge base" in proc.stderr
    tried = check(
        repo, "--base", "main", "--config", ".github/guardrail.yml", "--body", "-", stdin="x"
    )
    assert tried.returncode == 0, tried.stdout + tried.stderr
    assert "from --config" in tried.stderr


def test_locally_a_broken_configuration_edit_is_reported_as_gr920(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "r",
        {".github/guardrail.yml": "fail-on: error\n"},
        {".github/guardrail.yml": BROKEN, "app.py": "x = 1\n"},
    )
    proc = check(
        repo, "--base", "main", "--format", "json", "--body", "-", stdin="Rollback: revert."
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    rules = [f["rule"] for f in json.loads(proc.stdout)["findings"]]
    assert "GR920" in rules
    assert "judged by the base commit's configuration" in proc.stderr


# -- GraphQL answers GitHub gives, and the queries GitHub accepts --------------------------------


def test_the_fake_refuses_a_query_githubs_schema_refuses():
    from tests.fakegithub import github_schema, schema_errors

    if github_schema() is None:
        pytest.skip("../shared/corpus/github/graphql/schema.graphql is not here")
    assert schema_errors("query { repository(owner: 1) { nope } }")
    assert not schema_errors('query { repository(owner: "o", name: "n") { id } }')


def test_a_graphql_error_on_the_whole_repository_is_a_clear_error_and_not_retried(
    fake_github, run_action
):
    risky_pull(fake_github, body=GOOD_BODY)
    fake_github.graphql_repository_error = {
        "type": "FORBIDDEN",
        "message": "Resource not accessible by integration",
    }
    run = run_action(fake_github, "pull_request", pr_event(7))
    out = run.stdout + run.stderr
    assert run.returncode == 2, out
    assert "Traceback" not in out and "hit a bug" not in out
    assert "::error " in run.stdout and "Resource not accessible by integration" in run.stdout
    posts = [e for e in fake_github.log if e.method == "POST" and e.path.endswith("graphql")]
    assert len(posts) == 1, "GitHub did not say to ask again, so it is asked once"
    assert "could not run" in run.summary


def test_ghes_layout_end_to_end(fake_github, run_action):
    # GitHub Enterprise Server: GITHUB_API_URL=https://HOST/api/v3, GraphQL at /api/graphql.
    fake_github.ghes = True
    risky_pull(fake_github)
    run = run_action(fake_github, "pull_request", pr_event(7))
    assert run.returncode == 1, run.stdout + run.stderr
    assert [s["state"] for s in fake_github.statuses] == ["failure"]
    assert len([c for c in fake_github.comments[7] if c["user"]["login"] == BOT]) == 1
    paths = [e.path for e in fake_github.log]
    assert all(p.startswith("/api/v3/") or p == "/api/graphql" for p in paths), paths
    assert any(p == "/api/graphql" for p in paths)
    assert all(e.status < 400 for e in fake_github.log), [
        (e.path, e.status) for e in fake_github.log
    ]


# -- files over 1 MB, and the size cap -----------------------------------------------------------

PADDING = "-- generated seed data, kept for the record: nothing to run on this line\n"


def big_migration(size: int) -> tuple[str, int]:
    """A migration of about `size` bytes whose last statement is unsafe, and its line."""
    lines = [PADDING] * (size // len(PADDING))
    text = "SET lock_timeout = '5s';\n" + "".join(lines)
    text += "ALTER TABLE orders ADD COLUMN code text NOT NULL;\n"
    return text, text.count("\n")


def big_pull(fake: FakeGitHub, path: str, text: str, number: int = 41) -> None:
    # GitHub leaves the patch out of a diff this large; the file is read whole instead.
    fake.add_pull(
        number,
        body=GOOD_BODY,
        head_sha=HEAD,
        base_sha=BASE,
        files=[file_entry(path, None, "added", additions=text.count("\n"))],
    )
    fake.contents[(HEAD, path)] = text


def test_a_1_2_mb_migration_is_read_whole_through_the_api_and_judged(fake_github, run_action):
    path = "db/migrations/0005_backfill.sql"
    text, last = big_migration(1_200_000)
    assert len(text.encode()) > 1_200_000
    big_pull(fake_github, path, text)
    run = run_action(fake_github, "pull_request", pr_event(41))
    out = run.stdout + run.stderr
    assert run.returncode == 1, out
    report = json.loads((run.workspace / run.outputs["report"]).read_text())
    found = [(f["rule"], f["path"], f["line"]) for f in report["findings"]]
    assert ("GR210", path, last) in found, found  # the statement after 1.2 MB was seen
    assert not [f for f in report["findings"] if f["rule"] == "GR901" and "too large" in f["title"]]
    # GraphQL cut the text at 512,000 bytes; the contents API refused past 1 MB (too_large);
    # the Git blobs API gave the whole file.
    assert fake_github.requests("GET", "/git/blobs/")
    assert "pull-requests: write" not in out
    assert fake_github.statuses[-1]["state"] == "failure"


def test_a_file_over_the_size_cap_is_gr901_and_not_read(fake_github, run_action):
    path = "proto/shop/v1/order.proto"  # a data shape: read by guardrail, but not a migration
    text = 'syntax = "proto3";\n' + "// generated\n" * 500_000
    assert len(text) > 6_000_000
    fake_github.add_pull(
        42,
        body=GOOD_BODY,
        head_sha=HEAD,
        base_sha=BASE,
        files=[file_entry(path, None, "modified", additions=1, deletions=1)],
    )
    fake_github.contents[(BASE, path)] = 'syntax = "proto3";\nmessage Order { string id = 1; }\n'
    fake_github.contents[(HEAD, path)] = text
    run = run_action(fake_github, "pull_request", pr_event(42))
    out = run.stdout + run.stderr
    assert run.returncode == 0, out  # a warning: fail-on is error
    report = json.loads((run.workspace / run.outputs["report"]).read_text())
    (cap,) = [f for f in report["findings"] if f["rule"] == "GR901" and f["path"] == path]
    assert "not read: too large (6.5 MB)" in cap["title"]
    assert "5 MB" in cap["detail"]
    assert cap["severity"] == "warning"
    assert not fake_github.requests("GET", "/git/blobs/"), "not downloaded"
    assert fake_github.statuses[-1]["state"] == "success"


def test_a_migration_over_the_size_cap_fails_the_check_unread(fake_github, run_action):
    # A hostile or careless PR must not pass `fail-on: error` by hiding a drop in a migration
    # too large to read: an unread migration is an error, like a change not fully seen (GR910).
    path = "db/migrations/0006_dump.sql"
    text, _ = big_migration(6_000_000)
    big_pull(fake_github, path, text, number=42)
    run = run_action(fake_github, "pull_request", pr_event(42))
    out = run.stdout + run.stderr
    assert run.returncode == 1, out
    report = json.loads((run.workspace / run.outputs["report"]).read_text())
    (cap,) = [f for f in report["findings"] if f["rule"] == "GR901" and f["path"] == path]
    assert "not read: too large (6.0 MB)" in cap["title"]
    assert cap["severity"] == "error"
    assert "It is a migration" in cap["detail"]
    assert not [f for f in report["findings"] if f["rule"] == "GR210"]  # it was not read
    assert not fake_github.requests("GET", "/git/blobs/"), "not downloaded"
    assert fake_github.statuses[-1]["state"] == "failure"


@pytest.mark.parametrize("status", ["added", "modified"])
def test_a_migration_whose_content_cannot_be_fetched_fails_the_check(
    fake_github, run_action, status
):
    # GitHub lists the migration as changed but gives no content for it at the head commit
    # (here a 404): guardrail cannot vouch for a schema change it did not read, so the check
    # fails, as for a migration over the size cap, instead of a notice that lets it pass.
    path = "db/migrations/0007_drop.sql"
    fake_github.add_pull(
        43,
        body=GOOD_BODY,
        head_sha=HEAD,
        base_sha=BASE,
        files=[file_entry(path, None, status, additions=1, deletions=1)],
    )
    if status == "modified":
        fake_github.contents[(BASE, path)] = "SET lock_timeout = '5s';\nSELECT 1;\n"
    run = run_action(fake_github, "pull_request", pr_event(43))
    out = run.stdout + run.stderr
    assert run.returncode == 1, out
    report = json.loads((run.workspace / run.outputs["report"]).read_text())
    (unread,) = [f for f in report["findings"] if f["rule"] == "GR901" and f["path"] == path]
    assert unread["severity"] == "error", unread
    assert "could not be fetched" in unread["title"]
    assert "It is a migration" in unread["detail"]
    assert "`guardrail:acknowledged`" in unread["detail"]
    # Said once, as what it is: not judged as an empty file (no GR290, no "gone: …" edit).
    others = [f["rule"] for f in report["findings"] if f["path"] == path and f is not unread]
    assert others == [], others
    assert fake_github.statuses[-1]["state"] == "failure"


def test_locally_a_file_over_the_size_cap_is_gr901(tmp_path: Path) -> None:
    text, _ = big_migration(6_000_000)
    repo = make_repo(tmp_path / "r", {"app.py": "x\n"}, {"db/migrations/0006_dump.sql": text})
    proc = check(repo, "--base", "main", "--format", "json", "--body", "-", stdin=GOOD_BODY)
    assert proc.returncode == 1, proc.stdout + proc.stderr  # an unread migration: error
    findings = json.loads(proc.stdout)["findings"]
    assert any(
        f["rule"] == "GR901"
        and "not read: too large (6.0 MB)" in f["title"]
        and f["severity"] == "error"
        for f in findings
    ), findings


# -- honest warnings -----------------------------------------------------------------------------


def drops_pull(fake: FakeGitHub, number: int, author: str = "alice", count: int = 12) -> None:
    """A pull request with more warnings than GitHub annotates in a step."""
    files = [
        file_entry(
            f"db/migrations/00{10 + i}_drop.sql",
            f"@@ -0,0 +1,2 @@\n+SET lock_timeout = '5s';\n+ALTER TABLE t{i} DROP COLUMN c{i};",
            "added",
        )
        for i in range(count)
    ]
    fake.add_pull(number, body=GOOD_BODY, head_sha=HEAD, base_sha=BASE, files=files)
    fake.pulls[number]["user"]["login"] = author


def warning_lines(stdout: str) -> list[str]:
    return [ln for ln in stdout.splitlines() if ln.startswith("::warning")]


def test_dependabot_read_only_token_is_explained_first_in_the_log_and_the_summary(
    fake_github, run_action
):
    drops_pull(fake_github, 51, author="dependabot[bot]")
    fake_github.read_only_tokens.add("t-bot")
    run = run_action(
        fake_github, "pull_request", pr_event(51), extra_env={"GITHUB_ACTOR": "dependabot[bot]"}
    )
    out = run.stdout + run.stderr
    assert run.returncode == 1, out  # GR103 is an error: the verdict decides the exit code
    warnings = warning_lines(run.stdout)
    assert "Dependabot" in warnings[0], warnings[:2]  # before any finding's annotation
    assert "permissions: {pull-requests: write, statuses: write}" in warnings[0]
    assert "fork" not in warnings[0]
    assert len(warnings) == 10  # GitHub shows 10 per step: guardrail's own + 9 findings
    assert "more finding(s) are not annotated" in out
    assert "could not post everything" in run.summary and "Dependabot" in run.summary
    assert "exit code follows it" in run.summary


def test_dependabot_read_only_token_exit_code_follows_fail_on(fake_github, run_action):
    drops_pull(fake_github, 52, author="dependabot[bot]", count=1)
    fake_github.read_only_tokens.add("t-bot")
    run = run_action(
        fake_github,
        "pull_request",
        pr_event(52),
        inputs={"fail-on": "never"},
        extra_env={"GITHUB_ACTOR": "dependabot[bot]"},
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Dependabot" in warning_lines(run.stdout)[0]


def test_a_token_without_permissions_gets_the_permissions_to_grant(fake_github, run_action):
    drops_pull(fake_github, 53, count=1)
    fake_github.read_only_tokens.add("t-bot")
    run = run_action(fake_github, "pull_request", pr_event(53))
    first = warning_lines(run.stdout)[0]
    assert "pull-requests: write, statuses: write" in first
    assert "Dependabot" not in first and "fork" not in first


def test_annotations_keep_the_most_severe_and_count_the_rest():
    from guardrail.model import Finding, Report, Severity, Verdict
    from guardrail.render import annotations

    def f(sev: Severity, i: int) -> Finding:
        return Finding("analysis", "GR901", sev, f"t{i}", "d", path=f"p{i}")

    mixed = [f(Severity.NOTICE, i) for i in range(12)] + [f(Severity.ERROR, i) for i in range(3)]
    report = Report(findings=tuple(mixed), verdict=Verdict.FAIL, fail_on="error")
    shown, left = annotations.render(report, reserved={Severity.NOTICE: 1})
    assert [ln.split(" ", 1)[0] for ln in shown[:3]] == ["::error"] * 3
    assert len(shown) == 3 + 9 and left == 3


def test_graphql_goes_where_github_graphql_url_says(fake_github, run_action):
    # The runner's GITHUB_GRAPHQL_URL wins over the address derived from GITHUB_API_URL (a
    # GHES host or a proxy that serves GraphQL elsewhere); here nothing answers at /graphql.
    fake_github.graphql_path = "/elsewhere/graphql"
    risky_pull(fake_github)
    run = run_action(
        fake_github,
        "pull_request",
        pr_event(7),
        extra_env={"GITHUB_GRAPHQL_URL": fake_github.url + "/elsewhere/graphql"},
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert [s["state"] for s in fake_github.statuses] == ["failure"]
    posts = [e.path for e in fake_github.log if e.method == "POST" and "graphql" in e.path]
    assert posts and set(posts) == {"/elsewhere/graphql"}, posts
