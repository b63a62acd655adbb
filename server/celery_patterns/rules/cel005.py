"""CEL005 group-metadata-not-stored: a dispatched `group(...)` whose children ids are never stored.

## What it does
Flags a dispatch of a Celery `group` (`celery.group` through any alias: `from celery import
group as g`, `import celery; celery.group(...)`, `from celery.canvas import group`) in a
scope (function, or the module) that never stores the group's children ids with
`<anything>.backend.store_result(...)`.

A dispatch is `.apply_async(...)` or `.delay(...)` on the group object, or calling it
(`group(sigs)()`), either chained (`group(sigs).apply_async()`, also through `.set(...)`,
`.clone()` or `.on_error(errback)`, which return the group) or through a name bound to the
group (`task_group = group(sigs)`, then `task_group.apply_async()`), also from a nested
function, or through an attribute of `self` the class binds only to groups
(`self.job = group(sigs)` in `__init__` or `job = group(sigs)` in the class body, then
`self.job.apply_async()` in `run`).

With the project model (the workspace), a group built by a function of the workspace
counts as well, in this module or another: a function whose every return of a value is
a group (`return group(sigs)`, or `return batch` with `batch = group(sigs)`), called and
dispatched here (`build_batch(paths).apply_async()`, `build_batch(paths)()`, `job =
build_batch(paths)` then `job.delay()`, through `.set(...)`, any import alias); the
message names the helper. A call of it from a nested function is not followed.

The metadata counts as stored when a `store_result` call in the same scope has a result
argument (a dict literal, or a name bound to one, including later `metadata["k"] = ...`
items) that mentions the children: a `.results` / `.children` attribute
(`[c.id for c in group_result.results]`, but not `len(group_result.results)`) or a key
naming children (`"children"`, `"child_ids"`) whose value is not a literal without ids
(`"children": []` or `None` does not count). When several groups are dispatched in one
scope, each needs its own: a call that reads `r1.results` does not cover `r2`. A
`store_result` of unrelated data (`{"status": "queued"}`) does not count.

Also accepted as storing the metadata: `GroupResult.save()` on the dispatched result
(`group_result.save()`, which writes the group and its children to the result backend
for `GroupResult.restore()`), `<anything>.backend.save_group(...)`, and a call, in the
same scope, of a `self` method or a function of this module (handed the result or its
children) whose body calls `store_result(...)` or `save_group(...)`.

Not flagged: a group dispatched and forgotten (`group(sigs).apply_async()` as a statement
of its own: its result is thrown away, so nobody asks about the batch later); a group whose results the same scope waits for and hands out nowhere
(`group(sigs).apply_async().get(timeout=60)`, or `job = group(sigs).delay()` used only as
`job.get(...)` / `job.join(...)` and other attributes, never returned, stored, passed on or
read for its `job.id`): the metadata is for tracking a batch that outlives the call, and
nobody can ask about this one later. Nor `re.match(...).group(1)`, `m.group()`,
`itertools.groupby`, `df.groupby(...)`, a local or parameter named `group`, a group that
is built but returned or passed on without being dispatched here (the caller dispatches
it and is checked there), a group used as a `chord` header or in a chain (`group(a) | b`):
a chord's callback result is what callers track.

## Why is this bad?
A group's result is only a handle on its children. With the filesystem result backend
`GroupResult.restore()` does not work well, so the server cannot report progress of the
batch, or cancel it, unless it stores the children ids under an id it hands out.

## Example
```python
from celery import group
from core.celery import app

def dispatch_parallel_ingestion(signatures):
    group_result = group(signatures).apply_async()
    return group_result.id
```

## Use instead
```python
import uuid

from celery import group
from core.celery import app

def dispatch_parallel_ingestion(signatures):
    group_result = group(signatures).apply_async()
    task_id = str(uuid.uuid4())
    metadata = {
        "type": "group",
        "children": [child.id for child in group_result.results],
    }
    app.backend.store_result(task_id, metadata, "PENDING")
    return task_id
```

## Fix safety
Unsafe: it adds a write to the result backend. Right after the dispatch it inserts
`group_task_id = str(uuid.uuid4())` and `app.backend.store_result(group_task_id,
{"type": "group", "children": [child.id for child in group_result.results]}, "PENDING")`.
A dispatch that is not already bound to a name (`group(sigs).delay()`,
`return group(sigs).apply_async().id`, `for c in group(sigs)().results:`) is first bound
to a fresh name on a line of its own just before its statement, and the statement then
uses that name; this is only done where the statement evaluates the dispatch exactly
once and first (not in a lambda, a comprehension's condition, `a or b`, `x if c else y`,
a `while` test or an `elif` test, and not after a call or any other part of the statement
that may have an effect: `return db.save_manifest(paths), group(sigs).apply_async().id`
gets no fix, since the tasks would be sent before the manifest is written). `import uuid`
is added unless `uuid` or `uuid4` is already imported. The app is the module's
`Celery(...)` binding or app import (any alias), else the configured `app-import`, added
when its name is free. The stored id is not returned: wire it up where callers need it.
No fix when the dispatch shares its line with another statement, or when no Celery app or
`uuid` name can be used without clashing with an existing binding.
"""

