"""The Analysis: everything guardrail knows about one pull request, read once, before and for
every check.

It holds the sources (the PR, the configuration, the readers of file contents at each side)
and the facts derived from them: the risk, the rollback note, and each reader's results
(migrations read per file and side, data-shape changes, the test index), each computed the first
time any check asks and then shared. Checks are pure functions of the Analysis that yield
findings, answers and notes as values, in any order: none depends on another having run first
(tests/test_engine_order.py runs them shuffled).

A derived fact is declared next to the reader that computes it, as a typed `Fact`:

    MIGRATIONS: Fact[list[Migration]] = Fact("migrations", _read_migrations)
    def migrations(a: Analysis) -> list[Migration]:
        return a.get(MIGRATIONS)

A reader that fails on one file records it in `problems` (guardrail/analysis/isolate.py); the
engine reports each as GR901.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Generic, TypeVar

from guardrail.analysis.isolate import Problems, Unreadable
from guardrail.config import DEFAULT_CONFIG_PATH, Config
from guardrail.model import BaseTree, ContentReader, HeadTests, PullRequest

if TYPE_CHECKING:
    from guardrail.analysis.markdown import Assessment, Section
    from guardrail.analysis.risk import Risk

T = TypeVar("T")
_NAMES: set[str] = set()


class Fact(Generic[T]):
    """A fact derived from the sources, computed once per Analysis by `compute`."""

    __slots__ = ("compute", "name")

    def __init__(self, name: str, compute: Callable[[Analysis], T]) -> None:
        if name in _NAMES:
            raise ValueError(f"fact {name!r} declared twice")
        _NAMES.add(name)
        self.name = name
        self.compute = compute

    def __repr__(self) -> str:
        return f"Fact({self.name!r})"


@dataclass(frozen=True)
class RollbackNote:
    """The description's rollback sections and what each holds."""

    sections: tuple[tuple[Section, Assessment], ...]

    @property
    def answered(self) -> tuple[Section, Assessment] | None:
        """The first section with a real note, if any."""
        return next(((s, v) for s, v in self.sections if v.status == "ok"), None)

    @property
    def text(self) -> str | None:
        found = self.answered
        return found[1].text if found is not None else None


@dataclass
class Analysis:
    pr: PullRequest
    config: Config
    read: ContentReader | None = None  # base/head file contents, when the source can give them
    source: str = "none"  # where `read` gets base versions: git | api | none
    # Every file of the head tree, and a cheap reader for them (a checkout, not the API).
    tree: Callable[[], list[str]] | None = None
    read_tree: Callable[[str], str | None] | None = None
    # The base branch's tip: its paths and files (migration history), when the source has it.
    base_tree: BaseTree | None = None
    # Without a checkout: the head commit's test folders near the changed shapes (the API).
    head_tests: HeadTests | None = None
    # Where a reader records a file it failed on (`ctx.problems.attempt(path, what, read, ...)`,
    # or `ctx.problems.add(path, what, why)`): while a fact is computed, that fact's own list;
    # while a check runs, the engine's list for that check. Each is reported as GR901 by the
    # engine, never a crash.
    problems: Problems = field(default_factory=Problems)
    # Where this repository keeps its configuration (a PR that edits it has it validated).
    config_path: str = DEFAULT_CONFIG_PATH
    _facts: dict[str, object] = field(default_factory=dict, repr=False)
    _fact_problems: dict[str, Problems] = field(default_factory=dict, repr=False)

    def get(self, fact: Fact[T]) -> T:
        """The fact, computed the first time it is asked for. What its readers failed on is
        kept with the fact (`fact_problems`), whichever check asked first."""
        if fact.name in self._facts:
            return self._facts[fact.name]  # type: ignore[return-value]  # set below, as T
        outer, self.problems = self.problems, Problems()
        try:
            value = fact.compute(self)
        finally:
            self._fact_problems[fact.name] = self.problems
            self.problems = outer
        self._facts[fact.name] = value
        return value

    def fact_problems(self) -> list[Unreadable]:
        """What every fact computed so far failed to read, in the order of the facts' names:
        the same whichever check computed a fact first."""
        return [p for name in sorted(self._fact_problems) for p in self._fact_problems[name]]

    @cached_property
    def risk(self) -> Risk:
        from guardrail.analysis.risk import assess_risk

        def cosmetic() -> frozenset[str]:
            from guardrail.analysis.migrations.changed import migrations

            return frozenset(m.file.path for m in migrations(self) if m.cosmetic)

        return assess_risk(self.pr, self.config, cosmetic)

    @cached_property
    def rollback(self) -> RollbackNote:
        from guardrail.analysis.markdown import assess, find_sections

        sections = find_sections(self.pr.body, self.config.rollback.all_headings)
        placeholders = self.config.rollback.placeholders
        return RollbackNote(tuple((s, assess(s.text, placeholders)) for s in sections))

    @property
    def rollback_note(self) -> str | None:
        """The rollback note's text, when the description has a real one."""
        return self.rollback.text
