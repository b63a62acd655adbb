"""Building the project model of a workspace: summarise every module, from the cache when
its bytes are unchanged, in worker processes when there are many to do."""

from __future__ import annotations

import ast
import json
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor

from ..analysis.facts import ModuleFacts
from ..config import Settings
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
        return summarise(ModuleFacts(tree, source, None, path, module), settings)
    except RecursionError:
        return None


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
    layout = Layout(root, services)
    cache = Cache(root if use_cache else None, "summaries")
    overlays = overlays or {}
    summaries: dict[str, ModuleSummary] = {}
    unreadable: set[str] = set()
    todo: list[tuple[str, str, str | None, Settings, str | None]] = []
    paths = sorted({os.path.abspath(p) for p in files} | set(overlays))
    for path in paths:
        settings = settings_for(path)
        module = layout.module_name(path)
        if path in overlays:
            todo.append((path, overlays[path], module, settings, None))
            continue
        data = _read(path)
        if data is None:
            continue
        key = content_key(data, path, module or "", summary_settings_key(settings))
        cached = cache.get(key)
        if cached is not None:
            try:
                summaries[path] = decode(cached)
                if on_summary is not None:
                    on_summary(summaries[path])
                continue
            except (KeyError, TypeError, ValueError, IndexError):
                pass  # an entry this version cannot read: summarise again
        try:
            text = decode_source(data)
        except DecodeError:
            unreadable.add(path)
            continue
        todo.append((path, text, module, settings, key))
    for (path, _, _, _, key), summary in zip(todo, _summarise_all(todo, jobs, progress, len(paths) - len(todo))):
        if summary is None:
            unreadable.add(path)
            continue
        summaries[path] = summary
        if on_summary is not None:
            on_summary(summary)
        if key is not None and use_cache:
            cache.put(key, encode(summary))
    cache.save()
    return Project(layout, summaries, frozenset(unreadable))


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
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return None
