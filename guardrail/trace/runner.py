"""Run a trace plan on a PostgreSQL and record what each statement did (I/O: a database).

Everything happens in a scratch database created for the run and dropped after it, so a server
of the user's (`--database-url`) keeps nothing. The base schema is built statement by statement
in autocommit (a base statement PostgreSQL refuses is recorded with its message, and the build
goes on). Then every table gets one row of the old shape, so that NOT NULL, unique and foreign
key checks meet data as they do in production. Last, the PR's migrations run in deploy order,
each in the transactions its tool would open (one per file for most tools, one for the whole run
for Alembic, none for plain SQL and files that opt out: plan.transaction_mode), one statement at
a time under a savepoint, with the backend's own `pg_locks` and every relation's `relfilenode`
read before and after. So a lock is held across files only where the tool holds it; a statement
that runs outside a transaction gets a transaction of its own for the reading, unless it cannot
run in one (CONCURRENTLY), which then runs as the tool runs it. The scratch database is dropped
at the end.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from guardrail.trace.model import (
    BaseSchema,
    Lock,
    NotTraced,
    PgError,
    StatementTrace,
    TraceResult,
    lock_rank,
)
from guardrail.trace.plan import Script, Statement, TracePlan, short

STATEMENT_TIMEOUT = "60s"
_USER_SCHEMAS = (
    "n.nspname NOT IN ('pg_catalog', 'information_schema') "
    "AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'"
)
# One round trip for both: the backend's own relation locks, and every relation's storage file.
_SNAPSHOT_SQL = f"""
SELECT 'l', c.oid, n.nspname, c.relname, c.relkind, l.mode
FROM pg_locks l
JOIN pg_class c ON c.oid = l.relation
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.granted AND {_USER_SCHEMAS}
UNION ALL
SELECT 'f', c.oid, n.nspname, c.relname, c.relkind, c.relfilenode::text
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'm', 'i') AND {_USER_SCHEMAS}
"""
_KIND = {"r": "table", "p": "table", "i": "index", "I": "index", "S": "sequence", "v": "view",
         "m": "view", "t": "toast"}  # fmt: skip


def _name(nspname: str, relname: str) -> str:
    return relname if nspname == "public" else f"{nspname}.{relname}"


def _error(exc: Exception) -> PgError:
    diag = getattr(exc, "diag", None)
    message = (getattr(diag, "message_primary", None) or str(exc)).strip()
    return PgError(
        sqlstate=str(getattr(exc, "sqlstate", None) or getattr(diag, "sqlstate", "") or ""),
        message=message,
        detail=(getattr(diag, "message_detail", None) or "").strip(),
        hint=(getattr(diag, "message_hint", None) or "").strip(),
    )


@dataclass
class _Snapshot:
    locks: dict[tuple[int, str], tuple[str, str]]  # (oid, mode) -> (name, kind)
    files: dict[int, tuple[str, str, int]]  # oid -> (name, relkind, relfilenode)


class _Session:
    """One connection to the scratch database, autocommit: the trace writes BEGIN itself."""

    def __init__(self, conninfo: str) -> None:
        import psycopg

        self.psycopg = psycopg
        self.conn: Any = psycopg.connect(conninfo, autocommit=True)
        self.conn.execute(f"SET statement_timeout = '{STATEMENT_TIMEOUT}'")

    def run(self, sql: str) -> PgError | None:
        try:
            self.conn.execute(sql.encode("utf-8"))
        except self.psycopg.Error as exc:
            return _error(exc)
        return None

    def rows(self, sql: str, params: tuple[object, ...] | None = None) -> list[tuple[Any, ...]]:
        cur = self.conn.execute(sql, params)
        return list(cur.fetchall())

    def snapshot(self) -> _Snapshot:
        locks: dict[tuple[int, str], tuple[str, str]] = {}
        files: dict[int, tuple[str, str, int]] = {}
        for what, oid, nsp, rel, kind, value in self.rows(_SNAPSHOT_SQL):
            if what == "l":
                locks[(int(oid), str(value))] = (_name(nsp, rel), _KIND.get(str(kind), "other"))
            else:
                files[int(oid)] = (_name(nsp, rel), str(kind), int(value))
        return _Snapshot(locks, files)

    def close(self) -> None:
        self.conn.close()


@contextmanager
def scratch_database(conninfo: str, *, create: bool = True) -> Iterator[tuple[str, str]]:
    """(conninfo to trace with, server version). `create`: a new empty database, dropped on
    exit; False: the database of `conninfo` itself (a throwaway server's).

    The trace logs in as a role made for the run, with no privilege beyond owning that database:
    the PR's SQL is untrusted, and as a superuser it could run programs (`COPY … PROGRAM`), read
    the server's files or load C code. When the server does not let us make a role (no
    CREATEROLE), the trace runs as the user of `conninfo`, whose privileges the user chose."""
    import psycopg
    from psycopg import sql as S
    from psycopg.conninfo import make_conninfo

    name = f"guardrail_trace_{secrets.token_hex(4)}"
    password = secrets.token_urlsafe(24)
    with psycopg.connect(conninfo, autocommit=True) as admin:
        version = str(admin.execute("SHOW server_version").fetchone()[0]).split()[0]  # type: ignore[index]
        try:
            admin.execute(
                S.SQL(
                    "CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION "
                    "PASSWORD {}"
                ).format(S.Identifier(name), S.Literal(password))
            )
            login: dict[str, str] = {"user": name, "password": password}
        except psycopg.Error:
            login = {}
        owner = S.SQL(" OWNER {}").format(S.Identifier(name)) if login else S.SQL("")
        if not create:
            if login:
                admin.execute(
                    S.SQL("ALTER DATABASE {} OWNER TO {}").format(
                        S.Identifier(str(admin.info.dbname)), S.Identifier(name)
                    )
                )
            yield make_conninfo(conninfo, **login), version
            return
        try:
            admin.execute(
                S.SQL("CREATE DATABASE {} TEMPLATE template0{}").format(S.Identifier(name), owner)
            )
        except psycopg.Error as exc:
            from guardrail.errors import InputError

            raise InputError(
                f"the trace could not create its scratch database: {_error(exc).message}",
                "use a role with CREATEDB (a service container's POSTGRES_USER has it)",
            ) from None
        try:
            yield make_conninfo(conninfo, dbname=name, **login), version
        finally:
            admin.execute(
                S.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(S.Identifier(name))
            )
            if login:
                admin.execute(S.SQL("DROP ROLE IF EXISTS {}").format(S.Identifier(name)))


# -- the base schema -------------------------------------------------------------------------------


def _build_base(session: _Session, plan: TracePlan) -> tuple[int, list[NotTraced]]:
    """Every base statement in autocommit, except inside a BEGIN … COMMIT/ROLLBACK the file
    writes: that block ends as written, so what a base migration rolled back is not in the
    schema (each statement under a savepoint, so a refused one does not abort the block)."""
    count = 0
    failed: list[NotTraced] = []
    for script in plan.base:
        block = False
        for st in script.statements:
            if st.transaction_control:
                if st.control == "begin" and not block:
                    block = session.run("BEGIN") is None
                elif st.control in ("commit", "rollback") and block:
                    session.run(st.control.upper())
                    block = False
                continue
            count += 1
            if block:
                session.run("SAVEPOINT gr_base")
            err = session.run(st.sql)
            if block:
                session.run(f"{'ROLLBACK TO' if err is not None else 'RELEASE'} SAVEPOINT gr_base")
            if err is not None:
                failed.append(
                    NotTraced(
                        st.path, f"PostgreSQL refused it: {err.message}", st.line, short(st.sql, 80)
                    )
                )
        if block:
            session.run("COMMIT")  # never ended: kept, as later base migrations were written on it
    return count, failed


# -- one row of the old shape in every table -----------------------------------------------------------

_COLUMNS_SQL = f"""
SELECT c.oid, n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod),
       coalesce(bt.typtype, t.typtype), coalesce(bt.typcategory, t.typcategory),
       coalesce(bt.typname, t.typname), a.attnotnull, a.attgenerated, a.attidentity,
       pg_get_expr(d.adbin, d.adrelid)
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_type bt ON t.typtype = 'd' AND bt.oid = t.typbasetype
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND {_USER_SCHEMAS}
  AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.objid = c.oid AND e.deptype = 'e')
