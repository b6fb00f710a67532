"""CREATE TABLE operations carry the columns they define (ops.ColumnDef), for every reader of
the Python/SQL side, so a later restatement can be compared with what an earlier migration made
the column, and an edit to a shipped CREATE TABLE's column is an operation change."""

from __future__ import annotations

from guardrail.analysis.migrations.compare import Edit, compare
from guardrail.analysis.migrations.ops import ColumnDef, Reading
from guardrail.analysis.migrations.sql import read_sql
from tests.conftest import created_table


def _sql_columns(sql: str) -> tuple[ColumnDef, ...]:
    return created_table(read_sql(sql)).table_columns


def test_sql_create_table_columns() -> None:
    cols = _sql_columns(
        "CREATE TABLE t (id bigserial, a varchar(10) NOT NULL DEFAULT 'x', "
        "b timestamptz DEFAULT now(), c int8[], d numeric(10, 2), "
        "e integer GENERATED ALWAYS AS IDENTITY, f int, PRIMARY KEY (id))"
    )
    assert cols == (
        ColumnDef("id", "bigint", True, "nextval(…)", True),
        ColumnDef("a", "varchar(10)", True, "'x'"),
        ColumnDef("b", "timestamptz", False, "now()"),
        ColumnDef("c", "bigint[]"),
        ColumnDef("d", "numeric(10,2)"),
        ColumnDef("e", "integer", True, "generated as identity"),
        ColumnDef("f", "integer"),
    )
    assert cols[1].has_default and not cols[2].not_null and not cols[3].has_default


def test_inline_primary_key_is_not_null() -> None:
    (col,) = _sql_columns("CREATE TABLE t (id integer PRIMARY KEY)")
    assert col.not_null and col.primary_key


def test_sql_edit_of_a_created_column_is_an_operation_change() -> None:
    def reading(sql: str) -> Reading:
        return Reading("flyway", read_sql(sql).ops)

    base = reading("CREATE TABLE t (id int, name text);")
    same = reading("-- a comment\nCREATE TABLE t (\n  id int,\n  name text\n);")
    tighter = reading("CREATE TABLE t (id int, name text NOT NULL);")
    assert compare(base, same).edit is Edit.COSMETIC
    assert compare(base, tighter).edit is Edit.OPERATIONS


_CREATE_MODEL = """
from django.db import migrations, models
import django.contrib.postgres.fields
import django.db.models.deletion

class Migration(migrations.Migration):
    operations = [
        migrations.CreateModel(
            name="Voucher",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False)),
                ("code", models.CharField(db_index=True, max_length=255, unique=True)),
                ("slug", models.SlugField(null=True)),
                ("used", models.PositiveIntegerField(default=0, editable=False)),
                ("value", models.DecimalField(decimal_places=3, max_digits=12)),
                ("created", models.DateTimeField(db_default=models.functions.Now())),
                ("tags", django.contrib.postgres.fields.ArrayField(
                    base_field=models.CharField(max_length=32), size=None)),
                ("channel", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                    to="channel.channel")),
                ("owner", models.ForeignKey(null=True, db_column="owner", on_delete=None,
                    to="account.user")),
                ("products", models.ManyToManyField(to="product.product")),
                ("body", saleor.core.db.fields.SanitizedJSONField(blank=True, null=True,
                    sanitizer=saleor.core.utils.editorjs.clean_editor_js)),
            ],
            options={"ordering": ("code",)},
        ),
    ]
"""


def test_django_create_model_columns() -> None:
    from guardrail.analysis.migrations.django import App, read

    op = created_table(read(_CREATE_MODEL, App("discount")))
    assert op.table == "discount_voucher"
    assert op.table_columns == (
        ColumnDef("id", "bigint", True, None, True),
        ColumnDef("code", "varchar(255)", True),
        ColumnDef("slug", "varchar(50)", False),
        # Django applies `default=` itself: no database default.
        ColumnDef("used", "integer", True),
        ColumnDef("value", "numeric(12,3)", True),
        ColumnDef("created", "timestamptz", True, "models.functions.Now()"),
        ColumnDef("tags", "varchar(32)[]", True),
        ColumnDef("channel_id", "", True),
        ColumnDef("owner", "", False),
        ColumnDef("body", "sanitizedjsonfield", False),
    )


_CREATE_TABLE = """
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

def upgrade():
    op.create_table(
        "task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False, server_default="untitled"),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()")),
        sa.Column("due", sa.DateTime(), nullable=True),
        sa.Column("amount", sa.Numeric(10, 2)),
        sa.Column("labels", postgresql.ARRAY(sa.String()), default=list),
        sa.Column("owner_id", sa.Integer(), sa.ForeignKey("user.id")),
        sa.Column("uid", sa.Uuid, primary_key=True),
        sa.PrimaryKeyConstraint("id"),
    )

def downgrade():
    op.drop_table("task")
"""


def test_alembic_create_table_columns() -> None:
    from guardrail.analysis.migrations.alembic import read

    op = created_table(read(_CREATE_TABLE))
    assert op.table == "task"
    assert op.table_columns == (
        ColumnDef("id", "integer", True, None, True),
        ColumnDef("name", "varchar(100)", True, "'untitled'"),
        ColumnDef("created_at", "timestamptz", False, "now()"),
        ColumnDef("due", "timestamp", False),
        ColumnDef("amount", "numeric(10,2)", False),
        # SQLAlchemy applies `default=` itself.
        ColumnDef("labels", "varchar[]", False),
        ColumnDef("owner_id", "integer", False),
        ColumnDef("uid", "uuid", True, None, True),
    )
