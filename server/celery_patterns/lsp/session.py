"""The server's state across requests: open documents and their results, settings, the
check pipeline (a worker thread; edits coalesce), fixes (one worker thread; a fix-all stops
when cancelled) and the whole-workspace check. Handlers in `server.py` call into it.
"""

from __future__ import annotations

import ast
import asyncio
import functools
import hashlib
import importlib
import io
import json
import logging
import os
import pkgutil
import sys
import threading
import tokenize
import traceback
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor

from lsprotocol import types
from pygls.capabilities import get_capability
from pygls.io_ import StdoutWriter
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from .. import __version__, config, discovery, engine
from ..analysis.facts import ModuleFacts
from ..config import ConfigError, Settings
from ..engine.incremental import BufferChecker
from ..ftypes import FileReport, Finding, Fix, FixSafety, TextEdit
from ..model.build import summarise_source
from ..model.project import Project
from ..source import edit_between
from . import actions, memory, transport, workspace
from .checking import DocumentCheck, check_document, disabled
from .convert import (
    Rendered,
    to_lsp_edits,
    workspace_edit,
)
from .documents import KeptFindings, OpenDocument
from .models import FolderModel, Models
from .navigation import Locator, reference_at
from .options import SECTION, EditorOptions, parse_options, unwrap
from .protocol import Protocol
from .workspace import Progress

KEEP_RESULTS = 32  # open documents whose results stay in memory: the most recently used
KEEP_CHECKERS = 4  # documents whose tree and findings are kept for incremental checks: the last typed in
TRIM_AFTER = 1.0  # seconds after the last document closed before memory is given back
# Parsed by `warm_up` with libcst (its parser loaded and warmed): an async handler with blocking
# calls and an unbounded wait, Celery dispatches and settings, names a fix imports.
WARM_UP_SOURCE = """\
import time

from celery import Celery, group

app = Celery("warm_up")


async def handler(result, delay: float = 1.0):
    time.sleep(delay)
    while not result.ready():
        time.sleep(delay)
    return result.get()


@app.task
def fan_out(items):
    return group(fan_out.s(i) for i in items).apply_async().get()
"""

# What a first fix imports beyond libcst itself: the parts of libcst the fix helpers use (and
# the helpers, `celery_patterns.fixes`, all of them).
WARM_UP_MODULES = ("libcst.matchers", "libcst.codemod.visitors")


