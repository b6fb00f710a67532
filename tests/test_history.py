"""Migration history from both sources: locally the tip of --base (not the merge base), in the
action the base commit's migration folder listed in the one GraphQL prefetch."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from guardrail.analysis import history as H
from tests.conftest import console_script
from tests.fakegithub import FakeGitHub, file_entry
from tests.gitrepo import git, make_repo

PARENT = "from django.db import migrations\nclass Migration(migrations.Migration):\n    dependencies = [('shop', '0004_x')]\n    operations = []\n"


BASE_SHA, HEAD_SHA = "2" * 40, "1" * 40


def _pull_adding(fake_github: FakeGitHub, number: int, path: str, text: str) -> None:
    """A pull request that adds one file (its whole text as the patch), at BASE_SHA..HEAD_SHA."""
    lines = text.splitlines()
    fake_github.add_pull(
        number,
        body="x",
        head_sha=HEAD_SHA,
        base_sha=BASE_SHA,
        files=[
            file_entry(
                path,
                f"@@ -0,0 +1,{len(lines)} @@\n" + "".join(f"+{ln}\n" for ln in lines),
                "added",
            )
        ],
    )


def test_local_run_judges_the_tip_of_base_not_the_merge_base(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "r",
        {"shop/migrations/0004_x.py": PARENT.replace("0004_x", "0003_y")},
        {"shop/migrations/0005_coupon.py": PARENT},
    )
    git(repo, "checkout", "-q", "main")
    (repo / "shop/migrations/0005_note.py").write_text(PARENT)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "another PR landed")
    git(repo, "checkout", "-q", "feature")
    proc = subprocess.run(
        [console_script(), "check", "--base", "main", "--body", "-", "--format", "json"],
        cwd=repo,
        capture_output=True,
        text=True,
        input="x",
        env={"PATH": "/usr/bin:/bin", "HOME": str(repo)},
    )
    rules = {f["rule"]: f for f in json.loads(proc.stdout)["findings"]}
    assert "GR501" in rules, proc.stdout + proc.stderr
    assert rules["GR501"]["check"] == "migration-integrity"
    assert "0005_note" in rules["GR501"]["title"]


def test_action_lists_the_folder_in_the_prefetch_and_reads_django_files_in_one_request(
    fake_github: FakeGitHub, run_action
) -> None:
    base = BASE_SHA
    _pull_adding(fake_github, 7, "shop/migrations/0005_coupon.py", PARENT)
    fake_github.contents[(base, "shop/migrations/0004_x.py")] = PARENT.replace("0004_x", "0003_y")
    fake_github.contents[(base, "shop/migrations/0005_note.py")] = PARENT
    run = run_action(fake_github, "pull_request", {"pull_request": {"number": 7}})
    report = json.loads((run.workspace / "guardrail-report.json").read_text())
    assert "GR501" in {f["rule"] for f in report["findings"]}, run.stdout
    graphql = [r.body.get("variables", {}) for r in fake_github.requests("POST", "graphql")]
    prefetch = [v for v in graphql if "t0" in v]
    assert len(prefetch) == 1 and prefetch[0]["t0"] == f"{base}:shop/migrations"
    assert len([v for v in graphql if "number" not in v]) == 1  # the Django files, at once
    assert not fake_github.requests("GET", "/git/trees")


def test_versions_from_names() -> None:
    assert H.version("flyway", "db/migration/V1_2__x.sql") == (1, 2)
    assert H.version("flyway", "db/migration/U1_2__x.sql") is None
    assert H.version("flyway", "db/migration/R__views.sql") is None
    assert H.version("golang-migrate", "m/000007_x.down.sql") == (7,)
    assert H.version("efcore", "Migrations/20240101120000_Add.Designer.cs") is None
    assert H.version("rails", "db/migrate/20240101120000_add.rb") == (20240101120000,)
    assert H.version_root("flyway", "src/db/migration/v2/V3__x.sql") == "src/db/migration"


def test_squash_stands_for_what_it_replaces() -> None:
    def m(name: str, deps: list[str], replaces: tuple[str, ...] = ()) -> H.DjangoMigration:
        return H.DjangoMigration(
            "shop",
            name,
            f"shop/migrations/{name}.py",
            tuple(("shop", d) for d in deps),
            tuple(("shop", r) for r in replaces),
        )

    graph = [
        m("0001_a", []),
        m("0002_b", ["0001_a"]),
        m("0001_squashed_0002_b", [], ("0001_a", "0002_b")),
        m("0003_c", ["0002_b"]),
    ]
    assert [leaf.name for leaf in H.django_leaves(graph, "shop")] == ["0003_c"]


def test_flyway_sub_folder_also_lists_its_location() -> None:
    from guardrail.analysis.history import history_folders
    from guardrail.config import Config
    from guardrail.model import ChangedFile, PullRequest

    pr = PullRequest(files=(ChangedFile("db/migration/v2/V3__x.sql", "added"),))
    assert history_folders(pr, Config()) == ["db/migration/v2", "db/migration"]


def test_action_lists_a_flyway_location_with_its_sub_folders_in_the_prefetch(
    fake_github: FakeGitHub, run_action
) -> None:
    """No checkout: a version in a sibling sub-folder of the location is seen, from the one
    GraphQL request's listing (sub-trees included for the location's root)."""
    base = BASE_SHA
    _pull_adding(fake_github, 8, "db/migration/V2__c.sql", "ALTER TABLE t ADD COLUMN c int;")
    fake_github.contents[(base, "db/migration/V1__a.sql")] = "CREATE TABLE t (id int);"
    fake_github.contents[(base, "db/migration/sub/V2__b.sql")] = "ALTER TABLE t ADD b int;"
    run = run_action(fake_github, "pull_request", {"pull_request": {"number": 8}})
    report = json.loads((run.workspace / "guardrail-report.json").read_text())
    found = [f for f in report["findings"] if f["rule"] == "GR503"]
    assert found and "sub/V2__b.sql" in found[0]["title"], run.stdout
    prefetch = [
        r.body for r in fake_github.requests("POST", "graphql") if "t0" in r.body["variables"]
    ]
    assert len(prefetch) == 1 and "object { ... on Tree { entries" in prefetch[0]["query"]
    assert not fake_github.requests("GET", "/git/trees")
    from tests.fakegithub import schema_errors

    assert not schema_errors(prefetch[0]["query"])  # the nested listing is a query GitHub takes


def test_action_sees_goose_go_migrations_without_a_checkout(
    fake_github: FakeGitHub, run_action
) -> None:
    base = BASE_SHA
    go = 'package main\n\nimport "github.com/pressly/goose/v3"\n\nfunc init() {\n\tgoose.AddMigrationContext(Up00003, Down00003)\n}\n'
    _pull_adding(fake_github, 9, "db/migrations/00003_add_email.go", go)
    fake_github.contents[(base, "db/migrations/00003_add_user_no_tx.go")] = go
    run = run_action(fake_github, "pull_request", {"pull_request": {"number": 9}})
    report = json.loads((run.workspace / "guardrail-report.json").read_text())
    rules = {f["rule"] for f in report["findings"]}
    assert "GR503" in rules and "GR290" in rules, run.stdout


def test_django_run_before_makes_the_migration_a_parent() -> None:
    """`run_before = [("shop", "0003_drop")]` puts the backfill before the drop, as if the drop
    listed it in its dependencies: the backfill is not a second leaf."""
    backfill = """from django.db import migrations
class Migration(migrations.Migration):
    dependencies = [("shop", "0002_b")]
    run_before = [("shop", "0003_drop"), ("other", "0001_initial")]
    operations = []
"""
    drop = """from django.db import migrations
class Migration(migrations.Migration):
    dependencies = [("shop", "0002_b")]
    operations = []
"""
    a = H.read_django("shop/migrations/0003_backfill.py", backfill)
    b = H.read_django("shop/migrations/0003_drop.py", drop)
    assert a is not None and b is not None
    assert a.run_before == (("shop", "0003_drop"), ("other", "0001_initial"))
    assert [leaf.name for leaf in H.django_leaves([a, b], "shop")] == ["0003_drop"]
    # Without the drop in the graph, run_before names nothing of the app: both are judged alone.
    assert [leaf.name for leaf in H.django_leaves([a], "shop")] == ["0003_backfill"]
