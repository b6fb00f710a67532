"""The TypeScript reader's pre-parse gate (`typescript.may_declare`): a text that cannot hold an
`interface`, `type` or `enum` declaration is not parsed, and nothing the parse would have read
is lost (the goldens in tests/rules/GR301.yml hold the same at the level of findings)."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from guardrail.analysis.shapes import ShapeReadError, typescript


def _ungated(text: str) -> list[str]:
    """The shapes the reader finds when it parses the text, gate or not."""
    tree = typescript.parse(text)
    token = typescript.use_source(text)
    try:
        return [s.name for s in typescript._read_tree(tree)]
    finally:
        typescript._SOURCE.reset(token)


@pytest.mark.parametrize(
    "text",
    [
        "import type { Order } from './types';\nexport const t = { type: 'a' };\n",
        "export type { Order } from './types';\nexport type * from './more';\n",
        "const kind = typeof x === 'string' ? x.type : o.interface;\n",
        "let enumerable = true; const types = ['a']; // prototype\n",
        "f({ type, interface: 1, enum: [2] });\n",
        "if (x.type) { y.type = z.type?.name; }\n",
    ],
)
def test_a_text_that_declares_nothing_is_not_parsed(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _ungated(text) == []  # the parse finds nothing in it either
    assert not typescript.may_declare(text)

    def parse(*_args: object) -> None:
        raise AssertionError("parsed")

    monkeypatch.setattr(typescript, "parse", parse)
    assert typescript.read("web/src/a.ts", text) == []


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("export interface Order { id: number }\n", "Order"),
        ("type Order = { id: number };\n", "Order"),
        ("export type /* stored */ Order = { id: number };\n", "Order"),
        ("export interface // kept as JSON\nOrder { id: number }\n", "Order"),
        ("type\tStatus = 'a' | 'b';\n", "Status"),
        ("interface $Order { id: number }\n", "$Order"),
        ("interface _Order { id: number }\n", "_Order"),
        ("export interface Ürün { id: number }\n", "Ürün"),
        ("declare enum Status { A, B }\n", "Status"),
        ("export const enum Status { A = 'a' }\n", "Status"),
        ("export default interface Order { id: number }\n", "Order"),
        ("const x = 1;type Order = { id: number };\n", "Order"),
    ],
)
def test_every_declaration_form_gets_through(text: str, name: str) -> None:
    assert typescript.may_declare(text)
    assert name in [s.name for s in typescript.read("web/src/a.ts", text)]


# Pieces of TypeScript around the three keywords: names of every start, comments, the
# punctuation that follows a keyword used as a property or an import, and non-ASCII letters.
_PIECES = st.sampled_from(
    ["type", "interface", "enum", "export ", "declare ", "const ", "import ", "typeof "]
    + [" ", "\n", "\t", "/* c */", "// c\n", "Order", "$o", "_o", "Ü", "é", "\\u0041", "1"]
    + ["=", "{", "}", ":", ";", "?", "'a'", "|", ".", ",", "<T>", "(", ")", "[", "]", "*"]
    + [" id: number ", " x?: string; ", "{ a: 1 }", "'a' | 'b'"]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECES, max_size=14).map("".join))
@example("type /* c */Order = { a: 1 }")
@example("export interface\nOrder { id: number }")
@example("interface Ü { id: number }")
@example("interface=/* c */{ a: 1 }")  # found by hypothesis: a keyword, no name, error recovery
@example("interface=typetype{")
def test_a_text_the_gate_turns_away_reads_nothing(text: str) -> None:
    """Whatever the gate rules out, the parse finds no shape in and raises nothing about."""
    if typescript.may_declare(text):
        return
    try:
        found = _ungated(text)
    except ShapeReadError as exc:  # pragma: no cover - the failure this test looks for
        raise AssertionError(f"the parse would have reported {exc}") from exc
    assert found == []
