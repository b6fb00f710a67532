"""Which pydantic models only leave the service (analysis/shapes/routes.py), read with ast."""

from __future__ import annotations

import pytest

from guardrail.analysis.shapes import routes
from guardrail.analysis.shapes.routes import Roles, directions, read_module
from guardrail.model import Severity
from guardrail.text import code
from tests import golden

ENDPOINTS = """
from fastapi import APIRouter
from shop.schemas import Order, NotFound, Receipt, Draft
router = APIRouter()

@router.get("/orders/{id}", response_model=Order, responses={404: {"model": NotFound}})
async def get_order(id: int):
    return Order.model_validate(await load(id))  # builds the response: not old data

@router.post("/receipts")
def make_receipt(payload: dict) -> Receipt:
    return Receipt(total=1)

def from_queue(message: dict) -> Draft:
    return Draft(**message)  # a payload handed in: old data can reach it
"""


def test_response_models_from_every_place_a_route_names_them() -> None:
    roles = Roles()
    read_module("shop/endpoints.py", ENDPOINTS, roles)
    found = directions(roles).response_only
    assert found["Order"] == "shop/endpoints.py:6"
    assert found["NotFound"] == "shop/endpoints.py:6"
    assert found["Receipt"] == "shop/endpoints.py:10"


def test_a_model_built_from_a_payload_outside_a_route_is_not_response_only() -> None:
    roles = Roles()
    read_module("shop/endpoints.py", ENDPOINTS, roles)
    roles.responses["Draft"] = "elsewhere.py:1"  # even if some route returned it
    assert "Draft" not in directions(roles).response_only


def test_a_module_that_does_not_parse_adds_nothing() -> None:
    roles = Roles()
    read_module("shop/broken.py", "def (:\n", roles)
    assert roles.read == 0 and directions(roles).response_only == {}


def test_a_module_too_large_to_read_that_names_the_model_keeps_it_an_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A request route in a module over the size cap would go unseen: nothing is lowered, and
    the finding says which module was not read."""
    schema = {
        "path": "shop/schemas.py",
        "base": "from typing import Optional\nfrom pydantic import BaseModel\n"
        "class OrderSchema(BaseModel):\n    id: int\n    coupon: Optional[str] = None\n",
        "head": "from pydantic import BaseModel\nclass OrderSchema(BaseModel):\n"
        "    id: int\n    coupon: str\n",
    }
    route = (
        "from shop.schemas import OrderSchema\n"
        '@router.get("/o/{id}", response_model=OrderSchema)\n'
        "def get(id: int):\n    return load(id)\n"
    )
    big = "from shop.schemas import OrderSchema\n" + "x = 1\n" * 40
    case = {
        "files": [schema],
        "head_files": {"shop/endpoints.py": route, "shop/big.py": big},
        "tree": ["shop/schemas.py", "shop/endpoints.py", "shop/big.py"],
    }
    (warned,) = [f for f in golden.run(case).findings if f.rule == "GR301"]
    assert warned.severity is Severity.WARNING  # the big module is read at the real cap
    monkeypatch.setattr(routes, "MAX_FILE_CHARS", len(big) - 1)
    (kept,) = [f for f in golden.run(case).findings if f.rule == "GR301"]
    assert kept.severity is Severity.ERROR
    assert f"{code('shop/big.py')} is over" in kept.detail and "so it was not read" in kept.detail
