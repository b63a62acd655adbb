"""Finding the Python files to check (walk the given paths, honour .gitignore and `exclude`),
and the dotted module name of each."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path

import pathspec

from . import config
from .files import SkippedFile, read_file

# Directories no user wants linted, as ruff skips them by default.
DEFAULT_EXCLUDES = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "__pycache__",
        "node_modules",
        "build",
        "dist",
        "site-packages",
        ".eggs",
        "__pypackages__",
        ".direnv",
        ".ipynb_checkpoints",
    }
)


def python_files(
    paths: list[str],
    respect_gitignore: bool = True,
    settings_for=config.settings_for,
    *,
    force_exclude: bool = False,
    on_skip: Callable[[str, str], None] | None = None,
) -> Iterator[str]:
    """Yield the files to check, as paths joined from what the user gave.

    Files named explicitly are checked unless `force_exclude` is set and the settings that
    govern them (`settings_for(path)`) exclude them (as ruff's `--force-exclude`: pre-commit
    names every file); files found by walking skip .gitignore'd and excluded paths. Only
    regular files are yielded (a FIFO or a device would block or never end a read):
    `on_skip(path, reason)` hears of the others. A link whose target cannot be looked at (a
    dangling link, a loop) is yielded: reading it reports the error. A file reached twice
    (itself and through a link) is yielded once.
    """
    seen: set[str] = set()
    for given in paths:
        if os.path.isdir(given):
            if force_exclude and _excluded(given, settings_for):
                continue
            found_files = _walk(given, respect_gitignore, settings_for, on_skip)
        elif os.path.lexists(given):
            if force_exclude and _excluded(given, settings_for):
                continue
            if not os.path.isfile(given) and os.path.exists(given):
                if on_skip is not None:
                    on_skip(os.path.normpath(given), "not a regular file, skipped")
                continue
            found_files = iter([os.path.normpath(given)])
        else:
            raise FileNotFoundError(given)
        for found in found_files:
            key = os.path.realpath(found) if os.path.islink(found) else os.path.abspath(found)
            if key not in seen:
                seen.add(key)
                yield found


def is_force_excluded(path: str, settings_for=config.settings_for) -> bool:
    """What `--force-exclude` decides for a path named on the command line (or given as
    `--stdin-filename`): excluded by the settings that govern it, or inside a directory a
    walk skips (`.venv`, `node_modules`...) below the settings' root."""
    return _excluded(path, settings_for)


def _excluded(path: str, settings_for) -> bool:
    settings = settings_for(path)
    if settings.is_excluded(path):
        return True
    base = settings.root or os.getcwd()
    relative = os.path.relpath(os.path.abspath(path), base)
    if relative.startswith(os.pardir):
        return False
    return any(part in DEFAULT_EXCLUDES for part in Path(relative).parts[:-1])


def forget_cached_files() -> None:
    """Read .gitignore and pyproject.toml files afresh (a long-running server's files change)."""
    _load_gitignore.cache_clear()
    config.forget_cached_files()


def _walk(top: str, respect_gitignore: bool, settings_for, on_skip) -> Iterator[str]:
    """The Python files below `top`, in sorted order, directories before the files below them
    as os.walk gives them (links to directories are not followed)."""
    stack = [top]
    while stack:
        directory = stack.pop()
        try:
            with os.scandir(directory) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError:
            continue  # as os.walk does: a directory that cannot be listed is passed over
        ignore = _gitignore_for(os.path.abspath(directory)) if respect_gitignore else None
        settings = settings_for(directory)
        subdirectories = []
        for entry in entries:
            name = entry.name
            try:
                is_directory = entry.is_dir(follow_symlinks=False)
            except OSError:
                is_directory = False
            if is_directory:
                path = os.path.join(directory, name)
                if name in DEFAULT_EXCLUDES or name.startswith("."):
                    continue
                if ignore and ignore(os.path.abspath(path), is_dir=True):
                    continue
                if settings.is_excluded(path):
                    continue
                subdirectories.append(path)
                continue
            if not (name.endswith(".py") or name.endswith(".pyi")):
                continue
            path = os.path.normpath(os.path.join(directory, name))
            if ignore and ignore(os.path.abspath(path), is_dir=False):
                continue
            if settings.is_excluded(path):
                continue
            if not _regular(entry):
                if on_skip is not None:
                    on_skip(path, "not a regular file, skipped")
                continue
            yield path
        stack.extend(reversed(subdirectories))


