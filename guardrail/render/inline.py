"""The one place finding text becomes output: Markdown for the comment and the job summary,
plain text for annotations, JSON, SARIF, errors and the terminal.

Input is a marked string (guardrail/text.py): guardrail's prose, code values and literal text.
- Markdown: a code value becomes a code span no content can leave (its fence is longer than any
  backtick run inside; newlines become spaces; pipes are escaped in tables; `@` cannot mention;
  length capped with an ellipsis). Prose and literal text are escaped so no character can start
  HTML, a link, an image, emphasis or a table cell, and `@` cannot mention; backticks that
  guardrail pairs in its own prose become code spans through the same path.
- Plain: the values as written, one line, no markers.
"""

from __future__ import annotations

from guardrail.text import ELLIPSIS, Code, Literal, Prose, parts

CODE_LIMIT = 200  # characters of one quoted value in Markdown
TEXT_LIMIT = 4_000  # characters of one rendered text (a title, a note): a safety net

_WORD_JOINER = "\u2060"
_MD_SPECIAL = frozenset("\\`*_{}[]()#+!|~>")


def _one_line(text: str) -> str:
    if "\r" in text or "\n" in text or "\t" in text:
        text = text.replace("\r", " ").replace("\n", " ").replace("\t", " ")
    return text


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


_ESCAPES = {
    **{ord(ch): "\\" + ch for ch in _MD_SPECIAL},
    ord("&"): "&amp;",
    ord("<"): "&lt;",
    ord(">"): "&gt;",  # an entity, not `\>`: the entities win over the Markdown escapes
    ord("@"): "@" + _WORD_JOINER,  # shown the same, never a notification
}


def escape(text: str) -> str:
    """Text that renders literally in Markdown: no HTML, links (GitHub's autolinks too),
    emphasis, cells or mentions. One `str.translate`: every finding of a change passes here."""
    text = _one_line(text).translate(_ESCAPES)
    if "://" in text or "www." in text:  # no autolink to a host the text chose
        text = text.replace("://", ":" + _WORD_JOINER + "//").replace(
            "www.", "www" + _WORD_JOINER + "."
        )
    return text


def _longest_backtick_run(text: str) -> int:
    longest = 0
    at = text.find("`")
    while at >= 0:
        end = at
        while end < len(text) and text[end] == "`":
            end += 1
        longest = max(longest, end - at)
        at = text.find("`", end)
    return longest


def code_span(value: str, *, table: bool = False, limit: int = CODE_LIMIT) -> str:
    """A value as an inline code span that cannot be closed from inside."""
    text = _cut(" ".join(_one_line(value).split()), limit) or " "
    fence = "`" * (_longest_backtick_run(text) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    text = text.replace("@", "@" + _WORD_JOINER)
    if table:
        # A pipe ends a table cell even inside a code span; GFM accepts "\|" there.
        text = text.replace("|", "\\|")
    return f"{fence}{pad}{text}{pad}{fence}"


def _prose(text: str, table: bool) -> str:
    """guardrail's own words: backtick pairs are code spans, everything else escaped."""
    if "`" not in text:
        return escape(text)
    pieces = text.split("`")
    if len(pieces) % 2 == 0:  # an unpaired backtick: literal
        pieces[-2:] = [pieces[-2] + "`" + pieces[-1]]
    out: list[str] = []
    for i, piece in enumerate(pieces):
        if i % 2 == 0:
            out.append(escape(piece))
        elif piece:
            out.append(code_span(piece, table=table))
    return "".join(out)


def markdown(marked: str, *, table: bool = False, limit: int = TEXT_LIMIT) -> str:
    """A marked string as inline Markdown, safe anywhere in the comment or summary."""
    out: list[str] = []
    room = limit
    for part in parts(marked):
        if room <= 0:
            out.append(ELLIPSIS)
            break
        if isinstance(part, Code):
            out.append(code_span(part.value, table=table))
            room -= min(len(part.value), CODE_LIMIT)
        else:
            text = _cut(part.text, room)
            room -= len(text)
            out.append(_prose(text, table) if isinstance(part, Prose) else escape(text))
    return "".join(out)


def plain(marked: str, *, quote: bool = True, limit: int = TEXT_LIMIT) -> str:
    """A marked string as one line of plain text. `quote` keeps code values in backticks
    (annotations, the terminal); without it every backtick goes (SARIF's text)."""
    out: list[str] = []
    for part in parts(marked):
        if isinstance(part, Code):
            out.append(f"`{part.value}`" if quote else part.value)
        elif isinstance(part, Literal) or quote:
            out.append(part.text)
        else:
            out.append(part.text.replace("`", ""))
    return _cut(" ".join("".join(out).split()), limit)


__all__ = ["code_span", "escape", "markdown", "plain"]
