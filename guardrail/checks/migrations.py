"""GR2xx — How does the migration ship, and is it safe to run?

`migration-safety` judges what each migration does (locks, rewrites, old code breaking against
the new schema, data loss, no way back). `migration-plan` asks the description for a plan that
fits the operations actually present: the order relative to the deploy, how existing rows are
handled, what locks are held, and how it is undone. GR103 catches a rollback note that says
"just revert" when a migration destroys data.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import replace

from guardrail.analysis.markdown import assess, find_sections, normalize
from guardrail.analysis.migrations.changed import Migration, django_models, migrations
from guardrail.analysis.migrations.detect import detect
from guardrail.analysis.migrations.ops import OLD_TYPE_UNKNOWN, ColumnDef, DjangoField, Op, OpKind
from guardrail.analysis.migrations.postgres import known_type, same_type, type_change_rewrites
from guardrail.analysis.reads import wants
from guardrail.checks import safety_rules
from guardrail.checks.base import Analysis, Output
from guardrail.checks.safety_rules import GR220, SAFETY
from guardrail.config import Config
from guardrail.model import Acknowledged, Answer, ChangedFile, CheckName, Finding, Note, Severity
from guardrail.rules import Rule, by_code
from guardrail.text import code, md, plain

PLAN = CheckName.MIGRATION_PLAN

GR103 = by_code("GR103")
GR201 = by_code("GR201")
GR202 = by_code("GR202")
GR290 = by_code("GR290")
GR291 = by_code("GR291")
GR296 = by_code("GR296")
GR902 = by_code("GR902")


def _resolved(ctx: Analysis, m: Migration, op: Op) -> tuple[Op | None, ...]:
    """The operation as the column's history decides it: several (a Django AlterField's type
    restatement that also drops a `db_default`), one, or None (nothing changes). The column
    histories' readers are imported here, by a run that has a migration to judge."""
    from guardrail.analysis.migrations import base_columns

    if m.kind.framework in base_columns.FRAMEWORKS:
        return (_resolve_restated(ctx, m, op),)
    if m.kind.framework == "alembic":
        return (_resolve_alembic(ctx, m, op),)
    replayed = _resolve_django_replayed(ctx, m, op)
    if replayed is not None:
        return replayed
    return (_resolve_django_alter(ctx, m, op),)


def _resolve_restated(ctx: Analysis, m: Migration, op: Op) -> Op | None:
    """A column made NOT NULL or given a type when the file does not say what it was (Laravel
    `->change()`, `changeColumn`, `.alter()`, Ecto `modify` without `from:`, Rails
    `change_column` without a `down`): what the lines above it in the file and the base
    branch's earlier migrations made the column decides (analysis/migrations/base_columns.py).
    A NOT NULL column stays NOT NULL (PostgreSQL does nothing); a same or wider type is no
    rewrite. Unknown keeps the op as the reader wrote it."""
    kinds = (OpKind.SET_NOT_NULL, OpKind.ALTER_TYPE, OpKind.DROP_NOT_NULL, OpKind.DROP_DEFAULT)
    if op.kind not in kinds or not op.table or not op.column:
        return op
    if op.kind == OpKind.ALTER_TYPE and (op.from_type or not op.to_type):
        return op
    if op.kind in (OpKind.DROP_NOT_NULL, OpKind.DROP_DEFAULT) and not op.maybe:
        return op
    earlier = [o for o in m.reading.ops if o.line < op.line]
    from guardrail.analysis.migrations import base_columns

    before = base_columns.column_before(ctx, m.file.path, op.table, op.column, earlier)
    if op.kind == OpKind.DROP_NOT_NULL:
        # A restatement that does not repeat NOT NULL (knex `.alter()`, Sequelize
        # `changeColumn`) drops it: said only where the column is known to be NOT NULL.
        return replace(op, maybe=False) if before is not None and before.not_null else None
    if op.kind == OpKind.DROP_DEFAULT:
        # knex `.alter()` without `.defaultTo()`: only a default the replay knows is lost.
        known = before is not None and before.has_default
        return replace(op, maybe=False) if known else None
    if before is None:
        if op.kind == OpKind.ALTER_TYPE and op.maybe:
            return replace(op, why=OLD_TYPE_UNKNOWN)
        return op
    if op.kind == OpKind.SET_NOT_NULL:
        return None if before.not_null else replace(op, maybe=False)
    if not before.type or not op.to_type:
        return op
    return _type_change(op, before.type, op.to_type)


def _resolve_alembic(ctx: Analysis, m: Migration, op: Op) -> Op | None:
    """An `alter_column` judged against the column as the revisions before it leave it
    (analysis/migrations/alembic_chain.py), where its own `existing_nullable`/`existing_type`
    do not say: NOT NULL on a NOT NULL column does nothing; a type is compared with the old
    one (`existing_type` first); `server_default=None` on a column that has no default does
    nothing. Unknown keeps the operation as the reader wrote it."""
    if op.kind == OpKind.DROP_DEFAULT and op.table and op.column:
        return _alembic_drop_default(ctx, m, op)
    if op.kind not in (OpKind.SET_NOT_NULL, OpKind.ALTER_TYPE) or not op.table or not op.column:
        return op
    if op.kind == OpKind.SET_NOT_NULL and not op.maybe:
        return op
    if op.kind == OpKind.ALTER_TYPE and not op.to_type:
        return op
    before = None
    if op.kind == OpKind.SET_NOT_NULL or not op.from_type:
        earlier = [o for o in m.reading.ops if o.line < op.line]
        from guardrail.analysis.migrations import alembic_chain

        before = alembic_chain.column_before(
            ctx, m.file.path, m.reading, op.table, op.column, earlier
        )
    if op.kind == OpKind.SET_NOT_NULL:
        if before is None:
            return op
        return None if before.not_null else replace(op, maybe=False)
    assert op.to_type is not None
    old = op.from_type or (before.type if before is not None else "")
    if not old:
        return op
    if old.lower() == op.to_type.lower():
        # Alembic still emits ALTER COLUMN … TYPE: no rewrite, but ACCESS EXCLUSIVE is taken.
        return replace(op, maybe=False, narrowing=False, from_type=old, value=op.to_type)
    judged = _type_change(replace(op, maybe=True), old, op.to_type)
    if judged is None or judged.maybe:
        return op  # a pair guardrail does not know: as the reader wrote it
    return judged


