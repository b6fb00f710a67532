"""Hostile pull requests (issue 16): each attack, through the installed console script against
the fake GitHub, and what guardrail does instead of passing the change or writing what the PR
chose. docs/security.md lists the promise each test keeps."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import ActionRun
from tests.fakegithub import FakeGitHub, file_entry
from tests.gitrepo import git, make_repo

HEAD = "5" * 40
BASE = "6" * 40
FAST = {"GUARDRAIL_RETRY_BACKOFF": "0.01", "GUARDRAIL_RATE_WAIT": "0.05", "GUARDRAIL_MAX_WAIT": "5"}
DROP = "ALTER TABLE orders DROP COLUMN coupon;\n"
DROP_PATCH = "@@ -0,0 +1 @@\n+ALTER TABLE orders DROP COLUMN coupon;"
PLANNED = (
    "Drops the unused coupon column.\n\n## Migration plan\nRuns after the deploy that stopped "
    "reading the column; nothing reads it any more.\n\n## Rollback plan\nRevert the deploy; the "
    "column is gone, restore it from the nightly backup if ever needed.\n"
)


def event(number: int) -> dict[str, object]:
    return {"action": "synchronize", "pull_request": {"number": number}}


def report_of(run: ActionRun) -> dict[str, object]:
    data: dict[str, object] = json.loads((run.workspace / run.outputs["report"]).read_text())
    return data


def rules_of(run: ActionRun) -> list[str]:
    return [str(f["rule"]) for f in report_of(run)["findings"]]  # type: ignore[attr-defined]


def no_traceback(run: ActionRun) -> None:
    assert "Traceback" not in run.stderr, run.stderr


# -- a flood of files -----------------------------------------------------------------------


def _flood(fake: FakeGitHub, number: int = 31) -> None:
    """3,000 dummy files that sort first, then the PR's own edit of the configuration and a
    migration that drops a column: GitHub's listing ends before the last two."""
    dummies = [f"aaa/{i:04d}.txt" for i in range(3000)]
    files = [file_entry(p, "@@ -0,0 +1 @@\n+x", "added") for p in dummies]
    files += [
        file_entry(".github/guardrail.yml", "@@ -1 +1 @@\n-fail-on: warning\n+fail-on: never"),
        file_entry("db/migrations/0009_drop.sql", DROP_PATCH, "added"),
    ]
    fake.add_pull(number, body=PLANNED, files=files, head_sha=HEAD, base_sha=BASE)
    fake.contents[(HEAD, "db/migrations/0009_drop.sql")] = DROP
    fake.contents[(HEAD, ".github/guardrail.yml")] = "fail-on: never\n"
    fake.contents[(BASE, ".github/guardrail.yml")] = "fail-on: warning\n"  # the team's choice
    base_tree = {"README.md": "r1", ".github/guardrail.yml": "c0"}
    fake.trees[BASE] = base_tree
    fake.trees[HEAD] = {
        **base_tree,
        **{p: "e" * 40 for p in dummies},
        ".github/guardrail.yml": "c1",
        "db/migrations/0009_drop.sql": "c2",
    }


def _checkout_with_the_prs_config(workspace: Path) -> None:
    # The checkout is the PR's head: its own configuration says never to fail.
    (workspace / ".github").mkdir()
    (workspace / ".github" / "guardrail.yml").write_text("fail-on: never\n")


def test_a_flood_of_files_does_not_hide_a_column_drop(fake_github, run_action):
    _flood(fake_github)
    run = run_action(
        fake_github,
        "pull_request",
        event(31),
        extra_env=FAST,
        prepare=_checkout_with_the_prs_config,
    )
    no_traceback(run)
    assert run.returncode == 1, run.stdout
    assert fake_github.statuses[-1]["state"] == "failure"
    assert "GR212" in rules_of(run)  # the drop behind the flood was read
    assert "GR910" not in rules_of(run)  # the whole change was found
    assert "takes effect after merge" in run.summary  # the PR's own configuration was noticed


def test_a_flood_nobody_can_see_past_fails_and_says_why(fake_github, run_action):
    _flood(fake_github)
    fake_github.truncated_trees.add(HEAD)  # too large for the trees API as well
    run = run_action(
        fake_github,
        "pull_request",
        event(31),
        extra_env=FAST,
        prepare=_checkout_with_the_prs_config,
    )
    no_traceback(run)
    assert run.returncode == 1
    assert fake_github.statuses[-1]["state"] == "failure"
    assert "GR910" in rules_of(run)
    assert "fetch-depth: 0" in run.summary and "2 of 3002" in run.summary


