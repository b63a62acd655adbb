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

from ..analysis.facts import in_generator_expression
from ..analysis.names import ASYNCIO_NAMES, module_name_at
from ..fixes.expressions import awaited
from ..fixes.imports import add_import, remove_name
from ..fixes.lazy import cst
from ..ftypes import FixSafety, Severity
from .base import Rule


class BlockingSleepInAsync(Rule):
    code = "CEL002"
    name = "blocking-sleep-in-async"
    message = "`time.sleep()` blocks the event loop in an async function; use `await asyncio.sleep()`"
    severity = Severity.HIGH
    fix_safety = FixSafety.SAFE
    fix_title = "Replace with `await asyncio.sleep(...)`"
    triggers = ("sleep",)
    local = True

    def check(self, facts, settings):
        for call in facts.nodes(ast.Call):
            scope = facts.scope_of(call)
            if not (scope.kind == "function" and scope.is_async):
                continue
            if facts.resolve(call.func) != "time.sleep":
                continue
            reason: str | None
            if in_generator_expression(facts, call):
                reason = "an `await` here would turn the generator expression into an async generator"
            else:
                reason = module_name_at(facts, call, "asyncio", ASYNCIO_NAMES)[2]
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
        name, add, _ = module_name_at(facts, node, "asyncio", ASYNCIO_NAMES, whole_module=True)
        if not name:
            return None
        new_call = call.with_changes(func=cst.Attribute(cst.Name(name), cst.Name("sleep")))
        edits = [ctx.replace(call, awaited(ctx, call, new_call))]
        if add:
            edits.extend(add_import(ctx, "asyncio", asname=None if name == "asyncio" else name))
        unused = _sleep_import_left_unused(facts, node)
        if unused is not None:
            edits.append(remove_name(ctx, _sleep_import(facts, unused), unused))
        return edits


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
