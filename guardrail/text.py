"""Safe Markdown from untrusted text (PR bodies, titles, file names).

Untrusted text must not break out of the comment's Markdown (code spans, tables, details
blocks, raw HTML) and must not mention people or teams. Pure string functions, no regex.
"""

from __future__ import annotations

_WORD_JOINER = "\u2060"
_MD_SPECIAL = set("\\`*_{}[]()#+!|~>")


def _defang_mentions(text: str) -> str:
    # "@org/team" -> "@\u2060org/team": shown the same, never a notification.
    return text.replace("@", "@" + _WORD_JOINER)


def md(text: str) -> str:
    """Untrusted text as inline Markdown that renders literally."""
    text = " ".join(text.replace("\r", " ").replace("\n", " ").split())
    out: list[str] = []
    for ch in text:
        if ch == "&":
            out.append("&amp;")
        elif ch == "<":
            out.append("&lt;")
        elif ch == ">":
            out.append("&gt;")
        elif ch in _MD_SPECIAL:
            out.append("\\" + ch)
        else:
            out.append(ch)
    return _defang_mentions("".join(out))


def code(text: str) -> str:
    """Untrusted text as an inline code span that cannot be closed from inside."""
    text = " ".join(text.replace("\r", " ").replace("\n", " ").split()) or " "
    longest = run = 0
    for ch in text:
        run = run + 1 if ch == "`" else 0
        longest = max(longest, run)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    # A pipe ends a table cell even inside a code span; GFM accepts "\|" there.
    escaped = text.replace("|", "\\|")
    return f"{fence}{pad}{escaped}{pad}{fence}"


def location(path: str | None, line: int | None) -> str:
    if not path:
        return ""
    return code(f"{path}:{line}" if line else path)


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
