"""Celery results: status checks, the states a result can be in at a node, result expressions,
a result's error details.

- *Status checks*, as in `celery_model.status_check`, plus the alias form that real
  services use: `status = result.status` then `if status == "SUCCESS":`.
- *Branch states*: the set of Celery states a result can be in at some node, from the
  `if`/`elif`/`while`/`and`/`or`/conditional-expression tests and `match` cases around
  it and from early exits before it in the same block (`if not r.ready(): return`). This answers "does this
  `.get()` sit where the result is ready?" and "is this `raise` on the FAILURE path?".
- *Celery results*: a status check counts only on a Celery result, so that
  `payment.status == "SUCCESS"` in a payments module is not a task's state. The result
  expression of the checks in one scope is one when Celery is used in the module-level
  code or in the top-level def/class holding them (`celery_model.in_celery_context`), when
  it is bound as a result (below), when its name says so (`result`, `task_result`,
  `self.async_result`), when it is checked with `.ready()`, `.successful()` or
  `.failed()`, or when the scope uses it with the AsyncResult API (`.result`,
  `.traceback`, `.info`, `.task_id`, `.children`, `.get()`, `.revoke()`, `.forget()`,
  `.maybe_throw()`...); never when it is bound from a process or thread pool.
- *Result expressions*: dispatches (`X.apply_async()`, `X.delay()`, `app.send_task()`,
  calling a `group`/`chord`/`chain`), `AsyncResult(...)` / `app.AsyncResult(...)`,
  `GroupResult(...)` / `GroupResult.restore(...)`, names bound to those (also through
  `for child in group_result.results`), `self` attributes set to those in the methods of
  the class, parameters annotated as results, and any expression with a status check on
  a Celery result in the same scope.
- *Error details*: after a failure `.result`/`.info` hold the task's exception and
  `.traceback` the worker's traceback; `.get()` and `.maybe_throw()` re-raise it.
"""

from __future__ import annotations

import ast
import builtins

from .celery import (
    NOT_CELERY,
    READY,
    RESULT_CLASS_NAMES,
    SEND_METHODS,
    STATES,
    STATUS_ATTRIBUTES,
    STATUS_METHODS,
    StatusCheck,
    attribute_assignments,
    canvas_kind,
    check_of,
    compared_sides,
    in_celery_context,
    is_process_pool,
    may_be_status_check,
    state_names,
    status_check,
)
from .control import always_exits, block_of
from .facts import COMPREHENSION_NODES, SCOPE_NODES, ModuleFacts, Scope, position_key

ALL_STATES = STATES
# Where a `.get()` cannot block. RECEIVED/RETRY/REJECTED are ignored on purpose: the
# idiomatic `status not in ("PENDING", "STARTED")` is how real code says "finished".
BLOCKING_STATES = frozenset({"PENDING", "STARTED"})
# States of a branch "taken on FAILURE" (CEL011): failure-like states only.
FAILURE_LIKE = frozenset({"FAILURE", "REVOKED", "RETRY", "REJECTED"})

CHILD_COLLECTIONS = frozenset({"results", "children"})
# What only a Celery result is used with (`.ready()` & co. are status checks themselves).
API_ATTRIBUTES = frozenset({"result", "traceback", "info", "task_id", "children"})
API_METHODS = frozenset({"revoke", "forget", "maybe_throw", "maybe_reraise", "join_native", "collect"})
# Keywords only Celery's `AsyncResult.get()`/`.wait()`/`.join()` take: a call with one is a
# wait on a Celery result whatever the receiver is known to be.
CELERY_WAIT_KEYWORDS = frozenset({"propagate", "disable_sync_subtasks", "interval", "no_ack", "follow_parents"})
GET_KEYWORDS = frozenset(
    {
        "timeout",
        "propagate",
        "interval",
        "no_ack",
        "follow_parents",
        "callback",
        "on_message",
        "on_interval",
        "disable_sync_subtasks",
        "EXCEPTION_STATES",
        "PROPAGATE_STATES",
    }
)
# A `.result` read on `x.result` that is itself used as a result says `x.result` is the
# result, not `x` (`self.result.status`, `self.result.get()`).
_RESULT_USES = frozenset({*STATUS_ATTRIBUTES, *STATUS_METHODS, *API_ATTRIBUTES, *API_METHODS, "get", "wait", "join"})
# States no payment, order or job status is likely to share with Celery.
CELERY_ONLY_STATES = frozenset({"STARTED", "RECEIVED", "RETRY", "REVOKED"})
# Calls whose value is a pool's or another library's result, not Celery's.
FOREIGN_DISPATCHES = frozenset({"apply_async", "map_async", "submit", "apply"})
# The only node types `status_check` and `_alias_check` accept.
CHECK_TYPES = frozenset({ast.Compare, ast.Call})


