"""Reading comments: which text on a line is a real comment, and what a `# noqa` in it says.

A finding is suppressed when the line it starts on carries a `# noqa` comment naming its
code (or a bare `# noqa`); see `noqa_codes`. Only a real comment counts:
`"# noqa"` inside a string literal (one-line or triple-quoted across lines) is text.
`LineComments` finds a line's comment with `tokenize`, one line at a time and only for the
lines asked about (the engine asks only for lines that contain "noqa"); the tree tells where
a line starts inside a string that an earlier line opened.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass

from ..ftypes import Position
from ..source import LineIndex

NOQA_COMMENT = re.compile(
    r"#\s*noqa(?::\s*(?P<codes>[A-Za-z]+[0-9]+(?:\s*,\s*[A-Za-z]+[0-9]+)*))?(?![:\w])",
    re.IGNORECASE,
)

_STRING_NODES = (ast.Constant, ast.JoinedStr)
_FSTRING_START = getattr(tokenize, "FSTRING_START", None)  # Python 3.12+
_FSTRING_END = getattr(tokenize, "FSTRING_END", None)


@dataclass(frozen=True)
class LineEnd:
    """What a line holds besides code: its comment, or that it ends inside a string."""

    comment: str | None = None  # the comment's text, `#` included
    column: int = 0  # where the comment starts (code-point column)
    in_string: bool = False  # the line ends inside a string literal: no comment can follow


def noqa_codes(comment: str) -> set[str] | None:
    """Codes a `# noqa` comment suppresses: None if it holds none, empty set = all.

    It reads text as given: pass it a comment (`LineComments` finds a line's real comment),
    not a whole line, where `"# noqa"` could be inside a string."""
    match = NOQA_COMMENT.search(comment)
    if match is None:
        return None
    codes = match.group("codes")
    return {c.strip().upper() for c in codes.split(",")} if codes else set()


class LineComments:
    """The real comments of one source text, read lazily line by line.

    `tree` is the text's `ast` module, or None when the text does not parse: then each line
    is read on its own, as if no string spanned lines.
    """

    def __init__(self, index: LineIndex, tree: ast.AST | None) -> None:
        self.index = index
        self.tree = tree
        self._ends: dict[int, LineEnd] = {}

    def noqa_codes(self, line: int) -> set[str] | None:
        """The codes the `# noqa` comment of `line` (0-based) suppresses: None if it has
        none, an empty set for a bare `# noqa` (all codes)."""
        comment = self.end(line).comment
        return noqa_codes(comment) if comment is not None else None

    def end(self, line: int) -> LineEnd:
        found = self._ends.get(line)
        if found is None:
            found = self._ends[line] = self._read(line)
        return found

    def _read(self, line: int) -> LineEnd:
        text = self.index.line_text(line)
        start, in_string = self._string_state(line) if self.tree is not None else (0, False)
        if start is None:  # the whole line is inside a string
            return LineEnd(in_string=True)
        comment = _comment(text[start:]) if "#" in text[start:] else None
        if comment is not None:
            return LineEnd(comment[1], start + comment[0])
        return LineEnd(in_string=in_string)

    def _string_state(self, line: int) -> tuple[int | None, bool]:
        """(column where the line leaves the strings it starts in, or None when it never
        does; whether it ends inside a string), from the literals that span lines."""
        start, in_string = 0, False
        assert self.tree is not None  # (callers ask only with a tree)
        for node in _strings_spanning(self.tree, line + 1):
            for first, last in _string_parts(self.index, node):
                if first.line < line < last.line:
                    return None, True
                if first.line < line == last.line:
                    start = max(start, last.column)
                elif first.line <= line < last.line:
                    in_string = True
        return start, in_string


def _comment(code: str) -> tuple[int, str] | None:
    """(column, text) of the comment in one line of code that starts outside any string."""
    try:
        for token in tokenize.generate_tokens(io.StringIO(code).readline):
            if token.type == tokenize.COMMENT:
                return token.start[1], token.string
            if token.type in (tokenize.NEWLINE, tokenize.NL):
                break
    except (tokenize.TokenError, SyntaxError):  # a string or bracket left open: no comment after it
        pass
    return None


def _strings_spanning(tree: ast.AST, lineno: int):
    """The string literals spanning several lines that touch line `lineno` (1-based),
    descending only into the nodes that hold that line."""
    stack = [tree]
    while stack:
        node = stack.pop()
        for child in ast.iter_child_nodes(node):
            first = getattr(child, "lineno", None)
            if first is None:  # arguments, comprehension, match_case...: no position of their own
                stack.append(child)
                continue
            last = getattr(child, "end_lineno", None) or first
            if not first <= lineno <= last:
                continue
            if isinstance(child, _STRING_NODES):
                if last > first and (isinstance(child, ast.JoinedStr) or isinstance(child.value, (str, bytes))):
                    yield child
                continue  # an f-string's parts are not separate literals
            stack.append(child)


def _string_parts(index: LineIndex, node: ast.AST) -> list[tuple[Position, Position]]:
    """The string tokens of a literal spanning lines: implicit concatenation may leave
    code and comments between its parts (the literal's text tokenized on its own)."""
    rng = index.node_range(node)
    text = index.text[index.offset(rng.start) : index.offset(rng.end)]
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO("(" + text + ")").readline))
    except (tokenize.TokenError, SyntaxError):
        return [(rng.start, rng.end)]  # be conservative: the whole literal

    def position(row: int, column: int) -> Position:
        return Position(rng.start.line + row - 1, (rng.start.column - 1 if row == 1 else 0) + column)

    parts = []
    depth, opened = 0, None
    for token in tokens:
        if token.type == _FSTRING_START:
            if depth == 0:
                opened = token.start
            depth += 1
        elif token.type == _FSTRING_END:
            depth -= 1
            if depth == 0 and opened is not None:
                parts.append((position(*opened), position(*token.end)))
        elif token.type == tokenize.STRING and depth == 0:
            parts.append((position(*token.start), position(*token.end)))
    return parts
