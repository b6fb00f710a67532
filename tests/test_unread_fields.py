"""Every field of a dataclass in the package is read somewhere (issue 10: "flags set that
nothing reads", "unused fields"). A field nothing reads is either dead weight a reader still
fills in, or a fact a check was meant to use and does not: both are worth a look.

The scan is by name, over the package's syntax trees (`ast`): a field counts as read when some
attribute access `x.<field>` loads it, or when its name is passed as a string to `getattr` or
`Config.migration_setting`. It is lenient on purpose (another class's `.name` reads every
field called `name`), so it finds only the fields whose name nothing reads at all. A field kept
on purpose is listed in KEPT with its reason.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import pkgutil
from pathlib import Path

import guardrail

PACKAGE = Path(guardrail.__file__).parent

# Calls whose string arguments name a field they read.
_READ_BY_NAME = frozenset({"getattr", "migration_setting", "attrgetter"})

KEPT: dict[str, str] = {
    "guardrail.analysis.history.AlembicRevision.depends_on": (
        "read from the revision file; following Alembic's depends_on is open in issue 11"
    ),
}


def _names_read() -> set[str]:
    read: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
                read.add(node.attr)
            elif isinstance(node, ast.Call):
                func = node.func
                called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if called in _READ_BY_NAME:
                    read.update(
                        a.value
                        for a in node.args
                        if isinstance(a, ast.Constant) and isinstance(a.value, str)
                    )
    return read


def _dataclass_fields() -> list[str]:
    out: list[str] = []
    for info in pkgutil.walk_packages([str(PACKAGE)], "guardrail."):
        if info.name == "guardrail.__main__":
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if (
                isinstance(obj, type)
                and dataclasses.is_dataclass(obj)
                and obj.__module__ == info.name
            ):
                out.extend(f"{info.name}.{name}.{f.name}" for f in dataclasses.fields(obj))
    return out


def test_every_dataclass_field_is_read_somewhere() -> None:
    read = _names_read()
    unread = [f for f in _dataclass_fields() if f.rsplit(".", 1)[1] not in read and f not in KEPT]
    assert not unread, (
        "fields nothing in guardrail/ reads (delete them, read them, or list them in KEPT "
        f"with the reason): {unread}"
    )


def test_what_is_kept_still_exists() -> None:
    fields = set(_dataclass_fields())
    assert set(KEPT) <= fields, set(KEPT) - fields
