"""Settings dicts a module builds: what a dict expression, a function's result or a class body
holds, as far as the module shows it.

`dict_parts` reads a dict as (the (key, value) items it shows, the expressions it merges in
from elsewhere, whether nothing else went in): `{"a": 1, **other}` is `([("a", 1)], [other],
True)`; `{**params}` of a parameter is `([], [], False)`. The project model follows what is
merged in (a function of another module, an imported dict) by name.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from .app_config import name_references
from .facts import ModuleFacts
from .strings import literal_string

MUTATORS = frozenset({"update", "setdefault", "__setitem__"})


@dataclass
class DictParts:
    items: list[tuple[str, ast.expr | None]] = field(default_factory=list)
    refs: list[ast.expr] = field(default_factory=list)  # names and calls whose dict is merged in
    complete: bool = True

    def merge(self, other: DictParts) -> None:
        self.items += other.items
        self.refs += other.refs
        self.complete = self.complete and other.complete


def dict_parts(facts: ModuleFacts, expr: ast.expr | None, depth: int = 0) -> DictParts:
    """What the dict `expr` holds: a literal, `dict(...)`, `a | b`, a local name bound to
    one (with the keys later set on it: `d["k"] = v`, `d.setdefault("k", v)`, `d.update(...)`),
    or a reference (an imported or module-level name, an attribute, a call) to follow."""
    parts = DictParts()
    if expr is None or depth > 4:
        parts.complete = False
    elif isinstance(expr, ast.Dict):
        for key, value in zip(expr.keys, expr.values):
            _add(facts, parts, key, value, depth)
    elif isinstance(expr, ast.Call) and facts.resolve(expr.func) == "builtins.dict":
        for arg in expr.args:
            parts.merge(dict_parts(facts, arg, depth + 1))
        for keyword in expr.keywords:
            if keyword.arg is None:
                parts.merge(dict_parts(facts, keyword.value, depth + 1))
            else:
                parts.items.append((keyword.arg, keyword.value))
    elif isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.BitOr):
        parts.merge(dict_parts(facts, expr.left, depth + 1))
        parts.merge(dict_parts(facts, expr.right, depth + 1))
    elif isinstance(expr, ast.Name):
        _name(facts, parts, expr, depth)
    elif isinstance(expr, (ast.Attribute, ast.Call)):
        parts.refs.append(expr)
    else:
        parts.complete = False
    return parts


def _add(facts: ModuleFacts, parts: DictParts, key: ast.expr | None, value: ast.expr, depth: int) -> None:
    if key is None:
        parts.merge(dict_parts(facts, value, depth + 1))
        return
    text = literal_string(facts, key)
    if text is None:
        parts.complete = False
    else:
        parts.items.append((text, value))


def _name(facts: ModuleFacts, parts: DictParts, expr: ast.Name, depth: int) -> None:
    hit = facts.lookup(expr.id, facts.scope_of(expr))
    if hit is None:
        parts.complete = False
        return
    scope, bindings = hit
    if scope is facts.module_scope and scope is not facts.scope_of(expr) or any(b.kind == "import" for b in bindings):
        parts.refs.append(expr)  # a module-level or imported dict: the model reads it by name
        return
    for binding in bindings:
        if binding.kind == "assign" and binding.value is not None:
            parts.merge(dict_parts(facts, binding.value, depth + 1))
        else:
            parts.complete = False  # a parameter, a loop variable
    for ref in name_references(facts, expr.id, scope):
        parent = facts.parent(ref)
        if isinstance(parent, ast.Subscript) and parent.value is ref and not isinstance(parent.ctx, ast.Load):
            statement = facts.parent(parent)
            value = statement.value if isinstance(statement, ast.Assign) else None
            _add(facts, parts, parent.slice, value if value is not None else parent, depth)
        elif isinstance(parent, ast.Attribute) and parent.value is ref and parent.attr in MUTATORS:
            call = facts.parent(parent)
            if not isinstance(call, ast.Call) or call.func is not parent:
                continue
            if parent.attr == "update":
                for arg in call.args:
                    parts.merge(dict_parts(facts, arg, depth + 1))
                for keyword in call.keywords:
                    if keyword.arg is None:
                        parts.merge(dict_parts(facts, keyword.value, depth + 1))
                    else:
                        parts.items.append((keyword.arg, keyword.value))
            elif call.args:
                _add(facts, parts, call.args[0], call.args[1] if len(call.args) > 1 else call, depth)
        elif isinstance(parent, ast.AugAssign) and parent.target is ref:
            parts.merge(dict_parts(facts, parent.value, depth + 1))


def returned_parts(facts: ModuleFacts, function: ast.AST) -> DictParts | None:
    """What a function's result holds, over all its `return`s; None when it returns nothing."""
    scope = facts.own_scope(function)
    if scope is None:
        return None
    parts = None
    for statement in scope.walk_own(ast.Return):
        if statement.value is None or (isinstance(statement.value, ast.Constant) and statement.value.value is None):
            continue
        parts = parts or DictParts()
        parts.merge(dict_parts(facts, statement.value))
    return parts


def class_parts(facts: ModuleFacts, cls: ast.ClassDef) -> DictParts:
    """The settings a class body holds (as `config_from_object(Cls)` reads them), with its
    bases to follow."""
    parts = DictParts()
    for statement in cls.body:
        if isinstance(statement, ast.Assign):
            parts.items += [(t.id, statement.value) for t in statement.targets if isinstance(t, ast.Name)]
        elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            parts.items.append((statement.target.id, statement.value))
    for base in cls.bases:
        if facts.resolve(base) != "builtins.object":
            parts.refs.append(base)
    if cls.keywords:
        parts.complete = False  # a metaclass may make the attributes
    return parts
