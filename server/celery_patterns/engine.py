"""The engine: parse once, gather module facts, run every enabled rule, return findings.

It knows no rule by name. The CLI and the language server both call `check_source`,
`compute_fix` and `fix_source`; nothing else reaches into the rules.
"""

from __future__ import annotations

import ast
import bisect
import difflib
import os
import re
import sys
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .config import Settings
from .facts import ModuleFacts
from .ftypes import FileReport, Finding, Fix, FixSafety, Position, Range, Severity, TextEdit
from .rules import all_rules, rule_by_code
from .source import DecodeError, LineIndex, apply_edits, decode_source
from .suppress import LineComments

SYNTAX_CODE = "CEL000"
NOQA_COMMENT = re.compile(
    r"#\s*noqa(?::\s*(?P<codes>[A-Za-z]+[0-9]+(?:\s*,\s*[A-Za-z]+[0-9]+)*))?(?![:\w])",
    re.IGNORECASE,
)
_LINE = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+\Z")
_LINE_BREAK = re.compile(r"\r\n?|\n")

# libcst and the collector recurse per nesting level; deeply nested but valid code
# (generated tables, long operator chains) must not turn into a crash.
# (Python-to-Python calls use no C stack since 3.11, so a high limit is safe.)
_DEPTH = 50_000 if sys.version_info >= (3, 11) else 10_000
if sys.getrecursionlimit() < _DEPTH:
    sys.setrecursionlimit(_DEPTH)


@dataclass
class Checked:
    """A check's result together with what a later fix needs (parsed once)."""

    report: FileReport
    facts: ModuleFacts | None = None  # of the whole module; None when no rule needed them
    errors: list[str] = field(default_factory=list)
    index: LineIndex | None = None


def module_name_for(path: str, root: str | None = None) -> str | None:
    """A file's dotted module name relative to its source root.

    The root is the topmost directory of the chain of packages (`__init__.py`) holding
    the file; a file outside any package is named relative to `root` (the directory of
    the configuration), from below the last directory whose name cannot be part of a module
    name (`my-repo/`, `service@v2/`) and with a leading `src/` dropped.
    """
    file = Path(os.path.abspath(path))
    parts = [file.stem] if file.stem != "__init__" else []
    directory = file.parent
    while (directory / "__init__.py").is_file():
        parts.insert(0, directory.name)
        directory = directory.parent
    if len(parts) > 1 or (file.parent / "__init__.py").is_file() or root is None:
        return ".".join(parts) or None
    try:
        relative = file.with_suffix("").relative_to(os.path.abspath(root)).parts
    except ValueError:
        return ".".join(parts) or None
    not_packages = [i for i, part in enumerate(relative[:-1]) if not part.isidentifier()]
    if not_packages:
        relative = relative[not_packages[-1] + 1:]
    if relative and relative[0] == "src":
        relative = relative[1:]
    return ".".join(relative) or None


def check_source(source: str, path: str = "<string>", settings: Settings | None = None,
                 module_name: str | None = None, incremental=None) -> Checked:
    """Check one decoded source text.

    `incremental` is an editor buffer's `incremental.BufferChecker`: it parses the text
    and runs the rules reusing what the last version's check found where nothing changed."""
    settings = settings or Settings()
    index = LineIndex(source)
    try:
        tree = incremental.parse(source, path) if incremental is not None else ast.parse(source, path)
    except SyntaxError as exc:
        report = FileReport(path, _syntax_findings(exc, index, settings, path), source, syntax_error=True)
        return Checked(report, index=index)
    except (ValueError, RecursionError, MemoryError) as exc:
        finding = _syntax_finding(f"cannot parse: {exc}", Position(0, 0), index, settings, path)
        return Checked(FileReport(path, finding, source, syntax_error=True), index=index)

    enabled = settings.enabled_codes((r.code for r in all_rules()), path if path != "<string>" else None)
    rules = [r for r in all_rules() if r.code in enabled and r.applies_to(source, settings)]
    findings: list[Finding] = []
    errors: list[str] = []
    facts = None
    if rules:
        try:
            if incremental is not None:
                findings, facts, errors = incremental.run(rules, tree, source, index, path, module_name, settings)
            else:
                facts = ModuleFacts(tree, source, index, path, module_name)
                findings, errors = run_rules(rules, facts, settings)
        except RecursionError:
            finding = _syntax_finding("too deeply nested to analyse", Position(0, 0), index, settings, path)
            return Checked(FileReport(path, finding, source), None, index=index)
    findings = _finish(findings, index, settings, tree)
    return Checked(FileReport(path, findings, source), facts, errors, index)


