"""CEL012 unknown-task-name: dispatches by name checked against the workspace's tasks."""

import pytest

from ruletest import (
    workspace,
    workspace_cases,
    workspace_fixed,
    workspace_lines,
    workspace_messages,
)

CODE = "CEL012"

# Two services: `server/` sends tasks by name to the `rag/` worker, which has its own app.
SERVER_APP = """
from celery import Celery

app = Celery("server", broker="redis://")
"""
RAG_APP = """
from celery import Celery

app = Celery("rag", broker="redis://")
"""
RAG_TASKS = """
from celery_app import app


@app.task(name="rag.ingest_file")
def ingest_file(project_dir, database, path):
    return path


@app.task(name="rag.search")
def search(project_dir, database, query):
    return []
"""


def two_services(jobs: str, files: dict[str, str] | None = None) -> dict[str, str]:
    """The two services, with `jobs` as the server's `app/jobs.py`, and `files` added."""
    base = {
        "server/requirements.txt": "celery\n",
        "server/app/__init__.py": "",
        "server/app/celery_app.py": SERVER_APP,
        "server/app/jobs.py": jobs,
        "rag/requirements.txt": "celery\n",
        "rag/celery_app.py": RAG_APP,
        "rag/tasks.py": RAG_TASKS,
    }
    base.update(files or {})
    return base


INVALID = [
    # (files, [(path, line)])
    (
        two_services(
            """
            from celery import signature
            from app.celery_app import app

            def ingest(a, b, c):
                return signature("rag.ingest_fle", args=[a, b, c], app=app).apply_async()
            """
        ),
        [("server/app/jobs.py", 5)],
    ),
    (  # send_task on the app, Signature, subtask, current_app.send_task
        two_services(
            """
            from celery import Signature, current_app, subtask
            from app.celery_app import app

            def run(a, b, q):
                app.send_task("rag.serch", args=[a, b, q])
                Signature("rag.ingest_files", args=[a, b, q]).delay()
                subtask("rag.ingest").apply_async()
                current_app.send_task("rag.searches")
            """
        ),
        [("server/app/jobs.py", 5), ("server/app/jobs.py", 6), ("server/app/jobs.py", 7), ("server/app/jobs.py", 8)],
    ),
    (  # an f-string without fields, a local name bound to a literal, a constant of the module,
        # `send_task` on any receiver, `Signature(task=...)`
        two_services(
            """
            from celery import Signature

            SEARCH = "rag.serch"

            class Client:
                def __init__(self, app):
                    self.app = app

                def run(self, a, b, q):
                    name = "rag.ingest_fle"
                    self.app.send_task(f"rag.serch", args=[a, b, q])
                    self.app.send_task(name, args=[a, b, q])
                    self.app.send_task(SEARCH, args=[a, b, q])
                    Signature(task="rag.serch", args=[a, b, q]).delay()
            """
        ),
        [
            ("server/app/jobs.py", 11),
            ("server/app/jobs.py", 12),
            ("server/app/jobs.py", 13),
            ("server/app/jobs.py", 14),
        ],
    ),
    (  # a beat_schedule entry
        two_services(
            """
            from app.celery_app import app

            app.conf.beat_schedule = {
                "search": {"task": "rag.serch", "schedule": 60.0, "args": (1, 2, 3)},
            }
            """
        ),
        [("server/app/jobs.py", 4)],
    ),
    (  # the name is a constant imported from another module
        two_services(
            """
            from celery import signature
            from app.names import INGEST

            def ingest(a, b, c):
                return signature(INGEST, args=[a, b, c]).apply_async()
            """,
            {
                "server/app/names.py": 'INGEST = "rag.ingest_fle"\n',
            },
        ),
        [("server/app/jobs.py", 5)],
    ),
    (  # default names: `<module>.<function>` from the service's source root (a package)
        {
            "server/requirements.txt": "",
            "server/main.py": """
            from celery import Celery

            client = Celery("server")
            client.send_task("worker.tasks.resize_images", args=["a.png"])
            client.send_task("worker.tasks.resize", args=["a.png"])
            """,
            "worker/Dockerfile": "FROM python:3.12\n",
            "worker/worker/__init__.py": "",
            "worker/worker/app.py": RAG_APP,
            "worker/worker/tasks.py": """
            from celery import shared_task

            @shared_task
            def resize_image(path):
                return path
            """,
        },
        [("server/main.py", 4), ("server/main.py", 5)],
    ),
    (  # default names in a namespace package (no `__init__.py`), under `src/`
        {
            "server/pyproject.toml": "",
            "server/main.py": """
            from celery import signature

            signature("media.jobs.thumbnails.make_thumb", args=["a.png"]).delay()
            """,
            "media/pyproject.toml": "",
            "media/src/media/jobs/thumbnails.py": """
            from celery import shared_task

            @shared_task
            def make_thumbnail(path):
                return path
            """,
        },
        [("server/main.py", 3)],
    ),
    (  # the first segment names a service (its app's main name) with no task of that prefix
        {
            "server/requirements.txt": "",
            "server/main.py": """
            from celery import Celery

            app = Celery("server")
            app.send_task("billing.charge", args=[1])
            """,
            "payments/requirements.txt": "",
            "payments/worker.py": """
            from celery import Celery

            app = Celery("billing")

            @app.task
            def charge_card(amount):
                return amount
            """,
        },
        [("server/main.py", 4)],
    ),
    (  # an app made by a `Celery` subclass names its service too
        {
            "server/requirements.txt": "",
            "server/main.py": """
            from celery import current_app

            current_app.send_task("billing.charge")
            """,
            "payments/requirements.txt": "",
            "payments/worker.py": """
            from celery import Celery

            class BillingCelery(Celery):
                task_cls = "worker:BaseTask"

            app = BillingCelery("billing")

            @app.task
            def charge_card(amount):
                return amount
            """,
        },
        [("server/main.py", 3)],
    ),
    (  # two names equally close: flagged, no suggestion
        two_services(
            """
            from app.celery_app import app

            app.send_task("rag.stats_x")
            """,
            {
                "rag/more.py": """
                from celery_app import app

                @app.task(name="rag.stats_a")
                def stats_a():
                    pass

                @app.task(name="rag.stats_b")
                def stats_b():
                    pass
                """,
            },
        ),
        [("server/app/jobs.py", 3)],
    ),
    (  # a dispatch inside the worker service itself, from a task, via the app's signature()
        two_services(
            "",
            {
                "rag/pipeline.py": """
                from celery_app import app

                @app.task(name="rag.ingest_folder")
                def ingest_folder(paths):
                    for path in paths:
                        app.signature("rag.ingest_fille", args=[".", "db", path]).delay()
                """,
            },
        ),
        [("rag/pipeline.py", 6)],
    ),
]