def _cache(facts: ModuleFacts) -> dict:
    """What this module works out once per module (several rules ask the same)."""
    return facts.memo("results", dict)


# --- status checks ------------------------------------------------------------------------
def check_at(facts: ModuleFacts, node: ast.AST) -> StatusCheck | None:
    """A status check at `node`: the shared definition, or `status == ...` on an alias."""
    if type(node) not in CHECK_TYPES:
        return None  # asked of many other nodes (every test part): no cache entry for those
    return _cached_check(facts, _cache(facts).setdefault("check_at", {}), node)


def _cached_check(facts: ModuleFacts, cache: dict, node: ast.AST) -> StatusCheck | None:
    key = id(node)
    if key not in cache:
        cache[key] = status_check(facts, node) or _alias_check(facts, node)
    return cache[key]


def _alias_check(facts: ModuleFacts, node: ast.AST) -> StatusCheck | None:
    """`status == "SUCCESS"` after `status = result.status`, `str(result.state) == ...`,
    or a state held by a constant (`r.status == DONE` after `DONE = "SUCCESS"`)."""
    if not isinstance(node, ast.Compare):
        return None
    for subject, other, positive in compared_sides(node):
        source = status_source(facts, subject)
        if source is None:
            continue
        states = state_names(facts, other)
        if source is subject and states:
            continue  # a plain `E.status` against states is the shared definition's business
        states = states or _named_states(facts, other)
        if states:
            return check_of(facts, node, source, states, positive)
    return None


def _named_states(facts: ModuleFacts, expr: ast.AST | None, _depth: int = 0) -> frozenset[str] | None:
    """States held by constants: `DONE = "SUCCESS"` or `FINISHED = ("SUCCESS", st.FAILURE)`,
    then `r.status == DONE` / `r.status in FINISHED`."""
    if _depth > 3:
        return None
    if isinstance(expr, ast.Name):
        found = facts.lookup(expr.id, facts.scope_of(expr))
        if not found or len(found[1]) != 1 or found[1][0].kind != "assign":
            return state_names(facts, expr)
        value = found[1][0].value
        return state_names(facts, value) or _named_states(facts, value, _depth + 1)
    if isinstance(expr, (ast.Tuple, ast.List, ast.Set)) and expr.elts:
        names: set[str] = set()
        for element in expr.elts:
            sub = state_names(facts, element) or _named_states(facts, element, _depth + 1)
            if not sub:
                return None
            names |= sub
        return frozenset(names)
    return None


def status_source(facts: ModuleFacts, expr: ast.AST | None, _depth: int = 0) -> ast.Attribute | None:
    """The `E.status`/`E.state` an expression reads: itself, `str(...)` of it, or a name
    only ever bound to one of those (with one `E`)."""
    if _depth > 3:
        return None
    if isinstance(expr, ast.Attribute):
        return expr if expr.attr in STATUS_ATTRIBUTES else None
    if (
        isinstance(expr, ast.Call)
        and len(expr.args) == 1
        and not expr.keywords
        and facts.resolve(expr.func) == "builtins.str"
    ):
        return status_source(facts, expr.args[0], _depth + 1)
    if isinstance(expr, ast.NamedExpr):  # `(status := result.status) == ...`
        return status_source(facts, expr.value, _depth + 1)
    if isinstance(expr, ast.Name):
        return status_alias_source(facts, expr, _depth)
    return None


