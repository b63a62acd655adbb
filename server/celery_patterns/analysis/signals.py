"""Receivers connected to Celery's signals in one module."""

from __future__ import annotations

import ast

from .facts import ModuleFacts

SETUP_LOGGING = "celery.signals.setup_logging"
# Django's `@receiver(signal)` connects a receiver to any dispatcher-like signal, Celery's too.
DJANGO_RECEIVER = frozenset({"django.dispatch.receiver", "django.dispatch.dispatcher.receiver"})


def connects(facts: ModuleFacts, signal: str = SETUP_LOGGING) -> bool:
    """Any receiver connected to `signal` (a dotted name in `celery.signals`) in the module,
    at any depth: `@signal.connect`, `signal.connect(fn)`, `signal.connect` passed along,
    `for s in (signal, ...): s.connect(fn)`, Django's `@receiver(signal)`."""
    if signal.rsplit(".", 1)[-1] not in facts.source:
        return False
    star = set(facts.star_imports)
    module, name = signal.rsplit(".", 1)
    package, module_name = module.rsplit(".", 1)
    starred = {f"builtins.{name}": module, f"builtins.{module_name}.{name}": package}
    for node in facts.nodes(ast.Attribute):
        if node.attr != "connect":
            continue
        qualname = facts.resolve(node.value)
        if qualname == signal:
            return True
        # `from celery.signals import *` / `from celery import *` leave the name unbound
        if qualname in starred and starred[qualname] in star:
            return True
        if _loops_over(facts, node.value, signal):
            return True
    for call in facts.nodes(ast.Call):
        if facts.resolve(call.func) in DJANGO_RECEIVER and call.args:
            first = call.args[0]
            signals = first.elts if isinstance(first, (ast.List, ast.Tuple)) else [first]
            if any(facts.resolve(s) == signal for s in signals):
                return True
    return False


def _loops_over(facts: ModuleFacts, expr: ast.expr, signal: str) -> bool:
    """`for s in (signals.setup_logging, ...): s.connect(fn)`."""
    if not isinstance(expr, ast.Name):
        return False
    hit = facts.lookup(expr.id, facts.scope_of(expr))
    for binding in hit[1] if hit is not None else ():
        loop = facts.parent(binding.node)
        if (
            isinstance(loop, (ast.For, ast.AsyncFor))
            and loop.target is binding.node
            and isinstance(loop.iter, (ast.Tuple, ast.List, ast.Set))
            and any(facts.resolve(element) == signal for element in loop.iter.elts)
        ):
            return True
    return False
