"""Statements as libcst nodes: parse one as the file writes them, insert before another,
open a one-line suite into a block, add a module-level constant where readers look for one."""

from __future__ import annotations

from .lazy import cst


# --- libcst helpers for the fixes ---------------------------------------------------------
def insert_before(statement: cst.BaseStatement, new: list[cst.BaseStatement]) -> cst.FlattenSentinel:
    """`new` then `statement`; the comments above `statement` move above `new`."""
    first = new[0].with_changes(leading_lines=statement.leading_lines)
    return cst.FlattenSentinel([first, *new[1:], statement.with_changes(leading_lines=[])])


def add_module_constant(module: cst.Module, line: str) -> cst.Module:
    """`line` (`NAME = value  # why`) after the module's docstring and leading imports.

    Every fix that needs the constant inserts it at this one place, so the fixes of one
    round make the same edit and it is made once."""
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
    return module.with_changes(body=statements)


def _is_import_block(statement: cst.CSTNode) -> bool:
    """An import line, or an `if TYPE_CHECKING:` / `try:` holding only imports."""
    if isinstance(statement, cst.SimpleStatementLine):
        return all(isinstance(s, (cst.Import, cst.ImportFrom)) for s in statement.body)
    if isinstance(statement, (cst.If, cst.Try)):
        lines = [n for n in _walk_cst(statement) if isinstance(n, cst.SimpleStatementLine)]
        return bool(lines) and all(
            all(isinstance(s, (cst.Import, cst.ImportFrom, cst.Pass)) for s in line.body) for line in lines
        )
    return False


def _walk_cst(node: cst.CSTNode):
    yield node
    for child in node.children:
        yield from _walk_cst(child)


def _is_docstring(statement: cst.BaseStatement) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


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


def bind_before(statement: cst.BaseStatement, expr: cst.BaseExpression, name: str, then=()) -> cst.FlattenSentinel:
    """`name = expr`, the statements `then`, and `statement` reading `name` where it had
    `expr` (`analysis.evaluation.hoist_statement` says where that keeps the meaning); the
    comments above `statement` move above the binding."""
    rest = statement.deep_replace(expr, cst.Name(name))
    return insert_before(rest, [cst.SimpleStatementLine(body=[assignment(name, expr)]), *then])
