"""The language server: `celery-patterns lsp` (pygls 2, lsprotocol).

Read top to bottom: the protocol and server classes (per-document state and the check
pipeline), then one thin handler per LSP method, then `start()`.

- `initialize` negotiates the position encoding (UTF-8 when the client offers it, else
  UTF-16), push or pull diagnostics (pull when the client has
  `textDocument.diagnostic`, and then never push), and lazy code-action edits.
- `textDocument/didOpen|didChange` keep the buffer (incremental sync) and check it in a
  worker thread, edits made during a check coalescing into the next one (`schedule`); a
  result computed for an older version than the document's current one is dropped.
  The last few documents typed in keep an incremental checker (`incremental.py`): an
  edit reparses and checks again only the top-level statements it touched. `didClose` clears the document's
  diagnostics.
- `textDocument/diagnostic` answers with the current version's diagnostics (waiting for
  its check); `$/cancelRequest` cancels a waiting request.
- `textDocument/codeAction`, `codeAction/resolve`, `textDocument/hover`: `actions.py`.
  Fixes run in one worker thread; a fix-all stops when its request is cancelled or the
  document changes.
- `workspace/didChangeConfiguration`, `workspace/didChangeWatchedFiles` (pyproject.toml):
  settings are read again (`options.py`) and the open documents re-checked.
- `workspace/diagnostic` and the command `celery-patterns.checkWorkspace`: the
  whole-workspace check (`workspace.py`).

No handler can take the server down: each is `guarded`, logging a failure to the client
and answering with an empty result.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import inspect
import json
import logging
import os
import sys
import threading
import traceback
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor

from lsprotocol import types
from pygls.capabilities import get_capability
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method
from pygls.uris import to_fs_path

from .. import __version__, config, engine
from ..config import ConfigError, Settings
from ..ftypes import Finding, Fix
from ..incremental import BufferChecker
from . import actions, workspace
from .checking import DocumentCheck, check_document, disabled
from .convert import SOURCE, Rendered, choose_encoding, finding_key, to_lsp_edits, to_lsp_range, workspace_edit
from .documents import KeptFindings, OpenDocument
from .options import SECTION, EditorOptions, parse_options, unwrap

CHECK_WORKSPACE = "celery-patterns.checkWorkspace"
KEEP_RESULTS = 32  # open documents whose results stay in memory: the most recently used
KEEP_CHECKERS = 4  # documents whose tree and findings are kept for incremental checks: the last typed in
PYTHON_LANGUAGES = {"python"}


class Protocol(LanguageServerProtocol):
    """pygls' protocol, with four changes at the edge:

    - the position encoding announced is the server's choice (`convert.choose_encoding`);
    - the diagnostic provider is announced only to clients that pull diagnostics;
    - open documents live in the server's store (`documents.py`), not in pygls' copy;
    - diagnostics, built as JSON already, are sent without going through cattrs.
    """

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
            header = (f"Content-Length: {len(data)}\r\n"
                      f"Content-Type: {self.CONTENT_TYPE}; charset={self.CHARSET}\r\n\r\n")
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


class CeleryPatternsServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("celery-patterns", __version__, protocol_cls=Protocol,
                         text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.documents: dict[str, OpenDocument] = {}
        self.recent: OrderedDict[str, None] = OrderedDict()  # URIs, least recently used first
        self.typing: OrderedDict[str, None] = OrderedDict()  # URIs, least recently opened or edited first
        # Negotiated in `initialize`.
        self.encoding = "utf-16"
        self.pull = False  # the client pulls diagnostics: never publish
        self.lazy_edits = False  # the client resolves code-action edits
        self.versioned_edits = False
        # Editor settings: global, and per workspace folder (by folder URI).
        self.options = EditorOptions()
        self.folder_options: dict[str, EditorOptions] = {}
        self.generation = 0  # bumped when settings change (part of every result id)
        self._valid: dict[str, Settings] = {}  # last valid settings of each pyproject.toml
        self._shown: set[str] = set()  # error messages shown since the last settings change
        # Work off the event loop, each kind in its own threads so none queues behind another:
        # document checks, fixes (a fix-all can take seconds), the workspace check.
        self.checks = ThreadPoolExecutor(2, thread_name_prefix="celery-patterns-check")
        self.fixes = ThreadPoolExecutor(1, thread_name_prefix="celery-patterns-fix")
        # The check and libcst tree the last quick fix was computed from, as (source, path,
        # module name, settings, checked, FixContext): the next one on the same text reuses them.
        # One only, used only in the fix thread: a tree is much larger than its text.
        self.fix_base: tuple | None = None
        self.background = ThreadPoolExecutor(1, thread_name_prefix="celery-patterns-workspace")
        self.workspace_run: asyncio.Future | None = None
        self.file_results: dict[str, workspace.FileResult] = {}  # closed files, by path
        self.pushed_closed: set[str] = set()  # closed files whose diagnostics were published
        self.shut_down = False

    # --- messages to the user ---------------------------------------------------------------
    def log(self, message: str, kind: types.MessageType = types.MessageType.Info) -> None:
        self.window_log_message(types.LogMessageParams(type=kind, message=message))

    def show_error(self, message: str) -> None:
        """Show a (settings) error once, until the settings change again."""
        if message not in self._shown:
            self._shown.add(message)
            self.window_show_message(types.ShowMessageParams(type=types.MessageType.Error,
                                                             message=f"celery-patterns: {message}"))
            self.log(message, types.MessageType.Error)

    def log_failure(self, where: str) -> None:
        self.log(f"internal error in {where}:\n{traceback.format_exc()}", types.MessageType.Error)

    # --- settings ---------------------------------------------------------------------------
    def set_options(self, raw, folder_uri: str | None = None) -> bool:
        """Take editor settings as sent by the client; False when there were none or invalid."""
        settings = unwrap(raw)
        if not settings:
            if folder_uri is not None:  # nothing for this folder (any more): the global settings apply
                return self.folder_options.pop(folder_uri, None) is not None
            return False
        try:
            options = parse_options(settings)
        except ConfigError as exc:
            self.show_error(str(exc))
            return False
        for warning in options.warnings:
            self.log(warning, types.MessageType.Warning)
        if folder_uri is None:
            self.options = options
        else:
            self.folder_options[folder_uri] = options
        return True

    async def pull_configuration(self) -> bool:
        """Ask the client for the settings, globally and per folder (`workspace/configuration`)."""
        if not get_capability(self.client_capabilities, "workspace.configuration", False):
            return False
        folders = [f.uri for f in self.workspace.folders.values()]
        items = [types.ConfigurationItem(section=SECTION)]
        items += [types.ConfigurationItem(scope_uri=uri, section=SECTION) for uri in folders]
        try:
            values = await self.workspace_configuration_async(types.ConfigurationParams(items=items))
        except Exception:
            self.log_failure("workspace/configuration")
            return False
        changed = self.set_options(values[0]) if values else False
        for uri, value in zip(folders, values[1:], strict=False):
            changed = self.set_options(value, uri) or changed
        return changed

    def folder_of(self, path: str) -> tuple[str, str] | None:
        """(URI, path) of the innermost workspace folder holding `path`."""
        best = None
        for folder in self.workspace.folders.values():
            root = to_fs_path(folder.uri)
            if root and (path == root or path.startswith(root.rstrip(os.sep) + os.sep)):
                if best is None or len(root) > len(best[1]):
                    best = (folder.uri, root)
        return best

    def workspace_roots(self) -> list[str]:
        roots = [to_fs_path(f.uri) for f in self.workspace.folders.values()]
        return [r for r in roots if r] or ([self.workspace.root_path] if self.workspace.root_path else [])

    def project_settings(self, path: str) -> Settings:
        """Settings of the nearest pyproject.toml; on an invalid one, its last valid settings."""
        pyproject = config.find_config_file(path)
        if pyproject is None:
            return Settings()
        try:
            settings = config.load_settings(pyproject)
        except (ConfigError, OSError) as exc:
            self.show_error(str(exc))
            return self._valid.get(str(pyproject), Settings(root=str(pyproject.parent)))
        self._valid[str(pyproject)] = settings
        for warning in settings.warnings:
            if warning not in self._shown:
                self._shown.add(warning)
                self.log(warning, types.MessageType.Warning)
        return settings

    def configuration(self, path: str) -> tuple[Settings, EditorOptions, str | None]:
        """Settings (pyproject.toml with the editor's over it), editor options, module name."""
        folder = self.folder_of(path)
        options = (self.folder_options.get(folder[0]) if folder else None) or self.options
        base = self.project_settings(path)
        try:
            settings = options.apply(base)
        except ConfigError as exc:
            self.show_error(str(exc))
            settings = base
        root = settings.root or (folder[1] if folder else self.workspace.root_path)
        return settings, options, engine.module_name_for(path, root)

    def settings_changed(self) -> None:
        """Re-read every setting and re-check everything open."""
        self.generation += 1
        self._shown.clear()
        self.file_results.clear()
        config.forget_cached_files()  # a new pyproject.toml may exist now
        for doc in self.documents.values():
            self.schedule(doc)
        if self.pull and get_capability(self.client_capabilities, "workspace.diagnostics.refresh_support", False):
            self.workspace_diagnostic_refresh(None)

    # --- checking ---------------------------------------------------------------------------
    def schedule(self, doc: OpenDocument) -> None:
        """Have the document checked as it is now, with the settings as they are now.

        No fixed debounce: a check starts at once when none is running for the document,
        and the edits made while one runs are checked together as soon as it ends (its
        result, for an older text, is dropped). An edit after a pause waits for nothing;
        a burst of edits costs one check more than the one running when it began.
        """
        doc.wanted += 1
        doc.checked.clear()  # until then, the latest result is not the truth
        if doc.task is None or doc.task.done():
            doc.task = asyncio.get_running_loop().create_task(self._check(doc))

    async def _check(self, doc: OpenDocument) -> None:
        await asyncio.sleep(0)  # let the rest of a burst of notifications in first
        while self.documents.get(doc.uri) is doc and not doc.checked.is_set():
            wanted, version = doc.wanted, doc.version
            try:
                settings, options, module_name = self.configuration(doc.path)
                # Diagnostics made JSON are kept only where findings are: with an incremental
                # checker (a full check makes every finding anew).
                if doc.checker is not None and doc.rendered is None:
                    doc.rendered = Rendered(self.encoding)
                rendered = doc.rendered if doc.checker is not None else Rendered(self.encoding)
                job = functools.partial(_check_job, doc.text, doc.path, settings, module_name, options,
                                        doc.last_good, doc.checker, rendered, version)
                result, diagnostics = await asyncio.get_running_loop().run_in_executor(self.checks, job)
            except Exception:
                self.log_failure(f"checking {doc.uri}")
                result = diagnostics = None
            if self.documents.get(doc.uri) is not doc or doc.wanted != wanted:
                continue  # the text or the settings changed meanwhile: dropped, checked again
            if result is not None:
                doc.result, doc.result_version = result, version
                doc.diagnostics = diagnostics if self.pull else None
                if result.parsed:
                    doc.last_good = KeptFindings(tuple(f for f in result.findings if f.code != engine.SYNTAX_CODE))
                if not self.pull:
                    self.publish(doc.uri, diagnostics, version)
                self.touch(doc)  # only the recently used documents hold results
            doc.checked.set()

    async def settled(self, doc: OpenDocument) -> bool:
        """Wait until the document's current version is checked; False if it was closed."""
        while self.documents.get(doc.uri) is doc:
            await doc.checked.wait()
            if doc.checked.is_set():
                return True
        return False

    async def edits_settled(self) -> None:
        """Wait until no open document has a check pending (edits go before background work)."""
        while pending := [d.task for d in self.documents.values() if d.task is not None and not d.task.done()]:
            await asyncio.wait(pending)

    def touch(self, doc: OpenDocument) -> None:
        """Mark the document used; the results of the least recently used beyond
        `KEEP_RESULTS` are forgotten (200 open files full of findings would otherwise
        hold hundreds of MB) and computed again when next needed."""
        self.recent[doc.uri] = None
        self.recent.move_to_end(doc.uri)
        while len(self.recent) > KEEP_RESULTS:
            uri, _ = self.recent.popitem(last=False)
            if (old := self.documents.get(uri)) is not None:
                old.forget()

    def typed_in(self, doc: OpenDocument) -> None:
        """Give the document an incremental checker (on open, so the first keystroke is
        already incremental, and on every edit); the least recently used beyond
        `KEEP_CHECKERS` lose theirs (a kept tree is several times the size of its text)."""
        if doc.checker is None:
            doc.checker = BufferChecker()
        self.typing[doc.uri] = None
        self.typing.move_to_end(doc.uri)
        while len(self.typing) > KEEP_CHECKERS:
            uri, _ = self.typing.popitem(last=False)
            if (old := self.documents.get(uri)) is not None:
                old.checker = old.rendered = None

    async def latest(self, doc: OpenDocument) -> tuple[DocumentCheck, int] | None:
        """The result of the document's current version and that version (waiting for its
        check, redoing a forgotten one); None if the document was closed meanwhile."""
        self.touch(doc)
        for _attempt in range(2):  # a check that fails leaves no result: do not insist
            if not await self.settled(doc):
                return None
            if doc.result is not None:
                return doc.result, doc.result_version
            self.schedule(doc)
        return None

    def diagnostics_of(self, doc: OpenDocument, result: DocumentCheck, version: int) -> str:
        """The JSON array of a result's diagnostics."""
        if doc.diagnostics is not None and doc.result is result:
            return doc.diagnostics
        return Rendered(self.encoding).json(result.findings, result.index, version, result.parsed)

    def publish(self, uri: str, diagnostics: str, version: int | None = None) -> None:
        """Publish diagnostics given as a JSON array (text)."""
        version_member = f',"version":{int(version)}' if version is not None else ""
        self.protocol.notify_json(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS,
                                  f'{{"uri":{json.dumps(uri)}{version_member},"diagnostics":{diagnostics}}}')

    # --- fixes ------------------------------------------------------------------------------
    async def fix_for(self, doc: OpenDocument, result: DocumentCheck, version: int, finding: Finding) -> Fix | None:
        """The fix of one finding (computed in a worker, cached for the version)."""
        cache = doc.fix_cache(version)
        key = (finding.code, finding.range)
        if key not in cache:
            def job() -> Fix | None:
                checked, context = self._fix_base(result, doc.path)
                return engine.compute_fix(result.source, finding, result.settings, doc.path, result.module_name,
                                          checked, context)

            cache[key] = await asyncio.get_running_loop().run_in_executor(self.fixes, job)
        return cache[key]

    def _fix_base(self, result: DocumentCheck, path: str):
        """The full check and the fix context of a result's text (in the fix thread)."""
        base = self.fix_base
        if base is not None and base[0] is result.source and base[1:4] == (path, result.module_name, result.settings):
            return base[4], base[5]
        from ..fixing import FixContext  # libcst is loaded only when a fix is wanted

        checked = engine.check_source(result.source, path, result.settings, result.module_name)
        context = FixContext(result.source, checked.facts, result.settings, path) if checked.facts else None
        self.fix_base = (result.source, path, result.module_name, result.settings, checked, context)
        return checked, context

    async def fix_all_edits(self, doc: OpenDocument, result: DocumentCheck, version: int) -> list[types.TextEdit]:
        """Every safe fix of the document at once, as edits of that version. The work stops
        when the request is cancelled or the document changes (no edits are then returned)."""
        cache = doc.fix_cache(version)
        if ("fixAll", None) not in cache:
            stop = threading.Event()

            def job():
                outcome = engine.fix_source(
                    result.source, doc.path, result.settings, module_name=result.module_name,
                    cancelled=lambda: stop.is_set() or doc.version != version or self.documents.get(doc.uri) is not doc)
                return engine.diff_edits(result.source, outcome.source)

            try:
                cache[("fixAll", None)] = await asyncio.get_running_loop().run_in_executor(self.fixes, job)
            except engine.FixCancelled:
                return []
            except asyncio.CancelledError:
                stop.set()  # the thread stops at its next fix instead of finishing the file
                raise
        return to_lsp_edits(result.index, cache[("fixAll", None)], self.encoding)

    def edit(self, uri: str, version: int, edits: list[types.TextEdit]) -> types.WorkspaceEdit:
        return workspace_edit(uri, version, edits, self.versioned_edits)

    # --- the whole workspace ----------------------------------------------------------------
    async def check_workspace(self, token: types.ProgressToken | None = None) -> list[workspace.FileResult]:
        """Run the workspace check, or join the one running (it goes on if a requester cancels)."""
        if self.workspace_run is None or self.workspace_run.done():
            self.workspace_run = asyncio.ensure_future(workspace.run(self, token, self._file_checked))
        return await asyncio.shield(self.workspace_run)

    async def recheck_closed(self, path: str) -> None:
        """Check again a closed file whose diagnostics the workspace check published."""
        result = await workspace.check_one(self, path)
        if result is not None:
            self._file_checked(result)

    def _file_checked(self, result: workspace.FileResult) -> None:
        if not self.pull and result.version is None and result.uri not in self.documents:
            self.publish(result.uri, result.diagnostics)
            self.pushed_closed.add(result.uri)


def _check_job(text: str, path: str, settings: Settings, module_name: str | None, options: EditorOptions,
               last_good: KeptFindings, checker: BufferChecker | None, rendered: Rendered, version: int):
    """Check one version of a document and build its diagnostics as JSON (in a worker thread)."""
    if not options.enable:
        return disabled(text, settings, module_name), "[]"
    result = check_document(text, path, settings, module_name, show_syntax_errors=options.show_syntax_errors,
                            last_good=last_good.moved, incremental=checker)
    return result, rendered.json(result.findings, result.index, version, result.parsed)


def guarded(fallback):
    """Run a handler so no exception escapes: log it to the client, answer `fallback(*params)`."""
    def wrap(handler):
        if asyncio.iscoroutinefunction(handler):
            @functools.wraps(handler)
            async def run(ls, *args):
                try:
                    return await handler(ls, *args)
                except Exception:
                    ls.log_failure(handler.__name__)
                    return fallback(*args)
        else:
            @functools.wraps(handler)
            def run(ls, *args):
                try:
                    return handler(ls, *args)
                except Exception:
                    ls.log_failure(handler.__name__)
                    return fallback(*args)
        return run
    return wrap


def nothing(*_args):
    return None


server = CeleryPatternsServer()


# --- lifecycle ------------------------------------------------------------------------------
@server.feature(types.INITIALIZE)
@guarded(nothing)
def initialize(ls: CeleryPatternsServer, params: types.InitializeParams):
    capabilities = params.capabilities
    ls.encoding = choose_encoding(capabilities)
    ls.pull = get_capability(capabilities, "text_document.diagnostic") is not None
    resolvable = get_capability(capabilities, "text_document.code_action.resolve_support.properties", None) or []
    ls.lazy_edits = "edit" in resolvable
    ls.versioned_edits = bool(get_capability(capabilities, "workspace.workspace_edit.document_changes", False))
    if ls.set_options(params.initialization_options):
        ls.options = ls.options.as_initialization()


@server.feature(types.INITIALIZED)
@guarded(nothing)
async def initialized(ls: CeleryPatternsServer, params: types.InitializedParams):
    if get_capability(ls.client_capabilities, "workspace.did_change_watched_files.dynamic_registration", False):
        watchers = [types.FileSystemWatcher(glob_pattern="**/pyproject.toml"),
                    types.FileSystemWatcher(glob_pattern="**/*.py")]
        registration = types.Registration(
            id="celery-patterns-watched-files", method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
            register_options=types.DidChangeWatchedFilesRegistrationOptions(watchers=watchers))
        try:
            await ls.client_register_capability_async(types.RegistrationParams(registrations=[registration]))
        except Exception:
            ls.log("the client did not accept watching pyproject.toml", types.MessageType.Warning)
    if await ls.pull_configuration():
        ls.settings_changed()


@server.feature(types.SHUTDOWN)
@guarded(nothing)
def shutdown(ls: CeleryPatternsServer, params: None):
    ls.shut_down = True
    for doc in ls.documents.values():
        if doc.task is not None:
            doc.task.cancel()
    if ls.workspace_run is not None:
        ls.workspace_run.cancel()
    for executor in (ls.checks, ls.fixes, ls.background):
        executor.shutdown(wait=False, cancel_futures=True)


# --- documents ------------------------------------------------------------------------------
@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
@guarded(nothing)
def did_open(ls: CeleryPatternsServer, params: types.DidOpenTextDocumentParams):
    item = params.text_document
    if item.language_id not in PYTHON_LANGUAGES and not item.uri.endswith((".py", ".pyi")):
        return
    doc = OpenDocument(item.uri, to_fs_path(item.uri) or item.uri, item.text, item.version, item.language_id)
    ls.documents[item.uri] = doc
    ls.pushed_closed.discard(item.uri)
    ls.touch(doc)
    ls.typed_in(doc)
    ls.schedule(doc)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
@guarded(nothing)
def did_change(ls: CeleryPatternsServer, params: types.DidChangeTextDocumentParams):
    doc = ls.documents.get(params.text_document.uri)
    if doc is None:
        return
    doc.apply_changes(params.content_changes, params.text_document.version, ls.encoding)
    ls.touch(doc)
    ls.typed_in(doc)
    ls.schedule(doc)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
@guarded(nothing)
def did_close(ls: CeleryPatternsServer, params: types.DidCloseTextDocumentParams):
    doc = ls.documents.pop(params.text_document.uri, None)
    ls.recent.pop(params.text_document.uri, None)
    ls.typing.pop(params.text_document.uri, None)
    if doc is None:
        return
    if doc.task is not None:
        doc.task.cancel()
    doc.checked.set()  # release anyone waiting for this document
    if not ls.pull:
        ls.publish(doc.uri, "[]")


# --- diagnostics ----------------------------------------------------------------------------
@server.feature(types.TEXT_DOCUMENT_DIAGNOSTIC, types.DiagnosticOptions(
    identifier=SOURCE, inter_file_dependencies=False, workspace_diagnostics=True))
@guarded(lambda params: diagnostic_report("full"))
async def document_diagnostic(ls: CeleryPatternsServer, params: types.DocumentDiagnosticParams):
    doc = ls.documents.get(params.text_document.uri)
    latest = await ls.latest(doc) if doc is not None else None
    if latest is None:
        return diagnostic_report("full")
    result, version = latest
    result_id = f"{ls.generation}:{version}"
    if params.previous_result_id == result_id:
        return diagnostic_report("unchanged", result_id)
    return diagnostic_report("full", result_id, ls.diagnostics_of(doc, result, version))


@server.feature(types.WORKSPACE_DIAGNOSTIC)
@guarded(lambda params: JsonResult('{"items":[]}'))
async def workspace_diagnostic(ls: CeleryPatternsServer, params: types.WorkspaceDiagnosticParams):
    previous = {p.uri: p.value for p in params.previous_result_ids or []}
    items = []
    for result in await ls.check_workspace(params.work_done_token):
        unchanged = previous.get(result.uri) == result.result_id
        report = (f'{{"kind":"{"unchanged" if unchanged else "full"}","uri":{json.dumps(result.uri)},'
                  f'"version":{json.dumps(result.version)},"resultId":{json.dumps(result.result_id)}')
        items.append(report + ("}" if unchanged else f',"items":{result.diagnostics}}}'))
    return JsonResult('{"items":[' + ",".join(items) + "]}")


@server.command(CHECK_WORKSPACE)
@guarded(nothing)
async def check_workspace(ls: CeleryPatternsServer, *args):
    """Check every Python file of the workspace; answers with a summary when done."""
    results = await ls.check_workspace()
    if ls.pull and get_capability(ls.client_capabilities, "workspace.diagnostics.refresh_support", False):
        ls.workspace_diagnostic_refresh(None)
    return {"files": len(results), "findings": sum(r.count for r in results)}


# --- code actions and hover -----------------------------------------------------------------
@server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(
    code_action_kinds=[types.CodeActionKind.QuickFix, actions.FIX_ALL], resolve_provider=True))
