"""The JSON report, schema_version 1: a stable contract (see docs/json-report.md)."""

from __future__ import annotations

import json

from guardrail.model import Finding, Report
from guardrail.render.inline import markdown, plain


def finding(f: Finding) -> dict[str, object]:
    return {
        "check": f.check,
        "rule": f.rule,
        "severity": f.severity.label,
        "path": f.path,
        "line": f.line,
        "title": markdown(f.title),
        "detail": markdown(f.detail),
        "title_text": plain(f.title),
        "detail_text": plain(f.detail),
    }


def document(report: Report) -> dict[str, object]:
    return {
        "schema_version": 1,
        "verdict": report.verdict.value,
        "findings": [finding(f) for f in report.findings],
    }


def render(report: Report) -> str:
    return json.dumps(document(report), indent=2, ensure_ascii=False) + "\n"
