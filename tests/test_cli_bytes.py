"""Bytes outside the fixed statements do not change when the command line writes a fix: a BOM,
a second BOM (which Python rejects), the last line break of a file whose lines end with `\\r`,
the form feeds and blank lines of whitespace around an import block a fix adds to."""

from __future__ import annotations

import re

import pytest

from test_cli import BLOCKING, run, write
from test_rule_cel016 import HELPERS

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


# A fix that adds an import (or a module constant) re-renders the head of the module with
# libcst, which drops a form feed starting a statement's line: `{ff}` marks such a line next
# to the import block. Each case: the rule, the file, the other files, the file fixed.
ADDING = {
    "CEL002": (
        "import time\n{ff}TIMEOUT = 5\n\n\nasync def poll():\n    time.sleep(TIMEOUT)\n",
        {},
        "import time\nimport asyncio\n\n{ff}TIMEOUT = 5\n\n\nasync def poll():\n    await asyncio.sleep(TIMEOUT)\n",
    ),
    "CEL002-removed-import": (
        "from time import sleep\n{ff}TIMEOUT = 5\n\n\nasync def poll():\n    sleep(TIMEOUT)\n",
        {},
        "import asyncio\n\n{ff}TIMEOUT = 5\n\n\nasync def poll():\n    await asyncio.sleep(TIMEOUT)\n",
    ),
    "CEL002-whitespace-lines": (
        "import os\n \t\n{ff}import time\n\t\n{ff}TIMEOUT = 5\nasync def poll():\n    time.sleep(TIMEOUT)\n",
        {},
        "import os\n \t\n{ff}import time\nimport asyncio\n\t\n{ff}TIMEOUT = 5\n"
        "async def poll():\n    await asyncio.sleep(TIMEOUT)\n",
    ),
    "CEL001": (
        "from rag.tasks import ingest_file\n{ff}LIMIT = 5\n\n\ndef ingest(path):\n    return ingest_file.delay(path).id\n",
        {},
        "from celery import signature\nfrom core.celery import app\n\n{ff}LIMIT = 5\n\n\n"
        'def ingest(path):\n    return signature("rag.ingest_file", args=[path], app=app).apply_async().id\n',
    ),
    "CEL003": (
        "from celery.result import AsyncResult\n{ff}LIMIT = 5\n\n\ndef first(task_id):\n"
        "    return AsyncResult(task_id).get()\n",
        {},
        "from celery.result import AsyncResult\n\nDEFAULT_TASK_TIMEOUT = 300.0  # seconds to wait for a Celery result\n"
        "{ff}LIMIT = 5\n\n\ndef first(task_id):\n    return AsyncResult(task_id).get(timeout=DEFAULT_TASK_TIMEOUT)\n",
    ),
    "CEL005": (
        "from celery import group\nfrom core.celery import app\n{ff}LIMIT = 5\n\n\ndef dispatch(signatures):\n"
        "    group_result = group(signatures).apply_async()\n    return group_result.id\n",
        {},
        "from celery import group\nfrom core.celery import app\nimport uuid\n\n{ff}LIMIT = 5\n\n\ndef dispatch(signatures):\n"
        "    group_result = group(signatures).apply_async()\n    group_task_id = str(uuid.uuid4())\n"
        "    app.backend.store_result(\n        group_task_id,\n"
        '        {{"type": "group", "children": [child.id for child in group_result.results]}},\n'
        '        "PENDING",\n    )\n    return group_result.id\n',
    ),
    "CEL007": (
        'import os\n{ff}LIMIT = 5\n\n\ndef backend(path):\n    url = "file://" + path\n    return url\n',
        {},
        'import os\nimport sys\n\n{ff}LIMIT = 5\n\n\ndef backend(path):\n    url_path = path.replace("\\\\", "/")\n'
        '    if sys.platform == "win32" and url_path[1:2] == ":":\n        url = "file:///" + url_path\n'
        '    else:\n        url = "file://" + url_path\n    return url\n',
    ),
    "CEL008": (  # the import joins an existing one: a line that changes, after a form feed
        '{ff}from celery import Celery\n{ff}BROKER = "memory://"\n\napp = Celery("server", broker=BROKER)\n\n\n'
        "@app.task\ndef add(x, y):\n    return x + y\n",
        {},
        '{ff}from celery import signals, Celery\n{ff}BROKER = "memory://"\n\napp = Celery("server", broker=BROKER)\n\n\n'
        "@signals.setup_logging.connect\ndef setup_celery_logging(**kwargs):\n"
        "    pass  # Prevent Celery from overriding the root logger\n\n\n@app.task\ndef add(x, y):\n    return x + y\n",
    ),
    "CEL016": (
        '"""The API."""\nfrom app.helpers import fetch\n{ff}LIMIT = 5\n\n\nasync def status(task_id):\n'
        "    return fetch(task_id)\n",
        {"server/app/helpers.py": HELPERS, "server/app/__init__.py": "", "server/requirements.txt": "fastapi\n"},
        '"""The API."""\nfrom app.helpers import fetch\nimport asyncio\n\n{ff}LIMIT = 5\n\n\nasync def status(task_id):\n'
        "    return await asyncio.to_thread(fetch, task_id)\n",
    ),
}


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
@pytest.mark.parametrize("case", ADDING)
def test_a_fix_adding_an_import_keeps_the_form_feeds_next_to_it(here, capsys, case, newline):
    before, others, after = ADDING[case]
    write(here, {"pyproject.toml": "[tool.celery-patterns]\n", **others})
    path = here / "server" / "app" / "api.py"
    for ff in ("", "\f"):  # without a form feed first: the case itself is right
        write(here, {"server/app/api.py": before.format(ff=ff).replace("\n", newline).encode()})
        code, out, err = run(capsys, "check", "--fix", "--unsafe-fixes", "--no-cache", "--select", case[:6], str(path))
        assert re.fullmatch(r"Fixed [1-9]\d* findings?, 0 remaining\.", out.splitlines()[-1]), out + err
        assert path.read_bytes().decode() == after.format(ff=ff).replace("\n", newline)


