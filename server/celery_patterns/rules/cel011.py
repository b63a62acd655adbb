"""CEL011 failure-without-traceback: a task's FAILURE branch raises without its traceback.

## What it does
Flags a `raise` in a branch taken on a task's FAILURE when nothing in that branch uses
the result's error details. A branch is taken on FAILURE when the checks around it
leave only failure-like states (FAILURE, and possibly REVOKED/RETRY/REJECTED):
`if result.status == "FAILURE":`, `elif result.state in states.EXCEPTION_STATES:`,
`if result.failed():`, `if result.ready() and not result.successful():`, an `else:`
after `!= "FAILURE"`, or the code after `if result.status != "FAILURE": return ...`.
States can be written as literals, `celery.states` names through any alias or
constants holding them, and a `status = result.status` alias counts. Only Celery
results count: Celery is used in the module-level code or in the top-level def/class
holding the branch (an import of `celery` or of the configured app's module, a
dispatch, an `AsyncResult`, a task decorator), or the result is bound from a dispatch
or `AsyncResult`, checked with `.ready()`/`.successful()`/`.failed()` or used with the
AsyncResult API (`.result`, `.traceback`, `.get()`...), also in a def nested in the
scope. `if payment.status == "FAILURE": raise PaymentError(...)` in a module without
Celery is not a task's failure.

The branch uses the error details when it reads `result.traceback` (or
`getattr(result, "traceback")`), or a name bound to it (also before the branch:
`tb = result.traceback`), anywhere in its own code, re-raises the task's own exception
(`result.get()`, `result.maybe_throw()`, `raise result.result`), or chains the task's
exception as the cause (`raise ... from result.result`). Putting `result.result`/`result.info` into the message
(`raise Exception(f"failed: {result.result}")`) does not count: that is the exception's
message, and where it happened, the worker's traceback, is lost. The plain raise that is the fallback of a branch taken
when the traceback is there (an `elif`/`else` after `if result.status == "FAILURE" and
result.traceback:`, the checklist's pattern in one chain), or of a branch taken when it
is missing (`and not result.traceback`), is what the checklist recommends: not flagged.
A def or class inside the branch is code of its own:
a `result.traceback` read in it does not count, nor does a `raise` in it. Branches that
do not raise (log and return) are not this rule's concern, nor a bare `raise`, nor a
`raise` inside an `except` handler in the branch. One finding per branch, at its first
`raise`.

## Why is this bad?
The exception raised in the caller says only "Task failed": the worker's traceback,
which Celery stored with the result and which says what actually went wrong, is thrown
away. Whoever reads the API error or the log has nothing to go on.

## Example
```python
def fetch(result):
    if result.status == "FAILURE":
        raise Exception("Task failed")
    return result.result
```

## Use instead
```python
def fetch(result):
    if result.status == "FAILURE":
        if hasattr(result, "traceback") and result.traceback:
            raise Exception(f"Task failed: {result.traceback}")
        raise Exception("Task failed")
    return result.result
```

## Fix safety
Unsafe: the exception's message changes (and, when the original cannot be extended,
its type becomes `Exception`), which code matching on either would notice. The fix
puts `if hasattr(result, "traceback") and result.traceback: raise ...` before the
branch's first `raise` and keeps that `raise` as the fallback. When the original raise
is `raise SomeError("message")` (or an f-string), the new raise is
`raise SomeError(f"message: {result.traceback}")` with the same class and cause;
otherwise it is the checklist's `raise Exception(f"Task failed: {result.traceback}")`.
No fix is offered when the `raise` shares its line with other statements or the result
is not a plain name or attribute.
"""

from __future__ import annotations

import ast

from ..analysis.control import block_of, nodes_run
from ..analysis.facts import own_nodes
from ..analysis.results import (
    RERAISING_METHODS,
    calls_method,
    checked_texts,
    is_failure_only,
    is_simple_reference,
    reads_error,
    reads_traceback,
    states_at,
)
from ..fixes.lazy import cst
from ..fixes.statements import insert_above, suite_to_block
from ..fixes.text import source_segment
from ..ftypes import FixSafety, Severity
from .base import Rule