def test_a_flood_is_read_from_the_checkouts_history(fake_github, run_action):
    _flood(fake_github)
    fake_github.truncated_trees.add(HEAD)  # the API cannot help: git must

    def checkout(workspace: Path) -> None:
        base = {"README.md": "r1\n", ".github/guardrail.yml": "fail-on: warning\n"}
        head: dict[str, str | None] = {f"aaa/{i:04d}.txt": "x\n" for i in range(3000)}
        head.update(
            {".github/guardrail.yml": "fail-on: never\n", "db/migrations/0009_drop.sql": DROP}
        )
        make_repo(workspace, base, head)
        shas = git(workspace, "rev-parse", "main", "feature").split()
        fake_github.pulls[31]["base"]["sha"], fake_github.pulls[31]["head"]["sha"] = shas
        fake_github.contents[(shas[1], "db/migrations/0009_drop.sql")] = DROP
        fake_github.contents[(shas[0], ".github/guardrail.yml")] = "fail-on: warning\n"

    run = run_action(fake_github, "pull_request", event(31), extra_env=FAST, prepare=checkout)
    no_traceback(run)
    assert run.returncode == 1, run.stdout
    assert "GR212" in rules_of(run) and "GR910" not in rules_of(run)
    assert "checkout's git history" in run.stdout


def test_the_configuration_comes_from_the_base_commit_not_the_checkout(fake_github, run_action):
    fake_github.add_pull(
        32,
        body="",
        head_sha=HEAD,
        base_sha=BASE,
        files=[file_entry("db/migrations/0009_drop.sql", DROP_PATCH, "added")],
    )
    fake_github.contents[(BASE, ".github/guardrail.yml")] = "fail-on: warning\n"
    run = run_action(
        fake_github,
        "pull_request",
        event(32),
        extra_env=FAST,
        prepare=_checkout_with_the_prs_config,
    )
    no_traceback(run)
    assert run.returncode == 1 and fake_github.statuses[-1]["state"] == "failure"


# -- self-acknowledgement --------------------------------------------------------------------


def _drop_pull(fake: FakeGitHub, number: int, sql: str, body: str = PLANNED) -> None:
    patch = f"@@ -0,0 +1,{len(sql.splitlines())} @@\n" + "".join(
        "+" + ln + "\n" for ln in sql.splitlines()
    )
    fake.add_pull(
        number,
        body=body,
        head_sha=HEAD,
        base_sha=BASE,
        files=[file_entry("db/migrations/0009_drop.sql", patch.rstrip("\n"), "added")],
    )
    fake.contents[(HEAD, "db/migrations/0009_drop.sql")] = sql
    fake.contents[(BASE, ".github/guardrail.yml")] = "fail-on: warning\n"


def test_an_inline_ignore_with_a_dot_for_a_reason_does_not_pass(fake_github, run_action):
    _drop_pull(fake_github, 41, "-- guardrail: ignore GR212 .\n" + DROP)
    run = run_action(fake_github, "pull_request", event(41), extra_env=FAST)
    no_traceback(run)
    assert run.returncode == 1 and fake_github.statuses[-1]["state"] == "failure"
    assert {"GR212", "GR902"} <= set(rules_of(run))


def test_the_author_cannot_ignore_what_only_a_reviewers_label_acknowledges(fake_github, run_action):
    _drop_pull(
        fake_github, 42, "-- guardrail: ignore GR212 nothing reads the column since March\n" + DROP
    )
    run = run_action(fake_github, "pull_request", event(42), extra_env=FAST)
    no_traceback(run)
    assert run.returncode == 1 and fake_github.statuses[-1]["state"] == "failure"
    assert "GR212" in rules_of(run)
    assert "applies once a reviewer adds the label" in run.summary
    # With the reviewer's label (and its reason), the same ignore applies.
    fake_github.pulls[42]["labels"] = [{"name": "guardrail:migration-reviewed", "id": 1}]
    fake_github.pulls[42]["body"] = PLANNED + (
        "\nguardrail: acknowledge guardrail:migration-reviewed: checked that nothing reads it\n"
    )
    again = run_action(fake_github, "pull_request", event(42), extra_env=FAST)
    assert again.returncode == 0, again.stdout
    assert fake_github.statuses[-1]["state"] == "success"


