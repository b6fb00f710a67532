"""Replay a folder of real migrations and count what guardrail says about them, per rule.

    .venv/bin/python bench/replay_migrations.py PATH [--show GR290] [--limit N]
    .venv/bin/python bench/replay_migrations.py REPO --commits A..B [--show GR212] [--limit N]

Every file under PATH that a migration reader claims (analysis/migrations/detect.py) is judged
as if a pull request added it alone, with a rollback note in the description so that only the
migration checks speak. The counts per rule let a person judge precision on their own
repository: read a sample of each rule's findings (`--show GR212`) and count the wrong ones.

With `--commits A..B`, PATH is a git repository (a work tree or a bare clone) and each commit of
the range that touches a migration is replayed as the pull request it was: its changed files
against its first parent, base and head contents read with `git show`, the parent's tree as the
base branch (earlier migrations, history) and the commit's tree as the head listing. Edits of migrations
that already existed are judged as guardrail judges them in a real PR (only new or changed
operations; the edit itself under migration-integrity), so this measures what a team would see.
Nothing is sent anywhere; no file is executed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

from guardrail import engine
from guardrail.analysis.migrations.detect import detect
from guardrail.config import Config
from guardrail.model import BaseTree, ChangedFile, PullRequest
from guardrail.render.inline import plain

BODY = "## Rollback plan\nRevert the deploy; the migration is replayed by a benchmark.\n"


def _pr(path: str, text: str) -> PullRequest:
    lines = text.splitlines()
    patch = f"@@ -0,0 +1,{len(lines)} @@\n" + "\n".join("+" + ln for ln in lines)
    f = ChangedFile(path=path, status="added", additions=len(lines), deletions=0, patch=patch)
    return PullRequest(title="Replay", body=BODY, files=(f,), changed_files=1)


def _base_tree(repo: Path, rev: str) -> BaseTree:
    """The parent commit's tree, as a real run gives the base branch's tip: the earlier
    migrations a restated column is judged against, the history checks' listing."""
    from guardrail.analysis.encoding import decode
    from guardrail.sources.local_git import _BatchReader, tree_files

    batch = _BatchReader(repo)
    listing: list[str] = []

    def paths() -> list[str]:
        if not listing:
            listing.extend(tree_files(repo, rev))
        return listing

    def read_many(wanted: list[str]) -> dict[str, str | None]:
        batch.prefetch([f"{rev}:{p}" for p in wanted])
        out: dict[str, str | None] = {}
        for p in wanted:
            data = batch.blob(f"{rev}:{p}")
            out[p] = None if data is None else decode(data)
        return out

    return BaseTree(paths, read_many)


def _replay_commits(
    repo: Path, span: str, limit: int
) -> Iterator[tuple[str, PullRequest, Callable[[str, str], str | None]]]:
    """(commit, its change as a PR, a reader of both sides) for each commit touching a
    migration, oldest first."""
    from guardrail.analysis.encoding import decode
    from guardrail.sources.local_git import changed_files, git

    shas = git(["rev-list", "--reverse", "--no-merges", span], repo).split()
    seen = 0
    for sha in shas:
        parent = f"{sha}^"
        try:
            files = changed_files(repo, parent, sha)
        except Exception:  # a root commit, or a diff git will not give
            continue
        if not any(detect(f.path) is not None for f in files):
            continue
        seen += 1
        pr = PullRequest(title="Replay", body=BODY, files=tuple(files), changed_files=len(files))
        cache: dict[tuple[str, str], str | None] = {}

        def read(
            side: str, path: str, sha: str = sha, cache: dict[tuple[str, str], str | None] = cache
        ) -> str | None:
            if (side, path) not in cache:
                rev = sha if side == "head" else f"{sha}^"
                proc = subprocess.run(
                    ["git", "show", f"{rev}:{path}"], cwd=repo, capture_output=True, check=False
                )
                cache[(side, path)] = decode(proc.stdout) if proc.returncode == 0 else None
            return cache[(side, path)]

        yield sha[:12], pr, read
        if limit and seen >= limit:
            return


