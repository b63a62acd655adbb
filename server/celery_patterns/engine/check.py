"""Checking one source text: parse once, gather the module's facts, run every enabled rule.

It knows no rule by name: rules come from the registry and are chosen by the settings.
A text that does not parse gives one CEL000 finding, never an exception: a syntax error
(error severity); a file for a newer Python (`versions.py`) or nested too deeply to check
(warning severity). The work runs on a thread with a large C stack (`celery_patterns.stack`):
deep but valid code raises RecursionError there instead of crashing the process.
"""

from __future__ import annotations

import ast
import bisect
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from ..analysis.facts import ModuleFacts
from ..analysis.units import first_line
from ..config import Settings
from ..ftypes import FileReport, Finding, Position, Range, Severity
from ..model import build as model_build
from ..model.project import Project
from ..model.summary import ModuleSummary
from ..rules import Rule
from ..source import DecodeError, LineIndex, decode_source
from ..stack import deep
from .run import enabled_rules, run_rules
from .suppression import LineComments, suppressed
from .versions import RUNNING, newer_syntax

if TYPE_CHECKING:
    from .incremental import BufferChecker

SYNTAX_CODE = "CEL000"

TOO_DEEP = "too deeply nested to check: this file is not checked (its code nests deeper than the checker can follow)"


@dataclass
class Checked:
    """A check's result together with what a later fix needs (parsed once)."""

    report: FileReport
    facts: ModuleFacts | None = None  # of the whole module; None when no rule needed them
    errors: list[str] = field(default_factory=list)
    index: LineIndex | None = None
    # Why the rules did not run on a text that parses here (too deep) or on a newer Python.
    unchecked: str | None = None


def check_source(
    source: str,
    path: str = "<string>",
    settings: Settings | None = None,
    module_name: str | None = None,
    incremental: BufferChecker | None = None,
    project: Project | None = None,
) -> Checked:
    """Check one decoded source text.

    `incremental` is an editor buffer's `BufferChecker`: it parses the text and runs the
    rules reusing what the last version's check found where nothing changed. `project` is
    the model of the workspace the file is in (the module is named as the model names it)."""
    return deep(_check_source, source, path, settings, module_name, incremental, project)


def _check_source(source, path, settings, module_name, incremental, project) -> Checked:
    settings = settings or Settings()
    if project is not None:
        module_name = project.layout.module_name(path)
    index = LineIndex(source)
    tree = _parse(source, path, index, settings, incremental)
    if isinstance(tree, Checked):
        return tree
    rules = [r for r in enabled_rules(settings, path) if r.applies_to(source, settings)]
    findings: list[Finding] = []
    errors: list[str] = []
    facts = None
    if rules:
        try:
            if incremental is not None:
                findings, facts, errors = incremental.run(
                    rules, tree, source, index, path, module_name, settings, project
                )
            else:
                facts = ModuleFacts(tree, source, index, path, module_name)
                findings, errors = run_rules(rules, facts, settings, project)
        except RecursionError:
            return _too_deep(path, source, index, settings, incremental)
    try:
        findings = _finish(findings, index, settings, tree)
    except RecursionError:
        return _too_deep(path, source, index, settings, incremental)
    return Checked(FileReport(path, findings, source), facts, errors, index)


def _parse(
    source: str, path: str, index: LineIndex, settings: Settings, incremental: BufferChecker | None = None
) -> ast.Module | Checked:
    """The module's tree, or the check's result when it does not parse here: a syntax error,
    syntax of a newer Python (a warning), code too deep for the parser, a null byte."""
    try:
        return incremental.parse(source, path) if incremental is not None else ast.parse(source, path)
    except SyntaxError as exc:
        newer = newer_syntax(source, (exc.lineno or 1) - 1) if exc.lineno else None
        if newer is not None:
            version, feature = newer
            message = f"this file needs Python {version} ({feature}); celery-patterns runs on {RUNNING}"
            findings = _syntax_finding(message, _error_position(exc, index), index, settings, Severity.MEDIUM)
            return Checked(FileReport(path, findings, source), index=index, unchecked=message)
        report = FileReport(path, _syntax_findings(exc, index, settings), source, syntax_error=True)
        return Checked(report, index=index)
    except (RecursionError, MemoryError):  # the parser's "too complex", or its tree too deep
        return _too_deep(path, source, index, settings, incremental)
    except ValueError as exc:  # null bytes
        finding = _syntax_finding(f"cannot parse: {exc}", Position(0, 0), index, settings)
        return Checked(FileReport(path, finding, source, syntax_error=True), index=index)