def _alembic_drop_default(ctx: Analysis, m: Migration, op: Op) -> Op | None:
    """`alter_column(…, server_default=None)`: PostgreSQL's DROP DEFAULT, which changes nothing
    on a column the revisions before it left without a default (mig-py noticed it was said
    all the same). Kept where the column or its default is unknown."""
    from guardrail.analysis.migrations import alembic_chain

    assert op.table is not None and op.column is not None
    earlier = [o for o in m.reading.ops if o.line < op.line]
    before = alembic_chain.column_before(ctx, m.file.path, m.reading, op.table, op.column, earlier)
    return None if before is not None and not before.has_default else op


def _type_change(op: Op, old: str, new: str) -> Op | None:
    """An ALTER_TYPE from the column's known type `old` to `new`."""
    if old.lower() == new.lower():
        return None
    rewrites = type_change_rewrites(old, new)
    if rewrites is None:
        if op.maybe and known_type(old) and known_type(new):
            # Two types guardrail spells alike and that differ (timestamptz -> timestamp): the
            # column certainly changes type; GR216 says so without claiming a rewrite.
            return replace(op, maybe=False, from_type=old, value=new)
        return op  # a pair guardrail does not know: as the reader wrote it
    if rewrites is False:  # catalog-only (a longer varchar, varchar -> text): no rewrite, but
        # ALTER COLUMN TYPE still queues for ACCESS EXCLUSIVE, as an EF Core widening does
        return replace(op, maybe=False, narrowing=False, from_type=old, value=new)
    return replace(op, maybe=False, narrowing=True, from_type=old, value=new)


def _resolve_django_replayed(ctx: Analysis, m: Migration, op: Op) -> tuple[Op | None, ...] | None:
    """A Django AlterField judged against the field as the app's earlier migrations leave it
    (analysis/migrations/django_state.py): only what reaches the database counts (NULL, the
    column type, `db_default`), as Django's schema editor emits SQL for those alone. None when
    the history does not say (then the base commit's models are asked)."""
    if m.kind.framework != "django" or not op.maybe or not op.model or not op.column:
        return None
    if op.kind not in (OpKind.SET_NOT_NULL, OpKind.ALTER_TYPE):
        return None
    from guardrail.analysis.migrations import django_state

    after = django_state.field_at(m.reading, op.model, op.column, op.line)
    if after is None:
        return None
    before, unordered = django_state.field_before(
        ctx, m.file.path, op.model, op.column, op.line, m.reading
    )
    said = unordered and op.kind == OpKind.ALTER_TYPE  # once per AlterField (it has one)
    if before is None:
        if said and not django_state.replayed(ctx, m.file.path):
            # Over the replay's caps: judged as the models say, and the reviewer told why the
            # history did not.
            why = f"`AlterField` not judged against the app's migrations: {unordered}"
            raw = replace(op, kind=OpKind.RAW, maybe=False, why=why)
            return (_resolve_django_alter(ctx, m, op), raw)
        return None
    out: list[Op | None] = []
    if said:
        # Judged all the same, against the replay in name order; the reviewer is told which
        # link broke the order, as Django itself would refuse to run these migrations.
        out.append(
            replace(
                op,
                kind=OpKind.RAW,
                maybe=False,
                why=f"`AlterField` judged against the app's migrations in name order: {unordered}",
            )
        )
    if op.kind == OpKind.SET_NOT_NULL:
        return (*out, None if before.pk or not before.null else replace(op, maybe=False))
    out.append(_django_type_change(ctx, m.file.path, op, before, after))
    if before.db_default is not None and after.db_default is None and not after.many:
        # The database default goes: the running version's inserts that leave the column out
        # get NULL (or fail on NOT NULL) from now on.
        out.append(
            replace(
                op, kind=OpKind.DROP_DEFAULT, maybe=False, to_type=None, definition="AlterField"
            )
        )
    return tuple(out)


def _django_type_change(
    ctx: Analysis, path: str, op: Op, before: DjangoField, after: DjangoField
) -> Op | None:
    if before.many or after.many:
        return op
    if before.field in _RELATIONS and after.field in _RELATIONS:
        # The column's type is the target's key: the same target keeps it.
        return None if before.target.lower() == after.target.lower() else op
    old, new = _own_type(ctx, path, before), _own_type(ctx, path, after)
    if old is None or new is None:
        # A project's own field class guardrail could not trace to a Django field: said, not
        # guessed (GR290), so the reviewer knows this column's type was not judged.
        own = after if new is None else before
        return replace(
            op,
            kind=OpKind.RAW,
            maybe=False,
            why=f"`AlterField` with the project's own field class `{own.field}`, whose column "
            "type guardrail could not trace to a Django field class",
        )
    if not old or not new:
        return op
    return _type_change(op, old, new)


def _own_type(ctx: Analysis, path: str, f: DjangoField) -> str | None:
    """The column type of a declaration: Django's own class as read; a project's class through
    the Django class it derives from (django_fields.py); None when it cannot be traced."""
    from guardrail.analysis.migrations import django_fields
    from guardrail.analysis.migrations.django import django_field_class, sized_type

    if django_field_class(f.field):
        return f.type
    if not f.origin or ctx.read_tree is None:
        return None
    base = django_fields.trace(f.origin, path, ctx.read_tree)
    if base is None or base in _RELATIONS or base in ("ManyToManyField", "ArrayField"):
        return None
    return sized_type(base, dict(f.sizes))


