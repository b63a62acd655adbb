"""An editor buffer checked incrementally has exactly the findings of a full check.

Property tests: modules assembled from every rule's test cases and the example project
get random edits (characters that open or close brackets and strings, Celery code typed
into a function, statements and whole functions added or removed, renames), and each
version's findings through one `BufferChecker` are compared with a fresh full check.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from celery_patterns.analysis.facts import FUNCTION_NODES, ModuleFacts
from celery_patterns.analysis.units import first_line
from celery_patterns.config import Settings
from celery_patterns.engine import check_source, compute_fix
from celery_patterns.engine.incremental import BufferChecker
from celery_patterns.engine.reparse import IncrementalParser
from celery_patterns.model.summarise import _Summariser, summarise
from celery_patterns.rules import all_codes
from celery_patterns.source import LineIndex

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _rule_cases() -> list[str]:
    cases = []
    for code in all_codes():  # the single-file cases of every rule's tests
        if importlib.util.find_spec(f"test_rule_{code.lower()}") is None:
            continue
        module = importlib.import_module(f"test_rule_{code.lower()}")
        for case in [*getattr(module, "INVALID", ()), *getattr(module, "VALID", ())]:
            source = case[0] if isinstance(case, tuple) else case
            if isinstance(source, str):  # (a workspace case, a dict of files, is not one buffer)
                cases.append(textwrap.dedent(source).lstrip("\n"))
    return cases


CASES = _rule_cases() + [p.read_text() for p in sorted(EXAMPLES.rglob("*.py")) if p.stat().st_size]

FRAGMENTS = [
    "(",
    ")",
    "'",
    '"',
    "\n",
    "    ",
    ":",
    "#",
    "x",
    " ",
    "\\\n",
    "🎉",
    "time.sleep(1)\n",
    "    time.sleep(1)\n",
    "await asyncio.sleep(1)\n",
    "async ",
    "result.get()",
    "result.get(timeout=5)",
    ".status",
    ' == "FAILURE"',
    ' == "SUCCESS"',
    "result.ready()",
    "waited += 1\n",
    "timeout",
    "raise Exception('Task failed')\n",
    "    return None\n",
    "while result.status == 'PENDING':\n    time.sleep(1)\n",
    "import time\n",
    "from time import sleep\n",
    "app.control.revoke(task_id)\n",
    "group(sigs).apply_async()\n",
    "_run_sync_task_with_polling(t)\n",
    "def helper(result):\n    return result.get()\n\n",
    "class K:\n    def m(self, r):\n        return r.wait()\n",
    "@app.task\n",
    "global timeout\n",
    "# noqa\n",
    "# noqa: CEL003\n",
]

STATEMENTS = [
    "time.sleep(1)",
    "await asyncio.sleep(1)",
    "app.control.revoke(task_id)",
    "print(task_id)",
    "result = AsyncResult(task_id)",
    "r = group(sigs).apply_async()",
    "value = result.get()",
    "app.backend.store_result(task_id, {'children': [c.id for c in r.results]}, 'PENDING')",
    "if result.status == 'FAILURE':\n    raise Exception('Task failed')",
    "return result.get(timeout=5)",
    "return _run_sync_task_with_polling(sig, timeout=30)",
    "waited = 0.0",
    "timeout = 30",
    "sys = None",
    "import sys",
    "from rag.tasks import ingest",
    "ingest.delay(1)",
    "app.conf.update(timezone='UTC')",
    "url = 'file://' + path",
    "if sys.platform == 'win32':\n    pass",
    "global waited",
    "pass",
]


@st.composite
def edited(draw, text: str) -> str:
    """The text after one edit of the kind typing makes."""
    kind = draw(st.sampled_from(["insert", "delete", "replace", "line", "statement", "statement", "rename"]))
    start = draw(st.integers(0, len(text)))
    if kind == "insert":
        return text[:start] + draw(st.sampled_from(FRAGMENTS)) + text[start:]
    end = draw(st.integers(start, min(len(text), start + 16)))
    if kind == "delete":
        return text[:start] + text[end:]
    if kind == "replace":
        return text[:start] + draw(st.sampled_from(FRAGMENTS)) + text[end:]
    if kind == "rename":
        old, new = draw(
            st.sampled_from(
                [
                    ("result", "res"),
                    ("def ", "async def "),
                    ("timeout", "limit"),
                    ("time", "tm"),
                    ("status", "state"),
                    ("SUCCESS", "FAILURE"),
                ]
            )
        )
        return text.replace(old, new, 1)
    lines = text.splitlines(keepends=True)
    at = draw(st.integers(0, len(lines)))
    if kind == "statement" and at < len(lines):  # a statement typed where another one starts
        indent = lines[at][: len(lines[at]) - len(lines[at].lstrip(" \t"))]
        lines.insert(at, indent + draw(st.sampled_from(STATEMENTS)) + "\n")
        return "".join(lines)
    if draw(st.booleans()) and at < len(lines):
        del lines[at]
    else:
        lines.insert(at, draw(st.sampled_from(CASES)) if draw(st.booleans()) else draw(st.sampled_from(FRAGMENTS)))
    return "".join(lines)


def full(text: str, settings: Settings, path: str):
    checked = check_source(text, path, settings, "server.module")
    assert not checked.errors, checked.errors
    return checked.report.findings


def incremental(checker: BufferChecker, text: str, settings: Settings, path: str):
    checked = check_source(text, path, settings, "server.module", checker)
    assert not checked.errors, checked.errors
    return checked.report.findings


def same(a, b) -> bool:
    return [(f, f.details) for f in a] == [(f, f.details) for f in b]


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(st.sampled_from(CASES), min_size=1, max_size=6), st.data())
def test_every_version_has_the_findings_of_a_full_check(cases, data):
    text = "\n\n".join(cases)
    checker = BufferChecker()
    project = Settings()
    for _ in range(10):
        assert incremental(checker, text, project, "server/module.py") == full(text, project, "server/module.py")
        text = data.draw(edited(text))


@pytest.mark.parametrize("case", CASES[::7])
def test_typing_through_a_case_character_by_character(case):
    """Every prefix of a case typed at the end of a module, as a user types it."""
    head = "import time\nfrom celery.result import AsyncResult\n\n\ndef before(r):\n    return r.get()\n\n\n"
    checker = BufferChecker()
    project = Settings()
    for end in range(0, len(case) + 1, 3):
        text = head + case[:end]
        assert incremental(checker, text, project, "m.py") == full(text, project, "m.py"), text


FUNCTIONS = [f"async def handler_{i}(result):\n    time.sleep(1)\n    return result.get()\n\n\n" for i in range(40)]
MODULE = "import time\n\n\n" + "".join(FUNCTIONS)


def test_an_edit_inside_one_function_checks_only_that_function():
    checker = BufferChecker()
    project = Settings()
    incremental(checker, MODULE, project, "m.py")
    text = MODULE.replace("handler_7(result):\n    time.sleep(1)", "handler_7(result):\n    time.sleep(2)\n    x = 1")
    assert incremental(checker, text, project, "m.py") == full(text, project, "m.py")
    assert checker.reused_units == 39
    # the functions below moved down a line: their findings moved with them
    last_sleep = text.splitlines().index("async def handler_39(result):") + 1
    assert [f.range.start.line for f in incremental(checker, text, project, "m.py")][-1] == last_sleep


@pytest.mark.parametrize(
    "change",
    [
        lambda t: t.replace("import time\n", "import time as tm\ntime = tm\n"),  # module-level code
        lambda t: t.replace("handler_7(result)", "handler_7(result, timeout=5)"),  # a signature
        lambda t: t.replace("async def handler_7", "def handler_7"),
        lambda t: t.replace("async def handler_7", "@decorated\nasync def handler_7"),
        lambda t: t + "async def added(result):\n    return result.get()\n",  # a new function
    ],
)
def test_a_change_to_module_level_code_or_a_signature_checks_everything(change):
    checker = BufferChecker()
    project = Settings()
    incremental(checker, MODULE, project, "m.py")
    text = change(MODULE)
    assert incremental(checker, text, project, "m.py") == full(text, project, "m.py")
    assert checker.reused_units == 0


def test_new_settings_check_everything():
    checker = BufferChecker()
    incremental(checker, MODULE, Settings(), "m.py")
    ignoring = Settings(ignore=("CEL002",))
    assert incremental(checker, MODULE, ignoring, "m.py") == full(MODULE, ignoring, "m.py")
    assert checker.reused_units == 0
    assert not [f for f in full(MODULE, ignoring, "m.py") if f.code == "CEL002"]


def test_rules_that_follow_calls_into_other_functions_see_every_edit():
    """CEL009 looks into the helpers a cancel function calls: it is not a local rule, so an
    edit in the helper changes the cancel function's finding."""
    helper_revokes = textwrap.dedent("""
        from core.celery import app


        def _drain(task_ids):
            for task_id in task_ids:
                app.control.revoke(task_id)


        def cancel_ingest(task_ids):
            _drain(task_ids)
            return {"cancelled": [str(i) for i in task_ids]}
    """)
    checker = BufferChecker()
    project = Settings()
    assert not [f for f in incremental(checker, helper_revokes, project, "m.py") if f.code == "CEL009"]
    helper_does_not = helper_revokes.replace("app.control.revoke(task_id)", "print(task_id)")
    found = incremental(checker, helper_does_not, project, "m.py")
    assert found == full(helper_does_not, project, "m.py")
    assert [f.code for f in found if f.code == "CEL009"] == ["CEL009"]


