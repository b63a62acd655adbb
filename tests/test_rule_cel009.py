"""CEL009 cancel-without-revoke: detection and fix cases."""

import pytest

from celery_patterns.rules import rule_by_code
from ruletest import assert_fix, assert_no_fix, dedent, findings, fixed, lines

CODE = "CEL009"

INVALID = [
    # (source, lines flagged)
    # the route path says cancel, the name does not
    (
        """
    @router.post("/jobs/{job_id}/cancel")
    async def handle(job_id: str, store):
        job = await store.get(job_id)
        job.status = "cancelled"
        return {"task_id": job.task_id}
    """,
        [2],
    ),
    # plain function marking the task in the database only
    (
        """
    def cancel_job(task_id):
        db.execute("update jobs set state = 'cancelled' where task = ?", (task_id,))
    """,
        [1],
    ),
    # camelCase name and parameter
    (
        """
    class Api:
        def abortIngest(self, taskIds):
            self.flags.update(taskIds)
    """,
        [2],
    ),
    # AsyncResult touched, but only inspected
    (
        """
    from celery.result import AsyncResult

    def stop_processing(job):
        result = AsyncResult(job.celery_task_id)
        job.status = "stopped"
        return result.state
    """,
        [3],
    ),
    # a cancel word naming a waiter only after a leading verb: `stop_listener` stops it
    (
        """
    def stop_listener(task_id):
        listeners.pop(task_id).close()
    """,
        [1],
    ),
    # a group's results, handler named after the event
    (
        """
    def handle_cancel(group_result):
        for child in group_result.results:
            log(child)
    """,
        [1],
    ),
    # route path as keyword, DELETE
    (
        """
    @app.delete(path="/tasks/{task_id}/abort")
    async def delete_task(task_id: str):
        await jobs.remove(task_id)
    """,
        [2],
    ),
    # class-based view named after cancelling
    (
        """
    class CancelTaskView(View):
        def post(self, request, task_id):
            Job.objects.filter(task_id=task_id).update(state="CANCELLED")
    """,
        [2],
    ),
    # aliased result class import
    (
        """
    from celery.result import GroupResult as GR

    def terminate_batch(batch):
        group = GR.restore(batch.group)
        return group.ready()
    """,
        [3],
    ),
    # DRF action path, string key
    (
        """
    class JobViewSet(ViewSet):
        @action(detail=True, methods=["post"], url_path="cancel")
        def halt(self, request, pk=None):
            job = self.get_object()
            job.meta["task_id"] = None
    """,
        [3],
    ),
    # Flask route path with converter
    (
        """
    @bp.route("/ingest/<task_id>/stop", methods=["POST"])
    def halt_ingest(task_id):
        STOP_FLAGS.add(task_id)
        return "", 204
    """,
        [2],
    ),
    # a revoking helper exists but is never called here
    (
        """
    from core.celery import app

    def _revoke_all(ids):
        for i in ids:
            app.control.revoke(i)

    def request_cancellation(child_ids):
        mark(child_ids)
    """,
        [7],
    ),
    # nested function that cancels, inside a non-cancelling one
    (
        """
    def make_routes(router):
        @router.post("/{job_id}/cancel")
        def cancel(job_id, child_task_ids):
            return len(child_task_ids)
        return cancel
    """,
        [3],
    ),
    # a cancel call that is handed no task id does not hand the revoke off
    (
        """
    def cancel_job(job_id, task_ids):
        job_store.cancel(job_id)
        audit(task_ids)
    """,
        [1],
    ),
    # a method named cancel that does touch task ids
    (
        """
    class Job:
        def cancel(self):
            self.state = "CANCELLED"
            save(self.task_ids)
    """,
        [2],
    ),
    # an OAuth token's revoke is not a task's
    (
        """
    from core.celery import app as celery_app

    def cancel_subscription(user, task_id):
        user.api_token.revoke()
        session.revoke()
        user.jobs.mark_cancelled(task_id)
    """,
        [3],
    ),
    # a helper named revoke... that is about keys, and one of this module that revokes nothing
    (
        """
    from accounts import revoke_api_key

    def revoke_tokens(user):
        user.tokens.clear()

    def cancel_job(job_id, child_task_ids):
        revoke_api_key(job_id)
        revoke_tokens(job_id)
        return child_task_ids
    """,
        [6],
    ),
    # marking the row cancelled in a database is not handing the revoke off
    (
        """
    def cancel_ingest(task_id, db):
        db.jobs.cancel(task_id)  # only marks the row

    class Service:
        def abort(self, task_id):
            self.job_repo.cancel(task_id)
    """,
        [1, 5],
    ),
    # route paths built from parts: f-string, `+`, `.format`
    (
        """
    PREFIX = "/api"
    JOBS = f"{PREFIX}/jobs"

    @router.post(f"{PREFIX}/jobs/{{job_id}}/cancel")
    def handler(job_id: str, task_id: str):
        return {"job": job_id, "task": task_id}

    @app_router.delete(PREFIX + "/tasks/{task_id}/abort")
    def remove(task_id):
        return task_id

    @router.put(path="{}/{{id}}/stop".format(JOBS))
    def put_job(task_id):
        return task_id
    """,
        [5, 9, 13],
    ),
    # a dispatch of its own does not hide the task ids it also reads
    (
        """
    from shop.tasks import refund_payment as refund

    def cancel_order(order):
        result = refund.delay(order.id)
        old = order.celery_task_id
        return {"refund_task_id": result.id, "old": old}
    """,
        [3],
    ),
    # nor a task id handed to the new task
    (
        """
    def cancel_job(job):
        cleanup.delay(job.task_id)
    """,
        [1],
    ),
]

