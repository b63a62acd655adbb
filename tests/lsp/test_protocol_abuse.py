"""What a broken or hostile client sends: bad frames, requests that cannot be served, requests
after `shutdown`, a FIFO among the watched files. The server answers every request (an error
where it must), finds its feet again after a bad frame, says what it dropped, and never hangs.

Most tests talk to the real server through raw pipes (`Raw`): pytest-lsp's client cannot send
a malformed frame or a request its types refuse.
"""

from __future__ import annotations

import asyncio
import json
import os
import queue
import subprocess
import threading
import time

import pytest
from lsprotocol import types
from lspsession import PYPROJECT, SERVER, SLEEPY, TIMEOUT, start

from celery_patterns.lsp import transport

PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS = -32700, -32600, -32601, -32602


class Raw:
    """The server process, spoken to in bytes. Requests from the server are answered with
    null, or with `answers[method]`."""

    def __init__(self, answers: dict | None = None) -> None:
        self.answers = answers or {}
        self.process = subprocess.Popen(SERVER, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.messages: queue.Queue[dict | None] = queue.Queue()
        self.seen: list[dict] = []  # everything received but the responses taken
        self.stderr: list[bytes] = []
        self._lock = threading.Lock()
        self._ids = iter(range(1, 1_000_000))
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=lambda: self.stderr.extend(self.process.stderr), daemon=True).start()

    def _read(self) -> None:
        stream = self.process.stdout
        while True:
            length = None
            while (line := stream.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if not line or length is None:
                self.messages.put(None)
                return
            message = json.loads(stream.read(length))
            if "method" in message and "id" in message:
                self.send({"jsonrpc": "2.0", "id": message["id"], "result": self.answers.get(message["method"])})
            self.messages.put(message)

    def write(self, data: bytes) -> None:
        with self._lock:
            self.process.stdin.write(data)
            self.process.stdin.flush()

    def send(self, message: dict) -> None:
        self.write(frame(message))

    def request(self, method: str, params) -> int:
        msg_id = next(self._ids)
        self.send({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
        return msg_id

    def response(self, msg_id: int | None, timeout: float = TIMEOUT) -> dict:
        """The response with this id (None: one to a request whose id could not be read)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                message = self.messages.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no response to request {msg_id} in {timeout} s") from None
            assert message is not None, f"the server closed its output before answering {msg_id}"
            if "method" not in message and message.get("id") == msg_id:
                return message
            self.seen.append(message)

    def logged(self) -> str:
        """What the server said in window/logMessage so far."""
        return "\n".join(m["params"]["message"] for m in self.seen if m.get("method") == "window/logMessage")

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                self.request("shutdown", None)
                self.send({"jsonrpc": "2.0", "method": "exit"})
                self.process.wait(10)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()


def frame(message: dict) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


@pytest.fixture
def raw(project):
    """An initialized server with `sleepy.py` open (a CEL002 finding at line 5, column 8)."""
    server = Raw()
    try:
        init = server.request("initialize", {"processId": None, "rootUri": project.as_uri(), "capabilities": {}})
        assert "result" in server.response(init)
        server.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
        path = project / "sleepy.py"
        path.write_text(SLEEPY)
        server.uri = path.as_uri()
        server.send(
            {
                "jsonrpc": "2.0",
                "method": "textDocument/didOpen",
                "params": {"textDocument": {"uri": server.uri, "languageId": "python", "version": 1, "text": SLEEPY}},
            }
        )
        yield server
    finally:
        server.close()


def hover_params(server: Raw, line: int = 5, character: int = 8) -> dict:
    return {"textDocument": {"uri": server.uri}, "position": {"line": line, "character": character}}


def assert_hover_answered(server: Raw) -> None:
    """A hover on the finding gets its real answer: the server reads messages again."""
    reply = server.response(server.request("textDocument/hover", hover_params(server)))
    assert "CEL002" in reply["result"]["contents"]["value"]
    assert server.process.poll() is None


# --- frames ------------------------------------------------------------------------------------
NOTE = {"jsonrpc": "2.0", "method": "$/note", "params": {"said": "hello"}}  # an unknown notification
NOTE_BODY = json.dumps(NOTE).encode()
BAD_FRAMES = {
    "length too large": b"Content-Length: %d\r\n\r\n" % (len(NOTE_BODY) + 500) + NOTE_BODY,
    "length too small": b"Content-Length: %d\r\n\r\n" % (len(NOTE_BODY) - 10) + NOTE_BODY,
    "body cut short": b"Content-Length: %d\r\n\r\n" % len(NOTE_BODY) + NOTE_BODY[:20],
    "bytes that are no header": b"hello, server" + NOTE_BODY,
    "a length that is no number": b"Content-Length: twelve\r\n\r\n" + NOTE_BODY,
    "a header without Content-Length": b"Content-Type: application/json\r\n\r\n" + NOTE_BODY,
    "a length over the limit": b"Content-Length: 99999999999999\r\n\r\n" + NOTE_BODY,
}


@pytest.mark.parametrize("bad", list(BAD_FRAMES.values()), ids=list(BAD_FRAMES))
def test_a_bad_frame_costs_that_frame_only(raw, bad):
    raw.write(bad)
    assert_hover_answered(raw)
    assert "malformed input from the client" in raw.logged()  # and never silently


def test_a_header_ended_by_a_bare_line_feed_is_read(raw):
    body = json.dumps({"jsonrpc": "2.0", "id": 900, "method": "textDocument/hover", "params": hover_params(raw)})
    raw.write(b"Content-Length: %d\nContent-Type: application/vscode-jsonrpc; charset=utf-8\n\n" % len(body))
    raw.write(body.encode())
    assert "CEL002" in raw.response(900)["result"]["contents"]["value"]
    assert_hover_answered(raw)


def test_a_frame_split_across_writes_and_frames_sharing_one(raw):
    data = frame({"jsonrpc": "2.0", "id": 901, "method": "textDocument/hover", "params": hover_params(raw)})
    for i in range(0, len(data), 7):
        raw.write(data[i : i + 7])
        time.sleep(0.001)
    assert raw.response(901)["result"] is not None
    raw.write(b"Content-Length: 3\r\n\r\n" + NOTE_BODY + data)  # a short frame, then a good one in one write
    assert raw.response(901)["result"] is not None


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"this is not json", PARSE_ERROR),
        (b'{"jsonrpc": "2.0", "id": 3, "method": "textDocument/hover", "params": ', PARSE_ERROR),
        (b'\xff\xfe{"jsonrpc": "2.0"}', PARSE_ERROR),
        (b"[1, 2, 3]", INVALID_REQUEST),
        (b"42", INVALID_REQUEST),
        (b'"a string"', INVALID_REQUEST),
    ],
    ids=["words", "cut JSON", "not UTF-8", "an array", "a number", "a string"],
)
def test_a_body_that_is_no_json_object_is_answered_with_an_error(raw, body, code):
    raw.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    assert raw.response(None)["error"]["code"] == code  # id null: the request's id could not be read
    assert_hover_answered(raw)


def test_frames_are_cut_the_same_whatever_the_reads():
    """The framing alone, fed a stream of good and bad frames in reads of every size."""
    good = [frame({"id": i, "text": "Content-Length: 12\r\n\r\n{}"}) for i in range(3)]  # the words in a string
    stream = (
        b"\r\n"  # a stray line break
        + good[0]
        + b"Content-Length: 900\r\n\r\n{}"  # too long: the next header is inside
        + good[1]
        + b"junk"
        + b"content-length:  %d \nX-Other: 1\n\n" % len(good[2][good[2].index(b"{") :])
        + good[2][good[2].index(b"{") :]
    )
    expected = [g[g.index(b"{") :] for g in good]
    for size in range(1, len(stream) + 1):
        reports: list[str] = []
        frames = transport.Frames(reports.append)
        bodies = []
        for at in range(0, len(stream), size):
            frames.feed(stream[at : at + size])
            while (body := frames.next()) is not None:
                bodies.append(body)
        frames.end()
        assert bodies == expected, size
        assert len(reports) == 2 and "Content-Length (900) was wrong" in reports[0], (size, reports)


# --- requests --------------------------------------------------------------------------------------
def hover_at(line: int, character: int):
    return lambda server: {"method": "textDocument/hover", "params": hover_params(server, line, character)}


UNSERVABLE = {  # a request (id 77) made by a function of the server, and the error it must get
    "params of the wrong shape": (
        lambda _: {"method": "textDocument/hover", "params": {"textDocument": 5, "position": {}}},
        INVALID_PARAMS,
    ),
    "a negative line": (hover_at(-1, 0), INVALID_PARAMS),
    "a negative character": (hover_at(5, -3), INVALID_PARAMS),
    "a line over 2**31": (hover_at(2**40, 0), INVALID_PARAMS),
    "no params": (lambda _: {"method": "textDocument/hover"}, INVALID_PARAMS),
    "params an array": (lambda _: {"method": "textDocument/definition", "params": [1, 2]}, INVALID_PARAMS),
    "params missing a field": (
        lambda _: {"method": "textDocument/codeAction", "params": {"textDocument": {"uri": "file:///x.py"}}},
        INVALID_PARAMS,
    ),
    "command arguments not a list": (
        lambda _: {"method": "workspace/executeCommand", "params": {"command": "x", "arguments": 5}},
        INVALID_PARAMS,
    ),
    "a notification sent as a request": (
        lambda _: {"method": "textDocument/didOpen", "params": {}},
        METHOD_NOT_FOUND,
    ),
    "a cancellation sent as a request": (
        lambda _: {"method": "$/cancelRequest", "params": {"id": 1}},
        METHOD_NOT_FOUND,
    ),
    "a method that is no string": (lambda _: {"method": 5, "params": {}}, INVALID_REQUEST),
    "JSON-RPC 1.0": (lambda _: {"method": "shutdown", "jsonrpc": "1.0"}, INVALID_REQUEST),
    "no method, no result": (lambda _: {"params": {}}, INVALID_REQUEST),
}


@pytest.mark.parametrize(("make", "code"), list(UNSERVABLE.values()), ids=list(UNSERVABLE))
def test_every_request_is_answered(raw, make, code):
    raw.send({"jsonrpc": "2.0", "id": 77, **make(raw)})
    assert raw.response(77)["error"]["code"] == code
    assert_hover_answered(raw)


def test_a_request_whose_id_cannot_be_read_is_answered_with_id_null(raw):
    for bad_id in (None, [1], {"a": 1}, True, 1.5):
        raw.send({"jsonrpc": "2.0", "id": bad_id, "method": "workspace/symbol", "params": {"query": ""}})
        assert raw.response(None)["error"]["code"] == INVALID_REQUEST
    assert_hover_answered(raw)


def test_after_shutdown_every_request_is_an_error_and_exit_exits(raw):
    assert raw.response(raw.request("textDocument/hover", hover_params(raw)))["result"] is not None
    assert raw.response(raw.request("unknown/method", {}))["error"]["code"] == METHOD_NOT_FOUND
    shutdown = raw.request("shutdown", None)
    assert raw.response(shutdown) == {"jsonrpc": "2.0", "id": shutdown, "result": None}
    for method, params in [
        ("shutdown", None),
        ("textDocument/hover", hover_params(raw)),
        ("workspace/symbol", {"query": ""}),
        ("initialize", {"processId": None, "capabilities": {}}),
        ("textDocument/hover", {"bad": "params"}),
    ]:
        assert raw.response(raw.request(method, params))["error"]["code"] == INVALID_REQUEST
    raw.send({"jsonrpc": "2.0", "method": "exit"})
    assert raw.process.wait(TIMEOUT) == 0


WORKER = """\
from celery import Celery

app = Celery("rag")


@app.task(name="rag.search")
def search(query):
    return []
"""


def test_a_response_that_does_not_fit_ends_the_wait_for_it(tmp_path):
    """The server asks for its settings in `initialized`, and indexes the workspace once
    answered: an answer of the wrong shape must not leave it waiting forever."""
    (tmp_path / "worker.py").write_text(WORKER)
    server = Raw(answers={"workspace/configuration": 5})  # a list is expected
    try:
        capabilities = {"workspace": {"configuration": True}}
        init = server.request(
            "initialize", {"processId": None, "rootUri": tmp_path.as_uri(), "capabilities": capabilities}
        )
        server.response(init)
        server.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
        deadline = time.monotonic() + TIMEOUT
        while not server.response(server.request("workspace/symbol", {"query": "rag."}))["result"]:
            assert time.monotonic() < deadline, "the workspace was never indexed"
            time.sleep(0.1)
    finally:
        server.close()


# --- files ----------------------------------------------------------------------------------------
fifos = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")


async def until_tasks(client, names: list[str], what: str) -> None:
    """Wait until the workspace's tasks (workspace symbols) are `names`."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        symbols = await client.workspace_symbol_async(types.WorkspaceSymbolParams(query="rag."))
        if sorted(s.name for s in symbols) == names:
            return
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


@fifos
@pytest.mark.parametrize("client", ["visual-studio-code"], indirect=True)
async def test_a_fifo_among_the_watched_files_blocks_nothing(client, tmp_path):
    (tmp_path / "rag").mkdir()
    worker = tmp_path / "rag" / "worker.py"
    worker.write_text(WORKER)
    await start(client, tmp_path)
    await until_tasks(client, ["rag.search"], "the model to be indexed")
    pipe = tmp_path / "rag" / "pipe.py"
    os.mkfifo(pipe)
    worker.write_text(WORKER.replace("rag.search", "rag.find"))
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[
                types.FileEvent(uri=pipe.as_uri(), type=types.FileChangeType.Created),
                types.FileEvent(uri=worker.as_uri(), type=types.FileChangeType.Changed),
            ]
        )
    )
    await until_tasks(client, ["rag.find"], "the rename to be seen (after the FIFO)")


@fifos
@pytest.mark.parametrize("client", ["visual-studio-code"], indirect=True)
async def test_a_checked_file_replaced_by_a_fifo_blocks_no_check(client, tmp_path):
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)  # CEL002 only
    (tmp_path / "rag").mkdir()
    poll = tmp_path / "rag" / "poll.py"
    poll.write_text(SLEEPY)
    await start(client, tmp_path)
    check = types.ExecuteCommandParams(command="celery-patterns.checkWorkspace")
    assert (await asyncio.wait_for(client.workspace_execute_command_async(check), TIMEOUT))["findings"] == 2
    poll.unlink()
    os.mkfifo(poll)  # its diagnostics were published: a change makes the server check it again
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=poll.as_uri(), type=types.FileChangeType.Changed)]
        )
    )
    (tmp_path / "rag" / "other.py").write_text(SLEEPY)
    assert (await asyncio.wait_for(client.workspace_execute_command_async(check), TIMEOUT))["findings"] == 2
