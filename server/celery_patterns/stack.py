"""Deep but valid code must never crash the process: threads with a known C stack, and a
recursion limit measured against it.

Python's recursion limit counts Python frames; what overflows is the C stack, and a crash
there is a segfault, not an exception. Python-to-Python calls use no C stack since 3.11, but
a frame entered from C code does (an `__eq__` slot, a generator resumed by `tuple()`, libcst's
visitors and code generation, which go through context managers), and so do `ast`'s building
of its tree, `json` and libcst's parser (Rust: no Python frames to count at all).

Measured with `bench/stack_limits.py` (CPython 3.11.7, x86-64): a Python frame entered from C
costs about 510 bytes of C stack, a level of `ast` tree 78 (`ast` allows three levels a frame of
the limit), a level of `json` 127, a level of libcst's parser 1.0 KB (an `elif` chain) to
1.2 KB (`a and a and ...`) and 2.1 KB (`not not ...`). Python 3.10's parser has no depth
limit (an 800 KB chain of `.b` crashes it on 8 MiB, not on this stack). On the main thread's
usual 8 MiB that is a crash at about 16,000 frames, or 7,000 levels of libcst's parser, which
generated code reaches: so the work runs on
threads with a STACK_SIZE stack (only the pages touched are memory), with RECURSION_LIMIT
frames allowed there: at most 100,000 x 510 bytes = 49 MiB of its 128 (on Python 3.12+ the
C code has its own, lower, limit). Deeper code raises RecursionError, which the engine
reports as "too deeply nested to check" (`engine.check`). libcst's parser counts nothing:
a fix never parses code nested deeper than `fixes.context.MAX_FIX_DEPTH` (1,000 levels,
about 2 MiB; far less than the stack, and deeper code takes libcst seconds a fix).

The limit is raised only while a deep-stack thread runs (`deep`), or for good in a process
whose every thread has the stack (`deep_threads_from_now`, the language server): code on an
8 MiB stack keeps Python's default limit.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

STACK_SIZE = 128 << 20
RECURSION_LIMIT = 100_000

_local = threading.local()
_lock = threading.Lock()
_callers = 0  # threads on a small stack waiting for a deep one: the limit is raised while > 0
_saved_limit: int | None = None
_all_deep = False
_small_stacks: set[int] = set()  # threads that were running when every new thread became deep


def on_deep_stack() -> bool:
    """Whether this thread has STACK_SIZE of C stack (and the raised recursion limit)."""
    if getattr(_local, "deep", False):
        return True
    return _all_deep and threading.get_ident() not in _small_stacks


def deep_threads_from_now() -> None:
    """Give every thread started from now on a STACK_SIZE stack and raise the recursion limit
    for good (a process that runs everything on such threads: the language server)."""
    global _all_deep
    with _lock:
        threading.stack_size(STACK_SIZE)
        _small_stacks.update(t.ident for t in threading.enumerate() if t.ident is not None)
        _all_deep = True
        if sys.getrecursionlimit() < RECURSION_LIMIT:
            sys.setrecursionlimit(RECURSION_LIMIT)


def deep(function: Callable[..., T], /, *args, **kwargs) -> T:
    """`function(*args, **kwargs)` on a thread with a STACK_SIZE stack and the raised
    recursion limit: this one if it is such a thread, else a new one (about 0.1 ms)."""
    if on_deep_stack():
        return function(*args, **kwargs)
    outcome: list = []

    def run() -> None:
        _local.deep = True
        try:
            outcome.append((True, function(*args, **kwargs)))
        except BaseException as exc:  # handed to the caller's thread
            outcome.append((False, exc))

    _enter()
    try:
        with _lock:
            previous = threading.stack_size(STACK_SIZE)
            try:
                thread = threading.Thread(target=run, name="celery-patterns-deep", daemon=True)
                thread.start()
            finally:
                threading.stack_size(previous)
    except (RuntimeError, ValueError, MemoryError):  # no thread with such a stack here
        _leave()
        return function(*args, **kwargs)  # with Python's own limit: a RecursionError, no crash
    try:
        thread.join()
    finally:
        _leave()
    ok, value = outcome[0]
    if ok:
        return value
    raise value


def _enter() -> None:
    global _callers, _saved_limit
    with _lock:
        _callers += 1
        if _callers == 1 and not _all_deep:
            _saved_limit = sys.getrecursionlimit()
            if _saved_limit < RECURSION_LIMIT:
                sys.setrecursionlimit(RECURSION_LIMIT)


def _leave() -> None:
    global _callers
    with _lock:
        _callers -= 1
        if _callers == 0 and not _all_deep and _saved_limit is not None:
            try:
                sys.setrecursionlimit(_saved_limit)
            except RecursionError:  # pragma: no cover - this thread is deeper than that: keep it
                pass
