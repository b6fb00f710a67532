"""Is there a test that feeds the changed shape data of its old form?

Credible evidence gives old-shape data (a payload of the model's other fields without the
now-required field, the field set to None/null, a payload still carrying a removed field or the
old name of a renamed one, a removed enum member) to code that reaches the model:

- Python: a test that refers to the model as code (imports, constructs, validates it, or uses a
  factory named for it) and holds such data; a string or comment naming it is not enough.
- TypeScript/JavaScript (tree-sitter) and Go (composite literals): a real use, a call, `new`,
  `.parse`/`.safeParse` or literal of the type or schema given such data. The name anywhere
  else in the file does not count.
- Any of them: a call giving such data to a function of the repository (a helper, a fixture
  factory, a loader) that passes its parameters on to the model, followed through imports and
  calls up to MAX_FOLLOW_DEPTH deep.

Test files are indexed once per run (words per file), and each file is parsed once, into the
facts of guardrail/analysis/testfacts.py, the first time a tightening asks: every later
tightening is a lookup in those facts, not a new walk of a syntax tree.
"""

from __future__ import annotations

import bisect
import json
import posixpath
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from guardrail.analysis import testfacts
from guardrail.analysis.isolate import Problems
from guardrail.analysis.paths import matches
from guardrail.analysis.shapes import Tightening, TKind
from guardrail.analysis.testfacts import Facts, Payload
from guardrail.text import code

TEST_GLOBS = (
    "**/test_*.py",
    "**/*_test.py",
    "**/*_test.go",
    "**/tests/**",
    "**/test/**",
    "**/__tests__/**",
    "**/*.test.*",
    "**/*.spec.*",
    "**/spec/**",
    "**/fixtures/**",
    "**/testdata/**",
    "**/conftest.py",
)
PROJECT_MARKERS = ("pyproject.toml", "setup.py", "package.json", "go.mod")
MAX_TEST_FILES = 3000
MAX_TEST_BYTES = 300_000
MAX_FOLLOW_DEPTH = 3  # calls followed from a test into helpers, and from helpers on
MAX_FOLLOWED_FILES = 200  # helper modules outside the test index read per run
MAX_API_MODULES = 100  # modules a test imports, read per batch without a checkout (one request)
MAX_DATA_CANDIDATES = 200  # test files not naming the model whose calls are followed, per shape
_NULLS = frozenset({"None", "null", "undefined", "nil"})
_LEGACY_WORDS = (
    "legacy",
    "old",
    "v1",
    "previous",
    "before",
    "backward",
    "backwards",
    "compat",
    "stored",
    "existing",
    "historical",
    "migrat",
)
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Evidence:
    path: str
    line: int
    what: str  # "builds `Order` without `coupon`"


