"""What a rule's fixer works with, and how its changes become text edits.

A fix is a list of `TextEdit`s over the original source. A fixer builds them either as text
(for the code it writes itself) or as libcst node replacements (`FixContext.replace`), which
keep every byte the fix does not change: comments, quotes, blank lines, CRLF.

libcst is slow to parse and render a whole module, and a fix touches one or two top-level
statements. So the source is cut into *chunks*: runs of top-level statements that start a
line of their own, where a tokenizer is in a clean state (not after a `\\` continuation, not
on a line shared through `;`). A chunk is parsed on its own, only when a fix asks about a
node in it; a top-level statement renders the same alone as in its module (it has no
enclosing indentation), so a replacement's edit is found by rendering its chunk again and
keeping only the span that changed. (So the blank lines and comments above a top-level
statement are the end of the chunk before it, not the statement's `leading_lines`.)
"""

from __future__ import annotations

import ast
import bisect
import io
import tokenize
from dataclasses import dataclass
from functools import cache, cached_property
from typing import TYPE_CHECKING, Any

from ..analysis.units import first_line
from ..ftypes import Position, Range, TextEdit
from ..source import LineIndex, Rendering, changed_span, split_lines
from .lazy import cst, cst_metadata

if TYPE_CHECKING:
    from ..analysis.facts import ModuleFacts
    from ..config import Settings


@dataclass
class Chunk:
    """One parsed chunk of the source: `source[start:end]`, from 0-based line `first_line`."""

    start: int
    end: int
    first_line: int
    text: str
    module: Any  # cst.Module
    positions: dict  # node -> Range in the whole source
    parents: dict  # node -> parent node (the chunk's module for its statements)
    # Lines that start with a form feed: libcst leaves it out of the columns of a statement
    # that starts there, so positions on them are not trusted (no node is found there).
    form_feed_lines: frozenset[int] = frozenset()

    @cached_property
    def rendering(self) -> Rendering:
        """libcst's rendering of the chunk, mapped onto its text (which it may not equal: a
        form feed starting a statement's line is left out). ValueError when it cannot be."""
        if "\f" not in self.text:  # libcst renders every other text as it was: no second rendering
            return Rendering(self.text, self.text)
        return Rendering(self.text, self.module.code)


