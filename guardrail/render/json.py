"""The JSON report, schema_version 1: a stable contract (see docs/json-report.md)."""

from __future__ import annotations

import json

from guardrail.model import Report


def render(report: Report) -> str:
    return json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n"
