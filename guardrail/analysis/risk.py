"""How risky is this change? Risk decides if a missing rollback note is an error or a notice."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from guardrail.analysis.paths import matches
from guardrail.config import Config
from guardrail.model import PullRequest
from guardrail.text import code


@dataclass(frozen=True)
class Risk:
    level: str  # none | low | high
    reasons: tuple[str, ...]  # in words, for the comment: "changes a migration (db/0002.sql)"
    migrations: tuple[str, ...] = ()
    data_contracts: tuple[str, ...] = ()
    infra: tuple[str, ...] = ()

    @property
    def high(self) -> bool:
        return self.level == "high"


def _example(paths: list[str]) -> str:
    shown = ", ".join(code(p) for p in paths[:2])
    more = len(paths) - 2
    return shown + (f" and {more} more" if more > 0 else "")


def is_migration_path(path: str, config: Config) -> bool:
    from guardrail.analysis.migrations.detect import detect

    config_include, config_exclude = config.migration_include, config.migration_exclude
    return detect(path, include=config_include, exclude=config_exclude) is not None


def assess_risk(
    pr: PullRequest, config: Config, cosmetic: Callable[[], frozenset[str]] | None = None
) -> Risk:
    """`cosmetic()` names the migrations the PR edits without changing any operation
    (comments, formatting, ORM-only arguments: compare.py); asked only when the PR touches a
    migration. Such an edit changes nothing a rollback must undo, so it alone is no risk."""
    rc = config.risk
    migrations: list[str] = []
    contracts: list[str] = []
    infra: list[str] = []
    non_docs = 0
    for f in pr.files:
        for path in {f.path, f.previous_path or f.path}:
            if is_migration_path(path, config):
                migrations.append(f.path)
                break
        else:
            if matches(f.path, rc.data_contracts):
                contracts.append(f.path)
            elif matches(f.path, rc.infra):
                infra.append(f.path)
        if not matches(f.path, rc.docs):
            non_docs += 1
    reasons: list[str] = []
    unchanged = cosmetic() if migrations and cosmetic is not None else frozenset()
    doing = [p for p in migrations if p not in unchanged]
    if doing:
        reasons.append(f"changes a database migration ({_example(doing)})")
    if contracts:
        reasons.append(f"changes a data model or schema ({_example(contracts)})")
    if infra:
        reasons.append(f"changes deploy or infrastructure configuration ({_example(infra)})")
    lines = pr.lines_changed
    nfiles = max(len(pr.files), pr.changed_files or 0)
    if lines >= rc.large_pr_lines or nfiles >= rc.large_pr_files:
        reasons.append(f"is large ({nfiles} files, {lines} changed lines)")
    if reasons:
        level = "high"
    elif non_docs == 0 and pr.files_unseen == 0:
        level = "none"  # docs only (or nothing at all): nothing to roll back
    else:
        level = "low"
    return Risk(level, tuple(reasons), tuple(migrations), tuple(contracts), tuple(infra))
