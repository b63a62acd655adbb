"""Every rule documents itself (ruff's sections) and its examples are true."""

import os
from pathlib import Path

import pytest

from celery_patterns.config import Settings
from celery_patterns.docs import index_page, rule_page
from celery_patterns.engine import check_source
from celery_patterns.model.build import build_project
from celery_patterns.rules import DOC_SECTIONS, all_rules

RULES = all_rules()
DOCS = Path(__file__).resolve().parents[1] / "docs" / "rules"


def test_rules_have_unique_codes_and_names_in_order():
    codes = [r.code for r in RULES]
    assert codes == sorted(set(codes)) and all(c.startswith("CEL") and c[3:].isdigit() for c in codes)
    assert len({r.name for r in RULES}) == len(RULES)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_documentation_sections(rule):
    doc = rule.documentation()
    assert doc.startswith(f"# {rule.code}: {rule.name}")
    for section in DOC_SECTIONS:
        assert rule.doc_section(section), f"{rule.code} lacks `## {section}`"
    assert rule.severity.name in ("HIGH", "MEDIUM", "LOW")


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_example_is_flagged_and_use_instead_is_clean(rule):
    example = rule.doc_example("Example")
    fixed = rule.doc_example("Use instead")
    assert example and fixed
    assert any(f.code == rule.code for f in _findings(rule, example))
    assert not any(f.code == rule.code for f in _findings(rule, fixed))


def _findings(rule, source: str):
    """The findings of a doc example; a rule that reads the project model sees the example
    as a workspace of one module."""
    path = os.path.abspath("server/app/module.py")
    project = None
    if rule.uses_project:
        project = build_project(
            os.path.dirname(path), [], lambda _: Settings(), use_cache=False, overlays={path: source}
        )
    return check_source(source, path, project=project).report.findings


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_generated_page_is_up_to_date(rule):
    page = DOCS / f"{rule.code}.md"
    assert page.read_text(encoding="utf-8") == rule_page(rule.code), "run `make docs`"


def test_index_page_is_up_to_date():
    assert (DOCS / "README.md").read_text(encoding="utf-8") == index_page(), "run `make docs`"
