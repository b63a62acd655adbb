"""Output formats for the CLI: text, json, sarif (2.1.0) and github annotations.

Columns are 1-based and count Unicode code points, as the canonical positions do.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from . import __version__
from .ftypes import Finding, Severity
from .rules import all_rules, rule_by_code

SEVERITY_WORD = {Severity.HIGH: "error", Severity.MEDIUM: "warning", Severity.LOW: "information", Severity.HINT: "hint"}
# SARIF and GitHub have no level below note / notice.
SARIF_LEVEL = {Severity.HIGH: "error", Severity.MEDIUM: "warning", Severity.LOW: "note", Severity.HINT: "note"}
GITHUB_LEVEL = {Severity.HIGH: "error", Severity.MEDIUM: "warning", Severity.LOW: "notice", Severity.HINT: "notice"}
SYNTAX_RULE = ("CEL000", "syntax-error", "The file could not be parsed or decoded.")


def _columns(finding: Finding) -> tuple[int, int, int, int]:
    r = finding.range
    return r.start.line + 1, r.start.column + 1, r.end.line + 1, r.end.column + 1


def format_text(results: list[tuple[str, Finding]]) -> str:
    lines = []
    for path, finding in results:
        line, column, _, _ = _columns(finding)
        marker = " [*]" if finding.fixable else ""
        if finding.no_fix_reason:
            marker = f" (no automatic fix: {finding.no_fix_reason})"
        lines.append(
            f"{path}:{line}:{column}: {finding.code} [{SEVERITY_WORD[finding.severity]}] {finding.message}{marker}"
        )
    return "\n".join(lines)


def format_json(results: list[tuple[str, Finding]]) -> str:
    items = []
    for path, finding in results:
        line, column, end_line, end_column = _columns(finding)
        items.append(
            {
                "path": path,
                "code": finding.code,
                "severity": SEVERITY_WORD[finding.severity],
                "message": finding.message,
                "line": line,
                "column": column,
                "end_line": end_line,
                "end_column": end_column,
                "fixable": finding.fixable,
            }
        )
    return json.dumps(items, indent=2, ensure_ascii=False)


def format_github(results: list[tuple[str, Finding]]) -> str:
    lines = []
    for path, finding in results:
        line, column, end_line, end_column = _columns(finding)
        message = f"{finding.code} {finding.message}".replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        lines.append(
            f"::{GITHUB_LEVEL[finding.severity]} title=celery-patterns ({finding.code}),file={path},"
            f"line={line},col={column},endLine={end_line},endColumn={end_column}::{message}"
        )
    return "\n".join(lines)


def format_sarif(results: list[tuple[str, Finding]]) -> str:
    rules = [
        _sarif_rule(r.code, r.name, r.doc_section("What it does"), r.documentation(), r.severity) for r in all_rules()
    ]
    rules.append(_sarif_rule(*SYNTAX_RULE, SYNTAX_RULE[2], Severity.HIGH))
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    sarif_results = []
    for path, finding in results:
        line, column, end_line, end_column = _columns(finding)
        sarif_results.append(
            {
                "ruleId": finding.code,
                "ruleIndex": index.get(finding.code, 0),
                "level": SARIF_LEVEL[finding.severity],
                "message": {"text": finding.message},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": Path(path).as_posix(), "uriBaseId": "%SRCROOT%"},
                            "region": {
                                "startLine": line,
                                "startColumn": column,
                                "endLine": end_line,
                                "endColumn": max(end_column, column),
                            },
                        }
                    }
                ],
            }
        )
    document = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "celery-patterns",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": rules,
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": sarif_results,
            }
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False)


def _sarif_rule(code: str, name: str, summary: str, markdown: str, severity: Severity) -> dict:
    summary = " ".join(summary.split()) or name
    return {
        "id": code,
        "name": name,
        "shortDescription": {"text": summary.split(". ")[0].rstrip(".") + "."},
        "fullDescription": {"text": summary},
        "help": {"text": summary, "markdown": markdown},
        "defaultConfiguration": {"level": SARIF_LEVEL[severity]},
        "properties": {"tags": ["celery"], "precision": "high"},
    }


def format_statistics(results: list[tuple[str, Finding]]) -> str:
    counts = Counter(f.code for _, f in results)
    fixable = Counter(f.code for _, f in results if f.fixable)
    rows = []
    width = max((len(str(n)) for n in counts.values()), default=1)
    for code, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        rule = rule_by_code(code)
        name = rule.name if rule else SYNTAX_RULE[1]
        marker = "[*]" if fixable[code] else "[ ]"
        rows.append(f"{count:>{width}}\t{code}\t{marker} {name}")
    return "\n".join(rows)


FORMATTERS = {"text": format_text, "json": format_json, "sarif": format_sarif, "github": format_github}
