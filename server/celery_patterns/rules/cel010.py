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

from ..fixes.lazy import cst
from ..ftypes import FixSafety, Severity
from .base import Rule

DICT_LIKE = frozenset({"dict", "Dict", "Mapping", "MutableMapping", "Any", "object"})
LIST_LIKE = frozenset({"list", "List", "Sequence", "MutableSequence", "Iterable", "Collection"})
SET_LIKE = frozenset({"set", "Set", "AbstractSet", "MutableSet"})
TUPLE_LIKE = frozenset({"tuple", "Tuple"})
TEST_HOLDERS = (ast.If, ast.While, ast.IfExp, ast.Assert)
# `await sync_to_async(helper)(...)`: the helper's value
ASYNC_WRAPPERS = frozenset({"asgiref.sync.sync_to_async", "asgiref.sync.SyncToAsync"})
# `await asyncio.to_thread(helper, ...)`: the helper's value, computed on a thread
THREAD_RUNNERS = frozenset(
    {
        "asyncio.to_thread",
        "anyio.to_thread.run_sync",
        "starlette.concurrency.run_in_threadpool",
        "fastapi.concurrency.run_in_threadpool",
    }
)
# builtins that raise TypeError when given None
FAILS_ON_NONE = frozenset(
    {
        "len",
        "list",
        "tuple",
        "set",
        "frozenset",
        "dict",
        "sorted",
        "sum",
        "min",
        "max",
        "iter",
        "enumerate",
        "reversed",
        "any",
        "all",
    }
)
DEGRADED = '{{{nl}{indent}"status": "degraded",{nl}{indent}"message": "Task timed out",{nl}}}'


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
            if helper is None or _inside_helper(facts, call, helpers):
                continue
            verdict = _unguarded_use(facts, call)
            if verdict is None:
                continue
            how, annotation, no_fix_reason, default = verdict
            if default is None and no_fix_reason is None:
                default = _default_for(annotation)
                if default is None:
                    no_fix_reason = _no_default_reason(annotation)
            yield self.finding(
                facts,
                call,
                f"`{helper}()` returns None when the task times out, and its value is {how} without a default; "
                "add `or <default>`",
                no_fix_reason=no_fix_reason,
                default=default if no_fix_reason is None else "",
            )

    def fix(self, ctx, finding):
        kind = finding.detail("default")
        call = ctx.node_at(finding.range, cst.Call)
        if not kind or call is None:
            return None
        parents = ctx.parent_map()
        parent = parents.get(call)
        value = parent if isinstance(parent, cst.Await) else call
        if kind == "dict":
            text = DEGRADED.format(nl="\n", indent=ctx.module.default_indent)
        else:
            text = {"list": "[]", "set": "set()", "tuple": "()"}[kind]
        # A new line in the default is a libcst Newline that renders as the module's own
        # (CRLF stays CRLF); its indentation is added to the enclosing block's.
        default = cst.parse_expression(text)
        defaulted = cst.BooleanOperation(value, cst.Or(), default)
        around = parents.get(value)
        if (isinstance(around, cst.BooleanOperation) and isinstance(around.operator, cst.And)) or isinstance(
            around, cst.IfExp
        ):
            # `x and helper() or {}` would also replace a falsy `x`; in `a if c else b` the
            # parentheses say what the default is for
            defaulted = defaulted.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
        return ctx.replace({value: defaulted})


# --- detection ------------------------------------------------------------------------
def _helper_of(facts, call: ast.Call, helpers) -> str | None:
    """The polling helper whose value `call` produces: the helper called by name, alias
    or `functools.partial(helper, ...)(...)`, or (awaited) run on a thread by
    `asyncio.to_thread(helper, ...)`, `loop.run_in_executor(None, helper, ...)`, etc."""
    helper = _helper_called(facts, call.func, helpers)
    if helper is not None:
        return helper
    func = call.func
    if isinstance(func, ast.Call) and func.args and facts.resolve(func.func) == "functools.partial":
        return _helper_ref(facts, func.args[0], helpers)
    if not isinstance(facts.parent(call), ast.Await):
        return None  # an unawaited runner gives a coroutine or future, not the result
    if isinstance(func, ast.Call) and func.args and facts.resolve(func.func) in ASYNC_WRAPPERS:
        return _helper_ref(facts, func.args[0], helpers)
    if facts.resolve(func) in THREAD_RUNNERS and call.args:
        return _helper_ref(facts, call.args[0], helpers)
    if isinstance(func, ast.Attribute) and func.attr == "run_in_executor" and len(call.args) >= 2:
        return _helper_ref(facts, call.args[1], helpers)
    return None


