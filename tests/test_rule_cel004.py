"""CEL004 unhandled-task-failure: detection and fix cases."""

import pytest

from celery_patterns.rules import rule_by_code
from ruletest import assert_fix, assert_no_fix, findings, fixed, lines

CODE = "CEL004"

INVALID = [
    # (source, lines flagged)
    # no Celery import: the parameter's name says it is a task's result
    (
        """
    def fetch(async_result):
        if async_result.status == "SUCCESS":
            return async_result.result
        return None
    """,
        [2],
    ),
    (
        """
    def fetch(result):
        if result.status == "SUCCESS":
            return result.result
        return None
    """,
        [2],
    ),
    # states through an alias, `.state`, an else branch that does not raise
    (
        """
    from celery import states as st

    def fetch(result):
        if result.state == st.SUCCESS:
            return result.result
        else:
            return {"state": result.state}
    """,
        [4],
    ),
    # `from celery.states import SUCCESS`, reversed operands
    (
        """
    from celery.states import SUCCESS

    def fetch(res):
        if SUCCESS == res.status:
            return res.result
    """,
        [4],
    ),
    # ready() is a terminal check: a failed task is ready too
    (
        """
    from celery.result import AsyncResult

    def fetch(task_id):
        r = AsyncResult(task_id)
        if r.ready():
            return r.result
        return None
    """,
        [5],
    ),
    # READY_STATES through the module, on an attribute result
    # a `status = result.status` alias, and `str(...)` around the state
    (
        """
    def fetch(result):
        status = result.status
        if status == "SUCCESS":
            return result.result
        if str(result.state) == "SUCCESS":
            return 1
    """,
        [3],
    ),
    # waiting for success only: a failed task spins forever (and is reported once)
    (
        """
    import time
    from celery.result import AsyncResult

    def wait(result: AsyncResult, timeout=10):
        waited = 0
        while result.status != "SUCCESS" and waited < timeout:
            time.sleep(1)
            waited += 1
        return result.status == "SUCCESS"
    """,
        [6],
    ),
    # successful() then get(): get() cannot propagate a failure there
    (
        """
    def fetch(a):
        if a.successful():
            return a.get(timeout=1)
    """,
        [2],
    ),
    # one finding per result and scope: two results, two scopes
    (
        """
    def one(r1, r2):
        if r1.successful() and r2.successful():
            return r1.result, r2.result

    def two(r1):
        return r1.ready()
    """,
        [2, 2],
    ),
    # the polling loop's unready check does not count, nor does a FAILURE check elsewhere
    (
        """
    def fetch(result, other):
        while result.status in ("PENDING", "STARTED"):
            pass
        if other.status == "FAILURE":
            raise RuntimeError(other.traceback)
        if result.status == "SUCCESS":
            return result.result
    """,
        [6],
    ),
    # `.get(propagate=False)` does not re-raise
    (
        """
    def fetch(result):
        if result.ready():
            return result.get(propagate=False)
    """,
        [2],
    ),
    # a ready result fetched without propagating and returned as is: the exception is the "data"
    (
        """
    def job(app, rid):
        res = app.AsyncResult(rid)
        if res.ready():
            return {"state": res.state, "data": res.get(propagate=False)}
        return {"state": res.state}
    """,
        [3],
    ),
    # states held by module constants
    (
        """
    DONE = "SUCCESS"

    def fetch(r):
        if r.status == DONE:
            return r.result
    """,
        [4],
    ),
    # odd formatting and comments
    (
        """
    def fetch(result):
        if (
            result.status  # the state
            ==
            'SUCCESS'
        ):
            return result.result
    """,
        [3],
    ),
    # the outcome read after an early exit on "not ready", through an aliased AsyncResult
    (
        """
    from celery.result import AsyncResult as AR

    def fetch(task_id):
        r = AR(task_id)
        if not r.ready():
            return None
        return r.result
    """,
        [5],
    ),
    # the early exit nested in `with` and `if` blocks still opens the code after them
    (
        """
    from celery.result import AsyncResult

    def fetch(task_id, lock, cached):
        r = AsyncResult(task_id)
        with lock:
            if not cached:
                if not r.ready():  # still running
                    return None
        return r.result
    """,
        [7],
    ),
    # housekeeping first, then the outcome: the finding is on the check whose path reads it
    (
        """
    from celery.result import AsyncResult

    def fetch(lock, task_id):
        r = AsyncResult(task_id)
        if r.ready():
            lock.release()
        if r.status == "SUCCESS":
            return r.info
    """,
        [7],
    ),
    # after a `while not ready` loop (bounded or not) the result is read
    (
        """
    import time
    from celery import states as s

    def wait(result, timeout):
        waited = 0
        while not result.ready() and waited < timeout:
            time.sleep(1)
            waited += 1
        print(result.result)
    """,
        [6],
    ),
    # `while True:` left by a `break` on ready, then the value fetched without propagating
    (
        """
    import time
    import celery

    def wait(r):
        while True:
            if r.ready():  # done
                break
            time.sleep(1)
        return r.get(propagate=False)
    """,
        [6],
    ),
    # a loop left only on SUCCESS spins on a failed task (the distributed-tasks tutorial)
    (
        """
    import time
    from celery.result import AsyncResult

    result = add.delay(1, 2)
    while True:
        status = AsyncResult(result.task_id).status
        if "SUCCESS" in status:
            break
        time.sleep(1)
    """,
        [7],
    ),
    # the outcome read in the test itself, and in a conditional expression
    (
        """
    import celery.states

    def a(r):
        if r.ready() and r.result:
            return True

    def b(r):
        return r.result if r.state == celery.states.SUCCESS else None
    """,
        [4, 8],
    ),
    # logging or printing the result is not handing it over
    (
        """
    def fetch(r, log):
        if r.successful():
            log.info("done: %s", r)
            print(r)
            return r.get(timeout=1)
    """,
        [2],
    ),
    # a failure path that reads the outcome without reporting it as an error returns the exception as data
    (
        """
    def fetch(r):
        if r.successful():
            return r.result
        return {"value": r.result}
    """,
        [2],
    ),
    # comprehension filters decide which results are kept: the failed ones vanish
    (
        """
    def collect(group_result):
        return [r.result for r in group_result.results if r.successful()]
    """,
        [2],
    ),
    (
        """
    from celery.result import GroupResult

    def collect(group_id):
        children = GroupResult.restore(group_id).children
        by_id = {c.id: c.result for c in children if c.state == "SUCCESS"}
        total = sum(c.result for c in children if c.ready())
        return by_id, total
    """,
        [5],
    ),
]

