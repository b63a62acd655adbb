"""Where code holds Celery task ids and results, told from names and values.

- `is_task_id_name` / `mentions_tasks`: identifiers, attributes and string keys that say
  task ids (`task_id`, `child_task_ids`, `job["celery_task_id"]`), result classes, `.results`.
- `new_task_parts`: what in a function stands for a task it dispatches itself (its result,
  what is read off it, the names and keys that receive it), not for one made elsewhere.
- `holds` / `annotation_holds`: whether a list holds task ids or result objects;
  `child_task_list`: the parameter or local holding a function's child tasks.
- `only_waited_on`: a dispatch whose result the scope waits for and hands out nowhere.
- `says_no_task` / `revokes_task`: a receiver plainly not a task (`user.api_token`), and a
  node that revokes Celery tasks (`app.control.revoke`, `result.revoke`, `control.terminate`).
"""

from __future__ import annotations

import ast
import re
from itertools import pairwise

from .celery import RESULT_CLASS_NAMES, sends_task
from .facts import SCOPE_NODES, ModuleFacts, Scope, own_nodes
from .names import last_identifier, words

_ID_OWNERS = frozenset({"task", "tasks", "subtask", "subtasks", "child", "children", "celery"})
_ID_WORDS = frozenset({"id", "ids", "uuid", "uuids"})
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_ID_ATTRIBUTES = ("id", "task_id")
_RESULTS_ATTRIBUTES = ("children", "results")


def is_task_id_name(identifier: str) -> bool:
    """`task_id`, `child_task_ids`, `celery_task_id`, `taskIds`, `children_ids`, `taskid`."""
    parts = words(identifier)
    if any(p in ("taskid", "taskids") for p in parts):
        return True
    return any(a in _ID_OWNERS and b in _ID_WORDS for a, b in pairwise(parts))


def mentions_tasks(facts: ModuleFacts, root: ast.AST, own: bool = False, ignored=frozenset()) -> bool:
    """Task ids or Celery results appear in (or under) `root`: a name, attribute, parameter,
    keyword or string key saying task ids, a result class, `.results`, anything imported
    from `celery.result`. With `own`, not in nested scopes; a node in `ignored` does not
    count itself (its children still do)."""
    if own and isinstance(root, SCOPE_NODES):
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