_RELATIONS = ("ForeignKey", "OneToOneField")


def _resolve_django_alter(ctx: Analysis, m: Migration, op: Op) -> Op | None:
    """AlterField restates a whole field; compare with the model before the PR to know what
    really changes. Unknown history keeps the op, marked as a possibility. A RemoveField of a
    many-to-many field drops its join table, not a column."""
    if m.kind.framework != "django" or not op.table or not op.column:
        return op
    if not op.maybe and op.kind != OpKind.DROP_COLUMN:
        return op
    models = django_models(ctx)
    if models is None or "/migrations/" not in m.file.path:
        return op
    from guardrail.analysis.migrations.django import (
        django_field_class,
        field_facts,
        same_column_type,
    )

    app_dir = m.file.path.rsplit("/migrations/", 1)[0]
    before_call = models.field(app_dir, op.model or op.table, op.column)
    if before_call is None:
        return op
    before = field_facts(before_call)
    if op.kind == OpKind.DROP_COLUMN:
        if before.many:
            return replace(op, kind=OpKind.DROP_TABLE, table=f"{op.table}_{op.column}", column=None)
        return op
    if op.kind == OpKind.SET_NOT_NULL:
        return replace(op, maybe=False) if before.null and not before.pk else None
    if op.kind == OpKind.ALTER_TYPE:
        if not op.to_type or same_column_type(before.field, op.to_type):
            return None
        if not (django_field_class(before.field) and django_field_class(op.to_type)):
            # A project's own field class (netbox's `ChoiceSetField(ArrayField)`): its column
            # type is its base class's, which the migration does not say. Kept as a possibility.
            return op
        return replace(op, maybe=False, narrowing=True)
    return op


# -- GR296: a column re-added where it already exists -----------------------------------------

# The framework's own way to change an existing column, for GR296's detail.
_CHANGE_EXISTING = {
    "rails": "`change_column_null :{t}, :{c}, false` (after a backfill) and "
    "`change_column_default :{t}, :{c}, from: nil, to: …` (`change_column` for the type)",
    "ecto": "`modify :{c}, …, null: false, from: …` (after a backfill) in an `alter table(:{t})`",
    "laravel": "`$table->…->change()` in a `Schema::table('{t}', …)`",
    "knex": "`table.….alter()` in a `knex.schema.alterTable('{t}', …)`",
    "sequelize": "`queryInterface.changeColumn('{t}', '{c}', …)`",
    "typeorm": "`queryRunner.changeColumn('{t}', '{c}', …)`",
    "efcore": "`migrationBuilder.AlterColumn` on `{t}`.`{c}`",
    **dict.fromkeys(
        ("flyway", "golang-migrate", "goose", "dbmate", "sql"),
        "`ALTER TABLE {t} ALTER COLUMN {c} SET NOT NULL` (after a backfill), "
        "`… ALTER COLUMN {c} SET DEFAULT …` and `… ALTER COLUMN {c} TYPE …`",
    ),
}


def _existing(ctx: Analysis, m: Migration, op: Op) -> tuple[ColumnDef | None]:
    """The column a guarded statement asks to be missing, as the base branch's earlier
    migrations of the folder (and the lines above in the file) leave it: None when missing or
    not known (then the statement runs, and is judged as written)."""
    from guardrail.analysis.migrations import base_columns

    replayed = base_columns.FRAMEWORKS | base_columns.SQL_GUARDED
    if op.only_without is None or m.kind.framework not in replayed:
        return (None,)
    table, column = op.only_without
    ops = m.reading.ops
    # The check runs once, before the statements under it: what they add (solidtime's and
    # coolify's `hasColumn` guard that adds the column, fills it, then makes it NOT NULL) was
    # not there when it was asked. A guard's statements are recorded one after another.
    first = next((i for i, o in enumerate(ops) if o is op), len(ops))
    while first > 0 and ops[first - 1].only_without == op.only_without:
        first -= 1
    earlier = [o for o in ops[:first] if o.line < op.line]
    return (base_columns.column_before(ctx, m.file.path, table, column, earlier),)


def _other_type(old: str, new: str) -> bool:
    """Two types guardrail can compare, and they differ."""
    return known_type(old) and known_type(new) and not same_type(old, new)


def _differences(before: ColumnDef, new: ColumnDef) -> list[str]:
    """What the re-added definition asks for that the existing column is not, where both
    sides are known, as "leaves it …" words."""
    out: list[str] = []
    lacks = [
        *(["NOT NULL"] if new.not_null and not before.not_null else []),
        *(["a default"] if new.default is not None and before.default is None else []),
    ]
    if lacks:
        out.append("without " + " and ".join(lacks))
    if new.type and before.type and _other_type(before.type, new.type):
        out.append(f"{code(before.type)}, not {code(new.type)}")
    if before.not_null and not new.not_null and not before.primary_key:
        out.append("NOT NULL, not nullable")
    if new.default is None and before.default not in (None, "…"):
        out.append(f"with its default {code(str(before.default))}")
    elif (
        new.default not in (None, "…")
        and before.default not in (None, "…")
        and new.default != before.default
    ):
        out.append(f"with default {code(str(before.default))}, not {code(str(new.default))}")
    return out


