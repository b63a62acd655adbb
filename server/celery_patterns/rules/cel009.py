"""CEL009 cancel-without-revoke: a function that cancels tasks but never revokes them.

## What it does
Flags a function that cancels tasks, touches task ids or results, but never revokes.

*Cancels tasks*: its name has a word (snake_case or camelCase part) `cancel`, `abort`,
`stop` or `terminate` in verb or noun form (`cancel_job`, `abortIngest`,
`stop_processing`, `handle_cancel`, `request_cancellation`), or a route decorator
(`@router.post("/jobs/{id}/cancel")`, `@app.delete(path=".../abort")`,
`@bp.route(...)`, DRF `@action(url_path="cancel")`) has such a word in its path, or it
is a `post`/`delete`/... method of a class so named (`CancelJobView.post`). A path built
from parts is read by its constant parts: `f"{PREFIX}/jobs/{{id}}/cancel"`,
`PREFIX + "/tasks/{id}/abort"`, `"/{}/stop".format(...)`, and names bound to strings. Words
that merely contain one (`unstoppable`, `stopwatch`), state adjectives (`is_cancelled`,
`mark_aborted`), queries (`is_…`, `should_stop`, `can_cancel`, `get_cancel_url`) and
tests (`test_cancel_job`) do not count.

*Touches task ids or results*, in the function's own scope (parameters included; a
nested `def`, `lambda` or `class` is its own scope): an identifier, attribute or string
key with a `task`/`child`/`celery` word followed by `id`/`ids`/`uuid` (`task_id`,
`child_task_ids`, `job.celery_task_id`, `taskIds`, `job["task_id"]`), the result
classes (`AsyncResult`, `GroupResult`, `ResultSet`, `AbortableAsyncResult`, or anything
imported from `celery.result`), or a `.results` attribute. A Celery app alone
(`celery_app.control.shutdown()` in `stop_worker`) is not a task, and neither is a task
the function dispatches itself (`.delay(...)`, `.apply_async(...)`, `send_task(...)`,
calling a `group`/`chain`/`chord`): its result, what is read off it (`r.id`,
`r.results`), locals bound only to that, and the keys, keywords and attributes that
receive it (`{"refund_task_id": r.id}`) do not count. `cancel_order` that dispatches a
refund and returns its id is not flagged; one that also reads `order.task_id` is.

*Revokes*, anywhere in the function (a nested helper it defines counts): a `.revoke`
(`app.control.revoke(...)`, `AsyncResult(id).revoke()`, `GroupResult.revoke()`, also
passed uncalled to `asyncio.to_thread`) or `.revoke_by_stamped_headers` on anything but
what is plainly not a task (`user.api_token.revoke()`, `session.revoke()`, a key,
certificate, permission, credential...), `app.control.terminate(...)`, `.abort()` on an
`AbortableAsyncResult`, or a call of a function or `self` method of this module that
does one of these. A call of a function defined elsewhere named `revoke…` counts
(`revoke_children(ids)`) unless it names such a non-task (`revoke_api_key(...)`). A call of
another cancelling function that is handed task ids (`cancel_task(task_id)`,
`self.cancel_for(meta["task_id"])`, `task_service.cancel(task_id)`) hands the revoke off:
that function is checked where it is defined, so one missing revoke is reported once.
`job_store.cancel(job_id)` hands over no task id, and `db.jobs.cancel(task_id)` (a
database, repository, store, model manager, cache...) records the cancellation rather than
stopping anything: neither counts. Abstract stubs (`pass`, `...`, `raise
NotImplementedError`, `@abstractmethod`) are not flagged.

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
new state first and then stops the work. It is offered only when the list of children is
in scope, a parameter or a local bound once by a top-level statement before that point,
and what it holds is known:
- ids: a parameter or local named like `child_task_ids`, `task_ids` or `child_ids`, a
  parameter `children: list[str]`, a local `children` bound to ids read from metadata
  (`meta["children"]`, `meta.get("child_ids")`) or to `[c.id for c in ...]`; the loop
  looks each id up with `app.AsyncResult(child_id)`;
- results: a local such as `children` or `child_results` bound to
  `group_result.children` / `.results`, or a parameter annotated `list[AsyncResult]`; the
  loop reads `child_result.state` and revokes `child_result.id`.

A `children` whose content cannot be told (a parameter without annotation, the return
value of some call) gets no fix.

The module must have a Celery app binding (`Celery(...)`, the configured `app-import`
under any alias, an import such as `from .worker import celery_app`, or a parameter
annotated `Celery`). No fix when the body ends in a block that may return (no single
point runs on every path), or ends with `raise`.
"""

