"""The installed console script, started the way the runner starts the container, against a
fake GitHub on 127.0.0.1: INPUT_* and GITHUB_* environment, event file, GITHUB_OUTPUT and
GITHUB_STEP_SUMMARY."""

from __future__ import annotations

import json

import pytest

from tests.fakegithub import BOT, FakeGitHub, Fault, file_entry

MIGRATION_PATCH = (
    "@@ -0,0 +1,2 @@\n+SET lock_timeout = '5s';\n+ALTER TABLE orders ADD COLUMN coupon text;"
)
HEAD = "1" * 40
BASE = "2" * 40
GOOD_BODY = (
    "Adds a coupon column.\n\n## Migration plan\n"
    "Runs before the deploy; the column is nullable, so existing rows stay NULL and the running "
    "version ignores it. Undo: drop the column.\n\n## Rollback plan\n"
    "Revert the deploy; the column is nullable so the previous version ignores it.\n"
)


def pr_event(number: int, body: str = "stale body from the event") -> dict[str, object]:
    # The event payload's body is stale on re-runs; guardrail must read the PR from the API.
    return {
        "action": "synchronize",
        "number": number,
        "pull_request": {"number": number, "body": body},
    }


def risky_pull(fake: FakeGitHub, number: int = 7, body: str = "Adds a coupon.") -> None:
    fake.add_pull(
        number,
        body=body,
        head_sha=HEAD,
        base_sha=BASE,
        files=[file_entry("db/migrations/0002_coupon.sql", MIGRATION_PATCH, "added")],
    )


def ours(fake: FakeGitHub, number: int = 7) -> list[dict[str, object]]:
    return [c for c in fake.comments[number] if c["user"]["login"] == BOT]


def test_pull_request_twice_gives_one_comment_and_a_failing_status(fake_github, run_action):
    risky_pull(fake_github)
    first = run_action(fake_github, "pull_request", pr_event(7))
    assert first.returncode == 1, first.stderr + first.stdout
    second = run_action(fake_github, "pull_request", pr_event(7))
    assert second.returncode == 1, second.stderr
    comments = ours(fake_github)
    assert len(comments) == 1
    assert "<!-- guardrail:report v1 -->" in comments[0]["body"]
    assert "Can we roll this back?" in comments[0]["body"]
    assert [s["state"] for s in fake_github.statuses] == ["failure", "failure"]
    assert {s["sha"] for s in fake_github.statuses} == {HEAD}
    assert fake_github.statuses[0]["context"] == "guardrail"
    assert (
        fake_github.statuses[0]["target_url"] == "https://github.example/octo/shop/actions/runs/777"
    )
    assert len(fake_github.statuses[0]["description"]) <= 140
    assert second.outputs["verdict"] == "fail"
    assert second.outputs["gaps"] == "2"  # no rollback note, no migration plan
    report = json.loads((second.workspace / second.outputs["report"]).read_text())
    assert report["schema_version"] == 2 and report["findings"][0]["rule"] == "GR101"
    assert "Can we roll this back?" in second.summary
    assert "::error file=" not in second.stdout or "GR101" in second.stdout
    # No dependency on GET /user, which the default GITHUB_TOKEN may not call.
    assert not fake_github.requests("GET", "/user")
    assert "Traceback" not in first.stderr + second.stderr


def test_second_run_updates_in_place_after_the_body_is_fixed(fake_github, run_action):
    risky_pull(fake_github)
    run_action(fake_github, "pull_request", pr_event(7))
    fake_github.pulls[7]["body"] = (
        GOOD_BODY  # edited on GitHub; the event file still has the old one
    )
    again = run_action(fake_github, "pull_request", pr_event(7, body="stale"))
    assert again.returncode == 0, again.stderr
    comments = ours(fake_github)
    assert len(comments) == 1
    assert "ready to ship" in comments[0]["body"]
    assert fake_github.statuses[-1]["state"] == "success"
    assert len(fake_github.requests("PATCH")) == 1


def test_good_pull_request_gives_success(fake_github, run_action):
    risky_pull(fake_github, body=GOOD_BODY)
    run = run_action(fake_github, "pull_request", pr_event(7))
    assert run.returncode == 0, run.stderr
    assert fake_github.statuses[-1]["state"] == "success"
    assert fake_github.statuses[-1]["description"] == "Ready to ship"
    assert run.outputs["verdict"] == "pass" and run.outputs["gaps"] == "0"
    # Default comment mode "on-gaps": a PR that is fine from the start gets no comment.
    assert ours(fake_github) == []


def test_comment_always_says_all_is_well_briefly(fake_github, run_action):
    risky_pull(fake_github, body=GOOD_BODY)
    run = run_action(fake_github, "pull_request", pr_event(7), inputs={"comment": "always"})
    assert run.returncode == 0
    (comment,) = ours(fake_github)
    assert "ready to ship" in comment["body"]
    assert len(comment["body"].splitlines()) <= 6  # headline, answers, a note at most, footer


