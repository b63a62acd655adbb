"""CEL010 polling-result-without-default: detection and fix cases."""

import pytest

from celery_patterns.config import Settings
from ruletest import assert_fix, assert_no_fix, findings, fixed, lines

CODE = "CEL010"

INVALID = [
    # (source, lines flagged); the documentation's examples are checked by test_rule_docs.py
    # bound and used without a check
    (
        """
    def stats(task):
        result = _run_sync_task_with_polling(task, timeout=30)
        return result["count"]
    """,
        [2],
    ),
    # annotated assignment, at module level
    (
        """
    STATS: dict = _run_sync_task_with_polling(task, timeout=5)
    """,
        [1],
    ),
    # a walrus passed on
    (
        """
    def stats(task):
        log(result := _run_sync_task_with_polling(task))
        return result
    """,
        [2],
    ),
    # an import alias of the helper, and a module attribute
    (
        """
    from server.core.celery.rag_client import _run_sync_task_with_polling as poll
    from server.core.celery import rag_client as rc

    def stats(task):
        if task:
            return poll(task, timeout=30)
        return rc._run_sync_task_with_polling(task, timeout=30)
    """,
        [6, 7],
    ),
    # a method, awaited, inside try/with
    (
        """
    class Client:
        async def stats(self, task):
            try:
                with self.lock:
                    return await self._run_sync_task_with_polling(task)
            except KeyError:
                raise
    """,
        [5],
    ),
    # a local alias of the helper defined in this module
    (
        """
    def _run_sync_task_with_polling(task, timeout):
        return None

    def stats(task):
        poll = _run_sync_task_with_polling
        return poll(task, 30)
    """,
        [6],
    ),
    # a check before the binding, on another name, or in a nested function does not count
    (
        """
    def stats(task, previous):
        if previous is None:
            pass
        result = _run_sync_task_with_polling(task)
        if previous:
            pass
        def later():
            return result or {}
        return result
    """,
        [4],
    ),
    # unpacked: a timeout raises TypeError far from the cause (flagged, no fix)
    (
        """
    def stats(task):
        ok, data = _run_sync_task_with_polling(task)
        return data
    """,
        [2],
    ),
    # an annotation that allows None is flagged too (no fix)
    (
        """
    from typing import Optional

    def stats(task) -> Optional[dict]:
        return _run_sync_task_with_polling(task)
    """,
        [4],
    ),
    # several targets
    (
        """
    def stats(self, task):
        self.cache = latest = _run_sync_task_with_polling(task)
        return latest
    """,
        [2],
    ),
    # checked, but the None branch only logs and the value is still returned
    (
        """
    def stats(task) -> dict:
        result = _run_sync_task_with_polling(task, timeout=30)
        if not result:
            log.warning("timed out")  # noticed, not handled
        return result

    def more(task) -> dict:
        result = _run_sync_task_with_polling(task, timeout=30)
        if result is not None:
            cache.set("stats", result)
        return result
    """,
        [2, 8],
    ),
    # run on a thread: asyncio.to_thread (module alias), run_in_executor, partial
    (
        """
    import asyncio as aio
    import functools
    from core.rag import _run_sync_task_with_polling as poll

    async def stats(task) -> dict:
        return await aio.to_thread(poll, task, 30, 0.5)

    async def more(task, loop):
        data = await loop.run_in_executor(None, functools.partial(poll, task, timeout=30))
        return data

    async def other(task):
        return await aio.get_running_loop().run_in_executor(None, lambda: poll(task, 30))
    """,
        [6, 9, 13],
    ),
    # a partial called at once, and one bound to a name first
    (
        """
    from functools import partial
    from core.rag import _run_sync_task_with_polling

    def stats(task):
        return partial(_run_sync_task_with_polling, task)(timeout=30)

    def more(task):
        run = partial(_run_sync_task_with_polling, timeout=30)
        return run(task)
    """,
        [5, 9],
    ),
    # through a conditional expression, `and`, and an `or None`
    (
        """
    from core.celery import rag_client as rc

    def stats(task, cached) -> dict:
        if cached is None:
            return rc._run_sync_task_with_polling(task, timeout=30) if not cached else cached
        if task.fast:
            return task.ready and rc._run_sync_task_with_polling(task)
        return rc._run_sync_task_with_polling(task) or None  # no default
    """,
        [5, 7, 8],
    ),
    # used directly: subscripted, an attribute, len(), iterated, unpacked
    (
        """
    def stats(task):
        count = _run_sync_task_with_polling(task, timeout=30)["document_count"]
        status = _run_sync_task_with_polling(task).get("status")
        size = len(_run_sync_task_with_polling(task))
        for hit in _run_sync_task_with_polling(task):
            print(hit)
        return {**_run_sync_task_with_polling(task), "count": count}
    """,
        [2, 3, 4, 5, 7],
    ),
    # a local alias bound after a placeholder
    (
        """
    poll = None
    from core.rag import _run_sync_task_with_polling as poll

    def stats(task):
        return poll(task, 30, 1)
    """,
        [5],
    ),
]