def _readded(
    ctx: Analysis,
    m: Migration,
    where: tuple[str, str],
    before: ColumnDef,
    ops: list[Op],
) -> tuple[Op, safety_rules.Verdict] | None:
    """GR296 for the statements of one guard whose column already exists: one finding, at the
    statement that adds the column (else the guard's first). None: the add restates the
    column as it is and nothing else is skipped (an idempotent guard, nothing to say)."""
    table, column = where
    t = code(f"{table}.{column}")
    add = next(
        (o for o in ops if o.kind == OpKind.ADD_COLUMN and (o.table, o.column) == where), None
    )
    at = add or ops[0]
    from guardrail.analysis.migrations import base_columns

    origin = base_columns.made_by(ctx, m.file.path, table, column)
    made = f"{code(origin)} creates" if origin else "Earlier migrations create"
    others = sorted({o.line for o in ops if o is not add and o.line != at.line})
    one = len(others) == 1
    also = (
        f" The other {'statement' if one else 'statements'} under the same check "
        f"({'line' if one else 'lines'} {', '.join(map(str, others))}) "
        f"{'does' if one else 'do'} not run there either."
        if others
        else ""
    )
    how = _CHANGE_EXISTING.get(m.kind.framework, "a migration that alters the existing column")
    how = how.format(t=table, c=column)
    if add is None:
        return at, safety_rules.Verdict(
            f"runs only where {t} is missing, and earlier migrations already create it",
            f"{made} {t}, so on every database that ran them the statements under this check do "
            f"nothing.{also} If they are still needed there, write them without the check.",
            Severity.NOTICE,
        )
    new = (
        add.table_columns[0]
        if add.table_columns
        else ColumnDef(column, "", add.not_null, "…" if add.has_default else None)
    )
    differs = _differences(before, new)
    if not differs:
        if not others:
            return None
        return at, safety_rules.Verdict(
            f"{t} already exists, so this `if not exists` add and the statements under its "
            "check do nothing",
            f"{made} {t} as this add defines it, so on every database that ran them nothing "
            f"here runs.{also} If they are still needed there, write them without the check.",
            Severity.NOTICE,
        )
    rails61 = ""
    if (
        m.kind.framework == "rails"
        and "if_not_exists" in add.text
        and any(", not " in d and "NOT NULL" not in d and "default" not in d for d in differs)
    ):
        rails61 = (
            " On Rails 6.1 `if_not_exists:` also compared the type (rails/rails#42212 dropped "
            "that in 7.0), so there this add runs and fails with PG::DuplicateColumn."
        )
    return at, safety_rules.Verdict(
        f"{t} already exists, so this `if not exists` add leaves it {' and '.join(differs)}",
        f"{made} {t} ({_described(before)}), so on every database that ran them the statement "
        "does nothing, while a fresh database gets the new definition: production and "
        f"development disagree.{rails61}{also} To change the existing column, use {how}.",
        Severity.WARNING,
    )


def _skipped(
    ctx: Analysis,
    m: Migration,
    raw: Op,
    guarded: dict[tuple[str, str], tuple[ColumnDef, list[Op]]],
    resolved: list[Op],
) -> bool:
    """A statement that runs only where its column is missing, when the column is there: it
    changes nothing (GR296 says what it meant to), so no add rule judges it. `ADD COLUMN IF
    NOT EXISTS` still takes its lock, so the whole-file rules (lock_timeout) see it; a
    host-language check (`column_exists?`, `hasColumn`) sends nothing."""
    if raw.only_without is None:
        return False
    path = m.file.path
    exists = ctx.problems.attempt(path, "migration's earlier columns", _existing, ctx, m, raw)
    if exists is None or exists[0] is None:
        return False
    guarded.setdefault(raw.only_without, (exists[0], []))[1].append(raw)
    if raw.if_not_exists:
        resolved.append(raw)
    return True


def _described(c: ColumnDef) -> str:
    parts = [code(c.type) if c.type else "type not known"]
    parts.append("NOT NULL" if c.not_null else "nullable")
    if c.default == "…":
        parts.append("a default")
    elif c.default is not None:
        parts.append(f"default {code(c.default)}")
    return ", ".join(parts)


# -- migration-safety: each rule is a unit in checks/safety_rules.py ------------------------------


def _suppressed(op: Op, rule: Rule) -> tuple[bool, bool]:
    """(is it suppressed, is there a suppression without a reason)."""
    from guardrail.checks.acknowledge import explains

    for code_, reason in op.ignores:
        if code_ == rule.code:
            if explains(reason):  # words that explain, not `.` or `ok`
                return True, False
            return False, True
    return False, False


def _needs_label(ctx: Analysis) -> bool:
    """An inline ignore is written by the PR's author. Where the configuration lets only a
    reviewer's label acknowledge migration-safety (the default), an ignore cannot reach
    further than the description could: it applies once a reviewer adds the label."""
    ac = ctx.config.acknowledge
    allowed = ac.allow.get(SAFETY, ac.allow.get("all", ("label", "description")))
    return ac.inline_ignores == "label" or "description" not in allowed


def _finding(
    ctx: Analysis, rule: Rule, verdict: safety_rules.Verdict, op: Op, path: str
) -> list[Finding | Note | Acknowledged]:
    """The finding for one verdict, after inline suppressions (and GR902 for one without a
    reason); a note when an inline ignore applied or waits for a label."""
    title, why, severity = verdict.title, verdict.why, verdict.severity
    out: list[Finding | Note | Acknowledged] = []
    suppressed, unreasoned = _suppressed(op, rule)
    if suppressed and _needs_label(ctx):
        # The PR adds this ignore itself: it applies once a reviewer acknowledges.
        labels = {lab.lower() for lab in ctx.pr.labels}
        ack = {k: v for k, v in ctx.config.acknowledge.labels.items() if v in (SAFETY, "all")}
        suppressed = bool(labels & {k.lower() for k in ack})
        if not suppressed:
            first = sorted(ack, key=lambda k: ack[k] != SAFETY)  # the migration-safety label
            wanted = code(first[0] if first else "guardrail:migration-reviewed")
            out.append(
                Note(
                    f"The `guardrail: ignore {rule.code}` at {code(f'{path}:{op.line}')} applies "
                    f"once a reviewer adds the label {wanted}."
                )
            )
    if unreasoned:
        out.append(
            GR902.finding(
                f"`guardrail: ignore {rule.code}` has no reason, so it does not apply.",
                "Say why the operation is safe here in a few words, e.g. "
                "`-- guardrail: ignore GR217 the table has 40 rows` (a dot or one word is not a reason).",
                path=path,
                line=op.line,
            )
        )
    if op.assured and not suppressed:
        # strong_migrations' `safety_assured { … }`: someone said in the code that they checked
        # this. It stays visible, below error, and says so.
        severity = min(severity or rule.default_severity, Severity.NOTICE)
        why = (
            f"{why} Acknowledged in code: the statement is inside `{op.assured}`, so this is "
            "listed for the reviewer rather than raised."
        )
    finding = rule.finding(
        title[:1].upper() + title[1:] + ".",
        why,
        severity=severity,
        path=path,
        line=op.line,
    )
    if suppressed:
        reason = dict(op.ignores)[rule.code]
        out.append(
            Note(f"{rule.code} ignored at {code(f'{path}:{op.line}')}: {md(plain(reason, 80))}")
        )
        # Kept, marked, for the JSON report and the SARIF: suppressed is not the same as absent.
        out.append(
            Acknowledged(
                finding,
                status="suppressed",
                how="inline-ignore",
                reason=reason,
                by=ctx.pr.author,
            )
        )
        return out
    out.append(finding)
    return out


