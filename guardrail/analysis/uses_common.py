"""What the readers of code uses (uses.py for Python, Ruby, JavaScript/TypeScript and Prisma;
uses_php.py, uses_cs.py) share: the table and column looked for, the model names a table may
have, SQL strings that name it, and the tree-sitter node helpers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tree_sitter import Node, Query

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
    # The database compares column names without case (MySQL, MariaDB, SQLite, SQL Server,
    # and H2/Oracle, whose folding to upper case guardrail's reading does not keep); False on
    # PostgreSQL, where the migration's name is the column's exact name (unquoted names are
    # folded to lower case when the migration is read, `"Status"` keeps its case).
    folds: bool = False

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


# -- how a name in code maps to a column -----------------------------------------------------------

# The naming conventions of a language's ORMs, by file extension; any other language maps a
# name to the column of the same name, exactly (Django, SQLAlchemy, Active Record, Eloquent,
# Knex, Prisma, Sequelize and TypeORM without a naming strategy, Ecto).
CSHARP, GO, JVM, EXACT = "csharp", "go", "jvm", "exact"
_CONVENTIONS = {".cs": CSHARP, ".go": GO, ".java": JVM, ".kt": JVM}
_ACCESSOR = re.compile(r"(?:get|set|is)([A-Z]\w*)")
# CamelCase to snake_case: a cut between a lower-case letter or digit and a capital, and
# between two capitals when a lower-case letter follows (`UserID` -> `user_id`, `HTTPServer`
# -> `http_server`), as EFCore.NamingConventions and GORM's NamingStrategy cut.
_CUTS = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def convention(path: str) -> str:
    """How the ORMs of the file's language map a name in code to a column."""
    return _CONVENTIONS.get(path[path.rfind(".") :] if "." in path else "", EXACT)


def snake(name: str) -> str:
    return _CUTS.sub("_", name).lower()


@lru_cache(maxsize=8192)
def _mapped(name: str, kind: str) -> frozenset[str]:
    """The column names `name` in code may stand for under its language's conventions."""
    if kind == CSHARP:
        # EF Core maps a property to the column of the same name; EFCore.NamingConventions
        # maps it to snake_case, lowercase, camelCase, UPPERCASE or UPPER_SNAKE_CASE.
        camel = name[:1].lower() + name[1:]
        return frozenset(
            {name, snake(name), name.lower(), camel, name.upper(), snake(name).upper()}
        )
    if kind == GO:
        # GORM's NamingStrategy snake_cases a field (`OrderStatus` -> `order_status`); sqlx's
        # default mapper lower-cases it (`orderstatus`).
        return frozenset({name, snake(name), name.lower()})
    if kind == JVM:
        # JPA maps a property (a field, or the one a getter/setter names: `getOrderStatus` ->
        # `orderStatus`) to `order_status` (Spring Boot's physical naming strategy) or, without
        # one, to `orderStatus` unquoted, which PostgreSQL folds to `orderstatus`.
        accessor = _ACCESSOR.fullmatch(name)
        prop = accessor.group(1)[:1].lower() + accessor.group(1)[1:] if accessor else name
        return frozenset({name, prop, snake(prop), prop.lower()})
    return frozenset({name})


def maps_to_column(name: str, column: str, kind: str, *, folds: bool = False) -> bool:
    """Whether `name`, written in code of the convention `kind`, is the column `column` (the
    exact name the database has; `folds`: the database ignores case). A quoted mixed-case
    column on PostgreSQL (`"Status"`) is only a name mapped to exactly that: Django's `status`
    is another column, and so is the `status` GORM maps a Go field `Status` to."""
    if not name or not column:
        return False
    mapped = _mapped(name, kind)
    if folds:
        low = column.lower()
        return any(m.lower() == low for m in mapped)
    return column in mapped


def column_spellings(column: str) -> tuple[str, ...]:
    """The words (lower case) a name mapped to `column` by some convention above is made of:
    `order_status` is `order_status`, `OrderStatus`, `getOrderStatus`, … (a prefilter on a
    text's lower-cased words; the conventions then decide)."""
    low = column.lower()
    bare = low.replace("_", "")
    return tuple(dict.fromkeys((low, bare, f"get{bare}", f"set{bare}", f"is{bare}")))


def node_text(node: Node) -> str:
    return (node.text or b"").decode("utf-8", "replace")


def walk_nodes(root: Node) -> list[Node]:
    from guardrail.analysis.migrations.grammar import walk

    return list(walk(root))


@lru_cache(maxsize=64)
def _query(language: str, types: tuple[str, ...]) -> Query:
    import tree_sitter

    from guardrail.analysis.migrations import grammar

    alternatives = " ".join(f"({t})" for t in types)
    return tree_sitter.Query(grammar.language(language), f"[{alternatives}] @node")


@lru_cache(maxsize=32)
def nodes_by_type(root: Node, language: str, types: tuple[str, ...]) -> dict[str, list[Node]]:
    """The nodes of these types below `root` (to the depth `walk` goes), each type's in
    document order: found by a tree-sitter query in C, where walking every node of a dense
    file in Python was most of a reader's time (bench/uses_php.py). Kept per tree, for the
    several columns a run asks about."""
    import tree_sitter

    from guardrail.analysis.migrations.grammar import MAX_DEPTH

    cursor = tree_sitter.QueryCursor(_query(language, types))
    cursor.set_max_start_depth(MAX_DEPTH)
    out: dict[str, list[Node]] = {t: [] for t in types}
    for node in cursor.captures(root).get("node", []):
        out[node.type].append(node)
    for found in out.values():
        found.sort(key=lambda n: (n.start_byte, -n.end_byte))
    return out


def in_order(found: dict[str, list[Node]], types: tuple[str, ...]) -> list[Node]:
    """The nodes of `types` from `nodes_by_type`, together in document order (an enclosing
    node before the nodes inside it)."""
    return sorted(
        (n for t in types for n in found.get(t, ())), key=lambda n: (n.start_byte, -n.end_byte)
    )
