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
(`self.job = group(sigs)` in `__init__`, `self.job.apply_async()` in `run`).

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

Not flagged: a group whose results the same scope waits for and hands out nowhere
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
gets no fix, since the tasks would be sent before the manifest is written). `import uuid` is added unless `uuid` or `uuid4` is
already imported. The app is the module's `Celery(...)` binding or app import (any
alias), else the configured `app-import`, added when its name is free. The stored id is
not returned: wire it up where callers need it. No fix when the dispatch shares its line
with another statement, or when no Celery app or `uuid` name can be used without
clashing with an existing binding.
"""

from __future__ import annotations

import ast
import itertools

from ..analysis.app_config import celery_app_name
from ..analysis.celery import canvas_kind
from ..analysis.facts import own_nodes
from ..analysis.names import free_name, numbered
from ..fixes.text import alone_on_lines
from ..ftypes import FixSafety, Severity
from .base import Rule

# Signature methods that return the same (or a copied) group, still a group when dispatched
# (`on_error` links the errback and returns the group itself, unlike `link_error`).
_SAME_SIGNATURE = ("set", "clone", "skew", "on_error")
_CHILD_ATTRS = ("results", "children")


class GroupMetadataNotStored(Rule):
    code = "CEL005"
    name = "group-metadata-not-stored"
    message = "dispatched `group` without storing its children ids via `backend.store_result()`"
    severity = Severity.MEDIUM
    fix_safety = FixSafety.UNSAFE
    fix_title = "Store the group's children ids with `app.backend.store_result(...)`"
    triggers = ("group",)

    # --- detection --------------------------------------------------------------------------
    def check(self, facts, settings):
        dispatches = [call for call in facts.nodes(ast.Call) if _is_group_dispatch(facts, call)]
        by_scope: dict[object, list] = {}
        for call in dispatches:
            by_scope.setdefault(facts.scope_of(call), []).append(call)
        reserved: dict[object, set[str]] = {}
        for call in dispatches:
            scope = facts.scope_of(call)
            target = _result_target(facts, call)
            keys = {k for c in by_scope[scope] for k in [_result_target(facts, c)] if k}
            if _stored(facts, scope, call, target, keys) or _waited_on_here(facts, scope, call):
                continue
            where = f"`{scope.name}`" if scope.kind != "module" else "module scope"
            # Names chosen for earlier dispatches of this scope are taken too: fixes of one
            # round are applied together.
            plan, reason = _plan(facts, settings, call, scope, reserved.setdefault(scope, set()))
            yield self.finding(
                facts,
                call,
                f"`group` dispatched in {where} without storing its children ids via `app.backend.store_result()`",
                no_fix_reason=reason,
                **plan,
            )

    # --- fix ----------------------------------------------------------------------------
    def fix(self, ctx, finding):
        # libcst is imported here, not at the top: a plain check must not load it (and
        # `import libcst` at module level defeats the registry's lazy loading on 3.11).
        import libcst as cst

        from ..fixes.legacy import add_imports

        call = ctx.node_at(finding.range, cst.Call)
        if call is None:
            return None
        parents = ctx.parent_map()
        stmt = parents.get(call)
        while stmt is not None and not isinstance(stmt, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
            stmt = parents.get(stmt)
        if stmt is None or not isinstance(parents.get(stmt), (cst.IndentedBlock, cst.Module)):
            return None
        if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) != 1:
            return None
        module = ctx.module
        kind, result = finding.detail("kind"), finding.detail("result")
        small = stmt.body[0] if isinstance(stmt, cst.SimpleStatementLine) else None

        def bind(line):  # `result = <dispatch>` on the line of `line`
            assign = cst.Assign(targets=[cst.AssignTarget(cst.Name(result))], value=call)
            return cst.SimpleStatementLine(
                body=[assign],
                leading_lines=line.leading_lines,
                trailing_whitespace=line.trailing_whitespace
                if isinstance(line, cst.SimpleStatementLine)
                else cst.TrailingWhitespace(),
            )

        if kind == "assign":
            if not isinstance(small, (cst.Assign, cst.AnnAssign)) or small.value is not call:
                return None
            before, after = [stmt], []
        elif kind == "expr":
            if not (isinstance(small, cst.Expr) and small.value is call):
                return None
            before, after = [bind(stmt)], []
        elif kind == "hoist":
            rest = stmt.deep_replace(call, cst.Name(result)).with_changes(leading_lines=[])
            before, after = [bind(cst.SimpleStatementLine(body=[], leading_lines=stmt.leading_lines))], [rest]
        else:
            return None
        new_module = ctx.replace({stmt: cst.FlattenSentinel([*before, *self._store(finding, module), *after])})
        imports = [("uuid", None, None)] if finding.detail("add_uuid") else []
        app_import = finding.detail("app_import")
        if app_import:
            node = ast.parse(app_import).body[0]
            alias = node.names[0]
            if isinstance(node, ast.ImportFrom):
                imports.append((node.module, alias.name, alias.asname))
            else:
                imports.append((alias.name, None, alias.asname))
        if imports:
            new_module = add_imports(new_module, imports)
        return new_module

    @staticmethod
    def _store(finding, module):
        """`task_id = str(uuid.uuid4())` and the `store_result` call, in the module's style."""
        import libcst as cst

        nl, step = module.default_newline, module.default_indent
        app, task_id, child = finding.detail("app"), finding.detail("task_id"), finding.detail("child")
        result = finding.detail("result")
        config = module.config_for_parsing
        # One argument per line; libcst adds the block's indentation to continuation lines.
        return [
            cst.parse_statement(f"{task_id} = str({finding.detail('uuid_call')}){nl}", config=config),
            cst.parse_statement(
                f"{app}.backend.store_result({nl}"
                f"{step}{task_id},{nl}"
                f'{step}{{"type": "group", "children": [{child}.id for {child} in {result}.results]}},{nl}'
                f'{step}"PENDING",{nl}'
                f"){nl}",
                config=config,
            ),
        ]