ORDER BY c.oid, a.attnum
"""
_FKS_SQL = """
SELECT con.conrelid, con.confrelid, a.attname, fa.attname, fn.nspname, fc.relname
FROM pg_constraint con
JOIN LATERAL unnest(con.conkey, con.confkey) AS k(col, fcol) ON true
JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.col
JOIN pg_attribute fa ON fa.attrelid = con.confrelid AND fa.attnum = k.fcol
JOIN pg_class fc ON fc.oid = con.confrelid
JOIN pg_namespace fn ON fn.oid = fc.relnamespace
WHERE con.contype = 'f'
"""
# A literal per type (by name, then by category), cast to the column's type by the server.
_BY_TYPE = {
    "uuid": "00000000-0000-0000-0000-000000000001",
    "json": "{}",
    "jsonb": "{}",
    "bytea": "\\x00",
    "xml": "<x/>",
    "tsvector": "x",
    "tsquery": "x",
    "interval": "1 day",
    "inet": "127.0.0.1",
    "cidr": "127.0.0.0/8",
    "macaddr": "08:00:2b:01:02:03",
    "macaddr8": "08:00:2b:01:02:03:04:05",
    "money": "1",
    "point": "(0,0)",
    "bit": "1",
    "varbit": "1",
    "oid": "1",
}
_BY_CATEGORY = {
    "B": "true",
    "N": "1",
    "S": "x",
    "D": "2000-01-01 00:00:00+00",
    "T": "1 day",
    "A": "{}",
    "I": "127.0.0.1",
    "R": "empty",
}


@dataclass
class _Column:
    name: str
    type_sql: str
    typtype: str
    category: str
    typname: str
    not_null: bool
    skip: bool  # generated, identity or sequence default: the server fills it


def _value_sql(col: _Column) -> Any:
    from psycopg import sql as S

    cast = S.SQL(col.type_sql)  # format_type() output: a type name the server printed itself
    if col.typtype == "e":
        return S.SQL("(enum_range(NULL::{}))[1]").format(cast)
    if col.category == "D":
        return S.SQL("{}::timestamptz::{}").format(S.Literal(_BY_CATEGORY["D"]), cast)
    literal = _BY_TYPE.get(col.typname) or _BY_CATEGORY.get(col.category)
    if literal is None:
        return S.SQL("NULL") if not col.not_null else S.SQL("{}::{}").format(S.Literal("1"), cast)
    return S.SQL("{}::{}").format(S.Literal(literal), cast)


_Tables = dict[int, tuple[str, str, list[_Column]]]  # oid -> (schema, table, columns)
# (child oid, column) -> (parent oid, parent column, parent schema, parent table)
_ForeignKeys = dict[tuple[int, str], tuple[int, str, str, str]]


def _seed(session: _Session) -> tuple[int, int, list[tuple[str, str]]]:
    """(tables, filled, unfilled with why): one row per table, parents before children."""
    tables = _catalog_tables(session)
    fks, parents = _foreign_keys(session)
    session.run("BEGIN")
    unfilled: dict[int, str] = {}
    remaining = _parents_first(tables, parents)
    for _attempt in range(3):  # later passes catch tables whose parents filled late
        still: list[int] = []
        for oid in remaining:
            err = _insert_row(session, tables, fks, oid, nulls=False)
            if err is not None:  # CHECK constraints often accept NULL
                err = _insert_row(session, tables, fks, oid, nulls=True)
            if err is None:
                unfilled.pop(oid, None)
            else:
                unfilled[oid] = err.message
                still.append(oid)
        if len(still) == len(remaining):
            break
        remaining = still
    session.run("COMMIT")
    out = [(_name(tables[o][0], tables[o][1]), why) for o, why in unfilled.items()]
    return len(tables), len(tables) - len(unfilled), sorted(out)


def _catalog_tables(session: _Session) -> _Tables:
    """Every table of the catalogue with its columns, as the server describes them."""
    tables: _Tables = {}
    for (
        oid,
        nsp,
        rel,
        att,
        type_sql,
        typtype,
        cat,
        typname,
        notnull,
        gen,
        ident,
        default,
    ) in session.rows(_COLUMNS_SQL):
        entry = tables.setdefault(int(oid), (str(nsp), str(rel), []))
        skip = bool(gen) or bool(ident) or "nextval(" in str(default or "")
        entry[2].append(
            _Column(
                str(att), str(type_sql), str(typtype), str(cat), str(typname), bool(notnull), skip
            )
        )
    return tables


def _foreign_keys(session: _Session) -> tuple[_ForeignKeys, dict[int, set[int]]]:
    """Each foreign-key column with what it references, and each table's parent tables."""
    fks: _ForeignKeys = {}
    parents: dict[int, set[int]] = {}
    for child, parent, col, pcol, pnsp, prel in session.rows(_FKS_SQL):
        fks[(int(child), str(col))] = (int(parent), str(pcol), str(pnsp), str(prel))
        if int(parent) != int(child):
            parents.setdefault(int(child), set()).add(int(parent))
    return fks, parents


