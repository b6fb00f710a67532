"""Which pydantic models only leave the service (analysis/shapes/routes.py), read with ast."""

from __future__ import annotations

from guardrail.analysis.shapes.routes import Roles, directions, read_module

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
