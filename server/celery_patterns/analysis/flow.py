"""Where a value goes in its scope, and whether the code checks it for None on the way.

For a value that may be None (a function that returns None on failure):
- `value_end`: the outermost expression that can still be that value (through `await`,
  either arm of `x if c else y`, `and`/`or`), unless an `or <default>` replaces it;
- `fails_on_none`: how that expression is used in a way that raises on None
  (subscripted, an attribute read, iterated, unpacked, given to `len`...);
- `checked_in_place`: a walrus that is itself the check (`if (r := f()) is None:`);
- `handles_none`: whether the scope checks the names the value was bound to after the
  binding, in a way that handles the None (the None branch of an `if` leaves, rebinds
  the name, or the name is not read after it; `r or {}`, `assert r`, `case None:`...).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from typing import TypeGuard

from .facts import ModuleFacts, Scope, position_key

# Builtins that raise TypeError when given None.
FAILS_ON_NONE = frozenset(
    "len list tuple set frozenset dict sorted sum min max iter enumerate reversed any all".split()
)
TEST_HOLDERS = (ast.If, ast.While, ast.IfExp, ast.Assert)
LOOPS = (ast.While, ast.For, ast.AsyncFor)
_NAMED = (ast.Name, ast.Attribute, ast.Subscript)


def is_none(expr: ast.AST) -> bool:
    return isinstance(expr, ast.Constant) and expr.value is None


def compared_with_none(node: ast.AST | None) -> TypeGuard[ast.Compare]:
    """`x is None`, `x is not None`, `None == x`, `x != None`."""
    return (
        isinstance(node, ast.Compare)
        and len(node.ops) == 1
        and isinstance(node.ops[0], (ast.Is, ast.IsNot, ast.Eq, ast.NotEq))
        and any(is_none(side) for side in (node.left, node.comparators[0]))
    )


def is_isinstance_of(facts: ModuleFacts, node: ast.AST | None, subject: ast.AST) -> TypeGuard[ast.Call]:
    """`node` is `isinstance(subject, ...)`."""
    return (
        isinstance(node, ast.Call)
        and bool(node.args)
        and node.args[0] is subject
        and facts.resolve(node.func) == "builtins.isinstance"
    )


# --- where the value goes --------------------------------------------------------------------
def value_end(facts: ModuleFacts, value: ast.expr) -> tuple[ast.expr, ast.AST | None] | None:
    """The outermost expression that can still be `value` (through `await`, either arm of
    `x if c else y`, `and`/`or` operands, an `or None`) and its parent; None when an
    `or <default>` replaces it."""
    node = value
    while True:
        parent = facts.parent(node)
        if isinstance(parent, ast.Await) or (isinstance(parent, ast.IfExp) and node is not parent.test):
            node = parent
        elif isinstance(parent, ast.BoolOp):
            later = parent.values[parent.values.index(node) + 1 :]
            if isinstance(parent.op, ast.Or) and later and not all(is_none(v) for v in later):
                return None  # `value or <default>`
            node = parent
        else:
            return node, parent


def fails_on_none(facts: ModuleFacts, value: ast.expr, parent: ast.AST | None) -> str | None:
    """How `value` is used by `parent` in a way that raises on None ("subscripted",
    "iterated", "passed to `len()`"...), else None."""
    if isinstance(parent, ast.Subscript) and parent.value is value:
        return "subscripted"
    if isinstance(parent, ast.Attribute) and parent.value is value:
        return f"used as `.{parent.attr}`"
    if isinstance(parent, (ast.For, ast.AsyncFor, ast.comprehension)) and parent.iter is value:
        return "iterated"
    if isinstance(parent, ast.Starred) or (isinstance(parent, ast.keyword) and parent.arg is None):
        return "unpacked into a call"
    if isinstance(parent, ast.Dict) and any(k is None and v is value for k, v in zip(parent.keys, parent.values)):
        return "unpacked into a dict"
    if isinstance(parent, ast.Call) and parent.args and parent.args[0] is value:
        qualname = facts.resolve(parent.func) or ""
        name = qualname.removeprefix("builtins.")
        if qualname.startswith("builtins.") and name in FAILS_ON_NONE:
            return f"passed to `{name}()`"
    return None


# --- checks for None --------------------------------------------------------------------------
def checked_in_place(facts: ModuleFacts, expr: ast.AST) -> bool:
    """`expr` (a walrus) is itself tested: `if (r := f()):`, `(r := f()) is None`,
    `(r := f()) or {}`, `isinstance(r := f(), T)`."""
    node, parent = expr, facts.parent(expr)
    if compared_with_none(parent) or is_isinstance_of(facts, parent, node):
        return True
    while isinstance(parent, ast.BoolOp) or (isinstance(parent, ast.UnaryOp) and isinstance(parent.op, ast.Not)):
        if isinstance(parent, ast.BoolOp) and parent.values[-1] is not node:
            return True
        node, parent = parent, facts.parent(parent)
    return isinstance(parent, TEST_HOLDERS) and parent.test is node


def handles_none(facts: ModuleFacts, scope: Scope, names: set[str], binding: ast.stmt | ast.expr) -> bool:
    """Whether `scope` handles a None in one of `names` (source texts: `result`,
    `self.result`) bound by `binding`: a test for None or truth after it (or anywhere in a
    loop around it, as in `while result is None: result = f()`) such as `result or {}`,
    `assert result`, `isinstance(result, T)`, `case None:`, or an `if` whose None branch
    leaves, rebinds the name, or after which the name is not read. An `if` whose None
    branch only logs and falls through to `return result` does not count."""

    def named(expr: ast.AST) -> bool:
        return isinstance(expr, _NAMED) and facts.text(expr) in names

    after = _checks_from(facts, binding, scope)
    for node in scope.walk_own(ast.Compare, ast.BoolOp, ast.Call, ast.Match, *TEST_HOLDERS):
        if position_key(node) < after:
            continue
        if isinstance(node, ast.Match):
            if named(node.subject) and any(
                isinstance(c.pattern, ast.MatchSingleton) and c.pattern.value is None for c in node.cases
            ):
                return True
        elif isinstance(node, TEST_HOLDERS):
            if any(named(operand) for operand in _check_operands(facts, node.test)) and (
                not isinstance(node, ast.If) or _if_guards(facts, scope, node, named)
            ):
                return True
        elif _in_if_test(facts, node):
            continue  # judged with its `if`
        elif isinstance(node, ast.Compare):
            if compared_with_none(node) and any(named(side) for side in (node.left, *node.comparators)):
                return True
        elif isinstance(node, ast.BoolOp):
            if any(named(v) for v in node.values[:-1]):  # `result or {}`, `result and ...`
                return True
        elif (
            isinstance(node, ast.Call)
            and node.args
            and named(node.args[0])
            and is_isinstance_of(facts, node, node.args[0])
        ):
            return True
    return False


def _checks_from(facts: ModuleFacts, binding: ast.stmt | ast.expr, scope: Scope) -> tuple[int, int]:
    """Where checks of a binding start counting: after it, or from the start of the
    outermost loop holding it (a loop runs its test after the binding)."""
    start = (binding.end_lineno or 0, binding.end_col_offset or 0)
    for ancestor in facts.ancestors(binding):
        if ancestor is scope.node:
            break
        if isinstance(ancestor, LOOPS):
            start = (ancestor.lineno, ancestor.col_offset)
    return start


def _in_if_test(facts: ModuleFacts, node: ast.AST) -> bool:
    current = node
    for ancestor in facts.ancestors(node):
        if isinstance(ancestor, ast.If):
            return ancestor.test is current
        if isinstance(ancestor, (ast.stmt, ast.Lambda)):
            return False
        current = ancestor
    return False


def _check_operands(facts: ModuleFacts, test: ast.AST) -> Iterator[ast.AST]:
    """The expressions a test checks for None or truth: `x`, `not x`, `x is None`,
    `isinstance(x, T)`, and those of `and`/`or`."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        yield from _check_operands(facts, test.operand)
    elif isinstance(test, ast.BoolOp):
        for value in test.values:
            yield from _check_operands(facts, value)
    elif compared_with_none(test):
        yield from (side for side in (test.left, test.comparators[0]) if not is_none(side))
    elif isinstance(test, ast.Call) and test.args and is_isinstance_of(facts, test, test.args[0]):
        yield test.args[0]
    else:
        yield test


