"""The engine: check a text with the enabled rules, fix it, honour `# noqa`.

- `check.py`: parse once, gather the module's facts, run the rules (`check_source`).
- `fix.py`: one finding's verified fix, or every fix in rounds (`compute_fix`, `fix_source`).
- `suppression.py`: `# noqa` comments, and the edit that adds one.
- `incremental.py` / `reparse.py`: an editor buffer checked again only where an edit touched it.
- `batch.py`: the command line's check of many files: worker processes, the project model
  built from the same parse, crash isolation per file, the results cache.

The command line and the language server call this package; nothing else reaches into
the rules, and it knows no rule by name.
"""

from .check import (
    SYNTAX_CODE,
    Checked,
    check_bytes,
    check_source,
    enabled_rules,
    run_rules,
)
from .fix import FixCancelled, FixOutcome, compute_fix, fix_source
from .settings import known_codes, settings_for, validated
from .workspace import project_for, workspace_of

__all__ = [
    "SYNTAX_CODE",
    "Checked",
    "FixCancelled",
    "FixOutcome",
    "check_bytes",
    "check_source",
    "compute_fix",
    "enabled_rules",
    "fix_source",
    "known_codes",
    "run_rules",
    "settings_for",
    "validated",
    "project_for",
    "workspace_of",
]