def _helper_ref(facts, expr: ast.AST, helpers) -> str | None:
    """The helper a function reference stands for: a name, `functools.partial(helper, ...)`,
    `lambda: helper(...)`."""
    if isinstance(expr, ast.Lambda):
        body = expr.body
        return _helper_called(facts, body.func, helpers) if isinstance(body, ast.Call) else None
    if isinstance(expr, ast.Call):
        if expr.args and facts.resolve(expr.func) == "functools.partial":
            return _helper_ref(facts, expr.args[0], helpers)
        return None
    return _helper_called(facts, expr, helpers)


def _helper_called(facts, func: ast.AST, helpers, depth: int = 0) -> str | None:
    """The helper name a callee stands for: by name, import alias, `x.helper`, or
    `poll = helper` / `poll = functools.partial(helper, ...)`."""
    if isinstance(func, ast.Attribute):
        return func.attr if func.attr in helpers else None
    if not isinstance(func, ast.Name):
        return None
    qualname = facts.resolve(func)
    if qualname and not qualname.startswith("builtins."):  # an import: its real name counts
        last = qualname.rsplit(".", 1)[-1]
        return last if last in helpers else None
    if func.id in helpers:
        return func.id
    found = facts.lookup(func.id, facts.scope_of(func))
    if not found or depth >= 4:
        return None
    for binding in found[1]:  # `poll = None` and `from ... import helper as poll`
        if binding.kind == "import" and binding.qualname and binding.qualname.rsplit(".", 1)[-1] in helpers:
            return binding.qualname.rsplit(".", 1)[-1]
    if len(found[1]) == 1:
        binding = found[1][0]
        if binding.kind == "assign" and isinstance(binding.value, (ast.Name, ast.Attribute)):
            return _helper_called(facts, binding.value, helpers, depth + 1)
        if (
            binding.kind == "assign"
            and isinstance(binding.value, ast.Call)
            and binding.value.args
            and facts.resolve(binding.value.func) == "functools.partial"
        ):
            return _helper_called(facts, binding.value.args[0], helpers, depth + 1)
    return None


def _inside_helper(facts, call, helpers) -> bool:
    return any(
        isinstance(a, (ast.FunctionDef, ast.AsyncFunctionDef)) and a.name in helpers for a in facts.ancestors(call)
    )


def _flows_to(facts, value: ast.expr):
    """Where the helper's value ends up: the outermost expression that can still be that
    value (through `await`, either arm of `x if c else y`, `and`/`or` operands, and
    an `or None`) and its parent; None when an `or <default>` replaces it."""
    node = value
    while True:
        parent = facts.parent(node)
        if isinstance(parent, ast.Await):
            node = parent
        elif isinstance(parent, ast.IfExp) and node is not parent.test:
            node = parent
        elif isinstance(parent, ast.BoolOp):
            later = parent.values[parent.values.index(node) + 1 :]
            if isinstance(parent.op, ast.Or) and later and not all(_is_none(v) for v in later):
                return None  # `helper(...) or <default>`
            node = parent
        else:
            return node, parent