@pytest.mark.parametrize("ff", ["\f\f", " \f", "\t\f"], ids=["two", "space", "tab"])
def test_the_whitespace_ending_in_a_form_feed_stays_too(here, capsys, ff):
    before, _, after = ADDING["CEL002"]
    write(here, {"m.py": before.format(ff=ff)})
    assert run(capsys, "check", "--fix", "--unsafe-fixes", "--no-cache", "m.py")[0] == 0
    assert (here / "m.py").read_bytes().decode() == after.format(ff=ff)


# A form feed inside the statement a fix changes (a function whose body is rewritten): the
# change is placed on the source's own text, so the form feed libcst leaves out stays.
INSIDE = {
    "before-the-def": "import asyncio\nimport time\n\n\fasync def f():\n    time.sleep(1)\n",
    "a-body-line-after": "import asyncio\nimport time\n\nasync def f():\n    time.sleep(1)\n\f    x = 1\n",
    "a-body-line-before": "import asyncio\nimport time\n\nasync def f():\n\f    x = 1\n    time.sleep(1)\n",
}


@pytest.mark.parametrize("case", INSIDE)
def test_a_form_feed_inside_the_fixed_statement_stays_or_the_fix_is_refused(here, capsys, case):
    write(here, {"m.py": INSIDE[case]})
    run(capsys, "check", "--fix", "--no-cache", "m.py")
    after = (here / "m.py").read_text()
    assert after.count("\f") == 1  # never lost
    assert after in (INSIDE[case], INSIDE[case].replace("time.sleep(1)", "await asyncio.sleep(1)"))
    if case != "a-body-line-before":  # (libcst gives that line no position: no fix is offered there)
        assert "await asyncio.sleep(1)" in after
