"""Helpers shared by the shape readers: structured-file loading and key-line lookup."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from guardrail.text import strip_spans

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


def load_structured(text: str, path: str) -> object:
    if path.endswith((".yaml", ".yml")):
        import yaml

        # libyaml reads a 1 MB specification in well under a second, but overflows the C stack
        # on hostile nesting (a crash no `except` can catch): only bounded documents go to it.
        loader: type[yaml.SafeLoader] = yaml.SafeLoader
        c_loader = getattr(yaml, "CSafeLoader", None)
        if c_loader is not None and _yaml_depth_bound(text) < _SAFE_C_DEPTH:
            loader = c_loader
        try:
            return yaml.load(text, Loader=loader)  # a safe loader, either way
        except yaml.YAMLError:
            return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def line_finder(text: str) -> Callable[..., int]:
    lines = text.splitlines()

    def find(key: str, after: int = 0) -> int:
        needles = (f'"{key}"', f"{key}:", f"'{key}'")
        for i in range(max(0, after), len(lines)):
            if any(n in lines[i] for n in needles):
                return i + 1
        return after + 1 if after else 1

    return find


_TOKEN = re.compile(r'"[^"\n]*"|//[^\n]*|#[^\n]*|\w[\w.]*|[{}();=<>\[\]:,?|!@]|\n')


def _strip_block_comments(text: str) -> str:
    return strip_spans(text, "/*", "*/", keep_newlines=True)


def tokens(text: str, hash_comments: bool = False) -> list[tuple[str, int]]:
    text = _strip_block_comments(text)
    out: list[tuple[str, int]] = []
    line = 1
    for m in _TOKEN.finditer(text):
        tok = m.group(0)
        if tok == "\n":
            line += 1
            continue
        if tok.startswith("//") or tok.startswith("/*") or (tok.startswith("#") and hash_comments):
            line += tok.count("\n")
            continue
        if tok.startswith("#"):
            continue
        out.append((tok, line))
    return out