def _parents_first(tables: _Tables, parents: dict[int, set[int]]) -> list[int]:
    """The tables' oids, each after the tables it references (cycles broken where met)."""
    ordered: list[int] = []
    seen: set[int] = set()

    def visit(oid: int, depth: int = 0) -> None:
        if oid in seen or depth > 1000:
            return
        seen.add(oid)
        for p in sorted(parents.get(oid, ())):
            if p in tables:
                visit(p, depth + 1)
        ordered.append(oid)

    for oid in sorted(tables):
        visit(oid)
    return ordered


def _insert_row(
    session: _Session, tables: _Tables, fks: _ForeignKeys, oid: int, nulls: bool
) -> PgError | None:
    """One row into the table, in a savepoint: a reference takes the parent's first row, a
    nullable column NULL when `nulls`, any other column a value of its type."""
    from psycopg import sql as S

    nsp, rel, cols = tables[oid]
    names: list[Any] = []
    values: list[Any] = []
    for col in cols:
        if col.skip:
            continue
        ref = fks.get((oid, col.name))
        value: Any
        if ref is not None:
            _parent, pcol, pnsp, prel = ref
            value = S.SQL("(SELECT {} FROM {} LIMIT 1)").format(
                S.Identifier(pcol), S.Identifier(pnsp, prel)
            )
        elif nulls and not col.not_null:
            value = S.SQL("NULL")
        else:
            value = _value_sql(col)
        names.append(S.Identifier(col.name))
        values.append(value)
    target = S.Identifier(nsp, rel)
    if names:
        query = S.SQL("INSERT INTO {} ({}) VALUES ({})").format(
            target, S.SQL(", ").join(names), S.SQL(", ").join(values)
        )
    else:
        query = S.SQL("INSERT INTO {} DEFAULT VALUES").format(target)
    session.run("SAVEPOINT gr_seed")
    try:
        session.conn.execute(query)
    except session.psycopg.Error as exc:
        session.run("ROLLBACK TO SAVEPOINT gr_seed")
        return _error(exc)
    session.run("RELEASE SAVEPOINT gr_seed")
    return None


