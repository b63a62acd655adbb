"""Helpers of the tests that drive real editors (Neovim, Emacs, Vim + ALE) headless.

Each test runs the editor set-up documented in docs/editors/ (the snippets are read from
the pages, so a page and its test cannot drift apart) against this checkout's server,
found on PATH as `celery-patterns`, as the pages tell users to install it.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "editors"
EXAMPLES = ROOT / "examples"
EXAMPLE = Path("server/core/celery/rag_client.py")  # CEL002: time.sleep(1) in an async def
SLEEP_LINE = 66  # 1-based line of `time.sleep(1)` in the example
SLEEP_COLUMN = 9


def skip(request, reason: str):
    """Skip the test, printing why even under `-q` and output capture."""
    plugins = request.config.pluginmanager
    reporter, capture = plugins.get_plugin("terminalreporter"), plugins.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line(f"\nSKIPPED {request.node.name}: {reason}")
    pytest.skip(reason)


def require(executable: str, request, install: str) -> str:
    """The editor's path; else skip, saying which Debian packages to install."""
    path = shutil.which(executable)
    if path is None:
        skip(request, f"{executable} not found: install Debian's {install} (`make test` does when it can)")
    return path


def snippet(page: str, name: str) -> str:
    """The code block that follows `<!-- snippet: NAME ... -->` in docs/editors/PAGE."""
    text = (DOCS / page).read_text()
    match = re.search(r"<!-- snippet: " + re.escape(name) + r"(?:\s[^>]*)?-->\s*```[\w-]*\n(.*?)\n```", text, re.S)
    assert match, f"no snippet {name!r} in docs/editors/{page}"
    return match.group(1) + "\n"


def example_project(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of examples/ (its pyproject.toml marks the root): (root, the CEL002 file)."""
    root = tmp_path / "project"
    shutil.copytree(EXAMPLES, root)
    target = root / EXAMPLE
    assert target.read_text().splitlines()[SLEEP_LINE - 1].strip() == "time.sleep(1)"
    return root, target


def editor_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of an editor: our `celery-patterns` first on PATH, a fresh home."""
    scripts = Path(sys.executable).parent
    assert (scripts / "celery-patterns").exists(), f"no celery-patterns script next to {sys.executable}"
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {
        **os.environ,
        "PATH": f"{scripts}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local/share"),
        "XDG_STATE_HOME": str(home / ".local/state"),
        "XDG_CACHE_HOME": str(home / ".cache"),
    }
    env.update(extra)
    return env
