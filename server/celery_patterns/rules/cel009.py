"""CEL009 cancel-without-revoke: a function that cancels tasks but never revokes them.

## What it does
Flags a function that cancels tasks, touches task ids or results, but never revokes.

*Cancels tasks*: its name has a word (snake_case or camelCase part) `cancel`, `abort`,
`stop` or `terminate` in verb or noun form (`cancel_job`, `abortIngest`,
`stop_processing`, `handle_cancel`, `request_cancellation`), or a route decorator
(`@router.post("/jobs/{id}/cancel")`, `@app.delete(path=".../abort")`,
`@bp.route(...)`, DRF `@action(url_path="cancel")`) has such a word in its path, or it
is a `post`/`delete`/... method of a class so named (`CancelJobView.post`). Words
that merely contain one (`unstoppable`, `stopwatch`), state adjectives (`is_cancelled`,
`mark_aborted`), queries (`is_…`, `should_stop`, `can_cancel`, `get_cancel_url`) and
tests (`test_cancel_job`) do not count.

*Touches task ids or results*, in the function's own scope (parameters included; a
nested `def`, `lambda` or `class` is its own scope): an identifier, attribute or string
key with a `task`/`child`/`celery` word followed by `id`/`ids`/`uuid` (`task_id`,
`child_task_ids`, `job.celery_task_id`, `taskIds`, `job["task_id"]`), the result
classes (`AsyncResult`, `GroupResult`, `ResultSet`, `AbortableAsyncResult`, or anything
imported from `celery.result`), or a `.results` attribute. A Celery app alone
(`celery_app.control.shutdown()` in `stop_worker`) is not a task.

*Revokes*, anywhere in the function (a nested helper it defines counts): any `.revoke`
(`app.control.revoke(...)`, `AsyncResult(id).revoke()`, `GroupResult.revoke()`, also
passed uncalled to `asyncio.to_thread`), `.revoke_by_stamped_headers`,
`app.control.terminate(...)`, `.abort()` on an `AbortableAsyncResult`, a call of
anything named `revoke…`, or a call of a function or `self` method of this module that
does one of these. A call of another cancelling function that is handed task ids
(`cancel_task(task_id)`, `self.cancel_for(meta["task_id"])`) hands the revoke off: that
function is checked where it is defined, so one missing revoke is reported once;
`job_store.cancel(job_id)` hands over no task id and does not count. Abstract stubs
(`pass`, `...`, `raise NotImplementedError`, `@abstractmethod`) are not flagged.

## Why is this bad?
Marking a job cancelled in the database leaves its Celery tasks queued: the worker
still picks them up and does the work. Revoking the children that have not started
(`terminate=False`) stops them from running at all.

## Example
```python
from core.celery import app as celery_app

@router.post("/jobs/{job_id}/cancel")
def cancel_job(job_id: str, child_task_ids: list[str]):
    jobs.mark_cancelled(job_id)
    return {"cancelled": len(child_task_ids)}
```

## Use instead
```python
from core.celery import app as celery_app

@router.post("/jobs/{job_id}/cancel")
def cancel_job(job_id: str, child_task_ids: list[str]):
    jobs.mark_cancelled(job_id)
    for child_id in child_task_ids:
        child_result = celery_app.AsyncResult(child_id)
        if child_result.state == "PENDING":
            celery_app.control.revoke(child_id, terminate=False)
    return {"cancelled": len(child_task_ids)}
```

## Fix safety
Unsafe: it sends revoke commands to the workers. The checklist's loop (revoke the
children still PENDING, `terminate=False`) is inserted before the function's final
`return`, or at the end of its body when it has none: cancellation usually records the
new state first and then stops the work. It is offered only when a list of child ids
is in scope (a parameter, or a local bound by a top-level statement before that point,
named like `child_task_ids`, `task_ids`, `child_ids` or `children`) and the module has a
Celery app binding (`Celery(...)`, the configured `app-import` under any alias, an import
such as `from .worker import celery_app`, or a parameter annotated `Celery`). No fix
when the body ends in a block that may return (no single point runs on every path), or
ends with `raise`.
"""

from __future__ import annotations

import ast
import re
from itertools import pairwise