def test_workflow_dispatch_puts_the_status_on_the_pr_head(fake_github, run_action):
    risky_pull(fake_github, number=12)
    event = {"inputs": {"pr-number": "12"}, "ref": "refs/heads/main"}
    run = run_action(fake_github, "workflow_dispatch", event, inputs={"pr-number": "12"})
    assert run.returncode == 1, run.stderr
    assert [s["sha"] for s in fake_github.statuses] == [HEAD]  # not GITHUB_SHA (fff…)
    assert len(ours(fake_github, 12)) == 1


def test_human_comment_with_the_marker_is_never_touched(fake_github, run_action):
    risky_pull(fake_github)
    human = fake_github.add_comment(
        7, "<!-- guardrail:report v1 --> I pasted this on purpose", "mallory"
    )
    run_action(fake_github, "pull_request", pr_event(7))
    run_action(fake_github, "pull_request", pr_event(7))
    theirs = [c for c in fake_github.comments[7] if c["id"] == human]
    assert theirs and theirs[0]["body"].endswith("on purpose") and "edited_by" not in theirs[0]
    assert len(ours(fake_github)) == 1
    assert not any(f"/{human}" in r.path for r in fake_github.requests("PATCH"))
    assert not fake_github.requests("DELETE")


def test_api_requests_per_run_are_few(fake_github, run_action):
    risky_pull(fake_github)
    run_action(fake_github, "pull_request", pr_event(7))
    first = len(fake_github.log)
    fake_github.log.clear()
    run_action(fake_github, "pull_request", pr_event(7))
    # re-run: the PR, its files, one GraphQL read (comments, configuration and files the checks
    # need), the status; the comment is unchanged, so it is not written again
    assert len(fake_github.log) <= 5, [(r.method, r.path) for r in fake_github.log]
    assert first <= 6  # + the comment and a re-read that keeps racing runs from leaving two


def test_edited_module_constants_do_not_push_the_model_out_of_the_prefetch(fake_github, run_action):
    # bench/api_requests.py's demo: 80 modules with a top-level constant edited beside a
    # tightened model. Such a line cannot change a class, so those files are not read; when
    # they were, their 160 reads filled the prefetch and every file was read on its own.
    files = [file_entry(f"app/views/v{i}.py", "@@ -1 +1 @@\n-a = 1\n+a = 2") for i in range(80)]
    files.append(file_entry("shop/schemas.py", MODEL_PATCH))
    fake_github.add_pull(7, body=GOOD_BODY, head_sha=HEAD, base_sha=BASE, files=files)
    fake_github.contents[(BASE, "shop/schemas.py")] = MODEL_BASE
    fake_github.contents[(HEAD, "shop/schemas.py")] = MODEL_HEAD
    run = run_action(fake_github, "pull_request", pr_event(7))
    assert "GR301" in run.summary, run.summary
    one_by_one = [r.path for r in fake_github.log if "/contents/" in r.path]
    # Three remain, as before the gate read more (another check's reads past the prefetch).
    assert len(one_by_one) <= 3, one_by_one


def test_fork_pull_request_degrades_to_summary_and_annotations(fake_github, run_action):
    fake_github.add_pull(
        9,
        body="",
        head_sha=HEAD,
        fork=True,
        files=[file_entry("db/migrations/0003.sql", MIGRATION_PATCH, "added")],
    )
    fake_github.read_only_tokens.add("t-bot")
    run = run_action(fake_github, "pull_request", pr_event(9))
    assert run.returncode == 1  # the verdict still decides the exit code
    assert "Traceback" not in run.stderr
    assert "::warning" in run.stdout and "fork" in run.stdout
    assert "Can we roll this back?" in run.summary
    assert run.outputs["verdict"] == "fail"


def test_bad_token_is_a_clear_error(fake_github, run_action):
    risky_pull(fake_github)
    run = run_action(fake_github, "pull_request", pr_event(7), token="wrong")
    assert run.returncode == 2
    assert "::error" in run.stdout and "token" in run.stdout
    assert "Traceback" not in run.stderr


def test_unknown_pr_number_is_a_clear_error(fake_github, run_action):
    run = run_action(fake_github, "workflow_dispatch", {"inputs": {}}, inputs={"pr-number": "404"})
    assert run.returncode == 2
    assert "PR number" in run.stdout


def test_dispatch_without_pr_number_explains_the_fix(fake_github, run_action):
    run = run_action(fake_github, "workflow_dispatch", {"inputs": {}})
    assert run.returncode == 2
    assert "pr-number" in run.stdout and "Traceback" not in run.stderr


