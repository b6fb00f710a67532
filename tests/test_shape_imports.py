"""Base classes are looked up in the repository only when they can live there: a library's
import (`from pydantic import BaseModel`) is never read, which in the action is a request each."""

from __future__ import annotations

from guardrail.analysis.shapes.python import read_resolving

MODEL = """
from pydantic import BaseModel
from django.db import models
from typing import Optional
from .base import Stamped


class Order(Stamped):
    id: int
    note: Optional[str] = None
"""
BASE = "from pydantic import BaseModel\n\n\nclass Stamped(BaseModel):\n    created: str\n"


def test_only_repository_modules_are_read() -> None:
    asked: list[str] = []

    def load(path: str) -> str | None:
        asked.append(path)
        return BASE if path == "shop/base.py" else None

    shapes = {s.name: s for s in read_resolving("shop/models.py", MODEL, load)}
    assert asked and all(
        "pydantic" not in p and "django" not in p and "typing" not in p for p in asked
    )
    assert "created" in shapes["Order"].fields
