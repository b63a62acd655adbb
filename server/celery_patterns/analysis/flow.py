"""Control flow inside one scope, on `ast`: the block holding a statement, blocks that always
leave, the parts a test is made of."""

from __future__ import annotations

import ast

TERMINATORS = (ast.Return, ast.Raise, ast.Continue, ast.Break)


# --- blocks -------------------------------------------------------------------------------
def block_of(parent: ast.AST, stmt: ast.AST) -> list[ast.stmt] | None:
    """The statement list of `parent` that holds `stmt`."""
    for field in ("body", "orelse", "finalbody"):
        block = getattr(parent, field, None)
        if isinstance(block, list) and stmt in block:  # `ast` nodes compare by identity
            return block
    return None


def always_exits(block: list[ast.stmt]) -> bool:
    """The block never falls through (ends in return/raise/continue/break, or an
    if/else whose branches all do)."""
    if not block:
        return False
    last = block[-1]
    if isinstance(last, TERMINATORS):
        return True
    if isinstance(last, ast.If) and last.orelse:
        return always_exits(last.body) and always_exits(last.orelse)
    return False


def conjuncts(test: ast.AST):
    """The parts of a test that must all hold for it to hold (`a and not (b or c)`: a, b, c)."""
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        for value in test.values:
            yield from conjuncts(value)
    elif isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = test.operand
        if isinstance(inner, ast.BoolOp) and isinstance(inner.op, ast.Or):
            for value in inner.values:  # not (a or b) == not a and not b
                yield from conjuncts(ast.UnaryOp(ast.Not(), value))
        elif not isinstance(inner, ast.BoolOp):
            yield inner
    else:
        yield test
