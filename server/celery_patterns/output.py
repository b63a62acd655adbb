"""Output formats for the CLI: text, json, sarif (2.1.0) and github annotations.

Columns are 1-based and count Unicode code points, as the canonical positions do.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePath
from urllib.parse import quote

from . import REPOSITORY_URL, __version__, rule_doc_url
from .ftypes import Finding, FixSafety, Severity
from .rules import all_rules, rule_by_code

SEVERITY_WORD = {Severity.HIGH: "error", Severity.MEDIUM: "warning", Severity.LOW: "information", Severity.HINT: "hint"}
# SARIF and GitHub have no level below note / notice.
SARIF_LEVEL = {Severity.HIGH: "error", Severity.MEDIUM: "warning", Severity.LOW: "note", Severity.HINT: "note"}
GITHUB_LEVEL = {Severity.HIGH: "error", Severity.MEDIUM: "warning", Severity.LOW: "notice", Severity.HINT: "notice"}
SYNTAX_RULE = ("CEL000", "syntax-error", "The file could not be parsed or decoded.")
SRCROOT = "%SRCROOT%"
# The key of SARIF's `partialFingerprints` this tool fills (GitHub keeps its own keys apart).
FINGERPRINT_KEY = "celeryPatterns/lineHash/v1"

# ANSI styles of the text format on a terminal (as ruff colours its concise output).
_BOLD, _RESET, _CYAN = "\033[1m", "\033[0m", "\033[36m"
_SEVERITY_COLOUR = {
    Severity.HIGH: "\033[1;31m",
    Severity.MEDIUM: "\033[1;33m",
    Severity.LOW: "\033[1;34m",
    Severity.HINT: "\033[1;2m",
}


@dataclass(frozen=True)
class Options:
    """How a report is written."""

    color: bool = False  # ANSI colours (text format on a terminal only)
    unsafe_fixes: bool = False  # `--unsafe-fixes` given: unsafe fixes count as applicable
    show_fixes: bool = False  # each fixable finding's fix under it (text format)
    root: str | None = None  # the workspace: SARIF's %SRCROOT%
    # The text of a line of a file (0-based line), for SARIF's fingerprints.
    source_line: Callable[[str, int], str] | None = None


def _columns(finding: Finding) -> tuple[int, int, int, int]:
    r = finding.range
    return r.start.line + 1, r.start.column + 1, r.end.line + 1, r.end.column + 1


def fix_safety(finding: Finding) -> FixSafety | None:
    """The safety of the fix a fixable finding has; None when it has none."""
    if not finding.fixable:
        return None
    rule = rule_by_code(finding.code)
    return rule.fix_safety if rule is not None else None


def applicable(finding: Finding, unsafe_fixes: bool) -> bool:
    """`--fix` (with `--unsafe-fixes` when given) would fix the finding."""
    safety = fix_safety(finding)
    return safety is FixSafety.SAFE or (safety is FixSafety.UNSAFE and unsafe_fixes)


def hidden_unsafe(finding: Finding, unsafe_fixes: bool) -> bool:
    """Only `--unsafe-fixes` would fix the finding."""
    return not unsafe_fixes and fix_safety(finding) is FixSafety.UNSAFE


def format_text(results: list[tuple[str, Finding]], options: Options | None = None) -> str:
    """`path:line:col: CODE [severity] message` and a mark: `[*]` fixable with `--fix`, `[!]`
    fixable with `--unsafe-fixes` only (the legend of `celery-patterns rules`)."""
    options = options or Options()
    lines = []
    for path, finding in results:
        line, column, _, _ = _columns(finding)
        if applicable(finding, options.unsafe_fixes):
            marker = " " + _style("[*]", _CYAN, options)
        elif hidden_unsafe(finding, options.unsafe_fixes):
            marker = " " + _style("[!]", _CYAN, options)
        else:
            marker = ""
        if finding.no_fix_reason:
            marker = f" (no automatic fix: {finding.no_fix_reason})"
        word = _style(
            f"{finding.code} [{SEVERITY_WORD[finding.severity]}]", _SEVERITY_COLOUR[finding.severity], options
        )
        lines.append(f"{_style(path, _BOLD, options)}:{line}:{column}: {word} {finding.message}{marker}")
        safety = fix_safety(finding) if options.show_fixes else None
        if safety is not None:
            rule = rule_by_code(finding.code)
            title = rule.fix_title if rule is not None and rule.fix_title else f"Fix {finding.code}"
            lines.append(f"  fix ({safety.value}): {title}")
    return "\n".join(lines)


def _style(text: str, style: str, options: Options) -> str:
    return f"{style}{text}{_RESET}" if options.color else text


def format_json(results: list[tuple[str, Finding]], options: Options | None = None) -> str:
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


# --- GitHub workflow commands ----------------------------------------------------------------
def github_data(text: str) -> str:
    """A workflow command's message, escaped as the runner unescapes it."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def github_property(text: str) -> str:
    """A workflow command's property value (`file=`, `title=`): also `:` and `,`, which
    would end the value, so a file name cannot start another property or command."""
    return github_data(text).replace(":", "%3A").replace(",", "%2C")


def format_github(results: list[tuple[str, Finding]], options: Options | None = None) -> str:
    lines = []
    for path, finding in results:
        line, column, end_line, end_column = _columns(finding)
        title = github_property(f"celery-patterns ({finding.code})")
        message = github_data(f"{finding.code} {finding.message}")
        lines.append(
            f"::{GITHUB_LEVEL[finding.severity]} title={title},file={github_property(path)},"
            f"line={line},col={column},endLine={end_line},endColumn={end_column}::{message}"
        )
    return "\n".join(lines)


