"""Work grows linearly with the input (issue 16): every reader, timed at n and 4n through the
whole engine (reader, checks, findings), so a quadratic step anywhere on the way shows.

The tables are keyed by the registries: a shape reader added to `shapes.READERS` without a
sample here fails `test_every_shape_reader_has_a_growth_sample`, and each migration framework
is reached through `detect`, whatever module reads it.
"""

from __future__ import annotations

import gc
import json
import time
from collections.abc import Callable

import pytest

from guardrail import engine
from guardrail.analysis import shapes
from guardrail.analysis.markdown import blocks
from guardrail.analysis.migrations.detect import READERS, _Path, detect, read
from guardrail.config import Config
from guardrail.model import ChangedFile, PullRequest

FACTOR = 4
BODY = (
    "## Migration plan\nBefore the deploy; existing rows stay NULL; undo: drop it.\n\n"
    "## Rollback plan\nRevert the deploy; the columns are nullable.\n"
)


def _timed(run: Callable[[], object]) -> float:
    # CPU time of this process: what other processes on a shared machine do is not counted.
    # A collection of the garbage earlier runs left behind is not the reader's growth: collect
    # before, and keep the collector off while the run is timed.
    gc.collect()
    gc.disable()
    try:
        start = time.process_time()
        run()
        return time.process_time() - start
    finally:
        gc.enable()


def assert_linear(make: Callable[[int], Callable[[], object]], n: int) -> None:
    """run at n (warm, then measured) and at FACTOR*n: linear is ~FACTOR times slower; the
    bound allows a shared machine's noise and still fails clearly on quadratic growth."""
    _timed(make(n))
    small = min(_timed(make(n)) for _ in range(2))
    large = _timed(make(n * FACTOR))
    if large >= small * FACTOR * 3 + 0.3:
        # one slow sample on a loaded machine (cache pressure, frequency scaling) is not growth:
        # a quadratic reader is slow at 4n every time, so the fastest of two more decides.
        large = min(large, *(_timed(make(n * FACTOR)) for _ in range(2)))
    assert large < small * FACTOR * 3 + 0.3, f"n={n}: {small:.3f}s, {FACTOR}n: {large:.3f}s"


def _engine_run(path: str, base: str | None, head: str, status: str) -> Callable[[], object]:
    files = (ChangedFile(path, status, patch=None, additions=head.count("\n")),)
    pr = PullRequest(title="t", body=BODY, files=files, base_sha="b" * 40, head_sha="a" * 40)
    contents = {("head", path): head}
    if base is not None:
        contents[("base", path)] = base

    def run() -> object:
        blocks.cache_clear()
        return engine.run(pr, Config(), read=lambda side, p: contents.get((side, p)), source="git")

    return run


# -- migrations: one file of n operations, per framework ------------------------------------------

