"""CEL016 blocking-helper-in-async: an async def calls a synchronous workspace helper that blocks."""

from ruletest import dedent, workspace, workspace_cases, workspace_fixed, workspace_lines, workspace_messages

CODE = "CEL016"

HELPERS = """
import time
from time import sleep as nap

from celery.result import AsyncResult


def wait_for(task_id, timeout=30):
    result = AsyncResult(task_id)
    while not result.ready():
        time.sleep(0.5)
    return result.result


def fetch(task_id):
    return AsyncResult(task_id).get(timeout=10)


def backoff(seconds):
    nap(seconds)


def level1(x):
    return level2(x)


def level2(x):
    return level3(x)


def level3(x):
    return backoff(x)


def quick(x):
    return {"x": x}.get("x")
"""


def server(api: str, files: dict[str, str] | None = None) -> dict[str, str]:
    """A FastAPI-like `server/` service: `app/api.py` is `api`, `app/helpers.py` the helpers."""
    return {
        "server/requirements.txt": "fastapi\n",
        "server/app/__init__.py": "",
        "server/app/helpers.py": HELPERS,
        "server/app/api.py": api,
        **(files or {}),
    }


INVALID = [
    # (files, [(path, line)])
    (  # a helper that sleeps, one that waits on a result, one that sleeps through an alias
        server(
            """
            from app.helpers import backoff, fetch, wait_for

            async def status(task_id):
                backoff(1)
                value = fetch(task_id)
                return wait_for(task_id)
            """
        ),
        [("server/app/api.py", 4), ("server/app/api.py", 5), ("server/app/api.py", 6)],
    ),
    (  # three calls deep, through a module imported whole
        server(
            """
            from app import helpers

            async def slow(x):
                return helpers.level1(x)
            """
        ),
        [("server/app/api.py", 4)],
    ),
    (  # a configured polling helper (default `_run_sync_task_with_polling`)
        server(
            """
            from app.polling import search

            async def find(query):
                return {"results": search(query)}
            """,
            {
                "server/app/polling.py": """
                from app.client import _run_sync_task_with_polling

                def search(query):
                    return _run_sync_task_with_polling(query, timeout=30) or []
                """,
                "server/app/client.py": """
                def _run_sync_task_with_polling(task, timeout, poll_interval=0.5):
                    return task
                """,
            },
        ),
        [("server/app/api.py", 4)],
    ),
    (  # a method: `self.helper()` in an async method
        server(
            """
            import time

            class Poller:
                def pause(self):
                    time.sleep(1)

                async def run(self):
                    self.pause()
            """
        ),
        [("server/app/api.py", 8)],
    ),
    (  # re-exported through a package's `__init__.py`, and a wait Celery allows in a task
        server(
            """
            from app.waiting import join_all

            async def collect(ids):
                return join_all(ids)
            """,
            {
                "server/app/waiting/__init__.py": "from .impl import join_all\n",
                "server/app/waiting/impl.py": """
                from celery.result import GroupResult, allow_join_result

                def join_all(group_id):
                    with allow_join_result():
                        return GroupResult.restore(group_id).join(timeout=30)
                """,
            },
        ),
        [("server/app/api.py", 4)],
    ),
    (  # inside nested blocks of the async def; in an expression; in an async method of a route class
        server(
            """
            from app.helpers import backoff, wait_for

            async def many(ids, lock):
                for task_id in ids:
                    async with lock:
                        try:
                            total = len(wait_for(task_id)) + 1
                        finally:
                            backoff(0.1)
            """
        ),
        [("server/app/api.py", 7), ("server/app/api.py", 9)],
    ),
    (  # a helper of another service (the model follows imports that resolve anywhere)
        {
            "gateway/requirements.txt": "",
            "gateway/routes.py": """
            from shared.retry import retry_sleep

            async def handler():
                retry_sleep()
            """,
            "shared/setup.py": "",
            "shared/shared/__init__.py": "",
            "shared/shared/retry.py": """
            import time

            def retry_sleep():
                time.sleep(2)
            """,
        },
        [("gateway/routes.py", 4)],
    ),
    (  # a function of the same module, called by a bare name
        server(
            """
            import time

            def throttle():
                time.sleep(0.2)

            async def tick():
                throttle()
            """
        ),
        [("server/app/api.py", 7)],
    ),
]

