"""What every check receives: the pull request, the configuration and shared, cached analysis."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from guardrail.analysis.isolate import Unreadable
from guardrail.config import Config
from guardrail.model import Answer, BaseTree, ContentReader, Finding, PullRequest

if TYPE_CHECKING:
    from guardrail.checks.risk import Risk


@dataclass
class Context:
    pr: PullRequest
    config: Config
    read: ContentReader | None = None  # base/head file contents, when the source can give them
    source: str = "none"  # where `read` gets base versions: git | api | none
    # Every file of the head tree, and a cheap reader for them (a checkout, not the API).
    tree: Callable[[], list[str]] | None = None
    read_tree: Callable[[str], str | None] | None = None
    # The base branch's tip: its paths and files (migration history), when the source has it.
    base_tree: BaseTree | None = None
    answers: list[Answer] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Filled by the rollback check for later checks: the note's text, when there is a real one.
    rollback_note: str | None = None
    # Files (or checks) that failed to read: reported as GR901 by the engine, never a crash.
    problems: list[Unreadable] = field(default_factory=list)
    # Shared, parsed once per run: migrations read, shapes compared, tests indexed.
    cache: dict[str, object] = field(default_factory=dict)

    @cached_property
    def risk(self) -> Risk:
        from guardrail.checks.risk import assess_risk

        return assess_risk(self.pr, self.config)

    def answered(self, check: str, text: str) -> None:
        self.answers.append(Answer(check, text))


Check = Callable[[Context], Iterable[Finding]]