def status_alias_source(facts: ModuleFacts, name: ast.Name, _depth: int = 0) -> ast.Attribute | None:
    """`E.status` when `name` is only ever bound to `E.status`/`E.state` (one `E`)."""
    found = facts.lookup(name.id, facts.scope_of(name))
    if found is None:
        return None
    sources = []
    for binding in found[1]:
        source = None
        if binding.kind == "assign" and not isinstance(binding.value, ast.Name):
            source = status_source(facts, binding.value, _depth + 1)
        if source is None:
            return None
        sources.append(source)
    if sources and len({facts.text(s.value) for s in sources}) == 1:
        return sources[0]
    return None


def _textual_checks(facts: ModuleFacts) -> list[StatusCheck]:
    """Every status check (alias form included) in source order, on whatever object."""
    cache = _cache(facts)
    if "textual" not in cache:
        at = cache.setdefault("check_at", {})  # fetched once: this asks of every Compare and Call
        candidates = facts.select("may be a status check", may_be_status_check, ast.Compare, ast.Call)
        found = [c for n in candidates if (c := _cached_check(facts, at, n)) is not None]
        found.sort(key=lambda c: position_key(c.node))
        cache["textual"] = found
    return cache["textual"]


def _app_import(settings) -> str:
    return getattr(settings, "app_import", "") or ""


def all_checks(facts: ModuleFacts, settings) -> list[StatusCheck]:
    """Every status check on a Celery result (see the module docstring), in source order."""
    return _all_checks(facts, _app_import(settings))


def _all_checks(facts: ModuleFacts, app_import: str) -> list[StatusCheck]:
    cache = _cache(facts)
    key = ("all", app_import)
    if key not in cache:
        cache[key] = [c for c in _textual_checks(facts) if c.result_text in _checked_texts(facts, c.scope, app_import)]
    return cache[key]


def checks_by_node(facts: ModuleFacts, settings) -> dict[int, StatusCheck]:
    """Every status check on a Celery result by `id()` of its node: `check_at` as one dict
    lookup, for walks that ask it of every node (`all_checks` has asked it of every
    Compare and Call, the only nodes that can be checks)."""
    app_import = _app_import(settings)
    cache = _cache(facts)
    key = ("by_node", app_import)
    if key not in cache:
        cache[key] = {id(c.node): c for c in _all_checks(facts, app_import)}
    return cache[key]


def checked_texts(facts: ModuleFacts, scope: Scope, settings) -> set[str]:
    """Texts of the Celery results with a status check in `scope`."""
    return _checked_texts(facts, scope, _app_import(settings))


def _checked_texts(facts: ModuleFacts, scope: Scope, app_import: str) -> set[str]:
    # Worked out per scope: the checks on one result in one scope are judged together, and
    # an editor's keystroke asks this of the few scopes it summarises again.
    cache = _cache(facts)
    by_scope = cache.setdefault(("texts", app_import), {})
    texts = by_scope.get(id(scope))
    if texts is None:
        at = cache.setdefault("check_at", {})
        found = [c for n in scope.nodes if type(n) in CHECK_TYPES and (c := _cached_check(facts, at, n)) is not None]
        found.sort(key=lambda c: position_key(c.node))
        groups: dict[str, list[StatusCheck]] = {}
        for check in found:
            groups.setdefault(check.result_text, []).append(check)
        texts = by_scope[id(scope)] = {
            text for text, checks in groups.items() if _on_celery_result(facts, checks, app_import)
        }
    return texts


# --- Celery results -----------------------------------------------------------------------
def _on_celery_result(facts: ModuleFacts, checks: list[StatusCheck], app_import: str) -> bool:
    """The checks of one result text in one scope are on a Celery result."""
    first = checks[0]
    if _foreign_result(facts, first.result):
        return False  # a pool's or gevent's AsyncResult, whatever the module does
    if in_celery_context(facts, first.node, app_import):
        return True
    if any(type(c.node) is ast.Call for c in checks):
        return True  # `.ready()`, `.successful()`, `.failed()`: the AsyncResult API
    if any(c.states & CELERY_ONLY_STATES for c in checks):
        return True  # `status in ("PENDING", "STARTED")`: no payment or job status says STARTED or REVOKED
    if _unbound_root(facts, first.result):
        return True  # a name bound nowhere (the checklist's snippets): nothing says it is anything else
    if _named_as_a_result(first.result):
        return True  # `def poll(result)`, `task_result`, `self.async_result`: what Celery code calls them
    if any(_is_result(facts, c.result, 0, None) for c in checks):
        return True
    return first.result_text in _api_texts(facts, first.scope)


