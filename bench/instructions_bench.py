"""Work counted in instructions, which the machine's drift does not move (run by hand; needs
valgrind: `apt-get install valgrind`).

Timings on this machine move by 1.5x between runs of the same code; an instruction count does
not (two runs of the same code agree to 0.01%). Counted by `valgrind --tool=callgrind`, with
`PYTHONHASHSEED=0`, from compiled bytecode, every process in a fresh directory:

- the whole-project check of celery+kombu (bench/cli_bench.py's corpus, bench/model_cost_bench.py's
  tree) in one process (`-j 1`, so no worker's work is left out): the version before the project
  model (commit c7e1ddb, model_cost_bench.py's venv), ours with `--no-cache`, and the peer, ruff
  (`--select ASYNC251`, `--no-cache`), in the same run;
- a keystroke in a buffer: bench/lsp_bench.py's 2,000-line module checked as the server checks
  a document (its incremental checker, the workspace's model), then KEYSTROKES edits, alternately
  a character into a comment and into a flagged call; the instructions of the edits alone (a run
  with them less one without);
- a quick fix at the cursor, as the server computes one: a FIX_LINES-line module of the same
  kind checked as a document, then FIXES times a character typed into a comment and the fix of
  the blocking sleep below it, from that version's facts, verified with a fork of its checker;
  the instructions of the fixes alone (a run with them less one that only types), the first
  fix's loading of libcst left out.

    python bench/instructions_bench.py [--keystrokes 20] [--fixes 10] [--only check keystroke fix]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cli_bench  # noqa: E402  (the corpus and the tools venv with ruff)
import model_cost_bench  # noqa: E402  (the tree and the baseline's venv)

ROOT = Path(__file__).resolve().parents[1]
PYCACHE = cli_bench.WORK / "instructions-pycache"

CHECK = """
import sys
sys.argv = ["celery-patterns", "check", "-j", "1", *sys.argv[1:], "corpus"]
from celery_patterns.cli import main
try:
    main()
except SystemExit:
    pass
"""

# What both buffer scripts start with: a workspace of one generated module (argv[1]: bench/),
# and running `main` as the server runs its work (a thread with a deep stack).
BUFFER = """
import sys, tempfile, threading
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from lsp_bench import module
from celery_patterns.engine import settings_for
from celery_patterns.engine.incremental import BufferChecker
from celery_patterns.lsp.models import FolderModel
from celery_patterns.stack import deep_threads_from_now

def workspace(lines, name, tag=""):
    root = Path(tempfile.mkdtemp())
    (root / "pyproject.toml").write_text("[tool.celery-patterns]\\n")
    text = module(lines, tag=tag)
    path = root / f"{name}.py"
    path.write_text(text)
    model = FolderModel(str(root))
    model.index({})
    return text, path, model, settings_for(path)

def as_the_server_does(main):
    deep_threads_from_now()
    thread = threading.Thread(target=main)
    thread.start()
    thread.join()
"""

KEYSTROKES = (
    BUFFER
    + """
from celery_patterns.lsp.checking import check_document

def edits(text, count):
    lines = text.splitlines()
    code = [i for i, line in enumerate(lines) if line.endswith("time.sleep(delay)")]
    comments = [i for i, line in enumerate(lines) if line.startswith("    # poll")]
    for k in range(count):
        if k % 2:
            i = code[(k * 7) % len(code)]
            lines[i] = lines[i][:24] + "x" + lines[i][24:]
        else:
            lines[comments[(k * 11) % len(comments)]] += "!"
        yield "\\n".join(lines) + "\\n"

def main():
    import gc
    text, path, model, settings = workspace(2000, "big")
    checker = BufferChecker()
    for version in [text, *edits(text, 4 + int(sys.argv[2]))]:
        result = check_document(version, str(path), settings, "big", incremental=checker, project=model.project)
        model.take(result.summary)
        if version is text:
            gc.freeze()
            gc.set_threshold(50_000, 50, 100)  # as the server does

as_the_server_does(main)
"""
)

FIX = (
    BUFFER
    + """
from celery_patterns import engine
from celery_patterns.engine.fix import compute_fix
from celery_patterns.fixes.context import FixContext

