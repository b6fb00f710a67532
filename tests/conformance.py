"""Run guardrail's migration reading over peers' test cases (squawk, django-migration-linter)
and measure agreement. Used by tests/test_conformance.py and bench/migrations_vs_squawk.py: a
test aid, so it lives here and not in the shipped package."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from guardrail import engine
from guardrail.config import Config
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
    "ban-truncate-cascade": frozenset({"GR213"}),
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


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, expected: bool, got: bool, name: str) -> None:
        if expected and got:
            self.tp += 1
        elif expected:
            self.fn += 1
            self.misses.append(f"missed {name}")
        elif got:
            self.fp += 1
            self.misses.append(f"extra {name}")
        else:
            self.tn += 1

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
    return {f.rule for f in report.findings if f.severity >= Severity.NOTICE}


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
        config = Config.model_validate({"migrations": {"postgres-version": major}})
        got = bool(codes_for("migrations/0001_case.sql", sql, config) & SQUAWK_MAP[rule])
        tallies.setdefault(rule, Tally()).add(case["expected"] == "flag", got, case["file"])
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
        config = Config.model_validate({"migrations": {"postgres-version": major}})
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
    return out


def table(title: str, tallies: dict[str, Tally]) -> str:
    rows = [
        f"{title}",
        f"{'peer rule':52} {'TP':>3} {'FN':>3} {'FP':>3} {'TN':>3}  recall  precision",
    ]
    for name, t in sorted(tallies.items()):
        rows.append(
            f"{name:52} {t.tp:3} {t.fn:3} {t.fp:3} {t.tn:3}  {t.recall:6.0%}  {t.precision:9.0%}"
        )
    t = total(tallies)
    rows.append(
        f"{'all':52} {t.tp:3} {t.fn:3} {t.fp:3} {t.tn:3}  {t.recall:6.0%}  {t.precision:9.0%}"
    )
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