class FixContext:
    """One source text and its facts, with libcst trees of its chunks parsed on demand.

    Shared by the fixes of one round: a chunk is parsed once however many fixes touch it."""

    def __init__(self, source: str, facts: ModuleFacts, settings: Settings | None, path: str = "<string>") -> None:
        self.source = source
        self.facts = facts
        self.settings = settings
        self.path = path
        self.index = facts.index
        self._chunks: dict[int, Chunk] = {}  # by the chunk's start offset
        self._owner: dict[Any, Chunk] = {}  # each parsed node's chunk

    # --- chunks -----------------------------------------------------------------------------
    def _starts_chunk(self, k: int) -> bool:
        """Whether top-level statement k starts a chunk (the first belongs to the chunk at 0):
        it starts on a line of its own, not continued from the line before."""
        body, index = self.facts.tree.body, self.index
        if k <= 0:
            return False
        statement = body[k]
        first = first_line(statement)
        line_start = index.line_starts[first]
        lead = self.source[line_start : index.offset(index.from_ast(first + 1, statement.col_offset))]
        continued = index.line_text(first - 1).endswith("\\")
        return first >= (body[k - 1].end_lineno or 0) and not lead.strip("\f") and not continued

    def _bounds(self, line: int) -> tuple[int, int, list[ast.stmt]]:
        """The offsets [start, end) of the chunk holding 0-based `line`, and its statements.
        Found around the line alone: a fix at the cursor of a long module reads a few
        statements, not all of them."""
        body = self.facts.tree.body
        k = bisect.bisect_right(body, line, key=first_line) - 1  # the last statement starting by `line`
        while k > 0 and not self._starts_chunk(k):
            k -= 1
        n = max(k, 0) + 1
        while n < len(body) and not self._starts_chunk(n):
            n += 1
        start = self.index.line_starts[first_line(body[k])] if k > 0 else 0
        end = self.index.line_starts[first_line(body[n])] if n < len(body) else len(self.source)
        return start, end, body[max(k, 0) : n]

    def next_chunk_start(self, offset: int) -> int:
        """The first offset at or after `offset` where a chunk starts (a line a tokenizer can
        begin afresh on); the text's length when none does."""
        if offset >= len(self.source):
            return len(self.source)
        start, end, _ = self._bounds(self.index.position(offset).line)
        return start if start >= offset else end

    def chunk(self, line: int) -> Chunk:
        """The parsed chunk holding 0-based `line`."""
        start, end, statements = self._bounds(min(max(line, 0), self.index.line_count - 1))
        found = self._chunks.get(start)
        if found is None:
            found = self._chunks[start] = self._parse(start, end, statements)
            self._owner[found.module] = found
            for node in found.positions:
                self._owner[node] = found
        return found

    def _parse(self, start: int, end: int, statements: list[ast.stmt]) -> Chunk:
        first = self.index.position(start).line
        reason = too_large_to_fix(statements, self.source, self.index)
        if reason is not None:
            raise TooLargeToFix(reason)
        module, text = parse_chunk(self.source[start:end], self.defaults)
        end = start + len(text)
        code_ranges = cst.MetadataWrapper(module, unsafe_skip_copy=True).resolve(cst_metadata.PositionProvider)
        parents = _parents(module)
        positions = {
            node: Range(
                Position(r.start.line - 1 + first, r.start.column),
                Position(r.end.line - 1 + first, r.end.column),
            )
            for node, r in code_ranges.items()
            if node is not module
        }
        form_feeds = frozenset(first + i for i, line in enumerate(split_lines(text)) if line.startswith("\f"))
        return Chunk(start, end, first, text, module, positions, parents, form_feeds)

    @cached_property
    def defaults(self) -> tuple[str, str]:
        """The file's indentation and line break as libcst would find them for the whole
        module (its first indented block's indent, its first line break)."""
        return _first_indent(self.source), _first_newline(self.source)

    # --- finding nodes --------------------------------------------------------------------
    def node_at(self, where: Range | ast.AST, *types: type) -> Any:
        """The libcst node of one of `types` at a range (a finding's, or an `ast` node's).

        libcst counts enclosing parentheses into a node's range and `ast` does not, so an
        exact match is preferred, else the smallest node that contains the range."""
        rng = where if isinstance(where, Range) else self.facts.range(where)
        if any(line in self.chunk(line).form_feed_lines for line in (rng.start.line, rng.end.line)):
            return None
        best, best_size = None, None
        for node, node_range in self._nodes_around(rng):
            if types and not isinstance(node, types):
                continue
            if node_range == rng:
                return node
            if node_range.contains(rng):
                size = (node_range.end.line - node_range.start.line, node_range.end.column - node_range.start.column)
                if best_size is None or size < best_size:
                    best, best_size = node, size
        return best

    def nodes_in(self, where: Range | ast.AST, *types: type) -> list:
        """All nodes of `types` inside a range, in source order."""
        rng = where if isinstance(where, Range) else self.facts.range(where)
        found = [
            (r.start, node)
            for node, r in self._nodes_around(rng)
            if (not types or isinstance(node, types)) and rng.contains(r)
        ]
        found.sort(key=lambda pair: (pair[0].line, pair[0].column))
        return [node for _, node in found]

    def _nodes_around(self, rng: Range):
        seen = set()
        for line in (rng.start.line, rng.end.line):
            chunk = self.chunk(line)
            if id(chunk) not in seen:
                seen.add(id(chunk))
                yield from chunk.positions.items()

    def range_of(self, node) -> Range:
        return self._owner[node].positions[node]

    def parent(self, node) -> Any:
        """The node's parent (the chunk's module for a top-level statement)."""
        return self._owner[node].parents.get(node)

    def code_for(self, node) -> str:
        """The source text of a node of the original (or the rendering of a new one)."""
        chunk = self._owner.get(node)
        return (chunk.module if chunk else self.empty_module).code_for_node(node)

    @cached_property
    def empty_module(self):
        """A module with the file's indentation and line break, to render new nodes with."""
        indent, newline = self.defaults
        return cst.Module(body=[], default_indent=indent, default_newline=newline)

    def statement(self, code: str):
        """A statement parsed as the file would write it (its indentation, its line breaks)."""
        indent, newline = self.defaults
        config = cst.PartialParserConfig(default_indent=indent, default_newline=newline)
        return cst.parse_statement(code.replace("\n", newline), config=config)

    # --- edits ------------------------------------------------------------------------------
    def replace(self, old, new) -> TextEdit | None:
        """The edit replacing node `old` of the original (a chunk's module too) with `new` (a
        node, `cst.RemovalSentinel.REMOVE` or a `cst.FlattenSentinel`); None if nothing changes."""
        chunk = self._owner[old]
        rebuilt = self._rebuilt(chunk, old, new)
        # An emptied chunk is no text at all (libcst writes a lone line break for an empty module).
        empty = not (rebuilt.header or rebuilt.body or rebuilt.footer)
        return self.edit_of(chunk, "" if empty else rebuilt.code)

    def edit_of(self, chunk: Chunk, new_text: str) -> TextEdit | None:
        """The edit turning `chunk`'s text into `new_text` (libcst's rendering of the changed
        chunk), covering only what changed. The change is read between the two renderings and
        placed on the source's text, so that what libcst leaves out of a rendering (a form feed)
        stays; ValueError when the change would take it away (no fix rather than a lost byte)."""
        rendering = chunk.rendering
        span = changed_span(rendering.text, new_text)
        if span is None:
            return None
        first, last, text = span
        start, end = rendering.span(first, last)
        return TextEdit(Range(self.index.position(chunk.start + start), self.index.position(chunk.start + end)), text)

    def _rebuilt(self, chunk: Chunk, old, new):
        """The chunk's module with `old` swapped for `new`, rebuilding only its ancestors."""
        child, replacement = old, new
        while child is not chunk.module:
            parent = chunk.parents[child]
            replacement = _with_child(parent, child, replacement)
            child = parent
        return replacement


