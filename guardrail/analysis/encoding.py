"""File bytes to text, the way the file was written: without a guessing library.

A byte-order mark says the encoding (UTF-8, UTF-16 or UTF-32, either byte order). Without one,
UTF-8 is tried strictly; UTF-16 without a mark is known by its zero bytes (ASCII text in UTF-16
has one in every pair); text that is neither is a legacy single-byte file, read as Windows-1252
(and Latin-1 for the five bytes it leaves undefined). What is left is binary: NUL bytes that no
text encoding explains. `decode` keeps those as U+0000 so `undecodable` can say so and the
reader reports the file (GR901) instead of judging garbage.
"""

from __future__ import annotations

import codecs

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_SAMPLE = 4096


def _utf16_without_bom(data: bytes) -> str | None:
    sample = data[:_SAMPLE]
    if len(sample) < 4 or len(data) % 2:
        return None
    even = sample[0::2].count(0)
    odd = sample[1::2].count(0)
    half = len(sample) // 2
    if odd > half * 0.4 and even < half * 0.05:
        codec = "utf-16-le"
    elif even > half * 0.4 and odd < half * 0.05:
        codec = "utf-16-be"
    else:
        return None
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        return None


def decode(data: bytes) -> str:
    """The text of a file's bytes; never raises."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(codec, "replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if b"\x00" in data:
        text = _utf16_without_bom(data)
        if text is not None:
            return text
        return data.decode("utf-8", "replace")  # binary: the NULs stay, `undecodable` says so
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def undecodable(text: str) -> bool:
    """True for text that is not text: NUL characters, or mostly replacement characters."""
    if "\x00" in text:
        return True
    bad = text.count("\ufffd")
    return bad > 16 and bad * 20 > len(text)