VALID = [
    two_services(  # the registered names
        """
        from celery import signature
        from app.celery_app import app

        def ingest(a, b, c):
            signature("rag.ingest_file", args=[a, b, c], app=app).apply_async()
            app.send_task("rag.search", args=[a, b, c])
        """
    ),
    two_services(  # names built at run time are not judged
        """
        from celery import signature
        from app.celery_app import app

        PREFIX = "rag."

        def run(kind, a):
            signature(f"rag.{kind}", args=[a]).delay()
            app.send_task("rag." + kind)
            app.send_task(PREFIX + "ingest")
            app.send_task("rag.%s" % kind)
            app.send_task(kind)
        """
    ),
    two_services(  # a service outside the workspace: the worker lives elsewhere
        """
        from app.celery_app import app

        app.send_task("billing.charge", args=[10])
        app.send_task("notifications.email.send")
        """
    ),
    two_services(  # `name=` a module constant imported from another module, dispatched by the constant
        """
        from celery import signature
        from app.names import REINDEX

        signature(REINDEX, args=[1]).delay()
        signature("rag.reindex", args=[1]).delay()
        """,
        {
            "server/app/names.py": 'REINDEX = "rag.reindex"\n',
            "rag/names.py": 'REINDEX = "rag.reindex"\n',
            "rag/reindex.py": """
            from celery_app import app
            from names import REINDEX

            @app.task(name=REINDEX, bind=True)
            def reindex(self, database):
                return database
            """,
        },
    ),
    two_services(  # a class-based task, `shared_task` under an alias, `app.task(fn, name=...)`
        """
        from app.celery_app import app

        app.send_task("rag.reindex_all")
        app.send_task("rag.health")
        app.send_task("rag.stats")
        """,
        {
            "rag/extra.py": """
            from celery import Task
            from celery import shared_task as background

            from celery_app import app

            class ReindexAll(Task):
                name = "rag.reindex_all"

                def run(self):
                    return 0

            app.register_task(ReindexAll())

            @background(name="rag.health")
            def health():
                return "ok"

            def stats_impl():
                return {}

            stats = app.task(stats_impl, name="rag.stats")
            """,
        },
    ),
    {  # default names: package, and a package re-exported through `__init__.py` changes nothing
        "server/requirements.txt": "",
        "server/main.py": """
        from celery import Celery

        app = Celery("server")
        app.send_task("worker.tasks.resize_image", args=["a.png"])
        app.send_task("worker.beat.cleanup")
        """,
        "worker/Dockerfile": "FROM python:3.12\n",
        "worker/worker/__init__.py": "from .tasks import resize_image\n",
        "worker/worker/tasks.py": """
        from celery import shared_task

        @shared_task
        def resize_image(path):
            return path
        """,
        "worker/worker/beat.py": """
        from celery import shared_task

        @shared_task()
        def cleanup():
            pass
        """,
    },
    {  # Celery's own tasks, a beat entry for one, a shared library named like the prefix
        "server/requirements.txt": "",
        "server/celery.py": """
        from celery import Celery

        app = Celery("server")
        app.conf.beat_schedule = {"cleanup": {"task": "celery.backend_cleanup", "schedule": 3600}}
        app.send_task("common.cleanup")
        """,
        "common/setup.py": "",
        "common/common/__init__.py": "def cleanup():\n    pass\n",
    },
    two_services(  # `name=` a constant re-exported through a package's `__init__.py`
        """
        from app.celery_app import app

        app.send_task("rag.ingest_v2", args=[1])
        """,
        {
            "rag/consts/__init__.py": "from .names import INGEST\n",
            "rag/consts/names.py": 'INGEST = "rag.ingest_v2"\n',
            "rag/ingest.py": """
            import consts
            from celery_app import app

            @app.task(name=consts.INGEST)
            def ingest(path):
                return path
            """,
        },
    ),
    two_services(  # a task whose name is built at run time could be the one sent: not judged
        """
        from app.celery_app import app

        app.send_task("rag.export_csv", args=[1])
        """,
        {
            "rag/export.py": """
            from celery_app import app

            for kind in ("csv", "json"):
                def export(path, kind=kind):
                    return path
                app.task(export, name=f"rag.export_{kind}")
            """,
        },
    ),
    two_services(  # tasks made by a decorator factory with `functools.wraps`: named after the function wrapped
        """
        from app.celery_app import app

        app.send_task("rag.jobs.reindex_all")
        """,
        {
            "rag/decorators.py": """
            import functools

            from celery import shared_task

            def rag_task(func):
                @shared_task
                @functools.wraps(func)
                def wrapper(*args, **kwargs):
                    return func(*args, **kwargs)
                return wrapper
            """,
        },
    ),
    {  # an app class that makes its own default names (`gen_task_name`)
        "server/requirements.txt": "",
        "server/main.py": """
        from celery import Celery

        app = Celery("server")
        app.send_task("billing.charge_card", args=[1])
        """,
        "payments/requirements.txt": "",
        "payments/worker.py": """
        from celery import Celery

        class BillingCelery(Celery):
            def gen_task_name(self, name, module):
                return "billing." + name

        app = BillingCelery("billing")

        @app.task
        def charge_card(amount):
            return amount
        """,
    },
    two_services(  # a module of the worker that does not parse (newer syntax) may register it
        """
        from app.celery_app import app

        app.send_task("rag.memory.import_memory")
        """,
        {
            "rag/memory.py": """
            from celery_app import app

            @app.task(name="rag.memory.import_memory")
            def import_memory(project_id) -> None:
                match project_id:
                    case int(
            """,
        },
    ),
    two_services(  # a dict with "task" but no "schedule" is not a beat entry; `.s()`/`.delay()` are direct
        """
        from app.celery_app import app

        message = {"task": "rag.not_a_task", "id": 1}

        def run(task):
            task.s(1).delay()
        """
    ),
]