class CeleryPatternsServer(LanguageServer):
    protocol: Protocol  # made from `protocol_cls`

    def __init__(self) -> None:
        super().__init__(
            "celery-patterns",
            __version__,
            protocol_cls=Protocol,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
        )
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
        # document checks, quick fixes, fix-alls (one can take many seconds: a quick fix asked
        # meanwhile must not wait for it), the workspace check.
        self.checks = ThreadPoolExecutor(2, thread_name_prefix="celery-patterns-check")
        self.fixes = ThreadPoolExecutor(1, thread_name_prefix="celery-patterns-fix")
        self.fix_alls = ThreadPoolExecutor(1, thread_name_prefix="celery-patterns-fix-all")
        # The facts and libcst trees the last quick fix was computed from, as (source, path,
        # module name, settings, project, facts, FixContext, whether the facts are its own
        # rather than lent by the document's checker): the next one on the same text reuses them.
        # One only, used only in the fix thread: a tree is much larger than its text.
        self.fix_base: tuple | None = None
        self.background = ThreadPoolExecutor(1, thread_name_prefix="celery-patterns-workspace")
        # The project model of each workspace folder, built and kept fresh in its own thread.
        self.models = Models()
        self.model_versions: dict[str, int] = {}  # by folder root: bumped when its model says something new
        self._rechecking: asyncio.Task | None = None  # the pass re-checking documents after model changes
        self.indexing = ThreadPoolExecutor(1, thread_name_prefix="celery-patterns-index")
        self.workspace_run: asyncio.Future | None = None
        self.file_results: dict[str, workspace.FileResult] = {}  # closed files, by path
        self.pushed_closed: set[str] = set()  # closed files whose diagnostics were published
        self.shut_down = False
        self._trim: asyncio.TimerHandle | None = None  # giving memory back after documents closed
        self._reporting = False  # reporting an error to the client (see `report_server_error`)

    # --- the transport ------------------------------------------------------------------------
    # pygls' `start_io` and `start_tcp` read with `pygls.io_.run_async`, which has no hook: its
    # framing never finds its feet again after one bad frame, and it drops unanswered a request
    # it cannot structure. These two are pygls' own with that loop replaced: `transport.serve`
    # cuts the frames (resynchronising on the next Content-Length line) and
    # `Protocol.receive` handles each body (answering every request).
    def start_io(self, stdin=None, stdout=None) -> None:
        """Serve over stdin and stdout (the client closing stdin ends it)."""
        self._stop_event = threading.Event()
        stdin = stdin or sys.stdin.buffer
        read_some = getattr(stdin, "read1", None) or stdin.read  # what is there, without waiting for more
        self.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))

        async def read() -> bytes:
            return await asyncio.get_running_loop().run_in_executor(self.thread_pool, read_some, transport.CHUNK)

        try:
            asyncio.run(self._serve(read))
        except BrokenPipeError:
            logging.getLogger(__name__).error("the client is gone (broken pipe): stopping")
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            self.shutdown()

    def start_tcp(self, host: str, port: int) -> None:
        """Serve the first client to connect to a TCP socket (for debugging), as pygls does."""
        self._stop_event = threading.Event()

        async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.protocol.set_writer(writer)
            await self._serve(lambda: reader.read(transport.CHUNK))
            self.shutdown()

        async def listen() -> None:
            self._server = await asyncio.start_server(connection, host, port)
            async with self._server:
                await self._server.serve_forever()

        try:
            asyncio.run(listen())
        except asyncio.CancelledError:
            pass

    async def _serve(self, read: Callable[[], Awaitable[bytes]]) -> None:
        protocol, stop = self.protocol, self._stop_event
        assert isinstance(protocol, Protocol) and stop is not None
        await transport.serve(read, protocol.receive, self._bad_input, stop.is_set)

    def _bad_input(self, problem: str) -> None:
        """Say what the transport dropped: to stderr, and to the client's log."""
        logging.getLogger(__name__).warning("%s", problem)
        self.log(f"malformed input from the client: {problem}", types.MessageType.Warning)

    # --- messages to the user ---------------------------------------------------------------
    def report_server_error(self, error: Exception, source) -> None:
        """pygls reports a failure to send a message by sending one, which fails again when
        the client is gone (after `exit`, a closed pipe): once, never from within itself."""
        if self._reporting:
            return
        self._reporting = True
        try:
            super().report_server_error(error, source)
        except Exception:
            logging.getLogger(__name__).exception("could not report an error to the client")
        finally:
            self._reporting = False

    def log(self, message: str, kind: types.MessageType = types.MessageType.Info) -> None:
        self.window_log_message(types.LogMessageParams(type=kind, message=message))

    def show_error(self, message: str) -> None:
        """Show a (settings) error once, until the settings change again."""
        if message not in self._shown:
            self._shown.add(message)
            self.window_show_message(
                types.ShowMessageParams(type=types.MessageType.Error, message=f"celery-patterns: {message}")
            )
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
            settings = engine.validated(config.load_settings(pyproject))
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
        return settings, options, discovery.module_name_for(path, root)

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
            model = self.models.folder_of(doc.path)
            seen = self.model_versions.get(model.root, 0) if model is not None else 0
            project = model.project if model is not None else None
            try:
                settings, options, module_name = self.configuration(doc.path)
                # Diagnostics made JSON are kept only where findings are: with an incremental
                # checker (a full check makes every finding anew).
                if doc.checker is None:
                    rendered = Rendered(self.encoding)
                else:
                    if doc.rendered is None:
                        doc.rendered = Rendered(self.encoding)
                    rendered = doc.rendered
                job = functools.partial(
                    _check_job,
                    doc.text,
                    doc.path,
                    settings,
                    module_name,
                    options,
                    doc.last_good,
                    doc.checker,
                    rendered,
                    version,
                    project,
                )
                result, diagnostics = await asyncio.get_running_loop().run_in_executor(self.checks, job)
            except Exception:
                self.log_failure(f"checking {doc.uri}")
                result = diagnostics = None
            if self.documents.get(doc.uri) is not doc or doc.wanted != wanted:
                continue  # the text or the settings changed meanwhile: dropped, checked again
            doc.model_seen = seen  # (a check that failed is not retried for the model's sake)
            if result is not None:
                doc.result, doc.result_version = result, version
                doc.diagnostics = diagnostics if self.pull else None
                if result.parsed:
                    doc.last_good = KeptFindings(tuple(f for f in result.findings if f.code != engine.SYNTAX_CODE))
                said = (version, hashlib.blake2b(diagnostics.encode(), digest_size=16).digest())
                if not self.pull and doc.published != said:
                    # (checked again with nothing new, e.g. after the model changed: said already)
                    self.publish(doc.uri, diagnostics, version)
                    doc.published = said
                self.touch(doc)  # only the recently used documents hold results
                # Without the model, or with a text that does not parse, say it reads the model.
                doc.reads_model = project is None or not result.parsed or result.summary is not None
                if result.summary is not None and model is not None and model.take(result.summary):
                    self.model_changed(model, but=doc)
            doc.checked.set()

    # --- the project model --------------------------------------------------------------------
    def index_folders(self) -> None:
        """Start building the model of each workspace folder that has none yet."""
        for model in self.models.set_roots(self.workspace_roots()):
            asyncio.ensure_future(self._index(model))

    async def _index(self, model: FolderModel) -> None:
        loop = asyncio.get_running_loop()
        overlays = {d.path: d.text for d in self.documents.values() if model.contains(d.path)}
        try:
            async with Progress(self, None, "Indexing Celery tasks", 0, done_word="indexed") as progress:

                def report(done: int, total: int) -> None:
                    loop.call_soon_threadsafe(progress.report, done, total)

                await loop.run_in_executor(self.indexing, model.index, overlays, report)
        except Exception:
            self.log_failure(f"indexing {model.root}")
            return
        self.model_changed(model)

    def model_changed(self, model: FolderModel, but: OpenDocument | None = None) -> None:
        """The folder's model says something new: its open documents that read the model are
        checked again, in one pass once the checks under way are done (opening 200 documents,
        each adding its summary, costs one more check of each, not one of each per document)."""
        if self.shut_down:
            return
        version = self.model_versions.get(model.root, 0) + 1
        self.model_versions[model.root] = version
        if but is not None and but.model_seen == version - 1:
            but.model_seen = version  # its own check saw its own summary, the only change
        if self._rechecking is None or self._rechecking.done():
            self._rechecking = asyncio.ensure_future(self._recheck_for_models())

    async def _recheck_for_models(self) -> None:
        """Check again every open document checked against an older model that reads it,
        after the checks pending now (a burst of opens or edits coalesces into one pass)."""
        while True:
            await asyncio.sleep(0)
            await self.edits_settled()
            stale = []
            for doc in self.documents.values():
                model = self.models.folder_of(doc.path)
                if model is None or not doc.reads_model or not doc.checked.is_set():
                    continue  # (one being checked sees the latest model)
                if doc.model_seen < self.model_versions.get(model.root, 0):
                    stale.append(doc)
            if not stale:
                break
            for doc in stale:
                self.schedule(doc)
        if self.pull and get_capability(self.client_capabilities, "workspace.diagnostics.refresh_support", False):
            self.workspace_diagnostic_refresh(None)

    async def file_changed(self, path: str, deleted: bool) -> None:
        """A Python file changed on disk (or went): the model reads it again, unless it is open."""
        model = self.models.folder_of(path)
        if model is None or any(d.path == path for d in self.documents.values()):
            return
        changed = await asyncio.get_running_loop().run_in_executor(self.indexing, model.reread, path, deleted)
        if changed:
            self.model_changed(model)

    async def navigation(self, uri: str, position: types.Position):
        """(what the cursor is on or None, the model with the document as it is now, the
        document's check) for a navigation request; None when there is nothing to go on.
        Before the model is indexed, what is indexed so far answers."""
        found = await self.latest_of(uri)
        if found is None:
            return None
        doc, result, _ = found
        project = self.models.known_for(doc.path)
        if project is None:
            return None
        summary = result.summary
        if summary is None and result.parsed:  # checked before the model was ready
            summary = await asyncio.get_running_loop().run_in_executor(
                self.checks,
                summarise_source,
                result.source,
                doc.path,
                project.layout.module_name(doc.path),
                result.settings,
            )
        if summary is None:
            return None
        project = project.with_summary(summary)
        at = result.index.from_client_column(position.line, position.character, self.encoding)
        return reference_at(project, summary, at), project, result

    def locator(self) -> Locator:
        return Locator(self.encoding, {d.path: d.text for d in self.documents.values()})

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
            if doc.result is not None and doc.result_version is not None:  # (set together)
                return doc.result, doc.result_version
            self.schedule(doc)
        return None

    async def latest_of(self, uri: str) -> tuple[OpenDocument, DocumentCheck, int] | None:
        """The document open at `uri` with `latest`'s result and version; None when it is not
        open, or was closed meanwhile."""
        doc = self.documents.get(uri)
        latest = await self.latest(doc) if doc is not None else None
        if doc is None or latest is None:
            return None
        return doc, *latest

    def diagnostics_of(self, doc: OpenDocument, result: DocumentCheck, version: int) -> str:
        """The JSON array of a result's diagnostics."""
        if doc.diagnostics is not None and doc.result is result:
            return doc.diagnostics
        return Rendered(self.encoding).json(result.findings, result.index, version, result.parsed)

    def publish(self, uri: str, diagnostics: str, version: int | None = None) -> None:
        """Publish diagnostics given as a JSON array (text)."""
        version_member = f',"version":{int(version)}' if version is not None else ""
        self.protocol.notify_json(
            types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS,
            f'{{"uri":{json.dumps(uri)}{version_member},"diagnostics":{diagnostics}}}',
        )

    # --- fixes ------------------------------------------------------------------------------
    async def fix_for(self, doc: OpenDocument, result: DocumentCheck, version: int, finding: Finding) -> Fix | None:
        """The fix of one finding (computed in a worker, cached for the version)."""
        cache = doc.fix_cache(version)
        key = (finding.code, finding.range)
        if key not in cache:
            project = self.models.project_for(doc.path)
            checker = doc.checker

            def job() -> Fix | None:
                # The document's own check of this text, when its incremental checker still
                # holds it: no parse, no rule run again (its tree stays still meanwhile).
                if checker is not None:
                    with checker.lent(result.source) as facts:
                        if facts is not None:
                            # (and its fix is checked with a fork of it: again only where it changed)
                            return self._fix(result, doc.path, project, finding, facts, checker.fork())
                return self._fix(result, doc.path, project, finding, None)

            cache[key] = await asyncio.get_running_loop().run_in_executor(self.fixes, job)
        return cache[key]

    def _fix(
        self,
        result: DocumentCheck,
        path: str,
        project: Project | None,
        finding: Finding,
        facts,
        verifier: BufferChecker | None = None,
    ) -> Fix | None:
        """One finding's fix on the facts of `result`'s text: those given, else the last fix's
        (same text), else parsed afresh (in the fix thread). The findings are the result's own:
        the rules are not run again."""
        from ..fixes.context import FixContext  # libcst is loaded only when a fix is wanted

        base = self.fix_base
        same = (result.source, path, result.module_name, result.settings, project)
        # Lent facts are reused only while lent again: their tree moves with the next version.
        if base is not None and base[0] is same[0] and base[1:5] == same[1:] and (base[7] or base[5] is facts):
            facts, context = base[5], base[6]
        else:
            owned = facts is None
            if facts is None:
                facts = _facts_of(result, path, project)
            context = FixContext(result.source, facts, result.settings, path)
            self.fix_base = (*same, facts, context, owned)
        checked = engine.Checked(FileReport(path, list(result.findings), result.source), facts, [], result.index)
        return engine.compute_fix(
            result.source, finding, result.settings, path, result.module_name, checked, context, project, verifier
        )

    # --- memory -------------------------------------------------------------------------------
    def closed(self, doc: OpenDocument) -> None:
        """A document was closed: what only it used goes, and once the closing stops (an
        editor closes many at once) the memory freed is given back to the system."""
        if self.fix_base is not None and self.fix_base[1] == doc.path:
            self.fix_base = None
        if self._trim is not None:
            self._trim.cancel()
        self._trim = asyncio.get_running_loop().call_later(TRIM_AFTER, self._give_back_memory)

    def _give_back_memory(self) -> None:
        if not self.shut_down:
            self.checks.submit(memory.give_back)

    async def noqa_edit(self, finding: Finding, result: DocumentCheck) -> TextEdit | None:
        """The edit of "Disable CELnnn for this line": from the line alone, else (a line
        that ends inside a string) from the whole text, parsed in a worker."""
        edit = actions.noqa_edit(finding, result)
        if edit is not False:
            return edit  # type: ignore[return-value]
        return await asyncio.get_running_loop().run_in_executor(self.checks, actions.noqa_edit_parsed, finding, result)

    def warm_up(self) -> None:
        """Load what a first fix needs (libcst, its parser, the rules' fix helpers, the protocol's
        conversions of code actions) in a thread
        of its own once the server is initialized, so the first quick fix costs what later
        ones do. Not in the fix thread: a fix asked for meanwhile would wait for all of it,
        where now it waits at most for the import it needs to finish."""
        threading.Thread(target=_warm_up, args=(self.protocol,), name="celery-patterns-warm-up", daemon=True).start()

    async def fix_all_edits(self, doc: OpenDocument, result: DocumentCheck, version: int) -> list[types.TextEdit]:
        """Every safe fix of the document at once, as edits of that version. The work stops
        when the request is cancelled or the document changes (no edits are then returned)."""
        cache = doc.fix_cache(version)
        fix_all = cache.get(("fixAll", None))
        if fix_all is None:
            stop = threading.Event()
            project = self.models.project_for(doc.path)

            def job() -> tuple[TextEdit, ...]:
                outcome = engine.fix_source(
                    result.source,
                    doc.path,
                    result.settings,
                    module_name=result.module_name,
                    project=project,
                    cancelled=lambda: stop.is_set() or doc.version != version or self.documents.get(doc.uri) is not doc,
                )
                edit = edit_between(result.source, outcome.source, result.index)
                return (edit,) if edit is not None else ()

            try:
                edits = await asyncio.get_running_loop().run_in_executor(self.fix_alls, job)
            except engine.FixCancelled:
                return []
            except asyncio.CancelledError:
                stop.set()  # the thread stops at its next fix instead of finishing the file
                raise
            fix_all = cache[("fixAll", None)] = Fix("Fix all", edits, FixSafety.SAFE)  # (safe fixes only)
        return to_lsp_edits(result.index, fix_all.edits, self.encoding)

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