@guarded(lambda params: [])
async def code_action(ls: CeleryPatternsServer, params: types.CodeActionParams):
    doc = ls.documents.get(params.text_document.uri)
    latest = await ls.latest(doc) if doc is not None else None
    if latest is None:
        return []
    (result, version), only = latest, params.context.only
    offered: list[types.CodeAction] = []
    if actions.wanted(only, actions.QUICK_FIX):
        found = actions.findings_for(result, params, ls.encoding)
        tree = actions.parse(result) if found else None
        for finding, diagnostic in found:
            if actions.has_fix(finding, result):
                if ls.lazy_edits:
                    offered.append(actions.quick_fix(finding, diagnostic, doc.uri, version))
                elif fix := await ls.fix_for(doc, result, version, finding):
                    edits = to_lsp_edits(result.index, fix.edits, ls.encoding)
                    offered.append(actions.quick_fix(finding, diagnostic, doc.uri, version, ls.edit(doc.uri, version, edits)))
            disable = actions.disable_for_line(finding, diagnostic, result, doc.uri, version, ls.encoding,
                                               ls.versioned_edits, tree)
            if disable is not None:
                offered.append(disable)
    options = ls.configuration(doc.path)[1]
    if options.fix_all and actions.wanted(only, actions.FIX_ALL) and actions.any_safe_fix(result):
        if ls.lazy_edits:
            offered.append(actions.fix_all(doc.uri, version))
        elif only:  # computed eagerly only when asked for by kind (e.g. on save)
            if edits := await ls.fix_all_edits(doc, result, version):
                offered.append(actions.fix_all(doc.uri, version, ls.edit(doc.uri, version, edits)))
    return offered


