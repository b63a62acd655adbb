"""CEL003 unbounded-result-wait: detection and fix cases."""

import pytest

from celery_patterns.rules import rule_by_code
from ruletest import assert_fix, assert_no_fix, dedent, findings, fixed, lines

CODE = "CEL003"

INVALID = [
    # (source, lines flagged)
    # no Celery import, but names say what they are: a polling helper handed a task's result
    (
        """
    import time

    def wait(result):
        while result.status == "PENDING":
            time.sleep(1)

    def wait_child(job):
        while job.task_result.state in ("PENDING", "RETRY"):
            time.sleep(1)
    """,
        [4, 8],
    ),
    # the checklist's anti-pattern 3, in a module that imports the configured Celery app
    (
        """
    import time
    from core.celery import app

    def wait(result):
        while result.status == "PENDING":
            time.sleep(1)
    """,
        [5],
    ),
    (
        """
    import time

    def wait(result):
        while not result.ready():
            time.sleep(0.5)
    """,
        [4],
    ),
    # while True with a break on ready, but nothing bounds it
    (
        """
    import asyncio

    async def wait(result, poll_interval: float = 2.0):
        while True:
            if result.ready():
                break
            await asyncio.sleep(poll_interval)
    """,
        [4],
    ),
    # the status read into a local first, states through an alias
    (
        """
    import time
    from celery import states as st

    def wait(task_id, app):
        result = app.AsyncResult(task_id)
        while True:
            status = result.status
            if status in (st.SUCCESS, st.FAILURE):
                return status
            time.sleep(2)
    """,
        [6],
    ),
    # a counter advanced in the body but never compared
    (
        """
    import time
    from celery.result import AsyncResult as AR

    def wait(result: AR):
        attempts = 0
        while result.state != "SUCCESS":
            attempts += 1
            time.sleep(1)
    """,
        [6],
    ),
    # `or` does not bound: the loop goes on while either side holds
    (
        """
    import time

    def wait(result, timeout):
        waited = 0
        while not result.ready() or waited < timeout:
            time.sleep(1)
            waited += 1
    """,
        [5],
    ),
    # blocking calls without a timeout on results
    (
        """
    def run(task, x):
        return task.delay(x).get()
    """,
        [2],
    ),
    (
        """
    from celery import group

    def run(sigs):
        res = group(sigs)()
        res.join()
        return res.get(propagate=False)
    """,
        [5, 6],
    ),
    (
        """
    from celery.result import AsyncResult, GroupResult

    def collect(task_id, group_id, app):
        one = AsyncResult(task_id)
        one.wait()
        many = GroupResult.restore(group_id, app=app)
        for child in many.results:
            child.get()
        return app.send_task("rag.search", args=[1]).get(timeout=None)
    """,
        [5, 8, 9],
    ),
    # a status check in the same scope makes it a result; `!= "PENDING"` still allows STARTED
    (
        """
    def fetch(job):
        if job.status != "PENDING":
            return job.get()
    """,
        [3],
    ),
    # after `if r.ready(): return`, the result is not ready: the second get blocks
    (
        """
    def fetch(r: "AsyncResult"):
        if r.ready():
            return r.get()
        return r.get()
    """,
        [4],
    ),
    # nested in a class, a comprehension over dispatched results
    (
        """
    class Client:
        def run_all(self, task, items):
            results = [task.apply_async((i,)) for i in items]
            return [r.get() for r in results]
    """,
        [4],
    ),
    # a bound on the inner loop does not bound the outer one
    (
        """
    import time

    def wait(result, timeout=30):
        while not result.successful():
            waited = 0
            while waited < timeout:
                time.sleep(1)
                waited += 1
    """,
        [4],
    ),
    # an uncalled wait handed to a thread, an executor, partial or a thread target
    (
        """
    import asyncio
    import functools
    import threading
    from asgiref.sync import sync_to_async

    async def handler(report_id, loop):
        r = render_report.delay(report_id)
        a = await asyncio.to_thread(r.get)
        b = await loop.run_in_executor(None, r.get)
        c = await loop.run_in_executor(None, r.get, None)  # None is the timeout
        d = functools.partial(r.join, propagate=False)
        threading.Thread(target=r.wait, daemon=True).start()
        e = await sync_to_async(r.get)()
    """,
        [8, 9, 10, 11, 12, 13],
    ),
    # collect() waits like get(); its positional argument is `intermediate`, not a timeout
    (
        """
    def crawl_all(url):
        result = crawl.delay(url)
        first = [v for _, v in result.collect()]
        return first, list(result.collect(True))
    """,
        [3, 4],
    ),
    # a positional None timeout, and `timeout=None`
    (
        """
    def fetch(task, x):
        r = task.delay(x)
        r.wait(None, propagate=False)
        return r.get(timeout=None)
    """,
        [3, 4],
    ),
    # match cases that leave the result unready
    (
        """
    from celery.result import AsyncResult

    def fetch(task_id, strict):
        result = AsyncResult(task_id)
        match result.status:
            case "SUCCESS" if strict:
                return result.get()
            case "PENDING":
                return result.get()
            case _:
                return result.get()
    """,
        [9, 11],
    ),
    # results kept in `self` attributes by another method of the class
    (
        """
    import queue
    from celery.result import AsyncResult

    class Job:
        def __init__(self, task, x):
            self.result = task.delay(x)
            self.inbox = queue.Queue()
            self.previous: AsyncResult | None = None

        def wait(self):
            item = self.inbox.get()
            self.previous.wait()
            return self.result.get(), item
    """,
        [12, 13],
    ),
    # an attribute that is a task, not a pool
    (
        """
    class Job:
        def __init__(self, task):
            self.task = task

        def run(self):
            return self.task.apply_async().get()
    """,
        [6],
    ),
    # Celery used only inside this function: an import in it, a task decorator on it
    (
        """
    import time

    def wait(result):
        from celery import states
        while result.status == "PENDING":
            time.sleep(1)

    @shared_task(bind=True)
    def poll(self, result):
        while result.status == "PENDING":
            time.sleep(1)
    """,
        [5, 10],
    ),
    # the checklist's snippet, at module level: `result` is bound nowhere
    (
        """
    import time

    while result.status == "PENDING":
        time.sleep(1)
    """,
        [3],
    ),
]

