"""Which SQL a trace runs, in which order: pure (files in, statements out; nothing is run here).

The base schema comes from the base branch's migrations, read with the same detection the static
rules use (`analysis.migrations.detect`) and ordered the way each tool orders them: Flyway by
version then repeatables, golang-migrate/goose/dbmate/Prisma/plain folders by their numeric or
timestamp prefix, sqitch by `sqitch.plan`, Alembic by its revision chain, Django by app and
number. SQL comes from the files themselves, the Up section of goose and dbmate files, the
literal SQL a goose Go migration's Up function executes, and the literal SQL of Django `RunSQL`
and Alembic `op.execute`. Everything else (ORM operations, other
frameworks' DSLs, other dialects) is listed as not traced, with the reason.
"""

from __future__ import annotations

import ast
import posixpath
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from guardrail.analysis.migrations.detect import MigrationFile, detect
from guardrail.analysis.migrations.liquibase import Change, ChangeSet, ran_before
from guardrail.analysis.migrations.order import (
    SECTION,
    SQL_FRAMEWORKS,
    order,
    up_section,
)
from guardrail.analysis.migrations.sql import skip_space_and_comments
from guardrail.analysis.pyast import arg as _arg
from guardrail.analysis.pyast import call_name as _callee
from guardrail.analysis.yamlsafe import AliasBomb
from guardrail.model import PullRequest
from guardrail.trace.model import NotTraced


@dataclass(frozen=True)
class Statement:
    path: str
    line: int  # 1-based, in the migration file
    end_line: int
    sql: str
    transaction_control: bool = False  # BEGIN/COMMIT/…, run as the file says (runner._control)
    # The same statement without CONCURRENTLY (which cannot run in a transaction), or "".
    plain_sql: str = ""
    control: str = ""  # begin | commit | rollback | other, for transaction control


@dataclass(frozen=True)
class Script:
    """One migration file's runnable SQL."""

    path: str
    framework: str
    statements: tuple[Statement, ...]
    # The transactions its tool runs it in: "file" (one for the file), "run" (one for every file
    # of the run, Alembic's default), "none" (each statement on its own, and the file's own
    # BEGIN/COMMIT). See transaction_mode().
    transaction: str = "file"


@dataclass(frozen=True)
class TracePlan:
    base: tuple[Script, ...] = ()
    change: tuple[Script, ...] = ()
    not_traced: tuple[NotTraced, ...] = ()  # the PR's migrations (or parts) not run
    base_not_traced: tuple[NotTraced, ...] = ()  # base migrations with no SQL to run
    base_files: int = 0


# -- statements ------------------------------------------------------------------------------------


def _short(text: str, limit: int = 120) -> str:
    one = " ".join(text.split())
    return one if len(one) <= limit else one[: limit - 1] + "…"


def _plain_form(node: Any) -> str:
    """The statement without CONCURRENTLY, when it has it (else "")."""
    from pglast import ast as A
    from pglast.stream import RawStream

    changed = False
    if isinstance(node, (A.IndexStmt, A.DropStmt)) and node.concurrent:
        node.concurrent = False
        changed = True
    elif isinstance(node, A.ReindexStmt) and node.params:
        kept = tuple(p for p in node.params if getattr(p, "defname", "") != "concurrently")
        if len(kept) != len(node.params):
            node.params = kept or None
            changed = True
    elif isinstance(node, A.AlterTableStmt):
        for cmd in node.cmds or ():
            part = getattr(cmd, "def_", None)
            if isinstance(part, A.PartitionCmd) and part.concurrent:
                part.concurrent = False
                changed = True
    return str(RawStream()(node)) if changed else ""


def _control_kind(node: Any) -> str:
    from pglast import ast as A
    from pglast.enums import TransactionStmtKind as K

    if not isinstance(node, A.TransactionStmt):
        return ""
    return {
        K.TRANS_STMT_BEGIN: "begin",
        K.TRANS_STMT_START: "begin",
        K.TRANS_STMT_COMMIT: "commit",
        K.TRANS_STMT_ROLLBACK: "rollback",
    }.get(node.kind or K.TRANS_STMT_BEGIN, "other")


