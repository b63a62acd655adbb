"""Writing code as text: edits at offsets, lines, indentation, quotes, where a new line or
a new item between brackets goes.

For fixes that insert whole statements or entries they write themselves, copying the
surrounding indentation and line endings is simpler and more predictable than building
libcst whitespace nodes. Offsets are into the source text (`edit_at` makes them an edit);
lines end as Python ends them.
"""

from __future__ import annotations

import ast

from ..analysis.facts import ModuleFacts
from ..ftypes import Range, TextEdit
from ..source import LineIndex


# --- text -------------------------------------------------------------------------------
def edit_at(index: LineIndex, start: int, text: str, end: int | None = None) -> TextEdit:
    """The edit writing `text` over the source's `[start:end]` (offsets; an insertion at
    `start` when there is no `end`)."""
    return TextEdit(Range(index.position(start), index.position(start if end is None else end)), text)


def offset_of(facts: ModuleFacts, node: ast.AST, end: bool = False) -> int:
    rng = facts.range(node)
    return facts.index.offset(rng.end if end else rng.start)


def line_start(source: str, offset: int) -> int:
    return max(source.rfind("\n", 0, offset), source.rfind("\r", 0, offset)) + 1


def line_end(source: str, offset: int) -> int:
    """Offset just past the line ending of the line holding `offset` (or len(source))."""
    i = offset
    while i < len(source) and source[i] not in "\r\n":
        i += 1
    if source.startswith("\r\n", i):
        return i + 2
    if i < len(source):
        return i + 1
    return i


def indentation(source: str, offset: int) -> str:
    """Leading whitespace of the line holding `offset`."""
    start = line_start(source, offset)
    i = start
    while i < len(source) and source[i] in " \t\x0c":
        i += 1
    return source[start:i]


def starts_line(source: str, offset: int) -> bool:
    """Only whitespace before `offset` on its line."""
    return source[line_start(source, offset) : offset].strip(" \t\x0c") == ""


def ends_line(source: str, offset: int) -> bool:
    """Only whitespace or a comment after `offset` on its line."""
    end = line_end(source, offset)
    rest = source[offset:end].strip(" \t\x0c\r\n")
    return rest == "" or rest.startswith("#")


def alone_on_lines(facts: ModuleFacts, statement: ast.stmt) -> bool:
    source = facts.source
    return starts_line(source, offset_of(facts, statement)) and ends_line(source, offset_of(facts, statement, end=True))


def indent_unit(indent: str, default: str) -> str:
    """One level of indentation consistent with `indent` (tabs stay tabs)."""
    if "\t" in indent:
        return "\t"
    return default if "\t" not in default else "    "


def first_string_literal(nodes) -> ast.Constant | None:
    for node in nodes:
        for sub in ast.walk(node):
            if isinstance(sub, ast.Constant) and isinstance(sub.value, str) and not isinstance(sub, ast.JoinedStr):
                return sub
    return None


def insert_after_line(source: str, offset: int, newline: str) -> tuple[int, str]:
    """Where a new line goes after the line holding `offset`, and the prefix it needs."""
    end = line_end(source, offset)
    if end == len(source) and not source.endswith(("\n", "\r")):
        return end, newline
    return end, ""


def blank_lines_after(source: str, offset: int) -> tuple[int, bool]:
    """Count of blank lines starting at `offset`, and whether code follows them."""
    count = 0
    i = offset
    while i < len(source):
        end = line_end(source, i)
        if source[i:end].strip() != "":
            return count, True
        count += 1
        i = end
    return count, False


def source_segment(facts: ModuleFacts, node: ast.AST) -> str:
    """The exact source text of a node, as `ast.get_source_segment` gives it but from the
    line index (that function splits the whole source into lines on every call)."""
    span = facts.range(node)
    index = facts.index
    return index.text[index.offset(span.start) : index.offset(span.end)]


def quote_of(facts: ModuleFacts, node: ast.AST | None, default: str = '"') -> str:
    """The quote character a string literal (or the first of a tuple of them) is written with."""
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)) and node.elts:
        node = node.elts[0]
    if isinstance(node, (ast.Constant, ast.JoinedStr)):
        stripped = source_segment(facts, node).lstrip("rRbBuUfF")
        if stripped[:1] in ("'", '"'):
            return stripped[0]
    return default