@dataclass
class TestIndex:
    files: dict[str, str] = field(default_factory=dict)  # path -> text
    words: dict[str, frozenset[str]] = field(default_factory=dict)
    changed: frozenset[str] = frozenset()
    # Folders holding a project marker (pyproject.toml, setup.py, package.json, go.mod).
    roots: frozenset[str] = frozenset()
    # Test files that failed to read (reported as GR901); shared with the run's list.
    problems: Problems = field(default_factory=Problems)
    # Reads a repository file that is not a test (a helper module a test imports); None: none.
    load: Callable[[str], str | None] | None = None
    # The repository's paths (the tree listing), to resolve imports; empty: unknown.
    known: frozenset[str] = frozenset()
    _facts: dict[str, Facts | None] = field(default_factory=dict)
    _reach: dict[tuple[str, str, str], bool] = field(default_factory=dict)
    _refers: dict[tuple[str, str], bool] = field(default_factory=dict)
    _helpers: dict[str, list[str]] = field(default_factory=dict)
    loaded: int = 0  # helper files read beyond the index (at most MAX_FOLLOWED_FILES)
    # Without a checkout (the action reading through the API): the repository modules the
    # search wanted to follow and could not read yet (a test's `from shop import importer`),
    # read in one batch through `more` when a finding is still uncovered; their texts once read.
    more: Callable[[list[str]], dict[str, str | None]] | None = None
    unread: set[str] = field(default_factory=set)
    fetched: dict[str, str | None] = field(default_factory=dict)
    ours: frozenset[str] = frozenset()  # the PR's paths: folders of the repository
    _tops: frozenset[str] | None = None  # the top folders of the paths known
    searched: str = "the tests changed by the PR"  # where evidence was searched, in words

    _by_word: dict[str, set[str]] = field(default_factory=dict)  # word -> files
    _lowered_files: dict[str, set[str]] = field(default_factory=dict)
    _vocab: tuple[str, list[int], list[str]] | None = None  # lowered words, joined
    _mentioning: dict[str, list[str]] = field(default_factory=dict)
    _roots: dict[str, str] = field(default_factory=dict)
    _holding: dict[tuple[str, str, str, frozenset[str]], list[str]] = field(default_factory=dict)

    def add(self, path: str, text: str) -> None:
        if path in self.files or len(self.files) >= MAX_TEST_FILES or len(text) > MAX_TEST_BYTES:
            return
        self.files[path] = text
        words = self.words[path] = frozenset(_WORD.findall(text))
        for w in words:
            self._by_word.setdefault(w, set()).add(path)
        self._vocab = None

    def root(self, path: str) -> str:
        """The service/package a file belongs to: the nearest folder above it with a project
        marker in the tree listing, else its first path segment. A tree with no marker at all
        is one project (docs/data-shapes.md)."""
        if not self.roots:
            return ""
        found = self._roots.get(path)
        if found is None:
            parts = path.split("/")[:-1]
            found = parts[0] if parts else ""
            for i in range(len(parts), -1, -1):
                folder = "/".join(parts[:i])
                if folder in self.roots:
                    found = folder
                    break
            self._roots[path] = found
        return found

    def mentioning(self, name: str) -> list[str]:
        """Files naming `name` as a word, or inside one (`OrderFactory`, `make_order`): one
        substring search of the run's vocabulary (every distinct word, lower case, one per
        line), then a lookup of the files holding the words found."""
        hits = self._mentioning.get(name)
        if hits is not None:
            return hits
        if self._vocab is None:
            lowered: dict[str, set[str]] = {}
            for w, paths in self._by_word.items():
                lowered.setdefault(w.lower(), set()).update(paths)
            ordered = sorted(lowered)
            starts: list[int] = []
            offset = 0
            for w in ordered:
                starts.append(offset)
                offset += len(w) + 1
            self._vocab = ("\n".join(ordered), starts, ordered)
            self._lowered_files = lowered
        joined, starts, ordered = self._vocab
        low = name.lower()
        found: set[str] = set(self._by_word.get(name, ()))
        if low and "\n" not in low:
            at = joined.find(low)
            while at >= 0:
                i = bisect.bisect_right(starts, at) - 1
                found |= self._lowered_files[ordered[i]]
                # Next search after this word: every file holding it is already counted.
                at = joined.find(low, starts[i] + len(ordered[i]) + 1)
        hits = sorted(found, key=lambda p: (p not in self.changed, p))
        self._mentioning[name] = hits
        return hits

    def facts(self, path: str) -> Facts | None:
        """What the file does, parsed once per run (None: not code guardrail reads, or
        unreadable, which is recorded). A file outside the index is read through `load`, at
        most MAX_FOLLOWED_FILES of them per run."""
        if path in self._facts:
            return self._facts[path]
        text = self.files.get(path)
        if text is None and path in self.fetched:
            text = self.fetched[path]
        elif text is None and self.load is not None and self.loaded < MAX_FOLLOWED_FILES:
            self.loaded += 1
            text = self.load(path)
            if text is not None and len(text) > MAX_TEST_BYTES:
                text = None
        found: Facts | None = None
        if text is not None:
            try:
                found = testfacts.read(path, text)
            except (SyntaxError, ValueError) as exc:
                if path in self.files and testfacts.language_of(path) != testfacts.PYTHON:
                    self.problems.add(path, "test file", exc)
            except Exception as exc:  # too deep to parse, …: that file's problem only
                self.problems.add(path, "test file", exc)
        self._facts[path] = found
        return found

    def refers(self, facts: Facts, name: str) -> bool:
        key = (facts.path, name)
        if key not in self._refers:
            self._refers[key] = refers_to(facts, name)
        return self._refers[key]

    def exists(self, path: str) -> bool:
        if path in self.files or path in self.known:
            return True
        if self.more is not None:
            # Not listed: a module of the repository is not in the test folders' listing.
            if path in self.fetched:
                return self.fetched[path] is not None
            if self._may_be_ours(path):
                self.unread.add(path)
            return False
        return not self.known and self.facts(path) is not None

    def _may_be_ours(self, path: str) -> bool:
        """A path under a top folder the repository is known to have (its listed tests, the
        PR's files): `shop/importer.py`, not `json.py` for `import json`."""
        if self._tops is None:
            self._tops = frozenset(
                p.split("/", 1)[0] for p in (*self.known, *self.files, *self.ours)
            )
        return "/" in path and path.split("/", 1)[0] in self._tops

    def read_unread(self, limit: int = MAX_API_MODULES) -> int:
        """Read the modules the search wanted and could not, in one batch (one GraphQL request
        through the API); the search can then be asked again. Returns how many were asked."""
        if self.more is None or not self.unread:
            return 0
        wanted = sorted(self.unread - self.fetched.keys())[:limit]
        self.unread -= set(wanted)
        if not wanted:
            return 0
        got = self.more(wanted)
        for path in wanted:
            text = got.get(path)
            self.fetched[path] = text if text is not None and len(text) <= MAX_TEST_BYTES else None
        # What was decided without these modules is asked again.
        self._reach.clear()
        self._helpers.clear()
        for path in wanted:
            self._facts.pop(path, None)
        return len(wanted)

    def module_path(self, importer: str, module: str, language: str) -> str | None:
        """The repository file an import names, or None (a library, or not found)."""
        folder = importer.rpartition("/")[0]
        if language == testfacts.PYTHON:
            level = len(module) - len(module.lstrip("."))
            rest = module[level:].replace(".", "/")
            if level:
                parts = folder.split("/") if folder else []
                base = "/".join(parts[: len(parts) - (level - 1)]) if level > 1 else folder
                stems = [f"{base}/{rest}".strip("/")] if rest else [base]
            else:
                stems = [rest, *(f"{p}/{rest}" for p in self._prefixes(importer))]
            for stem in stems:
                for candidate in (f"{stem}.py", f"{stem}/__init__.py"):
                    if self.exists(candidate):
                        return candidate
            return None
        if language == testfacts.TYPESCRIPT and module.startswith("."):
            stem = posixpath.normpath(posixpath.join(folder, module))
            for suffix in _TS_MODULE_SUFFIXES:
                if self.exists(stem + suffix):
                    return stem + suffix
        return None

    def _prefixes(self, importer: str) -> list[str]:
        """Folders an absolute Python import may start from: the service root, `src/` below
        it, and the repository root's `src/`."""
        root = self.root(importer)
        out = [root, f"{root}/src" if root else "src"]
        return [p for p in dict.fromkeys(out) if p]

    def resolve(self, facts: Facts, callee: str) -> tuple[str, str] | None:
        """The (file, function) a call in `facts` reaches, or None."""
        segments = callee.split(".")
        head = segments[0]
        if len(segments) == 1 and head in facts.functions:
            return facts.path, head
        if head not in facts.imports or len(segments) > 2:
            return None
        module, imported = facts.imports[head]
        if len(segments) == 1 and imported and imported != "default":
            target = self.module_path(facts.path, module, facts.language)
            return (target, imported) if target is not None else None
        if len(segments) == 2:
            if imported and facts.language == testfacts.PYTHON:
                module = f"{module}.{imported}" if not module.endswith(".") else module + imported
            elif imported:
                return None
            target = self.module_path(facts.path, module, facts.language)
            return (target, segments[1]) if target is not None else None
        return None

    def reaches(self, target: tuple[str, str], model: str, depth: int) -> bool:
        """Does the function pass its parameters' data on to the model, directly or through
        functions it calls (at most `depth` calls deep)?"""
        path, function = target
        key = (path, function, model)
        if key in self._reach:
            return self._reach[key]
        self._reach[key] = False  # a recursive helper does not loop
        facts = self.facts(path)
        found = False
        if facts is not None and depth > 0:
            for c in facts.calls_in(function):
                if not c.passes:
                    continue
                if _calls_model(c.callee, model, loose=False):
                    found = True
                    break
                inner = self.resolve(facts, c.callee)
                if inner is not None and depth > 1 and self.reaches(inner, model, depth - 1):
                    found = True
                    break
        self._reach[key] = found
        return found

    def calling_helpers_of(self, model: str) -> list[str]:
        """Test files that call a function of the index which builds the model from its
        parameters (a factory, a fixture helper), following such functions back a few deep."""
        if model in self._helpers:
            return self._helpers[model]
        helpers: set[str] = set()
        frontier = [model]
        for _ in range(MAX_FOLLOW_DEPTH):
            new: set[str] = set()
            for name in frontier:
                for path in self._naming(name):
                    facts = self.facts(path)
                    if facts is None:
                        continue
                    for fn in facts.functions:
                        if fn not in helpers and self.reaches((path, fn), model, MAX_FOLLOW_DEPTH):
                            new.add(fn)
            helpers |= new
            frontier = sorted(new)
            if not frontier:
                break
        out = sorted(
            {p for h in helpers for p in self._naming(h)},
            key=lambda p: (p not in self.changed, p),
        )
        self._helpers[model] = out
        return out

    def holding_old_data(self, t: Tightening) -> list[str]:
        """Test files whose words could hold old-shape data for `t` (its other fields, and the
        field absent, set to null, or still there), which may give it to a helper that does not
        name the model: at most MAX_DATA_CANDIDATES, the PR's own tests first."""
        fname = t.field or ""
        others = set(t.shape.fields) - {fname}
        if not others or not fname:
            return []
        key = (t.code, fname, t.old.name if t.old is not None else "", frozenset(others))
        memo = self._holding.get(key)
        if memo is not None:
            return memo
        need = min(2, len(others))
        old = t.old.name if t.old is not None else fname

        def fits(w: frozenset[str]) -> bool:
            if t.code in (TKind.REQUIRED, TKind.NEW_REQUIRED):
                return fname not in w or bool(_NULLS & w)
            if t.code == TKind.NOT_NULL:
                return fname in w and bool(_NULLS & w)
            if t.code == TKind.RENAMED:
                return old in w
            return t.code == TKind.REMOVED and fname in w

        counted: dict[str, int] = {}
        for other in others:
            for p in self._by_word.get(other, ()):
                counted[p] = counted.get(p, 0) + 1
        hits = [p for p, n in counted.items() if n >= need and fits(self.words[p])]
        hits.sort(key=lambda p: (p not in self.changed, p))
        self._holding[key] = hits[:MAX_DATA_CANDIDATES]
        return self._holding[key]

    def fixtures_mentioning(self, name: str) -> list[str]:
        """Data files under fixtures/ or testdata/ naming `name`."""
        return [p for p in self.mentioning(name) if _is_fixture(p)]

    def fixtures_named(self, stem: str) -> list[str]:
        """Data files under fixtures/ or testdata/ whose file name names the model
        (`tests/fixtures/order_before_coupon.json` for `Order`)."""
        return sorted(
            p for p in self.files if _is_fixture(p) and stem in p.rsplit("/", 1)[-1].lower()
        )

    def _naming(self, name: str) -> list[str]:
        return sorted(self._by_word.get(name, ()))


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