def _without_line(note: str) -> str:
    return re.sub(r"^line \d+: ", "", note)


def _new_notes(m: Migration) -> list[str]:
    """What could not be read in the head file and was not already unread at the base commit."""
    if m.base is None:
        return list(m.reading.notes)
    before = Counter(_without_line(n) for n in m.base.notes)
    out: list[str] = []
    for note in m.reading.notes:
        key = _without_line(note)
        if before[key] > 0:
            before[key] -= 1
        else:
            out.append(note)
    return out


# Where a Rails app sets the timeouts for every migration (strong_migrations, database.yml).
_RAILS_TIMEOUT_FILES = ("config/initializers/strong_migrations.rb", "config/database.yml")


def _rails_timeout_files(path: str) -> list[str]:
    root = path.split("db/migrate/", 1)[0] if "db/migrate/" in path else ""
    return [root + name for name in _RAILS_TIMEOUT_FILES]


@wants
def _timeout_reads(f: ChangedFile, config: Config) -> Iterator[tuple[str, str]]:
    """A Rails migration's timeouts may be set by strong_migrations or database.yml."""
    kind = detect(f.path, include=config.migration_include, exclude=config.migration_exclude)
    if kind is not None and kind.framework == "rails":
        for name in _rails_timeout_files(f.path):
            yield ("head", name)


def _configured_timeouts(ctx: Analysis, m: Migration) -> tuple[str | None, str | None]:
    """lock_timeout and statement_timeout that the deploy sets outside the migration file."""
    lock = ctx.config.migration_setting("lock_timeout", m.file.path)
    statement = ctx.config.migration_setting("statement_timeout", m.file.path)
    if m.kind.framework == "rails" and ctx.read is not None and not (lock and statement):
        for name in _rails_timeout_files(m.file.path):
            text = ctx.read("head", name) or ""
            # `StrongMigrations.lock_timeout = 10.seconds`; database.yml `variables: lock_timeout: 5s`
            for line in text.splitlines():
                bare = line.split("#", 1)[0]
                if "lock_timeout" in bare and not lock:
                    lock = f"{name}"
                if "statement_timeout" in bare and not statement:
                    statement = f"{name}"
    return lock, statement


def _facts(ctx: Analysis, m: Migration) -> safety_rules.Facts:
    path = m.file.path
    lock, statement = _configured_timeouts(ctx, m)
    return safety_rules.Facts(
        m.kind.framework,
        path,
        ctx.config.postgres_version(path),
        wrapped=m.reading.in_transaction,
        lock_timeout=lock,
        statement_timeout=statement,
        tables=safety_rules.Tables(
            ctx.config.migration_setting("large_tables", path) or (),
            ctx.config.migration_setting("hot_tables", path) or (),
            ctx.config.migration_setting("small_tables", path) or (),
        ),
    )


def _file_verdicts(
    m: Migration, resolved: list[Op], facts: safety_rules.Facts
) -> list[tuple[Rule, Op, safety_rules.Verdict]]:
    """The whole-migration rules. A new file is judged as it is; in an edited shipped file the
    order of all its statements counts (a `SET lock_timeout` above the edit still applies), and
    only findings on the operations the PR adds or changes are kept."""
    if m.base is None:
        return safety_rules.judge_file(tuple(resolved), facts)
    changed = {(op.kind, op.line) for op in resolved}
    return [
        (rule, op, verdict)
        for rule, op, verdict in safety_rules.judge_file(m.reading.ops, facts)
        if (op.kind, op.line) in changed
    ]


# What any database does: data lost, names the running version still uses.
_ANY_DATABASE = frozenset({"GR212", "GR213", "GR214", "GR215"})


def _not_postgres(m: Migration) -> Finding:
    return GR291.finding(
        f"Not judged for PostgreSQL: this migration runs on {m.target.name}, known by "
        f"{m.target.evidence}.",
        "guardrail's lock, rewrite and CONCURRENTLY rules are PostgreSQL's, so only what holds on "
        "any database (data dropped, names renamed, no way back) was checked here. Review locking "
        f"with {m.target.name}'s own rules; set `migrations.database` if this is wrong.",
        path=m.file.path,
        line=1,
    )


def _with_old_type(ctx: Analysis, op: Op) -> Op:
    """A column type change whose file does not say the old type: the type the base branch's
    SQL migrations leave the column with (analysis/migrations/base_schema.py), when known."""
    if op.kind != OpKind.ALTER_TYPE or op.from_type or not op.value:
        return op
    if not op.table or not op.column or op.new_table:
        return op
    from guardrail.analysis.migrations.base_schema import old_type

    before = old_type(ctx, op.table, op.column)
    return dataclasses.replace(op, from_type=before) if before else op


