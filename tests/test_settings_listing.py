"""The checkout's settings files that name a migration's database are listed once per run,
however many migrations ask: each Django migration filtered the whole tree again."""

from __future__ import annotations

import pytest

from guardrail.analysis.core import Analysis
from guardrail.analysis.migrations import changed
from guardrail.config import Config
from guardrail.model import ChangedFile, PullRequest

MIGRATION = (
    "from django.db import migrations, models\n\n\n"
    "class Migration(migrations.Migration):\n"
    "    dependencies = [('shop', '{parent}')]\n"
    "    operations = [migrations.AddField('order', 'f{n}', models.TextField(null=True))]\n"
)
SETTINGS = "DATABASES = {'default': {'ENGINE': 'django.db.backends.mysql'}}\n"


def test_settings_are_listed_once_for_many_migrations(monkeypatch: pytest.MonkeyPatch) -> None:
    files = [
        ChangedFile(
            f"shop/migrations/{n:04d}_f{n}.py",
            status="added",
            patch="@@ -0,0 +1,6 @@\n"
            + "".join(
                f"+{ln}\n" for ln in MIGRATION.format(parent=f"{n - 1:04d}", n=n).split("\n")[:-1]
            ),
        )
        for n in range(2, 12)
    ]
    tree = [f.path for f in files] + [f"shop/mod{i}.py" for i in range(200)]
    tree += ["project/settings.py"]
    asked: list[str] = []
    real = changed._SETTINGS_FILES["django"]

    def counted(path: str) -> bool:
        asked.append(path)
        return real(path)

    monkeypatch.setitem(changed._SETTINGS_FILES, "django", counted)
    contents = {("head", "project/settings.py"): SETTINGS}
    ctx = Analysis(
        pr=PullRequest(files=tuple(files)),
        config=Config(),
        read=lambda side, path: contents.get((side, path)),
        tree=lambda: tree,
        read_tree=lambda path: contents.get(("head", path)),
    )
    found = changed.migrations(ctx)
    assert len(found) == 10
    # Every migration runs on the database the settings name ...
    assert {m.target.database for m in found} == {"mysql"}
    # ... and the tree was filtered once for all ten (it was ten times).
    assert len(asked) == len(tree)
