"""CEL002 blocking-sleep-in-async: `time.sleep()` called inside an `async def`.

## What it does
Flags a call of `time.sleep(...)` anywhere in the body of an `async def`, through any
import alias (`import time as t`, `from time import sleep as nap`, `nap = time.sleep`),
including inside `if`/`for`/`while`/`with`/`try` blocks and comprehensions. A nested
`def`, `lambda` or `class` is its own scope and is not flagged; nor is a local name or
parameter that merely shadows the `time` module, nor `time.sleep` passed uncalled (to
`asyncio.to_thread` or `run_in_executor`, which is the right way to block).

## Why is this bad?
`time.sleep` blocks the whole event loop: while a FastAPI handler sleeps between two
polls of a Celery result, no other request on that worker is served. `asyncio.sleep`
suspends only the current coroutine.

## Example
```python
import time

async def wait_for(result, poll_interval: float = 2.0):
    while not result.ready():
        time.sleep(poll_interval)
```

## Use instead
```python
import asyncio

async def wait_for(result, poll_interval: float = 2.0):
    while not result.ready():
        await asyncio.sleep(poll_interval)
```

## Fix safety
Safe. The call becomes `await asyncio.sleep(...)` with the same arguments, through a name
that refers to the `asyncio` module at the call: an existing module-level `import asyncio
[as aio]` that no parameter, local, comprehension variable or `global`/`nonlocal` statement
hides or rebinds there; else `import asyncio` is added, or `import asyncio as aio` (then
`as asyncio_module`) when `asyncio` means something else at the call. A module-level
`from time import sleep` left unused is removed (by a fix-all too, once all the calls that
used it are fixed; an import nothing used before is left alone); a comment on its line or
inside its parentheses (`sleep,  # why`) is kept, on a line of its own where the name was. The
coroutine waits as long as before; the only change is that other tasks may run
meanwhile, which is the point. No fix is offered inside a generator expression, where
`await` would turn it into an async generator, nor when all three names are taken.
"""

from __future__ import annotations

import ast

from ..fixes.imports import add_import, remove_name
from ..fixes.lazy import cst
from ..ftypes import FixSafety, Severity
from .base import Rule

_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
# Names tried, in order, for a new `import asyncio [as name]` when no existing one can be used.
_ASYNCIO_NAMES = ("asyncio", "aio", "asyncio_module")


class BlockingSleepInAsync(Rule):
    code = "CEL002"
    name = "blocking-sleep-in-async"
    message = "`time.sleep()` blocks the event loop in an async function; use `await asyncio.sleep()`"
    severity = Severity.HIGH
    fix_safety = FixSafety.SAFE
    fix_title = "Replace with `await asyncio.sleep(...)`"
    triggers = ("sleep",)
    local = True
    legacy_fix = False

    def check(self, facts, settings):
        for call in facts.nodes(ast.Call):
            scope = facts.scope_of(call)
            if not (scope.kind == "function" and scope.is_async):
                continue
            if facts.resolve(call.func) != "time.sleep":
                continue
            between = list(_ancestors_within(facts, call, scope.node))
            if any(isinstance(a, ast.GeneratorExp) for a in between):
                reason = "an `await` here would turn the generator expression into an async generator"
            else:
                reason = _asyncio_plan(facts, scope, _comprehension_targets(between))[1]
            yield self.finding(
                facts,
                call,
                f"`time.sleep()` blocks the event loop in `async def {scope.name}`; use `await asyncio.sleep()`",
                no_fix_reason=reason,
            )

    def tidy(self, ctx, before):
        """The `from time import sleep` the fixed calls used that nothing uses any more (one
        fix removes it only when its own call is the last use)."""
        facts = ctx.facts
        return [
            remove_name(ctx, _sleep_import(facts, name), name)
            for name in _sleep_imports(facts)
            if _sleep_import_unused(facts, name)
            and _is_sleep_import(before, name)
            and not _sleep_import_unused(before, name)
        ]

    def fix(self, ctx, finding):
        facts = ctx.facts
        node = facts.node_at(finding.range, ast.Call)
        call = ctx.node_at(finding.range, cst.Call)
        if node is None or call is None:
            return None
        # Planned again on the whole module: another function may rebind a module-level
        # name through `global` (the check only looks at this function and module code).
        scope = facts.scope_of(node)
        hidden = _comprehension_targets(_ancestors_within(facts, node, scope.node))
        plan, _ = _asyncio_plan(facts, scope, hidden, _rebound_through_global(facts))
        name = plan.get("asyncio")
        if not name:
            return None
        parent = ctx.parent(call)
        new_call = call.with_changes(func=cst.Attribute(cst.Name(name), cst.Name("sleep")))
        if isinstance(parent, cst.Await):  # `await time.sleep(1)`: only the callee was wrong
            replacement = new_call
        else:
            replacement = cst.Await(new_call.with_changes(lpar=[], rpar=[]), lpar=call.lpar, rpar=call.rpar)
            needs_parens = (
                (isinstance(parent, cst.Attribute) and parent.value is call)
                or (isinstance(parent, cst.Subscript) and parent.value is call)
                or (isinstance(parent, cst.Call) and parent.func is call)
            )
            if needs_parens and not call.lpar:
                replacement = replacement.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
        edits = [ctx.replace(call, replacement)]
        if plan["add_import"]:
            edits.append(add_import(ctx, "asyncio", asname=None if name == "asyncio" else name))
        unused = _sleep_import_left_unused(facts, node)
        if unused is not None:
            edits.append(remove_name(ctx, _sleep_import(facts, unused), unused))
        return edits


