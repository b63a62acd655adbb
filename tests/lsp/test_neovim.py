"""Headless Neovim (Debian `neovim`, 0.7 API) as the client: open an example, get the
diagnostics, apply the quick fix, write the file. Skipped, saying why, without `nvim`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
EXAMPLES = HERE.parents[1] / "examples"
EXAMPLE = Path("server/core/celery/rag_client.py")

# Used when the checkout has no examples/ folder: the same shape as the example.
FALLBACK = """\
import time

from celery import signature


async def search_with_rag(project_dir: str, database_name: str, query: str) -> list[dict]:
    result = signature("rag.search", args=[project_dir, database_name, query]).apply_async()
    while result.status in ("PENDING", "STARTED"):
        time.sleep(1)
    return result.result
"""


def test_neovim_applies_a_quick_fix(tmp_path, request):
    nvim = shutil.which("nvim")
    if nvim is None:
        reason = "nvim not found: install Debian's `neovim` (`make test` does when it can)"
        plugins = request.config.pluginmanager
        reporter, capture = plugins.get_plugin("terminalreporter"), plugins.get_plugin("capturemanager")
        if reporter is not None and capture is not None:  # printed even under `-q` and output capture
            with capture.global_and_fixture_disabled():
                reporter.write_line(f"\nSKIPPED test_neovim_applies_a_quick_fix: {reason}")
        pytest.skip(reason)

    root = tmp_path / "project"
    if (EXAMPLES / EXAMPLE).is_file():
        shutil.copytree(EXAMPLES, root)
    else:
        (root / EXAMPLE.parent).mkdir(parents=True)
        (root / EXAMPLE).write_text(FALLBACK)
    target = root / EXAMPLE
    before = target.read_text()
    result_file = tmp_path / "outcome.json"
    env = {
        **os.environ,
        "CP_FILE": str(target),
        "CP_ROOT": str(root),
        "CP_SERVER": json.dumps([sys.executable, "-m", "celery_patterns", "lsp"]),
        "CP_RESULT": str(result_file),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
    }
    run = subprocess.run(
        [nvim, "--headless", "--clean", "-n", "-i", "NONE", "-S", str(HERE / "neovim_quickfix.lua")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert result_file.exists(), f"nvim wrote no outcome (exit {run.returncode}): {run.stdout}{run.stderr}"
    outcome = json.loads(result_file.read_text())
    assert outcome["ok"], f"{outcome['message']} after {outcome['steps']}\n{run.stderr}"
    assert outcome["steps"][-1] == "rechecked"
    assert "CEL002" in outcome["codes"]
    assert outcome["diagnostic"]["source"] == "celery-patterns"

    after = target.read_text()
    assert after != before
    assert "time.sleep(1)" not in after
    assert "await asyncio.sleep(1)" in after