def run_rules(rules, facts: ModuleFacts, settings: Settings) -> tuple[list[Finding], list[str]]:
    """Every rule's findings on `facts`, and the internal errors of rules that failed."""
    findings: list[Finding] = []
    errors: list[str] = []
    for rule in rules:
        try:
            findings.extend(rule.check(facts, settings))
        except Exception:  # one broken rule must not hide the others
            errors.append(f"{facts.path}: internal error in {rule.code}:\n{traceback.format_exc()}")
    return findings, errors


def check_bytes(data: bytes, path: str, settings: Settings | None = None,
                module_name: str | None = None) -> Checked:
    try:
        source = decode_source(data)
    except DecodeError as exc:
        settings = settings or Settings()
        finding = _syntax_finding(f"cannot decode file: {exc}", Position(0, 0), LineIndex(""), settings, path)
        return Checked(FileReport(path, finding, None, syntax_error=True))
    return check_source(source, path, settings, module_name)


def _finish(findings: list[Finding], index: LineIndex, settings: Settings,
            tree: ast.AST | None = None) -> list[Finding]:
    """Severity overrides, `# noqa` suppression, de-duplication and source order.

    `tree` (the parsed source) tells which `# noqa` is a comment and which is string text."""
    out = []
    seen = set()
    # Most files have no "noqa" at all: then no line is looked at.
    comments = LineComments(index, tree) if "noqa" in index.text.lower() else None
    for finding in findings:
        # Keys of plain ints and strings: hashing and comparing the position dataclasses
        # costs more than the rest of this loop on a file with hundreds of findings.
        start, end = finding.range.start, finding.range.end
        key = (start.line, start.column, end.line, end.column, finding.code, finding.message)
        if key in seen or (comments is not None and _suppressed(finding, comments)):
            continue
        seen.add(key)
        severity = settings.severity_for(finding.code, finding.severity)
        if severity is not finding.severity:
            finding = _with(finding, severity=severity)
        out.append(finding)
    out.sort(key=lambda f: (f.range.start.line, f.range.start.column, f.code))
    return out


def _with(finding: Finding, **changes) -> Finding:
    from dataclasses import replace

    return replace(finding, **changes)


def noqa_codes(comment: str) -> set[str] | None:
    """Codes a `# noqa` comment suppresses: None if it holds none, empty set = all.

    It reads text as given: pass it a comment (`suppress.LineComments` finds a line's real
    comment), not a whole line, where `"# noqa"` could be inside a string."""
    match = NOQA_COMMENT.search(comment)
    if match is None:
        return None
    codes = match.group("codes")
    return {c.strip().upper() for c in codes.split(",")} if codes else set()


def _suppressed(finding: Finding, comments: LineComments) -> bool:
    line = finding.range.start.line
    if "noqa" not in comments.index.line_text(line).lower():
        return False
    codes = comments.noqa_codes(line)
    return codes is not None and (not codes or finding.code in codes)


def _syntax_findings(exc: SyntaxError, index: LineIndex, settings: Settings, path: str) -> list[Finding]:
    line = max((exc.lineno or 1) - 1, 0)
    column = max((exc.offset or 1) - 1, 0)
    text = index.line_text(line)
    column = min(column, len(text))
    message = f"syntax error: {exc.msg} (line {line + 1})"
    return _syntax_finding(message, Position(line, column), index, settings, path)


def _syntax_finding(message: str, start: Position, index: LineIndex, settings: Settings, path: str) -> list[Finding]:
    if SYNTAX_CODE in settings.ignore:
        return []
    text = index.line_text(start.line)
    end = Position(start.line, min(start.column + 1, len(text))) if text else start
    return [Finding(SYNTAX_CODE, message, settings.severity_for(SYNTAX_CODE, Severity.HIGH), Range(start, end))]


