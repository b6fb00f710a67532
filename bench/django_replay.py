"""How long the Django AlterField replay takes (analysis/migrations/django_state.py): every
migration of an app folder is read (the base branch's, in one batch) before a PR's AlterField
in that app is judged. Prints the time per file and for the whole replay at the cap, against
the budget (docs/performance.md).

    .venv/bin/python bench/django_replay.py PATH [--files N]

PATH is a Django app's `migrations/` folder on disk (a checkout of a real project: netbox's
`netbox/dcim/migrations`, zulip's `zerver/migrations`). With `--files N` its migrations are
repeated, renamed and chained by `dependencies`, up to N files, to time an app of that size
with real contents. Nothing is sent anywhere; no file is executed.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

from guardrail.analysis.migrations import django, django_state
from guardrail.analysis.migrations.detect import detect

BUDGET_S = 5.0  # CPU for the whole replay of one app, at the cap


def _files(folder: Path, want: int | None) -> dict[str, str]:
    real = sorted(p for p in folder.glob("[0-9]*.py"))
    if not real:
        sys.exit(f"no migrations in {folder}")
    texts = {p.name: p.read_text(encoding="utf-8", errors="replace") for p in real}
    if not want:
        return {f"app/migrations/{n}": t for n, t in texts.items()}
    out: dict[str, str] = {}
    names = list(texts)
    previous = None
    for i in range(want):
        src = names[i % len(names)]
        name = f"{i + 1:04d}_{src[5:]}"
        # Chained by `dependencies` on the previous copy, as makemigrations writes them.
        body = re.sub(
            r"dependencies\s*=\s*\[.*?\]", "dependencies = []", texts[src], count=1, flags=re.S
        )
        if previous:
            body = body.replace("dependencies = []", f'dependencies = [("app", "{previous}")]', 1)
        out[f"app/migrations/{name}"] = body
        previous = name.removesuffix(".py")
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("path", type=Path)
    parser.add_argument("--files", type=int, default=None)
    args = parser.parse_args()
    files = _files(args.path, args.files)
    chars = sum(len(t) for t in files.values())
    app = django.App("app")
    start = time.process_time()
    steps = 0
    for path, text in files.items():
        kind = detect(path, text)
        if kind is None or kind.framework != "django":
            continue
        steps += len(django_state.state_steps(text, app))  # as the replay reads each file
    spent = time.process_time() - start
    full = time.process_time()
    for text in files.values():
        django.read(text, app)  # as a PR's own migration is read (with the definitions)
    full = time.process_time() - full
    per = spent / len(files) * 1000
    cap = django_state.MAX_FILES
    at_cap = per * cap / 1000
    print(f"{len(files)} migrations, {chars / 1e6:.1f} M characters, {steps} state steps")
    print(f"read for the replay: {spent:.2f} s CPU, {per:.1f} ms per file")
    print(f"read in full (a PR's own file): {full / len(files) * 1000:.1f} ms per file")
    print(
        f"replay at the cap ({cap} files): ~{at_cap:.1f} s CPU — budget {BUDGET_S:.0f} s: "
        f"{'met' if at_cap <= BUDGET_S else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
