"""Find a named section in a pull request description, with a real Markdown parser.

A section is either a heading (`## Rollback plan`) with everything up to the next heading of
the same or a higher level, or an inline label (`**Rollback:** revert the deploy`, `Rollback:`
on its own line followed by a list). HTML comments, template hints and placeholders such as
"N/A" do not count as content.

Pure and linear: markdown-it-py tokenises in linear time, and nothing here uses a regular
expression that could backtrack on untrusted text.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from guardrail.text import strip_spans

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

MAX_BODY_CHARS = 262_144  # GitHub caps a PR body at 65,536; local bodies are bounded too.


@dataclass(frozen=True)
class Block:
    kind: str  # heading | text | code | html
    text: str
    line: int  # 1-based line in the body
    level: int = 0  # heading level (1-6) for headings


@dataclass(frozen=True)
class Section:
    title: str  # the heading or label as written
    text: str  # the content, comments removed, one line per Markdown line
    line: int  # 1-based line of the heading or label
    kind: str  # heading | label


@dataclass(frozen=True)
class Assessment:
    status: str  # ok | empty | placeholder | template
    text: str  # the meaningful content that remains ("" unless ok)


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # Imported when a description is read: a run with an empty one (a local check, a bare PR)
    # does not load markdown-it.
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table")


def strip_html_comments(text: str) -> str:
    return strip_spans(text, "<!--", "-->")


def _strip_tags(text: str) -> str:
    out: list[str] = []
    depth = False
    for ch in text:
        if ch == "<":
            depth = True
        elif ch == ">" and depth:
            depth = False
        elif not depth:
            out.append(ch)
    return "".join(out)


def _inline_text(token: Token) -> str:
    parts: list[str] = []
    for child in token.children or ():
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif child.type == "image":
            parts.append(child.content)
    return "".join(parts)


@lru_cache(maxsize=8)
def blocks(body: str) -> tuple[Block, ...]:
    """The body as a flat list of blocks (headings, text, code, raw HTML without comments)."""
    body = (body or "")[:MAX_BODY_CHARS].replace("\r\n", "\n").replace("\r", "\n")
    tokens = _parser().parse(body) if body else []
    out: list[Block] = []
    heading_level = 0
    for tok in tokens:
        line = (tok.map[0] + 1) if tok.map else 1
        if tok.type == "heading_open":
            heading_level = int(tok.tag[1:])
            continue
        if tok.type == "inline":
            text = _inline_text(tok)
            if heading_level:
                out.append(Block("heading", text.strip(), line, heading_level))
                heading_level = 0
            else:
                out.append(Block("text", text, line))
        elif tok.type in ("fence", "code_block"):
            out.append(Block("code", tok.content, line))
        elif tok.type == "html_block":
            text = _strip_tags(strip_html_comments(tok.content))
            if text.strip():
                out.append(Block("html", text, line))
    return tuple(out)


# What GitHub shows of raw HTML in a description, after its sanitizer (the allowlist GitHub
# published with html-pipeline's SanitizationFilter and the Sanitize gem it is built on;
# GFM's tagfilter extension): the text of an element is shown, with or without its tag,
# except for the elements below, whose content is removed (Sanitize's `remove_contents`),
# turned into literal markup by the tagfilter, or never rendered as text.
_NOT_SHOWN = frozenset(
    [
        "script",
        "style",
        "noscript",
        "svg",
        "math",
        "template",
        "iframe",
        "noembed",
        "noframes",
        "xmp",
        "plaintext",
        "textarea",
        "title",
        "select",
        "object",
        "audio",
        "video",
        "canvas",
    ]
)
_VOID = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    ]
)
# GitHub strips `style`, `hidden` and `aria-hidden` (none is on its attribute allowlist), so
# such text would show; text its author marked hidden is still never taken as what the author
# *says* (an acknowledgement): stricter than the renderer on purpose. A collapsed `<details>`
# (no `open`) is seen only by a reader who opens it, and does not count either.
_HIDING = ("hidden", "display:none", "visibility:hidden", "font-size:0", "opacity:0")


def _hides(tag: str) -> bool:
    squeezed = "".join(tag.lower().split())
    return any(h in squeezed for h in _HIDING)


def _tag_name(tag: str) -> str:
    """`<div hidden>` -> 'div', `</Span >` -> 'span'; '' for a comment, a declaration or
    something that is not a tag."""
    start = 2 if tag.startswith("</") else 1
    end = start
    while end < len(tag) and (tag[end].isalnum() or tag[end] == "-"):
        end += 1
    return tag[start:end].lower()


class _Unseen:
    """The open elements whose text a reader of the rendered description does not see. An
    element opened by inline HTML ends with its paragraph (as the HTML parser closes it); one
    opened by an HTML block stays open across the Markdown inside it until its end tag."""

    __slots__ = ("counts", "open")

    def __init__(self) -> None:
        self.open: list[tuple[str, bool]] = []  # (element name, opened inline)
        # How many of each name are open: an end tag of a name not open costs nothing, so
        # thousands of stray end tags stay linear (each open element is popped once).
        self.counts: dict[str, int] = {}

    def _pop_to(self, size: int) -> None:
        for name, _ in self.open[size:]:
            self.counts[name] -= 1
        del self.open[size:]

    def _push(self, name: str, inline: bool) -> None:
        self.open.append((name, inline))
        self.counts[name] = self.counts.get(name, 0) + 1

    def tag(self, tag: str, inline: bool) -> None:
        tag = tag.strip()
        name = _tag_name(tag)
        if not name:
            return
        if tag.startswith("</"):
            if self.counts.get(name):
                at = len(self.open) - 1
                while self.open[at][0] != name:
                    at -= 1
                self._pop_to(at)
            return
        if name in _VOID or tag.endswith("/>"):
            return
        attributes = tag[len(name) + 1 :].rstrip(">/").lower().split()
        collapsed = name == "details" and not any(
            a == "open" or a.startswith("open=") for a in attributes
        )
        if self.open or name in _NOT_SHOWN or collapsed or _hides(tag):
            self._push(name, inline)

    def end_paragraph(self) -> None:
        if any(inline for _, inline in self.open):
            kept = [entry for entry in self.open if not entry[1]]
            self._pop_to(0)
            for name, inline in kept:
                self._push(name, inline)


def _html_text(html: str, unseen: _Unseen) -> str:
    """The text a reader sees of an HTML block: tags and comments left out, entities decoded,
    text inside an unseen element dropped. One pass over the characters."""
    from html import unescape

    out: list[str] = []
    html = strip_html_comments(html)
    at = 0
    while at < len(html):
        start = html.find("<", at)
        end = html.find(">", start) if start >= 0 else -1
        if start < 0 or end < 0:  # no more tags (a `<` with no `>` is shown as written)
            if not unseen.open:
                out.append(unescape(html[at:]))
            break
        if not unseen.open:
            out.append(unescape(html[at:start]))
        unseen.tag(html[start : end + 1], inline=False)
        at = end + 1
    return "".join(out)


def visible_lines(body: str) -> list[str]:
    """The lines a reader sees when GitHub shows the description: paragraph, heading, list and
    table text, code, and the text of raw HTML. Left out: image alt text, link titles, HTML
    comments, and text inside elements GitHub does not show or its author marked hidden (see
    `_NOT_SHOWN`, `_HIDING`). For what the author *says* (an acknowledgement), not for
    finding sections."""
    body = (body or "")[:MAX_BODY_CHARS].replace("\r\n", "\n").replace("\r", "\n")
    out: list[str] = []
    unseen = _Unseen()
    for tok in _parser().parse(body) if body else []:
        if tok.type == "html_block":
            out.extend(_html_text(tok.content, unseen).split("\n"))
        elif unseen.open:
            continue
        elif tok.type in ("fence", "code_block"):
            out.extend(tok.content.split("\n"))
        elif tok.type == "inline":
            out.extend(_inline_visible(tok, unseen).split("\n"))
    return out


def _inline_visible(tok: Token, unseen: _Unseen) -> str:
    parts: list[str] = []
    for child in tok.children or ():
        if child.type == "html_inline":
            if not child.content.lstrip().startswith("<!--"):
                unseen.tag(child.content, inline=True)
        elif unseen.open:
            continue
        elif child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        # image: its alt text is not shown; link_open/close: the title is an attribute
    unseen.end_paragraph()
    return "".join(parts)


def normalize(text: str) -> str:
    """Lowercase words only: 'Rollback / Revert plan:' -> 'rollback revert plan'."""
    words: list[str] = []
    current: list[str] = []
    for ch in text.lower():
        if ch.isalnum():
            current.append(ch)
        elif current:
            words.append("".join(current))
            current = []
    if current:
        words.append("".join(current))
    # A leading number ("3. Rollback") is an outline number, not part of the title.
    while words and words[0].isdigit():
        words.pop(0)
    return " ".join(words)


_JOINERS = ("/", "&", "+", ",", " and ", " or ")


def _parts(title: str) -> list[str]:
    """'Risk and rollback' -> ['risk', 'rollback']; 'Rollout / rollback' -> ['rollout',
    'rollback']: a heading that covers two topics answers both."""
    pieces = [title.lower()]
    for joiner in _JOINERS:
        pieces = [p for piece in pieces for p in piece.split(joiner)]
    return [n for n in (normalize(p) for p in pieces) if n]


def _title_matches(title: str, wanted: frozenset[str]) -> bool:
    norm = normalize(title)
    if not norm:
        return False
    if norm in wanted:
        return True
    if any(norm.startswith(w + " ") for w in wanted):
        return True
    parts = _parts(title)
    return len(parts) > 1 and any(p in wanted for p in parts)


def _label_matches(label: str, wanted: frozenset[str]) -> bool:
    parts = _parts(label)
    return normalize(label) in wanted or (len(parts) > 1 and any(p in wanted for p in parts))


def _label_like_line(line: str) -> bool:
    """'Migration plan: …' or '**Risk:** …' at the start of a line: a new answer begins, even
    inside one paragraph (GitHub shows soft breaks as separate lines)."""
    text = line.strip().lstrip("*_").strip()
    idx = text.find(":")
    if not 0 < idx <= 40:
        return False
    label = text[:idx].rstrip("*_ ")
    words = label.split()
    return 0 < len(words) <= 4 and label[:1].isupper() and any(ch.isalpha() for ch in label)


def _label_split(text: str, wanted: frozenset[str]) -> tuple[str, str] | None:
    """'Rollback: revert it' -> ('Rollback', 'revert it') when the label is a wanted title."""
    first_line, _, rest_lines = text.partition("\n")
    for sep in (":", " — ", " – ", " - "):
        idx = first_line.find(sep)
        if 0 < idx <= 80:
            label = first_line[:idx]
            if _label_matches(label, wanted):
                value = first_line[idx + len(sep) :]
                if rest_lines:
                    value = value + "\n" + rest_lines
                return label.strip(), value
            break
    return None


def _looks_like_label(block: Block) -> bool:
    text = block.text.strip()
    return block.kind == "text" and "\n" not in text and 0 < len(text) <= 80 and text.endswith(":")


def find_sections(body: str, titles: tuple[str, ...]) -> list[Section]:
    """Every section of `body` whose heading or inline label is one of `titles`."""
    wanted = frozenset(normalize(t) for t in titles if normalize(t))
    blist = blocks(body)
    found: list[Section] = []
    i = 0
    while i < len(blist):
        block = blist[i]
        if block.kind == "heading" and _title_matches(block.text, wanted):
            parts: list[str] = []
            j = i + 1
            while j < len(blist):
                nxt = blist[j]
                if nxt.kind == "heading" and nxt.level <= block.level:
                    break
                parts.append(nxt.text)
                j += 1
            found.append(Section(block.text, "\n".join(parts), block.line, "heading"))
            i = j
            continue
        if block.kind == "text":
            lines = block.text.split("\n")
            k, consumed = 0, False
            while k < len(lines):
                split = _label_split(lines[k], wanted)
                if split is None:
                    k += 1
                    continue
                label, value = split
                # The answer runs to the next line that starts another label ("Rollback: …"
                # then "Migration plan: …" in one paragraph are two answers).
                end = k + 1
                while end < len(lines) and not _label_like_line(lines[end]):
                    end += 1
                parts = [value, *lines[k + 1 : end]]
                j = i + 1
                if not "\n".join(parts).strip() and end == len(lines):
                    # "Rollback:" alone: the answer is the blocks that follow, up to the next
                    # heading or the next label-like line.
                    while j < len(blist):
                        nxt = blist[j]
                        if nxt.kind == "heading" or _looks_like_label(nxt):
                            break
                        if _label_split(nxt.text, wanted) is not None:
                            break
                        parts.append(nxt.text)
                        j += 1
                    i, consumed = j - 1, True
                found.append(Section(label, "\n".join(parts), block.line + k, "label"))
                k = end
                if consumed:
                    break
        i += 1
    return found


def _is_placeholder(value: str, placeholders: frozenset[str]) -> bool:
    v = value.strip().strip("*_`~").strip()
    if not v:
        return True
    low = v.lower().rstrip(".!").strip()
    if low in placeholders or low.replace(" ", "") in placeholders:
        return True
    if normalize(low) in placeholders:
        return True
    if not normalize(low):  # only punctuation: "-", "...", "…", "?"
        return True
    # <describe the rollback>, [fill in], (optional), {…}
    return len(v) >= 2 and (v[0], v[-1]) in (("<", ">"), ("[", "]"), ("{", "}"), ("(", ")"))


def assess(text: str, placeholders: tuple[str, ...]) -> Assessment:
    """Is this section a real answer, or empty, a placeholder, or an unfilled template?"""
    ph = frozenset(p.lower() for p in placeholders) | frozenset(
        normalize(p) for p in placeholders if normalize(p)
    )
    text = strip_html_comments(text)
    lines = [ln.strip() for ln in text.split("\n")]
    lines = [ln for ln in lines if ln]
    if not lines:
        return Assessment("empty", "")
    meaningful: list[str] = []
    template_lines = 0
    for ln in lines:
        if ln.startswith("[ ]"):  # unticked checkbox: a question, not an answer
            template_lines += 1
            continue
        if ln.lower().startswith("[x]"):
            ln = ln[3:].strip()
        label, sep, value = ln.partition(":")
        if sep and label.strip() and len(label) <= 120 and _is_placeholder(value, ph):
            # "How to undo it: …" — a template prompt left unanswered.
            template_lines += 1
            continue
        if _is_placeholder(ln, ph):
            if normalize(ln) and normalize(ln) not in ph:
                template_lines += 1  # <bracketed hint>
            else:
                meaningful.append("")
            continue
        meaningful.append(ln)
    real = [m for m in meaningful if m]
    if real:
        return Assessment("ok", "\n".join(real))
    if template_lines:
        return Assessment("template", "")
    return Assessment("placeholder", "")
