"""Findings that rest on what the trace observed (pure: findings and observations in, findings out).

A static migration-safety finding at a traced statement carries `observed` (the locks held on its
table, whether the table was rewritten, PostgreSQL's error). Where the rule makes a claim the
trace can check (a rewrite, a lock, a failure) the finding is confirmed, or, when the server did
otherwise, downgraded to a notice with the reason. The trace adds its own findings: a statement
that fails (GR260), a rewrite no static rule expected (GR262), and what could not be traced
(GR261), so nothing is skipped silently.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from guardrail.model import Finding, Severity
from guardrail.text import Code, code, md, plain
from guardrail.trace.model import (
    StatementTrace,
    TraceResult,
    blocks,
    lock_name,
    lock_rank,
)
from guardrail.trace.rules import GR260, GR261, GR262, SAFETY

# SQLSTATEs of "that object does not exist": when the base schema could not be built in full,
# such a failure may come from the missing part rather than from the PR.
_UNDEFINED = frozenset({"42P01", "42703", "42704", "42883", "3F000", "42P02"})


def _table_of(finding: Finding) -> str | None:
    """The table a static finding names: its first quoted value, `table` or `table.column`."""
    for part in finding.title_parts:
        if isinstance(part, Code):
            name = part.value.strip()
            return name.rsplit(".", 1)[0] if "." in name else name
    return None


def _lock_on(st: StatementTrace, table: str | None) -> tuple[str, str] | None:
    """(relation, strongest mode) held on the finding's table, else on any table it touched."""
    if not st.locks_representative:
        return None
    if table:
        mode = st.strongest_on(table)
        if mode is None and "." in table:
            mode = st.strongest_on(table.rsplit(".", 1)[-1])
        if mode is not None:
            return table, mode
    tables = [lk for lk in st.locks if lk.kind == "table" and not lk.new]
    if not tables:
        return None
    best = max(tables, key=lambda lk: lock_rank(lk.mode))
    return best.relation, best.mode


def observed_facts(st: StatementTrace, engine: str, table: str | None) -> dict[str, object]:
    facts: dict[str, object] = {"engine": engine, "statement_line": st.line}
    lock = _lock_on(st, table)
    if lock is not None:
        facts["lock"] = {"relation": lock[0], "mode": lock_name(lock[1])}
    facts["rewrote"] = list(st.rewrote)
    facts["error"] = st.error.to_json() if st.error else None
    if st.note:
        facts["note"] = st.note
    return facts


# -- what each static rule claims, and how the trace settles it ------------------------------------
# A check returns ("confirmed" | "disproved" | "seen", reason).

Claim = Callable[[StatementTrace, str | None, str], tuple[str, str]]


def _claims_rewrite(st: StatementTrace, table: str | None, engine: str) -> tuple[str, str]:
    if st.error is not None:
        return "confirmed", f"it failed on {engine}"
    if st.rewrote:
        return "confirmed", f"{engine} rewrote {', '.join(code(t) for t in st.rewrote)}"
    held = _lock_on(st, table)
    lock = f"; it still holds {lock_name(held[1])} on {code(held[0])} briefly" if held else ""
    return (
        "disproved",
        f"traced on {engine}, the table was not rewritten (its storage file stayed the same){lock}",
    )


def _claims_lock(minimum: str) -> Claim:
    def claim(st: StatementTrace, table: str | None, engine: str) -> tuple[str, str]:
        if st.error is not None:
            return "confirmed", f"it failed on {engine}"
        held = _lock_on(st, table)
        if held is None:
            return "seen", ""
        relation, mode = held
        if lock_rank(mode) >= lock_rank(minimum):
            return (
                "confirmed",
                f"{engine} took {lock_name(mode)} on {code(relation)}, which {blocks(mode)}",
            )
        return (
            "disproved",
            f"traced on {engine}, it took only {lock_name(mode)} on {code(relation)}, which {blocks(mode)}",
        )

    return claim


def _claims_failure(st: StatementTrace, table: str | None, engine: str) -> tuple[str, str]:
    if st.error is not None:
        return "confirmed", f"it failed on {engine} with a row in the table"
    return "seen", ""


def _claims_several_exclusive(
    st: StatementTrace, table: str | None, engine: str
) -> tuple[str, str]:
    """Several ACCESS EXCLUSIVE locks held at once. The trace runs each migration in the
    transactions its tool opens (runner.py), so what one statement's transaction holds is what
    production holds: fewer than two such locks disproves the static finding."""
    held = [
        lk.relation
        for lk in st.held
        if lk.kind == "table" and not lk.new and lk.mode == "AccessExclusiveLock"
    ]
    if len(held) >= 2:
        names = ", ".join(code(name) for name in held)
        return "confirmed", f"{engine} held ACCESS EXCLUSIVE on {names} at once"
    if st.error is None and st.locks_representative:
        only = f"only on {code(held[0])}" if held else "on no existing table"
        return (
            "disproved",
            f"traced on {engine} in the transactions the tool opens, this statement's transaction "
            f"held ACCESS EXCLUSIVE {only}",
        )
    return "seen", ""


CLAIMS: dict[str, Claim] = {
    "GR210": _claims_failure,  # required column without default: fails on a table with rows
    "GR211": _claims_lock("AccessExclusiveLock"),  # SET NOT NULL
    "GR216": _claims_rewrite,  # column type change
    "GR219": _claims_rewrite,  # volatile default
    "GR217": _claims_lock("ShareLock"),  # index without CONCURRENTLY
    "GR218": _claims_lock("ShareRowExclusiveLock"),  # constraint validated under lock
    "GR224": _claims_lock("ShareLock"),  # REINDEX without CONCURRENTLY
    "GR225": _claims_lock("AccessExclusiveLock"),  # DETACH PARTITION without CONCURRENTLY
    "GR230": _claims_several_exclusive,
    "GR232": _claims_lock("AccessExclusiveLock"),  # drop primary key
    "GR235": _claims_rewrite,  # VACUUM FULL / CLUSTER
}
_REWRITE_RULES = frozenset({"GR216", "GR219", "GR235"})