def test_invalid_config_fails_with_file_field_and_fix(fake_github, run_action):
    risky_pull(fake_github)
    fake_github.contents[(BASE, ".github/guardrail.yml")] = (
        "fail-on: sometimes\nrisk:\n  migratons: []\n"
    )
    run = run_action(fake_github, "pull_request", pr_event(7))
    assert run.returncode == 2
    assert ".github/guardrail.yml" in run.stdout
    assert "fail-on" in run.stdout and "risk.migratons" in run.stdout


def test_config_changed_by_the_pr_is_not_used_for_that_pr(fake_github, run_action):
    fake_github.add_pull(
        8,
        body="",
        head_sha=HEAD,
        base_sha=BASE,
        files=[
            file_entry("db/migrations/0004.sql", MIGRATION_PATCH, "added"),
            file_entry(".github/guardrail.yml", "@@ -0,0 +1 @@\n+fail-on: never", "added"),
        ],
    )
    run = run_action(fake_github, "pull_request", pr_event(8))
    assert run.returncode == 1  # the PR's own "fail-on: never" does not apply to itself
    assert "takes effect after merge" in run.summary


def test_server_errors_are_retried(fake_github, run_action):
    risky_pull(fake_github)
    fake_github.faults.append(Fault("GET", r"/pulls/7$", 502, times=2))
    run = run_action(
        fake_github, "pull_request", pr_event(7), extra_env={"GUARDRAIL_RETRY_BACKOFF": "0.01"}
    )
    assert run.returncode == 1, run.stdout + run.stderr
    pull_gets = [r.status for r in fake_github.requests("GET") if r.path.endswith("/pulls/7")]
    assert pull_gets == [502, 502, 200]


def test_sarif_path_writes_sarif_and_names_it_in_the_outputs(fake_github, run_action):
    risky_pull(fake_github)
    run = run_action(
        fake_github, "pull_request", pr_event(7), inputs={"sarif-path": "out/guardrail.sarif"}
    )
    assert run.outputs["sarif"] == "out/guardrail.sarif"
    doc = json.loads((run.workspace / "out" / "guardrail.sarif").read_text())
    assert doc["version"] == "2.1.0" and doc["runs"][0]["results"]


def test_pull_request_target_works_like_pull_request(fake_github, run_action):
    risky_pull(fake_github, number=21)
    run = run_action(fake_github, "pull_request_target", pr_event(21))
    assert run.returncode == 1, run.stdout
    assert [s["sha"] for s in fake_github.statuses] == [HEAD]
    assert len(ours(fake_github, 21)) == 1


GROUP_SHA = "3" * 40


def merge_group_event(head_ref: str) -> dict[str, object]:
    # The shape GitHub sends for `merge_group` (action checks_requested).
    return {
        "action": "checks_requested",
        "merge_group": {
            "head_sha": GROUP_SHA,
            "head_ref": head_ref,
            "base_sha": BASE,
            "base_ref": "refs/heads/main",
        },
    }


def test_merge_group_judges_the_queued_pr_and_puts_the_status_on_the_group(fake_github, run_action):
    risky_pull(fake_github, number=123)
    ref = f"refs/heads/gh-readonly-queue/main/pr-123-{HEAD}"
    run = run_action(fake_github, "merge_group", merge_group_event(ref))
    assert run.returncode == 1, run.stderr
    assert [(s["sha"], s["state"]) for s in fake_github.statuses] == [(GROUP_SHA, "failure")]
    assert not ours(fake_github, 123)  # the PR's own runs comment; a queue run never does
    assert run.outputs["verdict"] == "fail"


def test_merge_group_of_a_good_pr_passes_on_the_group_commit(fake_github, run_action):
    risky_pull(fake_github, number=124, body=GOOD_BODY)
    ref = f"refs/heads/gh-readonly-queue/release/v2/pr-124-{HEAD}"
    run = run_action(fake_github, "merge_group", merge_group_event(ref))
    assert run.returncode == 0, run.stderr
    assert [(s["sha"], s["state"]) for s in fake_github.statuses] == [(GROUP_SHA, "success")]
    assert not ours(fake_github, 124)


def test_merge_group_without_a_pr_in_its_name_passes_with_a_clear_description(
    fake_github, run_action
):
    run = run_action(fake_github, "merge_group", merge_group_event("refs/heads/some-queue"))
    assert run.returncode == 0, run.stderr
    (status,) = fake_github.statuses
    assert (status["sha"], status["state"], status["context"]) == (
        GROUP_SHA,
        "success",
        "guardrail",
    )
    assert "merge queue" in status["description"]
    assert "judged when they were opened" in status["description"]
    assert run.outputs["verdict"] == "pass"


def test_merge_group_without_a_head_commit_is_a_clear_error(fake_github, run_action):
    run = run_action(fake_github, "merge_group", {"merge_group": {}})
    assert run.returncode == 2
    assert "merge_group.head_sha" in run.stdout + run.stderr
    assert not fake_github.statuses


