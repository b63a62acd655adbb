"""Checking an editor buffer, which, unlike a file on disk, is often half-typed.

While a buffer has a syntax error the user must not lose every diagnostic. The buffer
is checked as the engine sees it; when it does not parse, the lines that break it are
neutralised (the offending line becomes `pass`, else the top-level statement around the
error is blanked, keeping every line where it is) until the rest parses, and that rest
is checked for real: new findings in the parts that parse show up while typing.

Added to those: the findings of the last check that parsed, moved along with the edits
since (`documents.py`), minus any an edit touched. They cover what the repaired text
cannot show (the body of a blanked function, or everything, when a lost import or an
unterminated string hides it), and an untouched finding is still a finding. The syntax
error itself is shown too, when enabled. Nothing here raises for any text.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from .. import engine
from ..config import Settings
from ..ftypes import Finding, Range
from ..model.project import Project
from ..model.summary import ModuleSummary
from ..source import LineIndex, split_lines

_MAX_REPAIRS = 8


@dataclass(frozen=True)
class DocumentCheck:
    """The result of checking one text, with what a later fix or lookup needs."""

    source: str  # the text that was checked
    index: LineIndex
    findings: tuple[Finding, ...]  # what to show, in source order
    parsed: bool  # False: the text has a syntax error and `findings` are recovered
    settings: Settings  # what it was checked with (a fix must use the same)
    module_name: str | None
    summary: ModuleSummary | None = None  # its module summary, when checked with the project model

    def finding(self, code: str, rng: Range) -> Finding | None:
        for finding in self.findings:
            if finding.code == code and finding.range == rng:
                return finding
        return None


def check_document(
    text: str,
    path: str,
    settings: Settings,
    module_name: str | None,
    *,
    show_syntax_errors: bool = True,
    last_good=tuple,
    incremental=None,
    project: Project | None = None,
) -> DocumentCheck:
    """Check a buffer. `last_good()` gives the findings of the last text that parsed, moved
    to where they are now (asked for only when this text does not parse); `incremental` is
    the document's `BufferChecker`, if it has one; `project` the workspace's model."""
    checked = engine.check_source(text, path, settings, module_name, incremental, project)
    index = checked.index or LineIndex(text)
    if not checked.report.syntax_error:
        # The engine's facts (the `ast` tree and its indexes) are not kept: they are several
        # times the size of the text, and a fix re-checks in a fraction of its own cost.
        summary = checked.facts.summary if checked.facts is not None else None
        return DocumentCheck(text, index, tuple(checked.report.findings), True, settings, module_name, summary)
    syntax = [f for f in checked.report.findings if f.code == engine.SYNTAX_CODE] if show_syntax_errors else []
    last_good = last_good()
    repaired, touched = _repair(text)
    if repaired is None:  # nothing parses: the last good results, as they were moved
        findings = _sorted([*last_good, *syntax])
    else:
        recovered = [
            f
            for f in engine.check_source(repaired, path, settings, module_name, project=project).report.findings
            if not _touches(f, touched)
        ]
        seen = {(f.code, f.range) for f in recovered}
        kept = [f for f in last_good if (f.code, f.range) not in seen]
        findings = _sorted([*recovered, *kept, *syntax])
    return DocumentCheck(text, index, findings, False, settings, module_name)


def disabled(text: str, settings: Settings, module_name: str | None) -> DocumentCheck:
    """The result for a document while checking is switched off (`enable: false`)."""
    return DocumentCheck(text, LineIndex(text), (), True, settings, module_name)


def _repair(text: str) -> tuple[str | None, set[int]]:
    """A copy of `text` that parses, with the same lines, and the lines that were changed."""
    lines = split_lines(text)
    touched: set[int] = set()
    first = True
    for _ in range(_MAX_REPAIRS):
        try:
            ast.parse("".join(lines))
            return "".join(lines), touched
        except SyntaxError as exc:
            error_line = min(max((exc.lineno or 1) - 1, 0), max(len(lines) - 1, 0))
        except (ValueError, RecursionError, MemoryError):
            return None, touched
        if not lines:
            return None, touched
        if first and error_line not in touched:
            first = False
            _replace_with_pass(lines, error_line)
            touched.add(error_line)
            continue
        start, end = _top_level_block(lines, error_line)
        if all(i in touched and not lines[i].strip() for i in range(start, end)):
            return None, touched  # blanking again changes nothing
        for i in range(start, end):
            lines[i] = _ending(lines[i])
            touched.add(i)
    return None, touched


def _replace_with_pass(lines: list[str], i: int) -> None:
    body = lines[i].rstrip("\r\n")
    indent = body[: len(body) - len(body.lstrip())]
    lines[i] = (indent + "pass" if body.strip() else "") + _ending(lines[i])


def _top_level_block(lines: list[str], i: int) -> tuple[int, int]:
    """Lines [start, end) of the top-level statement (with its decorators) holding line i."""

    def top_level(k: int) -> bool:
        return bool(lines[k][:1].strip()) and not lines[k].startswith("#")

    start = i
    while start > 0 and not top_level(start):
        start -= 1
    while start > 0 and lines[start - 1].startswith("@"):
        start -= 1
    end = i + 1
    while end < len(lines) and not top_level(end):
        end += 1
    return start, end


def _ending(line: str) -> str:
    return line[len(line.rstrip("\r\n")) :]


def _touches(finding: Finding, lines: set[int]) -> bool:
    return any(i in lines for i in range(finding.range.start.line, finding.range.end.line + 1))


def _sorted(findings) -> tuple[Finding, ...]:
    return tuple(sorted(findings, key=lambda f: (f.range.start, f.code)))