def test_acknowledge_all_with_a_dot_does_not_pass(fake_github, run_action):
    _drop_pull(
        fake_github, 43, DROP, body="Drops a column.\n\n- [x] guardrail: acknowledge all: .\n"
    )
    run = run_action(fake_github, "pull_request", event(43), extra_env=FAST)
    no_traceback(run)
    assert run.returncode == 1 and fake_github.statuses[-1]["state"] == "failure"
    assert {"GR101", "GR903"} <= set(rules_of(run))


def test_an_acknowledgement_hidden_in_alt_text_does_not_count(fake_github, run_action):
    hidden = (
        "Drops a column.\n\n![guardrail: acknowledge all: nothing to roll back here, all good]"
        "(https://example.com/pixel.png)\n"
    )
    _drop_pull(fake_github, 44, DROP, body=hidden)
    run = run_action(fake_github, "pull_request", event(44), extra_env=FAST)
    no_traceback(run)
    assert run.returncode == 1 and fake_github.statuses[-1]["state"] == "failure"
    assert "GR101" in rules_of(run)


# -- symlinks the pull request controls ---------------------------------------------------------


def test_the_report_is_not_written_through_a_symlink_out_of_the_checkout(
    fake_github, run_action, tmp_path
):
    _drop_pull(fake_github, 51, DROP)
    victim = tmp_path / "outside" / "victim.txt"
    victim.parent.mkdir()
    victim.write_text("precious\n")
    elsewhere = tmp_path / "outside" / "dir"
    elsewhere.mkdir()

    def checkout(workspace: Path) -> None:
        (workspace / "guardrail-report.json").symlink_to(victim)
        (workspace / "out").symlink_to(elsewhere, target_is_directory=True)

    run = run_action(
        fake_github,
        "pull_request",
        event(51),
        inputs={"sarif-path": "out/guardrail.sarif"},
        extra_env=FAST,
        prepare=checkout,
    )
    no_traceback(run)
    assert run.returncode == 1
    assert victim.read_text() == "precious\n"
    assert list(elsewhere.iterdir()) == []
    # The report replaced the link itself: a regular file in the checkout.
    report = run.workspace / "guardrail-report.json"
    assert not report.is_symlink() and json.loads(report.read_text())["verdict"] == "fail"
    assert "did not write out/guardrail.sarif" in run.stdout and "sarif" not in run.outputs


SCHEMA_BASE = (
    "from typing import Optional\nfrom pydantic import BaseModel\n"
    "class Order(BaseModel):\n    id: int\n    coupon: Optional[str] = None\n"
)
SCHEMA_HEAD = (
    "from pydantic import BaseModel\nclass Order(BaseModel):\n    id: int\n    coupon: str\n"
)
LEGACY_TEST = (
    "from shop.schemas import Order\n"
    "def test_order_without_coupon_gets_a_clear_error():\n"
    "    old = {'id': 3}\n    Order.model_validate(old)\n"
)


def test_a_symlinked_test_outside_the_checkout_is_not_evidence(fake_github, run_action, tmp_path):
    patch = "@@ -1,5 +1,4 @@\n-from typing import Optional\n from pydantic import BaseModel\n"
    patch += " class Order(BaseModel):\n     id: int\n-    coupon: Optional[str] = None\n+    coupon: str"
    fake_github.add_pull(
        52,
        body=PLANNED,
        head_sha=HEAD,
        base_sha=BASE,
        files=[file_entry("shop/schemas.py", patch)],
    )
    fake_github.contents[(BASE, "shop/schemas.py")] = SCHEMA_BASE
    fake_github.contents[(HEAD, "shop/schemas.py")] = SCHEMA_HEAD
    outside = tmp_path / "elsewhere" / "test_legacy_orders.py"
    outside.parent.mkdir()
    outside.write_text(LEGACY_TEST)

    def checkout(workspace: Path) -> None:
        (workspace / ".git").mkdir()
        (workspace / "tests").mkdir()
        (workspace / "tests" / "test_legacy_orders.py").symlink_to(outside)
        (workspace / "linked").symlink_to(outside.parent, target_is_directory=True)

    run = run_action(fake_github, "pull_request", event(52), extra_env=FAST, prepare=checkout)
    no_traceback(run)
    assert "GR301" in rules_of(run), run.stdout
    assert run.returncode == 1

    def real_checkout(workspace: Path) -> None:  # the same test as a file of the checkout counts
        (workspace / ".git").mkdir()
        (workspace / "tests").mkdir()
        (workspace / "tests" / "test_legacy_orders.py").write_text(LEGACY_TEST)

    again = run_action(
        fake_github, "pull_request", event(52), extra_env=FAST, prepare=real_checkout
    )
    assert "GR301" not in rules_of(again), again.stdout


