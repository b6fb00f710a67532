"""The shape readers' table: one row per language, each file routed to exactly one reader."""

from __future__ import annotations

import pytest

from guardrail.analysis import shapes
from guardrail.analysis.shapes import LKind, TKind


@pytest.mark.parametrize(
    ("path", "text", "want"),
    [
        ("app/models.py", None, "python"),
        ("schemas/event.avsc", None, "avro"),
        ("proto/order.proto", None, "protobuf"),
        ("api/schema.graphql", None, "graphql"),
        ("src/order.ts", None, "typescript"),
        ("src/order.test.ts", None, None),
        ("src/order.d.ts", None, None),
        ("api/openapi.yaml", None, "jsonschema"),
        ("config/settings.yaml", "a: 1", None),
        ("config/thing.json", '{"$schema": "x"}', "jsonschema"),
        ("README.md", None, None),
    ],
)
def test_each_file_has_one_reader(path: str, text: str | None, want: str | None) -> None:
    assert shapes.language(path, text) == want


def test_languages_are_registered_once() -> None:
    names = [r.language for r in shapes.READERS]
    assert len(names) == len(set(names))
    assert set(shapes.SHAPE_EXTENSIONS) == {s for r in shapes.READERS for s in r.suffixes}


def test_a_widening_is_a_loosening_not_a_tightening() -> None:
    base = "from pydantic import BaseModel\nclass Order(BaseModel):\n    id: int\n    coupon: str\n"
    head = (
        "from pydantic import BaseModel\nclass Order(BaseModel):\n    id: int\n"
        "    coupon: str | None = None\n    note: str | None = None\n"
    )
    result = shapes.diff(shapes.shapes_of("m.py", base), shapes.shapes_of("m.py", head))
    assert result.tightenings == []
    assert {(lo.kind, lo.field) for lo in result.loosenings} == {
        (LKind.OPTIONAL, "coupon"),
        (LKind.NULLABLE, "coupon"),
        (LKind.NEW_OPTIONAL, "note"),
    }


def test_tightening_kinds_are_the_catalog_codes() -> None:
    assert TKind.REQUIRED == "T01"
    assert TKind("T08") is TKind.VALUES_NARROWED
