"""The data every part of guardrail shares. Frozen, plain, and free of I/O."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import TYPE_CHECKING

from guardrail.text import Code, Part, parts

if TYPE_CHECKING:
    from guardrail.trace.model import TraceResult


class Severity(IntEnum):
    NOTICE = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        return cls[text.strip().upper()]


class CheckName(StrEnum):
    """The questions guardrail asks; each rule belongs to one. The values are the JSON's."""

    ROLLBACK_NOTE = "rollback-note"
    MIGRATION_PLAN = "migration-plan"
    MIGRATION_SAFETY = "migration-safety"
    MIGRATION_INTEGRITY = "migration-integrity"
    DEPLOY_ORDER = "deploy-order"
    LEGACY_DATA_TESTS = "legacy-data-tests"
    SMALLER_RELEASES = "smaller-releases"
    OBSERVABILITY = "observability"
    FEATURE_FLAG = "feature-flag"
    ANALYSIS = "analysis"


class Verdict(StrEnum):
    """The outcome of a run: `fail` when a finding reaches `fail-on` (exit code 1)."""

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True)
class ChangedFile:
    """One file of a pull request, as GitHub's files endpoint or `git diff` describes it."""

    path: str
    status: str = "modified"  # added | modified | removed | renamed | copied | changed
    previous_path: str | None = None
    additions: int = 0
    deletions: int = 0
    # Unified-diff hunks in GitHub's `patch` form. None means "content unknown" (binary,
    # too large for GitHub to include, or not fetched): never read that as "no change".
    patch: str | None = None
    binary: bool = False


@dataclass(frozen=True)
class PullRequest:
    title: str = ""
    body: str = ""
    files: tuple[ChangedFile, ...] = ()
    number: int | None = None
    labels: tuple[str, ...] = ()
    base_sha: str | None = None
    head_sha: str | None = None
    author: str | None = None
    # How many files GitHub says the PR changes; more than len(files) when the listing was capped.
    changed_files: int | None = None
    # Who added each label, when the source knows ((label, login) pairs, the latest first).
    label_actors: tuple[tuple[str, str], ...] = ()

    @property
    def lines_changed(self) -> int:
        return sum(f.additions + f.deletions for f in self.files)

    @property
    def files_unseen(self) -> int:
        if self.changed_files is None:
            return 0
        return max(0, self.changed_files - len(self.files))


# Reads a file's text at one side of the change: ("base" | "head", path) -> text or None.
ContentReader = Callable[[str, str], "str | None"]


@dataclass(frozen=True)
class Finding:
    """One gap. `title` and `detail` are marked text (guardrail/text.py): guardrail's words with
    the values it quotes kept apart, never Markdown. Render them with guardrail/render/inline.py;
    `title_parts`/`detail_parts` give the structure."""

    check: CheckName
    rule: str  # GR101
    severity: Severity
    title: str  # one line: the gap
    detail: str  # one sentence: why it matters, and what to do
    path: str | None = None
    line: int | None = None
    template: str | None = None  # a ready text to paste (Markdown or code)
    template_lang: str = "markdown"
    docs_url: str | None = None
    # What `--trace` saw PostgreSQL do with this finding's statement (lock, rewrite, error, and
    # whether that confirms the finding). None without a trace.
    observed: Mapping[str, object] | None = field(default=None, compare=False, hash=False)
    # The rules whose findings about the same gap this one took in (engine.fold; a Rule's
    # `folds`): acknowledging one of them acknowledges this line.
    folded: tuple[str, ...] = field(default=(), compare=False, hash=False)

    @property
    def title_parts(self) -> tuple[Part, ...]:
        return parts(self.title)

    @property
    def detail_parts(self) -> tuple[Part, ...]:
        return parts(self.detail)

    @property
    def values(self) -> tuple[str, ...]:
        """Every value quoted from the repository or the PR, in order."""
        return tuple(
            p.value for p in (*self.title_parts, *self.detail_parts) if isinstance(p, Code)
        )


@dataclass(frozen=True)
class Answer:
    """A question guardrail asked and found answered, shown briefly so a clean PR says why."""

    check: CheckName
    text: str


@dataclass(frozen=True)
class Note:
    """Something the reader should know (an ignore applied, a limit reached), in marked text."""

    text: str


@dataclass(frozen=True)
class Acknowledged:
    """A finding that does not count, and why: acknowledged (a label, or a line of the
    description) or suppressed (an inline `guardrail: ignore` in the file). Kept in the JSON
    report and the SARIF so that dashboards can count them, with who and why."""

    finding: Finding
    status: str  # "acknowledged" | "suppressed"
    how: str  # "label", "description", "inline-ignore"
    reason: str  # as written, plain text
    by: str | None = None  # the login that added the label / wrote the description or line
    label: str | None = None


@dataclass(frozen=True)
class Report:
    findings: tuple[Finding, ...]
    verdict: Verdict
    fail_on: str
    answers: tuple[Answer, ...] = ()
    risk: tuple[str, ...] = ()  # why this change counts as risky, in words
    notes: tuple[str, ...] = field(default_factory=tuple)  # things the reader should know
    trace: TraceResult | None = None  # what --trace observed on a real PostgreSQL
    acknowledged: tuple[Acknowledged, ...] = ()  # findings that do not count, with who and why

    def __post_init__(self) -> None:
        if not isinstance(self.verdict, Verdict):  # "pass" from a caller that spells it out
            object.__setattr__(self, "verdict", Verdict(self.verdict))

    @property
    def gaps(self) -> int:
        return sum(1 for f in self.findings if f.severity >= Severity.WARNING)


@dataclass(frozen=True)
class HeadTests:
    """Test files of the head commit when there is no checkout (the action without
    actions/checkout): the test folders near the changed shapes, listed in the run's GraphQL
    prefetch, read in one batch. `where` says in words which folders were listed."""

    paths: Callable[[], list[str]]
    read_many: Callable[[list[str]], dict[str, str | None]]
    where: str


@dataclass(frozen=True)
class BaseTree:
    """The base branch as it is now (its tip, which may be ahead of the merge base): its
    paths, and its files. Migration history is judged on it plus the PR's migrations.

    `paths` lists at least every file in the folders of the PR's migrations (the API lists
    only those, in the run's one GraphQL prefetch; git lists the whole tree)."""

    paths: Callable[[], list[str]]
    # Several files at once ({path: text or None}): one request for the API, not one each.
    read_many: Callable[[list[str]], dict[str, str | None]]
