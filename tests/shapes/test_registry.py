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


def test_gate_reads_every_changed_line_but_comments_and_typescript_function_bodies() -> None:
    from guardrail.analysis.shapes.changed import _touches_fields

    body = "@@ -10,4 +10,4 @@ export const total = async ({ a }: Args): Promise<number> => {\n   const x = 1;\n-  return x;\n+  return x + 1;\n }"
    assert not _touches_fields(body, ".ts")
    # The same lines in Python: a class may be declared inside a function, and is read.
    assert _touches_fields(body, ".py")
    # A component's body in TSX, and a comment anywhere.
    tsx = "@@ -1,3 +1,3 @@ export function OrderCard({ order }: OrderCardProps) {\n-  return <div>{order.id}</div>;\n+  return <span>{order.id}</span>;"
    assert not _touches_fields(tsx, ".tsx")
    assert not _touches_fields("@@ -1 +1 @@\n-# old note\n+# new note", ".py")
    # No header context, a schema's chained limit, a removed enum member: read.
    assert _touches_fields("@@ -4,3 +4,3 @@\n   a();\n-  b();\n+  c();", ".ts")
    assert _touches_fields(
        "@@ -3,2 +3,2 @@ export const ZOrder = z.object({\n-    .max(500),\n+    .max(50),", ".ts"
    )
    assert _touches_fields(
        '@@ -5,2 +5,1 @@ class OrderStatus(Enum):\n-    REFUNDED = "refunded"', ".py"
    )
    assert _touches_fields("@@ -2,1 +2,1 @@ message Order {\n-  // total\n+  // sum", ".proto")
    # A top-level Python statement that is no class, decorator or import: the reader reads class
    # bodies only. (Reading these made the API demo's 80 edited views 160 more requests.)
    assert not _touches_fields("@@ -1 +1 @@\n-a = 1\n+a = 2", ".py")
    assert not _touches_fields("@@ -1 +1 @@\n-def helper(x):\n+def helper(x, y):", ".py")
    assert _touches_fields("@@ -1 +1 @@\n-@dataclass\n+@dataclass(frozen=True)", ".py")
    assert _touches_fields("@@ -1 +1 @@\n-from .base import Base\n+from .bases import Base", ".py")
    assert _touches_fields("@@ -1 +1 @@\n-class Order(Base):\n+class Order(Model):", ".py")
