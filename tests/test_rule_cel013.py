"""CEL013 task-arguments-mismatch: dispatches whose arguments cannot bind to the task's parameters."""

from ruletest import workspace_cases, workspace_messages

CODE = "CEL013"

RAG_TASKS = """
from celery import Task, shared_task
from celery import shared_task as background

from celery_app import app


@app.task(name="rag.ingest_file")
def ingest_file(project_dir, database, path):
    return path


@app.task(name="rag.search")
def search(project_dir, database, query):
    return []


@app.task(name="rag.reindex", bind=True)
def reindex(self, database):
    return database


@shared_task(name="rag.notify")
def notify(result, *, channel="email"):
    return channel


@background(name="rag.stats")
def stats(database, detailed=False):
    return {}


@app.task(name="rag.anything")
def anything(*args, **kwargs):
    return args


class ReindexAll(Task):
    name = "rag.reindex_all"

    def run(self, database):
        return database


app.register_task(ReindexAll())
"""


def two_services(jobs: str = "", pipeline: str = "", files: dict[str, str] | None = None) -> dict[str, str]:
    """`server/` (`app/jobs.py` is `jobs`) sends by name to `rag/` (`pipeline.py` is `pipeline`)."""
    base = {
        "server/requirements.txt": "celery\n",
        "server/app/__init__.py": "",
        "server/app/celery_app.py": 'from celery import Celery\n\napp = Celery("server")\n',
        "server/app/jobs.py": jobs,
        "rag/requirements.txt": "celery\n",
        "rag/celery_app.py": 'from celery import Celery\n\napp = Celery("rag")\n',
        "rag/tasks.py": RAG_TASKS,
        "rag/pipeline.py": pipeline,
    }
    base.update(files or {})
    return base


INVALID = [
    # (files, [(path, line)])
    (  # by name: one positional argument too many
        two_services(
            """
            from celery import signature
            from app.celery_app import app

            def find(a, b, q):
                return signature("rag.search", args=[a, b, q, 10], app=app).apply_async()
            """
        ),
        [("server/app/jobs.py", 5)],
    ),
    (  # send_task: a keyword it does not have; one given twice; a required one missing
        two_services(
            """
            from app.celery_app import app

            app.send_task("rag.search", args=["p", "db", "q"], kwargs={"limit": 10})
            app.send_task("rag.search", args=("p", "db", "q"), kwargs=dict(query="again"))
            app.send_task("rag.ingest_file", args=["p", "db"])
            """
        ),
        [("server/app/jobs.py", 3), ("server/app/jobs.py", 4), ("server/app/jobs.py", 5)],
    ),
    (  # direct: delay / apply_async(args=, kwargs=) / bind=True leaves `self` out
        two_services(
            pipeline="""
            from tasks import ingest_file, reindex, search

            def run(p, db):
                ingest_file.delay(p, db)
                search.apply_async(args=[p, db], kwargs={"query": "q", "limit": 3})
                reindex.delay(db, True)
            """
        ),
        [("rag/pipeline.py", 4), ("rag/pipeline.py", 5), ("rag/pipeline.py", 6)],
    ),
    (  # a class-based task (its `run` less `self`), through the signature's own delay()
        two_services(
            """
            from celery import signature

            signature("rag.reindex_all", args=["db", "now"]).delay()
            signature("rag.reindex_all").apply_async()
            """
        ),
        [("server/app/jobs.py", 3), ("server/app/jobs.py", 4)],
    ),
    (  # callbacks get the previous result first: chain, `|`, a chord's body, link=
        two_services(
            pipeline="""
            from celery import chain, chord, signature

            from tasks import ingest_file, notify, search, stats

            def run(p, db, q):
                chain(ingest_file.s(p, db, q), search.s(p, db, q)).delay()
                (ingest_file.s(p, db, q) | stats.s(db, True)).delay()
                chord([ingest_file.s(p, db, q)], signature("rag.stats", args=[db, True]))()
                ingest_file.apply_async(args=[p, db, q], link=notify.s("sms"))
                (ingest_file.s(p, db, q) | search.s(p, db, q).set(queue="rag")).delay()
            """
        ),
        [
            ("rag/pipeline.py", 6),
            ("rag/pipeline.py", 7),
            ("rag/pipeline.py", 8),
            ("rag/pipeline.py", 9),
            ("rag/pipeline.py", 10),
        ],
    ),
    (  # a beat entry's args / kwargs
        two_services(
            """
            from app.celery_app import app

            app.conf.beat_schedule = {
                "stats": {"task": "rag.stats", "schedule": 60, "args": ("db", True, "extra")},
                "notify": {"task": "rag.notify", "schedule": 60, "args": [1], "kwargs": {"via": "sms"}},
            }
            """
        ),
        [("server/app/jobs.py", 4), ("server/app/jobs.py", 5)],
    ),
    (  # a task re-exported through a package's `__init__.py`, `shared_task` with default names
        {
            "worker/pyproject.toml": "",
            "worker/images/__init__.py": "from .tasks import resize\n",
            "worker/images/tasks.py": """
            from celery import shared_task

            @shared_task
            def resize(path, width, height=None):
                return path
            """,
            "worker/images/views.py": """
            import images
            from images import resize

            def upload(path):
                resize.delay(path)
                images.resize.s(path, 10, 20, 30).delay()
            """,
        },
        [("worker/images/views.py", 5), ("worker/images/views.py", 6)],
    ),
    (  # by a module constant, imported from another module
        two_services(
            """
            from celery import signature

            from app.names import SEARCH

            signature(SEARCH, args=[1, 2, 3, 4]).delay()
            """,
            files={"server/app/names.py": 'SEARCH = "rag.search"\n'},
        ),
        [("server/app/jobs.py", 5)],
    ),
    (  # a keyword-only parameter given by position; subtask() / Signature() by name
        two_services(
            """
            from celery import Signature, subtask

            subtask("rag.notify", args=["result", "sms"]).delay()
            Signature("rag.stats", kwargs={"database": "db", "verbose": True}).apply_async()
            """
        ),
        [("server/app/jobs.py", 3), ("server/app/jobs.py", 4)],
    ),
]

