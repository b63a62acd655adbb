"""TRANSITION: the fix context of fixers that still return a whole module (being removed).

What a rule's fixer works with: the libcst tree of the source, found by position.

libcst keeps every byte of the original (comments, quotes, blank lines, CRLF), so a fix
that swaps one node for another and renders the module again leaves the rest of the
file as it was. The engine turns the new text into minimal text edits.
"""

from __future__ import annotations

import bisect
import dataclasses
import re
from functools import cached_property
from typing import TYPE_CHECKING

import libcst as cst
from libcst._nodes.internal import CodegenState
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor, RemoveImportsVisitor
from libcst.metadata import MetadataWrapper
from libcst.metadata.position_provider import PositionProvidingCodegenState

from ..ftypes import Position, Range

_NEWLINE = re.compile(r"\r\n?|\n")  # what libcst counts as a line break

if TYPE_CHECKING:
    from ..analysis.facts import ModuleFacts
    from ..config import Settings


class FixContext:
    """One source text, parsed with libcst on first use, shared by the fixes of a round.

    Positions and parents are worked out per top-level statement, when a fix first asks
    about a node in it: one quick fix in a large file then costs the size of the
    statement it touches rather than two walks over the whole module (about 1 s for
    2,000 lines).
    """

    def __init__(self, source: str, facts: ModuleFacts, settings: Settings, path: str = "<string>") -> None:
        self.source = source
        self.facts = facts
        self.settings = settings
        self.path = path
        self._positions: dict[cst.CSTNode, object] = {}  # libcst CodeRange, 1-based lines
        self._parents: dict[cst.CSTNode, cst.CSTNode] = {}
        self._by_range: dict[Range, list[cst.CSTNode]] = {}
        self._statement_nodes: dict[int, list[tuple[cst.CSTNode, Range]]] = {}  # by index into module.body
        self._frame_loaded = False  # the whole module: header and footer lines too

    @cached_property
    def module(self) -> cst.Module:
        return cst.parse_module(self.source)

    @cached_property
    def _statement_lines(self) -> list[int]:
        """The 1-based line each top-level statement's text (its leading comments and
        blank lines included) starts on."""
        module = self.module
        line = 1 + sum(_line_breaks(module.code_for_node(empty)) for empty in module.header)
        starts = []
        for statement in module.body:
            starts.append(line)
            line += _line_breaks(self._statement_texts[id(statement)][1])
        return starts

    def _load(self, index: int) -> None:
        """Positions and parents of the nodes of one top-level statement."""
        if index not in self._statement_nodes:
            self._statement_nodes[index] = self._track([self.module.body[index]], self._statement_lines[index])

    def _track(self, nodes, line: int) -> list[tuple[cst.CSTNode, Range]]:
        """Render `nodes` (children of the module) from 1-based `line` on, noting positions and parents."""
        module = self.module
        state = _TrackingState(
            default_indent=module.default_indent,
            default_newline=module.default_newline,
            provider=_Positions(),
            line=line,
        )
        state.parents, state.open_nodes = self._parents, []
        for node in nodes:
            node._codegen(state)
            self._parents[node] = module
        found = []
        for node, code_range in state.provider._computed.items():
            self._positions[node] = code_range
            rng = _to_range(code_range)
            self._by_range.setdefault(rng, []).append(node)
            found.append((node, rng))
        return found

    def _nodes_on_lines(self, first: int, last: int) -> list[tuple[cst.CSTNode, Range]]:
        """The nodes (with ranges) of the statements on 0-based lines `first`..`last`."""
        starts = self._statement_lines
        lowest = max(bisect.bisect_right(starts, first + 1) - 1, 0)
        highest = bisect.bisect_right(starts, last + 1) - 1
        found = []
        for index in range(lowest, highest + 1):
            self._load(index)
            found.extend(self._statement_nodes[index])
        return found

    def _load_all(self) -> None:
        if self._frame_loaded:
            return
        self._frame_loaded = True
        module = self.module
        for index in range(len(module.body)):
            self._load(index)
        self._track(module.header, 1)
        last = len(module.body) - 1
        after_body = (
            self._statement_lines[last] + _line_breaks(self._statement_texts[id(module.body[last])][1])
            if module.body
            else 1 + sum(_line_breaks(module.code_for_node(e)) for e in module.header)
        )
        self._track(module.footer, after_body)

    @property
    def positions(self):
        """Every node's libcst `CodeRange` (all statements are worked out)."""
        self._load_all()
        return self._positions

    def range_of(self, node: cst.CSTNode) -> Range:
        if node not in self._positions:
            self._load_all()
        return _to_range(self._positions[node])

    def node_at(self, where: Range, *types: type) -> cst.CSTNode | None:
        """The libcst node of one of `types` at a finding's (or `ast` node's) range.

        libcst counts enclosing parentheses into a node's range and `ast` does not, so
        an exact match is preferred, else the smallest node that contains the range.
        """
        nearby = self._nodes_on_lines(where.start.line, where.end.line)
        for node in self._by_range.get(where, ()):
            if not types or isinstance(node, types):
                return node
        best = None
        best_size = None
        for node, rng in nearby:
            if types and not isinstance(node, types):
                continue
            if rng.contains(where):
                size = (rng.end.line - rng.start.line, rng.end.column - rng.start.column)
                if best_size is None or size < best_size:
                    best, best_size = node, size
        return best

    def nodes_in(self, where: Range, *types: type) -> list[cst.CSTNode]:
        """All nodes of `types` inside a range, in source order."""
        found = []
        for node, rng in self._nodes_on_lines(where.start.line, where.end.line):
            if types and not isinstance(node, types):
                continue
            if where.contains(rng):
                found.append((rng.start, node))
        found.sort(key=lambda pair: (pair[0].line, pair[0].column))
        return [node for _, node in found]

    def render(self, module: cst.Module) -> str:
        """The text of `module`, a fix's edit of `self.module`.

        A fix rebuilds only the statements it changes, so the top-level statements it left
        alone are the very same objects: they keep their text from the original and only
        the others are rendered. (Rendering every line for each of a fix-all's hundreds of
        fixes cost most of its time.) Anything unusual is rendered whole.
        """
        original = self.module
        if module is original:
            return self.source
        same_frame = (
            module.header is original.header
            and module.footer is original.footer
            and module.has_trailing_newline
            and original.has_trailing_newline
            and (module.default_indent, module.default_newline, module.encoding)
            == (original.default_indent, original.default_newline, original.encoding)
        )
        if not same_frame:
            return module.code
        texts = self._statement_texts
        state = CodegenState(default_indent=module.default_indent, default_newline=module.default_newline)
        for line in module.header:
            line._codegen(state)
        for statement in module.body:
            kept = texts.get(id(statement))
            if kept is not None and kept[0] is statement:
                state.tokens.append(kept[1])
            else:
                statement._codegen(state)
        for line in module.footer:
            line._codegen(state)
        if not state.tokens:
            return module.code
        return "".join(state.tokens)

    @cached_property
    def _statement_texts(self) -> dict[int, tuple[cst.CSTNode, str]]:
        # The statement is kept with its text so an id reused by a new object never matches.
        module = self.module
        return {id(statement): (statement, module.code_for_node(statement)) for statement in module.body}

    def parent_map(self) -> _Parents:
        """Each node's parent (`.get(node)`, `[node]`), for the nodes of the original module."""
        return _Parents(self)

    def code_for(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)

    def replace(
        self, replacements: dict[cst.CSTNode, cst.CSTNode | cst.RemovalSentinel | cst.FlattenSentinel]
    ) -> cst.Module:
        """The module with some nodes (found by identity) swapped for others.

        One replacement is made by rebuilding only the chain of its ancestors, which
        costs the depth of the node rather than a walk of the whole module; anything
        else (several, or a removal outside a list) goes through a full transformer.
        """
        if len(replacements) == 1:
            ((old, new),) = replacements.items()
            rebuilt = self._replace_along_parents(old, new)
            if rebuilt is not None:
                return rebuilt
        return self.module.visit(_Replacer(replacements))

    def _replace_along_parents(self, old: cst.CSTNode, new) -> cst.Module | None:
        parents = self.parent_map()
        child, replacement = old, new
        while child is not self.module:
            parent = parents.get(child)
            if parent is None:
                return None
            rebuilt = _with_child(parent, child, replacement)
            if rebuilt is None:
                return None
            child, replacement = parent, rebuilt
        return replacement

    # --- imports ----------------------------------------------------------------------
    def module_alias(self, module: str) -> str | None:
        """The local name of an existing module-level `import module [as alias]`."""
        return next(iter(self.facts.imported_names(module)), None)


