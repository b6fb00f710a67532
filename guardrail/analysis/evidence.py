"""Is there a test that feeds the changed shape data of its old form?

Credible evidence must refer to the changed model (by name) and show old-shape data: a payload
of the model's other fields without the now-required field, the field set to None/null, a
construction of the model without it, a payload still carrying a removed field, a removed enum
member used in a test, or a test named for old data (legacy, v1, before, …) that names the model
and the field. Test files are indexed once per run (words per file), so each tightening only
parses the few files that mention its model.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from guardrail.analysis.isolate import Unreadable, attempt, describe
from guardrail.analysis.paths import matches
from guardrail.analysis.shapes import Tightening
from guardrail.text import code

TEST_GLOBS = (
    "**/test_*.py",
    "**/*_test.py",
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
    _ast: dict[str, ast.Module | None] = field(default_factory=dict)
    _lowered: dict[str, str] = field(default_factory=dict)
    # Test files that failed to read (reported as GR901); shared with the run's list.
    problems: list[Unreadable] = field(default_factory=list)

    def add(self, path: str, text: str) -> None:
        if path in self.files or len(self.files) >= MAX_TEST_FILES or len(text) > MAX_TEST_BYTES:
            return
        self.files[path] = text
        self.words[path] = frozenset(_WORD.findall(text))

    def root(self, path: str) -> str:
        """The service/package a file belongs to: the nearest folder above it with a project
        marker in the tree listing, else its first path segment. A tree with no marker at all
        is one project (docs/data-shapes.md)."""
        if not self.roots:
            return ""
        parts = path.split("/")[:-1]
        for i in range(len(parts), -1, -1):
            folder = "/".join(parts[:i])
            if folder in self.roots:
                return folder
        return parts[0] if parts else ""

    def mentioning(self, name: str) -> list[str]:
        """Files naming `name` as a word, or inside one (`OrderFactory`, `make_order`)."""
        low = name.lower()
        hits = [
            p
            for p, w in self.words.items()
            if name in w or (p.endswith(".py") and low in self._lowered_words(p, w))
        ]
        return sorted(hits, key=lambda p: (p not in self.changed, p))

    def _lowered_words(self, path: str, words: Iterable[str]) -> str:
        """The file's words, lower case, one per line: built once per file, then every model
        name is one substring search (a name has no newline, so no match spans two words)."""
        joined = self._lowered.get(path)
        if joined is None:
            joined = self._lowered[path] = "\n".join(words).lower()
        return joined

    def tree(self, path: str) -> ast.Module | None:
        if path not in self._ast:
            try:
                self._ast[path] = ast.parse(self.files[path]) if path.endswith(".py") else None
            except (SyntaxError, ValueError):
                self._ast[path] = None
            except Exception as exc:  # too deep to parse, …: that file's problem only
                self.problems.append(Unreadable(path, "test file", describe(exc)))
                self._ast[path] = None
        return self._ast[path]


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
    problems: list[Unreadable] | None = None,
    roots: frozenset[str] = frozenset(),
) -> TestIndex:
    index = (
        TestIndex(roots=roots) if problems is None else TestIndex(problems=problems, roots=roots)
    )
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


def _str_keys(node: ast.Dict) -> dict[str, ast.expr | None]:
    out: dict[str, ast.expr | None] = {}
    for k, v in zip(node.keys, node.values, strict=False):
        if isinstance(k, ast.Constant) and isinstance(k.value, str):
            out[k.value] = v
    return out


def _callee(node: ast.Call) -> str:
    f = node.func
    if isinstance(f, ast.Attribute):
        inner = f.value
        base = inner.id if isinstance(inner, ast.Name) else getattr(inner, "attr", "")
        return f"{base}.{f.attr}"
    return f.id if isinstance(f, ast.Name) else ""


_BUILDER_WORDS = frozenset({"make", "build", "create", "factory", "new", "fake", "sample"})


def _tokens(identifier: str) -> list[str]:
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", identifier)
    return [w for w in spaced.lower().split("_") if w]


def refers_to(tree: ast.Module, name: str) -> bool:
    """Does the test refer to the model as code: imported, constructed, called, or built by a
    factory/fixture named for it (`OrderFactory`, `make_order`, `order_factory`)? A string that
    merely names it (a log message, a parametrize id) does not count."""
    model = _tokens(name)
    for node in ast.walk(tree):
        idents: list[str] = []
        if isinstance(node, ast.Name):
            idents = [node.id]
        elif isinstance(node, ast.Attribute):
            idents = [node.attr]
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            idents = [a.asname or a.name.rsplit(".", 1)[-1] for a in node.names]
            idents += [a.name.rsplit(".", 1)[-1] for a in node.names]
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            idents = [node.name]
        elif isinstance(node, ast.arg):
            idents = [node.arg]
        for ident in idents:
            if ident == name:
                return True
            words = _tokens(ident)
            n = len(model)
            has_model = any(words[i : i + n] == model for i in range(len(words) - n + 1))
            if has_model and _BUILDER_WORDS & set(words):
                return True
    return False


def _python_evidence(t: Tightening, tree: ast.Module, path: str) -> Evidence | None:  # noqa: C901, PLR0912 — one branch per kind of evidence, tried in the order that reads best
    shape = t.shape
    name = shape.name
    if not refers_to(tree, name):
        return None
    fname = t.field or ""
    others = set(shape.fields) - {fname}
    old_name = t.old.name if t.old is not None else fname
    legacy_fn: list[tuple[str, int]] = [
        (n.name, n.lineno)
        for n in ast.walk(tree)
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
        and any(w in n.name.lower() for w in _LEGACY_WORDS)
    ]
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and _callee(node).split(".")[0] == name
            and t.code in ("T01", "T02", "T03", "T06")
        ):
            kws = {k.arg for k in node.keywords}
            if None in kws:
                continue  # Order(**payload): the payload is judged where it is written
            if fname not in kws and kws & others:
                return Evidence(path, node.lineno, f"builds {code(name)} without {code(fname)}")
            for k in node.keywords:
                if (
                    k.arg == fname
                    and isinstance(k.value, ast.Constant)
                    and k.value.value is None
                    and t.code in ("T01", "T03")
                ):
                    return Evidence(
                        path, node.lineno, f"builds {code(name)} with {code(f'{fname}=None')}"
                    )
        if isinstance(node, ast.Dict):
            keys = _str_keys(node)
            overlap = set(keys) & others
            if not overlap:
                continue
            if t.code in ("T01", "T02") and fname not in keys:
                return Evidence(path, node.lineno, f"a {code(name)} payload without {code(fname)}")
            if (
                t.code in ("T01", "T03")
                and fname in keys
                and isinstance(value_node := keys[fname], ast.Constant)
                and value_node.value is None
            ):
                return Evidence(
                    path, node.lineno, f"a {code(name)} payload with {code(fname)} set to None"
                )
            if t.code == "T06" and old_name in keys and fname not in keys:
                return Evidence(
                    path, node.lineno, f"a {code(name)} payload with the old name {code(old_name)}"
                )
            if t.code == "T05" and fname in keys:
                return Evidence(
                    path, node.lineno, f"a {code(name)} payload that still carries {code(fname)}"
                )
        if t.code == "T08" and isinstance(node, (ast.Constant, ast.Attribute)):
            value = node.value if isinstance(node, ast.Constant) else node.attr
            if value == fname:
                return Evidence(path, node.lineno, f"uses the removed value {code(fname)}")
    for fn_name, line in legacy_fn:
        if fname and fname in ast.unparse(tree):
            return Evidence(path, line, f"{code(fn_name)} exercises stored {code(name)} data")
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
        if need_name and shape.name not in words and shape.name not in text:
            continue
        overlap = {o for o in others if _key_present(block, o)}
        if len(overlap) < (1 if not need_name else 1):
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
    stack = [data]
    seen = 0
    while stack and seen < 100_000:
        node = stack.pop()
        seen += 1
        if isinstance(node, dict):
            keys = set(node)
            if len(keys & others) >= 2:
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
    """Evidence for `t`, changed in the file `source`: only tests of the same service count."""
    name = t.shape.name
    home = None if source is None else index.root(source)

    def elsewhere(path: str) -> bool:
        return home is not None and index.root(path) != home

    for path in index.mentioning(name):
        if elsewhere(path):
            continue
        found = attempt(index.problems, path, "test file", _evidence, t, index, path)
        if found:
            return found
    if t.field:
        for path in index.mentioning(t.field):
            if elsewhere(path):
                continue
            low = path.lower()
            if "/fixtures/" in f"/{low}" or "/testdata/" in f"/{low}":
                found = attempt(
                    index.problems,
                    path,
                    "test file",
                    _fixture_evidence,
                    t,
                    index.files[path],
                    path,
                )
                if found:
                    return found
    return None


def _evidence(t: Tightening, index: TestIndex, path: str) -> Evidence | None:
    if path.endswith(".py"):
        tree = index.tree(path)
        return None if tree is None else _python_evidence(t, tree, path)
    return _text_evidence(t, index.files[path], path, need_name=True)
