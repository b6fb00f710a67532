"""PostgreSQL's own parser (libpg_query through pglast), at the speed of the parse itself.

pglast builds its Python syntax tree through `Node.__setattr__`, which validates and coerces
every attribute: the right thing for trees built by hand, and three quarters of the time of
`pglast.parse_sql` on migration files (measured on the squawk corpus: 0.36 s validated, 0.09 s
not, for 1,384 files). A tree that comes straight from PostgreSQL's parser is valid by
construction, and pglast's Cython layer already gives enums and node types their Python form,
so the validation is skipped while the parser builds the tree — and only then. The trees are
equal either way: tests/test_pgsql.py compares them over the squawk corpus.

Switching the validation off and on is itself costly: assigning `Node.__setattr__` updates the
slot of each of pglast's ~280 node classes (0.14 ms a switch; on the squawk corpus, small files
of one or two statements, the two switches per file were 80% of the parse). Inside
`one_switch_per_run()` (the engine's checks) it is switched off at the first parse and back on
when the block ends; nothing in that block builds a pglast tree by hand for printing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

_open = 0  # how many one_switch_per_run blocks are open
_validating: Callable[..., None] | None = None  # pglast's own __setattr__, while switched off


@contextmanager
def one_switch_per_run() -> Iterator[None]:
    """Within this block, the validation is switched off once, at the first parse (pglast is
    not imported unless something parses), and back on when the block ends."""
    global _open, _validating
    _open += 1
    try:
        yield
    finally:
        _open -= 1
        if _open == 0 and _validating is not None:
            from pglast import ast

            ast.Node.__setattr__ = _validating  # type: ignore[method-assign]
            _validating = None


def parse_sql(text: str) -> tuple[Any, ...]:
    """`pglast.parse_sql(text)`: the RawStmt nodes of every statement; raises pglast's
    ParseError like it."""
    global _validating
    from pglast import ast, parser

    if _open:
        if _validating is None:
            _validating = ast.Node.__setattr__
            ast.Node.__setattr__ = object.__setattr__  # type: ignore[method-assign,assignment]
        result: tuple[Any, ...] = parser.parse_sql(text)
        return result
    validating = ast.Node.__setattr__
    ast.Node.__setattr__ = object.__setattr__  # type: ignore[method-assign,assignment]
    try:
        result = parser.parse_sql(text)
    finally:
        ast.Node.__setattr__ = validating  # type: ignore[method-assign]
    return result
