"""The files guardrail prefetches are the files its readers read: for every golden case, each
(side, path) the analysis asks for is in `files_to_read`, declared by the readers themselves."""

from __future__ import annotations

from typing import Any

import pytest

from guardrail import engine
from guardrail.analysis.reads import discovered
from guardrail.engine import files_to_read
from tests.golden import build, load_cases

CASES = load_cases()


@pytest.mark.parametrize(
    ("rule", "name", "case"), CASES, ids=[f"{rule}-{name}" for rule, name, _ in CASES]
)
def test_every_read_was_declared(rule: str, name: str, case: dict[str, Any]) -> None:
    pr, config, contents = build(case)
    asked: list[tuple[str, str]] = []

    def read(side: str, path: str) -> str | None:
        asked.append((side, path))
        return contents.get((side, path))

    engine.run(pr, config, read=read, source="git")
    declared = set(files_to_read(pr, config))
    undeclared = [p for p in asked if p not in declared and not discovered(*p)]
    assert not undeclared, f"read but not declared with @wants (or @discovers): {undeclared}"
