"""CEL014 task-route-mismatch: routes that match no task, dispatches to a queue nobody consumes."""

from ruletest import workspace_cases, workspace_messages

CODE = "CEL014"

RAG_TASKS = """
from celery_app import app


@app.task(name="rag.ingest_file")
def ingest_file(path):
    return path


@app.task(name="rag.search")
def search(query):
    return []
"""


def two_services(server_app: str, jobs: str = "", rag_app: str | None = None, files=None) -> dict[str, str]:
    """`server/` (its app in `app/celery_app.py`, `app/jobs.py` is `jobs`) and the `rag/` worker."""
    base = {
        "server/requirements.txt": "celery\n",
        "server/app/__init__.py": "",
        "server/app/celery_app.py": server_app,
        "server/app/jobs.py": jobs,
        "rag/requirements.txt": "celery\n",
        "rag/celery_app.py": rag_app
        or """
        from celery import Celery

        app = Celery("rag")
        app.conf.task_routes = {"rag.*": {"queue": "rag"}}
        """,
        "rag/tasks.py": RAG_TASKS,
    }
    base.update(files or {})
    return base


SEND_SEARCH = """
from app.celery_app import app

app.send_task("rag.search", args=["q"])
"""

INVALID = [
    # (files, [(path, line)])
    (  # (a) a glob with a typo, and an exact name no task has
        two_services(
            """
            from celery import Celery

            app = Celery("server")
            app.conf.task_routes = {
                "rag.*": {"queue": "rag"},
                "rag.serch*": {"queue": "rag-search"},
                "rag.ingest": "rag",
            }
            """
        ),
        [("server/app/celery_app.py", 6), ("server/app/celery_app.py", 7)],
    ),
    (  # (a) in a list of dicts given to Celery(...), and in conf.update(...)
        two_services(
            """
            from celery import Celery

            app = Celery("server", task_routes=[{"rag.ingest_fille": {"queue": "rag"}}])
            app.conf.update(task_routes={"rag.search_*": "rag"})
            """
        ),
        [("server/app/celery_app.py", 3), ("server/app/celery_app.py", 4)],
    ),
    (  # (a) Django settings, read with the CELERY namespace; an old-style CELERY_ROUTES
        {
            "server/requirements.txt": "",
            "server/proj/__init__.py": "",
            "server/proj/celery.py": """
            from celery import Celery

            app = Celery("proj")
            app.config_from_object("django.conf:settings", namespace="CELERY")
            app.autodiscover_tasks()
            """,
            "server/proj/settings.py": """
            CELERY_TASK_ROUTES = {"proj.mail.send_mails": {"queue": "mail"}}
            """,
            "server/proj/old_settings.py": """
            CELERY_ROUTES = {"proj.mail.sendmail": {"queue": "mail"}}
            """,
            "server/proj/mail.py": """
            from celery import shared_task

            @shared_task
            def send_mail(to):
                pass
            """,
        },
        [("server/proj/old_settings.py", 1), ("server/proj/settings.py", 1)],
    ),
    (  # (b) the server routes some rag tasks; `rag.search` falls to its default queue `celery`
        two_services(
            """
            from celery import Celery

            app = Celery("server")
            app.conf.task_routes = {"rag.ingest_*": {"queue": "rag"}}
            """,
            SEND_SEARCH,
        ),
        [("server/app/jobs.py", 3)],
    ),
    (  # (b) the sending app's own default queue, which the rag worker (default `celery`) never names
        two_services(
            """
            from celery import Celery

            app = Celery("server")
            app.conf.task_default_queue = "server"
            app.conf.task_routes = {"rag.ingest_*": {"queue": "rag"}}
            """,
            """
            from celery import signature

            from app.celery_app import app

            signature("rag.search", args=["q"], app=app).delay()
            """,
            rag_app="""
            from celery import Celery

            app = Celery("rag")
            """,
        ),
        [("server/app/jobs.py", 5)],
    ),
    (  # (b) routes in a celeryconfig module loaded with config_from_object; a beat entry
        two_services(
            """
            from celery import Celery

            app = Celery("server")
            app.config_from_object("app.celeryconfig")
            app.conf.beat_schedule = {"search": {"task": "rag.search", "schedule": 60}}
            """,
            files={
                "server/app/celeryconfig.py": """
                task_routes = {"rag.ingest_file": {"queue": "rag"}}
                """
            },
        ),
        [("server/app/celery_app.py", 5)],
    ),
    (  # (a) a glob route for a service named by its directory, whose tasks have default names
        {
            "server/requirements.txt": "",
            "server/main.py": """
            from celery import Celery

            app = Celery("server", task_routes={"worker.task.*": {"queue": "images"}})
            """,
            "worker/Dockerfile": "",
            "worker/worker/__init__.py": "",
            "worker/worker/tasks.py": """
            from celery import shared_task

            @shared_task
            def resize(path):
                pass
            """,
        },
        [("server/main.py", 3)],
    ),
    (  # (b) a dispatch whose queue option is not a queue (`priority=` only) is still unrouted
        two_services(
            """
            from celery import Celery

            app = Celery("server")
            app.conf.task_routes = {"rag.ingest_*": {"queue": "rag"}}
            """,
            """
            from app.celery_app import app

            app.send_task("rag.search", args=["q"], priority=5, countdown=3)
            """,
        ),
        [("server/app/jobs.py", 3)],
    ),
]

