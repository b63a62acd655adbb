"""Checking a batch of files (the command line's `check`): worker processes, the project model
built from the same parse as the checks, crash isolation per file, and the results cache.

A check of a workspace reads every file once. Its first phase, in worker processes, parses a
file, gathers its facts, makes its summary for the project model and runs the rules that do
not read the model; the worker keeps the parse. Once the model is built from every summary,
its second phase runs the rules that read the model on the facts the same worker kept (no
second parse). Fixing (`--fix`, `--diff`) builds the model first, then checks and fixes each
file as the editor does: a fix is checked again against the model.

A worker that dies (a crash in a C extension, the memory killer) costs the file it was on
one finding, not the run: what it was doing is done again one file at a time in a fresh
worker, and the file that kills that one too gets a finding saying so.
"""

from __future__ import annotations

import difflib
import gc
import hashlib
import multiprocessing
import os
import pickle
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from multiprocessing.connection import wait as wait_for
from pathlib import Path
from typing import Any, NamedTuple, Protocol, cast

from .. import config, files
from ..config import ConfigError, Settings
from ..discovery import module_name_for, python_files
from ..ftypes import Finding, Range, Severity
from ..model import build as model_build
from ..model.build import read_workspace, summary_settings_key
from ..model.cache import Cache, content_key, decode, encode
from ..model.interface import interface
from ..model.layout import Layout
from ..model.project import Project
from ..rules import all_rules
from ..source import decode_source, encode_source
from .check import SYNTAX_CODE, Begun, Checked, begin_check, check_bytes, finish_check
from .fix import fix_source
from .settings import settings_for as engine_settings_for
from .settings import validated
from .workspace import project_for

PARALLEL_THRESHOLD = 16  # below this, starting worker processes costs more than it saves
CRASH_MESSAGE = "internal error: the checker crashed on this file"


@dataclass
class FileResult:
    path: str
    findings: list[Finding] = field(default_factory=list)
    fixed: int = 0
    fixed_codes: dict[str, int] = field(default_factory=dict)  # what the fixes removed, per rule
    diff: str = ""
    fixed_data: bytes | None = None  # the fixed file (standard input: printed, not written)
    errors: list[str] = field(default_factory=list)  # the file was not checked or not written
    warnings: list[str] = field(default_factory=list)
    cacheable: bool = False  # the findings are a check of the bytes read, nothing else


@dataclass(frozen=True)
class Job:
    mode: str  # "check", "fix" or "diff"
    unsafe: bool
    select: tuple[str, ...] | None
    ignore: tuple[str, ...]
    extend_select: tuple[str, ...] = ()
    config: str | None = None  # `--config`: the file whose settings govern every file
    fix_root: str | None = None  # fixes are written only to files (link targets) below it
    write: bool = True  # False for standard input: the fixed text is returned


class Progress(Protocol):
    total: int

    def advance(self) -> None: ...

    def done(self) -> None: ...


def check_files(
    found: list[str],
    job: Job,
    *,
    root: str,
    model_settings: Callable[[str], Settings],
    jobs: int = 0,
    use_cache: bool = True,
    progress: Callable[[int], Progress] | None = None,
) -> list[FileResult]:
    """Check (and fix) the files `found` in the workspace at `root`, whose model reads each file
    with `model_settings`. Raises BrokenProcessPool when a worker dies while the model of a
    fixing run is built."""
    workers = jobs or os.cpu_count() or 1
    if job.mode == "check":
        return _Pipeline(found, job, root, model_settings, workers, use_cache, progress).run()
    project = project_for(root, model_settings, use_cache=use_cache, jobs=jobs)
    cache = ResultsCache(project.root if use_cache else None, project, model_settings)
    results = _run(found, job, workers, progress, project, cache)
    cache.save()
    return results


