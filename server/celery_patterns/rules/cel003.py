"""CEL003 unbounded-result-wait: waiting on a Celery result with no timeout.

## What it does
Flags two ways of waiting forever for a Celery task:

- a `while` loop that polls a result (its test holds a status check such as
  `result.status == "PENDING"` or `not result.ready()`, or its body holds one and the
  loop sleeps, or is a `while True:` that leaves with `break`/`return`/`raise`) but has
  no bound: its test compares no counter or clock that the body advances (`waited <
  timeout` with `waited += poll_interval`, `time.monotonic() < deadline`, `attempts <
  10` with `attempts += 1`), no `break`/`return`/`raise` is guarded by such a
  comparison (`if waited >= timeout: break`), and it is not inside `async with asyncio.timeout(...)` (or `async_timeout`,
  anyio/trio `fail_after`/`move_on_after`). `for attempt in range(n)` is bounded by
  construction and never flagged. A `status = result.status` alias, `str(result.state)`
  and constants holding states count as status checks.
- `E.get()`, `E.wait()`, `E.join()`, `E.join_native()` or `E.collect()` without a
  timeout (no `timeout=`, `timeout=None`, or a positional `None`: the first parameter of
  `get`/`wait`/`join` is the timeout, so `E.get(5)` is bounded, while `collect()` passes
  only its keywords on to `get()`) on a result expression: bound from a dispatch
  (`.apply_async()`, `.delay()`, `app.send_task()`, calling a `group`/`chord`/`chain`),
  from `AsyncResult(...)`/`app.AsyncResult(...)`, `GroupResult(...)`/`GroupResult.restore(...)`,
  a child of `group_result.results`, a parameter annotated as one, a `self` attribute
  set to one in a method of the same class (`self.result = task.delay(x)`), or an
  expression with a status check on a Celery result in the same scope; chained
  `task.delay(x).get()` too. The same wait handed over uncalled is reported as well: `asyncio.to_thread(E.get)`,
  `loop.run_in_executor(None, E.get)`, `functools.partial(E.join)`,
  `Thread(target=E.wait)` wait forever in another thread unless a timeout is passed
  along (`to_thread(E.get, timeout=30)`, `run_in_executor(None, E.get, 30)`). Not
  flagged where the result is known to be ready: inside `if E.ready():`,
  `if E.successful():`, `elif E.state in READY_STATES:`, `if E.status not in ("PENDING", "STARTED"):`,
  `case "SUCCESS":` or `case states.FAILURE | states.REVOKED:` of a `match E.status:`
  (and a `case _:` after cases taking every unready state), after `E.ready() and ...`,
  or after an early `if not E.ready(): return`/`continue`/`raise` in an enclosing block.
  A `.get()` right after a polling loop is still reported: once the loop has a timeout
  it can end on an unfinished task. Dicts, queues, threads, events, `requests.get(url)`,
  `"".join(x)` and the results of multiprocessing/concurrent pools (held in a variable,
  a `self` attribute, a parameter annotated `multiprocessing.pool.Pool`/`ThreadPool`...)
  and gevent are not Celery results.

Both need a Celery result: a status check counts only where the code is Celery code (the
module-level code, or the top-level def or class holding it, imports `celery` or the
configured app's module, dispatches, builds an `AsyncResult`, declares a task), where the
expression is bound as a result, is checked with `.ready()`/`.successful()`/`.failed()`
or for a state only Celery uses (STARTED, RECEIVED, RETRY, REVOKED), is bound nowhere
(the checklist's snippets), or is used with the AsyncResult API in the same scope
(`.result`, `.traceback`, `.info`, `.task_id`, `.children`, `.get()`, `.revoke()`,
`.forget()`...). `while export_job.status == "PENDING":` in a module with nothing of
Celery is some other system's job.

## Why is this bad?
A worker that dies, a lost message or a task stuck in a queue leaves the result
PENDING forever: the request handler (or the task) that waits for it hangs, holding a
worker slot or an HTTP connection, and nothing reports the problem.

## Example
```python
import time

def wait_for(result):
    while result.status == "PENDING":
        time.sleep(1)
    return result.get()
```

## Use instead
```python
import time

def wait_for(result, timeout: float = 300.0, poll_interval: float = 1.0):
    waited = 0.0
    while waited < timeout and result.status == "PENDING":
        time.sleep(poll_interval)
        waited += poll_interval
    return result.get(timeout=timeout)
```

## Fix safety
Unsafe: a wait that used to last as long as the task now gives up after a timeout,
which changes behaviour for slow tasks (and a `.get()` that times out raises
`celery.exceptions.TimeoutError`). The timeout is the `timeout` parameter or variable
in scope (assigned before the wait) when it holds a number (a numeric default or
annotation, `timeout = 30`, `float(...)`, arithmetic on a number; an unannotated
parameter without a default is taken at its word), else a module constant
`DEFAULT_TASK_TIMEOUT = 300.0` added under the imports (a literal would be a magic
number; every fix in the file shares the one constant, and an imported
`DEFAULT_TASK_TIMEOUT` is reused). `timeout=None`, `timeout: float | None` or
`timeout = httpx.Timeout(10.0)` are not reused: `.get(timeout=timeout)` would still
wait forever and `waited < timeout` would raise `TypeError`.

For a loop the fix adds `waited = 0.0` before it, `waited < timeout and (...)` to its
test (just `waited < timeout` for `while True`; the bound goes last when the test
assigns with `:=`), and `waited += <interval>` before every `continue` of that loop
(not of nested loops) and at the end of its body. The interval is the loop's own sleep
argument when it is a number, a name or an attribute not reassigned in the loop, else
`poll_interval` when that is in scope, holds a number and the loop does not sleep
itself. `waited` is renamed (`waited_s`, `_waited`) when the name is taken. No fix is
offered for a `while ... else` (its `else` would also run on timeout), a loop whose
sleep interval is computed (`min(delay * 2, 30)`), varies, is zero, or is only slept in
a nested loop, or a loop that never sleeps and has no numeric `poll_interval`.

For a call the fix adds `timeout=<timeout>` (or replaces `timeout=None` or a positional
`None`), keeping a multi-line argument list one argument per line and every comment on
the line of the argument it was on. No fix is offered for a wait handed over uncalled:
where the timeout goes depends on the function it is handed to.
"""

