"""Fixing: one finding's fix as verified edits, or every fix of a text in rounds.

A rule's fixer returns text edits over the source it was given (see `fixes.context`). A fix
is offered only when its text parses, its finding is gone on re-check and no finding of
another kind appeared. `fix_source` applies fixes in rounds: the fixes of a round are
computed against one text; identical edits (two fixes adding the same `import asyncio`)
are made once; a fix whose edits overlap edits already taken waits for the next round,
where it is computed again against the new text.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from ..config import Settings
from ..fixes.context import TOO_LARGE  # (libcst is imported on first use only)
from ..ftypes import Finding, Fix, FixSafety, TextEdit
from ..model.project import Project
from ..rules import rule_by_code
from ..source import apply_edits, edit_between
from ..stack import deep
from .check import Checked, check_source
from .incremental import BufferChecker

# Seconds of fixing one text: past them no fix is started (a file of 16,666 small fixes takes
# libcst about 20 minutes on a loaded 2-core machine, `bench/fix_limits.py`).
FIX_TIME_BUDGET = 30.0


@dataclass
class FixOutcome:
    source: str
    applied: int
    remaining: list[Finding]
    checked: Checked


class FixCancelled(Exception):
    """`fix_source` stopped because its caller no longer wants the result."""


def compute_fix(
    source: str,
    finding: Finding,
    settings: Settings | None = None,
    path: str = "<string>",
    module_name: str | None = None,
    checked: Checked | None = None,
    context=None,
    project: Project | None = None,
    verifier: BufferChecker | None = None,
) -> Fix | None:
    """The fix for one finding as text edits over `source`, or None when none is safe to offer.
    `project`: the workspace's model, for the rules that read it. `verifier`: a checker whose
    last check was of `source` (an editor buffer's, forked): the fixed text is checked with
    it, again only where the fix changed it."""
    return deep(_compute_fix, source, finding, settings, path, module_name, checked, context, project, verifier)


def _compute_fix(source, finding, settings, path, module_name, checked, context, project, verifier) -> Fix | None:
    rule = rule_by_code(finding.code)
    if rule is None or rule.fix_safety is None or not finding.fixable:
        return None
    settings = settings or Settings()
    if checked is None or checked.facts is None:
        checked = check_source(source, path, settings, module_name, project=project)
    if checked.facts is None:
        return None
    # The fixer reads what its rule stored in the finding (`details`, positions among them):
    # take it from this text's own check, not from a copy moved along with later edits.
    finding = next(
        (
            f
            for f in checked.report.findings
            if (f.code, f.range, f.message) == (finding.code, finding.range, finding.message)
        ),
        None,
    )
    if finding is None or not finding.fixable:
        return None
    context = context or _context(source, checked, settings, path)
    edits = _edits(context, finding)
    if not edits:
        return None
    after = check_source(apply_edits(source, edits), path, settings, module_name, verifier, project)
    if after.report.syntax_error or after.unchecked:
        return None
    before, now = _codes(checked), _codes(after)
    if not (now[finding.code] < before[finding.code] and _no_new_findings(before, now)):
        return None
    return Fix(rule.fix_title or f"Fix {rule.code}", edits, rule.fix_safety)


def fix_source(
    source: str,
    path: str = "<string>",
    settings: Settings | None = None,
    *,
    unsafe: bool = False,
    codes: set[str] | None = None,
    module_name: str | None = None,
    max_rounds: int = 100,
    cancelled: Callable[[], bool] | None = None,
    project: Project | None = None,
    time_budget: float = FIX_TIME_BUDGET,
) -> FixOutcome:
    """Apply fixes until nothing changes (bounded), several per round when they don't overlap.

    A round's combined result is checked once: it must parse and have fewer findings, none
    of a new kind. If it does not, the round is redone with every fix verified on its own
    (as `compute_fix` does) before it is combined.

    `cancelled()` is asked before each fix is computed; when it says True, `FixCancelled`
    is raised (an editor's fix-all of a large file takes seconds, and the user may type).

    After `time_budget` seconds no new fix is started: the fixes made so far are kept, and
    the findings left that it would have fixed are returned as too large to fix in time.
    """
    return deep(
        _fix_source, source, path, settings, unsafe, codes, module_name, max_rounds, cancelled, project, time_budget
    )


def _fix_source(
    source, path, settings, unsafe, codes, module_name, max_rounds, cancelled, project, time_budget
) -> FixOutcome:
    settings = settings or Settings()
    applied = 0
    checked = original = check_source(source, path, settings, module_name, project=project)
    deadline = time.monotonic() + time_budget  # for fixing: the check before is the caller's anyway
    for _ in range(max_rounds):
        candidates = [
            f
            for f in checked.report.findings
            if f.fixable and (codes is None or f.code in codes) and _allowed(f, unsafe)
        ]
        if not candidates or checked.facts is None:
            break
        result = None
        for verify_each in (False, True):
            result = _fix_round(
                source, candidates, checked, settings, path, module_name, cancelled, verify_each, project, deadline
            )
            if result is not None:
                break
        if result is None:
            break
        source, checked, count = result
        applied += count
    if applied:
        source, checked = _tidy(source, checked, original, settings, path, module_name, project)
    remaining = checked.report.findings
    if time.monotonic() >= deadline:
        reason = f"{TOO_LARGE}: its file's fixes took over {time_budget:g} s; fix it again to go on"
        remaining = [
            replace(f, fixable=False, no_fix_reason=reason)
            if f.fixable and (codes is None or f.code in codes) and _allowed(f, unsafe)
            else f
            for f in remaining
        ]
    return FixOutcome(source, applied, remaining, checked)


def _fix_round(source, candidates, checked, settings, path, module_name, cancelled, verify_each, project, deadline):
    context = _context(source, checked, settings, path)
    taken: list[TextEdit] = []
    count = 0
    for finding in candidates:
        if cancelled is not None and cancelled():
            raise FixCancelled
        if time.monotonic() >= deadline:
            break  # what was taken is kept; the rest is said too large to fix in time
        if verify_each:
            fix = compute_fix(source, finding, settings, path, module_name, checked, context, project)
            edits = fix.edits if fix is not None else ()
        else:
            edits = _edits(context, finding)
        new = [e for e in edits if e not in taken]  # an edit another fix makes too is made once
        if not edits or any(_overlap(e, t) for e in new for t in taken):
            continue  # computed again next round, against the text with the others' edits
        taken.extend(new)
        count += 1
    if not count:
        return None
    new_source = apply_edits(source, taken)
    after = check_source(new_source, path, settings, module_name, project=project)
    before, now = _codes(checked), _codes(after)
    if after.report.syntax_error or sum(now.values()) >= sum(before.values()) or not _no_new_findings(before, now):
        return None
    return new_source, after, count


def _tidy(source, checked, original, settings, path, module_name, project):
    """Let each rule whose findings the fixes removed take away what they left unused (an
    import); a tidy-up is kept when the text parses and has no finding more of any kind."""
    for code in sorted(_codes(original) - _codes(checked)):
        rule = rule_by_code(code)
        if checked.facts is None or rule is None or original.facts is None:
            continue
        context = _context(source, checked, settings, path)
        try:
            edits = _as_edits(context, rule.tidy(context, original.facts))
        except Exception:
            continue
        if not edits:
            continue
        after = check_source(apply_edits(source, edits), path, settings, module_name, project=project)
        if after.report.syntax_error or not _no_new_findings(_codes(checked), _codes(after)):
            continue
        source, checked = after.report.source, after
    return source, checked


def _context(source: str, checked: Checked, settings: Settings, path: str):
    from ..fixes.context import FixContext  # libcst is loaded only when a fix is wanted

    assert checked.facts is not None  # (a check that found something fixable gathered them)
    return FixContext(source, checked.facts, settings, path)


def _edits(context, finding: Finding) -> tuple[TextEdit, ...]:
    """The fixer's edits for a finding; none when it offers no fix or fails."""
    rule = rule_by_code(finding.code)
    if rule is None:
        return ()
    try:
        return _as_edits(context, rule.fix(context, finding))
    except Exception:  # a fixer that fails offers no fix; the others go on
        return ()


def _as_edits(context, fixed: Iterable[TextEdit | None] | str | None) -> tuple[TextEdit, ...]:
    """What a fixer returned as sorted edits that do not overlap (else none)."""
    if fixed is None:
        return ()
    if isinstance(fixed, str):  # the whole new text: its one changed span
        edit = edit_between(context.source, fixed, context.index)
        return (edit,) if edit is not None else ()
    edits = sorted({e for e in fixed if e is not None}, key=lambda e: (e.range.start, e.range.end))
    if any(_overlap(a, b) for i, a in enumerate(edits) for b in edits[i + 1 :]):
        return ()
    return tuple(edits)


def _overlap(a: TextEdit, b: TextEdit) -> bool:
    """Whether two different edits cannot both be made: their ranges overlap, or both insert
    at one point (in which order?), or one inserts inside what the other replaces."""
    if a == b:
        return False
    a0, a1, b0, b1 = a.range.start, a.range.end, b.range.start, b.range.end
    if a0 < b1 and b0 < a1:
        return True
    if a0 == a1 and b0 == b1:
        return a0 == b0
    return (a0 == a1 and b0 < a0 < b1) or (b0 == b1 and a0 < b0 < a1)


def _codes(checked: Checked) -> Counter:
    return Counter(f.code for f in checked.report.findings)


def _no_new_findings(before: Counter, after: Counter) -> bool:
    """No rule has more findings than before: a fix must not trade one finding for another."""
    return all(after[code] <= before[code] for code in after)


def _allowed(finding: Finding, unsafe: bool) -> bool:
    rule = rule_by_code(finding.code)
    return rule is not None and rule.fix_safety is not None and (unsafe or rule.fix_safety is FixSafety.SAFE)
