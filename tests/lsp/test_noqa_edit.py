"""The "Disable CELnnn for this line" edit read from the line alone is the edit that reading
the whole text gives (in process)."""

from __future__ import annotations

import textwrap

import pytest

from celery_patterns.config import Settings
from celery_patterns.engine import check_source
from celery_patterns.ftypes import Finding, Position, Range, Severity
from celery_patterns.lsp import actions
from celery_patterns.lsp.checking import DocumentCheck
from celery_patterns.source import LineIndex

TEXTS = [
    # a blocking call, with and without a comment, an existing noqa, a string with a `#`
    """
    import time


    async def a(result):
        time.sleep(1)
        time.sleep(2)  # wait a bit
        time.sleep(3)  # noqa: CEL001
        time.sleep(4)  # noqa
        print("# not a comment"); time.sleep(5)
        x = f"{time.sleep(6)}"  # in an f-string
        return result.get()
    """,
    # the line ends inside a triple-quoted string, or continues with a backslash
    '''
    import time


    async def b(result):
        time.sleep(1); doc = """
        text"""
        value = result.get() + \\
            1
        return value
    ''',
    # the line starts inside a string begun above
    '''
    import time


    async def c(result):
        doc = """a
        b""" + str(time.sleep(1))  # trailing
        return doc
    ''',
]


def _results():
    for text in TEXTS:
        text = textwrap.dedent(text).lstrip("\n")
        checked = check_source(text, "m.py", Settings())
        findings = tuple(checked.report.findings)
        assert findings
        yield DocumentCheck(text, LineIndex(text), findings, True, Settings(), "m")


@pytest.mark.parametrize("result", list(_results()))
def test_the_line_alone_gives_the_edit_the_whole_text_gives(result):
    for finding in result.findings:
        edit = actions.noqa_edit(finding, result)
        if edit is not False:
            assert edit == actions.noqa_edit_parsed(finding, result), finding


def test_most_lines_need_nothing_but_themselves():
    first, _, last = _results()
    assert all(actions.noqa_edit(f, first) is not False for f in first.findings)
    assert all(actions.noqa_edit(f, last) is not False for f in last.findings)


def test_a_line_ending_in_a_string_is_read_with_the_whole_text():
    text = 'import time\n\n\nasync def f():\n    time.sleep(1); s = """\n    x"""\n'
    result = DocumentCheck(text, LineIndex(text), (), True, Settings(), "m")
    finding = Finding("CEL002", "m", Severity.HIGH, Range(Position(4, 4), Position(4, 17)))
    assert actions.noqa_edit(finding, result) is False
    assert actions.noqa_edit_parsed(finding, result) is None  # no comment can go there
