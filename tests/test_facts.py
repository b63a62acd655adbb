"""Name resolution on the syntax tree: aliases, assignments, scopes, shadowing."""

import ast
import keyword
import textwrap

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from celery_patterns.analysis.facts import ModuleFacts
from celery_patterns.analysis.strings import leading_text, literal_string
from celery_patterns.source import LineIndex


def resolved_calls(source: str) -> dict[str, str | None]:
    source = textwrap.dedent(source)
    facts = ModuleFacts(ast.parse(source), source)
    return {ast.unparse(c): facts.resolve(c.func) for c in facts.nodes(ast.Call)}


@pytest.mark.parametrize(
    "source,call,expected",
    [
        ("import time as t\nt.sleep(1)", "t.sleep(1)", "time.sleep"),
        ("from time import sleep as nap\nnap(1)", "nap(1)", "time.sleep"),
        ("import time\nnap = time.sleep\nnap(1)", "nap(1)", "time.sleep"),
        ("import os.path\nos.path.join('a')", "os.path.join('a')", "os.path.join"),
        ("import celery.states as s\nprint(s.SUCCESS)", "print(s.SUCCESS)", "builtins.print"),
        ("def f(time):\n    time.sleep(1)", "time.sleep(1)", None),
        ("import time\ndef f():\n    time = 3\n    time.sleep(1)", "time.sleep(1)", None),
        ("import time\ndef f():\n    time.sleep(1)\n    time = 3", "time.sleep(1)", None),
        ("import time\nclass C:\n    time = 1\n    def m(self):\n        time.sleep(1)", "time.sleep(1)", "time.sleep"),
        ("time = 1\ndef f():\n    global time\n    import time\n    time.sleep(1)", "time.sleep(1)", None),
        ("def f():\n    import time as tm\n    def g():\n        tm.sleep(1)", "tm.sleep(1)", "time.sleep"),
        ("from . import rag\nrag.go()", "rag.go()", ".rag.go"),
        ("from .rag import go\ngo()", "go()", ".rag.go"),
        (
            "try:\n    import simplejson as json\nexcept ImportError:\n    import simplejson as json\njson.dumps(1)",
            "json.dumps(1)",
            "simplejson.dumps",
        ),
        ("for time in range(3):\n    time.sleep(1)", "time.sleep(1)", None),
        ("import time\nwith open('x') as time:\n    time.sleep(1)", "time.sleep(1)", None),
        ("import time\ntry:\n    pass\nexcept Exception as time:\n    time.sleep(1)", "time.sleep(1)", None),
        ("import time\nlambda time: time.sleep(1)", "time.sleep(1)", None),
        # `global` at module level is legal and changes nothing (a lookup once looped on it forever)
        ("global time\nimport time\ntime.sleep(1)", "time.sleep(1)", "time.sleep"),
    ],
)
def test_resolve(source, call, expected):
    assert resolved_calls(source)[call] == expected


def test_scopes_and_async():
    source = "async def a():\n    def b():\n        x()\n    y()\n    lambda: z()\n"
    facts = ModuleFacts(ast.parse(source), source)
    scope_of = {ast.unparse(c): facts.scope_of(c) for c in facts.nodes(ast.Call)}
    assert scope_of["y()"].is_async and scope_of["y()"].name == "a"
    assert not scope_of["x()"].is_async and scope_of["x()"].name == "b"
    assert scope_of["z()"].kind == "lambda"


def test_string_value():
    source = "name = 'rag.tasks'\nf(name)\nf(f'rag.{x}')\nf('a' + b)\n"
    facts = ModuleFacts(ast.parse(source), source)
    values = [leading_text(facts, c.args[0]) for c in facts.nodes(ast.Call)]
    assert values == ["rag.tasks", "rag.", "a"]