def _identifier(node: ast.AST) -> str | None:
    """The name a node spells: a variable, attribute, parameter, keyword or string key."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, (ast.arg, ast.keyword)):
        return node.arg
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) < 64:
        return node.value if _IDENTIFIER.match(node.value) else None  # `job["task_id"]`
    return None


# --- tasks a function dispatches itself ------------------------------------------------------
def new_task_parts(facts: ModuleFacts, func: ast.FunctionDef | ast.AsyncFunctionDef) -> set[ast.AST]:
    """Nodes of `func` that stand for a task it dispatches itself: the dispatch and what is
    read off its result (`r.id`, `r.results`), locals bound only to that (`refund_task_id =
    r.id`), the keys, keywords and targets that receive it (`{"refund_task_id": r.id}`,
    `Out(task_id=r.id)`, `job.refund_task_id = r.id`), and the `task_id=` a dispatch is
    given for its new task."""
    body = [n for root in func.body if not isinstance(root, SCOPE_NODES) for n in own_nodes(root)]
    if not any(sends_task(facts, n) for n in body):
        return set()
    scope = facts.own_scope(func)
    if scope is None:
        return set()
    new = _NewTaskValues(facts, scope)
    ignored: set[ast.AST] = set()
    for node in body:
        if isinstance(node, ast.expr) and new(node):
            ignored.add(node)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                ignored.update(_dotted_parts(node.func.value))  # the task: `send_task_ids.delay(...)`
        elif isinstance(node, ast.Dict):
            ignored.update(k for k, v in zip(node.keys, node.values) if k is not None and new(v))
        elif isinstance(node, ast.keyword):
            if new(node.value) or (node.arg == "task_id" and sends_task(facts, facts.parent(node))):
                ignored.add(node)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None and new(node.value):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                ignored.add(target)
                if isinstance(target, ast.Subscript):
                    ignored.add(target.slice)  # `meta["task_id"] = r.id`
    return ignored


def _dotted_parts(expr: ast.expr) -> list[ast.expr]:
    """The nodes of a plain `a.b.c` (none for anything else)."""
    parts = []
    while isinstance(expr, ast.Attribute):
        parts.append(expr)
        expr = expr.value
    return [*parts, expr] if isinstance(expr, ast.Name) else []


class _NewTaskValues:
    """Whether an expression is (read off) the result of a dispatch made in the scope."""

    def __init__(self, facts: ModuleFacts, scope: Scope) -> None:
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
            if sends_task(self.facts, expr):
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


# --- what a list holds -------------------------------------------------------------------------
def holds(facts: ModuleFacts, expr: ast.expr, depth: int = 0) -> str | None:
    """What a list expression holds: "ids" (task id strings), "results" (AsyncResult
    objects), or None when that cannot be told."""
    if depth > 4:
        return None
    if isinstance(expr, ast.Attribute):
        return "results" if expr.attr in _RESULTS_ATTRIBUTES else None  # `gr.children`, `gr.results`
    if isinstance(expr, ast.BoolOp):  # `meta.get("children") or []`
        return holds(facts, expr.values[0], depth + 1)
    if isinstance(expr, ast.Subscript):
        if isinstance(expr.slice, ast.Slice):  # `gr.results[1:]`
            return holds(facts, expr.value, depth + 1)
        return "ids" if names_child_ids(expr.slice) else None  # `metadata["result"]["children"]`
    if isinstance(expr, ast.Call):
        func = expr.func
        if isinstance(func, ast.Name) and func.id in ("list", "tuple", "sorted") and len(expr.args) == 1:
            return holds(facts, expr.args[0], depth + 1)
        if isinstance(func, ast.Attribute) and func.attr == "get" and expr.args and names_child_ids(expr.args[0]):
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
            return holds(facts, loop.iter, depth + 1)  # `[c for c in gr.results if ...]`
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
            return holds(facts, found[1][0].value, depth + 1)
    return None


def names_child_ids(key: ast.AST) -> bool:
    """A metadata key for the children ids: `"children"`, `"child_ids"`, `"task_ids"`."""
    if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
        return False
    parts = words(key.value)
    return bool(parts) and (key.value.lower() == "children" or parts[-1] in ("ids", "taskids"))


def annotation_holds(annotation: ast.AST) -> str | None:
    """`list[AsyncResult]` -> "results", `list[str]` / `Sequence[UUID]` -> "ids", else None."""
    names = {last_identifier(n) for n in ast.walk(annotation) if isinstance(n, (ast.Name, ast.Attribute))}
    if names & RESULT_CLASS_NAMES:
        return "results"
    return "ids" if names & {"str", "UUID"} else None


def child_task_list(facts: ModuleFacts, func: ast.FunctionDef | ast.AsyncFunctionDef, end: int):
    """The name holding the function's child tasks where its statement `end` starts, and
    what it holds ("ids" or "results"), or None: a parameter (always bound), else a local
    bound once, by a top-level statement before that point, named like `children`,
    `child_ids`, `child_results` (first) or `task_ids`, `subtask_results`, when what it holds
    is known (by its value, its annotation, or an `_ids` name)."""
    scope = facts.own_scope(func)
    candidates = []
    args = func.args
    params = [*args.posonlyargs, *args.args, *args.kwonlyargs, *([args.vararg] if args.vararg else [])]
    for position, arg in enumerate(params):
        rank = _list_rank(arg.arg)
        held = (annotation_holds(arg.annotation) if arg.annotation is not None else None) or _ids_by_name(arg.arg)
        if rank is not None and held:
            candidates.append((rank, 0, position, arg.arg, held))
    for position, stmt in enumerate(func.body[:end]):
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target = stmt.targets[0]
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            target = stmt.target
        else:
            continue
        if not isinstance(target, ast.Name) or stmt.value is None:
            continue
        rank = _list_rank(target.id)
        if rank is None or scope is None or len(scope.bindings.get(target.id, ())) != 1:
            continue  # rebound elsewhere: what it holds at that point is not known
        held = holds(facts, stmt.value) or _ids_by_name(target.id)
        if held:
            candidates.append((rank, 1, position, target.id, held))
    return min(candidates)[3:] if candidates else None


def _list_rank(name: str) -> int | None:
    """How well a name suggests a list of child tasks (lower is better), or None:
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