# A fix parses, walks and renders with libcst the whole chunk it changes: its cost grows with
# the chunk's nodes (about 0.7 ms each on a loaded 2-core machine: a fix in a 56,000-node
# class took 40 s), and more than linearly with their nesting (a fix inside 1,000 levels of
# `a + a + ...` 2.7 s, 2,000 levels 15 s; `bench/fix_limits.py`). libcst's parser also uses
# 1-2 KB of C stack a level with no limit of its own (`celery_patterns.stack`). Past these
# bounds a fix is refused, and said so, instead of running for minutes.
MAX_FIX_NODES = 50_000
MAX_FIX_DEPTH = 1_000
TOO_LARGE = "too large to fix in time"


class TooLargeToFix(Exception):
    """A fix would have to parse a chunk past MAX_FIX_NODES or MAX_FIX_DEPTH."""


def may_be_too_large_to_fix(statement: ast.stmt, index: LineIndex) -> bool:
    """False when the statement is surely small enough to fix: the lines it spans are shorter
    than MAX_FIX_DEPTH characters (every node and level takes one or more). Its columns are
    not converted: this is asked of every top-level statement on every keystroke."""
    starts = index.line_starts
    last = statement.end_lineno or statement.lineno
    spanned = (starts[last] if last < len(starts) else len(index.text)) - starts[statement.lineno - 1]
    return spanned >= MAX_FIX_DEPTH


def too_large_to_fix(statements: list[ast.stmt], source: str, index: LineIndex) -> str | None:
    """Why a fix inside these top-level statements is refused before libcst sees them, or
    None. Nesting is counted as libcst nests: `a and b and c` and `"a" "b" "c"` are one
    node each in `ast`, a level a term in libcst."""
    nodes = 0
    deepest = 0
    for statement in statements:
        if not may_be_too_large_to_fix(statement, index):
            continue
        start = index.offset(index.from_ast(statement.lineno, statement.col_offset))
        end = index.offset(index.from_ast(statement.end_lineno or statement.lineno, statement.end_col_offset or 0))
        if end - start < MAX_FIX_DEPTH:  # every node and level takes a character or more: small
            continue
        stack: list[tuple[ast.AST, int]] = [(statement, 1)]
        while stack:
            node, depth = stack.pop()
            nodes += 1
            if isinstance(node, ast.BoolOp):
                depth += len(node.values) - 1
            elif isinstance(node, (ast.Constant, ast.JoinedStr)):
                depth += _string_parts(node, source, index) - 1
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    if deepest > MAX_FIX_DEPTH:
        return f"{TOO_LARGE}: the code around it nests {deepest:,} levels deep (at most {MAX_FIX_DEPTH:,})"
    if nodes > MAX_FIX_NODES:
        return f"{TOO_LARGE}: the statement holding it is {nodes:,} syntax nodes (at most {MAX_FIX_NODES:,})"
    return None


def _string_parts(node: ast.Constant | ast.JoinedStr, source: str, index: LineIndex) -> int:
    """How many literals a string of `ast` is written as (adjacent literals are one node);
    tokenized only when its text is long enough to hold MAX_FIX_DEPTH of them."""
    if isinstance(node, ast.Constant) and not isinstance(node.value, (str, bytes)):
        return 1
    start = index.offset(index.from_ast(node.lineno, node.col_offset))
    end = index.offset(index.from_ast(node.end_lineno or node.lineno, node.end_col_offset or 0))
    if end - start < 2 * MAX_FIX_DEPTH:  # a literal is two characters or more
        return 1
    try:
        tokens = tokenize.generate_tokens(io.StringIO(source[start:end]).readline)
        return max(1, sum(1 for t in tokens if t.type in _STRING_STARTS))
    except (tokenize.TokenError, SyntaxError):
        return end - start  # cannot tell: as many as can be


