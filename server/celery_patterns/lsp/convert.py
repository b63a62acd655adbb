"""From the engine's plain types to LSP's, at the edge, in the negotiated position encoding.

Inside, positions are (0-based line, code-point column). The client counts columns in
UTF-16 code units unless it offered UTF-8 (`general.positionEncodings`); every range
the server sends or reads passes through `LineIndex.to_client_column` /
`from_client_column` here.
"""

from __future__ import annotations

import json
from functools import cache

from lsprotocol import types

from .. import docs
from ..ftypes import Finding, FixSafety, Position, Range, Severity, TextEdit
from ..rules import rule_by_code
from ..source import LineIndex

SOURCE = "celery-patterns"

SEVERITY = {
    Severity.HIGH: types.DiagnosticSeverity.Error,
    Severity.MEDIUM: types.DiagnosticSeverity.Warning,
    Severity.LOW: types.DiagnosticSeverity.Information,
    Severity.HINT: types.DiagnosticSeverity.Hint,
}


def choose_encoding(capabilities: types.ClientCapabilities) -> str:
    """UTF-8 when the client offers it, else UTF-16 (the LSP default every client has)."""
    offered = capabilities.general.position_encodings if capabilities.general else None
    if offered and types.PositionEncodingKind.Utf8 in offered:
        return "utf-8"
    return "utf-16"


def to_lsp_position(index: LineIndex, pos: Position, encoding: str) -> types.Position:
    return types.Position(line=pos.line, character=index.to_client_column(pos, encoding))


def to_lsp_range(index: LineIndex, rng: Range, encoding: str) -> types.Range:
    return types.Range(start=to_lsp_position(index, rng.start, encoding), end=to_lsp_position(index, rng.end, encoding))


def from_lsp_range(index: LineIndex, rng: types.Range, encoding: str) -> Range:
    return Range(
        index.from_client_column(rng.start.line, rng.start.character, encoding),
        index.from_client_column(rng.end.line, rng.end.character, encoding),
    )


def to_diagnostic(
    finding: Finding, index: LineIndex, encoding: str, version: int | None, fixes_possible: bool = True
) -> dict[str, object]:
    """One finding as an LSP `Diagnostic`, built as the JSON object itself.

    `data` holds what a code action needs to find the finding again and to decide which
    actions to offer without computing anything, and the document version it is of.
    `data` is the last member and `version` the last member of `data`: `Rendered` relies
    on it to splice in the version of each new result.
    """
    rule = rule_by_code(finding.code)
    fix_safety = rule.fix_safety if rule is not None else None
    fixable = bool(fixes_possible and finding.fixable and fix_safety is not None)
    start, end = finding.range.start, finding.range.end
    diagnostic: dict[str, object] = {
        "range": {
            "start": {"line": start.line, "character": index.to_client_column(start, encoding)},
            "end": {"line": end.line, "character": index.to_client_column(end, encoding)},
        },
        "severity": SEVERITY[finding.severity].value,
        "code": finding.code,
        "source": SOURCE,
        "message": finding.message,
    }
    if href := rule_doc_href(finding.code):
        diagnostic["codeDescription"] = {"href": href}
    data: dict[str, object] = {
        "code": finding.code,
        "range": [start.line, start.column, end.line, end.column],
        "fixable": fixable,
        "safe": fixable and fix_safety is FixSafety.SAFE,
    }
    if finding.no_fix_reason:
        data["noFixReason"] = finding.no_fix_reason
    data["version"] = version
    diagnostic["data"] = data
    return diagnostic


class Rendered:
    """The diagnostics of successive results of one document, as JSON text.

    A file full of findings means hundreds of diagnostics per keystroke, and an edit
    leaves almost all of them as they were: the incremental checker hands back the very
    finding objects it kept. Each is turned into JSON once, up to its version; a new
    result only splices its version in. (Through lsprotocol's attrs classes and cattrs
    the diagnostics alone would cost several times the check.)
    """

    _TAIL = "null}}"  # the version, closing `data` and the diagnostic

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self._heads: dict[tuple[int, bool], tuple[Finding, str]] = {}

    def json(self, findings, index: LineIndex, version: int | None, fixes_possible: bool) -> str:
        """The JSON array of the findings' diagnostics for `version`; forgets findings no
        longer in it."""
        heads = {}
        parts = []
        tail = ("null" if version is None else str(int(version))) + "}}"
        for finding in findings:
            key = (id(finding), fixes_possible)
            kept = self._heads.get(key)
            if kept is None or kept[0] is not finding:
                text = json.dumps(
                    to_diagnostic(finding, index, self.encoding, None, fixes_possible), separators=(",", ":")
                )
                kept = (finding, text[: -len(self._TAIL)])
            heads[key] = kept
            parts.append(kept[1] + tail)
        self._heads = heads
        return "[" + ",".join(parts) + "]"


def finding_key(data) -> tuple[str, Range] | None:
    """(code, canonical range) from a diagnostic's `data`, or None if it is not ours."""
    try:
        code = str(data["code"])
        line, column, end_line, end_column = (int(v) for v in data["range"])
    except (KeyError, TypeError, ValueError):
        return None
    return code, Range.of(line, column, end_line, end_column)


def to_lsp_edits(index: LineIndex, edits: tuple[TextEdit, ...], encoding: str) -> list[types.TextEdit]:
    return [types.TextEdit(range=to_lsp_range(index, e.range, encoding), new_text=e.new_text) for e in edits]


def workspace_edit(uri: str, version: int | None, edits: list[types.TextEdit], versioned: bool) -> types.WorkspaceEdit:
    """A workspace edit of one document; versioned (stale edits are refused) when the client can."""
    if versioned:
        document = types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version)
        return types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(text_document=document, edits=edits)])
    return types.WorkspaceEdit(changes={uri: edits})


@cache
def rule_doc_href(code: str) -> str | None:
    if rule_by_code(code) is None:
        return None  # CEL000 (syntax error) has no rule page
    try:
        return docs.rule_doc_uri(code)
    except Exception:
        return None
