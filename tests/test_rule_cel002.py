"""CEL002 blocking-sleep-in-async: detection and fix cases."""

import pytest

from ruletest import assert_fix, assert_no_fix, fixed, lines

CODE = "CEL002"

INVALID = [
    # (source, lines flagged)
    (
        """
    import time

    async def poll():
        time.sleep(1)
    """,
        [4],
    ),
    (
        """
    import time as t

    async def poll():
        t.sleep(1)
    """,
        [4],
    ),
    (
        """
    from time import sleep as nap

    async def poll():
        nap(0.5)
    """,
        [4],
    ),
    (
        """
    import time
    nap = time.sleep

    async def poll():
        nap(2)
    """,
        [5],
    ),
    (
        """
    import time

    async def poll(result):
        for _ in range(3):
            with lock:
                try:
                    if result:
                        time.sleep(1)
                except Exception:
                    time.sleep(
                        2,  # back off
                    )
    """,
        [8, 10],
    ),
    (
        """
    import time

    class Poller:
        async def wait(self):
            while True:
                time.sleep(self.interval)
    """,
        [6],
    ),
    (
        """
    def outer():
        import time
        async def inner():
            time.sleep(1)
        return inner
    """,
        [4],
    ),
    (
        """
    import time

    async def poll(items):
        return [time.sleep(i) for i in items]
    """,
        [4],
    ),
    (
        """
    import time

    async def poll():
        def helper():
            return 1
        time.sleep(helper())
    """,
        [6],
    ),
    # a parameter named `asyncio` changes nothing about the blocking call
    (
        """
    import time as clock

    async def poll(asyncio):
        (clock
            .sleep)(1)
        return asyncio
    """,
        [4],
    ),
]

VALID = [
    # sync function next to an async one: grep would flag this
    """
    import time

    def poll():
        time.sleep(1)

    async def other():
        pass
    """,
    # nested def inside async def is its own scope
    """
    import time

    async def poll():
        def blocking():
            time.sleep(1)
        await asyncio.to_thread(blocking)
    """,
    # lambda is its own scope
    """
    import time

    async def poll(loop):
        await loop.run_in_executor(None, lambda: time.sleep(1))
    """,
    # passing time.sleep uncalled is the right way to block
    """
    import asyncio, time

    async def poll():
        await asyncio.to_thread(time.sleep, 1)
    """,
    # a parameter named time is not the module
    """
    import time

    async def poll(time):
        time.sleep(1)
    """,
    # a local that shadows the module
    """
    import time

    async def poll(clock):
        time = clock
        time.sleep(1)
    """,
    # a different sleep
    """
    import asyncio
    from trio import sleep

    async def poll():
        await asyncio.sleep(1)
        await sleep(1)
    """,
    # the checklist's recommended pattern
    """
    import asyncio

    async def ingest(result, timeout: int = 300, poll_interval: float = 2.0):
        waited = 0.0
        while waited < timeout:
            await asyncio.sleep(poll_interval)
            waited += poll_interval
    """,
    # class body nested in async def is its own scope
    """
    import time

    async def make():
        class Waiter:
            pause = time.sleep(0)
        return Waiter
    """,
    # not imported at all: some other `time` object
    """
    async def poll(self):
        self.time.sleep(1)
    """,
]


@pytest.mark.parametrize("source,expected", INVALID)
def test_invalid(source, expected):
    assert lines(source, CODE) == expected


@pytest.mark.parametrize("source", VALID)
def test_valid(source):
    assert lines(source, CODE) == []


def test_fix_plain():
    assert_fix(
        """
        import time

        async def poll():
            time.sleep(1)  # wait
        """,
        """
        import time
        import asyncio

        async def poll():
            await asyncio.sleep(1)  # wait
        """,
        CODE,
    )


def test_fix_reuses_alias_and_removes_unused_from_import():
    assert_fix(
        """
        import asyncio as aio
        from time import sleep as nap

        async def poll():
            nap(1)
        """,
        """
        import asyncio as aio

        async def poll():
            await aio.sleep(1)
        """,
        CODE,
    )


