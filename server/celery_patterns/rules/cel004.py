"""CEL004 unhandled-task-failure: a Celery result is checked for success but FAILURE is never handled.

## What it does
In one scope (function, or the module), flags a result expression that has a status
check for success or a terminal state (`result.status == "SUCCESS"`,
`result.state in READY_STATES`, `result.ready()`, `result.successful()`, also through a
`status = result.status` alias, `str(result.state)`, `states.SUCCESS` under any import
alias or a constant holding a state) when nothing in that scope handles FAILURE. FAILURE counts as handled by:

- a check that tells FAILURE apart from SUCCESS (`== "FAILURE"`, `!= states.FAILURE`,
  `in EXCEPTION_STATES`/`PROPAGATE_STATES`, `.failed()`) or names it explicitly
  (`in ("SUCCESS", "FAILURE")`);
- a `raise` on a path where the result is known not to be SUCCESS but may be FAILURE
  (`if not result.successful(): raise ...`, `else: raise ...` after a success check);
- `result.get()`/`.wait()`/`.join()` with the default `propagate=True` where the result
  may have failed (it re-raises the task's exception), `result.maybe_throw()`;
- reading `result.traceback` (or `getattr(result, "traceback")`), or
  `isinstance(...)` on `result.result`/`result.info` or on a name bound to them or to
  `result.get(propagate=False)`;
- reporting `result.result`/`result.info` as the error on a path where the result may
  have failed but has not succeeded: turned into text (`str()`, `repr()`, an f-string,
  `%`), logged, or under an error-like key or keyword. The catch-all
  `else: return {"state": r.state, "error": str(r.result)}` of a status endpoint, after
  the SUCCESS and unready branches, hands the failure to the API client with its
  message, which is handling it; an `else` that reports only the state, or returns
  `r.result` as data, is not.

Checks only on unready states (the polling loop's `status not in ("PENDING",
"STARTED")`) are not success checks, and neither are checks whose value is only returned
or stored (`return result.ready()`, `done = r.successful()`, `all(r.successful() for ...)`):
such predicates hand the decision to the caller. A check counts when it steers an `if`,
`while`, conditional expression or comprehension filter
(`[r.result for r in rs if r.successful()]` drops the failed results without a word),
and either

- the path it opens when the task may have succeeded uses the task's outcome: reads
  `.result`, `.info`, `.children`/`.results` or calls `.get()`/`.wait()`/`.join()`/`.collect()`,
  in the branch it takes, in the code that runs after `if not r.ready(): return` (also out
  of the `with`/`if`/`try` blocks around it), after a `while not r.ready():` loop or
  after a `break` taken on it; a check that only gates
  housekeeping (`if not res.ready(): app.control.revoke(task_id)`,
  `if r.ready(): lock.release()`) does not count, nor one whose path hands the result
  object itself to a call (`self.describe(response, result)`: that helper does the
  handling; logging or printing it is not handing it over);
- or it is a wait that ends only on success (`while r.status != "SUCCESS":`, an
  `if r.status == "SUCCESS": break` in a `while` loop): a failed task keeps it polling.

Only Celery results count (see CEL003: Celery used in the module-level code or the
top-level def/class, the result bound from a dispatch or `AsyncResult`, checked with
`.ready()`/`.successful()`/`.failed()` or used with the AsyncResult API): a payment's
`status == "SUCCESS"` in a module without Celery is not a task's state. One finding per
result and scope, at its first check that counts.

## Why is this bad?
A failed task is also "ready": code that only asks "is it done?" or "did it succeed?"
treats a failure as a timeout, an empty answer or, after `.ready()`, returns the
exception object as if it were the task's value. The caller never learns what went
wrong and the remote traceback is lost.

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
Unsafe: the code now raises where it used to fall through (return `None`, report a
status, retry). The fix adds, right after the success branch, an
`elif <result>.status == "FAILURE":` branch (same `status`/`state` attribute, alias
variable, quotes and `states.` prefix as the existing check) that raises with the
task's traceback when present; an existing `else:` stays last. When the branch is taken
on a terminal state that includes FAILURE (`if result.ready():`), the FAILURE check is
put at the top of that branch instead, where it can still be reached (before its `break`
when it leaves a polling loop). Only a check that counts gets the branch: housekeeping
branches are left as they are. No fix is offered when the success check is not the
test of an `if` (`return result.successful()`, `while not result.ready():`, a
comprehension filter), when its branch is the one taken on *not* success, or when the
result is not a plain name or attribute (a call would be evaluated again).
"""

