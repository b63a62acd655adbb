"""Celery vocabulary shared by several rules, recognised on the `ast` facts.

- Celery states: string literals or `celery.states.X` through any alias.
- Status checks: `E.status`/`E.state` compared with states, or `E.ready()`,
  `E.successful()`, `E.failed()`; `E` is the result expression, compared by its
  whitespace-normalised text.
- Celery apps, canvas constructors (`group`, `chord`, `chain`) and dispatches.
- Celery context: whether the code around a node is Celery code at all (it imports
  Celery or the configured app, dispatches, builds `AsyncResult`s, declares tasks), so
  that a `payment.status == "SUCCESS"` in a module that has nothing to do with Celery is
  not taken for a task's state. Decided, as local rules need, on the module-level code
  and the top-level def or class holding the node only.
- Process and thread pools (`multiprocessing`, `concurrent.futures`...), whose
  `apply_async()` and results look like Celery's.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeGuard, cast

from ..config import parse_app_import
from .facts import FUNCTION_NODES, ModuleFacts, Scope, position_key

STATES = frozenset({"PENDING", "RECEIVED", "STARTED", "SUCCESS", "FAILURE", "RETRY", "REVOKED", "REJECTED"})
STATE_SETS = {
    "READY_STATES": frozenset({"SUCCESS", "FAILURE", "REVOKED"}),
    "UNREADY_STATES": frozenset({"PENDING", "RECEIVED", "STARTED", "REJECTED", "RETRY"}),
    "EXCEPTION_STATES": frozenset({"RETRY", "FAILURE", "REVOKED"}),
    "PROPAGATE_STATES": frozenset({"FAILURE", "REVOKED"}),
    "ALL_STATES": STATES,
}
READY = STATE_SETS["READY_STATES"]
UNREADY = STATE_SETS["UNREADY_STATES"]

STATUS_ATTRIBUTES = ("status", "state")
STATUS_METHODS = {"ready": READY, "successful": frozenset({"SUCCESS"}), "failed": frozenset({"FAILURE"})}

CELERY_APP_CLASSES = frozenset({"celery.Celery", "celery.app.Celery", "celery.app.base.Celery"})
CANVAS = {
    "group": frozenset({"celery.group", "celery.canvas.group"}),
    "chord": frozenset({"celery.chord", "celery.canvas.chord"}),
    "chain": frozenset({"celery.chain", "celery.canvas.chain"}),
    "signature": frozenset(
        {"celery.signature", "celery.canvas.signature", "celery.canvas.Signature", "celery.Signature"}
    ),
}
# The classes of Celery results, by name and by where they are imported from.
RESULT_CLASS_NAMES = frozenset({"AsyncResult", "GroupResult", "ResultSet", "EagerResult", "AbortableAsyncResult"})
RESULT_CLASSES = frozenset(
    {
        *(f"celery.result.{name}" for name in ("AsyncResult", "GroupResult", "ResultSet", "EagerResult")),
        "celery.AsyncResult",
        "celery.GroupResult",
        "celery.contrib.abortable.AbortableAsyncResult",
    }
)
# Methods that send a task and return its result: on a task or signature, and on an app too.
DISPATCH_METHODS = frozenset({"apply_async", "delay"})
SEND_METHODS = DISPATCH_METHODS | {"send_task"}
# Modules whose AsyncResult/apply_async/Pool are not Celery's.
NOT_CELERY = (
    "multiprocessing",
    "concurrent.futures",
    "billiard",
    "gevent",
    "eventlet",
    "asyncio",
    "tornado",
    "twisted",
)
POOL_CLASSES = frozenset({"Pool", "ThreadPool", "ProcessPoolExecutor", "ThreadPoolExecutor"})
# Calls that only Celery code makes: sending tasks and building results or signatures.
CONTEXT_METHODS = frozenset({"apply_async", "delay", "send_task", "signature", "AsyncResult", "GroupResult"})
TASK_DECORATORS = frozenset({"task", "shared_task", "periodic_task"})
SHARED_TASK = frozenset({"celery.shared_task", "celery.app.shared_task"})
CURRENT_APP = frozenset({"celery.current_app", "celery._state.current_app"})
CURRENT_TASK = frozenset({"celery.current_task", "celery._state.current_task"})
ALLOW_JOIN_RESULT = frozenset({"celery.result.allow_join_result"})
# The tasks every Celery app registers itself (celery/app/builtins.py; `celery.ping` from
# celery.contrib.testing), which a beat entry or a canvas may name.
BUILTIN_TASKS = frozenset(
    {
        "celery.backend_cleanup",
        "celery.accumulate",
        "celery.chord_unlock",
        "celery.map",
        "celery.starmap",
        "celery.chunks",
        "celery.group",
        "celery.chain",
        "celery.chord",
        "celery.ping",
    }
)


def state_names(facts: ModuleFacts, expr: ast.AST | None) -> frozenset[str] | None:
    """The Celery states an expression stands for, or None if it is not made of them."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return frozenset({expr.value}) if expr.value in STATES else None
    if isinstance(expr, (ast.Tuple, ast.List, ast.Set)) and expr.elts:
        names: set[str] = set()
        for element in expr.elts:
            sub = state_names(facts, element)
            if sub is None:
                return None
            names |= sub
        return frozenset(names)
    if isinstance(expr, (ast.Attribute, ast.Name)):
        qualname = facts.resolve(expr)
        if qualname and qualname.startswith("celery.states."):
            last = qualname.rsplit(".", 1)[1]
            if last in STATES:
                return frozenset({last})
            if last in STATE_SETS:
                return STATE_SETS[last]
    return None


