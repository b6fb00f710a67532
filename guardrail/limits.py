"""How large a file guardrail reads: one limit for every source (git, the checkout, the API).

A file over MAX_FILE_BYTES is not read at all (not downloaded from GitHub either): it becomes a
GR901 finding, "not read: too large (N MB)", naming the file, and the rest of the change is
judged. 5 MB is five times GitHub's own 1 MB line for the contents API and well past any
hand-written migration or schema; a larger file is generated data, and reading it would cost
the run more than it could tell. Documented in docs/rules/GR901.md.
"""

from __future__ import annotations

MAX_FILE_BYTES = 5_000_000
MAX_FILE_MB = MAX_FILE_BYTES // 1_000_000


class FileTooLarge(Exception):
    """Raised by a source's reader instead of returning a file over MAX_FILE_BYTES."""

    def __init__(self, path: str, size: int) -> None:
        super().__init__(f"{path}: {size} bytes")
        self.path = path
        self.size = size

    @property
    def megabytes(self) -> str:
        return f"{self.size / 1_000_000:.1f} MB"


def check_size(path: str, size: int) -> None:
    if size > MAX_FILE_BYTES:
        raise FileTooLarge(path, size)
