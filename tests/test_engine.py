"""The engine's own guarantees: positions, decoding, suppression, edits, robustness."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from celery_patterns.analysis.comments import noqa_codes
from celery_patterns.config import Settings
from celery_patterns.discovery import module_name_for
from celery_patterns.engine import FixCancelled, check_bytes, check_source, fix_source
from celery_patterns.ftypes import Position
from celery_patterns.source import (
    LineIndex,
    apply_edits,
    common_prefix,
    common_suffix,
    decode_source,
    edit_between,
    split_lines,
)

BLOCKING = "import time\n\nasync def poll():\n    time.sleep(1)\n"


# --- line index ----------------------------------------------------------------------------
@given(st.text(alphabet="ab\r\n\u00e9", max_size=40))
def test_lines_start_where_python_starts_them(text):
    # \n, \r\n and a lone \r end a line (as for the tokenizer), with or without a \r in the text
    for written in (text, text.replace("\r", "")):
        ends = [i + 1 for i, c in enumerate(written) if c == "\n" or (c == "\r" and written[i + 1 : i + 2] != "\n")]
        assert LineIndex(written).line_starts == [0, *ends]


@given(st.text(alphabet="ab\r\n\x0c\u2028", max_size=40))
def test_lines_split_where_python_splits_them(text):
    for written in (text, text.replace("\r", "")):
        lines = split_lines(written)
        assert "".join(lines) == written
        assert all(line.count("\n") + line.count("\r") - line.count("\r\n") <= 1 for line in lines)
        assert [len(line) for line in lines[:-1]] == [
            b - a for a, b in zip(LineIndex(written).line_starts, LineIndex(written).line_starts[1:])
        ][: len(lines) - 1]


@given(st.text(alphabet="noqaNOQA é\u0130\u212a\ud800", max_size=30), st.sampled_from(["noqa", "qa", "nok"]))
@example("x = 1  # NoQA: CEL002", "noqa")
@example("x = 1  # no\u212a", "nok")  # (the Kelvin sign folds into an ASCII k)
@example("\u0130 noqa", "noqa")
@example("\ud800 NOQA", "noqa")
def test_a_word_is_found_in_any_case_as_str_lower_finds_it(text, word):
    # (ASCII texts are lower-cased as bytes; the others, with U+0130 and the Kelvin sign that
    # fold into ASCII letters and a lone surrogate, as str.lower does)
    assert LineIndex(text).mentions(word) == (word in text.lower())
    assert LineIndex(text.upper()).mentions(word) == (word in text.upper().lower())


def test_line_index_handles_every_line_ending():
    index = LineIndex("a\r\nb\rc\nd")
    assert [index.line_text(i) for i in range(4)] == ["a", "b", "c", "d"]
    assert index.position(index.offset(Position(2, 1))) == Position(2, 1)


def test_utf16_and_utf8_columns_after_emoji():
    index = LineIndex("x = '🦙é'; y\n")
    pos = Position(0, 10)  # the `y`
    assert index.line_text(0)[10] == "y"
    assert index.to_client_column(pos, "utf-16") == 11  # the llama is two UTF-16 units
    assert index.to_client_column(pos, "utf-8") == 14  # four bytes + two bytes
    assert index.to_client_column(pos, "utf-32") == 10
    for encoding in ("utf-8", "utf-16", "utf-32"):
        assert index.from_client_column(0, index.to_client_column(pos, encoding), encoding) == pos


def test_ast_byte_columns_become_code_points():
    source = "import time\nasync def f():\n    s = 'ñ🦙'; time.sleep(1)\n"
    (finding,) = check_source(source).report.findings
    assert finding.range.start == Position(2, 14)
    assert source.splitlines()[2][14:27] == "time.sleep(1)"


@given(st.text(alphabet=st.sampled_from(list("ab \t\n\r🦙é#")), max_size=60))
def test_client_columns_round_trip(text):
    index = LineIndex(text)
    for line in range(index.line_count):
        for column in range(len(index.line_text(line)) + 1):
            pos = Position(line, column)
            for encoding in ("utf-8", "utf-16"):
                assert index.from_client_column(line, index.to_client_column(pos, encoding), encoding) == pos


# --- edits ----------------------------------------------------------------------------------
def _apply(old, new):
    edit = edit_between(old, new)
    return old if edit is None else apply_edits(old, [edit])


@settings(max_examples=200)
@given(
    st.text(alphabet=st.sampled_from(list("ab\n\r x🦙")), max_size=40),
    st.text(alphabet=st.sampled_from(list("ab\n\r x🦙")), max_size=40),
)
def test_edit_between_reproduces_the_new_text(old, new):
    assert _apply(old, new) == new


_EDIT_TEXT = st.text(alphabet=st.sampled_from(list("ab\n\r x🦙")), max_size=30)


@settings(max_examples=300)
@given(_EDIT_TEXT, _EDIT_TEXT, _EDIT_TEXT, _EDIT_TEXT)
def test_edit_between_covers_only_the_changed_middle(head, old_middle, new_middle, tail):
    """A fixed text is mostly unchanged at both ends: the edit replaces no more of the old
    text than the middle that changed (one character more at either end where it would
    otherwise split a \r\n), wherever the shared ends let it sit."""
    old, new = head + old_middle + tail, head + new_middle + tail
    assert _apply(old, new) == new
    edit = edit_between(old, new)
    if edit is not None:
        index = LineIndex(old)
        start, end = index.offset(edit.range.start), index.offset(edit.range.end)
        assert end - start <= len(old_middle) + 2


@given(_EDIT_TEXT, _EDIT_TEXT)
def test_common_prefix_and_suffix(x, y):
    prefix = next((i for i, (p, q) in enumerate(zip(x, y)) if p != q), min(len(x), len(y)))
    assert common_prefix(x, y) == prefix
    assert common_prefix(list(x), list(y)) == prefix
    limit = min(len(x), len(y)) - prefix
    suffix = next((i for i, (p, q) in enumerate(zip(reversed(x), reversed(y))) if p != q), min(len(x), len(y)))
    assert common_suffix(x, y, limit) == max(min(suffix, limit), 0)


def test_edit_between_is_minimal():
    edit = edit_between("a = 1\nb = 2\nc = 3\n", "a = 1\nb = 20\nc = 3\n")
    assert edit.new_text == "0" and edit.range.start == Position(1, 5)


def test_edit_between_never_splits_a_crlf():
    edit = edit_between("a\r\nb\r\n", "a\r\nx\r\nb\r\n")
    assert edit.range.start.column <= len("a") or edit.range.start.line >= 1
    assert apply_edits("a\r\nb\r\n", [edit]) == "a\r\nx\r\nb\r\n"


# --- decoding and bad input -----------------------------------------------------------------
def test_decode_bom_and_cookie():
    assert decode_source(b"\xef\xbb\xbfx = 1\n") == "x = 1\n"
    assert decode_source("# -*- coding: latin-1 -*-\nx = 'é'\n".encode("latin-1")).endswith("'é'\n")


@pytest.mark.parametrize(
    "data,needle",
    [
        (b"def f(:\n", "syntax error"),
        (b"x = '\xff'\n", "cannot decode"),
        (b"x = 1\x00\n", "null bytes"),
        (b"\tif x:\n  pass\n", "syntax error"),
        (b"(" * 300 + b")" * 300 + b"\n", ""),
    ],
)
def test_bad_input_is_one_cel000_finding(data, needle):
    report = check_bytes(data, "bad.py").report
    assert [f.code for f in report.findings] == ["CEL000"]
    assert needle in report.findings[0].message


def test_deeply_nested_but_valid_code_does_not_crash():
    source = "x = " + " + ".join(["1"] * 5000) + "\n"
    assert check_source(source).report.findings == []


def test_cel000_can_be_ignored():
    assert check_source("def f(:\n", settings=Settings(ignore=("CEL000",))).report.findings == []


# --- suppression ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "line,expected",
    [
        ("x  # noqa", set()),
        ("x  # noqa: CEL002", {"CEL002"}),
        ("x  # NOQA:CEL002,CEL003", {"CEL002", "CEL003"}),
        ("x  # noqa: CEL002, cel003 because reasons", {"CEL002", "CEL003"}),
        ("x  # no qa", None),
        ("x", None),
    ],
)
def test_noqa_parsing(line, expected):
    assert noqa_codes(line) == expected


def cel002_lines(source: str) -> list[int]:
    return [f.range.start.line + 1 for f in check_source(source).report.findings if f.code == "CEL002"]


@pytest.mark.parametrize(
    "source,expected",
    [
        # a real comment suppresses
        ("import time\nasync def poll():\n    time.sleep(1)  # noqa: CEL002\n", []),
        ("import time\nasync def poll():\n    time.sleep(1)  # NoQA\n", []),
        ("import time\nasync def poll():\n    time.sleep(1)  # noqa: CEL003\n", [3]),
        # a noqa mark inside a string literal is text, not a comment
        ('import time\nasync def poll(): msg = "# noqa"; time.sleep(1)\n', [2]),
        ("import time\nasync def poll(): time.sleep(f'{1} # noqa: CEL002')\n", [2]),
        ('import time\nasync def poll(): time.sleep(1); log("# noqa")  # a note\n', [2]),
        # ... also on a line inside a triple-quoted string that spans lines
        ('import time\nasync def poll():\n    msg = """\n    """; time.sleep(1); x = """  # noqa\n    """\n', [4]),
        ('import time\nasync def poll():\n    time.sleep(1); msg = f"""{1} # noqa\n    """\n', [3]),
        # a comment after the end of a string that spans lines counts
        ('import time\nasync def poll():\n    msg = """a\n    b"""; time.sleep(1)  # noqa\n', []),
        (
            'import time\nasync def poll():\n    msg = ("a"  # not the line\n           "b"); time.sleep(1)  # noqa\n',
            [],
        ),
        # a line inside brackets, or one ending in a backslash continuation
        ("import time\nasync def poll():\n    time.sleep(  # noqa: CEL002\n        1)\n", []),
        ("import time\nasync def poll():\n    time.sleep(1) or \\\n        0  # noqa\n", [3]),
    ],
)
def test_only_a_real_comment_suppresses(source, expected):
    assert cel002_lines(source) == expected