VALID = [
    # the checklist's helper itself
    """
    import time
    from typing import Any

    def _run_sync_task_with_polling(task_signature, timeout: float, poll_interval: float) -> Any:
        \"\"\"Helper for synchronous contexts to poll a Celery AsyncResult.\"\"\"
        result = task_signature.apply_async()
        waited = 0.0
        while waited < timeout:
            time.sleep(poll_interval)
            waited += poll_interval
        if result.status == "SUCCESS":
            return result.result
        elif result.status == "FAILURE":
            raise Exception("Task failed")
        if timeout > 1000:
            return _run_sync_task_with_polling(task_signature, timeout / 2, poll_interval)
        return None
    """,
    # a default anywhere
    """
    def stats(task):
        result = _run_sync_task_with_polling(task) or {}
        data = (_run_sync_task_with_polling(task) or [])
        return result, data
    """,
    # the value discarded
    """
    def warm_up(task):
        _run_sync_task_with_polling(task, timeout=5)
    """,
    # checked explicitly after the binding
    """
    def stats(task):
        result = _run_sync_task_with_polling(task)
        if result is None:
            return {"status": "degraded"}
        return result
    """,
    """
    def stats(task):
        result: dict = _run_sync_task_with_polling(task)
        if not result:
            raise TimeoutError("stats")
        return result
    """,
    """
    def stats(self, task):
        self.result = _run_sync_task_with_polling(task)
        return self.result or {}
    """,
    """
    def stats(task):
        result = _run_sync_task_with_polling(task)
        assert isinstance(result, dict)
        return result if result is not None else {}
    """,
    # a walrus that is itself the check
    """
    def stats(task):
        if (result := _run_sync_task_with_polling(task)) is None:
            return {}
        while not (again := _run_sync_task_with_polling(task)):
            pass
        return result, again
    """,
    # a loop that re-checks the binding, and a match on None
    """
    def stats(task):
        result = None
        while result is None:
            result = _run_sync_task_with_polling(task)
        return result

    def more(task):
        result = _run_sync_task_with_polling(task)
        match result:
            case None:
                return {}
            case _:
                return result
    """,
    # a check whose None branch leaves, rebinds, or after which the name is not read
    """
    def stats(task) -> dict:
        result = _run_sync_task_with_polling(task)
        if result is None:
            log.warning("timed out")
            return {"status": "degraded"}
        return result

    def rebinds(task) -> dict:
        result = _run_sync_task_with_polling(task)
        if not result:
            log.warning("timed out")
            result = {}
        return result

    def split(task) -> dict:
        result = _run_sync_task_with_polling(task)
        if result:
            data = result["stats"]
        else:
            log.warning("timed out")
            data = {}
        return data

    def early(task) -> dict:
        result = _run_sync_task_with_polling(task)
        if result is None or not result.get("ok"):
            raise TimeoutError("stats")
        return result

    def positive(task) -> dict:
        result = _run_sync_task_with_polling(task)
        if result:
            return result
        return {"status": "degraded"}
    """,
    # run on a thread, with a default; an unawaited to_thread is a coroutine
    """
    import asyncio

    async def stats(task) -> dict:
        return await asyncio.to_thread(_run_sync_task_with_polling, task, 30, 0.5) or {}

    async def later(task):
        pending = asyncio.to_thread(_run_sync_task_with_polling, task)
        return pending
    """,
    # to_thread of another function, and a look-alike runner
    """
    import asyncio

    async def stats(task, pool):
        a = await asyncio.to_thread(_run_sync_task_with_polling_v2, task)
        b = await pool.submit(_run_sync_task_with_polling, task)
        return a, b
    """,
    # used in a test, or a default inside the conditional expression
    """
    def stats(task, cached):
        if _run_sync_task_with_polling(task) and cached:
            return cached
        return (_run_sync_task_with_polling(task) or {}) if not cached else cached
    """,
    # part of a bigger expression
    """
    def stats(task):
        return [_run_sync_task_with_polling(task)]

    def count(task):
        return normalise(_run_sync_task_with_polling(task))
    """,
    # similar names are other functions
    """
    from server.client import _run_sync_task_with_polling_v2 as _run_sync_task_with_polling

    def stats(task):
        a = run_sync_task_with_polling(task)
        b = _run_sync_task_with_polling_v2(task)
        c = self._run_sync_task_with_polling_async(task)
        return _run_sync_task_with_polling(task)
    """,
]


