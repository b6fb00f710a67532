"""Analysis of a large pull request, locally: wall time, peak memory, and the ratio to `git diff`.

Generates a git repository whose feature branch changes thousands of files (~100k changed lines
at 1×): application code, hundreds of SQL and Django migrations, pydantic models whose fields
become required, and test files. Runs `guardrail check --base main --format json` on it at 1×,
2× and 4× the size and prints, for each: files, changed lines, findings, guardrail's wall time,
its peak memory, the time of `git diff` producing the same change in the same run, and the ratio.

Budgets (docs/performance.md): within 10× of `git diff`, linear in size, under 300 MB.

Run: `.venv/bin/python bench/large_pr.py [--scale 1 2 4] [--keep DIR]`.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from seeds.seedlib import git  # noqa: E402

APP_FILES, APP_LINES = 2000, 40  # per 1×: 80k lines of application code
SQL_MIGRATIONS, DJANGO_MIGRATIONS, MODELS, TESTS = 200, 100, 100, 300


def write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def model(i: int, note: str) -> str:
    return (
        "from typing import Optional\nfrom pydantic import BaseModel\n\n\n"
        f"class Record{i}(BaseModel):\n    id: int\n    name: str\n    note: {note}\n"
    )


def generate(root: Path, scale: int) -> None:
    root.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    for i in range(MODELS * scale):
        write(root, f"app/models/m{i}.py", model(i, note="Optional[str] = None"))
    for i in range(APP_FILES * scale // 2):
        write(
            root,
            f"app/src/mod{i}.py",
            "".join(f"def f{j}(x):\n    return x + {j}\n" for j in range(APP_LINES // 2)),
        )
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    git(root, "checkout", "-q", "-b", "feature")
    for i in range(MODELS * scale):
        write(root, f"app/models/m{i}.py", model(i, note="str"))  # the note becomes required
    for i in range(APP_FILES * scale):
        write(
            root,
            f"app/src/mod{i}.py",
            "".join(f"def g{j}(x):\n    return x * {j}\n" for j in range(APP_LINES // 2)),
        )
    for i in range(SQL_MIGRATIONS * scale):
        write(
            root,
            f"db/migrations/{i:05d}_change.sql",
            f"ALTER TABLE t{i} ADD COLUMN c text NOT NULL;\nCREATE INDEX ix{i} ON t{i} (c);\n"
            f"ALTER TABLE t{i} ADD CONSTRAINT fk{i} FOREIGN KEY (u) REFERENCES users (id);\n",
        )
    for i in range(DJANGO_MIGRATIONS * scale):
        write(
            root,
            f"shop{i}/migrations/0002_change.py",
            "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n"
            f"    dependencies = [('shop{i}', '0001_initial')]\n    operations = [\n"
            "        migrations.AddField('order', 'coupon', models.CharField(max_length=8)),\n"
            "        migrations.RemoveField('order', 'legacy'),\n    ]\n",
        )
    for i in range(TESTS * scale):
        write(
            root,
            f"tests/test_t{i}.py",
            f"from app.models.m{i % (MODELS * scale)} import Record{i % (MODELS * scale)}\n\n\n"
            f"def test_{i}():\n    assert Record{i % (MODELS * scale)}(id=1, name='a', note='b').id == 1\n",
        )
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "A large change")


def measure(root: Path) -> dict[str, float]:
    guardrail = shutil.which("guardrail", path=str(Path(sys.executable).parent)) or "guardrail"
    start = time.perf_counter()
    subprocess.run(
        ["git", "diff", "main...feature"], cwd=root, stdout=subprocess.DEVNULL, check=True
    )
    git_time = time.perf_counter() - start
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    proc = subprocess.run(
        [guardrail, "check", "--base", "main", "--body", os.devnull, "--format", "json"],
        cwd=root,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if proc.returncode == 2:
        raise SystemExit(proc.stderr)
    import json

    findings = len(json.loads(proc.stdout)["findings"])
    stat = subprocess.run(
        ["git", "diff", "--shortstat", "main...feature"], cwd=root, capture_output=True, text=True
    ).stdout
    nums = [int(w) for w in stat.replace(",", " ").split() if w.isdigit()]
    return {
        "files": nums[0] if nums else 0,
        "lines": sum(nums[1:]) if len(nums) > 1 else 0,
        "findings": findings,
        "wall": wall,
        "git": git_time,
        "peak_mb": max(peak_kb, before) / 1024,
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=int, nargs="*", default=[1, 2, 4])
    parser.add_argument("--keep", help="keep the generated repositories under this folder")
    args = parser.parse_args()
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="guardrail-bench-"))
    print(
        f"{'scale':>5} {'files':>6} {'lines':>7} {'findings':>8} {'guardrail':>10} {'git diff':>9} {'ratio':>6} {'peak MB':>8}"
    )
    rows = []
    try:
        for scale in args.scale:
            root = base / f"x{scale}"
            generate(root, scale)
            r = measure(root)
            rows.append(r)
            print(
                f"{scale:>4}× {r['files']:>6.0f} {r['lines']:>7.0f} {r['findings']:>8.0f} "
                f"{r['wall']:>9.2f}s {r['git']:>8.2f}s {r['wall'] / max(r['git'], 1e-6):>5.1f}× {r['peak_mb']:>8.0f}"
            )
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    if len(rows) > 1:
        first, last = rows[0], rows[-1]
        growth = (last["wall"] / first["wall"]) / (last["lines"] / first["lines"])
        print(
            f"time per changed line grows {growth:.2f}× from the smallest to the largest run (1.00 = linear)"
        )
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
