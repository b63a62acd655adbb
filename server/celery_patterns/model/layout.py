"""Where a workspace's code lives: its services, and each file's module name.

- The *workspace*: the editor's folder; for the command line, the nearest directory above
  where it runs that holds `.git`, else the outermost one holding a `pyproject.toml`
  (`find_workspace`).
- A *service*: the nearest directory above a module that holds `pyproject.toml`,
  `setup.py`, `setup.cfg`, a `requirements*.txt` or a `Dockerfile`; the workspace itself
  when none does. The `services` setting names them instead.
- A module's name: relative to its service's source root, as Celery names tasks by
  default: the top of its chain of packages, else the service directory; in a `src/`
  layout (a `src/` that is no package itself) the names start below `src/`, namespace
  packages (directories without `__init__.py`) included. An import may name a module
  either way (`module_names`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property

from ..discovery import module_name_for

MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", "Dockerfile")


@dataclass(frozen=True)
class Service:
    root: str  # absolute directory

    @property
    def directory_name(self) -> str:
        return os.path.basename(self.root.rstrip(os.sep))


def find_workspace(start: str) -> str:
    """The workspace the command line works in, from the directory `start`."""
    start = os.path.abspath(start)
    outermost_pyproject = None
    for directory in (start, *_parents(start)):
        if os.path.exists(os.path.join(directory, ".git")):
            return directory
        if os.path.isfile(os.path.join(directory, "pyproject.toml")):
            outermost_pyproject = directory
    return outermost_pyproject or start


def _parents(path: str):
    while True:
        parent = os.path.dirname(path)
        if parent == path:
            return
        yield parent
        path = parent


class Layout:
    """The services of one workspace and the module name of each of its files."""

    def __init__(self, root: str, services: tuple[str, ...] = ()) -> None:
        self.root = os.path.abspath(root)
        self._configured = tuple(os.path.abspath(os.path.join(self.root, s)) for s in services)
        self._by_directory: dict[str, Service] = {}
        self._by_path: dict[str, Service] = {}
        self._names: dict[str, list[str | None]] = {}

    @cached_property
    def workspace_service(self) -> Service:
        return Service(self.root)

    def service_of(self, path: str) -> Service:
        """The service a file belongs to."""
        found = self._by_path.get(path)
        if found is None:
            found = self._by_path[path] = self._service_of(path)
        return found

    def _service_of(self, path: str) -> Service:
        directory = os.path.dirname(os.path.abspath(path))
        if self._configured:
            inside = [s for s in self._configured if directory == s or directory.startswith(s + os.sep)]
            return Service(max(inside, key=len)) if inside else self.workspace_service
        return self._service_at(directory)

    def _service_at(self, directory: str) -> Service:
        found = self._by_directory.get(directory)
        if found is None:
            if directory == self.root or not directory.startswith(self.root + os.sep):
                found = self.workspace_service
            elif _has_marker(directory):
                found = Service(directory)
            else:
                found = self._service_at(os.path.dirname(directory))
            self._by_directory[directory] = found
        return found

    def module_name(self, path: str) -> str | None:
        """The dotted module name of a file, relative to its service's source root."""
        return self.module_names(path)[0]

    def module_names(self, path: str) -> list[str | None]:
        """The names an import may give a file: its module name first, then its dotted path
        from the service directory when packages without `__init__.py` lie between."""
        found = self._names.get(path)
        if found is None:
            absolute = os.path.abspath(path)  # (a path named either way is looked up once)
            found = self._names.get(absolute)
            if found is None:
                found = self._names[absolute] = self._module_names(absolute)
            self._names[path] = found
        return found

    def _module_names(self, path: str) -> list[str | None]:
        root = self.service_of(path).root
        chained = module_name_for(path, root)
        names = [chained]
        relative = _dotted(os.path.relpath(os.path.abspath(path), root))
        if relative is not None:
            parts = relative.split(".")
            in_src = (
                parts[0] == "src" and len(parts) > 1 and not os.path.isfile(os.path.join(root, "src", "__init__.py"))
            )
            if in_src:
                names.insert(0, ".".join(parts[1:]))
            names.append(relative)
        return list(dict.fromkeys(names))


def _dotted(relative: str) -> str | None:
    """`a/b/c.py` as `a.b.c` (`a/b/__init__.py` as `a.b`), when every part can be a name."""
    parts = relative.replace(os.sep, "/").split("/")
    if not parts[-1].endswith((".py", ".pyi")):
        return None
    parts[-1] = parts[-1].rsplit(".", 1)[0]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts) if parts and all(p.isidentifier() for p in parts) else None


def _has_marker(directory: str) -> bool:
    try:
        names = os.listdir(directory)
    except OSError:
        return False
    return any(name in MARKERS or (name.startswith("requirements") and name.endswith(".txt")) for name in names)
