"""FixContext works out positions and parents per top-level statement, and renders a fixed
module from the text of the statements a fix left alone: all of it must agree exactly with
what libcst's own providers and renderer give for the whole module."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from libcst.metadata import MetadataWrapper, ParentNodeProvider, PositionProvider

from celery_patterns.engine import check_source
from celery_patterns.fixes.legacy import FixContext

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").rglob("*.py"))

TRICKY = [
    "",
    "\n\n",
    "# only a comment\n",
    "x = 1",  # no trailing newline
    '#!/usr/bin/env python\n# header comment\n\n"""doc"""\nimport os\n',
    "import os\r\nif os:\r\n    x = 1\r\n\r\n# trailing comment\r\n",
    "def f():\n\tif True:\n\t\treturn 1\n\n\n# footer\n",
    "@decorator\n# between\n@other(\n    1)\ndef f(): pass\nclass C:\n    def m(self):  # c\n        ...\n",
    "x = (1 +\n     2)  # c\ny = '''a\nb'''\nz = 3; w = 4\n",
    "async def h(r):\n    while not r.ready():\n        time.sleep(1)\n    return r.get()\nimport time\n",
    "if a:\n    pass\nelif b:\n    pass\nelse:\n    pass\ntry:\n    x\nexcept E as e:\n    raise\nfinally:\n    y\n",
    "x = 1\\\n    + 2\nmatch x:\n    case 1:\n        pass\n",
]


def _whole_module_answers(source: str):
    wrapper = MetadataWrapper(cst.parse_module(source), unsafe_skip_copy=True)
    return wrapper.module, wrapper.resolve(PositionProvider), wrapper.resolve(ParentNodeProvider)


def _context(source: str) -> FixContext:
    checked = check_source(source)
    return FixContext(source, checked.facts, None)


def _assert_agrees_with_libcst(source: str) -> None:
    module, positions, parents = _whole_module_answers(source)
    context = _context(source)
    context.__dict__["module"] = module  # the same node objects as libcst's answers
    mine = context.positions
    expected = {node: code_range for node, code_range in positions.items() if node is not module}
    assert {node: mine.get(node) for node in expected} == expected
    parent_of = context.parent_map()
    for node, parent in parents.items():
        assert parent_of.get(node) is parent
    for node in expected:
        assert context.node_at(context.range_of(node), type(node)) is not None


@pytest.mark.parametrize("source", TRICKY)
def test_positions_and_parents_match_libcst(source):
    _assert_agrees_with_libcst(source)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_positions_and_parents_match_libcst_on_the_examples(path):
    _assert_agrees_with_libcst(path.read_text())


_LINE = st.sampled_from(
    [
        "x = 1",
        "# comment",
        "",
        "import os",
        "def f():\n    return 1",
        "class C:\n    y = 2  # c",
        "if x:\n\tpass",
        "@d\ndef g(): ...",
        "s = '''a\nb'''",
        "t = (1,\n     2)",
        "u = 1; v = 2",
    ]
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_LINE, max_size=12), st.sampled_from(["\n", "\r\n"]), st.booleans())
def test_generated_modules_match_libcst(lines, newline, trailing):
    source = newline.join(line.replace("\n", newline) for line in lines) + (newline if trailing else "")
    try:
        cst.parse_module(source)
    except cst.ParserSyntaxError:
        return  # tabs and spaces mixed by the generator
    _assert_agrees_with_libcst(source)


def test_node_at_finds_the_node_of_a_finding_in_a_later_statement():
    source = "import time\n\n\nasync def a():\n    pass\n\n\nasync def b(r):\n    time.sleep(1)\n"
    context = _context(source)
    finding = next(f for f in check_source(source).report.findings if f.code == "CEL002")
    call = context.node_at(finding.range, cst.Call)
    assert isinstance(call, cst.Call) and context.module.code_for_node(call) == "time.sleep(1)"
    assert isinstance(context.parent_map()[call], cst.Expr)


@pytest.mark.parametrize("source", TRICKY[3:] + [p.read_text() for p in EXAMPLES])
def test_render_of_an_edited_module_matches_libcst(source):
    context = _context(source)
    module = context.module
    if not module.body:
        return
    for index in range(len(module.body)):
        changed = module.with_changes(
            body=[*module.body[:index], cst.parse_statement("changed = True\n"), *module.body[index + 1 :]]
        )
        assert context.render(changed) == changed.code
    assert context.render(module) == module.code
    dropped = module.with_changes(body=module.body[1:])
    assert context.render(dropped) == dropped.code


_TOP_LINE = st.sampled_from(
    [
        '"""doc"""',
        "__strict__ = True",
        "import os",
        "import asyncio as aio",
        "from time import sleep",
        "from asyncio import run",
        "from __future__ import annotations",
        "x = 1",
        "# comment",
        "",
        "def f():\n    import asyncio",
        "if x:\n    import sys",
        "import os, sys",
        "import time; y = 2",
    ]
)
_WANTED = st.lists(
    st.sampled_from(
        [
            ("asyncio", None, None),
            ("asyncio", None, "aio2"),
            ("sys", None, None),
            ("celery", "signature", None),
            ("time", "sleep", None),
            ("asyncio", "run", "go"),
            ("__future__", "annotations", None),
        ]
    ),
    min_size=1,
    max_size=3,
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_TOP_LINE, max_size=8), _WANTED)
def test_add_imports_on_the_top_of_the_module_equals_libcst_on_all_of_it(lines, wanted):
    from libcst.codemod import CodemodContext
    from libcst.codemod.visitors import AddImportsVisitor

    from celery_patterns.fixes.legacy import add_imports

    module = cst.parse_module("\n".join(lines) + "\n")
    context = CodemodContext()
    for name, obj, asname in wanted:
        AddImportsVisitor.add_needed_import(context, name, obj, asname)
    expected = module.visit(AddImportsVisitor(context)).code
    assert add_imports(module, wanted).code == expected
