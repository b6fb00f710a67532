"""Acknowledging a rule carries to the line that folded it (engine.fold, a Rule's `folds`):
GR512 takes in GR210 about the same column, so an acknowledgement of GR210 is about that line,
in the ways both checks allow."""

from __future__ import annotations

from typing import Any

from guardrail.render.inline import plain
from tests.golden import run

_FILES = [
    {
        "path": "internal/orders/store.go",
        "patch": "@@ -30,2 +30,2 @@\n \tconst q = `INSERT INTO orders (id, total) VALUES ($1, $2)`\n"
        "-\t_, err := s.db.Exec(q, id, total)\n+\t_, err := s.db.ExecContext(ctx, q, id, total)",
    },
    {
        "path": "db/migrations/000009_orders_channel.up.sql",
        "status": "added",
        "patch": "ALTER TABLE orders ADD COLUMN channel text NOT NULL;",
    },
    {
        "path": "db/migrations/000009_orders_channel.down.sql",
        "status": "added",
        "patch": "ALTER TABLE orders DROP COLUMN channel;",
    },
]
_REASON = "orders is created empty by this release's installer and nothing reads it yet"


def _case(body: str, labels: tuple[str, ...] = (), config: Any = None) -> dict[str, Any]:
    case: dict[str, Any] = {"files": _FILES, "body": body, "labels": list(labels)}
    if config is not None:
        case["config"] = config
    return case


def _rules(findings: Any) -> list[str]:
    return sorted(f.rule for f in findings)


def test_without_an_acknowledgement_the_folded_line_stands() -> None:
    report = run(_case("Adds the order channel."))
    folded = [f for f in report.findings if f.rule == "GR512"]
    assert len(folded) == 1 and folded[0].folded == ("GR210",)
    assert "GR210" not in _rules(report.findings)


def test_a_reviewer_label_with_a_reason_naming_gr210_acknowledges_the_gr512_line() -> None:
    body = f"guardrail: acknowledge GR210: {_REASON}"
    report = run(_case(body, ("guardrail:migration-reviewed",)))
    assert "GR512" not in _rules(report.findings)
    (ack,) = [a for a in report.acknowledged if a.finding.rule == "GR512"]
    assert ack.how == "label" and ack.reason == _REASON


def test_the_migration_safety_label_alone_does_not_carry_to_the_deploy_order() -> None:
    # The label's own reason line names the check, not GR210: it says nothing of GR512.
    body = f"guardrail: acknowledge guardrail:migration-reviewed: {_REASON}"
    report = run(_case(body, ("guardrail:migration-reviewed",)))
    assert "GR512" in _rules(report.findings)


def test_the_author_cannot_clear_gr210_through_the_gr512_line() -> None:
    # migration-safety is acknowledged only by a reviewer's label (the default): a ticked line
    # in the description naming GR210 does not clear the line that folded it.
    report = run(_case(f"- [x] guardrail: acknowledge GR210: {_REASON}"))
    assert "GR512" in _rules(report.findings)
    (problem,) = [f for f in report.findings if f.rule == "GR903"]
    assert "migration-safety" in plain(problem.title)


def test_where_both_checks_allow_the_description_it_carries() -> None:
    config = {"acknowledge": {"allow": {"all": ["label", "description"]}}}
    report = run(_case(f"- [x] guardrail: acknowledge GR210: {_REASON}", config=config))
    assert "GR512" not in _rules(report.findings)
    (ack,) = [a for a in report.acknowledged if a.finding.rule == "GR512"]
    assert ack.how == "description"


def test_acknowledging_gr512_itself_still_works() -> None:
    body = f"guardrail: acknowledge GR512: {_REASON}"
    report = run(_case(body, ("guardrail:deploy-order-reviewed",)))
    assert "GR512" not in _rules(report.findings)