def _regular(entry: os.DirEntry) -> bool:
    """A directory entry is (or links to) a regular file, or a link that cannot be followed
    (left for the read to report). No system call for a plain file: the listing says so."""
    try:
        if entry.is_file(follow_symlinks=False):
            return True
        if not entry.is_symlink():
            return False
        return entry.is_file() or not os.path.exists(entry.path)
    except OSError:
        return True


def _gitignore_for(directory: str):
    """A predicate for the .gitignore files that apply in `directory` (up to the repo root)."""
    specs = []
    current = Path(directory)
    for folder in (current, *current.parents):
        spec = _load_gitignore(str(folder))
        if spec is not None:
            specs.append((str(folder), spec))
        if (folder / ".git").exists():
            break
    if not specs:
        return None

    def ignored(path: str, is_dir: bool) -> bool:
        for root, spec in specs:
            relative = os.path.relpath(path, root).replace(os.sep, "/")
            if relative.startswith(".."):
                continue
            if spec.match_file(relative + ("/" if is_dir else "")):
                return True
        return False

    return ignored


@lru_cache(maxsize=1024)
def _load_gitignore(folder: str):
    path = os.path.join(folder, ".gitignore")
    try:
        data = read_file(path)  # (a FIFO so named would block a plain read)
    except (OSError, SkippedFile):
        return None
    return pathspec.GitIgnoreSpec.from_lines(data.decode("utf-8", errors="replace").splitlines())


def module_name_for(path: str, root: str | None = None) -> str | None:
    """A file's dotted module name relative to its source root.

    The root is the topmost directory of the chain of packages (`__init__.py`) holding
    the file; a file outside any package is named relative to `root` (the directory of
    the configuration), from below the last directory whose name cannot be part of a module
    name (`my-repo/`, `service@v2/`) and with a leading `src/` dropped.
    """
    file = Path(os.path.abspath(path))
    parts = [file.stem] if file.stem != "__init__" else []
    directory = file.parent
    while (directory / "__init__.py").is_file():
        parts.insert(0, directory.name)
        directory = directory.parent
    if len(parts) > 1 or (file.parent / "__init__.py").is_file() or root is None:
        return ".".join(parts) or None
    try:
        relative = file.with_suffix("").relative_to(os.path.abspath(root)).parts
    except ValueError:
        return ".".join(parts) or None
    not_packages = [i for i, part in enumerate(relative[:-1]) if not part.isidentifier()]
    if not_packages:
        relative = relative[not_packages[-1] + 1 :]
    if relative and relative[0] == "src":
        relative = relative[1:]
    return ".".join(relative) or None


def is_within(dotted: str, package: str) -> bool:
    """`dotted` is the package `package` or a module inside it (`rag.tasks` in `rag`, not `ragas`)."""
    return dotted == package or dotted.startswith(package + ".")


def packages_holding(packages, path: str, module_name: str | None = None, root: str | None = None) -> list[str]:
    """The packages among `packages` that the file at `path` (dotted name `module_name`,
    when known) belongs to.

    A file belongs to a package when its dotted name is inside it, or when its path in the
    project starts with the package's directories: `rag/tasks/ingest.py` belongs to `rag`
    even when `rag/` has no `__init__.py` (a namespace package), which the dotted name
    derived from `__init__.py` files cannot tell."""
    module = module_name or (module_name_for(path, root) if _on_disk(path) else None)
    parts = project_parts(path, root)
    return [
        p
        for p in packages
        if (module is not None and is_within(module, p))
        or (parts is not None and parts[: p.count(".") + 1] == p.split("."))
    ]


def project_parts(path: str, root: str | None = None) -> list[str] | None:
    """The file's path in the project, without its suffix and a leading `src/`: relative to
    `root` (the configuration's directory), else to the working directory; None outside
    both. Only directories inside the project count: an ancestor of it named `rag` says nothing."""
    if not _on_disk(path):
        return None
    file = Path(os.path.abspath(path))
    try:
        bases = [root, os.getcwd()]
    except OSError:  # the working directory is gone
        bases = [root]
    for base in filter(None, bases):
        try:
            parts = list(file.with_suffix("").relative_to(os.path.abspath(base)).parts)
        except ValueError:
            continue
        return parts[1:] if parts[:1] == ["src"] else parts
    return None


def _on_disk(path: str) -> bool:
    """A path names a file, not a buffer such as `<string>`."""
    return bool(path) and not path.startswith("<")
