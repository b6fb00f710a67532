"""Finding text as data: guardrail's own words, with the values it quotes marked.

Checks build titles, details, answers and notes as f-strings and wrap every value taken from
the repository or the pull request (names, types, paths, snippets) in `code(value)`, and any
untrusted free text (a PR description's words) in `md(text)`. Both return the value between
private-use marker characters, never Markdown: `parts()` reads such a string back into prose,
code values and literal text, and each renderer (guardrail/render/inline.py) escapes the parts
for its own medium in one place. A marker character inside a value is removed, so no value can
end its own span. Pure string functions, no regex.
"""

from __future__ import annotations

from dataclasses import dataclass

# Private-use characters (U+E000…U+E003): never produced by guardrail's own words.
CODE_OPEN, CODE_CLOSE = "\ue000", "\ue001"
LIT_OPEN, LIT_CLOSE = "\ue002", "\ue003"
_MARKS = (CODE_OPEN, CODE_CLOSE, LIT_OPEN, LIT_CLOSE)
ELLIPSIS = "…"


def strip_marks(text: str) -> str:
    for mark in _MARKS:
        if mark in text:
            text = text.replace(mark, "")
    return text


def code(value: object) -> str:
    """A value from the repository or the PR, to be shown as inline code (a name, a path…)."""
    return CODE_OPEN + strip_marks(str(value)) + CODE_CLOSE


def md(text: str) -> str:
    """Untrusted free text, to be shown literally (never as Markdown or HTML)."""
    return LIT_OPEN + strip_marks(text) + LIT_CLOSE


def location(path: str | None, line: int | None) -> str:
    if not path:
        return ""
    return code(f"{path}:{line}" if line else path)


@dataclass(frozen=True)
class Prose:
    """guardrail's own words (may pair backticks around code it writes itself)."""

    text: str


@dataclass(frozen=True)
class Code:
    """A value taken from the repository or the pull request."""

    value: str


@dataclass(frozen=True)
class Literal:
    """Untrusted free text, shown as written."""

    text: str


Part = Prose | Code | Literal


def parts(marked: str) -> tuple[Part, ...]:
    """A marked string as its parts, in order. An unclosed span runs to the end of the text;
    a stray closing mark is dropped. Linear, and in C-speed steps: prose runs are found with
    `str.find`, not read a character at a time (every finding of a large change comes here)."""
    out: list[Part] = []
    pos, n = 0, len(marked)
    while pos < n:
        code_at = marked.find(CODE_OPEN, pos)
        lit_at = marked.find(LIT_OPEN, pos)
        starts = [i for i in (code_at, lit_at) if i >= 0]
        start = min(starts) if starts else n
        if start > pos:
            prose = strip_marks(marked[pos:start])
            if prose:
                out.append(Prose(prose))
        if start == n:
            break
        opener = marked[start]
        close = CODE_CLOSE if opener == CODE_OPEN else LIT_CLOSE
        end = marked.find(close, start + 1)
        stop = n if end < 0 else end
        inner = strip_marks(marked[start + 1 : stop])
        out.append(Code(inner) if opener == CODE_OPEN else Literal(inner))
        pos = stop + 1
    return tuple(out)


def join(items: tuple[Part, ...] | list[Part]) -> str:
    """Parts back into a marked string (the inverse of `parts`)."""
    out: list[str] = []
    for part in items:
        if isinstance(part, Code):
            out.append(code(part.value))
        elif isinstance(part, Literal):
            out.append(md(part.text))
        else:
            out.append(strip_marks(part.text))
    return "".join(out)


def cap(marked: str, limit: int) -> str:
    """At most `limit` visible characters, cut with an ellipsis; spans stay balanced."""
    if len(marked) <= limit:
        return marked
    kept: list[Part] = []
    room = limit - 1
    for part in parts(marked):
        text = part.value if isinstance(part, Code) else part.text
        if len(text) <= room:
            kept.append(part)
            room -= len(text)
            continue
        cut = text[:room] + ELLIPSIS
        kept.append(Code(cut) if isinstance(part, Code) else type(part)(cut))
        return join(kept)
    return join(kept)


def fence_block(body: str, lang: str = "") -> str:
    """A fenced code block whose fence is longer than any backtick run inside it."""
    longest = run = 0
    for ch in body:
        run = run + 1 if ch == "`" else 0
        longest = max(longest, run)
    fence = "`" * max(3, longest + 1)
    if not body.endswith("\n"):
        body += "\n"
    return f"{fence}{lang}\n{body}{fence}"


def plain(text: str, limit: int) -> str:
    """One line of plain text, at most `limit` characters."""
    one = " ".join(text.split())
    return one if len(one) <= limit else one[: limit - 1] + "…"


def strip_spans(text: str, open_: str, close: str, *, keep_newlines: bool = False) -> str:
    """Remove every `open_ … close` span in one linear pass (an unclosed span runs to the end).
    A lazy regex would rescan an unclosed span from every opening: quadratic on hostile text."""
    out: list[str] = []
    pos = 0
    while True:
        start = text.find(open_, pos)
        if start < 0:
            out.append(text[pos:])
            break
        out.append(text[pos:start])
        end = text.find(close, start + len(open_))
        stop = len(text) if end < 0 else end
        if keep_newlines:
            out.append("\n" * text.count("\n", start, stop))
        if end < 0:
            break
        pos = end + len(close)
    return "".join(out)