def safety_findings(ctx: Analysis) -> list[Finding | Note | Acknowledged]:
    """Every migration's findings, and the notes of inline ignores, in reading order."""
    out: list[Finding | Note | Acknowledged] = []
    for m in migrations(ctx):
        path = m.file.path
        facts = _facts(ctx, m)
        resolved: list[Op] = []
        postgres = m.target.postgres
        if not postgres:
            out.append(_not_postgres(m))
        verdicts: list[tuple[Rule, safety_rules.Verdict, Op]] = []
        guarded: dict[tuple[str, str], tuple[ColumnDef, list[Op]]] = {}
        for raw in m.ops:
            if _skipped(ctx, m, raw, guarded, resolved):
                continue
            attempted = ctx.problems.attempt(
                path, "migration's model history", _resolved, ctx, m, raw
            )
            # unknown history: as written
            for each in (raw,) if attempted is None else attempted:
                if each is None:
                    continue
                op = _with_old_type(ctx, each)
                seen = dataclasses.replace(facts, earlier=tuple(resolved))
                for rule, verdict in safety_rules.judge(op, seen):
                    if postgres or rule.code in _ANY_DATABASE:
                        verdicts.append((rule, verdict, op))
                resolved.append(op)
        verdicts.extend(
            (GR296, said[1], said[0])
            for where, (before, ops) in guarded.items()
            if (said := _readded(ctx, m, where, before, ops)) is not None
        )
        for rule, op, verdict in _file_verdicts(m, resolved, facts):
            if postgres or rule.code in _ANY_DATABASE:
                verdicts.append((rule, verdict, op))
        found: list[Finding | Note | Acknowledged] = []
        judged: dict[int, tuple[Op, safety_rules.Verdict]] = {}  # id(finding) -> what it judged
        for rule, verdict, op in verdicts:
            for item in _finding(ctx, rule, verdict, op, path):
                judged[id(item)] = (op, verdict)
                found.append(item)
        out.extend(_merge_repeats(found, judged))
        if m.reading.reversible is False and not (m.base and m.base.reversible is False):
            out.append(
                GR220.finding(
                    f"This migration cannot be undone: {m.reading.irreversible_why}.",
                    "If the deploy has to be rolled back, the schema cannot follow it. Write the reverse step "
                    "(use a no-op reverse when nothing needs undoing), or say in the plan why there is none.",
                    path=path,
                    line=1,
                )
            )
        # What the reader could not read, and what the model history could not (a project's
        # own field class not traced): both are GR290.
        unread = [op for op in resolved if op.kind == OpKind.RAW]
        notes = _new_notes(m)
        if (notes or unread) and postgres:  # another dialect's syntax: said once by GR291
            out.append(_not_understood(path, notes, unread))
    return out


# Rules whose findings one file repeats for each operation (a migration adding five indexes):
# said once per file and severity, listing the places, so a review reads one line per risk.
_MERGED = frozenset({"GR217"})
_PLACES_SHOWN = 8


def _merge_repeats(
    found: list[Finding | Note | Acknowledged], judged: dict[int, tuple[Op, safety_rules.Verdict]]
) -> list[Finding | Note | Acknowledged]:
    """One file's findings with the repeats of a `_MERGED` rule at one severity folded into the
    first (suppressed ones stay apart: each names its own reason)."""
    groups: dict[tuple[str, Severity], list[Finding]] = {}
    for item in found:
        if (
            isinstance(item, Finding)
            and item.rule in _MERGED
            and id(item) in judged
            and not judged[id(item)][0].assured  # says in its own words that it was acknowledged
        ):
            groups.setdefault((item.rule, item.severity), []).append(item)
    merged: dict[int, Finding | None] = {}
    for group in groups.values():
        if len(group) < 2:
            continue
        merged[id(group[0])] = _merged(group, [judged[id(f)] for f in group])
        merged.update((id(f), None) for f in group[1:])
    out: list[Finding | Note | Acknowledged] = []
    for item in found:
        if id(item) not in merged:
            out.append(item)
        elif (replacement := merged[id(item)]) is not None:
            out.append(replacement)
    return out


def _merged(group: list[Finding], judged: list[tuple[Op, safety_rules.Verdict]]) -> Finding:
    """GR217 for several index changes of one file: one finding at the first, listing them."""
    first = group[0]
    creates = sum(op.kind != OpKind.DROP_INDEX for op, _ in judged)
    drops = len(judged) - creates
    lines = list(dict.fromkeys(op.line for op, _ in judged))  # a comprehension: one line
    if creates and drops:
        made = "an index" if creates == 1 else f"{creates} indexes"
        what = f"Creates {made} and drops {'one' if drops == 1 else drops}"
    elif creates:
        what = f"Creates {creates} indexes"
    else:
        what = f"Drops {drops} indexes"
    shown = ", ".join(str(n) for n in lines[:_PLACES_SHOWN])
    if len(lines) > _PLACES_SHOWN:
        shown += f" and {len(lines) - _PLACES_SHOWN} more"
    places = "; ".join(
        f"line {op.line}: {verdict.title.removesuffix(' without CONCURRENTLY')}"
        for op, verdict in judged[:_PLACES_SHOWN]
    )
    whys = list(dict.fromkeys(verdict.why for _, verdict in judged))
    return by_code(first.rule).finding(
        f"{what} without CONCURRENTLY ({'lines' if len(lines) > 1 else 'line'} {shown}).",
        f"{places}. " + " ".join(whys),
        severity=first.severity,
        path=first.path,
        line=first.line,
    )


_UNREAD_SHOWN = 12  # constructs listed in one GR290 finding; the rest are counted


