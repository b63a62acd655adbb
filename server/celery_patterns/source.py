"""Reading source files and converting positions between encodings.

Everything inside the engine uses (0-based line, code-point column). This module is the
one place that converts to and from the other forms: absolute string offsets, the UTF-8
byte columns that `ast` reports, and UTF-16 / UTF-8 columns that LSP clients use.
"""

from __future__ import annotations

import bisect
import codecs
import io
import re
import tokenize
from collections.abc import Iterable, Iterator
from dataclasses import replace
from itertools import accumulate

from .ftypes import Finding, Position, Range, TextEdit

BOM = "\ufeff"
# Python's own line breaks: \n, \r\n and a lone \r (not str.splitlines's \f, U+2028...).
NEWLINE = re.compile(r"\r\n?|\n")
# A line with its line break, as Python splits them; the last may have none.
LINE = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+\Z")


def split_lines(text: str) -> list[str]:
    """The lines of `text`, each with its line break (Python's notion of lines)."""
    if "\r" in text:
        return LINE.findall(text)
    # (2.5x faster than the regular expression: a 2,000-line buffer's lines on every keystroke)
    lines = text.split("\n")
    last = lines.pop()
    out = [line + "\n" for line in lines]
    if last:
        out.append(last)
    return out


class DecodeError(ValueError):
    """The bytes of a file are not text in the encoding it declares."""


def decode_source(data: bytes) -> str:
    """Decode file bytes as Python does (BOM, PEP 263 coding cookie, else UTF-8).

    Newlines are kept exactly as they are: fixes must preserve CRLF.
    """
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        raise DecodeError(str(exc)) from None
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise DecodeError(f"cannot decode as {encoding}: {exc}") from None
    # The codec has taken off the one BOM Python allows; a second one stays in the text,
    # where the parser rejects it as CPython does (removing it would lose a byte on a fix).
    return text


def encode_source(text: str, original: bytes) -> bytes:
    """Encode fixed text the way the original file was encoded (keeping a BOM)."""
    encoding, _ = tokenize.detect_encoding(io.BytesIO(original).readline)
    if encoding == "utf-8-sig":
        return codecs.BOM_UTF8 + text.encode("utf-8")
    return text.encode(encoding)


