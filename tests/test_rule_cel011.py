"""CEL011 failure-without-traceback: detection and fix cases."""

import pytest

from celery_patterns.rules import rule_by_code
from ruletest import assert_fix, assert_no_fix, findings, fixed, lines

CODE = "CEL011"

INVALID = [
    # the exception's message is not where it happened: the worker's traceback is lost
    (
        """
    def fetch(result):
        if result.state == "FAILURE":
            raise RuntimeError(str(result.info))
        if result.status == "FAILURE":
            raise Exception(f"Task failed: {result.result}")
        return result.result
    """,
        [3, 5],
    ),
    # the test looks at the traceback, the raise does not use it
    (
        """
    def fetch(result):
        if result.status == "FAILURE" and result.traceback:
            raise RuntimeError("Task failed")
        return result.result
    """,
        [3],
    ),
    # (source, lines flagged)
    # the checklist's anti-pattern 4, on a result of the configured app
    (
        """
    from core.celery import app

    def fetch(task_id):
        result = app.AsyncResult(task_id)
        if result.status == "FAILURE":
            raise Exception("Task failed")
    """,
        [6],
    ),
    # an elif, `.state`, states through an alias
    (
        """
    from celery import states as st

    def fetch(result):
        if result.state == st.SUCCESS:
            return result.result
        elif result.state == st.FAILURE:
            log("failed")
            raise RuntimeError("task failed")
    """,
        [8],
    ),
    # `from celery.states import FAILURE`, exception-state sets, failed()
    (
        """
    from celery.states import FAILURE, EXCEPTION_STATES

    def a(res):
        if FAILURE == res.status:
            raise ValueError
    def b(res):
        if res.status in EXCEPTION_STATES:
            raise ValueError("x")
    def c(res):
        if res.failed(): raise ValueError("y")
    """,
        [5, 8, 10],
    ),
    # the alias form of the status
    (
        """
    def fetch(result):
        status = result.status
        if status == "SUCCESS":
            return result.result
        if status == "FAILURE":
            raise TaskError(f"task {result.id} failed")
    """,
        [6],
    ),
    # after an early exit on `!= "FAILURE"`, the rest of the block is the failure path
    (
        """
    def fetch(result):
        if result.status != "FAILURE":
            return result.result
        cleanup()
        raise RuntimeError("failed")
    """,
        [5],
    ),
    # ready and not successful
    (
        """
    def fetch(result):
        if result.ready() and not result.successful():
            raise RuntimeError("failed")
    """,
        [3],
    ),
    # nested inside the branch; one finding per branch
    (
        """
    import celery.states

    def fetch(result, strict):
        if result.status == celery.states.FAILURE:
            if strict:
                raise RuntimeError("failed")
            raise ValueError("failed")
    """,
        [6],
    ),
    # using the task id or status is not the traceback
    (
        """
    from .celery_app import app

    def fetch(self):
        if self.result.state == "FAILURE":
            raise HTTPException(status_code=500, detail=f"{self.result.id}: {self.result.state}")
    """,
        [5],
    ),
    # in a loop, with `raise ... from`
    (
        """
    def collect(results):
        for r in results:
            if r.failed():
                raise RuntimeError("child failed") from None
    """,
        [4],
    ),
    # odd formatting and comments
    (
        """
    def fetch(task, x):
        result = task.apply_async(
            (x,))
        if (result.status ==  # the state
                'FAILURE'):
            raise Exception(
                'Task failed'  # why
            )
    """,
        [6],
    ),
    # a state held by a constant
    (
        """
    from celery.result import AsyncResult as AR

    BAD = ("FAILURE",)

    def fetch(r: AR):
        if r.state in BAD:
            raise RuntimeError("x")
    """,
        [7],
    ),
    # the module level counts as a scope
    (
        """
    res = task.delay()
    if res.status == "FAILURE":
        raise SystemExit("task failed")
    """,
        [3],
    ),
    # a traceback read only in a nested def of the branch is not the branch using it
    (
        """
    def fetch(result):
        if result.status == "FAILURE":
            def explain():
                return result.traceback
            raise RuntimeError("Task failed")
    """,
        [5],
    ),
    # the traceback bound to a name the branch never reads
    (
        """
    from celery.result import AsyncResult as AR

    def fetch(task_id):
        r = AR(task_id)
        tb = r.traceback
        if r.failed():
            raise RuntimeError("Task failed")
        return tb
    """,
        [7],
    ),
    # a raise in a nested def is skipped when picking the branch's first raise
    (
        """
    def fetch(result):
        if result.failed():
            def later():
                raise ValueError("later")
            raise RuntimeError("now")
    """,
        [5],
    ),
]