_RESULT_WORDS = ("result", "task", "celery")


def _named_as_a_result(expr: ast.AST) -> bool:
    """The expression's own name (`x.y.name`) says it is a task's result."""
    name = expr.attr if isinstance(expr, ast.Attribute) else expr.id if isinstance(expr, ast.Name) else ""
    return any(word in name.lower() for word in _RESULT_WORDS)


def _unbound_root(facts: ModuleFacts, expr: ast.AST) -> bool:
    """`result` or `result.child` where `result` is bound nowhere in reach (nor a builtin)."""
    while isinstance(expr, ast.Attribute):
        expr = expr.value
    return (
        isinstance(expr, ast.Name)
        and facts.lookup(expr.id, facts.scope_of(expr)) is None
        and not hasattr(builtins, expr.id)
        and not facts.star_imports
    )


def _api_texts(facts: ModuleFacts, scope: Scope) -> set[str]:
    """Texts of the expressions `scope` uses with the AsyncResult API (one pass per scope),
    also inside the defs and lambdas nested in it where their first name is not bound
    anew (`def explain(): return result.traceback`)."""
    by_scope = _cache(facts).setdefault("api", {})
    found = by_scope.get(id(scope))
    if found is not None:
        return found
    found = by_scope[id(scope)] = set()
    pending: list[tuple[Scope, frozenset[str]]] = [(scope, frozenset())]
    while pending:
        current, shadowed = pending.pop()
        for node in current.nodes:
            if isinstance(node, ast.Attribute):
                if node.attr in API_ATTRIBUTES and not _used_as_result(facts, node):
                    _add_text(facts, found, node.value, shadowed)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                attr = node.func.attr
                if attr in API_METHODS or (attr == "get" and _celery_get(node)):
                    _add_text(facts, found, node.func.value, shadowed)
        pending.extend(
            (child, shadowed | set(child.bindings))
            for child in current.children
            if child.kind in ("function", "lambda")
        )
    return found


def _add_text(facts: ModuleFacts, found: set[str], expr: ast.AST, shadowed: frozenset[str]) -> None:
    root = expr
    while isinstance(root, ast.Attribute):
        root = root.value
    if not (isinstance(root, ast.Name) and root.id in shadowed):
        found.add(facts.text(expr))


def _used_as_result(facts: ModuleFacts, node: ast.Attribute) -> bool:
    parent = facts.parent(node)
    return isinstance(parent, ast.Attribute) and parent.value is node and parent.attr in _RESULT_USES


def _celery_get(call: ast.Call) -> bool:
    """`.get()` shaped like `AsyncResult.get`: no argument, a number or None (the timeout),
    its keywords only (`d.get("key")` is a dict's)."""
    if len(call.args) > 1:
        return False
    if call.args:
        first = call.args[0]
        if not (
            isinstance(first, ast.Constant)
            and (first.value is None or (isinstance(first.value, (int, float)) and not isinstance(first.value, bool)))
        ):
            return False
    return all(kw.arg in GET_KEYWORDS for kw in call.keywords)


def _foreign_result(facts: ModuleFacts, expr: ast.AST) -> bool:
    """A pool's or another library's result: `pool.apply_async(f)`, `executor.submit(f)`,
    `gevent.event.AsyncResult()`, or a name only ever bound to one."""
    if isinstance(expr, ast.Call):
        return _foreign_call(facts, expr)
    if not isinstance(expr, ast.Name):
        return False
    found = facts.lookup(expr.id, facts.scope_of(expr))
    if not found:
        return False
    values = [b.value for b in found[1] if b.kind == "assign"]
    return len(values) == len(found[1]) and all(_foreign_call(facts, v) for v in values)


def _foreign_call(facts: ModuleFacts, value: ast.AST | None) -> bool:
    if not isinstance(value, ast.Call):
        return False
    func = value.func
    if isinstance(func, ast.Attribute) and func.attr in FOREIGN_DISPATCHES and is_process_pool(facts, func.value):
        return True
    qualname = facts.resolve(func)
    return qualname is not None and qualname.startswith(NOT_CELERY)


