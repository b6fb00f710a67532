"""Every golden case in tests/rules/*.yml: `pytest -k GR101` selects one rule."""

from __future__ import annotations

from typing import Any

import pytest

from guardrail.render.inline import plain
from tests.golden import build, load_cases, run

CASES = load_cases()


@pytest.mark.parametrize(
    ("rule", "name", "case"), CASES, ids=[f"{rule}-{name}" for rule, name, _ in CASES]
)
def test_golden_case(
    rule: str, name: str, case: dict[str, Any], request: pytest.FixtureRequest
) -> None:
    pr, config, contents = build(case)
    trace = None
    if case.get("trace"):
        # A --trace case: the base files are the base branch's tree, run on the session's server.
        from guardrail.trace import plan, runner

        server = request.getfixturevalue("embedded_pg")
        base_paths = [path for side, path in contents if side == "base"]
        planned = plan.build(pr, lambda side, path: contents.get((side, path)), base_paths)
        trace = runner.run(server, planned)
    report = run(case, (pr, config, contents), trace=trace)
    expected = case["expect"]
    crashed = [
        plain(f.detail) for f in report.findings if plain(f.title).startswith("guardrail could not")
    ]
    assert not crashed or "GR901" in {e["rule"] for e in expected}, f"a reader failed: {crashed}"
    # `watch:` names other rules the case holds to its list (a gap folded into another rule's
    # line must not come back as a second line).
    watched = {rule} | {e["rule"] for e in expected} | set(case.get("watch", ()))
    got = [f for f in report.findings if f.rule in watched]
    summary = [(f.rule, f.severity.label, f.path, f.line, plain(f.title)) for f in got]
    assert len(got) == len(expected), f"{name}: got {summary}"
    for finding, want in zip(got, expected, strict=True):
        assert finding.rule == want["rule"], summary
        if "severity" in want:
            assert finding.severity.label == want["severity"], summary
        if "path" in want:
            assert finding.path == want["path"], summary
        if "line" in want:
            assert finding.line == want["line"], summary
        if "title_contains" in want:
            # Compared with the plain form: quoted values in backticks, no markers.
            assert want["title_contains"] in plain(finding.title), summary
        if "detail_contains" in want:
            assert want["detail_contains"] in plain(finding.detail), summary
        if "title_lacks" in want:
            assert want["title_lacks"] not in plain(finding.title), summary
        if "detail_lacks" in want:
            assert want["detail_lacks"] not in plain(finding.detail), summary
        assert finding.detail.strip(), "every finding says why it matters"
