"""Every rule documents itself (ruff's sections) and its examples are true."""

from pathlib import Path

import pytest

from celery_patterns.docs import index_page, rule_page
from celery_patterns.engine import check_source
from celery_patterns.rules import DOC_SECTIONS, all_rules

RULES = all_rules()
DOCS = Path(__file__).resolve().parents[1] / "docs" / "rules"


def test_eleven_rules_with_unique_codes_and_names():
    assert [r.code for r in RULES] == [f"CEL{n:03d}" for n in range(1, 12)]
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
    path = "server/app/module.py"
    assert any(f.code == rule.code for f in check_source(example, path).report.findings)
    assert not any(f.code == rule.code for f in check_source(fixed, path).report.findings)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_generated_page_is_up_to_date(rule):
    page = DOCS / f"{rule.code}.md"
    assert page.read_text(encoding="utf-8") == rule_page(rule.code), "run `make docs`"


def test_index_page_is_up_to_date():
    assert (DOCS / "README.md").read_text(encoding="utf-8") == index_page(), "run `make docs`"
