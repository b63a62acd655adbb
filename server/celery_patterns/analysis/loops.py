"""Loops that wait: what a `while` loop does each time round, and whether anything bounds it.

A polling loop sleeps between looks at something; it is bounded when its test compares a
counter or clock that its body moves (`waited < timeout` with `waited += interval`,
`time.monotonic() < deadline`), when an exit is guarded by such a comparison (`if waited >=
timeout: break`), or when it runs inside a timeout context (`async with asyncio.timeout(30):`).
"""

from __future__ import annotations

import ast

from .control import conjuncts
from .facts import SCOPE_NODES, ModuleFacts, iter_children

LOOPS = frozenset({ast.For, ast.AsyncFor, ast.While})
ASSIGNMENTS = frozenset({ast.AugAssign, ast.Assign, ast.AnnAssign})
EXITS = frozenset({ast.Return, ast.Raise})
CLOCK_NAMES = frozenset(
    {
        "time",
        "monotonic",
        "perf_counter",
        "time_ns",
        "monotonic_ns",
        "perf_counter_ns",
        "now",
        "utcnow",
        "default_timer",
    }
)
# asyncio/async_timeout `timeout(...)`/`timeout_at(...)`, anyio and trio `fail_after(...)`...
TIMEOUT_CONTEXTS = frozenset({"timeout", "timeout_at", "fail_after", "fail_at", "move_on_after", "move_on_at"})
# The keywords the sleep functions take their interval by.
SLEEP_KEYWORDS = ("seconds", "secs", "delay", "delay_seconds")

# What the walks of a loop skip: nested scopes (code of their own, not the loop's) and the
# shared context/operator nodes of `ast` (leaves, never a check, a sleep or an exit). By
# exact type: a set lookup is cheaper than `isinstance` against their abstract bases.
_NOT_WALKED = frozenset(
    {
        *SCOPE_NODES,
        *(
            t
            for base in (ast.expr_context, ast.boolop, ast.operator, ast.unaryop, ast.cmpop)
            for t in base.__subclasses__()
        ),
    }
)
# Nodes whose children are only such leaves: no need to look for any.
_LEAVES = frozenset({ast.Name, ast.Constant})
# What `LoopBody` records (marked nodes, sleeps, exits, assignments).
_NOTED = frozenset({ast.Call, ast.Compare, ast.Break, *EXITS, *ASSIGNMENTS})


def is_clock_call(facts: ModuleFacts, node: ast.AST) -> bool:
    """`time.monotonic()`, `loop.time()`, `datetime.now()`, `perf_counter()`..."""
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr in CLOCK_NAMES
    if isinstance(func, ast.Name):
        qualname = facts.resolve(func) or ""
        return qualname.rsplit(".", 1)[-1] in CLOCK_NAMES and not qualname.startswith("builtins.")
    return False


def is_sleep_call(facts: ModuleFacts, node: ast.AST) -> bool:
    """`time.sleep(...)`, `await asyncio.sleep(...)`, `nap(...)` for any alias."""
    if not isinstance(node, ast.Call):
        return False
    if isinstance(node.func, ast.Attribute) and node.func.attr == "sleep":
        return True
    qualname = facts.resolve(node.func) or ""
    return qualname.endswith(".sleep") and not qualname.startswith("builtins.")


def sleep_argument(call: ast.Call) -> ast.expr | None:
    """The interval a sleep call is given, positionally or by keyword."""
    if call.args and not isinstance(call.args[0], ast.Starred):
        return call.args[0]
    return next((kw.value for kw in call.keywords if kw.arg in SLEEP_KEYWORDS), None)


def _holds_nothing(node, kind) -> bool:
    """A name, a constant or `name.attr` (`time.sleep`, `result.status`): nothing below it
    can be a check, a sleep or an exit, so the walks need not look inside."""
    return kind in _LEAVES or (kind is ast.Attribute and type(node.value) is ast.Name)


def first_marked(expr: ast.AST, marked: dict):
    """The value in `marked` (by `id` of a node) of the first marked node of `expr`, in
    `own_nodes` order, or None."""
    stack = [expr]
    while stack:
        node = stack.pop()
        found = marked.get(id(node))
        if found is not None:
            return found
        if not _holds_nothing(node, type(node)):
            stack.extend(child for child in iter_children(node) if type(child) not in _NOT_WALKED)
    return None


