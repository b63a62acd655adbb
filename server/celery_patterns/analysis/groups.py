"""Private helpers shared by CEL005 (group metadata) and CEL009 (cancellation).

Not a rule module (the registry only loads `cel*.py`): identifier word splitting, fresh
names, finding the module's Celery app, and where a statement sits for insertion.
"""

from __future__ import annotations

import ast

from .celery import CELERY_APP_CLASSES, is_celery_app_call
from .names import visible_from_module

def _looks_like_app_import(name: str, qualname: str) -> bool:
    """`from core.celery import app`, `from .worker import celery_app`: a Celery app import."""
    if qualname == "celery.current_app":
        return True
    parts = qualname.lstrip(".").split(".")
    if parts[0] == "celery" or not parts[0]:
        return False  # the celery package itself (`import celery`, `from celery import group`)
    last = parts[-1]
    if name.lower() in ("celery", "celery_app", "celeryapp") or last in ("celery", "celery_app", "celeryapp"):
        return True
    return last == "app" and any("celery" in part for part in parts[:-1])


def celery_app_name(facts, settings, scope, *, allow_add: bool = False):
    """The name of the module's Celery app as seen from `scope`.

    Returns (name, import_to_add) or (None, reason). In order of preference: a module-level
    name bound to `Celery(...)`; the binding made by `settings.app_import` (any alias);
    another import that is plainly a Celery app (`from .worker import celery_app`,
    `celery.current_app`); with `allow_add`, the settings' app import when its name is free.
    """
    module = facts.module_scope
    candidates: list[tuple[int, int, str]] = []
    app_qual, add_spec = settings.app.qualname, settings.app.spec
    for name, bindings in module.bindings.items():
        for binding in bindings:
            if binding.kind == "assign" and binding.value is not None and is_celery_app_call(facts, binding.value):
                candidates.append((0, binding.node.lineno, name))
            elif binding.kind == "import" and binding.qualname == app_qual:
                candidates.append((1, binding.node.lineno, name))
            elif binding.kind == "import" and _looks_like_app_import(name, binding.qualname or ""):
                rank = 3 if binding.qualname == "celery.current_app" else 2
                candidates.append((rank, binding.node.lineno, name))
    # A parameter annotated as a Celery app (dependency injection) is the nearest app.
    node = scope.node
    if scope.kind == "function":
        for arg in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]:
            if arg.annotation is not None and facts.resolve(arg.annotation) in CELERY_APP_CLASSES:
                return arg.arg, None
    for _, _, name in sorted(candidates):
        if len(module.bindings[name]) == 1 and visible_from_module(facts, name, scope):
            return name, None
    if candidates:
        return None, "the module's Celery app is shadowed or rebound here"
    if not allow_add:
        return None, "the module has no Celery app binding to call"
    name = settings.app.local
    if add_spec is None:
        return None, "the configured app import is relative"
    if name in module.bindings or facts.lookup(name, scope) is not None:
        return None, f"`{name}` is already bound to something that is not the Celery app"
    return name, settings.app_import


def own_nodes(root: ast.AST):
    """Nodes under `root` that are not inside a nested def, lambda or class."""
    stack = list(ast.iter_child_nodes(root))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        stack.extend(ast.iter_child_nodes(node))


def alone_on_its_lines(facts, stmt: ast.stmt) -> bool:
    """`stmt` starts its line and nothing but a comment follows it: not `if x: a` nor `a; b`,
    so statements can be inserted after it in the same block."""
    rng = facts.range(stmt)
    before = facts.index.line_text(rng.start.line)[: rng.start.column]
    after = facts.index.line_text(rng.end.line)[rng.end.column:].strip()
    return not before.strip() and (not after or after.startswith("#"))