from ..ftypes import FixSafety, Position, Range, Severity
from ..rule import Rule
from ._groups import (
    alone_on_its_lines,
    celery_app_name,
    fresh_name,
    own_nodes,
    scope_identifiers,
    words,
)

# Verb and noun forms only: `cancelled`/`aborted`/`stopped` name a state (`is_cancelled`).
_CANCEL_WORDS = frozenset({
    "cancel", "cancels", "canceling", "cancelling", "cancellation", "cancellations",
    "abort", "aborts", "aborting",
    "stop", "stops", "stopping",
    "terminate", "terminates", "terminating", "termination",
})
# A leading word that makes the name a question or a test, not an action.
_QUERY_WORDS = frozenset({
    "is", "was", "has", "have", "should", "can", "could", "will", "may", "must", "get", "check",
    "fetch", "find", "list", "count", "validate", "test", "tests",
})
_ROUTE_METHODS = frozenset({
    "get", "post", "put", "patch", "delete", "head", "options", "route", "api_route",
    "websocket", "action",
})
_PATH_KEYWORDS = ("path", "rule", "url_path", "url", "route")
_HTTP_HANDLERS = frozenset({"get", "post", "put", "patch", "delete"})

_ID_OWNERS = frozenset({"task", "tasks", "subtask", "subtasks", "child", "children", "celery"})
_ID_WORDS = frozenset({"id", "ids", "uuid", "uuids"})
_RESULT_CLASSES = frozenset({"AsyncResult", "GroupResult", "ResultSet", "AbortableAsyncResult", "EagerResult"})
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class CancelWithoutRevoke(Rule):
    code = "CEL009"
    name = "cancel-without-revoke"
    message = "function cancels tasks but never calls `app.control.revoke()`"
    severity = Severity.MEDIUM
    fix_safety = FixSafety.UNSAFE
    fix_title = "Revoke the PENDING children with `app.control.revoke(..., terminate=False)`"
    triggers = ("cancel", "Cancel", "CANCEL", "abort", "Abort", "ABORT", "stop", "Stop", "STOP",
                "terminat", "Terminat", "TERMINAT")

    # --- detection --------------------------------------------------------------------------
    def check(self, facts, settings):
        for func in facts.nodes(ast.FunctionDef, ast.AsyncFunctionDef):
            if not _cancels(facts, func) or _is_stub(facts, func):
                continue
            if not _touches_tasks(facts, func) or _revokes(facts, func, set()):
                continue
            plan, reason = _plan(facts, settings, func)
            yield self.finding(
                facts, _name_range(facts, func),
                f"`{func.name}` cancels tasks but never revokes them with `app.control.revoke()`",
                no_fix_reason=reason, **plan,
            )

    # --- fix ----------------------------------------------------------------------------
    def fix(self, ctx, finding):
        import libcst as cst  # only when a fix is wanted: a plain check must not load libcst

        name = ctx.node_at(finding.range, cst.Name)
        func = ctx.parent_map().get(name)
        if not isinstance(func, cst.FunctionDef) or not isinstance(func.body, cst.IndentedBlock):
            return None
        module = ctx.module
        nl, step = module.default_newline, module.default_indent
        child_id, child_result = finding.detail("child_id"), finding.detail("child_result")
        app, ids = finding.detail("app"), finding.detail("ids")
        loop = cst.parse_statement(
            f"for {child_id} in {ids}:{nl}"
            f"{step}{child_result} = {app}.AsyncResult({child_id}){nl}"
            f"{step}if {child_result}.state == \"PENDING\":{nl}"
            f"{step}{step}{app}.control.revoke({child_id}, terminate=False){nl}",
            config=module.config_for_parsing,
        )
        body = list(func.body.body)
        if finding.detail("insert_at") == "before_return":
            last = body[-1] if body else None
            if not (isinstance(last, cst.SimpleStatementLine) and len(last.body) == 1
                    and isinstance(last.body[0], cst.Return)):
                return None
            body.insert(len(body) - 1, loop)
        else:
            body.append(loop)
        new_func = func.with_changes(body=func.body.with_changes(body=body))
        return ctx.replace({func: new_func}).code


# --- does the function cancel? -----------------------------------------------------------------
def _says_cancel(text: str) -> bool:
    return any(w in _CANCEL_WORDS for w in words(text))


