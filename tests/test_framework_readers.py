"""The framework readers' table (analysis/migrations/detect.py): which files each claims, the
facts it gives the checks, and that a grammar is loaded only for a file of its language.
What each reader finds in real files is in tests/realworld/<framework>.yml."""

from __future__ import annotations

import subprocess
import sys

import pytest

from guardrail.analysis.migrations import detect

KNEX = "exports.up = (knex) => knex.schema.dropTable('x');\n"


@pytest.mark.parametrize(
    ("path", "text", "framework"),
    [
        ("db/migrate/20240101120000_add_coupon.rb", None, "rails"),
        ("db/post_migrate/20240101120000_drop_coupon.rb", None, "rails"),
        ("database/migrations/2024_01_01_120000_add_coupon.php", None, "laravel"),
        ("src/Shop/Migrations/20240101120000_orders-coupon-cleanup.cs", None, "efcore"),
        ("src/Shop/Migrations/20240101120000_AddCoupon.Designer.cs", None, None),
        ("src/Shop/Migrations/ShopContextModelSnapshot.cs", None, None),
        ("priv/repo/migrations/20240101120000_add_coupon.exs", None, "ecto"),
        ("priv/repo/migrations/.formatter.exs", None, None),  # Phoenix's, beside them
        ("priv/repo/migrations/seed_helpers.exs", None, None),  # Ecto.Migrator skips it
        ("migrations/20240101120000_coupon.js", None, "knex"),
        (
            "migrations/20240101120000-coupon.js",
            "module.exports = { up(queryInterface) {} }",
            "sequelize",
        ),
        ("src/migrations/1700000000000-Coupon.ts", "implements MigrationInterface", "typeorm"),
        ("core/server/data/migrations/2.5.128.js", KNEX, "knex"),
        ("core/server/data/migrations/2.5.128.js", None, None),  # the name alone says nothing
        ("core/server/data/migrations/helpers.js", "module.exports = { helper() {} };", None),
        ("src/app/users.ts", KNEX, None),
    ],
)
def test_which_reader_claims_a_file(path: str, text: str | None, framework: str | None) -> None:
    found = detect.detect(path, text)
    assert (found.framework if found else None) == framework


def test_every_framework_reader_is_in_the_one_table_with_its_facts() -> None:
    names = {fw for reader in detect.READERS for fw in reader.frameworks}
    for fw in ("rails", "laravel", "knex", "sequelize", "typeorm", "ecto", "efcore"):
        assert fw in names
        facts = detect.framework(fw)
        assert facts is not None and facts.no_transaction and facts.concurrent_index
    laravel, knex = detect.framework("laravel"), detect.framework("knex")
    assert laravel is not None and "DB::statement" in laravel.concurrent_index
    assert knex is not None and "knex.raw" in knex.concurrent_index
    sequelize = detect.framework("sequelize")
    assert sequelize is not None and not sequelize.wraps_transaction


def test_grammars_load_only_for_a_file_of_their_language() -> None:
    script = (
        "import sys\n"
        "from guardrail.analysis.migrations import detect\n"
        "loaded = lambda: sorted(m for m in sys.modules if m.startswith('tree_sitter') and '.' not in m)\n"
        "print(loaded())\n"
        "detect.read(detect.MigrationFile('db/migrate/1_x.rb', 'rails'), 'class X; end')\n"
        "print(loaded())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out[0] == "[]", "importing the readers loads no grammar"
    assert out[1] == "['tree_sitter', 'tree_sitter_ruby']", out[1]


def test_every_framework_says_its_own_fix() -> None:
    """Each framework a reader names has its row of advice (analysis/migrations/detect.py), so
    no finding falls back to another framework's words."""
    from dataclasses import fields

    from guardrail.analysis.migrations.detect import READERS, framework

    for reader in READERS:
        for name in reader.frameworks:
            row = framework(name)
            assert row.name == name, f"{name} has no advice of its own"
            for f in fields(row):
                value = getattr(row, f.name)
                assert f.name == "statement_timeout" or value != "", f"{name}.{f.name}"
            assert "{sql}" in row.raw_sql, name
            assert "statement_timeout" in row.set_statement_timeout, name


def test_ecto_module_attributes_are_literals_only_when_set_once() -> None:
    """`@prefix "x"` read in `execute` SQL is the literal; one set twice (Elixir keeps the
    last, but which one a function sees depends on where it is) stays SQL built at run time."""
    from guardrail.analysis.migrations import ecto
    from guardrail.analysis.migrations.ops import OpKind

    def reading(attrs: str) -> list[tuple[OpKind, str | None]]:
        src = (
            "defmodule M do\n  use Ecto.Migration\n"
            + attrs
            + "  def up do\n    execute(\"UPDATE cars SET vin = '#{@p}' WHERE vin IS NULL\")\n"
            "  end\nend\n"
        )
        return [(o.kind, o.table) for o in ecto.read(src).ops]

    assert reading('  @p "legacy:"\n') == [(OpKind.BACKFILL, "cars")]
    assert reading('  @p "a"\n  @p "b"\n')[0][0] == OpKind.RAW
    assert reading("  @p some_function()\n")[0][0] == OpKind.RAW
    assert reading("")[0][0] == OpKind.RAW


def test_the_docs_table_of_readers_is_the_registry() -> None:
    """docs/migrations.md's table of readers is generated from `READERS`: a reader added,
    renamed or given another convention changes the page too."""
    from pathlib import Path

    page = (Path(__file__).parent.parent / "docs" / "migrations.md").read_text(encoding="utf-8")
    start, end = "<!-- readers-table:start -->\n", "<!-- readers-table:end -->\n"
    assert start in page and end in page
    table = page.partition(start)[2].partition(end)[0]
    assert table == detect.markdown_table(), (
        "run: .venv/bin/python scripts/readers_table.py --write"
    )