@dataclass(frozen=True, eq=False)
class StatusCheck:
    node: ast.AST  # the Compare or Call
    result: ast.expr  # the result expression E
    result_text: str
    states: frozenset[str]  # states the check is about
    positive: bool  # True when the check is true *in* those states (==, in, .ready())
    scope: Scope

    @property
    def mentions_failure(self) -> bool:
        return "FAILURE" in self.states


def status_check(facts: ModuleFacts, node: ast.AST) -> StatusCheck | None:
    """A status check at `node` (a Compare or a Call), else None."""
    if isinstance(node, ast.Compare):
        for subject, other, positive in compared_sides(node):
            if _is_status_attribute(subject) and (states := state_names(facts, other)):
                return check_of(facts, node, subject, states, positive)
        return None
    if isinstance(node, ast.Call) and may_be_status_check(node):
        method = cast(ast.Attribute, node.func)  # (`E.ready()`: a status method called without arguments)
        if not _is_module_reference(facts, method.value):
            return check_of(facts, node, method, STATUS_METHODS[method.attr], True)
    return None


def may_be_status_check(node: ast.AST) -> bool:
    """What `status_check` may take for one, by its syntax alone: any comparison, or a call of
    a status method without arguments (`ModuleFacts.select`: a Call is most often neither)."""
    if isinstance(node, ast.Compare):
        return True
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in STATUS_METHODS
        and not node.args
        and not node.keywords
    )


def compared_sides(node: ast.Compare) -> list[tuple[ast.expr, ast.expr, bool]]:
    """The two ways to read a comparison as a status check: (the side that may read the
    status, the side that may name states, whether the check is true *in* those states).
    None of them unless it is one `==`, `!=`, `in` or `not in`."""
    if len(node.ops) != 1 or not isinstance(node.ops[0], (ast.Eq, ast.NotEq, ast.In, ast.NotIn)):
        return []
    left, right, positive = node.left, node.comparators[0], isinstance(node.ops[0], (ast.Eq, ast.In))
    return [(left, right, positive), (right, left, positive)]


def check_of(
    facts: ModuleFacts, node: ast.AST, status: ast.Attribute, states: frozenset[str], positive: bool
) -> StatusCheck:
    """The status check at `node` of the result whose status `status` reads (`E.status`,
    `E.state`, or the method of `E.ready()`)."""
    return StatusCheck(node, status.value, facts.text(status.value), states, positive, facts.scope_of(node))


def status_checks(facts: ModuleFacts) -> list[StatusCheck]:
    """Every status check in the module, in source order."""
    found = []
    for node in facts.nodes(ast.Compare, ast.Call):
        check = status_check(facts, node)
        if check is not None:
            found.append(check)
    found.sort(key=lambda c: position_key(c.node))
    return found