@server.feature(types.CODE_ACTION_RESOLVE)
@guarded(lambda action: action)
async def resolve_code_action(ls: CeleryPatternsServer, action: types.CodeAction):
    data = action.data if isinstance(action.data, dict) else {}
    doc = ls.documents.get(data.get("uri"))
    latest = await ls.latest(doc) if doc is not None else None
    if latest is None:
        return action
    result, version = latest  # if edited since the offer, it is redone on the current text, if still there
    if data.get("kind") == "fixAll":
        edits = await ls.fix_all_edits(doc, result, version)
    else:
        key = finding_key(data)
        finding = result.finding(*key) if key else None
        fix = await ls.fix_for(doc, result, version, finding) if finding and actions.has_fix(finding, result) else None
        edits = to_lsp_edits(result.index, fix.edits, ls.encoding) if fix else []
    if edits:
        action.edit = ls.edit(doc.uri, version, edits)
    else:
        ls.log(f"no edit for code action {action.title!r}: the problem changed or its fix is not safe here")
    return action


@server.feature(types.TEXT_DOCUMENT_HOVER)
@guarded(nothing)
async def hover(ls: CeleryPatternsServer, params: types.HoverParams):
    doc = ls.documents.get(params.text_document.uri)
    latest = await ls.latest(doc) if doc is not None else None
    if latest is None:
        return None
    result, _ = latest
    at = result.index.from_client_column(params.position.line, params.position.character, ls.encoding)
    hits = [f for f in result.findings if f.range.start <= at <= f.range.end]
    if not hits:
        return None
    formats = get_capability(ls.client_capabilities, "text_document.hover.content_format", None)
    kind = types.MarkupKind.Markdown if not formats or types.MarkupKind.Markdown in formats else types.MarkupKind.PlainText
    return types.Hover(
        contents=types.MarkupContent(kind=kind, value=actions.hover_text(hits)),
        range=to_lsp_range(result.index, hits[0].range, ls.encoding),
    )


