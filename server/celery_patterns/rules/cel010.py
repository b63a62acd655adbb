"""CEL010 polling-result-without-default: a polling helper's result used without a timeout default.

## What it does
Flags a call of a polling helper (`polling-helpers`, default `["_run_sync_task_with_polling"]`;
called by name, through an import alias, as a method `self.helper(...)`, through
`poll = functools.partial(helper, ...)` or `functools.partial(helper, ...)(...)`, or run on
a thread and awaited: `await asyncio.to_thread(helper, ...)`,
`await loop.run_in_executor(None, helper, ...)` (or `lambda: helper(...)`),
`anyio.to_thread.run_sync`, `run_in_threadpool`, `sync_to_async(helper)(...)`) whose value,
without an `or <default>`, is

- returned (`return helper(...)`, `return await ...`, also through either arm of
  `helper(...) if c else cached` and through `and`/`or`: `or None` is no default);
- bound to a name (`=`, annotated assignment, `:=`) that the scope does not check afterwards;
- used directly in a way that fails on None: subscripted (`helper(...)["count"]`), an
  attribute read (`helper(...).get("count")`), iterated (`for x in helper(...)`),
  unpacked (`*helper(...)`, `**helper(...)`), or given to `len`, `list`, `dict`, `sorted`...

A check of the bound name counts when it handles the None: `if result is None:` (or
`if not result:`, `isinstance(result, ...)`) whose None branch returns, raises, breaks,
continues or rebinds the name, or after which the name is not read again; `result or {}`,
`x if result else y`, `assert result`, `case None:`; in a loop, a check anywhere in the loop
counts, as in `while result is None:`. A check whose None branch only logs and falls
through to `return result` does not.

Not flagged: `helper(...) or default` anywhere; a walrus used as a check; a call whose value
is discarded or passed into a bigger expression (`[helper(...)]`, `normalise(helper(...))`);
an unawaited `asyncio.to_thread(helper, ...)` (a coroutine, not the result); calls inside the
helper itself; other functions with similar names (`_run_sync_task_with_polling_v2`).

## Why is this bad?
The helper returns `None` when the task times out. Returned as is, the `None` leaks into
the API layer, where `result["status"]` or `len(result)` fails far from the cause, or a
client gets `null` instead of a degraded-but-valid answer.

## Example
```python
def database_stats(task) -> dict:
    return _run_sync_task_with_polling(task, timeout=30, poll_interval=0.5)
```

## Use instead
```python
def database_stats(task) -> dict:
    return _run_sync_task_with_polling(task, timeout=30, poll_interval=0.5) or {
        "status": "degraded",
        "message": "Task timed out",
    }
```

## Fix safety
Unsafe. The fix appends `or <default>` chosen from the annotation of the bound variable or,
failing that, the enclosing function's return annotation: `[]` for list-like annotations
(`list`, `List[...]`, `Sequence`, `Iterable`), `set()` for sets, `()` for `tuple[X, ...]`,
and the checklist's `{"status": "degraded", "message": "Task timed out"}` for `dict`,
`Mapping`, `Any` or no annotation. `or` replaces every falsy result, not only the `None` of
a timeout: a task that succeeds with `{}`, `[]` or `0` now yields the default too, and
callers that tested for `None` take another branch. No fix is offered where the
annotation allows `None` (`Optional[...]`, `X | None`: the `None` is part of the contract)
or names another type (`str`, `bool`, a fixed-size tuple, a class), where no neutral
default exists, nor when the result is unpacked (`ok, data = helper(...)`) or used directly
(subscripted, an attribute read, `len(...)`: the right default depends on what the code reads
from it). An iterated result gets `or []`. The default goes around the awaited call
(`await asyncio.to_thread(helper, ...) or {...}`), and is parenthesised inside `x and ...`
and `a if c else b`.
"""

from __future__ import annotations

import ast

from ..analysis.annotations import allows_none, collection_kind, read, type_name
from ..analysis.calls import called_function, function_names
from ..analysis.facts import FUNCTION_NODES, statement_of
from ..analysis.flow import checked_in_place, fails_on_none, handles_none, is_none, value_end
from ..fixes.parens import grouped_span
from ..fixes.text import indentation, offset_of
from ..ftypes import FixSafety, Range, Severity, TextEdit
from .base import Rule

# The checklist's default, as the fix writes it.
DEGRADED = '{{{nl}{indent}"status": "degraded",{nl}{indent}"message": "Task timed out",{nl}{end}}}'
EMPTY = {"list": "[]", "set": "set()", "tuple": "()"}


