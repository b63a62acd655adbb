"""A fix's cost is bounded: a finding inside a statement too large or too deeply nested for
libcst is not fixable and says why (`fixes.context.too_large_to_fix`), and a fix-all stops
starting fixes after its time budget, keeping what it fixed and saying why the rest is left."""

from __future__ import annotations

import ast

from celery_patterns.engine import check_source, compute_fix, fix_source
from celery_patterns.fixes.context import MAX_FIX_DEPTH, MAX_FIX_NODES, TOO_LARGE, too_large_to_fix
from celery_patterns.source import LineIndex

HEAD = "import asyncio\nimport time\n\n\n"


def sleeper(name: str, extra: str = "") -> str:
    return f"async def {name}():\n    time.sleep(1)\n{extra}"


def reason_of(source: str) -> str | None:
    tree = ast.parse(source)
    return too_large_to_fix(tree.body, source, LineIndex(source))


def test_small_and_long_but_flat_statements_are_fixable():
    assert reason_of(HEAD + sleeper("f")) is None
    # One long string literal, a long flat list: many characters, few levels.
    assert reason_of(sleeper("f", f"    x = {'a' * 10_000!r}\n")) is None
    assert reason_of(sleeper("f", f"    x = [{', '.join(['1'] * 5_000)}]\n")) is None


def test_nesting_is_counted_as_libcst_nests():
    deep_and = sleeper("f", "    x = " + " and ".join(["1"] * (MAX_FIX_DEPTH + 10)) + "\n")
    assert reason_of(deep_and).startswith(f"{TOO_LARGE}: the code around it nests")
    # Adjacent literals are one `ast` node, a level each in libcst.
    parts = sleeper("f", "    x = " + " ".join(["'a'"] * (MAX_FIX_DEPTH + 10)) + "\n")
    assert reason_of(parts).startswith(f"{TOO_LARGE}: the code around it nests")
    shallow = sleeper("f", "    x = " + " and ".join(["1"] * (MAX_FIX_DEPTH // 2)) + "\n")
    assert reason_of(shallow) is None


def test_many_nodes():
    body = "".join(f"    x{i} = y{i} + z{i}\n" for i in range(MAX_FIX_NODES // 8))
    assert reason_of(sleeper("f", body)).startswith(f"{TOO_LARGE}: the statement holding it is")


def test_a_refused_finding_is_not_fixable_and_says_why():
    big = sleeper("big", "    x = " + " and ".join(["1"] * (MAX_FIX_DEPTH + 10)) + "\n")
    source = HEAD + sleeper("small") + "\n\n" + big
    findings = check_source(source).report.findings
    assert [f.code for f in findings] == ["CEL002", "CEL002"]
    small, large = findings
    assert small.fixable and small.no_fix_reason is None
    assert not large.fixable and large.no_fix_reason.startswith(TOO_LARGE)
    assert compute_fix(source, large) is None
    outcome = fix_source(source)
    assert outcome.applied == 1 and "await asyncio.sleep(1)" in outcome.source
    assert outcome.source.endswith(big)


def test_a_fix_all_stops_at_its_time_budget_and_says_so():
    source = HEAD + "\n\n".join(sleeper(f"f{i}") for i in range(3))
    outcome = fix_source(source, time_budget=0)
    assert outcome.source == source and outcome.applied == 0
    assert len(outcome.remaining) == 3
    for finding in outcome.remaining:
        assert not finding.fixable and finding.no_fix_reason.startswith(f"{TOO_LARGE}: its file's fixes took over 0 s")
    # With time, all of them.
    outcome = fix_source(source)
    assert outcome.applied == 3 and outcome.remaining == []