# --- settings -------------------------------------------------------------------------------
@server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
@guarded(nothing)
async def did_change_configuration(ls: CeleryPatternsServer, params: types.DidChangeConfigurationParams):
    if unwrap(params.settings):
        ls.set_options(params.settings)
    elif not ls.options.from_initialization:  # the client removed ours: the defaults (pyproject's) again
        ls.options = EditorOptions()
    ls.settings_changed()
    if await ls.pull_configuration():
        ls.settings_changed()


@server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
@guarded(nothing)
def did_change_watched_files(ls: CeleryPatternsServer, params: types.DidChangeWatchedFilesParams):
    config_changed = False
    for change in params.changes:
        path = to_fs_path(change.uri) or change.uri
        if os.path.basename(path) == "pyproject.toml":
            config_changed = True
        elif path.endswith(".py"):
            ls.file_results.pop(path, None)
            if change.uri in ls.pushed_closed and change.uri not in ls.documents:  # keep them true
                if change.type == types.FileChangeType.Deleted:
                    ls.pushed_closed.discard(change.uri)
                    ls.publish(change.uri, "[]")
                else:
                    asyncio.ensure_future(ls.recheck_closed(path))
    if config_changed:
        ls.settings_changed()


@server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
@guarded(nothing)
async def did_change_workspace_folders(ls: CeleryPatternsServer, params: types.DidChangeWorkspaceFoldersParams):
    for folder in params.event.removed:
        ls.folder_options.pop(folder.uri, None)
    ls.settings_changed()
    if await ls.pull_configuration():
        ls.settings_changed()


# --- running --------------------------------------------------------------------------------
def start(tcp: str | None = None) -> None:
    """Serve LSP over stdio, or over TCP (`HOST:PORT`, for debugging)."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="celery-patterns lsp: %(levelname)s %(name)s: %(message)s")
    # Fewer, cheaper garbage collections: a check allocates many short-lived objects and
    # the default thresholds turn some checks of a large file into 3x slower ones.
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)
    if tcp:
        host, _, port = tcp.rpartition(":")
        server.start_tcp(host or "127.0.0.1", int(port))
    else:
        server.start_io()
    # Exit now: a fix still computing in a worker thread must not keep the process alive.
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(0 if server.shut_down else 1)
