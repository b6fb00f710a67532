"""The replay of a Django app's model state (analysis/migrations/django_state.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from guardrail.analysis.migrations import django, django_state
from guardrail.analysis.migrations.django_state import AppState, plan
from guardrail.render.inline import plain
from tests import golden

INITIAL = """
from django.db import migrations, models
class Migration(migrations.Migration):
    operations = [
        migrations.CreateModel(name="Order", fields=[("code", models.CharField(max_length=8))]),
    ]
"""


def _state(*sources: str) -> AppState:
    state = AppState()
    for source in sources:
        for e in django.read(source, django.App("shop")).fields:
            state.apply(e)
    return state


def test_create_then_rename_field_and_model() -> None:
    later = """
from django.db import migrations, models
class Migration(migrations.Migration):
    operations = [
        migrations.RenameField("order", "code", "ref"),
        migrations.RenameModel("Order", "Purchase"),
        migrations.AlterField("purchase", "ref", models.CharField(max_length=8, null=True)),
    ]
"""
    state = _state(INITIAL, later)
    assert state.get("order", "code") is None
    got = state.get("purchase", "ref")
    assert got is not None and got.type == "varchar(8)" and got.null


def test_state_operations_step_the_state_and_database_operations_do_not() -> None:
    separate = """
from django.db import migrations, models
class Migration(migrations.Migration):
    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.AddField("order", "x", models.IntegerField())],
            state_operations=[migrations.RemoveField("order", "code")],
        ),
    ]
"""
    state = _state(INITIAL, separate)
    assert state.get("order", "code") is None and state.get("order", "x") is None
    assert "code" not in state.fields["order"]


def test_unreadable_operations_forget_the_app() -> None:
    lost = """
from django.db import migrations
from shop.ops import make
class Migration(migrations.Migration):
    operations = make()
"""
    assert _state(INITIAL).get("order", "code") is not None
    assert _state(INITIAL, lost).get("order", "code") is None


def test_runsql_on_a_column_forgets_that_column_only() -> None:
    both = """
from django.db import migrations, models
class Migration(migrations.Migration):
    operations = [
        migrations.AddField("order", "note", models.TextField(null=True)),
        migrations.RunSQL("ALTER TABLE shop_order ALTER COLUMN note SET NOT NULL", migrations.RunSQL.noop),
    ]
"""
    state = _state(INITIAL, both)
    assert state.get("order", "note") is None
    assert state.get("order", "code") is not None


def test_squashed_migration_names_what_it_replaces() -> None:
    squashed = """
from django.db import migrations
class Migration(migrations.Migration):
    replaces = [("shop", "0001_initial"), ("shop", "0002_more")]
    operations = []
"""
    names = [e.name for e in django.read(squashed).fields if e.kind == "replaces"]
    assert names == ["0001_initial", "0002_more"]


def test_replaces_of_another_app_label_replace_nothing_here() -> None:
    """Provenance: saleor/saleor (BSD-3-Clause), saleor/checkout/migrations/
    0006_auto_20180221_0825.py at 333febd352: the app was renamed from `cart`, and its
    migrations say they replace `cart`'s of the same name. They replace none of `checkout`'s:
    read as their own names they dropped themselves from the replay, and every later
    AlterField was judged in name order with a GR290 that `0006` is missing."""
    source = """
from django.db import migrations, models
class Migration(migrations.Migration):
    dependencies = [("checkout", "0005_auto_20180108_0814")]
    replaces = [("cart", "0006_auto_20180221_0825")]
    operations = []
"""
    events = django.read(source, django.App("checkout")).fields
    assert [e.name for e in events if e.kind == "replaces"] == []
    assert [(e.kind, e.name) for e in events] == [("depends", "0005_auto_20180108_0814")]
    own = source.replace('("cart",', '("checkout",')
    names = [
        e.name for e in django.read(own, django.App("checkout")).fields if e.kind == "replaces"
    ]
    assert names == ["0006_auto_20180221_0825"]


def test_a_none_db_default_is_no_database_default() -> None:
    """`db_default=None` is DEFAULT NULL, the default every column has: an AlterField to it from
    `db_default="new"` drops the default (GR234), and one from no default changes nothing."""
    initial = """
from django.db import migrations, models
class Migration(migrations.Migration):
    operations = [
        migrations.CreateModel(name="Order", fields=[
            ("status", models.CharField(max_length=8, db_default="new")),
            ("note", models.TextField(db_default=None)),
        ]),
    ]