VALID = [
    # it runs what waits for an abort (superset's abort listener loop): it cancels nothing,
    # in Celery code too
    """
    from celery import Celery

    class TaskManager:
        @classmethod
        def _run_abort_listener_loop(cls, task_uuid, callback, stop_event):
            while not stop_event.is_set():
                if check(task_uuid):
                    callback()
                    break

        def start_cancel_watcher(self, task_id):
            self.threads[task_id] = watch(task_id)
    """,
    # the checklist's recommendation
    """
    from core.celery import app as celery_app

    def cancel_job(child_task_ids):
        for child_id in child_task_ids:
            child_result = celery_app.AsyncResult(child_id)
            if child_result.state == "PENDING":
                celery_app.control.revoke(child_id, terminate=False)
    """,
    # revoking through the result object
    """
    from celery.result import AsyncResult, GroupResult

    def cancel_task(task_id):
        AsyncResult(task_id).revoke(terminate=True)

    def abort_group(group_id):
        GroupResult.restore(group_id).revoke()
    """,
    # stop_server never touches tasks
    """
    def stop_server(server):
        server.shutdown()
        server.close()
    """,
    # a nested def that touches task ids is its own scope
    """
    def stop_server(server):
        def on_task(task_id):
            log(task_id)
        server.stop(on_task)
    """,
    # an unrelated cancel method
    """
    class Timer:
        def cancel(self):
            self._handle.cancel()
            self.done = True
    """,
    # words that only contain a cancel word
    """
    def unstoppable(task_id):
        return task_id

    def stopwatch(task_ids):
        return len(task_ids)

    def nonstop(task_id):
        return task_id
    """,
    # states, questions, tests
    """
    def is_cancelled(task_id):
        return task_id in CANCELLED

    def mark_cancelled(task_id):
        CANCELLED.add(task_id)

    def should_stop(task_id):
        return task_id in STOP

    def test_cancel_job(client, task_id):
        assert client.post(f"/jobs/{task_id}/cancel").status_code == 200
    """,
    # revocation delegated to a helper (named, or defined here), also a self method
    """
    from core.celery import app

    def _kill(ids):
        for i in ids:
            app.control.revoke(i)

    def cancel_job(task_ids):
        revoke_children(task_ids)

    def abort_job(task_ids):
        _kill(task_ids)

    class Jobs:
        def _stop_all(self, ids):
            app.control.revoke(ids)

        def stop(self, task_ids):
            self._stop_all(task_ids)
    """,
    # revoke passed uncalled; control.terminate
    """
    import asyncio
    from core.celery import app as celery_app

    async def cancel(task_id):
        await asyncio.to_thread(celery_app.control.revoke, task_id)

    def terminate_task(task_id):
        celery_app.control.terminate(task_id)
    """,
    # handed off, with the task id, to another cancelling function (checked where defined)
    """
    from orca_backend.celery import cancel_task

    @router.post("/{task_id}/cancel")
    def cancel(task_id: str):
        cancel_task(task_id)
        return {"ok": True}

    class Consumer:
        def _maybe_cancel_ready_task(self, meta):
            if meta["status"] == "SUCCESS":
                self.cancel_for(meta["task_id"])

        def cancel_for(self, task_id):
            self.subscribed.discard(task_id)
            self.app.control.revoke(task_id)
    """,
    # abstract stubs
    """
    from abc import ABC, abstractmethod

    class Canceller(ABC):
        @abstractmethod
        def cancel(self, task_id):
            ...

        def abort(self, task_id):
            \"\"\"Abort a task.\"\"\"
            raise NotImplementedError
    """,
    # a Celery app alone is not a task
    """
    from core.celery import app as celery_app

    def stop_worker():
        celery_app.control.shutdown()
    """,
    # abortable tasks are cancelled by abort()
    """
    from celery.contrib.abortable import AbortableAsyncResult

    def abort_ingest(task_id):
        AbortableAsyncResult(task_id).abort()
    """,
    # route not about cancelling
    """
    @router.get("/jobs/{task_id}/status")
    def job_status(task_id):
        return {"task_id": task_id}
    """,
    # suppressed on the def line
    """
    def cancel_job(task_id):  # noqa: CEL009
        mark(task_id)
    """,
    # the only task touched is one the function dispatches itself
    """
    from celery import group as g, signature
    from shop.tasks import refund_payment as refund

    @router.post("/orders/{order_id}/cancel")
    def cancel_order(order_id: int):
        result = refund.delay(order_id)
        return {"order_id": order_id, "refund_task_id": result.id}

    def cancel_subscription(sub):
        sub.email_task_id = send_email.apply_async(args=[sub.user_id], task_id=make_id()).id
        sub.save()

    def abort_multipart_upload(upload_id, app):
        cleanup_task_id = signature("cleanup", args=[upload_id]).apply_async().id
        notify = app.send_task("notify", args=[upload_id])
        return Out(cleanup_task_id=cleanup_task_id, notify_task_id=notify.id)

    def stop_campaign(campaign):
        gr = g(notice.s(u) for u in campaign.users)()
        return [c.id for c in gr.results]

    def cancel_export(export):
        return tasks.purge_task_ids.delay(export.id).id
    """,
    # the common real revokes still count
    """
    from celery.result import AsyncResult

    class Jobs:
        def cancel(self, task_id):
            self.app.control.revoke(task_id, terminate=True)

    def abort_task(task_id, celery_app):
        celery_app.control.revoke(task_id)

    def stop_group(group_result, task_ids):
        group_result.revoke()

    def cancel_one(task_id):
        res = app.AsyncResult(task_id)
        res.revoke()

    def terminate_all(task_ids):
        tasks_api.revoke_all(task_ids)

    def cancel_children(user_task_ids):
        auth.revoke_tasks(user_task_ids)
    """,
    # handed off to a service that cancels tasks (checked where it is defined)
    """
    def cancel_job(job_id, task_id):
        task_service.cancel(task_id)
    """,
    # an f-string route that is not about cancelling
    """
    PREFIX = "/api"

    @router.get(f"{PREFIX}/jobs/{{task_id}}/status")
    def handler(task_id: str):
        return {"task": task_id}
    """,
]


