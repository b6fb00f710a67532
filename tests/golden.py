"""Golden cases: tests/rules/<CODE>.yml, one PR-shaped input and its expected findings each."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from guardrail import config as cfgmod
from guardrail import engine
from guardrail.checks import ALL_CHECKS
from guardrail.checks.base import Check
from guardrail.model import BaseTree, ChangedFile, PullRequest, Report

RULES_DIR = Path(__file__).parent / "rules"


def load_cases() -> list[tuple[str, str, dict[str, Any]]]:
    out = []
    for path in sorted(RULES_DIR.glob("*.yml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        for name, case in doc["cases"].items():
            out.append((doc["rule"], name, case))
    return out


def build(case: dict[str, Any]) -> tuple[PullRequest, cfgmod.Config, dict[tuple[str, str], str]]:
    """The PR, its configuration and the file contents both sides (keyed (side, path))."""
    files = []
    contents: dict[tuple[str, str], str] = {}
    for spec in case.get("files", []):
        patch = spec.get("patch", "")
        if isinstance(patch, str) and patch.endswith("\n"):
            patch = patch[:-1]
        adds = spec.get("additions")
        if adds is None:
            adds = sum(1 for ln in (patch or "").splitlines() if ln.startswith("+"))
        dels = spec.get("deletions")
        if dels is None:
            dels = sum(1 for ln in (patch or "").splitlines() if ln.startswith("-"))
        if patch and not patch.startswith("@@"):
            # Shorthand: a new file's content; each line becomes an added line.
            body = patch.splitlines()
            if not all(ln.startswith("+") for ln in body):
                body = ["+" + ln for ln in body]
            patch = f"@@ -0,0 +1,{len(body)} @@\n" + "\n".join(body)
        files.append(
            ChangedFile(
                path=spec["path"],
                status=spec.get("status", "modified"),
                previous_path=spec.get("previous_path"),
                additions=adds,
                deletions=dels,
                patch=patch,
                binary=spec.get("binary", False),
            )
        )
        if "base" in spec and "patch" not in spec:
            files[-1] = ChangedFile(
                path=spec["path"],
                status=spec.get("status", "modified"),
                previous_path=spec.get("previous_path"),
                additions=1,
                deletions=1,
                patch=None,
            )
        if "base" in spec:
            contents[("base", spec.get("previous_path") or spec["path"])] = spec["base"]
        if "head" in spec:
            contents[("head", spec["path"])] = spec["head"]
    for side in ("base", "head"):
        for path, text in (case.get(f"{side}_files") or {}).items():
            contents[(side, path)] = text
    pr = PullRequest(
        title=case.get("title", "A change"),
        body=case.get("body") or "",
        files=tuple(files),
        labels=tuple(case.get("labels", ())),
        changed_files=case.get("changed_files", len(files)),
        base_sha="b" * 40,
        head_sha="a" * 40,
    )
    config = cfgmod.parse(case.get("config"), "golden case")
    return pr, config, contents


def base_tree(case: dict[str, Any], contents: dict[tuple[str, str], str]) -> BaseTree | None:
    """The base branch's tip for migration history: `base_tree:` lists its paths (the files
    given in `base_files` and as `base:` are always in it). Absent: the source has no tree."""
    listed = case.get("base_tree")
    if listed is None:
        return None
    paths = list(dict.fromkeys([*listed, *(p for side, p in contents if side == "base")]))
    return BaseTree(
        paths=lambda: paths,
        read_many=lambda wanted: {p: contents.get(("base", p)) for p in wanted},
    )


def run(
    case: dict[str, Any],
    built: tuple[PullRequest, cfgmod.Config, dict[tuple[str, str], str]] | None = None,
    *,
    checks: tuple[Check, ...] = ALL_CHECKS,
    trace: Any = None,
) -> Report:
    """The case through the engine as the action runs it with a checkout (`built`: the case's
    `build` result when the caller needed it first)."""
    pr, config, contents = built or build(case)
    tree = case.get("tree")
    return engine.run(
        pr,
        config,
        read=lambda side, path: contents.get((side, path)),
        source="git",
        tree=(lambda: list(tree)) if tree else None,
        read_tree=lambda path: contents.get(("head", path)),
        base_tree=base_tree(case, contents),
        checks=checks,
        trace=trace,
    )