# --- SARIF ----------------------------------------------------------------------------------------
def sarif_uri(path: str, root: str | None) -> str:
    """A file's URI relative to `root` (SARIF's %SRCROOT%), percent-encoded (RFC 3986): never
    absolute, never `../` (a file outside `root` is named from the directory it is in)."""
    absolute = os.path.abspath(path)
    relative = None
    if root is not None:
        relative = os.path.relpath(absolute, os.path.abspath(root))
        if relative == os.pardir or relative.startswith(os.pardir + os.sep):
            relative = None
    if relative is None:
        relative = os.path.basename(absolute)
    return quote(PurePath(relative).as_posix(), safe="/")


def sarif_root(paths: list[str], root: str | None) -> str | None:
    """The directory every path is below: `root` (the workspace) when it holds them all, else
    their common directory (no URI then needs `../`)."""
    absolute = [os.path.abspath(p) for p in paths]
    if root is not None and all(p.startswith(os.path.abspath(root).rstrip(os.sep) + os.sep) for p in absolute):
        return root
    if not absolute:
        return root
    return os.path.commonpath([os.path.dirname(p) for p in absolute])


def fingerprint(code: str, uri: str, line_text: str, occurrence: int) -> str:
    """Stable across commits while the line's text is: rule, file and the line with its
    whitespace normalised (not its number), and which of the equal lines it is."""
    normalised = " ".join(line_text.split())
    digest = hashlib.sha256("\0".join((code, uri, normalised)).encode("utf-8", "surrogatepass")).hexdigest()
    return f"{digest[:32]}:{occurrence}"


def format_sarif(results: list[tuple[str, Finding]], options: Options | None = None) -> str:
    options = options or Options()
    rules = [
        _sarif_rule(r.code, r.name, r.doc_section("What it does"), r.documentation(), r.severity) for r in all_rules()
    ]
    rules.append(_sarif_rule(*SYNTAX_RULE, SYNTAX_RULE[2], Severity.HIGH))
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    root = sarif_root([path for path, _ in results], options.root)
    seen: Counter[str] = Counter()
    sarif_results = []
    for path, finding in results:
        line, column, end_line, end_column = _columns(finding)
        uri = sarif_uri(path, root)
        text = options.source_line(path, finding.range.start.line) if options.source_line else ""
        base = fingerprint(finding.code, uri, text, 0).split(":")[0]
        seen[base] += 1
        sarif_results.append(
            {
                "ruleId": finding.code,
                "ruleIndex": index.get(finding.code, 0),
                "level": SARIF_LEVEL[finding.severity],
                "message": {"text": finding.message},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": uri, "uriBaseId": SRCROOT},
                            "region": {
                                "startLine": line,
                                "startColumn": column,
                                "endLine": end_line,
                                "endColumn": max(end_column, column),
                            },
                        }
                    }
                ],
                "partialFingerprints": {FINGERPRINT_KEY: f"{base}:{seen[base]}"},
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
                        "informationUri": REPOSITORY_URL,
                        "rules": rules,
                    }
                },
                # Where %SRCROOT% is, said in words: an absolute path of the machine that ran
                # the check would mean nothing where the log is read (a CI runner's checkout).
                "originalUriBaseIds": {
                    SRCROOT: {"description": {"text": "The root of the repository (workspace) that was checked."}}
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
        "helpUri": rule_doc_url(code),
        "defaultConfiguration": {"level": SARIF_LEVEL[severity]},
        "properties": {"tags": ["celery"], "precision": "high"},
    }


# --- summaries ------------------------------------------------------------------------------------
def format_statistics(results: list[tuple[str, Finding]], options: Options | None = None) -> str:
    options = options or Options()
    counts = Counter(f.code for _, f in results)
    fixable = Counter(f.code for _, f in results if applicable(f, options.unsafe_fixes))
    unsafe = Counter(f.code for _, f in results if hidden_unsafe(f, options.unsafe_fixes))
    rows = []
    width = max((len(str(n)) for n in counts.values()), default=1)
    for code, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        rule = rule_by_code(code)
        name = rule.name if rule else SYNTAX_RULE[1]
        marker = "[*]" if fixable[code] else ("[!]" if unsafe[code] else "[ ]")
        rows.append(f"{count:>{width}}\t{code}\t{marker} {name}")
    return "\n".join(rows)


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else ('es' if word.endswith('x') else 's')}"


def fix_hint(results: list[tuple[str, Finding]], unsafe_fixes: bool) -> str:
    """Ruff's hint line: what `--fix` would fix, and how many more `--unsafe-fixes` would."""
    fixable = sum(1 for _, f in results if applicable(f, unsafe_fixes))
    hidden = sum(1 for _, f in results if hidden_unsafe(f, unsafe_fixes))
    more = f"{plural(hidden, 'unsafe fix')} available with `--fix --unsafe-fixes`" if hidden else ""
    if fixable:
        return f"[*] {fixable} fixable with `--fix`" + (f" ({more})" if more else "") + "."
    return f"{more[0].upper()}{more[1:]}." if more else ""


def format_fix_summary(fixed: list[tuple[str, dict[str, int]]], would: bool = False) -> str:
    """Ruff's `--show-fixes` list: per file, how many findings of each rule were fixed."""
    total = sum(sum(codes.values()) for _, codes in fixed)
    lines = [f"{'Would fix' if would else 'Fixed'} {plural(total, 'finding')}:"]
    for path, codes in fixed:
        if not codes:
            continue
        lines.append(f"- {path}:")
        for code, count in sorted(codes.items(), key=lambda kv: (-kv[1], kv[0])):
            rule = rule_by_code(code)
            lines.append(f"    {count} × {code} ({rule.name if rule else SYNTAX_RULE[1]})")
    return "\n".join(lines)


FORMATTERS = {"text": format_text, "json": format_json, "sarif": format_sarif, "github": format_github}
