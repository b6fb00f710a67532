"""Small inputs that crashed the run (issue 16): a reader that fails on one file becomes a
GR901 finding naming that file, the run goes on, and the exit code is the verdict's, never 2.

Each case runs the installed console script on a real git repository, next to a migration that
guardrail must still judge (GR212), so a crash cannot hide the rest of the change.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from guardrail import engine
from guardrail.analysis.isolate import Problems, Unreadable
from guardrail.analysis.migrations import changed
from guardrail.analysis.migrations.detect import MigrationFile
from guardrail.checks.base import Analysis
from guardrail.config import Config
from guardrail.model import ChangedFile, Finding, PullRequest
from tests.conftest import console_script
from tests.gitrepo import make_repo

DROP = "ALTER TABLE orders DROP COLUMN coupon;\n"
BODY = "## Rollback plan\nRevert; nothing reads the column.\n"
SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {"note": {"type": "string"}},
}
DEEP = 100_000


def _schema_with(deep: str) -> str:
    text = json.dumps(SCHEMA)
    return text[:-1] + f', "x": {deep}}}'


PROTO = "syntax = 'proto3';\nmessage Order {{\n  string note = {n};\n  string id = 2;\n}}\n"
DJANGO = (
    "from django.db import migrations, models\n\n"
    "LIMIT = {expr}\n\n"
    "class Migration(migrations.Migration):\n"
    "    dependencies = []\n"
    "    operations = [migrations.RemoveField(model_name='order', name='coupon')]\n"
)

CASES = {
    "deep_json_schema": (
        {"schemas/order.schema.json": json.dumps(SCHEMA)},
        {"schemas/order.schema.json": _schema_with("[" * DEEP + "]" * DEEP)},
        "schemas/order.schema.json",
    ),
    "deep_yaml_schema": (
        {"schemas/order.schema.yaml": "type: object\nproperties:\n  note: {type: string}\n"},
        {
            "schemas/order.schema.yaml": "type: object\nproperties:\n  note: {type: string}\n"
            "x: " + "[" * DEEP + "]" * DEEP + "\n"
        },
        "schemas/order.schema.yaml",
    ),
    "long_expression_in_django_migration": (
        {},
        {"shop/migrations/0002_drop.py": DJANGO.format(expr="+".join(["1"] * 20_000))},
        "shop/migrations/0002_drop.py",
    ),
    "arabic_indic_digit_in_proto": (
        {"proto/order.proto": PROTO.format(n="1")},
        {"proto/order.proto": PROTO.format(n="\u0661")},
        None,  # int() reads "١" as 1: a valid number, no problem to report
    ),
    "superscript_digit_in_proto": (
        {"proto/order.proto": PROTO.format(n="1")},
        {"proto/order.proto": PROTO.format(n="\u00b2")},
        None,
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_one_unreadable_file_does_not_stop_the_run(tmp_path: Path, name: str) -> None:
    base, head, unreadable = CASES[name]
    repo = make_repo(tmp_path / "r", base, {**head, "db/migrations/0009_drop.sql": DROP})
    body = tmp_path / "body.md"
    body.write_text(BODY)
    proc = subprocess.run(
        [console_script(), "check", "--base", "main", "--body", str(body), "--format", "json"],
        cwd=repo,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(repo)},
        timeout=120,
    )
    assert proc.returncode in (0, 1), proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    findings = json.loads(proc.stdout)["findings"]
    assert any(f["rule"] == "GR212" for f in findings), "the rest of the change is still judged"
    if unreadable is not None:
        (problem,) = [f for f in findings if f["rule"] == "GR901" and f["path"] == unreadable]
        assert "could not read" in problem["title"]
        # a migration nobody read fails the check; an unread data shape is a warning
        migration = "/migrations/" in unreadable
        assert problem["severity"] == ("error" if migration else "warning"), problem
        assert ("acknowledge GR901" in problem["detail"]) is migration


def test_a_check_that_fails_becomes_a_finding_and_the_others_run() -> None:
    def broken(ctx: Analysis) -> list[Finding]:
        raise RecursionError("maximum recursion depth exceeded")

    from guardrail.checks import ALL_CHECKS

    report = engine.run(PullRequest(body=BODY), Config(), checks=(broken, *ALL_CHECKS))
    (problem,) = [f for f in report.findings if f.rule == "GR901"]
    assert "broken" in problem.title and "RecursionError" in problem.detail


def _added(path: str, text: str) -> ChangedFile:
    lines = text.splitlines()
    patch = f"@@ -0,0 +1,{len(lines)} @@\n" + "\n".join("+" + ln for ln in lines)
    return ChangedFile(path, "added", None, len(lines), 0, patch)


def test_a_reader_that_fails_on_one_file_is_one_finding_and_the_run_goes_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Through `Analysis.problems` (the one way a reader records a failure): the failing file is
    one GR901 naming it and the error, and the other migration is still judged."""
    texts = {"db/migrations/0001_a.sql": DROP, "db/migrations/0002_b.sql": DROP}
    real = changed.read

    def read(kind: MigrationFile, *args: Any, **kwargs: Any) -> Any:
        if kind.path == "db/migrations/0001_a.sql":
            raise RecursionError("maximum recursion depth exceeded")
        return real(kind, *args, **kwargs)

    monkeypatch.setattr(changed, "read", read)
    pr = PullRequest(body=BODY, files=tuple(_added(p, t) for p, t in texts.items()))
    report = engine.run(pr, Config(), read=lambda side, p: texts.get(p) if side == "head" else None)
    unread = [f for f in report.findings if f.rule == "GR901"]
    assert [f.path for f in unread] == ["db/migrations/0001_a.sql"]
    assert "RecursionError" in unread[0].detail
    assert [f.path for f in report.findings if f.rule == "GR212"] == ["db/migrations/0002_b.sql"]


def test_problems_records_a_failure_and_lets_an_interrupt_through() -> None:
    problems = Problems()

    def boom(n: int) -> int:
        raise ValueError(f"bad {n}")

    assert problems.attempt("a.sql", "migration", boom, 3) is None
    assert problems.attempt("b.sql", "migration", lambda n: n + 1, 3) == 4
    problems.add("c.sql", "migration", "its content could not be fetched", not_fetched=True)
    assert problems == [
        Unreadable("a.sql", "migration", "ValueError: bad 3"),
        Unreadable("c.sql", "migration", "its content could not be fetched", not_fetched=True),
    ]

    def interrupted() -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        problems.attempt("d.sql", "migration", interrupted)
