"""CREATE TABLE operations of the framework DSL readers carry the columns they define
(ops.ColumnDef: PostgreSQL's type, NOT NULL, database default, primary key), as the SQL,
Django and Alembic readers do, so a later restatement is judged against what an earlier
migration made the column (analysis/migrations/base_columns.py)."""

from __future__ import annotations

from guardrail.analysis.migrations.detect import detect, read
from guardrail.analysis.migrations.ops import ColumnDef
from tests.conftest import created_table


def _columns(path: str, source: str) -> tuple[ColumnDef, ...]:
    mf = detect(path, source)
    assert mf is not None
    return created_table(read(mf, source)).table_columns


def test_laravel_schema_create() -> None:
    # solidtime-io/solidtime 114a32536df5f3fbc1c4f44ad34d4963e57af09c
    # database/migrations/2024_01_20_110837_create_time_entries_table.php (AGPL-3.0; excerpt)
    cols = _columns(
        "database/migrations/2024_01_20_110837_create_time_entries_table.php",
        """<?php
return new class extends Migration
{
    public function up(): void
    {
        Schema::create('time_entries', function (Blueprint $table): void {
            $table->uuid('id')->primary();
            $table->string('description', 500);
            $table->dateTime('end')->nullable();
            $table->integer('billable_rate')->unsigned()->nullable();
            $table->boolean('billable')->default(false);
            $table->timestamps();
            $table->index('start');
        });
    }
};
""",
    )
    assert cols == (
        ColumnDef("id", "uuid", True, None, True),
        ColumnDef("description", "varchar(500)", True),
        ColumnDef("end", "timestamp(0)", False),
        ColumnDef("billable_rate", "integer", False),
        ColumnDef("billable", "boolean", True, "false"),
        ColumnDef("created_at", "timestamp(0)", False),
        ColumnDef("updated_at", "timestamp(0)", False),
    )


def test_rails_create_table() -> None:
    cols = _columns(
        "db/migrate/20240101000000_create_orders.rb",
        """class CreateOrders < ActiveRecord::Migration[7.1]
  def change
    create_table :orders, id: :uuid do |t|
      t.string :code, limit: 40, null: false, default: "x"
      t.text :note
      t.references :user, null: false, foreign_key: true
      t.column :price, :decimal, precision: 10, scale: 2
      t.timestamps
    end
  end
end
""",
    )
    assert cols == (
        ColumnDef("id", "uuid", True, None, True),
        ColumnDef("code", "varchar(40)", True, "'x'"),
        ColumnDef("note", "text"),
        ColumnDef("user_id", "bigint", True),
        ColumnDef("price", "numeric(10,2)"),
        ColumnDef("created_at", "timestamp", True),
        ColumnDef("updated_at", "timestamp", True),
    )


def test_rails_without_id() -> None:
    cols = _columns(
        "db/migrate/20240101000000_create_tags.rb",
        "class X < ActiveRecord::Migration[7.1]\n  def change\n"
        "    create_table :tags, id: false do |t|\n      t.string :name\n    end\n  end\nend\n",
    )
    assert cols == (ColumnDef("name", "varchar"),)


def test_knex_create_table() -> None:
    cols = _columns(
        "migrations/20240101120000_orders.js",
        """exports.up = (knex) => knex.schema.createTable("orders", (t) => {
  t.increments("id");
  t.string("code", 40).notNullable().defaultTo("x");
  t.text("note");
  t.timestamps(true, true);
});
exports.down = (knex) => knex.schema.dropTable("orders");
""",
    )
    assert cols == (
        ColumnDef("id", "integer", True, "nextval(…)", True),
        ColumnDef("code", "varchar(40)", True, "'x'"),
        ColumnDef("note", "text"),
        ColumnDef("created_at", "timestamp", True, "CURRENT_TIMESTAMP"),
        ColumnDef("updated_at", "timestamp", True, "CURRENT_TIMESTAMP"),
    )


def test_sequelize_create_table() -> None:
    cols = _columns(
        "migrations/20240101120000-create-orders.js",
        """module.exports = {
  up: async (queryInterface, Sequelize) => {
    await queryInterface.createTable("orders", {
      id: { type: Sequelize.INTEGER, allowNull: false, primaryKey: true, autoIncrement: true },
      code: { type: Sequelize.STRING(40), allowNull: false, defaultValue: "x" },
      placedAt: { type: Sequelize.DATE },
    });
  },
  down: async (queryInterface) => queryInterface.dropTable("orders"),
};
""",
    )
    assert cols == (
        ColumnDef("id", "integer", True, "nextval(…)", True),
        ColumnDef("code", "varchar(40)", True, "'x'"),
        ColumnDef("placedAt", "timestamptz"),
    )


def test_typeorm_create_table() -> None:
    cols = _columns(
        "src/migrations/1700000000000-Orders.ts",
        """import { MigrationInterface, QueryRunner, Table } from "typeorm";
export class Orders1700000000000 implements MigrationInterface {
  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(new Table({ name: "orders", columns: [
      { name: "id", type: "int", isPrimary: true, isGenerated: true },
      { name: "code", type: "varchar", length: "40" },
      { name: "note", type: "text", isNullable: true },
    ] }));
  }
  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable("orders");
  }
}
""",
    )
    assert cols == (
        ColumnDef("id", "integer", True, "nextval(…)", True),
        ColumnDef("code", "varchar(40)", True),
        ColumnDef("note", "text"),
    )


def test_ecto_create_table() -> None:
    cols = _columns(
        "priv/repo/migrations/20240101000000_create_orders.exs",
        """defmodule Shop.Repo.Migrations.CreateOrders do
  use Ecto.Migration

  def change do
    create table(:orders) do
      add :code, :string, size: 40, null: false, default: "x"
      add :tags, {:array, :string}
      add :user_id, references(:users, type: :uuid), null: false
      timestamps(type: :utc_datetime_usec)
    end
  end
end
""",
    )
    assert cols == (
        ColumnDef("id", "bigint", True, "nextval(…)", True),
        ColumnDef("code", "varchar(40)", True, "'x'"),
        ColumnDef("tags", "varchar(255)[]"),
        ColumnDef("user_id", "uuid", True),
        ColumnDef("inserted_at", "timestamp", True),
        ColumnDef("updated_at", "timestamp", True),
    )


def test_efcore_create_table() -> None:
    cols = _columns(
        "Shop/Migrations/20240101120000_AddCoupons.cs",
        """public partial class AddCoupons : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "Coupons",
            columns: table => new
            {
                Id = table.Column<int>(type: "integer", nullable: false)
                    .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                Code = table.Column<string>(maxLength: 40, nullable: true, defaultValue: "x"),
                CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()")
            },
            constraints: table => { table.PrimaryKey("PK_Coupons", x => x.Id); });
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropTable(name: "Coupons");
    }
}
""",
    )
    assert cols == (
        ColumnDef("Id", "integer", True, None, True),
        ColumnDef("Code", "varchar(40)", False, "'x'"),
        ColumnDef("CreatedAt", "timestamptz", True, "now()"),
    )
