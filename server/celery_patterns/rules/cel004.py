"""CEL004 unhandled-task-failure: a Celery result is checked for success but FAILURE is never handled.

## What it does
In one scope (function, or the module), flags a result expression with a status check for
success or a terminal state (`result.status == "SUCCESS"`, `result.state in READY_STATES`,
`result.ready()`, `result.successful()`, also through a `status = result.status` alias,
`str(result.state)`, `states.SUCCESS` under any import alias or a constant holding a state)
when nothing in that scope handles FAILURE. FAILURE counts as handled by:

- a check that tells FAILURE apart from SUCCESS (`== "FAILURE"`, `!= states.FAILURE`,
  `in EXCEPTION_STATES`/`PROPAGATE_STATES`, `.failed()`) or names it (`in ("SUCCESS", "FAILURE")`);
- a `raise` on a path where the result is known not to be SUCCESS but may be FAILURE
  (`if not result.successful(): raise ...`, `else: raise ...` after a success check);
- `result.get()`/`.wait()`/`.join()` with the default `propagate=True` where the result may
  have failed (it re-raises the task's exception), `result.maybe_throw()`;
- reading `result.traceback` (or `getattr`/`hasattr(result, "traceback")`), or `isinstance(...)`
  on `result.result`/`result.info` or on a name bound to them or to `result.get(propagate=False)`;
- reporting `result.result`/`result.info` as the error on a path where the result may have
  failed but has not succeeded: turned into text (`str()`, `repr()`, an f-string, `%`), logged,
  or under an error-like key or keyword. The catch-all `else: return {"state": r.state,
  "error": str(r.result)}` of a status endpoint, after the SUCCESS and unready branches, hands
  the failure to the API client with its message, which is handling it; an `else` that reports
  only the state, or returns `r.result` as data, is not.

Checks only on unready states (the polling loop's `status not in ("PENDING", "STARTED")`) are
not success checks, nor are checks whose value is only returned or stored (`return
result.ready()`, `done = r.successful()`, `all(r.successful() for ...)`): such predicates hand
the decision to the caller. A check counts when it steers an `if`, `while`, conditional
expression or comprehension filter (`[r.result for r in rs if r.successful()]` drops the failed
results without a word), and either

- the path it opens when the task may have succeeded uses the task's outcome (reads `.result`,
  `.info`, `.children`/`.results` or calls `.get()`/`.wait()`/`.join()`/`.collect()`): the
  branch it takes, the code after `if not r.ready(): return` (also out of the `with`/`if`/`try`
  blocks around it), after a `while not r.ready():` loop or after a `break` taken on it. A
  check that only gates housekeeping (`if not res.ready(): app.control.revoke(task_id)`,
  `if r.ready(): lock.release()`) does not count, nor one whose path hands the result object
  itself to a call (`self.describe(response, result)`: that helper does the handling; logging
  or printing it is not handing it over);
- or it is a wait that ends only on success (`while r.status != "SUCCESS":`, an
  `if r.status == "SUCCESS": break` in a `while` loop): a failed task keeps it polling.

Only Celery results count (as in CEL003: Celery used in the module-level code or the top-level
def/class, the result bound from a dispatch or `AsyncResult`, checked with `.ready()`... or used
with the AsyncResult API): a payment's `status == "SUCCESS"` in a module without Celery is not a
task's state. One finding per result and scope, at its first check that counts.

## Why is this bad?
A failed task is also "ready": code that only asks "is it done?" or "did it succeed?" treats a
failure as a timeout, an empty answer or, after `.ready()`, returns the exception object as if
it were the task's value. The caller never learns what went wrong and the remote traceback is
lost.

## Example
```python
def fetch(result):
    if result.status == "SUCCESS":
        return result.result
    return None
```

## Use instead
```python
def fetch(result):
    if result.status == "SUCCESS":
        return result.result
    elif result.status == "FAILURE":
        if hasattr(result, "traceback") and result.traceback:
            raise Exception(f"Task failed: {result.traceback}")
        raise Exception("Task failed")
    return None
```

## Fix safety
Unsafe: the code now raises where it used to fall through (return `None`, report a status,
retry). The fix adds, right after the success branch, an `elif <result>.status == "FAILURE":`
branch (same `status`/`state` attribute, alias variable, quotes and `states.` prefix as the
existing check) that raises with the task's traceback when present; an existing `else:` stays
last. When the branch is taken on a terminal state that includes FAILURE (`if result.ready():`),
the FAILURE check goes at the top of that branch instead, where it can still be reached (before
its `break` when it leaves a polling loop). Only a check that counts gets the branch. No fix is
offered when the success check is not the test of an `if` (`return result.successful()`,
`while not result.ready():`, a comprehension filter), when its branch is the one taken on *not*
success, or when the result is not a plain name or attribute (a call would be evaluated again).
"""