# Rules whose findings depend on other functions' bodies, and so must not be local: for
# each, an edit of one function that changes what the rule reports somewhere else.
ACROSS_FUNCTIONS = {
    # a module-level import is fixable only while every use of the task is a dispatch
    "CEL001": (
        "from rag.tasks import ingest\n\n\ndef run(x):\n    ingest.delay(x)\n\n\n"
        "def other(x):\n    return ingest.delay(x)\n",
        "ingest.delay(x)\n",
        "ingest.s(x)\n",
    ),
    # a helper of this module that stores the group's children
    "CEL005": (
        "from celery import group\nfrom core.celery import app\n\n\n"
        "def remember(result):\n    app.backend.store_result('id', {'children': [c.id for c in result.results]}, 'PENDING')\n\n\n"
        "def dispatch(sigs):\n    result = group(sigs).apply_async()\n    remember(result)\n    return result\n",
        "    app.backend.store_result(",
        "    print(",
    ),
    # settings applied inside a function still configure the app
    "CEL006": (
        "from celery import Celery\n\napp = Celery('x')\n\n\n"
        "def configure():\n    app.conf.update(task_serializer='json', accept_content=['json'], "
        "result_serializer='json', timezone='UTC', enable_utc=True, task_routes={})\n",
        "timezone='UTC', ",
        "",
    ),
    # a `setup_logging` receiver connected inside a function
    "CEL008": (
        "from celery import Celery, signals\n\napp = Celery('x')\n\n\n"
        "def quiet(**kwargs):\n    pass\n\n\ndef install():\n    signals.setup_logging.connect(quiet)\n",
        "signals.setup_logging.connect(quiet)",
        "print(quiet)",
    ),
    # whether `import sys` may be added depends on every function's use of the name
    "CEL007": (
        "def backend(path):\n    return 'file://' + path\n\n\ndef other():\n    return 1\n",
        "    return 1\n",
        "    sys = 1\n    return sys\n",
    ),
}


