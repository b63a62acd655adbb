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
  or after an early `if not E.ready(): return`/`continue`/`raise` in an enclosing block;
  nor in a branch that runs only when tasks run eagerly (`if settings.CELERY_TASK_ALWAYS_EAGER:`,
  `if app.conf.task_always_eager:`), where the result is an `EagerResult`, already ready.
  A `.get()` right after a polling loop is still reported: once the loop has a timeout
  it can end on an unfinished task. Dicts, queues, threads, events, `requests.get(url)`,
  `"".join(x)` and the results of multiprocessing/concurrent pools (held in a variable,
  a `self` attribute, a parameter annotated `multiprocessing.pool.Pool`/`ThreadPool`...)
  and gevent are not Celery results.

In test code (files under a `tests`/`test` directory, `test_*.py`, `*_test.py`, Django's
`tests.py`, `conftest.py`) of a service that turns `task_always_eager` on anywhere
(`CELERY_TASK_ALWAYS_EAGER = True` or the old `CELERY_ALWAYS_EAGER` in a settings module,
`app.conf.task_always_eager = True`, `app.conf.update(task_always_eager=True)`,
`settings.CELERY_TASK_ALWAYS_EAGER = True` in `conftest.py`,
`@override_settings(CELERY_TASK_ALWAYS_EAGER=True)`, a pytest `celery_config` fixture
returning `{"task_always_eager": True}`), a wait on a result is not flagged: the task ran
when it was sent and its `EagerResult` is ready. Polling loops there still are, and so is
every wait outside the tests. This needs the project model (the workspace): a file checked
alone is checked as before.

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
from typing import TypeGuard

from ..analysis.facts import position_key
from ..analysis.loops import LoopBody, first_marked, is_bounded, rebound_in, sleep_argument
from ..analysis.names import free_name, numbered, usable_name
from ..analysis.numbers import holds_number
from ..analysis.results import (
    CELERY_WAIT_KEYWORDS,
    all_checks,
    checks_by_node,
    is_ready_only,
    is_result,
    is_simple_reference,
    states_at,
)
from ..analysis.testing import in_eager_branch
from ..fixes.arguments import append_argument, keyword_argument
from ..fixes.lazy import cst
from ..fixes.statements import (
    add_module_constant,
    append_statement,
    insert_before,
    insert_before_each,
    loop_continues,
    walk_cst,
)
from ..fixes.text import source_segment
from ..ftypes import FixSafety, Range, Severity
from .base import Rule

# `collect()` iterates the result graph calling `get()` with its keywords.
WAIT_METHODS = frozenset({"get", "wait", "join", "join_native", "collect"})
WAITED_NAMES = ("waited", "waited_s", "_waited")
DEFAULT_TIMEOUT_NAME = "DEFAULT_TASK_TIMEOUT"
DEFAULT_TIMEOUT_LINE = f"{DEFAULT_TIMEOUT_NAME} = 300.0  # seconds to wait for a Celery result"


