"""Helpers shared by the shape readers: structured-file loading and key-line lookup."""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Callable

from guardrail.text import strip_spans


def load_structured(text: str, path: str) -> object:
    if path.endswith((".yaml", ".yml")):
        import yaml

        from guardrail.analysis import yamlsafe

        try:
            return yamlsafe.load(text)  # aliases bounded (a bomb is GR901), nesting-safe loader
        except yaml.YAMLError:
            return None
    try:
        return json.loads(text)
    except ValueError:
        return None


_KEY_TOKEN = re.compile(r""""([^"\n]*)"|'([^'\n]*)'|([^\s"':,{}\[\]]+):""")


def line_finder(text: str) -> Callable[..., int]:
    """find(key, after=0): the first line after `after` (1-based) that names `key` as `"key"`,
    `'key'` or `key:`. The text is indexed once, so n lookups in a file of n fields take linear
    time; a scan per lookup made long Avro and JSON Schema files quadratic."""
    index: dict[str, list[int]] = {}
    for number, line in enumerate(text.splitlines(), 1):
        for m in _KEY_TOKEN.finditer(line):
            key = m.group(1) if m.group(1) is not None else m.group(2) or m.group(3)
            if key is None:
                continue
            hits = index.setdefault(key, [])
            if not hits or hits[-1] != number:
                hits.append(number)

    def find(key: str, after: int = 0) -> int:
        hits = index.get(key)
        if hits:
            i = bisect.bisect_right(hits, max(0, after))
            if i < len(hits):
                return hits[i]
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