from __future__ import annotations

import ast
import bisect
import itertools

from ..analysis.facts import SCOPE_NODES, iter_children
from ..analysis.names import free_name, numbered, usable_name
from ..analysis.numbers import holds_number
from ..analysis.results import (
    all_checks,
    checks_by_node,
    is_clock_call,
    is_ready_only,
    is_result,
    is_simple_reference,
    is_sleep_call,
    states_at,
)
from ..fixes.lazy import cst
from ..fixes.statements import add_module_constant, insert_before, parse_statement
from ..ftypes import FixSafety, Range, Severity
from .base import Rule

# `collect()` iterates the result graph calling `get()` with its keywords.
WAIT_METHODS = frozenset({"get", "wait", "join", "join_native", "collect"})
LOOPS = frozenset({ast.For, ast.AsyncFor, ast.While})
ASSIGNMENTS = frozenset({ast.AugAssign, ast.Assign, ast.AnnAssign})
EXITS = frozenset({ast.Return, ast.Raise})
TIMEOUT_CONTEXTS = frozenset({"timeout", "timeout_at", "fail_after", "fail_at", "move_on_after", "move_on_at"})
WAITED_NAMES = ("waited", "waited_s", "_waited")


class UnboundedResultWait(Rule):
    code = "CEL003"
    name = "unbounded-result-wait"
    message = "waiting on a Celery result without a timeout can hang forever"
    severity = Severity.HIGH
    fix_safety = FixSafety.UNSAFE
    fix_title = "Bound the wait with a timeout"
    triggers = ("while", "get", "wait", "join", "collect")
    local = True

    def check(self, facts, settings):
        yield from self._loops(facts, settings)
        yield from self._calls(facts, settings)

    # --- (a) polling loops ----------------------------------------------------------------
    def _loops(self, facts, settings):
        check_lines = sorted({c.node.lineno for c in all_checks(facts, settings)})
        checks_at = checks_by_node(facts, settings)
        for loop in facts.nodes(ast.While):
            if not _any_between(check_lines, loop.lineno, loop.end_lineno):
                continue  # cheap filter: no status check anywhere in the loop
            test_check = _first_test_check(loop, checks_at)
            body = _LoopBody(facts, loop, checks_at)
            check = test_check or body.first_check
            if check is None:
                continue
            # With the check only in the body, the loop waits when it sleeps between
            # checks or spins (`while True:`) until it leaves; a `while stack:` walk or a
            # worker loop that never leaves merely looks at results.
            waits = (
                test_check is not None or body.sleeps_outside_inner_while or (body.exits and _always_true(loop.test))
            )
            if not waits:
                continue
            if _bounded(facts, loop, body):
                continue
            plan, reason = _loop_plan(facts, loop, body)
            result_text = check.result_text
            header = _header_range(facts, loop)
            yield self.finding(
                facts,
                header,
                f"polling loop on `{result_text}` has no timeout: it waits forever if the task never finishes",
                no_fix_reason=reason,
                kind="loop",
                **plan,
            )

    # --- (b) blocking calls -----------------------------------------------------------------
    def _calls(self, facts, settings):
        for call in facts.nodes(ast.Call):
            func = call.func
            if (
                type(func) is ast.Attribute
                and func.attr in WAIT_METHODS
                and not _passes_timeout(call.args, call.keywords, func.attr)
                and self._blocks(facts, settings, func.value, call)
            ):
                timeout, introduce = timeout_plan(facts, call)
                yield self.finding(
                    facts,
                    call,
                    f"`{facts.text(func.value)}.{func.attr}()` without a timeout can block forever",
                    no_fix_reason=None if timeout else f"the name `{DEFAULT_TIMEOUT_NAME}` is bound to something else",
                    kind="call",
                    timeout=timeout or "",
                    introduce=introduce,
                )
            if call.args or call.keywords:
                yield from self._handed_over(facts, settings, call)

    def _handed_over(self, facts, settings, call):
        """`asyncio.to_thread(r.get)`, `loop.run_in_executor(None, r.get)`,
        `functools.partial(r.get)`, `Thread(target=r.join)`: the wait runs elsewhere, with
        the arguments passed along with it (the positional ones after it, the keywords, and
        those of a call of the call: `sync_to_async(r.get)()`)."""
        handed = [(i, a) for i, a in enumerate(call.args) if type(a) is ast.Attribute and a.attr in WAIT_METHODS]
        handed += [
            (None, kw.value)
            for kw in call.keywords
            if type(kw.value) is ast.Attribute and kw.value.attr in WAIT_METHODS
        ]
        if not handed:
            return
        outer = facts.parent(call)
        called = isinstance(outer, ast.Call) and outer.func is call
        later_args = list(outer.args) if called else []
        later_keywords = list(outer.keywords) if called else []
        for position, wait in handed:
            args = (list(call.args[position + 1 :]) if position is not None else []) + later_args
            keywords = [kw for kw in call.keywords if kw.value is not wait] + later_keywords
            if _passes_timeout(args, keywords, wait.attr) or not self._blocks(facts, settings, wait.value, wait):
                continue
            text = facts.text(wait.value)
            yield self.finding(
                facts,
                wait,
                f"`{text}.{wait.attr}` is handed over uncalled: it waits without a timeout and can block forever",
                no_fix_reason=f"the wait is passed uncalled; pass a timeout with it "
                f"(`functools.partial({text}.{wait.attr}, timeout=...)`)",
                kind="uncalled",
            )

    @staticmethod
    def _blocks(facts, settings, target, at) -> bool:
        """`target` is a Celery result that may not be ready where `at` waits on it."""
        if not is_result(facts, target, settings):
            return False
        return not is_ready_only(states_at(facts, at, facts.text(target), temporal=True))

    # --- fixes ------------------------------------------------------------------------------
    def fix(self, ctx, finding):
        if finding.detail("kind") == "loop":
            return _fix_loop(ctx, finding)
        return _fix_call(ctx, finding)