@pytest.mark.parametrize("code", sorted(ACROSS_FUNCTIONS))
def test_rules_that_read_other_functions_are_not_local(code):
    from celery_patterns.rules import rule_by_code

    before, old, new = ACROSS_FUNCTIONS[code]
    after = before.replace(old, new, 1)
    assert after != before
    project = Settings()

    def of_rule(found):
        return [(f, f.fixable, f.no_fix_reason) for f in found if f.code == code]

    assert of_rule(full(before, project, "m.py")) != of_rule(full(after, project, "m.py"))
    checker = BufferChecker()
    incremental(checker, before, project, "m.py")
    assert of_rule(incremental(checker, after, project, "m.py")) == of_rule(full(after, project, "m.py"))
    assert not rule_by_code(code).local


# --- CEL003: local, with a per-file decision from the project ---------------------------------
EAGER_TESTS = (
    "import pytest\n\nfrom proj.tasks import add\n\n\n"
    + "".join(f"def test_add_{i}():\n    assert add.delay(1, {i}).get() == {i + 1}\n\n\n" for i in range(20))
    + "def test_poll():\n    result = add.delay(1, 2)\n    while not result.ready():\n        pass\n\n\n"
)
FIXTURE = '@pytest.fixture\ndef celery_config():\n    return {"task_always_eager": False}\n'


