"""Checks are pure: the report is the same whatever order the checks run in.

Every golden case (tests/rules/*.yml) and the two seeds of the snapshot tests run with the
checks in their registered order, reversed, and shuffled; the reports must be equal, field by
field (findings, answers, notes and their order). A check that leaves something for another
check to find in a shared context, or a fact whose side effects land with whichever check
computed it first, fails here.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from guardrail import config as cfgmod
from guardrail import engine
from guardrail.checks import ALL_CHECKS
from guardrail.checks.base import Check
from guardrail.model import Report
from guardrail.sources import local_git
from seeds import seedlib
from tests import golden
from tests.golden import load_cases

CASES = [(rule, name, case) for rule, name, case in load_cases() if not case.get("trace")]

ORDERS: list[tuple[Check, ...]] = [tuple(reversed(ALL_CHECKS))]
for seed in (1, 2):
    shuffled = list(ALL_CHECKS)
    random.Random(seed).shuffle(shuffled)
    ORDERS.append(tuple(shuffled))


def _run(case: dict[str, Any], checks: tuple[Check, ...]) -> Report:
    return golden.run(case, checks=checks)


def test_the_orders_differ() -> None:
    assert all(order != ALL_CHECKS for order in ORDERS)
    assert len(set(ORDERS)) == len(ORDERS)


@pytest.mark.parametrize(
    ("rule", "name", "case"), CASES, ids=[f"{rule}-{name}" for rule, name, _ in CASES]
)
def test_golden_case_report_is_the_same_in_any_check_order(
    rule: str, name: str, case: dict[str, Any]
) -> None:
    expected = _run(case, ALL_CHECKS)
    for order in ORDERS:
        assert _run(case, order) == expected, [c.__name__ for c in order]


@pytest.mark.parametrize("name", ["coupon-required", "ready-to-ship"])
def test_seed_report_is_the_same_in_any_check_order(name: str, tmp_path: Path) -> None:
    seed = seedlib.load(name)
    repo = seedlib.materialize(seed, tmp_path / name)
    pr, read, _ = local_git.load(repo, "main", body=seed.body)
    expected = engine.run(pr, cfgmod.Config(), read=read, source="git")
    assert expected.findings or expected.answers  # the comparison has something to compare
    for order in ORDERS:
        got = engine.run(pr, cfgmod.Config(), read=read, source="git", checks=order)
        assert got == expected, [c.__name__ for c in order]