# --- detection helpers ------------------------------------------------------------------------
def _is_none(expr: ast.AST) -> bool:
    return isinstance(expr, ast.Constant) and expr.value is None


def _passes_timeout(args, keywords, method: str) -> bool:
    """A positional timeout other than None (the first parameter of `get`/`wait`/`join`;
    `collect` passes only its keywords on to `get`), `timeout=` other than None, or
    *args/**kwargs that may hold one."""
    if args:
        first = args[0]
        if method != "collect":
            return isinstance(first, ast.Starred) or not _is_none(first)
        if any(isinstance(a, ast.Starred) for a in args):
            return True
    if not keywords:
        return False  # the usual `.get()`: no keyword to look at
    if any(kw.arg is None for kw in keywords):
        return True
    timeout_kw = next((kw for kw in keywords if kw.arg == "timeout"), None)
    return timeout_kw is not None and not _is_none(timeout_kw.value)


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
# What `_LoopBody` records (checks, sleeps, exits, assignments).
_NOTED = frozenset({ast.Call, ast.Compare, ast.Break, *EXITS, *ASSIGNMENTS})


def _holds_nothing(node, kind) -> bool:
    """A name, a constant or `name.attr` (`time.sleep`, `result.status`): nothing below it
    can be a check, a sleep or an exit, so the walks need not look inside."""
    return kind in _LEAVES or (kind is ast.Attribute and type(node.value) is ast.Name)


