"""FixContext parses one chunk of top-level statements at a time and turns node replacements
into edits; `fixes.imports` adds imports on the module's head only. All of it must agree
exactly with what libcst gives for the whole module: positions, renderings, imports."""

from __future__ import annotations

import re
from pathlib import Path

import libcst as cst
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor
from libcst.metadata import MetadataWrapper, PositionProvider

from celery_patterns.engine import check_source
from celery_patterns.fixes.context import FixContext
from celery_patterns.fixes.imports import add_imports, remove_name
from celery_patterns.fixes.statements import add_module_constant
from celery_patterns.source import apply_edits, split_lines

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").rglob("*.py"))

TRICKY = [
    "x = 1",  # no trailing newline
    '#!/usr/bin/env python\n# header comment\n\n"""doc"""\nimport os\n',
    "import os\r\nif os:\r\n    x = 1\r\n\r\n# trailing comment\r\n",
    "def f():\n\tif True:\n\t\treturn 1\n\n\n# footer\n",
    "@decorator\n# between\n@other(\n    1)\ndef f(): pass\nclass C:\n    def m(self):  # c\n        ...\n",
    "x = (1 +\n     2)  # c\ny = '''a\nb'''\nz = 3; w = 4\n",
    "async def h(r):\n    while not r.ready():\n        time.sleep(1)\n    return r.get()\nimport time\n",
    "if a:\n    pass\nelif b:\n    pass\nelse:\n    pass\ntry:\n    x\nexcept E as e:\n    raise\nfinally:\n    y\n",
    "x = 1\\\n    + 2\nmatch x:\n    case 1:\n        pass\n",
    "def f():\n  return 1\nclass C:\n    y = 2\n",  # the first block's indent is the module's
    "\fx = 1\n\fdef g():\n    pass\n",
    "x = 1; \\\ny = 2\nz = 3\n",  # a statement on a line continued from the last one's
]


def _context(source: str) -> FixContext:
    checked = check_source(source)
    return FixContext(source, checked.facts, None)


def _whole(source: str):
    wrapper = MetadataWrapper(cst.parse_module(source), unsafe_skip_copy=True)
    return wrapper.module, wrapper.resolve(PositionProvider)


def _after_form_feed(source: str, rng) -> bool:
    lines = [line.rstrip("\r\n") for line in split_lines(source)]  # not str.splitlines: \f ends a line there
    return any(lines[line].startswith("\f") for line in (rng.start.line, rng.end.line) if line < len(lines))


def _bare(node):
    return node.with_changes(leading_lines=()) if hasattr(node, "leading_lines") else node


def _assert_nodes_agree(source: str) -> None:
    """Every statement and expression of the whole-module parse is found by the context at
    the same place, with the same source text."""
    module, positions = _whole(source)
    context = _context(source)
    for node, code_range in positions.items():
        if not isinstance(node, (cst.BaseExpression, cst.BaseSmallStatement, cst.BaseCompoundStatement)):
            continue
        from celery_patterns.ftypes import Position, Range

        rng = Range(
            Position(code_range.start.line - 1, code_range.start.column),
            Position(code_range.end.line - 1, code_range.end.column),
        )
        found = context.node_at(rng, type(node))
        if _after_form_feed(source, rng):
            assert found is None  # libcst's columns there leave the form feed out
            continue
        assert found is not None, (type(node).__name__, rng)
        assert context.range_of(found) == rng
        # The blank lines and comments above a top-level statement end the chunk before it.
        assert context.code_for(_bare(found)) == module.code_for_node(_bare(node))


@pytest.mark.parametrize("source", TRICKY)
def test_nodes_agree_with_the_whole_module(source):
    _assert_nodes_agree(source)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_nodes_agree_on_the_examples(path):
    _assert_nodes_agree(path.read_text())


