"""Run guardrail's migration reading over peers' test cases (squawk, django-migration-linter)
and measure agreement. Used by tests/test_conformance.py and bench/migrations_vs_squawk.py: a
test aid, so it lives here and not in the shipped package."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from guardrail import engine
from guardrail.config import Config, parse
from guardrail.model import ChangedFile, PullRequest, Severity

# squawk rule -> the guardrail rules that flag the same operation.
SQUAWK_MAP: dict[str, frozenset[str]] = {
    "adding-field-with-default": frozenset({"GR219"}),
    "adding-foreign-key-constraint": frozenset({"GR218"}),
    "adding-not-nullable-field": frozenset({"GR211"}),
    "adding-required-field": frozenset({"GR210"}),
    "adding-serial-primary-key-field": frozenset({"GR218", "GR219"}),
    "ban-concurrent-index-creation-in-transaction": frozenset({"GR221"}),
    "ban-drop-column": frozenset({"GR212"}),
    "ban-drop-database": frozenset({"GR213"}),
    "ban-drop-not-null": frozenset({"GR222"}),
    "ban-drop-table": frozenset({"GR213"}),
    # GR213 on a TRUNCATE that says CASCADE (every TRUNCATE is GR213: the data is gone).
    "ban-truncate-cascade": frozenset({"GR213/cascade"}),
    "changing-column-type": frozenset({"GR216"}),
    "constraint-missing-not-valid": frozenset({"GR218"}),
    "disallowed-unique-constraint": frozenset({"GR218"}),
    "renaming-column": frozenset({"GR214"}),
    "renaming-table": frozenset({"GR215"}),
    "require-concurrent-index-creation": frozenset({"GR217"}),
    "require-concurrent-index-deletion": frozenset({"GR217"}),
    "ban-alter-domain-with-add-constraint": frozenset({"GR231"}),
    "ban-create-domain-with-constraint": frozenset({"GR231"}),
    "ban-uncommitted-transaction": frozenset({"GR228"}),
    "transaction-nesting": frozenset({"GR229"}),
    "require-concurrent-partition-detach": frozenset({"GR225"}),
    "require-concurrent-reindex": frozenset({"GR224"}),
    "require-lock-timeout": frozenset({"GR226"}),
    "require-statement-timeout": frozenset({"GR227"}),
    "require-timeout-settings": frozenset({"GR226", "GR227"}),
    "prefer-repack": frozenset({"GR235"}),
}
# squawk's rules about style or naming, not about what a deploy does to a running database.
SQUAWK_STYLE = frozenset(
    {
        "ban-char-field",
        "ban-duplicate-column-assignments",
        "identifier-too-long",
        "prefer-bigint-over-int",
        "prefer-bigint-over-smallint",
        "prefer-identity",
        "prefer-robust-stmts",
        "prefer-text-field",
        "prefer-timestamp-tz",
        "require-enum-value-ordering",
        "require-table-schema",
    }
)
# Backward incompatibility in django-migration-linter's sense (old code vs new schema).
DML_RULES = frozenset({"GR210", "GR211", "GR212", "GR213", "GR214", "GR215", "GR216"})


# Where squawk's label and PostgreSQL's documented behaviour disagree, guardrail follows
# PostgreSQL. Each entry names the case file and the reason, from the PostgreSQL documentation
# (and, where it can be observed, tests/test_trace.py::test_squawk_disagreements_on_a_real_server
# shows the server doing it). The table counts these apart ("adj."); an entry that no longer
# disagrees fails the test, so the list cannot go stale.
ADJUDICATED: dict[str, str] = {
    "cases/adding-field-with-default/docs_example_error_on_pg_11.flag.sql": (
        "PostgreSQL 11 stores a non-volatile ADD COLUMN default in the catalog without a "
        "rewrite (ALTER TABLE docs, Notes, from 11; 11.0 release notes); squawk's own message "
        "says 11+, but it compares `pg_version > 11`, so 11 itself is flagged"
    ),
    "cases/require-timeout-settings/err_missing_statement_timeout.flag.sql": (
        "a nullable ADD COLUMN without a default changes only the catalog (ALTER TABLE docs, "
        "Notes); lock_timeout already bounds the only wait, so a statement_timeout bounds nothing"
    ),
    "cases/require-statement-timeout/err_only_statement_timeout_rule_enabled.flag.sql": (
        "the same catalog-only ADD COLUMN with no timeout at all: the unbounded part is the lock "
        "wait, which guardrail reports as GR226 (missing lock_timeout), not GR227"
    ),
    "cases/require-timeout-settings/err_other_ddl_operations.flag.sql": (
        "CREATE TYPE … AS ENUM takes no lock on any table, so no query can queue behind it "
        "(Explicit Locking: table-level locks are taken by commands on tables)"
    ),
    "cases/require-timeout-settings/fix_multiple_ddl_statements.flag.sql": (
        "the ALTER TABLE is on the table the line above creates: no other session holds or "
        "waits for a lock on a table that did not exist"
    ),
    "cases/require-timeout-settings/err_comment_on_explains_lock_impact.flag.sql": (
        "COMMENT ON takes SHARE UPDATE EXCLUSIVE, which conflicts with neither ROW EXCLUSIVE nor "
        "ACCESS SHARE (Explicit Locking, conflicting lock modes): no read or write queues "
        "behind it"
    ),
    "cases/require-timeout-settings/err_vacuum_full_false_uses_non_full_lock.flag.sql": (
        "plain VACUUM takes SHARE UPDATE EXCLUSIVE, which blocks no reads or writes (Explicit "
        "Locking), so nothing queues behind its wait"
    ),
    "cases/require-timeout-settings/err_lock_access_share_uses_correct_article.flag.sql": (
        "ACCESS SHARE conflicts only with ACCESS EXCLUSIVE (Explicit Locking): ordinary reads "
        "and writes never queue behind it"
    ),
    "cases/adding-foreign-key-constraint/add_foreign_key_constraint_not_valid_validate.ok.sql": (
        "VALIDATE CONSTRAINT in the transaction whose ADD COLUMN took ACCESS EXCLUSIVE on "
        "`email` scans the table while that lock is held until COMMIT (locks are held to the "
        "end of the transaction, Explicit Locking); squawk's constraint-missing-not-valid "
        "flags this file too"
    ),
    "cases/ban-concurrent-index-creation-in-transaction/assuming_in_transaction_ok.ok.sql": (
        "with assume_in_transaction the file runs inside a transaction block, and CREATE INDEX "
        "CONCURRENTLY cannot be executed inside one (CREATE INDEX docs): the migration fails"
    ),
    "cases/prefer-repack/cluster_below_pg19_ok.ok.sql": (
        "CLUSTER takes ACCESS EXCLUSIVE for the whole rewrite (CLUSTER docs); below 19 there is "
        "no REPACK, and guardrail points to pg_repack instead of staying silent"
    ),
    "cases/prefer-repack/vacuum_full_below_pg19_ok.ok.sql": (
        "VACUUM FULL takes ACCESS EXCLUSIVE for the whole rewrite (VACUUM docs); below 19 "
        "guardrail points to pg_repack instead of staying silent"
    ),
}


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    misses: list[str] = field(default_factory=list)
    adj_fn: int = 0  # misses PostgreSQL's documented behaviour settles for guardrail (ADJUDICATED)
    adj_fp: int = 0
    stale: list[str] = field(default_factory=list)  # adjudicated cases that now agree

    def add(self, expected: bool, got: bool, name: str, adjudicated: bool = False) -> None:
        if adjudicated and expected == got:
            self.stale.append(name)
        if expected and got:
            self.tp += 1
        elif expected:
            self.fn += 1
            self.adj_fn += adjudicated
            self.misses.append(f"missed {name}" + (" (adjudicated)" if adjudicated else ""))
        elif got:
            self.fp += 1
            self.adj_fp += adjudicated
            self.misses.append(f"extra {name}" + (" (adjudicated)" if adjudicated else ""))
        else:
            self.tn += 1

    @property
    def unexplained(self) -> list[str]:
        return [m for m in self.misses if not m.endswith("(adjudicated)")]

    @property
    def settled_recall(self) -> float:
        """Recall once the adjudicated misses are counted for PostgreSQL, not for the peer."""
        relevant = self.tp + self.fn - self.adj_fn
        return self.tp / relevant if relevant else 1.0

    @property
    def settled_precision(self) -> float:
        flagged = self.tp + self.fp - self.adj_fp
        return self.tp / flagged if flagged else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0


def codes_for(path: str, text: str, config: Config | None = None) -> set[str]:
    """Rule codes guardrail reports for one new migration file."""
    lines = text.splitlines() or [""]
    patch = f"@@ -0,0 +1,{len(lines)} @@\n" + "\n".join("+" + ln for ln in lines)
    pr = PullRequest(body="", files=(ChangedFile(path, "added", None, len(lines), 0, patch),))
    report = engine.run(
        pr,
        config or Config(),
        read=lambda side, p: text if (side, p) == ("head", path) else None,
    )
    from guardrail.render.inline import plain

    out = {f.rule for f in report.findings if f.severity >= Severity.NOTICE}
    if any(f.rule == "GR213" and "CASCADE" in plain(f.title) for f in report.findings):
        out.add("GR213/cascade")
    return out


def squawk(corpus: Path) -> dict[str, Tally]:
    index = json.loads((corpus / "cases.json").read_text())
    tallies: dict[str, Tally] = {}
    for case in index["cases"]:
        rule = case["rule"]
        if rule not in SQUAWK_MAP:
            continue
        settings = {**index.get("default_settings", {}), **(case.get("settings") or {})}
        sql = (corpus / case["file"]).read_text()
        # squawk's own opt-out of assume_in_transaction, written in the file.
        if settings.get("assume_in_transaction") and "squawk-disable-assume" not in sql:
            sql = "BEGIN;\n" + sql + "\nCOMMIT;"
        major = int(str(settings.get("pg_version") or "15").split(".")[0])
        config = parse({"migrations": {"postgres-version": major}}, "conformance")
        got = bool(codes_for("migrations/0001_case.sql", sql, config) & SQUAWK_MAP[rule])
        tallies.setdefault(rule, Tally()).add(
            case["expected"] == "flag", got, case["file"], case["file"] in ADJUDICATED
        )
    return tallies


# guardrail rules on squawk's corpus that squawk has no counterpart for, by design: GR236 (a
# whole-table UPDATE inside a migration; issue 14 asks for it, squawk has no such rule).
BEYOND_SQUAWK = frozenset({"GR236"})


def squawk_silent(corpus: Path, binary: str) -> tuple[int, list[tuple[str, list[str]]]]:
    """On every case file (and fixed file) where squawk, run with each of its deploy-safety rules
    on (style rules off, require-timeout-settings included) and the case's settings, reports
    nothing: the migration-safety rules guardrail reports. (number of such files, [(file, codes)])."""
    import subprocess

    index = json.loads((corpus / "cases.json").read_text())
    runs: set[tuple[str, str, bool]] = set()
    for case in index["cases"]:
        settings = {**index.get("default_settings", {}), **(case.get("settings") or {})}
        for name in filter(None, (case["file"], case.get("fixed_file"))):
            runs.add(
                (
                    name,
                    str(settings.get("pg_version") or "15"),
                    bool(settings.get("assume_in_transaction")),
                )
            )
    silent = 0
    noisy: list[tuple[str, list[str]]] = []
    style = ",".join(sorted(SQUAWK_STYLE))
    for name, pg_version, assume in sorted(runs):
        args = [binary, "--reporter", "json", "--pg-version", pg_version]
        args += ["--include", "require-timeout-settings", "--exclude", style]
        args += ["--assume-in-transaction"] if assume else []
        done = subprocess.run(
            [*args, str(corpus / name)], capture_output=True, text=True, check=False
        )
        violations = json.loads(done.stdout or "[]")
        if {v["rule_name"] for v in violations} - SQUAWK_STYLE:
            continue
        silent += 1
        sql = (corpus / name).read_text()
        if assume and "squawk-disable-assume" not in sql:
            sql = "BEGIN;\n" + sql + "\nCOMMIT;"
        major = int(pg_version.split(".")[0])
        config = parse({"migrations": {"postgres-version": major}}, "conformance")
        codes = codes_for("migrations/0001_case.sql", sql, config)
        safety = sorted(
            c for c in codes if c.startswith("GR2") and c not in ("GR201", "GR202", "GR290")
        )
        if safety:
            noisy.append((name, safety))
    return silent, noisy


def django_migration_linter(corpus: Path) -> dict[str, Tally]:
    index = json.loads((corpus / "cases.json").read_text())
    tallies: dict[str, Tally] = {}
    for case in index["cases"]:
        kind = case["kind"]
        if kind == "sql" and case.get("vendor") != "postgresql":
            continue
        text = (corpus / case["file"]).read_text()
        if kind == "django-migration":
            path = "app/migrations/" + case["file"].rsplit("/", 1)[-1]
            if not path.rsplit("/", 1)[-1][:4].isdigit():
                continue
        else:
            path = "migrations/0001_case.sql"
        got_codes = codes_for(path, text)
        expected = case["expected"] == "flag" and case.get("expected_severity") in (None, "error")
        got = bool(got_codes & DML_RULES)
        key = case.get("rule") or case.get("label", "unlabelled").split(" (")[0]
        tallies.setdefault(f"{kind}:{key}", Tally()).add(expected, got, case["file"])
    return tallies


def total(tallies: dict[str, Tally]) -> Tally:
    out = Tally()
    for t in tallies.values():
        out.tp += t.tp
        out.fp += t.fp
        out.fn += t.fn
        out.tn += t.tn
        out.misses += t.misses
        out.adj_fn += t.adj_fn
        out.adj_fp += t.adj_fp
        out.stale += t.stale
    return out


def table(title: str, tallies: dict[str, Tally]) -> str:
    adjudicated = any(t.adj_fn or t.adj_fp for t in tallies.values())
    extra = "  adj.  settled recall/precision" if adjudicated else ""
    rows = [
        f"{title}",
        f"{'peer rule':52} {'TP':>3} {'FN':>3} {'FP':>3} {'TN':>3}  recall  precision{extra}",
    ]

    def row(name: str, t: Tally) -> str:
        line = f"{name:52} {t.tp:3} {t.fn:3} {t.fp:3} {t.tn:3}  {t.recall:6.0%}  {t.precision:9.0%}"
        if adjudicated:
            line += (
                f"  {t.adj_fn + t.adj_fp:4}  {t.settled_recall:6.0%} / {t.settled_precision:.0%}"
            )
        return line

    for name, t in sorted(tallies.items()):
        rows.append(row(name, t))
    rows.append(row("all", total(tallies)))
    return "\n".join(rows)


# -- data shapes: oasdiff and json-schema-diff --------------------------------------------------


def _tightenings(base_text: str, head_text: str, path: str) -> list[str]:
    from guardrail.analysis.jsonschema_diff import tightenings

    return [t.code for t in tightenings(base_text, head_text, path)]


def oasdiff(corpus: Path) -> dict[str, Tally]:
    """Per oasdiff change id: does guardrail report a tightening where oasdiff reports a breaking
    change in the request direction (data flowing in, which is what stored and client data is),
    and stay silent where oasdiff asserts no change or only response-side / informational ones?"""
    index = json.loads((corpus / "cases.json").read_text())
    tallies: dict[str, Tally] = {}
    for case in index["cases"]:
        base = (corpus / case["base"]).read_text()
        head = (corpus / case["revision"]).read_text()
        got = bool(_tightenings(base, head, "openapi.yaml"))
        meta = case.get("rule_metadata") or {}
        ids = case.get("expected_change_ids") or []
        breaking_in = [
            i
            for i in ids
            if meta.get(i, {}).get("direction") == "request"
            and meta.get(i, {}).get("level") in ("ERR", "WARN")
        ]
        expected = bool(breaking_in)
        key = (breaking_in or ids or ["(no change)"])[0]
        tallies.setdefault(key, Tally()).add(expected, got, case["id"])
    return tallies


def json_schema_diff(corpus: Path) -> dict[str, Tally]:
    index = json.loads((corpus / "cases.json").read_text())
    tallies: dict[str, Tally] = {}
    for case in index["cases"]:
        doc = json.loads((corpus / case["file"]).read_text())

        def at(pointer: str, doc: object = doc) -> object:
            node: object = doc
            for part in [p for p in pointer.split("/") if p]:
                node = node[part] if isinstance(node, dict) else node
            return node

        base = json.dumps(at(case.get("old_schema_pointer", "/lhs")))
        head = json.dumps(at(case.get("new_schema_pointer", "/rhs")))
        got = bool(_tightenings(base, head, "case.schema.json"))
        kinds = case.get("expected_change_kinds") or ["(no change)"]
        key = ",".join(sorted(kinds))[:52]
        tallies.setdefault(key, Tally()).add(
            bool(case.get("any_breaking_derived")), got, case["id"]
        )
    return tallies