def _unguarded_use(facts, call: ast.Call):
    """(how the value is used, the annotation that picks a default, no-fix reason, default
    kind override), or None when the value is discarded, defaulted, checked, or passed
    into a bigger expression."""
    flow = _flows_to(facts, call)
    if flow is None:
        return None
    value, parent = flow
    scope = facts.scope_of(call)
    returns = scope.node.returns if scope.kind == "function" else None
    if isinstance(parent, ast.Return):
        return "returned", returns, None, None
    direct = _direct_use(facts, value, parent)
    if direct is not None:
        how, kind = direct
        reason = None if kind else f"the result is {how}; a default depends on what the code needs from it"
        return how, None, reason, kind
    if isinstance(parent, ast.Assign) and parent.value is value:
        targets, annotation, end = parent.targets, returns, parent
    elif isinstance(parent, ast.AnnAssign) and parent.value is value:
        targets, annotation, end = [parent.target], parent.annotation, parent
    elif isinstance(parent, ast.NamedExpr) and parent.value is value:
        if _checked_in_place(facts, parent):
            return None
        targets, annotation, end = [parent.target], returns, parent
    else:
        return None
    if any(isinstance(t, (ast.Tuple, ast.List, ast.Starred)) for t in targets):
        return "unpacked", annotation, "the result is unpacked; no default fits every target", None
    names = {facts.text(t) for t in targets}
    if _checked_later(facts, scope, names, _checks_from(facts, end, scope)):
        return None
    shown = ", ".join(f"`{n}`" for n in sorted(names))
    return f"bound to {shown}", annotation, None, None


def _direct_use(facts, value, parent) -> tuple[str, str | None] | None:
    """(how, default kind or None) when the value is used in a way that fails on None:
    subscripted, an attribute read, iterated, unpacked into a call, given to `len`..."""
    if isinstance(parent, ast.Subscript) and parent.value is value:
        return "subscripted", None
    if isinstance(parent, ast.Attribute) and parent.value is value:
        return f"used as `.{parent.attr}`", None
    if isinstance(parent, (ast.For, ast.AsyncFor, ast.comprehension)) and parent.iter is value:
        return "iterated", "list"
    if isinstance(parent, ast.Starred) or (isinstance(parent, ast.keyword) and parent.arg is None):
        return "unpacked into a call", None
    if isinstance(parent, ast.Dict) and any(k is None and v is value for k, v in zip(parent.keys, parent.values)):
        return "unpacked into a dict", None
    if isinstance(parent, ast.Call) and parent.args and parent.args[0] is value:
        qualname = facts.resolve(parent.func) or ""
        if qualname.startswith("builtins.") and qualname[len("builtins.") :] in FAILS_ON_NONE:
            return f"passed to `{qualname[len('builtins.') :]}()`", None
    return None


def _is_none(expr) -> bool:
    return isinstance(expr, ast.Constant) and expr.value is None


def _checked_in_place(facts, expr: ast.AST) -> bool:
    """`if (r := helper()):`, `(r := helper()) is None`, `(r := helper()) or {}`."""
    node, parent = expr, facts.parent(expr)
    if _compared_with_none(parent) or _isinstance_of(facts, parent, node):
        return True
    while isinstance(parent, ast.BoolOp) or (isinstance(parent, ast.UnaryOp) and isinstance(parent.op, ast.Not)):
        if isinstance(parent, ast.BoolOp) and parent.values[-1] is not node:
            return True
        node, parent = parent, facts.parent(parent)
    return isinstance(parent, TEST_HOLDERS) and parent.test is node


def _checks_from(facts, binding: ast.AST, scope) -> tuple[int, int]:
    """Where checks of a binding start counting: after it, or from the start of the
    outermost loop holding it (`while result is None: result = helper(...)` runs the test
    after the binding)."""
    start = (binding.end_lineno, binding.end_col_offset)
    for ancestor in facts.ancestors(binding):
        if ancestor is scope.node:
            break
        if isinstance(ancestor, (ast.While, ast.For, ast.AsyncFor)):
            start = (ancestor.lineno, ancestor.col_offset)
    return start


