"""Which files the analysis will read, known before it runs, so a source that pays per request
(the GitHub API) can fetch them all at once. Pure.

Each reader declares what it reads next to the code that reads it, with `@wants`: a function of
one changed file (and the configuration) to the (side, path) pairs it will ask for. The list
is the union of those declarations, so it cannot drift from what the readers do;
tests/test_reads.py runs every golden case with a recording reader to hold that.

Some reads depend on what a file says (a `$ref` into another file of a split specification,
the modules a `models/` package imports): they cannot be known before the file is read, and
are fetched one by one when asked. A reader names such reads with `@discovers`, a predicate on
(side, path), so the test can tell them from a read someone forgot to declare.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from guardrail.config import Config
from guardrail.model import ChangedFile, PullRequest

Side = str  # "base" | "head"
Want = Callable[[ChangedFile, Config], Iterable[tuple[Side, str]]]

Discovered = Callable[[Side, str], bool]

_WANTS: list[Want] = []
_DISCOVERS: list[Discovered] = []


def wants(fn: Want) -> Want:
    """Register what a reader reads for one changed file."""
    _WANTS.append(fn)
    return fn


def discovers(fn: Discovered) -> Discovered:
    """Register which reads a reader makes only after reading a file's content."""
    _DISCOVERS.append(fn)
    return fn


def discovered(side: Side, path: str) -> bool:
    """Whether a read is one that a reader found in content (see `discovers`)."""
    return any(fn(side, path) for fn in _DISCOVERS)


def files_to_read(pr: PullRequest, config: Config) -> list[tuple[Side, str]]:
    """(side, path) pairs: side is "base" or "head". The union of the declarations of every
    reader imported so far: call it through `guardrail.engine.files_to_read`, which has
    imported every check and so every reader they use (this layer imports no check)."""
    out: list[tuple[Side, str]] = []
    for f in pr.files:
        if f.status == "removed" or f.binary:
            continue
        for want in _WANTS:
            out.extend(want(f, config))
    return list(dict.fromkeys(out))