def _first_test_check(loop, checks_at: dict):
    """The first status check in the loop's test, in `own_nodes` order (the one the
    finding names), or None."""
    stack = [loop.test]
    while stack:
        node = stack.pop()
        check = checks_at.get(id(node))
        if check is not None:
            return check
        if not _holds_nothing(node, type(node)):
            for child in iter_children(node):
                if type(child) not in _NOT_WALKED:
                    stack.append(child)
    return None


class _LoopBody:
    """What the body of a `while` loop holds (its own scope only), from one walk.

    An inner `while` is a wait of its own (and reported on its own): what it checks and
    sleeps on does not make the outer loop a wait. The walk knows, as it descends,
    whether it is inside an inner `while` or any nested loop, instead of asking each
    node's ancestors; it visits nodes in `own_nodes` order, so the first check and the
    first sleep are the same as in a plain walk.
    """

    def __init__(self, facts, loop, checks_at: dict) -> None:
        self.first_check = None  # the first status check outside inner `while`s
        self.exits = []  # `return`/`raise` anywhere, `break` of this very loop
        self.sleeps = []  # every sleep call, nested loops included
        self.sleeps_outside_inner_while = False
        self.own_sleeps = []  # sleeps not inside a nested loop
        self.assignments = []  # where counters and clocks move
        for statement in loop.body:
            stack = [(statement, False, False)]  # (node, inside an inner `while`, inside any nested loop)
            while stack:
                node, in_while, in_loop = stack.pop()
                kind = type(node)
                if kind in _NOTED:
                    self._note(facts, node, kind, in_while, in_loop, checks_at)
                elif _holds_nothing(node, kind):
                    continue
                if kind in LOOPS:
                    in_loop = True
                    in_while = in_while or kind is ast.While
                for child in iter_children(node):
                    if type(child) not in _NOT_WALKED:
                        stack.append((child, in_while, in_loop))

    def _note(self, facts, node, kind, in_while, in_loop, checks_at) -> None:
        if kind is ast.Call and is_sleep_call(facts, node):
            self.sleeps.append(node)
            if not in_while:
                self.sleeps_outside_inner_while = True
            if not in_loop:
                self.own_sleeps.append(node)
        elif kind is ast.Call or kind is ast.Compare:
            if self.first_check is None and not in_while:
                self.first_check = checks_at.get(id(node))
        elif kind in EXITS or (kind is ast.Break and not in_loop):
            self.exits.append(node)
        elif kind in ASSIGNMENTS:
            self.assignments.append(node)