VALID = [
    # the checklist's pattern flattened into one chain: the plain raise is the fallback for
    # a task that stored no traceback; also a branch taken only when there is none
    """
    def fetch(result):
        if result.status == "FAILURE" and result.traceback:
            raise RuntimeError(f"Task failed: {result.traceback}")
        elif result.status == "PENDING":
            return None
        elif result.status == "FAILURE":
            raise RuntimeError("Task failed")  # no traceback stored
        return result.result

    def fetch_other(result):
        if result.status == "FAILURE" and not getattr(result, "traceback", None):
            raise RuntimeError("Task failed")
        elif result.status == "FAILURE":
            raise RuntimeError(result.traceback)
        return result.result
    """,
    # the checklist's good version
    """
    def fetch(result):
        if result.status == "FAILURE":
            if hasattr(result, "traceback") and result.traceback:
                raise Exception(f"Task failed: {result.traceback}")
            raise Exception("Task failed")
    """,
    # a branch that does not raise is not this rule's concern
    """
    def fetch(result):
        if result.status == "FAILURE":
            logger.error("task failed")
            return {"error": "Task failed"}
    """,
    # the traceback used elsewhere in the branch, or through getattr
    """
    def a(result):
        if result.failed():
            logger.error(result.traceback)
            raise RuntimeError("failed")

    def b(result):
        if result.failed():
            tb = getattr(result, "traceback", None)
            raise RuntimeError(f"failed: {tb}")
    """,
    # the exception itself: re-raised, chained, or in the message
    """
    def a(result):
        if result.failed():
            raise result.result
    def b(result):
        if result.failed():
            raise RuntimeError("failed") from result.result
    def d(result):
        if result.failed():
            result.get()
            raise RuntimeError("unreachable")
    """,
    # bare re-raise, and a raise in a handler inside the branch
    """
    def a(result):
        try:
            pass
        except Exception:
            if result.failed():
                raise
    def b(result):
        if result.failed():
            try:
                cleanup()
            except OSError as exc:
                raise CleanupError() from exc
            return None
    """,
    # branches that also cover SUCCESS or unready states
    """
    def a(result):
        if result.ready():
            raise RuntimeError("done")
        if result.status != "SUCCESS":
            raise RuntimeError("not yet")
        if result.status in ("PENDING", "FAILURE"):
            raise RuntimeError("mixed")
    """,
    # look-alikes: dicts, HTTP codes, another object's failure
    """
    def handler(d, response, result, other):
        if d["status"] == "FAILURE":
            raise RuntimeError("dict")
        if response.status_code == 500:
            raise RuntimeError("http")
        if other.status == "FAILURE":
            raise RuntimeError(other.traceback)
    """,
    # a raise in a nested def is not the branch's
    """
    def fetch(result):
        if result.failed():
            def later():
                raise RuntimeError("later")
            return later
    """,
    # the checklist's sync helper
    """
    import time

    def _run_sync_task_with_polling(task_signature, timeout: float, poll_interval: float):
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
    """,
    # REVOKED only is not FAILURE
    """
    from celery import states

    def fetch(result):
        if result.state == states.REVOKED:
            raise RuntimeError("cancelled")
    """,
    # the traceback or the exception read before the branch and used in it
    """
    def a(result):
        tb = result.traceback
        if result.status == "FAILURE":
            raise RuntimeError(f"Task failed: {tb}")
        return result.result

    def b(result):
        details = getattr(result, "traceback", None)
        if result.failed():
            logger.error(details)
            raise RuntimeError("Task failed")

    def c(result):
        error = result.get(propagate=False)
        if result.failed():
            raise RuntimeError("Task failed") from error
    """,
    # not Celery: a payment declined in a module that never uses Celery
    """
    class PaymentError(Exception):
        pass

    def charge(gateway, order):
        payment = gateway.charge(order.total)
        if payment.status == "FAILURE":
            raise PaymentError("declined")
        return payment
    """,
]


@pytest.mark.parametrize("source,expected", INVALID)
def test_invalid(source, expected):
    assert lines(source, CODE) == expected


