"""Agreement with peers on their own test cases (../shared/corpus; skipped when absent).

Each peer gets a recall and a precision floor, and why it sits where it does:

- squawk, over the 18 squawk rules guardrail maps (the rest are style rules such as
  prefer-text-field, or squawk's own settings such as require-timeout-settings): 90% / 80%
  overall and every mapped rule at least 60% recall. Known differences: guardrail assumes a
  supported Postgres (>= 12), so squawk's pg_version 11 cases differ; squawk exempts a lone
  CONCURRENTLY index under assume_in_transaction; a plain TRUNCATE is a finding for guardrail
  (data is destroyed) while squawk only bans CASCADE.
- django-migration-linter (backward incompatibility, Postgres): 60% / 70%. Its linter knows the
  previous model state from a live Django project (AlterField history) and treats unique indexes
  as incompatible; guardrail reads files only, and reports a unique index as a lock problem.
- oasdiff, request direction (what old clients and stored data send): 75% / 75%. Differences by
  design: a property removed from an open schema is not a tightening (old data with the extra
  key still passes), nor is a new required property with a default; not read: `not` and
  oneOf-wrapping sub-schemas, webhooks, new required path parameters. Over-reported: changed
  request-body defaults (a stored record that relied on the default changes meaning; oasdiff
  calls it informational).
- getsentry/json-schema-diff (breaking = data valid under the old schema may fail the new one,
  exactly a tightening): 75% / 75%; anyOf reorderings and equivalent rewrites are where guardrail
  over-reports.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests import conformance
from tests.conftest import corpus_dir

pytestmark = pytest.mark.corpus

PEERS: list[
    tuple[str, str, Callable[[Path], dict[str, conformance.Tally]], float, float, float]
] = [
    # corpus folder, title, runner, recall floor, precision floor, per-rule recall floor
    ("squawk", "squawk (mapped rules)", conformance.squawk, 0.90, 0.80, 0.60),
    (
        "django-migration-linter",
        "django-migration-linter (postgresql)",
        conformance.django_migration_linter,
        0.60,
        0.70,
        0.0,
    ),
    ("oasdiff", "oasdiff (request direction = old data in)", conformance.oasdiff, 0.75, 0.75, 0.0),
    (
        "json-schema-diff",
        "json-schema-diff (breaking = old data may fail)",
        conformance.json_schema_diff,
        0.75,
        0.75,
        0.0,
    ),
]


@pytest.mark.parametrize(
    ("folder", "title", "runner", "recall", "precision", "per_rule"),
    PEERS,
    ids=[p[0] for p in PEERS],
)
def test_agreement_with_peer(
    folder: str,
    title: str,
    runner: Callable[[Path], dict[str, conformance.Tally]],
    recall: float,
    precision: float,
    per_rule: float,
    capsys: pytest.CaptureFixture[str],
) -> None:
    tallies = runner(corpus_dir(folder))
    with capsys.disabled():
        print("\n" + conformance.table(title, tallies))
    overall = conformance.total(tallies)
    assert overall.recall >= recall, overall.misses
    assert overall.precision >= precision, overall.misses
    for rule, tally in tallies.items():
        assert tally.recall >= per_rule, f"{rule}: {tally.misses}"
