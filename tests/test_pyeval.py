"""pyeval: literal values worked out from the syntax tree, never by running code."""

from __future__ import annotations

import ast

from guardrail.analysis.migrations.pyeval import UNKNOWN, Scope

SOURCE = '''
TABLE = "orders"
COLS = ("a", "b")
SQL = f"CREATE INDEX ix ON {TABLE} (" + ", ".join(COLS) + ")"
FMT = "DROP TABLE {}".format(TABLE)
PCT = "DROP TABLE %s" % TABLE
RUNTIME = settings.TABLE

def helper(name, suffix="_idx"):
    """Docstring."""
    full = name + suffix
    return f"DROP INDEX {full}"

def loops(x):
    return loops(x)
'''


def _scope() -> Scope:
    return Scope.of_module(ast.parse(SOURCE))


def _expr(text: str) -> ast.expr:
    node = ast.parse(text, mode="eval").body
    return node


def test_module_constants_and_string_building() -> None:
    scope = _scope()
    assert scope.constants["SQL"] == "CREATE INDEX ix ON orders (a, b)"
    assert scope.constants["FMT"] == "DROP TABLE orders"
    assert scope.constants["PCT"] == "DROP TABLE orders"
    assert "RUNTIME" not in scope.constants


def test_helper_functions_are_worked_out_with_their_arguments() -> None:
    scope = _scope()
    assert scope.value(_expr('helper("ix_a")')) == "DROP INDEX ix_a_idx"
    assert scope.value(_expr('helper("ix_a", suffix="")')) == "DROP INDEX ix_a"
    assert scope.value(_expr("helper(settings.X)")) is UNKNOWN


def test_recursion_stops() -> None:
    assert _scope().value(_expr("loops(1)")) is UNKNOWN


def test_loops_over_literals_only() -> None:
    scope = _scope()
    scopes = scope.iterate(ast.Name("c"), _expr("COLS"))
    assert scopes is not None
    assert [s.local["c"] for s in scopes] == ["a", "b"]
    assert scope.iterate(ast.Name("c"), _expr("settings.MODELS")) is None