def _main_commits(args: argparse.Namespace) -> int:
    counts: Counter[str] = Counter()
    by_severity: Counter[tuple[str, str]] = Counter()
    commits_with: Counter[str] = Counter()
    start = time.perf_counter()
    n = 0
    for sha, pr, read in _replay_commits(args.path, args.commits, args.limit):
        n += 1
        from guardrail.sources.local_git import tree_files

        full = sha if len(sha) == 40 else _rev(args.path, sha)

        def head_tree(full: str = full) -> list[str]:
            return tree_files(args.path, full)

        report = engine.run(
            pr,
            Config(),
            read=read,
            source="git",
            base_tree=_base_tree(args.path, f"{full}^"),
            tree=head_tree,
        )
        rules = set()
        for finding in report.findings:
            if finding.check not in _CHECKS:
                continue
            counts[finding.rule] += 1
            by_severity[(finding.rule, finding.severity.label)] += 1
            rules.add(finding.rule)
            if finding.rule in args.show:
                print(
                    f"{finding.rule} {sha} {finding.path}:{finding.line or ''} {plain(finding.title)}"
                )
        for rule in rules:
            commits_with[rule] += 1
    took = time.perf_counter() - start
    print(f"\n{n} commits with migrations replayed in {took:.1f} s")
    print(f"{'rule':8} {'findings':>9} {'commits':>8}  {_SEVERITY_HEADER}")
    for rule, c in sorted(counts.items()):
        print(f"{rule:8} {c:9d} {commits_with[rule]:8d}  {_by_severity(by_severity, rule)}")
    return 0


_SEVERITIES = ("error", "warning", "notice")
_SEVERITY_HEADER = " ".join(f"{s + 's':>8}" for s in _SEVERITIES)


def _by_severity(counts: Counter[tuple[str, str]], rule: str) -> str:
    """A rule's findings split by severity: one rule can give errors and notices (GR505's
    reformatted shipped migrations are notices), and a single count hid which was which."""
    return " ".join(f"{counts[(rule, s)]:8d}" for s in _SEVERITIES)


def _rev(repo: Path, short: str) -> str:
    from guardrail.sources.local_git import git

    return git(["rev-parse", short], repo).strip()


def _prefix(root: Path) -> str:
    """The path of `root` inside its repository, with a trailing slash ("" at the root).

    Readers are chosen by where a file sits (`<app>/migrations/0001_x.py` is Django), so a
    folder given below the repository's root keeps its place: inside a git work tree, its path
    from the top; elsewhere, its last three folders (`saleor/order/migrations/`)."""
    full = root.resolve()
    for parent in (full, *full.parents):
        if (parent / ".git").exists():
            inside = full.relative_to(parent).as_posix()
            return "" if inside == "." else inside + "/"
    folders = full.parts[1:][-3:]  # without the root ("/" or a drive)
    return "/".join(folders) + "/" if folders else ""


_CHECKS = ("migration-safety", "migration-integrity", "deploy-order", "analysis")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("path", type=Path)
    ap.add_argument("--show", action="append", default=[], help="print findings of this rule")
    ap.add_argument("--limit", type=int, default=0, help="read at most N migrations (or commits)")
    ap.add_argument("--commits", help="a git range (A..B): replay each commit as a pull request")
    args = ap.parse_args()
    if args.commits:
        return _main_commits(args)
    root: Path = args.path
    if not root.is_dir():
        print(f"{root} is not a folder", file=sys.stderr)
        return 2
    prefix = _prefix(root)
    counts: Counter[str] = Counter()
    by_severity: Counter[tuple[str, str]] = Counter()
    frameworks: Counter[str] = Counter()
    files_with: Counter[str] = Counter()
    start = time.perf_counter()
    seen = 0
    for file in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = prefix + file.relative_to(root).as_posix()
        try:
            text = file.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        mf = detect(rel, text)
        if mf is None:
            continue
        seen += 1
        frameworks[mf.framework] += 1
        report = engine.run(
            _pr(rel, text),
            Config(),
            read=lambda side, p, rel=rel, text=text: text if (side, p) == ("head", rel) else None,
            source="git",
        )
        rules = set()
        for finding in report.findings:
            if finding.check not in _CHECKS:
                continue
            counts[finding.rule] += 1
            by_severity[(finding.rule, finding.severity.label)] += 1
            rules.add(finding.rule)
            if finding.rule in args.show:
                print(f"{finding.rule} {rel}:{finding.line or ''} {plain(finding.title)}")
        for rule in rules:
            files_with[rule] += 1
        if args.limit and seen >= args.limit:
            break
    took = time.perf_counter() - start
    if not seen:
        print(
            f"0 migrations read: no file under {root} follows a migration convention guardrail "
            "knows (docs/migrations.md), with paths taken from "
            f"{prefix or 'the folder itself'!s}. Give the repository's root or a folder "
            "inside a git work tree.",
            file=sys.stderr,
        )
        return 1
    print(
        f"\n{seen} migrations read in {took:.1f} s: "
        + ", ".join(f"{fw} {n}" for fw, n in frameworks.most_common())
    )
    print(f"{'rule':8} {'findings':>9} {'files':>6}  {_SEVERITY_HEADER}")
    for rule, n in sorted(counts.items()):
        print(f"{rule:8} {n:9d} {files_with[rule]:6d}  {_by_severity(by_severity, rule)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
