"""python_ast.tree_copy, the syntax-tree copy the Django field readers take before trimming a
call (copy.deepcopy was 0.1 s of the large-PR bench): the same tree as deepcopy's, positions
included, and independent of the shared tree it was copied from."""

from __future__ import annotations

import ast
import copy
from pathlib import Path

from guardrail.analysis.migrations.python_ast import database_field, tree_copy

ROOT = Path(__file__).resolve().parent.parent


def test_tree_copy_is_deepcopy_for_every_call_in_guardrails_own_source() -> None:
    calls = 0
    for path in sorted((ROOT / "guardrail").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                want = ast.dump(copy.deepcopy(node), include_attributes=True)
                assert ast.dump(tree_copy(node), include_attributes=True) == want, path
                calls += 1
    assert calls > 1000


def test_a_trimmed_copy_leaves_the_shared_tree_as_it_was() -> None:
    source = "x = models.CharField(max_length=8, help_text='h', validators=[v], choices=C)\n"
    tree = ast.parse(source)
    call = tree.body[0].value  # type: ignore[attr-defined]
    before = ast.dump(tree, include_attributes=True)
    trimmed = database_field(call)
    assert [k.arg for k in trimmed.keywords] == ["max_length"]
    assert ast.dump(tree, include_attributes=True) == before
    assert [k.arg for k in call.keywords] == ["max_length", "help_text", "validators", "choices"]
