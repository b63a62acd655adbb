"""What `--fix` costs on large and deeply nested files, and where it refuses (run by hand;
the figures behind `fixes.context.MAX_FIX_NODES` and `MAX_FIX_DEPTH`).

    python bench/fix_limits.py [--server DIR] [--timeout 300] [CASE ...]

Each case is a file written to a fresh directory and fixed by `celery-patterns check --fix`
in a child process (with `--server DIR` on PYTHONPATH: compare two checkouts in one run, the
machine's load drifts). Prints the wall time, the child's peak memory and the summary line.

- elif2000: one async function of 2,000 `elif` branches, each with a blocking call (88 KB).
- lines100k: 100,000 lines, a blocking call in each of 16,666 small async functions.
- class2000: one class of 2,000 async methods with a blocking call (316 KB, 56,000 nodes).
- sumN: a blocking call next to an expression of N levels (`1 + 1 + ...`).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from lsp_bench import module  # noqa: E402


def elif_chain(n: int) -> str:
    out = ["import time", "", "", "async def handler(x):", "    if x == 0:", "        time.sleep(1)"]
    for i in range(1, n):
        out += [f"    elif x == {i}:", f"        time.sleep({i})"]
    return "\n".join(out) + "\n"


def big_class(n: int) -> str:
    out = ["import asyncio", "import time", "", "", "class C:"]
    for i in range(n):
        out += [
            f"    async def h{i}(self, result, delay=1.0):",
            f"        # poll {i}",
            "        while not result.ready():",
            "            time.sleep(delay)",
            "        return result.get()",
            "",
        ]
    return "\n".join(out) + "\n"


def deep_sum(n: int) -> str:
    return "import time\n\n\nasync def f():\n    time.sleep(1)\n    return " + " + ".join(["1"] * n) + "\n"


CASES = {
    "elif2000": lambda: elif_chain(2000),
    "lines100k": lambda: module(100_000, emoji=False),
    "class2000": lambda: big_class(2000),
    "sum500": lambda: deep_sum(500),
    "sum1000": lambda: deep_sum(1000),
    "sum2000": lambda: deep_sum(2000),
}


def run(case: str, server: str | None, timeout: float) -> str:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory, f"{case}.py")
        path.write_text(CASES[case]())
        Path(directory, "pyproject.toml").write_text("[tool.celery-patterns]\n")
        env = dict(os.environ)
        if server:
            env["PYTHONPATH"] = server
        command = [sys.executable, "-m", "celery_patterns", "check", "--no-cache", "--fix", path.name]
        start = time.perf_counter()
        child = subprocess.Popen(
            command, cwd=directory, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        timer = threading.Timer(timeout, child.kill)
        timer.start()
        output = child.stdout.read()
        _, status, usage = os.wait4(child.pid, 0)  # this child's own peak memory
        timer.cancel()
        seconds = time.perf_counter() - start
        if os.WIFSIGNALED(status):
            return f"{case:10} stopped after {seconds:.0f} s (signal {os.WTERMSIG(status)})"
        summary = re.findall(r"Fixed \d+ findings?, \d+ remaining", output)
        refused = output.count("too large to fix in time")
        return (
            f"{case:10} {seconds:7.1f} s  {usage.ru_maxrss // 1024:5} MB  exit {os.WEXITSTATUS(status)}  "
            f"{summary[-1] if summary else '(no summary)'}  refused as too large to fix in time: {refused}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", help="the `server` directory of the checkout to measure")
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("cases", nargs="*", default=list(CASES))
    args = parser.parse_args()
    print(f"Python {sys.version.split()[0]}, {args.server or 'the installed celery_patterns'}")
    for case in args.cases:
        print(" ", run(case, args.server, args.timeout), flush=True)


if __name__ == "__main__":
    main()
