"""The image's cost that the project controls: the runtime dependencies the Dockerfile installs
(requirements.lock), their installed size per package, and the time to install them into a fresh
venv from the lock file (from the local pip cache when warm; the first run downloads)."""

from __future__ import annotations

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
    print(f"install from requirements.lock into a fresh venv: {elapsed:.1f} s")
    print(f"installed size of the runtime dependencies: {total / 1e6:.1f} MB")
    for name, n in sorted(per.items(), key=lambda kv: -kv[1])[:12]:
        print(f"    {n / 1e6:6.1f} MB  {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
