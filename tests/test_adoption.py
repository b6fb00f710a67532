"""What a team rolling guardrail out meets on real GitHub, end to end through the console
script against the fake GitHub (tests/fakegithub.py) and local git repositories."""

from __future__ import annotations

import json
from pathlib import Path

from tests.fakegithub import FakeGitHub, file_entry
from tests.gitrepo import make_repo
from tests.test_action_e2e import BASE, GOOD_BODY, HEAD, MIGRATION_PATCH, pr_event
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
    assert "fail-on" in gr920["title_text"] and "risk.migratons" in gr920["title_text"]
    assert "line 3" in gr920["title_text"]
    assert "To fix it" in gr920["detail_text"]
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
