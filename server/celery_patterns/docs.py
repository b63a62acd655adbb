"""Rule documentation pages, generated from each rule module's docstring (and CEL000's below)."""

from __future__ import annotations

import os
from pathlib import Path

from . import rule_doc_url
from .rules import all_rules, rule_by_code

SYNTAX_CODE = "CEL000"
SYNTAX_NAME = "syntax-error"
# CEL000 is no rule module: the engine reports it when it cannot check a file at all.
SYNTAX_PAGE = """\
# CEL000: syntax-error

Severity: **High** · Fix: **no automatic fix**

CEL000 syntax-error: the file could not be checked.

## What it does
Reports, once per file and at the place Python itself would point to, a file that no rule
could look at: it does not parse (a syntax error, as `python` reports it: a stray second
byte-order mark, a null byte, unbalanced brackets), cannot be decoded in the encoding it
declares (a PEP 263 `# -*- coding: ... -*-` line, else UTF-8), is too deeply nested to
analyse, or the checker crashed on it (`internal error`: please report it).

## Why is this bad?
Nothing else in the file is checked until it parses: a file with a syntax error hides every
other finding, and Python (and Celery's worker, when it imports the module) refuses it too.

## Example
```python
async def poll(result):
    while not result.ready()
        await asyncio.sleep(1)
```

## Use instead
```python
async def poll(result):
    while not result.ready():
        await asyncio.sleep(1)
```

## Fix safety
No automatic fix: what the author meant is for the author to say.
"""


def rule_page(code: str) -> str:
    if code.upper() == SYNTAX_CODE:
        return SYNTAX_PAGE
    rule = rule_by_code(code)
    if rule is None:
        raise KeyError(code)
    return rule.documentation()


def index_page() -> str:
    rows = ["# Rules", "", "| code | name | severity | fix |", "|---|---|---|---|"]
    for rule in all_rules():
        fix = rule.fix_safety.value if rule.fix_safety else "none"
        rows.append(f"| [{rule.code}]({rule.code}.md) | {rule.name} | {rule.severity.name.title()} | {fix} |")
    rows.append(f"| [{SYNTAX_CODE}]({SYNTAX_CODE}.md) | {SYNTAX_NAME} | High | none |")
    return "\n".join(rows) + "\n"


def write_rule_docs(directory: str | os.PathLike) -> list[Path]:
    """Write one page per rule (and CEL000's) plus an index; returns the paths written."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for code in [rule.code for rule in all_rules()] + [SYNTAX_CODE]:
        path = directory / f"{code}.md"
        path.write_text(rule_page(code), encoding="utf-8")
        written.append(path)
    index = directory / "README.md"
    index.write_text(index_page(), encoding="utf-8")
    written.append(index)
    return written


def rule_doc_uri(code: str) -> str:
    """The link an editor shows for a finding's code: the rule's page on the web (the same
    page as docs/rules/ in the repository), never a path on this machine."""
    return rule_doc_url(code)
