"""Open documents: their text, version and latest results, kept in sync incrementally.

The server applies `didChange` edits itself, through the engine's `LineIndex`, instead
of relying on pygls' copy: pygls splits lines with `str.splitlines`, for which a form
feed, `\\x1c` or U+2028 also ends a line, while LSP and Python end lines only at `\\n`,
`\\r\\n` and `\\r`. In a file with a form feed every later edit would land on the wrong line.

The findings of the last check that parsed (`last_good`) follow the edits made since,
so that while the buffer does not parse they still point at the right lines. They are
moved only when a check needs them (when the buffer does not parse): moving hundreds of
findings on every keystroke of a buffer that parses would be wasted.

A document being typed in also keeps a `BufferChecker`, which reparses and checks again
only the top-level statements an edit touched.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from lsprotocol import types

from ..engine.incremental import BufferChecker
from ..ftypes import Finding, Fix, Position
from ..source import LineIndex, moved
from .checking import DocumentCheck
from .convert import Rendered

_MAX_PENDING_MOVES = 32  # edits recorded before the findings are moved along them


@dataclass(frozen=True)
class KeptFindings:
    """Findings of an earlier text and the edits made to it since: (start, end, new text)."""

    findings: tuple[Finding, ...] = ()
    edits: tuple[tuple[Position, Position, str], ...] = ()

    def after_edit(self, start: Position, end: Position, new_text: str) -> KeptFindings:
        if not self.findings:
            return self
        kept = KeptFindings(self.findings, (*self.edits, (start, end, new_text)))
        return KeptFindings(kept.moved()) if len(kept.edits) > _MAX_PENDING_MOVES else kept

    def moved(self) -> tuple[Finding, ...]:
        """The findings where they are in the current text; those an edit touched are gone."""
        findings = self.findings
        for start, end, new_text in self.edits:
            findings = tuple(moved(findings, start, end, new_text))
        return findings


@dataclass(eq=False)
class OpenDocument:
    uri: str
    path: str
    text: str
    version: int
    language_id: str = "python"
    # The latest check that matches a version of this document, and that version.
    result: DocumentCheck | None = None
    result_version: int | None = None
    diagnostics: str | None = None  # of `result`, as JSON, kept only for clients that pull them
    published: tuple[int, bytes] | None = None  # (version, digest of the diagnostics) last pushed
    rendered: Rendered | None = None  # its findings' diagnostics as JSON, kept for the next result
    # Rule findings of the last check that parsed, with every edit since.
    last_good: KeptFindings = KeptFindings()
    checker: BufferChecker | None = None  # while the document is being typed in
    # Computed fixes of one version: (code, range) -> Fix or None.
    fixes: dict[tuple, Fix | None] = field(default_factory=dict)
    fixes_version: int | None = None
    task: asyncio.Task | None = None  # the check running or about to
    # The version of its folder's model the latest result was checked against, and whether
    # that check read the model (a rule that reads it ran, or there was no model yet): a
    # document that reads nothing of the model is not checked again when the model changes.
    model_seen: int = -1
    reads_model: bool = True
    wanted: int = 0  # bumped whenever the document must be checked again (text or settings)
    checked: asyncio.Event = field(default_factory=asyncio.Event)  # set when result is current

    def index(self) -> LineIndex:
        """A line index of the text as it is now (the latest result's, when it is of this text)."""
        if self.result is not None and self.result.source is self.text:
            return self.result.index
        return LineIndex(self.text)

    def forget(self) -> None:
        """Drop the results (to save memory); the next use checks the document again."""
        self.result = self.result_version = self.diagnostics = self.rendered = None
        self.last_good = KeptFindings()
        self.checker = None
        self.fixes, self.fixes_version = {}, None

    def apply_changes(self, changes, version: int, encoding: str) -> None:
        for change in changes:
            if isinstance(change, types.TextDocumentContentChangePartial):
                self._apply_range_change(change.range, change.text, encoding)
            else:
                self.text = change.text
                self.last_good = KeptFindings()
        self.version = version
        self.checked.clear()

    def _apply_range_change(self, rng: types.Range, new_text: str, encoding: str) -> None:
        index = self.index()
        start = index.from_client_column(rng.start.line, rng.start.character, encoding)
        end = max(start, index.from_client_column(rng.end.line, rng.end.character, encoding))
        a, b = index.offset(start), index.offset(end)
        if rng.start.line >= index.line_count:
            a = b = len(self.text)
        elif rng.end.line >= index.line_count:
            b = len(self.text)
        self.text = self.text[:a] + new_text + self.text[b:]
        self.last_good = self.last_good.after_edit(start, end, new_text)

    def fix_cache(self, version: int) -> dict[tuple, Fix | None]:
        """The fixes computed for `version` (forgotten when a fix of another version is asked for)."""
        if self.fixes_version != version:
            self.fixes = {}
            self.fixes_version = version
        return self.fixes