VALID = [
    two_services(  # routes that match; dispatches that follow them
        """
        from celery import Celery

        app = Celery("server")
        app.conf.task_routes = {"rag.*": {"queue": "rag"}, "rag.search": "rag", "*": {"queue": "default"}}
        """,
        SEND_SEARCH,
    ),
    two_services(  # a route for a service outside the workspace
        """
        from celery import Celery

        app = Celery("server")
        app.conf.task_routes = {"billing.*": {"queue": "billing"}, "rag.*": {"queue": "rag"}}
        """,
        SEND_SEARCH,
    ),
    two_services(  # a router function (alone or in the list) is opaque: the dispatch is not judged
        """
        from celery import Celery

        def route_task(name, args, kwargs, options, task=None, **kw):
            return {"queue": name.split(".")[0]}

        app = Celery("server")
        app.conf.task_routes = [route_task, {"rag.ingest_file": {"queue": "rag"}}]
        """,
        SEND_SEARCH,
    ),
    two_services(  # the dispatch names its queue itself
        """
        from celery import Celery

        app = Celery("server")
        app.conf.task_routes = {"rag.ingest_*": {"queue": "rag"}}
        """,
        """
        from celery import signature

        from app.celery_app import app

        app.send_task("rag.search", args=["q"], queue="rag")
        signature("rag.search", args=["q"], queue="rag").delay()
        signature("rag.search", args=["q"]).apply_async(queue="rag")
        signature("rag.search", args=["q"]).set(queue="rag").delay()
        app.send_task("rag.search", args=["q"], routing_key="rag")
        """,
    ),
    two_services(  # a sending app with no routes: the default queue is meant
        """
        from celery import Celery

        app = Celery("server")
        """,
        SEND_SEARCH,
    ),
    two_services(  # the rag worker consumes the default queue the dispatch goes to
        """
        from celery import Celery

        app = Celery("server")
        app.conf.task_routes = {"rag.ingest_*": {"queue": "rag"}}
        """,
        SEND_SEARCH,
        rag_app="""
        from celery import Celery

        app = Celery("rag")
        app.conf.update(task_routes={"rag.ingest_*": {"queue": "rag"}}, task_default_queue="celery")
        """,
    ),
    {  # Django's CELERY_TASK_ROUTES given by a router, a default queue, Celery's own tasks
        "server/requirements.txt": "",
        "server/proj/__init__.py": "",
        "server/proj/celery.py": """
        from celery import Celery

        app = Celery("proj")
        app.config_from_object("django.conf:settings", namespace="CELERY")
        """,
        "server/proj/settings.py": """
        from proj.routers import route

        CELERY_TASK_ROUTES = (route,)
        CELERY_TASK_DEFAULT_QUEUE = "proj"
        """,
        "server/proj/other_settings.py": """
        CELERY_TASK_ROUTES = {"celery.backend_cleanup": {"queue": "beat"}, "proj.mail.*": {"queue": "mail"}}
        """,
        "server/proj/mail.py": """
        from celery import shared_task

        @shared_task
        def send_mail(to):
            pass
        """,
    },
    two_services(  # a glob whose first segment is a glob; a name built at run time
        """
        from celery import Celery

        app = Celery("server")
        app.conf.task_routes = {"*.search": {"queue": "rag"}, "rag.ingest_*": {"queue": "rag"}}
        """,
        """
        from app.celery_app import app

        def send(kind):
            app.send_task(f"rag.{kind}")
        """,
    ),
    two_services(  # a route to a task whose name is built at run time
        """
        from celery import Celery

        app = Celery("server", task_routes={"rag.export_csv": {"queue": "rag"}})
        """,
        files={
            "rag/export.py": """
            from celery_app import app

            for kind in ("csv", "json"):
                def export(path, kind=kind):
                    return path
                app.task(export, name="rag.export_" + kind)
            """
        },
    ),
]


test_invalid, test_valid = workspace_cases(CODE, INVALID, VALID)


def messages(tmp_path, files):
    return workspace_messages(tmp_path, files, CODE)


def test_message_for_a_route_lists_the_tasks_it_could_mean(tmp_path):
    found = messages(tmp_path, INVALID[0][0])
    assert found[0] == (
        "route 'rag.serch*' matches no task registered in the workspace (tasks named rag.*: rag.ingest_file, "
        "rag.search): it never applies"
    )


def test_message_for_an_unrouted_dispatch_names_the_queues(tmp_path):
    (message,) = messages(tmp_path, INVALID[3][0])
    assert "'rag.search' matches no route of this service's app" in message
    assert "queue 'celery'" in message
    assert "`rag` service" in message and "(rag)" in message
