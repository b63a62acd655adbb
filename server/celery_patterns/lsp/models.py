"""The project model of each workspace folder, kept fresh while the user works.

Built in the background when the server starts (`$/progress`: "Indexing Celery tasks:
120/480 files"), from the cache where files are unchanged. Until a folder's model is ready,
checks run without it (the project-model rules then say nothing rather than something
false) and navigation answers from what is indexed so far. Then:

- a check of an open document gives its summary; when its interface changed (a task
  renamed, a parameter added), the model takes it and the other open documents are checked
  again (their diagnostics may depend on it);
- a `.py` file changed, created or deleted on disk (`workspace/didChangeWatchedFiles`) is
  summarised again, unless it is open (the buffer is the truth).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

from ..config import Settings
from ..discovery import python_files
from ..engine.workspace import settings_or_default
from ..files import SkippedFile, read_file
from ..model.build import build_project, summarise_source
from ..model.interface import interface
from ..model.layout import Layout
from ..model.project import Project
from ..model.summary import ModuleSummary
from ..source import DecodeError, decode_source


class FolderModel:
    """The model of one workspace folder (thread-safe: the indexer fills it from a thread)."""

    def __init__(self, root: str, settings_for: Callable[[str], Settings] = settings_or_default) -> None:
        self.root = root
        self.settings_for = settings_for
        settings = settings_for(root)
        services = tuple(os.path.join(settings.root or root, s) for s in settings.services)
        self.layout = Layout(root, services)
        self._lock = threading.Lock()
        self._summaries: dict[str, ModuleSummary] = {}
        self._project: Project | None = None  # once indexing is done
        self.ready = threading.Event()

    def contains(self, path: str) -> bool:
        return path == self.root or path.startswith(self.root.rstrip(os.sep) + os.sep)

    # --- building ---------------------------------------------------------------------------
    def index(self, overlays: dict[str, str], progress: Callable[[int, int], None] | None = None) -> None:
        """Summarise every Python file of the folder (open buffers as they are). Runs in a
        worker thread; what is summarised is visible to `known()` as it comes."""
        files = list(python_files([self.root], settings_for=self.settings_for)) if os.path.isdir(self.root) else []
        settings = self.settings_for(self.root)
        services = tuple(os.path.join(settings.root or self.root, s) for s in settings.services)
        project = build_project(
            self.root,
            files,
            self.settings_for,
            services=services,
            overlays=overlays,
            jobs=1,
            progress=progress,
            on_summary=self._note,
        )
        with self._lock:
            project = Project(project.layout, {**project.summaries, **self._summaries_newer_than(project)})
            self._project = project
        self.ready.set()

    def _note(self, summary: ModuleSummary) -> None:
        with self._lock:
            self._summaries.setdefault(summary.path, summary)

    def _summaries_newer_than(self, project: Project) -> dict[str, ModuleSummary]:
        """Buffers checked while the indexer ran: their summaries win over what it read."""
        return {p: s for p, s in self._summaries.items() if s.__dict__.get("_from_buffer")}

    # --- reading ----------------------------------------------------------------------------
    @property
    def project(self) -> Project | None:
        """The model, once indexing is done (checks use it only then)."""
        return self._project

    def known(self) -> Project:
        """The model, or what is indexed so far (navigation answers from it meanwhile)."""
        if self._project is not None:
            return self._project
        with self._lock:
            return Project(self.layout, dict(self._summaries))

    # --- keeping it fresh -------------------------------------------------------------------
    def take(self, summary: ModuleSummary) -> bool:
        """A buffer's summary from its latest check; True when other modules may now see
        something else (its interface changed)."""
        summary.__dict__["_from_buffer"] = True
        with self._lock:
            if self._project is None:
                self._summaries[summary.path] = summary
                return False
            old = self._project.summaries.get(summary.path)
            self._project = self._project.with_summary(summary)
        return old is None or interface(old) != interface(summary)

    def reread(self, path: str, deleted: bool) -> bool:
        """A file on disk changed or went: True when other modules may now see something else."""
        with self._lock:
            project = self._project
        if project is None:
            return False
        old = project.summaries.get(path)
        if deleted:
            if old is None:
                return False
            self._replace(path, None)
            return True
        summary = self._summarise_file(path)
        if summary is None:
            return False
        self._replace(path, summary)
        return old is None or interface(old) != interface(summary)

    def _replace(self, path: str, summary: ModuleSummary | None) -> None:
        """Put `summary` in the model for `path` (None: the file is gone). The model may have
        changed since the caller read it (a buffer's check), so it is read again here."""
        with self._lock:
            project = self._project
            if project is None:  # (not once built: a model is never unset)
                return
            if summary is not None:
                self._project = project.with_summary(summary)
            else:
                self._project = Project(project.layout, {p: s for p, s in project.summaries.items() if p != path})

    def _summarise_file(self, path: str) -> ModuleSummary | None:
        try:
            text = decode_source(read_file(path))  # a regular file only: a FIFO would block the thread
        except (OSError, SkippedFile, DecodeError):
            return None
        return summarise_source(text, path, self.layout.module_name(path), self.settings_for(path))


class Models:
    """The models of the server's workspace folders."""

    def __init__(self) -> None:
        self.folders: dict[str, FolderModel] = {}

    def set_roots(self, roots: list[str]) -> list[FolderModel]:
        """Keep the models of these folders; the new ones (to be indexed) are returned."""
        new = []
        for root in roots:
            if root not in self.folders:
                self.folders[root] = FolderModel(root)
                new.append(self.folders[root])
        for root in list(self.folders):
            if root not in roots:
                del self.folders[root]
        return new

    def folder_of(self, path: str) -> FolderModel | None:
        inside = [m for m in self.folders.values() if m.contains(path)]
        return max(inside, key=lambda m: len(m.root)) if inside else None

    def project_for(self, path: str) -> Project | None:
        """The model a check of `path` uses: its folder's, once indexed."""
        model = self.folder_of(path)
        return model.project if model is not None else None

    def known_for(self, path: str) -> Project | None:
        model = self.folder_of(path)
        return model.known() if model is not None else None
