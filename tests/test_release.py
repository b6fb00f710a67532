"""The release pins action.yml to the published image on the tag it creates; main keeps the
Dockerfile."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from pin_action_image import pin  # noqa: E402


def test_pin_changes_only_the_image_line() -> None:
    before = (ROOT / "action.yml").read_text()
    after = pin(before, "ghcr.io/acme/guardrail", "1.4.0")
    assert yaml.safe_load(after)["runs"]["image"] == "docker://ghcr.io/acme/guardrail:1.4.0"
    changed = [
        (a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=True) if a != b
    ]
    assert changed == [("  image: Dockerfile", "  image: docker://ghcr.io/acme/guardrail:1.4.0")]


@pytest.mark.parametrize(
    ("image", "version"),
    [
        ("ghcr.io/Acme/guardrail", "1.4.0"),  # upper case: not a valid reference
        ("docker.io/acme/guardrail", "1.4.0"),
        ("ghcr.io/acme/guardrail", "v1.4.0"),
        ("ghcr.io/acme/guardrail", "1.4.0; rm -rf /"),
    ],
)
def test_pin_refuses_what_is_not_a_release(image: str, version: str) -> None:
    with pytest.raises(ValueError):
        pin((ROOT / "action.yml").read_text(), image, version)


def test_pin_refuses_an_already_pinned_file(tmp_path: Path) -> None:
    once = pin((ROOT / "action.yml").read_text(), "ghcr.io/acme/guardrail", "1.4.0")
    with pytest.raises(ValueError, match="nothing to pin"):
        pin(once, "ghcr.io/acme/guardrail", "1.4.1")


def test_release_workflow_tags_the_pinned_commit_and_main_keeps_the_dockerfile(
    tmp_path: Path,
) -> None:
    assert yaml.safe_load((ROOT / "action.yml").read_text())["runs"]["image"] == "Dockerfile"
    wf = (ROOT / ".github" / "workflows" / "release.yml").read_text()
    assert "scripts/pin_action_image.py" in wf
    doc = yaml.safe_load(wf)
    assert set(doc["jobs"]) == {"test", "image", "tag"}
    assert doc["jobs"]["tag"]["needs"] == "image"
    # The command line the workflow runs works on a copy of the real file.
    copy = tmp_path / "action.yml"
    copy.write_text((ROOT / "action.yml").read_text())
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "pin_action_image.py"),
            "ghcr.io/a/b",
            "2.0.0",
            str(copy),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert "docker://ghcr.io/a/b:2.0.0" in copy.read_text()


def test_a_path_install_into_a_fresh_venv_gives_the_command(tmp_path: Path) -> None:
    """What `pipx install <path>` does: build the package from the repository and install it
    into its own environment. The distribution is `guardrail-pr`; the command is `guardrail`.

    The wheel is built by the dev venv, which holds the build backend pyproject.toml names
    (setuptools>=69 and wheel are pinned in requirements/dev.lock), so the test runs with no
    network: pipx would fetch the same backend from the index into an isolated build env."""
    import subprocess
    import sys
    import venv

    src = tmp_path / "src"
    subprocess.run(
        ["git", "clone", "-q", "--no-hardlinks", str(ROOT), str(src)], check=True, timeout=120
    )
    wheels = tmp_path / "wheels"
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation"]
        + ["--no-index", "-w", str(wheels), str(src)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = wheels.glob("guardrail_pr-*.whl")
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, system_site_packages=True).create(env_dir)
    py = env_dir / "bin" / "python"
    proc = subprocess.run(
        [str(py), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    shown = subprocess.run(
        [str(py), "-m", "pip", "show", "guardrail-pr"], capture_output=True, text=True
    )
    assert shown.returncode == 0 and "Requires-Python" not in shown.stderr
    version = subprocess.run(
        [str(env_dir / "bin" / "guardrail"), "--version"], capture_output=True, text=True
    )
    assert version.returncode == 0 and version.stdout.startswith("guardrail "), version.stderr
    assert sys.version_info >= (3, 11)