def _check_job(
    text: str,
    path: str,
    settings: Settings,
    module_name: str | None,
    options: EditorOptions,
    last_good: KeptFindings,
    checker: BufferChecker | None,
    rendered: Rendered,
    version: int,
    project: Project | None,
):
    """Check one version of a document and build its diagnostics as JSON (in a worker thread)."""
    # An open file the settings exclude (`exclude`, `extend-exclude`) is not ours to check,
    # as on the command line with `--force-exclude`.
    if not options.enable or discovery.is_force_excluded(path, lambda _path: settings):
        return disabled(text, settings, module_name), "[]"
    result = check_document(
        text,
        path,
        settings,
        module_name,
        show_syntax_errors=options.show_syntax_errors,
        last_good=last_good.moved,
        incremental=checker,
        project=project,
    )
    return result, rendered.json(result.findings, result.index, version, result.parsed)


def _facts_of(result: DocumentCheck, path: str, project: Project | None) -> ModuleFacts:
    """The facts of a checked text, parsed afresh, with its summary and the model as the
    rules saw them (fixers read them as rules do)."""
    facts = ModuleFacts(ast.parse(result.source, path), result.source, result.index, path, result.module_name)
    if result.summary is not None and project is not None:
        facts.summary = result.summary
        facts.project = project.with_summary(result.summary)
    return facts


def _warm_up(protocol: Protocol) -> None:
    try:
        protocol.warm_up_conversions()
        from .. import fixes

        libcst = importlib.import_module("libcst")
        module = libcst.parse_module(WARM_UP_SOURCE)
        for name in WARM_UP_MODULES:
            importlib.import_module(name)
        for found in pkgutil.iter_modules(fixes.__path__):
            importlib.import_module(f"{fixes.__name__}.{found.name}")
        # What a fix does first with a chunk (40 ms the first time): its positions worked out,
        # its code written, the file's indentation read with `tokenize` (its expressions compiled).
        libcst.MetadataWrapper(module).resolve(importlib.import_module("libcst.metadata").PositionProvider)
        for _ in tokenize.generate_tokens(io.StringIO(module.code).readline):
            pass
    except Exception:
        logging.getLogger(__name__).exception("warming up the fixes")