_LISTS_FILES = ("glob(", "iterdir(", "listdir(", "scandir(", "walk(")


def fixture_loaded(index: TestIndex, path: str) -> str | None:
    """A test file that loads the data file `path`: one that names it (its file name or stem:
    `load("order_before_coupon.json")`, Django's `fixtures = ["orders"]`), or one that names
    its folder and lists files (`(DATA / "legacy").glob("*.json")`). A fixture no test loads
    is a template saved and forgotten: no test reads that old record."""
    folder, _, base = path.rpartition("/")
    stem = base.rsplit(".", 1)[0].lower()
    parent = folder.rsplit("/", 1)[-1].lower()
    for name, listing in ((stem, False), (parent, True)):
        if len(name) < 3:
            continue
        for p in index.mentioning(name):
            if p == path or _is_fixture(p) and not p.endswith(_CODE_SUFFIXES):
                continue
            text = index.files.get(p, "").lower()
            if name in text and (not listing or any(call in text for call in _LISTS_FILES)):
                return p
    return None


_CODE_SUFFIXES = (".py", ".ts", ".tsx", ".js", ".jsx", ".mjs", ".rb", ".go", ".java", ".kt", ".cs")


def _is_fixture(path: str) -> bool:
    low = f"/{path.lower()}"
    return "/fixtures/" in low or "/testdata/" in low