class LineIndex:
    """Maps between string offsets and (line, column) positions of one text."""

    def __init__(self, text: str) -> None:
        self.text = text
        # Python's own notion of lines: \n, \r\n and a lone \r all end a line.
        starts = [0]
        if "\r" in text:
            starts.extend(m.end() for m in NEWLINE.finditer(text))
        else:  # (3x faster than the regular expression: celery+kombu's 242 files, 27 -> 9 ms)
            starts.extend(accumulate(len(line) + 1 for line in text.split("\n")))
            starts.pop()  # (one past the end of the text)
        self.line_starts = starts
        # Columns need converting only on lines with non-ASCII text: most files have none.
        self._ascii = text.isascii()
        self._ascii_lines: dict[int, bool] = {}
        self._lowered: bytes | None = None  # the text lower-cased, once a word is looked for in it

    def _is_ascii(self, line: int) -> bool:
        if self._ascii:
            return True
        found = self._ascii_lines.get(line)
        if found is None:
            found = self._ascii_lines[line] = self.line_text(line).isascii()
        return found

    def mentions(self, word: str) -> bool:
        """Whether `word` (lower-case) occurs in the text, written in any case (`noqa`, `NOQA`)."""
        if self._lowered is None:
            # Lower-cased once for every word asked: an ASCII text as bytes, which folds ASCII
            # letters alone at half `str.lower`'s instructions (celery+kombu: 22 M, callgrind).
            text = self.text
            self._lowered = text.encode().lower() if self._ascii else text.lower().encode("utf-8", "surrogatepass")
        return word.encode("utf-8", "surrogatepass") in self._lowered

    @property
    def line_count(self) -> int:
        return len(self.line_starts)

    def line_text(self, line: int) -> str:
        """The text of a line without its line ending."""
        if line < 0 or line >= len(self.line_starts):
            return ""
        start = self.line_starts[line]
        end = self.line_starts[line + 1] if line + 1 < len(self.line_starts) else len(self.text)
        return self.text[start:end].rstrip("\r\n")

    def offset(self, pos: Position) -> int:
        line = min(max(pos.line, 0), len(self.line_starts) - 1)
        start = self.line_starts[line]
        return min(start + max(pos.column, 0), start + len(self.line_text(line)))

    def position(self, offset: int) -> Position:
        offset = min(max(offset, 0), len(self.text))
        line = bisect.bisect_right(self.line_starts, offset) - 1
        return Position(line, offset - self.line_starts[line])

    def from_ast(self, lineno: int, col_offset: int) -> Position:
        """Convert `ast`'s 1-based line and UTF-8 byte column to a canonical position."""
        line = lineno - 1
        if self._is_ascii(line):
            return Position(line, col_offset)
        text = self.line_text(line)
        return Position(line, len(text.encode("utf-8")[:col_offset].decode("utf-8", "replace")))

    def node_range(self, node) -> Range:
        """The canonical range of an `ast` node (statements and expressions)."""
        end_lineno = getattr(node, "end_lineno", None) or node.lineno
        end_col = getattr(node, "end_col_offset", None)
        if end_col is None:
            end_col = node.col_offset
        if self._ascii:  # (columns are code points already: the model's summaries ask this of every call)
            return Range(Position(node.lineno - 1, node.col_offset), Position(end_lineno - 1, end_col))
        return Range(self.from_ast(node.lineno, node.col_offset), self.from_ast(end_lineno, end_col))

    # --- client encodings -------------------------------------------------------------
    def to_client_column(self, pos: Position, encoding: str) -> int:
        if encoding == "utf-32":
            return pos.column
        prefix = self.line_text(pos.line)[: pos.column]
        if prefix.isascii():
            return len(prefix)
        if encoding == "utf-8":
            return len(prefix.encode("utf-8"))
        return len(prefix.encode("utf-16-le")) // 2

    def from_client_column(self, line: int, column: int, encoding: str) -> Position:
        if encoding == "utf-32":
            return Position(line, column)
        text = self.line_text(line)
        if text.isascii():
            return Position(line, min(column, len(text)))
        unit = 1 if encoding == "utf-8" else 2
        codec = "utf-8" if encoding == "utf-8" else "utf-16-le"
        used = 0
        for index, char in enumerate(text):
            if used >= column:
                return Position(line, index)
            used += len(char.encode(codec)) // unit
        return Position(line, len(text))


def apply_edits(text: str, edits) -> str:
    """Apply non-overlapping edits (canonical ranges over `text`) and return the new text."""
    index = LineIndex(text)
    spans = sorted(
        ((index.offset(e.range.start), index.offset(e.range.end), e.new_text) for e in edits),
        key=lambda s: (s[0], s[1]),
    )
    out = []
    cursor = 0
    for start, end, new in spans:
        if start < cursor:
            raise ValueError("overlapping edits")
        out.append(text[cursor:start])
        out.append(new)
        cursor = end
    out.append(text[cursor:])
    return "".join(out)


def common_prefix(a, b) -> int:
    """How many leading items two strings (or lists) share, found by halving: slices
    compare in C, which beats a Python loop over a long shared head."""
    n = min(len(a), len(b))
    if a[:n] == b[:n]:
        return n
    same, differs = 0, n  # a[:same] == b[:same] and a[:differs] != b[:differs]
    while differs - same > 1:
        middle = (same + differs) // 2
        if a[same:middle] == b[same:middle]:
            same = middle
        else:
            differs = middle
    return same


