"""The language server: `celery-patterns lsp` (pygls 2, lsprotocol).

One thin handler per LSP method, then `start()`; the state they share and the check
pipeline are in `session.py`, the protocol's edge in `protocol.py`.

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
import json
import logging
import os
import sys
import threading
from collections.abc import Callable

from lsprotocol import types
from pygls.capabilities import get_capability
from pygls.uris import to_fs_path

from ..stack import deep_threads_from_now
from . import actions, navigation
from .convert import (
    SOURCE,
    choose_encoding,
    finding_key,
    to_lsp_edits,
    to_lsp_range,
)
from .documents import OpenDocument
from .options import EditorOptions, unwrap
from .protocol import JsonResult, diagnostic_report
from .session import CeleryPatternsServer

CHECK_WORKSPACE = "celery-patterns.checkWorkspace"
PYTHON_LANGUAGES = {"python"}


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
        watchers = [
            types.FileSystemWatcher(glob_pattern="**/pyproject.toml"),
            types.FileSystemWatcher(glob_pattern="**/*.py"),
        ]
        registration = types.Registration(
            id="celery-patterns-watched-files",
            method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
            register_options=types.DidChangeWatchedFilesRegistrationOptions(watchers=watchers),
        )
        try:
            await ls.client_register_capability_async(types.RegistrationParams(registrations=[registration]))
        except Exception:
            ls.log("the client did not accept watching pyproject.toml", types.MessageType.Warning)
    if await ls.pull_configuration():
        ls.settings_changed()
    ls.index_folders()
    ls.warm_up()


@server.feature(types.SHUTDOWN)
@guarded(nothing)
def shutdown(ls: CeleryPatternsServer, params: None):
    ls.shut_down = True
    for doc in ls.documents.values():
        if doc.task is not None:
            doc.task.cancel()
    if ls.workspace_run is not None:
        ls.workspace_run.cancel()
    for executor in (ls.checks, ls.fixes, ls.fix_alls, ls.background, ls.indexing):
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
    ls.closed(doc)


# --- diagnostics ----------------------------------------------------------------------------
@server.feature(
    types.TEXT_DOCUMENT_DIAGNOSTIC,
    types.DiagnosticOptions(identifier=SOURCE, inter_file_dependencies=False, workspace_diagnostics=True),
)
@guarded(lambda params: diagnostic_report("full"))
async def document_diagnostic(ls: CeleryPatternsServer, params: types.DocumentDiagnosticParams):
    found = await ls.latest_of(params.text_document.uri)
    if found is None:
        return diagnostic_report("full")
    doc, result, version = found
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
        report = (
            f'{{"kind":"{"unchanged" if unchanged else "full"}","uri":{json.dumps(result.uri)},'
            f'"version":{json.dumps(result.version)},"resultId":{json.dumps(result.result_id)}'
        )
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
@server.feature(
    types.TEXT_DOCUMENT_CODE_ACTION,
    types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix, actions.FIX_ALL], resolve_provider=True),
)
@guarded(lambda params: [])
async def code_action(ls: CeleryPatternsServer, params: types.CodeActionParams):
    latest = await ls.latest_of(params.text_document.uri)
    if latest is None:
        return []
    (doc, result, version), only = latest, params.context.only
    offered: list[types.CodeAction] = []
    if actions.wanted(only, actions.QUICK_FIX):
        found = actions.findings_for(result, params, ls.encoding)
        # A client that cannot resolve edits gets them computed for the fix at the cursor only.
        eager = [f for f, _ in actions.at_cursor(found, params, result, ls.encoding)] if not ls.lazy_edits else []
        for finding, diagnostic in found:
            if actions.has_fix(finding, result):
                if ls.lazy_edits:
                    offered.append(actions.quick_fix(finding, diagnostic, doc.uri, version))
                elif finding in eager and (fix := await ls.fix_for(doc, result, version, finding)):
                    edits = to_lsp_edits(result.index, fix.edits, ls.encoding)
                    offered.append(
                        actions.quick_fix(finding, diagnostic, doc.uri, version, ls.edit(doc.uri, version, edits))
                    )
            disable = actions.disable_for_line(
                finding,
                diagnostic,
                result,
                doc.uri,
                version,
                ls.encoding,
                ls.versioned_edits,
                await ls.noqa_edit(finding, result),
            )
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
    uri = data.get("uri")
    latest = await ls.latest_of(uri) if isinstance(uri, str) else None
    if latest is None:
        return action
    doc, result, version = latest  # if edited since the offer, it is redone on the current text, if still there
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
    """A finding's documentation where one is; else, on a task name, the task."""
    latest = await ls.latest_of(params.text_document.uri)
    if latest is None:
        return None
    _, result, _ = latest
    at = result.index.from_client_column(params.position.line, params.position.character, ls.encoding)
    hits = [f for f in result.findings if f.range.start <= at <= f.range.end]
    formats = get_capability(ls.client_capabilities, "text_document.hover.content_format", None)
    kind = (
        types.MarkupKind.Markdown if not formats or types.MarkupKind.Markdown in formats else types.MarkupKind.PlainText
    )
    if hits:
        return types.Hover(
            contents=types.MarkupContent(kind=kind, value=actions.hover_text(hits)),
            range=to_lsp_range(result.index, hits[0].range, ls.encoding),
        )
    found = await ls.navigation(params.text_document.uri, params.position)
    if found is None or found[0] is None or not found[0].tasks:
        return None
    reference, project, result = found
    text = "\n\n---\n\n".join(navigation.hover_markdown(project, task) for task in reference.tasks)
    return types.Hover(
        contents=types.MarkupContent(kind=kind, value=text),
        range=to_lsp_range(result.index, reference.range, ls.encoding),
    )