def _cut_before_error(data: bytes, location: int) -> int:
    """Byte offset just after the last top-level `;` before `location` (0 when none)."""
    from pglast.parser import scan

    cut = 0
    try:
        tokens = scan(data.decode("utf-8", "replace"))
    except Exception:  # the scanner itself gave up (an unterminated string or comment)
        return 0
    for tok in tokens:
        if tok.end >= location:
            break
        if tok.name == "ASCII_59":
            cut = tok.end + 1
    return cut


def split_sql(
    text: str, path: str, *, line_offset: int = 0
) -> tuple[list[Statement], list[NotTraced]]:
    """The statements of a SQL script, each with its lines in the file. A statement PostgreSQL's
    grammar does not accept (another dialect, a psql meta-command, a typo in a keyword) ends the
    script there: it and what follows are listed as not traced, never guessed at."""
    from pglast import ast as A
    from pglast import parse_sql
    from pglast.parser import ParseError

    data = text.encode("utf-8")
    skipped: list[NotTraced] = []
    try:
        raw = parse_sql(text)
    except ParseError as exc:
        location = int(exc.args[1]) if len(exc.args) > 1 else 0
        cut = _cut_before_error(data, location)
        bad_line = data[:location].count(b"\n") + 1 + line_offset
        skipped.append(
            NotTraced(
                path,
                f"not PostgreSQL syntax ({exc.args[0]}): this statement and the rest of the file were not run",
                bad_line,
            )
        )
        try:
            raw = parse_sql(data[:cut].decode("utf-8", "replace")) if cut else ()
        except ParseError:
            raw = ()
    out: list[Statement] = []
    for rs in raw:
        loc = rs.stmt_location or 0
        length = rs.stmt_len or (len(data) - loc)
        chunk = data[loc : loc + length].decode("utf-8", "replace")
        lead = skip_space_and_comments(chunk, 0)
        body = chunk[lead:].rstrip()
        if not body:
            continue
        start = len(data[:loc].decode("utf-8", "replace")) + lead
        line = text.count("\n", 0, start) + 1 + line_offset
        end_line = line + body.count("\n")
        node = rs.stmt
        out.append(
            Statement(
                path,
                line,
                end_line,
                body,
                transaction_control=isinstance(node, A.TransactionStmt),
                plain_sql=_plain_form(node),
                control=_control_kind(node),
            )
        )
    return out, skipped


# -- SQL of one migration file ------------------------------------------------------------------------


def _sql_literal(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Call) and _callee(node) == "text" and node.args:
        node = node.args[0]
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, (ast.List, ast.Tuple)):
        parts = [_sql_literal(e) for e in node.elts]
        if all(p is not None for p in parts):
            return ";\n".join(p for p in parts if p)
    return None


def _python_sql(mf: MigrationFile, text: str) -> tuple[list[Statement], list[NotTraced]]:
    """Literal SQL of Django `RunSQL` / Alembic `op.execute`; every other operation is listed."""
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        return [], [NotTraced(mf.path, f"not valid Python (line {exc.lineno})")]
    stmts: list[Statement] = []
    skipped: list[NotTraced] = []
    if mf.framework == "django":
        calls: list[ast.Call] = []
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == "operations" for t in node.targets)
                and isinstance(node.value, (ast.List, ast.Tuple))
            ):
                calls = [e for e in node.value.elts if isinstance(e, ast.Call)]
        for call in calls:
            name = _callee(call)
            if name == "RunSQL":
                sql = _sql_literal(_arg(call, 0, "sql"))
                if sql is None:
                    skipped.append(
                        NotTraced(mf.path, "RunSQL with computed SQL", call.lineno, name)
                    )
                    continue
                found, bad = split_sql(sql, mf.path, line_offset=call.lineno - 1)
                stmts.extend(found)
                skipped.extend(bad)
            else:
                skipped.append(
                    NotTraced(
                        mf.path,
                        "a Django operation with no literal SQL (`manage.py sqlmigrate` shows its SQL)",
                        call.lineno,
                        name,
                    )
                )
        return stmts, skipped
    upgrade = next(
        (n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "upgrade"), None
    )
    if upgrade is None:
        return [], [NotTraced(mf.path, "no upgrade() function")]
    for node in ast.walk(upgrade):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        owner = node.func.value
        owner_name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", "")
        if owner_name not in ("op", "batch_op"):
            continue
        name = node.func.attr
        if name == "execute":
            sql = _sql_literal(_arg(node, 0, "sqltext"))
            if sql is None:
                skipped.append(NotTraced(mf.path, "op.execute with computed SQL", node.lineno))
                continue
            found, bad = split_sql(sql, mf.path, line_offset=node.lineno - 1)
            stmts.extend(found)
            skipped.extend(bad)
        elif name not in ("get_bind", "get_context", "batch_alter_table", "f", "inline_literal"):
            skipped.append(
                NotTraced(
                    mf.path,
                    "an Alembic operation with no literal SQL (`alembic upgrade --sql` shows its SQL)",
                    node.lineno,
                    f"op.{name}",
                )
            )
    stmts.sort(key=lambda s: s.line)
    return stmts, skipped