def _too_deep(path: str, source: str, index: LineIndex, settings: Settings, incremental) -> Checked:
    if incremental is not None:
        incremental.forget()  # it may hold the tree of this text, half analysed
    finding = _syntax_finding(TOO_DEEP, Position(0, 0), index, settings, Severity.MEDIUM)
    return Checked(FileReport(path, finding, source), index=index, unchecked=TOO_DEEP)


def check_bytes(
    data: bytes,
    path: str,
    settings: Settings | None = None,
    module_name: str | None = None,
    project: Project | None = None,
) -> Checked:
    try:
        source = decode_source(data)
    except DecodeError as exc:
        settings = settings or Settings()
        finding = _syntax_finding(f"cannot decode file: {exc}", Position(0, 0), LineIndex(""), settings)
        return Checked(FileReport(path, finding, None, syntax_error=True))
    return deep(_check_source, source, path, settings, module_name, None, project)


@dataclass
class Begun:
    """A check split in two for a batch that builds the project model from the same parse:
    `begin_check` ran the rules that do not read the model; `finish_check` runs the rest."""

    checked: Checked | None  # the result when nothing waits for the model
    summary: ModuleSummary | None = None  # of the module, for the model
    tree: ast.Module | None = None
    facts: ModuleFacts | None = None
    settings: Settings = field(default_factory=Settings)
    rules: list[Rule] = field(default_factory=list)  # the rules that read the model
    findings: list[Finding] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    ran: bool = False  # whether any rule applied


def begin_check(
    source: str, path: str, settings: Settings, module_name: str | None, summarise_with: Settings | None
) -> Begun:
    """`check_source` up to the rules that read the model, and the module's summary made
    from the same facts (with `summarise_with`, the settings the model reads the file with;
    none when None). What it finds is what `check_source` finds once `finish_check` ran."""
    return deep(_begin_check, source, path, settings, module_name, summarise_with)


def _begin_check(
    source: str, path: str, settings: Settings, module_name: str | None, summarise_with: Settings | None
) -> Begun:
    index = LineIndex(source)
    tree = _parse(source, path, index, settings)
    if isinstance(tree, Checked):
        return Begun(tree)
    rules = [r for r in enabled_rules(settings, path) if r.applies_to(source, settings)]
    try:
        if not rules and summarise_with is None:
            return Begun(Checked(FileReport(path, _finish([], index, settings, tree), source), None, index=index))
        facts = ModuleFacts(tree, source, index, path, module_name)
        summary = model_build.summarise_facts(facts, summarise_with) if summarise_with is not None else None
        begun = Begun(None, summary, tree, facts, settings, [r for r in rules if r.uses_project], ran=bool(rules))
        begun.findings, begun.errors = run_rules([r for r in rules if not r.uses_project], facts, settings)
    except RecursionError:
        return Begun(_too_deep(path, source, index, settings, None))
    return begun


def finish_check(begun: Begun, project: Project | None) -> Checked:
    """The check `begin_check` began, with the workspace's model."""
    if begun.checked is not None:
        return begun.checked
    return deep(_finish_check, begun, project)