# --- recognising a group dispatch ------------------------------------------------------------
def _is_group(facts, expr: ast.AST, depth: int = 0) -> bool:
    """`expr` evaluates to a Celery group signature built in this module."""
    if depth > 4:
        return False
    if isinstance(expr, ast.NamedExpr):
        return _is_group(facts, expr.value, depth + 1)
    if isinstance(expr, ast.Call):
        if canvas_kind(facts, expr) == "group":
            return True
        if facts.resolve(expr.func) == "builtins.group" and any(
            m in ("celery", "celery.canvas") for m in facts.star_imports
        ):
            return True
        func = expr.func  # `group(sigs).set(queue="rag")` is still the group
        if isinstance(func, ast.Attribute) and func.attr in _SAME_SIGNATURE:
            return _is_group(facts, func.value, depth + 1)
        return False
    if isinstance(expr, ast.Name):
        found = facts.lookup(expr.id, facts.scope_of(expr))
        if not found:
            return False
        values = [b.value for b in found[1] if b.kind == "assign" and b.value is not None]
        return bool(values) and len(values) == len(found[1]) and all(_is_group(facts, v, depth + 1) for v in values)
    if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name) and expr.value.id in ("self", "cls"):
        values = _instance_attribute_values(facts, expr)  # `self.job = group(sigs)` in `__init__`
        return bool(values) and all(_is_group(facts, v, depth + 1) for v in values)
    return False


def _instance_attribute_values(facts, attribute: ast.Attribute) -> list | None:
    """What `self.<name>` is assigned in the methods of the enclosing class, or None when it
    is also bound some other way (`self.job += ...`, a tuple target, a `for` target)."""
    owner = next((a for a in facts.ancestors(attribute) if isinstance(a, ast.ClassDef)), None)
    if owner is None:
        return None
    by_class = facts.memo("CEL005.self_assignments", dict)
    if owner not in by_class:
        by_class[owner] = _self_assignments(owner)
    return by_class[owner].get((attribute.value.id, attribute.attr))


def _self_assignments(owner: ast.ClassDef) -> dict:
    """`(self, name) -> [values]` for every `self.name = value` in the class; None for a
    name also stored any other way."""
    values: dict = {}
    assigned = set()
    stores = []
    for node in ast.walk(owner):
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if len(targets) == 1 and isinstance(targets[0], ast.Attribute):
                assigned.add(targets[0])
                stores.append((targets[0], node.value))
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, (ast.Store, ast.Del)):
            stores.append((node, None))
    for target, value in stores:
        if not isinstance(target.value, ast.Name) or (value is None and target in assigned):
            continue
        key = (target.value.id, target.attr)
        if value is None:
            values[key] = None
        elif values.get(key, []) is not None:
            values.setdefault(key, []).append(value)
    return values


