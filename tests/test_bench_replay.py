"""bench/replay_migrations.py: a folder below the repository's root keeps its place, and a
replay that read nothing says so instead of printing an empty table."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

_BENCH = Path(__file__).resolve().parent.parent / "bench" / "replay_migrations.py"

MIGRATION = """from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("order", "0001_initial")]

    operations = [
        migrations.AddField("order", "note", models.TextField(null=True)),
    ]
"""


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("replay_migrations", _BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(monkeypatch: pytest.MonkeyPatch, *argv: str) -> int:
    monkeypatch.setattr(sys, "argv", ["replay_migrations.py", *argv])
    result: int = _bench().main()
    return result


def test_the_migrations_folder_itself_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "order" / "migrations"
    folder.mkdir(parents=True)
    (folder / "0002_order_note.py").write_text(MIGRATION, encoding="utf-8")
    assert _run(monkeypatch, str(folder)) == 0
    assert "1 migrations read" in capsys.readouterr().out


def test_reading_nothing_is_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "notes.txt").write_text("not a migration\n", encoding="utf-8")
    assert _run(monkeypatch, str(tmp_path)) == 1
    err = capsys.readouterr().err
    assert "0 migrations read" in err and "migration convention" in err


def test_each_rule_is_counted_by_severity(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """One rule can give errors and notices; the table splits them so a count of notices is
    never read as a count of errors."""
    folder = tmp_path / "order" / "migrations"
    folder.mkdir(parents=True)
    drop = MIGRATION.replace(
        'migrations.AddField("order", "note", models.TextField(null=True))',
        'migrations.RemoveField("order", "note")',
    )
    (folder / "0002_order_note.py").write_text(drop, encoding="utf-8")
    assert _run(monkeypatch, str(folder)) == 0
    lines = capsys.readouterr().out.splitlines()
    header = next(line for line in lines if line.startswith("rule"))
    assert header.split()[-3:] == ["errors", "warnings", "notices"]
    rows = {line.split()[0]: line.split()[1:] for line in lines if line[:2] == "GR"}
    assert rows, lines
    for rule, (total, _files, errors, warnings, notices) in rows.items():
        assert int(total) == int(errors) + int(warnings) + int(notices), rule


def test_the_django_replay_bench_times_a_chained_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """bench/django_replay.py repeats a folder's migrations, chained by `dependencies`, and
    reads them as the replay does (every copy's steps, and its link to the one before)."""
    (tmp_path / "0001_initial.py").write_text(MIGRATION, encoding="utf-8")
    (tmp_path / "0002_note.py").write_text(MIGRATION, encoding="utf-8")
    path = Path(__file__).resolve().parent.parent / "bench" / "django_replay.py"
    spec = importlib.util.spec_from_file_location("django_replay", path)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    files = bench._files(tmp_path, 5)
    assert list(files) == [
        f"app/migrations/{i:04d}_{n}.py"
        for i, n in zip(range(1, 6), ["initial", "note", "initial", "note", "initial"], strict=True)
    ]
    assert '("app", "0004_note")' in files["app/migrations/0005_initial.py"]
    monkeypatch.setattr(sys, "argv", ["django_replay.py", str(tmp_path), "--files", "5"])
    bench.main()
    out = capsys.readouterr().out
    assert (
        "5 migrations" in out and "9 state steps" in out
    )  # 5 AddFields, 4 links and "budget 5 s" in out