def test_fix_keeps_crlf_and_tabs():
    before = "import time\r\n\r\nasync def poll():\r\n\tif True:\r\n\t\ttime.sleep(1)\r\n"
    after = "import time\r\nimport asyncio\r\n\r\nasync def poll():\r\n\tif True:\r\n\t\tawait asyncio.sleep(1)\r\n"
    assert fixed(before, CODE, raw=True) == after


def test_fix_parenthesises_when_needed():
    assert_fix(
        """
        import asyncio, time

        async def poll():
            value = time.sleep(
                1,  # seconds
            ).real
        """,
        """
        import asyncio, time

        async def poll():
            value = (await asyncio.sleep(
                1,  # seconds
            )).real
        """,
        CODE,
    )


def test_no_fix_in_generator_expression():
    assert_no_fix(
        """
        import time

        async def poll(items):
            return list(time.sleep(i) for i in items)
        """,
        CODE,
    )


def test_fix_keeps_time_import_still_used():
    result = fixed(
        """
        from time import sleep, monotonic

        async def poll():
            start = monotonic()
            sleep(1)
        """,
        CODE,
    )
    assert "from time import monotonic" in result and "await asyncio.sleep(1)" in result


# --- the name the fix calls `sleep` on must be the asyncio module at the call -------------------
def test_fix_parameter_named_asyncio_gets_an_aliased_import():
    assert_fix(
        """
        import time

        async def poll(asyncio):
            time.sleep(1)
            return asyncio
        """,
        """
        import time
        import asyncio as aio

        async def poll(asyncio):
            await aio.sleep(1)
            return asyncio
        """,
        CODE,
    )


def test_fix_local_shadowing_the_imported_module():
    assert_fix(
        """
        import asyncio
        import time

        async def poll(loop_factory):
            asyncio = loop_factory()  # a helper object, not the module
            time.sleep(1)
            return asyncio
        """,
        """
        import asyncio
        import time
        import asyncio as aio

        async def poll(loop_factory):
            asyncio = loop_factory()  # a helper object, not the module
            await aio.sleep(1)
            return asyncio
        """,
        CODE,
    )


def test_fix_shadowed_alias_falls_back_to_plain_import():
    assert_fix(
        """
        import asyncio as aio
        import time

        async def poll(aio):
            time.sleep(1)
        """,
        """
        import asyncio as aio
        import time
        import asyncio

        async def poll(aio):
            await asyncio.sleep(1)
        """,
        CODE,
    )


def test_fix_class_attribute_named_asyncio_does_not_hide_the_module():
    # a method does not see its class body's names: `asyncio` there is the module
    assert_fix(
        """
        import asyncio
        import time

        class Poller:
            asyncio = None

            async def wait(self):
                time.sleep(1)
        """,
        """
        import asyncio
        import time

        class Poller:
            asyncio = None

            async def wait(self):
                await asyncio.sleep(1)
        """,
        CODE,
    )


@pytest.mark.parametrize(
    "source",
    [
        # `global` lets the coroutine rebind the module-level name
        """
    import asyncio
    import time

    async def poll():
        global asyncio
        asyncio = None
        time.sleep(1)
    """,
        # another function rebinds it through `global`
        """
    import asyncio
    import time

    def reset():
        global asyncio
        asyncio = None

    async def poll():
        time.sleep(1)
    """,
        # `nonlocal`: the enclosing function's variable
        """
    import asyncio
    import time

    def outer():
        asyncio = 1
        async def inner():
            nonlocal asyncio
            time.sleep(1)
        return inner
    """,
        # a comprehension variable around the call
        """
    import asyncio
    import time

    async def poll(items):
        return [time.sleep(i) for asyncio in items for i in asyncio]
    """,
        # bound to something else at module level
        """
    import time
    asyncio = object()

    async def poll():
        time.sleep(1)
    """,
    ],
)
def test_fix_avoids_a_hidden_or_rebound_asyncio(source):
    result = fixed(source, CODE)
    assert "import asyncio as aio" in result and "await aio.sleep(" in result
    assert "await asyncio.sleep(" not in result


