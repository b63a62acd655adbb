"""Headless Neovim (Debian `neovim`, 0.7 API) as the client, across services: on a task-name
string of the dispatching service, `vim.lsp.buf.definition()` opens the worker's file at the
task's `def`. Skipped, saying why, without `nvim`."""

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
CLIENT = Path("server/core/celery/rag_client.py")
WORKER = Path("rag/tasks.py")
NAME = '"rag.search"'

# Used when the checkout has no examples/ folder: two services of the same shape.
FALLBACK = {
    "server/requirements.txt": "celery\nfastapi\n",
    "server/__init__.py": "",
    "server/core/__init__.py": "",
    "server/core/celery/__init__.py": 'from celery import Celery\n\napp = Celery("server")\n',
    str(CLIENT): (
        "from celery import signature\n\nfrom server.core.celery import app\n\n\n"
        "def build_query_signature(project_dir, database_name, query):\n"
        '    return signature("rag.search", args=[project_dir, database_name, query], app=app)\n'
    ),
    "rag/requirements.txt": "celery\n",
    "rag/__init__.py": "",
    "rag/celery_app.py": 'from celery import Celery\n\napp = Celery("rag")\n',
    str(WORKER): (
        "from rag.celery_app import app\n\n\n"
        '@app.task(name="rag.ingest_file")\n'
        "def ingest_file(project_dir: str, database_name: str, source_path: str) -> dict:\n"
        "    return {}\n\n\n"
        '@app.task(name="rag.search")\n'
        "def search(project_dir: str, database_name: str, query: str) -> list[dict]:\n"
        "    return []\n"
    ),
}


def skip_without_nvim(request) -> str:
    nvim = shutil.which("nvim")
    if nvim is None:
        reason = "nvim not found: install Debian's `neovim` (`make test` does when it can)"
        plugins = request.config.pluginmanager
        reporter, capture = plugins.get_plugin("terminalreporter"), plugins.get_plugin("capturemanager")
        if reporter is not None and capture is not None:  # printed even under `-q` and output capture
            with capture.global_and_fixture_disabled():
                reporter.write_line(f"\nSKIPPED {request.node.name}: {reason}")
        pytest.skip(reason)
    return nvim


def test_neovim_goes_to_the_task_of_another_service(tmp_path, request):
    nvim = skip_without_nvim(request)
    root = tmp_path / "project"
    if (EXAMPLES / CLIENT).is_file() and (EXAMPLES / WORKER).is_file():
        shutil.copytree(EXAMPLES, root, ignore=shutil.ignore_patterns("__pycache__", ".celery-patterns*"))
    else:
        for relative, text in FALLBACK.items():
            (root / relative).parent.mkdir(parents=True, exist_ok=True)
            (root / relative).write_text(text)
    worker_lines = (root / WORKER).read_text().splitlines()
    (def_line,) = [n for n, text in enumerate(worker_lines, 1) if text.startswith("def search(")]

    result_file = tmp_path / "outcome.json"
    env = {
        **os.environ,
        "CP_FILE": str(root / CLIENT),
        "CP_ROOT": str(root),
        "CP_SERVER": json.dumps([sys.executable, "-m", "celery_patterns", "lsp"]),
        "CP_NAME": NAME,
        "CP_RESULT": str(result_file),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
    }
    run = subprocess.run(
        [nvim, "--headless", "--clean", "-n", "-i", "NONE", "-S", str(HERE / "neovim_definition.lua")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert result_file.exists(), f"nvim wrote no outcome (exit {run.returncode}): {run.stdout}{run.stderr}"
    outcome = json.loads(result_file.read_text())
    assert outcome["ok"], f"{outcome['message']} after {outcome['steps']}\n{run.stderr}"
    assert outcome["steps"] == ["started", "indexed", "cursor", "jumped"]
    assert outcome["indexed"].startswith("indexed ")  # the end of "Indexing Celery tasks"

    assert Path(outcome["buffer"]).resolve() == (root / WORKER).resolve()
    assert outcome["line"] == def_line, outcome
    assert outcome["text"].startswith("def search(")
    assert outcome["column"] == len("def "), outcome  # on the task's name
