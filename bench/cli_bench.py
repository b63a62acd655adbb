"""Whole-project check speed, side by side with peers in the same run (run by hand).

Corpus: the installed sources of celery and kombu from PyPI (~73k lines). Timed:
- floor:  one process that only reads and `ast.parse`s every file;
- ours:   `celery-patterns check --no-cache` with every rule (parallel across cores, as users
          run it; no cache, as the peers have none or are run without theirs);
- ours-1: the same with `--jobs 1` (one process, to compare with the floor fairly);
- fixit:  Fixit 2.2.1 with its single `UseAsyncSleepInAsyncDef` rule (the analogue of CEL002);
- ruff:   `ruff check --select ASYNC251` (blocking sleep in async), no cache.
Each is run REPEAT times; the best wall time counts (least disturbed by other load).

    python bench/cli_bench.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Outside the repository: its .gitignore would hide the corpus from every tool.
WORK = Path(os.environ.get("CELERY_PATTERNS_BENCH_DIR", Path(tempfile.gettempdir()) / "celery-patterns-bench"))
TOOLS = WORK / "tools-venv"
CORPUS = WORK / "corpus"
PINS = ["celery==5.6.3", "kombu==5.7.0", "fixit==2.2.1", "ruff==0.17.6"]
# Every tool runs from compiled bytecode, as installed packages do (pip compiles them; a
# PYTHONDONTWRITEBYTECODE environment would have ours compile its modules on every run).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
ENV["PYTHONPYCACHEPREFIX"] = str(WORK / "pycache")

FLOOR = """
import ast, pathlib, sys
for path in sorted(pathlib.Path(sys.argv[1]).rglob("*.py")):
    ast.parse(path.read_bytes(), filename=str(path))
"""


def setup() -> None:
    python = TOOLS / "bin" / "python"
    if not python.exists():
        venv.create(TOOLS, with_pip=True)
        subprocess.run([python, "-m", "pip", "install", "--quiet", *PINS], check=True)
    if not CORPUS.exists():
        site = subprocess.run(
            [python, "-c", "import celery, os; print(os.path.dirname(os.path.dirname(celery.__file__)))"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        CORPUS.mkdir(parents=True)
        for package in ("celery", "kombu"):
            shutil.copytree(
                Path(site) / package, CORPUS / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
            )


def count_lines() -> tuple[int, int]:
    files = list(CORPUS.rglob("*.py"))
    return len(files), sum(len(p.read_bytes().splitlines()) for p in files)


def timed(command: list[str], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        # From the corpus itself: it is each tool's project (ours reads the whole project for
        # its model, and WORK holds other trees and venvs).
        result = subprocess.run(command, cwd=CORPUS, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        elapsed = time.perf_counter() - start
        if result.returncode not in (0, 1):
            raise SystemExit(f"{command[0]} failed ({result.returncode}): {result.stderr.decode()[-2000:]}")
        best = min(best, elapsed)
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    setup()
    files, lines = count_lines()
    ours = [
        sys.executable,
        "-m",
        "celery_patterns",
        "check",
        "--no-cache",
        "--no-progress",
        "--format",
        "json",
        ".",
    ]
    tools = TOOLS / "bin"
    commands = {
        "floor (read + ast.parse, 1 process)": [sys.executable, "-c", FLOOR, "."],
        "celery-patterns, every rule": ours,
        "celery-patterns, every rule, --jobs 1": ours + ["--jobs", "1"],
        "Fixit 2.2.1, 1 rule": [
            str(tools / "fixit"),
            "--rules",
            "fixit.rules:UseAsyncSleepInAsyncDef",
            "lint",
            ".",
        ],
        "ruff --select ASYNC251": [
            str(tools / "ruff"),
            "check",
            "--no-cache",
            "--select",
            "ASYNC251",
            "--exit-zero",
            ".",
        ],
    }
    times = {name: timed(cmd, args.repeat) for name, cmd in commands.items()}
    floor = times["floor (read + ast.parse, 1 process)"]
    fixit = times["Fixit 2.2.1, 1 rule"]
    ruff = times["ruff --select ASYNC251"]
    print(f"corpus: celery + kombu, {files} files, {lines} lines; {os.cpu_count()} cores; best of {args.repeat}")
    print(f"{'tool':<42} {'wall s':>8} {'x floor':>8} {'x Fixit':>8} {'x ruff':>8}")
    for name, seconds in times.items():
        print(f"{name:<42} {seconds:8.2f} {seconds / floor:8.2f} {seconds / fixit:8.3f} {seconds / ruff:8.1f}")


if __name__ == "__main__":
    main()