VALID = [
    # the checklist's ideal async polling pattern
    """
    import asyncio

    async def ingest_file_with_rag(sig, timeout: int = 300, poll_interval: float = 2.0):
        result = sig.apply_async()

        waited = 0.0
        while waited < timeout:
            try:
                status = result.status
                if status not in ("PENDING", "STARTED"):
                    break
            except Exception:
                await asyncio.sleep(poll_interval)
                waited += poll_interval
                continue

            await asyncio.sleep(poll_interval)
            waited += poll_interval

        if result.status == "SUCCESS":
            return True, result.result
        elif result.status == "FAILURE":
            if hasattr(result, "traceback") and result.traceback:
                raise Exception(f"Task failed: {result.traceback}")
            raise Exception("Task failed")

        return False, {"error": f"Task timed out with status: {result.status}"}
    """,
    # the checklist's anti-pattern 3, good version
    """
    import time

    def wait(result, timeout, poll_interval):
        waited = 0.0
        while waited < timeout and result.status == "PENDING":
            time.sleep(poll_interval)
            waited += poll_interval
    """,
    # a clock deadline in the test
    """
    import time

    def wait(result, deadline):
        while time.monotonic() < deadline and not result.ready():
            time.sleep(0.1)
    """,
    # a guarded exit on elapsed time, from an aliased clock
    """
    from time import monotonic as clock, sleep

    def wait(task_id, app, limit=20):
        start = clock()
        while True:
            task = app.AsyncResult(task_id)
            if task.ready():
                return task.get()
            if clock() - start > limit:
                raise TimeoutError(task_id)
            sleep(0.5)
    """,
    # a counter checked in the body
    """
    import time

    def wait(result):
        waited = 0
        while not result.ready():
            if waited >= 60:
                break
            time.sleep(1)
            waited += 1
    """,
    # a countdown in the test, and loop.time() deadlines
    """
    import asyncio

    async def wait(result, retries=10):
        loop = asyncio.get_running_loop()
        end = loop.time() + 5
        while retries and result.status == "PENDING":
            retries -= 1
            await asyncio.sleep(1)
        while not result.ready():
            if loop.time() > end:
                return None
            await asyncio.sleep(1)
    """,
    # bounded by construction, and by an asyncio.timeout block
    """
    import asyncio, time

    async def wait(result):
        for attempt in range(10):
            if result.ready():
                break
            time.sleep(1)
        async with asyncio.timeout(30):
            while not result.ready():
                await asyncio.sleep(1)
    """,
    # timeouts given, positionally or by keyword
    """
    def run(task, x, timeout=10):
        r = task.delay(x)
        r.get(10)
        r.wait(timeout=timeout)
        return task.apply_async((x,)).get(timeout=30, propagate=False)
    """,
    # look-alikes: dicts, queues, HTTP, threads, strings, os.wait, events
    """
    import os, queue, threading, requests

    def handler(d, q: queue.Queue, event: threading.Event, t: threading.Thread):
        status = d.get("status")
        item = q.get()
        resp = requests.get("http://x")
        t.join()
        ", ".join(["a", "b"])
        os.wait()
        event.wait()
        if d["status"] == "SUCCESS" and resp.status_code == 200:
            return d.get("result")
    """,
    # calls where the result is known to be ready
    """
    from celery import states
    from celery.states import READY_STATES

    def fetch(result):
        if result.ready():
            return result.get()
        if result.successful():
            return result.get()
        if result.status == states.SUCCESS:
            return result.get()
        elif result.state in READY_STATES:
            return result.get()
        if result.status not in ("PENDING", "STARTED"):
            return result.get()
        return result.ready() and result.get()
    """,
    # an early exit guard in the same block, and one around a try
    """
    def fetch(result):
        if not result.ready():
            return None
        try:
            return result.get()
        finally:
            result.forget()

    def fetch_loop(results):
        for r in results:
            if not r.successful():
                continue
            print(r.get())
    """,
    # a worker loop that neither sleeps nor leaves on the status: not a wait
    """
    def consume(q, app):
        while True:
            task_id = q.get()
            res = app.AsyncResult(task_id)
            if res.ready():
                handle(res.result)
    """,
    # walking a result graph: the loop neither sleeps nor spins on the status
    """
    from collections import deque

    def iterdeps(root):
        stack = deque([root])
        while stack:
            node = stack.popleft()
            if node.ready():
                stack.extend(node.children or [])
            else:
                raise RuntimeError("incomplete")
    """,
    # multiprocessing pools are not Celery
    """
    from multiprocessing import Pool

    def run(f, xs):
        with Pool() as pool:
            r = pool.apply_async(f, (xs,))
            return r.get()
    """,
    # a nested def is its own scope: the status check outside does not make `result` a result there
    """
    def outer(result):
        if result.ready():
            pass
        def inner(result):
            return result.get()
        return inner
    """,
    # the group example from the checklist
    """
    import uuid
    from celery import group
    from core.celery import app

    def dispatch_parallel_ingestion(namespace, project_id, file_paths):
        signatures = [build_ingest_signature(p) for p in file_paths]
        task_group = group(signatures)
        group_result = task_group.apply_async()
        task_id = str(uuid.uuid4())
        metadata = {"children": [child.id for child in group_result.results]}
        app.backend.store_result(task_id, metadata, "PENDING")
        return task_id
    """,
    # not Celery: an export job and a payment polled in a module that never uses Celery
    """
    import time

    def wait_for_export(export_job):
        while export_job.status == "PENDING":
            time.sleep(5)
            export_job.refresh_from_db()
        return export_job

    def wait_paid(client, payment_id):
        payment = client.payments.retrieve(payment_id)
        while payment.state != "SUCCESS":
            time.sleep(1)
            payment = client.payments.retrieve(payment_id)
    """,
    # a dispatch in another function does not make this function Celery code
    """
    import time

    def notify(order):
        send_receipt.delay(order.id)

    def wait_for_export(export_job):
        while export_job.status == "PENDING":
            time.sleep(5)
    """,
    # handed over with a timeout, or where the result is ready; dict and str look-alikes
    """
    import asyncio
    import functools

    async def handler(report_id, loop, executor, cache, rows):
        r = render_report.delay(report_id)
        a = await asyncio.to_thread(r.get, timeout=30)
        b = await loop.run_in_executor(None, r.get, 10)
        c = functools.partial(r.get, timeout=5)
        if r.ready():
            d = await asyncio.to_thread(r.get)
        e = executor.submit(cache.get, "key")
        f = list(map(", ".join, rows))
        return r.collect(timeout=10)
    """,
    # positional timeouts, and *args that may hold one
    """
    def run(task, x, args, timeout=10):
        r = task.delay(x)
        r.get(5)
        r.join(timeout)
        return r.get(*args)
    """,
    # match cases taken only when ready, through aliases and or-patterns
    """
    from celery import states as s
    from celery.result import AsyncResult as AR

    def a(task_id):
        result = AR(task_id)
        match result.status:
            case "SUCCESS":
                return result.get()
            case s.FAILURE | s.REVOKED:
                return result.get(propagate=False)
        return None

    def b(task_id):
        r = AR(task_id)
        state = r.state
        match state:
            case "PENDING" | "STARTED" | "RETRY" | "RECEIVED":
                return None
            case _:
                return r.get()
    """,
    # pools held in attributes, parameters, class attributes, or made on the spot
    """
    import multiprocessing.pool
    from multiprocessing import Pool
    from multiprocessing.pool import ThreadPool
    from typing import Optional

    class Runner:
        threads = ThreadPool(2)

        def __init__(self):
            self.pool = Pool(4)

        def run(self, f, x):
            return self.pool.apply_async(f, (x,)).get(), self.threads.apply_async(f).get()

    def a(pool: multiprocessing.pool.Pool, f):
        return pool.apply_async(f).get()

    def b(pool: "ThreadPool", f):
        return pool.apply_async(f).get()

    def c(pool: Optional[ThreadPool], f):
        r = pool.apply_async(f)
        while not r.ready():
            pass
        return r.get()

    def d(f):
        return Pool(2).apply_async(f).get()
    """,
]


