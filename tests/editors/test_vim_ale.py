"""docs/editors/vim-ale.md, run in Vim 9 + ALE 3.3 (Debian `vim-ale`) inside tmux: the
documented linter gets the diagnostics, `:ALECodeAction` at the finding lists our actions
(ALE echoes the diagnostic back without `source` or `data`), the quick fix is chosen by its
number as a user types it, `:w` writes the fix. Skipped, saying why, without vim/ALE/tmux."""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

from editorrun import SLEEP_COLUMN, SLEEP_LINE, editor_env, example_project, require, skip, snippet

ALE = Path("/usr/share/vim-ale")  # where Debian's vim-ale puts the plugin
TIMEOUT = 30.0

# The test's own additions: ALE from Debian's directory, and the location list of each
# finished check written to a file, where the test can read it (the screen is 200x50).
HARNESS_VIMRC = """\
set nocompatible
set runtimepath^={ale}
filetype plugin on
syntax off
set shortmess+=F
let g:ale_set_signs = 0
let g:ale_echo_cursor = 0
autocmd User ALELintPost call writefile([json_encode(ale#engine#GetLoclist(bufnr('')))], $CP_LOCLIST)
"""


class Tmux:
    """One tmux server of our own (its own socket), with the editor in its only pane."""

    def __init__(self, tmp_path: Path, env: dict[str, str]) -> None:
        self.socket = str(tmp_path / "tmux.sock")
        self.env = env

    def __call__(self, *args: str) -> str:
        return subprocess.run(
            ["tmux", "-S", self.socket, *args], env=self.env, capture_output=True, text=True, check=True, timeout=10
        ).stdout

    def keys(self, *keys: str) -> None:
        self("send-keys", "-t", "cp", *keys)

    def screen(self) -> str:
        return self("capture-pane", "-p", "-t", "cp")

    def wait(self, what: str, condition) -> object:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}; the screen:\n{self.screen()}")


def test_vim_ale_quick_fix(tmp_path, request):
    vim = require("vim", request, "vim (or vim-nox)")
    require("tmux", request, "tmux")
    if not (ALE / "autoload" / "ale.vim").is_file():
        skip(request, f"ALE not found in {ALE}: install Debian's vim-ale (`make test` does when it can)")

    root, target = example_project(tmp_path)
    before = target.read_text()
    env = editor_env(tmp_path, CP_LOCLIST=str(tmp_path / "loclist.json"), TERM="xterm-256color")
    home = Path(env["HOME"])
    linter = home / ".vim" / "ale_linters" / "python" / "celery_patterns.vim"
    linter.parent.mkdir(parents=True)
    linter.write_text(snippet("vim-ale.md", "ale-linter"))
    vimrc = home / "vimrc"
    vimrc.write_text(HARNESS_VIMRC.format(ale=ALE) + snippet("vim-ale.md", "ale-vimrc"))
    loclist = Path(env["CP_LOCLIST"])

    tmux = Tmux(tmp_path, env)
    tmux(
        "new-session",
        "-d",
        "-s",
        "cp",
        "-x",
        "200",
        "-y",
        "50",
        "-c",
        str(root),
        f"{vim} -u {vimrc} -i NONE -n {target}",
    )
    try:

        def cel002():
            if not loclist.exists():
                return None
            for item in json.loads(loclist.read_text() or "[]"):
                if item.get("code") == "CEL002" and item.get("linter_name") == "celery_patterns":
                    return item
            return None

        found = tmux.wait("a CEL002 diagnostic from ALE", cel002)
        assert (found["lnum"], found["col"]) == (SLEEP_LINE, SLEEP_COLUMN)

        tmux.keys(f":call cursor({SLEEP_LINE}, {SLEEP_COLUMN})", "Enter")
        tmux.keys(":ALECodeAction", "Enter")
        menu = tmux.wait("ALE's list of code actions", lambda: "Type number and <Enter>" in (s := tmux.screen()) and s)
        titles = dict(re.findall(r"^(\d+)\) (.*?)\s*$", menu, re.M))
        assert titles == {"1": "Replace with `await asyncio.sleep(...)`", "2": "Disable CEL002 for this line"}, menu
        tmux.keys("1", "Enter")
        tmux.keys(":w", "Enter")
        expected = before.replace("        time.sleep(1)\n", "        await asyncio.sleep(1)\n")
        tmux.wait("the fixed file on disk", lambda: target.read_text() == expected)
        tmux.keys(":qa!", "Enter")
    finally:
        subprocess.run(["tmux", "-S", tmux.socket, "kill-server"], capture_output=True, timeout=10)
