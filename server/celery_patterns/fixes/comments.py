"""Comments inside libcst nodes: finding them, and keeping them when their code goes."""

from __future__ import annotations

from typing import Any

from .lazy import cst


def comments_in(node) -> list:
    """Every `cst.Comment` inside `node`, in source order."""
    found: list = []
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Comment):
            found.append(current)
        stack.extend(reversed(current.children))
    return found


def as_own_lines(comments, indent: bool = True) -> list:
    """Comments as lines of their own (`cst.EmptyLine`s), e.g. to keep the comments of code
    a fix removes in its place."""
    return [cst.EmptyLine(indent=indent, whitespace=cst.SimpleWhitespace(""), comment=c) for c in comments]


def trailing_comment(line: Any) -> list:
    """The comment at the end of a simple statement's line, if any (as a list)."""
    comment = line.trailing_whitespace.comment
    return [comment] if comment is not None else []


def has_comment(whitespace) -> bool:
    """Whitespace (between brackets) that holds a comment."""
    if isinstance(whitespace, cst.ParenthesizedWhitespace):
        return whitespace.first_line.comment is not None or any(e.comment for e in whitespace.empty_lines)
    return False


def without_comments(whitespace):
    """The whitespace with its comments (and the lines that held only them) taken out."""
    if not has_comment(whitespace):
        return whitespace
    return whitespace.with_changes(
        first_line=cst.TrailingWhitespace(), empty_lines=[e for e in whitespace.empty_lines if not e.comment]
    )