def _is_group_dispatch(facts, call: ast.Call) -> bool:
    """`call` dispatches a group: `G.apply_async()`, `G.delay()` or `G()`."""
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in ("apply_async", "delay"):
        return _is_group(facts, func.value)
    # `group(sigs)` itself calls the constructor (a Name bound by import), not a group object.
    return isinstance(func, (ast.Call, ast.Name, ast.NamedExpr)) and _is_group(facts, func)


def _result_target(facts, call: ast.Call) -> str | None:
    """Text of what the dispatch's GroupResult is bound to (`group_result`, `self.result`)."""
    parent = facts.parent(call)
    if isinstance(parent, ast.Assign) and len(parent.targets) == 1 and parent.value is call:
        target = parent.targets[0]
    elif isinstance(parent, (ast.AnnAssign, ast.NamedExpr)) and parent.value is call:
        target = parent.target
    else:
        return None
    if isinstance(target, (ast.Name, ast.Attribute)):
        return facts.text(target)
    return None


# --- is the metadata stored? ------------------------------------------------------------------
def _stored(facts, scope, dispatch, target, keys) -> bool:
    for node in scope.walk_own(ast.Call):
        func = node.func
        if not isinstance(func, ast.Attribute):
            if isinstance(func, ast.Name) and _helper_persists(facts, node, target, scope):
                return True
            continue
        if func.attr == "store_result" and _is_backend(facts, func.value, scope):
            metadata = _metadata_argument(node)
            if metadata is None:
                continue
            mentions, refs = _mentions_children(facts, scope, metadata)
            # a store that reads another dispatch's result (`r1.results`) does not cover this one
            if mentions and ((target is not None and target in refs) or not (refs & keys)):
                return True
        elif func.attr == "save_group" and _is_backend(facts, func.value, scope):
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


# Waiting for a group's results: the caller blocks until the batch is done and hands no id out.
_WAITS = ("get", "join", "join_native")


def _waited_on_here(facts, scope, dispatch) -> bool:
    """The group's result is waited for in this scope and goes nowhere else:
    `group(sigs).apply_async().get(timeout=60)`, or `job = group(sigs).delay()` whose every
    use is `job.<attribute>`, one of them `job.get(...)`/`job.join(...)` and none `job.id`."""
    parent = facts.parent(dispatch)
    if isinstance(parent, ast.Attribute) and parent.value is dispatch:
        return (
            parent.attr in _WAITS and isinstance(facts.parent(parent), ast.Call) and facts.parent(parent).func is parent
        )
    if not (isinstance(parent, ast.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0], ast.Name)):
        return False
    name = parent.targets[0].id
    if len(scope.bindings.get(name, ())) != 1:
        return False
    waited = False
    for node in scope.walk_own(ast.Name):
        if node.id != name or node is parent.targets[0]:
            continue
        use = facts.parent(node)
        if not (isinstance(use, ast.Attribute) and use.value is node) or use.attr in ("id", "save"):
            return False  # returned, stored, handed on, or its id read: it outlives this call
        call = facts.parent(use)
        waited |= use.attr in _WAITS and isinstance(call, ast.Call) and call.func is use
    # a nested function reading the name keeps the result alive after this scope returns
    return waited and not any(name in _reads(child) for child in scope.children)


def _reads(scope) -> set:
    return {n.id for n in ast.walk(scope.node) if isinstance(n, ast.Name)}


def _is_backend(facts, expr: ast.AST, scope) -> bool:
    """`<anything>.backend`, or a name bound to one (`backend = app.backend`)."""
    if isinstance(expr, ast.Attribute):
        return expr.attr == "backend"
    if isinstance(expr, ast.Name):
        found = facts.lookup(expr.id, scope)
        if found:
            return any(
                b.kind == "assign" and isinstance(b.value, ast.Attribute) and b.value.attr == "backend"
                for b in found[1]
            )
    return False


def _metadata_argument(call: ast.Call) -> ast.AST | None:
    # Backend.store_result(task_id, result, state, traceback=None, request=None, **kwargs)
    if len(call.args) >= 2 and not any(isinstance(a, ast.Starred) for a in call.args[:2]):
        return call.args[1]
    for keyword in call.keywords:
        if keyword.arg in ("result", "meta", "metadata"):
            return keyword.value
    return None


