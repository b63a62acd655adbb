"""libcst expressions made from others: descendants swapped, parentheses added where needed."""

from __future__ import annotations

import ast
from functools import cache
from typing import Any

from .lazy import cst

# Expressions that take `.attribute` as they are; others need parentheses first (`(a + b).x`).
_ATOMS = ("Name", "Attribute", "Call", "Subscript", "SimpleString", "FormattedString", "ConcatenatedString")


def replaced(node: Any, replacements: dict) -> Any:
    """`node` with some of its descendants (the keys, found by identity) replaced, all in
    one pass (`deep_replace` makes every node anew, so a second one would find nothing)."""
    return node.visit(_swapper()(replacements))


def parenthesized(expr: Any) -> Any:
    """`expr` in new parentheses of its own."""
    return expr.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


def attribute_base(expr: Any) -> Any:
    """`expr` written to take `.attribute`: parenthesised unless it is an atom or has parentheses."""
    atom = isinstance(expr, tuple(getattr(cst, name) for name in _ATOMS))
    return expr if expr.lpar or atom else parenthesized(expr)


def standalone(expr: Any, code: str) -> Any:
    """`expr` (whose source is `code`) moved out of enclosing brackets to be a statement's
    value: parenthesised when a line break in it relied on those brackets."""
    if expr.lpar or ("\n" not in code and "\r" not in code):
        return expr
    try:
        ast.parse(f"_ = {code}")
    except SyntaxError:
        return parenthesized(expr)
    return expr


@cache
def _swapper():
    """The transformer class, made on first use (libcst loads only when a fix is wanted)."""

    class Swapper(cst.CSTTransformer):
        def __init__(self, replacements: dict) -> None:
            super().__init__()
            self.replacements = replacements

        def on_leave(self, original_node, updated_node):
            return self.replacements.get(original_node, updated_node)

    return Swapper