@pytest.mark.parametrize("source", VALID)
def test_valid(source):
    assert lines(source, CODE) == []


def test_docs_examples():
    rule = rule_by_code(CODE)
    assert lines(rule.doc_example("Example"), CODE)
    assert lines(rule.doc_example("Use instead"), CODE) == []


def test_cel004_fix_output_is_clean():
    result = fixed(
        """
        def fetch(result):
            if result.status == "SUCCESS":
                return result.result
        """,
        "CEL004",
    )
    assert [f.code for f in findings(result, raw=True)] == []


# --- fixes ------------------------------------------------------------------------------------
def test_fix_checklist_anti_pattern():
    assert_fix(
        """
        from celery.result import AsyncResult

        def fetch(result: AsyncResult):
            if result.status == "FAILURE":
                # give up
                raise Exception("Task failed")  # no context
        """,
        """
        from celery.result import AsyncResult

        def fetch(result: AsyncResult):
            if result.status == "FAILURE":
                # give up
                if hasattr(result, "traceback") and result.traceback:
                    raise Exception(f"Task failed: {result.traceback}")
                raise Exception("Task failed")  # no context
        """,
        CODE,
    )


def test_fix_keeps_class_fstring_and_cause():
    assert_fix(
        """
        from celery import states as st

        def fetch(self, exc):
            if self.res.state in (st.FAILURE,):
                raise errors.TaskError(f"task {self.res.id} failed") from exc
        """,
        """
        from celery import states as st

        def fetch(self, exc):
            if self.res.state in (st.FAILURE,):
                if hasattr(self.res, "traceback") and self.res.traceback:
                    raise errors.TaskError(f"task {self.res.id} failed: {self.res.traceback}") from exc
                raise errors.TaskError(f"task {self.res.id} failed") from exc
        """,
        CODE,
    )


def test_fix_keeps_crlf_tabs_and_quotes():
    before = "def fetch(result):\r\n\tif result.failed():\r\n\t\traise RuntimeError('boom {x}')\r\n"
    after = (
        "def fetch(result):\r\n"
        "\tif result.failed():\r\n"
        "\t\tif hasattr(result, 'traceback') and result.traceback:\r\n"
        "\t\t\traise RuntimeError(f'boom {{x}}: {result.traceback}')\r\n"
        "\t\traise RuntimeError('boom {x}')\r\n"
    )
    assert fixed(before, CODE, raw=True) == after


def test_fix_one_line_branch():
    assert_fix(
        """
        def fetch(result):
            if result.failed(): raise ValueError  # short
            return result.result
        """,
        """
        def fetch(result):
            if result.failed():  # short
                if hasattr(result, "traceback") and result.traceback:
                    raise Exception(f"Task failed: {result.traceback}")
                raise ValueError
            return result.result
        """,
        CODE,
    )


def test_fix_generic_exception_for_complex_raise():
    assert_fix(
        """
        from proj.worker import app

        @app.task
        def fetch(result):
            status = result.status
            if status == "FAILURE":
                raise HTTPException(status_code=500, detail="Task failed")
        """,
        """
        from proj.worker import app

        @app.task
        def fetch(result):
            status = result.status
            if status == "FAILURE":
                if hasattr(result, "traceback") and result.traceback:
                    raise Exception(f"Task failed: {result.traceback}")
                raise HTTPException(status_code=500, detail="Task failed")
        """,
        CODE,
    )


def test_no_fix_when_raise_shares_its_line():
    assert_no_fix(
        """
        def fetch(result):
            if result.failed():
                log("x"); raise ValueError("y")
        """,
        CODE,
    )


def test_no_fix_for_a_call_result():
    assert_no_fix(
        """
        def fetch(app, task_id):
            if app.AsyncResult(task_id).failed():
                raise ValueError("y")
        """,
        CODE,
    )


def test_fix_goes_before_the_branch_own_raise():
    assert_fix(
        """
        def fetch(result):
            if result.failed():
                def later():
                    raise ValueError("later")
                raise RuntimeError("now")
        """,
        """
        def fetch(result):
            if result.failed():
                def later():
                    raise ValueError("later")
                if hasattr(result, "traceback") and result.traceback:
                    raise RuntimeError(f"now: {result.traceback}")
                raise RuntimeError("now")
        """,
        CODE,
    )