@pytest.mark.parametrize("source,expected", INVALID)
def test_invalid(source, expected):
    assert lines(celery_module(source), CODE, raw=True) == expected


# Ids of a job of another system (a row of the project's own task table, a Redis flag) in a
# module that has nothing to do with Celery are not this rule's concern: the cases above are
# flagged in a module of a Celery service.
IN_CELERY_CODE = "\n\nfrom celery import Celery  # a module of a Celery service\n"


def celery_module(source: str) -> str:
    return dedent(source) + IN_CELERY_CODE


@pytest.mark.parametrize("source", VALID)
def test_valid(source):
    assert lines(source, CODE) == []


def test_docs_examples():
    rule = rule_by_code(CODE)
    assert lines(rule.doc_example("Example"), CODE)
    assert lines(rule.doc_example("Use instead"), CODE) == []


def test_reported_on_the_name():
    (finding,) = findings(
        celery_module("""
    @router.post("/x/cancel")
    async def cancel_job(task_id):
        pass
        mark(task_id)
    """),
        CODE,
        raw=True,
    )
    assert (finding.range.start.line, finding.range.start.column, finding.range.end.column) == (1, 10, 20)


# --- fixes ---------------------------------------------------------------------------------
def test_fix_doc_example():
    rule = rule_by_code(CODE)
    assert fixed(rule.doc_example("Example"), CODE, raw=True) == rule.doc_example("Use instead")