VALID = [
    two_services(  # arguments that bind, by name and direct
        """
        from celery import signature
        from app.celery_app import app

        signature("rag.search", args=["p", "db", "q"], app=app).apply_async()
        app.send_task("rag.ingest_file", args=["p", "db"], kwargs={"path": "x"})
        app.send_task("rag.stats", kwargs=dict(database="db", detailed=True))
        app.send_task("rag.notify", args=[None], kwargs={"channel": "sms"})
        app.send_task("rag.reindex_all", args=["db"])
        app.send_task("rag.reindex", args=["db"])
        """,
        """
        from tasks import reindex, search, stats

        def run(p, db):
            search.delay(p, db, "q")
            search.apply_async(args=[p, db], kwargs={"query": "q"}, countdown=3)
            stats.apply_async((db,))
            reindex.delay(db)
        """,
    ),
    two_services(  # arguments the module cannot count are not judged
        """
        from app.celery_app import app

        def run(args, kwargs, extra):
            app.send_task("rag.search", args=args)
            app.send_task("rag.search", args=[*extra, 1, 2, 3, 4])
            app.send_task("rag.search", args=["p"], kwargs=kwargs)
            app.send_task("rag.search", args=list(extra), kwargs={"query": "q"})
        """,
        """
        from tasks import search

        def run(args, kwargs):
            search.delay(*args)
            search.delay("p", **kwargs)
            search.apply_async(args, kwargs)
        """,
    ),
    two_services(  # a task taking *args/**kwargs takes anything
        """
        from app.celery_app import app

        app.send_task("rag.anything", args=[1, 2, 3, 4, 5], kwargs={"x": 1})
        """
    ),
    two_services(  # `.si()` ignores the previous result; a callback `.s()` leaves room for it
        pipeline="""
        from celery import chain, chord, signature

        from tasks import ingest_file, notify, search, stats

        def run(p, db, q):
            chain(ingest_file.s(p, db, q), search.si(p, db, q), notify.s()).delay()
            (ingest_file.s(p, db, q) | stats.s(True)).delay()
            chord([ingest_file.s(p, db, q)], notify.s(channel="sms"))()
            chord([ingest_file.s(p, db, q)])(stats.s())
            ingest_file.apply_async(args=[p, db, q], link=notify.s(), link_error=notify.si("failed"))
            chain(signature("rag.stats", args=["db"]), notify.s()).delay()
            chain(ingest_file.s(p, db, q), search.s(p, db, q).set(immutable=True)).delay()
            chain(ingest_file.s(p, db, q), signature("rag.search", args=[p, db, q], immutable=True)).delay()
        """
    ),
    two_services(  # a signature not sent as it is may be completed later (partial arguments)
        pipeline="""
        from celery import group, signature

        from tasks import search

        partial = search.s("p")
        by_name = signature("rag.search", args=["p", "db"])

        def later(queries):
            return group(partial.clone(args=("db", q)) for q in queries)
        """
    ),
    {  # a name two services register: judged only when no task could take the arguments
        **two_services(
            """
            from app.celery_app import app

            app.send_task("rag.search", args=["p", "db", "q", 50])
            """
        ),
        "search2/requirements.txt": "",
        "search2/worker.py": """
        from celery import Celery

        app = Celery("rag")

        @app.task(name="rag.search")
        def search(project_dir, database, query, limit=10):
            return []
        """,
    },
    two_services(  # `.delay()` on what is no task of the workspace (a local object, a library's task)
        """
        from thirdparty.tasks import send_mail

        class Queue:
            def delay(self, *a):
                pass

        def run(q: Queue):
            q.delay(1, 2, 3, 4, 5)
            send_mail.delay(1, 2, 3, 4, 5)
        """
    ),
    two_services(  # parameters the model cannot know: a decorator under the task's, an inherited `run`
        """
        from app.celery_app import app

        app.send_task("rag.with_session", args=["db"])
        app.send_task("rag.from_base", args=[1, 2, 3])
        """,
        files={
            "rag/more.py": """
            from celery import Task

            from celery_app import app
            from db import with_session

            @app.task(name="rag.with_session")
            @with_session
            def with_session_task(session, database):
                return database

            class Base(Task):
                def run(self, *args):
                    return args

            class FromBase(Base):
                name = "rag.from_base"

            app.register_task(FromBase())
            """
        },
    ),
    two_services(  # a beat entry that binds; a task sent with no arguments when all have defaults
        """
        from app.celery_app import app

        app.conf.beat_schedule = {
            "stats": {"task": "rag.stats", "schedule": 60, "args": ("db",), "kwargs": {"detailed": True}},
            "beat": {"task": "rag.anything", "schedule": 60},
        }
        """,
        files={
            "rag/defaults.py": """
            from celery_app import app

            @app.task(name="rag.cleanup")
            def cleanup(days=30, *, dry_run=False):
                pass

            cleanup.delay()
            cleanup.apply_async()
            cleanup.apply_async(kwargs={"dry_run": True})
            """
        },
    ),
]