def transaction_mode(mf: MigrationFile, text: str, statements: tuple[Statement, ...]) -> str:
    """How the tool runs one migration file on PostgreSQL (Script.transaction):

    - Flyway and Liquibase run each migration (Liquibase: each changeset, see changesets()) in a
      transaction of its own; goose, dbmate and Django too unless the file opts out
      (`-- +goose NO TRANSACTION`, `transaction:false`, `atomic = False`): what the static
      reader already decides (`Reading.in_transaction`).
    - golang-migrate and Prisma send the file as one query: PostgreSQL runs several statements
      of one simple query as one implicit transaction, a single statement alone (protocol docs,
      "Multiple Statements in a Simple Query"); a file with its own BEGIN/COMMIT decides itself.
    - Alembic's default env.py runs the whole upgrade in one transaction
      (`transaction_per_migration` is off): locks of one revision are held through the next.
    - sqitch scripts and plain SQL folders run statement by statement; their BEGIN/COMMIT count.
    """
    fw = mf.framework
    if fw == "alembic":
        return "run"
    if fw in ("golang-migrate", "prisma"):
        runnable = [s for s in statements if not s.transaction_control]
        own = any(s.transaction_control for s in statements)
        return "none" if own or len(runnable) <= 1 else "file"
    if fw in ("goose", "dbmate", "django"):
        from guardrail.analysis.migrations.detect import read

        return "file" if read(mf, text).in_transaction else "none"
    if fw in ("flyway", "liquibase"):
        return "file"
    return "none"


_EDITED = (
    "already ran where the base branch is deployed, and the pull request edits it: Liquibase "
    "runs a changeSet once (a changed one stops the update on its checksum, unless it has "
    "runOnChange or a validCheckSum), so the trace does not run it again"
)


def changesets(
    script: Script, text: str, ran: dict[tuple[str, str], str] | None = None
) -> tuple[list[Script], list[NotTraced]]:
    """A Liquibase formatted-SQL file as Liquibase runs it: each `--changeset` in a transaction
    of its own (committed before the next one starts), or none with `runInTransaction:false`.
    `ran`: the changesets of the file's base version (liquibase.ran_before), which databases
    already ran: not run again (one edited since is listed), unless `runOnChange:true`.
    Other files (and a Liquibase file without changesets) stay whole."""
    from guardrail.analysis.migrations.liquibase import formatted_sets

    skipped: list[NotTraced] = []
    if script.framework != "liquibase":
        return [script], skipped
    heads = formatted_sets(text)
    if not heads:
        return [script], skipped
    out: list[Script] = []
    for k, head in enumerate(heads):
        end = heads[k + 1].line if k + 1 < len(heads) else None
        mine = tuple(
            st for st in script.statements if st.line > head.line and (end is None or st.line < end)
        )
        if ran is not None and head.key in ran and not head.run_on_change:
            if ran[head.key] != head.fingerprint and mine:
                what = f"changeset {head.key[1]}:{head.key[0]}"
                skipped.append(NotTraced(script.path, _EDITED, head.line, what))
            continue
        if mine:
            mode = "file" if head.in_transaction else "none"
            out.append(Script(script.path, script.framework, mine, mode))
    before = [st for st in script.statements if st.line < heads[0].line]
    if before and ran is None:
        skipped.append(
            NotTraced(
                script.path,
                "SQL before the first `--changeset` belongs to no changeset: not run",
                before[0].line,
            )
        )
    return out, skipped