# --- the results cache ----------------------------------------------------------------------
class ResultsCache:
    """Findings of files already checked, in the workspace's `.celery-patterns-cache/`: a file's
    are reused while its bytes, the tool's version, its settings and the project model's
    interface (what other modules can observe of each module) are what they were.

    The model's interface is a digest of every module's (`model.interface`). Working one out
    re-encodes the module's summary (a second for celery + kombu, half a warm run), so each is
    kept too, under what its summary is made from: the module's bytes, path, module name and
    the settings that shape summaries."""

    def __init__(
        self,
        root: str | None,
        project: Project | None,
        settings_for: Callable[[str], Settings],
        known: dict[str, str] | None = None,
        undecoded: dict[str, Any] | None = None,
    ) -> None:
        self.cache = Cache(root, "results")
        self.known = known or {}  # the interfaces of modules whose summaries are elsewhere
        self.undecoded = undecoded or {}  # summaries as the cache holds them, decoded if need be
        self.enabled = root is not None
        self.project = project
        self.settings_for = settings_for
        self._model: str | None = None

    def model_digest(self, read: dict[str, bytes]) -> str:
        """The digest of the model's interfaces; `read`: bytes already read, by absolute path."""
        if self._model is None:
            digest = hashlib.sha256()
            summaries = self.project.summaries if self.project else {}
            for path in sorted(summaries.keys() | self.known.keys() | self.undecoded.keys()):
                found = self._interface(path, summaries.get(path), read)
                digest.update(f"{path}\0{found}\0".encode("utf-8", "surrogatepass"))
            self._model = digest.hexdigest()
        return self._model

    def _interface(self, path: str, summary, read: dict[str, bytes]) -> str:
        def work_out() -> str:
            if path in self.known:
                return self.known[path]
            return interface(summary if summary is not None else decode(self.undecoded[path]))

        data = read.get(path)
        if data is None:
            try:
                data = files.read_file(path)
            except (OSError, files.SkippedFile):
                return work_out()
        module = self.project.layout.module_name(path) if self.project else None
        # (`path` is the summary's: the model's paths are absolute)
        key = "interface:" + content_key(data, path, module or "", summary_settings_key(self.settings_for(path)), path)
        found = self.cache.get(key)
        if not isinstance(found, str):
            found = work_out()
            self.cache.put(key, found)
        return found

    def key(self, path: str, data: bytes, settings: Settings, module: str | None, read: dict[str, bytes]) -> str:
        return content_key(data, os.path.abspath(path), module or "", repr(settings), self.model_digest(read))

    def get(self, key: str) -> list[Finding] | None:
        if not self.enabled:
            return None
        entry = self.cache.get(key)
        if entry is None:
            return None
        try:
            return [_decode_finding(item) for item in entry]
        except (TypeError, ValueError, KeyError, IndexError):
            return None

    def put(self, key: str, findings: list[Finding]) -> None:
        if self.enabled:
            self.cache.put(key, [_encode_finding(f) for f in findings])

    def save(self) -> None:
        if self.enabled:
            self.cache.save()


def _encode_finding(finding: Finding) -> list:
    r = finding.range
    return [
        finding.code,
        finding.message,
        finding.severity.value,
        [r.start.line, r.start.column, r.end.line, r.end.column],
        finding.fixable,
        finding.no_fix_reason,
    ]


def _decode_finding(item: list) -> Finding:
    code, message, severity, (line, column, end_line, end_column), fixable, reason = item
    if not isinstance(code, str) or not isinstance(message, str) or not isinstance(fixable, bool):
        raise ValueError(item)
    if reason is not None and not isinstance(reason, str):
        raise ValueError(item)
    return Finding(
        code,
        message,
        Severity(severity),
        Range.of(int(line), int(column), int(end_line), int(end_column)),
        fixable,
        reason,
    )


# --- one file ---------------------------------------------------------------------------------
_PROJECT: Project | None = None  # the workspace's model, in each process that checks files


def start_worker(project: Project | None) -> None:
    global _PROJECT
    _PROJECT = project
    quiet_gc()


def quiet_gc() -> None:
    """Let the cycle collector run rarely.

    A syntax tree is hundreds of thousands of small objects; with the default threshold
    the collector walks them again and again while they are built (a third of the check
    time). Trees hold no reference cycles (see facts.py), so reference counting frees them.
    """
    gc.set_threshold(200_000, 50, 100)


def crashed(path: str) -> FileResult:
    finding = Finding(SYNTAX_CODE, CRASH_MESSAGE, Severity.HIGH, Range.of(0, 0, 0, 0))
    return FileResult(path, [finding])


def process(task: tuple[str, bytes, Job]) -> FileResult:
    """Check (and maybe fix) one file; runs in a worker process. An exception the checker did
    not expect costs the file a finding, not the run."""
    path, data, job = task
    try:
        return process_data(path, data, job)
    except Exception:  # RecursionError and MemoryError among them
        return crashed(path)


def first_phase(
    path: str, data: bytes, job: Job, module: str | None, summarise_with: Settings
) -> tuple[Any, FileResult | None, Begun | None]:
    """The first phase of a check (see the module's doc): the file's summary for the model
    (None: it does not parse), its result when nothing waits for the model, else what the
    second phase continues."""
    text = decode_source(data)  # the model decoded it already
    try:
        settings = job_settings(path, job)
    except ConfigError as exc:
        summary = model_build.summarise_source(text, os.path.abspath(path), module, summarise_with)
        return summary, FileResult(path, errors=[f"celery-patterns: {path}: {exc}"]), None
    begun = begin_check(text, path, settings, module, summarise_with)
    summary = begun.summary
    if summary is not None and summary.path != os.path.abspath(path):
        summary = replace(summary, path=os.path.abspath(path))  # the model's paths are absolute
    if begun.checked is not None:
        return summary, _checked_result(path, begun.checked), None
    return summary, None, begun