"""
    state = _state(initial)
    status, note = state.get("order", "status"), state.get("order", "note")
    assert status is not None and status.db_default == "'new'"
    assert note is not None and note.db_default is None
    (column,) = [
        c
        for op in django.read(initial, django.App("shop")).ops
        for c in op.table_columns
        if c.name == "note"
    ]
    assert column.default is None


def test_plan_follows_django_iterative_dfs() -> None:
    """A merge's parents: Django pushes them sorted and pops the last-named first."""
    parents = {
        "0001_initial": set(),
        "0002_b": {"0001_initial"},
        "0003_a": {"0002_b"},
        "0003_z": {"0002_b"},
        "0004_merge": {"0003_a", "0003_z"},
    }
    assert plan(parents) == ["0001_initial", "0002_b", "0003_z", "0003_a", "0004_merge"]
    # A hand-named migration that sorts before its parent comes after it.
    assert plan({"0001": set(), "0003_b": {"0001"}, "0003_a": {"0003_b"}}) == [
        "0001",
        "0003_b",
        "0003_a",
    ]
    # djangoproject.com's fundraising merge (2a56094d1, BSD-3-Clause): 0016_auto runs after
    # the other branch's 0026, so its receipt_email (max_length=254) is the state 0037 meets.
    merge = {
        "0014_donation_receipt_email": set(),
        "0015_auto_20150127_0711": {"0014_donation_receipt_email"},
        "0016_auto_20150202_1338": {"0015_auto_20150127_0711"},
        "0016_campaign": {"0015_auto_20150127_0711"},
        "0026_auto_20150419_0727": {"0016_campaign"},
        "0035_auto_20150709_1443": {"0026_auto_20150419_0727"},
        "0036_merge": {"0035_auto_20150709_1443", "0016_auto_20150202_1338"},
        "0037_auto_20150709_1619": {"0036_merge"},
    }
    assert plan(merge)[-5:] == [
        "0026_auto_20150419_0727",
        "0035_auto_20150709_1443",
        "0016_auto_20150202_1338",
        "0036_merge",
        "0037_auto_20150709_1619",
    ]
    # No links (an app label guardrail does not know): name order.
    assert plan({"0002": set(), "0001": set()}) == ["0001", "0002"]


def test_plan_says_why_it_cannot_order() -> None:
    missing = plan({"0001": set(), "0003": {"0002"}})
    assert missing == "`0003` depends on `0002`, which is not among the app's migrations"
    cycle = plan({"0001": set(), "0002": {"0001", "0003"}, "0003": {"0002"}, "0004": {"0003"}})
    assert isinstance(cycle, str) and "cycle" in cycle
    assert isinstance(plan({"0001": {"0002"}, "0002": {"0001"}}), str)


def test_dependencies_within_the_app_are_links() -> None:
    source = """
from django.conf import settings
from django.db import migrations
PARENT = "0002_b"
class Migration(migrations.Migration):
    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("shop", PARENT),
        ("billing", "0007_invoice"),
        ("shop", "__first__"),
    ]
    run_before = [("shop", "0009_later")]
    operations = []
"""
    links = [(e.kind, e.name) for e in django.read(source, django.App("shop")).fields]
    assert links == [("depends", "0002_b"), ("runs_before", "0009_later")]
    assert [e for e in django.read(source, django.App()).fields if e.kind == "depends"] == []


def test_an_app_over_the_cap_is_not_replayed(monkeypatch: pytest.MonkeyPatch) -> None:
    """More migrations than MAX_FILES: the app's state is unknown, the AlterField stays 'may',
    and GR290 says why the history did not decide it."""
    case = yaml.safe_load(
        (Path(__file__).parent / "realworld" / "django.yml").read_text(encoding="utf-8")
    )["cases"]["alter_field_made_required_replayed_is_found"]
    rules = [(f.rule, f.severity.name) for f in golden.run(case).findings if f.rule == "GR211"]
    assert rules == [("GR211", "ERROR")]
    monkeypatch.setattr(django_state, "MAX_FILES", 0)
    found = [f for f in golden.run(case).findings if f.rule in ("GR211", "GR290")]
    assert [(f.rule, f.severity.name) for f in found] == [("GR211", "WARNING"), ("GR290", "NOTICE")]
    assert "the app has more than 0 migrations" in plain(found[1].detail), found[1].detail
    assert "its history was not replayed" in plain(found[1].detail)
