"""Running the enabled rules on a module's facts: one failing rule never hides the others."""

from __future__ import annotations

import traceback

from ..analysis.facts import ModuleFacts
from ..config import Settings
from ..ftypes import Finding
from ..model.project import Project
from ..model.summarise import digest_of, summarise
from ..rules import Rule, all_rules


def enabled_rules(settings: Settings, path: str = "<string>") -> list[Rule]:
    """The rules the settings enable for `path`."""
    codes = settings.enabled_codes((r.code for r in all_rules()), path if path != "<string>" else None)
    return [r for r in all_rules() if r.code in codes]


def run_rules(
    rules: list[Rule], facts: ModuleFacts, settings: Settings, project: Project | None = None
) -> tuple[list[Finding], list[str]]:
    """Every rule's findings on `facts`, and the internal errors of rules that failed.

    With the workspace's `project`, the rules that read it see it with this module as its
    text is now (an editor buffer may differ from the file the model was built from).

    A RecursionError is not a rule's failure but code nested too deeply to check: it stops
    the check (`engine.check` reports it)."""
    findings: list[Finding] = []
    errors: list[str] = []
    if project is not None and any(rule.uses_project for rule in rules):
        try:
            # the text the model was built from: its summary as it is
            digest = digest_of(facts, settings)
            facts.summary = project.summary_of(facts.path, digest) or summarise(facts, settings)
            facts.project = project.with_summary(facts.summary)
        except RecursionError:
            raise
        except Exception:
            errors.append(f"{facts.path}: internal error summarising the module:\n{traceback.format_exc()}")
    for rule in rules:
        try:
            findings.extend(rule.check(facts, settings))
        except RecursionError:
            raise
        except Exception:  # one broken rule must not hide the others
            errors.append(f"{facts.path}: internal error in {rule.code}:\n{traceback.format_exc()}")
    return findings, errors