_TS_MODULE_SUFFIXES = (
    "",
    ".ts",
    ".tsx",
    ".js",
    ".jsx",
    ".mjs",
    "/index.ts",
    "/index.tsx",
    "/index.js",
)


def is_test_path(path: str) -> bool:
    return matches(path, TEST_GLOBS)


def project_roots(paths: Iterable[str]) -> frozenset[str]:
    out = set()
    for path in paths:
        folder, _, base = path.rpartition("/")
        if base in PROJECT_MARKERS and "node_modules/" not in f"{folder}/":
            out.add(folder)
    return frozenset(out)


def build_index(
    changed: Iterable[tuple[str, str]],
    rest: Iterable[str],
    read: Callable[[str], str | None],
    problems: Problems | None = None,
    roots: frozenset[str] = frozenset(),
    load: Callable[[str], str | None] | None = None,
) -> TestIndex:
    """The run's test index. `rest` lists the repository (the tree), read through `read`;
    `load` reads a helper module a test imports (None: only test files are followed)."""
    rest = list(rest)
    index = TestIndex(roots=roots, load=load, known=frozenset(rest))
    if problems is not None:
        index.problems = problems
    changed_paths = []
    for path, text in changed:
        index.add(path, text)
        changed_paths.append(path)
    index.changed = frozenset(changed_paths)
    for path in rest:
        if len(index.files) >= MAX_TEST_FILES:
            break
        if path in index.files or not is_test_path(path):
            continue
        content = read(path)
        if content is not None:
            index.add(path, content)
    return index