from __future__ import annotations

import ast

from ..analysis.control import always_exits, enclosing_loop, enclosing_test, opened, outcomes, steers_flow, within
from ..analysis.facts import own_nodes
from ..analysis.results import (
    ALL_STATES,
    RAISING_METHODS,
    RERAISING_METHODS,
    all_checks,
    calls_method,
    check_values,
    constraint,
    handles_failure_check,
    holds_error,
    is_simple_reference,
    is_success_check,
    reads_error,
    reads_traceback,
    states_at,
    status_source,
)
from ..fixes.lazy import cst
from ..fixes.statements import suite_to_block
from ..fixes.text import failure_state_code, quote_of
from ..ftypes import FixSafety, Range, Severity
from .base import Rule

# Reading the task's outcome: its value (the exception, after a failure) or its children.
OUTCOME_ATTRIBUTES = frozenset({"result", "info", "children", "results"})
OUTCOME_METHODS = frozenset({"get", "wait", "join", "join_native", "collect"})
LOGGING_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "log"})
ERROR_WORDS = ("error", "exc", "fail", "traceback", "reason", "message", "detail")


class UnhandledTaskFailure(Rule):
    code = "CEL004"
    name = "unhandled-task-failure"
    message = "a Celery result is checked for success but FAILURE is never handled"
    severity = Severity.HIGH
    fix_safety = FixSafety.UNSAFE
    fix_title = "Add a FAILURE branch that raises with the task's traceback"
    triggers = ("status", "state", "ready", "successful")
    local = True

    def check(self, facts, settings):
        groups: dict[tuple[int, str], list] = {}
        for check in all_checks(facts, settings):
            groups.setdefault((id(check.scope), check.result_text), []).append(check)
        for checks in groups.values():
            # A check whose value is only returned or stored (`return r.ready()`, `done =
            # r.successful()`) is a predicate for the caller, who does the handling.
            success = [c for c in checks if is_success_check(c) and steers_flow(facts, c.node)]
            if not success or any(handles_failure_check(facts, c) for c in checks):
                continue
            text = checks[0].result_text
            if _handled_otherwise(facts, checks[0].scope, text):
                continue
            uses = _Uses(facts, checks[0].scope, text)
            success = [c for c in success if _spins_on_failure(facts, c) or uses.opened_by(c)]
            if not success:
                continue  # housekeeping (`if r.ready(): lock.release()`) or handed to a helper
            reason: str | None
            plan, reason = None, _no_plan_reason(facts, success[0])
            if not is_simple_reference(checks[0].result):
                reason = "the result is not a plain name or attribute"
            else:
                plan = next((p for p in (_fix_plan(facts, c, checks) for c in success) if p), None)
                reason = None if plan else reason
            yield self.finding(
                facts,
                success[0].node,
                f"`{text}` is checked for success but FAILURE is never handled in this scope",
                no_fix_reason=reason,
                **(plan or {}),
            )

    def fix(self, ctx, finding):
        node = ctx.node_at(Range.of(*finding.detail("test")))
        while node is not None and not (isinstance(ctx.parent(node), cst.If) and ctx.parent(node).test is node):
            node = ctx.parent(node)
        if node is None:
            return None
        branch = ctx.parent(node)
        failure = ctx.statement(_failure_branch(finding, ctx.defaults[0]))
        if finding.detail("mode") == "elif":
            new = branch.with_changes(orelse=failure.with_changes(orelse=branch.orelse))
        else:  # the branch is taken on FAILURE too: check it first thing inside
            body = branch.body
            if isinstance(body, cst.SimpleStatementSuite):
                body = suite_to_block(body)
            new = branch.with_changes(body=body.with_changes(body=[failure, *body.body]))
        return [ctx.replace(branch, new)]


