"""What a pull request changes in a migration file that already exists on the base branch.

A migration on the base branch has already run in production. When a PR edits it, only the
operations that are new or changed can do anything new (and on production they never run: the
migration-integrity check reports the edit itself). The comparison is of parsed operations, not
of text: comments, formatting, and code that does not reach the database (Django's
`related_name`, `verbose_name`, …) change nothing.

    comparison = compare(base_reading, head_reading)
    comparison.new    # operations to judge: in head, not (identically) in base
    comparison.gone   # operations of base that are no longer there (removed or changed)
    comparison.edit   # Edit.ADDED | Edit.COSMETIC | Edit.OPERATIONS
"""

from __future__ import annotations

import dataclasses
import enum
import re
from collections import Counter
from collections.abc import Hashable
from dataclasses import dataclass

from guardrail.analysis.migrations.ops import Op, OpKind, Reading

# Where an operation is and how it is written: not part of what it does.
_PLACE = frozenset({"line", "text", "ignores"})
_WHAT = tuple(f.name for f in dataclasses.fields(Op) if f.name not in _PLACE)


class Edit(enum.StrEnum):
    ADDED = "added"  # no base version: everything in it is new
    COSMETIC = "cosmetic"  # same operations: comments, formatting, ORM-only arguments
    OPERATIONS = "operations"  # what the migration does is different
    # Only `IF [NOT] EXISTS` guards added or removed (hexpm made every shipped migration
    # idempotent): where it has run it never runs again, and on a fresh database the object is
    # not there yet, so it does the same either way.
    GUARDS = "guards"


@dataclass(frozen=True)
class Comparison:
    new: tuple[Op, ...]
    gone: tuple[Op, ...]
    edit: Edit
    # A cosmetic edit that changes arguments of a project's own field class whose effect on the
    # database guardrail cannot tell (Reading.unsure): the new ones, as `Class(arg=value)`.
    unsure: tuple[str, ...] = ()


def signature(op: Op) -> tuple[Hashable, ...]:
    """What an operation does, without where it is or how it is written."""
    return tuple(getattr(op, name) for name in _WHAT)


def _unmatched(ops: tuple[Op, ...], other: tuple[Op, ...]) -> tuple[Op, ...]:
    """`ops` that have no identical counterpart in `other` (as multisets, in file order)."""
    left = Counter(signature(o) for o in other)
    out: list[Op] = []
    for op in ops:
        sig = signature(op)
        if left[sig] > 0:
            left[sig] -= 1
        else:
            out.append(op)
    return tuple(out)


# `IF NOT EXISTS` / `IF EXISTS` in SQL, and the DSLs' spellings of the same guard: Ecto
# `create_if_not_exists`/`drop_if_exists`/`add_if_not_exists`/`remove_if_exists`, Laravel
# `dropIfExists`, Rails `if_not_exists: true`/`if_exists: true`.
_GUARD = re.compile(
    r"\bIF\s+(?:NOT\s+)?EXISTS\b|_if_(?:not_)?exists\b|If(?:Not)?Exists\b"
    r"|\bif_(?:not_)?exists:\s*true\b,?\s*",
    re.IGNORECASE,
)


def _unguarded(op: Op) -> tuple[Hashable, ...]:
    """What an operation does with its `IF [NOT] EXISTS` guard left out."""
    plain = dataclasses.replace(
        op,
        if_not_exists=False,
        new_table=False,
        only_without=None,
        definition=" ".join(_GUARD.sub(" ", op.definition).split()),
    )
    return signature(plain)


def _guards_only(new: tuple[Op, ...], gone: tuple[Op, ...]) -> bool:
    """Do `new` and `gone` differ only in their `IF [NOT] EXISTS` guards?"""
    if not new or len(new) != len(gone):
        return False
    return Counter(_unguarded(o) for o in new) == Counter(_unguarded(o) for o in gone)


def compare(base: Reading | None, head: Reading) -> Comparison:
    if base is None:
        return Comparison(head.ops, (), Edit.ADDED)
    new = _unmatched(head.ops, base.ops)
    gone = _unmatched(base.ops, head.ops)
    # Reversibility known on one side only (a sibling down file not looked up) is no change.
    known = base.reversible is not None and head.reversible is not None
    same_frame = base.in_transaction == head.in_transaction and (
        not known or base.reversible == head.reversible
    )
    edit = Edit.COSMETIC if not new and not gone and same_frame else Edit.OPERATIONS
    if edit is Edit.OPERATIONS and same_frame and _guards_only(new, gone):
        return Comparison((), (), Edit.GUARDS)
    unsure: tuple[str, ...] = ()
    if edit is Edit.COSMETIC and Counter(base.unsure) != Counter(head.unsure):
        left = Counter(base.unsure)
        changed = []
        for u in head.unsure:
            if left[u] > 0:
                left[u] -= 1
            else:
                changed.append(u)
        unsure = tuple(changed) or tuple(u for u, n in left.items() if n > 0)
    return Comparison(new, gone, edit, unsure)


def new_or_changed(base: Reading | None, head: Reading) -> tuple[Op, ...]:
    """The operations of `head` to judge: all of them for a new file, else those not in base."""
    return compare(base, head).new


def operations_changed(base: Reading, head: Reading) -> bool:
    """True when the edit changes what the migration does; False for comments and formatting."""
    return compare(base, head).edit is Edit.OPERATIONS


# The operations that carry a RunPython function's code in their definition (python_ast.definition).
_CODE_KINDS = frozenset({OpKind.DATA_MIGRATION, OpKind.IRREVERSIBLE})


def _call_part(op: Op) -> str:
    """The call's own part of a definition, without the functions it names."""
    return op.definition.split("\n", 1)[0]


def code_only(changes: Comparison) -> bool:
    """True when an edit of a shipped migration changes only the code of functions its data
    migrations call (Django's `RunPython(forwards)` with a different `forwards` body): the
    operations, their arguments and the schema changes are the same. Whether such an edit
    changes the data it writes or only keeps old code importable (a helper moved or renamed),
    the syntax cannot tell."""
    if not changes.new or len(changes.new) != len(changes.gone):
        return False
    if any(op.kind not in _CODE_KINDS for op in (*changes.new, *changes.gone)):
        return False

    def key(op: Op) -> tuple[Hashable, ...]:
        return (*signature(dataclasses.replace(op, definition="")), _call_part(op))

    return Counter(key(o) for o in changes.new) == Counter(key(o) for o in changes.gone) and all(
        "\n" in o.definition for o in changes.new
    )