@pytest.mark.parametrize("source,expected", INVALID)
def test_invalid(source, expected):
    assert lines(source, CODE) == expected


@pytest.mark.parametrize("source", VALID)
def test_valid(source):
    assert lines(source, CODE) == []


def test_checklist_sync_helper_is_clean():
    source = """
    import time
    from typing import Any

    def _run_sync_task_with_polling(task_signature, timeout: float, poll_interval: float) -> Any:
        result = task_signature.apply_async()
        waited = 0.0

        while waited < timeout:
            try:
                status = result.status
                if status not in ("PENDING", "STARTED"):
                    break
            except Exception:
                time.sleep(poll_interval)
                waited += poll_interval
                continue
            time.sleep(poll_interval)
            waited += poll_interval

        if result.status == "SUCCESS":
            return result.result
        elif result.status == "FAILURE":
            if hasattr(result, "traceback") and result.traceback:
                raise Exception(f"Task failed: {result.traceback}")
            raise Exception("Task failed")

        return None
    """
    assert findings(source) == []


def test_docs_examples():
    rule = rule_by_code(CODE)
    assert lines(rule.doc_example("Example"), CODE)
    assert lines(rule.doc_example("Use instead"), CODE) == []


def test_noqa():
    assert (
        lines(
            """
    def run(task):
        return task.delay().get()  # noqa: CEL003
    """,
            CODE,
        )
        == []
    )


