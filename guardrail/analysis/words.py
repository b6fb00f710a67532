"""The words of a text, once, so that many names can be looked up without rescanning it.

A check that asks "does this file name `orders`?" for each of many names pays a scan of every
file per name; a set of the file's words, built once, answers each name in constant time. The
set is a necessary condition only: a file whose words lack a name cannot match a pattern that
needs the name as a whole word (`\\bname\\b`, `(?<![\\w$])name(?![\\w])`, `name(`, `name.`), and
a file that has it is then read line by line with the real pattern, as before.

Built on bytes for ASCII text (one `translate` and one `split`, both C: 3 MB in about 40 ms,
where a regular expression needs four times that); a text or a name outside ASCII gets no set
(None), and the caller falls back to its substring test, so the answer never changes.
"""

from __future__ import annotations

import bisect
import string
from collections.abc import Callable

_WORD_BYTES = frozenset((string.ascii_letters + string.digits + "_").encode("ascii"))
# Every byte that is not a word character becomes a space; capitals become lower case.
_TO_WORDS = bytes(c if c in _WORD_BYTES else 0x20 for c in range(256)).lower()


def words(text: str) -> frozenset[bytes] | None:
    """The lower-cased maximal runs of `[A-Za-z0-9_]` in `text`; None outside ASCII, where
    Python's `\\w` is wider than these bytes."""
    if not text.isascii():
        return None
    return frozenset(text.encode("ascii").translate(_TO_WORDS).split())


def word_key(name: str) -> bytes | None:
    """`name` as a key into `words()`: lower case, ASCII; None when the name is not one word
    (a dotted or quoted name, an empty or non-ASCII one), which a word set cannot rule out."""
    if not name or not name.isascii():
        return None
    key = name.lower().encode("ascii")
    return key if key.translate(_TO_WORDS).split() == [key] else None


def may_name(
    found: frozenset[bytes] | None,
    names: tuple[str, ...],
    lowered: Callable[[], str] | None,
) -> bool:
    """Whether a text whose `words()` are `found` can contain any of `names` as a whole word,
    in any case. False only when it cannot. Where the word set cannot tell (a text or a name
    outside it), the caller's own test decides: `name in lowered()` when `lowered` (gives the
    text in lower case, `names` then in lower case too) is given, else True."""
    for name in names:
        key = word_key(name)
        if found is not None and key is not None:
            if key in found:
                return True
        elif lowered is None or name in lowered():
            return True
    return False


class Containing:
    """Which of many texts contain a string in lower case (`needle in text.lower()`), answered
    for many needles from one reading of the texts.

    A needle of word characters can only occur inside one word of a text, so the texts that
    contain it are those holding a word that contains it: the needle is searched once in the
    texts' distinct words joined (a fraction of the texts' size), not in every text. The answer
    is exactly the substring test's; a text outside ASCII is tested directly."""

    def __init__(self, texts: list[str]) -> None:
        postings: dict[bytes, list[int]] = {}
        self._direct: dict[int, str] = {}  # texts a word set cannot stand for, lower-cased
        for i, text in enumerate(texts):
            found = words(text)
            if found is None:
                self._direct[i] = text.lower()
                continue
            for word in found:
                postings.setdefault(word, []).append(i)
        self._postings = list(postings.values())
        self._joined = b"\n".join(postings) + b"\n"
        self._starts: list[int] = []
        at = 0
        for word in postings:
            self._starts.append(at)
            at += len(word) + 1

    def texts_with(self, needles: tuple[str, ...]) -> set[int] | None:
        """The indexes of the texts whose lower-cased form contains one of `needles` (lower
        case); None when a needle is not made of word characters (the caller tests it)."""
        keys = [word_key(n) for n in needles]
        if any(k is None or k.decode("ascii") != n for k, n in zip(keys, needles, strict=True)):
            return None
        out: set[int] = set()
        for key in keys:
            assert key is not None
            at = self._joined.find(key)
            while at >= 0:
                index = bisect.bisect_right(self._starts, at) - 1
                out.update(self._postings[index])
                # on to the next word: one hit per word is enough
                at = self._joined.find(key, self._joined.index(b"\n", at) + 1)
        for i, lowered in self._direct.items():
            if any(n in lowered for n in needles):
                out.add(i)
        return out
