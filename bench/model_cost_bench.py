"""What the project model costs a whole-project check, and what the caches save, side by side in
one run (run by hand).

Corpus: the sources of celery and kombu that bench/cli_bench.py installs, copied into a tree of
its own with a `.git` (so it is the workspace, and each tool's cache lives in it). Timed in
rounds (one of each per round, so that the load of the machine falls on all alike), best of
REPEAT rounds:
- baseline:     the check of the version before the project model (commit c7e1ddb, rules
                CEL001-CEL011, no cache), installed in a venv of its own;
- ours cold:    `check --no-cache` (no summaries or results read or written);
- ours empty:   `check` with an empty cache (what a first run costs: it writes the cache);
- ours warm:    the same again, nothing changed;
- ours edited:  warm after one line is added to one file (its interface unchanged);
- ruff cold / warm / edited: `ruff check --select ASYNC251` with its own cache, the same way.
Ours runs every rule in worker processes (as users run it). Wall time and CPU time (user +
system, worker processes included) are both shown: on a machine other work loads, the CPU
time is the steadier measure of the work done.

    python bench/model_cost_bench.py [--repeat 3] [--baseline PATH-TO-celery-patterns]

Without --baseline, the baseline is installed from this repository's commit c7e1ddb into a
venv beside the corpus (once; `pip install` of that commit's tree).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cli_bench  # noqa: E402  (its setup: the corpus and the tools venv with ruff)

BASELINE_COMMIT = "c7e1ddb"
TREE = cli_bench.WORK / "model-cost-tree"
BASELINE_VENV = cli_bench.WORK / f"baseline-{BASELINE_COMMIT}"
EDITED = "celery/app/base.py"  # as bench/cache_bench.py: a large module, its interface kept
ENV = cli_bench.ENV  # (from compiled bytecode, as installed packages run)
# The baseline runs its own installed package, never one that PYTHONPATH points to.
BASELINE_ENV = {k: v for k, v in ENV.items() if k != "PYTHONPATH"}


def baseline_command(given: str | None) -> str:
    if given:
        return given
    program = BASELINE_VENV / "bin" / "celery-patterns"
    if not program.exists():
        with tempfile.TemporaryDirectory() as source:
            archive = subprocess.run(
                ["git", "-C", str(cli_bench.ROOT), "archive", BASELINE_COMMIT], check=True, capture_output=True
            ).stdout
            subprocess.run(["tar", "-x", "-C", source], input=archive, check=True)
            venv.create(BASELINE_VENV, with_pip=True)
            subprocess.run([BASELINE_VENV / "bin" / "python", "-m", "pip", "install", "--quiet", source], check=True)
    return str(program)


def fresh_tree() -> None:
    if TREE.exists():
        shutil.rmtree(TREE)
    shutil.copytree(cli_bench.CORPUS, TREE / "corpus")
    (TREE / ".git").mkdir()


CPU: dict[str, float] = {}  # CPU seconds (user + system, worker processes included) of the last run


def run(command: list[str], env: dict[str, str] = ENV) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(command, cwd=TREE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU["last"] = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    if result.returncode not in (0, 1):
        raise SystemExit(f"{command[0]} failed ({result.returncode}): {result.stderr.decode()[-2000:]}")
    return elapsed


def edit() -> None:
    with open(TREE / "corpus" / EDITED, "a", encoding="utf-8") as handle:
        handle.write("# edited by model_cost_bench\n")


def one_round(baseline: str, ruff: str) -> tuple[dict[str, float], dict[str, float]]:
    ours = [sys.executable, "-m", "celery_patterns", "check", "--no-progress", "--format", "json", "corpus"]
    ruff_cache = TREE / ".ruff-bench-cache"
    ruff_check = [ruff, "check", "--cache-dir", str(ruff_cache), "--select", "ASYNC251", "--exit-zero", "corpus"]
    fresh_tree()
    t: dict[str, float] = {}
    cpu: dict[str, float] = {}

    def timed(name: str, command: list[str], env: dict[str, str] = ENV) -> None:
        t[name] = run(command, env)
        cpu[name] = CPU["last"]

    timed("baseline", [baseline, "check", "--no-progress", "--format", "json", "corpus"], BASELINE_ENV)
    timed("ours cold", ours + ["--no-cache"])
    timed("ours empty", ours)
    timed("ours warm", ours)
    timed("ruff cold", ruff_check)
    timed("ruff warm", ruff_check)
    edit()
    timed("ours edited", ours)
    timed("ruff edited", ruff_check)
    return t, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline", help="the `celery-patterns` program of the version before the model")
    args = parser.parse_args()
    cli_bench.setup()
    baseline = baseline_command(args.baseline)
    ruff = str(cli_bench.TOOLS / "bin" / "ruff")
    files, lines = cli_bench.count_lines()
    fresh_tree()
    # Compile both to bytecode before timing.
    run([baseline, "check", "--no-progress", "corpus/kombu/utils"], BASELINE_ENV)
    run([sys.executable, "-m", "celery_patterns", "check", "--no-progress", "--exit-zero", "corpus/kombu/utils"])
    measured = [one_round(baseline, ruff) for _ in range(args.repeat)]
    rounds = [t for t, _ in measured]
    best = {name: min(r[name] for r in rounds) for name in rounds[0]}
    cpu = {name: min(c[name] for _, c in measured) for name in rounds[0]}
    print(f"corpus: celery + kombu, {files} files, {lines} lines; {os.cpu_count()} cores; best of {args.repeat}")
    print(f"load average after the run: {os.getloadavg()[0]:.1f}")
    print(f"{'':<14} {'wall':>8} {'CPU':>8}   (CPU: user + system, worker processes included)")
    for name, seconds in best.items():
        print(f"{name:<14} {seconds:6.2f} s {cpu[name]:6.2f} s")
    ratios = [
        ("ours cold / baseline (target <= 1.25)", best["ours cold"] / best["baseline"]),
        ("ours empty cache / baseline", best["ours empty"] / best["baseline"]),
        ("ours warm / ours cold (target <= 0.3)", best["ours warm"] / best["ours cold"]),
        ("ours warm / ours empty cache", best["ours warm"] / best["ours empty"]),
        ("ours edited / ours cold", best["ours edited"] / best["ours cold"]),
        ("ruff warm / ruff cold", best["ruff warm"] / best["ruff cold"]),
        ("ruff edited / ruff cold", best["ruff edited"] / best["ruff cold"]),
    ]
    # Ratios within each round too: the load drifts between rounds, less within one.
    per_round = {
        "ours cold / baseline": [r["ours cold"] / r["baseline"] for r in rounds],
        "ours warm / ours cold": [r["ours warm"] / r["ours cold"] for r in rounds],
    }
    print(f"{'ratio':<40} {'wall':>6} {'CPU':>6}")
    cpu_ratios = [
        cpu["ours cold"] / cpu["baseline"],
        cpu["ours empty"] / cpu["baseline"],
        cpu["ours warm"] / cpu["ours cold"],
        cpu["ours warm"] / cpu["ours empty"],
        cpu["ours edited"] / cpu["ours cold"],
        cpu["ruff warm"] / cpu["ruff cold"],
        cpu["ruff edited"] / cpu["ruff cold"],
    ]
    for (name, ratio), by_cpu in zip(ratios, cpu_ratios):
        print(f"{name:<40} {ratio:6.2f} {by_cpu:6.2f}")
    for name, values in per_round.items():
        print(f"{name} per round: " + ", ".join(f"{v:.2f}" for v in values))


if __name__ == "__main__":
    main()
