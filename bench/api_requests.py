"""API requests per run, counted against the fake GitHub on 127.0.0.1.

A typical pull request (under 100 files: code, a model whose field becomes required, a
migration, a test), run as the action: the first run (no comment yet) and a re-run (the comment
is there), with and without a change to the report in between. Budget: 6 requests.
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

from tests.fakegithub import FakeGitHub, file_entry  # noqa: E402

BASE, HEAD = "b" * 40, "a" * 40
MODEL_BASE = "from typing import Optional\nfrom pydantic import BaseModel\nclass Order(BaseModel):\n    id: int\n    coupon: Optional[str] = None\n"
MODEL_HEAD = (
    "from pydantic import BaseModel\nclass Order(BaseModel):\n    id: int\n    coupon: str\n"
)


def run(fake: FakeGitHub, work: Path) -> list[str]:
    fake.log.clear()
    event = work / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 1}}))
    (work / "out").touch()
    (work / "sum").touch()
    env = {
        "PATH": os.environ["PATH"],
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": fake.repo,
        "GITHUB_API_URL": fake.url,
        "GITHUB_WORKSPACE": str(work),
        "GITHUB_OUTPUT": str(work / "out"),
        "GITHUB_STEP_SUMMARY": str(work / "sum"),
        "GUARDRAIL_WRITE_INTERVAL": "0",
        "INPUT_GITHUB-TOKEN": "t-bot",
    }
    exe = shutil.which("guardrail", path=str(Path(sys.executable).parent)) or "guardrail"
    subprocess.run([exe, "action"], cwd=work, env=env, capture_output=True, check=False)
    return [f"{r.method} {r.path.split('?')[0]}" for r in fake.log]


def main() -> int:
    files = [file_entry(f"app/views/v{i}.py", "@@ -1 +1 @@\n-a = 1\n+a = 2") for i in range(80)]
    files += [
        file_entry(
            "shop/schemas.py",
            "@@ -1,5 +1,4 @@\n-from typing import Optional\n from pydantic import BaseModel\n class Order(BaseModel):\n     id: int\n-    coupon: Optional[str] = None\n+    coupon: str",
        ),
        file_entry(
            "db/migrations/0002.sql",
            "@@ -0,0 +1 @@\n+ALTER TABLE orders ADD COLUMN note text;",
            "added",
        ),
        file_entry("tests/test_orders.py", "@@ -1 +1,2 @@\n def test(): pass\n+def test_2(): pass"),
    ]
    with FakeGitHub() as fake, tempfile.TemporaryDirectory() as tmp:
        fake.add_pull(1, body="Adds a note.", files=files, head_sha=HEAD, base_sha=BASE)
        fake.contents[(BASE, "shop/schemas.py")] = MODEL_BASE
        fake.contents[(HEAD, "shop/schemas.py")] = MODEL_HEAD
        fake.contents[(HEAD, "tests/test_orders.py")] = "def test(): pass\ndef test_2(): pass\n"
        rows = [("first run (no comment yet)", run(fake, Path(tmp)))]
        rows.append(("re-run, report unchanged", run(fake, Path(tmp))))
        fake.pulls[1]["body"] = "Adds a note.\n\n## Rollback plan\nRevert."
        rows.append(("re-run after the description was edited", run(fake, Path(tmp))))
    # Migration history: a PR adding a Django migration to an app with 150 migrations on the
    # base branch (the folder listing rides in the prefetch; the files cost one request each 100).
    django = [
        file_entry(
            "shop/migrations/0151_order_note.py",
            "@@ -0,0 +1,4 @@\n+from django.db import migrations\n+class Migration(migrations.Migration):\n"
            "+    dependencies = [('shop', '0150_x')]\n+    operations = []",
            "added",
        )
    ]
    with FakeGitHub() as fake, tempfile.TemporaryDirectory() as tmp:
        fake.add_pull(1, body="Adds a note.", files=django, head_sha=HEAD, base_sha=BASE)
        for i in range(1, 151):
            fake.contents[(BASE, f"shop/migrations/{i:04d}_x.py")] = (
                "from django.db import migrations\nclass Migration(migrations.Migration):\n"
                f"    dependencies = [('shop', '{i - 1:04d}_x')]\n    operations = []\n"
            )
        history = run(fake, Path(tmp))
    # Without a checkout, the legacy-data evidence reads the repository's tests too: the test
    # folders near the changed model are listed in the prefetch, and the unchanged tests (40
    # here, in shop/tests/ and tests/) are read in one more GraphQL request (100 per request).
    with FakeGitHub() as fake, tempfile.TemporaryDirectory() as tmp:
        tightening = [f for f in files if f["filename"] == "shop/schemas.py"]
        fake.add_pull(1, body="Adds a note.", files=tightening, head_sha=HEAD, base_sha=BASE)
        fake.contents[(BASE, "shop/schemas.py")] = MODEL_BASE
        fake.contents[(HEAD, "shop/schemas.py")] = MODEL_HEAD
        for i in range(40):
            folder = "shop/tests" if i % 2 else "tests"
            fake.contents[(HEAD, f"{folder}/test_t{i}.py")] = f"def test_{i}():\n    assert True\n"
        with_tests = run(fake, Path(tmp))
    print(
        f"first run, a model tightened, 40 unchanged tests read through the API: "
        f"{len(with_tests)} requests"
    )
    for r in with_tests:
        print(f"    {r}")
    print(f"first run, a Django migration on a 150-migration app: {len(history)} requests")
    for r in history:
        print(f"    {r}")
    for title, reqs in rows:
        print(f"{title}: {len(reqs)} requests")
        for r in reqs:
            print(f"    {r}")
    worst = max(len(r) for _, r in rows)
    print(f"budget 6: {'met' if worst <= 6 else 'NOT met'} (most in one run: {worst})")
    return 0 if worst <= 6 else 1


if __name__ == "__main__":
    raise SystemExit(main())