# -- the PR's statements ------------------------------------------------------------------------------


def _observe(
    st: Statement, before: _Snapshot, after: _Snapshot, base_oids: set[int]
) -> tuple[tuple[Lock, ...], tuple[Lock, ...], tuple[str, ...], tuple[str, ...]]:
    new = [
        Lock(name, mode, kind, oid not in base_oids)
        for (oid, mode), (name, kind) in after.locks.items()
        if (oid, mode) not in before.locks
    ]
    strongest: dict[int, tuple[str, str, str]] = {}
    for (oid, mode), (name, kind) in after.locks.items():
        cur = strongest.get(oid)
        if cur is None or lock_rank(mode) > lock_rank(cur[1]):
            strongest[oid] = (name, mode, kind)
    held = [Lock(n, m, k, oid not in base_oids) for oid, (n, m, k) in strongest.items()]
    rewrote: list[str] = []
    rebuilt: list[str] = []
    for oid, (name, kind, node) in after.files.items():
        old = before.files.get(oid)
        if old is None or old[2] == node or oid not in base_oids:
            continue  # a relation the PR created itself: rewriting it costs nothing
        if kind in ("r", "m"):
            rewrote.append(name)
        elif kind == "i":
            rebuilt.append(name)
    order = {"table": 0, "index": 1}
    new.sort(key=lambda lk: (order.get(lk.kind, 2), lk.relation, -lock_rank(lk.mode)))
    held.sort(key=lambda lk: (order.get(lk.kind, 2), lk.relation))
    return tuple(new), tuple(held), tuple(sorted(rewrote)), tuple(sorted(rebuilt))


