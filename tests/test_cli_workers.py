"""A worker process that dies (a crash in a C extension, the memory killer) costs the file it
was checking one finding, never the run, and files fixed before it stay fixed."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap

from test_cli import BLOCKING, write

# Runs the command line with the checker patched to kill its process on one file (in worker
# processes only: the parent must survive). `fork` so that the patch reaches the workers.
SCRIPT = textwrap.dedent("""\
    import multiprocessing, os, sys
    multiprocessing.set_start_method("fork")
    from celery_patterns import cli
    from celery_patterns.engine import batch

    PARENT = os.getpid()

    def dying(real):
        def checking(path, *args):
            if os.path.basename(path) in sys.argv[1].split(",") and os.getpid() != PARENT:
                os._exit(9)  # as a segfault or SIGKILL would: no exception, no result
            return real(path, *args)
        return checking

    # Both ways a worker checks a file: whole, or the first phase of a check of the workspace.
    batch.process_data = dying(batch.process_data)
    batch.first_phase = dying(batch.first_phase)
    sys.exit(cli.main(sys.argv[2:]))
""")


def run_dying(tmp_path, victims: str, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, victims, *argv],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_dying_worker_costs_one_finding(tmp_path):
    (tmp_path / ".git").mkdir()
    write(tmp_path, {f"pkg/m{i:02}.py": BLOCKING for i in range(40)})
    proc = run_dying(tmp_path, "m07.py", "check", "--no-cache", "--jobs", "2", "--format", "json", "pkg")
    assert proc.returncode == 1, proc.stderr
    items = json.loads(proc.stdout)
    crashed = [i for i in items if i["code"] == "CEL000"]
    assert [(i["path"], i["message"]) for i in crashed] == [
        ("pkg/m07.py", "internal error: the checker crashed on this file")
    ]
    assert sorted(i["path"] for i in items if i["code"] == "CEL002") == sorted(
        f"pkg/m{i:02}.py" for i in range(40) if i != 7
    )


def test_fixes_go_on_around_two_dying_workers(tmp_path):
    (tmp_path / ".git").mkdir()
    write(tmp_path, {f"pkg/m{i:02}.py": BLOCKING for i in range(40)})
    proc = run_dying(tmp_path, "m03.py,m30.py", "check", "--no-cache", "--jobs", "2", "--fix", "pkg")
    assert proc.returncode == 1, proc.stderr
    # A file fixed by a worker the broken pool took down is fixed, but not counted.
    assert re.search(r"Fixed \d+ findings, 2 remaining\.", proc.stdout), proc.stdout
    for i in range(40):
        text = (tmp_path / "pkg" / f"m{i:02}.py").read_text()
        assert (text == BLOCKING) == (i in (3, 30))
