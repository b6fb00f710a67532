"""The image's cost that the project controls: the runtime dependencies the Dockerfile installs
(requirements.lock), their installed size per package, and the time to install them into a fresh
venv from the lock file (from the local pip cache when warm; the first run downloads)."""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        venv = Path(tmp) / "v"
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
        py = venv / "bin" / "python"
        subprocess.run(
            [sys.executable, "-m", "pip", "--python", str(py), "--version"], capture_output=True
        )
        start = time.perf_counter()
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "--python",
                str(py),
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--require-hashes",
                "-r",
                str(ROOT / "requirements.lock"),
            ],
            capture_output=True,
            text=True,
        )
        elapsed = time.perf_counter() - start
        if proc.returncode:
            print(proc.stderr[-2000:])
            return 1
        site = next((venv / "lib").glob("python3*/site-packages"))
        per: dict[str, int] = {}
        for entry in site.iterdir():
            if (
                entry.name.endswith((".dist-info", ".pth"))
                or entry.name.startswith("_")
                and entry.is_file()
            ):
                continue
            key = entry.name.split(".")[0].lower()
            per[key] = per.get(key, 0) + (size(entry) if entry.is_dir() else entry.stat().st_size)
        total = size(site)
        cold = _cold_start(venv, py)
    print(f"install from requirements.lock into a fresh venv: {elapsed:.1f} s")
    print(f"installed size of the runtime dependencies: {total / 1e6:.1f} MB")
    for name, n in sorted(per.items(), key=lambda kv: -kv[1])[:12]:
        print(f"    {n / 1e6:6.1f} MB  {name}")
    for label, seconds in cold:
        print(f"{label}: {seconds * 1000:.0f} ms")
    return 0


def _cold_start(venv: Path, py: Path) -> list[tuple[str, float]]:
    """guardrail installed as the image installs it (not editable, bytecode compiled), then:
    the console script's first start, the import of everything an action run loads, and a
    no-op check — each the median of 5, CPU time (see bench/startup.py)."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(py),
            "install",
            "--quiet",
            "--no-deps",
            "--disable-pip-version-check",
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    exe = str(venv / "bin" / "guardrail")
    load_all = [
        str(py),
        "-c",
        "import guardrail.cli, guardrail.engine, guardrail.sources.github_api",
    ]
    out = [
        ("entrypoint cold start, `guardrail --version`", _cpu([exe, "--version"])),
        ("import of what an action run loads (engine, checks, PyGithub)", _cpu(load_all)),
    ]
    return out


def _cpu(args: list[str], runs: int = 5) -> float:
    samples = []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(args, capture_output=True, check=False)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        samples.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(samples)


if __name__ == "__main__":
    raise SystemExit(main())
