"""Benchmark of `celery-patterns lsp`, driven the way an editor drives it (run by hand).

    .venv/bin/python bench/lsp_bench.py [--lines 2000] [--edits 50] [--documents 200]

Latency: the server is started over stdio as an editor starts it; a generated file of
`--lines` lines full of findings is opened, then `--edits` edits are made one after
the other as typing does (a character into a comment, a change inside a flagged call),
each its own version. Measured: the time from writing the `didChange` to receiving the
diagnostics of that version, the server's debounce included. Twice: as VS Code 1.65 gets
them (pushed `publishDiagnostics`, UTF-16) and as Neovim 0.11 gets them (a
`textDocument/diagnostic` request sent right after the change, UTF-8).

Opening: 5, 30 and `--documents` new buffers of 300 lines that are not on disk (each adds a
module to the project model) are opened at once; measured: the time until every one has
its diagnostics, and the resident memory then.

Memory: `--documents` documents are opened (generated modules of 300 lines, a finding
every 6 lines; then, in a fresh server, as many 2,000-line ones), and once every one has
its diagnostics the server's resident memory (VmRSS) is read from /proc. These are ASCII,
as most source is (one astral character makes Python store a text at 4 bytes a character).

The peer: `ruff server` (ruff 0.17.6, from the tools virtualenv `bench/cli_bench.py`
sets up), driven by the same client on the same file and edits, with its one comparable
rule (ASYNC251, a blocking sleep in `async def`: 332 findings). Skipped when missing.

Code actions: on a `--action-lines` file, after each edit's diagnostics, a `codeAction` at
the squiggle of a blocking sleep, and for a client that resolves edits lazily (VS Code) the
resolve of its quick fix; a client that cannot (Emacs eglot 1.9, Vim ALE) gets the edit in
the answer. Each in a fresh server: its first fix is the first of the session.

Typing session: `--keystrokes` keystrokes into the `--lines` file as VS Code sends them with
pull diagnostics (each keystroke's diagnostics pulled; a code action and a hover every 10):
the round trip's median, p90 and max, and VmRSS every 1,000 keystrokes. Closing: VmRSS with
`--documents` documents open, then once they are closed.

A raw JSON-RPC client over pipes: no client library in the measured path.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

SERVER = [sys.executable, "-m", "celery_patterns", "lsp"]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from cli_bench import TOOLS  # noqa: E402  (the virtualenv with the peers)

PEER = [str(TOOLS / "bin" / "ruff"), "server"]
PEER_CONFIG = '[lint]\nselect = ["ASYNC251"]\n'

PUSH_CLIENT = {  # what matters of VS Code 1.65's capabilities
    "textDocument": {
        "synchronization": {"dynamicRegistration": True, "didSave": True},
        "publishDiagnostics": {
            "relatedInformation": True,
            "versionSupport": False,
            "codeDescriptionSupport": True,
            "dataSupport": True,
        },
        "codeAction": {"dataSupport": True, "isPreferredSupport": True, "resolveSupport": {"properties": ["edit"]}},
        "hover": {"contentFormat": ["markdown", "plaintext"]},
    },
    "workspace": {"workspaceEdit": {"documentChanges": True}, "configuration": True},
    "window": {"workDoneProgress": True},
}
PULL_CLIENT = {  # what matters of Neovim 0.11's
    "general": {"positionEncodings": ["utf-8", "utf-16", "utf-32"]},
    "textDocument": {
        "diagnostic": {"dynamicRegistration": False},
        "publishDiagnostics": {"relatedInformation": True, "dataSupport": True},
        "codeAction": {"dataSupport": True, "isPreferredSupport": True, "resolveSupport": {"properties": ["edit"]}},
    },
    "workspace": {"workspaceEdit": {"documentChanges": True}},
    "window": {"workDoneProgress": True},
}


def module(lines: int, tag: str = "", emoji: bool = True) -> str:
    """A module of `lines` lines: an async handler with a blocking sleep every 6 lines.

    With `emoji`, each handler's comment ends with one (positions after it differ in UTF-8,
    UTF-16 and code points); Python then stores the whole text at 4 bytes a character."""
    out = ["import asyncio", "import time", ""]
    i = 0
    while len(out) + 6 <= lines:
        out += [
            f"async def handler{tag}_{i}(result, delay: float = 1.0):",
            f"    # poll the result {i} until it is ready {'🎉' if emoji else ':)'}",
            "    while not result.ready():",
            "        time.sleep(delay)",
            "    return result.get()",
            "",
        ]
        i += 1
    out += [""] * (lines - len(out))
    return "\n".join(out) + "\n"


class Server:
    """The server process and a minimal LSP client speaking to it over its pipes."""

    def __init__(
        self, root: Path, capabilities: dict, command: list[str] = SERVER, options: dict | None = None
    ) -> None:
        self.ours = command == SERVER
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=root
        )
        self.messages: queue.Queue = queue.Queue()
        self.next_id = 0
        self.lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()
        result = self.request(
            "initialize",
            {
                "processId": os.getpid(),
                "rootUri": root.as_uri(),
                "capabilities": capabilities,
                "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}],
                **({"initializationOptions": options} if options is not None else {}),
            },
        )
        self.encoding = result["capabilities"].get("positionEncoding", "utf-16")
        self.pull = "diagnosticProvider" in result["capabilities"]
        self.notify("initialized", {})

    def _read(self) -> None:
        stream = self.process.stdout
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            message = json.loads(stream.read(length))
            message["_received"] = time.perf_counter()
            if "method" in message and "id" in message:  # a request from the server: answer it
                result = None
                if message["method"] == "workspace/configuration":  # no editor settings
                    result = [None] * len(message["params"]["items"])
                # Answered from another thread: this one must keep reading, or a server blocked
                # writing to us while we block writing to it would deadlock both.
                answer = {"jsonrpc": "2.0", "id": message["id"], "result": result}
                threading.Thread(target=self._send, args=(answer,), daemon=True).start()
            else:
                self.messages.put(message)

    def _send(self, message: dict) -> float:
        body = json.dumps(message).encode()
        with self.lock:
            self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            self.process.stdin.flush()
            return time.perf_counter()

    def notify(self, method: str, params) -> float:
        return self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def send_request(self, method: str, params) -> int:
        self.next_id += 1
        self._send({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        return self.next_id

    def wait(self, predicate, timeout: float = 120.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            message = self.messages.get(timeout=max(deadline - time.monotonic(), 0.001))
            if predicate(message):
                return message

    def request(self, method: str, params):
        request_id = self.send_request(method, params)
        return self.wait(lambda m: m.get("id") == request_id)["result"]

    def open(self, uri: str, text: str) -> None:
        self.notify(
            "textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}}
        )

    def rss_mb(self) -> float:
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return float("nan")

    def close(self) -> None:
        try:
            self.request("shutdown", None)
            self.notify("exit", None)
            self.process.wait(timeout=10)
        except Exception:
            self.process.kill()


def diagnostics_of(server: Server, uri: str, version: int) -> tuple[int, float]:
    """Wait for the diagnostics of `uri` at `version`: (how many, when they arrived)."""
    if server.pull:
        request_id = server.send_request("textDocument/diagnostic", {"textDocument": {"uri": uri}})
        message = server.wait(lambda m: m.get("id") == request_id)
        items = message["result"]["items"]
        assert not server.ours or all(d["data"]["version"] == version for d in items)
        return len(items), message["_received"]
    message = server.wait(
        lambda m: (
            m.get("method") == "textDocument/publishDiagnostics"
            and m["params"]["uri"] == uri
            and m["params"].get("version", version) == version
        )
    )
    return len(message["params"]["diagnostics"]), message["_received"]


def latency(
    root: Path,
    capabilities: dict,
    lines: int,
    edits: int,
    warmup: int = 5,
    command: list[str] = SERVER,
    full_text: bool = False,
) -> dict:
    """didChange -> diagnostics of that version; `full_text`: each change sends the whole
    text, as clients without incremental sync do (the same edits either way)."""
    text = module(lines)
    path = root / "big.py"
    path.write_text(text)
    uri = path.as_uri()
    server = Server(root, capabilities, command)
    try:
        server.open(uri, text)
        findings, _ = diagnostics_of(server, uri, 1)
        current = text.splitlines()
        code_lines = [i for i, line in enumerate(current) if line.endswith("time.sleep(delay)")]
        comment_lines = [i for i, line in enumerate(current) if line.startswith("    # poll")]
        times = []
        for n in range(warmup + edits):
            version = n + 2
            if n % 2:  # inside a flagged call: `delay` -> `delayx`
                line = code_lines[(n * 7) % len(code_lines)]
                column, at, typed = 24, 24, "x"
            else:  # a character typed into a comment, after the emoji
                line = comment_lines[(n * 11) % len(comment_lines)]
                column, at, typed = _client_length(current[line], server.encoding), len(current[line]), "!"
            current[line] = current[line][:at] + typed + current[line][at:]
            if full_text:
                change = {"text": "\n".join(current) + "\n"}
            else:
                change = {"range": _range(line, column, line, column), "text": typed}
            sent = server.notify(
                "textDocument/didChange", {"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]}
            )
            count, received = diagnostics_of(server, uri, version)
            assert count == findings, (count, findings)
            if n >= warmup:
                times.append((received - sent) * 1000)
        return {
            "server": "celery-patterns" if server.ours else "ruff server (ASYNC251)",
            "mode": "pull (textDocument/diagnostic)" if server.pull else "push (publishDiagnostics)",
            "sync": "full text" if full_text else "incremental",
            "encoding": server.encoding,
            "lines": lines,
            "findings": findings,
            "edits": len(times),
            "median_ms": round(statistics.median(times), 1),
            "p90_ms": round(statistics.quantiles(times, n=10)[-1], 1),
            "min_ms": round(min(times), 1),
            "max_ms": round(max(times), 1),
        }
    finally:
        server.close()


def _client_length(text: str, encoding: str) -> int:
    return len(text.encode("utf-8")) if encoding == "utf-8" else len(text.encode("utf-16-le")) // 2


def _range(line: int, column: int, end_line: int, end_column: int) -> dict:
    return {"start": {"line": line, "character": column}, "end": {"line": end_line, "character": end_column}}


def engine_time(root: Path, lines: int, runs: int = 15) -> dict:
    """The engine alone on the same file, in this process: a full check (as on open) and,
    as on an edit, an incremental one (`BufferChecker`) reusing all but the edited function."""
    import gc

    from celery_patterns import engine
    from celery_patterns.engine import settings_for
    from celery_patterns.engine.incremental import BufferChecker

    path = root / "big.py"
    text = module(lines)
    settings = settings_for(path)
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)  # as the server runs
    checker = BufferChecker()
    engine.check_source(text, str(path), settings, "big", checker)
    texts = [text, text.replace("# poll the result 7 ", "# poll the result 7!", 1)]  # edits, alternating
    full, incremental = [], []
    for n in range(runs + 3):
        start = time.perf_counter()
        checked = engine.check_source(text, str(path), settings, "big")
        full.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        engine.check_source(texts[n % 2], str(path), settings, "big", checker)
        incremental.append((time.perf_counter() - start) * 1000)
    counts: dict[str, int] = {}
    for finding in checked.report.findings:
        counts[finding.code] = counts.get(finding.code, 0) + 1
    return {
        "median_ms": round(statistics.median(full[3:]), 1),
        "incremental_median_ms": round(statistics.median(incremental[3:]), 1),
        "findings": counts,
    }


def memory(root: Path, documents: int, lines: int) -> dict:
    """Resident memory with `documents` open, for small and for large files (a fresh server each)."""
    figures = {"documents": documents}
    for label, size in (("small", 300), ("large", lines)):
        server = Server(root, PUSH_CLIENT)
        try:
            figures["rss_mb_started"] = round(server.rss_mb(), 1)
            pending = set()
            for i in range(documents):
                path = root / label / f"m{i}.py"
                path.parent.mkdir(exist_ok=True)
                text = module(size, tag=f"{label}{i}", emoji=False)
                path.write_text(text)
                server.open(path.as_uri(), text)
                pending.add(path.as_uri())
            while pending:
                message = server.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics")
                pending.discard(message["params"]["uri"])
            figures[f"rss_mb_{documents}_docs_{size}_lines"] = round(server.rss_mb(), 1)
        finally:
            server.close()
    return figures


EAGER_CLIENT = {  # a client that cannot resolve code-action edits (Emacs eglot 1.9, Vim ALE): VS Code's otherwise
    **PUSH_CLIENT,
    "textDocument": {
        **PUSH_CLIENT["textDocument"],
        "codeAction": {"dataSupport": True, "isPreferredSupport": True},
    },
}


def code_actions(root: Path, lines: int, edits: int, lazy: bool) -> dict:
    """A code action at a squiggle once an edit's diagnostics are in, on a `lines`-line file:
    the `codeAction` answer and, for a client that resolves edits lazily, the resolve of its
    quick fix; in a fresh server, so the first is the first fix of the session."""
    text = module(lines, tag="ca")
    path = root / "actions.py"
    path.write_text(text)
    uri = path.as_uri()
    server = Server(root, PUSH_CLIENT if lazy else EAGER_CLIENT)
    try:
        server.open(uri, text)
        diagnostics_of(server, uri, 1)
        current = text.splitlines()
        comment_lines = [i for i, line in enumerate(current) if line.startswith("    # poll")]
        asked, resolved = [], []
        for n in range(edits):
            version = n + 2
            line = comment_lines[(n * 11) % len(comment_lines)]
            column = _client_length(current[line], server.encoding)
            current[line] += "!"
            change = {"range": _range(line, column, line, column), "text": "!"}
            server.notify(
                "textDocument/didChange", {"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]}
            )
            message = server.wait(
                lambda m, v=version: (
                    m.get("method") == "textDocument/publishDiagnostics" and m["params"]["version"] == v
                )
            )
            # the squiggle of the sleep two lines below the edit (CEL002, a safe fix)
            diagnostic = next(d for d in message["params"]["diagnostics"] if d["range"]["start"]["line"] == line + 2)
            params = {
                "textDocument": {"uri": uri},
                "range": diagnostic["range"],
                "context": {"diagnostics": [diagnostic], "triggerKind": 1},
            }
            start = time.perf_counter()
            offered = server.request("textDocument/codeAction", params)
            asked.append((time.perf_counter() - start) * 1000)
            fix = next(a for a in offered if a["kind"] == "quickfix" and not a["title"].startswith("Disable"))
            if lazy:
                start = time.perf_counter()
                fix = server.request("codeAction/resolve", fix)
                resolved.append((time.perf_counter() - start) * 1000)
            assert fix.get("edit"), fix
        waits = [a + r for a, r in zip(asked, resolved)] if lazy else asked
        return {
            "client": "resolves edits lazily" if lazy else "needs every edit in the answer",
            "lines": lines,
            "requests": len(asked),
            "code_action_median_ms": round(statistics.median(asked), 1),
            "resolve_median_ms": round(statistics.median(resolved), 1) if lazy else None,
            "until_edit_median_ms": round(statistics.median(waits[1:]), 1),
            "until_edit_p90_ms": round(statistics.quantiles(waits[1:], n=10)[-1], 1),
            "first_fix_ms": round(waits[0], 1),
        }
    finally:
        server.close()


VSCODE_PULL_CLIENT = {  # VS Code 1.80+: pulls diagnostics
    **PUSH_CLIENT,
    "textDocument": {**PUSH_CLIENT["textDocument"], "diagnostic": {"dynamicRegistration": True}},
}


def typing_session(root: Path, lines: int, keystrokes: int, every: int = 10) -> dict:
    """Typing as a person does in VS Code: each keystroke's diagnostics pulled, and every
    `every` keystrokes a code action at a squiggle and a hover on it. The diagnostics round
    trip (didChange sent to the pull answered), and resident memory every 1,000 keystrokes."""
    text = module(lines, tag="ts")
    path = root / "session.py"
    path.write_text(text)
    uri = path.as_uri()
    server = Server(root, VSCODE_PULL_CLIENT)
    try:
        server.open(uri, text)
        diagnostics_of(server, uri, 1)
        current = text.splitlines()
        comment_lines = [i for i, line in enumerate(current) if line.startswith("    # poll")]
        code_lines = [i for i, line in enumerate(current) if line.endswith("time.sleep(delay)")]
        times, rss = [], [server.rss_mb()]
        for n in range(keystrokes):
            version = n + 2
            if n % 3 == 2:  # inside a flagged call, then back: `delay` -> `delayx` -> `delay`
                line = code_lines[(n // 6 * 7) % len(code_lines)]
                typed = current[line].endswith("x)")
                at = len(current[line]) - 1
                if typed:
                    change = {"range": _range(line, at - 1, line, at), "text": ""}
                    current[line] = current[line][: at - 1] + current[line][at:]
                else:
                    change = {"range": _range(line, at, line, at), "text": "x"}
                    current[line] = current[line][:at] + "x" + current[line][at:]
            else:  # a character into a comment
                line = comment_lines[(n * 11) % len(comment_lines)]
                column = _client_length(current[line], server.encoding)
                change = {"range": _range(line, column, line, column), "text": "!"}
                current[line] += "!"
            sent = server.notify(
                "textDocument/didChange", {"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]}
            )
            request_id = server.send_request("textDocument/diagnostic", {"textDocument": {"uri": uri}})
            message = server.wait(lambda m, i=request_id: m.get("id") == i)
            times.append((message["_received"] - sent) * 1000)
            if n % every == every - 1:
                diagnostic = message["result"]["items"][(n * 13) % len(message["result"]["items"])]
                server.request(
                    "textDocument/codeAction",
                    {
                        "textDocument": {"uri": uri},
                        "range": diagnostic["range"],
                        "context": {"diagnostics": [diagnostic], "triggerKind": 2},
                    },
                )
                server.request(
                    "textDocument/hover", {"textDocument": {"uri": uri}, "position": diagnostic["range"]["start"]}
                )
            if (n + 1) % 1000 == 0:
                rss.append(server.rss_mb())
        warm = rss[1] if len(rss) > 2 else rss[0]  # after the first 1,000 keystrokes
        return {
            "lines": lines,
            "keystrokes": keystrokes,
            "median_ms": round(statistics.median(times), 1),
            "p90_ms": round(statistics.quantiles(times, n=10)[-1], 1),
            "max_ms": round(max(times), 1),
            "rss_mb": [round(r, 1) for r in rss],
            "rss_growth_after_warm_up_mb": round(rss[-1] - warm, 1),
        }
    finally:
        server.close()


def closing(root: Path, documents: int, lines: int = 300) -> dict:
    """Resident memory once the project model has indexed `documents` files, with them all open,
    and once they are all closed again (the model of the workspace stays: they are its files)."""
    folder = root
    texts = {}
    for i in range(documents):
        path = folder / f"c{i}.py"
        texts[path.as_uri()] = module(lines, tag=f"c{i}", emoji=False)
        path.write_text(texts[path.as_uri()])
    server = Server(folder, PUSH_CLIENT)
    try:
        server.wait(lambda m: m.get("method") == "$/progress" and m["params"]["value"]["kind"] == "end")
        time.sleep(1)
        indexed = server.rss_mb()
        for uri, text in texts.items():
            server.open(uri, text)
        pending = set(texts)
        while pending:
            message = server.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics")
            if message["params"]["diagnostics"]:
                pending.discard(message["params"]["uri"])
        time.sleep(1)
        opened = server.rss_mb()
        for uri in texts:
            server.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
        server.request("workspace/symbol", {"query": "none"})  # every close handled
        time.sleep(3)
        return {
            "documents": documents,
            "rss_mb_indexed": round(indexed, 1),
            "rss_mb_open": round(opened, 1),
            "rss_mb_closed": round(server.rss_mb(), 1),
        }
    finally:
        server.close()


def opening(root: Path, documents: int, lines: int = 300) -> dict:
    """Open `documents` new buffers (not on disk, as unsaved files are: each adds its module to
    the project model) in a fresh server: seconds until every one has its diagnostics, and RSS."""
    server = Server(root, PUSH_CLIENT)
    try:
        server.wait(lambda m: m.get("method") == "$/progress" and m["params"]["value"]["kind"] == "end")  # indexed
        pending = set()
        start = time.perf_counter()
        for i in range(documents):
            uri = (root / "unsaved" / f"n{i}.py").as_uri()
            server.open(uri, module(lines, tag=f"n{i}", emoji=False))
            pending.add(uri)
        while pending:
            message = server.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics", timeout=600)
            pending.discard(message["params"]["uri"])
        return {
            "documents": documents,
            "lines": lines,
            "all_diagnosed_s": round(time.perf_counter() - start, 2),
            "rss_mb": round(server.rss_mb(), 1),
        }
    finally:
        server.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=2000)
    parser.add_argument("--edits", type=int, default=50)
    parser.add_argument("--documents", type=int, default=200)
    parser.add_argument("--action-lines", type=int, default=9000)
    parser.add_argument("--action-edits", type=int, default=15)
    parser.add_argument("--keystrokes", type=int, default=10_000, help="of the typing session (0: skip it)")
    parser.add_argument("--select", nargs="*", default=None, help="rule codes to select (default: all)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as directory:
        select = "" if args.select is None else f"select = {json.dumps(args.select)}\n"

        def fresh(name: str) -> Path:
            """A workspace of its own for each measurement: the model indexes only its files."""
            root = Path(directory) / name
            root.mkdir()
            (root / "pyproject.toml").write_text(f"[tool.celery-patterns]\n{select}")
            (root / "ruff.toml").write_text(PEER_CONFIG)
            return root

        commands = [SERVER, PEER] if Path(PEER[0]).exists() else [SERVER]
        if len(commands) == 1:
            print(f"peer skipped: {PEER[0]} is missing (python bench/cli_bench.py installs it)", file=sys.stderr)
        runs = [
            latency(fresh(f"latency{i}"), client, args.lines, args.edits, command=command, full_text=full_text)
            for i, (full_text, client, command) in enumerate(
                (f, c, m) for f in (False, True) for c in (PUSH_CLIENT, PULL_CLIENT) for m in commands
            )
        ]
        results = {
            "latency": runs,
            "engine": engine_time(fresh("engine"), args.lines),
            "memory": memory(fresh("memory"), args.documents, args.lines),
            "opening": [opening(fresh(f"opening{n}"), n) for n in sorted({5, 30, args.documents})],
            "code_actions": [
                code_actions(fresh(f"actions{lazy}"), args.action_lines, args.action_edits, lazy)
                for lazy in (True, False)
            ],
            "session": typing_session(fresh("session"), args.lines, args.keystrokes) if args.keystrokes else None,
            "closing": closing(fresh("closing"), args.documents),
            "python": sys.version.split()[0],
            "cpu": os.cpu_count(),
        }
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"didChange -> diagnostics of that version ({args.edits} edits, debounce included)")
    for r in results["latency"]:
        print(
            f"  {r['server']:24} {r['mode']:32} {r['sync']:11} {r['encoding']:7} {r['lines']} lines, "
            f"{r['findings']} findings: "
            f"median {r['median_ms']} ms, p90 {r['p90_ms']} ms, min {r['min_ms']}, max {r['max_ms']}"
        )
    peers = {(r["mode"], r["sync"]): r["median_ms"] for r in results["latency"] if not r["server"].startswith("celery")}
    for r in results["latency"]:
        if r["server"].startswith("celery") and (r["mode"], r["sync"]) in peers:
            ratio = r["median_ms"] / max(peers[(r["mode"], r["sync"])], 0.1)
            print(f"  {r['mode']:32} {r['sync']:11} celery-patterns / ruff server: {ratio:.1f}x")
    e = results["engine"]
    print(
        f"  engine.check_source alone: median {e['median_ms']} ms with a full parse, "
        f"{e['incremental_median_ms']} ms with the incremental one (findings {e['findings']})"
    )
    print("opening new buffers of 300 lines (each new to the project model): until all are diagnosed")
    for o in results["opening"]:
        print(f"  {o['documents']:4} documents: {o['all_diagnosed_s']} s, VmRSS {o['rss_mb']} MB")
    print(f"code action at a squiggle after an edit ({args.action_lines} lines)")
    for c in results["code_actions"]:
        resolve = f", resolve median {c['resolve_median_ms']} ms" if c["resolve_median_ms"] is not None else ""
        print(
            f"  client that {c['client']:32} codeAction median {c['code_action_median_ms']} ms{resolve}; "
            f"until the edit: median {c['until_edit_median_ms']} ms, p90 {c['until_edit_p90_ms']} ms; "
            f"first fix of the session {c['first_fix_ms']} ms"
        )
    if t := results["session"]:
        print(
            f"typing session ({t['keystrokes']} keystrokes, {t['lines']} lines, pull; a code action and a hover "
            f"every 10): diagnostics median {t['median_ms']} ms, p90 {t['p90_ms']} ms, max {t['max_ms']} ms; "
            f"VmRSS every 1,000 keystrokes {t['rss_mb']} MB (growth after the first 1,000: "
            f"{t['rss_growth_after_warm_up_mb']} MB)"
        )
    c = results["closing"]
    print(
        f"closing {c['documents']} documents: VmRSS {c['rss_mb_indexed']} MB once indexed, {c['rss_mb_open']} MB open, "
        f"{c['rss_mb_closed']} MB once closed"
    )
    m = results["memory"]
    print("resident memory (VmRSS) of the server")
    for key, value in m.items():
        if key.startswith("rss"):
            print(f"  {key:40} {value} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
