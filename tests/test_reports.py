"""The reports a platform team builds on: SARIF that code scanning shows (every result located,
the checkout as `%SRCROOT%`) and a JSON report that keeps acknowledged and suppressed findings
with who and why. End to end through the console script against the fake GitHub."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from tests.conftest import corpus_dir
from tests.fakegithub import FakeGitHub, file_entry
from tests.gitrepo import make_repo
from tests.test_action_e2e import BASE, HEAD, pr_event
from tests.test_local import check

TEMPLATE = ".github/pull_request_template.md"
DROP = (
    "@@ -0,0 +1,4 @@\n+SET lock_timeout = '5s';\n"
    "+-- guardrail: ignore GR212 the column has been unused for a year, checked in the logs\n"
    "+ALTER TABLE orders DROP COLUMN legacy_code;\n"
    "+CREATE INDEX ix_orders_coupon ON orders (coupon);"
)
BODY = (
    "Drops a dead column and indexes coupons.\n\n## Migration plan\nRuns before the deploy; "
    "the index build locks writes briefly on a small table. Undo: drop the index.\n\n"
    "guardrail: acknowledge guardrail:migration-reviewed: reviewed with the database team\n"
    "guardrail: acknowledge GR101: the column held nothing, so there is nothing to restore\n"
)


def reviewed_pull(fake: FakeGitHub, number: int = 61) -> None:
    fake.add_pull(
        number,
        body=BODY,
        head_sha=HEAD,
        base_sha=BASE,
        labels=("guardrail:migration-reviewed",),
        files=[file_entry("db/migrations/0007_cleanup.sql", DROP, "added")],
    )
    fake.label_events[number] = [
        ("bug", "carol"),
        ("guardrail:migration-reviewed", "mallory"),
        ("guardrail:migration-reviewed", "bob"),  # removed and added again: bob's counts
    ]


def checkout_with_template(workspace: Path) -> None:
    (workspace / ".git").mkdir()
    (workspace / ".github").mkdir()
    (workspace / TEMPLATE).write_text("## Rollback plan\n\n## Migration plan\n")


def test_json_report_keeps_acknowledged_and_suppressed_findings_with_who_and_why(
    fake_github, run_action
):
    reviewed_pull(fake_github)
    run = run_action(fake_github, "pull_request", pr_event(61))
    assert run.returncode == 0, run.stdout + run.stderr
    report = json.loads((run.workspace / run.outputs["report"]).read_text())
    taken = {(a["rule"], a["status"]): a for a in report["acknowledged"]}
    ignored = taken[("GR212", "suppressed")]
    assert ignored["acknowledged"] == {
        "how": "inline-ignore",
        "label": None,
        "by": "alice",
        "reason": "the column has been unused for a year, checked in the logs",
    }
    assert ignored["path"] == "db/migrations/0007_cleanup.sql" and ignored["line"] == 3
    by_label = [a for a in report["acknowledged"] if a["acknowledged"]["how"] == "label"]
    assert by_label, report["acknowledged"]
    assert {a["acknowledged"]["by"] for a in by_label} == {"bob"}
    assert {a["acknowledged"]["reason"] for a in by_label} == {"reviewed with the database team"}
    by_description = taken[("GR101", "acknowledged")]["acknowledged"]
    assert by_description["how"] == "description" and by_description["by"] == "alice"
    # None of them counts in `findings`.
    counted = {(f["rule"], f["path"]) for f in report["findings"]}
    assert ("GR212", "db/migrations/0007_cleanup.sql") not in counted
    assert not [f for f in report["findings"] if f["rule"] == "GR101"]


def _label_by(run) -> set[str | None]:  # type: ignore[no-untyped-def]
    report = json.loads((run.workspace / run.outputs["report"]).read_text())
    return {a["acknowledged"]["by"] for a in report["acknowledged"] if a["acknowledged"]["label"]}


def test_the_labels_actor_is_found_in_the_first_page_without_another_request(
    fake_github, run_action
):
    reviewed_pull(fake_github)
    run = run_action(fake_github, "pull_request", pr_event(61))
    assert run.returncode == 0, run.stdout + run.stderr
    assert _label_by(run) == {"bob"}
    assert fake_github.timeline_pages == 0


def test_a_label_added_before_the_latest_100_labelling_events_is_found_on_an_earlier_page(
    fake_github, run_action
):
    reviewed_pull(fake_github)
    fake_github.label_events[61] = [
        ("guardrail:migration-reviewed", "bob"),
        *[("needs-rebase", "carol")] * 230,  # a long-lived PR, its labels churned by a bot
    ]
    run = run_action(fake_github, "pull_request", pr_event(61))
    assert run.returncode == 0, run.stdout + run.stderr
    assert _label_by(run) == {"bob"}
    assert fake_github.timeline_pages == 2  # events 31-130, then 0-30


def test_the_labelling_events_are_read_a_bounded_number_of_pages(fake_github, run_action):
    # The label's event is older than 500 events: not read, `by` is null, the check stands.
    reviewed_pull(fake_github)
    fake_github.label_events[61] = [
        ("guardrail:migration-reviewed", "bob"),
        *[("needs-rebase", "carol")] * 1000,
    ]
    run = run_action(fake_github, "pull_request", pr_event(61))
    assert run.returncode == 0, run.stdout + run.stderr
    assert _label_by(run) == {None}
    assert fake_github.timeline_pages == 4  # 5 pages of 100 in all, the prefetch's included


def test_sarif_locates_every_result_at_the_checkout_and_marks_suppressions(fake_github, run_action):
    schema = json.loads((corpus_dir("sarif") / "sarif-schema-2.1.0.json").read_text())
    reviewed_pull(fake_github)
    fake_github.pulls[61]["body"] = "Drops a dead column."  # description-level gaps too
    run = run_action(
        fake_github,
        "pull_request",
        pr_event(61),
        inputs={"sarif-path": "guardrail.sarif"},
        prepare=checkout_with_template,
    )
    doc = json.loads((run.workspace / "guardrail.sarif").read_text())
    jsonschema.validate(doc, schema)
    sarif_run = doc["runs"][0]
    assert sarif_run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == (
        run.workspace.resolve().as_uri() + "/"
    )
    results = sarif_run["results"]
    assert len(results) >= 4
    for result in results:
        (loc,) = result["locations"]
        physical = loc["physicalLocation"]
        assert physical["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert physical["artifactLocation"]["uri"]
        assert physical["region"]["startLine"] >= 1
    description_level = [r for r in results if r["ruleId"] in ("GR101", "GR102", "GR402")]
    assert description_level
    assert {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in description_level
    } == {TEMPLATE}
    suppressed = [r for r in results if r.get("suppressions")]
    kinds = {(r["ruleId"], r["suppressions"][0]["kind"]) for r in suppressed}
    assert ("GR212", "inSource") in kinds
    justification = next(r for r in suppressed if r["ruleId"] == "GR212")["suppressions"][0]
    assert "unused for a year" in justification["justification"]


def test_sarif_without_a_template_points_at_the_first_changed_file(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "r",
        {"app.py": "x\n"},
        {"db/migrations/0002.sql": "ALTER TABLE orders ADD COLUMN coupon text;\n"},
    )
    proc = check(repo, "--base", "main", "--format", "sarif", "--body", "-", stdin="Adds it.")
    doc = json.loads(proc.stdout)
    run = doc["runs"][0]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == repo.resolve().as_uri() + "/"
    uris = {
        r["ruleId"]: r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in run["results"]
    }
    assert uris["GR101"] == "db/migrations/0002.sql"


def test_every_acknowledged_field_is_documented() -> None:
    import re

    from guardrail.model import Acknowledged, Finding, Report, Severity, Verdict
    from guardrail.render import json as render_json

    doc = (Path(__file__).resolve().parent.parent / "docs" / "json-report.md").read_text("utf-8")
    f = Finding("migration-safety", "GR212", Severity.WARNING, "Drops it.", "Why.", path="a.sql")
    a = Acknowledged(f, "suppressed", "inline-ignore", "it is unused", by="alice")
    item = json.loads(render_json.render(Report((), Verdict.PASS, "error", acknowledged=(a,))))[
        "acknowledged"
    ][0]
    documented = set(re.findall(r"^\| `acknowledged\[\]\.([a-z_.]+)`", doc, re.M))
    assert {"status", *(f"acknowledged.{k}" for k in item["acknowledged"])} == documented
    assert set(item) - {"status", "acknowledged"} == set(
        json.loads(render_json.render(Report((f,), Verdict.PASS, "error")))["findings"][0]
    )