from __future__ import annotations

import ast

from ..analysis.app_config import celery_app_name
from ..analysis.celery import (
    DISPATCH_METHODS,
    SAME_SIGNATURE_METHODS,
    dispatches_canvas,
    is_backend,
    store_result_value,
)
from ..analysis.defs import local_definition
from ..analysis.evaluation import hoist_statement
from ..analysis.facts import own_nodes
from ..analysis.imports import function_path
from ..analysis.names import fresh_name
from ..analysis.task_ids import only_waited_on
from ..fixes.imports import add_imports
from ..fixes.lazy import cst
from ..fixes.statements import bind_before
from ..fixes.text import alone_on_lines
from ..ftypes import FixSafety, Severity
from .base import Rule

_CHILD_ATTRS = ("results", "children")


class GroupMetadataNotStored(Rule):
    code = "CEL005"
    name = "group-metadata-not-stored"
    message = "dispatched `group` without storing its children ids via `backend.store_result()`"
    severity = Severity.MEDIUM
    fix_safety = FixSafety.UNSAFE
    fix_title = "Store the group's children ids with `app.backend.store_result(...)`"
    triggers = ("group",)
    uses_project = True  # groups built by workspace helpers (`return group(sigs)` in another module)

    def applies_to(self, source, settings):
        return True  # a module dispatching a helper's group need not say "group" (the check is cheap)

    def check(self, facts, settings):
        built = _helper_groups(facts)
        if not built and not super().applies_to(facts.source, settings):
            return
        helpers = {}  # dispatch -> the helper that built its group ("" for a group built here)
        for call in facts.nodes(ast.Call):
            if dispatches_canvas(facts, call, "group"):
                helpers[call] = ""
            elif built:
                helper = _dispatched_helper_group(facts, call, built)
                if helper is not None:
                    helpers[call] = helper
        dispatches = list(helpers)
        by_scope: dict[object, list] = {}
        for call in dispatches:
            by_scope.setdefault(facts.scope_of(call), []).append(call)
        reserved: dict[object, set[str]] = {}
        for call in dispatches:
            scope = facts.scope_of(call)
            target = _result_target(facts, call)
            keys = {k for c in by_scope[scope] for k in [_result_target(facts, c)] if k}
            if isinstance(facts.parent(call), ast.Expr):
                continue  # fire and forget: its result is thrown away, nobody tracks this batch
            if _stored(facts, scope, call, target, keys) or only_waited_on(facts, scope, call):
                continue
            where = f"`{scope.name}`" if scope.kind != "module" else "module scope"
            # Names chosen for earlier dispatches of this scope are taken too: fixes of one
            # round are applied together.
            plan, reason = _plan(facts, settings, call, scope, reserved.setdefault(scope, set()))
            built_by = f" (built by `{helpers[call]}`)" if helpers[call] else ""
            yield self.finding(
                facts,
                call,
                f"`group`{built_by} dispatched in {where} without storing its children ids via "
                "`app.backend.store_result()`",
                no_fix_reason=reason,
                **plan,
            )

    def fix(self, ctx, finding):
        call = stmt = ctx.node_at(finding.range, cst.Call)
        while stmt is not None and not isinstance(stmt, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
            stmt = ctx.parent(stmt)
        if stmt is None or not isinstance(ctx.parent(stmt), (cst.IndentedBlock, cst.Module)):
            return None
        small = stmt.body[0] if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1 else None
        kind, result = finding.detail("kind"), finding.detail("result")
        store = _store_statements(ctx, finding)
        if kind == "assign" and isinstance(small, (cst.Assign, cst.AnnAssign)) and small.value is call:
            new = cst.FlattenSentinel([stmt, *store])
        elif kind == "hoist" and (small is not None or isinstance(stmt, cst.BaseCompoundStatement)):
            new = bind_before(stmt, call, result, store)
        else:
            return None
        imports = [("uuid", None, None)] if finding.detail("add_uuid") else []
        imports += [finding.detail("app_import")] if finding.detail("app_import") else []
        return [ctx.replace(stmt, new), *(add_imports(ctx, imports) if imports else [])]


def _store_statements(ctx, finding) -> list:
    """`group_task_id = str(uuid.uuid4())` and the `store_result` call, one argument a line."""
    step = ctx.defaults[0]
    app, task_id, child = finding.detail("app"), finding.detail("task_id"), finding.detail("child")
    children = f"[{child}.id for {child} in {finding.detail('result')}.results]"
    return [
        ctx.statement(f"{task_id} = str({finding.detail('uuid')}())\n"),
        ctx.statement(
            f"{app}.backend.store_result(\n"
            f"{step}{task_id},\n"
            f'{step}{{"type": "group", "children": {children}}},\n'
            f'{step}"PENDING",\n'
            ")\n"
        ),
    ]


# --- groups built by workspace helpers -------------------------------------------------------
def _helper_groups(facts) -> dict:
    """The calls of this module (range -> callee) of workspace functions that return a
    group (`return group(sigs)`, `return job` with `job = group(sigs)`), from the model."""
    project, summary = facts.project, facts.summary
    if project is None or summary is None:
        return {}
    service = project.service_of(facts.path)
    return {
        call.call: call.target
        for function in summary.functions.values()
        for call in function.calls
        if not call.in_thread and project.canvas_built_by(call.target, service) == "group"
    }


def _dispatched_helper_group(facts, call: ast.Call, built: dict) -> str | None:
    """The helper whose group `call` dispatches: `helper(sigs).apply_async()`, `.delay()`,
    `helper(sigs)()`, through `.set(...)`/`.clone()`, or through a name bound only to it."""
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in DISPATCH_METHODS:
        return _helper_group(facts, func.value, built, 0)
    return _helper_group(facts, func, built, 0) if isinstance(func, (ast.Call, ast.Name, ast.NamedExpr)) else None


def _helper_group(facts, expr, built: dict, depth: int) -> str | None:
    if depth > 4:
        return None
    if isinstance(expr, ast.NamedExpr):
        return _helper_group(facts, expr.value, built, depth + 1)
    if isinstance(expr, ast.Call):
        func = expr.func
        if isinstance(func, ast.Attribute) and func.attr in SAME_SIGNATURE_METHODS:
            return _helper_group(facts, func.value, built, depth + 1)
        return built.get(facts.range(expr))
    if isinstance(expr, ast.Name):
        found = facts.lookup(expr.id, facts.scope_of(expr))
        bindings = found[1] if found is not None else []
        helpers = {
            _helper_group(facts, b.value, built, depth + 1) if b.kind == "assign" and b.value is not None else None
            for b in bindings
        }
        return helpers.pop() if len(helpers) == 1 else None
    return None


# --- what the dispatch is bound to, and is its metadata stored? ------------------------------
def _result_target(facts, call: ast.Call) -> str | None:
    """Text of what the dispatch's GroupResult is bound to (`group_result`, `self.result`)."""
    parent = facts.parent(call)
    if isinstance(parent, ast.Assign) and len(parent.targets) == 1 and parent.value is call:
        target = parent.targets[0]
    elif isinstance(parent, (ast.AnnAssign, ast.NamedExpr)) and parent.value is call:
        target = parent.target
    else:
        return None
    return facts.text(target) if isinstance(target, (ast.Name, ast.Attribute)) else None


def _stored(facts, scope, dispatch, target, keys) -> bool:
    """The scope stores the children ids of this dispatch's result (bound to `target`; `keys`:
    what the scope's other dispatches are bound to): `store_result`, `save_group`, `.save()`."""
    for node in scope.walk_own(ast.Call):
        func = node.func
        if not isinstance(func, ast.Attribute):
            if isinstance(func, ast.Name) and _helper_persists(facts, node, target, scope):
                return True
            continue
        if func.attr == "store_result" and is_backend(facts, func.value, scope):
            metadata = store_result_value(node)
            if metadata is None:
                continue
            mentions, refs = _mentions_children(facts, scope, metadata)
            # a store that reads another dispatch's result (`r1.results`) does not cover this one
            if mentions and ((target is not None and target in refs) or not (refs & keys)):
                return True
        elif func.attr == "save_group" and is_backend(facts, func.value, scope):
            return True
        elif func.attr == "save" and not node.args and not node.keywords:
            receiver = func.value
            if receiver is dispatch or (target is not None and facts.text(receiver) == target):
                return True
        elif (
            isinstance(func.value, ast.Name)
            and func.value.id in ("self", "cls")
            and _helper_persists(facts, node, target, scope)
        ):
            return True
    return False


def _mentions_children(facts, scope, expr, depth: int = 0, seen=None) -> tuple[bool, set[str]]:
    """Does `expr` (following names bound in scope) carry children ids? And of which results."""
    seen = seen if seen is not None else set()
    mentions = False
    refs: set[str] = set()
    for node in ast.walk(expr):
        if isinstance(node, ast.Attribute) and node.attr in _CHILD_ATTRS:
            refs.add(facts.text(node.value))
            mentions |= not _only_counted(facts, node)
        elif isinstance(node, ast.Dict):
            mentions |= any(
                isinstance(k, ast.Constant)
                and isinstance(k.value, str)
                and "child" in k.value.lower()
                and _may_hold_ids(v)
                for k, v in zip(node.keys, node.values)
            )
        elif isinstance(node, ast.keyword) and node.arg and "child" in node.arg.lower() and _may_hold_ids(node.value):
            mentions = True
        elif isinstance(node, ast.Name) and depth < 4 and node.id not in seen:
            seen.add(node.id)
            for value in _values_of(facts, scope, node.id):
                sub_mentions, sub_refs = _mentions_children(facts, scope, value, depth + 1, seen)
                mentions |= sub_mentions
                refs |= sub_refs
    return mentions, refs


def _may_hold_ids(value) -> bool:
    """Not a literal that plainly holds no ids: `[]`, `None`, `0`, `[None]`, `{}`."""
    if isinstance(value, ast.Constant):
        return False
    if isinstance(value, (ast.List, ast.Tuple, ast.Set)):
        return not all(isinstance(e, ast.Constant) for e in value.elts)
    return bool(value.keys) if isinstance(value, ast.Dict) else True


def _only_counted(facts, attribute) -> bool:
    """`len(r.results)`, `bool(r.children)`: the children are counted, not their ids stored."""
    parent = facts.parent(attribute)
    return (
        isinstance(parent, ast.Call)
        and isinstance(parent.func, ast.Name)
        and parent.func.id in ("len", "bool")
        and parent.args == [attribute]
    )


def _values_of(facts, scope, name: str):
    """What a name holds: its assignments, plus `name[k] = v` items and `name.update(...)` args."""
    found = facts.lookup(name, scope)
    for binding in found[1] if found else ():
        if binding.kind == "assign" and binding.value is not None:
            yield binding.value
    for node in scope.walk_own(ast.Assign, ast.Call):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name) and target.value.id == name:
                    yield target.slice
                    yield node.value
        elif (
            isinstance(node.func, ast.Attribute)
            and node.func.attr in ("update", "setdefault")
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == name
        ):
            yield node


