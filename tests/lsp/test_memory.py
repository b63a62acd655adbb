"""Handling messages keeps nothing once they are handled (in process, counting objects).

pygls 2.1 kept the future of every notification whose handler is a generator or a coroutine
(each didChange: one a keystroke) for as long as the server ran."""

from __future__ import annotations

import asyncio
import json

from celery_patterns.lsp.session import CeleryPatternsServer


def notification(method: str, params: dict) -> bytes:
    return json.dumps({"jsonrpc": "2.0", "method": method, "params": params}).encode()


async def test_notifications_leave_no_futures_behind():
    server = CeleryPatternsServer()
    protocol = server.protocol
    pinged: list[int] = []

    @server.feature("celeryPatterns/test/ping")
    async def ping(params) -> None:  # a coroutine handler
        pinged.append(params.i)

    try:
        for i in range(50):
            protocol.receive(notification("celeryPatterns/test/ping", {"i": i}))
            # pygls' own didChange is a generator handler: a change to a document not open
            protocol.receive(
                notification(
                    "textDocument/didChange",
                    {"textDocument": {"uri": "file:///nowhere.py", "version": i}, "contentChanges": [{"text": "x"}]},
                )
            )
        for _ in range(100):
            await asyncio.sleep(0.01)
            if len(pinged) == 50:
                break
        await asyncio.sleep(0.05)
        assert sorted(pinged) == list(range(50))
        assert not protocol._request_futures, len(protocol._request_futures)
    finally:
        server.checks.shutdown(wait=False)