def test_noqa_looks_at_lines_only_in_files_that_mention_it(monkeypatch):
    import celery_patterns.analysis.comments as suppress

    def refuse(*args, **kwargs):
        raise AssertionError("a comment was read")

    monkeypatch.setattr(suppress.LineComments, "end", refuse)
    assert cel002_lines(BLOCKING) == [4]


@pytest.mark.parametrize(
    "line,code,expected",
    [
        ("    time.sleep(1)", "CEL002", "    time.sleep(1)  # noqa: CEL002"),
        ("    time.sleep(1)  # noqa: CEL003", "CEL002", "    time.sleep(1)  # noqa: CEL003, CEL002"),
        ("    time.sleep(1)  # slow on purpose", "CEL002", "    time.sleep(1)  # slow on purpose  # noqa: CEL002"),
        # string text that looks like a noqa is neither extended nor taken as suppression
        (
            '    log("# noqa: CEL001"); time.sleep(1)',
            "CEL002",
            '    log("# noqa: CEL001"); time.sleep(1)  # noqa: CEL002',
        ),
        (
            '    log("# noqa"); time.sleep(1)  # noqa: CEL001',
            "CEL002",
            '    log("# noqa"); time.sleep(1)  # noqa: CEL001, CEL002',
        ),
        # already suppressed
        ("    time.sleep(1)  # noqa", "CEL002", None),
        ("    time.sleep(1)  # noqa: CEL002", "CEL002", None),
        # no comment can follow a continuation, nor the opening of a string spanning lines
        ("    time.sleep(1) or \\", "CEL002", None),
        ('    time.sleep(1); x = """', "CEL002", None),
    ],
)
def test_noqa_edit(line, code, expected):
    from celery_patterns.engine.suppression import noqa_edit

    closing = '\n    """\n' if line.endswith('"""') else ("\n        0\n" if line.endswith("\\") else "\n")
    source = "import time\nasync def poll():\n" + line + closing
    edit = noqa_edit(source, 2, code)
    if expected is None:
        assert edit is None
        return
    new = apply_edits(source, [edit])
    assert new.splitlines()[2] == expected
    assert cel002_lines(new) == []  # the engine honours the comment the edit wrote


