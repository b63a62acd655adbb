"""Which function a call reaches, as far as one module shows it.

- `called_function`: the function whose value a call gives: its callee, or the function
  handed to `functools.partial(f, ...)(...)`, or, awaited, run on a thread by
  `asyncio.to_thread(f, ...)`, `loop.run_in_executor(None, f, ...)`, `sync_to_async(f)(...)`;
  `function_names`: the names such a function may go by (through import aliases and
  `poll = f` / `poll = functools.partial(f, ...)`).
- `local_function`: the `def` of this module a called name refers to.
- `own_method`: the method `self.name(...)` calls, when the class around the caller defines it.
- `defined_elsewhere`: a callee defined outside this module and the standard library (an
  import from the project or a third party, a star import, an inherited method): code
  whose behaviour the module cannot see.
- `parameter_for`: the parameter of a local function an argument is passed to.
"""

from __future__ import annotations

import ast
import builtins
import sys
from collections.abc import Iterator

from .facts import ModuleFacts

FunctionDef = ast.FunctionDef | ast.AsyncFunctionDef
_BUILTINS = frozenset(dir(builtins))


def local_function(facts: ModuleFacts, func: ast.expr) -> FunctionDef | None:
    """The `def` a called name refers to, when it is defined in this module."""
    if not isinstance(func, ast.Name):
        return None
    hit = facts.lookup(func.id, facts.scope_of(func))
    if hit is None or len(hit[1]) != 1 or hit[1][0].kind != "def":
        return None
    node = hit[1][0].node
    return node if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else None


def own_method(facts: ModuleFacts, func: ast.expr) -> FunctionDef | None:
    """The method `self.name` (`cls.name`) refers to inside a method, when the class
    around it defines one of that name."""
    owner = facts.scope_of(func).parent
    if not is_self_attribute(facts, func) or owner is None or not isinstance(owner.node, ast.ClassDef):
        return None
    name = func.attr if isinstance(func, ast.Attribute) else None
    return next(
        (s for s in owner.node.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name == name),
        None,
    )


def is_self_attribute(facts: ModuleFacts, expr: ast.expr) -> bool:
    """`self.name` (or `cls.name`) inside a method: an attribute of its first parameter."""
    if not (isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name)):
        return False
    method = facts.scope_of(expr)
    arguments = getattr(method.node, "args", None)
    positional = [*arguments.posonlyargs, *arguments.args] if arguments is not None else []
    return (
        method.kind == "function"
        and bool(positional)
        and positional[0].arg == expr.value.id
        and method.parent is not None
        and method.parent.kind == "class"
    )


def defined_elsewhere(facts: ModuleFacts, call: ast.Call) -> str | None:
    """The callee's text when it is defined outside this module and the standard library:
    imported from the project (relative) or a third party, bound by a star import, or a
    `self.name` method the class does not define (inherited)."""
    func = call.func
    if not isinstance(func, (ast.Name, ast.Attribute)):
        return None
    if is_self_attribute(facts, func) and own_method(facts, func) is None:
        return facts.text(func)
    qualname = facts.resolve(func)
    if qualname is None:
        return None
    top = qualname.split(".", 1)[0]
    if top == "builtins":  # bound nowhere in the module: a builtin, or from a star import
        unbound = qualname.count(".") == 1 and qualname[len("builtins.") :] not in _BUILTINS
        return facts.text(func) if unbound else None
    return facts.text(func) if qualname.startswith(".") or top not in sys.stdlib_module_names else None


def parameter_for(function: FunctionDef, call: ast.Call, arg: ast.expr) -> str | None:
    """The parameter of `function` that `arg` (an argument of `call`) is passed to."""
    positional = [*function.args.posonlyargs, *function.args.args]
    for index, value in enumerate(call.args):
        if value is arg:
            if isinstance(value, ast.Starred):
                return None
            if index < len(positional):
                return positional[index].arg
            return None
    for keyword in call.keywords:
        if keyword.value is arg and keyword.arg:
            names = {a.arg for a in [*positional, *function.args.kwonlyargs]}
            return keyword.arg if keyword.arg in names else None
    return None


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
