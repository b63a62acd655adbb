"""Code actions: what is offered for a diagnostic, and the text of hover.

For each of our diagnostics in the request:
- a quick fix when the rule has a fix for that finding (`data.fixable`), preferred when
  the fix is safe; its edit is computed only when asked for (`codeAction/resolve`) if
  the client supports lazy edits, since a fix costs a libcst parse;
- "Disable CELnnn for this line", adding or extending the line's `# noqa`
  (`celery_patterns.engine.suppression`).
And for the document: `source.fixAll.celery-patterns`, every safe fix at once.

A diagnostic's `data` says which finding it is (`convert.finding_key`), so offering the
actions is a lookup; this module builds them and leaves computing edits to the server.
"""

from __future__ import annotations

import ast
import io
import tokenize
from collections.abc import Sequence

from lsprotocol import types

from .. import engine
from ..engine import suppression
from ..ftypes import Finding, FixSafety, Position, Range, TextEdit
from ..rules import rule_by_code
from .checking import DocumentCheck
from .convert import finding_key, from_lsp_range, to_lsp_edits, workspace_edit

FIX_ALL = "source.fixAll.celery-patterns"
QUICK_FIX = types.CodeActionKind.QuickFix


def wanted(only: Sequence[str] | None, kind: str) -> bool:
    """Whether a request restricted to `only` kinds asks for actions of `kind`."""
    return not only or any(kind == k or kind.startswith(k + ".") for k in only)


def findings_for(
    result: DocumentCheck, params: types.CodeActionParams, encoding: str
) -> list[tuple[Finding, types.Diagnostic | None]]:
    """The findings the request is about, each with the client's diagnostic for it.

    The client's diagnostics carry `data` naming the finding; a client that drops `data`
    still sends code and range. A diagnostic is ours when it names one of our findings
    that way, whatever its `source`: some clients drop or rename that (ALE echoes our
    diagnostics back without it), and another tool's diagnostic names none of ours.
    Without diagnostics in the context, the findings that overlap the requested range
    are meant.
    """
    out: list[tuple[Finding, types.Diagnostic | None]] = []
    for diagnostic in params.context.diagnostics:
        key = finding_key(diagnostic.data) or (
            str(diagnostic.code),
            from_lsp_range(result.index, diagnostic.range, encoding),
        )
        finding = result.finding(*key)
        if finding is not None:
            out.append((finding, diagnostic))
    if not params.context.diagnostics:
        wanted_range = from_lsp_range(result.index, params.range, encoding)
        out = [
            (f, None)
            for f in result.findings
            if f.range.start <= wanted_range.end and wanted_range.start <= f.range.end
        ]
    return out


def has_fix(finding: Finding, result: DocumentCheck) -> bool:
    rule = rule_by_code(finding.code)
    return result.parsed and finding.fixable and rule is not None and rule.fix_safety is not None


def is_safe(finding: Finding) -> bool:
    rule = rule_by_code(finding.code)
    return rule is not None and rule.fix_safety is FixSafety.SAFE


def fix_title(finding: Finding) -> str:
    rule = rule_by_code(finding.code)
    title = (rule.fix_title if rule else "") or f"Fix {finding.code}"
    return title if is_safe(finding) else f"{title} (unsafe)"


def quick_fix(
    finding: Finding,
    diagnostic: types.Diagnostic | None,
    uri: str,
    version: int,
    edit: types.WorkspaceEdit | None = None,
) -> types.CodeAction:
    """The fix of one finding; without `edit` it is resolved later (`data` says which)."""
    start, end = finding.range.start, finding.range.end
    return types.CodeAction(
        title=fix_title(finding),
        kind=QUICK_FIX,
        diagnostics=[diagnostic] if diagnostic else None,
        is_preferred=is_safe(finding),
        edit=edit,
        data=None
        if edit
        else {
            "kind": "fix",
            "uri": uri,
            "version": version,
            "code": finding.code,
            "range": [start.line, start.column, end.line, end.column],
        },
    )