class _Transactions:
    """The transactions the migration tool would open, as the trace runs them: one per file
    (most tools; one per changeset for Liquibase), one for the whole run (Alembic), or none (each
    statement on its own, and the file's own BEGIN/COMMIT). They end as PostgreSQL would end
    them: committed when the file (or run) ends, rolled back where the file writes ROLLBACK or
    a statement fails, so later migrations see what production would see. The scratch
    database (or the throwaway server) is dropped after the run, so nothing of it stays."""

    def __init__(self, session: _Session) -> None:
        self.session = session
        self.open = False
        self.state: _Snapshot | None = None  # the snapshot after the last statement

    def begin(self) -> None:
        if not self.open:
            self.session.run("BEGIN")
            self.open = True
            self.state = self.session.snapshot()

    def end(self, how: str = "COMMIT") -> None:
        if self.open:
            self.session.run(how)
            self.open = False
            self.state = None


def _control(tx: _Transactions, st: Statement) -> StatementTrace:
    """BEGIN/COMMIT/ROLLBACK written in the file, run as PostgreSQL would run them."""
    kind = st.control
    if kind == "begin":
        if tx.open:
            note = "BEGIN inside an open transaction: PostgreSQL ignores it with a warning"
        else:
            tx.begin()
            note = "BEGIN: what follows runs in one transaction"
    elif kind == "commit":
        if tx.open:
            tx.end()
            note = "COMMIT: the locks taken so far are released here"
        else:
            note = "COMMIT outside a transaction: PostgreSQL warns and does nothing"
    elif kind == "rollback":
        if tx.open:
            # Undone as PostgreSQL undoes it: later statements and files do not see it.
            tx.end("ROLLBACK")
            note = (
                "ROLLBACK: what ran since the transaction began is undone (the trace does not "
                "keep it either), and its locks are released here"
            )
        else:
            note = f"{kind.upper()} outside a transaction: PostgreSQL warns and does nothing"
    else:
        note = "transaction control the trace does not run"
    return StatementTrace(st.path, st.line, st.end_line, short(st.sql), note=note)


