"""What the project model works out across modules is kept while a buffer is edited without
changing what it reads (`Project.lasting`), and worked out again when that changes."""

from __future__ import annotations

import textwrap

from celery_patterns.config import Settings
from celery_patterns.model.build import summarise_source
from celery_patterns.model.layout import Layout
from celery_patterns.model.project import Project
from celery_patterns.model.routing import Routing

WORKER = textwrap.dedent('''\
    from celery import Celery

    app = Celery("rag")
    app.conf.task_routes = {"rag.*": {"queue": "rag"}}


    @app.task(name="rag.ingest_file")
    def ingest_file(path):
        """Read it."""
        return helper(path)


    def helper(path):
        return path
''')
CLIENT = textwrap.dedent("""\
    from celery import signature


    def send(path):
        # sent by name
        return signature("rag.ingest_file", args=[path]).apply_async()
""")


def project_of(root, **texts) -> Project:
    layout = Layout(str(root))
    summaries = {}
    for name, text in texts.items():
        path = str(root / f"{name}.py")
        summaries[path] = summarise_source(text, path, layout.module_name(path), Settings())
    return Project(layout, summaries)


def edited(project: Project, root, name: str, text: str) -> Project:
    path = str(root / f"{name}.py")
    return project.with_summary(summarise_source(text, path, project.layout.module_name(path), Settings()))


def test_indexes_are_kept_while_code_moves_or_a_dispatched_name_is_typed(tmp_path):
    project = project_of(tmp_path, worker=WORKER, client=CLIENT)
    routing = Routing.of(project, project.services[0])
    in_tasks = project.in_tasks
    for name, text in (
        ("worker", WORKER.replace("def ingest_file", "\n\ndef ingest_file")),  # moved
        ("client", CLIENT.replace("# sent by name", "# sent by name, to the worker")),
        ("client", CLIENT.replace('"rag.ingest_file"', '"rag.ingest_fil"')),  # a name being typed
    ):
        again = edited(project, tmp_path, name, text)
        assert again.in_tasks is in_tasks
        assert Routing.of(again, again.services[0]) is routing
        # positions are the buffer's: its tasks are where they are now
        path = str(tmp_path / f"{name}.py")
        assert [t.summary for t in again.tasks if t.summary.path == path] == [
            again.summaries[path] for _ in again.summaries[path].tasks
        ]
    moved = edited(project, tmp_path, "worker", WORKER.replace("def ingest_file", "\n\ndef ingest_file"))
    (task,) = moved.tasks
    assert task.definition.span.start.line == project.tasks[0].definition.span.start.line + 2


def test_indexes_are_worked_out_again_when_what_they_read_changes(tmp_path):
    project = project_of(tmp_path, worker=WORKER, client=CLIENT)
    assert sorted(project.tasks_by_name) == ["rag.ingest_file"]
    in_tasks = project.in_tasks
    renamed = edited(project, tmp_path, "worker", WORKER.replace('name="rag.ingest_file"', 'name="rag.read"'))
    assert sorted(renamed.tasks_by_name) == ["rag.read"]
    rerouted = edited(project, tmp_path, "worker", WORKER.replace('{"queue": "rag"}', '{"queue": "slow"}'))
    assert Routing.of(rerouted, rerouted.services[0]).queue_for("rag.ingest_file") == "slow"
    uncalled = edited(project, tmp_path, "worker", WORKER.replace("return helper(path)", "return path"))
    assert uncalled.in_tasks is not in_tasks
    assert len(uncalled.in_tasks) < len(in_tasks)  # `helper` no longer runs in a task
