"""Diagnostics as the language server sends them: JSON text built once per finding."""

from __future__ import annotations

import json

import pytest

from celery_patterns.engine import check_source
from celery_patterns.lsp.convert import Rendered, to_diagnostic

SOURCE = 'import time\n\n\nasync def f(result):\n    s = "🎉é"; time.sleep(1)\n    while not result.ready():\n        time.sleep(1)\n'


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8"])
def test_rendered_json_is_the_diagnostics_of_each_version(encoding):
    checked = check_source(SOURCE)
    findings = checked.report.findings
    assert len(findings) >= 3
    rendered = Rendered(encoding)
    for version, parsed in ((1, True), (2, True), (3, False), (None, True)):
        expected = [to_diagnostic(f, checked.index, encoding, version, parsed) for f in findings]
        assert json.loads(rendered.json(findings, checked.index, version, parsed)) == expected


def test_findings_no_longer_there_are_forgotten():
    checked = check_source(SOURCE)
    rendered = Rendered("utf-16")
    rendered.json(checked.report.findings, checked.index, 1, True)
    assert json.loads(rendered.json(checked.report.findings[:1], checked.index, 2, True)) == [
        to_diagnostic(checked.report.findings[0], checked.index, "utf-16", 2, True)
    ]
    assert len(rendered._heads) == 1
