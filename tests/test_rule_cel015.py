"""CEL015 result-wait-in-task: code that runs in a task waits on a Celery result."""

from ruletest import workspace_cases, workspace_messages

CODE = "CEL015"

APP = 'from celery import Celery\n\napp = Celery("rag")\n'


def worker(files: dict[str, str]) -> dict[str, str]:
    """The `rag/` worker service (its app in `celery_app.py`) with `files` added."""
    return {"rag/requirements.txt": "celery\n", "rag/celery_app.py": APP, **files}


INVALID = [
    # (files, [(path, line)])
    (  # in the task's body
        worker(
            {
                "rag/tasks.py": """
                from celery_app import app

                @app.task(name="rag.embed")
                def embed(chunk):
                    return chunk

                @app.task(name="rag.ingest_file")
                def ingest_file(chunks):
                    return [embed.delay(c).get(timeout=60) for c in chunks]
                """
            }
        ),
        [("rag/tasks.py", 9)],
    ),
    (  # in a helper of another module, up to three calls deep
        worker(
            {
                "rag/tasks.py": """
                from celery import shared_task as background

                from helpers import first

                @background(bind=True)
                def ingest(self, task_id):
                    return first(task_id)
                """,
                "rag/helpers.py": """
                from celery.result import AsyncResult

                def first(task_id):
                    return second(task_id)

                def second(task_id):
                    return third(task_id)

                def third(task_id):
                    return AsyncResult(task_id).get(timeout=10)
                """,
            }
        ),
        [("rag/helpers.py", 10)],
    ),
    (  # in a branch taken only inside a task (`current_task`)
        worker(
            {
                "rag/client.py": """
                from celery import current_task
                from celery.result import AsyncResult

                def wait(task_id):
                    result = AsyncResult(task_id)
                    if current_task:
                        return result.get(timeout=5)
                    return None

                def wait_for(result: AsyncResult):
                    if current_task.request.id is not None and result.ready():
                        return result.wait(timeout=5)

                def join(result: AsyncResult):
                    if not getattr(current_task.request, "id", None):
                        return None
                    return result.join_native()
                """
            }
        ),
        [("rag/client.py", 7), ("rag/client.py", 12), ("rag/client.py", 17)],
    ),
    (  # a class-based task's run calls a method of its own (`self.helper()`)
        worker(
            {
                "rag/reindex.py": """
                from celery import Task, group

                from celery_app import app

                class Reindex(Task):
                    name = "rag.reindex"

                    def run(self, ids):
                        return self.collect(ids)

                    def collect(self, ids):
                        return group(app.signature("rag.one", args=[i]) for i in ids).apply_async().join()

                app.register_task(Reindex())
                """
            }
        ),
        [("rag/reindex.py", 12)],
    ),
    (  # in a FAILURE branch too (the task's own exception is lost)
        worker(
            {
                "rag/tasks.py": """
                from celery.result import AsyncResult

                from celery_app import app

                @app.task
                def check(task_id):
                    result = AsyncResult(task_id)
                    if result.status == "FAILURE":
                        result.get(propagate=True)
                    return result.status
                """
            }
        ),
        [("rag/tasks.py", 9)],
    ),
    (  # a helper re-exported through a package's `__init__.py`
        {
            "worker/pyproject.toml": "",
            "worker/jobs/__init__.py": "from .waiting import wait_all\n",
            "worker/jobs/waiting.py": """
            def wait_all(results):
                return [r.get(timeout=5) for r in results if r.ready() or True]
            """,
            "worker/jobs/tasks.py": """
            from celery import Celery

            from jobs import wait_all

            app = Celery("jobs")

            def fan_out(items):
                return wait_all([app.send_task("jobs.one", args=[i]) for i in items])

            run = app.task(fan_out)
            """,
        },
        [("worker/jobs/waiting.py", 2)],
    ),
    (  # a relative import in a package, `current_task` under an alias
        {
            "proj/setup.py": "",
            "proj/proj/__init__.py": "",
            "proj/proj/utils.py": """
            from celery import current_task as running
            from celery.result import AsyncResult

            def wait_for(task_id):
                if running and running.request.id:
                    return None
                return AsyncResult(task_id).get(timeout=30)
            """,
            "proj/proj/mail/__init__.py": "",
            "proj/proj/mail/tasks.py": """
            from celery import shared_task

            from ..utils import wait_for

            @shared_task
            def send_all(task_ids):
                for task_id in task_ids:
                    wait_for(task_id)
            """,
        },
        [("proj/proj/utils.py", 7)],
    ),
    (  # an app made by a Celery subclass, imported under a name that does not say it is one
        worker(
            {
                "rag/extensions.py": """
                from celery import Celery

                class FlaskCelery(Celery):
                    pass

                cel = FlaskCelery()
                """,
                "rag/workflows.py": """
                from celery import chain

                from extensions import cel

                @cel.task()
                def hooks(signatures):
                    result = chain(*signatures).apply_async()
                    try:
                        result.get()
                    except Exception:
                        pass
                """,
            }
        ),
        [("rag/workflows.py", 9)],
    ),
    (  # an app made by a factory function, named like an app
        worker(
            {
                "rag/common.py": """
                from celery import Celery
                from celery.result import AsyncResult

                def make_celery(name):
                    return Celery(name)

                celery_app = make_celery("rag")

                @celery_app.task()
                def report(task_id):
                    return AsyncResult(task_id).wait(timeout=3)
                """
            }
        ),
        [("rag/common.py", 11)],
    ),
    (  # a helper reached from two tasks is reported once per call
        worker(
            {
                "rag/tasks.py": """
                from celery.result import GroupResult

                from celery_app import app

                def collect(group_id):
                    return GroupResult.restore(group_id).join(timeout=30)

                @app.task
                def one(group_id):
                    return collect(group_id)

                @app.task
                def two(group_id):
                    return collect(group_id)
                """
            }
        ),
        [("rag/tasks.py", 6)],
    ),
]

