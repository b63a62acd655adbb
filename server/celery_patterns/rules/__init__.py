"""The rule registry: every module `celNNN.py` in this package holds exactly one rule."""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import sys
from functools import lru_cache

from ..rule import Rule


def _import_lazily(name: str) -> None:
    """Register `name` so that it is only executed when an attribute is first used.

    Rule modules `import libcst as cst` at the top for their fixes, but a check never
    needs libcst: loading it eagerly would cost more than parsing a whole project.
    Rules import `..fixing` helpers inside `fix()` for the same reason.
    """
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        return
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)


@lru_cache(maxsize=1)
def all_rules() -> tuple[Rule, ...]:
    _import_lazily("libcst")
    rules = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not info.name.startswith("cel"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        found = [
            obj for obj in vars(module).values()
            # type(obj), not isinstance(obj, ...): it must not touch the lazy libcst module
            if issubclass(type(obj), type) and issubclass(obj, Rule) and obj is not Rule
            and obj.__module__ == module.__name__
        ]
        if len(found) != 1:
            raise RuntimeError(f"{module.__name__} must define exactly one rule, found {len(found)}")
        rules.append(found[0]())
    return tuple(sorted(rules, key=lambda r: r.code))


def all_codes() -> tuple[str, ...]:
    return tuple(rule.code for rule in all_rules())


def rule_by_code(code: str) -> Rule | None:
    code = code.upper()
    for rule in all_rules():
        if rule.code == code:
            return rule
    return None