from __future__ import annotations

import ast
import itertools
import re
from itertools import pairwise

from ..analysis.app_config import celery_app_name
from ..analysis.celery import RESULT_CLASS_NAMES, SEND_METHODS, canvas_kind
from ..analysis.facts import own_nodes
from ..analysis.names import free_name, numbered, words
from ..analysis.strings import constant_text
from ..fixes.text import alone_on_lines
from ..ftypes import FixSafety, Position, Range, Severity
from .base import Rule

# Verb and noun forms only: `cancelled`/`aborted`/`stopped` name a state (`is_cancelled`).
_CANCEL_WORDS = frozenset(
    {
        "cancel",
        "cancels",
        "canceling",
        "cancelling",
        "cancellation",
        "cancellations",
        "abort",
        "aborts",
        "aborting",
        "stop",
        "stops",
        "stopping",
        "terminate",
        "terminates",
        "terminating",
        "termination",
    }
)
# A leading word that makes the name a question or a test, not an action.
_QUERY_WORDS = frozenset(
    {
        "is",
        "was",
        "has",
        "have",
        "should",
        "can",
        "could",
        "will",
        "may",
        "must",
        "get",
        "check",
        "fetch",
        "find",
        "list",
        "count",
        "validate",
        "test",
        "tests",
    }
)
_ROUTE_METHODS = frozenset(
    {
        "get",
        "post",
        "put",
        "patch",
        "delete",
        "head",
        "options",
        "route",
        "api_route",
        "websocket",
        "action",
    }
)
_PATH_KEYWORDS = ("path", "rule", "url_path", "url", "route")
_HTTP_HANDLERS = frozenset({"get", "post", "put", "patch", "delete"})

