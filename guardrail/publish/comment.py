"""One sticky comment per pull request, found by its marker *and* by being this token's own.

A comment that carries the marker but was written by someone else is never edited or deleted.
"""

from __future__ import annotations

from typing import Protocol

from guardrail.errors import GitHubError
from guardrail.render.markdown import MARKER
from guardrail.sources.github_api import Comment


class CommentAPI(Protocol):
    def comments(self, number: int) -> list[Comment]: ...
    def create_comment(self, number: int, body: str) -> int: ...
    def update_comment(self, comment_id: int, body: str) -> None: ...
    def delete_comment(self, comment_id: int) -> None: ...


def _ours(comments: list[Comment]) -> list[Comment]:
    return [c for c in comments if c.mine and MARKER in c.body]


def upsert(api: CommentAPI, number: int, body: str, *, create: bool = True) -> str:
    """Create or update guardrail's comment. Returns created | updated | unchanged | skipped."""
    ours = _ours(api.comments(number))
    if ours:
        keep, duplicates = ours[0], ours[1:]
        for dup in duplicates:  # left by two runs that raced; both are ours
            api.delete_comment(dup.id)
        if keep.body.strip() == body.strip():
            return "unchanged"
        api.update_comment(keep.id, body)
        return "updated"
    if not create:
        return "skipped"
    try:
        new_id = api.create_comment(number, body)
    except GitHubError as exc:
        if exc.status is not None and exc.status < 500:
            raise
        # A 5xx may still have created it: look before posting again (creation is not idempotent).
        ours = _ours(api.comments(number))
        if ours:
            api.update_comment(ours[0].id, body)
            return "updated"
        new_id = api.create_comment(number, body)
    # Two runs that started together may both have created one: keep the oldest.
    ours = _ours(api.comments(number))
    if len(ours) > 1:
        for dup in ours[1:]:
            api.delete_comment(dup.id)
        if ours[0].id != new_id and ours[0].body.strip() != body.strip():
            api.update_comment(ours[0].id, body)
    return "created"
