"""Real-world regression cases: tests/realworld/*.yml, migrations written the way real projects
wrote them, each with a provenance line (project, commit, licence) or `constructed: why`.

A case lists the findings it expects (`expect`, by rule and line) and the checks or rules that
must say nothing else (`silent`): `silent: [migration-safety]` fails on any other finding of
that check, so a construct read wrongly cannot hide behind the expected ones.

The cases are about reading constructs, not about timeouts: they run as if the deploy set
`lock_timeout` and `statement_timeout` (GR226, GR227) unless their `config` says otherwise.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from guardrail import engine
from guardrail.render.inline import plain
from tests.golden import base_tree, build

DIR = Path(__file__).parent / "realworld"


def _cases() -> list[tuple[str, str, dict[str, Any]]]:
    out = []
    for path in sorted(DIR.glob("*.yml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        for name, case in doc["cases"].items():
            out.append((path.stem, name, case))
    return out


CASES = _cases()


@pytest.mark.parametrize(
    ("group", "name", "case"), CASES, ids=[f"{group}-{name}" for group, name, _ in CASES]
)
def test_realworld_case(group: str, name: str, case: dict[str, Any]) -> None:
    assert case.get("provenance") or case.get("constructed"), "say where the case comes from"
    migrations = (case.get("config") or {}).get("migrations") or {}
    if "lock-timeout" not in migrations and "statement-timeout" not in migrations:
        timeouts = {"lock-timeout": "5s", "statement-timeout": "15min"}
        config_data = dict(case.get("config") or {})
        config_data["migrations"] = {**migrations, **timeouts}
        case = {**case, "config": config_data}
    pr, config, contents = build(case)
    report = engine.run(
        pr,
        config,
        read=lambda side, path: contents.get((side, path)),
        source="git",
        base_tree=base_tree(case, contents),
    )
    expected = case.get("expect", [])
    silent = set(case.get("silent", []))
    watched = silent | {e["rule"] for e in expected}
    got = sorted(
        (f.rule, f.line or 0, f.title)
        for f in report.findings
        if f.rule in watched or f.check in watched
    )
    want = sorted((e["rule"], e.get("line", 0)) for e in expected)
    assert [(r, ln) for r, ln, _ in got] == want, f"{name}: got {got}"
    details = [(f.rule, f.line or 0, plain(f.detail)) for f in report.findings if f.rule in watched]
    for e in expected:
        if "title_contains" in e:
            titles = [t for r, ln, t in got if r == e["rule"] and ln == e.get("line", 0)]
            assert any(e["title_contains"] in plain(t) for t in titles), f"{name}: got {got}"
        if "detail_contains" in e:
            # The advice in the framework's own words (analysis/migrations/detect.py).
            said = [d for r, ln, d in details if r == e["rule"] and ln == e.get("line", 0)]
            assert any(e["detail_contains"] in d for d in said), f"{name}: said {said}"
        if "severity" in e:
            at = [
                f for f in report.findings if (f.rule, f.line or 0) == (e["rule"], e.get("line", 0))
            ]
            assert any(f.severity.label == e["severity"] for f in at), f"{name}: got {got}"