def _cancels(facts, func) -> bool:
    name_words = words(func.name)
    if name_words and name_words[0] not in _QUERY_WORDS and any(w in _CANCEL_WORDS for w in name_words):
        return True
    for decorator in func.decorator_list:
        path = _route_path(facts, decorator)
        if path and _says_cancel(path):
            return True
    if func.name in _HTTP_HANDLERS:  # class-based views: `class CancelJobView: def post(...)`
        owner = facts.parent(func)
        if isinstance(owner, ast.ClassDef) and _says_cancel(owner.name):
            return True
    return False


def _route_path(facts, decorator) -> str | None:
    """The path of `@router.post("/x/cancel")`, `@app.route(rule=...)`, `@action(url_path=...)`."""
    if not isinstance(decorator, ast.Call):
        return None
    func = decorator.func
    method = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
    if method not in _ROUTE_METHODS:
        return None
    paths = []
    if decorator.args:
        paths.append(facts.string_value(decorator.args[0]))
    for keyword in decorator.keywords:
        if keyword.arg in _PATH_KEYWORDS:
            paths.append(facts.string_value(keyword.value))
    return " ".join(p for p in paths if p) or None


def _is_stub(facts, func) -> bool:
    for decorator in func.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        qualname = facts.resolve(target) or ""
        if qualname.endswith(("abstractmethod", "overload")):
            return True
    body = list(func.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]
    if not body:
        return True
    for stmt in body:
        if isinstance(stmt, ast.Pass) or (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)):
            continue
        if isinstance(stmt, ast.Raise) and stmt.exc is not None:
            exc = stmt.exc.func if isinstance(stmt.exc, ast.Call) else stmt.exc
            if isinstance(exc, ast.Name) and exc.id == "NotImplementedError":
                continue
        return False
    return True


# --- does it touch tasks? ---------------------------------------------------------------------
def is_task_id_name(identifier: str) -> bool:
    """`task_id`, `child_task_ids`, `celery_task_id`, `taskIds`, `children_ids`, `taskid`."""
    parts = words(identifier)
    if any(p in ("taskid", "taskids") for p in parts):
        return True
    return any(a in _ID_OWNERS and b in _ID_WORDS for a, b in pairwise(parts))


def _inside(func):
    """The function's parameters and body (not its decorators)."""
    yield func.args
    yield from func.body


def _touches_tasks(facts, func) -> bool:
    # Only the function's own scope: a nested def, lambda or class is its own scope.
    return any(_mentions_tasks(facts, root, own=True) for root in _inside(func))


def _mentions_tasks(facts, root, own: bool = False) -> bool:
    """Task ids or Celery results appear in (or under) `root`."""
    if own and isinstance(root, _SCOPES):
        return False  # a nested def, lambda or class is its own scope
    for node in ([root, *own_nodes(root)] if own else ast.walk(root)):
        identifier = _identifier(node)
        if identifier is not None and (identifier in _RESULT_CLASSES or is_task_id_name(identifier)):
            return True
        if isinstance(node, ast.Attribute) and node.attr == "results":
            return True
        if isinstance(node, ast.Name) and (facts.resolve(node) or "").startswith(
            ("celery.result.", "celery.contrib.abortable.")
        ):
            return True
    return False