MIGRATIONS: dict[str, tuple[str, str, Callable[[int], str], str]] = {
    # framework: (path, header, unit(i), footer)
    "sql": ("db/migrations/0002_x.sql", "", lambda i: f"ALTER TABLE t ADD COLUMN c{i} int;\n", ""),
    "sql-commented": (
        "db/migrations/0003_x.sql",
        "",
        lambda i: f"-- why c{i}\n-- more about it\nALTER TABLE t ADD COLUMN c{i} int;\n",
        "",
    ),
    "django": (
        "shop/migrations/0002_x.py",
        "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n"
        "    dependencies = [('shop', '0001_initial')]\n    operations = [\n",
        lambda i: (
            f"        migrations.AddField('order', 'c{i}', models.IntegerField(null=True)),\n"
        ),
        "    ]\n",
    ),
    "alembic": (
        "alembic/versions/0002_x.py",
        "from alembic import op\nimport sqlalchemy as sa\n\nrevision = 'b'\ndown_revision = 'a'\n\n"
        "def upgrade():\n",
        lambda i: f"    op.add_column('t', sa.Column('c{i}', sa.Integer(), nullable=True))\n",
        "\n\ndef downgrade():\n    pass\n",
    ),
    "rails": (
        "db/migrate/20240101000000_x.rb",
        "class X < ActiveRecord::Migration[7.1]\n  def change\n",
        lambda i: f"    add_column :orders, :c{i}, :integer\n",
        "  end\nend\n",
    ),
    "laravel": (
        "database/migrations/2024_01_01_000000_x.php",
        "<?php\nreturn new class extends Migration {\n    public function up(): void\n    {\n"
        "        Schema::table('orders', function (Blueprint $table) {\n",
        lambda i: f"            $table->integer('c{i}')->nullable();\n",
        "        });\n    }\n};\n",
    ),
    "knex": (
        "migrations/20240101000000_x.js",
        "exports.up = function (knex) {\n  return knex.schema.table('orders', (t) => {\n",
        lambda i: f"    t.integer('c{i}');\n",
        "  });\n};\n",
    ),
    "liquibase-xml": (
        "db/changelog/003-x.xml",
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog">\n',
        lambda i: (
            f'  <changeSet id="{i}" author="a">\n    <addColumn tableName="orders">\n'
            f'      <column name="c{i}" type="int"/>\n    </addColumn>\n  </changeSet>\n'
        ),
        "</databaseChangeLog>\n",
    ),
    "ecto": (
        "priv/repo/migrations/20240101000000_x.exs",
        "defmodule Shop.Repo.Migrations.X do\n  use Ecto.Migration\n\n  def change do\n"
        "    alter table(:orders) do\n",
        lambda i: f"      add :c{i}, :integer\n",
        "    end\n  end\nend\n",
    ),
    "efcore": (
        "Shop/Migrations/20240101000000_X.cs",
        "using Microsoft.EntityFrameworkCore.Migrations;\n\nnamespace Shop.Migrations\n{\n"
        "    public partial class X : Migration\n    {\n"
        "        protected override void Up(MigrationBuilder migrationBuilder)\n        {\n",
        lambda i: (
            f'            migrationBuilder.AddColumn<int>(name: "C{i}", table: "Orders", '
            "nullable: true);\n"
        ),
        "        }\n\n        protected override void Down(MigrationBuilder migrationBuilder)\n"
        "        {\n        }\n    }\n}\n",
    ),
    "sequelize": (
        "migrations/20240101000000-x.js",
        "module.exports = {\n  async up(queryInterface, Sequelize) {\n",
        lambda i: (
            f"    await queryInterface.addColumn('orders', 'c{i}', "
            "{ type: Sequelize.INTEGER, allowNull: true });\n"
        ),
        "  },\n  async down() {},\n};\n",
    ),
    "typeorm": (
        "src/migrations/1704067200000-X.ts",
        'import { MigrationInterface, QueryRunner } from "typeorm";\n\n'
        "export class X1704067200000 implements MigrationInterface {\n"
        "    public async up(queryRunner: QueryRunner): Promise<void> {\n",
        lambda i: f'        await queryRunner.query(`ALTER TABLE "orders" ADD "c{i}" integer`);\n',
        "    }\n\n    public async down(queryRunner: QueryRunner): Promise<void> {}\n}\n",
    ),
    "goose": (
        "db/migrations/00004_x.go",
        'package migrations\n\nimport (\n\t"context"\n\t"database/sql"\n\n'
        '\t"github.com/pressly/goose/v3"\n)\n\nfunc init() {\n'
        "\tgoose.AddMigrationContext(up, down)\n}\n\n"
        "func up(ctx context.Context, tx *sql.Tx) error {\n",
        lambda i: (
            f'\tif _, err := tx.ExecContext(ctx, "ALTER TABLE t ADD COLUMN c{i} int"); '
            "err != nil {\n\t\treturn err\n\t}\n"
        ),
        "\treturn nil\n}\n\nfunc down(ctx context.Context, tx *sql.Tx) error {\n\treturn nil\n}\n",
    ),
    "liquibase": (
        "db/changelog/002-x.yaml",
        "databaseChangeLog:\n",
        lambda i: (
            f"  - changeSet:\n      id: {i}\n      author: a\n      changes:\n"
            f"        - addColumn:\n            tableName: orders\n            columns:\n"
            f"              - column: {{name: c{i}, type: int}}\n"
        ),
        "",
    ),
}


def test_every_migration_reader_has_a_growth_sample() -> None:
    """A reader added to `detect.READERS` (or a new way in of an existing one, such as goose's
    Go files) without a sample here would never be timed: each must be reached by a sample."""
    reached: set[int] = set()
    for path, header, unit, footer in MIGRATIONS.values():
        head = header + unit(0) + footer
        name = path.rsplit("/", 1)[-1]
        dirs = [d.lower() for d in path.split("/")[:-1]]
        where = _Path(path, name, name.lower(), dirs, head[:4000])
        # the reader detect() asks first that claims the file (the order of the table)
        reached.add(next(i for i, r in enumerate(READERS) if r.claim(where) is not None))
        if path.endswith(".go"):
            reached.add(-1)
    missing = [r.frameworks for i, r in enumerate(READERS) if i not in reached]
    assert missing == [], f"add a sample to MIGRATIONS for the reader of {missing}"
    assert -1 in reached, "add a goose .go sample: its Go code is read by another path"


@pytest.mark.parametrize("name", sorted(MIGRATIONS))
def test_migration_readers_grow_linearly(name: str) -> None:
    path, header, unit, footer = MIGRATIONS[name]
    head = header + unit(0) + footer
    found = detect(path, head)
    assert found is not None, f"{path} is not detected as a migration"
    assert found.framework == name.split("-")[0], f"{path} is read as {found.framework}"
    reading = read(found, head)  # the sample is understood, not timed as an unread file
    assert reading.ops and not reading.notes, f"{name}: {reading.notes}"

    def make(n: int) -> Callable[[], object]:
        return _engine_run(
            path, None, header + "".join(unit(i) for i in range(n)) + footer, "added"
        )

    assert_linear(make, 250)


