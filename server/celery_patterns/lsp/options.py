"""Editor settings, merged over `[tool.celery-patterns]` in pyproject.toml.

They arrive in `initializationOptions`, in `workspace/didChangeConfiguration` and, per
workspace folder, from `workspace/configuration` (section `celery-patterns`). Accepted
shapes: the settings object itself, or wrapped as `{"settings": {...}}` or
`{"celery-patterns": {...}}`. Names are camelCase, as editors spell them:

| key | type | default | meaning |
|---|---|---|---|
| `enable` | bool | true | no diagnostics at all when false |
| `select` | list of codes | pyproject's | replaces pyproject's `select`; `[]` is as if absent |
| `ignore` | list of codes | pyproject's | replaces pyproject's `ignore`; `[]` is as if absent |
| `severity` | {code: level} | {} | per-rule overrides, over pyproject's |
| `showSyntaxErrors` | bool | true | show CEL000 while the buffer does not parse |
| `fixAll` | bool | true | offer `source.fixAll.celery-patterns` |

Invalid values raise `ConfigError`; the server shows it and keeps the previous settings.

Settings the client removes (a `workspace/didChangeConfiguration` that no longer holds
ours, or null) give way to the defaults, i.e. pyproject.toml's. Those of
`initializationOptions` stay until other settings arrive: eglot sends `{}` right after
connecting, and that must not undo them. The user-facing page is docs/editors/settings.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from ..config import ConfigError, Settings, parse_settings
from ..engine import validated

SECTION = "celery-patterns"
_KNOWN = {"enable", "select", "ignore", "severity", "showSyntaxErrors", "fixAll"}


@dataclass(frozen=True)
class EditorOptions:
    enable: bool = True
    show_syntax_errors: bool = True
    fix_all: bool = True
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] | None = None
    severity: tuple[tuple[str, str], ...] = ()
    warnings: tuple[str, ...] = ()
    from_initialization: bool = field(default=False, compare=False)  # see the module docstring

    def as_initialization(self) -> EditorOptions:
        return replace(self, from_initialization=True)

    def apply(self, base: Settings) -> Settings:
        """`base` (from pyproject.toml) with these settings over it."""
        table: dict[str, Any] = {}
        if self.select is not None:
            table["select"] = list(self.select)
        if self.ignore is not None:
            table["ignore"] = list(self.ignore)
        if self.severity:
            merged = {code: level.value for code, level in base.severity}
            merged.update(dict(self.severity))
            table["severity"] = merged
        if not table:
            return base
        return validated(parse_settings(table, source="editor settings", root=base.root, base=base), "editor settings")


def unwrap(raw: Any) -> dict | None:
    """The settings object inside whatever the client sent, or None if it holds none of ours.

    Found under our section name, it is ours whatever it holds; otherwise an object is
    ours only if it has one of our keys: `{"pylsp": {...}}` is another server's settings
    (eglot and Sublime send every server the same object) and `{}` is nobody's.
    """
    in_our_section = False
    for _ in range(3):
        if not isinstance(raw, dict):
            return None
        for key in ("settings", SECTION, "celeryPatterns"):
            if isinstance(raw.get(key), dict):
                raw = raw[key]
                in_our_section = in_our_section or key != "settings"
                break
        else:
            break
    if not isinstance(raw, dict) or not (in_our_section or _KNOWN & raw.keys()):
        return None
    return raw


def parse_options(raw: dict) -> EditorOptions:
    """Validate editor settings (raises `ConfigError`)."""

    def flag(key: str, default: bool) -> bool:
        value = raw.get(key, default)
        if not isinstance(value, bool):
            raise ConfigError(f"editor settings: `{key}` must be true or false")
        return value

    def codes(key: str) -> tuple[str, ...] | None:
        value = raw.get(key)
        if value is None or value == []:
            return None  # not "no rule at all": editors send [] for a list left empty
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"editor settings: `{key}` must be a list of rule codes")
        return tuple(value)

    severity = raw.get("severity") or {}
    if not isinstance(severity, dict) or not all(isinstance(v, str) for v in severity.values()):
        raise ConfigError('editor settings: `severity` must map codes to levels, e.g. {"CEL002": "warning"}')
    options = EditorOptions(
        enable=flag("enable", True),
        show_syntax_errors=flag("showSyntaxErrors", True),
        fix_all=flag("fixAll", True),
        select=codes("select"),
        ignore=codes("ignore"),
        severity=tuple((str(k).upper(), v) for k, v in severity.items()),
        warnings=tuple(f"editor settings: unknown key `{k}` ignored" for k in raw if k not in _KNOWN),
    )
    options.apply(Settings())  # unknown codes and levels are reported now, not at the next check
    return options
