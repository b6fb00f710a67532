"""Replay a folder of real migrations and count what guardrail says about them, per rule.

    .venv/bin/python bench/replay_migrations.py PATH [--show GR290] [--limit N]

Every file under PATH that a migration reader claims (analysis/migrations/detect.py) is judged
as if a pull request added it alone, with a rollback note in the description so that only the
migration checks speak. The counts per rule let a person judge precision on their own
repository: read a sample of each rule's findings (`--show GR212`) and count the wrong ones.
Nothing is sent anywhere; no file is executed.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

from guardrail import engine
from guardrail.analysis.migrations.detect import detect
from guardrail.config import Config
from guardrail.model import ChangedFile, PullRequest
from guardrail.render.inline import plain

BODY = "## Rollback plan\nRevert the deploy; the migration is replayed by a benchmark.\n"


def _pr(path: str, text: str) -> PullRequest:
    lines = text.splitlines()
    patch = f"@@ -0,0 +1,{len(lines)} @@\n" + "\n".join("+" + ln for ln in lines)
    f = ChangedFile(path=path, status="added", additions=len(lines), deletions=0, patch=patch)
    return PullRequest(title="Replay", body=BODY, files=(f,), changed_files=1)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("path", type=Path)
    ap.add_argument("--show", action="append", default=[], help="print findings of this rule")
    ap.add_argument("--limit", type=int, default=0, help="read at most N migrations")
    args = ap.parse_args()
    root: Path = args.path
    counts: Counter[str] = Counter()
    frameworks: Counter[str] = Counter()
    files_with: Counter[str] = Counter()
    start = time.perf_counter()
    seen = 0
    for file in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = file.relative_to(root).as_posix()
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
            if finding.check not in ("migration-safety", "migration-integrity", "analysis"):
                continue
            counts[finding.rule] += 1
            rules.add(finding.rule)
            if finding.rule in args.show:
                print(f"{finding.rule} {rel}:{finding.line or ''} {plain(finding.title)}")
        for rule in rules:
            files_with[rule] += 1
        if args.limit and seen >= args.limit:
            break
    took = time.perf_counter() - start
    print(
        f"\n{seen} migrations read in {took:.1f} s: "
        + ", ".join(f"{fw} {n}" for fw, n in frameworks.most_common())
    )
    print(f"{'rule':8} {'findings':>9} {'files':>6}")
    for rule, n in sorted(counts.items()):
        print(f"{rule:8} {n:9d} {files_with[rule]:6d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
