"""The report as SARIF 2.1.0, for GitHub code scanning and other SARIF readers."""

from __future__ import annotations

import hashlib
import json

from guardrail import __version__
from guardrail.model import Report, Severity
from guardrail.render.inline import markdown, plain
from guardrail.rules import QUESTIONS, all_rules

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTICE: "note"}
INFO_URI = "https://github.com/guardrail-action/guardrail"


def render(report: Report) -> str:
    rules = all_rules()
    index = {r.code: i for i, r in enumerate(rules)}
    driver = {
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
    results = []
    for f in report.findings:
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
        if f.path:
            location: dict[str, object] = {
                "artifactLocation": {"uri": f.path, "uriBaseId": "%SRCROOT%"},
            }
            if f.line:
                location["region"] = {"startLine": f.line}
            result["locations"] = [{"physicalLocation": location}]
        results.append(result)
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": driver},
                "originalUriBaseIds": {"%SRCROOT%": {"uri": "file:///"}},
                "results": results,
                "properties": {"verdict": report.verdict.value},
            }
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
