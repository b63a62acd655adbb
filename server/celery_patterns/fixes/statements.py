"""Statements as libcst nodes: parse one as the file writes them, insert some before another or
at the end of a block (or above one, as text), open a one-line suite into a block, add a
module-level constant where readers look for one."""

from __future__ import annotations

import ast
from typing import TypeVar

from ..ftypes import Range, TextEdit
from .context import FixContext
from .imports import _Head
from .lazy import cst
from .text import statement_start

NodeT = TypeVar("NodeT", bound="cst.CSTNode")


# --- libcst helpers for the fixes ---------------------------------------------------------
def insert_before(
    statement: cst.SimpleStatementLine | cst.BaseCompoundStatement, new: list[cst.BaseStatement]
) -> cst.FlattenSentinel:
    """`new` then `statement`; the comments above `statement` move above `new`."""
    first = new[0].with_changes(leading_lines=statement.leading_lines)
    return cst.FlattenSentinel([first, *new[1:], statement.with_changes(leading_lines=[])])


def insert_before_each(node: NodeT, targets: set[int], small: cst.BaseSmallStatement) -> NodeT:
    """`node` with the simple statement `small` put before each small statement whose `id` is
    in `targets`: on a line of its own before one alone on its line, else before it on its
    line (`a; small; continue`)."""

    def insert(smalls, positions):
        smalls = list(smalls)
        for i in reversed(positions):
            smalls.insert(i, small.with_changes(semicolon=_semicolon()))
        return smalls

    class InsertBefore(cst.CSTTransformer):
        def leave_SimpleStatementLine(self, original_node, updated_node):
            positions = [i for i, s in enumerate(original_node.body) if id(s) in targets]
            if not positions:
                return updated_node
            if len(updated_node.body) == 1:  # alone on its line: the new statement gets a line of its own
                return insert_before(updated_node, [cst.SimpleStatementLine(body=[small])])
            return updated_node.with_changes(body=insert(updated_node.body, positions))

        def leave_SimpleStatementSuite(self, original_node, updated_node):
            positions = [i for i, s in enumerate(original_node.body) if id(s) in targets]
            if not positions:
                return updated_node
            return updated_node.with_changes(body=insert(updated_node.body, positions))

    changed = node.visit(InsertBefore())
    assert isinstance(changed, type(node))  # the transformer changes what is inside `node` only
    return changed


def append_statement(body: cst.BaseSuite, small: cst.BaseSmallStatement) -> cst.BaseSuite:
    """The block or one-line suite with `small` at its end, unless it ends by leaving
    (`continue`, `break`, `return`, `raise`), where `small` could never run."""
    jumps = (cst.Continue, cst.Break, cst.Return, cst.Raise)
    if isinstance(body, cst.SimpleStatementSuite):
        smalls = list(body.body)
        if isinstance(smalls[-1], jumps):
            return body
        if not isinstance(smalls[-1].semicolon, cst.Semicolon):
            smalls[-1] = smalls[-1].with_changes(semicolon=_semicolon())
        return body.with_changes(body=[*smalls, small])
    last = body.body[-1]
    if isinstance(last, cst.SimpleStatementLine) and isinstance(last.body[-1], jumps):
        return body
    return body.with_changes(body=[*body.body, cst.SimpleStatementLine(body=[small])])


def loop_continues(node: cst.CSTNode, nested: bool = False, out: set[int] | None = None) -> set[int]:
    """`id`s of the `continue` statements in a loop's body `node` that continue that loop
    (not a loop nested in it, nor code in a nested def or class)."""
    out = set() if out is None else out
    if isinstance(node, cst.Continue):
        if not nested:
            out.add(id(node))
        return out
    if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
        return out
    if isinstance(node, (cst.For, cst.While)):
        loop_continues(node.body, True, out)
        if node.orelse is not None:
            loop_continues(node.orelse, nested, out)
        return out
    for child in node.children:
        loop_continues(child, nested, out)
    return out


def insert_above(ctx: FixContext, statement: ast.stmt, code: str) -> TextEdit | None:
    """The edit putting `code` (lines ending in "\\n", nested ones indented with the file's
    unit) on lines of their own just above `statement`, at its indentation and with the
    file's line break: what libcst writes for `insert_before`, made as text (no parse).
    None when `statement` does not start its line."""
    source, index = ctx.source, ctx.index
    start = statement_start(ctx.facts, statement)  # its first decorator's, if any
    line_start = index.line_starts[index.position(start).line]
    indent = source[line_start:start]
    if indent.strip(" \t"):  # after other code (`x = 1; raise`), or a form feed
        return None
    newline = ctx.defaults[1]
    text = "".join(indent + line + newline for line in code.split("\n")[:-1])
    at = index.position(line_start)
    return TextEdit(Range(at, at), text)


