"""pygls' protocol with the server's choices at the edge, and JSON sent as it is built.

- The position encoding announced is the server's choice (`convert.choose_encoding`);
- the diagnostic provider is announced only to clients that pull diagnostics;
- open documents live in the server's store (`documents.py`), not in pygls' copy;
- diagnostics, built as JSON text already (`convert.Rendered`), are sent without going
  through lsprotocol's attrs classes and cattrs, which would cost several times the check
  itself on a file with hundreds of findings. This module is the one place that writes
  such text to the client.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method

if TYPE_CHECKING:
    from .session import CeleryPatternsServer


class Protocol(LanguageServerProtocol):
    """pygls' protocol, with the four changes at the edge the module docstring lists."""

    _server: CeleryPatternsServer  # the server made with `protocol_cls=Protocol`

    @lsp_method(types.INITIALIZE)
    def lsp_initialize(self, params: types.InitializeParams):
        result = yield from super().lsp_initialize(params)
        result.capabilities.position_encoding = self._server.encoding
        if not self._server.pull:
            result.capabilities.diagnostic_provider = None
        return result

    @lsp_method(types.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params):
        yield from self._user_handler(types.TEXT_DOCUMENT_DID_OPEN, params)

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params):
        yield from self._user_handler(types.TEXT_DOCUMENT_DID_CHANGE, params)

    @lsp_method(types.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params):
        yield from self._user_handler(types.TEXT_DOCUMENT_DID_CLOSE, params)

    def _user_handler(self, method: str, params):
        if (handler := self.fm.features.get(method)) is not None:
            yield handler, (params,), None

    # A file full of findings means hundreds of diagnostics per keystroke: they are sent
    # as JSON text built by `convert.Rendered`, never through lsprotocol's attrs classes
    # and cattrs (which would cost several times the check itself).
    def notify_json(self, method: str, params_json: str) -> None:
        """Send a notification whose params are JSON text already."""
        self._write(f'{{"jsonrpc":"{self.VERSION}","method":{json.dumps(method)},"params":{params_json}}}')

    def _send_response(self, msg_id, result=None, error=None):
        if error is None and isinstance(result, JsonResult):
            self._write(f'{{"jsonrpc":"{self.VERSION}","id":{json.dumps(msg_id)},"result":{result}}}')
        else:
            super()._send_response(msg_id, result, error)

    def _write(self, body: str) -> None:
        """Write one message, framed as pygls frames its own."""
        if self.writer is None:
            return
        data = body.encode(self.CHARSET)
        if self._include_headers:
            header = f"Content-Length: {len(data)}\r\nContent-Type: {self.CONTENT_TYPE}; charset={self.CHARSET}\r\n\r\n"
            data = header.encode("ascii") + data
        try:
            written = self.writer.write(data)
            if inspect.isawaitable(written):
                asyncio.ensure_future(written)
        except BrokenPipeError:
            raise  # the client is gone: as pygls does, let the server stop
        except Exception:
            logging.getLogger(__name__).exception("error sending a message")


class JsonResult(str):
    """A request's result as JSON text already (sent as it is)."""


def diagnostic_report(kind: str, result_id: str | None = None, items: str = "[]") -> JsonResult:
    """A `textDocument/diagnostic` report; `items` is the JSON array of the diagnostics."""
    result_id_member = f',"resultId":{json.dumps(result_id)}' if result_id is not None else ""
    items_member = f',"items":{items}' if kind == "full" else ""
    return JsonResult(f'{{"kind":{json.dumps(kind)}{result_id_member}{items_member}}}')
