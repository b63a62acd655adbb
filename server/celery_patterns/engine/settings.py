"""Settings checked against the rule registry: every code they name must name a rule.

`config` parses settings without knowing the rules (it sits below them); the front ends
load settings through here, so an unknown code is a configuration error wherever it is
written (pyproject.toml, editor settings, command-line flags).
"""

from __future__ import annotations

import os
from functools import lru_cache

from .. import config
from ..config import ConfigError, Settings
from ..rules import all_codes
from .check import SYNTAX_CODE


def known_codes() -> frozenset[str]:
    return frozenset(all_codes()) | {SYNTAX_CODE}


def unknown_code(code: str) -> bool:
    """`code` is neither `ALL` nor a prefix of any rule's code."""
    return code != "ALL" and not any(known.startswith(code) for known in known_codes())


@lru_cache(maxsize=256)
def validated(settings: Settings, source: str | None = None) -> Settings:
    """`settings`, or a `ConfigError` naming the first code that names no rule; `source`
    says where they were written (default: the pyproject.toml of their root)."""
    if source is None and settings.root:
        source = os.path.join(settings.root, "pyproject.toml")
    where = f"{source}: " if source else ""
    for key, codes in (("select", settings.select or ()), ("ignore", settings.ignore)):
        for code in codes:
            if unknown_code(code):
                raise ConfigError(f"{where}`{key}`: unknown rule code {code!r}")
    for code, _ in settings.severity:
        if code not in known_codes():
            raise ConfigError(f"{where}`severity`: unknown rule code {code!r}")
    return settings


def settings_for(path: str | os.PathLike) -> Settings:
    """The settings that apply to a file or directory, checked against the rules."""
    return validated(config.settings_for(path))