def _run_change(session: _Session, plan: TracePlan) -> tuple[list[StatementTrace], list[NotTraced]]:
    """The PR's migrations in deploy order. At the first statement PostgreSQL refuses, the
    migration tool stops: the failing migration's own transaction rolls back (Alembic's, the
    whole run's), and no later migration runs. So does the trace, and it lists what it did not
    run and why."""
    base_oids = {int(r[0]) for r in session.rows("SELECT oid FROM pg_class")}
    traces: list[StatementTrace] = []
    skipped: list[NotTraced] = []
    tx = _Transactions(session)
    previous = ""
    failed: Statement | None = None
    try:
        for n, script in enumerate(plan.change):
            if tx.open and not (script.transaction == previous == "run"):
                tx.end()  # the previous file's own transaction ends with it
            if script.transaction in ("file", "run"):
                tx.begin()
            for i, st in enumerate(script.statements):
                if st.transaction_control:
                    traces.append(_control(tx, st))
                    continue
                trace = _run_one(session, tx, st, base_oids)
                traces.append(trace)
                if trace.error is not None and not _not_runnable_here(trace):
                    failed = st
                    rest = [s for s in script.statements[i + 1 :] if not s.transaction_control]
                    if rest:
                        skipped.append(
                            NotTraced(
                                st.path,
                                f"not run: the statement at line {st.line} failed first, and a "
                                "migration stops at its first error",
                                rest[0].line,
                                f"{len(rest)} statement{'s' if len(rest) != 1 else ''}",
                                after_failure=True,
                            )
                        )
                    break
            if failed is not None:
                tx.end("ROLLBACK")  # the tool's transaction fails with its statement
                skipped.extend(_stopped(failed, plan.change[n + 1 :]))
                break
            if script.transaction != "run":
                tx.end()
            previous = script.transaction
        tx.end()
    finally:
        if tx.open:
            tx.end("ROLLBACK")
    return traces, skipped


# SQLSTATEs of CREATE EXTENSION for an extension the server does not have: feature_not_supported
# ("extension … is not available", PostgreSQL 15+) and undefined_file (the control file, older).
_NO_EXTENSION = frozenset({"0A000", "58P01"})


def _missing_extension(sql: str, err: PgError) -> bool:
    return err.sqlstate in _NO_EXTENSION and sql.lstrip()[:16].upper().startswith(
        "CREATE EXTENSION"
    )


def _not_runnable_here(trace: StatementTrace) -> bool:
    """A statement the trace could not run for a reason of its own, not the migration's: it
    cannot run inside a transaction block (the tool runs it outside), or it needs an extension
    the trace's server lacks. Listed as not traced; the migration goes on, as in production."""
    err = trace.error
    if err is None:
        return False
    return err.sqlstate == "25001" or _missing_extension(trace.sql, err)


def _stopped(failed: Statement, later: tuple[Script, ...]) -> list[NotTraced]:
    """The migrations after a failing one: the tool does not run them, nor does the trace."""
    out: list[NotTraced] = []
    for script in later:
        if out and out[-1].path == script.path:
            continue  # a Liquibase file's later changesets: one entry for the file
        where = f"{failed.path} line {failed.line}"
        if script.path == failed.path:
            where = f"line {failed.line}"
        out.append(
            NotTraced(
                script.path,
                f"not run: the migration stopped at {where}, where PostgreSQL refused a "
                "statement; the migration tool stops at the first failure, so the trace "
                "stopped there too",
                script.statements[0].line if script.statements else None,
                after_failure=True,
            )
        )
    return out


