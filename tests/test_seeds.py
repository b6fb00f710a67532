"""The seeds say what they are for: the story fails on all three questions, the careful PR and
the docs-only PR pass, the placeholder rollback note is caught."""

from __future__ import annotations

from pathlib import Path

import pytest

from guardrail import config as cfgmod
from guardrail import engine
from guardrail.sources import local_git
from seeds import seedlib

EXPECT = {
    "coupon-required": ("fail", {"GR101", "GR201", "GR211", "GR301"}),
    "ready-to-ship": ("pass", set()),
    "docs-only": ("pass", set()),
    "placeholder-rollback": ("fail", {"GR102"}),
}


@pytest.mark.parametrize("name", sorted(EXPECT))
def test_seed(name: str, tmp_path: Path) -> None:
    assert set(seedlib.names()) == set(EXPECT), "every seed has an expectation here"
    seed = seedlib.load(name)
    repo = seedlib.materialize(seed, tmp_path / name)
    pr, read, _ = local_git.load(repo, "main", body=seed.body)
    report = engine.run(pr, cfgmod.Config(), read=read, source="git")
    verdict, rules = EXPECT[name]
    assert report.verdict == verdict, [(f.rule, f.title) for f in report.findings]
    serious = {f.rule for f in report.findings if f.severity.label != "notice"}
    assert rules <= serious, serious
    if verdict == "pass":
        assert not serious
