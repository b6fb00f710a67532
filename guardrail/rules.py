"""The rule registry: every rule's code, name, question and default severity, in one place.

Codes are never reused. Families: 1xx rollback, 2xx migrations, 3xx data shapes, 9xx meta.
"""

from __future__ import annotations

from dataclasses import dataclass

from guardrail import docs_base
from guardrail.model import Finding, Severity
from guardrail.text import cap

# Every finding's text is capped where it is made, so no value can make a report unpostable.
TITLE_LIMIT = 300
DETAIL_LIMIT = 1_500

# The questions guardrail asks, one per check, in the order the comment shows them.
QUESTIONS: dict[str, str] = {
    "rollback-note": "Can we roll this back?",
    "migration-plan": "How does the migration ship?",
    "migration-safety": "Is the migration safe to run?",
    "migration-integrity": "Does the migration history still hold after the merge?",
    "deploy-order": "Does the old version keep working during the deploy and after a rollback?",
    "legacy-data-tests": "Do the tests include old data?",
    "smaller-releases": "Could this ship in smaller steps?",
    "observability": "If this goes wrong, how will we know?",
    "feature-flag": "Can we turn it off?",
    "analysis": "Did guardrail see the whole change?",
}


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    check: str
    summary: str
    default_severity: Severity

    @property
    def docs_url(self) -> str:
        return f"{docs_base()}/rules/{self.code}.md"

    def finding(
        self,
        title: str,
        detail: str,
        *,
        severity: Severity | None = None,
        path: str | None = None,
        line: int | None = None,
        template: str | None = None,
        template_lang: str = "markdown",
    ) -> Finding:
        return Finding(
            check=self.check,
            rule=self.code,
            severity=self.default_severity if severity is None else severity,
            title=cap(title, TITLE_LIMIT),
            detail=cap(detail, DETAIL_LIMIT),
            path=path,
            line=line,
            template=template,
            template_lang=template_lang,
            docs_url=self.docs_url,
        )


REGISTRY: dict[str, Rule] = {}


def register(rule: Rule) -> Rule:
    if rule.code in REGISTRY:
        raise ValueError(f"rule code {rule.code} registered twice")
    REGISTRY[rule.code] = rule
    return rule


def resolve(key: str) -> str | None:
    """A rule code from a code (`GR101`, any case) or a name (`missing-rollback-note`)."""
    _ensure_loaded()
    upper = key.strip().upper()
    if upper in REGISTRY:
        return upper
    for rule in REGISTRY.values():
        if rule.name == key.strip().lower():
            return rule.code
    return None


def _ensure_loaded() -> None:
    import guardrail.checks  # noqa: F401  (registers every rule)


def all_rules() -> list[Rule]:
    _ensure_loaded()
    return sorted(REGISTRY.values(), key=lambda r: r.code)