# --- fixes: loops -------------------------------------------------------------------------------
def test_fix_loop_uses_names_in_scope():
    assert_fix(
        """
        import time
        import celery

        def wait(result, timeout, poll_interval):
            while result.status == "PENDING":  # poll
                time.sleep(poll_interval)
        """,
        """
        import time
        import celery

        def wait(result, timeout, poll_interval):
            waited = 0.0
            while waited < timeout and result.status == "PENDING":  # poll
                time.sleep(poll_interval)
                waited += poll_interval
        """,
        CODE,
    )


def test_fix_while_true_with_continue_and_module_default():
    assert_fix(
        """
        import asyncio

        async def wait(result):
            # wait for the worker
            while True:
                try:
                    status = result.status
                    if status not in ("PENDING", "STARTED"):
                        break
                except Exception:
                    await asyncio.sleep(2.0)
                    continue
                for child in result.children or []:
                    if child is None:
                        continue
                await asyncio.sleep(2.0)
        """,
        """
        import asyncio

        DEFAULT_TASK_TIMEOUT = 300.0  # seconds to wait for a Celery result

        async def wait(result):
            # wait for the worker
            waited = 0.0
            while waited < DEFAULT_TASK_TIMEOUT:
                try:
                    status = result.status
                    if status not in ("PENDING", "STARTED"):
                        break
                except Exception:
                    await asyncio.sleep(2.0)
                    waited += 2.0
                    continue
                for child in result.children or []:
                    if child is None:
                        continue
                await asyncio.sleep(2.0)
                waited += 2.0
        """,
        CODE,
    )


def test_fix_loop_keeps_crlf_and_tabs():
    before = "import time\r\n\r\ndef wait(result, timeout=60):\r\n\twhile not result.ready():\r\n\t\ttime.sleep(1)\r\n"
    after = (
        "import time\r\n\r\ndef wait(result, timeout=60):\r\n\twaited = 0.0\r\n"
        "\twhile waited < timeout and not result.ready():\r\n\t\ttime.sleep(1)\r\n\t\twaited += 1\r\n"
    )
    assert fixed(before, CODE, raw=True) == after


def test_fix_loop_parenthesises_or_and_keeps_comments():
    assert_fix(
        """
        from time import sleep as nap

        def wait(result, interval, timeout=5):
            while (
                result.state == "PENDING"  # queued
                or result.state == "STARTED"  # running
            ):
                nap(interval)
        """,
        """
        from time import sleep as nap

        def wait(result, interval, timeout=5):
            waited = 0.0
            while waited < timeout and (
                result.state == "PENDING"  # queued
                or result.state == "STARTED"  # running
            ):
                nap(interval)
                waited += interval
        """,
        CODE,
    )


def test_fix_one_line_loop_and_taken_name():
    assert_fix(
        """
        import time

        def wait(result, timeout):
            waited = "unused label"
            while not result.ready(): time.sleep(self_interval)
        """,
        """
        import time

        def wait(result, timeout):
            waited = "unused label"
            waited_s = 0.0
            while waited_s < timeout and not result.ready(): time.sleep(self_interval); waited_s += self_interval
        """,
        CODE,
    )


def test_fix_loop_uses_poll_interval_when_loop_does_not_sleep_directly():
    result = fixed(
        """
        def wait(result, timeout, poll_interval):
            while not result.ready():
                pause(poll_interval)
        """,
        CODE,
    )
    assert "while waited < timeout and not result.ready():" in result
    assert result.rstrip().endswith("waited += poll_interval")


def test_no_fix_for_computed_sleep():
    assert_no_fix(
        """
        import time

        def wait(result, timeout):
            delay = 1
            while not result.ready():
                time.sleep(min(delay * 2, 30))
        """,
        CODE,
    )


