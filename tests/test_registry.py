"""Registry, docs and golden cases kept in step: a new rule cannot skip any of the three."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from guardrail import config as cfgmod
from guardrail.errors import ConfigError
from guardrail.model import CheckName
from guardrail.rules import QUESTIONS, all_rules
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


def test_every_rule_is_a_row_of_the_one_table() -> None:
    """No rule is declared where it is judged (`register(Rule(...))`): each is a row of RULES,
    and the code that judges it names it with `by_code`."""
    import guardrail.checks
    import guardrail.trace.judge  # noqa: F401
    from guardrail import rules

    assert set(rules.REGISTRY) == {r.code for r in rules.RULES}
    declared = [
        f"{p.relative_to(ROOT)}"
        for p in (ROOT / "guardrail").rglob("*.py")
        if p != ROOT / "guardrail" / "rules.py"
        and re.search(r"\bRule\(", p.read_text(encoding="utf-8"))
    ]
    assert declared == [], f"declare these rules as rows of RULES in guardrail/rules.py: {declared}"
    assert [r.code for r in rules.RULES] == sorted(r.code for r in rules.RULES)


def test_every_row_of_the_table_is_judged_somewhere() -> None:
    source = "\n".join(
        p.read_text(encoding="utf-8")
        for p in (ROOT / "guardrail").rglob("*.py")
        if p.name != "rules.py" or p.parent.name != "guardrail"
    )
    named = set(re.findall(r'by_code\("(GR\d{3})"\)', source))
    unjudged = sorted(r.code for r in all_rules() if r.code not in named)
    assert unjudged == [], f"rules no code names with by_code(...): {unjudged}"


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
        for section, body in _sections(text):
            assert body.strip(), f"{page}: the section {section!r} is empty"


def _sections(text: str) -> list[tuple[str, str]]:
    """(heading, its text up to the next heading) for every heading of a page."""
    out: list[tuple[str, list[str]]] = []
    fenced = False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        if line.startswith("#") and not fenced:
            out.append((line, []))
        elif out:
            out[-1][1].append(line)
    return [(heading, "\n".join(body)) for heading, body in out]


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


def test_readme_rule_table_is_the_registry() -> None:
    from guardrail.rules import markdown_table

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start, end = "<!-- rules-table:start -->\n", "<!-- rules-table:end -->\n"
    assert start in readme and end in readme, "README lost its rules-table markers"
    table = readme.split(start, 1)[1].split(end, 1)[0]
    assert table == markdown_table(), "run: .venv/bin/python scripts/rules_table.py --write"


def test_docs_pages_state_the_registered_check_and_severity() -> None:
    for rule in all_rules():
        text = (ROOT / rule.docs_path).read_text(encoding="utf-8")
        line = next((ln for ln in text.splitlines() if ln.startswith("**Check:**")), "")
        assert line.startswith(f"**Check:** {rule.check} "), f"{rule.docs_path}: {line!r}"
        severity = line.split("**Default severity:**", 1)[-1].strip()
        assert severity.startswith(rule.default_severity.label), (
            f"{rule.docs_path} says {severity!r}, the registry {rule.default_severity.label}"
        )


def test_no_docs_page_or_golden_file_without_a_rule() -> None:
    codes = {r.code for r in all_rules()}
    pages = {p.stem for p in (ROOT / "docs" / "rules").glob("GR*.md")}
    assert pages <= codes, f"pages for unregistered rules: {sorted(pages - codes)}"
    for path in (ROOT / "tests" / "rules").glob("*.yml"):
        rule = yaml.safe_load(path.read_text(encoding="utf-8"))["rule"]
        assert rule == path.stem and rule in codes, f"{path.name} names {rule}"


def test_configuration_accepts_exactly_the_registered_rules() -> None:
    for rule in all_rules():
        for key in (rule.code, rule.code.lower(), rule.name):
            config = cfgmod.parse({"rules": {key: {"severity": "notice"}}}, "test")
            assert set(config.rules) == {rule.code}
    with pytest.raises(ConfigError, match="unknown rule 'GR000'"):
        cfgmod.parse({"rules": {"GR000": {"enabled": False}}}, "test")


def test_check_names_are_the_questions() -> None:
    assert list(QUESTIONS) == list(CheckName)
    assert {r.check for r in all_rules()} <= set(CheckName)
