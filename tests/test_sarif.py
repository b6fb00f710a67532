from __future__ import annotations

import json

import jsonschema

from guardrail import engine
from guardrail.config import Config
from guardrail.model import ChangedFile, PullRequest
from guardrail.render import sarif
from tests.conftest import corpus_dir


def report():  # type: ignore[no-untyped-def]
    patch = "@@ -0,0 +1,2 @@\n+ALTER TABLE orders ADD COLUMN c text NOT NULL;\n+CREATE INDEX ix ON orders (c);"
    pr = PullRequest(
        body="", files=(ChangedFile("db/migrations/0002 x.sql", "added", None, 2, 0, patch),)
    )
    return engine.run(pr, Config())


def test_sarif_is_valid_against_the_2_1_0_schema() -> None:
    schema = json.loads((corpus_dir("sarif") / "sarif-schema-2.1.0.json").read_text())
    doc = json.loads(sarif.render(report()))
    jsonschema.validate(doc, schema)


def test_sarif_content() -> None:
    doc = json.loads(sarif.render(report()))
    run = doc["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert rules["GR210"]["helpUri"].endswith("/rules/GR210.md")
    located = [r for r in run["results"] if r.get("locations")]
    assert located == run["results"]  # code scanning drops a result without a location
    gr210 = [r for r in located if r["ruleId"] == "GR210" and r["level"] == "error"]
    assert gr210
    loc = gr210[0]["locations"][0]["physicalLocation"]
    assert (
        loc["artifactLocation"]["uri"] == "db/migrations/0002 x.sql"
        and loc["region"]["startLine"] >= 1
    )
    assert all(
        run["tool"]["driver"]["rules"][r["ruleIndex"]]["id"] == r["ruleId"] for r in run["results"]
    )