_BUILDER_WORDS = frozenset({"make", "build", "create", "factory", "new", "fake", "sample"})


def _tokens(identifier: str) -> list[str]:
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", identifier)
    return [w for w in spaced.lower().split("_") if w]


def refers_to(facts: Facts, name: str) -> bool:
    """Does the test refer to the model as code: imported, constructed, called, or built by a
    factory/fixture named for it (`OrderFactory`, `make_order`, `order_factory`)? A string that
    merely names it (a log message, a parametrize id) does not count."""
    return _names_model(facts.idents, name)


def _names_model(idents: Iterable[str], name: str) -> bool:
    """`refers_to` for a set of identifiers (a file's, or one function's)."""
    if name in idents:
        return True
    model = _tokens(name)
    n = len(model)
    low = name.lower()
    for ident in idents:
        if low not in ident.lower():
            continue
        words = _tokens(ident)
        has_model = any(words[i : i + n] == model for i in range(len(words) - n + 1))
        if has_model and _BUILDER_WORDS & set(words):
            return True
    return False


def _old_data(t: Tightening, p: Payload, go: bool = False) -> str | None:
    """How the literal `p` is data of the old shape for `t`, in words, or None."""
    fname = t.field or ""
    keys, nulls = p.keys, p.nulls
    if go:  # Go fields are exported names: `CouponCode` for `coupon_code`
        keys = frozenset(_go_key(k) for k in keys)
        nulls = frozenset(_go_key(k) for k in nulls)
        fname = _go_key(fname)
        others = {_go_key(o) for o in t.shape.fields} - {fname}
        old_name = _go_key(t.old.name) if t.old is not None else fname
    else:
        others = set(t.shape.fields) - {fname}
        old_name = t.old.name if t.old is not None else fname
    lacks = fname in p.absent  # `const {coupon, ...legacy} = row`: removed by name
    if not keys & others and not lacks:
        return None
    name = code(t.shape.name)
    if (
        t.code in (TKind.REQUIRED, TKind.NEW_REQUIRED)
        and fname not in keys
        and (not p.open or lacks)
    ):
        return f"a {name} payload without {code(t.field or '')}"
    if t.code in (TKind.REQUIRED, TKind.NOT_NULL) and fname in nulls:
        return f"a {name} payload with {code(t.field or '')} set to null"
    if t.code == TKind.RENAMED and old_name in keys and fname not in keys:
        return f"a {name} payload with the old name {code(t.old.name if t.old else old_name)}"
    if t.code == TKind.REMOVED and fname in keys:
        return f"a {name} payload that still carries {code(t.field or '')}"
    return None