def _mentions_children(facts, scope, expr, depth: int = 0, seen=None) -> tuple[bool, set[str]]:
    """Does `expr` (following names bound in scope) carry children ids? And of which results."""
    seen = seen if seen is not None else set()
    mentions = False
    refs: set[str] = set()
    for node in ast.walk(expr):
        if isinstance(node, ast.Attribute) and node.attr in _CHILD_ATTRS:
            refs.add(facts.text(node.value))
            if not _only_counted(facts, node):
                mentions = True
        elif isinstance(node, ast.Dict):
            if any(
                isinstance(k, ast.Constant)
                and isinstance(k.value, str)
                and "child" in k.value.lower()
                and _may_hold_ids(v)
                for k, v in zip(node.keys, node.values)
            ):
                mentions = True
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
    if isinstance(value, ast.Dict):
        return bool(value.keys)
    return True


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
    if found:
        for binding in found[1]:
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
    """A call of a module function (or `self` method) that stores group metadata itself."""
    func = call.func
    definition = None
    if isinstance(func, ast.Name):
        found = facts.lookup(func.id, scope)
        if found and len(found[1]) == 1 and found[1][0].kind == "def":
            definition = found[1][0].node
        # A plain function must be handed the result (or its children) to store them.
        handed = any(
            (target is not None and facts.text(n) == target)
            or (isinstance(n, ast.Attribute) and n.attr in _CHILD_ATTRS)
            for arg in [*call.args, *(k.value for k in call.keywords)]
            for n in ast.walk(arg)
        )
        if not handed:
            return False
    elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        for ancestor in facts.ancestors(call):
            if isinstance(ancestor, ast.ClassDef):
                for stmt in ancestor.body:
                    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name == func.attr:
                        definition = stmt
                break
    if definition is None or definition is scope.node:
        return False
    for node in own_nodes(definition):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("store_result", "save_group")
        ):
            return True
    return False


# --- planning the fix ---------------------------------------------------------------------
def _plan(facts, settings, call, scope, reserved: set[str]):
    """Details the fixer needs, or a reason why this case gets no fix."""
    parent = facts.parent(call)
    target = _result_target(facts, call)
    if isinstance(parent, (ast.Assign, ast.AnnAssign)) and target is not None and parent.value is call:
        kind, stmt = "assign", parent
    elif isinstance(parent, ast.Expr):
        kind, stmt = "expr", parent
    else:
        # `return group(s).apply_async().id`, `for c in group(s)().results:`: bind the
        # dispatch to a name just before the statement and use the name in it.
        stmt = _hoist_statement(facts, call)
        if stmt is None:
            return {}, (
                "the dispatch runs conditionally, repeatedly or after other work inside its statement; "
                "bind it to a name first"
            )
        kind = "hoist"
    if facts.scope_of(stmt) is not scope:
        return {}, "the dispatch is not in a statement of its own scope"
    if not alone_on_lines(facts, stmt):
        return {}, "the dispatch shares its line with another statement"
    app, extra = celery_app_name(facts, settings, scope, allow_add=True)
    if app is None:
        return {}, extra
    uuid_call, add_uuid = _uuid_call(facts, scope)
    if uuid_call is None:
        return {}, "`uuid` is bound to something else here"
    result = target if kind == "assign" else _fresh(facts, scope, "group_result", reserved)
    plan = {
        "kind": kind,
        "result": result,
        "app": app,
        "app_import": extra or "",
        "uuid_call": uuid_call,
        "add_uuid": add_uuid,
        "task_id": _fresh(facts, scope, "group_task_id", reserved | {result}),
        # a comprehension variable: it only has to differ from what the comprehension reads
        "child": next(n for n in itertools.chain(["child"], numbered("child", 1)) if n not in {result, app}),
    }
    reserved.update((result, plan["task_id"]))
    return plan, None


def _fresh(facts, scope, base: str, taken: set[str]) -> str:
    return free_name(facts, scope, itertools.chain([base], numbered(base, 1)), taken)


