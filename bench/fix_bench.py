"""Fix speed, side by side with peers in the same run (run by hand).

The file is the language-server bench's: async handlers each calling `time.sleep` (one
CEL002 finding, with a safe fix, every 6 lines). The peers have no fix for that rule
(Fixit's UseAsyncSleepInAsyncDef and ruff's ASYNC251 only report), so each fixes the
same number of findings of an autofixable rule of its own in a file of the same length
(ours fixes CEL002 only, though the file also has CEL003 findings):
a redundant `f"..."` in place of each `time.sleep` line (Fixit's NoRedundantFString, ruff's
F541). Timed, best of REPEAT runs:
- ours, whole file:  `celery-patterns check --fix` (a process, as pre-commit runs it);
- ours, in process:  `engine.fix_source` (what the editor's fix-all runs);
- ours, the editor:  `source.fixAll.celery-patterns` through `celery-patterns lsp`, driven by
                     `lsp_bench`'s raw client as VS Code drives it: from sending the
                     `textDocument/codeAction` request to holding the edits (its
                     `codeAction/resolve` included, as the action comes without them), the
                     conversion of the fixed text to edits included. The server selects CEL002
                     by `initializationOptions` (`{"select": ["CEL002"]}`), as `--select CEL002`
                     does on the command line; the edits, applied, must give the very text
                     `check --fix` writes. One request first loads libcst; each timed one is on
                     a new version of the document (the same text), so nothing is cached;
- ours, one fix:     `engine.compute_fix` for the last finding (an editor's quick fix);
- fixit:             `fixit fix --automatic`;
- ruff:              `ruff check --fix --no-cache`.

    python bench/fix_bench.py [--lines 120 300 2000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from celery_patterns import engine  # noqa: E402
from cli_bench import TOOLS, setup  # noqa: E402  (the virtualenv with the peers)
from lsp_bench import PUSH_CLIENT, Server, diagnostics_of, module  # noqa: E402

FIX_ALL = "source.fixAll.celery-patterns"


def peer_module(lines: int) -> str:
    """The bench module with a redundant f-string where each blocking sleep was."""
    return module(lines, emoji=False).replace("        time.sleep(delay)", '        label = f"waiting"')


def best_of(repeat: int, run) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def process_time(command: list[str], path: Path, text: str, repeat: int) -> float:
    def run() -> None:
        path.write_text(text)
        result = subprocess.run([*command, str(path)], cwd=path.parent, capture_output=True)
        if result.returncode not in (0, 1):
            raise SystemExit(f"{command[0]} failed ({result.returncode}): {result.stderr.decode()[-2000:]}")
        if path.read_text() == text:
            raise SystemExit(f"{command[0]} fixed nothing")

    return best_of(repeat, run)


def server_fix_all(root: Path, text: str, repeat: int) -> tuple[float, str]:
    """The editor's fix-all through the language server: (best time, the text its edits give)."""
    path = root / "editor.py"
    path.write_text(text)
    uri = path.as_uri()
    server = Server(root, PUSH_CLIENT, options={"select": ["CEL002"]})
    try:
        server.open(uri, text)
        diagnostics_of(server, uri, 1)
        best, fixed = float("inf"), text
        for n in range(repeat + 1):  # the first loads libcst
            version = n + 1
            if n:  # a new version, the same text: no fix of an earlier one is reused
                server.notify(
                    "textDocument/didChange",
                    {"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]},
                )
                diagnostics_of(server, uri, version)
            start = time.perf_counter()
            offered = server.request(
                "textDocument/codeAction",
                {
                    "textDocument": {"uri": uri},
                    "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
                    "context": {"diagnostics": [], "only": [FIX_ALL]},
                },
            )
            action = next(a for a in offered if a.get("kind") == FIX_ALL)
            if not action.get("edit"):
                action = server.request("codeAction/resolve", action)
            edits = _edits_of(action["edit"], uri)
            if n:
                best = min(best, time.perf_counter() - start)
            fixed = _applied(text, edits)
        return best, fixed
    finally:
        server.close()


def _edits_of(workspace_edit: dict, uri: str) -> list[dict]:
    if "documentChanges" in workspace_edit:
        return [e for change in workspace_edit["documentChanges"] for e in change["edits"]]
    return workspace_edit["changes"][uri]


def _applied(text: str, edits: list[dict]) -> str:
    """LSP edits applied to an ASCII text (UTF-16 columns are then characters)."""
    assert text.isascii()
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))

    def offset(position: dict) -> int:
        return starts[position["line"]] + position["character"]

    for edit in sorted(edits, key=lambda e: offset(e["range"]["start"]), reverse=True):
        text = text[: offset(edit["range"]["start"])] + edit["newText"] + text[offset(edit["range"]["end"]) :]
    return text


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, nargs="*", default=[120, 300, 2000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    setup()
    tools = TOOLS / "bin"
    ours_cli = [sys.executable, "-m", "celery_patterns", "check", "--fix", "--no-progress", "--select", "CEL002"]
    fixit = [str(tools / "fixit"), "--rules", "fixit.rules:NoRedundantFString", "fix", "--automatic"]
    ruff = [str(tools / "ruff"), "check", "--select", "F541", "--fix", "--no-cache", "--isolated"]
    print(f"best of {args.repeat}; seconds")
    print(
        f"{'lines':>6} {'fixes':>6} {'ours: check --fix':>18} {'fix_source':>11} {'source.fixAll (server)':>23} "
        f"{'one fix':>8} {'Fixit 2.2.1':>12} {'ruff 0.17.6':>12}"
    )
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        (root / "pyproject.toml").write_text("[tool.celery-patterns]\n")
        for lines in args.lines:
            ours_text, peer_text = module(lines, emoji=False), peer_module(lines)
            checked = engine.check_source(ours_text)
            ours = [f for f in checked.report.findings if f.code == "CEL002" and f.fixable]
            fixes, last = len(ours), ours[-1]
            engine.compute_fix(ours_text, last, checked=checked)  # libcst loaded before timing
            cli = process_time(ours_cli, root / "ours.py", ours_text, args.repeat)
            cli_fixed = (root / "ours.py").read_text()
            whole = best_of(args.repeat, lambda text=ours_text: engine.fix_source(text, codes={"CEL002"}))
            editor, editor_fixed = server_fix_all(root, ours_text, args.repeat)
            if editor_fixed != cli_fixed:
                raise SystemExit(f"{lines} lines: the server's fix-all gives another text than `check --fix`")
            one = best_of(args.repeat, lambda text=ours_text, last=last: engine.compute_fix(text, last))
            peer = root / "peer" / "peer.py"
            peer.parent.mkdir(exist_ok=True)
            fixit_time = process_time(fixit, peer, peer_text, args.repeat)
            ruff_time = process_time(ruff, peer, peer_text, args.repeat)
            print(
                f"{lines:>6} {fixes:>6} {cli:>18.2f} {whole:>11.2f} {editor:>23.2f} {one:>8.3f} "
                f"{fixit_time:>12.2f} {ruff_time:>12.3f}"
            )
        shutil.rmtree(root / "peer", ignore_errors=True)


if __name__ == "__main__":
    main()
