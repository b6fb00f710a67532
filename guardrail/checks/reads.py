"""Which files the checks will read, known before they run, so a source that pays per request
(the GitHub API) can fetch them all at once. Pure."""

from __future__ import annotations

from guardrail.analysis import evidence as ev
from guardrail.analysis.migrations.detect import detect
from guardrail.checks.legacy import _candidate
from guardrail.config import Config
from guardrail.model import PullRequest


def files_to_read(pr: PullRequest, config: Config) -> list[tuple[str, str]]:
    """(side, path) pairs: side is "base" or "head"."""
    config_include, config_exclude = config.migration_include, config.migration_exclude
    out: list[tuple[str, str]] = []
    for f in pr.files:
        if f.status == "removed" or f.binary:
            continue
        modified = f.status != "added" or f.patch is None
        kind = detect(f.path, include=config_include, exclude=config_exclude)
        if kind is not None:
            if modified:
                out.append(("head", f.path))
            if kind.framework == "django" and "/migrations/" in f.path:
                out.append(("base", f.path.rsplit("/migrations/", 1)[0] + "/models.py"))
            if kind.framework == "golang-migrate" and f.path.endswith(".up.sql"):
                out.append(("head", f.path[: -len(".up.sql")] + ".down.sql"))
            continue
        if _candidate(f):
            out.append(("base", f.previous_path or f.path))
            out.append(("head", f.path))
        elif ev.is_test_path(f.path) and modified:
            out.append(("head", f.path))
    return list(dict.fromkeys(out))


def history_folders(pr: PullRequest, config: Config) -> list[str]:
    """The folders whose base-branch listing the migration history needs: those of the
    migrations the PR adds (a version or a parent is judged against their neighbours)."""
    out: list[str] = []
    for f in pr.files:
        if f.status not in ("added", "renamed", "copied"):
            continue
        kind = detect(f.path, include=config.migration_include, exclude=config.migration_exclude)
        if kind is not None and "/" in f.path:
            out.append(f.path.rsplit("/", 1)[0])
    return list(dict.fromkeys(out))