def test_noqa_edit_inside_a_string_spanning_lines():
    from celery_patterns.engine.suppression import noqa_edit

    source = 'import time\nasync def poll():\n    time.sleep(1); x = """\n    # noqa\n    """; y = 1\n'
    assert noqa_edit(source, 3, "CEL002") is None  # that line is string text
    edit = noqa_edit(source, 4, "CEL002")  # after the string closes, a comment can go
    assert apply_edits(source, [edit]).splitlines()[4] == '    """; y = 1  # noqa: CEL002'


# --- selection ------------------------------------------------------------------------------
def test_select_ignore_prefixes():
    settings = Settings(select=("CEL00",), ignore=("CEL002",))
    codes = settings.enabled_codes(["CEL001", "CEL002", "CEL010"])
    assert codes == {"CEL001"}


def test_module_name_for(tmp_path):
    (tmp_path / "rag" / "sub").mkdir(parents=True)
    (tmp_path / "rag" / "__init__.py").write_text("")
    (tmp_path / "rag" / "sub" / "__init__.py").write_text("")
    (tmp_path / "rag" / "sub" / "tasks.py").write_text("")
    (tmp_path / "src" / "rag").mkdir(parents=True)
    (tmp_path / "src" / "rag" / "loose.py").write_text("")
    assert module_name_for(str(tmp_path / "rag" / "sub" / "tasks.py")) == "rag.sub.tasks"
    assert module_name_for(str(tmp_path / "src" / "rag" / "loose.py"), str(tmp_path)) == "rag.loose"
    # A directory named so that it cannot be a package is above the source root.
    (tmp_path / "my-repo@v2" / "src" / "rag" / "tests").mkdir(parents=True)
    (tmp_path / "my-repo@v2" / "src" / "rag" / "tests" / "test_x.py").write_text("")
    assert (
        module_name_for(str(tmp_path / "my-repo@v2" / "src" / "rag" / "tests" / "test_x.py"), str(tmp_path))
        == "rag.tests.test_x"
    )


