"""How fast the framework migration readers are: the first file of a language in a fresh
process (readers imported, grammar loaded, file read) and reading time per 1,000 lines of a
migration of each framework whose body repeats a typical group of statements.

    .venv/bin/python bench/migration_readers.py [units per file, default 25]
"""

from __future__ import annotations

import subprocess
import sys
import time

from guardrail.analysis.migrations.detect import MigrationFile, read

# framework -> (path, head, unit repeated with {n}, tail)
CASES: dict[str, tuple[str, str, str, str]] = {
    "rails": (
        "db/migrate/20240101120000_x.rb",
        "class AddCoupon < ActiveRecord::Migration[7.1]\n  def change\n",
        "    add_column :orders, :coupon_{n}, :string, null: true\n"
        "    change_table :orders, bulk: true do |t|\n"
        "      t.remove :legacy_{n}, type: :string\n"
        "      t.index :coupon_{n}, unique: true\n"
        "    end\n"
        "    safety_assured {{ remove_column :orders, :old_{n}, :integer }}\n"
        "    execute <<~SQL\n"
        "      UPDATE orders SET coupon_{n} = 'none' WHERE coupon_{n} IS NULL;\n"
        "    SQL\n",
        "  end\nend\n",
    ),
    "laravel": (
        "database/migrations/2024_01_01_120000_x.php",
        "<?php\nreturn new class extends Migration {\n    public function up(): void\n    {\n",
        "        Schema::table('orders', function (Blueprint $table) {{\n"
        "            $table->string('coupon_{n}')->nullable()->index();\n"
        "            $table->unsignedInteger('user_{n}')->nullable(false)->change();\n"
        "            $table->dropColumn(['legacy_{n}', 'old_{n}']);\n"
        "        }});\n"
        "        DB::statement('UPDATE orders SET coupon_{n} = 1 WHERE coupon_{n} IS NULL');\n",
        "    }\n    public function down(): void { }\n};\n",
    ),
    "knex": (
        "migrations/20240101120000_x.js",
        "exports.up = async (knex) => {\n",
        "  await knex.schema.alterTable('orders', (t) => {{\n"
        "    t.string('coupon_{n}').nullable();\n"
        "    t.dropColumn('legacy_{n}');\n"
        "    t.index(['coupon_{n}']);\n"
        "  }});\n"
        "  await knex.raw('UPDATE orders SET coupon_{n} = 1 WHERE coupon_{n} IS NULL');\n",
        "};\nexports.down = async (knex) => {};\n",
    ),
    "ecto": (
        "priv/repo/migrations/20240101120000_x.exs",
        "defmodule Shop.Repo.Migrations.AddCoupon do\n  use Ecto.Migration\n  def change do\n",
        "    alter table(:orders) do\n"
        "      add :coupon_{n}, :string\n"
        "      modify :user_{n}, :bigint, null: true, from: {{:bigint, null: false}}\n"
        "      remove :legacy_{n}, :string\n"
        "    end\n"
        '    execute("""\n'
        "    UPDATE orders SET coupon_{n} = 'x' WHERE coupon_{n} IS NULL\n"
        '    """, "")\n'
        "    create index(:orders, [:coupon_{n}])\n",
        "  end\nend\n",
    ),
    "efcore": (
        "Migrations/20240101120000_X.cs",
        "public partial class AddCoupon : Migration\n{\n"
        "    protected override void Up(MigrationBuilder migrationBuilder)\n    {\n",
        '        migrationBuilder.AddColumn<string>(name: "Coupon{n}", table: "Orders", '
        "nullable: true);\n"
        '        migrationBuilder.AlterColumn<string>(name: "Code{n}", table: "Orders", '
        'type: "text",\n'
        '            nullable: false, oldClrType: typeof(string), oldType: "text", '
        "oldNullable: true);\n"
        '        migrationBuilder.CreateIndex(name: "IX_{n}", table: "Orders", '
        'column: "Coupon{n}");\n'
        '        migrationBuilder.Sql("UPDATE \\"Orders\\" SET \\"Coupon{n}\\" = \'\' '
        'WHERE \\"Coupon{n}\\" IS NULL");\n',
        "    }\n    protected override void Down(MigrationBuilder migrationBuilder) { }\n}\n",
    ),
}


def _source(framework: str, units: int) -> str:
    _, head, unit, tail = CASES[framework]
    return head + "".join(unit.format(n=i) for i in range(units)) + tail


def _cold(framework: str) -> float:
    """Milliseconds for the first file in a fresh process: readers, grammar and the read."""
    path = CASES[framework][0]
    script = (
        "import time\n"
        "t = time.perf_counter()\n"
        "from guardrail.analysis.migrations.detect import MigrationFile, read\n"
        f"read(MigrationFile({path!r}, {framework!r}), {_source(framework, 1)!r})\n"
        "print((time.perf_counter() - t) * 1000)\n"
    )
    runs = []
    for _ in range(5):
        out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
        runs.append(float(out.stdout))
    return min(runs)


def main() -> None:
    units = int(sys.argv[1]) if len(sys.argv) > 1 else 25
    print(
        f"{'framework':10} {'first file, cold':>17} {'lines':>6} {'read':>9} "
        f"{'per 1k lines':>13} {'ops':>5}"
    )
    for fw, (path, *_rest) in CASES.items():
        source = _source(fw, units)
        mf = MigrationFile(path, fw)
        reading = read(mf, source)  # the grammar is loaded from here on
        best = min(_timed(mf, source) for _ in range(7))
        lines = source.count("\n")
        print(
            f"{fw:10} {_cold(fw):14.1f} ms {lines:6d} {best:6.1f} ms "
            f"{best / lines * 1000:10.2f} ms {len(reading.ops):5d}"
        )


def _timed(mf: MigrationFile, source: str) -> float:
    start = time.perf_counter()
    read(mf, source)
    return (time.perf_counter() - start) * 1000


if __name__ == "__main__":
    main()
