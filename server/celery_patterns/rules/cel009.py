"""CEL009 cancel-without-revoke: a function that cancels tasks but never revokes them.

## What it does
Flags a function that cancels tasks, touches task ids or results, but never revokes; and
a route module of a service that starts tasks from its API and revokes none anywhere.

*Cancels tasks*: its name has a word (snake_case or camelCase part) `cancel`, `abort`,
`stop` or `terminate` in verb or noun form (`cancel_job`, `abortIngest`,
`stop_processing`, `handle_cancel`, `request_cancellation`), or a route decorator
(`@router.post("/jobs/{id}/cancel")`, `@app.delete(path=".../abort")`,
`@bp.route(...)`, DRF `@action(url_path="cancel")`) has such a word in its path, or it
is a `post`/`delete`/... method of a class so named (`CancelJobView.post`). A path built
from parts is read by its constant parts: `f"{PREFIX}/jobs/{{id}}/cancel"`,
`PREFIX + "/tasks/{id}/abort"`, `"/{}/stop".format(...)`, and names bound to strings
(`@mock.patch("...cancel...")` is no route). Words
that merely contain one (`unstoppable`, `stopwatch`), a cancel word after the leading
verb that names what waits for a cancel (`run_abort_listener_loop`, `start_cancel_watcher`;
`stop_listener` still stops), state adjectives (`is_cancelled`,
`mark_aborted`), queries (`is_…`, `should_stop`, `can_cancel`, `get_cancel_url`) and
tests (`test_cancel_job`) do not count.

*Touches Celery task ids or results*, in Celery code (the module imports Celery or its
app, or the function uses Celery: ids of a job of another system, a row of the project's
own task table or a flag in Redis, are not this rule's concern), in the function's own
scope (parameters included; a nested `def`, `lambda` or `class` is its own scope): an identifier, attribute or string
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

*The service as a whole* (with the project model, as the checklist's own search does):
a service whose API routes start Celery tasks, while none of its code (tests aside)
revokes one as above or calls a workspace function that does, offers no way to cancel
what it starts. Each route module that starts tasks gets one finding, at its first
dispatch, naming the service. Routes are functions with a route decorator (as above) and
the functions and classes (all their methods) registered as views by reference: Django's
`path()`/`re_path()`/`url()` (`views.run`, `RunView.as_view()`, wrapped in
`csrf_exempt(...)`; an `include()` is not followed), DRF's `router.register(prefix,
ViewSet)`, Flask's `add_url_rule`, FastAPI's `add_api_route`, Starlette's `Route`. A
route starts tasks when its body dispatches (`.delay()`, `.apply_async()`, `send_task()`,
`signature(...).delay()`, a canvas called; not a process pool's `apply_async`) or calls a
workspace function that does, up to three direct calls deep (the message shows the
chain). Routes in test code do not count.

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

The service-level finding has no fix: where a cancel route belongs, and which ids it
takes, is the service's design.

A `children` whose content cannot be told (a parameter without annotation, the return
value of some call) gets no fix.

The module must have a Celery app binding (`Celery(...)`, the configured `app-import`
under any alias, an import such as `from .worker import celery_app`, or a parameter
annotated `Celery`). No fix when the body ends in a block that may return (no single
point runs on every path), or ends with `raise`.
"""

from __future__ import annotations

import ast

from ..analysis.app_config import celery_app_name
from ..analysis.celery import in_celery_context, is_process_pool, sends_task
from ..analysis.defs import is_stub, local_definition, name_range
from ..analysis.facts import own_nodes
from ..analysis.names import fresh_name, last_identifier, words
from ..analysis.task_ids import child_task_list, mentions_tasks, new_task_parts, revokes_task, says_no_task
from ..analysis.web import HTTP_HANDLERS, is_route, route_path
from ..fixes.lazy import cst
from ..fixes.text import alone_on_lines
from ..ftypes import FixSafety, Severity
from ..model.project import relative
from .base import Rule

# Verb and noun forms only: `cancelled`/`aborted`/`stopped` name a state (`is_cancelled`).
_CANCEL_WORDS = frozenset(
    "cancel cancels canceling cancelling cancellation cancellations abort aborts aborting"
    " stop stops stopping terminate terminates terminating termination".split()
)
# A leading word that makes the name a question or a test, not an action.
_QUERY_WORDS = frozenset(
    "is was has have should can could will may must get check fetch find list count validate test tests".split()
)
# Nouns a cancel word can qualify after a leading verb: the function runs something that waits
# for a cancel (`run_abort_listener_loop`, `start_cancel_watcher`), it does not issue one.
_WAITER_WORDS = frozenset(
    "listener listeners listen listening watcher watchers watch watching monitor monitoring poller polling"
    " loop thread callback hook subscriber subscription".split()
)
# Receivers of a `cancel(...)` call that record state rather than stop work.
_DATA_STORE_WORDS = frozenset(
    "db database repo repos repository repositories store storage table tables model models objects"
    " queryset query session dao crud orm cache redis collection sql mongo cursor conn connection".split()
)