test_invalid, test_valid = workspace_cases(CODE, INVALID, VALID)


def messages(tmp_path, files):
    return workspace_messages(tmp_path, files, CODE)


def test_messages_name_the_task_and_the_counts(tmp_path):
    assert messages(tmp_path, INVALID[0][0]) == ["task `rag.search` takes 3 arguments, 4 given"]


def test_messages_for_keywords(tmp_path):
    found = messages(tmp_path, INVALID[1][0])
    assert found[0] == "task `rag.search` has no parameter `limit`"
    assert "`query` twice" in found[1]
    assert found[2] == "task `rag.ingest_file` is sent without `path` (required)"


def test_messages_for_callbacks_count_the_previous_result(tmp_path):
    found = messages(tmp_path, INVALID[4][0])
    assert found[0] == "task `rag.search` takes 3 arguments, 4 given (the previous task's result first)"


def test_message_for_a_bound_task_leaves_self_out(tmp_path):
    found = messages(tmp_path, INVALID[2][0])
    assert found[2] == "task `rag.reindex` takes 1 argument, 2 given"


def test_message_for_a_keyword_only_parameter(tmp_path):
    found = messages(tmp_path, INVALID[8][0])
    assert found[0] == "task `rag.notify` takes 1 argument, 2 given"
    assert found[1] == "task `rag.stats` has no parameter `verbose`"
