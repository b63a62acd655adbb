"""The project model of the workspace a check runs in (both front ends build it here)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable

from ..config import ConfigError, Settings
from ..discovery import python_files
from ..model.build import build_project
from ..model.layout import find_workspace
from ..model.project import Project
from .settings import settings_for


def settings_or_default(path: str) -> Settings:
    """The settings of a file the model reads; the defaults where its configuration is
    invalid (a check of that file reports the error)."""
    try:
        return settings_for(path)
    except ConfigError:
        return Settings()


def workspace_of(paths: Iterable[str], start: str | None = None) -> str:
    """The workspace of a command-line run: from the directory it runs in when every path is
    inside it, else from the paths' common directory (see `model.layout.find_workspace`)."""
    here = os.path.abspath(start or os.getcwd())
    absolute = [os.path.abspath(p) for p in paths] or [here]
    if all(p == here or p.startswith(here + os.sep) for p in absolute):
        return find_workspace(here)
    common = os.path.commonpath(absolute)
    return find_workspace(common if os.path.isdir(common) else os.path.dirname(common))


def project_for(
    root: str,
    settings_for: Callable[[str], Settings],
    *,
    use_cache: bool = True,
    overlays: dict[str, str] | None = None,
    jobs: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> Project:
    """The model of the workspace at `root`: every Python file below it that a check of the
    workspace would read (.gitignore and `exclude` honoured)."""
    files = list(python_files([root], settings_for=settings_for)) if os.path.isdir(root) else []
    settings = settings_for(root)
    services = tuple(os.path.join(settings.root or root, service) for service in settings.services)
    return build_project(
        root,
        files,
        settings_for,
        services=services,
        use_cache=use_cache,
        overlays=overlays,
        jobs=jobs,
        progress=progress,
    )
