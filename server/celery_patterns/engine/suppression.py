"""`# noqa`: whether a finding is suppressed, and the edit that silences one rule on one line.

How a comment reads is `analysis.comments`'s concern (rules ask it too); this module applies it.

`noqa_edit` computes the smallest edit that makes a line suppress one more code: it extends
an existing `# noqa: A, B` to `# noqa: A, B, CODE`, or appends `  # noqa: CODE` to the line.
A comment cannot go everywhere: not after a backslash continuation, not at the end of a line
that ends inside a (triple-quoted) string. In those cases no edit is offered. Shared by the
language server ("Disable CELnnn for this line") and the command line, it reads comments the
way the engine does, so the edit it offers is one the engine honours.
"""

from __future__ import annotations

import ast

from ..analysis.comments import NOQA_COMMENT, LineComments, noqa_codes
from ..ftypes import Finding, Position, Range, TextEdit
from ..source import LineIndex


def suppressed(finding: Finding, comments: LineComments) -> bool:
    """The line a finding starts on carries a `# noqa` comment that covers its code."""
    line = finding.range.start.line
    if "noqa" not in comments.index.line_text(line).lower():
        return False
    codes = comments.noqa_codes(line)
    return codes is not None and (not codes or finding.code in codes)


# --- the edit ---------------------------------------------------------------------------
def noqa_edit(
    source: str, line: int, code: str, tree: ast.AST | None = None, index: LineIndex | None = None
) -> TextEdit | None:
    """The edit adding `code` to the `# noqa` comment of `line` (0-based), or None.

    None means the line already suppresses `code`, or a comment cannot be added there.
    `tree` is the source's `ast` module when the caller has it (else it is parsed here);
    `index` a `LineIndex` of `source` when the caller has one.
    """
    index = index or LineIndex(source)
    if line < 0 or line >= index.line_count:
        return None
    code = code.strip().upper()
    text = index.line_text(line)
    if tree is None:
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            if any(q in text for q in "'\""):
                return None  # the source does not parse: only lines without strings are safe
    end = LineComments(index, tree).end(line)
    if end.in_string:
        return None
    codes = noqa_codes(end.comment) if end.comment is not None else None
    if codes is not None and (not codes or code in codes):
        return None  # already suppressed
    if codes:  # extend the comment's list of codes
        assert end.comment is not None
        match = NOQA_COMMENT.search(end.comment)
        assert match is not None  # (it is what gave the codes)
        listed = match.group("codes")
        separator = ", " if (", " in listed or "," not in listed) else ","
        at = Position(line, end.column + match.end("codes"))
        edit = TextEdit(Range(at, at), f"{separator}{code}")
        new_comment = end.comment[: match.end("codes")] + edit.new_text + end.comment[match.end("codes") :]
    else:
        if end.comment is None and text.rstrip().endswith("\\"):
            return None  # a comment after a line continuation is a syntax error
        padding = "" if text.endswith("  ") else " " if text.endswith(" ") or not text else "  "
        at = Position(line, len(text))
        edit = TextEdit(Range(at, at), f"{padding}# noqa: {code}")
        new_comment = (end.comment or "") + edit.new_text
    new_codes = noqa_codes(new_comment)
    if new_codes is None or (new_codes and code not in new_codes):
        return None  # an earlier `noqa`-looking text in the comment would shadow ours
    return edit