class FailureWithoutTraceback(Rule):
    code = "CEL011"
    name = "failure-without-traceback"
    message = "a task's FAILURE branch raises without the task's traceback"
    severity = Severity.MEDIUM
    fix_safety = FixSafety.UNSAFE
    fix_title = "Raise with the task's traceback when present"
    triggers = ("raise",)
    local = True

    def check(self, facts, settings):
        reported = set()
        for raise_node in facts.nodes(ast.Raise):
            if raise_node.exc is None:
                continue  # a bare `raise` re-raises an exception that has its own context
            scope = facts.scope_of(raise_node)
            for text in sorted(checked_texts(facts, scope, settings)):
                region = _failure_region(facts, raise_node, text)
                if region is None:
                    continue
                key = (id(region[0]), text)
                if key in reported:
                    break
                reported.add(key)
                if _uses_error_details(facts, region, text) or _after_traceback_branch(facts, region, text):
                    break
                first = min(
                    (
                        n
                        for n in nodes_run(region)
                        if isinstance(n, ast.Raise) and n.exc is not None and not _in_handler(facts, n, region)
                    ),
                    key=lambda n: (n.lineno, n.col_offset),
                )
                yield self.finding(
                    facts,
                    first,
                    f"the FAILURE branch of `{text}` raises without the task's traceback",
                    no_fix_reason=_no_fix_reason(facts, first, text),
                    result=text,
                    **_raise_plan(facts, first),
                )
                break

    def fix(self, ctx, finding):
        guard = _traceback_guard(finding, ctx.defaults[0])
        raise_stmt = ctx.facts.node_at(finding.range, ast.Raise)
        edit = insert_above(ctx, raise_stmt, guard) if raise_stmt is not None else None
        if edit is not None:  # the `raise` starts its line: the guard goes on lines above it
            return [edit]
        raise_node = ctx.node_at(finding.range, cst.Raise)  # `if failed: raise X`: one line
        suite = ctx.parent(raise_node) if raise_node is not None else None
        if not isinstance(suite, cst.SimpleStatementSuite):
            return None
        block = suite_to_block(suite)
        lines = list(block.body)
        lines.insert(next(i for i, small in enumerate(suite.body) if small is raise_node), ctx.statement(guard))
        return [ctx.replace(suite, block.with_changes(body=lines))]


def _failure_region(facts, raise_node, text) -> list[ast.stmt] | None:
    """The statements of the failure branch holding `raise_node` (same block), or None."""
    if not is_failure_only(states_at(facts, raise_node, text, temporal=True)):
        return None
    scope = facts.scope_of(raise_node)
    top = raise_node
    for ancestor in facts.ancestors(raise_node):
        if ancestor is scope.node:
            break
        if isinstance(ancestor, ast.stmt):
            if not is_failure_only(states_at(facts, ancestor, text, temporal=True)):
                break
            top = ancestor
    block = block_of(facts.parent(top), top) or [top]
    region = [s for s in block if is_failure_only(states_at(facts, s, text, temporal=True))]
    if _in_handler(facts, raise_node, region):
        return None
    return region


def _in_handler(facts, node, region) -> bool:
    """Inside an `except` handler that is itself inside the region."""
    tops = {id(s) for s in region}
    for ancestor in facts.ancestors(node):
        if id(ancestor) in tops:
            return False
        if isinstance(ancestor, ast.ExceptHandler):
            return True
    return False


def _uses_error_details(facts, region, text) -> bool:
    """The region reads the traceback (directly or through a name bound to it, also before
    the branch: `tb = result.traceback`), re-raises the task's exception, or raises it as
    the cause (`from result.result`, or a name bound to it): its message alone is not enough."""
    for node in nodes_run(region):
        if reads_traceback(facts, node, text) or calls_method(facts, node, text, RERAISING_METHODS):
            return True
        if (
            isinstance(node, ast.Name)
            and isinstance(node.ctx, ast.Load)
            and "traceback" in _details_bound_to(facts, node, text)
        ):
            return True
        if isinstance(node, ast.Raise):  # `raise result.result`, `raise X(...) from result.result`
            if node.exc is not None and _carries_error(facts, node.exc, text):
                return True
            if node.cause is not None and any(_carries_error(facts, n, text) for n in ast.walk(node.cause)):
                return True
    return False


def _after_traceback_branch(facts, region, text) -> bool:
    """The region is the fallback of a branch taken when the traceback is there: an
    `elif`/`else` after a test that reads it (`if r.status == "FAILURE" and r.traceback:
    raise X(r.traceback)` / `elif r.status == "FAILURE": raise X("Task failed")`, the
    checklist's pattern flattened into one chain), or a branch taken when it is missing
    (`elif r.status == "FAILURE" and not r.traceback:`)."""
    child = region[0]
    branch = facts.parent(child)
    if not isinstance(branch, ast.If):
        return False
    if any(s is child for s in branch.body):
        if _tests_missing_traceback(facts, branch.test, text):
            return True
    elif _test_reads_traceback(facts, branch.test, text):
        return True  # the `else:` of a test that looked at the traceback
    while True:  # the earlier tests of the chain
        child, branch = branch, facts.parent(branch)
        if not (isinstance(branch, ast.If) and any(s is child for s in branch.orelse)):
            return False
        if _test_reads_traceback(facts, branch.test, text):
            return True


