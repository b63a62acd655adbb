"""Functions defined in the module: the `def` a call reaches, where a `def`'s name is, and
whether a `def` is only a stub."""

from __future__ import annotations

import ast
import re

from ..ftypes import Position, Range
from .facts import FUNCTION_NODES, ModuleFacts


def local_definition(facts: ModuleFacts, call: ast.Call) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The function of this module a call refers to: a name bound only by a `def`, or
    `self.method(...)` / `cls.method(...)` defined in the class around the call."""
    func = call.func
    if isinstance(func, ast.Name):
        found = facts.lookup(func.id, facts.scope_of(call))
        if found and len(found[1]) == 1 and isinstance(found[1][0].node, FUNCTION_NODES):
            return found[1][0].node
        return None
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in ("self", "cls"):
        owner = next((a for a in facts.ancestors(call) if isinstance(a, ast.ClassDef)), None)
        methods = [s for s in owner.body if isinstance(s, FUNCTION_NODES)] if owner is not None else []
        return next((m for m in reversed(methods) if m.name == func.attr), None)  # the last `def` wins
    return None


def name_range(facts: ModuleFacts, func: ast.FunctionDef | ast.AsyncFunctionDef) -> Range:
    """The range of the function's name after `def` (where a finding about the whole
    function reads best), else the function's."""
    start = facts.range(func).start
    text = facts.index.line_text(start.line)
    match = re.compile(r"(?:async\s+)?def\s+(" + re.escape(func.name) + r")\b").search(text, start.column)
    if match is None:
        return facts.range(func)
    return Range(Position(start.line, match.start(1)), Position(start.line, match.end(1)))


def is_stub(facts: ModuleFacts, func: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """`@abstractmethod` or `@overload`, or a body of only a docstring, `pass`, `...` and
    `raise NotImplementedError`."""
    for decorator in func.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if (facts.resolve(target) or "").endswith(("abstractmethod", "overload")):
            return True
    for statement in func.body:
        if isinstance(statement, ast.Pass) or (
            isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)
        ):
            continue
        if isinstance(statement, ast.Raise) and statement.exc is not None:
            exc = statement.exc.func if isinstance(statement.exc, ast.Call) else statement.exc
            if isinstance(exc, ast.Name) and exc.id == "NotImplementedError":
                continue
        return False
    return True