def _spins_on_failure(facts, check) -> bool:
    """A wait that only ends on success: `while r.status != "SUCCESS":`, or an `if` in a
    `while` body that leaves the loop on SUCCESS but not on FAILURE. A failed task keeps
    it polling until it times out, or forever."""
    test, parent = enclosing_test(facts, check.node)
    failed = check_values(facts, check, "FAILURE", "SUCCESS")
    if isinstance(parent, ast.While) and parent.test is test:
        return any(True in outcomes(test, check.node, value) for value in failed)
    if not (isinstance(parent, ast.If) and parent.test is test) or not isinstance(
        enclosing_loop(facts, parent), ast.While
    ):
        return False
    branches = {True: parent.body, False: parent.orelse}
    leaves_on_success = any(
        branches[truth] and isinstance(branches[truth][-1], (ast.Break, ast.Return))
        for value in check_values(facts, check, "SUCCESS", "FAILURE")
        for truth in outcomes(test, check.node, value)
    )
    stays_on_failure = any(
        not always_exits(branches[truth]) for value in failed for truth in outcomes(test, check.node, value)
    )
    return leaves_on_success and stays_on_failure


class _Uses:
    """Where one scope reads a result's outcome (`.result`, `.info`, `.children`,
    `.get()`...) and where it hands the result itself to a call (`self.describe(response,
    result)`), which then does the handling."""

    def __init__(self, facts, scope, text) -> None:
        self.facts = facts
        self.scope = scope
        self.outcome: list[ast.AST] = []
        self.handed: list[ast.AST] = []
        for node in scope.nodes:
            kind = type(node)
            if kind is ast.Attribute:
                if node.attr in OUTCOME_ATTRIBUTES and facts.text(node.value) == text:
                    self.outcome.append(node)
            elif kind is ast.Call:
                if calls_method(facts, node, text, OUTCOME_METHODS):
                    self.outcome.append(node)
                elif (node.args or node.keywords) and _hands_over(facts, node, text):
                    self.handed.append(node)

    def opened_by(self, check) -> bool:
        """The code the check opens when the task may have succeeded (see `flow.opened`)
        reads the outcome and does not hand the result on."""
        if not self.outcome:
            return False
        roots = {
            id(root)
            for value in check_values(self.facts, check, "SUCCESS", "")
            for root in opened(self.facts, check.node, value)
        }
        if not roots:
            return False
        stop = self.scope.node
        return any(within(self.facts, n, roots, stop) for n in self.outcome) and not any(
            within(self.facts, n, roots, stop) for n in self.handed
        )


def _hands_over(facts, call, text) -> bool:
    """`helper(result)`, `self.describe(response, result=result)`: the result object itself
    passed to a call that is not a builtin, a logging call or one of its own methods."""
    arguments = [*call.args, *(kw.value for kw in call.keywords)]
    if not any(facts.text(a) == text for a in arguments if isinstance(a, (ast.Name, ast.Attribute))):
        return False
    func = call.func
    if isinstance(func, ast.Attribute):
        if func.attr in LOGGING_METHODS or facts.text(func.value) == text:
            return False
    qualname = facts.resolve(func)
    return not (qualname and qualname.startswith("builtins."))


def _no_plan_reason(facts, check) -> str:
    if isinstance(enclosing_test(facts, check.node)[1], ast.comprehension):
        return "the success check filters a comprehension: the failed results are dropped; handle them by hand"
    return "the success check is not the test of an `if` taken on success"


def _handled_otherwise(facts, scope, text) -> bool:
    """FAILURE handled without a FAILURE check: a propagating `.get()`, `maybe_throw()`,
    the traceback read, a `raise` on a not-SUCCESS path, or the error reported there
    (`else: return {"error": str(r.result)}`)."""
    # Cheap tests on the node itself first: the costly ones (`states_at`, `resolve`) are
    # for the few nodes that pass them.
    for node in scope.nodes:
        kind = type(node)
        if kind is ast.Raise:
            if _on_failure_path(facts, node, text):
                return True
        elif kind is ast.Attribute:
            if reads_traceback(facts, node, text):
                return True
            if reads_error(facts, node, text) and _reports_error(facts, node) and _on_failure_path(facts, node, text):
                return True
        elif kind is ast.Call and (
            _raises_failure(facts, node, text)
            or reads_traceback(facts, node, text, asking=True)
            or _inspects_outcome(facts, node, text)
        ):
            return True
    return False


def _on_failure_path(facts, node, text) -> bool:
    """Where the result may have failed but has not succeeded."""
    states = states_at(facts, node, text)
    return "FAILURE" in states and "SUCCESS" not in states


