"""Rule documentation pages, generated from each rule module's docstring."""

from __future__ import annotations

import os
from pathlib import Path

from .rules import all_rules, rule_by_code

# A checkout (editable install) has the generated pages at <repo>/docs/rules.
_REPO_DOCS = Path(__file__).resolve().parents[2] / "docs" / "rules"


def rule_page(code: str) -> str:
    rule = rule_by_code(code)
    if rule is None:
        raise KeyError(code)
    return rule.documentation()


def index_page() -> str:
    rows = ["# Rules", "", "| code | name | severity | fix |", "|---|---|---|---|"]
    for rule in all_rules():
        fix = rule.fix_safety.value if rule.fix_safety else "none"
        rows.append(f"| [{rule.code}]({rule.code}.md) | {rule.name} | {rule.severity.name.title()} | {fix} |")
    return "\n".join(rows) + "\n"


def write_rule_docs(directory: str | os.PathLike) -> list[Path]:
    """Write one page per rule plus an index; returns the paths written."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for rule in all_rules():
        path = directory / f"{rule.code}.md"
        path.write_text(rule.documentation(), encoding="utf-8")
        written.append(path)
    index = directory / "README.md"
    index.write_text(index_page(), encoding="utf-8")
    written.append(index)
    return written


def rule_doc_uri(code: str) -> str:
    """A file URI of the rule's page: the checkout's docs/rules page when present, else a
    copy written on demand to the user's cache directory (installed wheels ship no docs dir)."""
    page = _REPO_DOCS / f"{code}.md"
    if not page.is_file():
        cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "celery-patterns" / "rules"
        page = cache / f"{code}.md"
        try:
            if not page.is_file() or page.read_text(encoding="utf-8") != rule_page(code):
                page.parent.mkdir(parents=True, exist_ok=True)
                page.write_text(rule_page(code), encoding="utf-8")
        except OSError:
            pass
    return page.as_uri()