def failure_state_code(facts: ModuleFacts, comparator: ast.AST | None, quote: str) -> str:
    """How to write FAILURE the way the existing check wrote its state."""
    if isinstance(comparator, (ast.Tuple, ast.List, ast.Set)) and comparator.elts:
        comparator = comparator.elts[0]
    if isinstance(comparator, ast.Attribute) and (facts.resolve(comparator) or "").startswith("celery.states."):
        return f"{facts.text(comparator.value)}.FAILURE"
    if isinstance(comparator, ast.Name) and (facts.resolve(comparator) or "").startswith("celery.states."):
        found = facts.lookup("FAILURE", facts.scope_of(comparator))
        if found and all(b.kind == "import" and b.qualname == "celery.states.FAILURE" for b in found[1]):
            return "FAILURE"
    return f"{quote}FAILURE{quote}"


# --- items between brackets ---------------------------------------------------------------
def item_lines(items: list[str], indent: str, newline: str) -> str:
    """Items one per line, each with `indent` and a trailing comma."""
    return "".join(f"{indent}{item},{newline}" for item in items)


def appended_items(
    source: str, brackets: tuple[int, int], starts: list[int], last_end: int, unit: str, newline: str, render
) -> list[tuple[int, str]] | None:
    """Insertions (offset, text) adding items after the last one of a comma-separated
    sequence between brackets (call arguments, a dict or list display), written as the
    others are: inline after `, `, or one per line with their indentation and trailing
    comma habit, above a closing bracket on a line of its own or before one that hugs the
    last item.

    `brackets`: the offsets of the opening and closing bracket; `starts`: where the items
    begin; `last_end`: where the last one ends; `unit`: the file's indentation step;
    `render(multiline, indent, unit)`: the new items' code. None when anything but the last
    item's closing parentheses, a comma and comments stands between it and the bracket."""
    open_at, close_at = brackets
    tail = _after_last_item(source, last_end, close_at)
    if tail is None:
        return None
    after, comma = tail
    if "\n" not in source[open_at:close_at] and "\r" not in source[open_at:close_at]:
        return [(after, "".join(f", {item}" for item in render(False, "", "")))]
    indent = next((indentation(source, s) for s in starts if starts_line(source, s)), None)
    if indent is None:
        indent = indentation(source, close_at) + indent_unit(indentation(source, open_at), unit)
    items = render(True, indent, indent_unit(indent, unit))
    if starts_line(source, close_at):  # the closing bracket on a line of its own: new lines above it
        lines = [
            f"{indent}{item}{',' if comma is not None or i < len(items) - 1 else ''}{newline}"
            for i, item in enumerate(items)
        ]
        return [*([] if comma is not None else [(after, ",")]), (line_start(source, close_at), "".join(lines))]
    # the closing bracket hugs the last item: the list goes on before it
    text = "".join(f"{',' if i or comma is None else ''}{newline}{indent}{item}" for i, item in enumerate(items))
    return [(comma + 1, text + ",")] if comma is not None else [(after, text)]


def _after_last_item(source: str, start: int, stop: int) -> tuple[int, int | None] | None:
    """Between the last item and the closing bracket there are only the item's closing
    parentheses, a comma, comments and whitespace: (the offset after the item with its
    parentheses, the offset of the comma or None), else None."""
    after, comma = start, None
    i = start
    while i < stop:
        char = source[i]
        if char == "#":
            while i < stop and source[i] not in "\r\n":
                i += 1
            continue
        if char == "," and comma is None:
            comma = i
        elif char == ")" and comma is None:
            after = i + 1
        elif char not in " \t\r\n\\\x0c":
            return None
        i += 1
    return after, comma


def statement_start(facts: ModuleFacts, statement: ast.stmt) -> int:
    """Offset where a statement begins, its decorators included."""
    nodes = [statement, *getattr(statement, "decorator_list", ())]
    return min(offset_of(facts, node) for node in nodes)
