"""One file's failure stays that file's: a reader or check that raises on one input becomes a
record of what could not be read, the run goes on, and the engine reports it as GR901.

Hostile or odd inputs (nesting deep enough to exhaust the recursion limit, a 20,000-term
expression, a value a parser does not expect) must never abort the whole run: the status
that branch protection waits for is always set. Pure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

T = TypeVar("T")
P = ParamSpec("P")


@dataclass(frozen=True)
class Unreadable:
    """What guardrail could not read, and why, in words for the finding."""

    path: str | None  # the file; None when a whole check failed
    what: str  # "migration", "data shape", "test file", "the migration-safety check"
    error: str  # "RecursionError (nested too deeply)"
    # A migration whose content never arrived (not fetched): the check cannot pass on it
    # unread, as GR910 cannot for a change not fully seen. A reader's failure on content it
    # had stays a warning.
    not_fetched: bool = False


def describe(exc: BaseException) -> str:
    name = type(exc).__name__
    if isinstance(exc, RecursionError):
        return f"{name}: nested too deeply to read"
    if isinstance(exc, MemoryError):
        return f"{name}: too large to read"
    message = " ".join(str(exc).split())[:120]
    return f"{name}: {message}" if message else name


class Problems(list[Unreadable]):
    """Where a reader records what it could not read: the one way a failure on one file becomes a
    GR901 (the engine reports each entry). `Analysis.problems` is one (the computing fact's, or
    the running check's); readers call `ctx.problems.attempt(...)` or `ctx.problems.add(...)` and
    never build an `Unreadable` themselves."""

    def add(
        self, path: str | None, what: str, why: str | BaseException, *, not_fetched: bool = False
    ) -> None:
        """Record that `what` at `path` could not be read, `why` in words or as the exception."""
        error = describe(why) if isinstance(why, BaseException) else why
        self.append(Unreadable(path, what, error, not_fetched))

    def attempt(
        self,
        path: str | None,
        what: str,
        read: Callable[P, T],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T | None:
        """`read(*args, **kwargs)`, or None with the failure recorded. Catches every Exception
        (not KeyboardInterrupt or SystemExit): a reader's bug on one file is still that file's."""
        try:
            return read(*args, **kwargs)
        except Exception as exc:  # isolation is the point: see the module docstring
            self.add(path, what, exc)
            return None