@server.feature(types.TEXT_DOCUMENT_DEFINITION)
@guarded(nothing)
async def definition(ls: CeleryPatternsServer, params: types.DefinitionParams):
    """On a task name: the task's `def` (or class), in whatever service defines it."""
    found = await ls.navigation(params.text_document.uri, params.position)
    if found is None or found[0] is None:
        return None
    reference, project, _ = found
    locator = ls.locator()
    tasks = [navigation.current(project, task) for task in reference.tasks]
    return [locator.location(task.summary.path, task.definition.span) for task in tasks] or None


@server.feature(types.TEXT_DOCUMENT_REFERENCES)
@guarded(lambda params: [])
async def references(ls: CeleryPatternsServer, params: types.ReferenceParams):
    """On a task's `def` or one of its names: every dispatch of it, by name or direct."""
    found = await ls.navigation(params.text_document.uri, params.position)
    if found is None or found[0] is None:
        return []
    reference, project, _ = found
    locator = ls.locator()
    locations = []
    for task in reference.tasks:
        if params.context.include_declaration:
            task = navigation.current(project, task)
            locations.append(locator.location(task.summary.path, task.definition.span))
        locations.extend(locator.location(s.path, span) for s, span in navigation.dispatches_of(project, task))
    return locations


@server.feature(
    types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=['"', "'", "."], resolve_provider=True)
)
@guarded(lambda params: None)
async def completion(ls: CeleryPatternsServer, params: types.CompletionParams):
    """Inside the name string of a dispatch by name: the workspace's registered task names
    (their documentation comes with `completionItem/resolve`)."""
    doc = ls.documents.get(params.text_document.uri)
    project = ls.models.known_for(doc.path) if doc is not None else None
    if doc is None or project is None:
        return None
    index = doc.index()
    at = index.from_client_column(params.position.line, params.position.character, ls.encoding)
    typed = navigation.typed_name(index.line_text(at.line), at.column)
    if typed is None:
        return None
    start, name = typed
    defaults = get_capability(ls.client_capabilities, "text_document.completion.completion_list.item_defaults", None)
    item_defaults = "editRange" in (defaults or ()) and "data" in (defaults or ())
    return JsonResult(
        navigation.completion_json(project, at.line, start, at.column, name, index, ls.encoding, item_defaults)
    )


@server.feature(types.COMPLETION_ITEM_RESOLVE)
@guarded(lambda item: item)
def resolve_completion_item(ls: CeleryPatternsServer, item: types.CompletionItem):
    """A task name's documentation: what hovering it shows."""
    return navigation.resolve_documentation(item, [model.known() for model in ls.models.folders.values()])


@server.feature(types.WORKSPACE_SYMBOL)
@guarded(lambda params: [])
def workspace_symbol(ls: CeleryPatternsServer, params: types.WorkspaceSymbolParams):
    """The workspace's tasks, by registered name (where they are defined when it is not known)."""
    query = params.query.lower()
    locator = ls.locator()
    symbols = []
    for model in ls.models.folders.values():
        project = model.known()
        for task in project.tasks:
            if query in task.label.lower():
                symbols.append(
                    types.WorkspaceSymbol(
                        name=task.label,
                        kind=types.SymbolKind.Function,
                        location=locator.location(task.summary.path, task.definition.span),
                        container_name=os.path.relpath(task.service.root, project.root),
                    )
                )
    return symbols


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
            asyncio.ensure_future(ls.file_changed(path, change.type == types.FileChangeType.Deleted))
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
    ls.index_folders()
    ls.settings_changed()
    if await ls.pull_configuration():
        ls.settings_changed()


# --- running --------------------------------------------------------------------------------
def start(tcp: str | None = None) -> None:
    """Serve LSP over stdio, or over TCP (`HOST:PORT`, for debugging)."""
    logging.basicConfig(
        level=logging.WARNING, stream=sys.stderr, format="celery-patterns lsp: %(levelname)s %(name)s: %(message)s"
    )
    # Fewer, cheaper garbage collections: a check allocates many short-lived objects and
    # the default thresholds turn some checks of a large file into 3x slower ones.
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)
    # Every thread from now on (the event loop's below, the check and fix workers it starts)
    # has a stack deep code cannot overflow; the main thread only waits.
    deep_threads_from_now()
    serve: Callable[..., None]
    if tcp:
        host, _, port = tcp.rpartition(":")
        serve = functools.partial(server.start_tcp, host or "127.0.0.1", int(port))
    else:
        serve = server.start_io
    loop = threading.Thread(target=serve, name="celery-patterns-server", daemon=True)
    loop.start()
    try:
        loop.join()
    except KeyboardInterrupt:
        pass
    # Exit now: a fix still computing in a worker thread must not keep the process alive.
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(0 if server.shut_down else 1)