def test_cel003_is_local_and_settles_the_eager_decision_per_file(tmp_path, monkeypatch):
    """CEL003 runs again only on the edited function, while whether its waits count (the
    file is a test of a service that runs tasks eagerly) is decided for the whole file on
    every version, here by an edit inside a fixture of this very file."""
    from celery_patterns.rules import rule_by_code
    from ruletest import project_of, workspace

    rule = rule_by_code("CEL003")
    assert rule.local
    root = workspace(
        tmp_path,
        {
            "requirements.txt": "celery\n",
            "proj/__init__.py": "",
            "proj/celery_app.py": 'from celery import Celery\n\napp = Celery("proj")\n',
            "proj/tasks.py": "from proj.celery_app import app\n\n\n@app.task\ndef add(x, y):\n    return x + y\n",
            "tests/test_tasks.py": EAGER_TESTS + FIXTURE,
        },
    )
    path = str(root / "tests" / "test_tasks.py")
    project = project_of(root)
    bodies: list[int] = []  # function bodies CEL003 looked at, per check (stubs are one `pass`)
    check = type(rule).check

    def counting(self, facts, settings):
        bodies.append(sum(1 for f in facts.nodes(ast.FunctionDef) if not isinstance(f.body[0], ast.Pass)))
        return check(self, facts, settings)

    monkeypatch.setattr(type(rule), "check", counting)

    def both(text):
        checked = check_source(text, path, Settings(), incremental=checker, project=project)
        assert not checked.errors, checked.errors
        whole = check_source(text, path, Settings(), project=project)
        assert same(checked.report.findings, whole.report.findings)
        return [f.range.start.line for f in checked.report.findings if f.code == "CEL003"]

    checker = BufferChecker()
    text = EAGER_TESTS + FIXTURE
    waits = both(text)
    assert len(waits) == 21  # not eager: every wait, and the loop
    eager = text.replace('"task_always_eager": False', '"task_always_eager": True')
    bodies.clear()
    assert both(eager) == [waits[-1]]  # eager now: the loop only
    assert bodies[0] == 1 and checker.reused_units == 21  # the fixture's body, not the tests'
    edited = eager.replace("add.delay(1, 3).get() == 4", "add.delay(1, 3).get() == 5")
    bodies.clear()
    assert both(edited) == [waits[-1]]
    assert bodies[0] == 1 and checker.reused_units == 21
    bodies.clear()
    assert both(edited.replace('"task_always_eager": True', '"task_always_eager": False')) == waits  # and back
    assert bodies[0] == 1 and checker.reused_units == 21