def _any_between(sorted_lines, first, last) -> bool:
    index = bisect.bisect_left(sorted_lines, first)
    return index < len(sorted_lines) and sorted_lines[index] <= last


def _always_true(test) -> bool:
    return isinstance(test, ast.Constant) and bool(test.value)


def _header_range(facts, loop) -> Range:
    """From `while` to the end of its test: `facts.range(loop).start` to
    `facts.range(loop.test).end`, without computing the two ends not needed."""
    test = loop.test
    return Range(
        facts.index.from_ast(loop.lineno, loop.col_offset), facts.index.from_ast(test.end_lineno, test.end_col_offset)
    )


def _advanced(facts, assignments) -> set[str]:
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


def _mentions_bound(facts, expr, advanced) -> bool:
    """A comparison (or countdown test) on a clock call or an advanced counter."""
    for node in ast.walk(expr):
        if isinstance(node, ast.Compare):
            for operand in (node.left, *node.comparators):
                for sub in ast.walk(operand):
                    if is_clock_call(facts, sub):
                        return True
                    if isinstance(sub, (ast.Name, ast.Attribute)) and facts.text(sub) in advanced:
                        return True
        elif isinstance(node, (ast.Name, ast.Attribute)) and facts.text(node) in advanced:
            parent = facts.parent(node)
            if not isinstance(parent, (ast.Compare, ast.Attribute, ast.Call)):
                return True  # `while retries and ...` / `if not retries: break`
    return False


def _conjuncts(test):
    """Parts that must all hold for the loop to go on."""
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        for value in test.values:
            yield from _conjuncts(value)
    elif isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = test.operand
        if isinstance(inner, ast.BoolOp) and isinstance(inner.op, ast.Or):
            for value in inner.values:  # not (a or b) == not a and not b
                yield from _conjuncts(ast.UnaryOp(ast.Not(), value))
        elif not isinstance(inner, ast.BoolOp):
            yield inner
    else:
        yield test


def _bounded(facts, loop, body: _LoopBody) -> bool:
    advanced = _advanced(facts, body.assignments)
    for part in _conjuncts(loop.test):
        if isinstance(part, (ast.Compare, ast.Name, ast.Attribute)) and _mentions_bound(facts, part, advanced):
            return True
    for exit_node in body.exits:  # `if time.monotonic() > deadline: raise TimeoutError`
        for ancestor in facts.ancestors(exit_node):
            if ancestor is loop:
                break
            if isinstance(ancestor, (ast.If, ast.IfExp, ast.While)) and _mentions_bound(facts, ancestor.test, advanced):
                return True
    scope = facts.scope_of(loop)
    for ancestor in facts.ancestors(loop):  # async with asyncio.timeout(30): ...
        if ancestor is scope.node:
            break
        if isinstance(ancestor, (ast.With, ast.AsyncWith)):
            for item in ancestor.items:
                call = item.context_expr
                if isinstance(call, ast.Call) and _last_name(call.func) in TIMEOUT_CONTEXTS:
                    return True
    return False


def _last_name(expr) -> str:
    return expr.attr if isinstance(expr, ast.Attribute) else getattr(expr, "id", "")


def _sleep_argument(call: ast.Call):
    if call.args and not isinstance(call.args[0], ast.Starred):
        return call.args[0]
    for kw in call.keywords:
        if kw.arg in ("seconds", "secs", "delay", "delay_seconds"):
            return kw.value
    return None


