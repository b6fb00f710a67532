"""Which files are migrations of which tool, in the order the tool applies them, and the SQL a
SQL-file migration runs: shared by `--trace` (trace/plan.py) and the static rules' base schema
(base_schema.py), so both replay the base branch the same way. Pure: texts in, order out.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable

from guardrail.analysis.migrations.detect import MigrationFile

# Frameworks whose migrations are SQL files the trace runs as written (Up part only).
SQL_FRAMEWORKS = frozenset(
    {"flyway", "golang-migrate", "goose", "dbmate", "sqitch", "prisma", "sql", "liquibase"}
)
SECTION = {
    "goose": ("-- +goose up", "-- +goose down"),
    "dbmate": ("-- migrate:up", "-- migrate:down"),
}
_DIGITS = re.compile(r"(\d+)")


def up_section(text: str, framework: str) -> tuple[str, int]:
    """(the Up part of a goose/dbmate file with other lines blanked, 0): lines keep their numbers."""
    start, end = SECTION[framework]
    out: list[str] = []
    where = ""
    for ln in text.splitlines():
        s = ln.strip().lower()
        if s.startswith(start):
            where = "up"
            out.append("")
            continue
        if s.startswith(end):
            where = "down"
        out.append(ln if where == "up" else "")
    return "\n".join(out), 0


def runnable_sql(mf: MigrationFile, text: str) -> str | None:
    """The SQL a SQL-file migration runs (the Up part of goose and dbmate, the literal SQL of a
    goose Go migration's Up function; lines keep their numbers), or None for other frameworks
    and for down/verify scripts."""
    if mf.framework not in SQL_FRAMEWORKS or mf.role in ("down", "verify"):
        return None
    if mf.framework == "goose" and mf.path.lower().endswith(".go"):
        # A goose migration written in Go: the literal SQL its Up function executes.
        from guardrail.analysis.migrations.goose_go import up_sql

        return up_sql(text).text()
    return up_section(text, mf.framework)[0] if mf.framework in SECTION else text


# -- order --------------------------------------------------------------------------------------


def _natural(text: str) -> tuple[object, ...]:
    return tuple(int(p) if p.isdigit() else p.lower() for p in _DIGITS.split(text))


def _flyway_key(name: str) -> tuple[object, ...]:
    prefix = name[:1].upper()
    if prefix == "R":
        return (2, name.lower())
    version = name[1:].split("__", 1)[0]
    parts = tuple(int(p) for p in re.split(r"[._]", version) if p.isdigit())
    return (0 if prefix == "B" else 1, parts)


def _alembic_order(paths: list[str], texts: dict[str, str]) -> list[str]:
    """Revision chain order: a revision after its `down_revision`s and its `depends_on` (by id
    or by a `branch_labels` name, as Alembic resolves them); unknown links by name."""
    from guardrail.analysis.migrations.alembic import revision_links

    by_rev: dict[str, str] = {}
    ups_of: dict[str, tuple[str, ...]] = {}
    for p in paths:
        try:
            tree = ast.parse(texts.get(p, ""))
        except SyntaxError:
            continue
        revision, down, depends_on, labels = revision_links(tree)
        if revision:
            by_rev[revision] = p
        for label in labels:
            by_rev.setdefault(label, p)
        ups_of[p] = (*down, *depends_on)
    done: list[str] = []
    seen: set[str] = set()
    for start in sorted(paths, key=_natural):
        # Depth first, parents before the revision, without recursion (a chain of 1,500
        # revisions is deeper than Python's stack allows).
        stack = [(start, False)]
        while stack:
            p, ready = stack.pop()
            if ready:
                done.append(p)
                continue
            if p in seen:
                continue
            seen.add(p)
            stack.append((p, True))
            ups = [by_rev[u] for u in ups_of.get(p, ()) if u in by_rev]
            stack += [(u, False) for u in reversed(ups)]
    return done


def _sqitch_order(paths: list[str], read: Callable[[str], str | None]) -> list[str]:
    """Order of sqitch.plan next to deploy/; files it does not name go last, by name."""
    root = paths[0].rsplit("deploy/", 1)[0]
    plan = read(f"{root}sqitch.plan") or ""
    names: list[str] = []
    for ln in plan.splitlines():
        s = ln.strip()
        if not s or s.startswith(("%", "#", "@")):
            continue
        names.append(s.split()[0])
    rank = {f"{root}deploy/{n}.sql": i for i, n in enumerate(names)}
    return sorted(paths, key=lambda p: (rank.get(p, len(rank)), _natural(p)))


def order(
    files: Iterable[MigrationFile],
    texts: dict[str, str],
    read: Callable[[str], str | None] | None = None,
) -> list[MigrationFile]:
    """Migrations in the order their tool applies them: per folder and tool, folders by path."""
    groups: dict[tuple[str, str], list[MigrationFile]] = {}
    for mf in files:
        folder = mf.path.rsplit("/", 1)[0] if "/" in mf.path else ""
        if mf.framework == "prisma":
            folder = folder.rsplit("/", 1)[0] if "/" in folder else ""
        elif mf.framework == "sqitch":
            folder = mf.path.rsplit("deploy/", 1)[0]
        groups.setdefault((folder, mf.framework), []).append(mf)
    out: list[MigrationFile] = []
    for (_folder, fw), members in sorted(groups.items(), key=lambda kv: _natural(kv[0][0])):
        by_path = {m.path: m for m in members}
        paths = list(by_path)
        if fw == "flyway":
            paths.sort(key=lambda p: _flyway_key(p.rsplit("/", 1)[-1]))
        elif fw == "alembic":
            paths = _alembic_order(paths, texts)
        elif fw == "sqitch" and read is not None:
            paths = _sqitch_order(paths, read)
        else:
            paths.sort(key=_natural)
        out.extend(by_path[p] for p in paths)
    return out
