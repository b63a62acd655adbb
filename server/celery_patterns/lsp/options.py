"""Editor settings, merged over `[tool.celery-patterns]` in pyproject.toml.

They arrive in `initializationOptions`, in `workspace/didChangeConfiguration` and, per
workspace folder, from `workspace/configuration` (section `celery-patterns`). Accepted
shapes: the settings object itself, or wrapped as `{"settings": {...}}` or
`{"celery-patterns": {...}}`. Names are camelCase, as editors spell them:

| key | type | default | meaning |
|---|---|---|---|
| `enable` | bool | true | no diagnostics at all when false |
| `select` | list of codes | pyproject's | replaces pyproject's `select` |
| `ignore` | list of codes | pyproject's | replaces pyproject's `ignore` |
| `severity` | {code: level} | {} | per-rule overrides, over pyproject's |
| `showSyntaxErrors` | bool | true | show CEL000 while the buffer does not parse |
| `fixAll` | bool | true | offer `source.fixAll.celery-patterns` |

Invalid values raise `ConfigError`; the server shows it and keeps the previous settings.
"""

from __future__ import annotations

from dataclasses import dataclass
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
    """The settings object inside whatever the client sent, or None if it sent none."""
    for _ in range(3):
        if not isinstance(raw, dict):
            return None
        for key in ("settings", SECTION, "celeryPatterns"):
            if isinstance(raw.get(key), dict):
                raw = raw[key]
                break
        else:
            return raw
    return raw if isinstance(raw, dict) else None


def parse_options(raw: dict) -> EditorOptions:
    """Validate editor settings (raises `ConfigError`)."""

    def flag(key: str, default: bool) -> bool:
        value = raw.get(key, default)
        if not isinstance(value, bool):
            raise ConfigError(f"editor settings: `{key}` must be true or false")
        return value

    def codes(key: str) -> tuple[str, ...] | None:
        value = raw.get(key)
        if value is None:
            return None
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
