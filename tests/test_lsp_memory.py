"""The server's dealings with the system allocator (`lsp/memory.py`)."""

from __future__ import annotations

import gc
import platform
import subprocess
import sys
import textwrap
import weakref

import pytest

from celery_patterns.lsp import memory

GLIBC = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"

# A block of 400 KB freed, then one of 300 KB: by default glibc has raised its threshold to the
# first block's size and serves the second from its heap; once the threshold is kept, the second
# has a mapping of its own too. Prints the mappings glibc holds while the second is allocated.
MAPPINGS = textwrap.dedent("""\
    import ctypes, sys
    from celery_patterns.lsp import memory

    class Info(ctypes.Structure):
        _fields_ = [(name, ctypes.c_size_t) for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]

    libc = ctypes.CDLL(None)
    libc.malloc.restype = ctypes.c_void_p
    libc.free.argtypes = [ctypes.c_void_p]
    libc.mallinfo2.restype = Info
    if sys.argv[1] == "kept":
        assert memory.map_large_blocks()
    libc.free(libc.malloc(400 * 1024))
    before = libc.mallinfo2().hblks
    second = libc.malloc(300 * 1024)
    print(libc.mallinfo2().hblks - before)
    libc.free(second)
""")


@pytest.mark.skipif(not GLIBC, reason="glibc only")
@pytest.mark.parametrize(("threshold", "mapped"), [("default", 0), ("kept", 1)])
def test_large_blocks_get_mappings_of_their_own_with_glibc(threshold, mapped):
    run = subprocess.run([sys.executable, "-c", MAPPINGS, threshold], capture_output=True, text=True, check=True)
    assert int(run.stdout) == mapped


@pytest.mark.parametrize("system", ["darwin", "win32", "freebsd14"])
def test_elsewhere_nothing_is_done_and_nothing_fails(monkeypatch, system):
    monkeypatch.setattr(sys, "platform", system)
    assert memory.map_large_blocks() is False
    memory.give_back()  # collects, trims nothing


def test_giving_back_collects_the_cycles_left():
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
        memory.give_back()
        assert alive() is None
    finally:
        if was_enabled:
            gc.enable()