# --- speed guard: checks never load libcst -----------------------------------------------------
def test_a_plain_check_does_not_load_libcst():
    code = (
        "import sys\n"
        "from celery_patterns.engine import check_source\n"
        "check_source(open(sys.argv[1]).read())\n"
        "loaded = type(sys.modules.get('libcst')).__name__ == 'module'\n"
        "print('libcst loaded' if loaded or 'celery_patterns.fixing' in sys.modules else 'ok')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, __file__], capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == "ok", proc.stdout + proc.stderr


def test_fix_source_stops_when_cancelled():
    source = "import time\n\n" + "".join(f"async def f{i}():\n    time.sleep({i})\n\n" for i in range(6))
    asked = []

    def cancelled():
        asked.append(1)
        return len(asked) > 2

    with pytest.raises(FixCancelled):
        fix_source(source, cancelled=cancelled)
    assert len(asked) == 3  # asked before each fix, stopped at the first "yes"
    assert fix_source(source, cancelled=lambda: False).source == fix_source(source).source


def test_global_statement_at_module_level_does_not_hang():
    """`global waited` at module level once sent the name lookup, and the whole check, into
    an endless loop (CEL003 looks for a free name for its wait counter)."""
    source = 'import time\nglobal waited\nwhile r.status == "PENDING":\n    time.sleep(1)\n'
    assert [f.code for f in check_source(source).report.findings] == ["CEL003"]
