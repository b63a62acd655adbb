"""Bytes outside the fixed statements do not change when the command line writes a fix: a BOM,
a second BOM (which Python rejects), the last line break of a file whose lines end with `\\r`."""

from __future__ import annotations

import pytest

from test_cli import BLOCKING, run, write

FIXED = BLOCKING.replace("import time\n", "import time\nimport asyncio\n").replace(
    "time.sleep(1)", "await asyncio.sleep(1)"
)


@pytest.fixture
def here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()
    return tmp_path


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"], ids=["no-bom", "bom"])
@pytest.mark.parametrize("last_break", [True, False], ids=["last-break", "no-last-break"])
def test_fix_changes_only_the_fixed_statements(here, capsys, newline, bom, last_break):
    before, after = BLOCKING, FIXED
    if not last_break:
        before, after = before.rstrip("\n"), after.rstrip("\n")
    write(here, {"m.py": bom + before.replace("\n", newline).encode()})
    code, out, err = run(capsys, "check", "--fix", "--no-cache", "m.py")
    assert (code, out.splitlines()[-1]) == (0, "Fixed 1 finding, 0 remaining."), err
    assert (here / "m.py").read_bytes() == bom + after.replace("\n", newline).encode()


def test_a_second_bom_is_a_syntax_error_and_stays(here, capsys):
    data = b"\xef\xbb\xbf\xef\xbb\xbf" + BLOCKING.encode()
    write(here, {"m.py": data})
    code, out, _ = run(capsys, "check", "--fix", "--no-cache", "m.py")
    assert code == 1 and "CEL000" in out and "U+FEFF" in out
    assert (here / "m.py").read_bytes() == data


def test_a_latin1_file_keeps_its_encoding(here, capsys):
    data = b"# -*- coding: latin-1 -*-\n# caf\xe9\n" + BLOCKING.encode()
    write(here, {"m.py": data})
    assert run(capsys, "check", "--fix", "--no-cache", "m.py")[0] == 0
    assert (here / "m.py").read_bytes() == b"# -*- coding: latin-1 -*-\n# caf\xe9\n" + FIXED.encode()