def _finish_check(begun: Begun, project: Project | None) -> Checked:
    facts = begun.facts
    assert facts is not None and facts.index is not None and begun.tree is not None
    findings, errors = list(begun.findings), list(begun.errors)
    try:
        if begun.rules:
            more, more_errors = run_rules(begun.rules, facts, begun.settings, project)
            findings += more
            errors += more_errors
        findings = _finish(findings, facts.index, begun.settings, begun.tree)
    except RecursionError:
        return _too_deep(facts.path, facts.source, facts.index, begun.settings, None)
    return Checked(FileReport(facts.path, findings, facts.source), facts if begun.ran else None, errors, facts.index)


def _finish(
    findings: list[Finding], index: LineIndex, settings: Settings, tree: ast.AST | None = None
) -> list[Finding]:
    """Severity overrides, `# noqa` suppression, de-duplication and source order.

    `tree` (the parsed source) tells which `# noqa` is a comment and which is string text."""
    out = []
    places = []  # (line, column, code) of each finding kept: the order they are reported in
    seen = set()
    # Most files have no "noqa" at all: then no line is looked at.
    comments = LineComments(index, tree) if index.mentions("noqa") else None
    for finding in findings:
        # Keys of plain ints and strings: hashing and comparing the position dataclasses
        # costs more than the rest of this loop on a file with hundreds of findings.
        start, end = finding.range.start, finding.range.end
        key = (start.line, start.column, end.line, end.column, finding.code, finding.message)
        if key in seen or (comments is not None and suppressed(finding, comments)):
            continue
        seen.add(key)
        if settings.severity:
            severity = settings.severity_for(finding.code, finding.severity)
            if severity is not finding.severity:
                finding = replace(finding, severity=severity)
        out.append(finding)
        places.append((start.line, start.column, finding.code))
    # (sorted by the places worked out above: a key function called per finding cost as much)
    out = [out[i] for i in sorted(range(len(out)), key=places.__getitem__)]
    if isinstance(tree, ast.Module) and any(f.fixable for f in out):
        out = _refuse_large_fixes(out, tree, index)
    return out


def _refuse_large_fixes(findings: list[Finding], tree: ast.Module, index: LineIndex) -> list[Finding]:
    """The findings, those whose fix would take too long (`fixes.context.too_large_to_fix` of
    the top-level statement they are in) made not fixable, with the reason."""
    from ..fixes.context import may_be_too_large_to_fix, too_large_to_fix  # (no libcst: they read `ast`)

    body = tree.body
    if not any(may_be_too_large_to_fix(statement, index) for statement in body):
        return findings  # (most modules: no finding is looked at; 11 -> 1 ms for 4,500 findings)
    firsts = [first_line(statement) for statement in body]
    reasons: dict[int, str | None] = {}
    out = []
    for finding in findings:
        if finding.fixable:
            line = finding.range.start.line
            i = bisect.bisect_right(firsts, line) - 1
            if i >= 0 and line < (body[i].end_lineno or 0):
                if i not in reasons:
                    reasons[i] = too_large_to_fix([body[i]], index.text, index)
                if reasons[i] is not None:
                    finding = replace(finding, fixable=False, no_fix_reason=reasons[i])
        out.append(finding)
    return out


def _error_position(exc: SyntaxError, index: LineIndex) -> Position:
    line = max((exc.lineno or 1) - 1, 0)
    column = max((exc.offset or 1) - 1, 0)
    return Position(line, min(column, len(index.line_text(line))))


def _syntax_findings(exc: SyntaxError, index: LineIndex, settings: Settings) -> list[Finding]:
    start = _error_position(exc, index)
    message = f"syntax error: {exc.msg} (line {start.line + 1})"
    return _syntax_finding(message, start, index, settings)


def _syntax_finding(
    message: str, start: Position, index: LineIndex, settings: Settings, severity: Severity = Severity.HIGH
) -> list[Finding]:
    if SYNTAX_CODE in settings.ignore:
        return []
    text = index.line_text(start.line)
    end = Position(start.line, min(start.column + 1, len(text))) if text else start
    return [Finding(SYNTAX_CODE, message, settings.severity_for(SYNTAX_CODE, severity), Range(start, end))]
