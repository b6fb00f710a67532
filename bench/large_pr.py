"""Analysis of a large pull request, locally: wall time, peak memory, and the ratio to `git diff`.

Generates a git repository shaped like a real monorepo merge (about 1,000 changed files at 1×):
Django apps with models packages (a base class in another module) and long migration histories
whose new migrations need AlterField resolution, Python modules edited in many scattered hunks
(long patches) that read feature flags, a TypeScript front end (component props, option objects,
zod schemas), SQL migrations, pydantic models whose field becomes required, and test files. Runs `guardrail check --base main --format json` on it at 1×,
2× and 4× the size and prints, for each: files, changed lines, findings, guardrail's wall time,
its peak memory, the time of `git diff` producing the same change in the same run, and the ratio;
then the same in CPU time (the process and the git processes it waits for), which a shared,
busy machine inflates far less than wall time.

Budgets (docs/performance.md): within 5× of `git diff`, linear in size, under 300 MB.

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

# Per 1×, the shape of a real monorepo merge (saleor-like: Django apps with models packages and
# long migration histories, a TypeScript front end, many tests), about 1,000 changed files:
APPS = 20  # Django apps, each with a models/ package and 10 migrations on base
APP_MODULES = 250  # Python modules edited with scattered hunks (long patches)
TS_MODULES = 250  # TypeScript modules: props, option objects, API types, zod schemas
SQL_MIGRATIONS = 100
MODELS = 80  # pydantic models whose field becomes required
TESTS = 200  # test files, 12 test functions each
MODULE_LINES = 400


def write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def model(i: int, note: str) -> str:
    return (
        "from typing import Optional\nfrom pydantic import BaseModel\n\n\n"
        f"class Record{i}(BaseModel):\n    id: int\n    name: str\n    note: {note}\n"
    )


def django_models(app: int, code_length: int, *, extra: bool) -> str:
    fields = "".join(
        f"    f{j} = models.CharField(max_length=64, null=True, blank=True)\n" for j in range(20)
    )
    more = "    legacy = models.TextField(null=True)\n" if extra else ""
    return (
        "from django.db import models\n\nfrom .base import TimeStamped\n\n\n"
        f"class Order(TimeStamped):\n    code = models.CharField(max_length={code_length})\n"
        f"{fields}{more}\n\nclass Line{app}(models.Model):\n"
        "    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name='lines')\n"
        "    quantity = models.IntegerField(default=1)\n"
    )


def django_migration(app: int, n: int, ops: str) -> str:
    return (
        "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n"
        f"    dependencies = [('app{app}', '{n - 1:04d}_auto')]\n    operations = [\n{ops}    ]\n"
    )


def python_module(i: int, variant: int) -> str:
    lines = []
    for j in range(MODULE_LINES // 4):
        # Every third function changes on the feature branch: many hunks per file.
        k = j * (variant + 1) if j % 3 == 0 else j
        lines.append(f"def f{j}(order, flags):\n")
        lines.append(f"    if flags.is_enabled('feature_{i}_{j}'):\n")
        lines.append(f"        return order.total * {k}\n")
        lines.append("    return order.total\n")
    return "".join(lines)


def ts_module(i: int, variant: int) -> str:
    opt = "?" if variant == 0 else ""
    return (
        "import { z } from 'zod';\n\n"
        f"export interface ButtonProps{i} {{\n  label: string;\n  size{opt}: number;\n}}\n\n"
        f"export interface FetchOptions{i} {{\n  retries{opt}: number;\n  timeout?: number;\n}}\n\n"
        f"export const Order{i} = z.object({{\n  id: z.string(),\n"
        f"  note: z.string(){'.optional()' if variant == 0 else ''},\n}});\n\n"
        + "".join(
            f"export function helper{j}(x: number): number {{\n  return x + {j * (variant + 1) if j % 8 == 0 else j};\n}}\n"
            for j in range(60)
        )
    )


def test_file(i: int) -> str:
    m = i % MODELS
    return f"from app.models.m{m} import Record{m}\n\n\n" + "".join(
        f"def test_{i}_{j}():\n    assert Record{m}(id={j}, name='a', note='b').id == {j}\n\n\n"
        for j in range(12)
    )


def generate(root: Path, scale: int) -> None:
    root.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    for a in range(APPS * scale):
        write(root, f"app{a}/models/__init__.py", "from .order import Order  # noqa\n")
        write(
            root,
            f"app{a}/models/base.py",
            "from django.db import models\n\n\nclass TimeStamped(models.Model):\n    created = models.DateTimeField(auto_now_add=True)\n\n    class Meta:\n        abstract = True\n",
        )
        write(root, f"app{a}/models/order.py", django_models(a, 32, extra=True))
        for n in range(1, 11):
            write(
                root,
                f"app{a}/migrations/{n:04d}_auto.py",
                django_migration(
                    a,
                    n,
                    f"        migrations.AddField('order', 'f{n}', models.CharField(max_length=64, null=True)),\n",
                ),
            )
    for i in range(MODELS * scale):
        write(root, f"app/models/m{i}.py", model(i, note="Optional[str] = None"))
    for i in range(APP_MODULES * scale):
        write(root, f"app/src/mod{i}.py", python_module(i, 0))
    for i in range(TS_MODULES * scale):
        write(root, f"web/src/mod{i}.ts", ts_module(i, 0))
    for i in range(TESTS * scale):
        write(root, f"tests/test_t{i}.py", test_file(i))
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    git(root, "checkout", "-q", "-b", "feature")
    for a in range(APPS * scale):
        write(root, f"app{a}/models/order.py", django_models(a, 16, extra=False))
        for n in range(11, 16):
            ops = (
                "        migrations.AlterField('order', 'code', models.CharField(max_length=16)),\n"
                if n == 11
                else "        migrations.RemoveField('order', 'legacy'),\n"
                if n == 12
                else f"        migrations.AlterField('order', 'f{n}', models.CharField(max_length=64)),\n"
            )
            write(root, f"app{a}/migrations/{n:04d}_auto.py", django_migration(a, n, ops))
    for i in range(MODELS * scale):
        write(root, f"app/models/m{i}.py", model(i, note="str"))  # the note becomes required
    for i in range(APP_MODULES * scale):
        write(root, f"app/src/mod{i}.py", python_module(i, 1))
    for i in range(TS_MODULES * scale):
        write(root, f"web/src/mod{i}.ts", ts_module(i, 1))
    for i in range(SQL_MIGRATIONS * scale):
        write(
            root,
            f"db/migrations/V{i + 1}__change.sql",
            f"ALTER TABLE t{i} ADD COLUMN c text NOT NULL;\nCREATE INDEX ix{i} ON t{i} (c);\n"
            f"ALTER TABLE t{i} ADD CONSTRAINT fk{i} FOREIGN KEY (u) REFERENCES users (id);\n",
        )
    for i in range(TESTS * scale):
        write(
            root, f"tests/test_t{i}.py", test_file(i) + f"def test_more_{i}():\n    assert True\n"
        )
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "A large change")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(root: Path) -> dict[str, float]:
    guardrail = shutil.which("guardrail", path=str(Path(sys.executable).parent)) or "guardrail"
    start, cpu = time.perf_counter(), _children_cpu()
    subprocess.run(
        ["git", "diff", "main...feature"], cwd=root, stdout=subprocess.DEVNULL, check=True
    )
    git_time = time.perf_counter() - start
    git_cpu = _children_cpu() - cpu
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start, cpu = time.perf_counter(), _children_cpu()
    proc = subprocess.run(
        [guardrail, "check", "--base", "main", "--body", os.devnull, "--format", "json"],
        cwd=root,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - start
    guard_cpu = _children_cpu() - cpu  # guardrail and the git processes it waits for
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
        "cpu": guard_cpu,
        "git_cpu": git_cpu,
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
        f" {'CPU':>7} {'git CPU':>8} {'CPU ratio':>9}"
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
                f" {r['cpu']:>6.2f}s {r['git_cpu']:>7.2f}s {r['cpu'] / max(r['git_cpu'], 1e-6):>8.1f}×"
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
