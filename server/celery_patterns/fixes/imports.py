"""Import edits: add an import where a reader expects it, remove a name keeping its comments.

`add_imports` gives the edit libcst's `AddImportsVisitor` makes (after the docstring and the
imports at the top; a `from m import x` joins an existing `from m import ...`; a blank line
before the code that follows), computed on the *head* of the module only: the visitor reads
and changes just the first statement, the run of imports after it and the statement after
those, so that is all that is parsed (a whole large module took seconds). The edits are read
between libcst's renderings of the head and placed on the source's own text: what libcst leaves
out (a form feed starting a line) stays.
"""

from __future__ import annotations

import ast
import difflib
import itertools
from collections.abc import Sequence
from functools import cached_property

from ..ftypes import Range, TextEdit
from ..source import Rendering, changed_span, split_lines
from .comments import as_own_lines, comments_in, trailing_comment
from .context import Chunk, FixContext, parse_chunk
from .lazy import cst

ImportSpec = tuple[str, "str | None", "str | None"]  # (module, name or None, asname or None)


def add_import(ctx: FixContext, module: str, name: str | None = None, asname: str | None = None) -> list[TextEdit]:
    """The edits adding `import module [as asname]` or `from module import name [as asname]`;
    none when the module's head already has it."""
    return add_imports(ctx, [(module, name, asname)])


def add_imports(ctx: FixContext, specs: Sequence[ImportSpec]) -> list[TextEdit]:
    """The edits adding several imports (see `add_import`), one per run of changed lines, so
    that a fix that also removes an import at the top does not overlap them. Worked out once
    per context for the same imports (the visitor takes ~0.1 s a call): the fixes of a round
    that add the same import make the same edits, which the engine makes once."""
    cache = ctx.__dict__.setdefault("_added_imports", {})
    key = tuple(specs)
    if key not in cache:
        from libcst.codemod import CodemodContext
        from libcst.codemod.visitors import AddImportsVisitor

        head = _Head.of(ctx)
        context = CodemodContext()
        for module, name, asname in specs:
            AddImportsVisitor.add_needed_import(context, module, name, asname)
        cache[key] = tuple(head.edits(head.chunk.module.visit(AddImportsVisitor(context)).code))
    return list(cache[key])


class _Head:
    """The text and libcst module of the statements `AddImportsVisitor` reads (a subclass
    reads as far as its `_leading` says)."""

    key = "_import_head"  # where `of` keeps it on the context

    def __init__(self, ctx: FixContext) -> None:
        self.ctx = ctx

    @classmethod
    def of(cls, ctx: FixContext) -> _Head:
        head = ctx.__dict__.get(cls.key)
        if head is None:
            head = ctx.__dict__[cls.key] = cls(ctx)
        return head

    @cached_property
    def chunk(self) -> Chunk:
        ctx = self.ctx
        end = self._end()
        module, text = parse_chunk(ctx.source[:end], ctx.defaults)
        return Chunk(0, len(text), 0, text, module, {}, {})

    def edits(self, new_code: str) -> list[TextEdit]:
        """The edits turning the head into `new_code` (a rendering of its changed module), one
        per run of changed lines (difflib, on the few lines of the head only).

        They are read between libcst's renderings before and after, then placed on the
        source: libcst leaves out a form feed that starts a statement's line, and the
        statements the edits do not change must keep it. ValueError when that cannot be done."""
        old_lines, new_lines = split_lines(self._rendering.text), split_lines(new_code)
        starts = list(itertools.accumulate(map(len, old_lines), initial=0))
        # The lines both share at the ends first, so that a line repeated there (`x = 1` twice,
        # one after a form feed) is matched with itself, not with its twin.
        head = tail = 0
        while head < min(len(old_lines), len(new_lines)) and old_lines[head] == new_lines[head]:
            head += 1
        while tail < min(len(old_lines), len(new_lines)) - head and old_lines[-1 - tail] == new_lines[-1 - tail]:
            tail += 1
        matcher = difflib.SequenceMatcher(
            None, old_lines[head : len(old_lines) - tail], new_lines[head : len(new_lines) - tail], autojunk=False
        )
        edits = []
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            i1, i2, j1, j2 = i1 + head, i2 + head, j1 + head, j2 + head
            span = changed_span("".join(old_lines[i1:i2]), "".join(new_lines[j1:j2])) if tag != "equal" else None
            if span is not None:
                first, last, text = span
                start, end = self._rendering.span(starts[i1] + first, starts[i1] + last)
                edits.append(TextEdit(Range(self.ctx.index.position(start), self.ctx.index.position(end)), text))
        return edits

    @cached_property
    def _rendering(self) -> Rendering:
        return Rendering(self.chunk.text, self.chunk.module.code)  # the head starts the source

    def _end(self) -> int:
        """Where the head ends: after the line of the `_leading` statements and one more
        (libcst's statements: those sharing a line through `;` are one). The comments after
        them stay out: libcst drops some of a module's last comments (two lines starting with
        a form feed: the first goes), and no import goes there."""
        ctx = self.ctx
        lines = _statement_lines(ctx.facts.tree.body)
        if not lines:
            return len(ctx.source)
        last = lines[min(self._leading(lines), len(lines) - 1)][-1]
        last_line = last.end_lineno or last.lineno  # (set on every parsed statement)
        if last_line >= ctx.index.line_count:
            return len(ctx.source)
        end = ctx.index.line_starts[last_line]
        if ctx.index.line_text(last_line - 1).endswith("\\"):  # continued: a chunk start after it
            return ctx.next_chunk_start(end)
        return end

    @staticmethod
    def _leading(lines: list[list[ast.stmt]]) -> int:
        """How many statement lines come before the one more the head holds: the first
        statement and the imports right after it."""
        end = 1
        while end < len(lines) and len(lines[end]) == 1 and isinstance(lines[end][0], (ast.Import, ast.ImportFrom)):
            end += 1
        return end


