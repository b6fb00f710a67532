"""guardrail and squawk (squawk-cli from PyPI) over the same SQL migrations, side by side.

For every case of ../shared/corpus/squawk whose rule guardrail maps, print which tool flags it
and the time each takes per file, then totals: cases squawk flags that guardrail also flags,
and the reverse. Run: `make bench` or `.venv/bin/python bench/migrations_vs_squawk.py`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import conformance  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "squawk"


def squawk_rules(binary: str, path: Path, settings: dict[str, object]) -> tuple[set[str], float]:
    args = [binary, "--reporter", "json"]
    if settings.get("assume_in_transaction"):
        args.append("--assume-in-transaction")
    if settings.get("pg_version"):
        args += ["--pg-version", str(settings["pg_version"])]
    start = time.perf_counter()
    proc = subprocess.run([*args, str(path)], capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    try:
        data = json.loads(proc.stdout or "[]")
    except ValueError:
        data = []
    return {str(v.get("rule_name")) for v in data if isinstance(v, dict)}, elapsed


def main() -> int:
    if not CORPUS.is_dir():
        print("../shared/corpus/squawk is not here; nothing to compare")
        return 0
    binary = shutil.which("squawk", path=str(Path(sys.executable).parent)) or shutil.which("squawk")
    if not binary:
        print("squawk is not installed: `make venv` installs squawk-cli from the dev lock file")
        return 1
    index = json.loads((CORPUS / "cases.json").read_text())
    defaults = index.get("default_settings", {})
    rows = []
    both = only_squawk = only_guardrail = 0
    t_squawk = t_guard = 0.0
    for case in index["cases"]:
        rule = case["rule"]
        if rule not in conformance.SQUAWK_MAP:
            continue
        path = CORPUS / case["file"]
        settings = {**defaults, **(case.get("settings") or {})}
        flagged, ts = squawk_rules(binary, path, settings)
        sq = rule in flagged
        sql = path.read_text()
        if settings.get("assume_in_transaction"):
            sql = "BEGIN;\n" + sql + "\nCOMMIT;"
        start = time.perf_counter()
        codes = conformance.codes_for("migrations/0001_case.sql", sql)
        tg = time.perf_counter() - start
        gr = bool(codes & conformance.SQUAWK_MAP[rule])
        t_squawk += ts
        t_guard += tg
        both += sq and gr
        only_squawk += sq and not gr
        only_guardrail += gr and not sq
        mark = "=" if sq == gr else ("S" if sq else "G")
        rows.append(
            f"{mark} {case['file'][6:][:64]:64} squawk={'flag' if sq else '-':4} "
            f"guardrail={'flag' if gr else '-':4} {','.join(sorted(codes & conformance.SQUAWK_MAP[rule])):12}"
            f" {ts * 1000:7.1f}ms {tg * 1000:6.1f}ms"
        )
    print(f"{'':2}{'case':64} {'':11} {'':14} {'':12} {'squawk':>9} {'guardrail':>8}")
    print("\n".join(rows))
    n = len(rows)
    print()
    print(
        f"cases: {n}; flagged by both: {both}; squawk only: {only_squawk}; guardrail only: {only_guardrail}"
    )
    squawk_total = both + only_squawk
    print(
        f"of the cases squawk flags, guardrail flags {both}/{squawk_total} ({both / max(1, squawk_total):.0%})"
    )
    print(
        f"time per file: squawk {t_squawk / n * 1000:.1f} ms (a process per file), "
        f"guardrail {t_guard / n * 1000:.2f} ms (in process, full engine)"
    )
    print(
        "frameworks read: squawk 1 (PostgreSQL SQL); guardrail 17 (SQL, Django, Alembic, Rails, Flyway, "
        "Liquibase, Prisma, Knex, Sequelize, TypeORM, golang-migrate, goose, dbmate, Ecto, Laravel, sqitch, EF Core)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