class LoopBody:
    """What the body of a `while` loop holds (its own scope only), from one walk.

    `marked`: comparisons and calls of interest (a rule's status checks), by `id`. An inner
    `while` is a wait of its own: what it marks and sleeps on does not make the outer loop
    a wait. The walk knows, as it descends, whether it is inside an inner `while` or any
    nested loop, instead of asking each node's ancestors; it visits nodes in `own_nodes`
    order, so the first marked node and the first sleep are those of a plain walk.
    """

    def __init__(self, facts: ModuleFacts, loop: ast.While, marked: dict) -> None:
        self.first_marked = None  # the value of the first marked node outside inner `while`s
        self.exits: list[ast.AST] = []  # `return`/`raise` anywhere, `break` of this very loop
        self.sleeps: list[ast.Call] = []  # every sleep call, nested loops included
        self.sleeps_outside_inner_while = False
        self.own_sleeps: list[ast.Call] = []  # sleeps not inside a nested loop
        self.assignments: list[ast.AST] = []  # where counters and clocks move
        for statement in loop.body:
            stack: list[tuple[ast.AST, bool, bool]] = [
                (statement, False, False)
            ]  # (node, inside an inner `while`, inside any nested loop)
            while stack:
                node, in_while, in_loop = stack.pop()
                kind = type(node)
                if kind in _NOTED:
                    self._note(facts, node, kind, in_while, in_loop, marked)
                elif _holds_nothing(node, kind):
                    continue
                if kind in LOOPS:
                    in_loop = True
                    in_while = in_while or kind is ast.While
                for child in iter_children(node):
                    if type(child) not in _NOT_WALKED:
                        stack.append((child, in_while, in_loop))

    def _note(self, facts, node, kind, in_while, in_loop, marked) -> None:
        if kind is ast.Call and is_sleep_call(facts, node):
            self.sleeps.append(node)
            if not in_while:
                self.sleeps_outside_inner_while = True
            if not in_loop:
                self.own_sleeps.append(node)
        elif kind is ast.Call or kind is ast.Compare:
            if self.first_marked is None and not in_while:
                self.first_marked = marked.get(id(node))
        elif kind in EXITS or (kind is ast.Break and not in_loop):
            self.exits.append(node)
        elif kind in ASSIGNMENTS:
            self.assignments.append(node)


def is_bounded(facts: ModuleFacts, loop: ast.While, body: LoopBody) -> bool:
    """The loop's test compares a counter or clock its body moves, an exit of it is guarded
    by such a comparison, or it runs inside a timeout context."""
    moved = _advanced(facts, body.assignments)
    for part in conjuncts(loop.test):
        if isinstance(part, (ast.Compare, ast.Name, ast.Attribute)) and _mentions_bound(facts, part, moved):
            return True
    for exit_node in body.exits:  # `if time.monotonic() > deadline: raise TimeoutError`
        for ancestor in facts.ancestors(exit_node):
            if ancestor is loop:
                break
            if isinstance(ancestor, (ast.If, ast.IfExp, ast.While)) and _mentions_bound(facts, ancestor.test, moved):
                return True
    scope = facts.scope_of(loop)
    for ancestor in facts.ancestors(loop):  # async with asyncio.timeout(30): ...
        if ancestor is scope.node:
            break
        if isinstance(ancestor, (ast.With, ast.AsyncWith)):
            for item in ancestor.items:
                call = item.context_expr
                if (
                    isinstance(call, ast.Call)
                    and getattr(call.func, "attr", getattr(call.func, "id", "")) in TIMEOUT_CONTEXTS
                ):
                    return True
    return False


def rebound_in(facts: ModuleFacts, reference: ast.expr, loop: ast.While) -> bool:
    """The name `reference` starts with (`delay`, `self.delay`) is (re)assigned inside the
    loop, in the loop's scope (a backoff)."""
    while isinstance(reference, ast.Attribute):
        reference = reference.value
    if not isinstance(reference, ast.Name):
        return False
    found = facts.lookup(reference.id, facts.scope_of(reference))
    return (
        found is not None
        and found[0] is facts.scope_of(loop)
        and any(loop.lineno <= getattr(b.node, "lineno", 0) <= (loop.end_lineno or 0) for b in found[1])
    )


def _advanced(facts: ModuleFacts, assignments) -> set[str]:
    """Counters and clocks the body moves: `x += 1`, `x = x + 1`, `now = time.monotonic()`."""
    out = set()
    for node in assignments:
        if isinstance(node, ast.AugAssign):
            out.add(facts.text(node.target))
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            value_nodes = list(ast.walk(node.value))
            clock = any(is_clock_call(facts, n) for n in value_nodes)
            for target in targets:
                text = facts.text(target)
                self_step = isinstance(node.value, ast.BinOp) and any(
                    isinstance(n, (ast.Name, ast.Attribute)) and facts.text(n) == text for n in value_nodes
                )
                if clock or self_step:
                    out.add(text)
    return out


def _mentions_bound(facts: ModuleFacts, expr: ast.AST, moved: set[str]) -> bool:
    """A comparison (or countdown test) on a clock call or a counter the loop moves."""
    for node in ast.walk(expr):
        if isinstance(node, ast.Compare):
            for operand in (node.left, *node.comparators):
                for sub in ast.walk(operand):
                    if is_clock_call(facts, sub):
                        return True
                    if isinstance(sub, (ast.Name, ast.Attribute)) and facts.text(sub) in moved:
                        return True
        elif isinstance(node, (ast.Name, ast.Attribute)) and facts.text(node) in moved:
            parent = facts.parent(node)
            if not isinstance(parent, (ast.Compare, ast.Attribute, ast.Call)):
                return True  # `while retries and ...` / `if not retries: break`
    return False