def add_imports(module: cst.Module, imports: list[tuple[str, str | None, str | None]]) -> cst.Module:
    """Add `import module` / `from module import obj [as asname]` unless already there."""
    context = CodemodContext()
    for module_name, obj, asname in imports:
        AddImportsVisitor.add_needed_import(context, module_name, obj, asname)
    # libcst's visitor reads and rewrites only the first statement, the run of imports at
    # the top and the statement after them; given just those it does the same, without
    # copying every other statement of the module (seconds in a large file).
    top = _end_of_top_imports(module.body)
    head = module.with_changes(body=module.body[:top]).visit(AddImportsVisitor(context))
    return module.with_changes(body=(*head.body, *module.body[top:]))


def _end_of_top_imports(body) -> int:
    """How many statements `add_imports` needs: the first, the imports right after it (or
    from it on) and the next one."""
    end = 1
    while end < len(body) and _is_import_line(body[end]):
        end += 1
    return min(end + 1, len(body))


def _is_import_line(statement) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], (cst.Import, cst.ImportFrom))
    )


def remove_unused_imports(module: cst.Module, imports: list[tuple[str, str | None, str | None]]) -> cst.Module:
    """Remove imports that are no longer referenced (libcst checks the references)."""
    wrapper = MetadataWrapper(module)
    context = CodemodContext(wrapper=wrapper)
    for module_name, obj, asname in imports:
        RemoveImportsVisitor.remove_unused_import(context, module_name, obj, asname)
    return wrapper.visit(RemoveImportsVisitor(context))


