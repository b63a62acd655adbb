"""pygls' protocol with the server's choices at the edge, and JSON sent as it is built.

- The position encoding announced is the server's choice (`convert.choose_encoding`);
- the diagnostic provider is announced only to clients that pull diagnostics;
- open documents live in the server's store (`documents.py`), not in pygls' copy;
- diagnostics, built as JSON text already (`convert.Rendered`), are sent without going
  through lsprotocol's attrs classes and cattrs, which would cost several times the check
  itself on a file with hundreds of findings. This module is the one place that writes
  such text to the client;
- every request is answered (`receive`): pygls drops, unanswered, a message it cannot
  structure (params of the wrong shape, a negative position) and any request after
  `shutdown`, and it drops a body that is no JSON object without a word. JSON-RPC and the
  LSP want an error response for each: ParseError, InvalidRequest (also after `shutdown`),
  MethodNotFound (also for a notification's method sent as a request), InvalidParams;
- a notification handled leaves nothing behind (`_execute_handler`).
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
from typing import TYPE_CHECKING

import attrs
import cattrs
from lsprotocol import types
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method

if TYPE_CHECKING:
    from .session import CeleryPatternsServer


class Protocol(LanguageServerProtocol):
    """pygls' protocol, with the changes at the edge the module docstring lists."""

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

    def _execute_handler(self, msg_id, handler, callback, args=None, kwargs=None):
        # pygls 2.1 files the future of a notification whose handler is a generator or a
        # coroutine (didOpen, didChange, didClose...) under a made-up id in `_request_futures`,
        # where only a response or a cancellation would remove it: one future kept per
        # keystroke (about 2 MB of memory per 1,000 keystrokes). It goes once handled.
        if callback == self._check_handler_result:  # (what pygls passes for a notification)
            check = callback

            def callback(future, msg_id=msg_id):
                if not future.cancelled():  # (pygls' `shutdown` cancels while it walks the dict)
                    self._request_futures.pop(msg_id, None)
                check(future)

        return super()._execute_handler(msg_id, handler, callback, args, kwargs)

    # --- what the client sends ---------------------------------------------------------------
    # pygls' reading loop parses a body with `structure_message` as a JSON object hook and gives
    # up on the message when that raises, before its id is known; the transport (ours, see
    # `transport.py`) hands the body here instead, and pygls' `structure_message` and
    # `handle_message` are called once the message is known to be one they can handle.
    def receive(self, body: bytes) -> None:
        """Handle one message's body: as pygls would, or with the error response it needs."""
        try:
            data = json.loads(body)
        except ValueError as exc:  # not JSON, or not UTF-8
            self.reply_error(None, types.ErrorCodes.ParseError, f"the message is not JSON: {exc}")
            return
        if not isinstance(data, dict):
            self.reply_error(None, types.ErrorCodes.InvalidRequest, "a message must be a JSON object")
            return
        msg_id, method = data.get("id"), data.get("method")
        valid_id = isinstance(msg_id, (int, str)) and not isinstance(msg_id, bool)
        if "method" not in data and ("result" in data or "error" in data):  # a response: never answered
            if data.get("jsonrpc") == self.VERSION and valid_id:
                self._receive_response(data)
            else:
                logging.getLogger(__name__).warning("ignored a response that is not JSON-RPC 2.0: %.200s", body)
            return
        if data.get("jsonrpc") != self.VERSION or not isinstance(method, str) or ("id" in data and not valid_id):
            self.reply_error(
                msg_id if valid_id else None, types.ErrorCodes.InvalidRequest, "not a JSON-RPC 2.0 request"
            )
            return
        request = "id" in data
        if request and self._shutdown:
            self.reply_error(msg_id, types.ErrorCodes.InvalidRequest, f"{method}: the server is shut down")
            return
        if request and self._is_notification(method):
            self.reply_error(msg_id, types.ErrorCodes.MethodNotFound, f"{method} is a notification, not a request")
            return
        data.setdefault("params", None)  # JSON-RPC allows it left out
        try:
            message = self.structure_message(data)
        except Exception as exc:
            problem = _structure_problem(exc)
            if request:
                self.reply_error(msg_id, types.ErrorCodes.InvalidParams, f"{method}: {problem}")
            else:
                logging.getLogger(__name__).warning("notification %s ignored: %s", method, problem)
            return
        self.handle_message(message)

    def _receive_response(self, data: dict) -> None:
        """A response to one of the server's requests: one that does not structure still
        ends the wait for it (as an error), rather than leaving the request waiting forever."""
        try:
            message = self.structure_message(data)
        except Exception as exc:
            error = types.ResponseError(code=types.ErrorCodes.InvalidParams, message=_structure_problem(exc))
            message = types.ResponseErrorMessage(id=data["id"], error=error)
        self.handle_message(message)

    def _is_notification(self, method: str) -> bool:
        kind = self.get_message_type(method)
        return kind is not None and attrs.has(kind) and "id" not in attrs.fields_dict(kind)

    def reply_error(self, msg_id: int | str | None, code: int, message: str) -> None:
        """Answer a request with an error (`msg_id` None: one whose id could not be read)."""
        logging.getLogger(__name__).warning("answered %s with error %d: %s", msg_id, code, message)
        error = json.dumps({"code": int(code), "message": message})
        self._write(f'{{"jsonrpc":"{self.VERSION}","id":{json.dumps(msg_id)},"error":{error}}}')

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

    def warm_up_conversions(self) -> None:
        """Convert once what a first code action and its resolve carry: cattrs writes the code
        of a type's conversion the first time it meets the type (about 10 ms for these), which
        the first quick fix of a session would wait for."""
        point = {"line": 0, "character": 0}
        rng = {"start": point, "end": point}
        diagnostic = {  # every member the server's diagnostics have, as a client sends them back
            "range": rng,
            "severity": 1,
            "code": "CEL000",
            "codeDescription": {"href": "file:///"},
            "source": "",
            "message": "",
            "data": {},
        }
        context = {"diagnostics": [diagnostic], "only": [types.CodeActionKind.QuickFix], "triggerKind": 1}
        asked = {"textDocument": {"uri": "file:///"}, "range": rng, "context": context}
        action = {"title": "", "kind": types.CodeActionKind.QuickFix, "diagnostics": [diagnostic], "data": {}}
        self._converter.structure(
            {"jsonrpc": self.VERSION, "id": 0, "method": types.TEXT_DOCUMENT_CODE_ACTION, "params": asked},
            types.CodeActionRequest,
        )
        self._converter.structure(
            {"jsonrpc": self.VERSION, "id": 0, "method": types.CODE_ACTION_RESOLVE, "params": action},
            types.CodeActionResolveRequest,
        )
        resolved = self._converter.structure(action, types.CodeAction)
        edits = [types.TextEdit(range=resolved.diagnostics[0].range, new_text="")]  # type: ignore[index]
        document = types.OptionalVersionedTextDocumentIdentifier(uri="file:///", version=0)
        for edit in (
            types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(text_document=document, edits=edits)]),
            types.WorkspaceEdit(changes={"file:///": edits}),
        ):
            resolved.edit = edit
            self._converter.unstructure(types.CodeActionResponse(id=0, result=[resolved]))
            self._converter.unstructure(types.CodeActionResolveResponse(id=0, result=resolved))

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


def _structure_problem(exc: BaseException) -> str:
    """What did not fit, in a line: cattrs' account of it (the path and what was expected)."""
    cause = exc.__cause__ or exc
    if isinstance(cause, cattrs.BaseValidationError):
        return "; ".join(cattrs.transform_error(cause))
    return f"{type(cause).__name__}: {cause}"


class JsonResult(str):
    """A request's result as JSON text already (sent as it is)."""


def diagnostic_report(kind: str, result_id: str | None = None, items: str = "[]") -> JsonResult:
    """A `textDocument/diagnostic` report; `items` is the JSON array of the diagnostics."""
    result_id_member = f',"resultId":{json.dumps(result_id)}' if result_id is not None else ""
    items_member = f',"items":{items}' if kind == "full" else ""
    return JsonResult(f'{{"kind":{json.dumps(kind)}{result_id_member}{items_member}}}')