def _ids_by_name(name: str) -> str | None:
    parts = words(name)
    return "ids" if parts and parts[-1] in ("ids", "taskids") else None


# --- results that never leave their scope --------------------------------------------------
_WAITS = ("get", "join", "join_native")


def only_waited_on(facts: ModuleFacts, scope: Scope, dispatch: ast.Call) -> bool:
    """The dispatch's result is waited for in `scope` and goes nowhere else (nobody can ask
    about it later): `group(sigs).apply_async().get(timeout=60)`, or `job = t.delay()` whose
    every use is `job.<attribute>`, one of them `job.get(...)`/`job.join(...)` and none `job.id`."""
    parent = facts.parent(dispatch)
    if isinstance(parent, ast.Attribute) and parent.value is dispatch:
        call = facts.parent(parent)
        return parent.attr in _WAITS and isinstance(call, ast.Call) and call.func is parent
    target = parent.targets[0] if isinstance(parent, ast.Assign) and len(parent.targets) == 1 else None
    if not isinstance(target, ast.Name):
        return False
    name = target.id
    if len(scope.bindings.get(name, ())) != 1:
        return False
    waited = False
    for node in scope.walk_own(ast.Name):
        if node.id != name or node is target:
            continue
        use = facts.parent(node)
        if not (isinstance(use, ast.Attribute) and use.value is node) or use.attr in ("id", "save"):
            return False  # returned, stored, handed on, or its id read: it outlives this call
        call = facts.parent(use)
        waited |= use.attr in _WAITS and isinstance(call, ast.Call) and call.func is use
    # a nested function reading the name keeps the result alive after this scope returns
    nested = (n for child in scope.children for n in ast.walk(child.node))
    return waited and not any(isinstance(n, ast.Name) and n.id == name for n in nested)


# --- revoking --------------------------------------------------------------------------------
# Words that name something revocable that is not a Celery task, result or worker control.
_NOT_TASK_WORDS = frozenset(
    "token tokens key keys apikey apikeys api session sessions certificate certificates cert certs"
    " permission permissions perm perms grant grants credential credentials creds oauth jwt consent"
    " consents license licence invite invites invitation invitations membership memberships role roles"
    " privilege privileges secret secrets password passwords login logins auth authorization"
    " authorisation access refresh share shares link links subscription subscriptions user users".split()
)
_TASK_WORDS = frozenset(
    "task tasks subtask subtasks taskid taskids result results celery control child children group chord"
    " chain job jobs worker workers batch".split()
)
REVOKE_METHODS = ("revoke", "revoke_by_stamped_headers")


def says_no_task(*exprs) -> bool:
    """`user.api_token`, `session`, `revoke_api_key`: plainly not a task, result or `control`."""
    parts = [w for expr in exprs if expr is not None for w in words(last_identifier(expr))]
    return any(p in _NOT_TASK_WORDS for p in parts) and not any(p in _TASK_WORDS for p in parts)


def revokes_task(node: ast.AST) -> bool:
    """`node` revokes Celery tasks: `.revoke` / `.revoke_by_stamped_headers` (called or handed
    over: `app.control.revoke(...)`, `AsyncResult(id).revoke()`, `group_result.revoke()`) on
    anything but what is plainly not a task (`user.api_token.revoke()`), or
    `app.control.terminate`."""
    if not isinstance(node, ast.Attribute):
        return False
    if node.attr in REVOKE_METHODS:
        return not says_no_task(node.value)
    return node.attr == "terminate" and isinstance(node.value, ast.Attribute) and node.value.attr == "control"