def common_suffix(a, b, limit: int) -> int:
    """How many trailing items (at most `limit`) two strings (or lists) share."""
    if limit <= 0:
        return 0
    if a[len(a) - limit :] == b[len(b) - limit :]:
        return limit
    same, differs = 0, limit
    while differs - same > 1:
        middle = (same + differs) // 2
        if a[len(a) - middle : len(a) - same] == b[len(b) - middle : len(b) - same]:
            same = middle
        else:
            differs = middle
    return same


def changed_span(old: str, new: str) -> tuple[int, int, str] | None:
    """The one replacement turning `old` into `new`: `(start, end, text)` with
    `old[:start] + text + old[end:] == new`, covering only what lies between their shared
    head and tail; None when they are equal. It never cuts a \r\n in two (a position
    cannot point between them)."""
    if old == new:
        return None
    head = common_prefix(old, new)
    tail = common_suffix(old, new, min(len(old), len(new)) - head)
    if head and old[head - 1] == "\r" and old[head : head + 1] == "\n":
        head -= 1
    end = len(old) - tail
    if tail and old[end - 1 : end] == "\r" and old[end : end + 1] == "\n":
        tail -= 1
        end += 1
    return head, end, new[head : len(new) - tail]


class Rendering:
    """libcst's rendering of a source text, which leaves some whitespace out: a form feed that
    starts a statement's line (with the indentation before it), the blank lines before a form
    feed in the module's last comments. Says where a span of the rendering lies in the source,
    so that an edit read between two renderings changes nothing else there."""

    def __init__(self, source: str, rendered: str) -> None:
        self.source = source
        self.text = rendered
        self._where = None if source == rendered else self._offsets()

    def _offsets(self) -> list[int]:
        """The offset in the source of each character of the rendering (each goes to the
        first place it can: the whitespace left out comes before the next one rendered)."""
        source, where, offset = self.source, [], 0
        for char in self.text:
            while offset < len(source) and source[offset] != char and source[offset] in _LEFT_OUT:
                offset += 1
            if offset == len(source) or source[offset] != char:
                raise ValueError("the rendering is not the source's text")
            where.append(offset)
            offset += 1
        if source[offset:].strip(_LEFT_OUT):
            raise ValueError("the rendering is not the source's text")
        return where

    def span(self, first: int, last: int) -> tuple[int, int]:
        """Where `rendering[first:last]` lies in the source. An insertion (`first == last`)
        goes before the whitespace left out there, which belongs to the line after it.
        ValueError when a replacement would take some of it away: better no fix than a lost
        byte."""
        where = self._where
        if where is None:
            return first, last
        if first == last:
            start = where[first - 1] + 1 if first else 0
            return start, start
        start, end = where[first], where[last - 1] + 1
        if end - start != last - first:
            raise ValueError("the edit would remove whitespace the rendering leaves out")
        return start, end


_LEFT_OUT = " \t\f\r\n"  # what libcst may leave out of its rendering


def edit_between(old: str, new: str, index: LineIndex | None = None) -> TextEdit | None:
    """`changed_span` as an edit of `old` (`index`: a `LineIndex` of `old`, if at hand)."""
    span = changed_span(old, new)
    if span is None:
        return None
    index = index or LineIndex(old)
    start, end, text = span
    return TextEdit(Range(index.position(start), index.position(end)), text)


def moved(findings: Iterable[Finding], start: Position, end: Position, new_text: str) -> Iterator[Finding]:
    """The findings where they are after an edit replacing [start, end) with `new_text`;
    those the edit touches are gone."""
    breaks = list(NEWLINE.finditer(new_text))
    added_lines = len(breaks)
    last_segment = len(new_text) - breaks[-1].end() if breaks else len(new_text)

    def move(p: Position) -> Position:
        if p.line > end.line:
            return Position(p.line + added_lines - (end.line - start.line), p.column)
        column = (start.column if not breaks else 0) + last_segment + (p.column - end.column)
        return Position(start.line + added_lines, column)

    for finding in findings:
        if finding.range.end <= start:
            yield finding
        elif finding.range.start >= end:
            yield replace(finding, range=Range(move(finding.range.start), move(finding.range.end)))