def _go_key(name: str) -> str:
    return name.replace("_", "").lower()


_VERBS = frozenset(
    {
        "parse",
        "safeparse",
        "validate",
        "decode",
        "deserialize",
        "from",
        "to",
        "load",
        "read",
        "make",
        "build",
        "create",
        "new",
        "fake",
        "factory",
        "sample",
        "mock",
        "model",
    }
)


def _calls_model(callee: str, name: str, loose: bool) -> bool:
    """Does the call construct, validate or parse the model: `Order(...)`, `Order.parse(...)`,
    `pb.Order(...)`, `Order.objects.create(...)`; with `loose`, also a function named for it
    with a verb (`parseOrder`, `OrderSchema.safeParse`, `make_order`)."""
    segments = callee.split(".")
    if name in segments:
        return True
    if not loose:
        return False
    model = _tokens(name)
    words = [w for seg in segments for w in _tokens(seg)]
    n = len(model)
    has_model = any(words[i : i + n] == model for i in range(len(words) - n + 1))
    return has_model and bool(_VERBS & set(words))


def _python_direct(t: Tightening, facts: Facts, path: str) -> Evidence | None:
    """A Python test that refers to the model as code and holds old-shape data: a construction
    without the field, a payload of its other fields, a removed value, a test named for old
    data that names the field."""
    name = t.shape.name
    fname = t.field or ""
    others = set(t.shape.fields) - {fname}
    if t.code in (TKind.REQUIRED, TKind.NEW_REQUIRED, TKind.NOT_NULL, TKind.RENAMED):
        for c in facts.calls:
            if c.callee.split(".")[0] != name or c.keywords is None or c.star:
                continue
            kws = c.keywords
            if fname not in kws.keys and kws.keys & others:
                return Evidence(path, c.line, f"builds {code(name)} without {code(fname)}")
            if fname in kws.nulls and t.code in (TKind.REQUIRED, TKind.NOT_NULL):
                return Evidence(path, c.line, f"builds {code(name)} with {code(f'{fname}=None')}")
    reach = _python_reach(facts, name)
    for p in facts.payloads:
        if p.scope and p.scope not in reach:
            continue  # data in a test (or helper) that never comes near the model
        what = _old_data(t, p)
        if what is not None:
            return Evidence(path, p.line, what)
    if t.code == TKind.VALUES_NARROWED and fname in facts.values:
        return Evidence(path, facts.values[fname], f"uses the removed value {code(fname)}")
    if fname and (fname in facts.idents or fname in facts.values):
        for fn in facts.functions.values():
            if any(w in fn.name.lower() for w in _LEGACY_WORDS) and any(
                s.rpartition(".")[2] == fn.name and (s in reach or fname in names)
                for s, names in facts.names_in.items()
            ):
                return Evidence(
                    path, fn.line, f"{code(fn.name)} exercises stored {code(name)} data"
                )
    return None


_SETUPS = frozenset(
    {"setUp", "setUpClass", "setUpTestData", "setup_method", "setup_class", "asyncSetUp"}
)


