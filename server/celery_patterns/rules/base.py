"""The base class every rule derives from.

A rule is one module under `rules/`: the module docstring is its documentation (ruff's
sections: What it does / Why is this bad? / Example / Use instead / Fix safety), the
class holds detection (`check`, on the fast `ast` facts) and, optionally, the fix
(`fix`, on libcst, computed only when asked for).
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, ClassVar

from ..ftypes import Finding, FixSafety, Range, Severity, TextEdit

if TYPE_CHECKING:
    from ..analysis.facts import ModuleFacts
    from ..config import Settings
    from ..fixes.context import FixContext

DOC_SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead", "Fix safety")
# The text asked about last and which triggers it holds: a check asks every rule in turn of
# the same text, and rules share triggers ("task", "signature"...): each is looked for once.
_LAST_TEXT: tuple[str, dict[str, bool]] = ("", {})


def _occurs(trigger: str, source: str) -> bool:
    global _LAST_TEXT
    text, found = _LAST_TEXT
    if text is not source:
        found = {}
        _LAST_TEXT = (source, found)
    known = found.get(trigger)
    if known is None:
        known = found[trigger] = trigger in source
    return known


class Rule:
    code: ClassVar[str]
    name: ClassVar[str]  # kebab-case, e.g. "blocking-sleep-in-async"
    message: ClassVar[str]  # default message for a finding
    severity: ClassVar[Severity]
    fix_safety: ClassVar[FixSafety | None] = None  # None: this rule never offers a fix
    fix_title: ClassVar[str] = ""
    # Substrings at least one of which must occur in the source for the rule to run at
    # all: a cheap filter that keeps the whole-project check fast. Empty: always run.
    triggers: ClassVar[tuple[str, ...]] = ()
    # True only when the rule's results are local (see `incremental.py`): what it reports
    # inside a top-level def or class depends on nothing but that statement and the
    # module-level code, and what it reports elsewhere does not depend on any top-level
    # def's or class's body. The editor then re-runs it only on what an edit touched.
    # A rule that follows calls into the bodies of other functions must leave it False.
    # A local rule that also reads the project does so only in `settle`, never in `check`.
    local: ClassVar[bool] = False
    # True when the rule reads the project model (`facts.project`, `facts.summary`): the
    # engine then summarises the module and gives the rule the workspace's model with it.
    uses_project: ClassVar[bool] = False

    # --- detection ------------------------------------------------------------------------
    def applies_to(self, source: str, settings: Settings) -> bool:
        """Whether the rule can find anything in `source` at all: a cheap test on the text
        (by default, that one of `triggers` occurs in it) so the engine can skip the rule."""
        return not self.triggers or any(_occurs(t, source) for t in self.triggers)

    def check(self, facts: ModuleFacts, settings: Settings) -> Iterable[Finding]:
        raise NotImplementedError

    def settle(self, facts: ModuleFacts, findings: list[Finding]) -> Iterable[Finding]:
        """A local rule's findings given what only the whole module and the project can say
        (`facts.project`: None when the file is checked alone), as `check` found them.

        The editor keeps what `check` reported in each function and settles them all again
        on every version, so a per-file decision never makes the rule run on the whole
        module. A local rule's `check` must return `settle(facts, what it found)`."""
        return findings

    def finding(
        self,
        facts: ModuleFacts,
        where: ast.AST | Range,
        message: str | None = None,
        *,
        fixable: bool | None = None,
        no_fix_reason: str | None = None,
        **details,
    ) -> Finding:
        """Build a finding at a node (or explicit range) with this rule's defaults."""
        rng = where if isinstance(where, Range) else facts.range(where)
        if fixable is None:
            fixable = self.fix_safety is not None and no_fix_reason is None
        return Finding(
            code=self.code,
            message=message or self.message,
            severity=self.severity,
            range=rng,
            fixable=fixable,
            no_fix_reason=no_fix_reason,
            details=tuple(sorted(details.items())),
        )

    # --- fixing ---------------------------------------------------------------------------
    def fix(self, ctx: FixContext, finding: Finding) -> Iterable[TextEdit | None] | None:
        """The edits over `ctx.source` that fix this finding (node replacements through
        `ctx.replace`, imports through `fixes.imports`, or text), or None to offer no fix."""
        return None

    def tidy(self, ctx: FixContext, before: ModuleFacts) -> Iterable[TextEdit | None] | None:
        """After a fix-all applied this rule's fixes to the text `before` describes: the edits
        that take away what those fixes left unused (an import), or None. Each fix alone
        cannot know that the other fixes of the round take away the other uses."""
        return None

    # --- documentation -------------------------------------------------------------------
    @classmethod
    def documentation(cls) -> str:
        """The rule's Markdown documentation, from its module docstring."""
        module = sys.modules[cls.__module__]
        body = (module.__doc__ or "").strip()
        fix = {None: "no fix", FixSafety.SAFE: "safe fix", FixSafety.UNSAFE: "unsafe fix"}[cls.fix_safety]
        header = f"# {cls.code}: {cls.name}\n\nSeverity: **{_SEVERITY_WORD[cls.severity]}** · Fix: **{fix}**\n\n"
        return header + body + "\n"

    @classmethod
    def doc_section(cls, title: str) -> str:
        """The text of one `## title` section of the documentation."""
        text = sys.modules[cls.__module__].__doc__ or ""
        match = re.search(rf"^## {re.escape(title)}\s*\n(.*?)(?=^## |\Z)", text, re.S | re.M)
        return match.group(1).strip() if match else ""

    @classmethod
    def doc_example(cls, title: str) -> str:
        """The first ```python block of a section (used by the tests and the docs)."""
        match = re.search(r"```python\n(.*?)```", cls.doc_section(title), re.S)
        return match.group(1) if match else ""


_SEVERITY_WORD = {Severity.HIGH: "High", Severity.MEDIUM: "Medium", Severity.LOW: "Low"}