def test_comment_lines_above_one_statement_grow_linearly() -> None:
    path = "db/migrations/0004_x.sql"

    def make(n: int) -> Callable[[], object]:
        text = "-- a note\n" * n + "ALTER TABLE t ADD COLUMN c int;\n" * (n // 10)
        return _engine_run(path, None, text, "added")

    assert_linear(make, 2_000)


# -- data shapes: a type of n fields that all become required, per reader ---------------------------


def _avro(n: int, required: bool) -> str:
    kind = "int" if required else ["null", "int"]
    fields = [{"name": f"f{i}", "type": kind} for i in range(n)]
    return json.dumps({"type": "record", "name": "R", "fields": fields}, indent=1)


def _jsonschema(n: int, required: bool) -> str:
    doc: dict[str, object] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {f"f{i}": {"type": "integer"} for i in range(n)},
    }
    if required:
        doc["required"] = [f"f{i}" for i in range(n)]  # a long `required` list
    return json.dumps(doc, indent=1)


SHAPES: dict[str, tuple[str, Callable[[int, bool], str]]] = {
    "python": (
        "shop/schemas.py",
        lambda n, req: (
            "from typing import Optional\nfrom pydantic import BaseModel\n\n\n"
            "class Order(BaseModel):\n"
            + "".join(
                f"    f{i}: int\n" if req else f"    f{i}: Optional[int] = None\n" for i in range(n)
            )
        ),
    ),
    "avro": ("schemas/order.avsc", _avro),
    "protobuf": (
        "proto/order.proto",
        lambda n, req: (
            'syntax = "proto2";\nmessage Order {\n'
            + "".join(
                f"  {'required' if req else 'optional'} int32 f{i} = {i + 1};\n" for i in range(n)
            )
            + "}\n"
        ),
    ),
    "graphql": (
        "schema/order.graphql",
        lambda n, req: (
            "input Order {\n"
            + "".join(f"  f{i}: Int{'!' if req else ''}\n" for i in range(n))
            + "}\n"
        ),
    ),
    "typescript": (
        "src/models/order.ts",
        lambda n, req: (
            "export interface Order {\n"
            + "".join(f"  f{i}{'' if req else '?'}: number;\n" for i in range(n))
            + "}\n"
        ),
    ),
    "zod": (
        "src/schemas/order.ts",
        lambda n, req: (
            'import { z } from "zod";\nexport const Order = z.object({\n'
            + "".join(f"  f{i}: z.number(){'' if req else '.optional()'},\n" for i in range(n))
            + "});\n"
        ),
    ),
    "jsonschema": ("schemas/order.schema.json", _jsonschema),
}


def test_every_shape_reader_has_a_growth_sample() -> None:
    missing = {r.language for r in shapes.READERS} - set(SHAPES)
    assert not missing, f"add a growth sample to tests/test_growth.py for {sorted(missing)}"


@pytest.mark.parametrize("language", sorted(SHAPES))
def test_shape_readers_grow_linearly(language: str) -> None:
    path, text = SHAPES[language]
    found = [r.language for r in shapes.readers_for(path, text(3, True))]
    assert language in found, found

    def make(n: int) -> Callable[[], object]:
        return _engine_run(path, text(n, False), text(n, True), "modified")

    assert_linear(make, 150)


# -- tests searched for evidence: n test functions ---------------------------------------------------


def test_the_test_search_grows_linearly() -> None:
    path = "shop/schemas.py"
    base = (
        "from typing import Optional\nfrom pydantic import BaseModel\n\n\nclass Order(BaseModel):\n"
    )
    base += "".join(f"    f{i}: Optional[int] = None\n" for i in range(20))
    head = base.replace("Optional[int] = None", "int")

    def make(n: int) -> Callable[[], object]:
        tests = "from shop.schemas import Order\n\n\n" + "".join(
            f"def test_{i}():\n    Order.model_validate({{'f{i % 20}': {i}}})\n\n\n"
            for i in range(n)
        )
        files = (ChangedFile(path, "modified", patch=None, additions=20, deletions=20),)
        pr = PullRequest(title="t", body=BODY, files=files, base_sha="b" * 40, head_sha="a" * 40)
        contents = {("base", path): base, ("head", path): head, ("head", "tests/test_x.py"): tests}

        def run() -> object:
            return engine.run(
                pr,
                Config(),
                read=lambda side, p: contents.get((side, p)),
                source="git",
                tree=lambda: [path, "tests/test_x.py"],
                read_tree=lambda p: contents.get(("head", p)),
            )

        return run

    assert_linear(make, 250)


@pytest.mark.parametrize(
    "unit",
    [
        "<b>",  # thousands of elements opened inside a hidden one, then stray end tags
        "</i>",
        "<span hidden>x</span> ",
    ],
)
def test_acknowledgement_reading_of_hostile_html_grows_linearly(unit: str) -> None:
    from guardrail.analysis.markdown import visible_lines

    def make(n: int) -> Callable[[], object]:
        body = "Bump. <span hidden>" + "<b>" * n + unit * n + "\n\n<div hidden>\n" + "</i>" * n
        return lambda: visible_lines(body)

    assert_linear(make, 5_000)