def is_success_check(check: StatusCheck) -> bool:
    """A check for SUCCESS or a terminal set containing it (`.ready()`, READY_STATES)."""
    return "SUCCESS" in check.states


def handles_failure_check(facts: ModuleFacts, check: StatusCheck) -> bool:
    """A check that handles FAILURE: one that tells it apart from SUCCESS (`== "FAILURE"`,
    `!= "FAILURE"`, `.failed()`, `in EXCEPTION_STATES`) or names it explicitly
    (`in ("SUCCESS", "FAILURE")`); `.ready()` and `in READY_STATES` do not."""
    if "FAILURE" not in check.states:
        return False
    if "SUCCESS" not in check.states:
        return True
    node = check.node
    if not isinstance(node, ast.Compare):
        return False
    for side in (node.left, *node.comparators):
        elements = side.elts if isinstance(side, (ast.Tuple, ast.List, ast.Set)) else [side]
        if any(state_names(facts, e) == frozenset({"FAILURE"}) for e in elements):
            return True
    return False


# --- branch states ------------------------------------------------------------------------
def constraint(facts: ModuleFacts, test: ast.AST, truth: bool, text: str) -> frozenset[str]:
    """States of result `text` possible when `test` evaluates to `truth`."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return constraint(facts, test.operand, not truth, text)
    if isinstance(test, ast.NamedExpr):
        return constraint(facts, test.value, truth, text)
    if isinstance(test, ast.BoolOp):
        parts = [constraint(facts, value, truth, text) for value in test.values]
        every = isinstance(test.op, ast.And) == truth  # `a and b` true / `a or b` false
        out = ALL_STATES if every else frozenset()
        for part in parts:
            out = out & part if every else out | part
        return out
    if isinstance(test, ast.match_case):
        return case_states(facts, test, text) if truth else ALL_STATES
    check = check_at(facts, test)
    if check is None or check.result_text != text:
        return ALL_STATES
    states = check.states if check.positive else ALL_STATES - check.states
    return states if truth else ALL_STATES - states


def check_values(facts: ModuleFacts, check: StatusCheck, want: str, avoid: str) -> list[bool]:
    """The values of the check that leave state `want` possible and rule `avoid` out (as told
    by the check itself: `r.ready()` True, `r.status != "SUCCESS"` False for SUCCESS)."""
    return [
        value
        for value in (True, False)
        if want in (states := constraint(facts, check.node, value, check.result_text)) and avoid not in states
    ]


def case_states(facts: ModuleFacts, case: ast.match_case, text: str) -> frozenset[str]:
    """States of result `text` in which a `case` of `match text.status:` (or of an alias
    of it) runs: its states (`case "SUCCESS":`, `case states.FAILURE | states.REVOKED:`),
    or for a catch-all `case _:` those the unguarded cases before it do not take."""
    match = facts.parent(case)
    if not isinstance(match, ast.Match):
        return ALL_STATES
    source = status_source(facts, match.subject)
    if source is None or facts.text(source.value) != text:
        return ALL_STATES
    taken: set[str] = set()
    for other in match.cases:
        states = pattern_states(facts, other.pattern)
        if other is case:
            if states is not None:
                return states
            return ALL_STATES - taken if _catches_all(other.pattern) else ALL_STATES
        if states is not None and other.guard is None:
            taken |= states
    return ALL_STATES


def pattern_states(facts: ModuleFacts, pattern: ast.AST) -> frozenset[str] | None:
    """The states a `case` pattern matches, or None when it is not made of states."""
    if isinstance(pattern, ast.MatchValue):
        return state_names(facts, pattern.value)
    if isinstance(pattern, ast.MatchOr) and pattern.patterns:
        names: set[str] = set()
        for sub in pattern.patterns:
            states = pattern_states(facts, sub)
            if states is None:
                return None
            names |= states
        return frozenset(names)
    if isinstance(pattern, ast.MatchAs) and pattern.pattern is not None:  # `case "SUCCESS" as s:`
        return pattern_states(facts, pattern.pattern)
    return None


def _catches_all(pattern: ast.AST) -> bool:
    return isinstance(pattern, ast.MatchAs) and pattern.pattern is None  # `case _:` / `case other:`


def states_at(facts: ModuleFacts, node: ast.AST, text: str, *, temporal: bool = False) -> frozenset[str]:
    """States result `text` may be in when `node` runs, within `node`'s own scope.

    The tests around `node` and the early exits before it are observations made in
    order. On the path they describe (`temporal=False`) the states are their
    intersection. A result moves on while the code runs, though: with `temporal=True`
    an observation that still allowed PENDING/STARTED says nothing about later, which
    is what "can this `.get()` still block?" needs (after `if r.ready(): return` and
    `if not r.successful(): return`, the result is SUCCESS).
    """
    scope = facts.scope_of(node)
    later_first: list[tuple[ast.AST, bool]] = []  # (test, truth), innermost (latest) first
    child = node
    for parent in facts.ancestors(node):
        if isinstance(child, ast.stmt):
            later_first.extend(reversed(_guards_before(parent, child)))
        if parent is scope.node or isinstance(parent, SCOPE_NODES):
            break
        if isinstance(parent, (ast.If, ast.While, ast.IfExp)):
            if _within(child, parent.body):
                later_first.append((parent.test, True))
            elif _within(child, parent.orelse):
                later_first.append((parent.test, False))
        elif isinstance(parent, ast.BoolOp):
            before = []
            for value in parent.values:
                if value is child:
                    break
                before.append((value, isinstance(parent.op, ast.And)))
            later_first.extend(reversed(before))
        elif isinstance(parent, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)) and not (
            parent.generators and child is parent.generators[0]
        ):
            for generator in parent.generators:  # `[r.get() for r in rs if r.ready()]`
                later_first.extend((condition, True) for condition in generator.ifs)
        elif isinstance(parent, ast.match_case) and _within(child, parent.body):
            later_first.append((parent, True))  # `case "SUCCESS": return r.get()`
        child = parent
    allowed = ALL_STATES
    for test, truth in reversed(later_first):
        if temporal:
            allowed = _moves_on(allowed)
        allowed &= constraint(facts, test, truth, text)
    return _moves_on(allowed) if temporal else allowed


def _moves_on(states: frozenset[str]) -> frozenset[str]:
    """What a result seen in `states` may be in later: anything, unless it had finished."""
    return ALL_STATES if states & BLOCKING_STATES else states


def _within(child: ast.AST, branch) -> bool:
    if isinstance(branch, list):
        return child in branch  # `ast` nodes compare by identity
    return branch is child


def _guards_before(parent: ast.AST, stmt: ast.stmt) -> list[tuple[ast.AST, bool]]:
    """What the statements before `stmt` in its block tell, in order:
    `if not r.ready(): return` (then not that), `if r.ready(): ... else: continue`,
    `assert r.successful()`."""
    block = block_of(parent, stmt)
    if block is None:
        return []
    found: list[tuple[ast.AST, bool]] = []
    for sibling in block:
        if sibling is stmt:
            break
        if isinstance(sibling, ast.If):
            body_exits = always_exits(sibling.body)
            else_exits = bool(sibling.orelse) and always_exits(sibling.orelse)
            if body_exits and not else_exits:
                found.append((sibling.test, False))
            elif else_exits and not body_exits:
                found.append((sibling.test, True))
        elif isinstance(sibling, ast.Assert):
            found.append((sibling.test, True))
    return found


def is_ready_only(states: frozenset[str]) -> bool:
    """A branch where a wait cannot block: no PENDING/STARTED, some ready state."""
    return bool(states & READY) and not states & BLOCKING_STATES


def is_failure_only(states: frozenset[str]) -> bool:
    """A branch taken on FAILURE (and maybe other failure-like states) only."""
    return "FAILURE" in states and states <= FAILURE_LIKE


# --- result expressions -------------------------------------------------------------------
# Values that are never a Celery result, whatever their methods are called.
_LITERALS = frozenset({ast.Constant, ast.JoinedStr, ast.List, ast.Tuple, ast.Dict, ast.Set, *COMPREHENSION_NODES})


def is_result(facts: ModuleFacts, expr: ast.AST, settings) -> bool:
    """`expr` evaluates to a Celery result (see the module docstring)."""
    return _is_result(facts, expr, 0, _app_import(settings))


def _is_result(facts: ModuleFacts, expr: ast.AST, depth: int, checks: str | None) -> bool:
    """`checks` is the app import to qualify status checks with, or None to leave status
    checks out (when deciding whether they are on a Celery result at all)."""
    if depth > 6 or type(expr) in _LITERALS:
        return False  # (`", ".join(...)`, `{...}.get(...)`: no scope's status checks worked out)
    if checks is not None and facts.text(expr) in _checked_texts(facts, facts.scope_of(expr), checks):
        return True
    if isinstance(expr, ast.Await):
        return False
    if isinstance(expr, ast.Call):
        return _is_result_call(facts, expr, depth, checks)
    if isinstance(expr, ast.Name):
        return _name_is_result(facts, expr, depth, checks)
    if isinstance(expr, ast.Subscript):
        return _is_result_collection(facts, expr.value, depth + 1, checks)
    if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name):
        # `self.result` after `self.result = task.delay()` in a method of the same class
        return any(
            (annotation is not None and _names_result_class(facts, annotation))
            or (value is not None and _is_result(facts, value, depth + 1, checks))
            for value, annotation in attribute_assignments(facts, expr)
        )
    return False


def _is_result_call(facts: ModuleFacts, call: ast.Call, depth: int, checks: str | None) -> bool:
    func = call.func
    if isinstance(func, ast.Attribute):
        if func.attr in SEND_METHODS:
            return not is_process_pool(facts, func.value)
        if func.attr == "restore" and _names_result_class(facts, func.value):
            return True
    if _names_result_class(facts, func):  # AsyncResult(id), app.AsyncResult(id), GroupResult(...)
        return True
    # calling a canvas object: group(...)(), chord(header)(callback), g() for g = group(...)
    if canvas_kind(facts, func) in ("group", "chord", "chain"):
        return True
    if isinstance(func, ast.Name):
        found = facts.lookup(func.id, facts.scope_of(func))
        if found and all(
            b.kind == "assign" and canvas_kind(facts, b.value) in ("group", "chord", "chain") for b in found[1]
        ):
            return True
    return False


def _names_result_class(facts: ModuleFacts, expr: ast.AST) -> bool:
    """`AsyncResult`, `celery.result.GroupResult`, `app.GroupResult`... (not multiprocessing's)."""
    if isinstance(expr, ast.Attribute) and expr.attr in RESULT_CLASS_NAMES:
        qualname = facts.resolve(expr)
        return not (qualname and qualname.startswith(NOT_CELERY))
    if isinstance(expr, ast.Name):
        qualname = facts.resolve(expr)
        if qualname is None or qualname.startswith(NOT_CELERY):
            return False
        return qualname.rsplit(".", 1)[-1] in RESULT_CLASS_NAMES
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):  # string annotation
        return expr.value.rsplit(".", 1)[-1] in RESULT_CLASS_NAMES
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.BitOr):  # `AsyncResult | None`
        return _names_result_class(facts, expr.left) or _names_result_class(facts, expr.right)
    if isinstance(expr, ast.Subscript):  # Optional[AsyncResult]
        return _names_result_class(facts, expr.slice)
    return False


