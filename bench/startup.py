"""Start-up: `python -X importtime` of the console script's path, the time to `guardrail
--version` and to a no-op check (a checkout with nothing to compare). Budget: a no-op check well
under 150 ms. Heavy imports (PyGithub, pglast) must stay off paths that do not need them."""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from seeds.seedlib import make_repo  # noqa: E402


def timed(args: list[str], cwd: Path, runs: int = 7) -> float:
    """Median CPU seconds (user + system, the process and the git processes it waits for) of a
    run. CPU time, not wall time: on a busy machine (a shared CI runner, a laptop compiling)
    wall time measures the neighbours; on an idle one the two agree within a few ms."""
    samples = []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(args, cwd=cwd, capture_output=True, check=False)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        samples.append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
    return statistics.median(samples)


def imported(args: list[str], cwd: Path) -> list[tuple[int, str]]:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", *args], cwd=cwd, capture_output=True, text=True
    )
    rows = []
    for line in proc.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            rows.append((int(parts[1]), parts[2].rstrip()))
    return rows


TESTS = 400


def two_file_change() -> tuple[dict[str, str | None], dict[str, str | None]]:
    """A model whose field becomes required and its test, in a repository with many tests: the
    legacy-data check searches them for old-shape evidence."""
    model = (
        "from typing import Optional\n\nfrom pydantic import BaseModel\n\n\n"
        "class Order(BaseModel):\n    id: int\n    coupon: {}\n"
    )
    base: dict[str, str | None] = {"app/models.py": model.format("Optional[str] = None")}
    for i in range(TESTS):
        base[f"tests/test_mod{i}.py"] = "".join(
            f"def test_{i}_{j}():\n    assert {j} + 1 == {j + 1}\n\n\n" for j in range(10)
        )
    head: dict[str, str | None] = {
        "app/models.py": model.format("str"),
        "tests/test_models.py": "from app.models import Order\n\n\n"
        "def test_order():\n    assert Order(id=1, coupon='x').coupon == 'x'\n",
    }
    return base, head


def main() -> int:
    exe = shutil.which("guardrail", path=str(Path(sys.executable).parent)) or "guardrail"
    with tempfile.TemporaryDirectory() as tmp:
        repo = make_repo(Path(tmp) / "r", {"a.py": "x = 1\n"}, {})
        version = timed([exe, "--version"], repo)
        noop = timed([exe, "check", "--base", "main", "--body", os.devnull], repo)
        small = make_repo(Path(tmp) / "small", *two_file_change())
        two = timed([exe, "check", "--base", "main", "--body", os.devnull], small, runs=5)
        rows = imported(["-m", "guardrail", "check", "--base", "main", "--body", os.devnull], repo)
    total = max((us for us, _ in rows), default=0)
    heavy = {
        name.strip(): us
        for us, name in rows
        if name.strip() in ("github", "pglast", "pydantic", "markdown_it", "yaml", "pathspec")
    }
    print(f"guardrail --version: {version * 1000:.0f} ms CPU (median of 7)")
    print(
        f"no-op check:          {noop * 1000:.0f} ms CPU (median of 7) — budget 150 ms: {'met' if noop < 0.15 else 'NOT met'}"
    )
    print(
        f"two-file PR, legacy-test search over {TESTS} test files: {two * 1000:.0f} ms CPU (median of 5)"
        f" — budget 500 ms: {'met' if two < 0.5 else 'NOT met'}"
    )
    print(f"imports on the no-op check path: {total / 1000:.0f} ms in all; the largest cumulative:")
    for us, name in sorted(rows, reverse=True)[:8]:
        print(f"    {us / 1000:7.1f} ms {name}")
    print(
        "heavy libraries imported by a no-op check: "
        + (", ".join(f"{k} ({v / 1000:.0f} ms)" for k, v in heavy.items()) or "none")
    )
    print("not imported there: " + ", ".join(n for n in ("github", "pglast") if n not in heavy))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