_STRING_STARTS = {tokenize.STRING} | ({tokenize.FSTRING_START} if hasattr(tokenize, "FSTRING_START") else set())


def parse_chunk(text: str, defaults: tuple[str, str]) -> tuple[Any, str]:
    """A chunk of the source parsed (with the file's indent and line break), and the text it
    stands for: all of `text`, but for the last line break of a file whose lines end with a
    lone `\r`, which libcst drops. What it does not write back is no edit's to change."""
    module = _with_defaults(cst.parse_module(text), *defaults)
    code = module.code
    if code != text and text.startswith(code):
        text = code
    return module, text


def _parents(root) -> dict:
    """Each node's parent under `root`. (libcst's ParentNodeProvider gives the same, but its
    batched visitor costs about 11 ms a chunk to set up, this walk 2 ms: most of a fix-all.)"""
    parents = {}
    stack = [root]
    while stack:
        node = stack.pop()
        for child in node.children:
            parents[child] = node
            stack.append(child)
    return parents


def _first_newline(source: str) -> str:
    for i, char in enumerate(source):
        if char == "\n":
            return "\n"
        if char == "\r":
            return "\r\n" if source[i + 1 : i + 2] == "\n" else "\r"
    return "\n"


def _first_indent(source: str) -> str:
    """The indentation of the first indented block (the first INDENT token), as libcst
    takes the module's default indent; four spaces when there is none. Tokenizing stops
    there, usually within the first lines."""
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.INDENT:
                return token.string
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    return "    "


def _with_defaults(module, indent: str, newline: str):
    """A chunk's module rendering exactly as before, but writing new blocks and lines with
    the whole file's indentation and line break (a chunk alone may infer others)."""
    if (module.default_indent, module.default_newline) == (indent, newline):
        return module
    module = module.visit(_explicit_defaults()(module.default_indent, module.default_newline))
    return module.with_changes(default_indent=indent, default_newline=newline)


@cache
def _explicit_defaults():
    """The transformer class, made on first use (libcst loads only when a fix is wanted)."""

    class ExplicitDefaults(cst.CSTTransformer):
        """Writes a module's inferred indent and line break into the nodes that use them."""

        def __init__(self, indent: str, newline: str) -> None:
            super().__init__()
            self.indent, self.newline = indent, newline

        def leave_IndentedBlock(self, original, updated):
            return updated if updated.indent is not None else updated.with_changes(indent=self.indent)

        def leave_Newline(self, original, updated):
            return updated if updated.value is not None else updated.with_changes(value=self.newline)

    return ExplicitDefaults


def _with_child(parent, old, new):
    """`parent` with its child `old` replaced by `new` (a node, a removal or a flattened list)."""
    import dataclasses

    for field in dataclasses.fields(parent):
        value = getattr(parent, field.name)
        if value is old:
            if isinstance(new, cst.FlattenSentinel):
                raise ValueError(f"a list of nodes cannot replace {type(old).__name__} here")
            if isinstance(new, cst.RemovalSentinel):
                return parent.deep_remove(old)
            return parent.with_changes(**{field.name: new})
        if isinstance(value, (list, tuple)) and any(item is old for item in value):
            items = []
            for item in value:
                if item is not old:
                    items.append(item)
                elif isinstance(new, cst.FlattenSentinel):
                    items.extend(new.nodes)
                elif not isinstance(new, cst.RemovalSentinel):
                    items.append(new)
            if not items and isinstance(new, cst.RemovalSentinel):
                return parent.deep_remove(old)  # libcst knows what an emptied body becomes
            return parent.with_changes(**{field.name: tuple(items)})
    raise ValueError(f"{type(old).__name__} is not a child of {type(parent).__name__}")


def rewritten(node, rewrite):
    """`node` with the nodes inside it (itself too) rewritten bottom-up: `rewrite(original,
    updated)` gets each original node and the node with its children already rewritten, and
    gives its replacement or None to keep it. For several replacements in one node (nested
    ones too), where `FixContext.replace` takes one."""
    return node.visit(_rewriter()(rewrite))


@cache
def _rewriter():
    """The transformer class, made on first use (libcst loads only when a fix is wanted)."""

    class Rewriter(cst.CSTTransformer):
        def __init__(self, rewrite) -> None:
            super().__init__()
            self.rewrite = rewrite

        def on_leave(self, original, updated):
            new = self.rewrite(original, updated)
            return updated if new is None else new

    return Rewriter
