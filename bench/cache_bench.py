"""Cold against warm `check` with the results cache, ruff's own cache timed in the same run
(run by hand).

Corpus: the sources of celery and kombu that bench/cli_bench.py installs (its setup, in a
directory outside the repository; ruff comes from the same tools venv). The corpus is copied
into a tree of its own with a `.git`, so each tool's cache lives in that tree. Timed, best of
REPEAT runs each:
- cold:   no cache at all (ours: neither summaries nor results; ruff: an empty --cache-dir);
- warm:   the same command again, nothing changed;
- edited: warm, after one line is added to one file (its interface unchanged);
- floor:  one process that reads and sha256-hashes every file (what a warm run cannot avoid).
Ours runs every rule (parallel across cores, as users run it); ruff runs ASYNC251 (blocking
sleep in async), as in cli_bench.py: the ratios, not the seconds, compare the two caches.

    python bench/cache_bench.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cli_bench  # noqa: E402  (its setup: the corpus and the tools venv with ruff)

TREE = cli_bench.WORK / "cache-tree"
# A large module; one comment line is added at its end. (Not celery/app/task.py: its summary
# holds a set literal's items in hash order, so its interface differs from one process to the
# next, and every file that reads the model is checked again after any edit of it.)
EDITED = "celery/app/base.py"

FLOOR = """
import hashlib, pathlib, sys
for path in sorted(pathlib.Path(sys.argv[1]).rglob("*.py")):
    hashlib.sha256(path.read_bytes()).hexdigest()
"""


def fresh_tree() -> None:
    if TREE.exists():
        shutil.rmtree(TREE)
    shutil.copytree(cli_bench.CORPUS, TREE / "corpus")
    (TREE / ".git").mkdir()


def run(command: list[str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, cwd=TREE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if result.returncode not in (0, 1):
        raise SystemExit(f"{command[0]} failed ({result.returncode}): {result.stderr.decode()[-2000:]}")
    return elapsed


def edit() -> None:
    with open(TREE / "corpus" / EDITED, "a", encoding="utf-8") as handle:
        handle.write("# edited by cache_bench\n")


def measure(command: list[str], cache_dir: Path, repeat: int) -> dict[str, float]:
    """Best cold, warm and edited times of `command` whose cache is `cache_dir`."""
    best = {"cold": float("inf"), "warm": float("inf"), "edited": float("inf")}
    for _ in range(repeat):
        fresh_tree()
        shutil.rmtree(cache_dir, ignore_errors=True)
        best["cold"] = min(best["cold"], run(command))
        best["warm"] = min(best["warm"], run(command))
        edit()
        best["edited"] = min(best["edited"], run(command))
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    cli_bench.setup()
    files, lines = cli_bench.count_lines()
    ruff = str(cli_bench.TOOLS / "bin" / "ruff")
    ours_cache = TREE / ".celery-patterns-cache"
    ruff_cache = TREE / ".ruff-bench-cache"
    ours = [sys.executable, "-m", "celery_patterns", "check", "--no-progress", "--format", "json", "corpus"]
    ruff_command = [ruff, "check", "--cache-dir", str(ruff_cache), "--select", "ASYNC251", "--exit-zero", "corpus"]
    results = {
        "celery-patterns check, all rules": measure(ours, ours_cache, args.repeat),
        "ruff check --select ASYNC251": measure(ruff_command, ruff_cache, args.repeat),
    }
    fresh_tree()
    no_cache = min(run(ours + ["--no-cache"]) for _ in range(args.repeat))
    floor = min(run([sys.executable, "-c", FLOOR, "corpus"]) for _ in range(args.repeat))
    print(f"corpus: celery + kombu, {files} files, {lines} lines; {os.cpu_count()} cores; best of {args.repeat}")
    print(f"floor (read + sha256 every file, 1 process): {floor:.2f} s")
    print(f"celery-patterns check --no-cache: {no_cache:.2f} s")
    print(f"{'tool':<36} {'cold s':>7} {'warm s':>7} {'edited s':>9} {'warm/cold':>10} {'edited/cold':>12}")
    for name, t in results.items():
        print(
            f"{name:<36} {t['cold']:7.2f} {t['warm']:7.2f} {t['edited']:9.2f}"
            f" {t['warm'] / t['cold']:10.3f} {t['edited'] / t['cold']:12.3f}"
        )
    ours_t = results["celery-patterns check, all rules"]
    print(
        f"celery-patterns warm / floor: {ours_t['warm'] / floor:.2f}x; cold / --no-cache: {ours_t['cold'] / no_cache:.2f}x"
    )


if __name__ == "__main__":
    main()
