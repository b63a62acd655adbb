"""## What it does
Flags an `async def` that calls a synchronous function of the workspace which blocks:
one that calls `time.sleep`, waits on a Celery result (`.get()`, `.wait()`, `.join()`) or
calls a configured polling helper, itself or through up to three direct calls of other
workspace functions (across modules and services). A call that is awaited, or handed to
`asyncio.to_thread(...)` / `loop.run_in_executor(...)`, runs the helper elsewhere and is
fine. The message names the path from the call to what blocks.

## Why is this bad?
Checklist item 2 through a helper: the helper blocks the event loop just as `time.sleep`
would in the `async def` itself, and every other request of the server waits with it. The
`time.sleep` that CEL002 finds in an `async def` is often one call away, in the synchronous
polling helper the checklist also recommends.

## Example
```python
import time


def wait_for(result):
    while not result.ready():
        time.sleep(1)
    return result.result


async def search(result):
    return wait_for(result)
```

## Use instead
```python
import asyncio
import time


def wait_for(result):
    while not result.ready():
        time.sleep(1)
    return result.result


async def search(result):
    return await asyncio.to_thread(wait_for, result)
```

## Fix safety
Unsafe: the call becomes `await asyncio.to_thread(helper, *args, **kwargs)` (with
`import asyncio` added as for CEL002), so the helper now runs in a worker thread: a helper
that is not thread-safe, or that touches the event loop, would behave differently. No fix is
offered inside a generator expression or a lambda, where `await` cannot go.
"""

from __future__ import annotations

import ast

from ..analysis.facts import in_generator_expression
from ..analysis.names import ASYNCIO_NAMES, module_name_at
from ..fixes.expressions import awaited
from ..fixes.imports import add_import
from ..fixes.lazy import cst
from ..ftypes import FixSafety, Severity
from .base import Rule


class BlockingHelperInAsync(Rule):
    code = "CEL016"
    name = "blocking-helper-in-async"
    message = "an async function calls a helper that blocks the event loop"
    severity = Severity.HIGH
    fix_safety = FixSafety.UNSAFE
    fix_title = "Run it with `await asyncio.to_thread(...)`"
    triggers = ("async def",)
    uses_project = True

    def check(self, facts, settings):
        project, summary = facts.project, facts.summary
        if project is None:
            return
        for ref in project.functions_of(summary):
            if not ref.function.is_async:
                continue
            for call in ref.function.calls:
                if call.awaited or call.in_thread:
                    continue
                callee = project.function(call.target, ref.service)
                if callee is None or callee.function.is_async:
                    continue
                path = project.blocking_path(callee)
                if path is None:
                    continue
                node = facts.node_at(call.call, ast.Call)
                reason = self._no_fix_reason(facts, node)
                yield self.finding(
                    facts,
                    call.call,
                    f"`{_short(path[0])}()` blocks the event loop in `async def {ref.function.name.rsplit('.', 1)[-1]}`: "
                    f"{' -> '.join(_short(p) for p in path)}; run it with `await asyncio.to_thread(...)`",
                    no_fix_reason=reason,
                )

    @staticmethod
    def _no_fix_reason(facts, node) -> str | None:
        if node is None:
            return "the call is not one the fix can rewrite"
        if in_generator_expression(facts, node):
            return "an `await` here would turn the generator expression into an async generator"
        if facts.scope_of(node).kind == "lambda":
            return "`await` cannot go inside a lambda"
        return module_name_at(facts, node, "asyncio", ASYNCIO_NAMES)[2]

    def fix(self, ctx, finding):
        facts = ctx.facts
        node = facts.node_at(finding.range, ast.Call)
        call = ctx.node_at(finding.range, cst.Call)
        if node is None or call is None or self._no_fix_reason(facts, node):
            return None
        name, add, _ = module_name_at(facts, node, "asyncio", ASYNCIO_NAMES, whole_module=True)
        if not name:
            return None
        comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")) if call.args else cst.MaybeSentinel.DEFAULT
        to_thread = cst.Call(
            func=cst.Attribute(cst.Name(name), cst.Name("to_thread")),
            args=[cst.Arg(call.func, comma=comma), *call.args],
            lpar=call.lpar,
            rpar=call.rpar,
            whitespace_before_args=call.whitespace_before_args,
        )
        edits = [ctx.replace(call, awaited(ctx, call, to_thread))]
        if add:
            edits.extend(add_import(ctx, "asyncio", asname=None if name == "asyncio" else name))
        return edits


def _short(qualname: str) -> str:
    """`helpers.poll` for `server.core.helpers.poll`; a call's text as it is."""
    if "(" in qualname:
        return qualname
    parts = qualname.split(".")
    return ".".join(parts[-2:]) if len(parts) > 1 else qualname
