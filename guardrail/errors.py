"""Errors a user can act on. Each carries one line of what went wrong and one line of the fix.

Findings are data, not errors. Bugs are not GuardrailErrors: they keep their traceback.
"""

from __future__ import annotations

from guardrail.render.inline import plain


class GuardrailError(Exception):
    """A usage, configuration, input or GitHub problem the user can fix. Exit code 2."""

    exit_code = 2

    def __init__(self, message: str, fix: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix

    def __str__(self) -> str:
        return plain(f"{self.message} — {self.fix}" if self.fix else self.message)


class ConfigError(GuardrailError):
    """The configuration file (or an action input) is invalid. `problems` names each field
    that is wrong as (field path, message, line in the file or None), when known."""

    def __init__(
        self,
        message: str,
        fix: str = "",
        problems: tuple[tuple[str, str, int | None], ...] = (),
    ) -> None:
        super().__init__(message, fix)
        self.problems = problems


class InputError(GuardrailError):
    """The run was started with inputs or in an event guardrail cannot work from."""


class GitHubError(GuardrailError):
    """GitHub refused or failed a request in a way retrying will not fix."""

    def __init__(
        self, message: str, fix: str = "", status: int | None = None, too_large: bool = False
    ) -> None:
        super().__init__(message, fix)
        self.status = status
        self.too_large = too_large  # a 403 `too_large`: a file, not a permission


class GitError(GuardrailError):
    """A local git command failed (not a repository, unknown ref, …)."""
