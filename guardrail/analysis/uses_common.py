"""What the readers of code uses (uses.py for Python, Ruby, JavaScript/TypeScript and Prisma;
uses_php.py, uses_cs.py) share: the table and column looked for, the model names a table may
have, SQL strings that name it, and the tree-sitter node helpers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tree_sitter import Node

_SQL_WORDS = re.compile(r"(?i)\b(?:select|insert|update|delete|from|join|into|where|returning)\b")


@dataclass(frozen=True)
class Target:
    """A table as a migration names it, and the column (None: the table itself)."""

    table: str
    column: str | None = None
    model: str | None = None  # Django: the model's name (lower case), when the reader knows it
    # Django: relation names that lead to the model in a lookup path (`variants__price`),
    # read from the app's models file (the model's own related_names, other models' fields)
    relations: frozenset[str] = frozenset()

    @property
    def keys(self) -> frozenset[str]:
        """`model_keys` of the table, with the model's own name."""
        return model_keys(self.table) | ({self.model} if self.model else set())


def bare_table(table: str) -> str:
    return table.rsplit(".", 1)[-1].strip('"`[]').lower()


def singular(word: str) -> str:
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("ses", "xes", "zes", "ches", "shes")):
        return word[:-2]
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


@lru_cache(maxsize=1024)
def model_keys(table: str, path: str = "") -> frozenset[str]:
    """The class names (lower case, underscores left out) a table's model may have: `orders`,
    `line_items` -> `order`, `lineitem`; Django's `shop_order` -> `order` in the `shop` app."""
    t = bare_table(table)
    keys = {t.replace("_", ""), singular(t).replace("_", "")}
    prefix, sep, rest = t.partition("_")
    if sep and rest and prefix in path.lower().split("/")[:-1]:
        keys |= {rest.replace("_", ""), singular(rest).replace("_", "")}
    return frozenset(k for k in keys if k)


def is_model_name(name: str, keys: frozenset[str]) -> bool:
    """A class name (capitalised) that maps to the table."""
    return bool(name) and name[0].isupper() and name.replace("_", "").lower() in keys


def sql_names(text: str, t: Target, *, insert: bool) -> bool:
    """An SQL string that names the table (and the column, or inserts into the table)."""
    low = text.lower()
    table = bare_table(t.table)
    if table not in low or not _SQL_WORDS.search(text):
        return False
    if insert:
        return (
            re.search(rf"(?i)\binsert\s+into\s+[\"`]?{re.escape(table)}[\"`]?\b", text) is not None
        )
    if not re.search(rf"(?<![\w$]){re.escape(table)}(?![\w])", low):
        return False
    col = t.column
    return col is None or re.search(rf"(?<![\w$]){re.escape(col.lower())}(?![\w])", low) is not None


def names_column(value: str, column: str) -> bool:
    """A string that names the column in an ORM call: `status`, `status__in`, `-status`,
    `order.status`."""
    v = value.lstrip("-")
    return v == column or v.startswith(column + "__") or v.endswith("." + column)


def node_text(node: Node) -> str:
    return (node.text or b"").decode("utf-8", "replace")


def walk_nodes(root: Node) -> list[Node]:
    from guardrail.analysis.migrations.grammar import walk

    return list(walk(root))
