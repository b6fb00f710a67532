"""Seed pull requests: a title, a body, and the files before (base) and after (head).

`materialize` turns a seed into a real git repository (branch `main` = base, `feature` = head),
so the demo and the tests run guardrail exactly as a developer would.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml

SEEDS = Path(__file__).resolve().parent

_ENV = {
    "GIT_AUTHOR_NAME": "Dev",
    "GIT_AUTHOR_EMAIL": "dev@example.com",
    "GIT_COMMITTER_NAME": "Dev",
    "GIT_COMMITTER_EMAIL": "dev@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


@dataclass(frozen=True)
class Seed:
    name: str
    title: str
    body: str
    base: dict[str, str | None]
    head: dict[str, str | None]


def load(name: str) -> Seed:
    doc = yaml.safe_load((SEEDS / f"{name}.yml").read_text(encoding="utf-8"))
    return Seed(
        name, doc["title"], doc.get("body") or "", doc.get("base") or {}, doc.get("head") or {}
    )


def names() -> list[str]:
    return sorted(p.stem for p in SEEDS.glob("*.yml"))


def git(root: Path, *args: str) -> str:
    env = {**os.environ, **_ENV}
    return subprocess.run(
        ["git", *args], cwd=root, check=True, capture_output=True, text=True, env=env
    ).stdout


def write_tree(root: Path, files: dict[str, str | None]) -> None:
    for rel, text in files.items():
        path = root / rel
        if text is None:
            if path.exists():
                path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def make_repo(
    root: Path, base: dict[str, str | None], head: dict[str, str | None], message: str = "Change"
) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    write_tree(root, base)
    git(root, "add", "-A")
    git(root, "commit", "-q", "--allow-empty", "-m", "Base")
    git(root, "checkout", "-q", "-b", "feature")
    write_tree(root, head)
    git(root, "add", "-A")
    git(root, "commit", "-q", "--allow-empty", "-m", message)
    return root


def materialize(seed: Seed, root: Path) -> Path:
    return make_repo(root, seed.base, seed.head, seed.title)