def _reports_error(facts, node) -> bool:
    """`r.result` read to report it as the error: turned into text (`str()`, `repr()`,
    an f-string, `%`/`.format()`), logged, or put under an error-like key or keyword
    (`{"error": r.result}`, `detail=...`)."""
    child = node
    for parent in facts.ancestors(node):
        if isinstance(parent, ast.stmt):
            return False
        if isinstance(parent, ast.FormattedValue):
            return True
        if isinstance(parent, ast.BinOp) and isinstance(parent.op, ast.Mod) and parent.right is child:
            return True
        if isinstance(parent, ast.Call) and child is not parent.func:
            func = parent.func
            if isinstance(func, ast.Attribute) and (func.attr in LOGGING_METHODS or func.attr == "format"):
                return True
            if facts.resolve(func) in ("builtins.str", "builtins.repr", "builtins.format"):
                return True
        if isinstance(parent, ast.keyword) and parent.arg and _error_word(parent.arg):
            return True
        if isinstance(parent, ast.Dict):
            for key, value in zip(parent.keys, parent.values):
                if value is child and isinstance(key, ast.Constant) and isinstance(key.value, str):
                    return _error_word(key.value)
        child = parent
    return False


def _error_word(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in ERROR_WORDS)


def _raises_failure(facts, call, text) -> bool:
    """`text.maybe_throw()`, or a `text.get()` that re-raises where the task may have failed."""
    if not calls_method(facts, call, text, RERAISING_METHODS):
        return False
    if call.func.attr in RAISING_METHODS:
        return True
    propagate_off = any(
        kw.arg == "propagate" and isinstance(kw.value, ast.Constant) and kw.value.value is False for kw in call.keywords
    )
    return not propagate_off and "FAILURE" in states_at(facts, call, text, temporal=True)


def _inspects_outcome(facts, call, text) -> bool:
    """`isinstance(...)` on the outcome, which holds the exception after a failure."""
    func = call.func
    # Only a name (maybe an alias) or `builtins.isinstance` can resolve to the builtin: no
    # need to resolve every other call.
    return (
        bool(call.args)
        and (isinstance(func, ast.Name) or (isinstance(func, ast.Attribute) and func.attr == "isinstance"))
        and holds_error(facts, call.args[0], text)
        and facts.resolve(func) == "builtins.isinstance"
    )


def _fix_plan(facts, check, group) -> dict | None:
    """Where and how to add the FAILURE branch for this success check, if it is an `if` test."""
    test, parent = enclosing_test(facts, check.node)
    if not (isinstance(parent, ast.If) and parent.test is test):
        return None
    taken_on = constraint(facts, test, True, check.result_text)
    if "SUCCESS" not in taken_on or taken_on == ALL_STATES:
        return None
    if any(isinstance(n, ast.Await) for n in own_nodes(test)):
        return None
    subject, comparator = _subject_and_comparator(facts, check, group)
    quote = quote_of(facts, comparator)
    rng = facts.range(test)
    return {
        "test": (rng.start.line, rng.start.column, rng.end.line, rng.end.column),
        "mode": "nested" if "FAILURE" in taken_on else "elif",
        "result": check.result_text,
        "subject": subject,
        "failure": failure_state_code(facts, comparator, quote),
        "quote": quote,
    }


def _subject_and_comparator(facts, check, group):
    """What to compare with FAILURE (`result.status`, `result.state` or the alias name)
    and the existing state operand to copy the spelling from."""
    for candidate in [check, *group]:
        node = candidate.node
        if isinstance(node, ast.Compare):
            for subject, other in ((node.left, node.comparators[0]), (node.comparators[0], node.left)):
                source = status_source(facts, subject)
                if source is None or facts.text(source.value) != check.result_text:
                    continue
                if isinstance(subject, ast.Name):
                    if candidate is not check:
                        continue  # another check's alias may not be bound yet at this `if`
                    return subject.id, other  # `status = result.status` alias
                return f"{check.result_text}.{source.attr}", other
    return f"{check.result_text}.status", None


def _failure_branch(finding, indent: str) -> str:
    result, quote = finding.detail("result"), finding.detail("quote")
    return (
        f"if {finding.detail('subject')} == {finding.detail('failure')}:\n"
        f"{indent}if hasattr({result}, {quote}traceback{quote}) and {result}.traceback:\n"
        f"{indent}{indent}raise Exception(f{quote}Task failed: {{{result}.traceback}}{quote})\n"
        f"{indent}raise Exception({quote}Task failed{quote})\n"
    )
