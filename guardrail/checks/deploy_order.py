"""GR51x — Does the old version keep working during the deploy and after a rollback?

During a deploy the old version still serves against the new schema; after a rollback the old
version runs again. A migration that drops or renames what the old version reads, or adds a
required column the old version's inserts leave out, breaks that version: these rules say
which version fails, when, and with what, and how to ship it in steps (expand/contract).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from guardrail.analysis import uses
from guardrail.analysis.code_sources import BASE_CODE, CHECKOUT_SOURCES, PATCH_WORDS
from guardrail.analysis.diff import FileDiff, parse_patch
from guardrail.analysis.evidence import is_test_path
from guardrail.analysis.migrations.changed import Migration, django_app, migrations
from guardrail.analysis.migrations.detect import framework
from guardrail.analysis.migrations.ops import Op, OpKind
from guardrail.analysis.reads import discovers
from guardrail.analysis.uses_common import (
    EXACT,
    Target,
    column_spellings,
    convention,
    maps_to_column,
)
from guardrail.analysis.words import _TO_WORDS, may_name
from guardrail.checks.base import Analysis, Output
from guardrail.model import Answer, ChangedFile, CheckName, Finding, Severity
from guardrail.rules import by_code
from guardrail.text import code

DEPLOY = CheckName.DEPLOY_ORDER

GR511 = by_code("GR511")
GR512 = by_code("GR512")

_DROPS = (OpKind.DROP_COLUMN, OpKind.RENAME_COLUMN, OpKind.DROP_TABLE, OpKind.RENAME_TABLE)


@lru_cache(maxsize=4096)
def _lowered(text: str) -> str:
    return text.lower()


@dataclass(frozen=True)
class _Use:
    path: str
    line: int  # in the base version of the file
    # Tied to the table by the code's syntax (analysis/uses.py); False: by the name alone,
    # because the file's language has no grammar here or the file could not be read or parsed.
    structural: bool = True


def _word(name: str) -> re.Pattern[str]:
    """The name as a word, or as a part of a Django lookup path (`variants__price__lte`)."""
    n = re.escape(name)
    return re.compile(rf"(?:(?<![\w$])|(?<=__)){n}(?:(?![\w])|(?=__))")


def _in_lookup(found: frozenset[bytes] | None, names: tuple[str, ...]) -> bool:
    """Whether a text's words hold a name inside a lookup path (`order__status`); True
    when the words are not known (the caller then reads the lines)."""
    if found is None:
        return True
    joined = _lookup_words(found)
    for n in names:
        key = n.lower().encode("ascii", "replace")
        # A word holds only word bytes: a key with any other byte is in none of them, and one
        # without cannot match across the spaces that join the words.
        if key.translate(_TO_WORDS).split() == [key] and b"__" + key in joined:
            return True
    return False


@lru_cache(maxsize=16384)
def _lookup_words(found: frozenset[bytes]) -> bytes:
    """The words of a patch that are lookup paths (`order__status`), joined by spaces: one
    substring search per name instead of one per word (the set's hash is computed once)."""
    return b" ".join(sorted(w for w in found if b"__" in w))


def _texts(ctx: Analysis, f: ChangedFile) -> tuple[str, str | None] | None:
    """(base, head) of a changed code file, head None when the PR deletes it; None when the
    source cannot give them."""
    if ctx.read is None:
        return None
    base = ctx.read("base", f.previous_path or f.path)
    if base is None:
        return None
    if f.status == "removed":
        return base, None
    head = ctx.read("head", f.path)
    return None if head is None else (base, head)


def _stopped_using(ctx: Analysis, target: Target, names: tuple[str, ...]) -> _Use | None:
    """A code file of the PR that used the table's column (or the table) at base and no longer
    does: the PR stops using it, so the base version (the one still serving) does.

    The patch's removed lines naming it pick the files; the syntax of both versions decides
    (`status` read on another model is not this column). A file whose language has no grammar
    here, or that cannot be read, is judged by the name alone, reported as such."""
    if not any(names):
        return None
    # A column's name in code as each language's ORMs spell it (C# `Status`, Java
    # `getStatus()`, Go `OrderStatus` for `order_status`): their words pick the patches too.
    spellings = column_spellings(target.column) if target.column else ()
    by_name: _Use | None = None
    for f, found in ctx.get(PATCH_WORDS):
        if not may_name(found, (*names, *spellings), None) and not (
            (target.model or target.relations) and _in_lookup(found, names)
        ):
            continue  # the patch does not have the name as a word: no removed line names it
        diff = parse_patch(f.patch)
        named = _namer(f.path, names, target)
        gone = [ln for ln in diff.removed if named(ln.text)]
        if not gone:
            continue
        base_path = f.previous_path or f.path
        proven = _proven_elixir_use(ctx, f, diff, named, target)
        if proven is not None:
            return proven
        texts = _texts(ctx, f) if uses.structural(f.path) else None
        if texts is not None:
            before = uses.uses(base_path, texts[0], target)
            after = [] if texts[1] is None else uses.uses(f.path, texts[1], target)
            if before is not None and after is not None:
                if before and not after:
                    removed = {ln.number for ln in diff.removed}
                    return _Use(base_path, next((n for n in before if n in removed), before[0]))
                continue  # read by its syntax: this file does not stop using this column
        if by_name is None and not any(named(ln.text) for ln in diff.added):
            by_name = _Use(base_path, gone[0].number, structural=False)
    return by_name


def _proven_elixir_use(
    ctx: Analysis, f: ChangedFile, diff: FileDiff, named: Callable[[str], bool], target: Target
) -> _Use | None:
    """An Elixir file whose base version certainly uses the column on a line the PR removes
    (the table's Ecto schema declares it, a struct of the schema names it) and whose head
    version does not name it at all: found by its syntax. Any other Elixir file keeps the
    name-alone reading (a warning), so nothing that was found is lost."""
    if target.column is None or not f.path.endswith((".ex", ".exs")):
        return None
    texts = _texts(ctx, f)
    if texts is None:
        return None
    base, head = texts
    if head is not None and any(named(line) for line in head.splitlines()):
        return None  # the new version may still use it: the name decides, as before
    base_path = f.previous_path or f.path
    removed = {ln.number for ln in diff.removed}
    hit = [n for n in uses.proven_elixir_uses(base_path, base, target) if n in removed]
    return _Use(base_path, hit[0]) if hit else None


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _namer(path: str, names: tuple[str, ...], target: Target) -> Callable[[str], bool]:
    """Whether a line of the file at `path` names the table or column `names` are of: one of
    them as a word (or a lookup path's part), or, for a column, an identifier the file's
    language maps to it (uses_common.maps_to_column: C# `Status`, Go `OrderStatus`, Java
    `getOrderStatus` for `order_status`; in Python, Ruby, PHP or JavaScript only the exact
    name). Without case where the database ignores it (`target.folds`)."""
    flags = re.IGNORECASE if target.folds and target.column else 0
    patterns = [re.compile(_word(n).pattern, flags) for n in names if n]
    column = target.column
    kind = convention(path)
    if column is None or (kind == EXACT and not target.folds):
        return lambda text: any(p.search(text) for p in patterns)
    keys = column_spellings(column)

    def named(text: str) -> bool:
        if any(p.search(text) for p in patterns):
            return True
        low = text.lower()
        if not any(k in low for k in keys):
            return False
        return any(
            maps_to_column(m.group(0), column, kind, folds=target.folds)
            for m in _IDENTIFIER.finditer(text)
        )

    return named


def _by_name(use: _Use, what: str) -> str:
    """The sentence a finding found by the name alone carries."""
    return (
        f" guardrail found this by the name alone ({code(use.path)} is not in a language it "
        f"reads by syntax here, or could not be read), so {what} may belong to another table: "
        "check that line."
    )


@discovers
def _code_versions(side: str, path: str) -> bool:
    """Both versions of a changed code file whose patch names a dropped column, or the base
    version of one that names a table a required column is added to: known only once the
    migrations are read."""
    return path.endswith(uses.STRUCTURAL_EXT) or uses.reads_inserts(path)


# -- Django: the relations that lead to a model in lookups ----------------------------------------


# A models package is read like one models.py: every module under `<app>/models/`, nested
# packages too, up to this many (two GraphQL requests in the action, asked only by a PR that
# drops a column of a Django model; sentry's `models/` package holds about 150 modules).
_MAX_MODELS_MODULES = 200


def _models_modules(paths: Iterable[str], prefix: str, keys: frozenset[str]) -> list[str]:
    """The app's models file and the modules of its models package. Over the cap, the
    package's `__init__` and the modules named like the model come first (they hold its own
    fields and the relations most likely to lead to it); a relation declared only in a module
    past the cap is not known, so a lookup through it is missed, never a false finding."""
    package = f"{prefix}models/"
    modules = sorted(p for p in paths if p.startswith(package) and p.endswith(".py"))

    def rank(path: str) -> tuple[bool, bool]:
        stem = path[len(package) :].removesuffix(".py").replace("_", "").lower()
        return (path != f"{package}__init__.py", not any(k in stem for k in keys))

    modules.sort(key=rank)  # stable: alphabetical within each rank
    return [f"{prefix}models.py", *modules][:_MAX_MODELS_MODULES]


def _other_apps_models(paths: Iterable[str], prefix: str) -> list[str]:
    """The models files and package modules of the checkout's other Django apps (a folder
    with a `migrations/` folder beside its models), each app's `models.py` and package
    `__init__` first."""
    listed = list(paths)
    apps = {p.rsplit("migrations/", 1)[0] for p in listed if p.endswith("/migrations/__init__.py")}
    apps |= {"" for p in listed if p == "migrations/__init__.py"}
    apps.discard(prefix)
    out = []
    for p in listed:
        if not p.endswith(".py") or "models" not in p or is_test_path(p):
            continue
        if p.endswith("models.py") and p.removesuffix("models.py") in apps:
            out.append(p)
        elif "models/" in p and "/migrations/" not in p:
            at = p.find("models/")
            if (at == 0 or p[at - 1] == "/") and p[:at] in apps:
                out.append(p)
    return sorted(out, key=lambda p: (not p.endswith(("/models.py", "models/__init__.py")), p))


def _django_relations(ctx: Analysis, m: Migration, op: Op) -> frozenset[str]:
    """The relation names (`variants` for `related_name="variants"`) the models on the base
    branch give the model, so that `Product.objects.filter(variants__price=…)` or
    `vc.master.cluster` (`master = OneToOneField("Device")`) is read as a use of the model's
    column. The model's app's models are `models.py` or a `models/` package, read alike
    (every module of the package as listed); when a patch of the PR names the column, the
    other apps' models are read too, for their fields pointing at the model
    (`ForeignKey("shop.Order")`, or `Order` imported from `shop.models`), as Django resolves
    them: the app label is its `AppConfig.label`, else its folder's name (changed.django_app).
    At most `_MAX_MODELS_MODULES` files, the
    model's own app first; only a column drop asks, and the files are read in one
    `read_many` per group."""
    migration = m.file.path
    if ctx.base_tree is None or not op.model or "/migrations/" not in f"/{migration}":
        return frozenset()
    app = f"/{migration}".rsplit("/migrations/", 1)[0].lstrip("/")
    prefix = f"{app}/" if app else ""
    config = django_app(ctx, m.kind)
    label = (config.label if config is not None else None) or app.rsplit("/", 1)[-1]
    target = Target(op.table or op.model, None, op.model)
    paths = ctx.base_tree.paths()
    own = _models_modules(paths, prefix, target.keys)
    found: set[str] = set()
    for path, text in ctx.base_tree.read_many(own).items():
        if text is not None:
            found |= uses.relations(path, text, target, uses.App(label, own=True))
    named = op.column is not None and any(
        may_name(words, (op.column,), None) for _, words in ctx.get(PATCH_WORDS)
    )
    room = _MAX_MODELS_MODULES - len(own)
    if label and named and room > 0:
        others = _other_apps_models(paths, prefix)[:room]
        for path, text in ctx.base_tree.read_many(others).items():
            if text is not None:
                found |= uses.relations(path, text, target, uses.App(label, own=False))
    return frozenset(found)


# -- Rails: ignored_columns on the base branch -----------------------------------------------------


def _singular(table: str) -> str:
    t = table.rsplit(".", 1)[-1].strip('"`')
    if t.endswith("ies"):
        return t[:-3] + "y"
    if t.endswith(("ses", "xes", "zes", "ches", "shes")):
        return t[:-2]
    return t[:-1] if t.endswith("s") else t


def _rails_model(ctx: Analysis, table: str) -> tuple[str, str] | None:
    """(path, base text) of the Active Record model for a table, on the base branch."""
    if ctx.base_tree is None:
        return None
    name = _singular(table) + ".rb"
    candidates = [f"app/models/{name}"] + [
        p for p in ctx.base_tree.paths() if p.endswith(f"/app/models/{name}")
    ]
    for path, text in ctx.base_tree.read_many(list(dict.fromkeys(candidates))).items():
        if text is not None:
            return path, text
    return None


_CLOSE = {"(": ")", "[": "]", "{": "}", "<": ">"}


def _ignored(text: str, column: str) -> bool:
    """Whether an `ignored_columns` assignment lists the column: `= [...]`, `+= %w(...)` (one
    line or many), `<< "x"`."""
    for m in re.finditer(r"ignored_columns\s*(?:\+=|\|=|=|<<)\s*(%[wi])?(.)", text):
        opener = m.group(2)
        start = m.end(2)
        if opener in _CLOSE:
            end = text.find(_CLOSE[opener], start)
            value = text[start : end if end >= 0 else len(text)]
        else:
            eol = text.find("\n", start)
            value = text[m.start(2) : eol if eol >= 0 else len(text)]
        if _word(column).search(value):
            return True
    return False


# -- the findings ----------------------------------------------------------------------------------


def _what(op: Op) -> tuple[str, str]:
    """(the thing, what happens to it) in words."""
    if op.kind in (OpKind.DROP_TABLE, OpKind.RENAME_TABLE):
        thing = f"table {code(op.table or '?')}"
    else:
        thing = code(f"{op.table}.{op.column}" if op.table else op.column or "?")
    verb = "dropped" if op.kind in (OpKind.DROP_COLUMN, OpKind.DROP_TABLE) else "renamed"
    return thing, verb


_EXPAND_CONTRACT = {
    "django": "Django: this release removes the field from the model with "
    "`migrations.SeparateDatabaseAndState(state_operations=[migrations.RemoveField(...)])` "
    "(make the column nullable or give it `db_default` first, so the new version's inserts "
    "work); a later release drops the column.",
    "rails": 'Rails: this release adds `self.ignored_columns += ["{column}"]` to the model; '
    "a later release drops the column and removes the line.",
    "prisma": "Prisma: this release marks the field `@ignore` in `schema.prisma` (the client "
    "then stops selecting it; make it optional or give it a `@default` first); a later "
    "release's migration drops it.",
    "alembic": "This release removes the column from the model (nullable, or with a "
    "`server_default`); a later release's revision drops it.",
}
_GENERIC = (
    "This release stops using it (and lets the database fill it: nullable or a default); a "
    "later release drops it, once no running version reads it."
)


def _drop_findings(ctx: Analysis, m: Migration) -> Iterator[Finding]:
    fw = m.kind.framework
    for op in m.ops:
        if op.kind not in _DROPS or op.new_table:
            continue
        thing, verb = _what(op)
        old_name = op.column if op.kind in (OpKind.DROP_COLUMN, OpKind.RENAME_COLUMN) else op.table
        if fw == "django" and op.kind in (OpKind.DROP_TABLE, OpKind.RENAME_TABLE) and op.model:
            old_name = op.model  # the code names the model, not its table
        if old_name is None:
            continue
        evidence: str
        weak = ""
        if fw == "rails" and op.kind in (OpKind.DROP_COLUMN, OpKind.RENAME_COLUMN) and op.table:
            model = _rails_model(ctx, op.table)
            if model is None or _ignored(model[1], old_name):
                continue
            evidence = (
                f"{code(model[0])} on the base branch does not list it in "
                "`self.ignored_columns`, so the running version's Active Record has it in its "
                "column cache and names it in every INSERT and UPDATE"
            )
        else:
            table_op = op.kind in (OpKind.DROP_TABLE, OpKind.RENAME_TABLE)
            names: tuple[str, ...] = (old_name,)
            if table_op:
                names = (old_name, *{_class_name(old_name, fw), old_name.capitalize()})
            related = _django_relations(ctx, m, op) if fw == "django" else frozenset()
            target = Target(
                op.table or old_name,
                None if table_op else old_name,
                op.model,
                related,
                folds=not m.target.postgres,
            )
            use = _stopped_using(ctx, target, names)
            if use is None:
                continue
            evidence = (
                f"this PR stops using it in {code(use.path)} (line {use.line} of the base "
                "version), so the version still serving uses it"
            )
            weak = "" if use.structural else _by_name(use, "the name")
        fix = _EXPAND_CONTRACT.get(fw, _GENERIC).replace("{column}", old_name)
        yield GR511.finding(
            f"{thing} is {verb} in the same release that stops using it.",
            f"During the deploy the old version keeps serving, and {evidence}: its queries fail "
            f"(“column does not exist”) until every instance runs the new code; after a "
            f"rollback the old version fails the same way"
            + (", and the data is gone." if verb == "dropped" else ".")
            + weak
            + f" Expand and contract instead. {fix}",
            severity=None if not weak else Severity.WARNING,
            path=m.file.path,
            line=op.line,
        )


# -- NOT NULL without a database default while the old version inserts -----------------------------

_INSERTS = {
    "django": r"(?<!class )\b{model}(?:\.objects\.(?:create|bulk_create|get_or_create|update_or_create)\(|\()",
    "rails": r"\b{model}\.(?:create!?|new|insert|insert_all!?|upsert|find_or_create_by!?)\b",
    "alembic": r"(?<!class )\b{model}\(",
    "sql": r"(?i)\binsert\s+into\s+[\"`]?{table}[\"`]?\b",
}


def _class_name(table: str, fw: str, model: str | None = None) -> str:
    if fw == "rails":
        return "".join(part.capitalize() for part in _singular(table).split("_"))
    if fw == "django":
        return model or table  # the reader's model name, lower case (matched ignoring case)
    return "".join(part.capitalize() for part in _singular(table).split("_"))


def _insert_patterns(fw: str, table: str, model: str | None = None) -> list[re.Pattern[str]]:
    patterns = [re.compile(_INSERTS["sql"].format(table=re.escape(table)))]
    if fw in _INSERTS and fw != "sql":
        flags = re.IGNORECASE if fw == "django" else 0
        name = _class_name(table, fw, model)
        patterns.append(re.compile(_INSERTS[fw].format(model=re.escape(name)), flags))
    return patterns


def _structural_inserts(path: str, text: str, target: Target) -> _Use | None | bool:
    """The first insert the syntax shows (a _Use), False when the syntax shows none, None
    when the file cannot be read by its syntax."""
    if not uses.reads_inserts(path):
        return None
    if not uses.might_insert(text, target, path):
        return False  # no word any insert the syntax recognises is made of: not parsed
    lines = uses.inserts(path, text, target)
    if lines is None:
        return None
    return _Use(path, lines[0]) if lines else False


def _by_pattern(
    path: str, lines: Iterable[tuple[int, str]], patterns: list[re.Pattern[str]]
) -> _Use | None:
    for number, text in lines:
        if any(p.search(text) for p in patterns):
            return _Use(path, number, structural=False)
    return None


def _insert_in_patches(
    ctx: Analysis, target: Target, patterns: list[re.Pattern[str]], hints: tuple[str, ...]
) -> tuple[_Use | None, _Use | None]:
    """(an insert the syntax shows, one only the name shows) in the base versions of the
    code files the PR changes (tests insert into a test database, not production's, and are
    left out). A patch that names neither the table nor the model (`hints`, lower case)
    cannot insert into it and is not read. Without the base file, the patch's removed and
    context lines are searched by name."""
    by_name = None
    files, containing = ctx.get(BASE_CODE)
    named = containing.texts_with(hints)  # the patches that name a hint (lower-cased)
    for i, f in enumerate(files):
        if named is not None and i not in named:
            continue
        if named is None and not any(h in f.patch.lower() for h in hints):
            continue
        readable = ctx.read is not None and uses.reads_inserts(f.path)
        text = ctx.read("base", f.path) if readable and ctx.read is not None else None
        found = _structural_inserts(f.path, text, target) if text is not None else None
        if isinstance(found, _Use):
            return found, None
        if found is None and by_name is None:
            by_name = _by_pattern(f.path, f.lines, patterns)
    return None, by_name


def _insert_in_checkout(
    ctx: Analysis, target: Target, patterns: list[re.Pattern[str]], hints: tuple[str, ...]
) -> tuple[_Use | None, _Use | None]:
    """As `_insert_in_patches`, in the checkout's source files the PR does not change (the
    same at base)."""
    if ctx.read_tree is None:
        return None, None
    by_name = None
    for path in ctx.get(CHECKOUT_SOURCES):
        text = ctx.read_tree(path)
        if not text or not any(h in _lowered(text) for h in hints):
            continue
        found = _structural_inserts(path, text, target)
        if isinstance(found, _Use):
            return found, None
        if found is None and by_name is None:
            by_name = _by_pattern(path, enumerate(text.splitlines(), 1), patterns)
    return None, by_name


def _insert_site(ctx: Analysis, fw: str, table: str, model: str | None = None) -> _Use | None:
    """Where the old version inserts rows into `table`: shown by the syntax if anywhere, else
    by the name alone."""
    target = Target(table, None, model)
    patterns = _insert_patterns(fw, table, model)
    # The SQL pattern names the table, the ORM pattern the model (Rails' `line_items` is
    # `LineItem`): a file that can match names one of the two.
    hints = tuple(dict.fromkeys((table.lower(), _class_name(table, fw, model).lower())))
    seen, named = _insert_in_patches(ctx, target, patterns, hints)
    if seen is not None:
        return seen
    seen, named_too = _insert_in_checkout(ctx, target, patterns, hints)
    return seen or named or named_too


def _required_findings(ctx: Analysis, m: Migration) -> Iterator[Finding]:
    fw = m.kind.framework
    for op in m.ops:
        if op.kind != OpKind.ADD_COLUMN or not op.not_null or op.has_default or op.new_table:
            continue
        if not op.table or not op.column:
            continue
        flavour = fw if fw in _INSERTS else "sql"
        site = _insert_site(ctx, flavour, op.table, op.model)
        if site is None:
            continue
        orm = " (Django's `default=` is applied by the new code only)" if op.orm_default else ""
        weak = "" if site.structural else _by_name(site, "the insert")
        # GR210 (the same column, same line) is folded into this line by the engine: say
        # what it would have said.
        rows = (
            ""
            if op.orm_default
            else " On a table that already has rows the migration itself fails first "
            "(“column contains null values”)."
        )
        yield GR512.finding(
            f"{code(f'{op.table}.{op.column}')} is added NOT NULL without a database default, "
            f"and the old version inserts rows without it ({code(f'{site.path}:{site.line}')}).",
            f"During the deploy the old version keeps inserting rows that leave it out{orm}, "
            "and each insert fails with a NOT NULL violation; after a rollback the old version "
            f"fails the same way until the column is dropped or loosened.{rows}{weak} Add it "
            f"with a database default ({framework(fw).db_default}) or nullable, backfill, and make "
            "it NOT NULL in a later release.",
            severity=Severity.WARNING if weak else None,
            path=m.file.path,
            line=op.line,
        )


def check_deploy_order(ctx: Analysis) -> Iterator[Output]:
    found: list[Finding] = []
    candidates = 0
    for m in migrations(ctx):
        if m.kind.role not in ("up", "baseline"):
            continue
        candidates += sum(1 for op in m.ops if _candidate(op))
        found.extend(_drop_findings(ctx, m))
        found.extend(_required_findings(ctx, m))
    if migrations(ctx) and not candidates:
        # Said only when there is nothing to trip on: a drop guardrail found no use of is
        # judged by migration-safety, not declared safe here.
        yield Answer(
            DEPLOY, "no drop, rename or required column for the running version to trip on"
        )
    yield from found


def _candidate(op: Op) -> bool:
    if op.new_table:
        return False
    required = op.kind == OpKind.ADD_COLUMN and op.not_null and not op.has_default
    return op.kind in _DROPS or required


CHECKS = (check_deploy_order,)
