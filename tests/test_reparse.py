"""The incremental parser builds exactly the tree `ast.parse` builds, or raises as it does.

Property tests type random edits (single characters that open or close brackets,
strings and continuations; indentation; `else:`/decorators; whole lines inserted or
removed) into modules made of top-level statements of every shape, and compare each
version's tree with a full parse, positions included.
"""

from __future__ import annotations

import ast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from celery_patterns.engine.reparse import IncrementalParser

STATEMENTS = [
    "import os\n",
    "x = 1; y = 2\n",
    "z = (1,\n     2)\n",
    "w = 1 + \\\n    2\n",
    "a = 1; \\\nb = 2\n",
    '"""Docstring\nover lines."""\n',
    "s = '''text\n\nx = 3\n'''\n",
    "def f(a, b=1):\n    # comment\n    return a + b\n",
    "@decorator\n@other(1)\ndef g():\n    pass\n",
    "class C:\n    def m(self):\n        return 1\n\n    attr = 2\n",
    "if x:\n    pass\nelif y:\n    pass\nelse:\n    pass\n",
    "try:\n    a = 1\nexcept ValueError:\n    a = 2\nfinally:\n    b = 3\n",
    "for i in range(3):\n    print(i)\nelse:\n    done = True\n",
    "async def h():\n    async with lock:\n        await thing()\n",
    "match command:\n    case [1, *rest]:\n        pass\n    case _:\n        pass\n",
    "# a comment\n",
    "\n",
    "f'{x!r:>{width}}'\n",
    "emoji = '🎉'; after = 1\n",
    "with open(p) as fh, open(q) as gh:\n    data = fh.read()\n",
]
FRAGMENTS = [
    "(",
    ")",
    "[",
    "]",
    "'",
    '"',
    '"""',
    "\\",
    "\n",
    "    ",
    "\t",
    ":",
    "@",
    "#",
    "else:\n",
    "pass\n",
    "x",
    "=",
    " ",
    "def k():\n",
    "    return 1\n",
    "\\\n",
    "🎉",
    "\r\n",
    "\r",
]


def full_parse(source: str):
    try:
        return ast.dump(ast.parse(source), include_attributes=True)
    except SyntaxError:
        return SyntaxError
    except ValueError:  # null bytes
        return ValueError


def incremental_parse(parser: IncrementalParser, source: str):
    try:
        return ast.dump(parser.parse(source), include_attributes=True)
    except SyntaxError:
        return SyntaxError
    except ValueError:
        return ValueError


@st.composite
def edit(draw, text: str) -> str:
    kind = draw(st.sampled_from(["insert", "delete", "replace", "line"]))
    start = draw(st.integers(0, len(text)))
    if kind == "insert":
        return text[:start] + draw(st.sampled_from(FRAGMENTS)) + text[start:]
    end = draw(st.integers(start, min(len(text), start + 12)))
    if kind == "delete":
        return text[:start] + text[end:]
    if kind == "replace":
        return text[:start] + draw(st.sampled_from(FRAGMENTS)) + text[end:]
    lines = text.splitlines(keepends=True)
    at = draw(st.integers(0, len(lines)))
    if draw(st.booleans()) and at < len(lines):
        del lines[at]
    else:
        lines.insert(at, draw(st.sampled_from(STATEMENTS)))
    return "".join(lines)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(STATEMENTS), min_size=1, max_size=12), st.data())
def test_every_version_parses_as_a_full_parse_would(statements, data):
    text = "".join(statements)
    parser = IncrementalParser()
    assert incremental_parse(parser, text) == full_parse(text)
    for _ in range(8):
        text = data.draw(edit(text))
        assert incremental_parse(parser, text) == full_parse(text), text


def test_an_edit_inside_one_function_reuses_the_others():
    functions = [f"def f{i}(x):\n    return x + {i}\n\n" for i in range(50)]
    parser = IncrementalParser()
    parser.parse("".join(functions))
    functions[20] = "def f20(x):\n    y = x * 2\n    return y\n\n"  # one line more
    tree = parser.parse("".join(functions))
    assert parser.reused_statements >= 47
    assert ast.dump(tree, include_attributes=True) == ast.dump(ast.parse("".join(functions)), include_attributes=True)


@pytest.mark.parametrize(
    "before, after",
    [
        # the edit glues the next statement onto the changed one: a full parse is needed
        ("a = 1\nb = 2\n", "a = (1\nb = 2\n"),
        ("a = 1\nb = 2\n", "a = 1 \\\nb = 2\n"),
        ("a = 1\nb = 2\n", "@decorator\nb = 2\n"),
        ("def f():\n    pass\nx = 1\n", "def f():\n    pass\n    x = 1\n"),
        ("x = 1\ny = 2\n", 'x = """\ny = 2\n"""\n'),
        ("if a:\n    pass\nx = 1\n", "if a:\n    pass\nelse:\n    x = 1\n"),
    ],
)
def test_edits_that_join_statements(before, after):
    parser = IncrementalParser()
    parser.parse(before)
    assert incremental_parse(parser, after) == full_parse(after)


def test_a_syntax_error_keeps_the_last_good_tree_for_the_next_version():
    parser = IncrementalParser()
    good = "def f():\n    return 1\n\n\ndef g():\n    return 2\n"
    parser.parse(good)
    with pytest.raises(SyntaxError):
        parser.parse(good.replace("return 2", "return (2"))
    fixed = good.replace("return 2", "return 3")
    assert ast.dump(parser.parse(fixed), include_attributes=True) == ast.dump(ast.parse(fixed), include_attributes=True)
    assert parser.reused_statements >= 1
