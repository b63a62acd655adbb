"""Control flow inside one scope, on `ast`: blocks, what runs after a statement, what a test opens.

Rules ask "which code can run because this check was true?" (the branch its `if` takes, the
rest of the block after `if not r.ready(): return`, the code after the `while` it ends) and
"which values can the whole test take when this part of it is true?". The statement lists of
`ast` answer both for the structured code rules look at, without a control-flow graph.
"""

from __future__ import annotations

import ast
from typing import Any

from .facts import SCOPE_NODES, ModuleFacts, own_nodes

TERMINATORS = (ast.Return, ast.Raise, ast.Continue, ast.Break)
LOOP_NODES = (ast.For, ast.AsyncFor, ast.While)
# What a part of a test can sit in and still be that test's part.
_TEST_PARTS = (ast.BoolOp, ast.UnaryOp, ast.NamedExpr)


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


def after(facts: ModuleFacts, stmt: ast.AST) -> list[ast.stmt]:
    """The statements that can run next once `stmt` is done: the rest of its block, then
    what follows the statement holding that block (an `if`, `with`, `try`, `match`...),
    and so on out, unless a block's rest always leaves. Not past a loop body (the loop
    comes round again) nor out of the function."""
    following: list[ast.stmt] = []
    node: ast.AST = stmt
    while True:
        parent = facts.parent(node)
        if parent is None:
            return following
        block = block_of(parent, node)
        if block is not None:
            rest = block[next(i for i, sibling in enumerate(block) if sibling is node) + 1 :]
            following.extend(rest)
            if (
                always_exits(rest)
                or isinstance(parent, (ast.Module, *SCOPE_NODES))
                or (isinstance(parent, LOOP_NODES) and block is parent.body)
            ):
                return following
        elif not isinstance(node, (ast.match_case, ast.excepthandler)):
            return following  # an expression: nothing runs "after" it here
        node = parent


def enclosing_loop(facts: ModuleFacts, node: ast.AST) -> ast.AST | None:
    """The innermost loop whose body holds `node`, in the same scope."""
    child = node
    for parent in facts.ancestors(node):
        if isinstance(parent, SCOPE_NODES):
            return None
        if isinstance(parent, LOOP_NODES) and any(s is child for s in parent.body):
            return parent
        child = parent
    return None


def within(facts: ModuleFacts, node: ast.AST, roots: set[int], stop: ast.AST) -> bool:
    """`node` is one of `roots` (by `id`) or inside one, looking no further out than `stop`."""
    if id(node) in roots:
        return True
    for ancestor in facts.ancestors(node):
        if id(ancestor) in roots:
            return True
        if ancestor is stop:
            return False
    return False


def nodes_run(statements: list[ast.stmt]):
    """The nodes that run when `statements` do: a def or class among them is code of its own,
    run later if ever (only its decorators, defaults and bases run then)."""
    for stmt in statements:
        if isinstance(stmt, SCOPE_NODES):
            parts = [*stmt.decorator_list]
            if isinstance(stmt, ast.ClassDef):
                parts += [*stmt.bases, *(kw.value for kw in stmt.keywords)]
            else:
                parts += [*stmt.args.defaults, *(d for d in stmt.args.kw_defaults if d is not None)]
            for part in parts:
                yield from own_nodes(part)
        else:
            yield from own_nodes(stmt)


# --- tests --------------------------------------------------------------------------------
def enclosing_test(facts: ModuleFacts, node: ast.AST) -> tuple[ast.AST, ast.AST | None]:
    """The whole test `node` is part of (through `and`/`or`/`not`/`:=`) and what holds it."""
    child = node
    for parent in facts.ancestors(node):
        if isinstance(parent, _TEST_PARTS):
            child = parent
            continue
        return child, parent
    return child, None


def steers_flow(facts: ModuleFacts, node: ast.AST) -> bool:
    """`node` is (part of) the test of an `if`, `while`, conditional expression or
    comprehension filter, rather than a value returned or stored."""
    test, holder = enclosing_test(facts, node)
    if isinstance(holder, ast.comprehension):
        return any(condition is test for condition in holder.ifs)
    return isinstance(holder, (ast.If, ast.While, ast.IfExp)) and holder.test is test


def outcomes(test: ast.AST, part: ast.AST, value: bool) -> set[bool]:
    """The values `test` can take when its `part` is `value`, whatever the other operands are."""
    if test is part:
        return {value}
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return {not v for v in outcomes(test.operand, part, value)}
    if isinstance(test, ast.NamedExpr):
        return outcomes(test.value, part, value)
    if isinstance(test, ast.BoolOp):
        parts = [outcomes(operand, part, value) for operand in test.values]
        # `and` is true when every operand can be, false when any can; `or` the other way round
        every = isinstance(test.op, ast.And)
        true = all(True in p for p in parts) if every else any(True in p for p in parts)
        false = any(False in p for p in parts) if every else all(False in p for p in parts)
        return {v for v, possible in ((True, true), (False, false)) if possible}
    return {True, False}


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


def opened(facts: ModuleFacts, part: ast.AST, value: bool) -> list[ast.AST]:
    """The code that can run because `part` of a test was `value`: the branch the test then
    takes (an `if`/`else` body, a conditional expression's side, a comprehension's element,
    the later operands of `and`/`or`), the rest of the block after an `if` whose other
    branch leaves, the code after a `while` the test ends, or after a loop left by a
    `break` that ends the branch."""
    roots: list[ast.AST] = []
    child = part
    parent = None
    for parent in facts.ancestors(part):
        if isinstance(parent, ast.BoolOp):  # `r.ready() and r.result`: later operands run on
            goes_on = isinstance(parent.op, ast.And)
            if goes_on in outcomes(child, part, value):
                index = next(i for i, operand in enumerate(parent.values) if operand is child)
                roots.extend(parent.values[index + 1 :])
        elif not isinstance(parent, (ast.UnaryOp, ast.NamedExpr)):
            break
        child = parent
    test = child
    taken = outcomes(test, part, value)
    if isinstance(parent, ast.If) and parent.test is test:
        for truth, branch, other in ((True, parent.body, parent.orelse), (False, parent.orelse, parent.body)):
            if truth not in taken:
                continue
            roots.extend(branch)
            if always_exits(other):  # `if not r.ready(): return` then the rest of the block
                roots.extend(after(facts, parent))
            if branch and isinstance(branch[-1], ast.Break):  # `if r.ready(): break`
                loop = enclosing_loop(facts, parent)
                if loop is not None:
                    roots.extend(after(facts, loop))
    elif isinstance(parent, ast.IfExp) and parent.test is test:
        roots.extend(side for truth, side in ((True, parent.body), (False, parent.orelse)) if truth in taken)
    elif isinstance(parent, ast.While) and parent.test is test:
        if True in taken:
            roots.extend(parent.body)
        if False in taken:  # `while not r.ready(): ...` then the code after the loop
            roots.extend(parent.orelse)
            roots.extend(after(facts, parent))
    elif isinstance(parent, ast.comprehension) and True in taken:
        comprehension: Any = facts.parent(parent)
        roots.extend(
            side for side in (getattr(comprehension, f, None) for f in ("elt", "key", "value")) if side is not None
        )
        generators = comprehension.generators
        roots.extend(generators[next(i for i, g in enumerate(generators) if g is parent) + 1 :])
    return roots