# What a cancelling function's name or code says, in any case (`cancel_job`, `ABORTED`,
# `terminate`): a module without any has no canceller to look at.
_CANCEL_STEMS = ("cancel", "abort", "stop", "terminat")


class CancelWithoutRevoke(Rule):
    code = "CEL009"
    name = "cancel-without-revoke"
    message = "function cancels tasks but never calls `app.control.revoke()`"
    severity = Severity.MEDIUM
    fix_safety = FixSafety.UNSAFE
    fix_title = "Revoke the PENDING children with `app.control.revoke(..., terminate=False)`"

    uses_project = True  # whether the service revokes anywhere, and what its routes start through helpers

    def applies_to(self, source, settings):
        return True  # a route module of a service that revokes nothing needs no cancel word (the check is cheap)

    def check(self, facts, settings):
        if any(facts.index.mentions(stem) for stem in _CANCEL_STEMS):
            yield from self._cancellers(facts, settings)
        found = _first_start_in_routes(facts)
        if found is not None:
            where, route, through = found
            service = facts.project.service_of(facts.path)
            label = relative(facts.project, service.root)
            label = service.directory_name if label == "." else label
            via = f" through {' -> '.join(f'`{c}`' for c in through)}" if through else ""
            yield self.finding(
                facts,
                where,
                f"route `{route}` starts a Celery task{via}, but no code of the `{label}` service revokes one "
                "(`app.control.revoke()`): the service offers no way to cancel what it starts",
                no_fix_reason="add a cancel route that revokes the task ids this service hands out "
                "(`app.control.revoke(task_id, terminate=False)`)",
            )

    def _cancellers(self, facts, settings):
        for func in facts.nodes(ast.FunctionDef, ast.AsyncFunctionDef):
            if not _cancels(facts, func) or is_stub(facts, func):
                continue
            if not _touches_tasks(facts, settings, func) or _revokes(facts, func, set()):
                continue
            plan, reason = _plan(facts, settings, func)
            yield self.finding(
                facts,
                name_range(facts, func),
                f"`{func.name}` cancels tasks but never revokes them with `app.control.revoke()`",
                no_fix_reason=reason,
                **plan,
            )

    def fix(self, ctx, finding):
        name = ctx.node_at(finding.range, cst.Name)
        func = ctx.parent(name) if name is not None else None
        if not isinstance(func, cst.FunctionDef) or not isinstance(func.body, cst.IndentedBlock):
            return None
        step = ctx.defaults[0]
        child_id, child_result = finding.detail("child_id"), finding.detail("child_result")
        app, ids = finding.detail("app"), finding.detail("ids")
        if finding.detail("holds") == "results":  # AsyncResult objects: revoke by their id
            loop = (
                f"for {child_result} in {ids}:\n"
                f'{step}if {child_result}.state == "PENDING":\n'
                f"{step}{step}{app}.control.revoke({child_result}.id, terminate=False)\n"
            )
        else:
            loop = (
                f"for {child_id} in {ids}:\n"
                f"{step}{child_result} = {app}.AsyncResult({child_id})\n"
                f'{step}if {child_result}.state == "PENDING":\n'
                f"{step}{step}{app}.control.revoke({child_id}, terminate=False)\n"
            )
        body = list(func.body.body)
        if finding.detail("insert_at") == "before_return":
            last = body[-1]
            if not (
                isinstance(last, cst.SimpleStatementLine)
                and len(last.body) == 1
                and isinstance(last.body[0], cst.Return)
            ):
                return None
            body.insert(len(body) - 1, ctx.statement(loop))
        else:
            body.append(ctx.statement(loop))
        return [ctx.replace(func.body, func.body.with_changes(body=body))]


# --- does the function cancel? -----------------------------------------------------------------
def _says_cancel(text: str) -> bool:
    return any(w in _CANCEL_WORDS for w in words(text))


def _names_a_cancel(name_words: list[str]) -> bool:
    """A cancel word as the action of the name: not one that, after the leading verb,
    qualifies a waiter (`run_abort_listener_loop`; `stop_listener` still stops)."""
    return any(
        word in _CANCEL_WORDS and not (0 < i < len(name_words) - 1 and name_words[i + 1] in _WAITER_WORDS)
        for i, word in enumerate(name_words)
    )


def _cancels(facts, func) -> bool:
    """Its name says so (not as a question or a test), a route decorating it has such a
    path, or it handles HTTP requests in a class so named (`CancelJobView.post`)."""
    name_words = words(func.name)
    if name_words and name_words[0] not in _QUERY_WORDS and _names_a_cancel(name_words):
        return True
    if any(_says_cancel(route_path(facts, decorator) or "") for decorator in func.decorator_list):
        return True
    owner = facts.parent(func)
    return func.name in HTTP_HANDLERS and isinstance(owner, ast.ClassDef) and _says_cancel(owner.name)


