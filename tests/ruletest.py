"""Helpers for the per-rule tests: check a snippet, apply a rule's fix, assert the guarantees."""

from __future__ import annotations

import ast
import textwrap

from celery_patterns.config import Settings
from celery_patterns.engine import check_source, compute_fix, fix_source
from celery_patterns.source import apply_edits


def dedent(source: str) -> str:
    return textwrap.dedent(source).lstrip("\n")


def findings(
    source: str,
    code: str | None = None,
    *,
    path: str = "server/app/module.py",
    settings: Settings | None = None,
    module_name: str | None = None,
    raw: bool = False,
):
    """Findings for a snippet (dedented unless raw), optionally only one rule's."""
    text = source if raw else dedent(source)
    checked = check_source(text, path, settings or Settings(), module_name)
    assert not checked.errors, checked.errors
    return [f for f in checked.report.findings if code is None or f.code == code]


def lines(source: str, code: str, **kwargs) -> list[int]:
    """1-based lines of a rule's findings in a snippet."""
    return [f.range.start.line + 1 for f in findings(source, code, **kwargs)]


def fixed(
    source: str,
    code: str,
    *,
    raw: bool = False,
    unsafe: bool = True,
    settings: Settings | None = None,
    path: str = "server/app/module.py",
    module_name: str | None = None,
) -> str:
    """Apply one rule's fixes until nothing changes, checking every guarantee on the way.

    - each single fix parses, removes its finding and adds no other finding;
    - the loop result parses and is idempotent (a second run changes nothing).
    """
    text = source if raw else dedent(source)
    settings = settings or Settings()
    before = check_source(text, path, settings, module_name)
    for finding in before.report.findings:
        if finding.code != code or not finding.fixable:
            continue
        fix = compute_fix(text, finding, settings, path, module_name, before)
        if fix is None:
            continue
        single = apply_edits(text, fix.edits)
        ast.parse(single)
    outcome = fix_source(text, path, settings, unsafe=unsafe, codes={code}, module_name=module_name)
    ast.parse(outcome.source)
    again = fix_source(outcome.source, path, settings, unsafe=unsafe, codes={code}, module_name=module_name)
    assert again.source == outcome.source, "fix is not idempotent"
    other_before = sorted(f.code for f in before.report.findings if f.code != code)
    other_after = sorted(f.code for f in outcome.remaining if f.code != code)
    assert len(other_after) <= len(other_before), f"fix added findings: {other_after} vs {other_before}"
    return outcome.source


def assert_fix(before: str, after: str, code: str, **kwargs) -> None:
    raw = kwargs.get("raw", False)
    expected = after if raw else dedent(after)
    result = fixed(before, code, **kwargs)
    assert result == expected, f"\n--- got ---\n{result}\n--- expected ---\n{expected}"
    assert not [
        f
        for f in findings(
            result,
            code,
            raw=True,
            path=kwargs.get("path", "server/app/module.py"),
            settings=kwargs.get("settings"),
            module_name=kwargs.get("module_name"),
        )
        if f.fixable
    ], "a fixable finding remains after the fix"


def assert_no_fix(source: str, code: str, **kwargs) -> None:
    """The rule flags the snippet but offers no fix for it."""
    raw = kwargs.pop("raw", False)
    text = source if raw else dedent(source)
    found = findings(text, code, raw=True, **kwargs)
    assert found, "expected a finding"
    settings = kwargs.get("settings") or Settings()
    path = kwargs.get("path", "server/app/module.py")
    for finding in found:
        assert compute_fix(text, finding, settings, path, kwargs.get("module_name")) is None


# --- rules on the project model: a workspace of several files on disk ---------------------------
def workspace(root, files: dict[str, str]):
    """Write `files` (relative path -> dedented source) under `root`; empty text: an empty file."""
    from pathlib import Path

    root = Path(root)
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dedent(text) if text.strip() else text, encoding="utf-8")
    return root


def project_of(root, **kwargs):
    from celery_patterns.discovery import python_files
    from celery_patterns.engine import settings_for
    from celery_patterns.model.build import build_project

    root = str(root)
    return build_project(root, list(python_files([root])), settings_for, use_cache=False, **kwargs)


def workspace_findings(root, code: str | None = None, settings: Settings | None = None):
    """(relative path, 1-based line, message) of every finding of `code` in the workspace."""
    import os

    project = project_of(root)
    found = []
    for path in sorted(project.summaries):
        text = open(path, encoding="utf-8").read()
        checked = check_source(text, path, settings or Settings(), project=project)
        assert not checked.errors, checked.errors
        for finding in checked.report.findings:
            if code is None or finding.code == code:
                found.append(
                    (os.path.relpath(path, root).replace(os.sep, "/"), finding.range.start.line + 1, finding.message)
                )
    return found


def workspace_lines(root, code: str) -> list[tuple[str, int]]:
    return [(path, line) for path, line, _ in workspace_findings(root, code)]


def workspace_fixed(root, relative: str, code: str, *, unsafe: bool = True) -> str:
    """Fix `code` in one file of the workspace (with its model), checking the guarantees."""
    import os

    project = project_of(root)
    path = os.path.join(str(root), relative)
    text = open(path, encoding="utf-8").read()
    before = check_source(text, path, Settings(), project=project)
    for finding in before.report.findings:
        if finding.code == code and finding.fixable:
            fix = compute_fix(text, finding, Settings(), path, project=project)
            if fix is not None:
                ast.parse(apply_edits(text, fix.edits))
    outcome = fix_source(text, path, Settings(), unsafe=unsafe, codes={code}, project=project)
    ast.parse(outcome.source)
    again = fix_source(outcome.source, path, Settings(), unsafe=unsafe, codes={code}, project=project)
    assert again.source == outcome.source, "fix is not idempotent"
    return outcome.source


def workspace_messages(root, files: dict[str, str], code: str) -> list[str]:
    """The messages of `code`'s findings in a workspace of `files` written under `root`."""
    return [message for _, _, message in workspace_findings(workspace(root, files), code)]


def workspace_cases(code: str, invalid, valid):
    """The two tests every model rule has: each INVALID workspace `(files, [(path, line)])`
    gets exactly those findings, each VALID workspace none (`test_invalid, test_valid = ...`)."""
    import pytest

    @pytest.mark.parametrize(("files", "expected"), invalid)
    def test_invalid(tmp_path, files, expected):
        assert workspace_lines(workspace(tmp_path, files), code) == expected

    @pytest.mark.parametrize("files", valid)
    def test_valid(tmp_path, files):
        assert workspace_findings(workspace(tmp_path, files), code) == []

    return test_invalid, test_valid