def test_fix_appends_at_end_with_local_children():
    assert_fix(
        """
        from celery import Celery

        celery_app = Celery("server")

        async def cancel_ingestion(task_id: str):
            metadata = celery_app.backend.get_task_meta(task_id)
            children = metadata["result"]["children"]
            await store.mark(task_id, "CANCELLED")
        """,
        """
        from celery import Celery

        celery_app = Celery("server")

        async def cancel_ingestion(task_id: str):
            metadata = celery_app.backend.get_task_meta(task_id)
            children = metadata["result"]["children"]
            await store.mark(task_id, "CANCELLED")
            for child_id in children:
                child_result = celery_app.AsyncResult(child_id)
                if child_result.state == "PENDING":
                    celery_app.control.revoke(child_id, terminate=False)
        """,
        CODE,
    )


def test_fix_keeps_crlf_and_tabs():
    before = (
        "from core.celery import app\r\n\r\n"
        "class Jobs:\r\n\tdef cancel(self, task_ids):\r\n\t\tself.state = 1\r\n\t\treturn task_ids\r\n"
    )
    after = (
        "from core.celery import app\r\n\r\n"
        "class Jobs:\r\n\tdef cancel(self, task_ids):\r\n\t\tself.state = 1\r\n"
        "\t\tfor child_id in task_ids:\r\n"
        "\t\t\tchild_result = app.AsyncResult(child_id)\r\n"
        '\t\t\tif child_result.state == "PENDING":\r\n'
        "\t\t\t\tapp.control.revoke(child_id, terminate=False)\r\n"
        "\t\treturn task_ids\r\n"
    )
    assert fixed(before, CODE, raw=True) == after


def test_fix_keeps_comments_and_picks_child_ids_and_fresh_names():
    assert_fix(
        """
        from core.celery import app as worker

        @router.post("/jobs/{job_id}/abort")
        def abort(job_id, task_ids, child_ids, child_id=None):
            job = load(job_id)  # the job

            # tell the caller
            return {"status": "aborted"}  # done
        """,
        """
        from core.celery import app as worker

        @router.post("/jobs/{job_id}/abort")
        def abort(job_id, task_ids, child_ids, child_id=None):
            job = load(job_id)  # the job
            for child_id_1 in child_ids:
                child_result = worker.AsyncResult(child_id_1)
                if child_result.state == "PENDING":
                    worker.control.revoke(child_id_1, terminate=False)

            # tell the caller
            return {"status": "aborted"}  # done
        """,
        CODE,
    )


def test_fix_uses_injected_celery_parameter():
    assert_fix(
        """
        from celery import Celery

        def stop_batch(child_task_ids: list[str], celery: Celery) -> None:
            log(child_task_ids)
        """,
        """
        from celery import Celery

        def stop_batch(child_task_ids: list[str], celery: Celery) -> None:
            log(child_task_ids)
            for child_id in child_task_ids:
                child_result = celery.AsyncResult(child_id)
                if child_result.state == "PENDING":
                    celery.control.revoke(child_id, terminate=False)
        """,
        CODE,
    )


def test_fix_uses_heuristic_app_import():
    result = fixed(
        """
        from .worker import celery_app

        def cancel_all(subtask_ids):
            subtask_ids.clear
        """,
        CODE,
    )
    assert "celery_app.control.revoke(child_id, terminate=False)" in result


def test_no_fix_without_ids_list():
    assert_no_fix(
        """
        from core.celery import app

        def cancel_job(task_id):
            mark(task_id)
        """,
        CODE,
    )


def test_no_fix_without_celery_app():
    assert_no_fix(
        celery_module("""
        def cancel_job(child_task_ids):
            mark(child_task_ids)
        """),
        CODE,
        raw=True,
    )


@pytest.mark.parametrize(
    "source",
    [
        # the project's own task records, in a module that does not use Celery
        """
    class TaskDAO:
        @classmethod
        def abort_task(cls, task_uuid):
            task = cls.find(uuid=task_uuid)
            task.status = "ABORTING"
            return task
    """,
        # a cooperative abort flag in Redis
        """
    def cancel_job(job_id, task_id):
        redis.set(f"abort:{task_id}", 1)
    """,
        # a test patched with a target that says cancel: `mock.patch` routes nothing
        """
    from unittest import mock
    from celery import Celery

    @mock.patch("service.cancel_interrupted_tasks")
    def test_pending_task_is_not_cancelled(mock_cancel, task_id):
        assert not mock_cancel.called
    """,
    ],
)
def test_cancelling_what_is_not_a_celery_task_is_not_flagged(source):
    assert lines(source, CODE) == []