VALID = [
    worker(  # waits Celery allows
        {
            "rag/tasks.py": """
            from celery.result import AsyncResult, allow_join_result
            from celery.result import allow_join_result as allowed

            from celery_app import app

            @app.task
            def check(task_id):
                result = AsyncResult(task_id)
                value = result.get(timeout=5, disable_sync_subtasks=False)
                with allow_join_result():
                    value = result.get(timeout=5)
                with allowed():
                    value = result.wait(timeout=5)
                return value
            """
        }
    ),
    worker(  # four calls deep is beyond what the rule follows
        {
            "rag/tasks.py": """
            from celery.result import AsyncResult

            from celery_app import app

            @app.task
            def start(task_id):
                return one(task_id)

            def one(task_id):
                return two(task_id)

            def two(task_id):
                return three(task_id)

            def three(task_id):
                return four(task_id)

            def four(task_id):
                return AsyncResult(task_id).get(timeout=10)
            """
        }
    ),
    worker(  # a wait in code no task runs (a web view): CEL003's concern, not this rule's
        {
            "rag/views.py": """
            from celery.result import AsyncResult

            def status(task_id):
                return AsyncResult(task_id).get(timeout=3)
            """,
            "rag/tasks.py": """
            from celery_app import app

            @app.task
            def noop():
                return None
            """,
        }
    ),
    worker(  # `.get()` on what is no Celery result; a multiprocessing pool's result
        {
            "rag/tasks.py": """
            import multiprocessing

            import requests

            from celery_app import app

            @app.task
            def fetch(url, options):
                timeout = options.get("timeout", 3)
                page = requests.get(url, timeout=timeout)
                with multiprocessing.Pool(2) as pool:
                    squares = pool.apply_async(pow, (2, 3)).get(timeout=1)
                return page, squares, {}.get("x")
            """
        }
    ),
    worker(  # a branch taken outside a task (`if not current_task`), the else of `if current_task`
        {
            "rag/client.py": """
            from celery import current_task
            from celery.result import AsyncResult

            def wait(task_id):
                result = AsyncResult(task_id)
                if not current_task:
                    return result.get(timeout=5)
                if current_task:
                    return None
                else:
                    return result.get(timeout=5)
            """
        }
    ),
    worker(  # a helper a task calls that refuses to wait inside a task before it waits
        {
            "rag/tasks.py": """
            from celery import current_task
            from celery.result import AsyncResult

            from celery_app import app

            def wait_for(task_id):
                if current_task:
                    raise RuntimeError("chain the tasks instead")
                return AsyncResult(task_id).get(timeout=30)

            def wait_for_all(task_ids):
                if current_task is None:
                    return [AsyncResult(t).get(timeout=30) for t in task_ids]
                return []

            @app.task
            def start(task_id):
                return wait_for(task_id), wait_for_all([task_id])
            """
        }
    ),
    worker(  # a task that dispatches and returns the id, and chains instead of waiting
        {
            "rag/tasks.py": """
            from celery import chain

            from celery_app import app

            @app.task
            def step(x):
                return x

            @app.task
            def start(x):
                chain(step.s(x), step.s()).apply_async()
                return step.delay(x).id
            """
        }
    ),
    {  # a function named like a task of another module is not that task
        "server/requirements.txt": "",
        "server/views.py": """
        from celery.result import AsyncResult

        def ingest(task_id):
            return AsyncResult(task_id).get(timeout=3)
        """,
        **worker(
            {
                "rag/tasks.py": """
                from celery_app import app

                @app.task
                def ingest(path):
                    return path
                """
            }
        ),
    },
    worker(  # `@x.task` on an imported object that is no Celery app (another scheduler)
        {
            "rag/scheduler.py": """
            class Scheduler:
                def task(self, fn):
                    return fn

            jobs = Scheduler()
            """,
            "rag/periodic.py": """
            from celery.result import AsyncResult

            from scheduler import jobs

            @jobs.task
            def refresh(task_id):
                return AsyncResult(task_id).get(timeout=5)
            """,
        }
    ),
    worker(  # a nested function the task only defines; a lambda it passes on
        {
            "rag/tasks.py": """
            from celery.result import AsyncResult

            from celery_app import app

            @app.task
            def start(task_id, callbacks):
                def later():
                    return AsyncResult(task_id).get(timeout=1)
                callbacks.append(later)
                callbacks.append(lambda: AsyncResult(task_id).get(timeout=1))
            """
        }
    ),
]


test_invalid, test_valid = workspace_cases(CODE, INVALID, VALID)


def messages(tmp_path, files):
    return workspace_messages(tmp_path, files, CODE)


def test_message_names_the_task(tmp_path):
    (message,) = messages(tmp_path, INVALID[0][0])
    assert message.startswith("`embed.delay(c).get(timeout=60)` waits on a task result in task `rag.ingest_file`:")
    assert "Never call result.get() within a task!" in message
    assert "chain" in message and "chord" in message


def test_message_names_the_call_path(tmp_path):
    (message,) = messages(tmp_path, INVALID[1][0])
    assert "in task `tasks.ingest` (through `helpers.first` -> `helpers.second` -> `helpers.third`)" in message


def test_message_for_a_current_task_branch(tmp_path):
    assert "a branch that runs only inside a task (`current_task`)" in messages(tmp_path, INVALID[2][0])[0]