# --- fixes -----------------------------------------------------------------------------
def compute_fix(source: str, finding: Finding, settings: Settings | None = None, path: str = "<string>",
                module_name: str | None = None, checked: Checked | None = None, context=None) -> Fix | None:
    """The fix for one finding as text edits over `source`, or None when none is safe to offer.

    A fix is only returned when the new text parses, the finding is gone on re-check and
    no finding of another kind appeared; anything else means the fix is not offered.
    """
    rule = rule_by_code(finding.code)
    if rule is None or rule.fix_safety is None or not finding.fixable:
        return None
    settings = settings or Settings()
    if checked is None or checked.facts is None:
        checked = check_source(source, path, settings, module_name)
    if checked.facts is None:
        return None
    # The fixer reads what its rule stored in the finding (`details`, positions among them):
    # take it from this text's own check, not from a copy moved along with later edits.
    finding = next((f for f in checked.report.findings if (f.code, f.range, f.message) ==
                    (finding.code, finding.range, finding.message)), None)
    if finding is None or not finding.fixable:
        return None
    from .fixing import FixContext  # libcst is loaded only when a fix is wanted

    context = context or FixContext(source, checked.facts, settings, path)
    new_source = _fixed_source(source, finding, context)
    if new_source is None:
        return None
    if not _fix_is_sound(source, new_source, finding, checked, settings, path, module_name):
        return None
    return Fix(rule.fix_title or f"Fix {rule.code}", diff_edits(source, new_source), rule.fix_safety)


def _fix_is_sound(source, new_source, finding, checked, settings, path, module_name) -> bool:
    after = check_source(new_source, path, settings, module_name)
    if after.report.syntax_error:
        return False
    before, now = _codes(checked), _codes(after)
    return now[finding.code] < before[finding.code] and _no_new_findings(before, now)


def _codes(checked: Checked) -> Counter:
    return Counter(f.code for f in checked.report.findings)


def _no_new_findings(before: Counter, after: Counter) -> bool:
    """No rule has more findings than before: a fix must not trade one finding for another."""
    return all(after[code] <= before[code] for code in after)


def diff_edits(old: str, new: str) -> tuple[TextEdit, ...]:
    """Minimal text edits turning `old` into `new` (line diff, then trimmed per hunk)."""
    # Only the lines between the first and the last differing character are diffed: a fix
    # changes a few lines of a file that may have thousands.
    same_head = _common_prefix(old, new)
    cut = old.rfind("\n", 0, same_head) + 1  # the start of the first line that differs
    same_tail = _common_suffix(old, new, min(len(old), len(new)) - same_head)
    newline_after = old.find("\n", len(old) - same_tail)
    kept_tail = len(old) - newline_after - 1 if newline_after >= 0 else 0  # whole lines, equal in both
    a = _LINE.findall(old, cut, len(old) - kept_tail)
    b = _LINE.findall(new, cut, len(new) - kept_tail)
    first_line = len(_LINE_BREAK.findall(old, 0, cut))
    line_offsets = [cut]
    for line in a:
        line_offsets.append(line_offsets[-1] + len(line))
    unended_last_line = bool(a) and not a[-1].endswith(("\n", "\r"))

    def position(offset: int) -> Position:
        line = bisect.bisect_right(line_offsets, offset) - 1
        if line == len(a) and unended_last_line:  # the end of a text without a final line break
            line -= 1
        return Position(first_line + line, offset - line_offsets[line])

    edits = []
    # Lines equal at both ends are skipped before the (quadratic at worst) matcher runs.
    head = 0
    while head < len(a) and head < len(b) and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < len(a) - head and tail < len(b) - head and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    for i1, i2, j1, j2 in _changed_lines(a[head:len(a) - tail], b[head:len(b) - tail]):
        i1, i2, j1, j2 = i1 + head, i2 + head, j1 + head, j2 + head
        old_chunk = "".join(a[i1:i2])
        new_chunk = "".join(b[j1:j2])
        prefix = _common_prefix(old_chunk, new_chunk)
        suffix = _common_prefix(old_chunk[prefix:][::-1], new_chunk[prefix:][::-1])
        # A position cannot point between the \r and \n of one line ending.
        while prefix and old_chunk[prefix - 1] == "\r":
            prefix -= 1
        while suffix and old_chunk[len(old_chunk) - suffix] == "\n" and len(old_chunk) - suffix > prefix \
                and old_chunk[len(old_chunk) - suffix - 1] == "\r":
            suffix -= 1
        start = line_offsets[i1] + prefix
        end = line_offsets[i2] - suffix
        edits.append(TextEdit(Range(position(start), position(end)),
                              new_chunk[prefix:len(new_chunk) - suffix]))
    return tuple(edits)


_FEW_CHANGES = 60  # changed lines up to which the O(N*D) diff is used


