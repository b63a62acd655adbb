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
Safe. The call becomes `await asyncio.sleep(...)` with the same arguments (an existing
`import asyncio as aio` is reused, else `import asyncio` is added) and a `from time import
sleep` left unused is removed. The coroutine waits as long as before; the only change is
that other tasks may run meanwhile, which is the point. No fix is offered inside a
generator expression, where `await` would turn it into an async generator.
"""

from __future__ import annotations

import ast

from ..lazy import cst

from ..ftypes import FixSafety, Severity
from ..rule import Rule


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
            in_generator = any(
                isinstance(a, ast.GeneratorExp) for a in _ancestors_within(facts, call, scope.node)
            )
            yield self.finding(
                facts, call,
                f"`time.sleep()` blocks the event loop in `async def {scope.name}`; use `await asyncio.sleep()`",
                no_fix_reason="an `await` here would turn the generator expression into an async generator"
                if in_generator else None,
            )

    def fix(self, ctx, finding):
        from ..fixing import add_imports, remove_unused_imports

        call = ctx.node_at(finding.range, cst.Call)
        if call is None:
            return None
        parents = ctx.parent_map()
        parent = parents.get(call)
        alias = ctx.module_alias("asyncio") or "asyncio"
        new_call = call.with_changes(func=cst.Attribute(cst.Name(alias), cst.Name("sleep")))
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
        module = ctx.replace({call: replacement})
        if alias == "asyncio" and ctx.module_alias("asyncio") is None:
            module = add_imports(module, [("asyncio", None, None)])
        if isinstance(call.func, cst.Name):
            imported_as = call.func.value
            asname = imported_as if imported_as != "sleep" else None
            module = remove_unused_imports(module, [("time", "sleep", asname)])
        return module.code


def _ancestors_within(facts, node, stop):
    for ancestor in facts.ancestors(node):
        if ancestor is stop:
            return
        yield ancestor