def _statement_lines(body: list[ast.stmt]) -> list[list[ast.stmt]]:
    """Top-level statements grouped as libcst groups them: those sharing a line are one."""
    lines: list[list[ast.stmt]] = []
    for statement in body:
        if lines and statement.lineno == lines[-1][-1].end_lineno and not isinstance(lines[-1][-1], _COMPOUND):
            lines[-1].append(statement)
        else:
            lines.append([statement])
    return lines


_COMPOUND = (
    (
        ast.FunctionDef,
        ast.AsyncFunctionDef,
        ast.ClassDef,
        ast.If,
        ast.For,
        ast.AsyncFor,
        ast.While,
        ast.With,
        ast.AsyncWith,
        ast.Try,
    )
    + ((ast.TryStar,) if hasattr(ast, "TryStar") else ())
    + ((ast.Match,) if hasattr(ast, "Match") else ())
)


# --- removing a name ------------------------------------------------------------------------
def remove_name(ctx: FixContext, statement: ast.Import | ast.ImportFrom, bound: str) -> TextEdit | None:
    """The edit removing the alias that binds `bound` from an import statement, or the whole
    statement when it is the only one; comments inside the removed text (`sleep,  # why`)
    stay, on lines of their own where the name was. None when that cannot be done cleanly
    (a comment inside `sleep as nap`, a block the removal would leave empty)."""
    small = ctx.node_at(statement, cst.Import, cst.ImportFrom)
    line = ctx.parent(small) if small is not None else None
    if not isinstance(line, cst.SimpleStatementLine) or isinstance(small.names, cst.ImportStar):
        return None
    aliases = list(small.names)
    position = next((i for i, alias in enumerate(aliases) if _binds(alias, bound)), None)
    if position is None:
        return None
    if len(aliases) > 1:
        shorter = _without_alias(small, position)
        return ctx.replace(small, shorter) if shorter is not None else None
    if len(line.body) > 1:  # `import time; x = 1`
        if comments_in(small):
            return None
        rest = [s for s in line.body if s is not small]
        rest[-1] = rest[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
        return ctx.replace(line, line.with_changes(body=rest))
    return _remove_line(ctx, line, [*line.leading_lines, *as_own_lines(comments_in(small) + trailing_comment(line))])


def _remove_line(ctx: FixContext, line, kept: list) -> TextEdit | None:
    """Remove a statement line from its block, putting `kept` lines where it was."""
    block = ctx.parent(line)
    body = list(block.body)
    index = next(i for i, s in enumerate(body) if s is line)
    del body[index]
    if index < len(body):
        body[index] = body[index].with_changes(leading_lines=[*kept, *body[index].leading_lines])
        return ctx.replace(block, block.with_changes(body=body))
    if isinstance(block, cst.Module):
        return ctx.replace(block, block.with_changes(body=body, footer=[*kept, *block.footer]))
    if not body:
        return None  # an emptied block needs a `pass`: not this helper's call
    return ctx.replace(block, block.with_changes(body=body, footer=[*kept, *block.footer]))


def _binds(alias, bound: str) -> bool:
    if alias.asname is not None:
        return isinstance(alias.asname.name, cst.Name) and alias.asname.name.value == bound
    name = alias.name
    while isinstance(name, cst.Attribute):  # `import os.path` binds `os`
        name = name.value
    return isinstance(name, cst.Name) and name.value == bound


def _without_alias(imp, position: int):
    """`imp` without the alias at `position`; the comments that followed it (after its
    comma, or before `)` when it is last) kept on lines of their own."""
    aliases = list(imp.names)
    removed = aliases.pop(position)
    if comments_in(removed.with_changes(comma=cst.MaybeSentinel.DEFAULT)):
        return None  # a comment inside `sleep as nap` itself: rare, leave the import be
    lpar = getattr(imp, "lpar", None)
    if lpar is None:  # one line, no comments: only the commas need care
        if position == len(aliases):
            aliases[-1] = aliases[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return imp.with_changes(names=aliases)
    last = position == len(aliases)
    after = removed.comma.whitespace_after if isinstance(removed.comma, cst.Comma) else imp.rpar.whitespace_before
    changes = {}
    if last and not isinstance(removed.comma, cst.Comma):
        changes["rpar"] = imp.rpar.with_changes(whitespace_before=cst.SimpleWhitespace(""))
    if position == 0:
        changes["lpar"] = lpar.with_changes(whitespace_after=_merge_whitespace(lpar.whitespace_after, after))
        return imp.with_changes(names=aliases, **changes)
    previous = aliases[position - 1]
    before = previous.comma.whitespace_after
    if (
        last
        and not any(isinstance(w, cst.ParenthesizedWhitespace) for w in (before, after))
        and not isinstance(imp.rpar.whitespace_before, cst.ParenthesizedWhitespace)
    ):
        aliases[-1] = previous.with_changes(comma=cst.MaybeSentinel.DEFAULT)  # `(monotonic, sleep)` -> `(monotonic)`
        return imp.with_changes(names=aliases)
    aliases[position - 1] = previous.with_changes(
        comma=previous.comma.with_changes(whitespace_after=_merge_whitespace(before, after))
    )
    return imp.with_changes(names=aliases, **changes)


def _merge_whitespace(before, after):
    """The whitespace that replaces `before` + removed alias + `after`: the line breaks and
    comments of both, the comment that followed the alias on a line of its own."""
    if not isinstance(after, cst.ParenthesizedWhitespace):
        return before
    if not isinstance(before, cst.ParenthesizedWhitespace):
        return after  # the alias followed `(` or another alias on its line: its comment stays there
    moved = []
    if after.first_line.comment is not None:
        moved.append(
            cst.EmptyLine(
                indent=before.indent,
                whitespace=before.last_line,
                comment=after.first_line.comment,
                newline=after.first_line.newline,
            )
        )
    return before.with_changes(
        empty_lines=[*before.empty_lines, *moved, *after.empty_lines], indent=after.indent, last_line=after.last_line
    )


def remove_aliases(ctx: FixContext, statement: ast.Import | ast.ImportFrom, positions) -> TextEdit | None:
    """The edit removing the aliases at `positions` (indexes in `statement.names`) from an
    import statement, or the whole statement when they are all its names. Its comments stay
    on lines of their own where it was, as with `remove_name`; unlike `remove_name`, a
    statement alone in its block leaves `pass`, one in a one-line suite (`if x: import a`)
    leaves the rest of the suite or `pass`, and the comments inside one that shares its line
    (`import os; from a import (b,  # why`) go above the line. None when a comment would be
    lost (inside a removed alias, or inside a statement of a one-line suite)."""
    small = ctx.node_at(statement, cst.Import, cst.ImportFrom)
    if small is None or isinstance(small.names, cst.ImportStar):
        return None
    drop = sorted(set(positions), reverse=True)
    if len(drop) < len(small.names):
        shorter = small
        for position in drop:
            shorter = _without_alias(shorter, position) if shorter is not None else None
        return ctx.replace(small, shorter) if shorter is not None else None
    line = ctx.parent(small)
    kept = as_own_lines(comments_in(small))
    rest = [s for s in line.body if s is not small]
    if rest and line.body[-1] is small:  # the last one goes: its `;` too
        rest[-1] = rest[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
    if isinstance(line, cst.SimpleStatementSuite):
        return None if kept else ctx.replace(line, line.with_changes(body=rest or [cst.Pass()]))
    if rest:  # `import os; import a  # note`: the line and its comment stay
        return ctx.replace(line, line.with_changes(body=rest, leading_lines=[*line.leading_lines, *kept]))
    kept = [*line.leading_lines, *kept, *as_own_lines(trailing_comment(line))]
    block = ctx.parent(line)
    if len(block.body) == 1 and not isinstance(block, cst.Module):
        return ctx.replace(line, cst.SimpleStatementLine([cst.Pass()], leading_lines=kept))
    return _remove_line(ctx, line, kept)
