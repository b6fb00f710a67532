"""The template guardrail prints is one guardrail recognises: filled in, it passes; left as it
is, it does not."""

from __future__ import annotations

import subprocess
from pathlib import Path

from guardrail import config as cfgmod
from guardrail import engine, template
from guardrail.model import ChangedFile, PullRequest
from tests.conftest import console_script

PATCH = "@@ -0,0 +1,2 @@\n+SET lock_timeout = '5s';\n+ALTER TABLE orders ADD COLUMN note text;"


def pr(body: str) -> PullRequest:
    return PullRequest(
        body=body, files=(ChangedFile("db/migrations/0002.sql", "added", None, 1, 0, PATCH),)
    )


def fill(text: str) -> str:
    answers = iter(
        [
            "revert and redeploy v1.4",
            "none: the column is new and nullable",
            "the migration runs before the deploy",
            "existing rows keep NULL; nothing to backfill",
            "a brief ACCESS EXCLUSIVE lock for adding a nullable column",
            "the down migration drops the column",
            "tests/test_orders.py::test_legacy_order",
            "the checkout error-rate alert",
        ]
    )
    return "\n".join(
        ln.replace("…", next(answers)) if "…" in ln else ln for ln in text.splitlines()
    )


def test_filled_template_passes_and_empty_template_does_not() -> None:
    text = template.render(cfgmod.Config())
    empty = engine.run(pr(text), cfgmod.Config())
    assert {f.rule for f in empty.findings} >= {"GR102", "GR201"}
    filled = engine.run(pr(fill(text)), cfgmod.Config())
    assert not [f for f in filled.findings if f.check in ("rollback-note", "migration-plan")], (
        filled.findings
    )
    assert filled.verdict == "pass"


def test_template_follows_the_configured_headings() -> None:
    config = cfgmod.parse({"rollback": {"headings": ["back-out plan"]}}, "test")
    assert "## Back-out plan" in template.render(config)


def test_cli_writes_and_refuses_to_overwrite(tmp_path: Path) -> None:
    out = subprocess.run(
        [console_script(), "template", "--write"], cwd=tmp_path, capture_output=True, text=True
    )
    assert out.returncode == 0
    written = tmp_path / ".github" / "pull_request_template.md"
    assert written.read_text().startswith("## What this changes")
    again = subprocess.run(
        [console_script(), "template", "--write"], cwd=tmp_path, capture_output=True, text=True
    )
    assert again.returncode == 2 and "--force" in again.stderr
