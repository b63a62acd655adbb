"""How deep each kind of recursion can go on a thread's C stack before the process crashes
(run by hand; the figures behind `celery_patterns/stack.py`).

    python bench/stack_limits.py [--stack-mb 128] [--main]

Python's recursion limit counts Python frames, but what overflows is the C stack: a frame
entered from C code (an `__eq__` slot, a generator resumed by `tuple()`), `ast`'s conversion
of the parser's tree to Python objects, `json`, and libcst's parser (Rust, no Python frames
at all) each use some per level. Each probe runs in a child process (a crash is a signal,
not an exception), with the recursion limit out of the way, in a thread with a stack of
`--stack-mb` MiB (`--main`: on the main thread, whose stack is `ulimit -s`); the depth is
found by bisection, and bytes per level is the stack size over the crash depth.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import textwrap

PROBE = textwrap.dedent(
    """
    import sys, threading
    kind, n, stack_mb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    sys.setrecursionlimit(100_000_000)

    class Chain:  # each level a Python frame entered from C (the == slot)
        def __init__(self, k):
            self.k = k
        def __eq__(self, other):
            return Chain(self.k - 1) == other if self.k else True

    def nested(k):  # each level a generator resumed from C (tuple())
        return tuple(nested(k - 1) for _ in (1,)) if k else ()

    def run():
        if kind == "python-via-slot":
            Chain(n) == 0
        elif kind == "python-via-generator":
            nested(n)
        elif kind == "ast.parse (a + a + ...)":
            import ast
            ast.parse("x = " + "+".join(["a"] * n))
        elif kind == "json.loads ([[[...]]])":
            import json
            json.loads("[" * n + "]" * n)
        elif kind == "libcst parse (a and a and ...)":
            import libcst
            libcst.parse_module("x = " + " and ".join(["a"] * n) + "\\n")
        elif kind == "libcst parse (not not ...)":
            import libcst
            libcst.parse_module("x = " + "not " * n + "a\\n")
        elif kind == "libcst parse (elif chain)":
            import libcst
            libcst.parse_module("if x:\\n    pass\\n" + "elif x:\\n    pass\\n" * n)
        print("ok")

    if stack_mb:
        threading.stack_size(stack_mb << 20)
        thread = threading.Thread(target=run)
        thread.start()
        thread.join()
    else:
        run()
    """
)

KINDS = {  # kind: (low, high) depths to bisect between
    "python-via-slot": (1_000, 20_000_000),
    "python-via-generator": (1_000, 20_000_000),
    "ast.parse (a + a + ...)": (1_000, 20_000_000),
    "json.loads ([[[...]]])": (1_000, 20_000_000),
    "libcst parse (a and a and ...)": (1_000, 2_000_000),
    "libcst parse (not not ...)": (1_000, 1_000_000),
    "libcst parse (elif chain)": (1_000, 1_000_000),
}


def survives(kind: str, depth: int, stack_mb: int) -> bool | None:
    """True: ran; False: crashed; None: an exception or too slow (not a stack overflow)."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", PROBE, kind, str(depth), str(stack_mb)], capture_output=True, timeout=120
        )
    except subprocess.TimeoutExpired:
        return None
    if done.returncode < 0:
        return False
    return True if done.stdout.strip() == b"ok" else None


def crash_depth(kind: str, stack_mb: int) -> tuple[int, int | None]:
    """(deepest that ran, shallowest that crashed or None), within 5%."""
    low, high = KINDS[kind]
    if survives(kind, high, stack_mb):
        return high, None
    while high - low > low // 20:
        middle = (low + high) // 2
        result = survives(kind, middle, stack_mb)
        if result is None:  # an exception, not a crash: stop short of it
            return low, None
        low, high = (middle, high) if result else (low, middle)
    return low, high


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack-mb", type=int, default=128)
    parser.add_argument("--main", action="store_true", help="probe the main thread (stack: ulimit -s)")
    args = parser.parse_args()
    stack_mb = 0 if args.main else args.stack_mb
    where = "the main thread" if args.main else f"a thread with a {stack_mb} MiB stack"
    print(f"Python {sys.version.split()[0]}, {where}")
    for kind in KINDS:
        ran, crashed = crash_depth(kind, stack_mb)
        if crashed is None:
            print(f"  {kind:34} no crash up to {ran:,}")
        else:
            per_level = (stack_mb or 8) * (1 << 20) / crashed
            print(f"  {kind:34} runs at {ran:,}, crashes at {crashed:,} (~{per_level:,.0f} bytes a level)")


if __name__ == "__main__":
    main()