def _unread_parts(notes: list[str], unread: list[Op]) -> list[tuple[int, str]]:
    """Each construct that was not read, as (line, marked text), in file order. A reader's
    note is its own sentence (`line 4: …`, shown literally); an unread operation is its
    line, why, and the source it stands for."""
    parts: list[tuple[int, str]] = []
    for note in notes:
        found = re.match(r"line (\d+): ", note)
        at = int(found.group(1)) if found else 0
        parts.append((at, _reader_words(_whole(note))))
    noted = {at for at, _ in parts if at}
    for op in unread:
        if op.line in noted:
            continue  # the reader's note on that line already says what it could not read
        why = "SQL not read" if op.why == "unparsed" else op.why
        snippet = " ".join((op.text or "").split())
        shown = snippet if len(snippet) <= 80 else snippet[:79] + "…"
        text = f"line {op.line}: {_reader_words(_whole(why))}"
        if shown and shown != why:
            text += f" ({code(shown)})"
        parts.append((op.line, text))
    return sorted(parts, key=lambda p: p[0])


def _whole(reason: str) -> str:
    """A reader's reason on one line and whole: the detail is where the reviewer reads what was
    not judged, and a reason cut at a fixed width lost its end (the construct or the why). Only
    the title shortens it; the renderers' own safety net bounds hostile lengths."""
    return " ".join(reason.split())


def _reader_words(note: str) -> str:
    """A reader's sentence, whose backticks pair around names taken from the file: the names
    become code values (escaped), the rest is shown literally. Unpaired backticks: all literal."""
    pieces = note.split("`")
    if len(pieces) % 2 == 0:
        return md(note)
    return "".join(
        code(piece) if i % 2 else md(piece) for i, piece in enumerate(pieces) if piece or i % 2
    )


def _not_understood(path: str, notes: list[str], unread: list[Op]) -> Finding:
    """One GR290 per file, listing every construct that was not read (capped, with a count)."""
    parts = _unread_parts(notes, unread)
    first = notes[0] if notes else f"line {unread[0].line}: {unread[0].why}"
    line = unread[0].line if unread else parts[0][0] or None
    more = len(parts) - 1
    shown = [text for _, text in parts[:_UNREAD_SHOWN]]
    rest = len(parts) - len(shown)
    listing = "; ".join(shown) + (f"; and {rest} more" if rest > 0 else "")
    return GR290.finding(
        f"Part of this migration was not understood ({_reader_words(plain(first, 100))}"
        + (f"; {more} more" if more > 0 else "")
        + ").",
        "guardrail judged what it could read; review "
        + ("this part" if len(parts) == 1 else f"these {len(parts)} parts")
        + f" by hand: {listing}.",
        path=path,
        line=line,
    )


_CLEAN_NAMED = 5  # migration files named in the "read in full" answer; the rest are counted


def read_in_full(ms: list[Migration], findings: list[Finding]) -> str | None:
    """The answer that accounts for every migration file without a finding: each was read
    in full and nothing in it is risky, named per file (compactly: the first few, then a
    count). Files with a finding are accounted for by it (GR290 when not read in full)."""
    if not ms:
        return None
    flagged = {f.path for f in findings}
    clean = [m.file.path for m in ms if m.file.path not in flagged]
    serious = any(f.severity >= Severity.WARNING for f in findings)
    if not clean:
        # Only notes (GR290, GR291, …): each file is named by its own finding.
        return None if serious else _counted(len(ms), "read, no risky operation")
    names = ", ".join(code(p.rsplit("/", 1)[-1]) for p in clean[:_CLEAN_NAMED])
    if len(clean) > _CLEAN_NAMED:
        names += f" and {len(clean) - _CLEAN_NAMED} more"
    if len(clean) == len(ms):
        if len(ms) == 1:
            return f"{names} read in full, no risky operation"
        return f"{_counted(len(ms), 'read in full, no risky operation')} ({names})"
    lead = "also read in full, nothing risky" if serious else "read in full, no risky operation"
    return f"{lead}: {names}" + ("" if serious else f"; {len(ms) - len(clean)} with a note below")


def _counted(n: int, what: str) -> str:
    return f"{n} migration{'s' if n != 1 else ''} {what}"


def check_safety(ctx: Analysis) -> Iterator[Output]:
    found = safety_findings(ctx)
    findings = [f for f in found if isinstance(f, Finding)]
    # Every migration file is accounted for: a finding, or its name in this answer.
    answer = read_in_full(migrations(ctx), findings)
    if answer is not None:
        yield Answer(SAFETY, answer)
    yield from findings
    yield from (n for n in found if isinstance(n, Note | Acknowledged))


# -- migration-plan ----------------------------------------------------------------------------------

_ASPECT_WORDS: dict[str, tuple[str, ...]] = {
    "order": (
        "before",
        "after",
        "order",
        "first",
        "then",
        "deploy",
        "deployed",
        "release",
        "expand",
        "contract",
        "step",
        "steps",
        "phase",
        "sequence",
        "prior",
        "followed",
        "once",
    ),
    "backfill": (
        "backfill",
        "backfilled",
        "existing rows",
        "existing data",
        "existing records",
        "batch",
        "batches",
        "default",
        "populate",
        "populated",
        "update",
        "null",
        "nulls",
        "data migration",
        "migrate data",
        "rows",
        "records",
        "empty table",
        "no rows",
        "not populated",
    ),
    "locks": (
        "lock",
        "locks",
        "locking",
        "concurrently",
        "downtime",
        "maintenance",
        "small table",
        "rows",
        "online",
        "not valid",
        "timeout",
        "lock timeout",
        "seconds",
        "minutes",
        "blocking",
        "blocks",
        "rewrite",
    ),
    "undo": (
        "rollback",
        "roll back",
        "revert",
        "undo",
        "down",
        "downgrade",
        "reverse",
        "restore",
        "backup",
        "irreversible",
        "cannot be undone",
        "no way back",
        "point of no return",
        "snapshot",
    ),
}
_ASPECT_PROMPT = {
    "order": "Order relative to the code deploy: …",
    "backfill": "Existing rows (backfill): …",
    "locks": "Locks and how long they are held: …",
    "undo": "How it is undone: …",
}
_ASPECT_NAME = {
    "order": "the order relative to the code deploy",
    "backfill": "how existing rows are handled",
    "locks": "what locks it takes and for how long",
    "undo": "how it is undone",
}
_NEEDS_BACKFILL = frozenset(
    {
        OpKind.SET_NOT_NULL,
        OpKind.ALTER_TYPE,
        OpKind.RENAME_COLUMN,
        OpKind.ADD_UNIQUE,
        OpKind.ADD_CHECK,
    }
)
_BLOCKING = frozenset(
    {
        OpKind.CREATE_INDEX,
        OpKind.DROP_INDEX,
        OpKind.ADD_FOREIGN_KEY,
        OpKind.ADD_CHECK,
        OpKind.ADD_UNIQUE,
        OpKind.ADD_PRIMARY_KEY,
        OpKind.ALTER_TYPE,
        OpKind.SET_NOT_NULL,
    }
)


