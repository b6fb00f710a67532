"""compare.py: what an edit of a shipped migration changes, by parsed operations."""

from __future__ import annotations

from guardrail.analysis.migrations.compare import (
    Edit,
    compare,
    new_or_changed,
    operations_changed,
)
from guardrail.analysis.migrations.django import read as read_django
from guardrail.analysis.migrations.ops import Reading
from guardrail.analysis.migrations.sql import read_sql

_DJANGO = """
from django.db import migrations, models

def forwards(apps, schema_editor):
    {body}

class Migration(migrations.Migration):
    operations = [
        migrations.AddField("order", "note", models.CharField(max_length={n}, null=True{extra})),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
"""


def _django(n: int = 20, extra: str = "", body: str = "pass") -> Reading:
    return read_django(_DJANGO.format(n=n, extra=extra, body=body))


def _sql(text: str) -> Reading:
    return Reading("sql", tuple(read_sql(text).ops))


def test_a_new_file_is_all_new() -> None:
    head = _django()
    result = compare(None, head)
    assert result.edit is Edit.ADDED
    assert result.new == head.ops


def test_orm_only_arguments_and_comments_are_cosmetic() -> None:
    base = _django()
    head = _django(extra=', related_name="+", verbose_name="Note", help_text="shown",  # why\n')
    assert compare(base, head).edit is Edit.COSMETIC
    assert new_or_changed(base, head) == ()
    assert not operations_changed(base, head)


def test_a_changed_column_definition_is_new() -> None:
    base, head = _django(n=20), _django(n=10)
    new = new_or_changed(base, head)
    assert [op.kind for op in new] == ["add_column"]
    assert operations_changed(base, head)
    assert [op.kind for op in compare(base, head).gone] == ["add_column"]


def test_an_edit_to_the_data_migration_code_is_a_change() -> None:
    base, head = _django(), _django(body="apps.get_model('shop', 'Order').objects.update(x=1)")
    assert [op.kind for op in new_or_changed(base, head)] == ["data_migration"]


def test_sql_comments_and_layout_are_cosmetic_and_moved_lines_match() -> None:
    base = _sql("ALTER TABLE t ADD COLUMN a int;\nCREATE INDEX i ON t (a);\n")
    head = _sql(
        "-- a note\n\nCREATE INDEX i\n  ON t (a);\nALTER TABLE t /* why */ ADD COLUMN a int;\n"
    )
    assert compare(base, head).edit is Edit.COSMETIC


def test_a_repeated_statement_is_new_the_second_time() -> None:
    base = _sql("UPDATE t SET a = 1;\n")
    head = _sql("UPDATE t SET a = 1;\nUPDATE t SET a = 1;\n")
    new = new_or_changed(base, head)
    assert [(op.kind, op.line) for op in new] == [("backfill", 2)]


def _field(field: str) -> Reading:
    return read_django(
        "from django.db import migrations, models\n"
        "class Migration(migrations.Migration):\n"
        f"    operations = [migrations.AlterField('page', 'body', {field})]\n"
    )


def test_only_arguments_that_reach_the_database_count() -> None:
    """The list is of what reaches the database (Django's schema editor compares those), so
    an argument guardrail has never heard of changes nothing unless its value could size a
    column."""
    base = _field("app.fields.RichField(null=True, sanitizer=app.clean.old, blank=True)")
    moved = _field("app.fields.RichField(null=True, sanitizer=app.text.clean, help_text='x')")
    assert compare(base, moved).edit is Edit.COSMETIC
    assert compare(base, moved).unsure == ()
    tighter = _field("app.fields.RichField(sanitizer=app.clean.old, blank=True)")
    assert compare(base, tighter).edit is Edit.OPERATIONS
    own = _field("models.FileField(upload_to=app.paths.a, max_length=100, storage=app.s3)")
    assert compare(own, _field("models.FileField(upload_to=app.paths.b, max_length=100)")).edit is (
        Edit.COSMETIC
    )
    assert compare(own, _field("models.FileField(upload_to=app.paths.a, max_length=255)")).edit is (
        Edit.OPERATIONS
    )


def test_a_literal_on_an_unknown_argument_of_a_project_field_is_unsure() -> None:
    base = _field("app.fields.MoneyField(precision_mode='bank', null=True)")
    head = _field("app.fields.MoneyField(precision_mode='floor', null=True)")
    result = compare(base, head)
    assert result.edit is Edit.COSMETIC
    assert result.unsure == ("app.fields.MoneyField(precision_mode='floor')",)


def test_on_delete_reaches_the_database_only_as_a_db_action() -> None:
    fk = "models.ForeignKey(to='shop.order', on_delete={})"
    python_side = compare(_field(fk.format("models.CASCADE")), _field(fk.format("models.PROTECT")))
    assert python_side.edit is Edit.COSMETIC
    in_db = compare(_field(fk.format("models.CASCADE")), _field(fk.format("models.DB_CASCADE")))
    assert in_db.edit is Edit.OPERATIONS


def test_create_model_fields_keep_only_database_arguments() -> None:
    def create(extra: str) -> Reading:
        return read_django(
            "from django.db import migrations, models\n"
            "import app.fields\n"
            "class Migration(migrations.Migration):\n"
            "    operations = [migrations.CreateModel('Page', fields=[\n"
            "        ('id', models.BigAutoField(primary_key=True, serialize=False)),\n"
            f"        ('body', app.fields.RichField({extra})),\n"
            "    ])]\n"
        )

    assert compare(create("sanitizer=app.a"), create("sanitizer=app.b")).edit is Edit.COSMETIC
    assert compare(create("null=True"), create("")).edit is Edit.OPERATIONS


def test_a_class_change_in_a_shipped_alter_field_keeps_its_not_null() -> None:
    """saleor 368a33e: `SanitizedJSONField(blank=True, default=dict, sanitizer=…)` became
    `models.JSONField(blank=True, default=dict)` in a shipped AlterField; NULL is unchanged."""
    base = _field("SanitizedJSONField(blank=True, default=dict, sanitizer=clean_draft_js)")
    head = _field("models.JSONField(blank=True, default=dict)")
    result = compare(base, head)
    assert result.edit is Edit.OPERATIONS
    assert [op.kind for op in result.new] == ["alter_type"]
    nullable = _field("models.JSONField(blank=True, default=dict, null=True)")
    assert "set_not_null" in [op.kind for op in compare(base, nullable).gone]
