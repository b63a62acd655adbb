"""A file written for a newer Python than the one running celery-patterns is not a syntax
error: one CEL000 warning names the version it needs and the feature; an ordinary syntax
error stays an error. Expectations follow the running Python (`make test-pythons`)."""

from __future__ import annotations

import json
import sys

import pytest

from test_cli import BLOCKING, run, write

RUNNING = f"{sys.version_info.major}.{sys.version_info.minor}"

# (source, the version that first reads it, words of the feature's name)
NEWER = {
    "type_statement": ("type Seconds = float\n", (3, 12), "`type` statement (PEP 695)"),
    "generic_function": ("def first[T](items: list[T]) -> T:\n    return items[0]\n", (3, 12), "PEP 695"),
    "generic_class": ("class Box[T]:\n    item: T\n", (3, 12), "PEP 695"),
    "type_parameter_default": ("def f[T = int](x: T) -> T:\n    return x\n", (3, 13), "PEP 696"),
    "fstring_quotes": ('names = {"a": 1}\nlabel = f"{names["a"]}"\n', (3, 12), "PEP 701"),
    "fstring_in_a_dict": ('names = {"a": 1}\nd = {\n    "k": f"{names["a"]}",\n}\n', (3, 12), "PEP 701"),
    "fstring_backslash": ('words = ["a"]\nline = f"{"\\n".join(words)}"\n', (3, 12), "PEP 701"),
    "except_without_parentheses": (
        "try:\n    pass\nexcept ValueError, TypeError:\n    pass\n",
        (3, 14),
        "PEP 758",
    ),
    "template_string": ('name = "x"\ngreeting = t"hello {name}"\n', (3, 14), "PEP 750"),
}

ERRORS = {
    "unclosed": "def f(:\n    pass\n",
    "except_as_without_parentheses": "try:\n    pass\nexcept ValueError, TypeError as e:\n    pass\n",
    "broken_fstring": 'x = f"{"\n',
    "type_as_a_name_then_garbage": "type = 1\ntype x y\n",
}


@pytest.fixture
def tree(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, {"pyproject.toml": "[tool.celery-patterns]\n"})
    return tmp_path


@pytest.mark.parametrize("name", NEWER)
def test_newer_syntax_is_a_warning_naming_the_version(tree, capsys, name):
    source, needs, feature = NEWER[name]
    # After the newer syntax, a finding the check would report if it could read the file.
    write(tree, {"new.py": source + "\n\n" + BLOCKING})
    code, out, _ = run(capsys, "check", "--no-cache", "--format", "json", "new.py")
    items = json.loads(out)
    if sys.version_info >= needs:
        assert [i["code"] for i in items] == ["CEL002"], items
        assert code == 1
        return
    (item,) = items
    assert item["code"] == "CEL000" and item["severity"] == "warning", item
    version = ".".join(map(str, needs))
    assert item["message"].startswith(f"this file needs Python {version} (")
    assert feature in item["message"] and item["message"].endswith(f"celery-patterns runs on {RUNNING}")
    assert code == 1


@pytest.mark.parametrize("name", ERRORS)
def test_an_ordinary_syntax_error_stays_an_error(tree, capsys, name):
    write(tree, {"broken.py": ERRORS[name]})
    code, out, _ = run(capsys, "check", "--no-cache", "--format", "json", "broken.py")
    (item,) = json.loads(out)
    assert item["code"] == "CEL000" and item["severity"] == "error", item
    assert item["message"].startswith("syntax error: ")
    assert code == 1
