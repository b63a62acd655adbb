"""Celery vocabulary shared by several rules, recognised on the `ast` facts.

- Celery states: string literals or `celery.states.X` through any alias.
- Status checks: `E.status`/`E.state` compared with states, or `E.ready()`,
  `E.successful()`, `E.failed()`; `E` is the result expression, compared by its
  whitespace-normalised text.
- Celery apps, canvas constructors (`group`, `chord`, `chain`) and dispatches.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from .facts import ModuleFacts, Scope

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
    "signature": frozenset({"celery.signature", "celery.canvas.signature", "celery.canvas.Signature", "celery.Signature"}),
}
RESULT_CLASSES = frozenset({
    "celery.result.AsyncResult", "celery.result.GroupResult", "celery.result.ResultSet",
    "celery.AsyncResult", "celery.GroupResult",
})
DISPATCH_METHODS = ("apply_async", "delay")


def state_names(facts: ModuleFacts, expr: ast.AST) -> frozenset[str] | None:
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
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        left, right = node.left, node.comparators[0]
        op = node.ops[0]
        if not isinstance(op, (ast.Eq, ast.NotEq, ast.In, ast.NotIn)):
            return None
        for subject, other in ((left, right), (right, left)):
            if _is_status_attribute(subject):
                states = state_names(facts, other)
                if states:
                    return StatusCheck(node, subject.value, facts.text(subject.value), states,
                                       isinstance(op, (ast.Eq, ast.In)), facts.scope_of(node))
        return None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and not node.args and not node.keywords:
        states = STATUS_METHODS.get(node.func.attr)
        if states is not None and not _is_module_reference(facts, node.func.value):
            return StatusCheck(node, node.func.value, facts.text(node.func.value), states, True, facts.scope_of(node))
    return None


def status_checks(facts: ModuleFacts) -> list[StatusCheck]:
    """Every status check in the module, in source order."""
    found = []
    for node in facts.nodes(ast.Compare, ast.Call):
        check = status_check(facts, node)
        if check is not None:
            found.append(check)
    found.sort(key=lambda c: (c.node.lineno, c.node.col_offset))
    return found


def _is_status_attribute(expr: ast.AST) -> bool:
    return isinstance(expr, ast.Attribute) and expr.attr in STATUS_ATTRIBUTES


def _is_module_reference(facts: ModuleFacts, expr: ast.AST) -> bool:
    """`os.path.ready()`-style calls on an imported module are not status checks."""
    qualname = facts.resolve(expr)
    return qualname is not None and not qualname.startswith("builtins.")


def is_celery_app_call(facts: ModuleFacts, node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and facts.resolve(node.func) in CELERY_APP_CLASSES


def celery_app_calls(facts: ModuleFacts) -> list[ast.Call]:
    return [c for c in facts.nodes(ast.Call) if is_celery_app_call(facts, c)]


def canvas_kind(facts: ModuleFacts, node: ast.AST) -> str | None:
    """'group', 'chord', 'chain' or 'signature' when `node` calls that Celery constructor."""
    if not isinstance(node, ast.Call):
        return None
    qualname = facts.resolve(node.func)
    if qualname is None:
        return None
    for kind, names in CANVAS.items():
        if qualname in names:
            return kind
    return None


def is_dispatch(node: ast.AST) -> bool:
    """`X.apply_async(...)` or `X.delay(...)` (calling a group/chord object is checked by callers)."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in DISPATCH_METHODS
    )
