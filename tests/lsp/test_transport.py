"""`celery-patterns lsp --tcp HOST:PORT`: the same server over a socket, for debugging."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _send(sock: socket.socket, message: dict) -> None:
    body = json.dumps(message).encode()
    sock.sendall(b"Content-Length: %d\r\n\r\n" % len(body) + body)


def _receive(stream) -> dict:
    length = 0
    while (line := stream.readline()) not in (b"\r\n", b""):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return json.loads(stream.read(length))


def test_tcp(tmp_path):
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "celery_patterns", "lsp", "--tcp", f"127.0.0.1:{port}"], stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                sock = socket.create_connection(("127.0.0.1", port), timeout=15)
                break
            except OSError:
                assert time.monotonic() < deadline, "the server did not listen"
                time.sleep(0.05)
        with sock, sock.makefile("rb") as stream:
            _send(
                sock,
                {
                    "jsonrpc": "2.0",
                    "id": 1,
                    "method": "initialize",
                    "params": {"processId": None, "rootUri": tmp_path.as_uri(), "capabilities": {}},
                },
            )
            reply = _receive(stream)
            assert reply["id"] == 1 and reply["result"]["serverInfo"]["name"] == "celery-patterns"
            assert reply["result"]["capabilities"]["positionEncoding"] == "utf-16"
            _send(sock, {"jsonrpc": "2.0", "method": "initialized", "params": {}})
            uri = (tmp_path / "t.py").as_uri()
            _send(
                sock,
                {
                    "jsonrpc": "2.0",
                    "method": "textDocument/didOpen",
                    "params": {
                        "textDocument": {
                            "uri": uri,
                            "languageId": "python",
                            "version": 1,
                            "text": "import time\n\n\nasync def f():\n    time.sleep(1)\n",
                        }
                    },
                },
            )
            while (message := _receive(stream)).get("method") != "textDocument/publishDiagnostics":
                pass
            assert "CEL002" in [d["code"] for d in message["params"]["diagnostics"]]
            _send(sock, {"jsonrpc": "2.0", "id": 2, "method": "shutdown", "params": None})
            while _receive(stream).get("id") != 2:
                pass
            _send(sock, {"jsonrpc": "2.0", "method": "exit", "params": None})
        assert server.wait(timeout=15) == 0
    finally:
        if server.poll() is None:
            server.kill()
