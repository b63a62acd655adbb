"""`fixes.parens.grouped_span` finds the parentheses that group an expression exactly as
libcst renders them with its node (`lpar`/`rpar`), and never a call's."""

from __future__ import annotations

import ast
from pathlib import Path

import libcst as cst
import pytest

from celery_patterns.analysis.facts import ModuleFacts
from celery_patterns.fixes.context import FixContext
from celery_patterns.fixes.parens import grouped_span

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").rglob("*.py"))
TRICKY = [
    "x = (  # why\n    f(a)  # c\n)\n",
    "def g():\n    return c and ((f(a))) or (await (h()))\n",
    "y = f((a), (b)) + (g)(c) + [(d)][0] + {(e): (f)}\n",
    'z = f("a#(", (b  # )\n))  # ( c\n',
    "if a: w = not (b) and (c)\nv = x \\\n    (y)\n",
    "async def h():\n    return [i async for i in (aiter())] if (await x) else (lambda: (y))()\n",
    "def k():\n\tx = 1; return (\n\t\tf()\n\t)\r\n",
]
PAIRS = {ast.Call: cst.Call, ast.Name: cst.Name, ast.Await: cst.Await, ast.Attribute: cst.Attribute}


@pytest.mark.parametrize(
    "source", [p.read_text(encoding="utf-8") for p in EXAMPLES] + TRICKY, ids=[p.name for p in EXAMPLES] + TRICKY
)
def test_grouped_span_is_libcsts_node(source):
    facts = ModuleFacts(ast.parse(source), source)
    ctx = FixContext(source, facts, None)
    for ast_type, cst_type in PAIRS.items():
        for node in facts.nodes(ast_type):
            found = ctx.node_at(node, cst_type)
            if found is None:
                continue
            start, end = grouped_span(facts, node)
            assert _unindented(source[start:end]) == _unindented(ctx.code_for(found)), ast.unparse(node)


def _unindented(code: str) -> list[str]:
    """libcst renders a node alone without its block's indentation."""
    return [line.lstrip() for line in code.splitlines()]
