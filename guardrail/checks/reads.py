"""Which files and folders the checks will read, known before they run. The file list is
derived from the readers' own declarations (guardrail/analysis/reads.py). Pure."""

from __future__ import annotations

from guardrail.analysis.history import version_root
from guardrail.analysis.migrations.detect import detect
from guardrail.analysis.reads import files_to_read
from guardrail.config import Config
from guardrail.model import PullRequest


def history_folders(pr: PullRequest, config: Config) -> list[str]:
    """The folders whose base-branch listing the migration history needs: those of the
    migrations the PR adds or deletes (a version or a parent is judged against their
    neighbours)."""
    out: list[str] = []
    for f in pr.files:
        if f.status not in ("added", "renamed", "copied", "removed"):
            continue  # removed: a Django squash in the folder may replace it
        kind = detect(f.path, include=config.migration_include, exclude=config.migration_exclude)
        if kind is not None and "/" in f.path:
            out.append(f.path.rsplit("/", 1)[0])
            if kind.framework == "flyway":  # Flyway's versions span its location's sub-folders
                root = version_root("flyway", f.path)
                if root and root != out[-1]:
                    out.append(root)
    return list(dict.fromkeys(out))


__all__ = ["files_to_read", "history_folders"]
