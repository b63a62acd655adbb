"""The `if`/`else` branches a node sits in: which ways through a module run it."""

from __future__ import annotations

import ast

from .facts import ModuleFacts

# (id of an `if` that has an `else`, "body" or "orelse"), innermost first
Branch = tuple[int, str]


def branch_path(facts: ModuleFacts, node: ast.AST) -> tuple[Branch, ...]:
    """The sides of the `if`/`else` statements (an `elif` is an `if` in an `else`) around
    `node`; an `if` without `else` runs its body or nothing and is left out."""
    path = []
    child = node
    for ancestor in facts.ancestors(node):
        if isinstance(ancestor, ast.If) and ancestor.orelse:
            if any(child is s for s in ancestor.body):
                path.append((id(ancestor), "body"))
            elif any(child is s for s in ancestor.orelse):
                path.append((id(ancestor), "orelse"))
        child = ancestor
    return tuple(path)


def compatible(first: tuple[Branch, ...], second: tuple[Branch, ...]) -> bool:
    """Some run goes through both paths: no `if` taken one way in one and the other way in the other."""
    sides = dict(first)
    return all(sides.get(branch, side) == side for branch, side in second)


def exclusive(facts: ModuleFacts, first: ast.AST, second: ast.AST) -> bool:
    """`first` and `second` sit in different branches of one `if`/`else`: no run reaches both."""
    return not compatible(branch_path(facts, first), branch_path(facts, second))