def _is_result_collection(facts: ModuleFacts, expr: ast.AST | None, depth: int, checks: str | None) -> bool:
    """A list of results: `group_result.results`, `[t.delay(x) for x in xs]`, a name bound to one."""
    if depth > 6:
        return False
    if isinstance(expr, ast.Attribute) and expr.attr in CHILD_COLLECTIONS:
        return _is_result(facts, expr.value, depth + 1, checks)
    if isinstance(expr, (ast.List, ast.Tuple)):
        return bool(expr.elts) and all(_is_result(facts, e, depth + 1, checks) for e in expr.elts)
    if isinstance(expr, (ast.ListComp, ast.GeneratorExp)):
        return _is_result(facts, expr.elt, depth + 1, checks)
    if isinstance(expr, ast.Name):
        found = facts.lookup(expr.id, facts.scope_of(expr))
        return found is not None and any(
            b.kind == "assign" and _is_result_collection(facts, b.value, depth + 1, checks) for b in found[1]
        )
    return False


def _name_is_result(facts: ModuleFacts, name: ast.Name, depth: int, checks: str | None) -> bool:
    scope = facts.scope_of(name)
    found = facts.lookup(name.id, scope)
    if found is None:
        return False
    where, bindings = found
    if where is scope:
        # Flow-lite: the last binding before the use decides (`r = r.get(timeout=1)` ends
        # it being a result); `x = None` placeholders are skipped.
        before = [b for b in bindings if _position(b.node) < _position(name) and not _is_none_assign(b)]
        if before:
            bindings = [before[-1]]
    return any(_binding_is_result(facts, b, depth, checks) for b in bindings)


