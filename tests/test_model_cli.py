"""The project model on the command line: a check of one file knows the whole workspace, and
the summaries cache (`.celery-patterns-cache/`) recomputes only what changed."""

from __future__ import annotations

import json
import os

import pytest

from celery_patterns.cli import main
from celery_patterns.model import build
from celery_patterns.model.cache import DIRECTORY
from ruletest import workspace

FILES = {
    "server/requirements.txt": "celery\n",
    "server/app/__init__.py": "",
    "server/app/celery_app.py": 'from celery import Celery\n\napp = Celery("server")\n',
    "server/app/jobs.py": """
    from app.celery_app import app

    def ingest(path):
        return app.send_task("rag.ingest_fle", args=[path])

    def search(query):
        return app.send_task("rag.search", args=[query, 10])
    """,
    "rag/requirements.txt": "celery\n",
    "rag/celery_app.py": 'from celery import Celery\n\napp = Celery("rag")\n',
    "rag/tasks.py": """
    from celery_app import app

    @app.task(name="rag.ingest_file")
    def ingest_file(path):
        return path

    @app.task(name="rag.search")
    def search(query):
        return []
    """,
}
MODEL_RULES = "CEL012,CEL013,CEL014,CEL015,CEL016"


@pytest.fixture
def repo(tmp_path, monkeypatch):
    root = workspace(tmp_path, FILES)
    (root / ".git").mkdir()
    monkeypatch.chdir(root)
    return root


def check(capsys, *argv: str) -> list[tuple[str, int, str]]:
    main(["check", "--format", "json", "--select", MODEL_RULES, "-j", "1", *argv])
    out, _ = capsys.readouterr()
    return [(item["path"], item["line"], item["code"]) for item in json.loads(out)]


@pytest.fixture
def summarised(monkeypatch):
    """The paths of the modules a run summarises (from the facts of their parse)."""
    done: list[str] = []
    original = build.summarise_facts

    def recording(facts, settings):
        done.append(os.path.abspath(facts.path))
        return original(facts, settings)

    monkeypatch.setattr(build, "summarise_facts", recording)
    return done


def relative(root, paths):
    return sorted(str(p).replace(str(root) + "/", "") for p in paths)


def test_one_file_is_checked_against_the_whole_workspace(repo, capsys):
    expected = [("server/app/jobs.py", 4, "CEL012"), ("server/app/jobs.py", 7, "CEL013")]
    assert check(capsys, "server/app/jobs.py") == expected
    assert check(capsys, ".") == expected


def test_one_file_from_inside_a_service(repo, capsys, monkeypatch):
    # the workspace is where `.git` is, not the service the check runs in
    monkeypatch.chdir(repo / "server")
    assert check(capsys, "app/jobs.py") == [("app/jobs.py", 4, "CEL012"), ("app/jobs.py", 7, "CEL013")]


def test_without_the_workspace_the_worker_is_unknown(repo, capsys):
    # `--workspace server`: the model holds the server alone, and sending to `rag` is not judged
    assert check(capsys, "--workspace", "server", "server/app/jobs.py") == []


def test_second_run_summarises_nothing_and_an_edit_only_that_file(repo, capsys, summarised):
    first = check(capsys, "server/app/jobs.py")
    assert relative(repo, summarised) == sorted(p for p in FILES if p.endswith(".py"))
    cache = repo / DIRECTORY
    assert (cache / ".gitignore").read_text().splitlines()[-1] == "*"
    entries = json.loads((cache / "summaries.json").read_text())["entries"]
    assert len(entries) == len([p for p in FILES if p.endswith(".py")])

    summarised.clear()
    assert check(capsys, "server/app/jobs.py") == first
    assert summarised == []

    tasks = repo / "rag/tasks.py"
    tasks.write_text(tasks.read_text().replace('name="rag.ingest_file"', 'name="rag.ingest_fle"'))
    assert check(capsys, "server/app/jobs.py") == [("server/app/jobs.py", 7, "CEL013")]
    assert relative(repo, summarised) == ["rag/tasks.py"]

    summarised.clear()
    assert check(capsys, "--no-cache", "server/app/jobs.py") == [("server/app/jobs.py", 7, "CEL013")]
    assert len(summarised) == len(entries)


def test_the_cache_keeps_only_entries_in_use(repo, capsys, summarised):
    check(capsys, ".")
    (repo / "rag/tasks.py").write_text("from celery_app import app\n")
    check(capsys, ".")
    entries = json.loads((repo / DIRECTORY / "summaries.json").read_text())["entries"]
    assert len(entries) == len([p for p in FILES if p.endswith(".py")])


@pytest.mark.parametrize(
    "content",
    [b"not json", b'{"version": "0", "entries": {"x": 1}}', b"[1, 2]", b'{"version": null}'],
)
def test_an_unreadable_cache_is_rebuilt(repo, capsys, summarised, content):
    check(capsys, ".")
    (repo / DIRECTORY / "summaries.json").write_bytes(content)
    summarised.clear()
    assert check(capsys, "server/app/jobs.py") == [
        ("server/app/jobs.py", 4, "CEL012"),
        ("server/app/jobs.py", 7, "CEL013"),
    ]
    assert len(summarised) == len([p for p in FILES if p.endswith(".py")])


def test_a_cache_entry_of_another_shape_is_summarised_again(repo, capsys, summarised):
    check(capsys, ".")
    path = repo / DIRECTORY / "summaries.json"
    data = json.loads(path.read_text())
    data["entries"] = {key: {"@": "ModuleSummary"} for key in data["entries"]}
    path.write_text(json.dumps(data))
    summarised.clear()
    # While every finding is in the results cache, no summary is read at all:
    assert check(capsys, "server/app/jobs.py") == [
        ("server/app/jobs.py", 4, "CEL012"),
        ("server/app/jobs.py", 7, "CEL013"),
    ]
    assert summarised == []
    # ... once the model is needed, every entry it cannot read is summarised again.
    (repo / DIRECTORY / "results.json").unlink()
    assert check(capsys, "server/app/jobs.py") == [
        ("server/app/jobs.py", 4, "CEL012"),
        ("server/app/jobs.py", 7, "CEL013"),
    ]
    assert len(summarised) == len([p for p in FILES if p.endswith(".py")])


def test_the_check_reuses_the_summaries_the_model_holds(repo, capsys, monkeypatch):
    from celery_patterns.engine import run as engine_run

    again: list[str] = []
    original = engine_run.summarise

    def recording(facts, settings=None):
        again.append(facts.path)
        return original(facts, settings)

    monkeypatch.setattr(engine_run, "summarise", recording)
    assert check(capsys, ".") == [("server/app/jobs.py", 4, "CEL012"), ("server/app/jobs.py", 7, "CEL013")]
    assert again == []  # every file's text is the one the model summarised
