"""Deep but valid code never crashes `check` or `--fix` (they used to die of a segfault):
a file nested too deeply to check gets one CEL000 warning; a fix inside code too deep or too
large for libcst in reasonable time is refused, and says so. Run as subprocesses: a crash
would take pytest down with it."""

from __future__ import annotations

import re
import subprocess
import sys

from test_cli import BLOCKING, write

# 800 KB of `.b`: 400,000 levels of attributes, deeper than any Python's parser takes.
CHAIN = "x = a" + ".b" * 400_000 + "\n\n\n" + BLOCKING
# A blocking call inside 10,000 terms of `and`: one `ast` node, 10,000 levels of libcst's
# parser (which crashed a fix on the main thread's 8 MiB stack).
AND_CHAIN = "import time\n\n\nasync def f():\n    x = time.sleep(1) and " + " and ".join(["1"] * 10_000) + "\n"
# 20,000 levels of `ast` tree: what the rules walk.
SUM = "import time\n\n\nasync def f():\n    time.sleep(1)\n    return " + " + ".join(["1"] * 20_000) + "\n"

TOO_DEEP = "CEL000 [warning] too deeply nested to check"
REFUSED = "no automatic fix: too large to fix in time"


def cli(cwd, *argv: str) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-m", "celery_patterns", *argv], cwd=cwd, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode >= 0, f"killed by signal {-proc.returncode}: {proc.stderr[-2000:]}"
    return proc


def test_too_deep_to_check_is_one_warning(tmp_path):
    write(tmp_path, {"chain.py": CHAIN})
    for argv in (["check"], ["check", "--fix"]):
        proc = cli(tmp_path, *argv, "--no-cache", "chain.py")
        assert proc.returncode == 1, proc.stderr
        findings = [line for line in proc.stdout.splitlines() if line.startswith("chain.py:")]
        assert len(findings) == 1 and TOO_DEEP in findings[0], proc.stdout
    assert (tmp_path / "chain.py").read_text() == CHAIN


def test_a_fix_too_deep_for_libcst_is_refused_and_said(tmp_path):
    write(tmp_path, {"chain.py": AND_CHAIN})
    proc = cli(tmp_path, "check", "--no-cache", "chain.py")
    assert proc.returncode == 1, proc.stderr
    (finding,) = [line for line in proc.stdout.splitlines() if line.startswith("chain.py:")]
    assert "CEL002" in finding and REFUSED in finding
    assert int(re.search(r"nests ([\d,]+) levels deep", finding)[1].replace(",", "")) > 10_000
    proc = cli(tmp_path, "check", "--no-cache", "--fix", "chain.py")
    assert proc.returncode == 1 and "Fixed 0 findings, 1 remaining" in proc.stdout + proc.stderr
    assert (tmp_path / "chain.py").read_text() == AND_CHAIN


def test_deep_expression_checked_or_said_too_deep(tmp_path):
    write(tmp_path, {"sum.py": SUM})
    proc = cli(tmp_path, "check", "--no-cache", "--fix", "sum.py")
    assert proc.returncode == 1, proc.stderr
    (finding,) = [line for line in proc.stdout.splitlines() if line.startswith("sum.py:")]
    # Python 3.11 reads 20,000 levels on the checker's large stack; 3.12+ limit their parser.
    assert TOO_DEEP in finding or ("CEL002" in finding and REFUSED in finding), finding
    if sys.version_info < (3, 12):
        assert "CEL002" in finding


def test_deep_files_in_a_parallel_run(tmp_path):
    """Among many files, in worker processes: the others are fixed, the run ends with its summary."""
    files = {f"pkg/m{i:02}.py": BLOCKING for i in range(20)}
    files.update({"pkg/chain.py": CHAIN, "pkg/and_chain.py": AND_CHAIN})
    write(tmp_path, files)
    proc = cli(tmp_path, "check", "--no-cache", "--fix", "--jobs", "2", "pkg")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "Fixed 20 findings, 2 remaining" in out, out
    assert TOO_DEEP in out and REFUSED in out
    assert all("asyncio.sleep" in (tmp_path / name).read_text() for name in files if "/m" in name)