def _identifier(node) -> str | None:
    """The name a node spells: a variable, attribute, parameter, keyword or string key."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.arg):
        return node.arg
    if isinstance(node, ast.keyword):
        return node.arg
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) < 64 \
            and _IDENTIFIER.match(node.value):
        return node.value  # `job["task_id"]`, `meta.get("child_ids")`
    return None


# --- does it revoke? ---------------------------------------------------------------------------
def _revokes(facts, func, seen: set) -> bool:
    seen.add(func)
    abortable = False
    aborts = False
    for root in func.body:
        for node in ast.walk(root):
            if isinstance(node, ast.Attribute):
                if node.attr in ("revoke", "revoke_by_stamped_headers"):
                    return True
                if node.attr == "terminate" and isinstance(node.value, ast.Attribute) and node.value.attr == "control":
                    return True
                if node.attr == "abort":
                    aborts = True
            if isinstance(node, ast.Name) and "AbortableAsyncResult" in (node.id, facts.resolve(node) or ""):
                abortable = True
            if isinstance(node, ast.Call):
                callee = node.func
                callee_name = callee.attr if isinstance(callee, ast.Attribute) else \
                    callee.id if isinstance(callee, ast.Name) else ""
                callee_words = words(callee_name)
                if any(w.startswith(("revoke", "revocation")) for w in callee_words):
                    return True  # delegated: `revoke_children(ids)`, `self._revoke(task_id)`
                if any(w in _CANCEL_WORDS for w in callee_words) and any(
                    _mentions_tasks(facts, arg) for arg in [*node.args, *(k.value for k in node.keywords)]
                ):
                    return True  # handed off with the ids: `cancel_task(task_id)`; checked where defined
                helper = _local_definition(facts, node)
                if helper is not None and helper not in seen and len(seen) < 6 and _revokes(facts, helper, seen):
                    return True
    return abortable and aborts


def _local_definition(facts, call: ast.Call):
    """The module function or `self`/`cls` method a call refers to, if defined here."""
    func = call.func
    if isinstance(func, ast.Name):
        found = facts.lookup(func.id, facts.scope_of(call))
        if found and len(found[1]) == 1 and found[1][0].kind == "def":
            return found[1][0].node
        return None
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in ("self", "cls"):
        for ancestor in facts.ancestors(call):
            if isinstance(ancestor, ast.ClassDef):
                for stmt in ancestor.body:
                    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name == func.attr:
                        return stmt
                return None
    return None


# --- reporting and planning the fix ---------------------------------------------------------
def _name_range(facts, func) -> Range:
    """The function's name after `def` (a squiggle on the whole body would be noise)."""
    start = facts.range(func).start
    text = facts.index.line_text(start.line)
    match = re.compile(r"(?:async\s+)?def\s+(" + re.escape(func.name) + r")\b").search(text, start.column)
    if match is None:
        return facts.range(func)
    return Range(Position(start.line, match.start(1)), Position(start.line, match.end(1)))


def _ids_rank(name: str) -> int | None:
    """How well a name suggests a list of child task ids (lower is better), None if not."""
    parts = words(name)
    if not parts:
        return None
    if name.lower() == "children":
        return 0
    if parts[-1] in ("ids", "taskids"):
        if any(p in ("child", "children") for p in parts):
            return 0
        if parts[-1] == "taskids" or any(p in ("task", "tasks", "subtask", "subtasks") for p in parts):
            return 1
    return None


def _plan(facts, settings, func):
    scope = facts.own_scope(func)
    body = func.body
    if not alone_on_its_lines(facts, body[0]):
        return {}, "the function body is on the `def` line"
    last = body[-1]
    if isinstance(last, ast.Return):
        if not alone_on_its_lines(facts, last):
            return {}, "the final `return` shares its line with another statement"
        where, index = "before_return", len(body) - 1
    elif isinstance(last, ast.Raise):
        return {}, "the function ends by raising"
    elif any(isinstance(n, ast.Return) for n in own_nodes(last)):
        return {}, "the function ends in a block that may return; no single point runs on every path"
    else:
        where, index = "end", len(body)
    # Parameters (always bound), then locals bound by a top-level statement before the loop.
    candidates = []
    args = func.args
    params = [*args.posonlyargs, *args.args, *args.kwonlyargs, *([args.vararg] if args.vararg else [])]
    for position, arg in enumerate(params):
        rank = _ids_rank(arg.arg)
        if rank is not None:
            candidates.append((rank, 0, position, arg.arg))
    for position, stmt in enumerate(body[:index]):
        if isinstance(stmt, ast.Assign):
            targets = stmt.targets
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            targets = [stmt.target]
        else:
            continue
        for target in targets:
            rank = _ids_rank(target.id) if isinstance(target, ast.Name) else None
            if rank is not None:
                candidates.append((rank, 1, position, target.id))
    if not candidates:
        return {}, "no list of child task ids (e.g. `child_task_ids`) is in scope"
    ids = min(candidates)[3]
    app, reason = celery_app_name(facts, settings, scope, allow_add=False)
    if app is None:
        return {}, reason
    taken = scope_identifiers(facts, scope) | {ids, app}
    child_id = fresh_name(taken, "child_id")
    child_result = fresh_name(taken | {child_id}, "child_result")
    return {"insert_at": where, "ids": ids, "app": app, "child_id": child_id, "child_result": child_result}, None

