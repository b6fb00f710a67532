"""The PR comment and the job summary, byte for byte, for a failing and a passing seed.

A change to what people read shows up as a diff of tests/snapshots/*.md in review. To accept
one: `.venv/bin/python -m pytest tests/test_snapshots.py --update-snapshots` (or
GUARDRAIL_UPDATE_SNAPSHOTS=1), then read the diff before committing it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from guardrail import config as cfgmod
from guardrail import engine
from guardrail.render import markdown as render_md
from guardrail.sources import local_git
from seeds import seedlib

SNAPSHOTS = Path(__file__).parent / "snapshots"
META = render_md.Meta(
    head_sha="0123456789abcdef0123456789abcdef01234567",
    run_url="https://github.com/acme/shop/actions/runs/1",
    summary_url="https://github.com/acme/shop/actions/runs/1",
)


def _outputs(name: str, tmp_path: Path) -> dict[str, str]:
    seed = seedlib.load(name)
    repo = seedlib.materialize(seed, tmp_path / name)
    pr, read, _ = local_git.load(repo, "main", body=seed.body)
    report = engine.run(pr, cfgmod.Config(), read=read, source="git")
    return {
        "comment": render_md.render(report, META),
        "summary": render_md.render(report, META, marker=False, budget=None),
    }


@pytest.mark.parametrize("name", ["coupon-required", "ready-to-ship"])
def test_comment_and_summary_match_their_snapshots(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, update_snapshots: bool
) -> None:
    for var in ("GITHUB_ACTION_REPOSITORY", "GITHUB_ACTION_REF", "GITHUB_SERVER_URL"):
        monkeypatch.delenv(var, raising=False)  # the docs links' base
    for kind, text in _outputs(name, tmp_path).items():
        path = SNAPSHOTS / f"{name}.{kind}.md"
        if update_snapshots or not path.exists():
            SNAPSHOTS.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
            continue
        expected = path.read_text(encoding="utf-8")
        assert text == expected, (
            f"{path.name} changed; if that is intended, run pytest {__file__} "
            "--update-snapshots and review the diff"
        )