def test_no_fix_when_body_ends_in_returning_block():
    assert_no_fix(
        """
        from core.celery import app

        def cancel_job(task_ids):
            if not task_ids:
                return None
            else:
                return mark(task_ids)
        """,
        CODE,
    )


def test_no_fix_on_one_line_def_or_final_raise():
    assert_no_fix(
        """
        from core.celery import app

        def cancel_job(task_ids): mark(task_ids)

        def abort_job(task_ids):
            mark(task_ids)
            raise Aborted(task_ids)
        """,
        CODE,
    )


def test_no_fix_when_app_shadowed():
    assert_no_fix(
        """
        from core.celery import app

        def cancel_job(task_ids, app):
            mark(task_ids)
        """,
        CODE,
    )


def test_fix_children_holding_results_revokes_by_their_id():
    assert_fix(
        """
        from celery.result import GroupResult
        from core.celery import app

        def cancel_group(group_id):
            gr = GroupResult.restore(group_id)
            children = gr.children  # AsyncResult objects, not ids
            app.backend.delete_group(group_id)
            return {"ok": True, "n": len(children)}
        """,
        """
        from celery.result import GroupResult
        from core.celery import app

        def cancel_group(group_id):
            gr = GroupResult.restore(group_id)
            children = gr.children  # AsyncResult objects, not ids
            app.backend.delete_group(group_id)
            for child_result in children:
                if child_result.state == "PENDING":
                    app.control.revoke(child_result.id, terminate=False)
            return {"ok": True, "n": len(children)}
        """,
        CODE,
    )


def test_fix_results_parameter_by_annotation():
    assert_fix(
        """
        import celery.result as cr
        from core.celery import app as celery_app

        def stop_batch(child_results: list[cr.AsyncResult]):
            log(child_results)
        """,
        """
        import celery.result as cr
        from core.celery import app as celery_app

        def stop_batch(child_results: list[cr.AsyncResult]):
            log(child_results)
            for child_result in child_results:
                if child_result.state == "PENDING":
                    celery_app.control.revoke(child_result.id, terminate=False)
        """,
        CODE,
    )


def test_fix_ids_read_off_results_and_from_metadata():
    assert_fix(
        """
        from core.celery import app

        def cancel_group(group_result, task_id):
            child_ids = [str(c.id) for c in group_result.results]
            mark(child_ids, task_id)
        """,
        """
        from core.celery import app

        def cancel_group(group_result, task_id):
            child_ids = [str(c.id) for c in group_result.results]
            mark(child_ids, task_id)
            for child_id in child_ids:
                child_result = app.AsyncResult(child_id)
                if child_result.state == "PENDING":
                    app.control.revoke(child_id, terminate=False)
        """,
        CODE,
    )
    result = fixed(
        """
        from core.celery import app

        def cancel_job(task_id):
            meta = app.backend.get_task_meta(task_id)
            children = (meta.get("children")
                        or [])
            mark(task_id)
        """,
        CODE,
    )
    assert "for child_id in children:" in result and "app.AsyncResult(child_id)" in result


def test_no_fix_when_children_content_is_unknown():
    assert_no_fix(
        """
        from core.celery import app

        def cancel_group(children, task_id):
            mark(children, task_id)

        def cancel_job(job):
            children = fetch_children(job.task_id)
            mark(children)
        """,
        CODE,
    )


# --- the service as a whole: API routes start tasks, and no code of the service revokes ------
from ruletest import workspace_cases, workspace_messages  # noqa: E402

CELERY_APP = """
from celery import Celery

app = Celery("api", broker="redis://")
"""
TASKS = """
from api.celery_app import app


@app.task
def ingest(path):
    return path
"""


def api_service(files: dict[str, str], root: str = "api") -> dict[str, str]:
    """A service `root/` (package `api`) with its app and a task, and `files` added."""
    base = {
        f"{root}/requirements.txt": "celery\nfastapi\n",
        f"{root}/api/__init__.py": "",
        f"{root}/api/celery_app.py": CELERY_APP,
        f"{root}/api/tasks.py": TASKS,
    }
    base.update({f"{root}/{path}": text for path, text in files.items()})
    return base