def test_a_lent_tree_does_not_move_while_the_next_version_is_checked():
    """A fix reads the facts of the last check from another thread (`lent`) while the next
    version is checked: that check parses afresh instead of moving the lent tree's lines."""
    import threading

    checker = BufferChecker()
    incremental(checker, MODULE, Settings(), "m.py")
    with checker.lent("".join(MODULE)) as facts:
        assert facts is None  # not the very string that was checked
    checked_source = MODULE
    text = MODULE.replace("handler_7(result):\n", "handler_7(result):\n    x = 1\n")  # moves what follows
    with checker.lent(checked_source) as facts:
        assert facts is not None
        last = facts.tree.body[-1]
        line = last.lineno
        done = threading.Event()
        worker = threading.Thread(target=lambda: (incremental(checker, text, Settings(), "m.py"), done.set()))
        worker.start()
        assert done.wait(30)
        assert last.lineno == line  # the lent tree stayed as it was
    worker.join()
    assert incremental(checker, text, Settings(), "m.py") == full(text, Settings(), "m.py")
    with checker.lent(checked_source) as facts:
        assert facts is None  # another version was checked since


# --- the model's summary of a buffer, made again only for the units an edit touched ----------
def _summary(text: str, tree: ast.Module, path: str):
    facts = ModuleFacts(tree, text, LineIndex(text), path, "server.module", by_unit=True)  # as a buffer's are
    return summarise(facts, Settings())


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(st.sampled_from(CASES), min_size=1, max_size=6), st.data())
def test_every_version_has_the_summary_of_a_fresh_one(cases, data):
    """The summary of each version of a buffer, parsed incrementally (unchanged statements are
    the same objects, moved), is the one made from a fresh parse with nothing kept."""
    path = f"server/summarised_{data.draw(st.integers(0, 10**9))}.py"
    text = "\n\n".join(cases)
    parser = IncrementalParser()
    for _ in range(10):
        try:
            tree = parser.parse(text, path)
        except SyntaxError:
            tree = None
        if tree is not None:
            fresh_tree = ast.parse(text)
            fresh = _Summariser(ModuleFacts(fresh_tree, text, LineIndex(text), path, "server.module"), Settings()).run()
            assert replace(_summary(text, tree, path), digest="") == fresh
        text = data.draw(edited(text))


def test_an_edit_inside_one_function_summarises_only_that_function():
    functions = "".join(f"def f{i}(r):\n    time.sleep(1)\n    return r.get()\n\n\n" for i in range(20))
    text = f"import time\n\n\n{functions}"
    parser, path = IncrementalParser(), "server/one_function.py"
    _summary(text, parser.parse(text, path), path)
    edited_text = text.replace("def f7(r):\n    time.sleep(1)", "def f7(r):\n    time.sleep(2)\n    r.wait()")
    tree = parser.parse(edited_text, path)
    summarised = []
    original = _Summariser._call
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            _Summariser, "_call", lambda self, call, *rest: (summarised.append(call), original(self, call, *rest))
        )
        summary = _summary(edited_text, tree, path)
    assert {call.lineno for call in summarised} == {40, 41, 42}  # f7's calls only (its def is on line 39)
    assert [b.text for b in summary.functions["f7"].blocks] == ["time.sleep(2)"]
    assert [b.text for b in summary.functions["f8"].blocks] == ["time.sleep(1)"]
    assert summary.functions["f8"].blocks[0].span.start.line == 45  # (0-based) moved down a line with what follows


def _described(facts: ModuleFacts) -> dict:
    """Everything a `ModuleFacts` holds, with scopes named by the node that opens them (the
    facts of one tree, made twice, name the same nodes)."""

    own = {id(s) for s in facts.scopes}

    def scope(s):
        assert id(s) in own, "a scope of other facts"  # (a scope the facts answer is one of theirs)
        return (s.kind, id(s.node))

    def bindings(found):
        return {name: [(b.kind, id(b.node), b.qualname, id(b.value)) for b in found] for name, found in found.items()}

    return {
        "by_type": {kind.__name__: [id(n) for n in nodes] for kind, nodes in facts.by_type.items() if nodes},
        "parents": {id(n): id(p) for n, p in facts._parents.items()},
        "scopes of nodes": {id(n): scope(facts.scope_of(n)) for n in facts._scopes},
        "own scopes": {id(n): scope(facts.own_scope(n)) for n in facts._own_scopes},
        "scopes": [
            (
                scope(s),
                scope(s.parent) if s.parent is not None else None,
                s.is_async,
                bindings(s.bindings),
                sorted(s.global_names),
                sorted(s.nonlocal_names),
                [id(n) for n in s.nodes],
                bindings(s.comprehension_bindings),
                s.class_comprehension,
                [scope(c) for c in s.children],
            )
            for s in facts.scopes
        ],
        "module scope": scope(facts.module_scope),
        "star imports": (facts.star_imports, [(m, id(s)) for m, s in facts._star_statements]),
        "comprehensions": {id(n): bindings(b) for n, b in facts._comprehension_bindings.items()},
        "comprehension names": sorted(facts._comprehension_names),
    }