def _words(text: str) -> str:
    return f" {normalize(text)} "


def _mentions(text: str, aspect: str) -> bool:
    hay = _words(text)
    return any(f" {normalize(w)} " in hay for w in _ASPECT_WORDS[aspect])


def needed_aspects(ctx: Analysis) -> dict[str, list[str]]:
    """Aspect -> why it is needed (a short reason naming the operation)."""
    needs: dict[str, list[str]] = {
        "order": ["every migration ships relative to a code deploy"],
        "undo": [],
    }
    for m in migrations(ctx):
        for op in m.ops:
            new = op.new_table
            if new:
                continue
            if (op.kind == OpKind.ADD_COLUMN and op.not_null) or op.kind in _NEEDS_BACKFILL:
                needs.setdefault("backfill", []).append(
                    f"{op.kind.words} in {m.file.path.rsplit('/', 1)[-1]}"
                )
            if op.kind in _BLOCKING and not op.concurrently and not op.not_valid:
                needs.setdefault("locks", []).append(
                    f"{op.kind.words} in {m.file.path.rsplit('/', 1)[-1]}"
                )
            if op.destructive:
                needs["undo"].append("it destroys data")
    return needs


def plan_template(aspects: Sequence[str]) -> str:
    return "## Migration plan\n" + "\n".join(_ASPECT_PROMPT[a] for a in aspects) + "\n"


def check_plan(ctx: Analysis) -> Iterator[Output]:
    ms = [
        m
        for m in migrations(ctx)
        if m.kind.role in ("up", "repeatable", "baseline") and not m.cosmetic
    ]
    if not ms:
        return
    needs = needed_aspects(ctx)
    order = [a for a in ("order", "backfill", "locks", "undo") if a in needs]
    sections = find_sections(ctx.pr.body, ctx.config.migrations.all_plan_headings)
    real = [s for s in sections if assess(s.text, ctx.config.rollback.placeholders).status == "ok"]
    first = ms[0].file.path
    n = len(ms)
    if not real:
        yield GR201.finding(
            f"No migration plan for the {n} migration{'s' if n != 1 else ''} in this PR"
            + (f" ({code(first)})." if n == 1 else "."),
            "A migration runs against production data while the old version is still serving: say in what order "
            "it ships, what happens to existing rows, and how it is undone.",
            template=plan_template(order),
        )
        return
    text = "\n".join(s.text for s in real) + "\n" + (ctx.rollback_note or "")
    missing = [a for a in order if not _mentions(text, a)]
    if missing:
        names = ", ".join(_ASPECT_NAME[a] for a in missing)
        reasons = [needs[a][0] for a in missing if needs.get(a)]
        why = f" ({'; '.join(dict.fromkeys(reasons))})" if reasons else ""
        yield GR202.finding(
            f"The migration plan does not say {names}.",
            f"These follow from what the migrations do{why}; one sentence each is enough.",
            template=plan_template(missing),
        )
        return
    yield Answer(PLAN, f"migration plan fits the {n} migration{'s' if n != 1 else ''}")


# -- GR103: "just revert" when data is destroyed ------------------------------------------------------

_DATA_AWARE = (
    "backup",
    "backups",
    "restore",
    "restored",
    "snapshot",
    "dump",
    "pitr",
    "point in time",
    "data loss",
    "lost",
    "lose",
    "losing",
    "loss",
    "accepted",
    "acceptable",
    "irreversible",
    "cannot",
    "can't",
    "cant",
    "not reversible",
    "copy",
    "archive",
    "archived",
    "recreate",
    "export",
    "exported",
)


def check_revert_claim(ctx: Analysis) -> Iterator[Finding]:
    note = ctx.rollback_note
    if not note:
        return
    hay = _words(note)
    if not any(
        f" {w} " in hay
        for w in ("revert", "reverting", "roll back", "rollback", "redeploy", "undo")
    ):
        return
    if any(f" {normalize(w)} " in hay for w in _DATA_AWARE):
        return
    for m in migrations(ctx):
        for op in m.ops:
            if op.destructive and not op.new_table:
                what = {
                    OpKind.DROP_COLUMN: "drops",
                    OpKind.DROP_TABLE: "drops",
                    OpKind.TRUNCATE: "truncates",
                    OpKind.DELETE_ROWS: "deletes rows from",
                    OpKind.ALTER_TYPE: "narrows",
                }.get(op.kind, "changes")
                yield GR103.finding(
                    f"The rollback note says to revert, but {code(f'{m.file.path}:{op.line}')} {what} {safety_rules.target(op)}.",
                    "A revert brings the schema back, not the data: say how the data is recovered (backup, copy "
                    "kept aside) or that losing it is acceptable.",
                    path=m.file.path,
                    line=op.line,
                    template="## Rollback plan\nHow to undo it: …\nHow the dropped data is recovered: …\n",
                )
                return


CHECKS = (check_safety, check_plan, check_revert_claim)
