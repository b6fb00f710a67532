"""Start-up: `python -X importtime` of the console script's path, the time to `guardrail
--version` and to a no-op check (a checkout with nothing to compare). Budget: a no-op check well
under 150 ms. Heavy imports (PyGithub, pglast) must stay off paths that do not need them."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from seeds.seedlib import make_repo  # noqa: E402


def timed(args: list[str], cwd: Path, runs: int = 7) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(args, cwd=cwd, capture_output=True, check=False)
        samples.append(time.perf_counter() - start)
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


def main() -> int:
    exe = shutil.which("guardrail", path=str(Path(sys.executable).parent)) or "guardrail"
    with tempfile.TemporaryDirectory() as tmp:
        repo = make_repo(Path(tmp) / "r", {"a.py": "x = 1\n"}, {})
        version = timed([exe, "--version"], repo)
        noop = timed([exe, "check", "--base", "main", "--body", os.devnull], repo)
        rows = imported(["-m", "guardrail", "check", "--base", "main", "--body", os.devnull], repo)
    total = max((us for us, _ in rows), default=0)
    heavy = {
        name.strip(): us
        for us, name in rows
        if name.strip() in ("github", "pglast", "pydantic", "markdown_it", "yaml", "pathspec")
    }
    print(f"guardrail --version: {version * 1000:.0f} ms (median of 7)")
    print(
        f"no-op check:          {noop * 1000:.0f} ms (median of 7) — budget 150 ms: {'met' if noop < 0.15 else 'NOT met'}"
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