_SELECTIONS = [
    (ast.Call, "a method call", lambda call: isinstance(call.func, ast.Attribute)),
    (ast.Name, "a short name", lambda name: len(name.id) < 4),
    (ast.FunctionDef, "decorated", lambda function: bool(function.decorator_list)),
]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(st.sampled_from(CASES), min_size=1, max_size=6), st.data())
def test_every_version_has_the_facts_of_a_fresh_walk(cases, data):
    """The facts of each version of a buffer, taking its unchanged units from the last
    version's (taking them over, or copying them), are those of a fresh walk of the same tree."""
    text = "\n\n".join(cases)
    parser = IncrementalParser()
    earlier = None
    for _ in range(10):
        try:
            tree = parser.parse(text)
        except SyntaxError:
            tree = None
        if tree is not None:
            fresh_facts = _described(ModuleFacts(tree, text))
            if earlier is not None:  # copied from them (a fork's), they stay as they were
                was = _described(earlier)
                assert _described(ModuleFacts(tree, text, earlier=earlier, take_over=False)) == fresh_facts
                assert _described(earlier) == was
            facts = ModuleFacts(tree, text, earlier=earlier, by_unit=True)
            assert _described(facts) == fresh_facts
            # what the rules ask of them, too (the resolved name of every call)
            fresh = ModuleFacts(tree, text)
            assert [facts.resolve(c.func) for c in facts.nodes(ast.Call)] == [
                fresh.resolve(c.func) for c in fresh.nodes(ast.Call)
            ]
            # what is chosen by syntax (`select`, kept with each unit): what a filter of all gives
            for kind, key, keep in _SELECTIONS:
                assert facts.select(key, keep, kind) == [n for n in fresh.nodes(kind) if keep(n)]
            both = (ast.FunctionDef, ast.AsyncFunctionDef)  # (several types: in the order `nodes` gives)
            assert facts.select("any def", bool, *both) == fresh.nodes(*both)
            # the node at a range (what a fix looks for): found in its unit alone, as in all
            for kind in (ast.Call, ast.Name, ast.Constant):
                for node in fresh.nodes(kind):
                    assert facts.node_at(fresh.range(node), kind) is fresh.node_at(fresh.range(node), kind)
            # where each unit's nodes lie among the module's: exactly the ones it holds
            for statement in tree.body:
                for kind in (ast.Call, ast.Name, ast.If):
                    where = facts.unit_slice(statement, kind)
                    inside = [n for n in facts.nodes(kind) if _holds(statement, n)]
                    if where is None:
                        assert not inside or not isinstance(statement, (*FUNCTION_NODES, ast.ClassDef))
                    else:
                        assert facts.nodes(kind)[where[0] : where[1]] == inside
            earlier = facts
        text = data.draw(edited(text))


def _holds(statement: ast.stmt, node: ast.AST) -> bool:
    """The node is written inside the statement (its decorators included)."""
    start = (first_line(statement) + 1, 0)
    return start <= (node.lineno, node.col_offset) and (node.end_lineno, node.end_col_offset) <= (
        statement.end_lineno,
        statement.end_col_offset,
    )


