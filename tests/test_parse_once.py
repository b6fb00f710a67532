"""One run parses each migration, model and shape file once, whichever checks read it (issue 15:
"each model file parsed once per commit; no check re-reads what another already read").

Counted at the parsers themselves (Python's `ast.parse`, the data-shape readers, pglast) over a
pull request that every reader of the same files looks at: a Django app whose model change has
its AlterField migration (migration-safety resolves it against the models, the history checks
read the app's migrations, drift compares the models, the data-shape check compares them), a
pydantic model and a TypeScript/zod module made stricter (the data-shape check and the layer
contract both read them), and a SQL migration.
"""

from __future__ import annotations

import ast
import dataclasses
from collections import Counter
from typing import Any

import pytest

from guardrail import engine
from guardrail.analysis import pgsql, testfacts
from guardrail.analysis import shapes as shape_readers
from guardrail.analysis.shapes import Shape
from tests.golden import base_tree, build

MODELS_BASE = """from django.db import models


class Order(models.Model):
    code = models.CharField(max_length=32)
    note = models.TextField(null=True)
"""
MODELS_HEAD = MODELS_BASE.replace("max_length=32", "max_length=16")
MIGRATION_1 = """from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        migrations.CreateModel(
            name="Order",
            fields=[
                ("id", models.AutoField(primary_key=True)),
                ("code", models.CharField(max_length=32)),
                ("note", models.TextField(null=True)),
            ],
        ),
    ]
"""
MIGRATION_2 = """from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]
    operations = [
        migrations.AlterField("order", "code", models.CharField(max_length=16)),
    ]
"""
PYDANTIC_BASE = """from typing import Optional
from pydantic import BaseModel


class Record(BaseModel):
    id: int
    note: Optional[str] = None
"""
PYDANTIC_HEAD = PYDANTIC_BASE.replace("note: Optional[str] = None", "note: str")
TS_BASE = """import { z } from 'zod';

export interface OrderInput {
  id: string;
  note?: string;
}

export const Order = z.object({
  id: z.string(),
  note: z.string().optional(),
});
"""
TS_HEAD = TS_BASE.replace("note?: string", "note: string").replace(".optional()", "")
SQL = "ALTER TABLE orders ADD COLUMN c text NOT NULL;\nCREATE INDEX ix ON orders (c);\n"
# Tests of the tightened shapes, read into facts by the legacy-data evidence search
# (analysis/testfacts.py): a Python test of the pydantic model and a TypeScript test of the zod
# schema, both building the old shape's data.
PY_TEST = """from app.records import Record


def test_record_without_note():
    record = Record(id=1)
    assert record.id == 1
"""
TS_TEST = """import { Order } from './order';

test('order without note', () => {
  expect(Order.parse({ id: 'a' }).id).toBe('a');
});
"""


def _patch(base: str, head: str) -> str:
    """A whole-file hunk: every base line removed, every head line added."""
    old, new = base.splitlines(), head.splitlines()
    return f"@@ -1,{len(old)} +1,{len(new)} @@\n" + "\n".join(
        [f"-{ln}" for ln in old] + [f"+{ln}" for ln in new]
    )


CASE: dict[str, Any] = {
    "base_tree": ["shop/migrations/__init__.py", "shop/migrations/0001_initial.py"],
    "base_files": {"shop/migrations/0001_initial.py": MIGRATION_1},
    "files": [
        {
            "path": "shop/models.py",
            "base": MODELS_BASE,
            "head": MODELS_HEAD,
            "patch": _patch(MODELS_BASE, MODELS_HEAD),
        },
        {"path": "shop/migrations/0002_order_code.py", "status": "added", "patch": MIGRATION_2},
        {
            "path": "app/records.py",
            "base": PYDANTIC_BASE,
            "head": PYDANTIC_HEAD,
            "patch": _patch(PYDANTIC_BASE, PYDANTIC_HEAD),
        },
        {
            "path": "web/order.ts",
            "base": TS_BASE,
            "head": TS_HEAD,
            "patch": _patch(TS_BASE, TS_HEAD),
        },
        {"path": "db/migrations/V2__orders_c.sql", "status": "added", "patch": SQL},
        {"path": "tests/test_records.py", "status": "added", "patch": _patch("", PY_TEST)},
        {"path": "web/order.test.ts", "status": "added", "patch": _patch("", TS_TEST)},
    ],
}


def test_each_file_is_parsed_once_per_run(monkeypatch: pytest.MonkeyPatch) -> None:
    python: Counter[str] = Counter()
    shapes: Counter[tuple[str, str, str]] = Counter()
    sql: Counter[str] = Counter()
    real_parse, real_sql = ast.parse, pgsql.parse_sql

    def count_python(source: str | bytes, *args: Any, **kwargs: Any) -> Any:
        python[str(source)] += 1
        return real_parse(source, *args, **kwargs)

    def counted(reader: shape_readers.Reader) -> shape_readers.Reader:
        def read(path: str, text: str) -> list[Shape]:
            shapes[(reader.language, path, text)] += 1
            return reader.read(path, text)

        return dataclasses.replace(reader, read=read)

    def count_sql(text: str) -> Any:
        sql[text] += 1
        return real_sql(text)

    monkeypatch.setattr(ast, "parse", count_python)
    monkeypatch.setattr(shape_readers, "READERS", tuple(map(counted, shape_readers.READERS)))
    monkeypatch.setattr(pgsql, "parse_sql", count_sql)
    tests: Counter[tuple[str, bytes]] = Counter()
    real_ts = testfacts._ts_parse

    def count_ts_test(path: str, data: bytes) -> Any:
        tests[(path, data)] += 1
        return real_ts(path, data)

    monkeypatch.setattr(testfacts, "_ts_parse", count_ts_test)

    pr, config, contents = build(CASE)
    report = engine.run(
        pr,
        config,
        read=lambda side, path: contents.get((side, path)),
        source="git",
        tree=lambda: [f["path"] for f in CASE["files"]],
        read_tree=lambda path: contents.get(("head", path)),
        base_tree=base_tree(CASE, contents),
    )

    # Every reader looked at these files (else "once" would say nothing) ...
    rules = {f.rule for f in report.findings}
    assert {"GR301", "GR304"} <= rules, " ".join(sorted(rules))
    for text in (MODELS_HEAD, MODELS_BASE, MIGRATION_1, PYDANTIC_HEAD):
        assert python[text] >= 1, text
    assert shapes[("zod", "web/order.ts", TS_HEAD)] >= 1
    assert any("ALTER TABLE orders" in text for text in sql)
    assert python[PY_TEST.rstrip("\n")] + python[PY_TEST] >= 1, "the Python test was read"
    assert sum(n for (path, _), n in tests.items() if path == "web/order.test.ts") >= 1
    # ... and each was parsed once.
    assert [t for t, n in python.items() if n > 1] == []
    assert [k for k, n in shapes.items() if n > 1] == []
    assert [t for t, n in sql.items() if n > 1] == []
    assert [k for k, n in tests.items() if n > 1] == []
