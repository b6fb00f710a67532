"""YAML from the repository, with aliases bounded.

`yaml.safe_load` shares an aliased node instead of copying it, so loading a "billion laughs"
document is cheap; walking it is not. A 3.8 KB Liquibase changelog whose aliases nest ten deep
became 320,004 findings and 1.3 GB; a 166 KB OpenAPI file 1.5 GB. Every reader that loads YAML
from a pull request goes through `load`, which measures the document as its readers will walk
it (each alias counted at its full size, in time linear in the distinct nodes) and refuses one
that expands far beyond what was written. The refusal is not a YAML syntax error: the reader
does not catch it, so the run records the file as not readable (GR901) and goes on.
"""

from __future__ import annotations

import re
from typing import Any

MAX_EXPANSION = 10  # walked nodes per distinct node, beyond the allowance below
ALLOWANCE = 10_000  # walked nodes any document may have, aliases or not


_FLOW = re.compile(r""""(?:[^"\\\n]|\\.)*"|'(?:[^'\n]|'')*'|#[^\n]*|[\[\]{}]""")
_SAFE_C_DEPTH = 400  # libyaml recurses on the C stack: deeper documents take the Python loader


def _yaml_depth_bound(text: str) -> int:
    """An upper bound of a YAML document's nesting: flow brackets (outside strings and comments)
    plus block indentation."""
    depth = deepest = 0
    for m in _FLOW.finditer(text):
        tok = m.group(0)
        if tok in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif tok in "]}":
            depth = max(0, depth - 1)
    indent = max((len(ln) - len(ln.lstrip(" ")) for ln in text.splitlines()), default=0)
    return deepest + indent


class AliasBomb(Exception):
    """A YAML document whose aliases expand beyond the bound. Not a yaml.YAMLError on purpose."""


def expanded_size(data: object, limit: int | None = None) -> int:
    """Nodes a reader walks in `data` (shared objects counted at each use), iteratively and in
    time linear in the distinct objects. Stops early past `limit`; a cycle is unbounded."""
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[object, bool]] = [(data, False)]
    cap = limit if limit is not None else float("inf")
    while stack:
        obj, done = stack.pop()
        if not isinstance(obj, (dict, list, tuple)):
            continue
        key = id(obj)
        kids = list(obj.keys()) + list(obj.values()) if isinstance(obj, dict) else list(obj)
        if done:
            on_path.discard(key)
            total = 1
            for kid in kids:
                total += sizes.get(id(kid), 1) if isinstance(kid, (dict, list, tuple)) else 1
                if total > cap:
                    break
            sizes[key] = int(min(total, cap + 1))
            continue
        if key in sizes:
            continue
        if key in on_path:  # a recursive alias: `&a [*a]`
            raise AliasBomb("a YAML alias refers to itself")
        on_path.add(key)
        stack.append((obj, True))
        stack.extend((kid, False) for kid in kids if isinstance(kid, (dict, list, tuple)))
    return sizes.get(id(data), 1)


def _distinct(data: object) -> int:
    seen: set[int] = set()
    stack = [data]
    while stack:
        obj = stack.pop()
        if not isinstance(obj, (dict, list, tuple)) or id(obj) in seen:
            continue
        seen.add(id(obj))
        stack.extend(obj.values() if isinstance(obj, dict) else obj)
    return len(seen)


def _loader(text: str) -> Any:
    import yaml

    # libyaml reads a 1 MB specification in well under a second, but overflows the C stack on
    # hostile nesting (a segfault no `except` can catch, and no status at all): only documents
    # of bounded nesting go to it; deeper ones take the Python loader, which raises
    # RecursionError, recorded as a file that could not be read.
    c_loader = getattr(yaml, "CSafeLoader", None)
    if c_loader is not None and _yaml_depth_bound(text) < _SAFE_C_DEPTH:
        return c_loader
    return yaml.SafeLoader


def load_with_nodes(text: str) -> tuple[Any, Any]:
    """`load(text)` and the document's node graph from the same parse (`yaml.compose`'s
    nodes), for the lines values were written on. An alias stays one shared node; the values
    are bounded as `load` bounds them."""
    loader = _loader(text)(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    return _bounded(text, data), node


def load(text: str) -> Any:
    """`yaml.safe_load(text)`, refusing a document whose aliases expand past the bound.
    Raises yaml.YAMLError for invalid YAML and AliasBomb for an expansion."""
    import yaml

    return _bounded(text, yaml.load(text, Loader=_loader(text)))


def _bounded(text: str, data: Any) -> Any:
    if "*" not in text:  # no alias, nothing shared: the document is as large as it looks
        return data
    distinct = _distinct(data)
    limit = MAX_EXPANSION * distinct + ALLOWANCE
    walked = expanded_size(data, limit)
    if walked > limit:
        raise AliasBomb(
            f"YAML aliases expand {distinct:,} nodes to more than {limit:,}; not read "
            "(a document that repeats itself this much is not a real schema or changelog)"
        )
    return data
