"""Run every check over one pull request and decide the verdict. Pure: no I/O."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from guardrail.analysis import pgsql, reads
from guardrail.analysis.isolate import Problems, Unreadable
from guardrail.analysis.pyast import one_parse_per_run
from guardrail.checks import ALL_CHECKS, acknowledge, meta
from guardrail.checks.base import Analysis, Check, Output
from guardrail.config import DEFAULT_CONFIG_PATH, Config
from guardrail.limits import MAX_FILE_BYTES, MAX_FILE_MB, FileTooLarge
from guardrail.model import (
    Acknowledged,
    Answer,
    BaseTree,
    ContentReader,
    Finding,
    HeadTests,
    Note,
    PullRequest,
    Report,
    Severity,
    Verdict,
)
from guardrail.rules import QUESTIONS, REGISTRY
from guardrail.text import Code

if TYPE_CHECKING:
    from guardrail.trace.model import TraceResult

_CHECK_ORDER = {name: i for i, name in enumerate(QUESTIONS)}


def files_to_read(pr: PullRequest, config: Config) -> list[tuple[str, str]]:
    """(side, path): every file the checks' readers will ask for, declared by the readers with
    `@wants` (guardrail/analysis/reads.py); every check, so every reader, is imported here."""
    return reads.files_to_read(pr, config)


def _apply_rule_config(finding: Finding, config: Config) -> Finding | None:
    rule_cfg = config.rule(finding.rule, finding.path)
    if not rule_cfg.enabled:
        return None
    override = rule_cfg.severity_value
    if override is None:
        return finding
    rule = REGISTRY[finding.rule]
    if finding.severity == rule.default_severity:
        return replace(finding, severity=override)
    # The rule lowered this finding on purpose (a low-risk change): keep it at most as severe.
    return replace(finding, severity=min(finding.severity, override))


def _subject(f: Finding) -> tuple[str | None, int | None, str | None]:
    """Where a gap is and what it is about: its file, line and first quoted value (a rule's
    title names its table or column first)."""
    first = next((p.value for p in f.title_parts if isinstance(p, Code)), None)
    return (f.path, f.line, first)


def fold(findings: list[Finding]) -> list[Finding]:
    """One gap, one line: a finding whose rule `folds` another rule takes in that rule's
    finding about the same thing at the same file and line, with the higher severity."""
    folding = {
        _subject(f): REGISTRY[f.rule].folds
        for f in findings
        if f.path is not None and REGISTRY[f.rule].folds
    }
    if not folding:
        return findings
    worst: dict[tuple[str | None, int | None, str | None], Severity] = {}
    taken: dict[tuple[str | None, int | None, str | None], set[str]] = {}
    kept: list[Finding] = []
    for f in findings:
        at = _subject(f)
        if f.rule in folding.get(at, ()):
            worst[at] = max(worst.get(at, f.severity), f.severity)
            taken.setdefault(at, set()).add(f.rule)
        else:
            kept.append(f)
    return [
        replace(
            f,
            severity=max(f.severity, worst[_subject(f)]),
            folded=tuple(sorted(taken[_subject(f)])),
        )
        if REGISTRY[f.rule].folds and _subject(f) in worst
        else f
        for f in kept
    ]


def verdict_for(findings: tuple[Finding, ...], fail_on: str) -> Verdict:
    threshold = {"error": Severity.ERROR, "warning": Severity.WARNING}.get(fail_on)
    worst = max((f.severity for f in findings), default=None)
    if worst is None:
        return Verdict.PASS
    if threshold is not None and worst >= threshold:
        return Verdict.FAIL
    return Verdict.WARN if worst >= Severity.WARNING else Verdict.PASS


def sort_key(f: Finding) -> tuple[int, int, str, int, str]:
    return (-f.severity, _CHECK_ORDER.get(f.check, 99), f.path or "", f.line or 0, f.rule)


def _run_check(check: Check, ctx: Analysis) -> tuple[list[Output], list[Unreadable]]:
    """One check's output, and what its own reads failed on. A check that raises keeps what it
    yielded so far and becomes a GR901 finding naming it: the other checks still run, and the
    run ends with a verdict and a status."""
    name = getattr(check, "__name__", type(check).__name__)
    out: list[Output] = []
    problems = Problems()
    ctx.problems = problems  # facts keep their own (Analysis.get)
    try:
        for item in check(ctx):
            out.append(item)
    except Exception as exc:  # isolation: see guardrail/analysis/isolate.py
        problems.add(None, f"the {name.removeprefix('check_')} check", exc)
    return out, problems


def _in_order(checks: tuple[Check, ...]) -> list[Check]:
    """The checks in ALL_CHECKS's order (others after, as given): whatever order they ran in,
    their outputs are collected in this one."""
    canonical = {check: i for i, check in enumerate(ALL_CHECKS)}
    return sorted(checks, key=lambda c: canonical.get(c, len(canonical)))


def _size_capped(
    read: ContentReader | None,
    read_tree: Callable[[str], str | None] | None,
    base_tree: BaseTree | None,
    too_large: dict[str, FileTooLarge],
) -> tuple[ContentReader | None, Callable[[str], str | None] | None, BaseTree | None]:
    """The sources' readers, with a file over the size cap read as absent and kept in
    `too_large` (one GR901 per file): every check sees the same answer, wherever it reads."""

    def capped(read_one: Callable[[], str | None], path: str) -> str | None:
        try:
            text = read_one()
        except FileTooLarge as exc:
            too_large.setdefault(exc.path, exc)
            return None
        if text is not None and len(text) > MAX_FILE_BYTES:  # a source that could not tell
            size = len(text.encode("utf-8", "surrogatepass"))
            if size > MAX_FILE_BYTES:
                too_large.setdefault(path, FileTooLarge(path, size))
                return None
        return text

    def read_capped(side: str, path: str) -> str | None:
        assert read is not None
        return capped(lambda: read(side, path), path)

    def read_tree_capped(path: str) -> str | None:
        assert read_tree is not None
        return capped(lambda: read_tree(path), path)

    def one_of_many(path: str) -> str | None:
        assert base_tree is not None
        return base_tree.read_many([path]).get(path)

    def read_many_capped(paths: list[str]) -> dict[str, str | None]:
        assert base_tree is not None
        try:
            found = base_tree.read_many(paths)
        except FileTooLarge:  # one file of the batch: the others one by one (cached)
            return {p: capped(functools.partial(one_of_many, p), p) for p in paths}
        return {p: capped(functools.partial(_same, t), p) for p, t in found.items()}

    return (
        read_capped if read is not None else None,
        read_tree_capped if read_tree is not None else None,
        BaseTree(base_tree.paths, read_many_capped) if base_tree is not None else None,
    )


def _same(text: str | None) -> str | None:
    return text


def _too_large_findings(too_large: dict[str, FileTooLarge], config: Config) -> list[Finding]:
    """One GR901 per file over the size cap. A migration among them fails the check (error), as
    GR910 does for a change not fully seen: a drop hidden in a 6 MB migration must not pass
    `fail-on: error` because guardrail did not read it. Other files stay warnings."""
    from guardrail.analysis.migrations.detect import detect
    from guardrail.text import code

    out = []
    for path, exc in sorted(too_large.items()):
        migration = (
            detect(path, include=config.migration_include, exclude=config.migration_exclude)
            is not None
        )
        detail = (
            f"guardrail reads files of up to {MAX_FILE_MB} MB; this one was not downloaded or "
            "judged, so review it by hand (a file this large is usually generated data: a "
            "migration can load it from elsewhere, or it can be split)."
        )
        if migration:
            detail += " " + meta.unread_migration("split it, or, ")
        out.append(
            meta.GR901.finding(
                f"{code(path)} was not read: too large ({exc.megabytes}).",
                detail,
                path=path,
                severity=Severity.ERROR if migration else None,
            )
        )
    return out


MAX_FINDINGS_PER_FILE = 50


def _cap_per_file(findings: list[Finding], notes: list[str]) -> list[Finding]:
    """At most MAX_FINDINGS_PER_FILE findings for one file, the most severe first (the list is
    sorted), and a note with the count of the rest: a file that repeats one operation 10,000
    times is one problem, not a report nobody can post or read."""
    from guardrail.text import code

    per_file: dict[str, int] = {}
    out: list[Finding] = []
    for f in findings:
        if f.path is None:
            out.append(f)
            continue
        n = per_file[f.path] = per_file.get(f.path, 0) + 1
        if n <= MAX_FINDINGS_PER_FILE:
            out.append(f)
    for path, n in per_file.items():
        if n > MAX_FINDINGS_PER_FILE:
            notes.append(
                f"{n - MAX_FINDINGS_PER_FILE} more findings in {code(path)} are not listed "
                f"({MAX_FINDINGS_PER_FILE} per file are, the most severe first)."
            )
    return out


def run(
    pr: PullRequest,
    config: Config,
    *,
    read: ContentReader | None = None,
    source: str = "none",
    tree: Callable[[], list[str]] | None = None,
    read_tree: Callable[[str], str | None] | None = None,
    base_tree: BaseTree | None = None,
    head_tests: HeadTests | None = None,
    fail_on: str | None = None,
    checks: tuple[Check, ...] = ALL_CHECKS,
    trace: TraceResult | None = None,
    config_path: str = DEFAULT_CONFIG_PATH,
) -> Report:
    """`trace`: what --trace observed on PostgreSQL (data, gathered by the caller); findings
    then rest on it."""
    too_large: dict[str, FileTooLarge] = {}
    read, read_tree, base_tree = _size_capped(read, read_tree, base_tree, too_large)
    if any(f.patch is not None and len(f.patch) > MAX_FILE_BYTES for f in pr.files):
        # A diff over the cap is not read either (GitHub leaves such diffs out itself): the
        # file is then read whole, where the cap applies and says so.
        pr = replace(
            pr,
            files=tuple(
                replace(f, patch=None)
                if f.patch is not None and len(f.patch) > MAX_FILE_BYTES
                else f
                for f in pr.files
            ),
        )
    ctx = Analysis(
        pr=pr,
        config=config,
        read=read,
        source=source,
        tree=tree,
        read_tree=read_tree,
        base_tree=base_tree,
        config_path=config_path,
        head_tests=head_tests,
    )
    # Each Python file parsed once, whichever readers ask; pglast's tree validation switched
    # off once for every SQL parse of the run, not twice per file (guardrail/analysis/pgsql.py).
    with one_parse_per_run(), pgsql.one_switch_per_run():
        results = {check: _run_check(check, ctx) for check in checks}
    out = [item for check in _in_order(checks) for item in results[check][0]]
    raw = [item for item in out if isinstance(item, Finding)]
    problems = ctx.fact_problems()
    problems += [p for check in _in_order(checks) for p in results[check][1]]
    raw.extend(meta.unreadable(problems))
    if too_large:  # one finding per file: "too large" says all the others would
        raw = [f for f in raw if not (f.rule == meta.GR901.code and f.path in too_large)]
        raw.extend(_too_large_findings(too_large, config))
    answers = sorted(
        (a for a in out if isinstance(a, Answer)), key=lambda a: _CHECK_ORDER.get(a.check, 99)
    )
    notes = [n.text for n in out if isinstance(n, Note)]
    if trace is not None:
        from guardrail.trace import judge

        raw = judge.apply(raw, trace)
    configured = fold([f for f in (_apply_rule_config(f, config) for f in raw) if f is not None])
    kept, acks, ack_problems = acknowledge.apply(configured, pr, config)
    findings = kept + [
        f for f in (_apply_rule_config(f, config) for f in ack_problems) if f is not None
    ]
    notes.extend(acknowledge.summary(acks))
    suppressed = [
        replace(a, finding=f)
        for a in out
        if isinstance(a, Acknowledged) and (f := _apply_rule_config(a.finding, config)) is not None
    ]
    taken_out = tuple(
        sorted(
            [*acknowledge.acknowledged(acks, pr), *suppressed], key=lambda a: sort_key(a.finding)
        )
    )
    findings.sort(key=sort_key)
    effective_fail_on = fail_on or config.fail_on
    verdict = verdict_for(tuple(findings), effective_fail_on)  # judged on every finding
    ordered = tuple(_cap_per_file(findings, notes))
    return Report(
        findings=ordered,
        verdict=verdict,
        fail_on=effective_fail_on,
        answers=tuple(answers),
        risk=ctx.risk.reasons,
        notes=tuple(notes),
        trace=trace,
        acknowledged=taken_out,
    )