class UnboundedResultWait(Rule):
    code = "CEL003"
    name = "unbounded-result-wait"
    message = "waiting on a Celery result without a timeout can hang forever"
    severity = Severity.HIGH
    fix_safety = FixSafety.UNSAFE
    fix_title = "Bound the wait with a timeout"
    triggers = ("while", "get", "wait", "join", "collect")
    # What it reports in a function depends on that function alone; whether the service
    # runs its tests eagerly is the workspace's to say, once for the file (`settle`).
    local = True
    uses_project = True

    def check(self, facts, settings):
        return self.settle(facts, [*self._loops(facts, settings), *self._calls(facts, settings)])

    def settle(self, facts, findings):
        """In the tests of a service that runs tasks eagerly, only the polling loops."""
        if not _eager_test(facts):
            return findings
        return [f for f in findings if f.detail("kind") == "loop"]

    # --- (a) polling loops ----------------------------------------------------------------
    def _loops(self, facts, settings):
        check_lines = sorted({position_key(c.node)[0] for c in all_checks(facts, settings)})
        checks_at = checks_by_node(facts, settings)
        for loop in facts.nodes(ast.While):
            index = bisect.bisect_left(check_lines, loop.lineno)
            if index == len(check_lines) or check_lines[index] > loop.end_lineno:
                continue  # cheap filter: no status check anywhere in the loop
            test_check = first_marked(loop.test, checks_at)
            body = LoopBody(facts, loop, checks_at)
            check = test_check or body.first_marked
            if check is None:
                continue
            # With the check only in the body, the loop waits when it sleeps between
            # checks or spins (`while True:`) until it leaves; a `while stack:` walk or a
            # worker loop that never leaves merely looks at results.
            spins = body.exits and isinstance(loop.test, ast.Constant) and bool(loop.test.value)
            if not (test_check is not None or body.sleeps_outside_inner_while or spins):
                continue
            if is_bounded(facts, loop, body):
                continue
            plan, reason = _loop_plan(facts, loop, body)
            # From `while` to the end of its test (without working out the ends not needed).
            header = Range(
                facts.index.from_ast(loop.lineno, loop.col_offset),
                facts.index.from_ast(loop.test.end_lineno, loop.test.end_col_offset),
            )
            yield self.finding(
                facts,
                header,
                f"polling loop on `{check.result_text}` has no timeout: it waits forever if the task never finishes",
                no_fix_reason=reason,
                kind="loop",
                **plan,
            )

    # --- (b) blocking calls -----------------------------------------------------------------
    def _calls(self, facts, settings):
        for call in facts.select("CEL003 waits", _waits_or_hands_a_wait, ast.Call):
            func = call.func
            if (
                _is_wait_method(func)
                and not _passes_timeout(call.args, call.keywords, func.attr)
                and self._blocks(facts, settings, func.value, call)
            ):
                timeout, introduce = _timeout_plan(facts, call)
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
        handed: list[tuple[int | None, ast.Attribute]] = [(i, a) for i, a in enumerate(call.args) if _is_wait_method(a)]
        handed += [(None, kw.value) for kw in call.keywords if _is_wait_method(kw.value)]
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
        """`target` is a Celery result that may not be ready where `at` waits on it (a wait
        with a keyword only Celery takes, `.get(propagate=False)`, is on one whatever `target` is)."""
        celery_only = isinstance(at, ast.Call) and any(k.arg in CELERY_WAIT_KEYWORDS for k in at.keywords)
        if not celery_only and not is_result(facts, target, settings):
            return False
        if in_eager_branch(facts, at):
            return False  # `if settings.CELERY_TASK_ALWAYS_EAGER:`: the task ran when it was sent
        return not is_ready_only(states_at(facts, at, facts.text(target), temporal=True))

    # --- fixes ------------------------------------------------------------------------------
    def fix(self, ctx, finding):
        edits = _fix_loop(ctx, finding) if finding.detail("kind") == "loop" else _fix_call(ctx, finding)
        if edits and finding.detail("introduce"):
            edits.extend(add_module_constant(ctx, DEFAULT_TIMEOUT_LINE))
        return edits


def _waits_or_hands_a_wait(call: ast.Call) -> bool:
    """By its syntax alone: a call of a wait method, or one passing a wait method uncalled
    (the calls `_calls` looks at; most calls are neither)."""
    # (asked of every call: the test is written out, not called per argument, which cost the
    # check of celery+kombu 58 M instructions more, callgrind)
    func = call.func
    if type(func) is ast.Attribute and func.attr in WAIT_METHODS:
        return True
    for argument in call.args:
        if type(argument) is ast.Attribute and argument.attr in WAIT_METHODS:
            return True
    for keyword in call.keywords:
        if type(keyword.value) is ast.Attribute and keyword.value.attr in WAIT_METHODS:
            return True
    return False


def _is_wait_method(expr: ast.AST) -> TypeGuard[ast.Attribute]:
    """`r.get`, `r.wait`, `r.join`...: a wait method of whatever `r` is."""
    return type(expr) is ast.Attribute and expr.attr in WAIT_METHODS


def _eager_test(facts) -> bool:
    """Test code of a service whose tests run tasks eagerly (`task_always_eager`): every
    result there is an `EagerResult`, ready before anyone waits on it."""
    project = facts.project
    return project is not None and project.is_test(facts.path) and project.runs_eagerly(facts.path)


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


