"""The test index, built once per run: the tests the PR changes (and, with a checkout, every
other test of the repository), indexed for the evidence search (evidence.py). A fact of the
Analysis (core.py); the files it reads are declared here with `@wants`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from guardrail.analysis import evidence as ev
from guardrail.analysis.core import Analysis, Fact
from guardrail.analysis.diff import parse_patch, side_text
from guardrail.analysis.reads import wants
from guardrail.config import Config
from guardrail.model import ChangedFile, HeadTests, PullRequest


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
    rest: list[str] = []
    reader: Callable[[str], str | None] = lambda _path: None  # noqa: E731
    if ctx.tree is not None and ctx.read_tree is not None:
        rest, reader = ctx.tree(), ctx.read_tree
        searched = "the tests changed by the PR and the checkout's tests"
    elif ctx.head_tests is not None:
        rest, reader, searched = _api_tests(ctx, ctx.head_tests, {p for p, _ in changed})
    else:
        searched = "the tests changed by the PR (no checkout: the rest of the repository's tests were not read)"
    roots = ev.project_roots([*rest, *(f.path for f in ctx.pr.files if f.status != "removed")])
    # Helper modules a test imports (factories, loaders) are read from the checkout (locally:
    # the head commit), so evidence can follow a test's data into them.
    index = ev.build_index(changed, rest, reader, ctx.problems, roots, ctx.read_tree)
    index.searched = searched
    if ctx.read_tree is None and ctx.head_tests is not None:
        # No checkout: the modules a test imports are read through the API when a finding
        # needs them (checks/legacy.py asks), as the checkout would have them.
        head_tests = ctx.head_tests
        index.more = lambda paths: head_tests.read_many(paths)
        index.ours = frozenset(f.path for f in ctx.pr.files)
    return index


API_TEST_BUDGET = 100  # unchanged test files read through the API per run: one GraphQL request


def _api_tests(
    ctx: Analysis, tests: HeadTests, changed: set[str]
) -> tuple[list[str], Callable[[str], str | None], str]:
    """Without a checkout: the test files listed in the test folders near the changed shapes,
    those whose path names a tightened shape or its file first, read in one batch."""
    from guardrail.analysis.shapes.changed import SHAPE_CHANGES

    listed = [p for p in tests.paths() if ev.is_test_path(p) and p not in changed]
    words = set()
    for c in ctx.get(SHAPE_CHANGES).changes:
        words.add(_snake(c.tightening.shape.name.rsplit(".", 1)[-1]))
        words.add(c.file.path.rsplit("/", 1)[-1].split(".", 1)[0].lower())
    words.discard("")
    listed.sort(key=lambda p: (not any(w in p.lower() for w in words), p))
    chosen = listed[:API_TEST_BUDGET]
    texts = tests.read_many(chosen) if chosen else {}
    searched = (
        f"the tests changed by the PR and {len(chosen)} test files of {tests.where}, "
        "read through the GitHub API (no checkout)"
    )
    if len(listed) > len(chosen):
        searched += (
            f"; {len(listed) - len(chosen)} more test files there were not read (at most "
            f"{API_TEST_BUDGET} per run: add actions/checkout to search every test)"
        )
    return chosen, texts.get, searched


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


_TEST_FOLDER_NAMES = ("tests", "test", "__tests__", "spec")


def test_folders(pr: PullRequest, limit: int = 20) -> list[str]:
    """Without a checkout, the folders whose test files the legacy-data evidence needs: the
    test folders (`tests`, `test`, `__tests__`, `spec`) beside each changed data-shape file and
    above it up to the repository root, and a TypeScript shape's own folder (tests sit next to
    the code there). The root's test folders first, then each file's nearest; at most `limit`
    (a folder that does not exist costs nothing: GitHub answers null)."""
    from guardrail.analysis.shapes import SHAPE_EXTENSIONS

    out: list[str] = []
    for f in pr.files:
        if f.status == "removed" or f.binary or ev.is_test_path(f.path):
            continue
        if not f.path.lower().endswith(SHAPE_EXTENSIONS):
            continue
        parts = f.path.split("/")[:-1]
        if f.path.lower().endswith((".ts", ".tsx", ".mts")) and parts:
            out.append("/".join(parts))
        for i in range(len(parts), 0, -1):
            folder = "/".join(parts[:i])
            out += [f"{folder}/{n}" for n in _TEST_FOLDER_NAMES]
    if not out and not any(f.path.lower().endswith(SHAPE_EXTENSIONS) for f in pr.files):
        return []
    return list(dict.fromkeys([*_TEST_FOLDER_NAMES, *out]))[:limit]


TEST_INDEX: Fact[ev.TestIndex] = Fact("test_index", _read_index)