VALID = [
    server(  # awaited, or handed to a thread
        """
        import asyncio

        from app.helpers import backoff, fetch, wait_for

        async def status(task_id):
            await asyncio.to_thread(wait_for, task_id)
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, fetch, task_id)
            await loop.run_in_executor(None, backoff, 1)
            return await poll(task_id)

        async def poll(task_id):
            await asyncio.sleep(1)
        """
    ),
    server(  # four calls deep is beyond what the rule follows
        """
        from app.helpers import level1

        def level0(x):
            return level1(x)

        async def slow(x):
            return level0(x)
        """
    ),
    server(  # helpers that do not block; a library's functions
        """
        import requests

        from app.helpers import quick

        async def fine(x):
            quick(x)
            return requests.get("http://x", timeout=3)
        """
    ),
    server(  # a sync function calling a blocking helper is CEL016's concern only from async code
        """
        from app.helpers import wait_for

        def status(task_id):
            return wait_for(task_id)
        """
    ),
    server(  # passed on uncalled; called in a nested sync def or lambda the async def only defines
        """
        import asyncio

        from app.helpers import backoff, wait_for

        async def later(task_id):
            asyncio.get_running_loop().call_soon(backoff, 1)
            def sync_part():
                return wait_for(task_id)
            callback = lambda: wait_for(task_id)
            return sync_part, callback
        """
    ),
    server(  # a helper that only defines a blocking function; an async helper that sleeps properly
        """
        import asyncio
        import time

        def make_sleeper():
            def sleeper():
                time.sleep(1)
            return sleeper

        async def pause():
            await asyncio.sleep(1)

        async def run():
            make_sleeper()
            await pause()
        """
    ),
    server(  # an awaited call of a sync helper returning an awaitable is not blocking it
        """
        import asyncio

        from app.helpers import backoff

        def later(seconds):
            return asyncio.sleep(seconds)

        async def run():
            await later(1)
        """
    ),
    server(  # a name shadowed in the async def is not the helper
        """
        from app.helpers import wait_for

        async def run(task_id, wait_for=None):
            return wait_for(task_id)
        """
    ),
]


test_invalid, test_valid = workspace_cases(CODE, INVALID, VALID)


def messages(tmp_path, files):
    return workspace_messages(tmp_path, files, CODE)


def test_message_names_the_call_path(tmp_path):
    (message,) = messages(tmp_path, INVALID[1][0])
    assert message == (
        "`helpers.level1()` blocks the event loop in `async def slow`: helpers.level1 -> helpers.level2 -> "
        "helpers.level3 -> helpers.backoff -> nap(seconds); run it with `await asyncio.to_thread(...)`"
    )


def test_message_names_the_wait(tmp_path):
    found = messages(tmp_path, INVALID[0][0])
    assert "helpers.fetch -> AsyncResult(task_id).get(timeout=10)" in found[1]
    assert "helpers.wait_for -> time.sleep(0.5)" in found[2]


def fix(tmp_path, api: str, files=None) -> str:
    root = workspace(tmp_path, server(api, files))
    return workspace_fixed(root, "server/app/api.py", CODE)


def test_fix_runs_the_helper_in_a_thread_and_adds_the_import(tmp_path):
    assert fix(
        tmp_path,
        """
        \"\"\"The API.\"\"\"
        from app.helpers import fetch, wait_for

        async def status(task_id, timeout):
            value = fetch(task_id)  # the value
            return wait_for(task_id, timeout=timeout)
        """,
    ) == dedent(
        """
        \"\"\"The API.\"\"\"
        from app.helpers import fetch, wait_for
        import asyncio

        async def status(task_id, timeout):
            value = await asyncio.to_thread(fetch, task_id)  # the value
            return await asyncio.to_thread(wait_for, task_id, timeout=timeout)
        """
    )


def test_fix_reuses_an_asyncio_alias(tmp_path):
    assert fix(
        tmp_path,
        """
        import asyncio as aio

        from app.helpers import backoff

        async def pause():
            backoff(1)
        """,
    ) == dedent(
        """
        import asyncio as aio

        from app.helpers import backoff

        async def pause():
            await aio.to_thread(backoff, 1)
        """
    )


def test_fix_parenthesises_where_the_result_is_read(tmp_path):
    assert fix(
        tmp_path,
        """
        import asyncio

        from app import helpers

        async def status(task_id):
            keys = helpers.wait_for(task_id).keys()
            first = helpers.fetch(task_id)[0]
            return keys, first
        """,
    ) == dedent(
        """
        import asyncio

        from app import helpers

        async def status(task_id):
            keys = (await asyncio.to_thread(helpers.wait_for, task_id)).keys()
            first = (await asyncio.to_thread(helpers.fetch, task_id))[0]
            return keys, first
        """
    )


def test_fix_for_a_method_and_star_arguments(tmp_path):
    assert fix(
        tmp_path,
        """
        import asyncio
        import time

        class Poller:
            def pause(self, *args, **kwargs):
                time.sleep(1)

            async def run(self, args, options):
                self.pause(*args, **options)
        """,
    ) == dedent(
        """
        import asyncio
        import time

        class Poller:
            def pause(self, *args, **kwargs):
                time.sleep(1)

            async def run(self, args, options):
                await asyncio.to_thread(self.pause, *args, **options)
        """
    )


def test_no_fix_in_a_generator_expression(tmp_path):
    files = server(
        """
        from app.helpers import fetch

        async def all_of(ids):
            return list(fetch(i) for i in ids)
        """
    )
    root = workspace(tmp_path, files)
    assert workspace_lines(root, CODE) == [("server/app/api.py", 4)]
    before = (root / "server/app/api.py").read_text()
    assert workspace_fixed(root, "server/app/api.py", CODE) == before
