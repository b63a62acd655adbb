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


def test_each_project_of_a_family_sees_its_own_tasks(tmp_path):
    """The projects sharing what was worked out (one per keystroke) each point the tasks of
    the edited modules at their own summaries, whichever of them worked the tasks out first."""
    project = project_of(tmp_path, worker=WORKER, client=CLIENT, other=WORKER.replace("rag.ingest_file", "rag.other"))
    first = edited(project, tmp_path, "worker", WORKER.replace("def ingest_file", "\ndef ingest_file"))
    second = edited(first, tmp_path, "worker", WORKER.replace("def ingest_file", "\n\n\ndef ingest_file"))
    assert second.task_names is project.task_names == ["rag.ingest_file", "rag.other"]  # worked out once
    worker = str(tmp_path / "worker.py")
    for each in (second, project, first):  # the last made works the tasks out first
        (task,) = each.tasks_by_name["rag.ingest_file"]
        assert task.summary is each.summaries[worker]
        assert [t.summary for t in each.tasks] == [each.summaries[t.summary.path] for t in each.tasks]
        assert each.task_at("worker.ingest_file", each.services[0]) is task
    lines = [each.tasks_by_name["rag.ingest_file"][0].definition.span.start.line for each in (project, first, second)]
    assert lines == [lines[0], lines[0] + 1, lines[0] + 3]
    # the modules no edit touched keep the very tasks worked out once
    assert second.tasks_by_name["rag.other"] is project.tasks_by_name["rag.other"]
