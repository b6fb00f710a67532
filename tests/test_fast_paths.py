"""What a run that has nothing to judge costs: no configuration, no analysis, no heavy imports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import console_script
from tests.gitrepo import make_repo

HEAVY = ("pydantic", "markdown_it", "pglast", "pathspec", "yaml", "github", "guardrail.engine")


def _imported(repo: Path, *args: str) -> set[str]:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "guardrail", "check", *args],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    assert proc.returncode in (0, 1), proc.stderr  # 1: findings that fail the check
    names = set()
    for line in proc.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[0].startswith("import time:"):
            names.add(parts[2].strip())
    return names


def test_an_empty_change_passes_and_says_so(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"app.py": "x = 1\n"}, {})
    proc = subprocess.run(
        [console_script(), "check", "--base", "main", "--format", "json"],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["verdict"] == "pass"
    assert "nothing to check" in proc.stderr


def test_an_empty_change_imports_nothing_heavy(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"app.py": "x = 1\n"}, {})
    names = _imported(repo, "--base", "main")
    assert not [n for n in HEAVY if n in names], sorted(n for n in HEAVY if n in names)


def test_an_empty_change_does_not_read_a_broken_configuration(tmp_path: Path) -> None:
    # Nothing is judged, so nothing depends on the configuration; a real change still reads it.
    repo = make_repo(tmp_path / "r", {".github/guardrail.yml": "fail-on: [\n"}, {})
    proc = subprocess.run(
        [console_script(), "check", "--base", "main"], cwd=repo, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    changed = make_repo(
        tmp_path / "c", {".github/guardrail.yml": "fail-on: [\n"}, {"app.py": "x = 2\n"}
    )
    proc = subprocess.run(
        [console_script(), "check", "--base", "main"], cwd=changed, capture_output=True, text=True
    )
    assert proc.returncode == 2 and "guardrail.yml" in proc.stderr


def test_a_python_change_imports_only_what_it_reads(tmp_path: Path) -> None:
    """A real local check of one Python file with an empty description: PyGithub (only a run
    that talks to GitHub), pglast (only SQL), the tree-sitter grammars and markdown-it (only a
    description to read) stay unimported."""
    repo = make_repo(tmp_path / "r", {"app.py": "x = 1\n"}, {"app.py": "x = 2\n"})
    names = _imported(repo, "--base", "main", "--body", "/dev/null")
    assert "guardrail.engine" in names  # the analysis ran
    unwanted = ("github", "pglast", "tree_sitter", "markdown_it", "psycopg", "graphql")
    # The migration readers of frameworks the PR has no file of (detect.py's table names them).
    readers = ("alembic", "rails", "laravel", "js", "ecto", "efcore", "liquibase", "goose_go")
    # Django's and the SQL reader, and the column histories only a migration is judged against
    # (about 25 ms of every run before they were imported where a migration is read).
    readers += ("django", "sql", "django_state", "django_fields", "alembic_chain")
    readers += ("base_columns", "python_ast", "pyeval")
    unwanted += tuple(f"guardrail.analysis.migrations.{r}" for r in readers)
    assert not [n for n in unwanted if n in names], sorted(n for n in unwanted if n in names)


def test_a_migration_loads_its_own_reader_only(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "r",
        {"app.py": "x = 1\n"},
        {"db/migrate/20240101120000_add_x.rb": "class AddX < ActiveRecord::Migration[7.1]\nend\n"},
    )
    names = _imported(repo, "--base", "main", "--body", "/dev/null")
    assert "guardrail.analysis.migrations.rails" in names
    others = ("alembic", "laravel", "js", "ecto", "efcore", "liquibase", "django")
    loaded = [r for r in others if f"guardrail.analysis.migrations.{r}" in names]
    assert not loaded, loaded


def test_no_configuration_file_never_imports_pydantic(tmp_path: Path) -> None:
    """pydantic (its import and the schemas it builds: about 0.15 s) validates a configuration
    file; a run without one uses the plain defaults. With a file, the models are used, so the
    first half cannot pass by pydantic being gone from the path altogether."""
    change = ({"app.py": "x = 1\n"}, {"app.py": "x = 2\n", "db/0002.sql": "SELECT 1;\n"})
    repo = make_repo(tmp_path / "r", *change)
    names = _imported(repo, "--base", "main", "--body", "/dev/null")
    assert "guardrail.engine" in names and "guardrail.config" in names  # the analysis ran
    assert "pydantic" not in names and "guardrail.config_schema" not in names
    base = {**change[0], ".github/guardrail.yml": "fail-on: never\n"}
    configured = make_repo(tmp_path / "c", base, change[1])
    names = _imported(configured, "--base", "main", "--body", "/dev/null")
    assert "pydantic" in names and "guardrail.config_schema" in names


def test_the_whole_analysis_imports_no_pydantic() -> None:
    """Every module but the schema, imported together (the trace too), leaves pydantic
    unimported: no reader reaches for the validating models."""
    code = (
        "import sys, pkgutil, importlib, guardrail\n"
        "for m in pkgutil.walk_packages(guardrail.__path__, 'guardrail.'):\n"
        "    skip = ('guardrail.config_schema', 'guardrail.__main__')\n"
        "    if m.name not in skip:\n"
        "        importlib.import_module(m.name)\n"
        "print('pydantic' in sys.modules)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"


def test_a_django_migration_loads_the_django_reader(tmp_path: Path) -> None:
    """The other half of the lazy imports: a Django migration is read by Django's reader and
    judged against the app's history (the first test cannot pass by the readers being gone)."""
    migration = (
        "from django.db import migrations, models\n\n\n"
        "class Migration(migrations.Migration):\n"
        "    dependencies = [('shop', '0001_initial')]\n"
        "    operations = [\n"
        "        migrations.AlterField('order', 'note', models.TextField()),\n"
        "    ]\n"
    )
    repo = make_repo(
        tmp_path / "r",
        {"shop/__init__.py": "", "shop/migrations/__init__.py": ""},
        {"shop/migrations/0002_note.py": migration},
    )
    names = _imported(repo, "--base", "main", "--body", "/dev/null")
    wanted = ("django", "django_state", "python_ast")
    missing = [m for m in wanted if f"guardrail.analysis.migrations.{m}" not in names]
    assert not missing, missing
