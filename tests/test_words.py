"""The word sets that let deploy-order ask many names of one patch: a file they rule out can
never match the patterns the check then runs (a necessary condition, never a changed answer)."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from guardrail import config as cfgmod
from guardrail.analysis import code_sources
from guardrail.analysis.words import Containing, may_name, naming_any, word_key, words
from guardrail.checks import deploy_order
from guardrail.engine import run
from guardrail.model import ChangedFile, PullRequest

NAMES = ["orders", "Order", "order_items", "t1", "legacy", "LineItem", "public.orders", "ordér"]
# Pieces of the names and of the patterns' surroundings, and characters where Python's `\w`
# and case folding go beyond ASCII (é, the long s, the Kelvin sign).
TEXT = st.lists(
    st.sampled_from(
        [*'ordersOrdeIitmLnyglac_t1.$( )"`\n', "é", "ſ", "K", "insert into ", ".objects."]
        + ["create(", "class ", "public.", "Item", "LineItem.new", "orders"]
    ),
    max_size=40,
).map("".join)


def test_words_are_lowered_maximal_runs() -> None:
    want = frozenset({b"order", b"objects", b"create", b"t1", b"x"})
    assert words("Order.objects.create(t1=$x)") == want
    assert words("ordér") is None  # outside ASCII: no set, the caller's own test decides
    assert word_key("Orders") == b"orders"
    assert word_key("public.orders") is None
    assert word_key("two words") is None
    assert word_key("") is None


def test_a_name_absent_from_the_words_is_ruled_out_and_nothing_else() -> None:
    found = words("x = Order(id=1)\ny = orders_log\n")
    assert may_name(found, ("order",), None)
    assert not may_name(found, ("orders",), None)  # `orders_log` is another word
    assert may_name(found, ("public.orders",), None)  # not a word: cannot rule it out
    assert not may_name(found, ("public.orders",), lambda: "x = order(id=1)")
    assert may_name(None, ("orders",), None)
    # Django lookup paths: each name between `__` is a name the patterns find
    found = words("Order.objects.filter(customer__orders__status='x')")
    assert may_name(found, ("orders",), None) and may_name(found, ("status",), None)
    assert not may_name(found, ("ders",), None) and not may_name(found, ("orders__s",), None)


def test_a_word_of_many_lookups_stays_linear() -> None:
    found = words("a__" * 20_000)
    assert found is not None and len(found) < 20_000 * 70


@settings(max_examples=300, deadline=None)
@given(TEXT, st.sampled_from(NAMES))
@example("orders__", "orders")  # a Django lookup path: `__` is a boundary (found by this test)
@example("x___order_items__in", "order_items")
def test_ruled_out_means_no_pattern_matches(text: str, name: str) -> None:
    """Every pattern deploy-order runs over a file's lines, for every name, cannot match a text
    `may_name` rules out."""
    fallback = text.lower
    patterns = [deploy_order._word(name)]
    for fw in ("sql", "django", "rails", "alembic"):
        patterns += deploy_order._insert_patterns(fw, name)
    hints = (name.lower(), deploy_order._class_name(name, "rails").lower())
    if not may_name(words(text), (name,), None):
        assert not patterns[0].search(text)
    if not may_name(words(text), hints, fallback):
        assert not any(p.search(text) for p in patterns[1:]), [p.pattern for p in patterns]


@settings(max_examples=300, deadline=None)
@given(st.lists(TEXT, max_size=6), st.lists(st.sampled_from(NAMES), min_size=1, max_size=3))
def test_containing_is_the_substring_test(texts: list[str], names: list[str]) -> None:
    """The texts `Containing` names for a needle are exactly those whose lower-cased form holds
    it (deploy-order's gate for the insert search); needles it cannot index give None."""
    needles = tuple(n.lower() for n in names)
    want = {i for i, t in enumerate(texts) if any(n in t.lower() for n in needles)}
    containing = Containing(texts, [words(t) for t in texts])
    # The first needles are searched in the texts, the later ones in the indexed words.
    for _ in range(Containing.DIRECT + 2):
        got = containing.texts_with(needles)
        if all(word_key(n) is not None for n in needles):
            assert got == want
        else:
            assert got is None


def test_deploy_order_reads_each_patch_once_for_many_names(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ten required columns and a dropped one are looked up in one word set per code patch,
    built once for the run; the answer is the one the line-by-line search gives."""
    calls: list[str] = []
    real = words

    def counted(text: str) -> frozenset[bytes] | None:
        calls.append(text)
        return real(text)

    monkeypatch.setattr(code_sources, "words", counted)
    code = [
        ChangedFile(
            "internal/orders/store.go",
            patch="@@ -30,2 +30,2 @@\n \tconst q = `INSERT INTO t3 (id) VALUES ($1)`\n"
            "-\t_, err := s.db.Exec(q, id)\n+\t_, err := s.db.ExecContext(ctx, q, id)",
        ),
        ChangedFile("app/report.py", patch="@@ -1,1 +1,1 @@\n-x = row.legacy\n+x = row.total"),
        ChangedFile("app/other.py", patch="@@ -1,1 +1,1 @@\n-y = 1\n+y = 2"),
    ]
    sql = [
        ChangedFile(
            f"db/migrations/V{i}__add.sql",
            status="added",
            patch=f"@@ -0,0 +1,1 @@\n+ALTER TABLE t{i} ADD COLUMN c text NOT NULL;",
        )
        for i in range(10)
    ]
    drop = ChangedFile(
        "db/migrations/V10__drop.sql",
        status="added",
        patch="@@ -0,0 +1,1 @@\n+ALTER TABLE t20 DROP COLUMN legacy;",
    )
    pr = PullRequest(files=(*code, *sql, drop))
    report = run(pr, cfgmod.parse(None, "test"), checks=deploy_order.CHECKS)
    found = {(f.rule, f.path) for f in report.findings}
    assert ("GR512", "db/migrations/V3__add.sql") in found
    assert ("GR511", "db/migrations/V10__drop.sql") in found
    assert sum(1 for f in report.findings if f.rule == "GR512") == 1
    assert sorted(calls) == sorted(
        f.patch or "" for f in code
    )  # each code patch once, nothing else


PATCHY = st.lists(
    st.sampled_from(
        ["+", "-", " ", "+++ b/x", "--- a/x", "\n", "\r\n", "\u2028", "class ", "x: int"]
        + ["Field(", "?", "|", "type ", "enum", "a", "b = 1", "\\", "@@ -1 +1 @@"]
        + ["# note", "  # x: int", "\t", "from x import y", "@dataclass"]
    ),
    max_size=30,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(PATCHY)
def test_touches_fields_skips_only_a_patch_of_blank_and_comment_lines(patch: str) -> None:
    """The data-shape gate skips a file only when no changed line can be a declaration."""
    from guardrail.analysis.shapes import changed

    bodies = [
        line[1:]
        for line in patch.splitlines()
        if line[:1] in ("+", "-") and not line.startswith(("+++", "---"))
    ]
    # Python: an indented line, or a class, decorator or import at column 0.
    expected = any(
        body.strip()
        and not body.strip().startswith("#")
        and (body[0].isspace() or body.startswith(("class ", "@", "from ", "import ")))
        for body in bodies
    )
    assert changed._touches_fields(patch, ".py") == expected
    assert changed._touches_fields(patch, ".proto") is True


LOOKUP_TEXT = st.lists(
    st.sampled_from(["or", "der", "__", "_", "O", " ", ".", "x", "\u212a", "k", "1"]),
    max_size=16,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(LOOKUP_TEXT, st.lists(LOOKUP_TEXT, max_size=3))
@example("a__or der__", ["or der"])  # across two words (joined sorted): never a match
@example("x__or der__x y__or", ["der__X"])
@example("x__\u212a y", ["\u212a", "k"])
def test_lookup_gate_answers_as_the_word_by_word_test_it_replaces(
    text: str, names: list[str]
) -> None:
    """deploy-order's lookup gate searches a patch's lookup words joined (once per patch): the
    same answer as testing `__name` in each word, for names with spaces, dots, capitals and
    the Kelvin sign (lower-cases to ASCII `k`)."""
    from guardrail.checks import deploy_order

    found = words(text)
    keys = [b"__" + n.lower().encode("ascii", "replace") for n in names if n]
    word_by_word = found is None or any(k in w for w in found if b"__" in w for k in keys)
    assert deploy_order._in_lookup(found, tuple(names)) == word_by_word


# Names with shared prefixes, prefixes of each other, regular-expression characters, spaces and
# non-ASCII letters, so the prefix tree's every shape (runs, branches, a name ending where others
# go on) meets the texts above.
NAMING = st.sampled_from([*NAMES, "Ord", "Or", "order", "", "a.b", "(x", "[", "\\", " ", "é"])


@settings(max_examples=500, deadline=None)
@given(st.lists(TEXT, max_size=5), st.sets(NAMING, max_size=8))
@example(["Order"], {"Ord", "Order", "Orders"})  # a name with a shorter name as its prefix
@example(["x"], set())  # no names: nothing is named
@example(["x"], {""})  # the empty name is in every text, as `in` says
@example(["a+b"], {"a.b"})  # escaped: `.` is no wildcard
def test_naming_any_is_the_substring_test(texts: list[str], names: set[str]) -> None:
    test = naming_any(names)
    for text in texts:
        assert test(text) == any(n in text for n in names), (text, names)


def test_naming_any_past_its_nesting_bound_still_answers() -> None:
    # Each name branches one level deeper than the last: past the bound, the plain test.
    names = {"a" * i + "b" for i in range(60)} | {"a" * i + "c" for i in range(60)}
    test = naming_any(names)
    assert test("xx" + "a" * 59 + "c") and not test("a" * 80)
    assert test("a" * 30 + "b")
