"""Parsing successive versions of one buffer, reusing the tree of what did not change.

An editor sends a new version of a file on every keystroke, and most keystrokes change
one top-level statement. `IncrementalParser` keeps the last tree that parsed and, for the
next version, parses only the top-level statements whose lines changed; the other
statements are reused as they are, with their line numbers moved when the edit added or
removed lines. The result is the tree `ast.parse` would build (the property tests compare
them with `ast.dump(..., include_attributes=True)`).

Why reparsing a region on its own gives the same tree:

- The region starts where a top-level statement started in the last tree, at column 0,
  and all text before it is unchanged, so the tokenizer reaches it in the same clean
  state (not inside brackets, a string or a `\\` continuation: a boundary after a line
  ending in `\\`, as in `x = 1; \\` then `y = 2`, is not used).
- The region ends where an unchanged top-level statement starts. The region parsed on
  its own, so it closes every bracket and string, and it must not end in a `\\`
  continuation or a decorator (those do not parse on their own either). The statement
  after it cannot be glued to it: `else`, `elif`, `except`, `finally` and `case` never
  start a top-level statement.

Anything else (the region does not parse, the file is new, the edit touches the first
line) falls back to a full parse, which also produces the exact syntax error.
"""

from __future__ import annotations

import ast
import bisect
from dataclasses import dataclass

from ..source import common_prefix, common_suffix, split_lines


@dataclass
class _Parsed:
    lines: list[str]  # with their line endings
    tree: ast.Module
    # Where top-level statements can be reparsed from: (0-based first line, index into
    # tree.body) of each statement that starts a line of its own, in order.
    boundaries: list[tuple[int, int]]


class IncrementalParser:
    """`parse(source)` for one buffer's successive texts (one at a time, not thread-safe).

    Holds the last tree that parsed, so keep one only for a buffer being edited.
    The returned tree is shared with the next parse, which may move its line numbers:
    use it until you parse again.
    """

    def __init__(self) -> None:
        self._last: _Parsed | None = None
        self.reused_statements = 0  # of the last parse (0 after a full parse): for tests
        # A fork shares the statements of the tree it started from: it never moves them.
        self._moves_statements = True

    def fork(self) -> IncrementalParser:
        """A parser that starts from this one's last tree, sharing its statements, without
        changing them: a version whose line count differs is parsed in full."""
        fork = IncrementalParser()
        fork._last, fork._moves_statements = self._last, False
        return fork

    def parse(self, source: str, filename: str = "<unknown>") -> ast.Module:
        """The tree of `source`, as `ast.parse(source, filename)` returns it (and raises)."""
        lines = split_lines(source)
        last = self._last
        if last is not None and last.lines == lines:
            self.reused_statements = len(last.tree.body)
            return last.tree
        tree = self._reparse(lines) if last is not None else None
        if tree is None:
            self.reused_statements = 0
            tree = ast.parse(source, filename=filename)  # raises on a syntax error: state kept
        self._last = _Parsed(lines, tree, _boundaries(tree, lines))
        return tree

    def forget(self) -> None:
        self._last = None

    @property
    def last_tree(self) -> ast.Module | None:
        """The tree of the last parse (the next parse may move its line numbers)."""
        return self._last.tree if self._last is not None else None

    def _reparse(self, lines: list[str]) -> ast.Module | None:
        last = self._last
        assert last is not None  # (called only after a first parse)
        old = last.lines
        same_head = common_prefix(old, lines)
        same_tail = common_suffix(old, lines, min(len(old), len(lines)) - same_head)
        # Old lines [same_head, len(old) - same_tail) became new lines [same_head, len(lines) - same_tail).
        region = _region(last.boundaries, len(old), same_head, len(old) - same_tail)
        if region is None:
            return None
        first_line, end_line, first_statement, end_statement = region
        delta = len(lines) - len(old)
        if delta and not self._moves_statements:
            return None
        new_end_line = end_line + delta
        text = "".join(lines[first_line:new_end_line])
        if _ends_open(lines[first_line:new_end_line]):
            return None
        try:
            middle = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None
        if first_line:
            _shift(middle.body, first_line)
        after = last.tree.body[end_statement:] if end_statement is not None else []
        if delta:
            _shift(after, delta)
        self.reused_statements = first_statement + len(after)
        return ast.Module(body=[*last.tree.body[:first_statement], *middle.body, *after], type_ignores=[])


def _boundaries(tree: ast.Module, lines: list[str]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    previous_end = 0
    for i, statement in enumerate(tree.body):
        decorators = getattr(statement, "decorator_list", None) or ()
        first = min([statement.lineno, *(d.lineno for d in decorators)]) - 1  # the `@` line
        shares_line = first < previous_end  # `x = 1; y = 2`
        continued = first > 0 and lines[first - 1].rstrip("\r\n").endswith("\\")
        if not shares_line and not continued and lines[first][:1] not in (" ", "\t", "\f", ""):
            out.append((first, i))
        previous_end = statement.end_lineno or statement.lineno
    return out


def _region(boundaries, line_count: int, changed_from: int, changed_to: int):
    """(first line, end line, first statement, end statement) of the old text to reparse:
    the top-level statements around old lines [changed_from, changed_to), or None."""
    if not boundaries:
        return None
    starts = [line for line, _ in boundaries]
    # A pure insertion at a boundary may extend the statement before it or start a new
    # one: take both neighbours. The first boundary is treated as line 0 (header comments).
    first = bisect.bisect_right(starts, max(changed_from - 1, 0)) - 1
    last = bisect.bisect_right(starts, max(changed_to - 1, changed_from)) - 1
    first, last = max(first, 0), max(last, 0)
    first_line = 0 if first == 0 else starts[first]
    first_statement = 0 if first == 0 else boundaries[first][1]
    if last + 1 < len(boundaries):
        end_line, end_statement = boundaries[last + 1]
        return first_line, end_line, first_statement, end_statement
    return first_line, line_count, first_statement, None  # through the end of the module


def _ends_open(lines: list[str]) -> bool:
    """The region's last code line continues with `\\` or is a decorator: not a whole statement."""
    for line in reversed(lines):
        code = line.rstrip("\r\n")
        if not code.strip():
            continue
        return code.endswith("\\") or code.startswith("@")
    return False


def _shift(statements: list[ast.stmt], lines: int) -> None:
    """Move statements and everything in them down by `lines` (like `ast.increment_lineno`,
    in half the time: this runs on every edit that adds or removes a line)."""
    stack: list[ast.AST] = list(statements)
    push, pop = stack.append, stack.pop
    node_type = ast.AST
    while stack:
        attributes = pop().__dict__
        if "lineno" in attributes:
            attributes["lineno"] += lines
            if attributes.get("end_lineno") is not None:
                attributes["end_lineno"] += lines
        for value in attributes.values():
            if type(value) is list:
                for item in value:
                    if isinstance(item, node_type):
                        push(item)
            elif isinstance(value, node_type):
                push(value)
