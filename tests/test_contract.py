"""The surface users see, kept from drifting: action.yml, the Dockerfile, the workflows, the
lock file and the README."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def action() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((ROOT / "action.yml").read_text())


def test_action_metadata() -> None:
    meta = action()
    assert meta["name"] and meta["description"] and meta["branding"]
    assert meta["runs"]["using"] == "docker" and meta["runs"]["image"] == "Dockerfile"
    assert meta["runs"]["args"] == ["action"]
    assert set(meta["outputs"]) == {"verdict", "gaps", "report", "sarif"}
    for name, spec in meta["inputs"].items():
        assert spec.get("description"), f"input {name} has no description"
    assert meta["inputs"]["github-token"]["default"] == "${{ github.token }}"
    assert meta["inputs"]["config"]["default"] == ".github/guardrail.yml"
    assert meta["inputs"]["status-context"]["default"] == "guardrail"


def test_every_input_is_read_by_the_program_and_vice_versa() -> None:
    source = (ROOT / "guardrail" / "cli.py").read_text()
    read = set(re.findall(r'_(?:bool_|choice_)?input\(\s*"([a-z-]+)"', source))
    assert read == set(action()["inputs"]), f"cli reads {sorted(read)}"


def test_dockerfile_follows_docker_action_rules() -> None:
    text = (ROOT / "Dockerfile").read_text()
    lines = [
        ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("#")
    ]
    assert lines[0].startswith("FROM python:") and "slim" in lines[0]
    assert not any(ln.startswith("USER ") for ln in lines), "Docker actions must run as root"
    assert not any(ln.startswith("WORKDIR ") for ln in lines), "the runner sets the workdir"
    assert "--require-hashes -r /action/requirements.lock" in text
    (entry,) = [ln for ln in lines if ln.startswith("ENTRYPOINT")]
    assert entry == 'ENTRYPOINT ["guardrail"]', "exec form, naming the installed console script"
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["guardrail"] == "guardrail.cli:main"


def test_lock_file_pins_every_runtime_dependency() -> None:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    lock = (ROOT / "requirements.lock").read_text().lower()
    for dep in deps:
        name = re.split(r"[<>=!~\[ ]", dep, maxsplit=1)[0].lower()
        assert re.search(rf"^{re.escape(name)}==", lock, re.M), (
            f"{name} is not pinned in requirements.lock"
        )
        assert "--hash=sha256:" in lock


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(BIN)) or shutil.which(name)
    if not found:
        pytest.skip(f"{name} is not installed")
    return found


def test_dockerfile_is_clean_under_hadolint() -> None:
    proc = subprocess.run(
        [_tool("hadolint"), "Dockerfile"], cwd=ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_workflows_are_clean_under_actionlint(tmp_path: Path) -> None:
    # actionlint looks for the repository root by its .git; a copy keeps this independent
    # of how the tests were checked out.
    copy = tmp_path / "repo"
    shutil.copytree(ROOT / ".github", copy / ".github")
    shutil.copy(ROOT / "action.yml", copy / "action.yml")
    shutil.copy(ROOT / "Dockerfile", copy / "Dockerfile")
    (copy / ".git").mkdir()
    proc = subprocess.run(
        [_tool("actionlint"), "-no-color"], cwd=copy, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_workflows_and_action_are_clean_under_zizmor() -> None:
    proc = subprocess.run(
        [
            _tool("zizmor"),
            "--offline",
            "--min-severity",
            "medium",
            "--no-progress",
            ".github/workflows",
            "action.yml",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_third_party_actions_are_pinned_by_sha() -> None:
    for wf in (ROOT / ".github" / "workflows").glob("*.yml"):
        for uses in re.findall(r"^\s*(?:-\s*)?uses:\s*([^\s#]+)", wf.read_text(), re.M):
            if uses.startswith("./"):
                continue
            assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", uses), (
                f"{wf.name}: {uses} is not pinned"
            )


def test_workflows_use_least_privilege() -> None:
    for wf in (ROOT / ".github" / "workflows").glob("*.yml"):
        doc = yaml.safe_load(wf.read_text())
        assert doc.get("permissions") in ({"contents": "read"}, {}), (
            f"{wf.name}: top-level permissions"
        )
        for name, job in doc["jobs"].items():
            perms = job.get("permissions", doc.get("permissions"))
            assert perms is not None and "write-all" not in str(perms), f"{wf.name}:{name}"


def test_readme_documents_inputs_outputs_and_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    for name in action()["inputs"]:
        assert f"`{name}`" in readme, f"README does not document input {name}"
    for name in action()["outputs"]:
        assert f"`{name}`" in readme, f"README does not document output {name}"
    assert "make demo" in readme and "make test" in readme
    for trigger in ("pull_request", "workflow_dispatch", "guardrail check --base"):
        assert trigger in readme
