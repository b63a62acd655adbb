"""docs/editors/emacs.md, run in Emacs 28 + eglot 1.9 (Debian `emacs-nox elpa-eglot`), batch:
the documented set-up gets diagnostics, a quick fix picked from `eglot-code-actions` edits the
buffer (eglot 1.9 cannot resolve: the edit must come with the action), the file is saved; the
documented fix-on-save hook applies the safe fixes. Skipped, saying why, without Emacs/eglot."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from editorrun import SLEEP_COLUMN, SLEEP_LINE, editor_env, example_project, require, skip, snippet

HERE = Path(__file__).parent
SLEEPY = """\
import time
from time import sleep


async def poll(result):
    while not result.ready():
        time.sleep(1)


async def nap():
    sleep(2)
"""


def test_emacs_eglot_quick_fix_and_fix_on_save(tmp_path, request):
    emacs = require("emacs", request, "emacs-nox and elpa-eglot")
    probe = subprocess.run(
        [emacs, "--batch", "--eval", "(progn (package-initialize) (require 'eglot))"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if probe.returncode != 0:
        skip(request, "Emacs cannot load eglot: install Debian's elpa-eglot (`make test` does when it can)")

    root, target = example_project(tmp_path)
    before = target.read_text()
    saved = target.with_name("sleepy.py")
    saved.write_text(SLEEPY)
    # What the CLI's --fix makes of the same file in the same place: fix-all must agree.
    reference_root = tmp_path / "reference"
    shutil.copytree(root, reference_root)
    reference = reference_root / saved.relative_to(root)
    subprocess.run(
        ["celery-patterns", "check", "--fix", "--no-progress", str(reference)],
        cwd=reference_root,
        env=editor_env(tmp_path),
        capture_output=True,
        check=False,
        timeout=60,
    )
    assert reference.read_text() != SLEEPY

    setup, fix_on_save = tmp_path / "setup.el", tmp_path / "fix-on-save.el"
    setup.write_text(snippet("emacs.md", "eglot"))
    fix_on_save.write_text(snippet("emacs.md", "eglot-fix-on-save"))
    result_file = tmp_path / "outcome.json"
    env = editor_env(
        tmp_path,
        CP_SETUP=str(setup),
        CP_FIX_ON_SAVE=str(fix_on_save),
        CP_FILE=str(target),
        CP_LINE=str(SLEEP_LINE),
        CP_COLUMN=str(SLEEP_COLUMN),
        CP_SAVED=str(saved),
        CP_RESULT=str(result_file),
    )
    run = subprocess.run(
        [emacs, "--batch", "-l", str(HERE / "emacs_eglot.el")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result_file.exists(), f"emacs wrote no outcome (exit {run.returncode}):\n{run.stdout}{run.stderr}"
    outcome = json.loads(result_file.read_text())
    assert outcome["ok"] is True, (
        f"{outcome['message']} after {outcome['steps']}\n{run.stderr[-3000:]}\n{outcome.get('events', '')}"
    )

    assert "CEL002" in outcome["codes"]
    assert outcome["titles"] == ["Replace with `await asyncio.sleep(...)`", "Disable CEL002 for this line"]
    assert target.read_text() == before.replace("        time.sleep(1)\n", "        await asyncio.sleep(1)\n")
    assert saved.read_text() == reference.read_text()
    assert outcome["servers"] == 1  # both files, one server
