"""Test code: which files are tests, and whether code sets Celery's always-eager mode.

- `is_test_path`: a file pytest or Django's runner collects or configures: under a `tests`
  or `test` directory, `test_*.py`, `*_test.py`, Django's `tests.py`, `conftest.py`.
- `sets_always_eager`: the module turns on `task_always_eager` (`CELERY_TASK_ALWAYS_EAGER`,
  the old `CELERY_ALWAYS_EAGER`): with it a dispatch runs the task in the calling process
  and returns an `EagerResult` that is already ready, so a wait on it cannot block.
- `in_eager_branch`: code that runs only when that setting is on
  (`if settings.CELERY_TASK_ALWAYS_EAGER:`).
"""

from __future__ import annotations

import ast
import os

from .facts import ModuleFacts
from .names import last_identifier

_TEST_DIRECTORIES = frozenset({"tests", "test"})
_EAGER_SUFFIX = "always_eager"  # `task_always_eager`, `CELERY_TASK_ALWAYS_EAGER`, `CELERY_ALWAYS_EAGER`
_TRUE_TEXT = frozenset({"true", "1", "yes", "on"})  # what settings loaders read as True (`conf[k] = "True"`)


def is_test_path(relative: str) -> bool:
    """`relative` (a file's path from the workspace) is test code."""
    parts = relative.replace(os.sep, "/").split("/")
    name = parts[-1]
    if any(p in _TEST_DIRECTORIES for p in parts[:-1]):
        return True
    stem = name.rsplit(".", 1)[0]
    return stem.startswith("test_") or stem.endswith("_test") or stem in ("tests", "conftest")


def sets_always_eager(facts: ModuleFacts) -> bool:
    """The module sets always-eager to true, in any of the ways settings reach Celery:
    `CELERY_TASK_ALWAYS_EAGER = True` (a settings module, also in an `if`),
    `settings.CELERY_TASK_ALWAYS_EAGER = True`, `app.conf.task_always_eager = True`,
    `app.conf["task_always_eager"] = True`, a keyword (`app.conf.update(task_always_eager=True)`,
    `@override_settings(CELERY_TASK_ALWAYS_EAGER=True)`, `Celery(..., task_always_eager=True)`),
    a dict entry (`{"task_always_eager": True}`, as a pytest `celery_config` fixture returns),
    or a name and value handed over (`setattr(app.conf, "task_always_eager", True)`,
    `monkeypatch.setattr(settings, "CELERY_ALWAYS_EAGER", True)`)."""
    source = facts.source
    if "always_eager" not in source and "ALWAYS_EAGER" not in source:
        return False
    for node in facts.nodes(ast.Assign, ast.AnnAssign, ast.keyword, ast.Dict, ast.Call):
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if _true(node.value) and any(_names_eager(_key_of(t)) for t in targets):
                return True
        elif isinstance(node, ast.keyword):
            if _names_eager(node.arg) and _true(node.value):
                return True
        elif isinstance(node, ast.Dict):
            if any(_names_eager(_text(k)) and _true(v) for k, v in zip(node.keys, node.values)):
                return True
        elif isinstance(node, ast.Call) and any(
            _names_eager(_text(a)) and _true(b) for a, b in zip(node.args, node.args[1:])
        ):
            return True
    return False


def _key_of(target: ast.AST) -> str | None:
    """The setting an assignment target names: `X`, `a.b.X`, `conf["X"]`."""
    return _text(target.slice) if isinstance(target, ast.Subscript) else last_identifier(target)


def _text(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _names_eager(key: str | None) -> bool:
    return key is not None and key.lower().endswith(_EAGER_SUFFIX)


def _true(value: ast.AST | None) -> bool:
    if not isinstance(value, ast.Constant):
        return False
    if isinstance(value.value, str):
        return value.value.strip().lower() in _TRUE_TEXT
    return value.value is True or (type(value.value) is int and value.value == 1)


def in_eager_branch(facts: ModuleFacts, node: ast.AST) -> bool:
    """`node` runs only when always-eager is on: in the body of `if
    settings.CELERY_TASK_ALWAYS_EAGER:` (`app.conf.task_always_eager`,
    `conf["task_always_eager"]`, `getattr(settings, "CELERY_ALWAYS_EAGER", False)`, one
    operand of an `and`), or the true side of such an `x if ... else y`, in its scope."""
    child = node
    for ancestor in facts.ancestors(node):
        if isinstance(ancestor, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            return False
        if isinstance(ancestor, ast.If) and child in ancestor.body and _tests_eager(ancestor.test):
            return True
        if isinstance(ancestor, ast.IfExp) and child is ancestor.body and _tests_eager(ancestor.test):
            return True
        child = ancestor
    return False


def _tests_eager(test: ast.AST) -> bool:
    if isinstance(test, ast.BoolOp):
        return isinstance(test.op, ast.And) and any(_tests_eager(v) for v in test.values)
    if isinstance(test, ast.Call) and isinstance(test.func, ast.Name) and test.func.id == "getattr":
        return len(test.args) >= 2 and _names_eager(_text(test.args[1]))
    if isinstance(test, (ast.Name, ast.Attribute, ast.Subscript)):
        return _names_eager(_key_of(test))
    return False
