"""The server's dealings with the system allocator (`lsp/memory.py`)."""

from __future__ import annotations

import gc
import sys
import weakref

import pytest

from celery_patterns.lsp import memory


def _cycle_freed_by(give_back) -> bool:
    class Node:
        pass

    node = Node()
    node.self = node  # a cycle, as a closed document's tree holds
    alive = weakref.ref(node)
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        del node
        assert alive() is not None
        give_back()
        return alive() is None
    finally:
        if was_enabled:
            gc.enable()


def test_giving_back_collects_the_cycles_left():
    assert _cycle_freed_by(memory.give_back)


@pytest.mark.parametrize("system", ["darwin", "win32", "freebsd14"])
def test_elsewhere_the_collector_runs_and_nothing_fails(monkeypatch, system):
    monkeypatch.setattr(sys, "platform", system)
    assert _cycle_freed_by(memory.give_back)