def test_an_edit_inside_one_function_walks_only_that_function():
    text = "import time\n\n\n" + "".join(
        f"def f{i}(r):\n    time.sleep(1)\n    return r.get()\n\n\n" for i in range(20)
    )
    parser = IncrementalParser()
    earlier = ModuleFacts(parser.parse(text), text, by_unit=True)
    before = dict(earlier._unit_facts)
    edited_text = text.replace("def f7(r):\n    time.sleep(1)", "def f7(r):\n    time.sleep(2)\n    r.wait()")
    tree = parser.parse(edited_text)
    facts = ModuleFacts(tree, edited_text, earlier=earlier)
    walked = [s.name for s in tree.body[1:] if facts._unit_facts[id(s)] is not before.get(id(s))]
    assert walked == ["f7"]
    assert facts.resolve(facts.nodes(ast.Call)[-2].func) == "time.sleep"  # f19's sleep, in a unit taken as it was
    assert facts.scope_of(tree.body[-1].body[0]).parent is facts.module_scope


HANDLERS = "import asyncio\nimport time\n\n\n" + "".join(
    f"async def handler_{i}(result):\n    # poll {i}\n    while not result.ready():\n        time.sleep(1)\n\n\n"
    for i in range(12)
)


@pytest.mark.parametrize("fixed", [2, 7, 11])
def test_a_forks_stubbed_facts_are_handed_back_and_the_next_check_is_a_full_checks(fixed):
    """A fork takes its buffer's stubbed facts over (nothing reads them while the buffer's tree
    is lent) and hands its own back: the buffer's next checks, which take their unchanged units
    from them, find what a full check finds, whatever they edit."""
    settings, path = Settings(), "server/handed.py"
    checker = BufferChecker()
    check_source(HANDLERS, path, settings, "server.module", checker)
    text = HANDLERS.replace("# poll 5", "# poll 5!")  # (an edit inside one function: stubs are made)
    checked = check_source(text, path, settings, "server.module", checker)
    taken = checker._stubbed
    assert taken is not None
    finding = [f for f in checked.report.findings if f.code == "CEL002"][fixed]
    with checker.lent(text) as facts:
        assert facts is checked.facts
        fix = compute_fix(text, finding, settings, path, "server.module", checked, verifier=checker.fork())
    assert fix == compute_fix(text, finding, settings, path, "server.module", checked)
    assert checker._stubbed is not taken  # (the fork's, handed back)
    for edited in (
        text.replace("# poll 1", "# poll 1!"),  # another function
        text.replace(f"# poll {fixed}", f"# poll {fixed}!"),  # the one the fix replaced in the fork
        text.replace("# poll 9\n", "# poll 9\n    # and a line more\n"),  # the functions below move
        text.replace("import time", "import time\nimport os"),  # module code
    ):
        assert same(incremental(checker, edited, settings, path), full(edited, settings, path))
        text = edited


@pytest.mark.parametrize("case", CASES[::3])
def test_a_fork_verifies_a_fix_as_a_full_check_does_and_leaves_the_checker_as_it_was(case):
    """An editor's quick fix is verified by checking the fixed text with a fork of the
    buffer's checker (`compute_fix(verifier=...)`): the same fixes are offered as with a full
    check, and the buffer's checker, its tree and stored findings, is left as it was."""
    settings, path = Settings(), "server/forked.py"
    checker = BufferChecker()
    checked = check_source(case, path, settings, "server.module", checker)
    if checked.facts is None:
        return
    tree = checker.parser.last_tree
    dumped = [ast.dump(s, include_attributes=True) for s in tree.body]
    for finding in [f for f in checked.report.findings if f.fixable]:
        with checker.lent(case) as facts:
            assert facts is checked.facts
            forked = compute_fix(case, finding, settings, path, "server.module", checked, verifier=checker.fork())
        assert forked == compute_fix(case, finding, settings, path, "server.module", checked)
    assert [ast.dump(s, include_attributes=True) for s in tree.body] == dumped  # (fixes adding lines too)
    edited = case + "\n\ndef added(r):\n    return r.get()\n"
    assert same(incremental(checker, edited, settings, path), full(edited, settings, path))
