"""One evaluator of literal arguments for the tree-sitter framework readers.

Every DSL reader (js.py, laravel.py, rails.py, ecto.py, efcore.py) needs the same thing from an
argument: the string, number, boolean, null or list it literally is, or `Dynamic` when it is
computed at run time. The rules are the same in every language (a string is its content pieces
joined, an escape is unescaped, an interpolation makes it run-time; two literal strings joined by
the concatenation operator are one string); only the grammars' node-type names differ. A
`Syntax` names them per grammar, and `Literals` evaluates with it. What one language has that the
others do not (Ruby's symbols and heredocs, Elixir's keyword lists and sigils, PHP's arrays, C#'s
verbatim strings, JavaScript's objects) is a subclass's `value` that handles those node types and
leaves the rest to this one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from guardrail.analysis.migrations.grammar import Dynamic, Value, text, walk

if TYPE_CHECKING:
    from tree_sitter import Node


@dataclass(frozen=True)
class Syntax:
    """How one tree-sitter grammar spells literals: node-type names, and its escapes."""

    strings: frozenset[str]  # a string literal: its content pieces joined
    content: frozenset[str]  # a piece of a string taken as written
    unescape: Callable[[str], str]  # an escape sequence's text -> the character(s) it stands for
    # Pieces read as escapes; None: every piece that is not content (or an interpolation).
    escapes: frozenset[str] | None = frozenset({"escape_sequence"})
    interpolations: frozenset[str] = frozenset()  # a piece that makes the string run-time
    deep: bool = False  # pieces are every node below the string (PHP), not its children
    integers: frozenset[str] = frozenset()
    integer: Callable[[str], int] = int  # an integer node's text -> its value (ValueError: Dynamic)
    constants: Mapping[str, Value] | None = None  # `true` -> True, `null` -> None, …
    booleans: frozenset[str] = frozenset()  # a node whose text is true or false
    concat: str | None = None  # the operator joining two strings (`+`, PHP's `.`)
    unwrap: frozenset[str] = frozenset()  # a node whose value is its first named child's
    lists: frozenset[str] = frozenset()  # a list of values
    list_skip: frozenset[str] = frozenset()  # children of a list that are not items


class Literals:
    """Evaluates a grammar's literal nodes with its `Syntax`."""

    def __init__(self, syntax: Syntax) -> None:
        self.syntax = syntax

    def value(self, node: Node) -> Value:
        s, t = self.syntax, node.type
        if t in s.strings:
            return self.string(node)
        if t in s.integers:
            try:
                return s.integer(text(node))
            except ValueError:
                return Dynamic(text(node))
        if s.constants is not None and t in s.constants:
            return s.constants[t]
        if t in s.booleans:
            return text(node).lower() == "true"
        if t in s.unwrap:
            return (
                self.value(node.named_children[0]) if node.named_children else Dynamic(text(node))
            )
        if t in s.lists:
            return [self.item(c) for c in node.named_children if c.type not in s.list_skip]
        if t == "binary_expression" and s.concat is not None:
            return self.concatenation(node, s.concat)
        return Dynamic(text(node))

    def item(self, node: Node) -> Value:
        """One item of a list (a subclass reads, say, Elixir's keyword lists here)."""
        return self.value(node)

    def string(self, node: Node) -> Value:
        s = self.syntax
        pieces: Iterable[Node] = walk(node) if s.deep else node.named_children
        parts: list[str] = []
        for c in pieces:
            if c.type in s.content:
                parts.append(text(c))
            elif c.type in s.interpolations:
                known = self.interpolation(c)
                if known is None:
                    return Dynamic(text(node))
                parts.append(known)
            elif s.escapes is None or c.type in s.escapes:
                parts.append(s.unescape(text(c)))
        return "".join(parts)

    def interpolation(self, node: Node) -> str | None:
        """The text an interpolation stands for when it is known (None: built at run time)."""
        return None

    def concatenation(self, node: Node, operator: str) -> Value:
        op = node.child_by_field_name("operator")
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if op is not None and text(op) == operator and left is not None and right is not None:
            lv, rv = self.value(left), self.value(right)
            if isinstance(lv, str) and isinstance(rv, str):
                return lv + rv
        return Dynamic(text(node))


def first_row(node: Node, content: frozenset[str]) -> int:
    """The file row where the text of a string argument starts (a heredoc's body, not its
    opening line): the first content piece's row, else the node's."""
    for c in walk(node):
        if c.type in content:
            return c.start_point[0]
    return node.start_point[0]
