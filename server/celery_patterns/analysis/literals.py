"""What literal syntax says, without running anything: a call's argument by position or
keyword, how many items a literal list holds, the keys of a literal dict, a literal's value
as plain JSON-able data (`UNKNOWN` where the syntax does not show it)."""

from __future__ import annotations

import ast
from collections.abc import Iterator

UNKNOWN = "<unknown>"  # a value the code does not show as a literal


def call_argument(call: ast.Call, position: int, keyword: str) -> ast.expr | None:
    """The argument passed as `keyword=`, else the one at `position` (none after a `*args`)."""
    for item in call.keywords:
        if item.arg == keyword:
            return item.value
    if len(call.args) > position and not any(isinstance(a, ast.Starred) for a in call.args[: position + 1]):
        return call.args[position]
    return None


def keyword_value(call: ast.Call, keyword: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == keyword), None)


def literal_length(expr: ast.AST | None) -> int | None:
    """How many items a literal list or tuple holds (`None` holds none); None when not known."""
    if isinstance(expr, (ast.List, ast.Tuple)) and not any(isinstance(e, ast.Starred) for e in expr.elts):
        return len(expr.elts)
    if isinstance(expr, ast.Constant) and expr.value is None:
        return 0
    return None


def literal_keys(expr: ast.AST | None) -> tuple[str, ...] | None:
    """The keys a literal dict holds (`{"a": 1}`, `dict(a=1)`, `None`); None when not known."""
    if isinstance(expr, ast.Dict):
        keys = [k.value for k in expr.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)]
        return tuple(keys) if len(keys) == len(expr.keys) else None
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id == "dict" and not expr.args:
        names = [k.arg for k in expr.keywords if k.arg]
        if len(names) == len(expr.keywords):  # no `**mapping`
            return tuple(names)
    if isinstance(expr, ast.Constant) and expr.value is None:
        return ()
    return None


def string_items(node: ast.Dict) -> Iterator[tuple[str, ast.expr]]:
    """The (key, value node) pairs of a dict display whose keys are string literals."""
    for key, value in zip(node.keys, node.values):
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            yield key.value, value


def is_plain(value: object) -> bool:
    return isinstance(value, (str, int, float, bool)) or value is None


def literal_value(expr: ast.AST | None) -> object:
    """The JSON-able value of a literal expression, else UNKNOWN."""
    if expr is None:
        return UNKNOWN
    try:
        value = ast.literal_eval(expr)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return UNKNOWN
    return _jsonable(value)


def _jsonable(value: object) -> object:
    if is_plain(value):
        return value
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_jsonable(v) for v in value]
        if isinstance(value, (set, frozenset)):  # in an order of its own: a set's changes from run to run
            items.sort(key=repr)
        return UNKNOWN if UNKNOWN in items else items
    if isinstance(value, dict):
        entries = {str(k): _jsonable(v) for k, v in value.items()}
        return UNKNOWN if UNKNOWN in entries.values() else entries
    return UNKNOWN
