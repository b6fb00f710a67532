"""The one size cap (guardrail/limits.py) is the only length limit a migration reader meets:
every text a check reads went through engine._size_capped, so no reader needs a cap of its own
(detect.read's 20-million-character cap was dead behind it and is gone, as are the per-file
checks of base_schema.py and base_columns.py: only their sum-of-many-files bounds remain)."""

from __future__ import annotations

from guardrail.engine import _size_capped
from guardrail.limits import MAX_FILE_BYTES, FileTooLarge
from guardrail.model import BaseTree


def _capped(text: str) -> tuple[str | None, str | None, str | None, dict[str, FileTooLarge]]:
    too_large: dict[str, FileTooLarge] = {}
    read, read_tree, tree = _size_capped(
        lambda side, path: text,
        lambda path: text,
        BaseTree(lambda: ["m.sql"], lambda paths: {p: text for p in paths}),
        too_large,
    )
    assert read is not None and read_tree is not None and tree is not None
    return read("head", "m.sql"), read_tree("m.sql"), tree.read_many(["m.sql"])["m.sql"], too_large


def test_a_text_at_the_cap_reaches_the_readers_whole() -> None:
    text = "x" * MAX_FILE_BYTES
    *got, too_large = _capped(text)
    assert got == [text, text, text]
    assert too_large == {}


def test_one_character_past_the_cap_never_reaches_a_reader() -> None:
    *got, too_large = _capped("x" * (MAX_FILE_BYTES + 1))
    assert got == [None, None, None]
    assert set(too_large) == {"m.sql"}