def _ancestors_within(facts, node, stop):
    for ancestor in facts.ancestors(node):
        if ancestor is stop:
            return
        yield ancestor


# --- which name reaches the asyncio module at the call --------------------------------------
def _comprehension_targets(ancestors) -> set[str]:
    """Names bound by the comprehensions around the call: they hide the module's names there."""
    names: set[str] = set()
    for node in ancestors:
        if isinstance(node, _COMPREHENSIONS):
            for generator in node.generators:
                names.update(n.id for n in ast.walk(generator.target) if isinstance(n, ast.Name))
    return names


def _asyncio_plan(facts, scope, hidden: set[str], avoid: frozenset[str] = frozenset()):
    """How the fix names the asyncio module at the call: an existing module-level import
    that reaches it, else a new `import asyncio [as name]` under a name free there.
    `avoid`: names not to use at all."""
    module = facts.module_scope
    for name in sorted(facts.imported_names("asyncio", top_level=True)):
        if name not in avoid and _reaches_module(facts, name, scope, hidden):
            return {"asyncio": name, "add_import": False}, None
    for name in _ASYNCIO_NAMES:
        if (
            name in avoid
            or name in module.bindings
            or name in hidden
            or facts.lookup(name, scope) is not None
            or _declared_in_chain(name, scope)
        ):
            continue
        if name != "asyncio" and facts.star_imports:
            continue  # a star import may bind it
        return {"asyncio": name, "add_import": True}, None
    return {}, "no name for the `asyncio` module is free here (`asyncio`, `aio` and `asyncio_module` are taken)"


def _reaches_module(facts, name: str, scope, hidden: set[str]) -> bool:
    """`name` read at the call is the module-level binding (not a local, parameter,
    comprehension variable or a name a `global` statement lets the function rebind)."""
    if name in hidden:
        return False
    found = facts.lookup(name, scope)
    if found is None or found[0] is not facts.module_scope:
        return False
    return not _declared_in_chain(name, scope)


def _declared_in_chain(name: str, scope) -> bool:
    """A `global`/`nonlocal` statement for `name` in the scopes the call sits in."""
    current = scope
    while current is not None and current.kind != "module":
        if name in current.global_names or name in current.nonlocal_names:
            return True
        current = current.parent
    return False


def _rebound_through_global(facts) -> frozenset[str]:
    """Module-level names some function assigns (`global name; name = ...`)."""
    return frozenset(n for s in facts.scopes for n in s.global_names if n in s.bindings)


# --- the `from time import sleep` the fix leaves unused -----------------------------------
def _sleep_import_left_unused(facts, call):
    """The local name of a module-level `from time import sleep [as name]` whose only use is
    the fixed call, else None."""
    if not isinstance(call.func, ast.Name):
        return None
    return call.func.id if _sleep_import_unused(facts, call.func.id, call.func) else None


def _sleep_imports(facts) -> list[str]:
    """The module-level names bound only by a top-level `from time import sleep [as name]`."""
    return facts.imported_names("time.sleep", top_level=True)


def _is_sleep_import(facts, name: str) -> bool:
    return name in _sleep_imports(facts)


def _sleep_import_unused(facts, name: str, ignoring: ast.Name | None = None) -> bool:
    """`name` is a `from time import sleep [as name]` at module level that nothing uses
    (but `ignoring`)."""
    if not _is_sleep_import(facts, name):
        return False
    if any(name in s.global_names for s in facts.scopes):
        return False
    for node in facts.nodes(ast.Name):
        if node.id != name or node is ignoring:
            continue
        found = facts.lookup(name, facts.scope_of(node))
        if found is not None and found[0] is facts.module_scope:
            return False  # still used (or rebound, deleted) elsewhere
    for const in facts.nodes(ast.Constant):
        if const.value == name:  # `__all__ = ["sleep"]` and other spellings of the name
            return False
    return True


def _sleep_import(facts, name: str) -> ast.ImportFrom:
    """The top-level `from time import sleep [as name]` that binds `name`."""
    (binding,) = facts.module_scope.bindings[name]
    return binding.node