def _if_guards(facts: ModuleFacts, scope: Scope, node: ast.If, named: Callable[[ast.AST], bool]) -> bool:
    """Whether `if <check>:` keeps a None from going on: its None branch leaves (return,
    raise, break, continue), rebinds the name, or the name is not read after the `if`."""
    branch = _none_branch(facts, node.test, named)
    if branch is None:
        return True  # a test that cannot be split: trust it
    statements = node.body if branch == "body" else node.orelse
    if never_falls_through(statements) or any(
        isinstance(n, _NAMED) and isinstance(n.ctx, ast.Store) and named(n) for s in statements for n in ast.walk(s)
    ):
        return True
    end = (node.end_lineno or 0, node.end_col_offset or 0)
    return not any(
        isinstance(ref, _NAMED) and named(ref) and isinstance(ref.ctx, ast.Load) and position_key(ref) >= end
        for ref in scope.walk_own(*_NAMED)
    )


def _none_branch(facts: ModuleFacts, test: ast.AST, named: Callable[[ast.AST], bool]) -> str | None:
    """'body' when the test is true for a None value of the name, 'orelse' when it is
    false, None when that cannot be told."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = _none_branch(facts, test.operand, named)
        return {"body": "orelse", "orelse": "body"}.get(inner) if inner else None
    if named(test):
        return "orelse"
    if compared_with_none(test) and any(named(side) for side in (test.left, test.comparators[0])):
        return "body" if isinstance(test.ops[0], (ast.Is, ast.Eq)) else "orelse"
    if isinstance(test, ast.Call) and test.args and named(test.args[0]) and is_isinstance_of(facts, test, test.args[0]):
        return "orelse"
    if isinstance(test, ast.BoolOp):
        branches = {_none_branch(facts, value, named) for value in test.values}
        if isinstance(test.op, ast.Or) and "body" in branches:
            return "body"  # `if result is None or ...:`
        if isinstance(test.op, ast.And) and "orelse" in branches:
            return "orelse"  # `if result and ...:`
    return None


def never_falls_through(statements: list[ast.stmt]) -> bool:
    """The block ends by leaving: its last statement returns, raises, breaks or continues,
    or is an `if`/`with`/`try` whose every way out does."""
    if not statements:
        return False
    last = statements[-1]
    if isinstance(last, (ast.Return, ast.Raise, ast.Break, ast.Continue)):
        return True
    if isinstance(last, ast.If):
        return never_falls_through(last.body) and never_falls_through(last.orelse)
    if isinstance(last, (ast.With, ast.AsyncWith)):
        return never_falls_through(last.body)
    if isinstance(last, ast.Try):
        return (never_falls_through(last.orelse) if last.orelse else never_falls_through(last.body)) and all(
            never_falls_through(h.body) for h in last.handlers
        )
    return False
