"""`guardrail template`: a pull-request template with exactly the sections the configuration
asks for, so adopting guardrail starts with a template whose headings guardrail recognises."""

from __future__ import annotations

from guardrail.config import Config


def _title(phrase: str) -> str:
    return phrase[:1].upper() + phrase[1:]


def _pick(headings: tuple[str, ...], preferred: str) -> str:
    return _title(preferred if preferred in headings else (headings[0] if headings else preferred))


def render(config: Config) -> str:
    rollback = _pick(config.rollback.all_headings, "rollback plan")
    plan = _pick(config.migrations.all_plan_headings, "migration plan")
    signal = _pick(config.questions.signal_headings, "monitoring")
    return f"""## What this changes
<!-- One or two sentences for the reviewer. -->

## {rollback}
<!-- guardrail asks this of every change that is not docs-only; "Revert this PR" is enough for a
     small one. For migrations, data models and deploy configuration, say how, and whether the
     previous version can read what this one writes. "N/A" does not count. -->
How to undo it: …
Data written by this version that the previous version must still read: …

## {plan}
<!-- Only when the PR adds or changes a database migration; delete this section otherwise. -->
Order relative to the code deploy: …
Existing rows (backfill): …
Locks and how long they are held: …
How it is undone: …

## Tests with old data
<!-- When a field becomes required, loses its default or disappears: which test feeds the code
     a record of the old shape that production still holds? -->
…

## {signal}
<!-- For risky changes: the metric, alert, dashboard or log line to watch after the deploy. -->
Watch after the deploy: …

<!-- To acknowledge a gap guardrail reports, with a reason:
- [x] guardrail: acknowledge GR101: <why this is fine>
-->
"""
