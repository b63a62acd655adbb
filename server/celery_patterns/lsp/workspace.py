"""The whole-workspace check: every Python file under the workspace folders.

Used by the command `celery-patterns.checkWorkspace` and by workspace pull diagnostics
(`workspace/diagnostic`). It runs in the background: files are read and checked in a
worker thread of their own, one at a time, and before each file the check waits until
no open document has a check pending, so edits always go first. Progress is reported
with `$/progress` (cancellable). Open documents are reported as the buffer is, not as
the file on disk is; a file on disk whose bytes and settings did not change since the
last run is not checked again.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from dataclasses import dataclass

from lsprotocol import types
from pygls.capabilities import get_capability
from pygls.uris import from_fs_path

from .. import config, discovery, engine
from ..config import Settings
from ..files import SkippedFile, read_file
from ..source import LineIndex
from .convert import Rendered
from .options import EditorOptions


@dataclass(frozen=True)
class FileResult:
    uri: str
    version: int | None  # the open document's version; None for a file as it is on disk
    result_id: str
    diagnostics: str  # a JSON array
    count: int  # of diagnostics
    key: tuple = ()  # what the result depends on (bytes on disk, settings); equal key, same result


def check_file(
    path: str, settings: Settings, module_name: str | None, options: EditorOptions, encoding: str, key: tuple
) -> FileResult:
    """Check one file on disk (run in a worker thread)."""
    uri = from_fs_path(path)
    result_id = f"disk:{abs(hash(key)):x}"
    try:
        data = read_file(path)  # a regular file only: a FIFO would block the check forever
    except (OSError, SkippedFile):
        return FileResult(uri, None, result_id, "[]", 0, key)
    if not options.enable:
        return FileResult(uri, None, result_id, "[]", 0, key)
    report = engine.check_bytes(data, path, settings, module_name).report
    findings = [f for f in report.findings if options.show_syntax_errors or f.code != engine.SYNTAX_CODE]
    index = LineIndex(report.source or "")
    diagnostics = Rendered(encoding).json(findings, index, None, not report.syntax_error)
    return FileResult(uri, None, result_id, diagnostics, len(findings), key)


def file_key(path: str, settings: Settings, options: EditorOptions, encoding: str) -> tuple:
    try:
        stat = os.stat(path)
    except OSError:
        return (path, None)
    return (path, stat.st_mtime_ns, stat.st_size, settings, options, encoding)


async def run(ls, token: types.ProgressToken | None = None, on_result=None) -> list[FileResult]:
    """Check the workspace; `on_result(FileResult)` is called as each file is done."""
    loop = asyncio.get_running_loop()
    files = await loop.run_in_executor(ls.background, _python_files, ls.workspace_roots())
    results: list[FileResult] = []
    async with Progress(ls, token, "celery-patterns: checking the workspace", len(files)) as progress:
        for path in files:
            if progress.cancelled:
                break
            await ls.edits_settled()
            result = await check_one(ls, path)
            if result is not None:
                results.append(result)
                if on_result is not None:
                    on_result(result)
            progress.advance()
    return results


def _python_files(roots: list[str]) -> list[str]:
    """What `celery-patterns check` would check in the workspace folders (.gitignore and
    `exclude` honoured), with those files read afresh: they may have changed since."""
    discovery.forget_cached_files()
    return list(discovery.python_files([r for r in roots if os.path.isdir(r)], settings_for=_project_settings))


def _project_settings(path: str) -> Settings:
    try:
        return engine.settings_for(path)
    except config.ConfigError:
        return Settings()  # the server reports the error when it checks a file there


async def check_one(ls, path: str) -> FileResult | None:
    uri = from_fs_path(path)
    doc = ls.documents.get(uri)
    if doc is not None:  # open: the buffer, as the editor has it
        latest = await ls.latest(doc)
        if latest is None:
            return None
        result, version = latest
        return FileResult(
            uri,
            version,
            f"doc:{ls.generation}:{version}",
            ls.diagnostics_of(doc, result, version),
            len(result.findings),
        )
    settings, options, module_name = ls.configuration(path)
    key = file_key(path, settings, options, ls.encoding)
    cached = ls.file_results.get(path)
    if cached is not None and cached.key == key:
        return cached
    result = await asyncio.get_running_loop().run_in_executor(
        ls.background, check_file, path, settings, module_name, options, ls.encoding, key
    )
    ls.file_results[path] = result
    return result


class Progress:
    """`$/progress` for one run: the client's token if it gave one, else one we create."""

    def __init__(self, ls, token, title: str, total: int, done_word: str = "checked") -> None:
        self.ls, self.token, self.title, self.total = ls, token, title, total
        self.done = 0
        self.done_word = done_word  # the end says "<done_word> 12 of 12 files"
        self._last = 0.0

    async def __aenter__(self) -> Progress:
        if self.token is None and get_capability(self.ls.client_capabilities, "window.work_done_progress", False):
            token = f"celery-patterns-{uuid.uuid4()}"
            try:
                await self.ls.work_done_progress.create_async(token)
                self.token = token
            except Exception:
                self.token = None
        if self.token is not None:
            self.ls.work_done_progress.begin(
                self.token,
                types.WorkDoneProgressBegin(
                    title=self.title, cancellable=True, message=f"0/{self.total} files", percentage=0
                ),
            )
        return self

    @property
    def cancelled(self) -> bool:
        future = self.ls.work_done_progress.tokens.get(self.token) if self.token is not None else None
        return future is not None and future.cancelled()

    def advance(self) -> None:
        self.report(self.done + 1, self.total)

    def report(self, done: int, total: int) -> None:
        self.done, self.total = done, total
        now = time.monotonic()
        if self.token is None or (now - self._last < 0.1 and self.done < self.total):
            return
        self._last = now
        self.ls.work_done_progress.report(
            self.token,
            types.WorkDoneProgressReport(
                message=f"{self.done}/{self.total} files", percentage=self.done * 100 // max(self.total, 1)
            ),
        )

    async def __aexit__(self, *exc) -> None:
        if self.token is not None:
            self.ls.work_done_progress.end(
                self.token, types.WorkDoneProgressEnd(message=f"{self.done_word} {self.done} of {self.total} files")
            )
            self.ls.work_done_progress.tokens.pop(self.token, None)