def _helper_persists(facts, call: ast.Call, target, scope) -> bool:
    """A call of a `self` method, or of a module function handed the result (or its
    children), whose body calls `store_result(...)` or `save_group(...)` itself."""
    definition = local_definition(facts, call)
    if definition is None or definition is scope.node:
        return False
    if isinstance(call.func, ast.Name):  # a module function must be handed what it stores
        handed = (n for arg in [*call.args, *(k.value for k in call.keywords)] for n in ast.walk(arg))
        if not any(
            (target is not None and facts.text(n) == target)
            or (isinstance(n, ast.Attribute) and n.attr in _CHILD_ATTRS)
            for n in handed
        ):
            return False
    return any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in ("store_result", "save_group")
        for n in own_nodes(definition)
    )


# --- planning the fix ---------------------------------------------------------------------
def _plan(facts, settings, call, scope, reserved: set[str]):
    """Details the fixer needs, or a reason why this case gets no fix."""
    parent = facts.parent(call)
    target = _result_target(facts, call)
    stmt: ast.stmt | None
    if isinstance(parent, (ast.Assign, ast.AnnAssign)) and target is not None and parent.value is call:
        kind, stmt = "assign", parent
    else:
        # `return group(s).apply_async().id`, `for c in group(s)().results:`: bind the
        # dispatch to a name just before the statement and use the name in it.
        kind, stmt = "hoist", hoist_statement(facts, call)
        if stmt is None:
            return {}, (
                "the dispatch runs conditionally, repeatedly or after other work inside its statement; "
                "bind it to a name first"
            )
    if facts.scope_of(stmt) is not scope:
        return {}, "the dispatch is not in a statement of its own scope"
    if not alone_on_lines(facts, stmt):
        return {}, "the dispatch shares its line with another statement"
    app, app_import = celery_app_name(facts, settings, scope, allow_add=True)
    if app is None:
        return {}, app_import
    uuid, add_uuid = function_path(facts, scope, "uuid", "uuid4")
    if uuid is None:
        return {}, "`uuid` is bound to something else here"
    result = target if kind == "assign" and target is not None else fresh_name(facts, scope, "group_result", reserved)
    task_id = fresh_name(facts, scope, "group_task_id", reserved | {result})
    reserved.update((result, task_id))
    # a comprehension variable: it only has to differ from what the comprehension reads
    child = next(n for n in ("child", "child_1", "child_2") if n not in {result, app})
    plan = {"kind": kind, "result": result, "app": app, "app_import": app_import, "uuid": uuid}
    return {**plan, "add_uuid": add_uuid, "task_id": task_id, "child": child}, None