def test_no_fix_for_backoff_name_changed_in_loop():
    assert_no_fix(
        """
        import time

        def wait(result):
            delay = 1
            while not result.ready():
                time.sleep(delay)
                delay = delay * 2
        """,
        CODE,
    )


def test_no_fix_for_while_else_or_no_sleep():
    assert_no_fix(
        """
        import time

        def wait(result):
            while not result.ready():
                time.sleep(1)
            else:
                print("done")
        """,
        CODE,
    )
    assert_no_fix(
        """
        def spin(result):
            while not result.ready():
                pass
        """,
        CODE,
    )


# --- fixes: calls -------------------------------------------------------------------------------
def test_fix_call_uses_timeout_in_scope():
    assert_fix(
        """
        def run(task, x, timeout: float = 30):
            return task.delay(x).get()  # block
        """,
        """
        def run(task, x, timeout: float = 30):
            return task.delay(x).get(timeout=timeout)  # block
        """,
        CODE,
    )


def test_fix_call_adds_module_default_once():
    assert_fix(
        '''
        """Client."""
        from __future__ import annotations

        from celery.result import AsyncResult as AR

        def first(task_id):
            return AR(task_id).get(propagate=False)

        def second(task_id):
            res = AR(task_id)
            res.wait(timeout=None)
            return res.get(
                propagate=True,
            )
        ''',
        '''
        """Client."""
        from __future__ import annotations

        from celery.result import AsyncResult as AR

        DEFAULT_TASK_TIMEOUT = 300.0  # seconds to wait for a Celery result

        def first(task_id):
            return AR(task_id).get(propagate=False, timeout=DEFAULT_TASK_TIMEOUT)

        def second(task_id):
            res = AR(task_id)
            res.wait(timeout=DEFAULT_TASK_TIMEOUT)
            return res.get(
                propagate=True,
                timeout=DEFAULT_TASK_TIMEOUT,
            )
        ''',
        CODE,
    )


def test_fix_call_keeps_crlf():
    before = "def run(sig, timeout=5):\r\n\tres = sig.apply_async()\r\n\treturn res.join()\r\n"
    after = "def run(sig, timeout=5):\r\n\tres = sig.apply_async()\r\n\treturn res.join(timeout=timeout)\r\n"
    assert fixed(before, CODE, raw=True) == after


def test_fix_loop_and_call_in_one_function():
    result = fixed(
        """
        import time

        def wait(result):
            while not result.ready():
                time.sleep(1)
            return result.get()
        """,
        CODE,
    )
    assert result == dedent("""
        import time

        DEFAULT_TASK_TIMEOUT = 300.0  # seconds to wait for a Celery result

        def wait(result):
            waited = 0.0
            while waited < DEFAULT_TASK_TIMEOUT and not result.ready():
                time.sleep(1)
                waited += 1
            return result.get(timeout=DEFAULT_TASK_TIMEOUT)
        """)


def test_fix_call_reuses_imported_default():
    assert_fix(
        """
        from settings import DEFAULT_TASK_TIMEOUT

        def run(task):
            return task.delay().get()
        """,
        """
        from settings import DEFAULT_TASK_TIMEOUT

        def run(task):
            return task.delay().get(timeout=DEFAULT_TASK_TIMEOUT)
        """,
        CODE,
    )


def test_no_fix_when_default_name_is_taken():
    assert_no_fix(
        """
        def DEFAULT_TASK_TIMEOUT():
            return 5

        def run(task):
            return task.delay().get()
        """,
        CODE,
    )


def test_fix_keeps_walrus_first():
    result = fixed(
        """
        import time

        def wait(r: "AsyncResult", timeout):
            while (s := r.status) == "PENDING":
                time.sleep(1)
            return s
        """,
        CODE,
    )
    assert 'while (s := r.status) == "PENDING" and waited < timeout:' in result


def test_no_fix_for_zero_sleep():
    assert_no_fix(
        """
        import time

        def wait(r, timeout):
            while not r.ready():
                time.sleep(0)
        """,
        CODE,
    )


# --- fixes: which timeout, and the layout of the arguments ------------------------------------
def test_fix_does_not_reuse_a_timeout_that_may_be_none():
    assert_fix(
        """
        def fetch(task, x, timeout=None):
            return task.delay(x).get()

        def fetch_typed(task, x, timeout: float | None = 30):
            return task.delay(x).get()
        """,
        """
        DEFAULT_TASK_TIMEOUT = 300.0  # seconds to wait for a Celery result
        def fetch(task, x, timeout=None):
            return task.delay(x).get(timeout=DEFAULT_TASK_TIMEOUT)

        def fetch_typed(task, x, timeout: float | None = 30):
            return task.delay(x).get(timeout=DEFAULT_TASK_TIMEOUT)
        """,
        CODE,
    )