def main():
    import gc
    text, path, model, settings = workspace(int(sys.argv[3]), "actions", "fix")
    checker = BufferChecker()
    engine.check_source(text, str(path), settings, "actions", checker, model.project)
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)  # as the server does
    lines = text.splitlines()
    comments = [i for i, line in enumerate(lines) if line.startswith("    # poll")]
    fixing = sys.argv[2] == "fix"
    for n in range(1 + int(sys.argv[4])):  # (the first fix loads libcst: in both runs)
        line = comments[(len(comments) // 3 + n * 11) % len(comments)]
        lines[line] += "!"
        text = "\\n".join(lines) + "\\n"
        checked = engine.check_source(text, str(path), settings, "actions", checker, model.project)
        if n and not fixing:
            continue
        sleep = next(f for f in checked.report.findings if f.code == "CEL002" and f.range.start.line == line + 2)
        with checker.lent(text) as facts:
            context = FixContext(text, facts, settings, str(path))
            fork = checker.fork()
            assert compute_fix(text, sleep, settings, str(path), "actions", checked, context, model.project, fork)

as_the_server_does(main)
"""
)


def instructions(command: list[str], env: dict[str, str], cwd: Path) -> int:
    """The instructions `command` executes (every thread, not its child processes)."""
    result = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    found = re.search(r"Collected : (\d+)", result.stderr)
    if found is None:
        raise SystemExit(f"valgrind gave no count for {command[:3]}: {result.stderr[-2000:]}")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--keystrokes", type=int, default=20)
    parser.add_argument("--fixes", type=int, default=10)
    parser.add_argument("--fix-lines", type=int, default=3000)
    parser.add_argument(
        "--only", nargs="*", choices=("check", "keystroke", "fix"), default=("check", "keystroke", "fix")
    )
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is needed: apt-get install valgrind")
    cli_bench.setup()
    baseline = Path(model_cost_bench.baseline_command(None)).parent / "python"
    ruff = str(cli_bench.TOOLS / "bin" / "ruff")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH")}
    env.update(PYTHONHASHSEED="0", PYTHONPYCACHEPREFIX=str(PYCACHE))
    ours_env = {**env, "PYTHONPATH": str(ROOT / "server")}
    tree = model_cost_bench.TREE
    if "check" in args.only:
        check(baseline, ruff, env, ours_env, tree)
    bench = str(Path(__file__).resolve().parent)
    if "keystroke" in args.only:
        with tempfile.TemporaryDirectory() as work:
            # (once without counting: the server's modules compile to bytecode, else the first run counts that)
            subprocess.run([sys.executable, "-c", KEYSTROKES, bench, "0"], cwd=work, env=ours_env, check=True)
            without = instructions([sys.executable, "-c", KEYSTROKES, bench, "0"], ours_env, Path(work))
            typed = instructions([sys.executable, "-c", KEYSTROKES, bench, str(args.keystrokes)], ours_env, Path(work))
        print(f"a keystroke into the 2,000-line buffer, millions: {(typed - without) / args.keystrokes / 1e6:,.1f}")
    if "fix" in args.only:
        with tempfile.TemporaryDirectory() as work:
            lines = str(args.fix_lines)
            fixes = str(args.fixes)
            subprocess.run([sys.executable, "-c", FIX, bench, "edit", lines, "0"], cwd=work, env=ours_env, check=True)
            without = instructions([sys.executable, "-c", FIX, bench, "edit", lines, fixes], ours_env, Path(work))
            fixed = instructions([sys.executable, "-c", FIX, bench, "fix", lines, fixes], ours_env, Path(work))
        print(
            f"a quick fix at the cursor of a {args.fix_lines:,}-line buffer, verified, millions: "
            f"{(fixed - without) / args.fixes / 1e6:,.1f}"
        )


def check(baseline: Path, ruff: str, env: dict[str, str], ours_env: dict[str, str], tree: Path) -> None:
    model_cost_bench.fresh_tree()
    # Once without counting: both compile to bytecode.
    subprocess.run([str(baseline), "-c", CHECK], cwd=tree, env=env, stdout=subprocess.DEVNULL, check=True)
    subprocess.run(
        [sys.executable, "-c", CHECK, "--no-cache"], cwd=tree, env=ours_env, stdout=subprocess.DEVNULL, check=True
    )
    before = instructions([str(baseline), "-c", CHECK], env, tree)
    ours = instructions([sys.executable, "-c", CHECK, "--no-cache"], ours_env, tree)
    peer = instructions([ruff, "check", "--no-cache", "--select", "ASYNC251", "--exit-zero", "corpus"], env, tree)
    files, lines = cli_bench.count_lines()
    print(f"whole-project check of celery + kombu ({files} files, {lines} lines), one process, millions:")
    print(f"  before the model (c7e1ddb)   {before / 1e6:10,.0f}")
    print(f"  ours, --no-cache             {ours / 1e6:10,.0f}   {ours / before:.2f}x before the model")
    print(f"  ruff check, ASYNC251         {peer / 1e6:10,.0f}   ours: {ours / peer:.0f}x")


if __name__ == "__main__":
    main()
