"""Whether a name can only hold a number (a timeout, a poll interval), as far as the module shows."""

from __future__ import annotations

import ast

from .facts import ModuleFacts

NUMERIC_TYPES = frozenset({"builtins.int", "builtins.float", "numbers.Real", "numbers.Number"})


NUMERIC_CALLS = frozenset(
    {"builtins.int", "builtins.float", "builtins.min", "builtins.max", "builtins.abs", "builtins.round"}
)


def holds_number(facts: ModuleFacts, name: str, at: ast.AST, _depth: int = 0) -> bool:
    """`name` read at `at` can only be a number: every binding is a parameter whose default
    and annotation are numeric (an unannotated one without a default is taken as the
    number its name says), or an assignment of a number, `float(...)`, arithmetic on a
    number... `timeout=None`, `timeout: float | None`, `timeout = httpx.Timeout(10.0)` or
    `timeout = settings.TIMEOUT` are not."""
    found = facts.lookup(name, facts.scope_of(at))
    if found is None or _depth > 3:
        return False
    for binding in found[1]:
        if binding.kind == "param" and isinstance(binding.node, ast.arg):
            default = _parameter_default(facts, binding.node)
            annotation = binding.node.annotation
            if annotation is not None and not _numeric_annotation(facts, annotation):
                return False
            if default is not None and not _numeric_value(facts, default, _depth):
                return False
        elif binding.kind == "assign":
            parent = facts.parent(binding.node)
            if isinstance(parent, ast.AnnAssign) and not _numeric_annotation(facts, parent.annotation):
                return False
            if not _numeric_value(facts, binding.value, _depth):
                return False
        else:
            return False
    return True


def _parameter_default(facts: ModuleFacts, arg: ast.arg) -> ast.expr | None:
    arguments = facts.parent(arg)
    if not isinstance(arguments, ast.arguments):
        return None
    positional = [*arguments.posonlyargs, *arguments.args]
    if arg in positional:  # `ast` nodes compare by identity
        offset = positional.index(arg) - (len(positional) - len(arguments.defaults))
        return arguments.defaults[offset] if offset >= 0 else None
    if arg in arguments.kwonlyargs:
        return arguments.kw_defaults[arguments.kwonlyargs.index(arg)]
    return None


def _numeric_annotation(facts: ModuleFacts, annotation: ast.AST) -> bool:
    """`int`, `float`, `"float"`, `int | float` (not `Optional[...]` or `X | None`)."""
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        return annotation.value in ("int", "float")
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        return _numeric_annotation(facts, annotation.left) and _numeric_annotation(facts, annotation.right)
    return facts.resolve(annotation) in NUMERIC_TYPES


def _numeric_value(facts: ModuleFacts, value: ast.AST | None, depth: int) -> bool:
    if isinstance(value, ast.Constant):
        return isinstance(value.value, (int, float)) and not isinstance(value.value, bool)
    if isinstance(value, ast.UnaryOp) and isinstance(value.op, (ast.USub, ast.UAdd)):
        return _numeric_value(facts, value.operand, depth)
    if isinstance(value, ast.BinOp) and not isinstance(value.op, (ast.BitOr, ast.BitAnd, ast.BitXor)):
        # arithmetic with a number on one side (`2 * base`); a str or list would not be a timeout
        sides = (value.left, value.right)
        return any(_numeric_value(facts, side, depth) for side in sides) and all(
            _numeric_value(facts, side, depth) or isinstance(side, (ast.Name, ast.Attribute, ast.Call))
            for side in sides
        )
    if isinstance(value, ast.IfExp):
        return _numeric_value(facts, value.body, depth) and _numeric_value(facts, value.orelse, depth)
    if isinstance(value, ast.Call):
        return facts.resolve(value.func) in NUMERIC_CALLS
    if isinstance(value, ast.Name):
        return holds_number(facts, value.id, value, depth + 1)
    return False