def _touches_tasks(facts, settings, func) -> bool:
    """Celery task ids or results appear in its parameters or own body, other than tasks it
    starts: ids of a job of another system (a row of the project's own task table, a flag
    in Redis) in code that has nothing to do with Celery are not this rule's concern."""
    ignored = new_task_parts(facts, func)
    if not any(mentions_tasks(facts, root, own=True, ignored=ignored) for root in [func.args, *func.body]):
        return False
    return in_celery_context(facts, func, settings.app_import)


# --- does it revoke? ---------------------------------------------------------------------------
def _revokes(facts, func, seen: set) -> bool:
    """A revoke in its body or in a helper of this module it calls; a call handing task ids
    to another cancelling function (checked where it is defined)."""
    seen.add(func)
    abortable = aborts = False
    for node in (n for root in func.body for n in ast.walk(root)):
        if isinstance(node, ast.Attribute):
            if revokes_task(node):
                return True
            aborts |= node.attr == "abort"
        if isinstance(node, ast.Name) and "AbortableAsyncResult" in (node.id, facts.resolve(node) or ""):
            abortable = True
        if not isinstance(node, ast.Call):
            continue
        callee = node.func
        callee_words = words(last_identifier(callee))
        helper = local_definition(facts, node)
        followed = helper is not None and helper not in seen and len(seen) < 6
        if followed and _revokes(facts, helper, seen):
            return True
        receiver = callee.value if isinstance(callee, ast.Attribute) else None
        # a helper of this module is judged by its body (followed above), not its name
        unknown = helper is None or (helper not in seen and not followed)
        if (
            unknown
            and any(w.startswith(("revoke", "revocation")) for w in callee_words)
            and not says_no_task(callee, receiver)
        ):
            return True  # delegated: `revoke_children(ids)`, `tasks.revoke_all(ids)`
        if (
            _says_cancel(last_identifier(callee))
            and not _on_a_data_store(receiver)
            and any(mentions_tasks(facts, arg) for arg in [*node.args, *(k.value for k in node.keywords)])
        ):
            return True  # handed off with the ids: `cancel_task(task_id)`; checked where defined
    return abortable and aborts


def _on_a_data_store(receiver) -> bool:
    """`db.jobs.cancel(...)`, `self.repo.cancel(...)`: a record is marked, nothing is stopped."""
    while receiver is not None:
        if any(w in _DATA_STORE_WORDS for w in words(last_identifier(receiver))):
            return True
        receiver = receiver.value if isinstance(receiver, ast.Attribute) else None
    return False


# --- the service as a whole: routes that start tasks, and no revoke anywhere -----------------
def _first_start_in_routes(facts):
    """Where this module's API routes first start a Celery task, when its service revokes
    none anywhere (tests aside): (the dispatch, or the call of a helper that dispatches;
    the route; the helpers' chain), or None. Routes are functions with a route decorator,
    and functions and classes (all their methods) some module registers as views."""
    project, summary = facts.project, facts.summary
    if project is None or summary is None:
        return None
    service = project.service_of(facts.path)
    if service.root in project.revoking_services or project.is_test(facts.path):
        return None
    views = project.views_in(facts.path)
    if not views and "@" not in facts.source:
        return None
    first = None
    for func in facts.nodes(ast.FunctionDef, ast.AsyncFunctionDef):
        owner = facts.parent(func)
        unit = func.name if owner is facts.tree else None
        if isinstance(owner, ast.ClassDef) and facts.parent(owner) is facts.tree:
            unit = f"{owner.name}.{func.name}"
        if not (
            any(is_route(facts, d) for d in func.decorator_list)
            or (unit is not None and (unit in views or unit.split(".", 1)[0] in views))
        ):
            continue
        for node in (n for statement in func.body for n in ast.walk(statement)):
            if (
                isinstance(node, ast.Call)
                and sends_task(facts, node)
                and not (isinstance(node.func, ast.Attribute) and is_process_pool(facts, node.func.value))
            ):
                where = facts.range(node)
                if first is None or where < first[0]:
                    first = (where, unit or func.name, [])
        function = summary.functions.get(unit) if unit is not None else None
        for call in function.calls if function is not None else ():
            if first is not None and first[0] < call.call:
                continue
            callee = project.function(call.target, service)
            chain = project.start_path(callee) if callee is not None else None
            if chain is not None:
                first = (call.call, unit, chain)
    return first


# --- planning the fix ------------------------------------------------------------------------
def _plan(facts, settings, func):
    """Where the loop goes, the list it walks and what that holds, the app and fresh names;
    or the reason there is no fix."""
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
    found = child_task_list(facts, func, index)
    if found is None:
        return {}, "no list of child task ids (e.g. `child_task_ids`) or results is in scope"
    ids, held = found
    app, reason = celery_app_name(facts, settings, scope, allow_add=False)
    if app is None:
        return {}, reason
    child_id = fresh_name(facts, scope, "child_id", {ids, app})
    child_result = fresh_name(facts, scope, "child_result", {ids, app, child_id})
    plan = {"insert_at": where, "ids": ids, "holds": held, "app": app}
    return {**plan, "child_id": child_id, "child_result": child_result}, None
