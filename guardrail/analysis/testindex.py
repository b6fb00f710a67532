"""The test index, built once per run: the tests the PR changes (and, with a checkout, every
other test of the repository), indexed for the evidence search (evidence.py). A fact of the
Analysis (core.py); the files it reads are declared here with `@wants`.
"""

from __future__ import annotations

from collections.abc import Iterator

from guardrail.analysis import evidence as ev
from guardrail.analysis.core import Analysis, Fact
from guardrail.analysis.diff import parse_patch, side_text
from guardrail.analysis.reads import wants
from guardrail.config import Config
from guardrail.model import ChangedFile


@wants
def _test_reads(f: ChangedFile, config: Config) -> Iterator[tuple[str, str]]:
    """A changed test, unless its patch holds all of it (a new file)."""
    if ev.is_test_path(f.path) and not (f.status == "added" and f.patch is not None):
        yield ("head", f.path)


def test_index(ctx: Analysis) -> ev.TestIndex:
    """Every test the PR changes and, with a checkout, the rest of the repository's tests."""
    return ctx.get(TEST_INDEX)


def _read_index(ctx: Analysis) -> ev.TestIndex:
    changed: list[tuple[str, str]] = []
    for f in ctx.pr.files:
        if f.status == "removed" or not ev.is_test_path(f.path):
            continue
        text = None
        if f.status == "added" and f.patch is not None:
            text = "\n".join(ln.text for ln in parse_patch(f.patch).added)
        elif ctx.read is not None:
            text = ctx.read("head", f.path)
        elif f.patch:
            text = side_text(f.patch, "head")
        if text is not None:
            changed.append((f.path, text))
    rest = ctx.tree() if ctx.tree is not None and ctx.read_tree is not None else []
    reader = ctx.read_tree or (lambda _path: None)
    roots = ev.project_roots([*rest, *(f.path for f in ctx.pr.files if f.status != "removed")])
    # Helper modules a test imports (factories, loaders) are read from the checkout (locally:
    # the head commit), so evidence can follow a test's data into them.
    index = ev.build_index(changed, rest, reader, ctx.problems, roots, ctx.read_tree)
    return index


TEST_INDEX: Fact[ev.TestIndex] = Fact("test_index", _read_index)