def _changelog(mf: MigrationFile, text: str) -> bool:
    """A Liquibase XML, YAML or JSON changelog (not formatted SQL)."""
    from guardrail.analysis.migrations.liquibase import formatted_sql

    return mf.framework == "liquibase" and not formatted_sql(text)


def script_for(
    mf: MigrationFile, text: str, read: Callable[[str], str | None] | None = None
) -> tuple[Script | None, list[NotTraced]]:
    """The runnable SQL of one migration file, and what of it cannot be run. `read(path)` gives
    another file of the same side (a Liquibase `sqlFile`). A Liquibase changelog's changeSets
    are one script here; scripts_for() keeps them apart, as Liquibase runs them."""
    fw = mf.framework
    if mf.role in ("down", "verify"):
        return None, [NotTraced(mf.path, f"a {mf.role} migration: the trace runs the up direction")]
    if _changelog(mf, text):
        parts, skipped = changelog_scripts(mf, text, read)
        merged = tuple(st for part in parts for st in part.statements)
        return Script(mf.path, fw, merged, "file"), skipped
    if fw == "goose" and mf.path.lower().endswith(".go"):
        # The literal SQL of the Up function; Go code besides it, and SQL built at run time,
        # are listed with their lines.
        from guardrail.analysis.migrations.goose_go import up_sql

        goose = up_sql(text)
        ran: list[Statement] = []
        unrun = [NotTraced(mf.path, why, at) for at, why in goose.unread]
        for sql, row in goose.pieces:
            part, bad = split_sql(sql, mf.path, line_offset=row)
            ran.extend(part)
            unrun.extend(bad)
        got = tuple(ran)
        return Script(mf.path, fw, got, transaction_mode(mf, text, got)), unrun
    if fw in SQL_FRAMEWORKS:
        sql, offset = up_section(text, fw) if fw in SECTION else (text, 0)
        stmts, skipped = split_sql(sql, mf.path, line_offset=offset)
        found = tuple(stmts)
        return Script(mf.path, fw, found, transaction_mode(mf, text, found)), skipped
    if fw in ("django", "alembic"):
        stmts, skipped = _python_sql(mf, text)
        found = tuple(stmts)
        return Script(mf.path, fw, found, transaction_mode(mf, text, found)), skipped
    return None, [
        NotTraced(
            mf.path,
            f"a {fw} migration: its operations are not SQL the trace can run "
            "(trace the SQL the framework generates instead)",
        )
    ]


def scripts_for(
    mf: MigrationFile,
    text: str,
    read: Callable[[str], str | None] | None = None,
    ran: dict[tuple[str, str], str] | None = None,
) -> tuple[list[Script], list[NotTraced]]:
    """The scripts of one migration file in the transactions its tool runs them in: one, or a
    Liquibase file's changesets (formatted SQL: changesets(); XML/YAML/JSON: changelog_scripts()).
    `ran`: for a Liquibase changelog the PR edits, the changeSets its base version holds."""
    if mf.role not in ("down", "verify") and _changelog(mf, text):
        return changelog_scripts(mf, text, read, ran)
    script, skipped = script_for(mf, text)
    if script is None or not script.statements:
        return [], skipped
    split, more = changesets(script, text, ran)
    return split, skipped + more


# -- Liquibase XML/YAML/JSON changelogs -------------------------------------------------------------

# Changes that run no SQL of the schema: a tag in DATABASECHANGELOG, a message, nothing.
_LIQUIBASE_NO_SQL = frozenset({"tagDatabase", "output", "empty"})


def _changeset_label(cs: ChangeSet) -> str:
    return f"changeSet {cs.id or '?'} by {cs.author or '?'}"