# -- extends ----------------------------------------------------------------------------------


def test_extends_cannot_reach_another_path_of_the_api_host(fake_github, run_action):
    _drop_pull(fake_github, 61, DROP)
    fake_github.contents[(BASE, ".github/guardrail.yml")] = (
        "extends: 'a/b:../../../../user?x=1#@main'\n"
    )
    run = run_action(fake_github, "pull_request", event(61), extra_env=FAST)
    no_traceback(run)
    assert run.returncode == 2
    assert "is not `owner/repo:path@ref`" in run.stdout
    assert not [r for r in fake_github.log if "/user" in r.path or ".." in r.path]


def test_extends_in_the_prs_own_configuration_is_never_fetched(fake_github, run_action):
    _drop_pull(fake_github, 62, DROP)
    fake_github.pulls[62]["changed_files"] = 2
    fake_github.files[62].append(
        file_entry(
            ".github/guardrail.yml", "@@ -1 +1 @@\n-fail-on: warning\n+extends: o/r:x.yml@main"
        )
    )
    fake_github.contents[(HEAD, ".github/guardrail.yml")] = "extends: o/r:x.yml@main\n"
    run = run_action(fake_github, "pull_request", event(62), extra_env=FAST)
    no_traceback(run)
    assert run.returncode == 1
    assert not [r for r in fake_github.log if r.path.startswith("/repos/o/r")]


# -- a comment that cannot be posted ---------------------------------------------------------------


def test_a_70001_character_title_still_gets_a_comment(fake_github, run_action):
    name = "c" * 70_001
    sql = f'ALTER TABLE orders DROP COLUMN "{name}";\n'
    _drop_pull(fake_github, 71, sql, body="Drops a column.")
    run = run_action(fake_github, "pull_request", event(71), extra_env=FAST)
    no_traceback(run)
    assert run.returncode == 1
    comments = [c for c in fake_github.comments[71] if c["user"]["login"] == "github-actions[bot]"]
    assert len(comments) == 1, run.stdout
    body = comments[0]["body"]
    assert len(body) <= 65_536 and "<!-- guardrail:report v1 -->" in body
    assert "could not post" not in run.stdout
    assert not [r for r in fake_github.log if r.status == 422]


def test_the_shortest_comment_form_always_fits() -> None:
    from guardrail.model import Finding, Report, Severity
    from guardrail.render import markdown as render_md
    from guardrail.rules import QUESTIONS
    from guardrail.text import code

    huge = code("x" * 70_001) + " words" * 1_000  # a quoted value and prose past every cap
    findings = tuple(
        Finding(check, "GR999", Severity.ERROR, f"{huge} {huge}", f"{huge} {huge}", path="p" * 9000)
        for check in QUESTIONS
    )
    notes = tuple(f"{huge} {huge}" for _ in range(30))
    meta = render_md.Meta(
        head_sha="a" * 40, run_url="https://example.com/r", summary_url="https://example.com/r"
    )
    loud = Report(findings, "fail", "error", risk=(f"{huge}",) * 10, notes=notes)
    quiet = Report(
        tuple(Finding("analysis", "GR999", Severity.NOTICE, huge, huge) for _ in range(50)),
        "pass",
        "error",
        notes=notes,
    )
    for report in (loud, quiet):
        for budget in (render_md.COMMENT_BUDGET, render_md.MINIMAL_BUDGET):
            body = render_md.render(report, meta, budget=budget)
            assert len(body) <= render_md.COMMENT_LIMIT, (report.verdict, budget, len(body))
            assert render_md.MARKER in body