def disable_for_line(
    finding: Finding,
    diagnostic: types.Diagnostic | None,
    result: DocumentCheck,
    uri: str,
    version: int,
    encoding: str,
    versioned: bool,
    edit: TextEdit | None,
) -> types.CodeAction | None:
    """Add or extend the line's `# noqa` with `edit` (from `noqa_edit`; None: none can be added)."""
    if edit is None:
        return None
    return types.CodeAction(
        title=f"Disable {finding.code} for this line",
        kind=QUICK_FIX,
        diagnostics=[diagnostic] if diagnostic else None,
        edit=workspace_edit(uri, version, to_lsp_edits(result.index, (edit,), encoding), versioned),
    )


def noqa_edit(finding: Finding, result: DocumentCheck) -> TextEdit | None | bool:
    """The edit silencing the finding's code on its line, read from that line alone, from
    where the finding starts (code there, not the end of a string begun above); False when
    the line alone cannot tell (it ends inside a string or continues with a backslash):
    then `noqa_edit_parsed` reads the whole text."""
    if finding.code == engine.SYNTAX_CODE:
        return None  # a syntax error cannot be silenced
    line = finding.range.start.line
    text = result.index.line_text(line)
    column = min(finding.range.start.column, len(text))
    code = " " * column + text[column:]
    if not _ends_outside_strings(code):
        return False
    # A line that starts and ends outside strings: no string spans it, all a tree would say.
    edit = suppression.noqa_edit(code, 0, finding.code, _NO_STRINGS)
    if edit is None:
        return None
    start, end = edit.range.start, edit.range.end
    return TextEdit(Range(Position(line, start.column), Position(line, end.column)), edit.new_text)


def noqa_edit_parsed(finding: Finding, result: DocumentCheck) -> TextEdit | None:
    """`noqa_edit` reading the whole text (slow on a large file: run it in a worker)."""
    tree = None
    if result.parsed:
        try:
            tree = ast.parse(result.source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            pass
    return suppression.noqa_edit(result.source, finding.range.start.line, finding.code, tree, result.index)


_NO_STRINGS = ast.Module(body=[], type_ignores=[])


def _ends_outside_strings(code: str) -> bool:
    """The line's tokens reach its end (a comment or the line break) outside any string."""
    try:
        for token in tokenize.generate_tokens(io.StringIO(code + "\n").readline):
            if token.type in (tokenize.COMMENT, tokenize.NEWLINE, tokenize.NL):
                return True
    except (tokenize.TokenError, SyntaxError):
        pass
    return False


def at_cursor(
    found: list[tuple[Finding, types.Diagnostic | None]], params: types.CodeActionParams, result, encoding: str
) -> list[tuple[Finding, types.Diagnostic | None]]:
    """The request's findings under the cursor (the start of its range), else the first: what
    a client that cannot resolve edits gets a fix computed for."""
    cursor = from_lsp_range(result.index, params.range, encoding).start
    under = [(f, d) for f, d in found if f.range.start <= cursor <= f.range.end]
    return under or found[:1]


def fix_all(uri: str, version: int, edit: types.WorkspaceEdit | None = None) -> types.CodeAction:
    return types.CodeAction(
        title="celery-patterns: fix all safe problems",
        kind=FIX_ALL,
        edit=edit,
        data=None if edit else {"kind": "fixAll", "uri": uri, "version": version},
    )


def any_safe_fix(result: DocumentCheck) -> bool:
    return any(has_fix(f, result) and is_safe(f) for f in result.findings)


def hover_text(findings: list[Finding]) -> str:
    """Markdown for the findings under the cursor: each message, then each rule's page."""
    lines = [
        f"**{f.code}** {f.message}" + (f"\n\n_No automatic fix: {f.no_fix_reason}._" if f.no_fix_reason else "")
        for f in findings
    ]
    pages = []
    for code in dict.fromkeys(f.code for f in findings):
        rule = rule_by_code(code)
        if rule is not None:
            pages.append(rule.documentation().strip())
    return "\n\n".join(lines) + "".join(f"\n\n---\n\n{page}" for page in pages)
