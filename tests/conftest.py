from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.fakegithub import FakeGitHub

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"


def corpus_dir(name: str) -> Path:
    path = CORPUS / name
    if not path.is_dir():
        pytest.skip(f"../shared/corpus/{name} is not here")
    return path


@pytest.fixture
def fake_github() -> Iterator[FakeGitHub]:
    with FakeGitHub() as fake:
        yield fake
    # Every GraphQL query the run sent was checked against GitHub's schema as it arrived.
    assert not fake.invalid_queries, f"queries GitHub would refuse: {fake.invalid_queries}"


def created_table(reading: Any) -> Any:
    """The one CREATE TABLE operation of a migration reading (a test fails on none or two)."""
    from guardrail.analysis.migrations.ops import OpKind

    (op,) = [o for o in reading.ops if o.kind == OpKind.CREATE_TABLE]
    return op


def console_script() -> str:
    found = shutil.which("guardrail", path=str(Path(sys.executable).parent))
    assert found, "the guardrail console script is not installed in this environment"
    return found


@dataclass
class ActionRun:
    returncode: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str
    workspace: Path


def parse_outputs(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and "=" not in line.split("<<")[0]:
            name, delim = line.split("<<", 1)
            value = []
            i += 1
            while lines[i] != delim:
                value.append(lines[i])
                i += 1
            out[name] = "\n".join(value)
        elif "=" in line:
            name, value = line.split("=", 1)
            out[name] = value
        i += 1
    return out


@pytest.fixture
def run_action(tmp_path: Path):  # type: ignore[no-untyped-def]
    def run(
        fake: FakeGitHub,
        event_name: str,
        event: dict[str, Any],
        inputs: dict[str, str] | None = None,
        token: str = "t-bot",
        extra_env: dict[str, str] | None = None,
        prepare: Any = None,  # called with the workspace before the run: a checkout's files
    ) -> ActionRun:
        # mkdtemp: two runs started at once (tests/test_faults.py) never share a folder
        work = Path(tempfile.mkdtemp(prefix="run", dir=tmp_path))
        workspace = work / "workspace"
        workspace.mkdir()
        if prepare is not None:
            prepare(workspace)
        event_path = work / "event.json"
        event_path.write_text(json.dumps(event))
        output = work / "output"
        summary = work / "summary"
        output.touch()
        summary.touch()
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(work),
            "GITHUB_ACTIONS": "true",
            "GITHUB_EVENT_NAME": event_name,
            "GITHUB_EVENT_PATH": str(event_path),
            "GITHUB_REPOSITORY": fake.repo,
            "GITHUB_API_URL": fake.api_url,
            "GITHUB_GRAPHQL_URL": fake.graphql_url,
            "GITHUB_SERVER_URL": "https://github.example",
            "GITHUB_RUN_ID": "777",
            "GITHUB_SHA": "f" * 40,
            "GITHUB_WORKSPACE": str(workspace),
            "GITHUB_OUTPUT": str(output),
            "GITHUB_STEP_SUMMARY": str(summary),
            "GUARDRAIL_WRITE_INTERVAL": "0",
            "INPUT_GITHUB-TOKEN": token,
            "INPUT_CONFIG": ".github/guardrail.yml",
            "INPUT_FAIL-ON": "",
            "INPUT_STATUS-CONTEXT": "guardrail",
            "INPUT_PR-NUMBER": "",
        }
        for key, value in (inputs or {}).items():
            env[f"INPUT_{key.upper()}"] = value
        env.update(extra_env or {})
        # The runner starts the container as: docker run … --workdir /github/workspace <image>
        # with ENTRYPOINT ["guardrail", "action"]; here, the same console script and argument.
        proc = subprocess.run(
            [console_script(), "action"],
            cwd=workspace,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        return ActionRun(
            proc.returncode,
            proc.stdout,
            proc.stderr,
            parse_outputs(output.read_text()),
            summary.read_text(),
            workspace,
        )

    return run


@pytest.fixture(scope="session")
def embedded_pg() -> Iterator[str]:
    """One embedded PostgreSQL for the whole test session (each trace makes its own scratch
    database in it). Skips only where the `trace` extra cannot be installed."""
    from guardrail.trace.api import available

    missing = available()
    if missing:
        pytest.skip(f"--trace tests need the trace extra: {missing}")
    from guardrail.trace.server import EmbeddedPostgres

    with EmbeddedPostgres() as server:
        yield server.conninfo


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-snapshots",
        action="store_true",
        help="rewrite tests/snapshots/*.md from the current output (review the diff)",
    )


@pytest.fixture
def update_snapshots(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-snapshots")) or (
        os.environ.get("GUARDRAIL_UPDATE_SNAPSHOTS") == "1"
    )