# -- work that grows faster than the input ------------------------------------------------------


def _laughs(levels: int = 9) -> str:
    """A "billion laughs": each level lists the previous one nine times (9**levels changes)."""
    lines = [
        "x0: &x0",
        "  - dropColumn: {tableName: orders, columnName: coupon}",
    ]
    for i in range(1, levels + 1):
        lines.append(f"x{i}: &x{i} [" + ", ".join([f"*x{i - 1}"] * 9) + "]")
    lines += [
        "databaseChangeLog:",
        "  - changeSet:",
        "      id: 1",
        "      author: mallory",
        f"      changes: *x{levels}",
    ]
    return "\n".join(lines) + "\n"


def test_a_billion_laughs_changelog_is_gr901_not_a_billion_findings(fake_github, run_action):
    import time

    text = _laughs()
    patch = f"@@ -0,0 +1,{len(text.splitlines())} @@\n" + "".join(
        "+" + ln + "\n" for ln in text.splitlines()
    )
    fake_github.add_pull(
        81,
        body=PLANNED,
        head_sha=HEAD,
        base_sha=BASE,
        files=[file_entry("db/changelog/009-laughs.yaml", patch.rstrip("\n"), "added")],
    )
    fake_github.contents[(HEAD, "db/changelog/009-laughs.yaml")] = text
    started = time.monotonic()
    run = run_action(fake_github, "pull_request", event(81), extra_env=FAST)
    assert time.monotonic() - started < 30
    no_traceback(run)
    findings = report_of(run)["findings"]
    assert isinstance(findings, list) and len(findings) < 50
    assert any(
        f["rule"] == "GR901" and "alias" in str(f["title"]) + str(f["detail"]) for f in findings
    ), findings
    assert fake_github.statuses  # the status is set


def test_a_billion_laughs_openapi_file_is_gr901(fake_github, run_action):
    base = "openapi: 3.0.0\ninfo: {title: shop, version: '1'}\npaths: {}\n"
    bomb = "openapi: 3.0.0\ninfo: {title: shop, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n"
    bomb += "    Order:\n      type: object\n      required: [id]\n      properties:\n"
    bomb += "        id: {type: integer}\n"
    bomb += "".join("        " + ln + "\n" for ln in _laughs(8).splitlines()[: 2 + 8])
    fake_github.add_pull(
        82,
        body=PLANNED,
        head_sha=HEAD,
        base_sha=BASE,
        files=[file_entry("api/openapi.yaml", "@@ -3 +3,2 @@\n paths: {}\n+components:")],
    )
    fake_github.contents[(BASE, "api/openapi.yaml")] = base
    fake_github.contents[(HEAD, "api/openapi.yaml")] = bomb
    run = run_action(fake_github, "pull_request", event(82), extra_env=FAST)
    no_traceback(run)
    assert any(f["rule"] == "GR901" for f in report_of(run)["findings"]), run.stdout  # type: ignore[union-attr]
    assert fake_github.statuses


def test_findings_per_file_are_capped_with_a_count_of_the_rest(fake_github, run_action):
    sql = "".join(f"ALTER TABLE orders DROP COLUMN c{i};\n" for i in range(400))
    _drop_pull(fake_github, 83, sql)
    run = run_action(fake_github, "pull_request", event(83), extra_env=FAST)
    no_traceback(run)
    assert run.returncode == 1  # fail-on: warning at the base; the verdict saw every finding
    mine = [f for f in report_of(run)["findings"] if f["path"] == "db/migrations/0009_drop.sql"]  # type: ignore[union-attr]
    assert len(mine) == 50
    counted = [ln for ln in run.summary.splitlines() if "more findings in" in ln]
    assert counted and int(counted[0].split("<sub>")[-1].split()[0]) >= 350, counted


def test_security_md_cites_only_tests_that_exist() -> None:
    import re

    root = Path(__file__).resolve().parent
    doc = (root.parent / "docs" / "security.md").read_text(encoding="utf-8")
    cited = set(re.findall(r"\b(test_[a-z0-9_]+)\b(?!\.py)", doc))
    source = "".join(p.read_text(encoding="utf-8") for p in root.glob("test_*.py"))
    assert cited and not sorted(n for n in cited if f"def {n}(" not in source)