# The part of a statement it evaluates exactly once, before running anything else.
_ONCE_FIELDS = {
    ast.Return: "value",
    ast.Assign: "value",
    ast.AnnAssign: "value",
    ast.AugAssign: "value",
    ast.Expr: "value",
    ast.If: "test",
    ast.For: "iter",
    ast.AsyncFor: "iter",
}
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _hoist_statement(facts, call):
    """The statement that evaluates `call` exactly once, unconditionally and first, or None.

    Moving the dispatch in front of it then keeps it running once and in the same order:
    not inside a lambda, the lazy parts of a comprehension, `x if c else y`, `a or b`, or a
    chained comparison, and not after anything that may have an effect
    (`return db.save(paths), group(s).apply_async().id`, `log(prepare(s), group(s).delay())`).
    """
    child, node = call, facts.parent(call)
    while not isinstance(node, ast.stmt):
        if node is None or isinstance(node, ast.Lambda):
            return None
        lazy = (
            (isinstance(node, _COMPREHENSIONS) and child is not node.generators[0])
            or (isinstance(node, ast.comprehension) and child is not node.iter)
            or (isinstance(node, ast.IfExp) and child is not node.test)
            or (isinstance(node, ast.BoolOp) and child is not node.values[0])
            or (isinstance(node, ast.Compare) and child not in (node.left, node.comparators[0]))
            or (isinstance(node, ast.withitem) and child is not node.context_expr)
        )
        if lazy or not all(_inert(e) for e in _evaluated_before(node, child)):
            return None
        child, node = node, facts.parent(node)
    if isinstance(node, (ast.With, ast.AsyncWith)):
        return node if node.items[0] is child else None
    if getattr(node, _ONCE_FIELDS.get(type(node), "-"), None) is not child:
        return None
    if isinstance(node, ast.AugAssign) and not _inert(node.target):
        return None  # `self.ids[key()] += ...` reads its target first
    if isinstance(node, ast.If):
        start = facts.range(node).start
        if facts.index.line_text(start.line)[start.column :].startswith("elif"):
            return None  # no place for a statement in front of an `elif` test
    return node


def _evaluated_before(node, child) -> list:
    """The parts of expression `node` that Python evaluates before its part `child`."""
    if isinstance(node, ast.Dict):  # keys and values alternate: k1, v1, k2, v2
        order = [part for pair in zip(node.keys, node.values) for part in pair if part is not None]
    elif isinstance(node, ast.Call):
        order = [node.func, *sorted([*node.args, *node.keywords], key=lambda n: (n.lineno, n.col_offset))]
    else:
        order = list(ast.iter_child_nodes(node))
    before = []
    for part in order:
        if part is child:
            return before
        before.append(part)
    return []


def _inert(expr) -> bool:
    """Evaluating `expr` has no effect a dispatch could be reordered with: a constant, a
    name, an attribute of one, or a container or keyword of those."""
    if isinstance(expr, ast.keyword):
        return _inert(expr.value)
    if isinstance(expr, (ast.Constant, ast.Name, ast.expr_context, ast.operator, ast.cmpop, ast.unaryop)):
        return True
    if isinstance(expr, (ast.Attribute, ast.Starred)):
        return _inert(expr.value)
    if isinstance(expr, (ast.Tuple, ast.List, ast.Set)):
        return all(_inert(e) for e in expr.elts)
    return False


def _uuid_imports(facts) -> list[str]:
    """Module-level names bound only by imports of `uuid` or `uuid.uuid4` (the candidates
    there; the other module-level names cannot reach them)."""
    return [
        name
        for name, bindings in facts.module_scope.bindings.items()
        if all(b.kind == "import" for b in bindings) and {b.qualname for b in bindings} <= {"uuid", "uuid.uuid4"}
    ]


def _uuid_call(facts, scope) -> tuple[str | None, bool]:
    """How to make a fresh id here: an existing `uuid` / `uuid4` import, else add `import uuid`."""
    visible = set(facts.memo("CEL005.uuid_imports", lambda: _uuid_imports(facts)))
    current = scope
    while current is not None and current is not facts.module_scope:
        visible.update(current.bindings)
        current = current.parent
    for name in sorted(visible):
        found = facts.lookup(name, scope)
        if not found or not all(b.kind == "import" for b in found[1]):
            continue
        quals = {b.qualname for b in found[1]}
        if quals == {"uuid"}:
            return f"{name}.uuid4()", False
        if quals == {"uuid.uuid4"}:
            return f"{name}()", False
    if facts.lookup("uuid", scope) is not None:
        return None, False
    return "uuid.uuid4()", True