class PollingResultWithoutDefault(Rule):
    code = "CEL010"
    name = "polling-result-without-default"
    message = "the polling helper returns None on timeout; add `or <default>`"
    severity = Severity.LOW
    fix_safety = FixSafety.UNSAFE
    fix_title = "Add `or <default>` for the timeout"
    # The helper names are configurable, so no fixed substring is honest here: `check`
    # returns at once when none of the configured names occurs in the source.
    triggers = ()
    local = True

    def check(self, facts, settings):
        helpers = frozenset(settings.polling_helpers)
        if not any(h in facts.source for h in helpers):
            return
        for call in facts.nodes(ast.Call):
            helper = _helper_of(facts, call, helpers)
            use = _unguarded_use(facts, call) if helper else None
            if use is None:
                continue
            how, default, reason = use
            yield self.finding(
                facts,
                call,
                f"`{helper}()` returns None when the task times out, and its value is {how} without a default; "
                "add `or <default>`",
                no_fix_reason=reason,
                default=default or "",
            )

    def fix(self, ctx, finding):
        facts = ctx.facts
        kind = finding.detail("default")
        call = facts.node_at(finding.range, ast.Call)
        if not kind or call is None:
            return None
        # The default goes around the awaited call, and after the parentheses that group it.
        value = facts.parent(call) if isinstance(facts.parent(call), ast.Await) else call
        start, end = grouped_span(facts, value)
        unit, newline = ctx.defaults
        statement = statement_of(facts, value)
        if statement is None:
            return None
        if kind == "dict":  # its lines indented one step more than the statement's
            indent = indentation(ctx.source, offset_of(facts, statement))
            default = DEGRADED.format(nl=newline, indent=indent + unit, end=indent)
        else:
            default = EMPTY[kind]
        around = facts.parent(value)
        if isinstance(around, ast.IfExp) or (isinstance(around, ast.BoolOp) and isinstance(around.op, ast.And)):
            # `x and helper() or {}` would also replace a falsy `x`; in `a if c else b` the
            # parentheses say what the default is for
            return [_insert(ctx, start, "("), _insert(ctx, end, f" or {default})")]
        return [_insert(ctx, end, f" or {default}")]


def _insert(ctx, offset: int, text: str) -> TextEdit:
    at = ctx.index.position(offset)
    return TextEdit(Range(at, at), text)


def _helper_of(facts, call: ast.Call, helpers: frozenset[str]) -> str | None:
    """The polling helper whose value `call` gives (by name, alias, `functools.partial`, on a
    thread: see `analysis.calls`); None for other calls and for calls inside a helper."""
    func = called_function(facts, call)
    helper = next((n for n in function_names(facts, func) if n in helpers), None) if func else None
    if helper is None or any(isinstance(a, FUNCTION_NODES) and a.name in helpers for a in facts.ancestors(call)):
        return None
    return helper


def _unguarded_use(facts, call: ast.Call) -> tuple[str, str | None, str | None] | None:
    """(how the helper's value is used, the default kind for the fix, or why there is no
    fix), or None when the value is discarded, defaulted, checked, or passed into a bigger
    expression."""
    end = value_end(facts, call)
    if end is None:
        return None
    value, parent = end
    scope = facts.scope_of(call)
    returns = scope.node.returns if scope.kind == "function" else None
    if isinstance(parent, ast.Return):
        return _with_default("returned", returns)
    how = fails_on_none(facts, value, parent)
    if how == "iterated":
        return how, "list", None
    if how is not None:
        return how, None, f"the result is {how}; a default depends on what the code needs from it"
    if isinstance(parent, ast.Assign) and parent.value is value:
        targets, annotation = parent.targets, returns
    elif isinstance(parent, ast.AnnAssign) and parent.value is value:
        targets, annotation = [parent.target], parent.annotation
    elif isinstance(parent, ast.NamedExpr) and parent.value is value and not checked_in_place(facts, parent):
        targets, annotation = [parent.target], returns
    else:
        return None
    if any(isinstance(t, (ast.Tuple, ast.List, ast.Starred)) for t in targets):
        return "unpacked", None, "the result is unpacked; no default fits every target"
    names = {facts.text(t) for t in targets}
    if handles_none(facts, scope, names, parent):
        return None
    return _with_default("bound to " + ", ".join(f"`{n}`" for n in sorted(names)), annotation)


def _with_default(how: str, annotation: ast.expr | None) -> tuple[str, str | None, str | None]:
    """The default an annotation (of the bound variable, else the function's return) picks:
    the checklist's dict with no annotation, `Any` or a mapping; `[]`, `set()` or `()` for
    a list-like, a set or a variable-length tuple; none where None is allowed or no
    neutral value fits."""
    if annotation is None:
        return how, "dict", None
    read_as = read(annotation)
    if is_none(read_as) or type_name(read_as) in ("Any", "object"):
        return how, "dict", None  # (`-> None` around a bound value: the checklist's default)
    if allows_none(read_as):
        return how, None, f"`{ast.unparse(annotation)}` allows None; add a default by hand if callers should not see it"
    kind = collection_kind(read_as)
    if kind is None:
        return how, None, f"no neutral default fits `{ast.unparse(annotation)}`; add one by hand"
    return how, kind, None