def _test_reads_traceback(facts, test, text) -> bool:
    return any(reads_traceback(facts, n, text, asking=True) for n in ast.walk(test))


def _tests_missing_traceback(facts, test, text) -> bool:
    """`not r.traceback`, `r.traceback is None`, `not getattr(r, "traceback", None)`, in an `and`."""
    parts = test.values if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And) else [test]
    for part in parts:
        if (
            isinstance(part, ast.UnaryOp)
            and isinstance(part.op, ast.Not)
            and reads_traceback(facts, part.operand, text, asking=True)
        ):
            return True
        if (
            isinstance(part, ast.Compare)
            and len(part.ops) == 1
            and isinstance(part.ops[0], (ast.Is, ast.Eq))
            and isinstance(part.comparators[0], ast.Constant)
            and not part.comparators[0].value
            and reads_traceback(facts, part.left, text, asking=True)
        ):
            return True
    return False


def _carries_error(facts, node, text) -> bool:
    """`result.result`/`result.info`, or a name bound to the traceback or the exception."""
    if isinstance(node, ast.Attribute):
        return reads_error(facts, node, text)
    return isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and bool(_details_bound_to(facts, node, text))


def _details_bound_to(facts, name, text) -> set[str]:
    """What a name is bound to in its scope: "traceback" (`tb = result.traceback`,
    `getattr(result, "traceback")`), "error" (`err = result.result`, `result.info`,
    `result.get(propagate=False)`)."""
    found = facts.lookup(name.id, facts.scope_of(name))
    kinds: set[str] = set()
    for binding in found[1] if found else ():
        if binding.kind != "assign":
            continue
        for node in own_nodes(binding.value):
            if reads_traceback(facts, node, text):
                kinds.add("traceback")
            elif reads_error(facts, node, text) or calls_method(facts, node, text, RERAISING_METHODS):
                kinds.add("error")
    return kinds


def _no_fix_reason(facts, raise_node, text) -> str | None:
    if not is_simple_reference(ast.parse(text, mode="eval").body):
        return "the result is not a plain name or attribute"
    parent = facts.parent(raise_node)
    block = block_of(parent, raise_node) or []
    same_line = [s for s in block if s is not raise_node and s.lineno == raise_node.lineno]
    if same_line and getattr(parent, "lineno", None) != raise_node.lineno:
        return "the `raise` shares its line with other statements"
    return None


def _raise_plan(facts, raise_node) -> dict:
    """The exception to raise with the traceback: the original class and message when
    it is `SomeError("message")`, else `Exception("Task failed")`."""
    plan = {"cls": "Exception", "exc_message": "Task failed", "quote": '"', "fstring": "", "cause": ""}
    if raise_node.cause is not None:
        plan["cause"] = facts.text(raise_node.cause)
    exc = raise_node.exc
    if not (
        isinstance(exc, ast.Call)
        and len(exc.args) == 1
        and not exc.keywords
        and isinstance(exc.func, (ast.Name, ast.Attribute))
        and is_simple_reference(exc.func)
    ):
        return plan
    argument = exc.args[0]
    segment = source_segment(facts, argument)
    if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
        value = argument.value
        quote = segment[:1]
        if (
            quote in ("'", '"')
            and segment[:3] != quote * 3
            and "\\" not in segment
            and quote not in value
            and "\n" not in value
        ):
            plan.update(cls=facts.text(exc.func), exc_message=value, quote=quote)
    elif isinstance(argument, ast.JoinedStr):
        prefix, rest = segment[:1], segment[1:]
        quote = rest[:1]
        if prefix in ("f", "F") and quote in ("'", '"') and rest[:3] != quote * 3 and rest.endswith(quote):
            plan.update(cls=facts.text(exc.func), fstring=segment, quote=quote)
    return plan


def _traceback_guard(finding, indent: str) -> str:
    """`if hasattr(result, "traceback") and result.traceback: raise ...(...: {result.traceback})`."""
    result, quote = finding.detail("result"), finding.detail("quote")
    detail = f"{{{result}.traceback}}"
    fstring = finding.detail("fstring")
    if fstring:  # f"Task {tid} failed" -> f"Task {tid} failed: {result.traceback}"
        message = f"{fstring[:-1]}: {detail}{fstring[-1]}"
    else:
        text = finding.detail("exc_message").replace("{", "{{").replace("}", "}}")
        message = f"f{quote}{text}: {detail}{quote}"
    cause = finding.detail("cause")
    raise_code = f"raise {finding.detail('cls')}({message})" + (f" from {cause}" if cause else "")
    return f"if hasattr({result}, {quote}traceback{quote}) and {result}.traceback:\n{indent}{raise_code}\n"