from __future__ import annotations

import ast

from ..analysis.facts import SCOPE_NODES, own_nodes
from ..analysis.results import (
    ALL_STATES,
    all_checks,
    always_exits,
    block_of,
    constraint,
    handles_failure_check,
    is_simple_reference,
    is_success_check,
    states_at,
    status_source,
)
from ..fixes.lazy import cst
from ..fixes.statements import parse_statement, suite_to_block
from ..fixes.text import failure_state_code, quote_of
from ..ftypes import FixSafety, Range, Severity
from .base import Rule

PROPAGATING_WAITS = frozenset({"get", "wait", "join", "join_native"})
RAISING_METHODS = frozenset({"maybe_throw", "maybe_reraise"})
RAISING_OR_PROPAGATING = RAISING_METHODS | PROPAGATING_WAITS
INSPECTING_BUILTINS = frozenset({"getattr", "hasattr", "isinstance"})
# Reading the task's outcome: its value (the exception, after a failure) or its children.
OUTCOME_ATTRIBUTES = frozenset({"result", "info", "children", "results"})
OUTCOME_METHODS = frozenset({"get", "wait", "join", "join_native", "collect"})
ERROR_ATTRIBUTES = frozenset({"result", "info"})
LOGGING_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "log"})
ERROR_WORDS = ("error", "exc", "fail", "traceback", "reason", "message", "detail")
LOOP_NODES = (ast.For, ast.AsyncFor, ast.While)


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
            success = [c for c in checks if is_success_check(c) and _decides_flow(facts, c.node)]
            if not success or any(handles_failure_check(facts, c) for c in checks):
                continue
            text = checks[0].result_text
            if _handled_otherwise(facts, checks[0].scope, text):
                continue
            uses = _Uses(facts, checks[0].scope, text)
            success = [c for c in success if _spins_on_failure(facts, c) or uses.opened_by(c)]
            if not success:
                continue  # housekeeping (`if r.ready(): lock.release()`) or handed to a helper
            plan, reason = None, _no_plan_reason(facts, success[0])
            if not is_simple_reference(checks[0].result):
                reason = "the result is not a plain name or attribute"
            else:
                for check in success:
                    plan = _fix_plan(facts, check, checks)
                    if plan:
                        reason = None
                        break
            yield self.finding(
                facts,
                success[0].node,
                f"`{text}` is checked for success but FAILURE is never handled in this scope",
                no_fix_reason=reason,
                **(plan or {}),
            )

    def fix(self, ctx, finding):
        node = ctx.node_at(_range(finding.detail("test")))
        parents = ctx.parent_map()
        while node is not None and not (isinstance(parents.get(node), cst.If) and parents[node].test is node):
            node = parents.get(node)
        if node is None:
            return None
        branch = parents[node]
        module = ctx.module
        result = finding.detail("result")
        quote = finding.detail("quote")
        failure = _failure_branch(module, finding.detail("subject"), finding.detail("failure"), result, quote)
        if finding.detail("mode") == "elif":
            new = branch.with_changes(orelse=failure.with_changes(orelse=branch.orelse))
        else:  # the branch is taken on FAILURE too: check it first thing inside
            body = branch.body
            if isinstance(body, cst.SimpleStatementSuite):
                body = suite_to_block(body)
            new = branch.with_changes(body=body.with_changes(body=[failure, *body.body]))
        return ctx.replace({branch: new})