def _changeset_not_run(cs: ChangeSet) -> str:
    """Why Liquibase may not run a changeSet as written on PostgreSQL, or ""."""
    from guardrail.analysis.migrations.liquibase import runs_on_postgresql

    attrs = cs.attrs
    if cs.pre_on_fail and cs.pre_on_fail.upper() != "HALT":
        return (
            f"runs only when its preConditions hold (onFail {cs.pre_on_fail}); the trace does "
            "not evaluate them"
        )
    if any(runs_on_postgresql(dbms) for dbms in cs.modify_sql):
        return "its SQL is rewritten by `modifySql` when Liquibase runs it"
    if attrs.get("failOnError", "true").strip().lower() == "false":
        return "failOnError is false: Liquibase goes on past a failure, so a trace failure would say nothing"
    contexts = attrs.get("context") or attrs.get("contexts") or attrs.get("labels")
    if contexts:
        return (
            f"runs only in the contexts or labels {contexts}; the trace does not know which "
            "ones production runs"
        )
    return ""


def _sql_file_path(changelog: str, change: Change, read: Callable[[str], str | None]) -> str | None:
    """The checkout path of a `sqlFile` change's file, or None when none is found inside the
    checkout: next to the changelog with relativeToChangelogFile, else from a classpath root
    (a `resources/` folder above the changelog, then the repository root)."""
    raw = str(change.attrs.get("path") or "").strip()
    raw = raw.removeprefix("classpath:").removeprefix("classpath*:").lstrip("/")
    if not raw:
        return None
    relative = str(change.attrs.get("relativeToChangelogFile", "false")).lower() == "true"
    folder = changelog.rsplit("/", 1)[0] if "/" in changelog else ""
    roots: list[str] = [folder] if relative else []
    if not relative:
        parts = changelog.split("/")[:-1]
        roots += [
            "/".join(parts[: i + 1])
            for i in range(len(parts) - 1, -1, -1)
            if parts[i] == "resources"
        ]
        roots.append("")
    for root in roots:
        candidate = (
            posixpath.normpath(posixpath.join(root, raw)) if root else posixpath.normpath(raw)
        )
        if candidate.startswith(("../", "/")) or candidate == "..":
            continue
        if read(candidate) is not None:
            return candidate
    return None


def _change_sql(
    mf: MigrationFile, cs: ChangeSet, change: Change, read: Callable[[str], str | None] | None
) -> tuple[list[Statement], list[NotTraced]]:
    """The statements of one `sql`, `createProcedure` or `sqlFile` change, or why not."""
    what = f"{change.kind} in {_changeset_label(cs)}"
    delimiter = str(change.attrs.get("endDelimiter") or ";").strip()
    if delimiter != ";":
        return [], [
            NotTraced(
                mf.path,
                f"splits its SQL at {delimiter!r}, not at `;`: not run",
                change.line,
                what,
            )
        ]
    if change.kind == "sqlFile":
        found = _sql_file_path(mf.path, change, read) if read is not None else None
        text = read(found) if read is not None and found is not None else None
        if found is None or text is None:
            return [], [
                NotTraced(
                    mf.path,
                    f"its file {change.attrs.get('path')!s} is not in the checkout: not run",
                    change.line,
                    what,
                )
            ]
        path, offset, sql = found, 0, text
    else:
        path, offset, sql = mf.path, change.text_line - 1, change.text
    if "${" in sql:
        return [], [
            NotTraced(
                mf.path,
                "uses changelog properties (`${…}`) Liquibase fills in when it runs: not run",
                change.line,
                what,
            )
        ]
    stmts, bad = split_sql(sql, path, line_offset=offset)
    if change.one_line:  # JSON: the SQL is one string written on one line
        stmts = [replace(s, line=change.text_line, end_line=change.text_line) for s in stmts]
    return stmts, bad


