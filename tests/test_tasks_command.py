"""`celery-patterns tasks`: the workspace's tasks one a line, as JSON and as a Mermaid diagram."""

from __future__ import annotations

import json

import pytest

from celery_patterns.cli import main
from ruletest import workspace

FILES = {
    "server/pyproject.toml": "[project]\nname = 'server'\n",
    "server/api/__init__.py": "",
    "server/api/celery_app.py": 'from celery import Celery\n\napp = Celery("server")\n',
    "server/api/routes.py": """
    from celery import signature

    from api.celery_app import app


    def ingest(path):
        return signature("rag.ingest_file", args=[path, "db"], app=app).apply_async()


    def search(query):
        return app.send_task("rag.search", args=[query])
    """,
    "rag/requirements.txt": "celery\n",
    "rag/rag/__init__.py": "",
    "rag/rag/celery_app.py": """
    from celery import Celery

    app = Celery("rag")
    app.conf.task_routes = {"rag.ingest_file": {"queue": "ingest"}}
    """,
    "rag/rag/tasks.py": '''
    from rag.celery_app import app


    @app.task(name="rag.ingest_file", bind=True)
    def ingest_file(self, path, database, *, chunk_size=512):
        """Split a file into chunks and store them.

        More detail that the listing leaves out.
        """
        return path


    @app.task(name="rag.search")
    def search(query, limit=10):
        return []


    @app.task
    def reindex(*paths, **options):
        search.delay("x")
    ''',
}


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def repo(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()
    return workspace(tmp_path, FILES)


def test_text_lists_each_task_with_its_queue_service_place_and_senders(repo, capsys):
    code, out, _ = run(capsys, "tasks", "--no-cache")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == (
        "rag.ingest_file(path, database, *, chunk_size=...)  queue=ingest  service=rag  rag/rag/tasks.py:5"
    )
    assert lines[1] == "    <- server/api/routes.py:7 (signature)"
    assert lines[2] == "rag.search(query, limit=...)  queue=celery  service=rag  rag/rag/tasks.py:14"
    # sent by name from the server and directly from inside the rag service
    assert sorted(lines[3:5]) == ["    <- rag/rag/tasks.py:20 (delay)", "    <- server/api/routes.py:11 (send_task)"]
    assert lines[5] == "rag.tasks.reindex(*paths, **options)  queue=celery  service=rag  rag/rag/tasks.py:19"
    assert len(lines) == 6


def test_json_gives_one_object_per_task(repo, capsys):
    code, out, _ = run(capsys, "tasks", "--no-cache", "--format", "json")
    assert code == 0
    tasks = {t["name"]: t for t in json.loads(out)}
    assert set(tasks) == {"rag.ingest_file", "rag.search", "rag.tasks.reindex"}
    ingest = tasks["rag.ingest_file"]
    assert ingest == {
        "name": "rag.ingest_file",
        "service": "rag",
        "path": "rag/rag/tasks.py",
        "line": 5,
        "parameters": ["path", "database", "chunk_size"],  # `self` of the bound task is not passed
        "queue": "ingest",
        "dispatches": [{"path": "server/api/routes.py", "line": 7, "method": "signature"}],
    }
    assert tasks["rag.tasks.reindex"]["dispatches"] == []


def test_mermaid_groups_tasks_by_service_and_queue_with_arrows_from_senders(repo, capsys):
    code, out, _ = run(capsys, "tasks", "--no-cache", "--format", "mermaid")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "flowchart LR"
    assert sum(line.strip().startswith("subgraph") for line in lines) == 3  # the rag service, two queues
    assert any('["service rag"]' in line for line in lines)
    assert any('["queue ingest"]' in line for line in lines)
    assert any('["queue celery"]' in line for line in lines)
    arrows = [line for line in lines if "-->" in line]
    assert len(arrows) == 3
    assert any(line.strip().startswith("m") and '["server/api/routes.py"]' in line for line in arrows)
    assert sum(line.count("subgraph") for line in lines) == sum(line.strip() == "end" for line in lines)


def test_paths_narrow_the_listing_to_the_tasks_defined_there(repo, capsys):
    code, out, _ = run(capsys, "tasks", "--no-cache", "--format", "json", "server")
    assert code == 0
    assert json.loads(out) == []  # the server sends tasks but defines none
    code, out, _ = run(capsys, "tasks", "--no-cache", "--format", "json", "rag/rag/tasks.py")
    assert len(json.loads(out)) == 3


def test_a_workspace_without_tasks_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    workspace(tmp_path, {"m.py": "print('hello')\n"})
    code, out, _ = run(capsys, "tasks", "--no-cache")
    assert code == 0
    assert out.strip() == "No Celery tasks found in the workspace."


def test_a_missing_path_is_an_error(repo, capsys):
    code, _, err = run(capsys, "tasks", "nowhere")
    assert code == 2
    assert "nowhere" in err


def test_mermaid_labels_cannot_break_the_diagram(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    workspace(
        tmp_path,
        {
            "w.py": """
            from celery import Celery

            app = Celery("w")

            @app.task(name='w.say["hi"]<now>')
            def say():
                pass
            """
        },
    )
    code, out, _ = run(capsys, "tasks", "--no-cache", "--format", "mermaid")
    assert code == 0
    label_line = next(line for line in out.splitlines() if "w.say" in line)
    assert label_line.count('"') == 2 and "<" not in label_line and "[" not in label_line.split('["', 1)[1]


def test_tasks_whose_name_or_parameters_are_unknown_are_listed(tmp_path, monkeypatch, capsys):
    # A name built at run time shows where the task is defined; a task class inheriting its
    # `run` has parameters the model cannot see.
    monkeypatch.chdir(tmp_path)
    workspace(
        tmp_path,
        {
            "w.py": """
            from celery import Celery, Task

            app = Celery("w")

            @app.task(name=make_name())
            def built(x):
                pass

            @app.task
            def plain(y):
                pass

            class Inherited(Task):
                name = "inherited"

            app.register_task(Inherited())
            """
        },
    )
    code, out, _ = run(capsys, "tasks", "--no-cache")
    assert code == 0
    assert [line.split("  ")[0] for line in out.splitlines()] == ["inherited(...)", "w.built(x)", "w.plain(y)"]
    code, out, _ = run(capsys, "tasks", "--no-cache", "--format", "json")
    assert {t["name"]: t["parameters"] for t in json.loads(out)} == {
        "inherited": None,
        "w.built": ["x"],
        "w.plain": ["y"],
    }
