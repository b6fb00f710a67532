"""What a trace observed, as plain frozen data (no I/O): the engine's input from `--trace`."""

from __future__ import annotations

from dataclasses import dataclass, field

# PostgreSQL's table-lock modes, weakest first (the order of the conflict table in the docs).
LOCK_MODES = (
    "AccessShareLock",
    "RowShareLock",
    "RowExclusiveLock",
    "ShareUpdateExclusiveLock",
    "ShareLock",
    "ShareRowExclusiveLock",
    "ExclusiveLock",
    "AccessExclusiveLock",
)
# What blocks what, in words a reader of the comment knows.
_LOCK_WORDS = {
    "AccessShareLock": "ACCESS SHARE",
    "RowShareLock": "ROW SHARE",
    "RowExclusiveLock": "ROW EXCLUSIVE",
    "ShareUpdateExclusiveLock": "SHARE UPDATE EXCLUSIVE",
    "ShareLock": "SHARE",
    "ShareRowExclusiveLock": "SHARE ROW EXCLUSIVE",
    "ExclusiveLock": "EXCLUSIVE",
    "AccessExclusiveLock": "ACCESS EXCLUSIVE",
}


def lock_name(mode: str) -> str:
    """`AccessExclusiveLock` -> `ACCESS EXCLUSIVE` (as the PostgreSQL docs name it)."""
    return _LOCK_WORDS.get(mode, mode)


def lock_rank(mode: str) -> int:
    return LOCK_MODES.index(mode) if mode in LOCK_MODES else -1


def blocks(mode: str) -> str:
    """What the lock mode stops other sessions from doing, in a few words."""
    rank = lock_rank(mode)
    if rank >= lock_rank("AccessExclusiveLock"):
        return "blocks every read and write of the table"
    if rank >= lock_rank("ShareLock"):
        return "blocks writes to the table"
    if rank >= lock_rank("ShareUpdateExclusiveLock"):
        return "blocks other schema changes and VACUUM, not reads or writes"
    return "blocks no reads or writes"


@dataclass(frozen=True)
class Lock:
    relation: str  # schema-qualified unless public: "orders", "audit.events"
    mode: str  # pg_locks.mode: AccessExclusiveLock, ShareLock, …
    kind: str = "table"  # table | index | sequence | view | other
    new: bool = False  # a relation created by the PR itself

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"relation": self.relation, "mode": lock_name(self.mode)}
        if self.kind != "table":
            out["kind"] = self.kind
        if self.new:
            out["new"] = True
        return out


@dataclass(frozen=True)
class PgError:
    sqlstate: str
    message: str  # PostgreSQL's primary message, verbatim
    detail: str = ""
    hint: str = ""

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"sqlstate": self.sqlstate, "message": self.message}
        if self.detail:
            out["detail"] = self.detail
        if self.hint:
            out["hint"] = self.hint
        return out


@dataclass(frozen=True)
class NotTraced:
    """Something the trace did not run, and why: listed, never skipped silently."""

    path: str
    why: str
    line: int | None = None
    what: str = ""  # the operation or statement, shortened
    # Not run because a statement before it failed (the tool stops there): it cannot explain
    # that failure, unlike a part skipped before it.
    after_failure: bool = False

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"path": self.path, "line": self.line, "why": self.why}
        if self.what:
            out["what"] = self.what
        return out


@dataclass(frozen=True)
class StatementTrace:
    path: str
    line: int  # first line of the statement in the file
    end_line: int
    sql: str  # shortened, one line
    locks: tuple[Lock, ...] = ()  # taken by this statement (not held before it)
    held: tuple[Lock, ...] = ()  # strongest lock per relation held once it ran (transaction so far)
    rewrote: tuple[str, ...] = ()  # tables whose storage was rewritten (relfilenode changed)
    rebuilt_indexes: tuple[str, ...] = ()
    error: PgError | None = None
    note: str = ""  # how it was run when not as written (e.g. without CONCURRENTLY)
    locks_representative: bool = True  # False: run in another form, its locks say nothing
    ms: float = 0.0

    def strongest_on(self, relation: str) -> str | None:
        modes = [lk.mode for lk in self.held if _same_relation(lk.relation, relation)]
        return max(modes, key=lock_rank) if modes else None

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "path": self.path,
            "line": self.line,
            "sql": self.sql,
            "locks": [lk.to_json() for lk in self.locks],
            "rewrote": list(self.rewrote),
            "error": self.error.to_json() if self.error else None,
            "ms": round(self.ms, 2),
        }
        if self.rebuilt_indexes:
            out["rebuilt_indexes"] = list(self.rebuilt_indexes)
        if self.note:
            out["note"] = self.note
        return out


def _same_relation(a: str, b: str) -> bool:
    def norm(name: str) -> str:
        name = name.strip().strip('"').lower()
        return name[len("public.") :] if name.startswith("public.") else name

    return norm(a) == norm(b)


same_relation = _same_relation


@dataclass(frozen=True)
class BaseSchema:
    """How the base branch's schema was built, and what of it could not be."""

    files: int = 0
    statements: int = 0
    failed: tuple[NotTraced, ...] = ()  # base statements PostgreSQL refused (with its message)
    not_traced: tuple[NotTraced, ...] = ()  # base migrations with no SQL to run
    tables: int = 0
    filled: int = 0
    unfilled: tuple[tuple[str, str], ...] = ()  # (table, why) with no seeded row

    @property
    def complete(self) -> bool:
        return not self.failed and not self.not_traced

    def to_json(self) -> dict[str, object]:
        return {
            "files": self.files,
            "statements": self.statements,
            "failed": [n.to_json() for n in self.failed],
            "not_traced": [n.to_json() for n in self.not_traced],
            "tables": self.tables,
            "rows_seeded": self.filled,
            "unfilled": [{"table": t, "why": why} for t, why in self.unfilled],
        }


@dataclass(frozen=True)
class TraceResult:
    engine: str  # "PostgreSQL 18.6"
    statements: tuple[StatementTrace, ...] = ()
    not_traced: tuple[NotTraced, ...] = ()  # the PR's own migrations, or parts of them
    base: BaseSchema = field(default_factory=BaseSchema)
    startup_s: float = 0.0
    total_s: float = 0.0
    # Seconds per phase: scratch database, base schema, seed rows, the PR's statements.
    phases: tuple[tuple[str, float], ...] = ()

    def at(self, path: str | None, line: int | None) -> StatementTrace | None:
        """The traced statement covering `path:line`, if any."""
        if path is None or line is None:
            return None
        for st in self.statements:
            if st.path == path and st.line <= line <= st.end_line:
                return st
        return None

    def to_json(self) -> dict[str, object]:
        return {
            "engine": self.engine,
            "statements": [s.to_json() for s in self.statements],
            "not_traced": [n.to_json() for n in self.not_traced],
            "base": self.base.to_json(),
            "seconds": {
                "startup": round(self.startup_s, 2),
                **{name: round(s, 3) for name, s in self.phases},
                "total": round(self.total_s, 2),
            },
        }
