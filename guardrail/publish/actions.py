"""What a run leaves in GitHub Actions itself: outputs, the job summary, log lines.

Untrusted text never reaches stdout where the runner would read it as a workflow command:
our own commands are escaped (render/annotations.py), and any free text is printed between
`::stop-commands::<random token>` and its resume, so nothing inside can act.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path
from typing import TextIO

from guardrail.render.annotations import command


def in_actions() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"


def print_untrusted(text: str, *, stream: TextIO | None = None) -> None:
    out = stream or sys.stdout
    if in_actions():
        token = secrets.token_hex(16)
        print(f"::stop-commands::{token}", file=out)
        print(text, file=out)
        print(f"::{token}::", file=out)
    else:
        print(text, file=out)


def _inert(line: str) -> str:
    """The line, unable to start a workflow command (the runner trims leading spaces)."""
    return "guardrail: " + line if line.lstrip().startswith(("::", "##[")) else line


def print_lines(text: str, *, stream: TextIO | None = None) -> None:
    """Text that may carry the repository's words (a traceback quoting a file's contents),
    line by line, none able to act as a workflow command. Unlike `print_untrusted` it does not
    pause commands, so it is safe on stderr while stdout carries our own."""
    out = stream or sys.stdout
    for line in text.splitlines():  # the runner also ends a line at a lone \r
        print(_inert(line), file=out)
    out.flush()


def log(message: str) -> None:
    """A line of our own words. Never starts a workflow command, whatever it contains."""
    print(_inert(" ".join(message.split())), flush=True)


def warn(message: str, title: str = "guardrail") -> None:
    print(command("warning", message, title=title), flush=True)


def error(message: str, title: str = "guardrail") -> None:
    if in_actions():
        print(command("error", message, title=title), flush=True)
    else:
        print(f"guardrail: error: {message}", file=sys.stderr, flush=True)


def set_output(name: str, value: str) -> None:
    path = os.environ.get("GITHUB_OUTPUT")
    if not path:
        return
    delim = "guardrail_" + secrets.token_hex(8)
    with open(path, "a", encoding="utf-8") as fh:
        if "\n" in value:
            fh.write(f"{name}<<{delim}\n{value}\n{delim}\n")
        else:
            fh.write(f"{name}={value}\n")


def append_summary(markdown: str) -> bool:
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        return False
    limit = 1_000_000
    if len(markdown.encode("utf-8")) > limit:
        markdown = markdown.encode("utf-8")[: limit - 200].decode("utf-8", "ignore")
        markdown += "\n\n…the report was cut to fit the job summary's 1 MiB; see the JSON report.\n"
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(markdown)
        if not markdown.endswith("\n"):
            fh.write("\n")
    return True


def write_file(path: Path, text: str, workspace: Path) -> bool:
    """Write a report file (relative paths are in the workspace) without following a symlink
    the pull request put there. False, with a warning, when it cannot be written safely."""
    from guardrail.sources.workspace import Refused, write_text

    try:
        write_text(path, text, workspace)
    except Refused as exc:
        warn(
            f"guardrail did not write {path}: {exc}. A file in the checkout that is a symlink "
            "is the pull request's choice, so guardrail does not write through it. The report "
            "is in the job summary."
        )
        return False
    except OSError as exc:
        warn(f"guardrail could not write {path}: {exc.strerror}. The report is in the job summary.")
        return False
    return True
