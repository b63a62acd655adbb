"""CEL002 blocking-sleep-in-async: detection and fix cases."""

import pytest
from ruletest import assert_fix, assert_no_fix, dedent, fixed, lines

CODE = "CEL002"

INVALID = [
    # (source, lines flagged)
    ("""
    import time

    async def poll():
        time.sleep(1)
    """, [4]),
    ("""
    import time as t

    async def poll():
        t.sleep(1)
    """, [4]),
    ("""
    from time import sleep as nap

    async def poll():
        nap(0.5)
    """, [4]),
    ("""
    import time
    nap = time.sleep

    async def poll():
        nap(2)
    """, [5]),
    ("""
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
    """, [8, 10]),
    ("""
    import time

    class Poller:
        async def wait(self):
            while True:
                time.sleep(self.interval)
    """, [6]),
    ("""
    def outer():
        import time
        async def inner():
            time.sleep(1)
        return inner
    """, [4]),
    ("""
    import time

    async def poll(items):
        return [time.sleep(i) for i in items]
    """, [4]),
    ("""
    import time

    async def poll():
        def helper():
            return 1
        time.sleep(helper())
    """, [6]),
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
