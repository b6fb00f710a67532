"""The operation vocabulary: typed facts, no free-form detail."""

from __future__ import annotations

import dataclasses

import pytest

from guardrail.analysis.migrations.ops import Facts, Op, OpKind


def test_every_fact_a_reader_can_pass_is_a_field_of_op() -> None:
    fields = {f.name for f in dataclasses.fields(Op)}
    assert set(Facts.__annotations__) <= fields


def test_op_is_frozen_and_has_no_free_form_detail() -> None:
    op = Op(OpKind.ADD_COLUMN, 3, "orders", "coupon", not_null=True)
    assert not hasattr(op, "detail")
    with pytest.raises(dataclasses.FrozenInstanceError):
        op.not_null = False  # type: ignore[misc]


def test_narrowing_type_change_is_destructive() -> None:
    assert Op(OpKind.ALTER_TYPE, 1, narrowing=True).destructive
    assert not Op(OpKind.ALTER_TYPE, 1).destructive
    assert Op(OpKind.DROP_COLUMN, 1).destructive
    assert OpKind.ADD_COLUMN.words == "add column"
