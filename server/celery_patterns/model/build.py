"""Building the project model of a workspace: summarise every module, from the cache when
its bytes are unchanged, in worker processes when there are many to do."""

from __future__ import annotations

import ast
import json
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from ..analysis.facts import ModuleFacts
from ..config import Settings
from ..files import SkippedFile, read_file
from ..source import DecodeError, decode_source
from ..stack import deep
from .cache import Cache, content_key, decode, encode
from .layout import Layout
from .project import Project
from .summarise import summarise
from .summary import SCHEMA, ModuleSummary

PARALLEL_THRESHOLD = 64  # cold summaries below this are made in the process itself


def summary_settings_key(settings: Settings) -> str:
    """What in the settings shapes a summary (the polling helpers it marks as blocking)."""
    return json.dumps([SCHEMA, sorted(settings.polling_helpers)])


def summarise_source(source: str, path: str, module: str | None, settings: Settings) -> ModuleSummary | None:
    """A module's summary from its text; None when it does not parse (or nests too deeply:
    read on a large stack, see `celery_patterns.stack`)."""
    return deep(_summarise_source, source, path, module, settings)


def _summarise_source(source: str, path: str, module: str | None, settings: Settings) -> ModuleSummary | None:
    try:
        tree = ast.parse(source, path)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    try:
        facts = ModuleFacts(tree, source, None, path, module)
    except RecursionError:
        return None
    return summarise_facts(facts, settings)


def summarise_facts(facts: ModuleFacts, settings: Settings) -> ModuleSummary | None:
    """A module's summary from its facts (a check's, or the model's own); None when it is too
    deeply nested to read."""
    try:
        return summarise(facts, settings)
    except RecursionError:
        return None


@dataclass
class Reading:
    """A workspace's files read for its model: the summaries the cache holds, and the texts
    still to summarise, (path, text, module, settings, cache key: None for an overlay)."""

    layout: Layout
    cache: Cache
    summaries: dict[str, ModuleSummary] = field(default_factory=dict)
    unreadable: set[str] = field(default_factory=set)
    todo: list[tuple[str, str, str | None, Settings, str | None]] = field(default_factory=list)
    total: int = 0
    # With `lazy`: the cache's entries not decoded yet, (entry, bytes, module, settings, key) by path
    undecoded: dict[str, tuple] = field(default_factory=dict)

    def decode_all(self) -> None:
        """Decode the entries `read_workspace(lazy=True)` left as they were; a file whose entry
        this version cannot read is to be summarised again."""
        for path, (entry, data, module, settings, key) in sorted(self.undecoded.items()):
            try:
                self.summaries[path] = decode(entry)
                continue
            except (KeyError, TypeError, ValueError, IndexError):
                pass
            try:
                self.todo.append((path, decode_source(data), module, settings, key))
            except DecodeError:
                self.unreadable.add(path)
        self.undecoded.clear()


def read_workspace(
    root: str,
    files: Iterable[str],
    settings_for: Callable[[str], Settings],
    *,
    services: tuple[str, ...] = (),
    use_cache: bool = True,
    overlays: dict[str, str] | None = None,
    read: dict[str, bytes] | None = None,
    on_summary: Callable[[ModuleSummary], None] | None = None,
    lazy: bool = False,
) -> Reading:
    """Read the workspace's files (`read`: bytes already read, by absolute path) and take
    every summary the cache has for their bytes. `lazy`: leave the cache's entries as they are
    (`Reading.decode_all` decodes them): a run whose results are all cached needs none."""
    reading = Reading(Layout(root, services), Cache(root if use_cache else None, "summaries"))
    overlays = overlays or {}
    read = read or {}
    paths = sorted({os.path.abspath(p) for p in files} | set(overlays))
    reading.total = len(paths)
    for path in paths:
        settings = settings_for(path)
        module = reading.layout.module_name(path)
        if path in overlays:
            reading.todo.append((path, overlays[path], module, settings, None))
            continue
        data = read[path] if path in read else _read(path)
        if data is None:
            continue
        key = content_key(data, path, module or "", summary_settings_key(settings)) if use_cache else None
        cached = reading.cache.get(key) if key is not None else None
        if cached is not None and lazy:
            reading.undecoded[path] = (cached, data, module, settings, key)
            continue
        if cached is not None:
            try:
                reading.summaries[path] = decode(cached)
                if on_summary is not None:
                    on_summary(reading.summaries[path])
                continue
            except (KeyError, TypeError, ValueError, IndexError):
                pass  # an entry this version cannot read: summarise again
        try:
            text = decode_source(data)
        except DecodeError:
            reading.unreadable.add(path)
            continue
        reading.todo.append((path, text, module, settings, key))
    return reading


def finish_reading(
    reading: Reading,
    made: Iterable[ModuleSummary | None],
    on_summary: Callable[[ModuleSummary], None] | None = None,
) -> Project:
    """The model from what the cache held and `made`, the summaries of `reading.todo` in
    order (None: the text does not parse); the new ones go to the cache."""
    summaries, unreadable = reading.summaries, reading.unreadable
    for (path, _, _, _, key), summary in zip(reading.todo, made):
        if summary is None:
            unreadable.add(path)
            continue
        summaries[path] = summary
        if on_summary is not None:
            on_summary(summary)
        if key is not None and reading.cache.directory:  # encoding costs: not for nothing
            reading.cache.put(key, encode(summary))
    reading.cache.save()
    return Project(reading.layout, summaries, frozenset(unreadable))


def build_project(
    root: str,
    files: Iterable[str],
    settings_for: Callable[[str], Settings],
    *,
    services: tuple[str, ...] = (),
    use_cache: bool = True,
    overlays: dict[str, str] | None = None,
    jobs: int = 0,
    progress: Callable[[int, int], None] | None = None,
    on_summary: Callable[[ModuleSummary], None] | None = None,
) -> Project:
    """The model of the workspace at `root` from its Python files; `overlays` are texts that
    stand for files (open editor buffers). `on_summary` sees each summary as it is made."""
    reading = read_workspace(
        root, files, settings_for, services=services, use_cache=use_cache, overlays=overlays, on_summary=on_summary
    )
    made = _summarise_all(reading.todo, jobs, progress, reading.total - len(reading.todo))
    return finish_reading(reading, made, on_summary)


def _summarise_all(todo, jobs: int, progress, done: int) -> list[ModuleSummary | None]:
    total = done + len(todo)
    workers = jobs or os.cpu_count() or 1
    arguments = [(text, path, module, settings) for path, text, module, settings, _ in todo]
    out = []
    if workers > 1 and len(todo) >= PARALLEL_THRESHOLD:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for summary in pool.map(_summarise_one, arguments, chunksize=max(1, len(todo) // (workers * 8))):
                out.append(summary)
                done += 1
                if progress:
                    progress(done, total)
    else:
        for argument in arguments:
            out.append(_summarise_one(argument))
            done += 1
            if progress:
                progress(done, total)
    return out


def _summarise_one(argument) -> ModuleSummary | None:
    return summarise_source(*argument)


def _read(path: str) -> bytes | None:
    """A module's bytes; None for what is not a regular file (a FIFO would block the read
    forever), too large, or unreadable."""
    try:
        return read_file(path)
    except (OSError, SkippedFile):
        return None