def _position(node: ast.AST) -> tuple[int, int]:
    return (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))


def _is_none_assign(binding) -> bool:
    return binding.kind == "assign" and isinstance(binding.value, ast.Constant) and binding.value.value is None


def _binding_is_result(facts: ModuleFacts, binding, depth: int, checks: str | None) -> bool:
    node = binding.node
    if binding.kind == "assign":
        parent = facts.parent(node)
        if isinstance(parent, ast.AnnAssign) and _names_result_class(facts, parent.annotation):
            return True
        return _is_result(facts, binding.value, depth + 1, checks)
    if binding.kind == "param":
        return node.annotation is not None and _names_result_class(facts, node.annotation)
    if binding.kind == "other":
        parent = facts.parent(node)
        if isinstance(parent, ast.AnnAssign):
            return _names_result_class(facts, parent.annotation)
        if isinstance(parent, (ast.For, ast.AsyncFor, ast.comprehension)) and parent.target is node:
            return _is_result_collection(facts, parent.iter, depth + 1, checks)
    return False


def is_simple_reference(expr: ast.AST) -> bool:
    """A name or a dotted attribute chain on a name (`result`, `self.result`)."""
    while isinstance(expr, ast.Attribute):
        expr = expr.value
    return isinstance(expr, ast.Name)


