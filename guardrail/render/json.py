"""The JSON report: a stable, versioned contract (docs/json-report.md).

schema_version 2: `title` and `detail` are plain text (the values quoted as written, in
backticks), `values` lists those values exactly, and `markdown` holds the escaped Markdown
rendering for a consumer that posts findings to GitHub itself.
"""

from __future__ import annotations

import json

from guardrail.model import Acknowledged, Finding, Report
from guardrail.render.inline import markdown, plain

SCHEMA_VERSION = 2


def finding(f: Finding) -> dict[str, object]:
    out: dict[str, object] = {
        "check": f.check,
        "rule": f.rule,
        "severity": f.severity.label,
        "path": f.path,
        "line": f.line,
        "title": plain(f.title),
        "detail": plain(f.detail),
        "values": list(f.values),
        "docs_url": f.docs_url,
        # The rules whose findings about the same gap this line took in (engine.fold): a
        # dashboard that counts by rule counts them here, and acknowledging one of them
        # acknowledges this line.
        "folded": list(f.folded),
        "markdown": {"title": markdown(f.title), "detail": markdown(f.detail)},
    }
    if f.observed is not None:
        # What --trace saw PostgreSQL do (docs/json-report.md); the reason is text, not Markdown.
        seen = dict(f.observed)
        if isinstance(seen.get("reason"), str):
            seen["reason"] = plain(str(seen["reason"]))
        out["observed"] = seen
    return out


def acknowledged(a: Acknowledged) -> dict[str, object]:
    """A finding that does not count, as a finding plus who took it out, how and why."""
    return {
        **finding(a.finding),
        "status": a.status,
        "acknowledged": {
            "how": a.how,
            "label": a.label,
            "by": a.by,
            "reason": plain(a.reason),
        },
    }


def document(report: Report) -> dict[str, object]:
    out: dict[str, object] = {
        "schema_version": SCHEMA_VERSION,
        "verdict": report.verdict.value,
        "findings": [finding(f) for f in report.findings],
        "acknowledged": [acknowledged(a) for a in report.acknowledged],
    }
    if report.trace is not None:
        out["trace"] = report.trace.to_json()
    return out


def render(report: Report) -> str:
    return json.dumps(document(report), indent=2, ensure_ascii=False) + "\n"
