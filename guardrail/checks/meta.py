"""GR9xx — about the analysis itself: what guardrail could not see."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from guardrail.analysis.isolate import Unreadable
from guardrail.checks.base import Analysis
from guardrail.model import CheckName, Finding, Severity
from guardrail.rules import by_code
from guardrail.text import code

CHECK = CheckName.ANALYSIS

GR901 = by_code("GR901")


GR910 = by_code("GR910")


def check_coverage(ctx: Analysis) -> Iterator[Finding]:
    pr = ctx.pr
    if pr.files_unseen:
        # An error, not a warning: files listed first can hide a migration or a configuration
        # edit behind them, and a check that passes on what it did not see can be gamed.
        yield GR910.finding(
            f"{pr.files_unseen} of {pr.changed_files} changed files were not listed by GitHub, "
            "and guardrail could not find them another way.",
            "GitHub lists at most 3,000 files of a pull request, and the commits' file trees "
            "could not be compared. Check out the repository with `fetch-depth: 0` before "
            "guardrail so it reads the whole change from git, or split the pull request.",
        )
    unknown = [
        f.path for f in pr.files if f.patch is None and not f.binary and f.status != "removed"
    ]
    if unknown:
        shown = ", ".join(code(p) for p in unknown[:3])
        more = f" and {len(unknown) - 3} more" if len(unknown) > 3 else ""
        yield GR901.finding(
            f"The diff of {len(unknown)} file(s) was not available: {shown}{more}.",
            "GitHub leaves the diff out of files this large. Checks that read whole files "
            "(migrations, data shapes, tests, the configuration) read them in full, up to 5 MB; "
            "checks that look only at added lines did not see theirs. `guardrail check` on a "
            "checkout reads every diff from git.",
            severity=Severity.NOTICE,
        )


CHECKS = (check_coverage,)


def unread_migration(first: str = "") -> str:
    """The sentence that says why an unread migration fails the check, and how a reviewer
    acknowledges it (`first`: what the author can do instead, e.g. "split it, or, ")."""
    return (
        f"It is a migration, so the check cannot pass on it unread: {first}once a reviewer "
        "has read it, acknowledge GR901 with a reason (the `guardrail:acknowledged` label and "
        "a `guardrail: acknowledge GR901: <reason>` line)."
    )


def unreadable(problems: Iterable[Unreadable]) -> list[Finding]:
    """GR901 for each file (or check) that failed, once each: the rest of the run went on."""
    out: list[Finding] = []
    seen: set[tuple[str | None, str]] = set()
    for p in problems:
        if (p.path, p.what) in seen:
            continue
        seen.add((p.path, p.what))
        if p.not_fetched and p.path is not None:
            out.append(
                GR901.finding(
                    f"{code(p.path)} was not read: {p.error}.",
                    "GitHub (or the checkout) gave no content for it at the pull request's "
                    "head commit, so it was not judged; everything else in the change was "
                    "checked. " + unread_migration("run guardrail again, or, "),
                    path=p.path,
                    severity=Severity.ERROR,
                )
            )
            continue
        if p.path is None:
            title = f"guardrail could not finish {p.what}."
        else:
            title = f"guardrail could not read this {p.what}, so it did not judge it."
        detail = (
            f"Reading it failed ({code(p.error)}); everything else in the change was checked. "
            "Review it by hand, and please report the file's shape to guardrail."
        )
        # A migration nobody read must not pass a required check (the same stance as a
        # migration that could not be fetched or is over the size cap): an error, which a
        # reviewer who has read it acknowledges. Any other unread file stays a warning.
        unread_schema_change = p.what == "migration" and p.path is not None
        out.append(
            GR901.finding(
                title,
                detail + (" " + unread_migration() if unread_schema_change else ""),
                path=p.path,
                severity=Severity.ERROR if unread_schema_change else None,
            )
        )
    return out