def _timeout_plan(facts, at: ast.AST) -> tuple[str | None, bool]:
    """The timeout to use at `at`: a `timeout` parameter/variable in scope that holds a
    number, else the module constant (and whether to add it); (None, False) when the
    constant's name is taken by something else."""
    if usable_name(facts, "timeout", at) == "yes" and holds_number(facts, "timeout", at):
        return "timeout", False
    state = usable_name(facts, DEFAULT_TIMEOUT_NAME, at)
    if state == "no":
        found = facts.lookup(DEFAULT_TIMEOUT_NAME, facts.scope_of(at))
        if found and all(b.kind == "import" for b in found[1]):
            return DEFAULT_TIMEOUT_NAME, False  # `from settings import DEFAULT_TASK_TIMEOUT`
        return None, False
    return DEFAULT_TIMEOUT_NAME, state == "free"


def _loop_plan(facts, loop, body: LoopBody) -> tuple[dict, str | None]:
    """Names and interval for the fix, or why none can be offered."""
    if loop.orelse:
        return {}, "the loop has an `else:` that would also run on timeout"
    scope = facts.scope_of(loop)
    if scope.kind not in ("function", "module"):
        return {}, "the loop is in a class body"
    timeout, introduce = _timeout_plan(facts, loop)
    if timeout is None:
        return {}, f"the name `{DEFAULT_TIMEOUT_NAME}` is bound to something else"
    waited = free_name(facts, scope, itertools.chain(WAITED_NAMES, numbered(WAITED_NAMES[0])))
    if body.own_sleeps:
        arguments = [a for s in body.own_sleeps if (a := sleep_argument(s)) is not None]
        if len(arguments) != len(body.own_sleeps) or len({facts.text(a) for a in arguments}) != 1:
            return {}, "the loop sleeps for different intervals"
        argument = arguments[0]
        value = argument.value if isinstance(argument, ast.Constant) else None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if value <= 0:
                return {}, "the loop sleeps for 0 seconds: there is no interval to count"
            increment = source_segment(facts, argument)  # as written: `1.0`, `5e-1`
        elif is_simple_reference(argument) and not rebound_in(facts, argument, loop):
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


# --- fixes ----------------------------------------------------------------------------------
def _fix_loop(ctx, finding) -> list | None:
    """`waited = 0.0` before the loop, `waited < timeout` in its test, `waited += interval`
    before each `continue` of the loop and at the end of its body."""
    loop = ctx.node_at(finding.range, cst.While)
    if loop is None:
        return None
    waited = finding.detail("waited")
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
        if any(isinstance(n, cst.NamedExpr) for n in walk_cst(test)):
            # `(s := r.status) == ...` must still run first: the body may read `s`
            new_test = cst.BooleanOperation(left=test, operator=cst.And(), right=bound)
        else:
            new_test = cst.BooleanOperation(left=bound, operator=cst.And(), right=test)
    step = ctx.statement(f"{waited} += {finding.detail('increment')}\n").body[0]
    body = append_statement(insert_before_each(loop.body, loop_continues(loop.body), step), step)
    changes = {"test": new_test, "body": body}
    if not loop.whitespace_after_while.value:
        changes["whitespace_after_while"] = cst.SimpleWhitespace(" ")
    new_loop = loop.with_changes(**changes)
    return [ctx.replace(loop, insert_before(new_loop, [ctx.statement(f"{waited} = 0.0\n")]))]


def _fix_call(ctx, finding) -> list | None:
    """`timeout=<timeout>` added to the call, or put in place of a `None` timeout."""
    call = ctx.node_at(finding.range, cst.Call)
    if call is None:
        return None
    value = cst.Name(finding.detail("timeout"))
    args = list(call.args)
    method = call.func.attr.value if isinstance(call.func, cst.Attribute) else ""
    none_at = next((i for i, a in enumerate(args) if a.keyword is not None and a.keyword.value == "timeout"), None)
    if none_at is None and args and method != "collect" and _is_none_arg(args[0]):
        none_at = 0  # `get(None)`: the timeout, positionally
    if none_at is not None:
        args[none_at] = args[none_at].with_changes(value=value)
        new_call = call.with_changes(args=args)
    else:
        new_call = append_argument(call, keyword_argument("timeout", value))
    return [ctx.replace(call, new_call)]


def _is_none_arg(arg: cst.Arg) -> bool:
    return arg.keyword is None and not arg.star and isinstance(arg.value, cst.Name) and arg.value.value == "None"
