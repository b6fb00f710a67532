"""The layers of docs/architecture.md, held: each layer imports only the layers below it.

Every `import` in the package is read from the syntax tree (imports inside functions too: a
lazy import is still a dependency), and an import from a layer a module must not reach fails
here with the file and the line.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "guardrail"

_IO = ("guardrail.cli", "guardrail.sources", "guardrail.publish")
# module prefix -> prefixes it must not import
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "guardrail.analysis": (
        "guardrail.checks",
        "guardrail.engine",
        "guardrail.render",
        "guardrail.trace",
        *_IO,
    ),
    "guardrail.checks": ("guardrail.engine", "guardrail.render", *_IO),
    "guardrail.engine": ("guardrail.render", *_IO),
    "guardrail.model": ("guardrail.analysis", "guardrail.checks", "guardrail.engine", *_IO),
    "guardrail.text": (
        "guardrail.analysis",
        "guardrail.checks",
        "guardrail.engine",
        "guardrail.render",
        *_IO,
    ),
    "guardrail.render": ("guardrail.analysis", "guardrail.checks", "guardrail.engine", *_IO),
    "guardrail.sources": ("guardrail.checks", "guardrail.engine", "guardrail.render"),
    "guardrail.config": ("guardrail.checks", "guardrail.engine", "guardrail.render", *_IO),
}


def _module(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.extend((node.lineno, a.name) for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.lineno, node.module))
            out.extend((node.lineno, f"{node.module}.{a.name}") for a in node.names)
    return out


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _violations() -> list[str]:
    found: list[str] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module(path)
        for layer, banned in FORBIDDEN.items():
            if not _under(module, layer):
                continue
            for line, name in _imports(path):
                if any(_under(name, b) for b in banned):
                    found.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {name}")
    return sorted(set(found))


def test_each_layer_imports_only_the_layers_below_it() -> None:
    assert _violations() == []


def test_a_lazy_import_from_a_check_in_the_analysis_layer_is_found(tmp_path: Path) -> None:
    """The test itself can fail: an import inside a function is read too."""
    path = tmp_path / "m.py"
    path.write_text("def f():\n    from guardrail.checks.migrations import migrations\n")
    imports = [name for _, name in _imports(path)]
    banned = FORBIDDEN["guardrail.analysis"]
    assert any(_under(n, b) for n in imports for b in banned)


def test_facts_are_declared_in_the_analysis_layer_only() -> None:
    """A check asks the Analysis for facts; it does not declare them (docs/architecture.md):
    a `Fact(...)` built in guardrail/checks/ is a piece of analysis in the wrong layer."""
    found = []
    for path in sorted((PACKAGE / "checks").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Fact":
                found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    assert found == []


def test_a_failure_is_recorded_through_problems_only() -> None:
    """A reader or check records what it could not read with `problems.add`/`problems.attempt`
    (guardrail/analysis/isolate.py), so every GR901 is built the same way: an `Unreadable(...)`
    built elsewhere, or an `x.problems.append(...)`, is a second way in."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == PACKAGE / "analysis" / "isolate.py":
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            built = getattr(func, "id", None) == "Unreadable"
            appended = (
                isinstance(func, ast.Attribute)
                and func.attr in ("append", "extend")
                and isinstance(func.value, ast.Attribute)
                and func.value.attr == "problems"
            )
            if built or appended:
                found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    assert found == []