def _is_status_attribute(expr: ast.AST) -> TypeGuard[ast.Attribute]:
    return isinstance(expr, ast.Attribute) and expr.attr in STATUS_ATTRIBUTES


def _is_module_reference(facts: ModuleFacts, expr: ast.AST) -> bool:
    """`os.path.ready()`-style calls on an imported module are not status checks."""
    qualname = facts.resolve(expr)
    return qualname is not None and not qualname.startswith("builtins.")


def is_celery_app_call(facts: ModuleFacts, node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func  # (`x.y.z(...)` names `...z`: only `....Celery` is resolved)
    return (type(func) is not ast.Attribute or func.attr == "Celery") and facts.resolve(func) in CELERY_APP_CLASSES


def celery_app_calls(facts: ModuleFacts) -> list[ast.Call]:
    return [c for c in facts.nodes(ast.Call) if is_celery_app_call(facts, c)]


def canvas_kind(facts: ModuleFacts, node: ast.AST | None) -> str | None:
    """'group', 'chord', 'chain' or 'signature' when `node` calls that Celery constructor."""
    if not isinstance(node, ast.Call):
        return None
    return _canvas_named(facts.resolve(node.func))


def _canvas_named(qualname: str | None) -> str | None:
    """The kind of signature the Celery constructor `qualname` (resolved) makes, or None."""
    if qualname is None:
        return None
    for kind, names in CANVAS.items():
        if qualname in names:
            return kind
    return None


def is_dispatch(node: ast.AST) -> bool:
    """`X.apply_async(...)` or `X.delay(...)` (calling a group/chord object is checked by callers)."""
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in DISPATCH_METHODS


# --- Celery context -------------------------------------------------------------------------
@dataclass(frozen=True)
class CeleryContext:
    """Where Celery is used: in the module-level code, or in which top-level defs/classes."""

    module: bool
    units: frozenset[int]  # ids of the top-level def/class statements using Celery in their body


def celery_context(facts: ModuleFacts, app_import: str = "") -> CeleryContext:
    """The module's Celery context. Signals: an import of `celery…` or of a module with
    "celery" in its dotted name (`core.celery`, `.celery_app`), an import from the
    configured app import's module (`app_import`, e.g. `from core.celery import app`),
    a dispatch or result call (`.apply_async()` not on a process pool, `.delay()`,
    `.send_task()`, `.signature()`, `.AsyncResult()`), a task decorator (`@app.task`,
    `@shared_task`)."""
    cached = facts.memo("celery_context", dict)
    found = cached.get(app_import)
    if found is None:
        found = cached[app_import] = _context(facts, _app_module(app_import))
    return found


def in_celery_context(facts: ModuleFacts, node: ast.AST, app_import: str = "") -> bool:
    """Celery is used in the module-level code or in the top-level def/class holding `node`."""
    context = celery_context(facts, app_import)
    if context.module:
        return True
    unit = top_level_unit(facts, node)
    return unit is not None and id(unit) in context.units


def top_level_unit(facts: ModuleFacts, node: ast.AST) -> ast.stmt | None:
    """The top-level def or class whose body holds `node`; None for module-level code
    (which includes the decorators and signatures of top-level defs, and defs nested in a
    module-level `if` or `try`)."""
    scope = facts.scope_of(node)
    module = facts.module_scope
    while scope.parent is not None and scope.parent is not module:
        scope = scope.parent
    if scope is module or facts.parent(scope.node) is not facts.tree or not isinstance(scope.node, ast.stmt):
        return None
    return scope.node


def _app_module(app_import: str) -> str:
    """`core.celery` for `from core.celery import app` (empty when it is not that form)."""
    return (parse_app_import(app_import).module or "") if app_import else ""


def _context(facts: ModuleFacts, app_module: str) -> CeleryContext:
    module = False
    units: set[int] = set()

    def note(node: ast.AST) -> bool:
        """Record a signal; True once the module-level code has one (nothing more to learn)."""
        nonlocal module
        unit = top_level_unit(facts, node)
        if unit is None:
            module = True
        else:
            units.add(id(unit))
        return module

    for statement in facts.nodes(ast.Import, ast.ImportFrom):
        if _imports_celery(statement, app_module) and note(statement):
            return CeleryContext(True, frozenset())
    for call in facts.select("context method", _calls_context_method, ast.Call):
        func = call.func
        assert isinstance(func, ast.Attribute)  # (what `_calls_context_method` selects)
        if not (func.attr == "apply_async" and is_process_pool(facts, func.value)) and note(call):
            return CeleryContext(True, frozenset())
    for function in facts.select("decorated", _decorated, *FUNCTION_NODES):
        for decorator in function.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            if _last_name(target) in TASK_DECORATORS and note(decorator):
                return CeleryContext(True, frozenset())
    return CeleryContext(module, frozenset(units))


def _calls_context_method(call: ast.Call) -> bool:
    return isinstance(call.func, ast.Attribute) and call.func.attr in CONTEXT_METHODS


def _decorated(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return bool(function.decorator_list)


def _imports_celery(node: ast.Import | ast.ImportFrom, app_module: str) -> bool:
    if isinstance(node, ast.Import):
        return any(_mentions_celery(alias.name) for alias in node.names)
    module = node.module or ""
    if _mentions_celery(module) or (app_module and node.level == 0 and module == app_module):
        return True
    return any(_mentions_celery(alias.name) for alias in node.names)  # `from proj import celery_app`


def _mentions_celery(dotted: str) -> bool:
    return any("celery" in part.lower() for part in dotted.split("."))


def _last_name(expr: ast.AST) -> str:
    return expr.attr if isinstance(expr, ast.Attribute) else getattr(expr, "id", "")


# --- process and thread pools -----------------------------------------------------------------
def is_process_pool(facts: ModuleFacts, receiver: ast.AST) -> bool:
    """`pool` in `pool.apply_async(...)` is a multiprocessing / concurrent pool: a name or
    `self.pool` attribute bound to `Pool(...)` (also `with Pool() as pool:`), a parameter or
    attribute annotated as one (`pool: multiprocessing.pool.Pool`), `Pool(4)` itself."""
    qualname = facts.resolve(receiver)
    if qualname and qualname.startswith(NOT_CELERY):
        return True
    if isinstance(receiver, ast.Call):
        return _makes_pool(facts, receiver)
    if isinstance(receiver, ast.Attribute) and isinstance(receiver.value, ast.Name):
        return any(
            _makes_pool(facts, value) or (annotation is not None and names_pool_class(facts, annotation))
            for value, annotation in attribute_assignments(facts, receiver)
        )
    if not isinstance(receiver, ast.Name):
        return False
    found = facts.lookup(receiver.id, facts.scope_of(receiver))
    if not found:
        return False
    for binding in found[1]:
        if binding.kind == "param" and isinstance(binding.node, ast.arg):
            if binding.node.annotation is not None and names_pool_class(facts, binding.node.annotation):
                return True
            continue
        parent = facts.parent(binding.node)
        if isinstance(parent, ast.AnnAssign) and names_pool_class(facts, parent.annotation):
            return True
        value = binding.value
        if value is None and isinstance(parent, ast.withitem):  # `with Pool() as pool:`
            value = parent.context_expr
        if _makes_pool(facts, value):
            return True
    return False


def _makes_pool(facts: ModuleFacts, value: ast.AST | None) -> bool:
    if not isinstance(value, ast.Call):
        return False
    qualname = facts.resolve(value.func)
    if qualname and qualname.startswith(NOT_CELERY):
        return True
    return isinstance(value.func, (ast.Name, ast.Attribute)) and _last_name(value.func) in POOL_CLASSES


def names_pool_class(facts: ModuleFacts, annotation: ast.AST) -> bool:
    """An annotation naming a pool: `Pool`, `multiprocessing.pool.ThreadPool`, `"Pool"`,
    `Optional[ThreadPoolExecutor]`, `Pool | None`."""
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        return annotation.value.rsplit(".", 1)[-1] in POOL_CLASSES
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        return names_pool_class(facts, annotation.left) or names_pool_class(facts, annotation.right)
    if isinstance(annotation, ast.Subscript):
        inner = annotation.slice
        parts = inner.elts if isinstance(inner, ast.Tuple) else [inner]
        return any(names_pool_class(facts, part) for part in parts)
    if isinstance(annotation, (ast.Name, ast.Attribute)):
        qualname = facts.resolve(annotation) or ""
        if qualname.startswith(NOT_CELERY) and qualname.rsplit(".", 1)[-1][:1].isupper():
            return True
        return _last_name(annotation) in POOL_CLASSES
    return False


def attribute_assignments(facts: ModuleFacts, attribute: ast.Attribute) -> list[tuple[ast.AST | None, ast.AST | None]]:
    """(value, annotation) of every `self.x = ...` / `self.x: T = ...` in the methods of the
    class whose method's `self` is read (also from a function nested in the method), and of
    `x = ...` / `x: T` in that class's body; (None, None) for every other store of `self.x`
    there (`self.x += ...`, a tuple or `for` target, `del self.x`): its value is not known."""
    if not isinstance(attribute.value, ast.Name):
        return []
    hit = facts.lookup(attribute.value.id, facts.scope_of(attribute))
    if hit is None:
        return []
    scope = hit[0]
    owner = scope.parent
    if owner is None or owner.kind != "class" or _self_name(scope) != attribute.value.id:
        return []
    by_class = facts.memo("attribute_assignments", lambda: _collectattribute_assignments(facts))
    found = list(by_class.get((id(owner.node), attribute.attr), ()))
    for binding in owner.bindings.get(attribute.attr, ()):
        parent = facts.parent(binding.node)
        annotation = parent.annotation if isinstance(parent, ast.AnnAssign) else None
        found.append((binding.value, annotation))
    return found


def _collectattribute_assignments(facts: ModuleFacts) -> dict:
    """`self.x = value` in methods, by (class node id, "x"), from one pass over the stores;
    (None, None) for a store that is no plain assignment."""
    out: dict[tuple[int, str], list] = {}
    for target in facts.nodes(ast.Attribute):
        if isinstance(target.ctx, ast.Load) or not isinstance(target.value, ast.Name):
            continue
        scope = facts.scope_of(target)
        owner = scope.parent
        if owner is None or owner.kind != "class" or _self_name(scope) != target.value.id:
            continue
        node = facts.parent(target)
        stored: tuple[ast.expr | None, ast.expr | None]
        if isinstance(node, ast.Assign) and target in node.targets:
            stored = (node.value, None)
        elif isinstance(node, ast.AnnAssign) and node.target is target:
            stored = (node.value, node.annotation)
        else:
            stored = (None, None)
        out.setdefault((id(owner.node), target.attr), []).append(stored)
    return out


def _self_name(scope: Scope) -> str | None:
    """The first parameter of a method (`self`), else None."""
    if not isinstance(scope.node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    args = scope.node.args
    first = [*args.posonlyargs, *args.args]
    return first[0].arg if first else None


def sends_task(facts: ModuleFacts, node: ast.AST | None) -> bool:
    """A call that sends a task: `t.delay(...)`, `sig.apply_async()`, `app.send_task(...)`, an
    imported `send_task(...)`, or calling a group, chain or chord (`group(sigs)()`)."""
    if not may_send_task(node):
        return False
    func = node.func
    if isinstance(func, ast.Attribute):
        return True
    if isinstance(func, ast.Name):
        return (facts.resolve(func) or "").endswith(".send_task")
    return canvas_kind(facts, func) in ("group", "chain", "chord")


def may_send_task(node: ast.AST | None) -> TypeGuard[ast.Call]:
    """What `sends_task` may say yes to, by its syntax alone: `x.delay(...)` and the other
    send methods, a call of a name or of a call's result."""
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    return isinstance(func, (ast.Name, ast.Call)) or (isinstance(func, ast.Attribute) and func.attr in SEND_METHODS)


# Signature methods that return the same (or a copied) signature (`on_error` links the
# errback and returns the signature itself, unlike `link_error`).
SAME_SIGNATURE_METHODS = ("set", "clone", "skew", "on_error")


def is_canvas(facts: ModuleFacts, expr: ast.AST | None, kind: str) -> bool:
    """`expr` evaluates to a Celery `kind` ("group", "chain", "chord") built in this module
    (see `canvas_built`)."""
    return canvas_built(facts, expr) == kind


def canvas_built(facts: ModuleFacts, expr: ast.AST | None, depth: int = 0) -> str | None:
    """The kind of canvas ("group", "chain", "chord") `expr` evaluates to, built in this
    module: the constructor called through any alias or a star import of `celery`,
    `.set(...)`, `.clone()`... of one, a name bound only to one kind, `self.x` bound only to
    one kind in the class; else None. (One pass for every kind: a return asks them all.)"""
    if depth > 4:
        return None
    if isinstance(expr, ast.NamedExpr):
        return canvas_built(facts, expr.value, depth + 1)
    if isinstance(expr, ast.Call):
        qualname = facts.resolve(expr.func)
        kind = _canvas_named(qualname)
        if kind in _BUILT_KINDS:
            return kind
        if (
            qualname is not None
            and qualname.startswith("builtins.")
            and any(m in ("celery", "celery.canvas") for m in facts.star_imports)
        ):
            kind = qualname[len("builtins.") :]
            if kind in _BUILT_KINDS:
                return kind
        func = expr.func  # `group(sigs).set(queue="rag")` is still the group
        if isinstance(func, ast.Attribute) and func.attr in SAME_SIGNATURE_METHODS:
            return canvas_built(facts, func.value, depth + 1)
        return None
    if isinstance(expr, ast.Name):
        bindings = (facts.lookup(expr.id, facts.scope_of(expr)) or (None, []))[1]
        values = [b.value for b in bindings if b.kind == "assign" and b.value is not None]
        if not values or len(values) != len(bindings):
            return None
        return _one_kind(canvas_built(facts, v, depth + 1) for v in values)
    if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name) and expr.value.id in ("self", "cls"):
        stored = attribute_assignments(facts, expr)  # `self.job = group(sigs)` in `__init__`
        return _one_kind(canvas_built(facts, value, depth + 1) for value, _ in stored) if stored else None
    return None


_BUILT_KINDS = ("group", "chord", "chain")


def _one_kind(kinds: Iterable[str | None]) -> str | None:
    """The kind every value is, or None (one that is none, or two kinds)."""
    found = None
    for kind in kinds:
        if kind is None or (found is not None and kind != found):
            return None
        found = kind
    return found


def dispatches_canvas(facts: ModuleFacts, call: ast.Call, kind: str) -> bool:
    """`call` dispatches a `kind` signature (see `is_canvas`): `G.apply_async()`, `G.delay()`, `G()`."""
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in DISPATCH_METHODS:
        return is_canvas(facts, func.value, kind)
    # `group(sigs)` itself calls the constructor (a Name bound by import), not a group object.
    return isinstance(func, (ast.Call, ast.Name, ast.NamedExpr)) and is_canvas(facts, func, kind)


# --- result backends --------------------------------------------------------------------------
def is_backend(facts: ModuleFacts, expr: ast.AST, scope: Scope) -> bool:
    """`<anything>.backend`, or a name bound to one (`backend = app.backend`)."""
    if isinstance(expr, ast.Attribute):
        return expr.attr == "backend"
    found = facts.lookup(expr.id, scope) if isinstance(expr, ast.Name) else None
    return found is not None and any(
        b.kind == "assign" and isinstance(b.value, ast.Attribute) and b.value.attr == "backend" for b in found[1]
    )


def store_result_value(call: ast.Call) -> ast.expr | None:
    """The result argument of `Backend.store_result(task_id, result, state, traceback=None,
    request=None, **kwargs)` (also `meta=` / `metadata=`, as wrappers name it)."""
    if len(call.args) >= 2 and not any(isinstance(a, ast.Starred) for a in call.args[:2]):
        return call.args[1]
    return next((k.value for k in call.keywords if k.arg in ("result", "meta", "metadata")), None)
