"""The cost of checking a file grows with its size, not faster.

Counted, not timed: the Python lines the check executes (`sys.settrace` "line" events, which
count every iteration of a loop), for a file and for one twice as long. A cost that grows
with the square of the size roughly quadruples; a linear one doubles. The shapes are those
that once were quadratic: a module re-importing the same name thousands of times and reading
it in as many functions (a 10 MB file of them took 294 s to open in the editor).
"""

from __future__ import annotations

import sys
import threading

import pytest

from celery_patterns.config import Settings
from celery_patterns.engine import check_source
from celery_patterns.engine.incremental import BufferChecker
from celery_patterns.model.layout import Layout
from celery_patterns.model.project import Project

SHAPES = {
    "re-imports read in functions": "import time\nasync def f{i}():\n    time.sleep(1)\n",
    "from-imports read in functions": "from time import sleep\nasync def f{i}():\n    sleep(1)\n",
    "tasks dispatched by name": (
        "from celery import shared_task, signature\n"
        "@shared_task\ndef t{i}(x):\n    signature('big.t{i}').delay()\n    return x.get()\n"
    ),
    "one unknown task name sent from every task": (
        "from celery import shared_task, signature\n"
        "@shared_task\ndef t{i}(x):\n    signature('big.t').delay()\n    return x.get()\n"
    ),
    "an alias assigned again and again": "import time\nnap = time.sleep\nasync def f{i}():\n    nap(1)\n",
}


def executed_lines(source: str, tmp_path) -> int:
    """The lines the editor's check of `source` executes (incremental parse, project model)."""
    count = 0

    def trace(frame, event, arg):
        nonlocal count
        count += 1
        return trace

    project = Project(Layout(str(tmp_path)), {})
    sys.settrace(trace)
    threading.settrace(trace)  # (the check runs on a thread with a deep stack)
    try:
        check_source(source, str(tmp_path / "big.py"), Settings(), "big", BufferChecker(), project)
    finally:
        sys.settrace(None)
        threading.settrace(None)
    return count


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_twice_the_file_costs_about_twice_as_much(shape, tmp_path):
    block = SHAPES[shape]
    small, large = (executed_lines("".join(block.format(i=i) for i in range(n)), tmp_path) for n in (400, 800))
    assert large / small < 2.3, (small, large)
