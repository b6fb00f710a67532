"""The JSON report, schema_version 1: a stable contract (see docs/json-report.md)."""

from __future__ import annotations

import json

from guardrail.model import Finding, Report
from guardrail.render.inline import markdown, plain


def finding(f: Finding) -> dict[str, object]:
    out: dict[str, object] = {
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
    if f.observed is not None:
        # What --trace saw PostgreSQL do (docs/json-report.md); the reason is text, not Markdown.
        seen = dict(f.observed)
        if isinstance(seen.get("reason"), str):
            seen["reason"] = plain(str(seen["reason"]))
        out["observed"] = seen
    return out


def document(report: Report) -> dict[str, object]:
    out: dict[str, object] = {
        "schema_version": 1,
        "verdict": report.verdict.value,
        "findings": [finding(f) for f in report.findings],
    }
    if report.trace is not None:
        out["trace"] = report.trace.to_json()
    return out


def render(report: Report) -> str:
    return json.dumps(document(report), indent=2, ensure_ascii=False) + "\n"