def _annotate(f: Finding, st: StatementTrace, trace: TraceResult) -> Finding:
    table = _table_of(f)
    facts = observed_facts(st, trace.engine, table)
    claim = CLAIMS.get(f.rule)
    verdict, reason = claim(st, table, trace.engine) if claim else ("seen", "")
    facts["verdict"] = verdict
    if reason:
        facts["reason"] = reason
    if verdict == "disproved":
        return replace(
            f,
            severity=Severity.NOTICE,
            detail=f"{f.detail} Not what happened here: {reason}.",
            observed=facts,
        )
    return replace(f, observed=facts)


def _failure(st: StatementTrace, trace: TraceResult) -> Finding:
    assert st.error is not None
    err = st.error
    skipped_before = _skipped_before(st, trace)
    uncertain = err.sqlstate in _UNDEFINED and (not trace.base.complete or skipped_before)
    extra = f" {md(plain(err.hint, 200))}" if err.hint else ""
    if uncertain and not trace.base.complete:
        why = (
            "The base schema could not be built in full (see the trace's `base` part), so this may "
            "come from what is missing there; check it against a real copy of the schema."
        )
    elif uncertain:
        why = (
            "Part of the pull request's migrations could not be traced (see the not-traced "
            "notice), and what it creates may be what is missing here; check it against a "
            "database the migrations ran on."
        )
    else:
        why = (
            "It fails the same way when the migration runs in production, and the deploy stops "
            "there. Fix the statement (a NOT NULL column on a table with rows needs a default, or "
            "add it nullable and backfill first)."
        )
    return GR260.finding(
        f"Fails on {trace.engine}: {code(plain(err.message, 200))}.",
        why + extra,
        severity=Severity.WARNING if uncertain else None,
        path=st.path,
        line=st.line,
    )


def _skipped_before(st: StatementTrace, trace: TraceResult) -> bool:
    """Whether a part of the PR's migrations the trace did not run may come before `st` (an
    earlier line of its file, or another file, whose order the result does not keep): what it
    would have created may be what `st` misses."""
    return any(
        not n.after_failure and (n.path != st.path or n.line is None or n.line < st.line)
        for n in trace.not_traced
    )


def apply(findings: list[Finding], trace: TraceResult) -> list[Finding]:
    """The findings after the trace: static ones annotated, confirmed or downgraded, and the
    trace's own (failures, unexpected rewrites, what was not traced)."""
    out: list[Finding] = []
    rewrite_covered: set[tuple[str, int]] = set()
    for f in findings:
        st = trace.at(f.path, f.line) if f.check == SAFETY else None
        if st is None:
            out.append(f)
            continue
        annotated = _annotate(f, st, trace)
        if f.rule in _REWRITE_RULES:
            rewrite_covered.add((st.path, st.line))
        out.append(annotated)
    for st in trace.statements:
        if st.error is not None:
            out.append(_failure(st, trace))
        elif st.rewrote and (st.path, st.line) not in rewrite_covered and not _truncate(st):
            tables = ", ".join(code(t) for t in st.rewrote)
            out.append(
                GR262.finding(
                    f"Rewrote {tables} on {trace.engine}.",
                    "A rewrite copies every row under an ACCESS EXCLUSIVE lock that blocks reads "
                    "and writes until it is done: minutes on a large table. Find the form that "
                    "does not rewrite (a new column and a backfill), or run it in a maintenance "
                    "window.",
                    path=st.path,
                    line=st.line,
                )
            )
    by_path: dict[str, list[str]] = {}
    first_line: dict[str, int | None] = {}
    for n in trace.not_traced:
        by_path.setdefault(n.path, []).append(
            (f"line {n.line}: " if n.line else "") + (f"{n.what}: " if n.what else "") + n.why
        )
        first_line.setdefault(n.path, n.line)
    for path, whys in by_path.items():
        more = f" ({len(whys) - 1} more in the JSON report's `trace`)" if len(whys) > 1 else ""
        out.append(
            GR261.finding(
                f"Part of {code(path)} was not traced: {md(plain(whys[0], 160))}{more}.",
                "The trace judged what it could run on PostgreSQL; review the rest by hand, or "
                "trace the SQL the framework generates for it.",
                path=path,
                line=first_line[path],
            )
        )
    return out


def _truncate(st: StatementTrace) -> bool:
    return st.sql.lstrip().upper().startswith("TRUNCATE")


def observed_text(observed: dict[str, object]) -> str:
    """One short sentence for the comment: what PostgreSQL did with the statement."""
    bits: list[str] = []
    err = observed.get("error")
    if isinstance(err, dict) and err.get("message"):
        bits.append(f"failed: {code(str(err['message']))}")
    lock = observed.get("lock")
    if isinstance(lock, dict):
        bits.append(f"{lock.get('mode')} on {code(str(lock.get('relation')))}")
    rewrote = observed.get("rewrote")
    if isinstance(rewrote, list) and rewrote:
        bits.append("rewrote " + ", ".join(code(str(t)) for t in rewrote))
    elif not err:
        bits.append("no rewrite")
    verdict = observed.get("verdict")
    label = {"confirmed": "confirmed", "disproved": "not confirmed"}.get(str(verdict), "observed")
    return f"Traced on {observed.get('engine')} ({label}): " + "; ".join(bits) + "."