FASTAPI_ROUTER = """
from fastapi import APIRouter

from api.tasks import ingest

router = APIRouter()


@router.get("/files")
def list_files():
    return []


@router.post("/files/{path}/ingest")
def start_ingest(path: str):
    result = ingest.delay(path)
    second = ingest.delay(path + ".bak")
    return {"task_id": result.id, "second": second.id}
"""

SERVICE_INVALID = [
    # (files, [(path, line)])
    (api_service({"api/routers/files.py": FASTAPI_ROUTER}), [("api/api/routers/files.py", 15)]),
    (  # Flask blueprint, `send_task` by name, an aliased blueprint name
        api_service(
            {
                "api/views.py": """
                from flask import Blueprint as BP

                from api.celery_app import app

                jobs = BP("jobs", __name__)

                @jobs.route("/run", methods=["POST"])
                def run():
                    return {"id": app.send_task("api.tasks.ingest", args=["x"]).id}
                """
            }
        ),
        [("api/api/views.py", 9)],
    ),
    (  # through a helper of another module that dispatches (the model's call graph), async route
        api_service(
            {
                "api/jobs.py": """
                from celery import signature

                def start(path):
                    return signature("api.tasks.ingest", args=[path]).apply_async().id

                def start_later(path):
                    return start(path)
                """,
                "api/routers/jobs.py": """
                from fastapi import APIRouter

                from api import jobs

                router = APIRouter(prefix="/jobs")

                @router.post("/")
                async def create(path: str):
                    audit(path)
                    return {"id": jobs.start_later(path)}
                """,
            }
        ),
        [("api/api/routers/jobs.py", 10)],
    ),
    (  # Django: a function view and a class view registered in urls.py, each module once
        api_service(
            {
                "api/urls.py": """
                from django.urls import path, re_path, include

                from api import views
                from api.views_cls import RunView

                urlpatterns = [
                    path("run/", views.run),
                    re_path(r"^run2/$", RunView.as_view()),
                    path("more/", include("api.more_urls")),
                ]
                """,
                "api/views.py": """
                from api.tasks import ingest

                def helper_not_a_view(path):
                    ingest.delay(path)

                def run(request):
                    ingest.apply_async(args=[request.GET["path"]])
                    return None
                """,
                "api/views_cls.py": """
                from django.views import View

                from api.tasks import ingest

                class RunView(View):
                    def post(self, request):
                        ingest.delay(request.POST["path"])
                """,
            }
        ),
        [("api/api/views.py", 7), ("api/api/views_cls.py", 7)],
    ),
    (  # DRF router.register and Starlette Route: views registered by reference; a canvas called
        api_service(
            {
                "api/urls.py": """
                from rest_framework.routers import DefaultRouter
                from starlette.routing import Route

                from api.viewsets import JobViewSet
                from api.endpoints import start

                router = DefaultRouter()
                router.register(r"jobs", JobViewSet)
                routes = [Route("/start", start, methods=["POST"])]
                """,
                "api/viewsets.py": """
                from rest_framework import viewsets

                from api.tasks import ingest

                class JobViewSet(viewsets.ViewSet):
                    def create(self, request):
                        ingest.delay(request.data["path"])
                """,
                "api/endpoints.py": """
                from celery import group

                from api.tasks import ingest

                async def start(request):
                    group(ingest.s(p) for p in ["a", "b"])()
                """,
            }
        ),
        [("api/api/endpoints.py", 6), ("api/api/viewsets.py", 7)],
    ),
    (  # two services: only the one that revokes nothing; a revoke in its tests does not count
        {
            **api_service({"api/routers/files.py": FASTAPI_ROUTER}, root="one"),
            "one/api/cancel.py": """
            from api.celery_app import app

            def drop(task_id):
                app.control.revoke(task_id)
            """,
            **api_service({"api/routers/files.py": FASTAPI_ROUTER}, root="two"),
            "two/tests/test_files.py": """
            from api.celery_app import app

            def test_cleanup():
                app.control.revoke("x")
            """,
        },
        [("two/api/routers/files.py", 15)],
    ),
    (  # revoking something that is plainly no task; a route in a Flask factory
        api_service(
            {
                "api/app.py": """
                from flask import Flask

                from api.tasks import ingest

                def create_app():
                    app = Flask(__name__)

                    @app.post("/ingest")
                    def start():
                        return {"id": ingest.delay("x").id}

                    return app

                def logout(user):
                    user.api_token.revoke()
                """
            }
        ),
        [("api/api/app.py", 10)],
    ),
    (  # the workspace is the service (no marker below it); a route that is also a task
        {
            "main.py": """
            from celery import Celery
            from fastapi import FastAPI

            celery_app = Celery("tasks")
            app = FastAPI()

            @celery_app.task
            @app.get("/tasks/runall")
            def run_all_tasks():
                celery_app.signature("task1", args=("h1",)).delay()
                return {"status": "success"}
            """
        },
        [("main.py", 10)],
    ),
]

