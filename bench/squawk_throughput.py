"""SQL migrations at volume: one `guardrail check` over every SQL file of
../shared/corpus/squawk four times over (about 1,200 migration files in one pull request),
against squawk (squawk-cli, in one process) linting the same files.

Budget (docs/performance.md): guardrail within 3× of squawk. guardrail's figure is the whole
run of the installed console script (start-up, `git diff`, reading every file, all checks,
rendering); squawk's is its own single process over the same files.

Run: `make bench` or `.venv/bin/python bench/squawk_throughput.py [--times 4]`.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from seeds.seedlib import git  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "squawk"
BUDGET = 3.0


def build(root: Path, files: list[Path], times: int) -> list[Path]:
    root.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    (root / "README.md").write_text("bench\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    git(root, "checkout", "-q", "-b", "feature")
    out = []
    n = 0
    for _ in range(times):
        for src in files:
            n += 1
            dest = root / "migrations" / f"{n:05d}_{src.stem[:40]}.sql"
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(src.read_bytes())
            out.append(dest)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "migrations")
    return out


def timed(
    args: list[str], cwd: Path, runs: int
) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """Median wall seconds, median CPU seconds (the process and its children), the last run."""
    samples, cpus = [], []
    proc: subprocess.CompletedProcess[str] | None = None
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
        samples.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    assert proc is not None
    return statistics.median(samples), statistics.median(cpus), proc


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--times", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if not CORPUS.is_dir():
        print("../shared/corpus/squawk is not here; nothing to measure")
        return 0
    bindir = str(Path(sys.executable).parent)
    squawk = shutil.which("squawk", path=bindir) or shutil.which("squawk")
    guardrail = shutil.which("guardrail", path=bindir) or "guardrail"
    if not squawk:
        print("squawk is not installed: `make venv` installs squawk-cli from the dev lock file")
        return 1
    sources = sorted((CORPUS / "cases").rglob("*.sql"))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "repo"
        files = build(root, sources, args.times)
        rel = [str(p.relative_to(root)) for p in files]
        t_squawk, c_squawk, _ = timed([squawk, "--reporter", "gcc", *rel], root, args.runs)
        t_guard, c_guard, proc = timed(
            [guardrail, "check", "--base", "main", "--body", os.devnull, "--format", "json"],
            root,
            args.runs,
        )
        if proc.returncode == 2:
            print(proc.stderr[-2000:])
            return 1
    ratio = t_guard / max(t_squawk, 1e-9)
    print(
        f"SQL migration files in one change: {len(files)} ({len(sources)} corpus files × {args.times})"
    )
    print(f"squawk, one process:            {t_squawk:6.2f} s (median of {args.runs})")
    print(f"guardrail check, whole run:     {t_guard:6.2f} s (median of {args.runs})")
    print(f"ratio: {ratio:.1f}× — budget {BUDGET:.0f}×: {'met' if ratio <= BUDGET else 'NOT met'}")
    cpu_ratio = c_guard / max(c_squawk, 1e-9)
    print(
        f"CPU time (less inflated by a busy machine): squawk {c_squawk:.2f} s, guardrail "
        f"{c_guard:.2f} s, ratio {cpu_ratio:.1f}× — {'met' if cpu_ratio <= BUDGET else 'NOT met'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