# --- comprehensions: their `for` targets exist only inside them -----------------------------
@pytest.mark.parametrize(
    "source,call,expected",
    [
        # the adversarial case: a comprehension variable does not shadow the module elsewhere
        (
            "import time\nasync def f(names):\n    labels = [time for time in names]\n    time.sleep(1)",
            "time.sleep(1)",
            "time.sleep",
        ),
        ("import time\nlabels = {time: 1 for time in names}\ntime.sleep(1)", "time.sleep(1)", "time.sleep"),
        (
            "import time\ndef f(names):\n    g = (t for (a, *time) in names)\n    time.sleep(1)",
            "time.sleep(1)",
            "time.sleep",
        ),
        # inside the comprehension the variable is what the name means
        ("import time\ndef f(names):\n    return [time.sleep(1) for time in names]", "time.sleep(1)", None),
        ("import time\ndef f(names):\n    return {k: time.sleep(1) for k, time in names}", "time.sleep(1)", None),
        ("import time\ndef f(names):\n    return [x for time in names if time.sleep(1)]", "time.sleep(1)", None),
        ("import time\ndef f(names):\n    return [x for time in names for x in time.sleep(1)]", "time.sleep(1)", None),
        # ... and in a nested comprehension or lambda, unless a lambda parameter hides it again
        (
            "import time\ndef f(names):\n    return [[time.sleep(1) for _ in y] for time in names]",
            "time.sleep(1)",
            None,
        ),
        ("import time\ndef f(names):\n    return [lambda: time.sleep(1) for time in names]", "time.sleep(1)", None),
        (
            "import time\ndef f(names):\n    return [lambda time=time: time.sleep(1) for _ in names]",
            "time.sleep(1)",
            None,
        ),
        # the first iterable is evaluated outside the comprehension
        ("import time\ndef f():\n    return [x for time in time.sleep(1)]", "time.sleep(1)", "time.sleep"),
        (
            "import time\ndef f(names):\n    return [[x for x in time.sleep(1)] for time in names]",
            "time.sleep(1)",
            None,
        ),
        # a walrus binds in the enclosing function, as Python does
        ("import time\ndef f(names):\n    [(time := n) for n in names]\n    time.sleep(1)", "time.sleep(1)", None),
        # a comprehension in a class body does not see the class's names
        (
            "import time\nclass C:\n    time = 1\n    calls = [time.sleep(1) for _ in range(3)]",
            "time.sleep(1)",
            "time.sleep",
        ),
        ("import time\nclass C:\n    time = 1\n    time.sleep(1)", "time.sleep(1)", None),
        ("import time\nclass C:\n    time = 1\n    calls = [x for x in time.sleep(1)]", "time.sleep(1)", None),
    ],
)
def test_resolve_with_comprehensions(source, call, expected):
    assert resolved_calls(source)[call] == expected


def facts_and_names(source: str):
    source = textwrap.dedent(source)
    facts = ModuleFacts(ast.parse(source), source)
    return facts, [n for n in facts.nodes(ast.Name) if isinstance(n.ctx, ast.Load)]


def test_lookup_of_comprehension_targets():
    facts, names = facts_and_names("""
        def f(results):
            ids = [r.id for r in results]
            return r
        """)
    inside, outside = [n for n in names if n.id == "r"]
    scope = facts.scope_of(inside)
    assert "r" not in scope.bindings
    where, [binding] = facts.lookup("r", scope, inside)
    assert where is scope and binding.kind == "other" and binding.node.lineno == 3
    assert facts.lookup("r", scope, outside) is None
    # without a position, a comprehension's target is found only when nothing else is bound
    assert facts.lookup("r", scope)[1] == [binding]


def test_lookup_without_position_prefers_other_bindings():
    facts, names = facts_and_names("""
        import time
        def f(names):
            labels = [time for time in names]
            time.sleep(1)
        """)
    use = [n for n in names if n.id == "time"][-1]
    where, [binding] = facts.lookup("time", facts.scope_of(use))
    assert where is facts.module_scope and binding.kind == "import"


def test_string_value_of_a_comprehension_variable():
    source = "name = 'rag.tasks'\nf(name)\n[f(name) for name in others]\n"
    facts = ModuleFacts(ast.parse(source), source)
    values = [leading_text(facts, c.args[0]) for c in facts.nodes(ast.Call)]
    assert values == ["rag.tasks", None]
    assert [literal_string(facts, c.args[0]) for c in facts.nodes(ast.Call)] == ["rag.tasks", None]