def _python_reach(facts: Facts, model: str) -> set[str]:
    """The functions of a Python test file whose data can reach `model`: those whose code
    names it, the pytest fixtures they request by parameter name and the helpers they call
    (and theirs, transitively), and the set-up methods of the class of a test method that names
    it (`Class.setUp`: another class's set-up does not count). Module-level data is judged as
    before (scope ""). Scopes are `Class.method` for methods, bare names otherwise."""
    known = set(facts.names_in) | {p.scope for p in facts.payloads}
    direct = [s for s, names in facts.names_in.items() if s and _names_model(names, model)]
    reach = set(direct)
    todo = list(direct)
    while todo:
        scope = todo.pop()
        owner, _, bare = scope.rpartition(".")
        fn = facts.functions.get(bare)
        used = set(fn.params) if fn is not None else set()
        used |= {c.callee.rsplit(".", 1)[-1] for c in facts.calls_in(bare)}
        if owner:
            used |= _SETUPS
        for inner in used:
            for candidate in (f"{owner}.{inner}" if owner else "", inner):
                if candidate and candidate in known and candidate not in reach:
                    reach.add(candidate)
                    todo.append(candidate)
    return reach


def _code_use(t: Tightening, facts: Facts, path: str) -> Evidence | None:
    """A TypeScript, JavaScript or Go test that really uses the type or schema: a call, `new`,
    `.parse` or composite literal of it given data of the old shape. The name elsewhere in the
    file (a comment, a string, an import only) is not evidence."""
    name = t.shape.name
    go = facts.language == testfacts.GO
    for c in facts.calls:
        if not _calls_model(c.callee, name, loose=not go):
            continue
        for p in c.payloads:
            what = _old_data(t, p, go=go)
            if what is not None:
                return Evidence(path, c.line, f"gives {code(c.callee)} {what}")
    fname = t.field or ""
    if t.code == TKind.VALUES_NARROWED and name in facts.idents and fname in facts.values:
        uses = [c for c in facts.calls if _calls_model(c.callee, name, loose=not go)]
        if uses:
            return Evidence(path, facts.values[fname], f"uses the removed value {code(fname)}")
    return None


def _followed(t: Tightening, index: TestIndex, facts: Facts, path: str) -> Evidence | None:
    """A call that gives old-shape data to a function of the repository which passes it on,
    a few calls deep, to the model: `make_order({"id": 3})` where `make_order` builds `Order`."""
    name = t.shape.name
    go = facts.language == testfacts.GO
    for c in facts.calls:
        if _calls_model(c.callee, name, loose=False):
            continue  # judged as a direct use
        data = [*c.payloads, *((c.keywords,) if c.keywords is not None and not c.star else ())]
        what = next((w for p in data if (w := _old_data(t, p, go=go)) is not None), None)
        if what is None:
            continue
        target = index.resolve(facts, c.callee)
        if target is not None and index.reaches(target, name, MAX_FOLLOW_DEPTH):
            return Evidence(
                path,
                c.line,
                f"gives {code(c.callee)} (which builds {code(name)} from it, "
                f"in {code(target[0])}) {what}",
            )
    return None


def _text_blocks(text: str) -> list[tuple[int, str]]:
    blocks: list[tuple[int, str]] = []
    start = 1
    buf: list[str] = []
    for i, line in enumerate(text.splitlines(), 1):
        if line.strip():
            if not buf:
                start = i
            buf.append(line)
        elif buf:
            blocks.append((start, "\n".join(buf)))
            buf = []
    if buf:
        blocks.append((start, "\n".join(buf)))
    return blocks


def _key_present(block: str, key: str) -> bool:
    return re.search(rf"""(^|[\s{{,"'])({re.escape(key)})["']?\s*[:=]""", block) is not None


def _text_evidence(t: Tightening, text: str, path: str, need_name: bool) -> Evidence | None:
    shape = t.shape
    fname = t.field or ""
    others = set(shape.fields) - {fname}
    for line, block in _text_blocks(text):
        words = set(_WORD.findall(block))
        if need_name and shape.name not in words:
            continue  # the block (a test, a record) names the model, not just the file
        overlap = {o for o in others if _key_present(block, o)}
        if not overlap:
            continue
        has = _key_present(block, fname)
        if t.code in ("T01", "T02") and not has:
            return Evidence(path, line, f"a {code(shape.name)} payload without {code(fname)}")
        if t.code in ("T01", "T03") and re.search(
            rf"""["']?{re.escape(fname)}["']?\s*[:=]\s*(null|None|nil|undefined)\b""", block
        ):
            return Evidence(
                path, line, f"a {code(shape.name)} payload with {code(fname)} set to null"
            )
        if t.code == "T05" and has:
            return Evidence(
                path, line, f"a {code(shape.name)} payload that still carries {code(fname)}"
            )
    return None


