"""Running the enabled rules on a module's facts: one failing rule never hides the others."""

from __future__ import annotations

import traceback

from ..analysis.facts import ModuleFacts
from ..config import Settings
from ..ftypes import Finding
from ..rules import Rule, all_rules


def enabled_rules(settings: Settings, path: str = "<string>") -> list[Rule]:
    """The rules the settings enable for `path`."""
    codes = settings.enabled_codes((r.code for r in all_rules()), path if path != "<string>" else None)
    return [r for r in all_rules() if r.code in codes]


def run_rules(rules: list[Rule], facts: ModuleFacts, settings: Settings) -> tuple[list[Finding], list[str]]:
    """Every rule's findings on `facts`, and the internal errors of rules that failed."""
    findings: list[Finding] = []
    errors: list[str] = []
    for rule in rules:
        try:
            findings.extend(rule.check(facts, settings))
        except Exception:  # one broken rule must not hide the others
            errors.append(f"{facts.path}: internal error in {rule.code}:\n{traceback.format_exc()}")
    return findings, errors
