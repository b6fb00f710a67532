"""The JSON report is the contract docs/json-report.md describes: the same schema_version, and
every field of a finding documented (and nothing documented that is not there)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from guardrail.model import Finding, Report, Severity, Verdict
from guardrail.render import json as render_json
from guardrail.text import code

DOC = (Path(__file__).resolve().parent.parent / "docs" / "json-report.md").read_text("utf-8")


def _report() -> Report:
    f = Finding(
        "migration-safety",
        "GR212",
        Severity.ERROR,
        f"Drops {code('orders.coupon')}.",
        f"The column {code('coupon')} (`x`) goes.",
        path="db/1.sql",
        line=3,
    )
    return Report((f,), Verdict.FAIL, "error")


def test_schema_version_is_the_documented_one() -> None:
    data = json.loads(render_json.render(_report()))
    assert data["schema_version"] == render_json.SCHEMA_VERSION
    assert f"# The JSON report (schema_version {render_json.SCHEMA_VERSION})" in DOC
    assert f"- **{render_json.SCHEMA_VERSION}**" in DOC  # what changed, under Versions


def test_every_finding_field_is_documented() -> None:
    finding = json.loads(render_json.render(_report()))["findings"][0]
    documented = set(re.findall(r"^\| `findings\[\]\.([a-z_]+)[.`]", DOC, re.M)) - {"observed"}
    assert set(finding) == documented


def test_title_and_detail_are_plain_text_and_values_exact() -> None:
    finding = json.loads(render_json.render(_report()))["findings"][0]
    assert finding["title"] == "Drops `orders.coupon`."
    assert finding["detail"] == "The column `coupon` (`x`) goes."
    assert finding["values"] == ["orders.coupon", "coupon"]
    assert finding["markdown"]["detail"] == "The column `coupon` \\(`x`\\) goes."


def test_the_rules_a_line_took_in_are_listed() -> None:
    """A line that folded other rules' findings about the same gap says which: a dashboard
    counting by rule would otherwise miss them (they are not listed again)."""
    plain_one = json.loads(render_json.render(_report()))["findings"][0]
    assert plain_one["folded"] == []
    base = _report().findings[0]
    f = Finding(base.check, base.rule, base.severity, base.title, base.detail, folded=("GR210",))
    data = json.loads(render_json.render(Report((f,), Verdict.FAIL, "error")))
    assert data["findings"][0]["folded"] == ["GR210"]
