"""Every migration file of a PR is accounted for (issue 11): a finding, or its name in the
"read in full" answer; and a GR290 lists each construct it did not read, with its line."""

from __future__ import annotations

from guardrail import engine
from guardrail.config import parse
from guardrail.model import ChangedFile, PullRequest, Report
from guardrail.render.inline import plain
from guardrail.render.markdown import Meta, render

BODY = (
    "## Rollback plan\nRevert the deploy; the columns are nullable, nothing is dropped.\n\n"
    "## Migration plan\nBefore the deploy; existing rows stay NULL; locks are brief; "
    "undo: drop the columns.\n\nMonitoring: the errors dashboard.\n"
)
CLEAN = "class A < ActiveRecord::Migration[7.1]\n  def change\n    add_column :orders, :a, :integer\n  end\nend\n"
ALSO_CLEAN = "ALTER TABLE orders ADD COLUMN b int;\n"
DROPS = "ALTER TABLE orders DROP COLUMN legacy;\n"
UNREAD = (
    "class P < ActiveRecord::Migration[7.1]\n  def change\n"
    "    create_range_partition_of :events, partition_key: :created_at\n  end\nend\n"
)
CONFIG = parse({"migrations": {"lock-timeout": "5s", "statement-timeout": "1min"}}, "test")


def _run(files: dict[str, str]) -> Report:
    changed = tuple(ChangedFile(p, "added", patch=None, additions=1) for p in files)
    pr = PullRequest(title="t", body=BODY, files=changed, base_sha="b" * 40, head_sha="a" * 40)
    return engine.run(
        pr, CONFIG, read=lambda side, p: files.get(p) if side == "head" else None, source="git"
    )


def _safety_answer(report: Report) -> str | None:
    found = [a.text for a in report.answers if a.check == "migration-safety"]
    return plain(found[0]) if found else None


def test_one_clean_migration_is_named() -> None:
    report = _run({"db/migrate/20240101000000_a.rb": CLEAN})
    assert _safety_answer(report) == "`20240101000000_a.rb` read in full, no risky operation"
    assert "`20240101000000_a.rb` read in full, no risky operation ✓" in render(report, Meta())


def test_several_clean_migrations_are_counted_and_named() -> None:
    report = _run({"db/migrate/20240101000000_a.rb": CLEAN, "db/migrations/0002_b.sql": ALSO_CLEAN})
    assert _safety_answer(report) == (
        "2 migrations read in full, no risky operation (`20240101000000_a.rb`, `0002_b.sql`)"
    )


def test_clean_files_are_named_beside_a_flagged_one() -> None:
    report = _run(
        {
            "db/migrate/20240101000000_a.rb": CLEAN,
            "db/migrations/0003_drop.sql": DROPS,
            "db/migrate/20240101000001_p.rb": UNREAD,
        }
    )
    # The flagged file and the one not read in full are accounted for by their findings.
    assert _safety_answer(report) == "also read in full, nothing risky: `20240101000000_a.rb`"
    comment = render(report, Meta(), budget=None)
    section = comment.split("**Is the migration safe to run?**", 1)[1]
    assert "- ✓ Also read in full, nothing risky: `20240101000000_a.rb`." in section
    assert {f.path for f in report.findings if f.rule in ("GR212", "GR290")} == {
        "db/migrations/0003_drop.sql",
        "db/migrate/20240101000001_p.rb",
    }


def test_a_file_with_only_a_note_is_not_called_read_in_full() -> None:
    report = _run(
        {"db/migrate/20240101000000_a.rb": CLEAN, "db/migrate/20240101000001_p.rb": UNREAD}
    )
    answer = _safety_answer(report)
    assert answer == (
        "read in full, no risky operation: `20240101000000_a.rb`; 1 with a note below"
    )
    assert "20240101000001_p.rb" not in (answer or "")


def test_every_unread_construct_is_listed_and_a_long_list_counted() -> None:
    sql = "".join(f"ALTER TABLE `t` ADD COLUMN c{i} int;\n" for i in range(1, 16))
    report = _run({"db/migrations/0016_mysql.sql": sql})
    (gr290,) = [f for f in report.findings if f.rule == "GR290"]
    detail = plain(gr290.detail, limit=10_000)
    assert "review these 15 parts by hand" in detail
    assert all(f"line {i}: " in detail for i in range(1, 13))
    assert "line 13: " not in detail
    assert detail.endswith("; and 3 more.")