def _loop_plan(facts, loop, body: _LoopBody) -> tuple[dict, str | None]:
    """Names and interval for the fix, or why none can be offered."""
    scope = facts.scope_of(loop)
    if loop.orelse:
        return {}, "the loop has an `else:` that would also run on timeout"
    if scope.kind not in ("function", "module"):
        return {}, "the loop is in a class body"
    timeout, introduce = timeout_plan(facts, loop)
    if timeout is None:
        return {}, f"the name `{DEFAULT_TIMEOUT_NAME}` is bound to something else"
    waited = free_name(facts, facts.scope_of(loop), itertools.chain(WAITED_NAMES, numbered(WAITED_NAMES[0])))
    if body.own_sleeps:
        arguments = [_sleep_argument(s) for s in body.own_sleeps]
        if None in arguments or len({facts.text(a) for a in arguments}) != 1:
            return {}, "the loop sleeps for different intervals"
        argument = arguments[0]
        if (
            isinstance(argument, ast.Constant)
            and isinstance(argument.value, (int, float))
            and not isinstance(argument.value, bool)
        ):
            if argument.value <= 0:
                return {}, "the loop sleeps for 0 seconds: there is no interval to count"
            increment = _number_as_written(facts, argument) or facts.text(argument)
        elif is_simple_reference(argument) and not _bound_inside(facts, argument, loop):
            increment = facts.text(argument)
        else:
            return {}, "the sleep interval is computed in the loop; count the wait by hand"
    elif body.sleeps:
        return {}, "the loop only sleeps inside a nested loop"
    elif usable_name(facts, "poll_interval", loop) == "yes" and holds_number(facts, "poll_interval", loop):
        increment = "poll_interval"
    else:
        return {}, "the loop does not sleep (and no numeric `poll_interval` is in scope): there is no interval to count"
    return {"waited": waited, "timeout": timeout, "introduce": introduce, "increment": increment}, None


def _number_as_written(facts, number: ast.Constant) -> str:
    """`ast.get_source_segment` of a number (`1.0`, `5e-1`), which is on one line: without
    the split of the whole source into lines that it makes on every call."""
    line = facts.index.line_text(number.lineno - 1)
    return line.encode("utf-8")[number.col_offset : number.end_col_offset].decode("utf-8")


def _bound_inside(facts, reference, loop) -> bool:
    """The interval's name is (re)assigned inside the loop (backoff)."""
    while isinstance(reference, ast.Attribute):
        reference = reference.value
    scope = facts.scope_of(loop)
    found = facts.lookup(reference.id, facts.scope_of(reference))
    return (
        bool(found)
        and found[0] is scope
        and any(loop.lineno <= getattr(b.node, "lineno", 0) <= loop.end_lineno for b in found[1])
    )


# --- fix helpers --------------------------------------------------------------------------------
def _fix_loop(ctx, finding) -> cst.Module | None:
    loop = ctx.node_at(finding.range, cst.While)
    if loop is None:
        return None
    module = ctx.module
    newline = module.default_newline
    waited = finding.detail("waited")
    increment = finding.detail("increment")
    bound = cst.parse_expression(f"{waited} < {finding.detail('timeout')}")
    test = loop.test
    if (isinstance(test, cst.Name) and test.value == "True") or (isinstance(test, cst.Integer) and test.value == "1"):
        new_test = bound
    else:
        loose = isinstance(test, (cst.IfExp, cst.Lambda, cst.NamedExpr)) or (
            isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.Or)
        )
        if loose and not test.lpar:  # `a or b` must stay one operand of the new `and`
            test = test.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
        if any(isinstance(n, cst.NamedExpr) for n in _walk(test)):
            # `(s := r.status) == ...` must still run first: the body may read `s`
            new_test = cst.BooleanOperation(left=test, operator=cst.And(), right=bound)
        else:
            new_test = cst.BooleanOperation(left=bound, operator=cst.And(), right=test)
    step_line = parse_statement(module, f"{waited} += {increment}{newline}")
    step = step_line.body[0]
    body = _count_continues(loop.body, _own_continues(loop.body), step)
    body = _append_step(body, step)
    changes = {"test": new_test, "body": body}
    if not loop.whitespace_after_while.value:
        changes["whitespace_after_while"] = cst.SimpleWhitespace(" ")
    new_loop = loop.with_changes(**changes)
    before = [parse_statement(module, f"{waited} = 0.0{newline}")]
    new_module = ctx.replace({loop: insert_before(new_loop, before)})
    if finding.detail("introduce"):
        new_module = add_module_constant(new_module, DEFAULT_TIMEOUT_LINE)
    return new_module