VALID = [
    # the checklist's pattern
    """
    def fetch(result):
        if result.status == "SUCCESS":
            return True, result.result
        elif result.status == "FAILURE":
            if hasattr(result, "traceback") and result.traceback:
                raise Exception(f"Task failed: {result.traceback}")
            raise Exception("Task failed")
        return False, {"error": f"Task timed out with status: {result.status}"}
    """,
    # FAILURE through states aliases and sets
    """
    from celery import states as st

    def a(result):
        if result.state == st.SUCCESS:
            return result.result
        if result.state in st.EXCEPTION_STATES:
            return None

    def b(result):
        if result.ready():
            return result.result
        if result.failed():
            return None
    """,
    """
    from celery.states import FAILURE, PROPAGATE_STATES, SUCCESS

    def a(res):
        if res.status == SUCCESS:
            return res.result
        elif res.status == FAILURE:
            return None

    def b(res):
        if res.status in PROPAGATE_STATES:
            return None
        return res.status == SUCCESS
    """,
    # the Flask/Grinberg progress endpoint: `!= "FAILURE"` tells the two apart
    """
    def status(task):
        if task.state == "PENDING":
            return {"state": task.state}
        elif task.state != "FAILURE":
            return {"state": task.state, "current": task.info.get("current", 0)}
        else:
            return {"state": task.state, "status": str(task.info)}
    """,
    # a propagating get() where the task may have failed
    """
    def fetch(result):
        if result.ready():
            return result.get()
        return None
    """,
    # a raise on the not-SUCCESS path
    """
    def a(result):
        if result.successful():
            return result.result
        else:
            raise RuntimeError("task did not succeed")

    def b(result):
        if result.status != "SUCCESS":
            raise RuntimeError(result.status)
        return result.result
    """,
    # the traceback read, maybe_throw, isinstance of the stored exception
    """
    def a(result):
        if result.ready():
            log(result.traceback)
            return result.result

    def b(result):
        if result.ready():
            result.maybe_throw()
            return result.result

    def c(result):
        if result.ready() and isinstance(result.result, Exception):
            return None
    """,
    # FAILURE named explicitly next to SUCCESS; the exception inspected after get(propagate=False)
    """
    def cancel(group_result):
        if group_result.state in ("SUCCESS", "FAILURE"):
            raise HTTPException(status_code=400, detail="already finished")

    def job(app, rid):
        res = app.AsyncResult(rid)
        data = None
        if res.ready():
            data = res.get(propagate=False)
            if isinstance(data, Exception):
                data = {"error": str(data)}
        return data
    """,
    # only unready checks: the polling loop of the checklist
    """
    def wait(result, timeout, poll_interval):
        waited = 0.0
        while waited < timeout:
            status = result.status
            if status not in ("PENDING", "STARTED"):
                break
            waited += poll_interval
    """,
    # look-alikes: dict statuses, HTTP codes, regex groups, a DB status string
    """
    import re

    def handler(d, response, order):
        if d["status"] == "SUCCESS":
            return re.match(r"(x)", "x").group(1)
        if response.status_code == 200:
            return d.get("result")
        if order.status == "paid":
            return True
    """,
    # a nested def is its own scope: its FAILURE check counts there, not outside
    """
    def outer(result):
        def inner():
            if result.status == "SUCCESS":
                return 1
            elif result.status == "FAILURE":
                raise Exception(result.traceback)
        return inner
    """,
    # housekeeping on a ready / not ready result never reads the outcome
    """
    from celery.result import AsyncResult
    from core.celery import app

    def cancel_task(task_id):
        res = AsyncResult(task_id)
        if not res.ready():
            # stop it
            app.control.revoke(task_id, terminate=True)

    def release_lock_if_done(lock, task_id):
        result = AsyncResult(task_id)
        if result.ready():
            lock.release()
    """,
    # a poll helper that waits and returns nothing; a dedupe loop that drops the lock
    """
    import asyncio
    from celery.result import AsyncResult as AR

    async def poll(result):
        while not result.ready():
            await asyncio.sleep(0.5)

    def enqueue(redis, key, job_id):
        for attempt in range(5):
            try:
                job = AR(job_id)
                if job.ready():
                    redis.delete(key)
                    job = None
            finally:
                pass
    """,
    # the result handed to a helper on the success path: the helper handles it
    """
    from celery import states
    from celery.result import AsyncResult

    class Handler:
        def get(self, task_id):
            result = AsyncResult(task_id)
            response = {"state": result.state}
            if result.ready():
                self.describe(response, result)
            return response

    def view(task_id):
        r = AsyncResult(task_id)
        if r.state == states.SUCCESS:
            return render(template="done.html", result=r)
    """,
    # the catch-all branch after SUCCESS and the unready states reports the error
    """
    from celery.result import AsyncResult

    def task_status(task_id):
        r = AsyncResult(task_id)
        if r.state == "SUCCESS":
            return {"state": r.state, "result": r.result}
        elif r.state in ("PENDING", "STARTED"):
            return {"state": r.state}
        else:
            return {"state": r.state, "error": str(r.result)}

    def logged(r, log):
        if r.successful():
            return r.result
        log.error("task %s failed: %s", r.id, r.info)
        return None

    def detailed(r):
        if r.ready() and r.state == "SUCCESS":
            return r.result
        return JSONResponse(status_code=500, content={"exception": repr(r.info)})
    """,
    # not Celery at all: a payment's status in a module that never uses Celery
    """
    import requests
    import time

    def charge(order):
        resp = requests.post("https://pay.example/charge", json={"order": order.id}).json()
        payment = order.record_payment(resp)
        if payment.status == "SUCCESS":
            order.mark_paid()
        while payment.status != "SUCCESS":
            time.sleep(5)
            payment.refresh_from_db()
        return payment.status
    """,
    # a dispatch in another function does not make this one's payment a Celery result
    """
    def notify(order):
        send_receipt.delay(order.id)

    def wait_paid(payment, sleep):
        while payment.status != "SUCCESS":
            sleep(5)
    """,
    # multiprocessing results are not Celery's
    """
    from multiprocessing import Pool

    def run(f, xs):
        with Pool() as pool:
            r = pool.apply_async(f, (xs,))
            if r.successful():
                return r.get(timeout=5)
    """,
    # a `match` on the status that raises on FAILURE
    """
    from celery import states as st

    def fetch(result):
        if result.state == st.SUCCESS:
            return result.result
        match result.state:
            case st.FAILURE | st.REVOKED:
                raise RuntimeError("failed")
    """,
]