def test_fix_loop_does_not_compare_with_a_timeout_object():
    assert_fix(
        """
        import time
        import httpx
        from celery.result import AsyncResult

        def wait(result: AsyncResult, timeout=None):
            while not result.ready():
                time.sleep(1)

        def wait_http(result: AsyncResult):
            timeout = httpx.Timeout(10.0)
            while result.status == "PENDING":
                time.sleep(1)
            return timeout
        """,
        """
        import time
        import httpx
        from celery.result import AsyncResult

        DEFAULT_TASK_TIMEOUT = 300.0  # seconds to wait for a Celery result

        def wait(result: AsyncResult, timeout=None):
            waited = 0.0
            while waited < DEFAULT_TASK_TIMEOUT and not result.ready():
                time.sleep(1)
                waited += 1

        def wait_http(result: AsyncResult):
            timeout = httpx.Timeout(10.0)
            waited = 0.0
            while waited < DEFAULT_TASK_TIMEOUT and result.status == "PENDING":
                time.sleep(1)
                waited += 1
            return timeout
        """,
        CODE,
    )


def test_fix_reuses_a_numeric_timeout():
    assert_fix(
        """
        import os

        def a(task, timeout: float = 30):
            return task.delay().get()

        def b(task):
            timeout = float(os.environ.get("TASK_TIMEOUT", "30"))
            return task.delay().get()

        def c(task, limit=10):
            timeout = 2 * limit
            return task.delay().get()
        """,
        """
        import os

        def a(task, timeout: float = 30):
            return task.delay().get(timeout=timeout)

        def b(task):
            timeout = float(os.environ.get("TASK_TIMEOUT", "30"))
            return task.delay().get(timeout=timeout)

        def c(task, limit=10):
            timeout = 2 * limit
            return task.delay().get(timeout=timeout)
        """,
        CODE,
    )


def test_no_fix_when_poll_interval_may_be_none():
    assert_no_fix(
        """
        def wait(result: "AsyncResult", timeout=5, poll_interval=None):
            while not result.ready():
                pause(poll_interval)
        """,
        CODE,
    )


def test_fix_keeps_comments_on_their_argument():
    assert_fix(
        """
        def a(task):
            r = task.delay()
            return r.get(
                propagate=False,  # keep going on failure
            )

        def b(task):
            r = task.delay()
            return r.get(
                propagate=False  # keep going on failure
            )

        def c(task):
            r = task.delay()
            return r.get(interval=1,
                         propagate=False,  # keep going on failure
                         )

        def d(task):
            r = task.delay()
            return r.get(propagate=False,  # keep going on failure
            )
        """,
        """
        DEFAULT_TASK_TIMEOUT = 300.0  # seconds to wait for a Celery result
        def a(task):
            r = task.delay()
            return r.get(
                propagate=False,  # keep going on failure
                timeout=DEFAULT_TASK_TIMEOUT,
            )

        def b(task):
            r = task.delay()
            return r.get(
                propagate=False,  # keep going on failure
                timeout=DEFAULT_TASK_TIMEOUT
            )

        def c(task):
            r = task.delay()
            return r.get(interval=1,
                         propagate=False,  # keep going on failure
                         timeout=DEFAULT_TASK_TIMEOUT,
                         )

        def d(task):
            r = task.delay()
            return r.get(propagate=False,  # keep going on failure
            timeout=DEFAULT_TASK_TIMEOUT,
            )
        """,
        CODE,
    )


def test_fix_positional_none_and_collect():
    assert_fix(
        """
        from celery.result import AsyncResult as AR

        def fetch(task_id, timeout: int = 60):
            r = AR(task_id)
            r.wait(None, propagate=False)
            return list(r.collect(True))
        """,
        """
        from celery.result import AsyncResult as AR

        def fetch(task_id, timeout: int = 60):
            r = AR(task_id)
            r.wait(timeout, propagate=False)
            return list(r.collect(True, timeout=timeout))
        """,
        CODE,
    )


def test_no_fix_for_a_wait_handed_over_uncalled():
    assert_no_fix(
        """
        import asyncio

        async def handler(report_id):
            r = render_report.delay(report_id)
            return await asyncio.to_thread(r.get)
        """,
        CODE,
    )


def test_fix_puts_the_module_default_after_every_import_block():
    # the constant is added on the module's head only: the head reaches past every import block
    assert_fix(
        '''
        """Client."""
        import time
        from typing import TYPE_CHECKING
        if TYPE_CHECKING:
            from celery.result import AsyncResult
        import os
        try:
            import ujson as json
        except ImportError:
            import json
        # about the code

        def run(task):
            return task.delay().get()
        ''',
        '''
        """Client."""
        import time
        from typing import TYPE_CHECKING
        if TYPE_CHECKING:
            from celery.result import AsyncResult
        import os
        try:
            import ujson as json
        except ImportError:
            import json

        DEFAULT_TASK_TIMEOUT = 300.0  # seconds to wait for a Celery result
        # about the code

        def run(task):
            return task.delay().get(timeout=DEFAULT_TASK_TIMEOUT)
        ''',
        CODE,
    )


