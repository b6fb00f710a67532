"""Where one `guardrail check` spends its CPU time: each check and each fact, by its own time.

Runs `guardrail check ARGS…` in the current directory, in this process, and prints the CPU time
(`time.process_time`) of each check the engine runs and of each fact (`Analysis.get`) the first
time it is computed, each without the facts it asked for in turn (those are counted as their
own rows, whichever check asked first), then the rest of the run: imports, reading the change,
rendering. No profiler: the figures are the plain run's, so a pure-Python function is not
inflated against C code as under cProfile.

Run, in a repository: `.venv/bin/python /path/to/bench/breakdown.py --base main --body /dev/null --format json`
(`bench/large_pr.py --keep DIR` keeps repositories to run it in).
"""

from __future__ import annotations

import contextlib
import io
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
START = time.process_time()

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from guardrail import engine  # noqa: E402
from guardrail.analysis import core  # noqa: E402

IMPORTED = time.process_time()
_own: dict[str, list[float]] = {}  # name -> [own seconds, times]
_inner: list[float] = []  # the time of the facts computed inside the current row


def _charge(name: str, compute: Callable[[], T]) -> T:
    start = time.process_time()
    _inner.append(0.0)
    try:
        return compute()
    finally:
        spent = time.process_time() - start
        inner = _inner.pop()
        if _inner:
            _inner[-1] += spent
        row = _own.setdefault(name, [0.0, 0])
        row[0] += spent - inner
        row[1] += 1


def main() -> int:
    get = core.Analysis.get
    run_check = engine._run_check

    def timed_get(self: core.Analysis, fact: core.Fact[T]) -> T:
        if fact.name in self._facts:
            return get(self, fact)
        return _charge(f"fact  {fact.name}", lambda: get(self, fact))

    def timed_check(check: Any, ctx: core.Analysis) -> Any:
        name = getattr(check, "__name__", type(check).__name__)
        return _charge(f"check {name}", lambda: run_check(check, ctx))

    core.Analysis.get = timed_get  # type: ignore[method-assign]
    engine._run_check = timed_check

    from guardrail.cli import main as cli

    sys.argv = ["guardrail", "check", *sys.argv[1:]]
    with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
        cli()
    total = time.process_time() - START
    counted = sum(own for own, _ in _own.values())
    print(f"{total:7.3f} s CPU in all")
    print(f"{IMPORTED - START:7.3f} s importing the engine and the checks")
    for name, (own, times) in sorted(_own.items(), key=lambda kv: -kv[1][0]):
        if own >= 0.001:
            print(f"{own:7.3f} s {name}" + (f" ({times:.0f} runs)" if times > 1 else ""))
    rest = total - counted - (IMPORTED - START)
    print(f"{rest:7.3f} s the rest: the CLI's imports, reading the change, the report")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