def _decides_flow(facts, node) -> bool:
    """True when the check steers an `if`, `while`, conditional expression or comprehension
    filter (`[r.result for r in rs if r.successful()]`).

    A check whose value is only returned or stored (`return r.ready()`, `done = r.successful()`)
    is a predicate for the caller, who does the handling; flagging it would be noise.
    """
    test, parent = _test_of(facts, node)
    if isinstance(parent, ast.comprehension):
        return any(condition is test for condition in parent.ifs)
    return isinstance(parent, (ast.If, ast.While, ast.IfExp)) and parent.test is test


def _test_of(facts, node):
    """The whole test a check is part of (through `and`/`or`/`not`/`:=`) and what holds it."""
    child = node
    for parent in facts.ancestors(node):
        if isinstance(parent, (ast.BoolOp, ast.UnaryOp, ast.NamedExpr)):
            child = parent
            continue
        return child, parent
    return child, None


def _directions(facts, check, want: str, avoid: str) -> list[bool]:
    """The values of the check that leave `want` possible and rule `avoid` out (as told
    by the check itself: `r.ready()` True, `r.status != "SUCCESS"` False for SUCCESS)."""
    text = check.result_text
    out = []
    for value in (True, False):
        states = constraint(facts, check.node, value, text)
        if want in states and avoid not in states:
            out.append(value)
    return out


def _reach(node, check_node, value: bool) -> set[bool]:
    """The values `node` (a test holding the check) can take when the check is `value`,
    whatever the other operands are."""
    if node is check_node:
        return {value}
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return {not v for v in _reach(node.operand, check_node, value)}
    if isinstance(node, ast.NamedExpr):
        return _reach(node.value, check_node, value)
    if isinstance(node, ast.BoolOp):
        parts = [_reach(operand, check_node, value) for operand in node.values]
        if isinstance(node.op, ast.And):  # true when every operand can be, false when any can
            return {
                v
                for v, possible in ((True, all(True in p for p in parts)), (False, any(False in p for p in parts)))
                if possible
            }
        return {
            v
            for v, possible in ((True, any(True in p for p in parts)), (False, all(False in p for p in parts)))
            if possible
        }
    return {True, False}


def _success_paths(facts, check) -> list[ast.AST]:
    """The code that can run because the check saw SUCCESS possible: the branch its test
    then takes (an `if`/`else` body, a conditional expression's side, a comprehension's
    element, the later operands of `and`/`or`), the rest of the block after an `if` whose
    other branch leaves, the code after a `while` its test ends, or after a loop left by
    a `break` in that branch."""
    roots: list[ast.AST] = []
    for value in _directions(facts, check, "SUCCESS", ""):
        roots.extend(_opened(facts, check.node, value))
    return roots


def _opened(facts, check_node, value: bool) -> list[ast.AST]:
    roots: list[ast.AST] = []
    child = check_node
    parent = None
    for parent in facts.ancestors(check_node):
        if isinstance(parent, ast.BoolOp):  # `r.ready() and r.result`: later operands run on
            goes_on = isinstance(parent.op, ast.And)
            if goes_on in _reach(child, check_node, value):
                index = next(i for i, operand in enumerate(parent.values) if operand is child)
                roots.extend(parent.values[index + 1 :])
        elif not isinstance(parent, (ast.UnaryOp, ast.NamedExpr)):
            break
        child = parent
    test = child
    outcomes = _reach(test, check_node, value)
    if isinstance(parent, ast.If) and parent.test is test:
        for truth, branch, other in ((True, parent.body, parent.orelse), (False, parent.orelse, parent.body)):
            if truth not in outcomes:
                continue
            roots.extend(branch)
            if always_exits(other):  # `if not r.ready(): return` then the rest of the block
                roots.extend(_after(facts, parent))
            if branch and isinstance(branch[-1], ast.Break):  # `if r.ready(): break`
                loop = _enclosing_loop(facts, parent)
                if loop is not None:
                    roots.extend(_after(facts, loop))
    elif isinstance(parent, ast.IfExp) and parent.test is test:
        roots.extend(side for truth, side in ((True, parent.body), (False, parent.orelse)) if truth in outcomes)
    elif isinstance(parent, ast.While) and parent.test is test:
        if True in outcomes:
            roots.extend(parent.body)
        if False in outcomes:  # `while not r.ready(): ...` then the code after the loop
            roots.extend(parent.orelse)
            roots.extend(_after(facts, parent))
    elif isinstance(parent, ast.comprehension) and True in outcomes:
        comprehension = facts.parent(parent)
        roots.extend(
            part for part in (getattr(comprehension, f, None) for f in ("elt", "key", "value")) if part is not None
        )
        generators = comprehension.generators
        roots.extend(generators[next(i for i, g in enumerate(generators) if g is parent) + 1 :])
    return roots