def second_phase(path: str, begun: Begun, project: Project | None) -> FileResult:
    return _checked_result(path, finish_check(begun, project))


def _checked_result(path: str, checked: Checked) -> FileResult:
    return FileResult(path, checked.report.findings, errors=list(checked.errors), cacheable=not checked.errors)


def process_data(path: str, data: bytes, job: Job, named: bool = True) -> FileResult:
    """Check the bytes `data` read from `path`; fix them as `job` says. `named`: False for
    standard input without `--stdin-filename` (settings from the working directory, no
    module name)."""
    result = FileResult(path)
    try:
        settings = job_settings(path if named else os.path.join(os.getcwd(), "-"), job)
    except ConfigError as exc:
        result.errors.append(f"celery-patterns: {path}: {exc}")
        return result
    # Without a pyproject.toml the directory the check runs from is the project (as the
    # editor takes the workspace folder).
    module_name = module_name_for(path, settings.root or os.getcwd()) if named else None
    project = _PROJECT if named else None
    checked = check_bytes(data, path, settings, module_name, project=project)
    result.errors.extend(checked.errors)
    result.findings = checked.report.findings
    result.cacheable = not checked.errors
    source = checked.report.source
    if job.mode == "check" or source is None or not any(f.fixable for f in result.findings):
        return result
    outcome = fix_source(source, path, settings, unsafe=job.unsafe, module_name=module_name, project=project)
    if outcome.source == source:
        return result
    result.cacheable = False
    result.fixed = outcome.applied
    result.fixed_codes = dict(Counter(f.code for f in result.findings) - Counter(f.code for f in outcome.remaining))
    if job.mode == "diff":
        result.diff = "".join(
            difflib.unified_diff(
                source.splitlines(keepends=True),
                outcome.source.splitlines(keepends=True),
                fromfile=f"a/{path}",
                tofile=f"b/{path}",
            )
        )
        return result
    # Encoded before anything is written: a fix that brings a character the file's encoding
    # cannot hold leaves the file as it was.
    try:
        fixed = encode_source(outcome.source, data)
    except (UnicodeEncodeError, LookupError, SyntaxError) as exc:
        return _not_written(result, f"the fixed text cannot be encoded in the file's encoding ({exc})")
    if not job.write:
        result.fixed_data = fixed
        result.findings = outcome.remaining
        return result
    if job.fix_root is not None and not _inside(os.path.realpath(path), job.fix_root):
        result.fixed, result.fixed_codes = 0, {}
        result.warnings.append(
            f"celery-patterns: {path}: a link to a file outside {job.fix_root}; not fixed (fix it where it is)"
        )
        return result
    try:
        files.replace_file(path, fixed, data)
    except files.FileChanged as exc:
        return _not_written(result, str(exc))
    except OSError as exc:
        return _not_written(result, f"cannot write the fix: {exc.strerror or exc}")
    result.findings = outcome.remaining
    return result


def _not_written(result: FileResult, why: str) -> FileResult:
    result.fixed, result.fixed_codes = 0, {}
    result.errors.append(f"celery-patterns: {result.path}: {why}")
    return result


def _inside(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)


def job_settings(path: str, job: Job) -> Settings:
    """The settings a file is checked with: its configuration's, with the command line's."""
    if job.config is not None:
        settings = validated(config.load_settings(Path(job.config)), job.config)
    else:
        settings = engine_settings_for(os.path.dirname(os.path.abspath(path)))
    select = job.select if job.select is not None else settings.select
    if job.extend_select and select is not None:
        select = tuple(select) + job.extend_select
    return settings.merged(
        select=select,
        ignore=tuple(settings.ignore) + job.ignore if job.ignore else None,
    )


def _read_all(found: list[str], results: list[FileResult | None]) -> dict[int, bytes]:
    """The bytes of each file found, by position; what cannot be read is its result."""
    read: dict[int, bytes] = {}
    for i, path in enumerate(found):
        try:
            read[i] = files.read_file(path)
        except files.SkippedFile as exc:
            results[i] = FileResult(path, warnings=[f"celery-patterns: {path}: {exc}"])
        except OSError as exc:
            results[i] = FileResult(path, errors=[f"celery-patterns: {path}: cannot read: {exc.strerror or exc}"])
    return read