def _semicolon():
    return cst.Semicolon(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace(" "))


def suite_to_block(suite: cst.SimpleStatementSuite) -> cst.IndentedBlock:
    """`if x: a; b  # c` -> an indented block with `a` and `b` on their own lines."""
    lines = [
        cst.SimpleStatementLine(body=[small.with_changes(semicolon=cst.MaybeSentinel.DEFAULT)]) for small in suite.body
    ]
    return cst.IndentedBlock(body=lines, header=suite.trailing_whitespace)


def parse_statement(module: cst.Module, code: str) -> cst.BaseStatement:
    return cst.parse_statement(code, config=module.config_for_parsing)


def assignment(name: str, value: cst.BaseExpression) -> cst.Assign:
    """`name = value`, a small statement (the body of a `SimpleStatementLine`)."""
    return cst.Assign(targets=[cst.AssignTarget(cst.Name(name))], value=value)


def bind_before(
    statement: cst.SimpleStatementLine | cst.BaseCompoundStatement, expr: cst.BaseExpression, name: str, then=()
) -> cst.FlattenSentinel:
    """`name = expr`, the statements `then`, and `statement` reading `name` where it had
    `expr` (`analysis.evaluation.hoist_statement` says where that keeps the meaning); the
    comments above `statement` move above the binding."""
    rest = statement.deep_replace(expr, cst.Name(name))
    assert isinstance(rest, (cst.SimpleStatementLine, cst.BaseCompoundStatement))  # `expr` is inside it
    return insert_before(rest, [cst.SimpleStatementLine(body=[assignment(name, expr)]), *then])


def walk_cst(node: cst.CSTNode):
    """`node` and every node below it."""
    yield node
    for child in node.children:
        yield from walk_cst(child)


# --- a module-level constant --------------------------------------------------------------
def add_module_constant(ctx: FixContext, line: str) -> list[TextEdit]:
    """The edits adding `line` (`NAME = value  # why`) after the module's docstring and
    leading imports.

    It is computed on the module's head only (as `fixes.imports` adds imports), so every
    fix that needs the constant makes this same edit, and the fixes of a round make it once."""
    head = _ConstantHead.of(ctx)
    module = head.chunk.module
    statements = list(module.body)
    index = 0
    for i, statement in enumerate(statements):
        if (i == 0 and _is_docstring(statement)) or _is_import_block(statement):
            index = i + 1
        else:
            break
    constant = parse_statement(module, line + module.default_newline)
    if index:
        constant = constant.with_changes(leading_lines=[cst.EmptyLine()])
    statements.insert(index, constant)
    return head.edits(module.with_changes(body=statements).code)


class _ConstantHead(_Head):
    """The statements `add_module_constant` reads: `fixes.imports`' head, down to the first
    statement that cannot be the docstring or an import block (the constant goes before it
    or earlier: the libcst nodes decide)."""

    key = "_constant_head"

    @staticmethod
    def _leading(lines: list[list[ast.stmt]]) -> int:
        end = 0
        while end < len(lines) and _may_be_import_block(lines[end], end == 0):
            end += 1
        return end


def _may_be_import_block(line: list[ast.stmt], first: bool) -> bool:
    """What `_is_import_block` (or `_is_docstring`, first) may say yes to, on `ast`."""
    if all(isinstance(s, (ast.Import, ast.ImportFrom)) for s in line):
        return True
    return len(line) == 1 and (
        isinstance(line[0], (ast.If, ast.Try, *_TRY_STAR)) or (first and isinstance(line[0], ast.Expr))
    )


_TRY_STAR = (ast.TryStar,) if hasattr(ast, "TryStar") else ()


def _is_import_block(statement: cst.CSTNode) -> bool:
    """An import line, or an `if TYPE_CHECKING:` / `try:` holding only imports."""
    if isinstance(statement, cst.SimpleStatementLine):
        return all(isinstance(s, (cst.Import, cst.ImportFrom)) for s in statement.body)
    if isinstance(statement, (cst.If, cst.Try)):
        lines = [n for n in walk_cst(statement) if isinstance(n, cst.SimpleStatementLine)]
        return bool(lines) and all(
            all(isinstance(s, (cst.Import, cst.ImportFrom, cst.Pass)) for s in line.body) for line in lines
        )
    return False


def _is_docstring(statement: cst.BaseStatement) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )
