"""Helpers shared by the shape readers: structured-file loading and key-line lookup."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from guardrail.text import strip_spans


def load_structured(text: str, path: str) -> object:
    if path.endswith((".yaml", ".yml")):
        import yaml

        # libyaml's loader when present: a 1 MB specification in well under a second.
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        try:
            return yaml.load(text, Loader=loader)
        except yaml.YAMLError:
            return None
        except RecursionError:
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