@pytest.mark.parametrize("source,expected", INVALID)
def test_invalid(source, expected):
    assert lines(source, CODE) == expected


@pytest.mark.parametrize("source", VALID)
def test_valid(source):
    assert lines(source, CODE) == []


def test_checklist_async_pattern_is_clean():
    source = """
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
    """
    assert findings(source) == []


def test_docs_examples():
    rule = rule_by_code(CODE)
    assert lines(rule.doc_example("Example"), CODE)
    assert lines(rule.doc_example("Use instead"), CODE) == []


# --- fixes ------------------------------------------------------------------------------------
def test_fix_appends_elif():
    assert_fix(
        """
        def fetch(result):
            if result.status == "SUCCESS":  # done
                return result.result
            return None
        """,
        """
        def fetch(result):
            if result.status == "SUCCESS":  # done
                return result.result
            elif result.status == "FAILURE":
                if hasattr(result, "traceback") and result.traceback:
                    raise Exception(f"Task failed: {result.traceback}")
                raise Exception("Task failed")
            return None
        """,
        CODE,
    )


def test_fix_goes_before_else_and_copies_state_spelling():
    assert_fix(
        """
        from celery import states as st

        def fetch(task):
            if task.state == st.SUCCESS:
                return task.result
            elif task.state == st.PENDING:
                return "queued"
            # anything else
            else:
                return task.state
        """,
        """
        from celery import states as st

        def fetch(task):
            if task.state == st.SUCCESS:
                return task.result
            elif task.state == st.FAILURE:
                if hasattr(task, "traceback") and task.traceback:
                    raise Exception(f"Task failed: {task.traceback}")
                raise Exception("Task failed")
            elif task.state == st.PENDING:
                return "queued"
            # anything else
            else:
                return task.state
        """,
        CODE,
    )


