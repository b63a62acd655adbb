"""A module's units: its top-level `def`s and `class`es, which an edit inside leaves the rest of
the module as it was (the incremental checker and the model's summaries reuse what they found
in the units an edit did not touch)."""

from __future__ import annotations

import ast
import copy

from .facts import first_line as first_line  # (the facts find a unit by its lines too)

UNIT_NODES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
Unit = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


def signature(statement: Unit) -> str:
    """Everything of a def or class but its body, positions left out."""
    header = copy.copy(statement)
    header.body = []
    return ast.dump(header)


def replaced_units_only(before: list[ast.stmt], after: list[ast.stmt]) -> bool:
    """The statements of `after` that are not those of `before` (the very objects, which an
    incremental parse hands back for what it did not reparse) replace defs or classes by
    ones with the same decorators, name and signature, one for one: the module-level code
    and every unit's header are as they were. Neither has a `global`: it binds a module-level
    name that other units may read."""
    kept = {id(s) for s in before}
    now = {id(s) for s in after}
    removed = [s for s in before if id(s) not in now]
    added = [s for s in after if id(s) not in kept]
    if len(removed) != len(added):
        return False
    return all(
        isinstance(old, UNIT_NODES) and type(new) is type(old) and signature(old) == signature(new)
        for old, new in zip(removed, added)
    ) and not any(isinstance(n, (ast.Global, ast.Nonlocal)) for s in [*removed, *added] for n in ast.walk(s))
