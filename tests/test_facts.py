"""Name resolution on the syntax tree: aliases, assignments, scopes, shadowing."""

import ast
import textwrap

import pytest

from celery_patterns.facts import ModuleFacts


def resolved_calls(source: str) -> dict[str, str | None]:
    source = textwrap.dedent(source)
    facts = ModuleFacts(ast.parse(source), source)
    return {ast.unparse(c): facts.resolve(c.func) for c in facts.nodes(ast.Call)}


@pytest.mark.parametrize("source,call,expected", [
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
    ("try:\n    import simplejson as json\nexcept ImportError:\n    import simplejson as json\njson.dumps(1)",
     "json.dumps(1)", "simplejson.dumps"),
    ("for time in range(3):\n    time.sleep(1)", "time.sleep(1)", None),
    ("import time\nwith open('x') as time:\n    time.sleep(1)", "time.sleep(1)", None),
    ("import time\ntry:\n    pass\nexcept Exception as time:\n    time.sleep(1)", "time.sleep(1)", None),
    ("import time\nlambda time: time.sleep(1)", "time.sleep(1)", None),
    # `global` at module level is legal and changes nothing (a lookup once looped on it forever)
    ("global time\nimport time\ntime.sleep(1)", "time.sleep(1)", "time.sleep"),
])
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
    values = [facts.string_value(c.args[0]) for c in facts.nodes(ast.Call)]
    assert values == ["rag.tasks", "rag.", "a"]
