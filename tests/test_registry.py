"""Registry, docs and golden cases kept in step: a new rule cannot skip any of the three."""

from __future__ import annotations

import re
from pathlib import Path

from guardrail.rules import all_rules
from tests.golden import load_cases

ROOT = Path(__file__).resolve().parent.parent
HEADINGS = (
    "## What it flags",
    "## Why it matters",
    "## Example (flagged)",
    "## Fix",
    "## Configuration",
    "## Since",
)


def test_codes_are_well_formed_and_unique() -> None:
    rules = all_rules()
    assert len({r.code for r in rules}) == len(rules)
    assert len({r.name for r in rules}) == len(rules)
    for rule in rules:
        assert re.fullmatch(r"GR\d{3}", rule.code), rule.code
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name), rule.name


def test_every_rule_has_a_docs_page_with_the_fixed_headings() -> None:
    for rule in all_rules():
        page = ROOT / "docs" / "rules" / f"{rule.code}.md"
        assert page.is_file(), f"{rule.code} has no docs page: create docs/rules/{rule.code}.md"
        text = page.read_text(encoding="utf-8")
        assert text.startswith(f"# {rule.code} {rule.name}"), (
            f"{page} must start with '# {rule.code} {rule.name}'"
        )
        for heading in HEADINGS:
            assert heading in text, f"{page} lacks the heading {heading!r}"


def test_every_rule_has_passing_and_failing_golden_cases() -> None:
    cases = load_cases()
    for rule in all_rules():
        mine = [c for r, _, c in cases if r == rule.code]
        assert mine, f"{rule.code} has no golden cases: create tests/rules/{rule.code}.yml"
        failing = [c for c in mine if any(e["rule"] == rule.code for e in c["expect"])]
        passing = [c for c in mine if not any(e["rule"] == rule.code for e in c["expect"])]
        assert failing, f"{rule.code} has no case that it flags"
        assert passing, f"{rule.code} has no case that it leaves alone"


def test_readme_lists_every_rule_with_its_docs_link() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for rule in all_rules():
        assert f"[{rule.code}](docs/rules/{rule.code}.md)" in readme, f"README lacks {rule.code}"
        assert rule.name in readme