def _checked_later(facts, scope, names: set[str], after: tuple[int, int]) -> bool:
    """Whether the scope handles a None in one of `names` from `after` on: a test for
    None or truth (`if result is None: return ...`, `result or {}`, `isinstance(...)`,
    `case None:`). An `if` whose None branch neither leaves, rebinds the name, nor keeps
    it from being read after the `if` (`if not result: log.warning(...)` and then
    `return result`) gives no default and does not count."""

    def named(expr) -> bool:
        return isinstance(expr, (ast.Name, ast.Attribute, ast.Subscript)) and facts.text(expr) in names

    for node in scope.walk_own(ast.Compare, ast.BoolOp, ast.Call, ast.Match, *TEST_HOLDERS):
        if (node.lineno, node.col_offset) < after:
            continue
        if isinstance(node, ast.Match):
            if named(node.subject) and any(
                isinstance(c.pattern, ast.MatchSingleton) and c.pattern.value is None for c in node.cases
            ):
                return True
        elif isinstance(node, ast.If):
            if any(named(operand) for operand in _check_operands(facts, node.test)) and _if_guards(
                facts, scope, node, named
            ):
                return True
        elif isinstance(node, TEST_HOLDERS):
            if any(named(operand) for operand in _check_operands(facts, node.test)):
                return True
        elif _in_if_test(facts, node):
            continue  # judged with its `if`
        elif isinstance(node, ast.Compare):
            if _compared_with_none(node) and any(named(side) for side in (node.left, *node.comparators)):
                return True
        elif isinstance(node, ast.BoolOp):
            if any(named(v) for v in node.values[:-1]):  # `result or {}`, `result and ...`
                return True
        elif isinstance(node, ast.Call):
            if node.args and named(node.args[0]) and _isinstance_of(facts, node, node.args[0]):
                return True
    return False


def _in_if_test(facts, node) -> bool:
    current = node
    for ancestor in facts.ancestors(node):
        if isinstance(ancestor, ast.If):
            return ancestor.test is current
        if isinstance(ancestor, (ast.stmt, ast.Lambda)):
            return False
        current = ancestor
    return False


def _check_operands(facts, test):
    """The expressions a test checks for None or truth: `x`, `not x`, `x is None`,
    `isinstance(x, T)`, and those of `and`/`or`."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        yield from _check_operands(facts, test.operand)
    elif isinstance(test, ast.BoolOp):
        for value in test.values:
            yield from _check_operands(facts, value)
    elif _compared_with_none(test):
        yield from (side for side in (test.left, test.comparators[0]) if not _is_none(side))
    elif isinstance(test, ast.Call) and test.args and _isinstance_of(facts, test, test.args[0]):
        yield test.args[0]
    else:
        yield test


def _if_guards(facts, scope, node: ast.If, named) -> bool:
    """Whether `if <check>:` keeps a None from going on: its None branch leaves (return,
    raise, break, continue), rebinds the name, or the name is not read after the `if`."""
    branch = _none_branch(facts, node.test, named)
    if branch is None:
        return True  # a test the rule cannot split: trust it
    statements = node.body if branch == "body" else node.orelse
    if _leaves(statements) or _rebinds(facts, statements, named):
        return True
    end = (node.end_lineno, node.end_col_offset)
    return not any(
        named(ref) and isinstance(ref.ctx, ast.Load) and (ref.lineno, ref.col_offset) >= end
        for ref in scope.walk_own(ast.Name, ast.Attribute, ast.Subscript)
    )


def _none_branch(facts, test, named) -> str | None:
    """'body' when the test is true for a None value of the name, 'orelse' when it is
    false, None when the rule cannot tell."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = _none_branch(facts, test.operand, named)
        return {"body": "orelse", "orelse": "body"}.get(inner) if inner else None
    if named(test):
        return "orelse"
    if _compared_with_none(test) and any(named(side) for side in (test.left, test.comparators[0])):
        return "body" if isinstance(test.ops[0], (ast.Is, ast.Eq)) else "orelse"
    if isinstance(test, ast.Call) and test.args and named(test.args[0]) and _isinstance_of(facts, test, test.args[0]):
        return "orelse"
    if isinstance(test, ast.BoolOp):
        branches = {_none_branch(facts, value, named) for value in test.values}
        if isinstance(test.op, ast.Or) and "body" in branches:
            return "body"  # `if result is None or ...:`
        if isinstance(test.op, ast.And) and "orelse" in branches:
            return "orelse"  # `if result and ...:`
    return None