test_invalid, test_valid = workspace_cases(CODE, INVALID, VALID)


def messages(tmp_path, files):
    return workspace_messages(tmp_path, files, CODE)


def test_message_names_the_closest_registered_name(tmp_path):
    (message,) = messages(tmp_path, INVALID[0][0])
    assert "'rag.ingest_fle'" in message
    assert "did you mean 'rag.ingest_file'?" in message


def test_message_lists_the_service_tasks_when_nothing_is_close(tmp_path):
    files = two_services(
        """
        from app.celery_app import app

        app.send_task("rag.delete_everything")
        """
    )
    (message,) = messages(tmp_path, files)
    assert "'rag.delete_everything'" in message
    assert "rag.ingest_file" in message and "rag.search" in message
    assert "did you mean" not in message


def test_message_for_a_service_named_by_its_app(tmp_path):
    (message,) = messages(tmp_path, INVALID[7][0])  # the service named by its app
    assert "'billing.charge'" in message
    assert "payments" in message  # the service it names, and what it registers
    assert "worker.charge_card" in message


def test_fix_replaces_the_string_and_keeps_its_quotes(tmp_path):
    files = two_services(
        """
        from celery import signature
        from app.celery_app import app

        def ingest(a, b, c):
            signature('rag.ingest_fle', args=[a, b, c], app=app).apply_async()  # keep me
            return app.send_task(
                "rag.serch",
                args=[a, b, c],
            )
        """
    )
    root = workspace(tmp_path, files)
    assert workspace_fixed(root, "server/app/jobs.py", CODE) == (
        "from celery import signature\n"
        "from app.celery_app import app\n"
        "\n"
        "def ingest(a, b, c):\n"
        "    signature('rag.ingest_file', args=[a, b, c], app=app).apply_async()  # keep me\n"
        "    return app.send_task(\n"
        '        "rag.search",\n'
        "        args=[a, b, c],\n"
        "    )\n"
    )