def test_fix_keeps_crlf_tabs_and_single_quotes():
    before = "def fetch(result):\r\n\tif result.status == 'SUCCESS':\r\n\t\treturn result.result\r\n"
    after = (
        "def fetch(result):\r\n"
        "\tif result.status == 'SUCCESS':\r\n"
        "\t\treturn result.result\r\n"
        "\telif result.status == 'FAILURE':\r\n"
        "\t\tif hasattr(result, 'traceback') and result.traceback:\r\n"
        "\t\t\traise Exception(f'Task failed: {result.traceback}')\r\n"
        "\t\traise Exception('Task failed')\r\n"
    )
    assert fixed(before, CODE, raw=True) == after


def test_fix_ready_check_goes_inside_the_branch():
    assert_fix(
        """
        from celery.result import AsyncResult

        def fetch(task_id):
            r = AsyncResult(task_id)
            if r.ready(): return r.result
            return None
        """,
        """
        from celery.result import AsyncResult

        def fetch(task_id):
            r = AsyncResult(task_id)
            if r.ready():
                if r.status == "FAILURE":
                    if hasattr(r, "traceback") and r.traceback:
                        raise Exception(f"Task failed: {r.traceback}")
                    raise Exception("Task failed")
                return r.result
            return None
        """,
        CODE,
    )