def _changed_lines(a: list[str], b: list[str]) -> list[tuple[int, int, int, int]]:
    """The runs of lines that differ, as (a from, a to, b from, b to).

    A fix changes a few places of a file that may be long (an import at the top, a call at
    the bottom): Myers' diff takes time in proportion to the length times the changes, where
    difflib's matcher took seconds on a few thousand lines. Many changes go to difflib.
    """
    hunks = _myers(a, b, _FEW_CHANGES)
    if hunks is None:
        matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
        hunks = [(i1, i2, j1, j2) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"]
    return hunks


def _myers(a: list[str], b: list[str], most: int) -> list[tuple[int, int, int, int]] | None:
    """The shortest edit from `a` to `b` as runs of changed lines (Myers, 1986), or None when
    it needs more than `most` lines deleted or inserted."""
    n, m = len(a), len(b)
    shift = most + 1  # diagonal k is stored at k + shift
    furthest = [0] * (2 * most + 3)  # per diagonal, the furthest x reached so far
    history = []
    for d in range(most + 1):
        history.append(furthest[:])
        for k in range(-d, d + 1, 2):
            if _comes_from_above(furthest, shift, k, d):
                x = furthest[shift + k + 1]  # a line of b inserted
            else:
                x = furthest[shift + k - 1] + 1  # a line of a deleted
            y = x - k
            while x < n and y < m and a[x] == b[y]:
                x += 1
                y += 1
            furthest[shift + k] = x
            if x >= n and y >= m:
                return _runs_of_changes(_walk_back(history, shift, n, m), n, m)
    return None


def _comes_from_above(furthest: list[int], shift: int, k: int, d: int) -> bool:
    """Whether the path reaching diagonal `k` in `d` steps comes from diagonal k + 1 (an
    insertion) rather than k - 1 (a deletion): whichever got further."""
    return k == -d or (k != d and furthest[shift + k - 1] < furthest[shift + k + 1])


def _walk_back(history: list[list[int]], shift: int, n: int, m: int) -> list[tuple[int, int]]:
    """The (x, y) points where the edit path leaves the matching diagonals, end to start."""
    x, y = n, m
    equal_pairs = []
    for d in range(len(history) - 1, -1, -1):
        furthest = history[d]
        k = x - y
        previous_k = k + 1 if _comes_from_above(furthest, shift, k, d) else k - 1
        previous_x = furthest[shift + previous_k] if d else 0
        previous_y = previous_x - previous_k if d else 0
        while x > previous_x and y > previous_y:
            x, y = x - 1, y - 1
            equal_pairs.append((x, y))
        x, y = previous_x, previous_y
    return equal_pairs


def _runs_of_changes(equal_pairs, n: int, m: int) -> list[tuple[int, int, int, int]]:
    runs = []
    x = y = 0
    for ex, ey in reversed(equal_pairs):
        if ex > x or ey > y:
            runs.append((x, ex, y, ey))
        x, y = ex + 1, ey + 1
    if x < n or y < m:
        runs.append((x, n, y, m))
    return runs


def _common_prefix(x: str, y: str) -> int:
    """How many characters `x` and `y` share at the start (by halving: slices compare in C)."""
    n = min(len(x), len(y))
    if x[:n] == y[:n]:
        return n
    same, differs = 0, n  # x[:same] == y[:same] and x[:differs] != y[:differs]
    while differs - same > 1:
        middle = (same + differs) // 2
        if x[same:middle] == y[same:middle]:
            same = middle
        else:
            differs = middle
    return same


def _common_suffix(x: str, y: str, limit: int) -> int:
    """How many characters (at most `limit`) `x` and `y` share at the end."""
    if limit <= 0:
        return 0
    if x[len(x) - limit:] == y[len(y) - limit:]:
        return limit
    same, differs = 0, limit
    while differs - same > 1:
        middle = (same + differs) // 2
        if x[len(x) - middle:len(x) - same] == y[len(y) - middle:len(y) - same]:
            same = middle
        else:
            differs = middle
    return same


@dataclass
class FixOutcome:
    source: str
    applied: int
    remaining: list[Finding]
    checked: Checked


class FixCancelled(Exception):
    """`fix_source` stopped because its caller no longer wants the result."""


def fix_source(source: str, path: str = "<string>", settings: Settings | None = None, *,
               unsafe: bool = False, codes: set[str] | None = None, module_name: str | None = None,
               max_rounds: int = 100, cancelled=None) -> FixOutcome:
    """Apply fixes until nothing changes (bounded), several per round when they don't clash.

    A round computes fixes against one text, keeps those whose edits don't touch each
    other's lines, applies them together and checks the result once: it must parse and
    have fewer findings, none of a new kind. If it does not, the round is redone with
    every fix verified on its own (as `compute_fix` does) before it is combined.

    `cancelled()` is asked before each fix is computed; when it says True, `FixCancelled`
    is raised (an editor's fix-all of a large file takes seconds, and the user may type).
    """
    settings = settings or Settings()
    applied = 0
    checked = original = check_source(source, path, settings, module_name)
    stop = _stopper(cancelled)
    for _ in range(max_rounds):
        candidates = [
            f for f in checked.report.findings
            if f.fixable and (codes is None or f.code in codes) and _allowed(f, unsafe)
        ]
        if not candidates or checked.facts is None:
            break
        result = _fix_round(source, candidates, checked, settings, path, module_name, stop, verify_each=False)
        if result is None:
            result = _fix_round(source, candidates, checked, settings, path, module_name, stop, verify_each=True)
        if result is None:
            break
        source, checked, count = result
        applied += count
    if applied:
        source, checked = _tidy(source, checked, original, settings, path, module_name)
    return FixOutcome(source, applied, checked.report.findings, checked)


def _tidy(source, checked, original, settings, path, module_name):
    """Let each rule whose findings the fixes removed take away what they left unused; a
    tidy-up is kept when the text parses and has no finding more of any kind."""
    from .fixing import FixContext

    for code in sorted(_codes(original) - _codes(checked)):
        rule = rule_by_code(code)
        if checked.facts is None or rule is None or original.facts is None:
            continue
        context = FixContext(source, checked.facts, settings, path)
        try:
            new_source = _as_text(context, rule.tidy(context, original.facts))
        except Exception:
            continue
        if new_source is None or new_source == source:
            continue
        after = check_source(new_source, path, settings, module_name)
        if after.report.syntax_error or not _no_new_findings(_codes(checked), _codes(after)):
            continue
        source, checked = new_source, after
    return source, checked


_CLASHES_BEFORE_NEXT_ROUND = 4  # fixes that all insert the same import clash: try again next round


def _stopper(cancelled):
    def stop() -> None:
        if cancelled is not None and cancelled():
            raise FixCancelled
    return stop


def _fix_round(source, candidates, checked, settings, path, module_name, stop, verify_each):
    from .fixing import FixContext

    context = FixContext(source, checked.facts, settings, path)
    taken: list[TextEdit] = []
    count = clashes = 0
    for finding in candidates:
        stop()
        if any(_clash(TextEdit(finding.range, ""), t) for t in taken):
            continue  # its own lines are being changed already
        if verify_each:
            fix = compute_fix(source, finding, settings, path, module_name, checked, context)
            edits = fix.edits if fix is not None else None
        else:
            edits = _unverified_edits(source, finding, context)
        if not edits:
            continue
        if any(_clash(e, t) for e in edits for t in taken):
            clashes += 1
            if clashes >= _CLASHES_BEFORE_NEXT_ROUND:
                break
            continue
        taken.extend(edits)
        count += 1
        clashes = 0
    if not count:
        return None
    new_source = apply_edits(source, taken)
    after = check_source(new_source, path, settings, module_name)
    if after.report.syntax_error:
        return None
    before, now = _codes(checked), _codes(after)
    if sum(now.values()) >= sum(before.values()) or not _no_new_findings(before, now):
        return None
    return new_source, after, count


def _fixed_source(source: str, finding: Finding, context) -> str | None:
    """The rule's fixed text, or None when it offers none (a failing fixer offers none)."""
    try:
        new_source = _as_text(context, rule_by_code(finding.code).fix(context, finding))
    except Exception:
        return None
    return None if new_source == source else new_source


def _as_text(context, fixed) -> str | None:
    """What a fixer returned (text, a libcst module or None) as text."""
    return fixed if fixed is None or isinstance(fixed, str) else context.render(fixed)


def _unverified_edits(source: str, finding: Finding, context) -> tuple[TextEdit, ...] | None:
    new_source = _fixed_source(source, finding, context)
    return diff_edits(source, new_source) if new_source is not None else None


def _allowed(finding: Finding, unsafe: bool) -> bool:
    rule = rule_by_code(finding.code)
    return rule is not None and rule.fix_safety is not None and (unsafe or rule.fix_safety is FixSafety.SAFE)


def _clash(a: TextEdit, b: TextEdit) -> bool:
    """Edits on the same or neighbouring lines are not combined in one round.

    Each fix was verified alone; two that both insert an import next to each other's
    lines would otherwise both land (a duplicate import). The next round recomputes the
    second one against the new text.
    """
    return a.range.start.line <= b.range.end.line + 1 and b.range.start.line <= a.range.end.line + 1