@pytest.mark.parametrize("source,expected", INVALID)
def test_invalid(source, expected):
    assert lines(source, CODE) == expected


@pytest.mark.parametrize("source", VALID)
def test_valid(source):
    assert lines(source, CODE) == []


def test_configured_helpers():
    settings = Settings(polling_helpers=("wait_for_task",))
    source = """
    def stats(task):
        a = wait_for_task(task)
        return _run_sync_task_with_polling(task)
    """
    assert lines(source, CODE, settings=settings) == [2]


# --- fixes ---------------------------------------------------------------------------------
def test_fix_checklist_default_keeps_trailing_comment():
    assert_fix(
        """
        def database_stats(task) -> dict:
            return _run_sync_task_with_polling(task, timeout=30)  # the worker may be slow
        """,
        """
        def database_stats(task) -> dict:
            return _run_sync_task_with_polling(task, timeout=30) or {
                "status": "degraded",
                "message": "Task timed out",
            }  # the worker may be slow
        """,
        CODE,
    )


def test_fix_keeps_crlf_and_tabs():
    before = (
        "class Client:\r\n\tdef stats(self, task):\r\n\t\tif task:\r\n"
        "\t\t\treturn self._run_sync_task_with_polling(task)\r\n"
    )
    after = (
        "class Client:\r\n\tdef stats(self, task):\r\n\t\tif task:\r\n"
        "\t\t\treturn self._run_sync_task_with_polling(task) or {\r\n"
        '\t\t\t\t"status": "degraded",\r\n\t\t\t\t"message": "Task timed out",\r\n\t\t\t}\r\n'
    )
    assert fixed(before, CODE, raw=True) == after


def test_fix_list_annotation_and_alias_with_comment_in_call():
    assert_fix(
        """
        from server.core.celery.rag_client import _run_sync_task_with_polling as poll


        def search(task) -> list[dict]:
            hits = poll(
                task,  # the query signature
                timeout=10,
            )
            return hits
        """,
        """
        from server.core.celery.rag_client import _run_sync_task_with_polling as poll


        def search(task) -> list[dict]:
            hits = poll(
                task,  # the query signature
                timeout=10,
            ) or []
            return hits
        """,
        CODE,
    )


def test_fix_variable_annotation_wins_over_return_annotation():
    assert_fix(
        """
        from typing import Sequence

        def names(task) -> dict:
            found: Sequence[str] = _run_sync_task_with_polling(task)
            return {"names": found}
        """,
        """
        from typing import Sequence

        def names(task) -> dict:
            found: Sequence[str] = _run_sync_task_with_polling(task) or []
            return {"names": found}
        """,
        CODE,
    )


def test_fix_await_and_string_annotation():
    assert_fix(
        """
        class Client:
            async def ids(self, task) -> "List[int]":
                return await self._run_sync_task_with_polling(task)
        """,
        """
        class Client:
            async def ids(self, task) -> "List[int]":
                return await self._run_sync_task_with_polling(task) or []
        """,
        CODE,
    )


@pytest.mark.parametrize(
    "annotation,default",
    [
        ("Tuple[str, ...]", "()"),
        ("set[str]", "set()"),
        ("typing.Mapping[str, int]", None),
        ("Any", None),
        ("Annotated[list[int], 'ids']", "[]"),
    ],
)
def test_fix_default_follows_annotation(annotation, default):
    source = f"def stats(task) -> {annotation}:\n    return _run_sync_task_with_polling(task)\n"
    result = fixed(source, CODE, raw=True)
    if default is None:
        assert result.endswith(' or {\n        "status": "degraded",\n        "message": "Task timed out",\n    }\n')
    else:
        assert result.endswith(f"return _run_sync_task_with_polling(task) or {default}\n")


def test_fix_walrus():
    assert_fix(
        """
        def stats(task):
            log(result := _run_sync_task_with_polling(task))
            return result
        """,
        """
        def stats(task):
            log(result := _run_sync_task_with_polling(task) or {
                "status": "degraded",
                "message": "Task timed out",
            })
            return result
        """,
        CODE,
    )


