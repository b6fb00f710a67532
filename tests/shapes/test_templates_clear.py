"""The test or fixture guardrail offers for a legacy-data finding, pasted as offered, clears it.

For every shape language: run the PR, take the finding's template (and, for a fixture, the
path the finding says to save it at, with a test that loads it, as the finding asks), add it
to the PR as a new file, run again: the finding must be gone and the check must name the new
file as the evidence. A fixture saved and loaded by no test does not clear it. A template that does not
clear its own finding is a finding nobody can satisfy (issue 13).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from guardrail import engine
from guardrail.render.inline import plain
from tests.golden import build

PY_BASE = "from typing import Optional\nfrom pydantic import BaseModel\n\n\nclass Order(BaseModel):\n    id: int\n    note: str\n    coupon: Optional[str] = None\n"
PY_HEAD = "from pydantic import BaseModel\n\n\nclass Order(BaseModel):\n    id: int\n    note: str\n    coupon: str\n"

# (language, shape file, base, head, where a test template is pasted, the import it needs)
CASES: list[tuple[str, str, str, str, str | None, str]] = [
    (
        "python",
        "shop/schemas.py",
        PY_BASE,
        PY_HEAD,
        "tests/test_order_legacy.py",
        "from shop.schemas import Order\n\n\n",
    ),
    (
        "typescript",
        "web/src/types.ts",
        "export interface Order {\n  id: number;\n  note: string;\n  coupon?: string;\n}\n",
        "export interface Order {\n  id: number;\n  note: string;\n  coupon: string;\n}\n",
        "web/src/order.legacy.test.ts",
        "import { Order } from './types';\n",
    ),
    (
        "zod",
        "web/src/schemas.ts",
        "import { z } from 'zod';\nexport const Order = z.object({\n  id: z.number(),\n  note: z.string(),\n  coupon: z.string().optional(),\n});\n",
        "import { z } from 'zod';\nexport const Order = z.object({\n  id: z.number(),\n  note: z.string(),\n  coupon: z.string(),\n});\n",
        "web/src/schemas.legacy.test.ts",
        "import { Order } from './schemas';\n",
    ),
    (
        "graphql",
        "api/schema.graphql",
        "input OrderInput {\n  id: ID!\n  note: String!\n  coupon: String\n}\n",
        "input OrderInput {\n  id: ID!\n  note: String!\n  coupon: String!\n}\n",
        None,
        "",
    ),
    (
        "protobuf",
        "proto/order.proto",
        'syntax = "proto2";\nmessage Order {\n  required int64 id = 1;\n  required string note = 2;\n  optional string coupon = 3;\n}\n',
        'syntax = "proto2";\nmessage Order {\n  required int64 id = 1;\n  required string note = 2;\n  required string coupon = 3;\n}\n',
        None,
        "",
    ),
    (
        "avro",
        "schemas/order.avsc",
        '{"type": "record", "name": "Order", "fields": [{"name": "id", "type": "long"}, {"name": "note", "type": "string"}, {"name": "coupon", "type": ["null", "string"], "default": null}]}\n',
        '{"type": "record", "name": "Order", "fields": [{"name": "id", "type": "long"}, {"name": "note", "type": "string"}, {"name": "coupon", "type": "string"}]}\n',
        None,
        "",
    ),
    (
        "jsonschema",
        "schemas/order.schema.json",
        '{"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "Order", "type": "object", "properties": {"id": {"type": "integer"}, "note": {"type": "string"}, "coupon": {"type": "string"}}, "required": ["id", "note"]}\n',
        '{"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "Order", "type": "object", "properties": {"id": {"type": "integer"}, "note": {"type": "string"}, "coupon": {"type": "string"}}, "required": ["id", "note", "coupon"]}\n',
        None,
        "",
    ),
]


def _run(files: list[dict[str, Any]]) -> Any:
    pr, config, contents = build({"files": files})
    return engine.run(
        pr,
        config,
        read=lambda side, path: contents.get((side, path)),
        source="git",
        tree=lambda: [],
        read_tree=lambda path: contents.get(("head", path)),
    )


def _legacy(report: Any) -> list[Any]:
    return [f for f in report.findings if f.rule in ("GR301", "GR302", "GR303")]


@pytest.mark.parametrize(
    ("language", "path", "base", "head", "paste_at", "imports"),
    CASES,
    ids=[c[0] for c in CASES],
)
def test_the_offered_template_clears_its_finding(
    language: str, path: str, base: str, head: str, paste_at: str | None, imports: str
) -> None:
    shape = {"path": path, "base": base, "head": head}
    before = _legacy(_run([shape]))
    assert len(before) == 1, [(f.rule, plain(f.title)) for f in before]
    finding = before[0]
    assert finding.template, f"{language}: no template offered"
    if paste_at is None:
        # A fixture: saved where the finding says.
        m = re.search(r"Save the fixture below as `([^`]+)`", plain(finding.detail))
        assert m, plain(finding.detail)
        paste_at = m.group(1)
        text = finding.template
        # ... and loaded in a test, as the detail asks: a fixture no test loads is not evidence.
        name = paste_at.rsplit("/", 1)[-1]
        loader = (
            "import json\nfrom pathlib import Path\n\n\n"
            "def test_stored_records_of_the_old_shape():\n"
            f'    old = json.loads((Path(__file__).parent / "fixtures" / "{name}").read_text())\n'
            "    assert read_stored(old) is not None\n"
        )
        pasted_files = [
            {"path": "tests/test_stored_records.py", "status": "added", "patch": loader}
        ]
        alone = _legacy(_run([shape, {"path": paste_at, "status": "added", "patch": text}]))
        assert len(alone) == 1, f"{language}: a fixture no test loads counted as evidence"
    else:
        text = imports + finding.template
        pasted_files = []
    pasted = {"path": paste_at, "status": "added", "patch": text}
    report = _run([shape, pasted, *pasted_files])
    assert _legacy(report) == [], [(f.rule, plain(f.title)) for f in _legacy(report)]
    covered = " ".join(plain(a.text) for a in report.answers if a.check == "legacy-data-tests")
    assert paste_at in covered, covered


def test_a_fixture_of_the_new_shape_does_not_clear_it() -> None:
    # The fixture must hold old data: one with the field set is a happy path, not evidence.
    shape = {"path": CASES[3][1], "base": CASES[3][2], "head": CASES[3][3]}
    fixture = {
        "path": "tests/fixtures/order_input_before_coupon.json",
        "status": "added",
        "patch": '{"id": 1, "note": "…", "coupon": "WELCOME"}\n',
    }
    assert len(_legacy(_run([shape, fixture]))) == 1
