"""Settings from `[tool.celery-patterns]` in pyproject.toml, found by walking up from a file.

Validation is strict: an invalid value raises `ConfigError` (the CLI exits 2 with the
message); an unknown key produces a warning, as ruff does.
"""

from __future__ import annotations

import ast
import fnmatch
import os
import re
import sys
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from .files import SkippedFile, read_file
from .ftypes import Severity

SECTION = "celery-patterns"
# What a rule code or code prefix looks like (`CEL002`, `CEL00`, `CEL`), or `ALL`.
CODE_FORM = re.compile(r"ALL|[A-Z]+[0-9]*")
# `task-name-template`: the fields it may use, and the literal text around them. The name it
# makes is written into a string literal by CEL001's fix (`signature("...")`), so it must be
# a plain task name: nothing that could close the string or need escaping.
TEMPLATE_FIELD = re.compile(r"\{(?:package|module|name)\}")
TEMPLATE_LITERAL_CHAR = re.compile(r"[A-Za-z0-9_.:-]")
TEMPLATE_LITERAL = re.compile(r"[A-Za-z0-9_.:-]*")


class ConfigError(ValueError):
    """A configuration value is invalid."""


@dataclass(frozen=True)
class Settings:
    select: tuple[str, ...] | None = None  # None: every rule
    ignore: tuple[str, ...] = ()
    severity: tuple[tuple[str, Severity], ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    exclude: tuple[str, ...] = ()
    extend_exclude: tuple[str, ...] = ()
    foreign_packages: tuple[str, ...] = ("rag",)
    polling_helpers: tuple[str, ...] = ("_run_sync_task_with_polling",)
    app_import: str = "from core.celery import app"
    task_name_template: str = "{package}.{name}"
    services: tuple[str, ...] = ()  # service directories, relative to `root` (else found by markers)
    root: str | None = None  # directory of the pyproject.toml the settings came from
    warnings: tuple[str, ...] = field(default=(), compare=False)

    # --- rule selection -----------------------------------------------------------------
    def enabled_codes(self, all_codes, path: str | None = None) -> set[str]:
        codes = set(all_codes)
        if self.select is not None:
            codes = {c for c in codes if _matches_any(c, self.select)}
        codes = {c for c in codes if not _matches_any(c, self.ignore)}
        if path is not None:
            for pattern, ignored in self.per_file_ignores:
                if self.path_matches(path, pattern):
                    codes = {c for c in codes if not _matches_any(c, ignored)}
        return codes

    def severity_for(self, code: str, default: Severity) -> Severity:
        for key, value in self.severity:
            if key == code:
                return value
        return default

    def path_matches(self, path: str, pattern: str) -> bool:
        """Glob match against the path relative to the settings root, or its name."""
        relative = self.relative(path)
        name = os.path.basename(path)
        pattern = pattern.rstrip("/")
        return (
            fnmatch.fnmatchcase(relative, pattern)
            or fnmatch.fnmatchcase(name, pattern)
            or fnmatch.fnmatchcase(relative, pattern + "/*")
            or any(fnmatch.fnmatchcase(part, pattern) for part in Path(relative).parts[:-1])
        )

    def is_excluded(self, path: str) -> bool:
        return any(self.path_matches(path, p) for p in (*self.exclude, *self.extend_exclude))

    def relative(self, path: str) -> str:
        if self.root:
            try:
                return Path(os.path.abspath(path)).relative_to(self.root).as_posix()
            except ValueError:
                pass
        return Path(path).as_posix()

    @property
    def app(self) -> AppImport:
        """The `app-import` setting, parsed (once per text)."""
        return parse_app_import(self.app_import)

    def merged(self, **overrides) -> Settings:
        """A copy with some values replaced (used by the CLI flags and the LSP settings)."""
        clean = {k: v for k, v in overrides.items() if v is not None}
        return replace(self, **clean)


def _matches_any(code: str, prefixes) -> bool:
    # "ALL", an exact code or a prefix ("CEL00" selects CEL001-CEL009), as ruff allows.
    return any(p == "ALL" or code.startswith(p) for p in prefixes)


# --- loading ---------------------------------------------------------------------------
_KNOWN_KEYS = {
    "select",
    "ignore",
    "severity",
    "per-file-ignores",
    "exclude",
    "extend-exclude",
    "foreign-packages",
    "polling-helpers",
    "app-import",
    "task-name-template",
    "services",
}


def find_config_file(start: str | os.PathLike) -> Path | None:
    """The nearest pyproject.toml at or above `start` that has our section, up to the
    repository's root (the directory holding `.git`)."""
    start = os.path.abspath(start)
    return _find_in(start if os.path.isdir(start) else os.path.dirname(start))


def forget_cached_files() -> None:
    """Look for pyproject.toml files afresh (one may have been added or removed)."""
    _find_in.cache_clear()


@lru_cache(maxsize=4096)
def _find_in(directory: str) -> Path | None:
    # One answer per directory, from its parent's: the files of a tree share their lookups.
    candidate = Path(directory) / "pyproject.toml"
    if candidate.is_file() and _has_section(candidate):
        return candidate
    # The repository's root ends the search: a pyproject.toml in a directory holding
    # several checkouts must not govern one that has none of its own.
    if os.path.exists(os.path.join(directory, ".git")):
        return None
    parent = os.path.dirname(directory)
    return None if parent == directory else _find_in(parent)


def _has_section(pyproject: Path) -> bool:
    """The file configures us: it has a `tool.celery-patterns` key of any shape (an invalid
    one is reported when it is loaded), or it mentions us and cannot be parsed."""
    try:
        data = read_file(str(pyproject))  # (a FIFO or a device so named would block a plain read)
    except (OSError, SkippedFile):
        return False
    if SECTION.encode() not in data:
        return False  # most pyproject.toml files: no need to parse them
    try:
        tool = tomllib.loads(data.decode("utf-8")).get("tool")
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return True  # ours as far as can be told; loading it says what is wrong
    return not isinstance(tool, dict) or SECTION in tool


def settings_for(path: str | os.PathLike) -> Settings:
    """Settings that apply to a file or directory (defaults when no config is found)."""
    config = find_config_file(path)
    if config is None:
        return Settings()
    return load_settings(config)


def load_settings(pyproject: Path) -> Settings:
    """The settings of a configuration file: `[tool.celery-patterns]` of a pyproject.toml,
    the whole file of any other name (a `celery-patterns.toml`, given with `--config`)."""
    try:
        stat = pyproject.stat()
    except OSError as exc:
        raise ConfigError(f"{pyproject}: cannot read configuration: {exc.strerror or exc}") from None
    return _load_settings(str(pyproject), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=64)
def _load_settings(path: str, _mtime: int, _size: int) -> Settings:
    # mtime and size are part of the cache key so an edited file is read again.
    try:
        data = tomllib.loads(read_file(path).decode("utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read configuration: {exc.strerror or exc}") from None
    except SkippedFile as exc:
        raise ConfigError(f"{path}: cannot read configuration: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: cannot read configuration: not UTF-8 text ({exc.reason} at byte {exc.start})"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: cannot read configuration: {exc}") from None
    root = str(Path(path).parent)
    if os.path.basename(path) != "pyproject.toml":
        return parse_settings(data, source=path, root=root)
    tool = data.get("tool", {})
    if not isinstance(tool, dict):
        raise ConfigError(f"{path}: `tool` must be a table, not {_kind(tool)}")
    table = tool.get(SECTION, {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: `tool.{SECTION}` must be a table ([tool.{SECTION}]), not {_kind(table)}")
    return parse_settings(table, source=path, root=root)


def _kind(value: object) -> str:
    if isinstance(value, list):
        return (
            "an array (`[[...]]` makes an array of tables)" if all(isinstance(v, dict) for v in value) else "an array"
        )
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string"}.get(
        type(value), type(value).__name__
    )


def parse_settings(
    table: dict, source: str = "configuration", root: str | None = None, base: Settings | None = None
) -> Settings:
    """Validate a `[tool.celery-patterns]` table (or LSP settings with the same keys).

    Codes are checked for their form here; that each names a rule is checked where the rule
    registry is known (`engine.validated`): settings sit below the rules."""
    base = base or Settings()
    warnings = []
    values: dict = {}

    def where(key: str) -> str:
        return f"{source}: `{key}`"

    def str_list(key: str) -> tuple[str, ...]:
        value = table[key]
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where(key)} must be a list of strings")
        return tuple(value)

    def code_list(key: str) -> tuple[str, ...]:
        codes = tuple(c.strip().upper() for c in str_list(key))
        for code in codes:
            if not CODE_FORM.fullmatch(code):
                raise ConfigError(f"{where(key)}: unknown rule code {code!r}")
        return codes

    for key in table:
        if key not in _KNOWN_KEYS:
            warnings.append(f"{source}: unknown key `{key}` in [tool.{SECTION}] ignored")
    if "select" in table:
        values["select"] = code_list("select")
    if "ignore" in table:
        values["ignore"] = code_list("ignore")
    if "severity" in table:
        raw = table["severity"]
        if not isinstance(raw, dict):
            raise ConfigError(f'{where("severity")} must be a table of CODE = "high|medium|low"')
        pairs = []
        for code, level in raw.items():
            if not CODE_FORM.fullmatch(code.upper()) or code.upper() == "ALL":
                raise ConfigError(f"{where('severity')}: unknown rule code {code!r}")
            if not isinstance(level, str):
                raise ConfigError(f"{where('severity')}: value for {code} must be a string")
            try:
                pairs.append((code.upper(), Severity.parse(level)))
            except ValueError as exc:
                raise ConfigError(f"{where('severity')}: {exc}") from None
        values["severity"] = tuple(pairs)
    if "per-file-ignores" in table:
        raw = table["per-file-ignores"]
        if not isinstance(raw, dict):
            raise ConfigError(f'{where("per-file-ignores")} must be a table of "glob" = [codes]')
        entries = []
        for pattern, codes in raw.items():
            if isinstance(codes, str):
                codes = [codes]
            if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
                raise ConfigError(f"{where('per-file-ignores')}: value for {pattern!r} must be a list of codes")
            entries.append((pattern, tuple(c.upper() for c in codes)))
        values["per_file_ignores"] = tuple(entries)
    for key in ("exclude", "extend-exclude", "foreign-packages", "polling-helpers", "services"):
        if key in table:
            values[key.replace("-", "_")] = str_list(key)
    for package in values.get("foreign_packages", ()):
        if not package or not all(part.isidentifier() for part in package.split(".")):
            raise ConfigError(f"{where('foreign-packages')}: {package!r} is not a package name")
    if "app-import" in table:
        value = table["app-import"]
        if not isinstance(value, str):
            raise ConfigError(f"{where('app-import')} must look like `from core.celery import app`")
        try:
            parse_app_import(value)
        except ConfigError:
            raise ConfigError(f"{where('app-import')} must look like `from core.celery import app`") from None
        values["app_import"] = value
    if "task-name-template" in table:
        value = table["task-name-template"]
        if not isinstance(value, str) or "{name}" not in value:
            raise ConfigError(f"{where('task-name-template')} must be a string containing {{name}}")
        literal = TEMPLATE_FIELD.sub("", value)
        if not TEMPLATE_LITERAL.fullmatch(literal):
            bad = sorted(set(TEMPLATE_LITERAL_CHAR.sub("", literal)))
            raise ConfigError(
                f"{where('task-name-template')}: {value!r} must make a plain dotted task name: only the fields "
                f"{{package}}, {{module}}, {{name}} and letters, digits, `_`, `.`, `-`, `:` (not {''.join(bad)!r})"
            )
        values["task_name_template"] = value
    return replace(base, root=root or base.root, warnings=tuple(warnings), **values)


@dataclass(frozen=True)
class AppImport:
    """The `app-import` setting, parsed once: the statement fixes add to reach the Celery app."""

    statement: str  # e.g. "from core.celery import app"
    module: str | None  # "core.celery" (with leading dots when relative); None for `import x`
    name: str  # the imported name: "app", or the module of `import x.y`
    asname: str | None
    local: str  # the name it binds: "app"
    qualname: str  # what that name refers to: "core.celery.app"
    relative: bool

    @property
    def spec(self) -> tuple[str, str | None, str | None] | None:
        """(module, name, asname) as import edits take it; None for a relative import."""
        if self.relative:
            return None
        if self.module is None:
            return self.name, None, self.asname
        return self.module, self.name, self.asname


@lru_cache(maxsize=32)
def parse_app_import(text: str) -> AppImport:
    """Parse an `app-import` statement (raises `ConfigError` when it is not one import)."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        tree = None
    node = tree.body[0] if tree is not None and len(tree.body) == 1 else None
    if not isinstance(node, (ast.Import, ast.ImportFrom)) or len(node.names) != 1 or node.names[0].name == "*":
        raise ConfigError(f"`app-import` must look like `from core.celery import app`, not {text!r}")
    alias = node.names[0]
    if isinstance(node, ast.ImportFrom):
        module = "." * (node.level or 0) + (node.module or "")
        qualname = f"{module}.{alias.name}" if node.module else module + alias.name
        return AppImport(text, module, alias.name, alias.asname, alias.asname or alias.name, qualname, bool(node.level))
    local = alias.asname or alias.name.split(".")[0]
    return AppImport(text, None, alias.name, alias.asname, local, alias.name if alias.asname else local, False)