MODEL_BASE = "from typing import Optional\nfrom pydantic import BaseModel\nclass Order(BaseModel):\n    id: int\n    coupon: Optional[str] = None\n"
MODEL_HEAD = (
    "from pydantic import BaseModel\nclass Order(BaseModel):\n    id: int\n    coupon: str\n"
)
MODEL_PATCH = (
    "@@ -1,5 +1,4 @@\n-from typing import Optional\n from pydantic import BaseModel\n"
    " class Order(BaseModel):\n     id: int\n-    coupon: Optional[str] = None\n+    coupon: str"
)
LEGACY_TEST = (
    "from shop.schemas import Order\n\n\ndef test_order_saved_before_coupons():\n"
    "    Order.model_validate({'id': 3})\n"
)


def _tightening_pull(fake: FakeGitHub) -> None:
    fake.add_pull(
        7,
        body=GOOD_BODY,
        head_sha=HEAD,
        base_sha=BASE,
        files=[file_entry("shop/schemas.py", MODEL_PATCH)],
    )
    fake.contents[(BASE, "shop/schemas.py")] = MODEL_BASE
    fake.contents[(HEAD, "shop/schemas.py")] = MODEL_HEAD


def test_without_a_checkout_unchanged_tests_are_read_through_the_api(fake_github, run_action):
    # The same PR answers the same with and without a checkout: the unchanged legacy test in
    # shop/tests/ is listed in the prefetch and read in one batch, and it clears the finding.
    _tightening_pull(fake_github)
    fake_github.contents[(HEAD, "shop/tests/unit/test_orders.py")] = LEGACY_TEST
    fake_github.contents[(HEAD, "shop/tests/conftest.py")] = "import pytest\n"
    run = run_action(fake_github, "pull_request", pr_event(7))
    assert "GR301" not in run.summary, run.summary
    assert "old data covered" in run.summary and "shop/tests/unit/test_orders.py" in run.summary
    reads = [r for r in fake_github.log if r.path.endswith("/graphql")]
    assert len(reads) == 2, "the prefetch (with the test folders' listing) and one batch of tests"


IMPORTER = (
    "from shop.schemas import Order\n\n\ndef import_row(raw):\n    return _to_model(raw)\n\n\n"
    "def _to_model(raw):\n    return Order(**raw)\n"
)
IMPORT_TEST = (
    "from shop import importer\n\n\ndef test_import_of_a_row_exported_last_year():\n"
    "    importer.import_row({'id': 3})\n"
)


@pytest.mark.parametrize("test_path", ["shop/tests/test_import.py", "tests/test_import.py"])
def test_without_a_checkout_evidence_follows_into_the_modules_a_test_imports(
    fake_github, run_action, test_path
):
    # With a checkout this test clears the finding (GR301 golden
    # helper_two_calls_deep_in_application_code_counts): it hands an old row to
    # shop/importer.py, which builds the model. Without one, the module was never read and the
    # answer differed; it is now read through the API in one more batch, and the answer is the
    # same.
    _tightening_pull(fake_github)
    fake_github.contents[(HEAD, test_path)] = IMPORT_TEST
    fake_github.contents[(HEAD, "shop/importer.py")] = IMPORTER
    run = run_action(fake_github, "pull_request", pr_event(7))
    assert "GR301" not in run.summary, run.summary
    assert "old data covered" in run.summary and test_path in run.summary
    assert "followed into 1 application module the tests import" in run.summary, run.summary
    reads = [r for r in fake_github.log if r.path.endswith("/graphql")]
    assert len(reads) == 3, "the prefetch, one batch of tests, one batch of imported modules"


def test_without_a_checkout_a_module_that_does_not_build_the_model_does_not_count(
    fake_github, run_action
):
    _tightening_pull(fake_github)
    fake_github.contents[(HEAD, "shop/tests/test_import.py")] = IMPORT_TEST
    fake_github.contents[(HEAD, "shop/importer.py")] = (
        "def import_row(raw):\n    return dict(raw)\n"
    )
    run = run_action(fake_github, "pull_request", pr_event(7))
    assert "GR301" in run.summary, run.summary
    assert "followed into 1 application module the tests import" in run.summary, run.summary


def test_without_a_checkout_the_finding_says_which_folders_were_searched(fake_github, run_action):
    _tightening_pull(fake_github)
    fake_github.contents[(HEAD, "shop/tests/test_orders.py")] = (
        "from shop.schemas import Order\n\n\ndef test_order():\n"
        "    assert Order(id=1, coupon='X').coupon == 'X'\n"
    )
    run = run_action(fake_github, "pull_request", pr_event(7))
    assert "GR301" in run.summary
    assert "1 test files of the folders `shop/tests/`" in run.summary, run.summary