# --- star imports -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "source,call,expected",
    [
        ("from time import *\nasync def f():\n    sleep(1)", "sleep(1)", "time.sleep"),
        ("from asyncio import *\nasync def f():\n    await sleep(1)", "sleep(1)", "asyncio.sleep"),
        ("from celery import *\ngroup(sigs)", "group(sigs)", "celery.group"),
        ("from celery.states import *\nf(READY_STATES, FAILURE)", "f(READY_STATES, FAILURE)", "builtins.f"),
        ("from celery.result import *\nAsyncResult(x)", "AsyncResult(x)", "celery.result.AsyncResult"),
        (
            "from celery.signals import *\nsetup_logging.connect(h)",
            "setup_logging.connect(h)",
            "celery.signals.setup_logging.connect",
        ),
        # the later star import of a module exporting the name wins
        ("from asyncio import *\nfrom time import *\nsleep(1)", "sleep(1)", "time.sleep"),
        # what the module does not export stays unbound; so does all of an unknown module
        ("from celery import *\nAsyncResult(x)", "AsyncResult(x)", "builtins.AsyncResult"),
        ("from mylib import *\nsleep(1)", "sleep(1)", "builtins.sleep"),
        # a real binding hides the star import, and module-level code before it does not see it
        ("from time import *\ndef f(sleep):\n    sleep(1)", "sleep(1)", None),
        ("from time import *\nfrom trio import sleep\nsleep(1)", "sleep(1)", "trio.sleep"),
        ("sleep(1)\nfrom time import *", "sleep(1)", "builtins.sleep"),
        ("def f():\n    sleep(1)\nfrom time import *", "sleep(1)", "time.sleep"),
    ],
)
def test_resolve_after_star_imports(source, call, expected):
    assert resolved_calls(source)[call] == expected


def test_star_imported_states():
    source = "from celery.states import *\nx = (READY_STATES, FAILURE, PENDINGS)\n"
    facts = ModuleFacts(ast.parse(source), source)
    names = [n for n in facts.nodes(ast.Name) if isinstance(n.ctx, ast.Load)]
    assert [facts.resolve(n) for n in names] == [
        "celery.states.READY_STATES",
        "celery.states.FAILURE",
        "builtins.PENDINGS",
    ]
    assert facts.star_imports == ["celery.states"]


# --- the text of a call, written as `ast.unparse` writes it --------------------------------------
_ATOMS = st.one_of(
    st.from_regex(r"[a-z_][a-z0-9_]{0,6}(\.[a-z_][a-z0-9_]{0,4}){0,2}", fullmatch=True).filter(
        lambda s: not any(keyword.iskeyword(part) for part in s.split("."))
    ),
    st.integers(-(10**20), 10**20).map(repr),
    st.floats(allow_nan=False).map(repr),
    st.text(max_size=8).map(repr),
    st.sampled_from(["None", "True", "False", "b'x'", "1j", "1e400", "0x1F", "1_000", "f'{a}'", "(1, 2)", "[a]"]),
    st.sampled_from(["a()", "-x", "x[0]", "*args", "**kw", "lambda: 0", "'a' 'b'", '"""doc"""', "'\\t'"]),
)


@given(
    func=st.sampled_from(["f", "time.sleep", "a.b.c", "result.get"]),
    arguments=st.lists(_ATOMS, max_size=4),
    keywords=st.lists(
        st.tuples(st.sampled_from(["timeout", "k", "x_1"]), _ATOMS), max_size=3, unique_by=lambda kv: kv[0]
    ),
)
@hypothesis_settings(max_examples=300, deadline=None)
def test_the_text_of_a_call_is_what_unparse_writes(func, arguments, keywords):
    """Texts of calls go into messages and the model's summaries: the fast path for plain
    arguments must write exactly what `ast.unparse` writes."""
    keywords = [(k, v) for k, v in keywords if not v.startswith("*")]
    source = f"{func}({', '.join([*arguments, *(f'{k}={v}' for k, v in keywords)])})\n"
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return  # (`f(**kw, x)` and the like)
    call = tree.body[0].value
    facts = ModuleFacts(tree, source, LineIndex(source), "m.py", "m")
    assert facts.text(call) == ast.unparse(call)