# --- checking: the model from the same parse ---------------------------------------------------
# What a worker does with each kind of work (in a worker process, or in this one alone).
def _do_first(index: int, payload: tuple, kept: dict[int, Begun]) -> tuple:
    path = payload[0]
    try:
        summary, result, begun = first_phase(*payload)
    except Exception:  # as `process`: the file gets a finding; the model does not know it
        return None, crashed(path)
    if begun is not None:
        kept[index] = begun
    return summary, result


def _do_summary(index: int, payload: tuple, kept: dict[int, Begun]) -> Any:
    try:
        return model_build.summarise_source(*payload)
    except Exception:  # the model holds the file as unreadable; checking it is not asked for
        return None


def _do_second(index: int, payload: str, kept: dict[int, Begun]) -> FileResult:
    try:
        return second_phase(payload, kept.pop(index), _PROJECT)
    except Exception:
        return crashed(payload)


def _do_full(index: int, payload: tuple, kept: dict[int, Begun]) -> FileResult:
    return process(payload)


_STEPS: dict[str, Callable[[int, Any, dict[int, Begun]], Any]] = {
    "first": _do_first,
    "summary": _do_summary,
    "second": _do_second,
    "full": _do_full,
}


class _Pipeline:
    """One `check` run (see the module's doc)."""

    def __init__(self, found, job: Job, root: str, model_settings, workers: int, use_cache: bool, progress) -> None:
        self.found = found
        self.job = job
        self.root = root
        self.model_settings = model_settings
        self.workers = workers
        self.use_cache = use_cache
        self.progress_for = progress
        self.progress: Progress | None = None
        self.results: list[FileResult | None] = [None] * len(found)
        self.read: dict[int, bytes] = {}  # the bytes of each file found, by position
        self.kept: dict[int, Begun] = {}  # second phases waiting in this process
        self.crew: _Crew | None = None
        self.services: tuple[str, ...] = ()
        self.interfaces: dict[str, str] = {}  # of the summaries made by workers, by path

    def run(self) -> list[FileResult]:
        found, results = self.found, self.results
        read = self.read = _read_all(found, results)
        by_path = {os.path.abspath(found[i]): data for i, data in read.items()}
        root = self.root
        workspace = list(python_files([root], settings_for=self.model_settings)) if os.path.isdir(root) else []
        settings = self.model_settings(root)
        services = self.services = tuple(os.path.join(settings.root or root, s) for s in settings.services)
        reading = read_workspace(
            root,
            workspace,
            self.model_settings,
            services=services,
            use_cache=self.use_cache,
            read=by_path,
            lazy=self.use_cache,
        )
        if reading.undecoded and not reading.todo and self._all_cached(reading, read, by_path):
            return [r for r in results if r is not None]
        reading.decode_all()
        layout = reading.layout
        # Work: files to check whose summary the model lacks start with the first phase; the
        # model's other files without a summary are only summarised.
        waiting = {path: position for position, (path, *_) in enumerate(reading.todo)}
        first: list[tuple[int, tuple]] = []
        claimed: dict[int, int] = {}  # position in reading.todo -> index of the file checked
        for i, data in read.items():
            position = waiting.get(os.path.abspath(found[i]))
            module = layout.module_name(found[i])
            if position is not None and reading.todo[position][2] == module:
                del waiting[os.path.abspath(found[i])]
                first.append((i, (found[i], data, self.job, module, reading.todo[position][3])))
                claimed[position] = i
        only = [
            (-1 - position, (text, path, module, settings))
            for position, (path, text, module, settings, _) in enumerate(reading.todo)
            if position not in claimed
        ]
        try:
            if self.progress_for is not None and (first or only):
                self.progress = self.progress_for(len(first) + len(only) + len(read))
            made = self._first_phase(first, only)
            indexes = [claimed.get(p, -1 - p) for p in range(len(reading.todo))]
            project = self._model(reading, indexes, [made[i][0] if i >= 0 else made[i] for i in indexes])
            for i, _ in first:
                results[i] = made[i][1]
            self._second_phase(project, read, by_path)
        finally:
            if self.crew is not None:
                self.crew.close()
            if self.progress is not None:
                self.progress.done()
        return [r for r in results if r is not None]

    def _model(self, reading, indexes: list[int], made: list) -> Project:
        """The project model from the summaries of `reading.todo` made in the first phase.

        Made in worker processes, each summary comes pickled (with its cache entry and its
        interface, when there is a cache) from the worker that made it, and goes on as it came
        to the other workers, which build the model each: this process holds only the
        summaries the cache gave (the workers check every file). Unpickling, encoding and
        pickling the whole model again here cost more than the second phase."""
        crew = self.crew
        if crew is None:
            return model_build.finish_reading(reading, made)
        unreadable = set(reading.unreadable)
        order = list(reading.summaries)
        blobs: list[tuple[bytes, _Member | None]] = [(_pickled(s), None) for s in reading.summaries.values()]
        for index, (path, *_, key), m in zip(indexes, reading.todo, made):
            if m is None:
                unreadable.add(path)
                continue
            order.append(path)
            blobs.append((m.blob, crew.owner.get(index)))
            if m.interface is not None:
                self.interfaces[path] = m.interface
            if key is not None and m.encoded is not None:
                reading.cache.put(key, m.encoded)
        reading.cache.save()
        project = Project(reading.layout, dict(reading.summaries), frozenset(unreadable))
        crew.share((reading.layout.root, self.services, project.unreadable, order), blobs)
        return project

    def _all_cached(self, reading, read: dict[int, bytes], by_path: dict[str, bytes]) -> bool:
        """Whether the results cache has the findings of every file, the model unchanged: then
        they are the results, and no summary is decoded (the model's interface is cached by
        the modules' bytes too). A warm run of an unchanged tree costs reading and hashing."""
        layout = reading.layout
        stub = Project(layout, {}, frozenset(reading.unreadable))  # the layout, for the keys
        undecoded = {path: entry for path, (entry, *_) in reading.undecoded.items()}
        cache = ResultsCache(layout.root, stub, self.model_settings, undecoded=undecoded)
        found: dict[int, list[Finding]] = {}
        try:
            for i, data in read.items():
                path = self.found[i]
                key = cache.key(path, data, job_settings(path, self.job), layout.module_name(path), by_path)
                cached = cache.get(key)
                if cached is None:
                    return False
                found[i] = cached
        except ConfigError:
            return False  # the check reports it
        except (KeyError, TypeError, ValueError, IndexError):
            return False  # a summary the cache holds that this version cannot read
        for i, findings in found.items():
            self.results[i] = FileResult(self.found[i], findings, cacheable=True)
        cache.save()
        return True

    def _advance(self, count: int = 1) -> None:
        if self.progress is not None:
            for _ in range(count):
                self.progress.advance()

    def _first_phase(self, first, only) -> dict[int, Any]:
        """The first phase of the files to check and the summaries of the model's other files,
        by index (the others' negative); a file whose worker died gets a crash result."""
        if not (self.workers > 1 and len(first) + len(only) >= PARALLEL_THRESHOLD):
            start_worker(None)
            made = {}
            for kind, items in (("first", first), ("summary", only)):
                for index, payload in items:
                    made[index] = _STEPS[kind](index, payload, self.kept)
                    self._advance()
            return made
        quiet_gc()
        self.crew = crew = _Crew(self.workers, self.use_cache)
        # Largest files first, in small batches: no worker is left with a long one at the end.
        first = sorted(first, key=lambda item: -len(item[1][1]))
        only = sorted(only, key=lambda item: -len(item[1][0]))
        made, lost = crew.run([("first", first), ("summary", only)], _small_chunk(len(first) + len(only), self.workers))
        self._advance(len(made))
        if lost:  # again one at a time: a file that kills its worker again is the one
            payloads = dict(first) | dict(only)
            retry = [
                ("first", [(i, payloads[i]) for i in lost if i >= 0]),
                ("summary", [(i, payloads[i]) for i in lost if i < 0]),
            ]
            again, killers = crew.run(retry, 1)
            made.update(again)
            for index in killers:
                made[index] = (None, crashed(payloads[index][0])) if index >= 0 else None
            self._advance(len(lost))
        return made

    def _second_phase(self, project: Project, read: dict[int, bytes], by_path: dict[str, bytes]) -> None:
        """Each file not finished yet: from the results cache, else its second phase where its
        first ran, else checked whole (its summary came from the cache, or its worker died)."""
        found, results = self.found, self.results
        cache = ResultsCache(project.root if self.use_cache else None, project, self.model_settings, self.interfaces)
        keys: dict[int, str] = {}
        here: list[tuple[int, str]] = []  # second phases kept in this process
        there: list[tuple[int, str]] = []  # kept by a worker process
        full: list[tuple[int, tuple]] = []
        for i, data in read.items():
            path = found[i]
            result = results[i]
            if cache.enabled and (result is None or result.cacheable):
                try:
                    settings = job_settings(path, self.job)
                except ConfigError as exc:
                    results[i] = FileResult(path, errors=[f"celery-patterns: {path}: {exc}"])
                    continue
                keys[i] = cache.key(path, data, settings, project.layout.module_name(path), by_path)
                cached = cache.get(keys[i])
                if cached is not None:
                    self.kept.pop(i, None)
                    results[i] = FileResult(path, cached, cacheable=True)
                    continue
            if result is not None:  # finished in the first phase
                if result.cacheable and i in keys:
                    cache.put(keys[i], result.findings)
            elif i in self.kept:
                here.append((i, path))
            elif self.crew is not None and self.crew.keeps(i):
                there.append((i, path))
            else:
                full.append((i, (path, data, self.job)))
        if self.progress is not None:
            self.progress.total -= len(read) - len(here) - len(there) - len(full)
        elif self.progress_for is not None and (here or there or full):
            self.progress = self.progress_for(len(here) + len(there) + len(full))
        done = self._run_second(project, here, there, full)
        for i, result in done.items():
            results[i] = result
            if result.cacheable and i in keys:
                cache.put(keys[i], result.findings)
        cache.save()

    def _run_second(self, project: Project, here, there, full) -> dict[int, FileResult]:
        start_worker(project)
        done = {}
        for index, path in here:
            done[index] = _do_second(index, path, self.kept)
            self._advance()
        crew = self.crew
        if crew is None and self.workers > 1 and len(full) >= PARALLEL_THRESHOLD:
            quiet_gc()
            crew = self.crew = _Crew(self.workers, self.use_cache)
        if crew is None:
            for index, payload in full:
                done[index] = process(payload)
                self._advance()
            return done
        if not crew.shared:  # a crew started for this phase
            crew.share(
                (project.root, self.services, project.unreadable, list(project.summaries)),
                [(_pickled(s), None) for s in project.summaries.values()],
            )
        payloads = dict(full) | {i: (path, self.read[i], self.job) for i, path in there}
        # Files whose worker died with their first phase are checked whole.
        full = full + [(i, payloads[i]) for i, _ in there if not crew.keeps(i)]
        there = [(i, path) for i, path in there if crew.keeps(i)]
        answers, lost = crew.run(
            [("second", there), ("full", full)], _small_chunk(len(there) + len(full), self.workers)
        )
        done.update(answers)
        self._advance(len(answers))
        if lost:
            again, killers = crew.run([("full", [(i, payloads[i]) for i in lost])], 1)
            done.update(again)
            for index in killers:
                done[index] = crashed(self.found[index])
            self._advance(len(lost))
        return done


