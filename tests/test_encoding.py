"""Migrations in UTF-16 and legacy encodings are read; what is not text is a GR901."""

from __future__ import annotations

import codecs

from guardrail import config as cfgmod
from guardrail import engine
from guardrail.analysis.encoding import decode, undecodable
from guardrail.model import ChangedFile, PullRequest, Report

SQL = "-- Änderung\nALTER TABLE orders ALTER COLUMN coupon SET NOT NULL;\n"


def test_byte_order_marks_say_the_encoding() -> None:
    assert decode(codecs.BOM_UTF8 + SQL.encode("utf-8")) == SQL
    assert decode(codecs.BOM_UTF16_LE + SQL.encode("utf-16-le")) == SQL
    assert decode(codecs.BOM_UTF16_BE + SQL.encode("utf-16-be")) == SQL
    assert decode(codecs.BOM_UTF32_LE + SQL.encode("utf-32-le")) == SQL


def test_utf16_without_a_mark_and_legacy_single_byte_text() -> None:
    assert decode(SQL.encode("utf-16-le")) == SQL
    assert decode(SQL.encode("utf-16-be")) == SQL
    assert decode(SQL.encode("cp1252")) == SQL
    assert decode(b"caf\x81") == "caf\x81"  # undefined in cp1252: Latin-1
    assert not undecodable(decode(SQL.encode("cp1252")))


def test_binary_is_not_text() -> None:
    assert undecodable(decode(bytes(range(256)) * 4))


def _report(data: bytes) -> Report:
    path = "db/migrations/V3__coupon.sql"
    pr = PullRequest(
        title="t",
        body="",
        files=(ChangedFile(path, "added", None, 0, 0, None, True),),
        labels=(),
        changed_files=1,
        base_sha="b" * 40,
        head_sha="a" * 40,
    )
    return engine.run(
        pr,
        cfgmod.parse(None, "test"),
        read=lambda side, p: decode(data) if (side, p) == ("head", path) else None,
        source="git",
    )


def _run(data: bytes) -> list[tuple[str, int | None]]:
    report = _report(data)
    return [(f.rule, f.line) for f in report.findings if f.rule in ("GR211", "GR901", "GR290")]


def _severities(data: bytes) -> list[str]:
    return [f.severity.name.lower() for f in _report(data).findings if f.rule == "GR901"]


def test_a_utf16_migration_git_calls_binary_is_read() -> None:
    assert _run(codecs.BOM_UTF16_LE + SQL.encode("utf-16-le")) == [("GR211", 2)]


def test_a_migration_that_is_not_text_is_a_gr901() -> None:
    assert _run(bytes(range(256)) * 4) == [("GR901", None)]
    # a migration nobody could read fails the check until a reviewer acknowledges it
    assert _severities(bytes(range(256)) * 4) == ["error"]
