"""`make demo`: guardrail on the seed pull requests, offline.

1. Each seed becomes a real git repository and is checked the way a developer checks before
   pushing: `guardrail check --base main --body <description>`.
2. The story seed then goes through the action itself, exactly as the runner starts it, against
   a fake GitHub served on 127.0.0.1: the comment it posts and the status it sets are shown.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from guardrail.sources import local_git  # noqa: E402
from seeds import seedlib  # noqa: E402
from tests.fakegithub import BOT, FakeGitHub, file_entry  # noqa: E402

STORY = "coupon-required"
EXIT = {
    0: "exit 0: nothing reaches fail-on",
    1: "exit 1: fails the check",
    2: "exit 2: could not run",
}


def console_script() -> str:
    found = shutil.which("guardrail", path=str(Path(sys.executable).parent))
    if not found:
        raise SystemExit("the guardrail console script is not installed: run `make demo`")
    return found


def rule(title: str) -> None:
    print("\n" + "━" * 78 + f"\n  {title}\n" + "━" * 78)


def local_runs(work: Path) -> None:
    for name in seedlib.names():
        seed = seedlib.load(name)
        repo = seedlib.materialize(seed, work / name)
        body = work / f"{name}.body.md"
        body.write_text(seed.body, encoding="utf-8")
        rule(f"seed {name}: guardrail check --base main --body {name}.body.md")
        print(f"  PR title: {seed.title}\n")
        proc = subprocess.run(
            [console_script(), "check", "--base", "main", "--body", str(body)],
            cwd=repo,
            capture_output=True,
            text=True,
            env={**os.environ, "GITHUB_ACTIONS": ""},
        )
        print(proc.stdout.rstrip())
        if proc.stderr.strip():
            print(proc.stderr.rstrip())
        print(f"\n  → {EXIT.get(proc.returncode, proc.returncode)}")
        if proc.returncode == 2:
            raise SystemExit(f"guardrail could not run on seed {name}")


def action_run(work: Path) -> None:
    seed = seedlib.load(STORY)
    repo = work / STORY
    pr, read, _ = local_git.load(repo, "main", body=seed.body)
    rule(f"seed {STORY} through the action: pull_request event, fake GitHub on 127.0.0.1")
    with FakeGitHub() as fake:
        files = [
            file_entry(
                f.path,
                f.patch,
                f.status,
                **({"previous_filename": f.previous_path} if f.previous_path else {}),
            )
            for f in pr.files
        ]
        fake.add_pull(
            42,
            title=seed.title,
            body=seed.body,
            files=files,
            head_sha=pr.head_sha,
            base_sha=pr.base_sha,
        )
        for f in pr.files:
            for side, sha in (("base", pr.base_sha), ("head", pr.head_sha)):
                text = read(side, f.previous_path or f.path if side == "base" else f.path)
                if text is not None and sha:
                    fake.contents[
                        (sha, f.previous_path or f.path if side == "base" else f.path)
                    ] = text
        event = work / "event.json"
        event.write_text(
            json.dumps({"action": "opened", "number": 42, "pull_request": {"number": 42}})
        )
        out, summary = work / "output", work / "summary"
        out.touch()
        summary.touch()
        workspace = work / "workspace"
        workspace.mkdir()
        env = {
            "PATH": os.environ.get("PATH", ""),
            "GITHUB_ACTIONS": "true",
            "GITHUB_EVENT_NAME": "pull_request",
            "GITHUB_EVENT_PATH": str(event),
            "GITHUB_REPOSITORY": fake.repo,
            "GITHUB_API_URL": fake.url,
            "GITHUB_SERVER_URL": "https://github.example",
            "GITHUB_RUN_ID": "1",
            "GITHUB_WORKSPACE": str(workspace),
            "GITHUB_OUTPUT": str(out),
            "GITHUB_STEP_SUMMARY": str(summary),
            "GUARDRAIL_WRITE_INTERVAL": "0",
            "INPUT_GITHUB-TOKEN": "t-bot",
            "INPUT_STATUS-CONTEXT": "guardrail",
        }
        proc = subprocess.run(
            [console_script(), "action"], cwd=workspace, env=env, capture_output=True, text=True
        )
        print(
            "  the step's log (annotations are workflow commands the runner turns into inline notes):"
        )
        for line in proc.stdout.splitlines():
            print("    " + line[:160])
        if proc.returncode == 2:
            print(proc.stderr)
            raise SystemExit("the action could not run")
        ours = [c for c in fake.comments[42] if c["user"]["login"] == BOT]
        print("\n  the comment guardrail posted on PR #42:\n")
        for c in ours:
            print("    " + c["body"].replace("\n", "\n    "))
        for s in fake.statuses:
            print(
                f"  commit status on {s['sha'][:7]}: {s['context']} = {s['state']} — {s['description']}"
            )
        print(f"  outputs: {out.read_text().strip().replace(chr(10), ', ')}")
        print(f"  API requests made: {len(fake.log)}")
        print(f"\n  → {EXIT.get(proc.returncode, proc.returncode)}")


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="guardrail-demo-") as tmp:
        work = Path(tmp)
        local_runs(work)
        action_run(work)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