def test_fix_in_a_beat_entry(tmp_path):
    root = workspace(tmp_path, INVALID[3][0])
    assert '{"task": "rag.search", "schedule": 60.0' in workspace_fixed(root, "server/app/jobs.py", CODE)


@pytest.mark.parametrize("case", [4, 9])  # a constant (change it where it is defined), two names as close
def test_no_fix(tmp_path, case):
    files = INVALID[case][0]
    root = workspace(tmp_path, files)
    before = (root / "server/app/jobs.py").read_text()
    assert workspace_fixed(root, "server/app/jobs.py", CODE) == before


def test_no_fix_for_an_escaped_or_raw_string(tmp_path):
    files = two_services(
        """
        from app.celery_app import app

        app.send_task(r"rag.ingest_fle")
        app.send_task("rag.ingest\\x5ffle")
        """
    )
    root = workspace(tmp_path, files)
    assert workspace_lines(root, CODE) == [("server/app/jobs.py", 3), ("server/app/jobs.py", 4)]
    before = (root / "server/app/jobs.py").read_text()
    assert workspace_fixed(root, "server/app/jobs.py", CODE) == before


def test_fix_in_an_f_string_and_not_for_a_variable(tmp_path):
    root = workspace(tmp_path, INVALID[2][0])
    fixed = workspace_fixed(root, "server/app/jobs.py", CODE)
    assert 'self.app.send_task(f"rag.search", args=[a, b, q])' in fixed
    assert 'Signature(task="rag.search", args=[a, b, q])' in fixed
    assert 'name = "rag.ingest_fle"' in fixed and 'SEARCH = "rag.serch"' in fixed
