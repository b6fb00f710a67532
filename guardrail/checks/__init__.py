"""Every check, registered explicitly (importing a module never registers as a side effect
elsewhere): a check is a pure function of the Analysis that yields Findings."""

from __future__ import annotations

from guardrail.checks import (
    acknowledge,
    config_change,
    contract,
    deploy_order,
    drift,
    integrity,
    legacy,
    meta,
    migrations,
    questions,
    rollback,
)
from guardrail.checks.base import Check

ALL_CHECKS: tuple[Check, ...] = (
    *rollback.CHECKS,
    *migrations.CHECKS,
    *integrity.CHECKS,
    *drift.CHECKS,
    *deploy_order.CHECKS,
    *legacy.CHECKS,
    *contract.CHECKS,
    *questions.CHECKS,
    *config_change.CHECKS,
    *meta.CHECKS,
)

__all__ = ["ALL_CHECKS", "acknowledge"]
