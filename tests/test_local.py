"""`guardrail check` on a local checkout, as a developer runs it before pushing."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from guardrail.sources import local_git
from tests.conftest import console_script
from tests.gitrepo import git, make_repo

MIGRATION = "SET lock_timeout = '5s';\nALTER TABLE orders ADD COLUMN coupon text;\n"


def check(repo: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [console_script(), "check", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        input=stdin,
        env={"PATH": "/usr/bin:/bin", "HOME": str(repo)},
    )


def test_json_on_stdout_only_and_exit_1(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "r", {"app.py": "x\n"}, {"db/migrations/0002_coupon.sql": MIGRATION}
    )
    proc = check(repo, "--base", "main", "--body", "-", "--format", "json", stdin="Adds coupons.")
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    assert data["schema_version"] == 2 and data["verdict"] == "fail"
    assert data["findings"][0]["rule"] == "GR101"
    assert set(data["findings"][0]) == {
        "check",
        "rule",
        "severity",
        "path",
        "line",
        "title",
        "detail",
        "values",
        "docs_url",
        "folded",
        "markdown",
    }
    first = data["findings"][0]
    assert set(first["markdown"]) == {"title", "detail"}
    # Plain text: the path as written, in backticks, not escaped; the Markdown form escapes.
    assert "(`db/migrations/0002_coupon.sql`)" in first["detail"], first["detail"]
    assert "\\(" in first["markdown"]["detail"], first["markdown"]["detail"]
    assert first["values"] == ["db/migrations/0002_coupon.sql"]


def test_good_body_file_passes(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "r", {"app.py": "x\n"}, {"db/migrations/0002_coupon.sql": MIGRATION}
    )
    body = tmp_path / "body.md"
    body.write_text(
        "## Migration plan\nRuns before the deploy; existing rows stay NULL; undo: drop the column.\n\n"
        "## Rollback plan\nRevert; the column is nullable.\n"
    )
    proc = check(repo, "--base", "main", "--body", str(body))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ready to ship" in proc.stdout


def test_commit_messages_stand_in_for_the_body(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "r",
        {"app.py": "x\n"},
        {"db/migrations/0002_coupon.sql": MIGRATION},
        message="Add coupons\n\nRollback: revert; nothing reads the column yet.\n\n"
        "Migration plan: runs before the deploy; existing rows stay NULL; undo drops the column.",
    )
    proc = check(repo, "--base", "main")
    assert proc.returncode == 0, proc.stdout
    assert "commit messages" in proc.stderr


def test_merge_base_not_the_tip_of_base(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"app.py": "x\n"}, {"app.py": "y\n"})
    git(repo, "checkout", "-q", "main")
    (repo / "db").mkdir()
    (repo / "db" / "migrations").mkdir()
    (repo / "db" / "migrations" / "9.sql").write_text(MIGRATION)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "main moved on")
    git(repo, "checkout", "-q", "feature")
    pr, _, _ = local_git.load(repo, "main", body="")
    assert [f.path for f in pr.files] == ["app.py"]  # main's own migration is not this change


def test_odd_file_names_renames_deletes_and_binaries(tmp_path: Path) -> None:
    base = {"old name.py": "a\n" * 20, "gone.txt": "bye\n", "keep.py": "k\n"}
    head = {
        "old name.py": None,
        "new, näme: x.py": "a\n" * 20 + "b\n",
        "gone.txt": None,
        "img.bin": None,
    }
    repo = make_repo(tmp_path / "r", base, head)
    (repo / "img.bin").write_bytes(b"\x00\x01\xff" * 100)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "binary")
    pr, read, _ = local_git.load(repo, "main", body="")
    by_path = {f.path: f for f in pr.files}
    renamed = by_path["new, näme: x.py"]
    assert renamed.status == "renamed" and renamed.previous_path == "old name.py"
    assert renamed.patch and "+b" in renamed.patch
    assert by_path["gone.txt"].status == "removed"
    assert by_path["img.bin"].binary and by_path["img.bin"].patch is None
    assert read("base", "old name.py") == "a\n" * 20
    assert read("head", "gone.txt") is None


def test_unknown_base_is_exit_2_with_a_fix(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"a": "1"}, {"a": "2"})
    proc = check(repo, "--base", "origin/nope")
    assert proc.returncode == 2
    assert "unknown git ref 'origin/nope'" in proc.stderr and "git fetch" in proc.stderr


def test_outside_a_checkout_is_exit_2(tmp_path: Path) -> None:
    proc = check(tmp_path, "--base", "main")
    assert proc.returncode == 2 and "not inside a git checkout" in proc.stderr


def test_bad_config_is_exit_2(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {".github/guardrail.yml": "fail-on: maybe\n"}, {"a": "2"})
    proc = check(repo, "--base", "main")
    assert (
        proc.returncode == 2 and "fail-on" in proc.stderr and ".github/guardrail.yml" in proc.stderr
    )


def test_version_and_usage() -> None:
    out = subprocess.run([console_script(), "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("guardrail ")
    none = subprocess.run([console_script()], capture_output=True, text=True)
    assert none.returncode == 2


def test_markdown_output_in_actions_cannot_issue_commands(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"app.py": "x\n"}, {"db/migrations/::error::x.sql": MIGRATION})
    proc = subprocess.run(
        [console_script(), "check", "--base", "main", "--body", "-"],
        cwd=repo,
        capture_output=True,
        text=True,
        input="## Rollback\n::add-mask::secret\n",
        env={"PATH": "/usr/bin:/bin", "GITHUB_ACTIONS": "true"},
    )
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("::stop-commands::")
    token = lines[0].split("::")[2]
    assert lines[-1] == f"::{token}::"


def test_a_change_to_the_config_does_not_apply_to_itself(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "r",
        {".github/guardrail.yml": "fail-on: error\n"},
        {".github/guardrail.yml": "fail-on: never\n", "db/migrations/0002.sql": MIGRATION},
    )
    proc = check(repo, "--base", "main", "--body", "-", stdin="No notes.")
    assert proc.returncode == 1  # the base commit's fail-on: error still applies
    assert "judged by the base commit's configuration" in proc.stderr


def test_base_defaults_to_main(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "r", {"app.py": "x\n"}, {"db/migrations/0002_coupon.sql": MIGRATION}
    )
    proc = check(repo, "--body", "-", "--format", "json", stdin="No notes.")
    assert proc.returncode == 1, proc.stderr
    assert json.loads(proc.stdout)["findings"][0]["rule"] == "GR101"


def test_a_pipe_closed_early_exits_quietly(tmp_path: Path) -> None:
    """`guardrail check | head -1`: the reader goes away; no traceback, the verdict's exit code."""
    repo = make_repo(
        tmp_path / "r", {"app.py": "x\n"}, {"db/migrations/0002_coupon.sql": MIGRATION}
    )
    (repo / "body.md").write_text("Adds coupons.")
    for fmt in ("markdown", "json"):
        proc = subprocess.Popen(
            [console_script(), "check", "--base", "main", "--body", "body.md", "--format", fmt],
            cwd=repo,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={"PATH": "/usr/bin:/bin", "HOME": str(repo)},
        )
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.close()  # like `head` after its line, before guardrail writes
        err = proc.stderr.read().decode()
        assert proc.wait(timeout=60) == 1, err
        assert "Traceback" not in err and "BrokenPipe" not in err and "Exception ignored" not in err