def test_no_fix_when_every_asyncio_name_is_taken():
    assert_no_fix(
        """
        import time

        async def poll(asyncio, aio, asyncio_module):
            time.sleep(1)
        """,
        CODE,
    )


# --- comments of the `from time import` the fix removes ----------------------------------------
def test_fix_keeps_comment_of_removed_name_in_parenthesised_import():
    assert_fix(
        """
        import asyncio
        from time import (
            sleep,  # blocking on purpose in sync code
            # the clock
            monotonic,
        )

        async def poll():
            sleep(1)
            return monotonic()
        """,
        """
        import asyncio
        from time import (
            # blocking on purpose in sync code
            # the clock
            monotonic,
        )

        async def poll():
            await asyncio.sleep(1)
            return monotonic()
        """,
        CODE,
    )


def test_fix_keeps_comment_of_removed_last_name_crlf():
    before = (
        "import asyncio\r\nfrom time import (\r\n    monotonic,  # clock\r\n    sleep  # nap\r\n)\r\n\r\n"
        "async def poll():\r\n    sleep(1)\r\n    return monotonic()\r\n"
    )
    after = (
        "import asyncio\r\nfrom time import (\r\n    monotonic,  # clock\r\n    # nap\r\n)\r\n\r\n"
        "async def poll():\r\n    await asyncio.sleep(1)\r\n    return monotonic()\r\n"
    )
    assert fixed(before, CODE, raw=True) == after


def test_fix_keeps_comment_of_a_removed_import_line():
    assert_fix(
        """
        import asyncio
        # waiting
        from time import sleep as nap  # legacy name

        async def poll():
            nap(1)
        """,
        """
        import asyncio
        # waiting
        # legacy name

        async def poll():
            await asyncio.sleep(1)
        """,
        CODE,
    )


def test_fix_removes_name_from_one_line_import_and_keeps_its_comment():
    assert_fix(
        """
        import asyncio
        from time import monotonic, sleep  # clocks

        async def poll():
            sleep(1)
            return monotonic()
        """,
        """
        import asyncio
        from time import monotonic  # clocks

        async def poll():
            await asyncio.sleep(1)
            return monotonic()
        """,
        CODE,
    )


def test_fix_keeps_sleep_import_still_used_elsewhere():
    result = fixed(
        """
        import asyncio
        from time import sleep

        __all__ = ["sleep"]

        async def poll():
            sleep(1)
        """,
        CODE,
    )
    assert "from time import sleep\n" in result and "await asyncio.sleep(1)" in result


# --- fix-all: the import that the round's fixes together left unused ---------------------------
def test_fix_all_removes_the_sleep_import_its_fixes_left_unused():
    """Each fix sees the other call still using `sleep`; after the round nothing does."""
    assert_fix(
        """
        import asyncio
        from time import sleep, time  # clock

        async def a():
            sleep(1)

        async def b():
            sleep(2)
        """,
        """
        import asyncio
        from time import time  # clock

        async def a():
            await asyncio.sleep(1)

        async def b():
            await asyncio.sleep(2)
        """,
        CODE,
    )


def test_fix_all_keeps_the_sleep_import_a_sync_function_still_uses():
    result = fixed(
        """
        import asyncio
        from time import sleep

        async def a():
            sleep(1)

        async def b():
            sleep(2)

        def c():
            sleep(3)
        """,
        CODE,
    )
    assert result.startswith("import asyncio\nfrom time import sleep\n") and "    sleep(3)" in result


def test_fix_all_leaves_an_import_that_was_unused_before_it():
    """Only what the fixes used goes: an already unused `from time import sleep` is not ours."""
    result = fixed(
        """
        import asyncio
        from time import sleep as nap
        from time import sleep

        async def a():
            nap(1)

        async def b():
            nap(2)
        """,
        CODE,
    )
    assert "nap" not in result and "from time import sleep\n" in result
