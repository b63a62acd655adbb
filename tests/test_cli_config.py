"""Configuration as the command line reads it: every malformed file is exit 2 with a message
(never a traceback), the search stops at the repository root, `--config` replaces the search,
and `task-name-template` can only make a plain task name."""

from __future__ import annotations

import json

import pytest

from celery_patterns import config
from test_cli import BLOCKING, run, write


@pytest.fixture
def tree(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config.forget_cached_files()
    write(tmp_path, {"app/poll.py": BLOCKING})
    yield tmp_path
    config.forget_cached_files()


@pytest.mark.parametrize(
    "content,needle",
    [
        (b'[tool.celery-patterns]\nselect = ["CEL\xff"]\n', "not UTF-8"),
        (b"tool = 5\n# [tool.celery-patterns] lives elsewhere\n", "`tool` must be a table"),
        (b'[[tool.celery-patterns]]\nselect = ["CEL002"]\n', "must be a table"),
        (b"[tool]\ncelery-patterns = 5\n", "must be a table"),
    ],
    ids=["non-utf8", "tool-is-int", "array-of-tables", "section-is-int"],
)
def test_malformed_pyproject_is_exit_2_without_traceback(tree, capsys, content, needle):
    (tree / "pyproject.toml").write_bytes(content)
    code, out, err = run(capsys, "check", "app")
    assert code == 2, err
    assert needle in err and "Traceback" not in err and out == ""


def test_dotted_and_inline_sections_are_found(tree, capsys):
    (tree / "pyproject.toml").write_text('[tool]\n"celery-patterns" = { ignore = ["CEL002"] }\n')
    assert run(capsys, "check", "app")[0] == 0
    (tree / "pyproject.toml").write_text('tool.celery-patterns.ignore = ["CEL002"]\n')
    config.forget_cached_files()
    assert run(capsys, "check", "app")[0] == 0


def test_a_pyproject_that_does_not_mention_us_is_not_read(tree, capsys):
    (tree / "pyproject.toml").write_bytes(b"[project\nname = \xff\n")  # broken, but not ours
    assert run(capsys, "check", "app")[0] == 1


def test_search_stops_at_the_repository_root(tmp_path, monkeypatch, capsys):
    """A pyproject.toml in a directory holding several checkouts governs none of them."""
    write(
        tmp_path,
        {
            "pyproject.toml": '[tool.celery-patterns]\nselect = ["CEL9"]\n',  # invalid: would exit 2
            "checkout/app/poll.py": BLOCKING,
        },
    )
    (tmp_path / "checkout" / ".git").mkdir()
    monkeypatch.chdir(tmp_path / "checkout")
    config.forget_cached_files()
    code, out, err = run(capsys, "check", "app")
    assert code == 1 and "CEL002" in out, err
    # Without .git the parent's configuration applies (and is invalid here).
    (tmp_path / "checkout" / ".git").rmdir()
    config.forget_cached_files()
    assert run(capsys, "check", "app")[0] == 2


def test_the_repository_roots_own_pyproject_counts(tmp_path, monkeypatch, capsys):
    write(tmp_path, {"pyproject.toml": '[tool.celery-patterns]\nignore = ["CEL002"]\n', "app/poll.py": BLOCKING})
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    config.forget_cached_files()
    assert run(capsys, "check", "app")[0] == 0


# --- --config ----------------------------------------------------------------------------------
def test_config_flag_with_a_table_file_replaces_discovery(tree, capsys):
    write(tree, {"pyproject.toml": '[tool.celery-patterns]\nselect = ["CEL9"]\n'})  # never read
    write(tree, {"ci/celery-patterns.toml": 'ignore = ["CEL002"]\n'})
    code, _, err = run(capsys, "check", "--config", "ci/celery-patterns.toml", "app")
    assert code == 0, err


def test_config_flag_with_a_pyproject(tree, capsys):
    write(tree, {"other/pyproject.toml": '[tool.celery-patterns.severity]\nCEL002 = "low"\n'})
    _, out, _ = run(capsys, "check", "--config", "other/pyproject.toml", "--format", "json", "app")
    assert json.loads(out)[0]["severity"] == "information"


def test_config_flag_errors_are_exit_2(tree, capsys):
    assert run(capsys, "check", "--config", "missing.toml", "app")[0] == 2
    write(tree, {"bad.toml": 'select = ["NOPE1"]\n'})
    code, _, err = run(capsys, "check", "--config", "bad.toml", "app")
    assert code == 2 and "unknown rule code" in err


def test_config_flag_reaches_worker_processes(tree, capsys):
    write(tree, {f"many/m{i}.py": BLOCKING for i in range(20)})
    write(tree, {"only.toml": 'ignore = ["CEL002"]\n'})
    code, out, err = run(capsys, "check", "--config", "only.toml", "--jobs", "2", "--format", "json", "many")
    assert code == 0 and json.loads(out) == [], err


# --- task-name-template -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "template",
    [
        '{name}")\\nimport os',
        "{package}.{name}'",
        "{name} x",
        "{name}{name!r}",
        "{name}{{x}}",
        "tasks/{name}",
        "ü.{name}",
    ],
)
def test_task_name_template_must_make_a_plain_name(tree, capsys, template):
    (tree / "pyproject.toml").write_text(
        "[tool.celery-patterns]\ntask-name-template = " + json.dumps(template) + "\n", encoding="utf-8"
    )
    code, _, err = run(capsys, "check", "app")
    assert code == 2 and "task-name-template" in err and "plain dotted task name" in err


@pytest.mark.parametrize(
    "template", ["{package}.{name}", "{module}.{name}", "app:{package}.tasks.{name}", "v-2.{name}"]
)
def test_task_name_template_plain_names_are_accepted(tree, capsys, template):
    (tree / "pyproject.toml").write_text(f'[tool.celery-patterns]\ntask-name-template = "{template}"\n')
    assert run(capsys, "check", "app")[0] == 1
