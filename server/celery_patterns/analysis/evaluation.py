"""Evaluation order: where an expression can be evaluated on a line of its own.

A fix that binds an expression to a name before its statement (`r = group(s).delay()`, then
`return r.id`) must keep it running exactly once, unconditionally, and before anything in
the statement that may have an effect.
"""

from __future__ import annotations

import ast

from .facts import COMPREHENSION_NODES, ModuleFacts

# The part of a statement it evaluates exactly once, before running anything else.
_ONCE_FIELDS = {
    ast.Return: "value",
    ast.Assign: "value",
    ast.AnnAssign: "value",
    ast.AugAssign: "value",
    ast.Expr: "value",
    ast.If: "test",
    ast.For: "iter",
    ast.AsyncFor: "iter",
}


def hoist_statement(facts: ModuleFacts, expr: ast.expr) -> ast.stmt | None:
    """The statement in front of which `expr` can be evaluated instead, or None.

    Moving it there keeps it running once and in the same order: not inside a lambda, the
    lazy parts of a comprehension, `x if c else y`, `a or b`, or a chained comparison, not
    after anything that may have an effect (`return db.save(paths), group(s).apply_async().id`,
    `log(prepare(s), group(s).delay())`), not in a `while` test or an `elif` test.
    """
    child: ast.AST = expr
    node = facts.parent(expr)
    while not isinstance(node, ast.stmt):
        if node is None or isinstance(node, ast.Lambda):
            return None
        lazy = (
            (isinstance(node, COMPREHENSION_NODES) and child is not node.generators[0])
            or (isinstance(node, ast.comprehension) and child is not node.iter)
            or (isinstance(node, ast.IfExp) and child is not node.test)
            or (isinstance(node, ast.BoolOp) and child is not node.values[0])
            or (isinstance(node, ast.Compare) and child not in (node.left, node.comparators[0]))
            or (isinstance(node, ast.withitem) and child is not node.context_expr)
        )
        if lazy or not all(is_inert(e) for e in _evaluated_before(node, child)):
            return None
        child, node = node, facts.parent(node)
    if isinstance(node, (ast.With, ast.AsyncWith)):
        return node if node.items[0] is child else None
    if getattr(node, _ONCE_FIELDS.get(type(node), "-"), None) is not child:
        return None
    if isinstance(node, ast.AugAssign) and not is_inert(node.target):
        return None  # `self.ids[key()] += ...` reads its target first
    if isinstance(node, ast.If):
        start = facts.range(node).start
        if facts.index.line_text(start.line)[start.column :].startswith("elif"):
            return None  # no place for a statement in front of an `elif` test
    return node


def _evaluated_before(node: ast.AST, child: ast.AST) -> list[ast.AST]:
    """The parts of expression `node` that Python evaluates before its part `child`."""
    order: list[ast.AST]
    if isinstance(node, ast.Dict):  # keys and values alternate: k1, v1, k2, v2
        order = [part for pair in zip(node.keys, node.values) for part in pair if part is not None]
    elif isinstance(node, ast.Call):
        arguments: list[ast.expr | ast.keyword] = [*node.args, *node.keywords]
        order = [node.func, *sorted(arguments, key=lambda n: (n.lineno, n.col_offset))]
    else:
        order = list(ast.iter_child_nodes(node))
    before: list[ast.AST] = []
    for part in order:
        if part is child:
            return before
        before.append(part)
    return []


def is_inert(expr: ast.AST) -> bool:
    """Evaluating `expr` has no effect an expression could be reordered with: a constant, a
    name, an attribute of one, or a container or keyword of those."""
    if isinstance(expr, ast.keyword):
        return is_inert(expr.value)
    if isinstance(expr, (ast.Constant, ast.Name, ast.expr_context, ast.operator, ast.cmpop, ast.unaryop)):
        return True
    if isinstance(expr, (ast.Attribute, ast.Starred)):
        return is_inert(expr.value)
    if isinstance(expr, (ast.Tuple, ast.List, ast.Set)):
        return all(is_inert(e) for e in expr.elts)
    return False