def changelog_scripts(
    mf: MigrationFile,
    text: str,
    read: Callable[[str], str | None] | None = None,
    ran: dict[tuple[str, str], str] | None = None,
) -> tuple[list[Script], list[NotTraced]]:
    """A Liquibase XML/YAML/JSON changelog as Liquibase runs it on PostgreSQL: each changeSet in a
    transaction of its own (none with runInTransaction false), its `sql`, `createProcedure` and
    `sqlFile` changes as the literal SQL they are. Changes Liquibase generates the SQL of
    (createTable, addColumn, …) and changeSets it may run differently are listed by line,
    changeSet id and author. What Liquibase skips on PostgreSQL (`dbms`) is skipped, and so is
    a changeSet of `ran` (the base version's: it already ran; listed when edited since), unless
    it has runOnChange."""
    from guardrail.analysis.migrations import liquibase

    try:
        sets = liquibase.changesets(text, mf.path)
    except (liquibase.NotUnderstood, AliasBomb, RecursionError) as exc:
        return [], [NotTraced(mf.path, f"the changelog could not be read ({exc}): not run", None)]
    scripts: list[Script] = []
    skipped: list[NotTraced] = []
    for cs in sets:
        if not liquibase.runs_on_postgresql(cs.attrs.get("dbms", "")):
            continue  # Liquibase does not run it on PostgreSQL, nor does the trace
        again = cs.attrs.get("runOnChange", "false").strip().lower() == "true"
        if ran is not None and (cs.id, cs.author) in ran and not again:
            if ran[(cs.id, cs.author)] != liquibase.fingerprint(cs):
                skipped.append(NotTraced(mf.path, _EDITED, cs.line, _changeset_label(cs)))
            continue
        why = _changeset_not_run(cs)
        if why:
            skipped.append(NotTraced(mf.path, why, cs.line, _changeset_label(cs)))
            continue
        stmts: list[Statement] = []
        for change in cs.changes:
            if change.kind in _LIQUIBASE_NO_SQL:
                continue
            if change.kind not in ("sql", "createProcedure", "sqlFile"):
                skipped.append(
                    NotTraced(
                        mf.path,
                        "a Liquibase change with no literal SQL (Liquibase writes its SQL; "
                        "`liquibase update-sql` prints it)",
                        change.line,
                        f"{change.kind} in {_changeset_label(cs)}",
                    )
                )
                continue
            if not liquibase.runs_on_postgresql(str(change.attrs.get("dbms") or "")):
                continue
            found, bad = _change_sql(mf, cs, change, read)
            stmts.extend(found)
            skipped.extend(bad)
        if stmts:
            mode = "file" if liquibase.in_transaction(cs) else "none"
            scripts.append(Script(mf.path, mf.framework, tuple(stmts), mode))
    return scripts, skipped


def sql_files(mf: MigrationFile, text: str, read: Callable[[str], str | None]) -> set[str]:
    """The checkout paths of the SQL files a changelog's `sqlFile` changes run: Liquibase runs
    them from the changelog, so they are not migrations of their own for the trace."""
    from guardrail.analysis.migrations import liquibase

    if mf.framework != "liquibase" or liquibase.formatted_sql(text):
        return set()
    try:
        sets = liquibase.changesets(text, mf.path)
    except (liquibase.NotUnderstood, AliasBomb, RecursionError):
        return set()
    out: set[str] = set()
    for cs in sets:
        for change in cs.changes:
            if change.kind == "sqlFile":
                found = _sql_file_path(mf.path, change, read)
                if found is not None:
                    out.add(found)
    return out


# -- (order: analysis/migrations/order.py) ------------------------------------------------------------------------------------------


def _added_text(patch: str) -> str:
    """A new file's text from its patch (every line is an added line)."""
    from guardrail.analysis.diff import parse_patch

    out: list[str] = []
    for ln in parse_patch(patch).added:
        while len(out) < ln.number - 1:
            out.append("")
        out.append(ln.text)
    return "\n".join(out) + "\n"


_GOOSE_GO_NAME = re.compile(r"\d+_\w+\.go")


def _goose_go_name(path: str) -> bool:
    """A Go file named like a goose migration (`00002_rename_root.go`): only its content tells
    (detect), so it is read; other Go files of the tree are not."""
    return _GOOSE_GO_NAME.fullmatch(path.rsplit("/", 1)[-1]) is not None


# -- the plan --------------------------------------------------------------------------------------


@dataclass
class _Collected:
    files: list[MigrationFile] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)
    # Liquibase changelogs the PR edits: the changeSets of their base version (already ran).
    ran: dict[str, dict[tuple[str, str], str]] = field(default_factory=dict)


