"""Arbitrary input gives a result or a clean error, never an exception, and time stays linear."""

from __future__ import annotations

import contextlib
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guardrail.analysis import shapes
from guardrail.analysis.diff import parse_patch, split_git_diff
from guardrail.analysis.jsonschema_diff import tightenings
from guardrail.analysis.markdown import assess, blocks, find_sections
from guardrail.analysis.migrations import (
    alembic,
    detect,
    django,
    ecto,
    efcore,
    js,
    laravel,
    liquibase,
    rails,
)
from guardrail.analysis.migrations.sql import read_sql
from guardrail.analysis.shapes import typescript
from guardrail.config import DEFAULT_PLACEHOLDERS, DEFAULT_ROLLBACK_HEADINGS

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MARKDOWNISH = st.text(
    alphabet=st.sampled_from(list("#*_`[]()<>!-:|\n \tRollbackplan N/A<!--> ")), max_size=400
)
SQLISH = st.text(
    alphabet=st.sampled_from(list("ALTER TABLE DROP COLUMN INDEX CONCURRENTLY ;'\"()`-/*\n x1")),
    max_size=300,
)


@FAST
@given(st.text(max_size=500) | MARKDOWNISH)
def test_markdown_sections_never_raise(body: str) -> None:
    for section in find_sections(body, DEFAULT_ROLLBACK_HEADINGS):
        assert assess(section.text, DEFAULT_PLACEHOLDERS).status in (
            "ok",
            "empty",
            "placeholder",
            "template",
        )


@FAST
@given(st.text(max_size=500))
def test_diff_reader_never_raises(text: str) -> None:
    result = parse_patch(text)
    assert all(line.number > 0 for line in result.added + result.removed)
    split_git_diff(text)


@FAST
@given(st.text(max_size=300) | SQLISH)
def test_sql_reader_never_raises(sql: str) -> None:
    reading = read_sql(sql)
    assert all(op.line >= 1 for op in reading.ops)


@FAST
@given(st.text(max_size=300))
def test_dsl_readers_never_raise(text: str) -> None:
    rails.read(text)
    laravel.read(text)
    js.read(text, "knex")
    js.read(text, "typeorm", typescript=True)
    ecto.read(text)
    efcore.read(text)
    liquibase.read(text, "db/changelog/x.yaml")
    liquibase.read(text, "db/changelog/x.xml")
    try:
        django.read(text)
        alembic.read(text)
    except SyntaxError:
        pass  # detect.read turns this into a "not understood" note


@FAST
@given(
    st.text(max_size=300),
    st.text(max_size=300),
    st.sampled_from(
        ["a.py", "a.proto", "a.graphql", "a.ts", "a.avsc", "a.schema.json", "openapi.yaml"]
    ),
)
def test_shape_differ_never_raises(base: str, head: str, path: str) -> None:
    def read(text: str) -> list[shapes.Shape]:
        try:
            return shapes.shapes_of(path, text)
        except shapes.ShapeReadError as exc:  # the clean error: reported as GR901
            assert exc.line >= 1
            return []

    shapes.compare(read(base), read(head))
    if path.endswith((".json", ".yaml")):
        tightenings(base, head, path)


def _linear(make: object, run: object, small: int = 2_000, factor: int = 8) -> None:
    def timed(n: int) -> float:
        # CPU time of this process: what other processes on a shared machine do is not counted.
        data = make(n)  # type: ignore[operator]
        start = time.process_time()
        run(data)  # type: ignore[operator]
        return time.process_time() - start

    timed(small)  # warm up
    a, b = min(timed(small) for _ in range(2)), timed(small * factor)
    # Linear would be ~factor times slower; allow generous noise, fail clearly on quadratic.
    assert b < a * factor * 4 + 0.5, (a, b)


def test_markdown_is_linear_on_hostile_bodies() -> None:
    unit = "**Rollback:** " + "<!--" * 3 + "* _ [ ` " * 5 + "\n"

    def run(body: str) -> None:
        blocks.cache_clear()  # parsed bodies are cached per run; measure the parse
        find_sections(body, DEFAULT_ROLLBACK_HEADINGS)

    _linear(lambda n: unit * n, run, small=300, factor=4)


def test_sql_reader_is_linear() -> None:
    _linear(lambda n: "ALTER TABLE t ADD COLUMN c int NOT NULL;\n" * (n // 4), read_sql, small=400)


def _read_or_error(path: str) -> object:
    def run(text: str) -> None:
        typescript.parse.cache_clear()  # one parse per text is cached; measure the parse
        with contextlib.suppress(shapes.ShapeReadError):
            shapes.shapes_of(path, text)

    return run


def test_readers_are_linear_on_unclosed_comments(monkeypatch: pytest.MonkeyPatch) -> None:
    _linear(lambda n: "message A { /* " * n, _read_or_error("a.proto"))
    _linear(lambda n: 'input A { """ ( ' * n, _read_or_error("a.graphql"))
    # tree-sitter's error recovery is not linear here; the reader's time budget makes it so.
    monkeypatch.setattr(typescript, "BUDGET_BASE", 0.1)
    _linear(
        lambda n: "interface A { x?: string; /* \n" * n, _read_or_error("a.ts"), small=100, factor=8
    )


def test_framework_readers_are_linear_on_deep_nesting() -> None:
    def read(framework: str, path: str) -> object:
        def run(text: str) -> None:
            # analysis/isolate.py turns a RecursionError into GR901 for the file.
            with contextlib.suppress(RecursionError):
                detect.read(detect.MigrationFile(path, framework), text)

        return run

    _linear(lambda n: "add_column(" * n + "\n", read("rails", "db/migrate/1_x.rb"))
    _linear(lambda n: "exports.up = () => { " * n, read("knex", "migrations/1_x.js"))
    _linear(lambda n: "<?php Schema::table('t', [" * n, read("laravel", "x.php"))
    _linear(lambda n: "def up do alter(" * n, read("ecto", "x.exs"))
    _linear(lambda n: "class A { void Up(MigrationBuilder b) { b.Sql((" * n, read("efcore", "x.cs"))
