"""CEL010 polling-result-without-default: detection and fix cases."""

import pytest
from ruletest import assert_fix, assert_no_fix, findings, fixed, lines

from celery_patterns.config import Settings
from celery_patterns.rules import rule_by_code

CODE = "CEL010"

INVALID = [
    # (source, lines flagged)
    # the checklist's case: returned as is
    ("""
    def database_stats(task) -> dict:
        return _run_sync_task_with_polling(task, timeout=30, poll_interval=0.5)
    """, [2]),
    # bound and used without a check
    ("""
    def stats(task):
        result = _run_sync_task_with_polling(task, timeout=30)
        return result["count"]
    """, [2]),
    # annotated assignment, at module level
    ("""
    STATS: dict = _run_sync_task_with_polling(task, timeout=5)
    """, [1]),
    # a walrus passed on
    ("""
    def stats(task):
        log(result := _run_sync_task_with_polling(task))
        return result
    """, [2]),
    # an import alias of the helper, and a module attribute
    ("""
    from server.core.celery.rag_client import _run_sync_task_with_polling as poll
    from server.core.celery import rag_client as rc

    def stats(task):
        if task:
            return poll(task, timeout=30)
        return rc._run_sync_task_with_polling(task, timeout=30)
    """, [6, 7]),
    # a method, awaited, inside try/with
    ("""
    class Client:
        async def stats(self, task):
            try:
                with self.lock:
                    return await self._run_sync_task_with_polling(task)
            except KeyError:
                raise
    """, [5]),
    # a local alias of the helper defined in this module
    ("""
    def _run_sync_task_with_polling(task, timeout):
        return None

    def stats(task):
        poll = _run_sync_task_with_polling
        return poll(task, 30)
    """, [6]),
    # a check before the binding, on another name, or in a nested function does not count
    ("""
    def stats(task, previous):
        if previous is None:
            pass
        result = _run_sync_task_with_polling(task)
        if previous:
            pass
        def later():
            return result or {}
        return result
    """, [4]),
    # unpacked: a timeout raises TypeError far from the cause (flagged, no fix)
    ("""
    def stats(task):
        ok, data = _run_sync_task_with_polling(task)
        return data
    """, [2]),
    # an annotation that allows None is flagged too (no fix)
    ("""
    from typing import Optional

    def stats(task) -> Optional[dict]:
        return _run_sync_task_with_polling(task)
    """, [4]),
    # several targets
    ("""
    def stats(self, task):
        self.cache = latest = _run_sync_task_with_polling(task)
        return latest
    """, [2]),
]

VALID = [
    # the checklist's recommended code
    """
    def health_check(task):
        return _run_sync_task_with_polling(task, timeout=30) or {
            "status": "degraded",
            "message": "Task timed out",
        }
    """,
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


def test_documentation_examples():
    rule = rule_by_code(CODE)
    assert lines(rule.doc_example("Example"), CODE)
    assert lines(rule.doc_example("Use instead"), CODE) == []


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
        "\t\t\t\t\"status\": \"degraded\",\r\n\t\t\t\t\"message\": \"Task timed out\",\r\n\t\t\t}\r\n"
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


@pytest.mark.parametrize("annotation,default", [
    ("Tuple[str, ...]", "()"),
    ("set[str]", "set()"),
    ("typing.Mapping[str, int]", None),
    ("Any", None),
    ("Annotated[list[int], 'ids']", "[]"),
])
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


@pytest.mark.parametrize("source", [
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
])
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