@pytest.mark.parametrize(
    "source",
    [
        """
    from typing import Optional

    def stats(task) -> Optional[dict]:
        return _run_sync_task_with_polling(task)
    """,
        """
    def stats(task) -> dict | None:
        return _run_sync_task_with_polling(task)
    """,
        """
    def stats(task) -> "Union[None, dict]":
        return _run_sync_task_with_polling(task)
    """,
        """
    def name(task) -> str:
        return _run_sync_task_with_polling(task)
    """,
        """
    def ok(task) -> tuple[bool, dict]:
        result = _run_sync_task_with_polling(task)
        return result
    """,
        """
    def stats(task):
        ok, data = _run_sync_task_with_polling(task)
        return data
    """,
        # used directly: the right default depends on what the code reads from it
        """
    def count(task) -> int:
        return _run_sync_task_with_polling(task, timeout=30)["document_count"]
    """,
        """
    def status(task):
        return _run_sync_task_with_polling(task).get("status")
    """,
        """
    def size(task):
        return len(_run_sync_task_with_polling(task))
    """,
    ],
)
def test_no_fix(source):
    assert_no_fix(source, CODE)


def test_no_fix_reason_names_the_annotation():
    [finding] = findings(
        """
        def name(task) -> str:
            return _run_sync_task_with_polling(task)
        """,
        CODE,
    )
    assert "`str`" in finding.no_fix_reason


def test_fix_to_thread_wraps_the_awaited_call():
    assert_fix(
        """
        import asyncio

        async def database_stats(task) -> dict:
            return await asyncio.to_thread(_run_sync_task_with_polling, task, 30, 0.5)
        """,
        """
        import asyncio

        async def database_stats(task) -> dict:
            return await asyncio.to_thread(_run_sync_task_with_polling, task, 30, 0.5) or {
                "status": "degraded",
                "message": "Task timed out",
            }
        """,
        CODE,
    )


def test_fix_conditional_and_and_are_parenthesised():
    assert_fix(
        """
        def stats(task, cached) -> list:
            if task:
                return _run_sync_task_with_polling(task) if not cached else cached
            return task.ready and _run_sync_task_with_polling(task)
        """,
        """
        def stats(task, cached) -> list:
            if task:
                return (_run_sync_task_with_polling(task) or []) if not cached else cached
            return task.ready and (_run_sync_task_with_polling(task) or [])
        """,
        CODE,
    )


def test_fix_iterated_gets_an_empty_list():
    assert_fix(
        """
        def names(task) -> dict:
            for hit in _run_sync_task_with_polling(task):  # hits
                print(hit)
            return {h: 1 for h in _run_sync_task_with_polling(task)}
        """,
        """
        def names(task) -> dict:
            for hit in _run_sync_task_with_polling(task) or []:  # hits
                print(hit)
            return {h: 1 for h in _run_sync_task_with_polling(task) or []}
        """,
        CODE,
    )


def test_fix_checked_but_not_handled():
    assert_fix(
        """
        def stats(task) -> dict:
            result = _run_sync_task_with_polling(task)
            if not result:
                log.warning("timed out")
            return result
        """,
        """
        def stats(task) -> dict:
            result = _run_sync_task_with_polling(task) or {
                "status": "degraded",
                "message": "Task timed out",
            }
            if not result:
                log.warning("timed out")
            return result
        """,
        CODE,
    )


def test_fix_goes_after_the_parentheses_that_group_the_value():
    assert_fix(
        """
        def stats(task) -> dict:
            return (  # why
                _run_sync_task_with_polling(task)  # slow
            )

        async def ids(task, cached) -> list:
            if cached:
                return cached and (_run_sync_task_with_polling(task))
            return (await _run_sync_task_with_polling(task))
        """,
        """
        def stats(task) -> dict:
            return (  # why
                _run_sync_task_with_polling(task)  # slow
            ) or {
                "status": "degraded",
                "message": "Task timed out",
            }

        async def ids(task, cached) -> list:
            if cached:
                return cached and ((_run_sync_task_with_polling(task)) or [])
            return (await _run_sync_task_with_polling(task)) or []
        """,
        CODE,
    )


def test_fix_indents_the_default_as_the_statement():
    assert_fix(
        """
        class Client:
          def stats(self, task):
            if task: return self._run_sync_task_with_polling(task)
            x = 1; return self._run_sync_task_with_polling("a#b(", task)  # ( c
        """,
        """
        class Client:
          def stats(self, task):
            if task: return self._run_sync_task_with_polling(task) or {
              "status": "degraded",
              "message": "Task timed out",
            }
            x = 1; return self._run_sync_task_with_polling("a#b(", task) or {
              "status": "degraded",
              "message": "Task timed out",
            }  # ( c
        """,
        CODE,
    )