def _pickled(summary) -> bytes:
    return pickle.dumps(summary, pickle.HIGHEST_PROTOCOL)


def _small_chunk(count: int, workers: int) -> int:
    return max(1, min(4, count // (workers * 8)))


def _chunk(count: int, workers: int) -> int:
    return max(1, min(32, count // (workers * 4)))


# --- worker processes that keep what they parsed ---------------------------------------------
def _serve(conn, caching: bool) -> None:
    """A worker's loop: work comes in batches of one kind; the answers go back in order."""
    quiet_gc()
    kept: dict[int, Begun] = {}
    own: dict[str, Any] = {}  # the summaries this worker made (the others are sent to it)
    while True:
        try:
            kind, body = conn.recv()
        except (EOFError, OSError):
            return
        if kind == "stop":
            return
        if kind == "project":
            (root, services, unreadable, order), blobs = body
            loaded = {summary.path: summary for summary in map(pickle.loads, blobs)}
            # In the order of the model in one process: where two modules claim a name, the same wins.
            summaries = {path: own[path] if path in own else loaded[path] for path in order}
            start_worker(Project(Layout(root, services), summaries, unreadable))
            continue
        step = _STEPS[kind]
        answers = [(index, step(index, payload, kept)) for index, payload in body]
        if kind == "first":
            # What a first phase keeps lives until its second phase: the collector need not
            # walk it again at each pass (celery+kombu, 2 workers: its instructions fell from
            # 80 to under 3 million a worker; time -1.5% and -7% in two runs of 15 rounds);
            # the second phase frees it by reference counts, which freezing leaves alone.
            gc.freeze()
            answers = [(index, (_own(summary, own, caching), result)) for index, (summary, result) in answers]
        elif kind == "summary":
            answers = [(index, _own(summary, own, caching)) for index, summary in answers]
        conn.send(answers)


class _Made(NamedTuple):
    """A summary made by a worker: pickled for the others, and with a cache, its cache entry
    and its interface (worked out there, in parallel)."""

    blob: bytes
    encoded: Any = None
    interface: str | None = None


def _own(summary, own: dict[str, Any], caching: bool) -> _Made | None:
    """A summary this worker made: kept here, and what the others get of it."""
    if summary is None:
        return None
    own[summary.path] = summary
    if not caching:
        return _Made(_pickled(summary))
    return _Made(_pickled(summary), encode(summary), interface(summary))


class _Member:
    def __init__(self, context, caching: bool, shared=None) -> None:
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, caching), daemon=True)
        self.process.start()
        child.close()
        self.sent: deque[list[int]] = deque()  # batches whose answers are awaited, oldest first
        self.alive = True
        if shared is not None:
            self.send(("project", shared))

    def send(self, message) -> bool:
        try:
            self.conn.send(message)
            return True
        except (OSError, ValueError):
            return False


class _Crew:
    """Worker processes (not a pool: the second phase of a file must run in the process that
    keeps its first). A member that dies is replaced; the files it held are reported lost."""

    def __init__(self, workers: int, caching: bool) -> None:
        self.context = multiprocessing.get_context()
        all_rules()  # imported once here, not in each worker (a forked one inherits them)
        self.model: tuple | None = None  # what makes the model: (root, services, unreadable, order)
        self.blobs: list[tuple[bytes, _Member | None]] = []  # pickled summaries, by their maker
        self.shared = False
        self.caching = caching  # workers encode the summaries they make for the cache
        self.members = [_Member(self.context, caching) for _ in range(workers)]
        self.owner: dict[int, _Member] = {}

    def keeps(self, index: int) -> bool:
        member = self.owner.get(index)
        return member is not None and member.alive

    def share(self, model: tuple, blobs: list[tuple[bytes, _Member | None]]) -> None:
        """Give every worker the project model: `model` and the pickled summaries (each with
        the worker that made it, which has it already)."""
        self.model, self.blobs, self.shared = model, blobs, True
        for member in list(self.members):
            if not member.send(("project", self._for(member))):
                self._bury(member)

    def _for(self, member: _Member | None) -> tuple:
        return self.model, [blob for blob, maker in self.blobs if maker is not member]

    def run(self, work: list[tuple[str, list]], chunk: int) -> tuple[dict[int, Any], list[int]]:
        """Do `work` (kinds with their (index, payload) items); answers by index, and the
        indexes lost with a dying worker (with `chunk` 1, the file that killed it). Second
        phases go to the worker that keeps the file. A worker has one batch at a time: one
        that sends its answer while it is sent more would wait on a full pipe."""
        anywhere: deque[tuple[str, list]] = deque()
        pinned: dict[_Member, deque[tuple[str, list]]] = {m: deque() for m in self.members}
        lost: list[int] = []
        for kind, items in work:
            if kind == "second":
                by_member: dict[_Member, list] = {}
                for item in items:
                    by_member.setdefault(self.owner[item[0]], []).append(item)
                for member, owned in by_member.items():
                    pinned.setdefault(member, deque()).extend(
                        (kind, owned[i : i + chunk]) for i in range(0, len(owned), chunk)
                    )
            else:
                anywhere.extend((kind, items[i : i + chunk]) for i in range(0, len(items), chunk))
        done: dict[int, Any] = {}
        while True:
            for member in list(self.members):
                mine = pinned.get(member)
                while member.alive and not member.sent and (mine or anywhere):
                    kind, batch = mine.popleft() if mine else anywhere.popleft()
                    member.sent.append([index for index, _ in batch])
                    if kind in ("first", "summary"):
                        for index, _ in batch:
                            self.owner[index] = member
                    if not member.send((kind, batch)):
                        lost += self._bury(member, pinned.pop(member, ()))
            busy = {m.conn: m for m in self.members if m.sent}
            if not busy:
                return done, lost
            for conn in wait_for(list(busy)):
                member = busy[conn]
                try:
                    answers = member.conn.recv()
                except (EOFError, OSError):
                    lost += self._bury(member, pinned.pop(member, ()))
                    continue
                member.sent.popleft()
                done.update(cast("dict[int, Any]", answers))

    def _bury(self, member: _Member, pinned=()) -> list[int]:
        """Replace a dead member; the indexes it was working on (and was to work on) are lost."""
        if not member.alive:
            return []
        member.alive = False
        lost = [index for batch in member.sent for index in batch]
        lost += [index for _, batch in pinned for index, _ in batch]
        member.sent.clear()
        member.conn.close()
        member.process.join(timeout=5)
        self.members[self.members.index(member)] = _Member(
            self.context, self.caching, self._for(None) if self.shared else None
        )
        return lost

    def close(self) -> None:
        for member in self.members:
            member.send(("stop", None))
        for member in self.members:
            member.process.join(timeout=5)
            if member.process.is_alive():
                member.process.kill()
            member.conn.close()


# --- fixing: a pool over whole files -------------------------------------------------------
def _run(
    found: list[str], job: Job, workers: int, progress_for, project: Project | None, cache: ResultsCache
) -> list[FileResult]:
    """Check and fix every file: from the cache where it has the findings, else in worker
    processes. A worker that dies costs the file it was checking one finding, not the run."""
    results: list[FileResult | None] = [None] * len(found)
    todo: list[int] = []
    tasks: list[tuple[str, bytes, Job]] = []
    keys: dict[int, str] = {}
    read = _read_all(found, results)
    by_path = {os.path.abspath(found[i]): data for i, data in read.items()}
    for i, data in read.items():
        path = found[i]
        if cache.enabled:
            try:
                settings = job_settings(path, job)
            except ConfigError as exc:
                results[i] = FileResult(path, errors=[f"celery-patterns: {path}: {exc}"])
                continue
            module = project.layout.module_name(path) if project else None
            keys[i] = cache.key(path, data, settings, module, by_path)
            cached = cache.get(keys[i])
            if cached is not None and (job.mode == "check" or not any(f.fixable for f in cached)):
                results[i] = FileResult(path, cached, cacheable=True)
                continue
        todo.append(i)
        tasks.append((path, data, job))

    progress = progress_for(len(todo)) if progress_for is not None and todo else None
    quiet_gc()
    reread: set[int] = set()
    if workers > 1 and len(tasks) >= PARALLEL_THRESHOLD:
        checked, reread = _run_in_pools(tasks, workers, project, progress)
    else:
        start_worker(project)
        checked = []
        for task in tasks:
            checked.append(process(task))
            if progress:
                progress.advance()
    if progress:
        progress.done()
    for position, (i, result) in enumerate(zip(todo, checked)):
        results[i] = result
        if result.cacheable and i in keys and position not in reread:
            cache.put(keys[i], result.findings)
    return [r for r in results if r is not None]


def _run_in_pools(tasks: list, workers: int, project: Project | None, progress) -> tuple[list[FileResult], set[int]]:
    """The results of `tasks`, in order, from a pool of worker processes, and which tasks were
    run on bytes other than those first read. When a worker dies (a crash in a C extension,
    the memory killer), the pool is broken: every file not finished yet is read again (a
    worker may have written its fix before the pool broke) and tried again in a fresh pool,
    one file per call; when a pool breaks before finishing any file, the first file left is
    run alone: if it breaks that pool too, it is the one that kills its worker, and gets a
    finding saying so."""
    results: dict[int, FileResult] = {}
    reread: set[int] = set()
    pending = list(range(len(tasks)))
    # Files are fixed one per call: a batch lost with a broken pool would lose what it did.
    chunk = 1 if tasks and tasks[0][2].mode != "check" else _chunk(len(tasks), workers)
    alone = False
    while pending:
        if alone:
            index = pending.pop(0)
            broken = _pool_round(tasks, [[index]], 1, project, results, progress)
            if broken and index not in results:
                results[index] = crashed(tasks[index][0])
                if progress:
                    progress.advance()
            alone = False
        else:
            before = len(results)
            batches = [pending[i : i + chunk] for i in range(0, len(pending), chunk)]
            broken = _pool_round(tasks, batches, workers, project, results, progress)
            chunk = 1
            alone = broken and len(results) == before
        pending = [i for i in pending if i not in results]
        for index in pending:
            path, data, job = tasks[index]
            try:
                now = files.read_file(path)
            except (OSError, files.SkippedFile):
                continue  # its check reports what became of it
            if now != data:
                tasks[index] = (path, now, job)
                reread.add(index)
    return [results[i] for i in range(len(tasks))], reread


def _pool_round(tasks, batches: list[list[int]], workers: int, project, results: dict, progress) -> bool:
    """Run batches of tasks in one pool; True when the pool broke (a worker died)."""
    broken = False
    with ProcessPoolExecutor(max_workers=workers, initializer=start_worker, initargs=(project,)) as pool:
        try:
            futures = {pool.submit(_process_batch, [tasks[i] for i in batch]): batch for batch in batches}
        except BrokenProcessPool:
            return True
        waiting = set(futures)
        while waiting:
            done, waiting = wait(waiting, return_when=FIRST_COMPLETED)
            for future in done:
                try:
                    batch_results = future.result()
                except BrokenProcessPool:
                    broken = True
                    continue
                for index, result in zip(futures[future], batch_results):
                    results[index] = result
                    if progress:
                        progress.advance()
    return broken


def _process_batch(tasks: list[tuple[str, bytes, Job]]) -> list[FileResult]:
    return [process(task) for task in tasks]