def _to_range(code_range) -> Range:
    """libcst's 1-based lines to the canonical 0-based form (columns already agree)."""
    return Range(
        Position(code_range.start.line - 1, code_range.start.column),
        Position(code_range.end.line - 1, code_range.end.column),
    )


def _with_child(parent: cst.CSTNode, old: cst.CSTNode, new) -> cst.CSTNode | None:
    """`parent` with its child `old` replaced by `new` (a node, a removal or a flattened
    list), or None when `old` is not a direct child it can replace that way."""
    for field in dataclasses.fields(parent):
        value = getattr(parent, field.name)
        if value is old:
            if isinstance(new, (cst.RemovalSentinel, cst.FlattenSentinel)):
                return None
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
                return None  # an emptied body needs the transformer's rules
            return parent.with_changes(**{field.name: tuple(items)})
    return None


class _Replacer(cst.CSTTransformer):
    def __init__(self, replacements) -> None:
        super().__init__()
        self.replacements = replacements

    def on_leave(self, original_node, updated_node):
        if original_node in self.replacements:
            return self.replacements[original_node]
        return updated_node


def _line_breaks(text: str) -> int:
    return len(_NEWLINE.findall(text))


class _Positions:
    """What libcst's position-tracking codegen writes into (in place of its provider)."""

    def __init__(self) -> None:
        self._computed: dict = {}


class _TrackingState(PositionProvidingCodegenState):
    """libcst's position-tracking rendering, also noting each node's parent on the way."""

    def before_codegen(self, node: cst.CSTNode) -> None:
        super().before_codegen(node)
        if self.open_nodes:
            self.parents[node] = self.open_nodes[-1]
        self.open_nodes.append(node)

    def after_codegen(self, node: cst.CSTNode) -> None:
        super().after_codegen(node)
        self.open_nodes.pop()


class _Parents:
    """The parents of a `FixContext`'s nodes, worked out statement by statement as asked."""

    def __init__(self, context: FixContext) -> None:
        self._context = context

    def get(self, node: cst.CSTNode, default=None):
        context = self._context
        if node is context.module:
            return default
        if node not in context._parents:
            context._load_all()  # a node the fix did not find through `node_at`
        return context._parents.get(node, default)

    def __getitem__(self, node: cst.CSTNode) -> cst.CSTNode:
        parent = self.get(node)
        if parent is None:
            raise KeyError(node)
        return parent

    def __contains__(self, node: object) -> bool:
        return self.get(node) is not None