def _walk(node: cst.CSTNode):
    yield node
    for child in node.children:
        yield from _walk(child)


def _own_continues(node: cst.CSTNode, nested: bool = False, out: set | None = None) -> set[int]:
    """ids of the `continue` statements that continue this loop (not a nested one)."""
    out = set() if out is None else out
    if isinstance(node, cst.Continue):
        if not nested:
            out.add(id(node))
        return out
    if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
        return out
    if isinstance(node, (cst.For, cst.While)):
        _own_continues(node.body, True, out)
        if node.orelse is not None:
            _own_continues(node.orelse, nested, out)
        return out
    for child in node.children:
        _own_continues(child, nested, out)
    return out


# No libcst attribute is touched at import time: the registry loads libcst lazily and a
# plain check must not pay for it (see docs/writing-rules.md).
def _semicolon():
    return cst.Semicolon(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace(" "))


def _ends():
    return (cst.Continue, cst.Break, cst.Return, cst.Raise)


def _count_continues(body, targets: set[int], step):
    """`waited += interval` just before each `continue` in `targets` (by id)."""

    def insert(smalls, positions):
        smalls = list(smalls)
        for i in reversed(positions):
            smalls.insert(i, step.with_changes(semicolon=_semicolon()))
        return smalls

    class CountContinues(cst.CSTTransformer):
        def leave_SimpleStatementLine(self, original_node, updated_node):
            positions = [i for i, small in enumerate(original_node.body) if id(small) in targets]
            if not positions:
                return updated_node
            if len(updated_node.body) == 1:  # a lone `continue` line: the step goes on its own line
                return insert_before(updated_node, [cst.SimpleStatementLine(body=[step])])
            return updated_node.with_changes(body=insert(updated_node.body, positions))

        def leave_SimpleStatementSuite(self, original_node, updated_node):
            positions = [i for i, small in enumerate(original_node.body) if id(small) in targets]
            if not positions:
                return updated_node
            return updated_node.with_changes(body=insert(updated_node.body, positions))

    return body.visit(CountContinues())


def _append_step(body, step):
    """`waited += interval` at the end of the body, unless it cannot be reached there."""
    if isinstance(body, cst.SimpleStatementSuite):
        smalls = list(body.body)
        if isinstance(smalls[-1], _ends()):
            return body
        if not isinstance(smalls[-1].semicolon, cst.Semicolon):
            smalls[-1] = smalls[-1].with_changes(semicolon=_semicolon())
        return body.with_changes(body=[*smalls, step])
    last = body.body[-1]
    if isinstance(last, cst.SimpleStatementLine) and isinstance(last.body[-1], _ends()):
        return body
    return body.with_changes(body=[*body.body, cst.SimpleStatementLine(body=[step])])


def _fix_call(ctx, finding) -> cst.Module | None:
    call = ctx.node_at(finding.range, cst.Call)
    if call is None:
        return None
    new_module = ctx.replace({call: _with_timeout(call, finding.detail("timeout"))})
    if finding.detail("introduce"):
        new_module = add_module_constant(new_module, DEFAULT_TIMEOUT_LINE)
    return new_module