@pytest.mark.parametrize(
    "call",
    [
        "job.get(propagate=False)",
        "job.get(interval=0.5)",
        "job.join(no_ack=True)",
        "job.get(disable_sync_subtasks=False)",
    ],
)
def test_a_keyword_only_celery_takes_makes_it_a_wait_on_a_result(call):
    assert lines(f"def fetch(job):\n    return {call}\n", CODE, raw=True) == [2]


def test_a_dict_get_is_not_a_wait():
    assert lines('def fetch(d):\n    return d.get("key", None)\n', CODE, raw=True) == []


# --- tests of a service that runs its tasks eagerly --------------------------------------------
from celery_patterns.analysis.testing import is_test_path  # noqa: E402
from ruletest import workspace_cases  # noqa: E402

APP = 'from celery import Celery\n\napp = Celery("proj")\n'
TEST_WAITS = """
from proj.tasks import add

def test_add():
    assert add.delay(1, 2).get() == 3
    result = add.apply_async((1, 2))
    assert result.wait() == 3
"""


def eager_service(files: dict[str, str], root: str = "svc") -> dict[str, str]:
    base = {f"{root}/pyproject.toml": "", f"{root}/proj/__init__.py": "", f"{root}/proj/celery_app.py": APP}
    base.update({f"{root}/{path}": text for path, text in files.items()})
    return base


EAGER_INVALID = [
    # (files, [(path, line)])
    # no eager setting anywhere: a test's wait is a wait on a real worker
    (
        eager_service({"tests/test_tasks.py": TEST_WAITS}),
        [("svc/tests/test_tasks.py", 4), ("svc/tests/test_tasks.py", 6)],
    ),
    # eager set, but the wait is in the service's own code
    (
        eager_service(
            {
                "tests/conftest.py": "from proj.celery_app import app\n\napp.conf.task_always_eager = True\n",
                "proj/views.py": "from proj.tasks import add\n\ndef total():\n    return add.delay(1, 2).get()\n",
            }
        ),
        [("svc/proj/views.py", 4)],
    ),
    # set to False, or to something not known to be true
    (
        eager_service(
            {
                "proj/settings.py": "CELERY_TASK_ALWAYS_EAGER = False\nCELERY_ALWAYS_EAGER = env('EAGER')\n",
                "proj/test_tasks.py": TEST_WAITS,
            }
        ),
        [("svc/proj/test_tasks.py", 4), ("svc/proj/test_tasks.py", 6)],
    ),
    # eager in another service of the workspace
    (
        {
            **eager_service(
                {"tests/conftest.py": "from proj.celery_app import app\n\napp.conf.task_always_eager = True\n"}
            ),
            **eager_service({"tests/test_tasks.py": TEST_WAITS}, root="other"),
        },
        [("other/tests/test_tasks.py", 4), ("other/tests/test_tasks.py", 6)],
    ),
    # a polling loop in an eager test is still a loop without a bound
    (
        eager_service(
            {
                "conftest.py": "from proj.celery_app import app\n\napp.conf.update(task_always_eager=True)\n",
                "tests/test_poll.py": """
                import time
                from proj.tasks import add

                def test_poll():
                    result = add.delay(1, 2)
                    while result.status == "PENDING":
                        time.sleep(1)
                """,
            }
        ),
        [("svc/tests/test_poll.py", 6)],
    ),
    # a module whose name merely contains "test" is no test
    (
        eager_service(
            {
                "conftest.py": "CELERY_TASK_ALWAYS_EAGER = True\n",
                "proj/attestation.py": "from proj.tasks import add\n\ndef check():\n    return add.delay(1).get()\n",
                "proj/testing_tools.py": "from proj.tasks import add\n\ndef check():\n    return add.delay(1).get()\n",
            }
        ),
        [("svc/proj/attestation.py", 4), ("svc/proj/testing_tools.py", 4)],
    ),
]