def _collect_change(
    pr: PullRequest,
    read: Callable[[str, str], str | None],
    include: tuple[str, ...],
    exclude: tuple[str, ...],
) -> tuple[_Collected, list[NotTraced]]:
    """The PR's new migrations (and the Liquibase changelogs it adds changeSets to)."""
    change = _Collected()
    skipped: list[NotTraced] = []
    for f in pr.files:
        if f.status == "removed" or f.binary:
            continue
        kind = detect(f.path, include=include, exclude=exclude)
        text = (
            read("head", f.path)
            if (kind or f.path.lower().endswith((".sql", ".py")) or _goose_go_name(f.path))
            else None
        )
        if text is None and f.status == "added" and f.patch is not None:
            text = _added_text(f.patch)
        if text is not None:
            kind = detect(f.path, text, include=include, exclude=exclude) or kind
        if kind is None:
            continue
        if (
            f.status in ("modified", "changed")
            and kind.framework == "liquibase"
            and text is not None
            and (ran := ran_before(read("base", f.path), f.path)) is not None
        ):
            # Liquibase runs the changeSets a database has not run yet, wherever they are
            # written: the ones the PR adds to an existing changelog run, the others already ran.
            change.files.append(kind)
            change.texts[f.path] = text
            change.ran[f.path] = ran
            continue
        if f.status in ("modified", "renamed", "changed"):
            skipped.append(
                NotTraced(
                    f.path,
                    "changes a migration that already exists on the base branch; databases "
                    "that ran it will not run it again, so the trace runs new migrations only",
                )
            )
            continue
        if text is None:
            skipped.append(NotTraced(f.path, "its content could not be read"))
            continue
        change.files.append(kind)
        change.texts[f.path] = text

    return change, skipped


def build(
    pr: PullRequest,
    read: Callable[[str, str], str | None],
    base_tree: Iterable[str],
    *,
    include: tuple[str, ...] = (),
    exclude: tuple[str, ...] = (),
) -> TracePlan:
    """The base branch's migrations (every migration file in `base_tree`) and the PR's new ones.

    `read(side, path)` gives a file's text at "base" or "head"; `base_tree` lists the files of the
    base commit. A migration the PR modifies or renames already ran on every database at the base:
    it is listed, not re-run.
    """
    base = _Collected()
    for path in base_tree:
        kind = detect(path, include=include, exclude=exclude)
        if kind is None and not path.lower().endswith(".sql") and not _goose_go_name(path):
            continue
        text = read("base", path)
        if text is None:
            continue
        kind = detect(path, text, include=include, exclude=exclude) or kind
        if kind is None or kind.role in ("down", "verify"):
            continue
        base.files.append(kind)
        base.texts[path] = text

    change, skipped = _collect_change(pr, read, include, exclude)

    def base_read(path: str) -> str | None:
        return read("base", path)

    def head_read(path: str) -> str | None:
        return read("head", path)

    # A Liquibase `sqlFile` runs from its changelog, not as a migration of its own.
    for side, reader in ((base, base_read), (change, head_read)):
        run_by_changelogs: set[str] = set()
        for mf in side.files:
            run_by_changelogs |= sql_files(mf, side.texts[mf.path], reader)
        side.files = [mf for mf in side.files if mf.path not in run_by_changelogs]

    base_scripts: list[Script] = []
    base_skipped: list[NotTraced] = []
    for mf in order(base.files, base.texts, base_read):
        scripts, bad = scripts_for(mf, base.texts[mf.path], base_read)
        base_skipped.extend(bad)
        base_scripts.extend(scripts)
    change_scripts: list[Script] = []
    for mf in order(change.files, change.texts, head_read):
        scripts, bad = scripts_for(mf, change.texts[mf.path], head_read, change.ran.get(mf.path))
        skipped.extend(bad)
        change_scripts.extend(scripts)
    return TracePlan(
        base=tuple(base_scripts),
        change=tuple(change_scripts),
        not_traced=tuple(skipped),
        base_not_traced=tuple(base_skipped),
        base_files=len(base.files),
    )


def short(text: str, limit: int = 120) -> str:
    return _short(text, limit)
