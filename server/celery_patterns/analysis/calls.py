"""What a call runs: the function behind `functools.partial`, a thread runner, an alias.

`called_function` finds the function whose value a call gives: its callee, or the function
handed to `functools.partial(f, ...)(...)`, or, awaited, run on a thread by
`asyncio.to_thread(f, ...)`, `loop.run_in_executor(None, f, ...)`, `sync_to_async(f)(...)`.
`function_names` gives the names such a function may go by (through import aliases and
`poll = f` / `poll = functools.partial(f, ...)`).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from .facts import ModuleFacts

# `await sync_to_async(f)(...)`: f's value
ASYNC_WRAPPERS = frozenset({"asgiref.sync.sync_to_async", "asgiref.sync.SyncToAsync"})
# `await asyncio.to_thread(f, ...)`: f's value, computed on a thread
THREAD_RUNNERS = frozenset(
    {
        "asyncio.to_thread",
        "anyio.to_thread.run_sync",
        "starlette.concurrency.run_in_threadpool",
        "fastapi.concurrency.run_in_threadpool",
    }
)
_MAX_ALIASES = 4  # `a = b`, `b = c`...: followed this far


def called_function(facts: ModuleFacts, call: ast.Call) -> ast.expr | None:
    """The function whose value `call` gives (see the module docstring), None when it is
    not known (a thread runner that is not awaited gives a coroutine or future)."""
    func = call.func
    awaited = isinstance(facts.parent(call), ast.Await)
    if isinstance(func, ast.Call):
        wrapper = facts.resolve(func.func) if func.args else None
        if wrapper == "functools.partial" or (awaited and wrapper in ASYNC_WRAPPERS):
            return function_of(facts, func.args[0])
        return None
    if awaited and call.args and facts.resolve(func) in THREAD_RUNNERS:
        return function_of(facts, call.args[0])
    if awaited and isinstance(func, ast.Attribute) and func.attr == "run_in_executor" and len(call.args) >= 2:
        return function_of(facts, call.args[1])
    return func


def function_of(facts: ModuleFacts, reference: ast.expr) -> ast.expr | None:
    """The function a reference passed along stands for: itself, the `f` of
    `functools.partial(f, ...)` or of `lambda: f(...)`."""
    if isinstance(reference, ast.Lambda):
        return reference.body.func if isinstance(reference.body, ast.Call) else None
    if isinstance(reference, ast.Call):
        if reference.args and facts.resolve(reference.func) == "functools.partial":
            return function_of(facts, reference.args[0])
        return None
    return reference


def function_names(facts: ModuleFacts, func: ast.expr, _depth: int = 0) -> Iterator[str]:
    """The names a function may go by, most direct first: `x.f` -> f; an imported name ->
    the name it was imported as (`from m import f as poll`: f); a name -> itself, then the
    names of what it is bound to (an import, `poll = f`, `poll = functools.partial(f, ...)`)."""
    if isinstance(func, ast.Attribute):
        yield func.attr
        return
    if not isinstance(func, ast.Name):
        return
    qualname = facts.resolve(func)
    if qualname and not qualname.startswith("builtins."):  # an import: its real name counts
        yield qualname.rsplit(".", 1)[-1]
        return
    yield func.id
    found = facts.lookup(func.id, facts.scope_of(func))
    if not found or _depth >= _MAX_ALIASES:
        return
    bindings = found[1]
    # `poll = None` and then `from m import f as poll`
    yield from (b.qualname.rsplit(".", 1)[-1] for b in bindings if b.kind == "import" and b.qualname)
    if len(bindings) == 1 and bindings[0].kind == "assign":
        value = bindings[0].value
        if isinstance(value, ast.Call) and value.args and facts.resolve(value.func) == "functools.partial":
            value = value.args[0]
        if isinstance(value, (ast.Name, ast.Attribute)):
            yield from function_names(facts, value, _depth + 1)
