"""docs/editors/neovim.md, run in Neovim 0.7 (Debian `neovim`): the documented snippet starts
one server per project root, however many Python files of it are open, and the documented
fix-on-save autocommand fixes the file on `:write`. Skipped, saying why, without `nvim`."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from editorrun import editor_env, example_project, require, snippet

HERE = Path(__file__).parent


def test_neovim_snippet_shares_one_server_per_root_and_fixes_on_save(tmp_path, request):
    nvim = require("nvim", request, "neovim")
    root, target = example_project(tmp_path)
    files = [target, root / "server/core/celery/group_dispatch.py", root / "server/api/routers/datasets.py"]
    assert all(f.is_file() for f in files)
    other = tmp_path / "elsewhere" / "script.py"
    other.parent.mkdir()
    (other.parent / "pyproject.toml").write_text("[tool.celery-patterns]\n")
    other.write_text("import time\n\n\nasync def nap():\n    time.sleep(1)\n")

    snippets = []
    for name in ("neovim-0.7", "neovim-fix-on-save"):
        path = tmp_path / f"{name}.lua"
        path.write_text(snippet("neovim.md", name))
        snippets.append(str(path))
    result_file = tmp_path / "outcome.json"
    env = editor_env(
        tmp_path,
        CP_SNIPPETS=json.dumps(snippets),
        CP_FILES=json.dumps([str(f) for f in files]),
        CP_OTHER=str(other),
        CP_RESULT=str(result_file),
    )
    run = subprocess.run(
        [nvim, "--headless", "--clean", "-n", "-i", "NONE", "-S", str(HERE / "neovim_setup.lua")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert result_file.exists(), f"nvim wrote no outcome (exit {run.returncode}): {run.stdout}{run.stderr}"
    outcome = json.loads(result_file.read_text())
    assert outcome["ok"], f"{outcome['message']} after {outcome['steps']}\n{run.stderr}"

    # Three files of the project, one client; the other project's file, another.
    project_clients = outcome["project_clients"]
    assert project_clients == [project_clients[0]] * 3 and len(project_clients[0]) == 1, (
        f"the three files' clients: {project_clients}"
    )
    (project_client,), (other_client,) = project_clients[0], outcome["other_clients"]
    assert other_client != project_client
    running = {c["id"]: c for c in outcome["running"]}
    assert len(running) == 2, outcome["running"]
    assert running[project_client]["root"] == str(root)
    assert running[other_client]["root"] == str(other.parent)
    assert {c["name"] for c in running.values()} == {"celery-patterns"}

    text = target.read_text()
    assert "time.sleep(1)" not in text  # fixed on save, with the import the fix needs
    assert "        await asyncio.sleep(1)\n" in text and "import asyncio\n" in text
