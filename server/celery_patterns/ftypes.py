"""Plain data types shared by the engine, the rules and every front end.

Positions are kept in one canonical form: 0-based line and 0-based column counted in
Unicode code points of the decoded source. Front ends convert once at their edge
(LSP: negotiated encoding; CLI: 1-based columns).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Severity(enum.Enum):
    """Rule severity, named as in the checklist; mapped to LSP at the edge.

    No rule is HINT by default: it exists for overrides (`severity = {CEL002 = "hint"}`),
    so that an editor can show a finding as a hint rather than an information.
    """

    HIGH = "error"
    MEDIUM = "warning"
    LOW = "information"
    HINT = "hint"

    @classmethod
    def parse(cls, text: str) -> Severity:
        aliases = {
            "high": cls.HIGH,
            "error": cls.HIGH,
            "medium": cls.MEDIUM,
            "warning": cls.MEDIUM,
            "low": cls.LOW,
            "information": cls.LOW,
            "info": cls.LOW,
            "hint": cls.HINT,
        }
        try:
            return aliases[text.strip().lower()]
        except KeyError:
            raise ValueError(
                f"unknown severity {text!r}: use high/medium/low/hint or error/warning/information/hint"
            ) from None


@dataclass(frozen=True, order=True)
class Position:
    line: int  # 0-based
    column: int  # 0-based, Unicode code points


@dataclass(frozen=True, order=True)
class Range:
    start: Position
    end: Position

    @classmethod
    def of(cls, line: int, column: int, end_line: int, end_column: int) -> Range:
        return cls(Position(line, column), Position(end_line, end_column))

    def contains(self, other: Range) -> bool:
        return self.start <= other.start and other.end <= self.end

    def overlaps(self, other: Range) -> bool:
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True)
class TextEdit:
    """Replace the text in `range` of the original source with `new_text`."""

    range: Range
    new_text: str


class FixSafety(enum.Enum):
    SAFE = "safe"  # keeps behaviour for all inputs the rule can see; goes into fix-all
    UNSAFE = "unsafe"  # may change behaviour; offered one at a time or with --unsafe-fixes


@dataclass(frozen=True)
class Fix:
    title: str
    edits: tuple[TextEdit, ...]
    safety: FixSafety


@dataclass(frozen=True)
class Finding:
    """One problem found by a rule.

    `fixable` is decided cheaply during detection; the edits themselves are computed on
    demand (`engine.compute_fix`) because they need the slower libcst parse.
    `anchor` lets a rule's fixer find the node again (e.g. the exact call text range).
    `no_fix_reason` says why a finding of a fixable rule has no fix in this case.
    """

    code: str
    message: str
    severity: Severity
    range: Range
    fixable: bool = False
    no_fix_reason: str | None = None
    details: tuple[tuple[str, object], ...] = field(default=(), compare=False)

    def detail(self, key: str, default: object = None) -> object:
        for k, v in self.details:
            if k == key:
                return v
        return default


@dataclass
class FileReport:
    """Result of checking one source text."""

    path: str
    findings: list[Finding]
    source: str | None = None  # decoded text (None when the file could not be decoded)
    syntax_error: bool = False
