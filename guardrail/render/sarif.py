"""The report as SARIF 2.1.0, for GitHub code scanning and other SARIF readers.

Every result has a physical location (file and line): code scanning drops a result without
one. A finding about the pull request as a whole (its description, the analysis) points at
the `anchor` the caller chooses (the PR template when the repository has one, else the first
file the PR changes) at line 1, and says so in its properties. `%SRCROOT%` is the checkout's
root as an absolute `file:` URI (SARIF §3.14.14), so relative paths resolve to real files.
Acknowledged and suppressed findings are results too, with `suppressions` (SARIF §3.27.23):
`inSource` for an inline ignore, `external` for a label or the description, with the reason.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from guardrail import __version__
from guardrail.model import Acknowledged, Finding, Report, Severity
from guardrail.render.inline import markdown, plain
from guardrail.rules import QUESTIONS, all_rules

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTICE: "note"}
INFO_URI = "https://github.com/guardrail-action/guardrail"
DEFAULT_ANCHOR = ".github/guardrail.yml"


def _driver() -> dict[str, object]:
    rules = all_rules()
    return {
        "name": "guardrail",
        "version": __version__,
        "semanticVersion": __version__,
        "informationUri": INFO_URI,
        "rules": [
            {
                "id": r.code,
                "name": r.name,
                "shortDescription": {"text": r.summary},
                "fullDescription": {"text": f"{QUESTIONS.get(r.check, r.check)} {r.summary}"},
                "helpUri": r.docs_url,
                "help": {
                    "text": f"See {r.docs_url}",
                    "markdown": f"[{r.code} {r.name}]({r.docs_url})",
                },
                "defaultConfiguration": {"level": _LEVEL[r.default_severity]},
                "properties": {"tags": ["guardrail", r.check]},
            }
            for r in rules
        ],
    }


def _result(f: Finding, index: dict[str, int], anchor: str) -> dict[str, object]:
    result: dict[str, object] = {
        "ruleId": f.rule,
        "ruleIndex": index.get(f.rule, 0),
        "level": _LEVEL[f.severity],
        "message": {
            "text": plain(f"{f.title} {f.detail}", quote=False),
            "markdown": markdown(f"{f.title} {f.detail}"),
        },
        "partialFingerprints": {
            "guardrail/v1": hashlib.sha256(
                f"{f.rule}|{f.path}|{plain(f.title)}".encode()
            ).hexdigest()
        },
    }
    location: dict[str, object] = {
        "artifactLocation": {"uri": f.path or anchor, "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": f.line if f.path and f.line else 1},
    }
    result["locations"] = [{"physicalLocation": location}]
    if not f.path:
        result["properties"] = {
            "guardrail/scope": "pull-request",
            "guardrail/note": "about the pull request as a whole; shown on this file",
        }
    return result


def _suppressed(a: Acknowledged, index: dict[str, int], anchor: str) -> dict[str, object]:
    result = _result(a.finding, index, anchor)
    suppression: dict[str, object] = {
        "kind": "inSource" if a.how == "inline-ignore" else "external",
        "status": "accepted",
        "justification": plain(a.reason, quote=False),
        "properties": {"guardrail/how": a.how, "guardrail/by": a.by, "guardrail/label": a.label},
    }
    result["suppressions"] = [suppression]
    return result


def render(report: Report, *, root: Path | None = None, anchor: str | None = None) -> str:
    """`root`: the checkout (`%SRCROOT%`); `anchor`: where findings about the whole pull
    request are shown (a path relative to the root)."""
    driver = _driver()
    index = {r.code: i for i, r in enumerate(all_rules())}
    where = anchor or DEFAULT_ANCHOR
    results = [_result(f, index, where) for f in report.findings]
    results += [_suppressed(a, index, where) for a in report.acknowledged]
    base: dict[str, object] = (
        {"uri": root.resolve().as_uri().rstrip("/") + "/"}
        if root is not None
        else {"description": {"text": "the root of the repository's checkout"}}
    )
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": driver},
                "originalUriBaseIds": {"%SRCROOT%": base},
                "results": results,
                "properties": {"verdict": report.verdict.value},
            }
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