SERVICE_VALID = [
    # the service revokes in another module
    {
        **api_service({"api/routers/files.py": FASTAPI_ROUTER}),
        "api/api/routers/cancel.py": """
        from fastapi import APIRouter

        from api.celery_app import app as celery_app

        router = APIRouter()

        @router.post("/tasks/{task_id}/cancel")
        def cancel(task_id: str):
            celery_app.control.revoke(task_id, terminate=False)
        """,
    },
    # ... by `AsyncResult(id).revoke()` in a worker module
    {
        **api_service({"api/routers/files.py": FASTAPI_ROUTER}),
        "api/api/cleanup.py": """
        from celery.result import AsyncResult

        def drop(task_id):
            AsyncResult(task_id).revoke()
        """,
    },
    # ... through a function of a shared library of the workspace
    {
        **api_service({"api/routers/files.py": FASTAPI_ROUTER}),
        "api/api/admin.py": """
        from common.control import revoke_all

        def purge(ids):
            revoke_all(ids)
        """,
        "common/pyproject.toml": "",
        "common/common/__init__.py": "",
        "common/common/control.py": """
        from celery import current_app

        def revoke_all(ids):
            for task_id in ids:
                current_app.control.revoke(task_id)
        """,
    },
    # routes that start nothing; a script that starts tasks is no route
    api_service(
        {
            "api/routers/status.py": """
            from fastapi import APIRouter

            from api.celery_app import app

            router = APIRouter()

            @router.get("/tasks/{task_id}")
            def status(task_id: str):
                return {"state": app.AsyncResult(task_id).state}
            """,
            "api/cli.py": """
            from api.tasks import ingest

            def main():
                ingest.delay("x")
            """,
        }
    ),
    # a mock.patch decorator is no route; a route in the tests is not the service's API
    api_service(
        {
            "tests/test_ingest.py": """
            from unittest import mock

            from fastapi import FastAPI

            from api.tasks import ingest

            app = FastAPI()

            @app.post("/fake")
            def fake():
                ingest.delay("x")

            @mock.patch("api.tasks.send")
            def helper(send):
                ingest.delay("x")
            """
        }
    ),
    # a process pool's `apply_async` in a route is no Celery task
    api_service(
        {
            "api/routers/pool.py": """
            from multiprocessing import Pool

            from fastapi import APIRouter

            router = APIRouter()
            pool = Pool(2)

            @router.post("/hash")
            def digest(data: str):
                return pool.apply_async(hash, (data,)).get(timeout=5)
            """
        }
    ),
    # Django: a function of views.py that no urls module registers
    api_service(
        {
            "api/urls.py": """
            from django.urls import path

            from api import views

            urlpatterns = [path("status/", views.status)]
            """,
            "api/views.py": """
            from api.tasks import ingest

            def status(request):
                return None

            def nightly():
                ingest.delay("x")
            """,
        }
    ),
    # a Django admin action is a bulk action of an admin page, not an API route
    api_service(
        {
            "api/admin.py": """
            from django.contrib import admin

            from api.tasks import ingest

            @admin.action(description="Ingest again")
            def reingest(modeladmin, request, queryset):
                for item in queryset:
                    ingest.delay(item.path)
            """
        }
    ),
]

test_service_invalid, test_service_valid = workspace_cases(CODE, SERVICE_INVALID, SERVICE_VALID)


def test_service_message_names_the_route_the_helpers_and_the_service(tmp_path):
    files = SERVICE_INVALID[2][0]
    (message,) = workspace_messages(tmp_path, files, CODE)
    assert "route `create`" in message and "`api.jobs.start_later` -> `api.jobs.start`" in message
    assert "the `api` service" in message and "no way to cancel what it starts" in message


def test_no_service_finding_without_a_project():
    assert lines(FASTAPI_ROUTER, CODE) == []
