"""The server's memory and the system: what the allocators keep of the memory freed.

CPython's allocator and glibc's keep freed memory for reuse. In a process that runs for a
day of typing, what they keep is resident memory that grows with no object kept. What is
done about it needs glibc (Linux); elsewhere nothing is done.
"""

from __future__ import annotations

import ctypes
import gc
import sys

M_MMAP_THRESHOLD = -3  # glibc's malloc.h
LARGE_BLOCK = 128 * 1024  # glibc's own starting threshold, kept from then on


def _glibc():
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None)
    except OSError:
        return None


def map_large_blocks() -> bool:
    """Give every block of LARGE_BLOCK or more (a buffer's text, its diagnostics as JSON: 425 KB
    for a file full of findings) a mapping of its own, handed back to the system when freed.
    By default glibc raises that threshold to the largest block freed so far and from then on
    serves such blocks from its heaps, where the holes they leave between keystrokes stay
    resident: over bench/lsp_bench.py's typing session (10,000 keystrokes) resident memory
    grew 5.4 MB after warm-up by default and 3.8 MB (twice) with the threshold kept, at the
    same speed. Whether the threshold was set."""
    mallopt = getattr(_glibc(), "mallopt", None)
    return bool(mallopt is not None and mallopt(M_MMAP_THRESHOLD, LARGE_BLOCK))


def give_back() -> None:
    """Collect what closed documents left (their trees hold cycles) and hand the pages freed
    back to the system."""
    gc.collect()
    trim = getattr(_glibc(), "malloc_trim", None)
    if trim is not None:
        trim(0)