def _replaced_everywhere(source: str):
    """For each Name of the whole module: the edit replacing it, applied, equals libcst's
    rendering of the whole module with that one replacement."""
    module, positions = _whole(source)
    context = _context(source)
    from celery_patterns.ftypes import Position, Range

    for node, code_range in positions.items():
        if not isinstance(node, cst.Name):
            continue
        rng = Range(
            Position(code_range.start.line - 1, code_range.start.column),
            Position(code_range.end.line - 1, code_range.end.column),
        )
        if _after_form_feed(source, rng):
            continue
        mine = context.node_at(rng, cst.Name)
        edit = context.replace(mine, cst.Name("renamed_" + node.value))
        expected = module.deep_replace(node, cst.Name("renamed_" + node.value)).code
        if "\f" in source:  # libcst drops a form feed that starts a line it renders anew; edits keep it
            assert apply_edits(source, [edit]).replace("\f", "") == expected.replace("\f", "")
            assert apply_edits(source, [edit]).count("\f") == source.count("\f")
        else:
            assert apply_edits(source, [edit]) == expected


@pytest.mark.parametrize("source", TRICKY + [p.read_text() for p in EXAMPLES])
def test_replacing_a_node_equals_libcst_on_the_whole_module(source):
    _replaced_everywhere(source)


def _assert_chunks_tile(source: str) -> None:
    """The chunks, each found from the statements around one line, tile the text: each line
    lies in its chunk, a chunk ends where the next begins, and each chunk starts with a line of
    its own (the first at 0) and holds whole top-level statements."""
    context = _context(source)
    index, body = context.index, context.facts.tree.body
    chunks = []
    for line in range(index.line_count):
        if index.line_starts[line] == len(source) and line:
            break  # (the empty line after the last line break)
        chunk = context.chunk(line)
        assert chunk.start <= index.line_starts[line] < chunk.end or not source
        if not chunks or chunks[-1] is not chunk:
            chunks.append(chunk)
    assert chunks[0].start == 0
    assert chunks[-1].end == len(source)
    for before, after in zip(chunks, chunks[1:]):
        assert before.end == after.start
        first = index.position(after.start).line
        starting = [
            s for s in body if (min([s.lineno, *(d.lineno for d in getattr(s, "decorator_list", ()))]) - 1) == first
        ]
        assert starting and all(s.end_lineno <= first or s.lineno - 1 >= first for s in body)


@pytest.mark.parametrize("source", TRICKY + [p.read_text() for p in EXAMPLES])
def test_chunks_tile_the_text(source):
    _assert_chunks_tile(source)


def test_a_new_block_takes_the_files_indentation():
    """A chunk without indented code of its own writes new blocks as the file does."""
    source = "def f():\n  return 1\n\n\nwhile x: pass\n"
    context = _context(source)
    loop = context.node_at(context.facts.tree.body[1], cst.While)
    block = cst.IndentedBlock(body=[cst.parse_statement("pass\n")])
    edit = context.replace(loop, loop.with_changes(body=block))
    assert apply_edits(source, [edit]).endswith("while x:\n  pass\n")


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
def test_generated_modules_agree_with_libcst(lines, newline, trailing):
    source = newline.join(line.replace("\n", newline) for line in lines) + (newline if trailing else "")
    try:
        cst.parse_module(source)
        compile(source, "<generated>", "exec")
    except (cst.ParserSyntaxError, SyntaxError):
        return  # tabs and spaces mixed by the generator
    _assert_nodes_agree(source)
    _replaced_everywhere(source)
    _assert_chunks_tile(source)


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
        "import os; \\\nx = 1",  # the head's last line continued into the next statement
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
@given(st.lists(_TOP_LINE, max_size=8), _WANTED, st.sampled_from(["\n", "\r\n"]))
def test_adding_imports_equals_libcst_on_the_whole_module(lines, wanted, newline):
    source = newline.join(line.replace("\n", newline) for line in lines) + newline
    context = CodemodContext()
    for name, obj, asname in wanted:
        AddImportsVisitor.add_needed_import(context, name, obj, asname)
    expected = cst.parse_module(source).visit(AddImportsVisitor(context)).code
    edits = add_imports(_context(source), wanted)
    assert apply_edits(source, edits) == expected


