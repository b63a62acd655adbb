"""CEL010 polling-result-without-default: a polling helper's result used without a timeout default.

## What it does
Flags a call of a polling helper (`polling-helpers`, default `["_run_sync_task_with_polling"]`;
called by name, through an import alias, or as a method `self.helper(...)`) whose value is
returned (`return helper(...)`, also `return await helper(...)`) or bound to a name
(`=`, annotated assignment, `:=`) without an `or <default>`.

Not flagged: `helper(...) or default` anywhere; a bound result that the same scope checks
afterwards (`if result is None`, `if not result`, `result or {}`, `isinstance(result, ...)`,
`case None:`; in a loop, a check anywhere in the loop counts, as in `while result is None:`),
or a walrus used as such a check; a call whose value is discarded or is part of a bigger
expression; calls inside the helper itself; other functions with similar names
(`_run_sync_task_with_polling_v2`).

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
default exists, nor when the result is unpacked (`ok, data = helper(...)`).
"""

from __future__ import annotations

import ast

from ..lazy import cst

from ..ftypes import FixSafety, Severity
from ..rule import Rule

DICT_LIKE = frozenset({"dict", "Dict", "Mapping", "MutableMapping", "Any", "object"})
LIST_LIKE = frozenset({"list", "List", "Sequence", "MutableSequence", "Iterable", "Collection"})
SET_LIKE = frozenset({"set", "Set", "AbstractSet", "MutableSet"})
TUPLE_LIKE = frozenset({"tuple", "Tuple"})
TEST_HOLDERS = (ast.If, ast.While, ast.IfExp, ast.Assert)
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
            helper = _helper_called(facts, call.func, helpers)
            if helper is None or _inside_helper(facts, call, helpers):
                continue
            verdict = _unguarded_use(facts, call)
            if verdict is None:
                continue
            how, annotation, no_fix_reason = verdict
            default = None if no_fix_reason else _default_for(annotation)
            if default is None and no_fix_reason is None:
                no_fix_reason = _no_default_reason(annotation)
            yield self.finding(
                facts, call,
                f"`{helper}()` returns None when the task times out, and it is {how} without a default; "
                "add `or <default>`",
                no_fix_reason=no_fix_reason,
                default=default or "",
            )

    def fix(self, ctx, finding):
        kind = finding.detail("default")
        call = ctx.node_at(finding.range, cst.Call)
        if not kind or call is None:
            return None
        parent = ctx.parent_map().get(call)
        value = parent if isinstance(parent, cst.Await) else call
        if kind == "dict":
            text = DEGRADED.format(nl="\n", indent=ctx.module.default_indent)
        else:
            text = {"list": "[]", "set": "set()", "tuple": "()"}[kind]
        # A new line in the default is a libcst Newline that renders as the module's own
        # (CRLF stays CRLF); its indentation is added to the enclosing block's.
        default = cst.parse_expression(text)
        return ctx.replace({value: cst.BooleanOperation(value, cst.Or(), default)}).code


# --- detection ------------------------------------------------------------------------
def _helper_called(facts, func: ast.AST, helpers, depth: int = 0) -> str | None:
    """The helper name a callee stands for: by name, import alias, `x.helper`, or `poll = helper`."""
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
    if found and depth < 4 and len(found[1]) == 1:
        binding = found[1][0]
        if binding.kind == "assign" and isinstance(binding.value, (ast.Name, ast.Attribute)):
            return _helper_called(facts, binding.value, helpers, depth + 1)
    return None


def _inside_helper(facts, call, helpers) -> bool:
    return any(
        isinstance(a, (ast.FunctionDef, ast.AsyncFunctionDef)) and a.name in helpers for a in facts.ancestors(call)
    )


def _unguarded_use(facts, call: ast.Call):
    """(how the value is used, the annotation that picks a default, no-fix reason), or None
    when the value is discarded, defaulted, checked, or part of a bigger expression."""
    value, parent = call, facts.parent(call)
    if isinstance(parent, ast.Await):
        value, parent = parent, facts.parent(parent)
    scope = facts.scope_of(call)
    returns = scope.node.returns if scope.kind == "function" else None
    if isinstance(parent, ast.Return):
        return "returned", returns, None
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
        return "unpacked", annotation, "the result is unpacked; no default fits every target"
    names = {facts.text(t) for t in targets}
    if _checked_later(facts, scope, names, _checks_from(facts, end, scope)):
        return None
    shown = ", ".join(f"`{n}`" for n in sorted(names))
    return f"bound to {shown}", annotation, None


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
    """Whether the scope tests one of `names` for None or truth from `after` on."""

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
        elif isinstance(node, ast.Compare):
            if _compared_with_none(node) and any(named(side) for side in (node.left, *node.comparators)):
                return True
        elif isinstance(node, ast.BoolOp):
            if any(named(v) for v in node.values[:-1]):  # `result or {}`, `result and ...`
                return True
        elif isinstance(node, ast.Call):
            if node.args and named(node.args[0]) and _isinstance_of(facts, node, node.args[0]):
                return True
        elif any(named(operand) for operand in _truth_operands(node.test)):
            return True
    return False


def _compared_with_none(node) -> bool:
    return (
        isinstance(node, ast.Compare) and len(node.ops) == 1
        and isinstance(node.ops[0], (ast.Is, ast.IsNot, ast.Eq, ast.NotEq))
        and any(isinstance(s, ast.Constant) and s.value is None for s in (node.left, node.comparators[0]))
    )


def _isinstance_of(facts, node, subject) -> bool:
    return (
        isinstance(node, ast.Call) and bool(node.args) and node.args[0] is subject
        and facts.resolve(node.func) == "builtins.isinstance"
    )


def _truth_operands(test):
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        yield from _truth_operands(test.operand)
    elif isinstance(test, ast.BoolOp):
        for value in test.values:
            yield from _truth_operands(value)
    else:
        yield test


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
    if name in TUPLE_LIKE and isinstance(arguments, ast.Tuple) and len(arguments.elts) == 2 \
            and isinstance(arguments.elts[1], ast.Constant) and arguments.elts[1].value is Ellipsis:
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