# --- a result's error details ---------------------------------------------------------------
# After a failure `.result`/`.info` hold the task's exception and `.traceback` the worker's
# traceback; the waits re-raise the exception (unless `propagate=False`), so do these methods.
ERROR_ATTRIBUTES = frozenset({"result", "info"})
PROPAGATING_WAITS = frozenset({"get", "wait", "join", "join_native"})
RAISING_METHODS = frozenset({"maybe_throw", "maybe_reraise"})
RERAISING_METHODS = PROPAGATING_WAITS | RAISING_METHODS


def calls_method(facts: ModuleFacts, node: ast.AST | None, text: str, methods: frozenset[str]) -> bool:
    """`node` is `text.method(...)` for one of `methods`."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in methods
        and facts.text(node.func.value) == text
    )


def reads_error(facts: ModuleFacts, node: ast.AST, text: str) -> bool:
    """`text.result` or `text.info`: the task's exception, after a failure."""
    return isinstance(node, ast.Attribute) and node.attr in ERROR_ATTRIBUTES and facts.text(node.value) == text


def reads_traceback(facts: ModuleFacts, node: ast.AST, text: str, *, asking: bool = False) -> bool:
    """`text.traceback` or `getattr(text, "traceback"...)`; with `asking`, also
    `hasattr(text, "traceback")`, which asks whether there is one."""
    if isinstance(node, ast.Attribute):
        return node.attr == "traceback" and facts.text(node.value) == text
    if not (isinstance(node, ast.Call) and len(node.args) > 1):
        return False
    name = node.args[1]
    if not (isinstance(name, ast.Constant) and name.value == "traceback" and facts.text(node.args[0]) == text):
        return False
    return facts.resolve(node.func) in (("builtins.getattr", "builtins.hasattr") if asking else ("builtins.getattr",))


def holds_error(facts: ModuleFacts, expr: ast.AST | None, text: str) -> bool:
    """`text.result`/`text.info`, or a name bound to them or to `text.get(...)`: what holds
    the task's exception after a failure (what `isinstance(..., Exception)` inspects)."""
    if isinstance(expr, ast.Attribute):
        return reads_error(facts, expr, text)
    if isinstance(expr, ast.Name):
        found = facts.lookup(expr.id, facts.scope_of(expr))
        return found is not None and any(
            b.kind == "assign"
            and (holds_error(facts, b.value, text) or calls_method(facts, b.value, text, PROPAGATING_WAITS))
            for b in found[1]
        )
    return False