_FORM_FEED = re.compile(r"^[ \t\f]*\f", re.MULTILINE)  # a form feed starting a line, and what precedes it


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(["", "\f", " \f", "\f\f"]), _TOP_LINE), max_size=8),
    _WANTED,
    st.sampled_from(["\n", "\r\n"]),
)
@example([("\f", "from asyncio import run"), ("", "from asyncio import run")], [("asyncio", "run", "go")], "\n")
def test_adding_imports_keeps_the_form_feeds(lines, wanted, newline):
    """libcst drops a form feed that starts a statement's line when it renders the head: the
    edits add what it adds and keep every line of the source as it was, form feed included."""
    source = newline.join((feed + line).replace("\n", newline) for feed, line in lines) + newline
    try:
        compile(source, "<generated>", "exec")
    except SyntaxError:
        return
    plain = _FORM_FEED.sub("", source)
    context = CodemodContext()
    for name, obj, asname in wanted:
        AddImportsVisitor.add_needed_import(context, name, obj, asname)
    expected = cst.parse_module(plain).visit(AddImportsVisitor(context)).code
    fixed = apply_edits(source, add_imports(_context(source), wanted))
    assert _FORM_FEED.sub("", fixed) == expected
    assert _FORM_FEED.findall(fixed) == _FORM_FEED.findall(source)
    # Each line the imports leave as it was is there, in order, form feed included. (A line
    # written twice is left out: which of its copies an import joined cannot be told apart.)
    expected_lines, plain_lines = split_lines(expected), split_lines(plain)
    unchanged = {line for line in expected_lines if expected_lines.count(line) == 1 == plain_lines.count(line)}
    kept = iter(split_lines(fixed))
    assert all(line in kept for line in split_lines(source) if "\f" in line and _FORM_FEED.sub("", line) in unchanged)


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize(
    "before,after",
    [
        ("import os\n\fx = 1\n", "import os\n\nLIMIT = 5  # why\n\fx = 1\n"),
        ('"""doc"""\n\f\fimport os\n \fx = 1\n', '"""doc"""\n\f\fimport os\n\nLIMIT = 5  # why\n \fx = 1\n'),
        ("\fx = 1\n", "LIMIT = 5  # why\n\fx = 1\n"),
    ],
)
def test_adding_a_module_constant_keeps_the_form_feeds(before, after, newline):
    before, after = before.replace("\n", newline), after.replace("\n", newline)
    assert apply_edits(before, add_module_constant(_context(before), "LIMIT = 5  # why")) == after


@pytest.mark.parametrize(
    "before,bound,after",
    [
        ("import os\nfrom time import sleep\n\nx = 1\n", "sleep", "import os\n\nx = 1\n"),
        ("from time import monotonic, sleep\n", "sleep", "from time import monotonic\n"),
        ("from time import sleep, monotonic\n", "sleep", "from time import monotonic\n"),
        ("from time import sleep as nap  # why\nx = 1\n", "nap", "# why\nx = 1\n"),
        (
            "from time import (\n    monotonic,\n    sleep,  # why\n)\n",
            "sleep",
            "from time import (\n    monotonic,\n    # why\n)\n",
        ),
        ("import time; x = 1\n", "time", "x = 1\n"),
        ("def f():\n    import time\n    return 1\n", "time", "def f():\n    return 1\n"),
        ("import os.path\n", "os", ""),
    ],
)
def test_removing_an_imported_name_keeps_comments(before, bound, after):
    context = _context(before)
    import ast

    statement = next(
        node
        for node in ast.walk(context.facts.tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        and any((a.asname or a.name.split(".")[0]) == bound for a in node.names)
    )
    edit = remove_name(context, statement, bound)
    assert apply_edits(before, [edit]) == after


def test_removing_the_only_statement_of_a_block_is_refused():
    source = "def f():\n    import time\n"
    context = _context(source)
    statement = context.facts.tree.body[0].body[0]
    assert remove_name(context, statement, "time") is None
