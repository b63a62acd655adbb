"""The on-disk cache of module summaries (and of check results), keyed by content hash.

One directory in the workspace, `.celery-patterns-cache/`, that ignores itself for git (its
own `.gitignore` says `*`, as ruff's cache does). One JSON file per cache kind holds every
entry: a repository may hold a hostile cache file, and JSON, unlike pickle, cannot run code
when read. Entries are keyed by the file's bytes, the tool's version and the settings that
shape them; anything unreadable is treated as empty. Writes go to a temporary file renamed
over the old one, so a killed run leaves the previous cache whole.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
from typing import Any

from .. import __version__
from ..ftypes import Position, Range
from . import summary as S

DIRECTORY = ".celery-patterns-cache"
_TYPES: dict[str, type[Any]] = {
    cls.__name__: cls
    for cls in (
        S.Parameter,
        S.TaskDef,
        S.Dispatch,
        S.AppDef,
        S.RouteKey,
        S.CallSite,
        S.Block,
        S.Function,
        S.ModuleSummary,
    )
}
# The settings reading's parts (kept apart from the list above: other summary parts join it).
_TYPES.update({cls.__name__: cls for cls in (S.SettingsSource, S.AppUse, S.ConfigObject)})


def content_key(data: bytes, *parts: str) -> str:
    """The key of a file's entry: its bytes, the tool's version and what else shapes it."""
    digest = hashlib.sha256(data)
    for part in (__version__, *parts):
        digest.update(b"\0" + part.encode())
    return digest.hexdigest()


class Cache:
    """Entries of one kind (`summaries`, `results`) of one workspace, loaded once, saved once."""

    def __init__(self, root: str | None, kind: str) -> None:
        self.directory = os.path.join(root, DIRECTORY) if root else None
        self.kind = kind
        self._entries: dict[str, Any] | None = None
        self._used: set[str] = set()
        self.changed = False

    @property
    def path(self) -> str | None:
        return os.path.join(self.directory, f"{self.kind}.json") if self.directory else None

    def _load(self) -> dict[str, Any]:
        if self._entries is None:
            self._entries = {}
            if self.path:
                try:
                    with open(self.path, encoding="utf-8") as handle:
                        data = json.load(handle)
                    if isinstance(data, dict) and data.get("version") == __version__:
                        self._entries = data.get("entries") or {}
                except (OSError, ValueError, TypeError):
                    pass  # no cache, or one that cannot be read: start afresh
        return self._entries

    def get(self, key: str) -> Any:
        entry = self._load().get(key)
        if entry is not None:
            self._used.add(key)
        return entry

    def put(self, key: str, value: Any) -> None:
        self._load()[key] = value
        self._used.add(key)
        self.changed = True

    def save(self) -> None:
        """Write the entries used in this run (older ones are dropped); errors are ignored:
        a cache that cannot be written only makes the next run slower."""
        path = self.path
        if not self.directory or not path or not self.changed:
            return
        entries = {k: v for k, v in self._load().items() if k in self._used}
        try:
            os.makedirs(self.directory, exist_ok=True)
            ignore = os.path.join(self.directory, ".gitignore")
            if not os.path.exists(ignore):
                with open(ignore, "w", encoding="utf-8") as handle:
                    handle.write("# Made by celery-patterns: the cache ignores itself.\n*\n")
            fd, temporary = tempfile.mkstemp(dir=self.directory, prefix=f".{self.kind}-", suffix=".tmp")
            # dumps, not dump: dump encodes in Python, dumps in C (seconds on a large workspace)
            text = json.dumps({"version": __version__, "entries": entries}, separators=(",", ":"))
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(temporary, path)
        except OSError:
            pass


# --- summaries as JSON ------------------------------------------------------------------------
def encode(value: Any, leave_out: frozenset[str] = frozenset()) -> Any:
    """A summary (or any of its parts) as JSON-able data; without the dataclass fields named
    in `leave_out`."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is Range:
        return [value.start.line, value.start.column, value.end.line, value.end.column]
    if kind is dict:
        return {k: encode(v, leave_out) for k, v in value.items()}
    if kind is list or kind is tuple:
        return [encode(v, leave_out) for v in value]
    names = _FIELDS.get(kind)
    if names is None:
        if not (dataclasses.is_dataclass(value) and not isinstance(value, type)):
            return value
        names = _FIELDS[kind] = tuple(f.name for f in dataclasses.fields(value))
    data = {"@": kind.__name__}
    for name in names:
        if name not in leave_out:
            data[name] = encode(getattr(value, name), leave_out)
    return data


_PLAIN = frozenset({str, int, float, bool, type(None)})
# A summary's parts are many small dataclasses: their field names, looked up once per type
# (`dataclasses.fields` on each made encoding a 2,000-line module's summary about 2x slower).
_FIELDS: dict[type, tuple[str, ...]] = {}


def decode(data: Any) -> Any:
    """The inverse of `encode`; raises on anything that is not what it wrote."""
    if isinstance(data, dict):
        kind = data.get("@")
        if kind is None:
            return {k: decode(v) for k, v in data.items()}
        cls = _TYPES[kind]
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            raw = data[f.name]
            if f.name in ("span", "call") and isinstance(raw, list):
                values[f.name] = Range(Position(raw[0], raw[1]), Position(raw[2], raw[3]))
            elif f.name in ("current_task_only", "outside_task_only"):
                values[f.name] = tuple(Range(Position(r[0], r[1]), Position(r[2], r[3])) for r in raw)
            else:
                value = decode(raw)
                values[f.name] = tuple(value) if isinstance(value, list) and cls is not S.ModuleSummary else value
        return cls(**values)
    if isinstance(data, list):
        return [decode(v) for v in data]
    return data
