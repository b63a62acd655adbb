"""`# noqa` comments: the edit that silences one rule on one line.

The engine suppresses a finding when the line it starts on carries a `# noqa` comment
naming its code (or a bare `# noqa`); see `engine.noqa_codes`. This module computes the
smallest edit that makes that true for one more code: it extends an existing
`# noqa: A, B` to `# noqa: A, B, CODE`, or appends `  # noqa: CODE` to the line.

A comment cannot go everywhere: not after a backslash continuation, not at the end of a
line that ends inside a (triple-quoted) string, and an existing `# noqa` that is really
text inside a string literal must not be edited. In those cases no edit is offered.
Shared by the language server ("Disable CELnnn for this line") and the command line.
"""

from __future__ import annotations

import ast
import io
import tokenize

from .ftypes import Position, Range, TextEdit
from .source import LineIndex


def noqa_edit(source: str, line: int, code: str, tree: ast.AST | None = None,
              index: LineIndex | None = None) -> TextEdit | None:
    """The edit adding `code` to the `# noqa` comment of `line` (0-based), or None.

    None means the line already suppresses `code`, or a comment cannot be added there.
    `tree` is the source's `ast` module when the caller has it (else it is parsed here);
    `index` a `LineIndex` of `source` when the caller has one.
    """
    from .engine import noqa_codes  # the engine owns how suppression comments are read

    index = index or LineIndex(source)
    if line < 0 or line >= index.line_count:
        return None
    code = code.strip().upper()
    text = index.line_text(line)
    codes = noqa_codes(text)
    if codes is not None and (not codes or code in codes):
        return None  # already suppressed
    strings = _string_spans(source, tree, index)
    if strings is None and any(q in text for q in "'\""):
        return None  # the source does not parse: only lines without strings are safe
    if strings and any(_ends_inside(span, line) for span in strings):
        return None
    if codes:  # extend the list of codes; the comment must be a real comment, not string text
        match = _existing(text)
        if strings and any(_covers(span, Position(line, match.start())) for span in strings):
            return None
        separator = ", " if (", " in match.group("codes") or "," not in match.group("codes")) else ","
        at = Position(line, match.end("codes"))
        edit = TextEdit(Range(at, at), f"{separator}{code}")
    else:
        if text.rstrip().endswith("\\"):
            return None  # a comment after a line continuation is a syntax error
        padding = "" if text.endswith("  ") else " " if text.endswith(" ") or not text else "  "
        at = Position(line, len(text))
        edit = TextEdit(Range(at, at), f"{padding}# noqa: {code}")
    new_text = text[: edit.range.start.column] + edit.new_text + text[edit.range.start.column:]
    new_codes = noqa_codes(new_text)
    if new_codes is None or (new_codes and code not in new_codes):
        return None  # an earlier `noqa`-looking text on the line would shadow ours
    return edit


def _existing(text: str):
    from .engine import NOQA_COMMENT

    return NOQA_COMMENT.search(text)


# --- where the strings are ----------------------------------------------------------------
# A span is (start, end) in canonical positions of one string literal (f-strings included).
def _string_spans(source: str, tree: ast.AST | None, index: LineIndex) -> list[tuple[Position, Position]] | None:
    if tree is None:
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None
    spans = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr) or (
            isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes))
        ):
            if getattr(node, "end_lineno", None) is None:
                continue
            rng = index.node_range(node)
            if rng.start.line == rng.end.line:
                spans.append((rng.start, rng.end))
            else:  # implicit concatenation across lines: only the parts spanning lines count
                spans.extend(_multiline_parts(index, rng))
    return spans


def _multiline_parts(index: LineIndex, rng: Range) -> list[tuple[Position, Position]]:
    """The string tokens of a literal that spans lines (its text tokenized on its own)."""
    text = index.text[index.offset(rng.start): index.offset(rng.end)]
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO("(" + text + ")").readline))
    except (tokenize.TokenError, SyntaxError):
        return [(rng.start, rng.end)]  # be conservative: the whole literal
    parts = []
    for token in tokens:
        if token.type != tokenize.STRING:
            continue
        (srow, scol), (erow, ecol) = token.start, token.end
        start = Position(rng.start.line + srow - 1, (rng.start.column - 1 if srow == 1 else 0) + scol)
        end = Position(rng.start.line + erow - 1, (rng.start.column - 1 if erow == 1 else 0) + ecol)
        parts.append((start, end))
    return parts


def _ends_inside(span: tuple[Position, Position], line: int) -> bool:
    """True when the end of `line` lies inside the string `span`."""
    return span[0].line <= line < span[1].line


def _covers(span: tuple[Position, Position], pos: Position) -> bool:
    return span[0] <= pos < span[1]
