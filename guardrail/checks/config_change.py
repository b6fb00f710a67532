"""GR920 — a pull request that edits guardrail's own configuration into one that does not load.

The PR is judged by the base commit's configuration (a PR never chooses how it is judged), so
without this rule a broken edit would pass, merge, and stop every later pull request with
exit 2. The PR's version is validated like the base's (same models, same messages) and each
wrong field is named with its line; `extends:` is checked for its form, never fetched.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from guardrail.analysis.reads import Side, wants
from guardrail.checks.base import Analysis
from guardrail.config import DEFAULT_CONFIG_PATH, Config, validate_text
from guardrail.model import ChangedFile, Finding
from guardrail.rules import by_code
from guardrail.text import code

GR920 = by_code("GR920")

SHOWN = 5  # wrong fields named in the finding; the rest are counted


@wants
def _config_at_head(f: ChangedFile, _config: Config) -> Iterable[tuple[Side, str]]:
    # The action's `config` input can name another path: that one is read when asked.
    if f.path == DEFAULT_CONFIG_PATH:
        yield ("head", f.path)


def check_config_change(ctx: Analysis) -> Iterator[Finding]:
    rel = ctx.config_path
    changed = next((f for f in ctx.pr.files if f.path == rel and f.status != "removed"), None)
    if changed is None or ctx.read is None:
        return
    text = ctx.read("head", rel)
    if text is None:
        ctx.problems.add(rel, "configuration file", "not found at the pull request's head commit")
        return
    error = validate_text(text, rel)
    if error is None:
        return
    problems = error.problems or (("(whole file)", error.message, None),)
    first_line = next((line for _, _, line in problems if line is not None), None)
    named = "; ".join(
        f"{code(field)}{f' (line {line})' if line else ''}: {code(msg)}"
        for field, msg, line in problems[:SHOWN]
    )
    more = f"; and {len(problems) - SHOWN} more" if len(problems) > SHOWN else ""
    yield GR920.finding(
        f"This change makes {code(rel)} a configuration guardrail cannot load: {named}{more}.",
        f"This pull request is judged by the base branch's configuration, but once it merges "
        f"every pull request would stop with an error. To fix it: {error.fix}.",
        path=rel,
        line=first_line,
    )


CHECKS = (check_config_change,)