def _leaves(statements) -> bool:
    """The block ends by leaving: its last statement returns, raises, breaks or continues
    (or is an `if`/`with`/`try` whose every way out does)."""
    if not statements:
        return False
    last = statements[-1]
    if isinstance(last, (ast.Return, ast.Raise, ast.Break, ast.Continue)):
        return True
    if isinstance(last, ast.If):
        return _leaves(last.body) and _leaves(last.orelse)
    if isinstance(last, (ast.With, ast.AsyncWith)):
        return _leaves(last.body)
    if isinstance(last, ast.Try):
        return (_leaves(last.orelse) if last.orelse else _leaves(last.body)) and all(
            _leaves(h.body) for h in last.handlers
        )
    return False


def _rebinds(facts, statements, named) -> bool:
    for statement in statements:
        for node in ast.walk(statement):
            if (
                isinstance(node, (ast.Name, ast.Attribute, ast.Subscript))
                and isinstance(node.ctx, ast.Store)
                and named(node)
            ):
                return True
    return False


def _compared_with_none(node) -> bool:
    return (
        isinstance(node, ast.Compare)
        and len(node.ops) == 1
        and isinstance(node.ops[0], (ast.Is, ast.IsNot, ast.Eq, ast.NotEq))
        and any(isinstance(s, ast.Constant) and s.value is None for s in (node.left, node.comparators[0]))
    )


def _isinstance_of(facts, node, subject) -> bool:
    return (
        isinstance(node, ast.Call)
        and bool(node.args)
        and node.args[0] is subject
        and facts.resolve(node.func) == "builtins.isinstance"
    )


# --- the default --------------------------------------------------------------------------
def _default_for(annotation) -> str | None:
    """'dict', 'list', 'set' or 'tuple' for an annotation, or None when no default fits."""
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            annotation = ast.parse(annotation.value, mode="eval").body
        except SyntaxError:
            return None
    if annotation is None or (isinstance(annotation, ast.Constant) and annotation.value is None):
        return "dict"  # no annotation, or `-> None` around a bound value: the checklist's default
    if _allows_none(annotation):
        return None
    base, arguments = annotation, None
    if isinstance(annotation, ast.Subscript):
        base, arguments = annotation.value, annotation.slice
    name = _last_name(base)
    if name == "Annotated" and isinstance(arguments, ast.Tuple) and arguments.elts:
        return _default_for(arguments.elts[0])
    if name in DICT_LIKE:
        return "dict"
    if name in LIST_LIKE:
        return "list"
    if name in SET_LIKE:
        return "set"
    if (
        name in TUPLE_LIKE
        and isinstance(arguments, ast.Tuple)
        and len(arguments.elts) == 2
        and isinstance(arguments.elts[1], ast.Constant)
        and arguments.elts[1].value is Ellipsis
    ):
        return "tuple"  # only a variable-length tuple has an empty value
    return None


def _no_default_reason(annotation) -> str:
    shown = ast.unparse(annotation)
    if _allows_none(annotation):
        return f"`{shown}` allows None; add a default by hand if callers should not see it"
    return f"no neutral default fits `{shown}`; add one by hand"


def _allows_none(annotation) -> bool:
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            annotation = ast.parse(annotation.value, mode="eval").body
        except SyntaxError:
            return False
    if isinstance(annotation, ast.Constant):
        return annotation.value is None
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        return _allows_none(annotation.left) or _allows_none(annotation.right)
    if isinstance(annotation, ast.Subscript):
        name = _last_name(annotation.value)
        if name == "Optional":
            return True
        if name == "Union":
            members = annotation.slice.elts if isinstance(annotation.slice, ast.Tuple) else [annotation.slice]
            return any(_allows_none(m) for m in members)
    return False


def _last_name(expr) -> str | None:
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.Attribute):
        return expr.attr
    return None