EAGER_VALID = [
    # `app.conf.task_always_eager = True` in conftest.py
    eager_service(
        {
            "tests/conftest.py": "from proj.celery_app import app\n\napp.conf.task_always_eager = True\n",
            "tests/test_tasks.py": TEST_WAITS,
        }
    ),
    # a Django test settings module, Django's `tests.py`
    eager_service(
        {"proj/settings_test.py": "DEBUG = True\nCELERY_TASK_ALWAYS_EAGER = True\n", "proj/tests.py": TEST_WAITS}
    ),
    # the old name, set on django.conf.settings in conftest, and in an `if` of a settings module
    eager_service(
        {
            "conftest.py": "from django.conf import settings\n\nsettings.CELERY_ALWAYS_EAGER = True\n",
            "proj/sub/tasks_test.py": TEST_WAITS,
        }
    ),
    eager_service(
        {
            "proj/settings.py": "import sys\n\nif 'test' in sys.argv:\n    CELERY_TASK_ALWAYS_EAGER = True\n",
            "test/test_tasks.py": TEST_WAITS,
        }
    ),
    # `@override_settings(CELERY_TASK_ALWAYS_EAGER=True)` in the test module itself
    eager_service(
        {
            "proj/tests/test_views.py": """
            from django.test import TestCase, override_settings
            from proj.tasks import add

            @override_settings(CELERY_TASK_ALWAYS_EAGER=True)
            class AddTest(TestCase):
                def test_add(self):
                    self.assertEqual(add.delay(1, 2).get(), 3)
            """
        }
    ),
    # a pytest `celery_config` fixture returning it; `app.conf.update({...})`
    eager_service(
        {
            "tests/conftest.py": """
            import pytest

            @pytest.fixture(scope="session")
            def celery_config():
                return {"broker_url": "memory://", "task_always_eager": True}
            """,
            "tests/test_tasks.py": TEST_WAITS,
        }
    ),
    # `conf["task_always_eager"] = "True"` (a string settings loaders read as true), `setattr`
    eager_service(
        {
            "proj/testing.py": "from proj.celery_app import app\n\napp.conf['CELERY_TASK_ALWAYS_EAGER'] = 'True'\n",
            "tests/test_tasks.py": TEST_WAITS,
        }
    ),
    eager_service(
        {
            "tests/test_tasks.py": """
            from proj.tasks import add

            def test_add(monkeypatch, settings):
                monkeypatch.setattr(settings, "CELERY_TASK_ALWAYS_EAGER", True)
                assert add.delay(1, 2).get() == 3
            """
        }
    ),
    # tests with their own requirements file (a service of their own) inside the eager one
    eager_service(
        {
            "proj/celery_config.py": "task_always_eager = True\n",
            "tests/requirements-test.txt": "pytest\n",
            "tests/test_tasks.py": TEST_WAITS,
        }
    ),
]

test_eager_invalid, test_eager_valid = workspace_cases(CODE, EAGER_INVALID, EAGER_VALID)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("tests/test_x.py", True),
        ("pkg/tests/helpers.py", True),
        ("test/x.py", True),
        ("pkg/test_views.py", True),
        ("pkg/views_test.py", True),
        ("pkg/tests.py", True),
        ("conftest.py", True),
        ("pkg/testing.py", False),
        ("pkg/attestation.py", False),
        ("pkg/contest.py", False),
        ("testdata_loader.py", False),
    ],
)
def test_is_test_path(path, expected):
    assert is_test_path(path) is expected


def test_eager_tests_are_flagged_without_a_project():
    assert lines(TEST_WAITS, CODE) == [4, 6]


EAGER_BRANCH_INVALID = [
    # (source, lines flagged): the branch is not the eager one, or the test says something else
    """
    from django.conf import settings

    def translate(task):
        result = task.delay()
        if not settings.CELERY_TASK_ALWAYS_EAGER:
            return result.get()
        return None
    """,
    """
    from django.conf import settings

    def translate(task):
        result = task.delay()
        if settings.CELERY_TASK_ALWAYS_EAGER:
            pass
        else:
            return result.get()
    """,
    """
    from django.conf import settings

    def translate(task):
        result = task.delay()
        if settings.CELERY_TASK_ALWAYS_EAGER or settings.DEBUG:
            return result.get()
    """,
    """
    from django.conf import settings

    def translate(task):
        result = task.delay()
        if settings.CELERY_EAGER_PROPAGATES:
            return result.get()
    """,
    """
    from django.conf import settings

    def translate(task):
        result = task.delay()
        if settings.CELERY_TASK_ALWAYS_EAGER:
            def later():
                return result.get()
            return later
    """,
]

EAGER_BRANCH_VALID = [
    """
    from django.conf import settings

    def translate(task):
        result = task.delay()
        if settings.CELERY_TASK_ALWAYS_EAGER:
            return {"details": result.get()["message"]}
        return {"id": result.id}
    """,
    """
    from proj.celery import app

    def translate(task):
        result = task.delay()
        if app.conf.task_always_eager and result is not None:
            for _ in range(1):
                return result.get()
    """,
    """
    from proj.celery import app

    def translate(task):
        result = task.delay()
        return result.get() if app.conf["task_always_eager"] else result.id
    """,
    """
    from django.conf import settings

    def translate(task):
        result = task.delay()
        if getattr(settings, "CELERY_ALWAYS_EAGER", False):
            return result.get()
    """,
]


@pytest.mark.parametrize("source", EAGER_BRANCH_INVALID)
def test_wait_outside_an_eager_branch_is_flagged(source):
    assert len(lines(source, CODE)) == 1


@pytest.mark.parametrize("source", EAGER_BRANCH_VALID)
def test_wait_in_an_eager_branch_is_not_flagged(source):
    assert lines(source, CODE) == []