_ID_OWNERS = frozenset({"task", "tasks", "subtask", "subtasks", "child", "children", "celery"})
_ID_WORDS = frozenset({"id", "ids", "uuid", "uuids"})
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class CancelWithoutRevoke(Rule):
    code = "CEL009"
    name = "cancel-without-revoke"
    message = "function cancels tasks but never calls `app.control.revoke()`"
    severity = Severity.MEDIUM
    fix_safety = FixSafety.UNSAFE
    fix_title = "Revoke the PENDING children with `app.control.revoke(..., terminate=False)`"
    triggers = (
        "cancel",
        "Cancel",
        "CANCEL",
        "abort",
        "Abort",
        "ABORT",
        "stop",
        "Stop",
        "STOP",
        "terminat",
        "Terminat",
        "TERMINAT",
    )

    # --- detection --------------------------------------------------------------------------
    def check(self, facts, settings):
        for func in facts.nodes(ast.FunctionDef, ast.AsyncFunctionDef):
            if not _cancels(facts, func) or _is_stub(facts, func):
                continue
            if not _touches_tasks(facts, func) or _revokes(facts, func, set()):
                continue
            plan, reason = _plan(facts, settings, func)
            yield self.finding(
                facts,
                _name_range(facts, func),
                f"`{func.name}` cancels tasks but never revokes them with `app.control.revoke()`",
                no_fix_reason=reason,
                **plan,
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
        if finding.detail("holds") == "results":  # AsyncResult objects: revoke by their id
            text = (
                f"for {child_result} in {ids}:{nl}"
                f'{step}if {child_result}.state == "PENDING":{nl}'
                f"{step}{step}{app}.control.revoke({child_result}.id, terminate=False){nl}"
            )
        else:
            text = (
                f"for {child_id} in {ids}:{nl}"
                f"{step}{child_result} = {app}.AsyncResult({child_id}){nl}"
                f'{step}if {child_result}.state == "PENDING":{nl}'
                f"{step}{step}{app}.control.revoke({child_id}, terminate=False){nl}"
            )
        loop = cst.parse_statement(text, config=module.config_for_parsing)
        body = list(func.body.body)
        if finding.detail("insert_at") == "before_return":
            last = body[-1] if body else None
            if not (
                isinstance(last, cst.SimpleStatementLine)
                and len(last.body) == 1
                and isinstance(last.body[0], cst.Return)
            ):
                return None
            body.insert(len(body) - 1, loop)
        else:
            body.append(loop)
        new_func = func.with_changes(body=func.body.with_changes(body=body))
        return ctx.replace({func: new_func})


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
    """The path of `@router.post("/x/cancel")`, `@app.route(rule=...)`, `@action(url_path=...)`;
    of a path built from parts (`f"{PREFIX}/jobs/{{id}}/cancel"`, `PREFIX + "/abort"`), the
    parts that can be read."""
    if not isinstance(decorator, ast.Call):
        return None
    func = decorator.func
    method = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
    if method not in _ROUTE_METHODS:
        return None
    paths = []
    if decorator.args:
        paths.append(constant_text(facts, decorator.args[0]))
    for keyword in decorator.keywords:
        if keyword.arg in _PATH_KEYWORDS:
            paths.append(constant_text(facts, keyword.value))
    return " ".join(p for p in paths if p) or None


def _is_stub(facts, func) -> bool:
    for decorator in func.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        qualname = facts.resolve(target) or ""
        if qualname.endswith(("abstractmethod", "overload")):
            return True
    body = list(func.body)
    if (
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
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
    ignored = _new_task_parts(facts, func)
    return any(_mentions_tasks(facts, root, own=True, ignored=ignored) for root in _inside(func))


def _mentions_tasks(facts, root, own: bool = False, ignored=frozenset()) -> bool:
    """Task ids or Celery results appear in (or under) `root`; a node in `ignored` does not
    count itself (its children still do)."""
    if own and isinstance(root, _SCOPES):
        return False  # a nested def, lambda or class is its own scope
    for node in own_nodes(root) if own else ast.walk(root):
        if node in ignored:
            continue
        identifier = _identifier(node)
        if identifier is not None and (identifier in RESULT_CLASS_NAMES or is_task_id_name(identifier)):
            return True
        if isinstance(node, ast.Attribute) and node.attr == "results":
            return True
        if isinstance(node, ast.Name) and (facts.resolve(node) or "").startswith(
            ("celery.result.", "celery.contrib.abortable.")
        ):
            return True
    return False


# --- tasks the function starts itself are not tasks it cancels ---------------------------------


def _is_dispatch_call(facts, node) -> bool:
    """`t.delay(...)`, `sig.apply_async()`, `app.send_task(...)`, `group(...)()`."""
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr in SEND_METHODS
    if isinstance(func, ast.Name):
        return (facts.resolve(func) or "").endswith(".send_task")
    return isinstance(func, ast.Call) and canvas_kind(facts, func) in ("group", "chain", "chord")


def _new_task_parts(facts, func) -> set:
    """Nodes of `func` that stand for a task it dispatches itself, not one being cancelled:
    the dispatch and what is read off its result (`r.id`, `r.results`), locals bound only to
    that (`refund_task_id = r.id`), and the keys, keywords and targets that receive it
    (`{"refund_task_id": r.id}`, `Out(task_id=r.id)`, `job.refund_task_id = r.id`), and the
    `task_id=` a dispatch is given for its new task."""
    body = [n for root in func.body if not isinstance(root, _SCOPES) for n in own_nodes(root)]
    if not any(_is_dispatch_call(facts, n) for n in body):
        return set()
    new = _NewTaskValues(facts, facts.own_scope(func))
    ignored = set()
    for node in body:
        if isinstance(node, ast.expr) and new(node):
            ignored.add(node)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                ignored.update(_dotted_parts(node.func.value))  # the task: `send_task_ids.delay(...)`
        elif isinstance(node, ast.Dict):
            ignored.update(k for k, v in zip(node.keys, node.values) if k is not None and new(v))
        elif isinstance(node, ast.keyword):
            parent = facts.parent(node)
            if new(node.value) or (node.arg == "task_id" and _is_dispatch_call(facts, parent)):
                ignored.add(node)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None and new(node.value):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                ignored.add(target)
                if isinstance(target, ast.Subscript):
                    ignored.add(target.slice)  # `meta["task_id"] = r.id`
    return ignored


def _dotted_parts(expr) -> list:
    """The nodes of a plain `a.b.c` (none for anything else)."""
    parts = []
    while isinstance(expr, ast.Attribute):
        parts.append(expr)
        expr = expr.value
    return [*parts, expr] if isinstance(expr, ast.Name) else []


class _NewTaskValues:
    """Whether an expression is (read off) the result of a dispatch made in the scope."""

    def __init__(self, facts, scope) -> None:
        self.facts = facts
        self.names: set[str] = set()
        bound = {
            name: [b.value for b in bindings]
            for name, bindings in scope.bindings.items()
            if all(b.kind == "assign" and b.value is not None for b in bindings)
        }
        changed = True
        while changed:  # `r = t.delay()`, then `tid = r.id`, then `out = str(tid)`
            changed = False
            for name, values in bound.items():
                if name not in self.names and all(self(v) for v in values):
                    self.names.add(name)
                    changed = True

    def __call__(self, expr, depth: int = 0) -> bool:
        if depth > 12:
            return False
        if isinstance(expr, ast.Name):
            return expr.id in self.names
        if isinstance(expr, (ast.Attribute, ast.Subscript, ast.Await, ast.Starred)):
            return self(expr.value, depth + 1)
        if isinstance(expr, ast.Call):
            if _is_dispatch_call(self.facts, expr):
                return True
            func = expr.func
            if isinstance(func, ast.Attribute):  # `r.get(timeout=5)`, `r.id.upper()`
                return self(func.value, depth + 1)
            return (
                isinstance(func, ast.Name)
                and func.id in ("str", "list", "tuple")
                and len(expr.args) == 1
                and self(expr.args[0], depth + 1)
            )
        if isinstance(expr, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            return self(expr.generators[0].iter, depth + 1)  # `[c.id for c in r.results]`
        if isinstance(expr, (ast.List, ast.Tuple, ast.Set)):
            return bool(expr.elts) and all(self(e, depth + 1) for e in expr.elts)
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
    if (
        isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and len(node.value) < 64
        and _IDENTIFIER.match(node.value)
    ):
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
                if node.attr in ("revoke", "revoke_by_stamped_headers") and not _names_no_task(node.value):
                    return True
                if node.attr == "terminate" and isinstance(node.value, ast.Attribute) and node.value.attr == "control":
                    return True
                if node.attr == "abort":
                    aborts = True
            if isinstance(node, ast.Name) and "AbortableAsyncResult" in (node.id, facts.resolve(node) or ""):
                abortable = True
            if isinstance(node, ast.Call):
                callee = node.func
                callee_name = _last_identifier(callee)
                callee_words = words(callee_name)
                helper = _local_definition(facts, node)
                followed = helper is not None and helper not in seen and len(seen) < 6
                if followed and _revokes(facts, helper, seen):
                    return True
                receiver_words = words(_last_identifier(callee.value)) if isinstance(callee, ast.Attribute) else []
                # a helper of this module is judged by its body (followed above), not its name
                unknown = helper is None or (helper not in seen and not followed)
                if (
                    unknown
                    and any(w.startswith(("revoke", "revocation")) for w in callee_words)
                    and not _says_no_task(callee_words + receiver_words)
                ):
                    return True  # delegated: `revoke_children(ids)`, `tasks.revoke_all(ids)`
                if (
                    any(w in _CANCEL_WORDS for w in callee_words)
                    and not _on_a_data_store(callee)
                    and any(_mentions_tasks(facts, arg) for arg in [*node.args, *(k.value for k in node.keywords)])
                ):
                    return True  # handed off with the ids: `cancel_task(task_id)`; checked where defined
    return abortable and aborts


# Words that name something revocable that is not a Celery task, result or worker control.
_NOT_TASK_WORDS = frozenset(
    {
        "token",
        "tokens",
        "key",
        "keys",
        "apikey",
        "apikeys",
        "api",
        "session",
        "sessions",
        "certificate",
        "certificates",
        "cert",
        "certs",
        "permission",
        "permissions",
        "perm",
        "perms",
        "grant",
        "grants",
        "credential",
        "credentials",
        "creds",
        "oauth",
        "jwt",
        "consent",
        "consents",
        "license",
        "licence",
        "invite",
        "invites",
        "invitation",
        "invitations",
        "membership",
        "memberships",
        "role",
        "roles",
        "privilege",
        "privileges",
        "secret",
        "secrets",
        "password",
        "passwords",
        "login",
        "logins",
        "auth",
        "authorization",
        "authorisation",
        "access",
        "refresh",
        "share",
        "shares",
        "link",
        "links",
        "subscription",
        "subscriptions",
        "user",
        "users",
    }
)
_TASK_WORDS = frozenset(
    {
        "task",
        "tasks",
        "subtask",
        "subtasks",
        "taskid",
        "taskids",
        "result",
        "results",
        "celery",
        "control",
        "child",
        "children",
        "group",
        "chord",
        "chain",
        "job",
        "jobs",
        "worker",
        "workers",
        "batch",
    }
)
# Receivers of a `cancel(...)` call that record state rather than stop work.
_DATA_STORE_WORDS = frozenset(
    {
        "db",
        "database",
        "repo",
        "repos",
        "repository",
        "repositories",
        "store",
        "storage",
        "table",
        "tables",
        "model",
        "models",
        "objects",
        "queryset",
        "query",
        "session",
        "dao",
        "crud",
        "orm",
        "cache",
        "redis",
        "collection",
        "sql",
        "mongo",
        "cursor",
        "conn",
        "connection",
    }
)


def _last_identifier(expr) -> str:
    """The name an expression ends with: `user.api_token` -> api_token, `AsyncResult(x)` -> AsyncResult."""
    while isinstance(expr, (ast.Call, ast.Subscript, ast.Await)):
        expr = expr.func if isinstance(expr, ast.Call) else expr.value
    if isinstance(expr, ast.Attribute):
        return expr.attr
    if isinstance(expr, ast.Name):
        return expr.id
    return ""


def _says_no_task(parts) -> bool:
    return any(p in _NOT_TASK_WORDS for p in parts) and not any(p in _TASK_WORDS for p in parts)


def _names_no_task(receiver) -> bool:
    """`user.api_token`, `session`, `cert`: plainly not a task, result or `control`."""
    return _says_no_task(words(_last_identifier(receiver)))


def _on_a_data_store(callee) -> bool:
    """`db.jobs.cancel(...)`, `self.repo.cancel(...)`: a record is marked, nothing is stopped."""
    expr = callee.value if isinstance(callee, ast.Attribute) else None
    while expr is not None:
        if any(w in _DATA_STORE_WORDS for w in words(_last_identifier(expr))):
            return True
        expr = expr.value if isinstance(expr, ast.Attribute) else None
    return False


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


def _list_rank(name: str) -> int | None:
    """How well a name suggests the function's list of child tasks (lower is better), or None:
    `children`, `child_ids`, `child_results` before `task_ids`, `subtask_results`."""
    parts = words(name)
    if not parts:
        return None
    if name.lower() == "children" or (
        parts[-1] in ("ids", "results") and any(p in ("child", "children") for p in parts)
    ):
        return 0
    if parts[-1] == "taskids" or (
        parts[-1] in ("ids", "results") and any(p in ("task", "tasks", "subtask", "subtasks") for p in parts)
    ):
        return 1
    return None


def _says_ids(name: str) -> bool:
    parts = words(name)
    return bool(parts) and parts[-1] in ("ids", "taskids")


_ID_ATTRIBUTES = ("id", "task_id")
_RESULTS_ATTRIBUTES = ("children", "results")


def _holds(facts, expr, depth: int = 0) -> str | None:
    """What a list expression holds: "ids" (task id strings), "results" (AsyncResult
    objects), or None when that cannot be told."""
    if depth > 4:
        return None
    if isinstance(expr, ast.Attribute):
        return "results" if expr.attr in _RESULTS_ATTRIBUTES else None  # `gr.children`, `gr.results`
    if isinstance(expr, ast.BoolOp):  # `meta.get("children") or []`
        return _holds(facts, expr.values[0], depth + 1)
    if isinstance(expr, ast.Subscript):
        if isinstance(expr.slice, ast.Slice):  # `gr.results[1:]`
            return _holds(facts, expr.value, depth + 1)
        return "ids" if _names_child_ids(expr.slice) else None  # `metadata["result"]["children"]`
    if isinstance(expr, ast.Call):
        func = expr.func
        if isinstance(func, ast.Name) and func.id in ("list", "tuple", "sorted") and len(expr.args) == 1:
            return _holds(facts, expr.args[0], depth + 1)
        if isinstance(func, ast.Attribute) and func.attr == "get" and expr.args and _names_child_ids(expr.args[0]):
            return "ids"  # `meta.get("child_ids", [])`
        return None
    if isinstance(expr, (ast.ListComp, ast.SetComp, ast.GeneratorExp)):
        element, loop = expr.elt, expr.generators[0]
        if (
            isinstance(element, ast.Call)
            and isinstance(element.func, ast.Name)
            and element.func.id == "str"
            and len(element.args) == 1
        ):
            element = element.args[0]
        if isinstance(element, ast.Attribute) and element.attr in _ID_ATTRIBUTES:
            return "ids"  # `[c.id for c in group_result.results]`
        if (
            isinstance(element, ast.Subscript)
            and isinstance(element.slice, ast.Constant)
            and element.slice.value in _ID_ATTRIBUTES
        ):
            return "ids"  # `[c["id"] for c in meta["children"]]`
        if isinstance(element, ast.Name) and isinstance(loop.target, ast.Name) and element.id == loop.target.id:
            return _holds(facts, loop.iter, depth + 1)  # `[c for c in gr.results if ...]`
        return None
    if isinstance(expr, (ast.List, ast.Tuple)) and expr.elts:
        if all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in expr.elts) or all(
            isinstance(e, ast.Attribute) and e.attr in _ID_ATTRIBUTES for e in expr.elts
        ):
            return "ids"
        return None
    if isinstance(expr, ast.Name):
        found = facts.lookup(expr.id, facts.scope_of(expr))
        if found and len(found[1]) == 1 and found[1][0].kind == "assign" and found[1][0].value is not None:
            return _holds(facts, found[1][0].value, depth + 1)
    return None


def _names_child_ids(key) -> bool:
    """A metadata key for the children ids: `"children"`, `"child_ids"`, `"task_ids"`."""
    if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
        return False
    parts = words(key.value)
    return bool(parts) and (key.value.lower() == "children" or parts[-1] in ("ids", "taskids"))


def _annotation_holds(facts, annotation) -> str | None:
    """`list[AsyncResult]` -> results, `list[str]` / `Sequence[UUID]` -> ids."""
    names = {_last_identifier(n) for n in ast.walk(annotation) if isinstance(n, (ast.Name, ast.Attribute))}
    if names & RESULT_CLASS_NAMES:
        return "results"
    if names & {"str", "UUID"}:
        return "ids"
    return None


def _plan(facts, settings, func):
    scope = facts.own_scope(func)
    body = func.body
    if not alone_on_lines(facts, body[0]):
        return {}, "the function body is on the `def` line"
    last = body[-1]
    if isinstance(last, ast.Return):
        if not alone_on_lines(facts, last):
            return {}, "the final `return` shares its line with another statement"
        where, index = "before_return", len(body) - 1
    elif isinstance(last, ast.Raise):
        return {}, "the function ends by raising"
    elif any(isinstance(n, ast.Return) for n in own_nodes(last)):
        return {}, "the function ends in a block that may return; no single point runs on every path"
    else:
        where, index = "end", len(body)
    # Parameters (always bound), then locals bound by a top-level statement before the loop,
    # when what they hold is known: ids (by their value, annotation or an `_ids` name) or
    # AsyncResult objects (`children = group_result.children`).
    candidates = []
    args = func.args
    params = [*args.posonlyargs, *args.args, *args.kwonlyargs, *([args.vararg] if args.vararg else [])]
    for position, arg in enumerate(params):
        rank = _list_rank(arg.arg)
        if rank is None:
            continue
        holds = _annotation_holds(facts, arg.annotation) if arg.annotation is not None else None
        holds = holds or ("ids" if _says_ids(arg.arg) else None)
        if holds:
            candidates.append((rank, 0, position, arg.arg, holds))
    for position, stmt in enumerate(body[:index]):
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target = stmt.targets[0]
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            target = stmt.target
        else:
            continue
        rank = _list_rank(target.id) if isinstance(target, ast.Name) else None
        if rank is None or len(scope.bindings.get(target.id, ())) != 1:
            continue  # rebound elsewhere: what it holds at the loop is not known
        holds = _holds(facts, stmt.value) or ("ids" if _says_ids(target.id) else None)
        if holds:
            candidates.append((rank, 1, position, target.id, holds))
    if not candidates:
        return {}, "no list of child task ids (e.g. `child_task_ids`) or results is in scope"
    _, _, _, ids, holds = min(candidates)
    app, reason = celery_app_name(facts, settings, scope, allow_add=False)
    if app is None:
        return {}, reason
    child_id = free_name(facts, scope, itertools.chain(["child_id"], numbered("child_id", 1)), {ids, app})
    child_result = free_name(
        facts, scope, itertools.chain(["child_result"], numbered("child_result", 1)), {ids, app, child_id}
    )
    return {
        "insert_at": where,
        "ids": ids,
        "holds": holds,
        "app": app,
        "child_id": child_id,
        "child_result": child_result,
    }, None
