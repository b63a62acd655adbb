"""What a rule's fixer works with: the libcst tree of the source, found by position.

libcst keeps every byte of the original (comments, quotes, blank lines, CRLF), so a fix
that swaps one node for another and renders the module again leaves the rest of the
file as it was. The engine turns the new text into minimal text edits.
"""

from __future__ import annotations

import dataclasses
from functools import cached_property
from typing import TYPE_CHECKING

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor, RemoveImportsVisitor
from libcst.metadata import MetadataWrapper, ParentNodeProvider, PositionProvider

from .ftypes import Position, Range

if TYPE_CHECKING:
    from .config import Settings
    from .facts import ModuleFacts


class FixContext:
    """One source text, parsed with libcst on first use, shared by the fixes of a round."""

    def __init__(self, source: str, facts: "ModuleFacts", settings: "Settings", path: str = "<string>") -> None:
        self.source = source
        self.facts = facts
        self.settings = settings
        self.path = path

    @cached_property
    def wrapper(self) -> MetadataWrapper:
        return MetadataWrapper(cst.parse_module(self.source), unsafe_skip_copy=True)

    @property
    def module(self) -> cst.Module:
        return self.wrapper.module

    @cached_property
    def positions(self):
        return self.wrapper.resolve(PositionProvider)

    def range_of(self, node: cst.CSTNode) -> Range:
        return _to_range(self.positions[node])

    def node_at(self, where: Range, *types: type) -> cst.CSTNode | None:
        """The libcst node of one of `types` at a finding's (or `ast` node's) range.

        libcst counts enclosing parentheses into a node's range and `ast` does not, so
        an exact match is preferred, else the smallest node that contains the range.
        """
        best = None
        best_size = None
        for node, code_range in self.positions.items():
            if types and not isinstance(node, types):
                continue
            rng = _to_range(code_range)
            if rng == where:
                return node
            if rng.contains(where):
                size = (rng.end.line - rng.start.line, rng.end.column - rng.start.column)
                if best_size is None or size < best_size:
                    best, best_size = node, size
        return best

    def nodes_in(self, where: Range, *types: type) -> list[cst.CSTNode]:
        """All nodes of `types` inside a range, in source order."""
        found = []
        for node, code_range in self.positions.items():
            if types and not isinstance(node, types):
                continue
            rng = _to_range(code_range)
            if where.contains(rng):
                found.append((rng.start, node))
        found.sort(key=lambda pair: (pair[0].line, pair[0].column))
        return [node for _, node in found]

    def parent_map(self) -> dict[cst.CSTNode, cst.CSTNode]:
        return self.wrapper.resolve(ParentNodeProvider)

    def code_for(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)

    def replace(self, replacements: dict[cst.CSTNode, cst.CSTNode | cst.RemovalSentinel | cst.FlattenSentinel]) -> cst.Module:
        """The module with some nodes (found by identity) swapped for others.

        One replacement is made by rebuilding only the chain of its ancestors, which
        costs the depth of the node rather than a walk of the whole module; anything
        else (several, or a removal outside a list) goes through a full transformer.
        """
        if len(replacements) == 1:
            (old, new), = replacements.items()
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
        for name, bindings in self.facts.module_scope.bindings.items():
            for binding in bindings:
                if binding.kind == "import" and binding.qualname == module and len(bindings) == 1:
                    return name
        return None

    def imported_name(self, qualname: str) -> str | None:
        """The local name bound at module level to `qualname` (e.g. celery.signature)."""
        return self.module_alias(qualname)


def add_imports(module: cst.Module, imports: list[tuple[str, str | None, str | None]]) -> cst.Module:
    """Add `import module` / `from module import obj [as asname]` unless already there."""
    context = CodemodContext()
    for module_name, obj, asname in imports:
        AddImportsVisitor.add_needed_import(context, module_name, obj, asname)
    return module.visit(AddImportsVisitor(context))


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