def _fixture_evidence(t: Tightening, text: str, path: str) -> Evidence | None:
    """Data files (JSON) under fixtures/testdata: an object with >= 2 of the shape's other
    fields and without the changed one is a stored record of the old shape."""
    if not path.lower().endswith(".json"):
        return (
            _text_evidence(t, text, path, need_name=False)
            if t.code in ("T01", "T02", "T03", "T05")
            else None
        )
    try:
        data = json.loads(text)
    except ValueError:
        return None
    fname = t.field or ""
    others = set(t.shape.fields) - {fname}
    # A record holds at least two of the other fields, or one when the file is named for the
    # model (the fixture guardrail offers: `order_before_coupon.json`).
    named = _snake(t.shape.name.rsplit(".", 1)[-1]) in path.rsplit("/", 1)[-1].lower()
    need = 1 if named else 2
    stack = [data]
    seen = 0
    while stack and seen < 100_000:
        node = stack.pop()
        seen += 1
        if isinstance(node, dict):
            keys = set(node)
            if len(keys & others) >= need:
                if t.code == "T05" and fname in keys:
                    return Evidence(
                        path,
                        1,
                        f"a stored {code(t.shape.name)} record that still carries {code(fname)}",
                    )
                if t.code in ("T01", "T02") and fname not in keys:
                    return Evidence(
                        path, 1, f"a stored {code(t.shape.name)} record without {code(fname)}"
                    )
                if t.code in ("T01", "T03") and fname in keys and node[fname] is None:
                    return Evidence(
                        path, 1, f"a stored {code(t.shape.name)} record with {code(fname)} null"
                    )
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return None


def find(t: Tightening, index: TestIndex, source: str | None = None) -> Evidence | None:
    """Evidence for `t`, changed in the file `source`: only tests of the same service count.
    Candidates are the test files that name the model, then those that call a helper of the
    repository which builds it (found by following calls back from the model, a few deep)."""
    name = t.shape.name
    home = None if source is None else index.root(source)

    def elsewhere(path: str) -> bool:
        return home is not None and index.root(path) != home

    tried: set[str] = set()
    for which in ("names", "helpers", "data"):
        paths = (
            index.mentioning(name)
            if which == "names"
            else index.calling_helpers_of(name)
            if which == "helpers"
            else index.holding_old_data(t)
        )
        for path in paths:
            if path in tried:
                continue
            tried.add(path)
            if elsewhere(path):
                continue
            found = index.problems.attempt(path, "test file", _evidence, t, index, path)
            if found:
                return found
    if t.field:
        model_file = _snake(name.rsplit(".", 1)[-1])
        for path in index.fixtures_mentioning(t.field) + index.fixtures_named(model_file):
            if not elsewhere(path):
                found = index.problems.attempt(
                    path,
                    "test file",
                    _fixture_evidence,
                    t,
                    index.files[path],
                    path,
                )
                user = fixture_loaded(index, path) if found else None
                if found and user:
                    return replace(found, what=f"{found.what}, loaded by {code(user)}")
    return None


def _evidence(t: Tightening, index: TestIndex, path: str) -> Evidence | None:
    facts = index.facts(path)
    if facts is None:
        if testfacts.language_of(path) is not None:
            return None  # code its parser could not read: reported, never guessed at
        return _text_evidence(t, index.files[path], path, need_name=True)
    if facts.language == testfacts.PYTHON and refers_to(facts, t.shape.name):
        found = _python_direct(t, facts, path)
    elif facts.language != testfacts.PYTHON:
        found = _code_use(t, facts, path)
    else:
        found = None
    return found or _followed(t, index, facts, path)