def _after(facts, stmt) -> list[ast.stmt]:
    """The statements that can run next once `stmt` is done: the rest of its block, then
    what follows the statement holding that block (an `if`, `with`, `try`, `match`...),
    and so on out, unless a block's rest always leaves. Not past a loop body (the loop
    comes round again) nor out of the function."""
    following: list[ast.stmt] = []
    node = stmt
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


def _enclosing_loop(facts, node):
    """The innermost loop whose body holds `node`, in the same scope."""
    child = node
    for parent in facts.ancestors(node):
        if isinstance(parent, SCOPE_NODES):
            return None
        if isinstance(parent, LOOP_NODES) and any(s is child for s in parent.body):
            return parent
        child = parent
    return None


def _spins_on_failure(facts, check) -> bool:
    """A wait that only ends on success: `while r.status != "SUCCESS":`, or an `if` in a
    `while` body that leaves the loop on SUCCESS but not on FAILURE. A failed task keeps
    it polling until it times out, or forever."""
    test, parent = _test_of(facts, check.node)
    failed = _directions(facts, check, "FAILURE", "SUCCESS")
    if isinstance(parent, ast.While) and parent.test is test:
        return any(True in _reach(test, check.node, value) for value in failed)
    if not (isinstance(parent, ast.If) and parent.test is test) or not isinstance(
        _enclosing_loop(facts, parent), ast.While
    ):
        return False
    branches = {True: parent.body, False: parent.orelse}
    leaves_on_success = any(
        branches[truth] and isinstance(branches[truth][-1], (ast.Break, ast.Return))
        for value in _directions(facts, check, "SUCCESS", "FAILURE")
        for truth in _reach(test, check.node, value)
    )
    stays_on_failure = any(
        not always_exits(branches[truth]) for value in failed for truth in _reach(test, check.node, value)
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
                func = node.func
                if type(func) is ast.Attribute and func.attr in OUTCOME_METHODS and facts.text(func.value) == text:
                    self.outcome.append(node)
                elif (node.args or node.keywords) and _hands_over(facts, node, text):
                    self.handed.append(node)

    def opened_by(self, check) -> bool:
        """The check's success path reads the outcome and does not hand the result on."""
        if not self.outcome:
            return False
        roots = {id(root) for root in _success_paths(self.facts, check)}
        if not roots:
            return False
        return any(self._within(n, roots) for n in self.outcome) and not any(
            self._within(n, roots) for n in self.handed
        )

    def _within(self, node, roots) -> bool:
        if id(node) in roots:
            return True
        for ancestor in self.facts.ancestors(node):
            if id(ancestor) in roots:
                return True
            if ancestor is self.scope.node:
                return False
        return False


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
    test, parent = _test_of(facts, check.node)
    if isinstance(parent, ast.comprehension):
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
            if node.attr == "traceback" and facts.text(node.value) == text:
                return True
            if (
                node.attr in ERROR_ATTRIBUTES
                and facts.text(node.value) == text
                and _reports_error(facts, node)
                and _on_failure_path(facts, node, text)
            ):
                return True
        elif kind is ast.Call and (_raises_failure(facts, node, text) or _inspects_failure(facts, node, text)):
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
    func = call.func
    if not (isinstance(func, ast.Attribute) and func.attr in RAISING_OR_PROPAGATING):
        return False
    if facts.text(func.value) != text:
        return False
    if func.attr in RAISING_METHODS:
        return True
    return not _propagate_off(call) and "FAILURE" in states_at(facts, call, text, temporal=True)


def _inspects_failure(facts, call, text) -> bool:
    """`getattr(text, "traceback")`/`hasattr(...)`, or `isinstance(...)` on the outcome."""
    func = call.func
    # Only a name (maybe an alias) or an attribute of the same name (`builtins.getattr`)
    # can resolve to these builtins: no need to resolve every other call.
    if not call.args or not (
        isinstance(func, ast.Name) or (isinstance(func, ast.Attribute) and func.attr in INSPECTING_BUILTINS)
    ):
        return False
    qualname = facts.resolve(func)
    if qualname not in ("builtins.getattr", "builtins.hasattr", "builtins.isinstance"):
        return False
    first = call.args[0]
    if (
        facts.text(first) == text
        and len(call.args) > 1
        and isinstance(call.args[1], ast.Constant)
        and call.args[1].value == "traceback"
    ):
        return True
    return qualname == "builtins.isinstance" and _holds_outcome(facts, first, text)


def _holds_outcome(facts, expr, text) -> bool:
    """`result.result`/`result.info`, or a name bound to them or to `result.get(...)`:
    what `isinstance(..., Exception)` inspects for a failure."""
    if isinstance(expr, ast.Attribute) and expr.attr in ("result", "info"):
        return facts.text(expr.value) == text
    if isinstance(expr, ast.Name):
        found = facts.lookup(expr.id, facts.scope_of(expr))
        return bool(found) and any(
            b.kind == "assign"
            and (
                _holds_outcome(facts, b.value, text)
                or (
                    isinstance(b.value, ast.Call)
                    and isinstance(b.value.func, ast.Attribute)
                    and b.value.func.attr in PROPAGATING_WAITS
                    and facts.text(b.value.func.value) == text
                )
            )
            for b in found[1]
        )
    return False


def _propagate_off(call: ast.Call) -> bool:
    return any(
        kw.arg == "propagate" and isinstance(kw.value, ast.Constant) and kw.value.value is False for kw in call.keywords
    )


def _fix_plan(facts, check, group) -> dict | None:
    """Where and how to add the FAILURE branch for this success check, if it is an `if` test."""
    child = check.node
    for parent in facts.ancestors(check.node):
        if isinstance(parent, ast.If) and parent.test is child:
            break
        if not isinstance(parent, (ast.BoolOp, ast.UnaryOp, ast.NamedExpr)):
            return None
        child = parent
    else:
        return None
    taken_on = constraint(facts, parent.test, True, check.result_text)
    if "SUCCESS" not in taken_on or taken_on == ALL_STATES:
        return None
    if any(isinstance(n, ast.Await) for n in own_nodes(parent.test)):
        return None
    subject, comparator = _subject_and_comparator(facts, check, group)
    quote = quote_of(facts, comparator)
    return {
        "test": _range_tuple(facts, parent.test),
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


def _failure_branch(module, subject, failure, result, quote) -> cst.If:
    nl, ind = module.default_newline, module.default_indent
    code = (
        f"if {subject} == {failure}:{nl}"
        f"{ind}if hasattr({result}, {quote}traceback{quote}) and {result}.traceback:{nl}"
        f"{ind}{ind}raise Exception(f{quote}Task failed: {{{result}.traceback}}{quote}){nl}"
        f"{ind}raise Exception({quote}Task failed{quote}){nl}"
    )
    return parse_statement(module, code)


def _range_tuple(facts, node) -> tuple[int, int, int, int]:
    rng = facts.range(node)
    return (rng.start.line, rng.start.column, rng.end.line, rng.end.column)


def _range(values) -> Range:
    return Range.of(*values)
