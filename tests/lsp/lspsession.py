"""Helpers of the end-to-end tests of `celery-patterns lsp`: the real server process, driven by pytest-lsp
with the recorded capabilities of real editors.

- `visual-studio-code` (1.65): push diagnostics, UTF-16 positions, lazy code-action edits.
- `neovim` (0.11): pull diagnostics (`textDocument/diagnostic`), UTF-8 positions.

So every test that takes the `client` fixture runs once per way of getting diagnostics
and once per position encoding. `Session` hides the difference where a test does not
care (`session.diagnostics(uri)`), and exposes it where it does.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import pytest_lsp
from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

from celery_patterns.ftypes import Position, Range, TextEdit
from celery_patterns.source import LineIndex, apply_edits

SERVER = [sys.executable, "-m", "celery_patterns", "lsp"]
# The server with one kind of background work held until the test releases it (held_server.py).
HELD_SERVER = str(Path(__file__).with_name("held_server.py"))
RELEASE = "release-the-held-work"  # what held_server.py waits for (importing it would patch this process)
CLIENTS = ["visual-studio-code", "neovim"]
TIMEOUT = 15.0

PYPROJECT = """\
[tool.celery-patterns]
select = ["CEL002"]
"""

SLEEPY = """\
import time


async def poll(result):
    while not result.ready():
        time.sleep(1)


async def wait_twice(result):
    time.sleep(2)
    return result
"""


# --- the client --------------------------------------------------------------------------------
def record_publish(client: LanguageClient, params: types.PublishDiagnosticsParams):
    client.diagnostics[params.uri] = params.diagnostics
    client.published.append(params)


def record_registration(client: LanguageClient, params: types.RegistrationParams):
    client.registrations.extend(params.registrations)


def make_client() -> LanguageClient:
    """pytest-lsp's test client, also keeping every publishDiagnostics in order."""
    client = LanguageClient(converter_factory=default_converter)
    client.published = []
    client.registrations = []
    features = dict(DEFAULT_CLIENT_FEATURES)
    features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = record_publish
    features[types.CLIENT_REGISTER_CAPABILITY] = record_registration
    register_lsp_features(client, features)
    return client


# --- a session: one initialized server -----------------------------------------------------------
class Session:
    def __init__(self, client: LanguageClient, result: types.InitializeResult) -> None:
        self.client = client
        self.result = result
        self.capabilities = result.capabilities
        self.encoding = str(result.capabilities.position_encoding or "utf-16")
        self.pull = result.capabilities.diagnostic_provider is not None
        self.texts: dict[str, str] = {}
        self.versions: dict[str, int] = {}

    def open(self, path: Path, text: str | None = None) -> str:
        if text is None:
            text = path.read_text()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        uri = path.as_uri()
        self.texts[uri], self.versions[uri] = text, 1
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)
            )
        )
        return uri

    def close(self, uri: str) -> None:
        self.client.text_document_did_close(
            types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )

    def edit(self, uri: str, start: tuple[int, int], end: tuple[int, int], new_text: str) -> int:
        """An incremental change; positions are canonical (code points) and sent in client units."""
        index = LineIndex(self.texts[uri])
        rng = Range(Position(*start), Position(*end))
        self.texts[uri] = apply_edits(self.texts[uri], [TextEdit(rng, new_text)])
        return self._send(
            uri, [types.TextDocumentContentChangePartial(range=self.lsp_range(index, rng), text=new_text)]
        )

    def replace_all(self, uri: str, text: str) -> int:
        self.texts[uri] = text
        return self._send(uri, [types.TextDocumentContentChangeWholeDocument(text=text)])

    def _send(self, uri: str, changes) -> int:
        self.versions[uri] += 1
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
                content_changes=changes,
            )
        )
        return self.versions[uri]

    def lsp_range(self, index: LineIndex, rng: Range) -> types.Range:
        def pos(p: Position) -> types.Position:
            return types.Position(line=p.line, character=index.to_client_column(p, self.encoding))

        return types.Range(start=pos(rng.start), end=pos(rng.end))

    async def diagnostics(self, uri: str) -> list[types.Diagnostic]:
        """The diagnostics of the document's current version, pulled or pushed."""
        if self.pull:
            report = await asyncio.wait_for(
                self.client.text_document_diagnostic_async(
                    types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri))
                ),
                TIMEOUT,
            )
            assert report.kind == "full"
            return list(report.items)
        published = await self.published(uri, self.versions[uri])
        return list(published.diagnostics)

    async def published(self, uri: str, version: int | None = None) -> types.PublishDiagnosticsParams:
        """The latest publishDiagnostics for `uri` (at `version`, if given)."""

        def found():
            for params in reversed(self.client.published):
                if params.uri == uri and (version is None or params.version == version):
                    return params
            return None

        await until(lambda: found() is not None, f"diagnostics for {uri} v{version}")
        return found()

    def apply(self, uri: str, edit: types.WorkspaceEdit) -> str:
        """Apply a workspace edit to our copy of the document and send it as a change."""
        if edit.document_changes:
            (change,) = edit.document_changes
            assert change.text_document.uri == uri
            assert change.text_document.version == self.versions[uri], "edit for another version"
            edits = change.edits
        else:
            edits = edit.changes[uri]
        index = LineIndex(self.texts[uri])
        canonical = [
            TextEdit(
                Range(
                    index.from_client_column(e.range.start.line, e.range.start.character, self.encoding),
                    index.from_client_column(e.range.end.line, e.range.end.character, self.encoding),
                ),
                e.new_text,
            )
            for e in edits
        ]
        self.replace_all(uri, apply_edits(self.texts[uri], canonical))
        return self.texts[uri]

    def column(self, uri: str, line: int, code_points: int) -> int:
        """A canonical column in the client's units."""
        return LineIndex(self.texts[uri]).to_client_column(Position(line, code_points), self.encoding)


async def start(client: LanguageClient, *folders: Path, options=None, capabilities=None) -> Session:
    roots = [types.WorkspaceFolder(uri=f.as_uri(), name=f.name) for f in folders]
    result = await client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities or client_capabilities(client.spec),
            root_uri=roots[0].uri if roots else None,
            workspace_folders=roots or None,
            initialization_options=options,
        )
    )
    return Session(client, result)


async def until(condition, what: str = "condition", timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


def codes(diagnostics) -> list[str]:
    return [d.code for d in diagnostics]


def lines(diagnostics, code: str = "CEL002") -> list[int]:
    return [d.range.start.line for d in diagnostics if d.code == code]


def held_client_fixture(work: str, params: list[str]):
    """A `held_client` fixture: a client of held_server.py, whose `work` ("indexer" or
    "workspace-check") waits until the test creates RELEASE."""

    @pytest_lsp.fixture(
        config=ClientServerConfig(server_command=[sys.executable, HELD_SERVER, work], client_factory=make_client),
        params=params,
    )
    async def held_client(lsp_client: LanguageClient, request):
        lsp_client.spec = request.param
        yield
        await end_session(lsp_client)

    return held_client


async def end_session(lsp_client: LanguageClient) -> None:
    """Shut the server down; it must exit promptly on shutdown + exit, whatever it was doing."""
    if lsp_client.capabilities is None:  # the test failed before `initialize`
        lsp_client.exit(None)
    try:
        await asyncio.wait_for(lsp_client.shutdown_session(), 10)
    except asyncio.TimeoutError:
        lsp_client._server.kill()
        raise AssertionError("the server did not exit after shutdown and exit") from None