def _with_timeout(call: cst.Call, timeout: str) -> cst.Call:
    """`timeout=<timeout>` added to the call, or put in place of a `None` timeout. On a
    multi-line argument list the new argument gets a line of its own, and the comments
    stay on the lines they were on."""
    value = cst.Name(timeout)
    args = list(call.args)
    method = call.func.attr.value if isinstance(call.func, cst.Attribute) else ""
    for i, arg in enumerate(args):
        if arg.keyword is not None and arg.keyword.value == "timeout":  # `timeout=None`
            args[i] = arg.with_changes(value=value)
            return call.with_changes(args=args)
    if args and method != "collect" and arg_is_none(args[0]):  # `get(None)`: the timeout, positionally
        args[0] = args[0].with_changes(value=value)
        return call.with_changes(args=args)
    new = cst.Arg(
        value=value,
        keyword=cst.Name("timeout"),
        equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")),
    )
    if not args:
        return call.with_changes(args=[new])
    last = args[-1]
    layout = _argument_line(call)
    if isinstance(last.comma, cst.Comma):  # a trailing comma: keep it, after the new argument too
        after = last.comma.whitespace_after
        if isinstance(after, cst.ParenthesizedWhitespace):
            # `a,  # note` / `)`: the note stays after `a,`, the new line goes before `)`
            layout = layout or after
            args[-1] = last.with_changes(
                comma=last.comma.with_changes(
                    whitespace_after=after.with_changes(indent=layout.indent, last_line=layout.last_line)
                )
            )
            new = new.with_changes(comma=cst.Comma(whitespace_after=_line_break_like(after)))
        else:
            new = new.with_changes(comma=last.comma)
            args[-1] = last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
    else:
        after = last.whitespace_after_arg
        if isinstance(after, cst.ParenthesizedWhitespace):
            # `a  # note` / `)`: becomes `a,  # note` / `timeout=...` / `)`
            layout = layout or after
            args[-1] = last.with_changes(
                comma=cst.Comma(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")),
                whitespace_after_arg=after.with_changes(indent=layout.indent, last_line=layout.last_line),
            )
            new = new.with_changes(whitespace_after_arg=_line_break_like(after))
        else:
            args[-1] = last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
    args.append(new)
    return call.with_changes(args=args)


def arg_is_none(arg: cst.Arg) -> bool:
    return arg.keyword is None and not arg.star and isinstance(arg.value, cst.Name) and arg.value.value == "None"


def _argument_line(call: cst.Call):
    """The line break and indentation that starts an argument's line (after `(` or after
    an earlier argument's comma), or None when the arguments do not start lines."""
    if isinstance(call.whitespace_before_args, cst.ParenthesizedWhitespace):
        return call.whitespace_before_args
    for arg in call.args[:-1]:
        if isinstance(arg.comma, cst.Comma) and isinstance(arg.comma.whitespace_after, cst.ParenthesizedWhitespace):
            return arg.comma.whitespace_after
    return None


def _line_break_like(whitespace):
    """The same line break and indentation, without the comment and blank lines."""
    return cst.ParenthesizedWhitespace(
        first_line=cst.TrailingWhitespace(),
        empty_lines=[],
        indent=whitespace.indent,
        last_line=whitespace.last_line,
    )


DEFAULT_TIMEOUT_NAME = "DEFAULT_TASK_TIMEOUT"


DEFAULT_TIMEOUT_LINE = f"{DEFAULT_TIMEOUT_NAME} = 300.0  # seconds to wait for a Celery result"


def timeout_plan(facts, at: ast.AST) -> tuple[str | None, bool]:
    """The timeout to use at `at`: a `timeout` parameter/variable in scope that holds a
    number, else the module constant (added when it does not exist yet); (None, False)
    when the constant's name is taken by something else."""
    if usable_name(facts, "timeout", at) == "yes" and holds_number(facts, "timeout", at):
        return "timeout", False
    state = usable_name(facts, DEFAULT_TIMEOUT_NAME, at)
    if state == "no":
        found = facts.lookup(DEFAULT_TIMEOUT_NAME, facts.scope_of(at))
        if found and all(b.kind == "import" for b in found[1]):
            return DEFAULT_TIMEOUT_NAME, False  # `from settings import DEFAULT_TASK_TIMEOUT`
        return None, False
    return DEFAULT_TIMEOUT_NAME, state == "free"