def _run_one(
    session: _Session, tx: _Transactions, st: Statement, base_oids: set[int]
) -> StatementTrace:
    """One statement, in the transaction the tool has open, else in a transaction of its own
    (so its locks can be read before they are released); a statement that cannot run in a
    transaction block runs as the tool runs it, outside any."""
    alone = not tx.open
    if alone:
        tx.begin()
    before = tx.state
    assert before is not None
    session.run("SAVEPOINT gr_stmt")
    began = time.perf_counter()
    err = session.run(st.sql)
    note = ""
    representative = True
    outside = False
    if err is not None and err.sqlstate == "25001" and alone:
        # CONCURRENTLY outside the tool's transaction: run it for real, outside any. Its locks
        # end with the statement, so they cannot be listed; a rewrite still shows.
        tx.end("ROLLBACK")
        before = session.snapshot()
        began = time.perf_counter()
        err = session.run(st.sql)
        note = (
            "ran outside a transaction, as the tool runs it: its locks end with the statement, "
            "so they are not listed"
        )
        representative = False
        outside = True
    elif err is not None and err.sqlstate == "25001" and st.plain_sql:
        # CONCURRENTLY inside the tool's transaction fails in production too (GR221 says so):
        # check the plain form, so the statement is still proven to work and later statements
        # see its effect.
        session.run("ROLLBACK TO SAVEPOINT gr_stmt")
        began = time.perf_counter()
        err = session.run(st.plain_sql)
        note = (
            "run without CONCURRENTLY (it cannot run inside the transaction the tool opens): it "
            "works, but the locks seen are the plain form's, not those CONCURRENTLY takes"
        )
        representative = False
    elapsed = (time.perf_counter() - began) * 1000
    if err is not None:
        if not outside:
            session.run("ROLLBACK TO SAVEPOINT gr_stmt")
            if alone:
                tx.end()
        if err.sqlstate == "25001":
            note = "cannot run inside a transaction block, so the trace could not run it"
        elif _missing_extension(st.sql, err):
            note = (
                "the extension is not installed on the trace's server (the embedded one ships "
                "PostgreSQL's contrib modules only), so the trace could not run it"
            )
        return StatementTrace(
            st.path, st.line, st.end_line, short(st.sql), error=err, note=note, ms=elapsed
        )
    after = session.snapshot()
    if not outside:
        session.run("RELEASE SAVEPOINT gr_stmt")
        if alone:
            tx.end()
        else:
            tx.state = after
    locks, held, rewrote, rebuilt = _observe(st, before, after, base_oids)
    return StatementTrace(
        st.path,
        st.line,
        st.end_line,
        short(st.sql),
        locks=locks if representative else (),
        held=held if representative else (),
        rewrote=rewrote,
        rebuilt_indexes=rebuilt,
        note=note,
        locks_representative=representative,
        ms=elapsed,
    )


# -- all of it -----------------------------------------------------------------------------------------


def run(
    conninfo: str, plan: TracePlan, *, startup_s: float = 0.0, scratch: bool = True
) -> TraceResult:
    """Trace `plan` on the server at `conninfo` (a libpq connection string or URL). `scratch`:
    in a database created for the run and dropped after it (False only for a server that is
    itself thrown away, such as the embedded one: it saves creating a database)."""
    began = time.perf_counter()
    phases: list[tuple[str, float]] = []

    def lap(name: str, since: float) -> float:
        now = time.perf_counter()
        phases.append((name, now - since))
        return now

    with scratch_database(conninfo, create=scratch) as (where, version):
        session = _Session(where)
        try:
            mark = lap("scratch_database", began)
            count, failed = _build_base(session, plan)
            mark = lap("base", mark)
            tables, filled, unfilled = _seed(session)
            mark = lap("seed", mark)
            traces, skipped = _run_change(session, plan)
            lap("change", mark)
        finally:
            session.close()
    major_minor = version
    untraced_errors = [
        NotTraced(t.path, t.note, t.line, t.sql) for t in traces if _not_runnable_here(t)
    ]
    base = BaseSchema(
        files=plan.base_files,
        statements=count,
        failed=tuple(failed),
        not_traced=plan.base_not_traced,
        tables=tables,
        filled=filled,
        unfilled=tuple(unfilled),
    )
    return TraceResult(
        engine=f"PostgreSQL {major_minor}",
        statements=tuple(t for t in traces if not _not_runnable_here(t)),
        not_traced=tuple(plan.not_traced) + tuple(skipped) + tuple(untraced_errors),
        base=base,
        startup_s=startup_s,
        total_s=startup_s + time.perf_counter() - began,
        phases=tuple(phases),
    )
