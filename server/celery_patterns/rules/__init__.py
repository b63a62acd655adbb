"""The rule registry: every module `celNNN.py` in this package holds exactly one rule."""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

from .base import DOC_SECTIONS, Rule

__all__ = ["DOC_SECTIONS", "Rule", "all_codes", "all_rules", "rule_by_code"]


@lru_cache(maxsize=1)
def all_rules() -> tuple[Rule, ...]:
    rules = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not info.name.startswith("cel"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        found = [
            obj
            for obj in vars(module).values()
            if isinstance(obj, type) and issubclass(obj, Rule) and obj is not Rule and obj.__module__ == module.__name__
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
