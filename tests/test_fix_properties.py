"""Property tests: generated modules mixing every rule's patterns, fixed with all fixes.

For every generated program: the fixed code parses, no fix adds a finding, fixable
findings are gone, a second run changes nothing, and the fixed text keeps the original
line endings and indentation style.
"""

from __future__ import annotations

import ast
import textwrap
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from celery_patterns.engine import check_source, fix_source

HEADERS = {
    "time": ["import time\n", "import time as t\n", "from time import sleep as nap\n"],
    "celery": [
        "from celery import Celery, group, signature\n",
        "from celery import Celery as C, group as g, signature\n",
        "import celery\nfrom celery import signature\n",
    ],
}


# Each snippet is a function taking the chosen import aliases; {n} makes names unique.
def _sleep(a):
    return {"import time\n": "time.sleep", "import time as t\n": "t.sleep"}.get(a["time"], "nap")


def _celery(a, name):
    header = a["celery"]
    if "as C" in header:
        return {"Celery": "C", "group": "g"}[name]
    if header.startswith("import celery"):
        return f"celery.{name}"
    return name


SNIPPETS = [
    lambda a, n: (
        f"""
        async def poll_{n}(result):
            while result.status == "PENDING":  # wait
                {_sleep(a)}(1)
            return result.result
        """
    ),
    lambda a, n: (
        f"""
        def wait_{n}(sig):
            result = sig.apply_async()
            return result.get()
        """
    ),
    lambda a, n: (
        f"""
        def outcome_{n}(result):
            if result.status == "SUCCESS":
                return result.result
            return None
        """
    ),
    lambda a, n: (
        f"""
        def failed_{n}(result):
            if result.status == "FAILURE":
                raise RuntimeError("task failed")
            return result.result
        """
    ),
    lambda a, n: (
        f"""
        def batch_{n}(signatures):
            {_celery(a, "group")}(signatures).apply_async()
        """
    ),
    lambda a, n: (
        f"""
        def backend_{n}(path):
            url = "file://" + path
            return url
        """
    ),
    lambda a, n: (
        f"""
        def stats_{n}(task):
            return _run_sync_task_with_polling(task, timeout=30, poll_interval=1)
        """
    ),
    lambda a, n: (
        f"""
        def cancel_job_{n}(task_ids):
            for task_id in task_ids:
                print(task_id)
        """
    ),
    lambda a, n: (
        f"""
        async def clean_{n}(timeout: float = 10, poll_interval: float = 1.0):
            waited = 0.0
            while waited < timeout:
                waited += poll_interval
            return waited
        """
    ),
    lambda a, n: (
        f"""
        def build_{n}(x):
            # a comment that must survive
            return signature("rag.ingest_file", args=[x], app=app)
        """
    ),
]

APP = [
    lambda a: "",
    lambda a: f'\napp = {_celery(a, "Celery")}("svc")\napp.conf.update({{"broker_url": "memory://"}})\n',
]


@st.composite
def programs(draw):
    aliases = {key: draw(st.sampled_from(options)) for key, options in HEADERS.items()}
    chosen = draw(st.lists(st.integers(0, len(SNIPPETS) - 1), min_size=1, max_size=5))
    header = aliases["time"] + aliases["celery"] + "import asyncio\n"
    if draw(st.booleans()):
        header += "from rag.tasks import ingest_file\n"
        chosen.append(-1)
    body = [textwrap.dedent(SNIPPETS[i](aliases, k)) for k, i in enumerate(chosen) if i >= 0]
    if -1 in chosen:
        body.append("\ndef ingest(path):\n    return ingest_file.delay(path)\n")
    source = header + draw(st.sampled_from(APP))(aliases) + "\n" + "\n".join(body)
    if draw(st.booleans()):
        source = "\n".join(
            line.replace("    ", "\t") if line.startswith("    ") else line for line in source.split("\n")
        )
    if draw(st.booleans()):
        source = source.replace("\n", "\r\n")
    return source


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs())
def test_fixing_generated_programs_keeps_every_guarantee(source):
    path = "server/app/generated.py"
    before = check_source(source, path).report.findings
    outcome = fix_source(source, path, unsafe=True)
    ast.parse(outcome.source)
    after = check_source(outcome.source, path).report.findings

    before_codes, after_codes = Counter(f.code for f in before), Counter(f.code for f in after)
    for code, count in after_codes.items():
        assert count <= before_codes[code], f"fix added {code}:\n{outcome.source}"
    assert not [f for f in after if f.fixable], f"fixable findings remain:\n{outcome.source}"
    assert fix_source(outcome.source, path, unsafe=True).source == outcome.source, "not idempotent"

    if "\r\n" in source:
        assert "\n" not in outcome.source.replace("\r\n", ""), "line endings changed"
    if "\t" in source and "\n    " not in source:
        assert "\n    " not in outcome.source.replace("\r", ""), "indentation style changed"
    if not before:
        assert outcome.source == source


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(SNIPPETS[8:]), st.booleans())
def test_clean_files_are_not_touched(snippet, crlf):
    source = "from celery import signature\nimport asyncio\n" + textwrap.dedent(
        snippet({"time": "import time\n", "celery": "from celery import Celery, group, signature\n"}, 0)
    )
    if crlf:
        source = source.replace("\n", "\r\n")
    assert check_source(source).report.findings == []
    assert fix_source(source, unsafe=True).source == source