def test_fix_uses_the_alias_variable_and_state_attribute():
    assert_fix(
        """
        from celery.states import SUCCESS

        def fetch(self):
            state = self.result.state
            if state == SUCCESS and self.ok:
                return self.result.result
        """,
        """
        from celery.states import SUCCESS

        def fetch(self):
            state = self.result.state
            if state == SUCCESS and self.ok:
                return self.result.result
            elif state == "FAILURE":
                if hasattr(self.result, "traceback") and self.result.traceback:
                    raise Exception(f"Task failed: {self.result.traceback}")
                raise Exception("Task failed")
        """,
        CODE,
    )


def test_fix_targets_first_fixable_success_check():
    result = fixed(
        """
        def fetch(result):
            while not result.successful():
                pass
            if result.successful():
                return result.result
        """,
        CODE,
    )
    assert 'elif result.status == "FAILURE":' in result


def test_no_fix_when_not_an_if_test():
    assert_no_fix(
        """
        def value(result):
            return result.result if result.status == "SUCCESS" else None
        """,
        CODE,
    )


PREDICATES = [
    # A check only returned or stored is a predicate: the caller decides what to do.
    """
    import celery.states

    class Poller:
        def done(self):
            return self.result.state in celery.states.READY_STATES
    """,
    """
    def finished(results):
        return all(r.successful() for r in results)
    """,
    """
    def is_set(self):
        return self.evt.ready()
    """,
    """
    def poll(deps):
        ready = deps.ready()
        return ready
    """,
]


@pytest.mark.parametrize("source", PREDICATES)
def test_predicates_are_not_flagged(source):
    assert lines(source, CODE) == []


def test_no_fix_on_negative_branch_or_call_result():
    assert_no_fix(
        """
        def fetch(result):
            if result.status != "SUCCESS":
                return None
            return result.result
        """,
        CODE,
    )
    assert_no_fix(
        """
        def fetch(app, task_id):
            if app.AsyncResult(task_id).successful():
                return app.AsyncResult(task_id).result
        """,
        CODE,
    )


def test_fix_parenthesised_test_and_one_line_body():
    assert_fix(
        """
        def fetch(r):
            if (r.successful()): return r.result
        """,
        """
        def fetch(r):
            if (r.successful()): return r.result
            elif r.status == "FAILURE":
                if hasattr(r, "traceback") and r.traceback:
                    raise Exception(f"Task failed: {r.traceback}")
                raise Exception("Task failed")
        """,
        CODE,
    )


def test_fix_leaves_housekeeping_alone():
    assert_fix(
        """
        from celery.result import AsyncResult

        def fetch(lock, task_id):
            r = AsyncResult(task_id)
            if r.ready():
                lock.release()
            if r.status == "SUCCESS":
                return r.info
        """,
        """
        from celery.result import AsyncResult

        def fetch(lock, task_id):
            r = AsyncResult(task_id)
            if r.ready():
                lock.release()
            if r.status == "SUCCESS":
                return r.info
            elif r.status == "FAILURE":
                if hasattr(r, "traceback") and r.traceback:
                    raise Exception(f"Task failed: {r.traceback}")
                raise Exception("Task failed")
        """,
        CODE,
    )


def test_fix_checks_failure_before_leaving_the_loop():
    assert_fix(
        """
        import time
        import celery

        def wait(r):
            while True:
                if r.ready():  # done
                    break
                time.sleep(1)
            return r.get(propagate=False)
        """,
        """
        import time
        import celery

        def wait(r):
            while True:
                if r.ready():  # done
                    if r.status == "FAILURE":
                        if hasattr(r, "traceback") and r.traceback:
                            raise Exception(f"Task failed: {r.traceback}")
                        raise Exception("Task failed")
                    break
                time.sleep(1)
            return r.get(propagate=False)
        """,
        CODE,
    )


def test_no_fix_for_a_comprehension_filter():
    source = """
    def collect(group_result):
        return [r.result for r in group_result.results if r.successful()]
    """
    assert_no_fix(source, CODE)
    (finding,) = findings(source, CODE)
    assert "comprehension" in finding.no_fix_reason
