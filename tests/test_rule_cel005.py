"""CEL005 group-metadata-not-stored: detection and fix cases."""

import pytest

from celery_patterns.config import Settings
from celery_patterns.rules import rule_by_code
from ruletest import assert_fix, assert_no_fix, dedent, findings, fixed, lines

CODE = "CEL005"

CHECKLIST_IDEAL = """
from celery import group
from core.celery import app

def dispatch_parallel_ingestion(
    namespace: str,
    project_id: str,
    file_paths: list[str],
) -> str:
    \"\"\"Dispatch multiple files for parallel processing.\"\"\"
    # Build signatures for each file
    signatures = [
        build_ingest_signature(project_dir, database, path)
        for path in file_paths
    ]

    # Create and dispatch group
    task_group = group(signatures)
    group_result = task_group.apply_async()

    # Store metadata for status tracking
    # (GroupResult.restore() doesn't work well with filesystem backend)
    task_id = str(uuid.uuid4())
    metadata = {
        "type": "group",
        "namespace": namespace,
        "project": project_id,
        "children": [child.id for child in group_result.results],
        "file_hashes": [hash_file(p) for p in file_paths],
    }
    app.backend.store_result(task_id, metadata, "PENDING")

    return task_id
"""

INVALID = [
    # (source, lines flagged)
    # the checklist's pattern without the metadata
    (
        """
    from celery import group

    def dispatch(signatures):
        task_group = group(signatures)
        group_result = task_group.apply_async()
        return group_result.id
    """,
        [5],
    ),
    # aliased import, chained dispatch
    (
        """
    from celery import group as g

    def dispatch(sigs):
        return g(sigs).apply_async()
    """,
        [4],
    ),
    # module attribute, .delay()
    (
        """
    import celery

    def dispatch(sigs):
        return celery.group(sigs).delay()
    """,
        [4],
    ),
    # celery.canvas, calling the group object
    (
        """
    from celery.canvas import group

    def dispatch(sigs):
        result = group(sigs)()
    """,
        [4],
    ),
    # aliased module, star args, options, `.set()` in between
    (
        """
    import celery as c

    def dispatch(sigs):
        res = c.group(*sigs).set(queue="rag").apply_async(
            countdown=1,  # later
        )
    """,
        [4],
    ),
    # store_result of unrelated data does not count
    (
        """
    from celery import group
    from core.celery import app

    def dispatch(task_id, sigs):
        group_result = group(sigs).apply_async()
        app.backend.store_result(task_id, {"status": "queued", "id": group_result.id}, "PENDING")
    """,
        [5],
    ),
    # two groups: only the first one's children are stored
    (
        """
    from celery import group
    from core.celery import app

    def dispatch(a, b, tid):
        first = group(a).apply_async()
        second = group(b).apply_async()
        app.backend.store_result(tid, {"children": [c.id for c in first.results]}, "PENDING")
    """,
        [6],
    ),
    # dispatched in a nested function: the outer store does not cover it
    (
        """
    from celery import group
    from core.celery import app

    def outer(sigs, tid):
        task_group = group(sigs)
        def later():
            return task_group.apply_async()
        r = later()
        app.backend.store_result(tid, {"children": [c.id for c in r.results]}, "PENDING")
    """,
        [7],
    ),
    # module level
    (
        """
    from celery import group

    sigs = [add.s(i, i) for i in range(10)]
    result = group(sigs).apply_async()
    """,
        [4],
    ),
    # stored in another function does not count
    (
        """
    from celery import group
    from core.celery import app

    def store(tid, ids):
        app.backend.store_result(tid, {"children": ids}, "PENDING")

    def dispatch(sigs):
        r = group(sigs).apply_async()
        return r
    """,
        [8],
    ),
    # method, local import, walrus, comments
    (
        """
    class Service:
        def run(self, sigs):
            from celery import group  # local import
            # dispatch
            result = (tg := group(sigs)).apply_async()
            return tg, result
    """,
        [5],
    ),
    # inside loops and branches, dispatch through a name bound in a branch
    (
        """
    from celery import group

    async def dispatch(batches):
        for batch in batches:
            if batch:
                job = group(s for s in batch)
                yield job.delay()
    """,
        [7],
    ),
    # star import from celery
    (
        """
    from celery import *

    def dispatch(sigs):
        return group(sigs).apply_async()
    """,
        [4],
    ),
    # group result stored only as a plain list elsewhere, no store_result
    (
        """
    from celery import group

    def dispatch(sigs, registry):
        r = group(sigs).apply_async()
        registry[r.id] = [c.id for c in r.results]
    """,
        [4],
    ),
    # a children key holding no ids, and a count of the children, store nothing
    (
        """
    from celery import group as g
    from core.celery import app

    def dispatch(sigs, tid):
        res = g(sigs).apply_async()
        app.backend.store_result("id", {"type": "group", "children": []}, "PENDING")  # no ids
        app.backend.store_result(tid, {"child_ids": None, "count": len(res.results)}, "PENDING")
        return res
    """,
        [5],
    ),
    # the group is an attribute of self, bound in __init__
    (
        """
    import celery

    class Dispatcher:
        def __init__(self, sigs):
            self.job = celery.group(sigs)

        def run(self):
            return self.job.apply_async()
    """,
        [8],
    ),
    # a class attribute read through self, and self read from a function nested in a method
    (
        """
    from celery import group

    class Dispatcher:
        job = group([])

        def run(self):
            return self.job.delay()

    class Later:
        def __init__(self, sigs):
            self.job = group(sigs)

        def run(self):
            def go():
                return self.job.apply_async()
            return go
    """,
        [7, 15],
    ),
    # on_error returns the group itself
    (
        """
    from celery.canvas import group

    def dispatch(sigs, cleanup):
        return group(sigs).on_error(
            cleanup.s(),  # errback
        ).apply_async()
    """,
        [4],
    ),
    # waited for, but the id is handed out too
    (
        """
    from celery import group

    def run(sigs):
        job = group(sigs).apply_async()
        job.get(timeout=60)
        return job.id
    """,
        [4],
    ),
    # waited for, but returned (the caller may track it)
    (
        """
    from celery import group

    def run(sigs):
        job = group(sigs).delay()
        job.join(timeout=5)
        return job
    """,
        [4],
    ),
]

VALID = [
    CHECKLIST_IDEAL,
    # regex match groups
    """
    import re

    def parse(text):
        m = re.match(r"(a)(b)", text)
        first = re.match(r"(a)", text).group(1)
        return m.group(), m.group(2), first
    """,
    # groupby look-alikes
    """
    import itertools
    import pandas as pd

    def summarise(df, rows):
        for key, items in itertools.groupby(rows):
            pass
        df.groupby("project").apply(len)
        return pd.Grouper(key="x")
    """,
    # a parameter / local named group is not celery's
    """
    def run(group, make_group):
        group.apply_async()
        other = make_group()
        other.delay()
    """,
    # a `group` from another library
    """
    from mylib.canvas import group

    def run(sigs):
        group(sigs).apply_async()
    """,
    # built but not dispatched here: returned or passed to the caller
    """
    from celery import group

    def build(sigs):
        return group(sigs)

    def hand_over(sigs, runner):
        task_group = group(sigs)
        runner(task_group)
    """,
    # a chord (the group is its header) and a chain are not group dispatches
    """
    from celery import chord, group

    def run(sigs, callback, tail):
        chord(group(sigs))(callback)
        chord(sigs, callback).apply_async()
        (group(sigs) | tail).apply_async()
    """,
    # metadata built up item by item, stored by keyword through a bound backend
    """
    from celery import group
    from core.celery import app

    def run(sigs, tid):
        r = group(sigs).apply_async()
        metadata = {"type": "group"}
        metadata["children"] = [c.id for c in r.results]
        backend = app.backend
        backend.store_result(tid, result=metadata, state="PENDING")
    """,
    # children ids computed into a name first; `self.app.backend`
    """
    from celery import group

    class Dispatcher:
        def run(self, sigs, tid):
            group_result = group(sigs).apply_async()
            child_ids = [child.id for child in group_result.children]
            self.app.backend.store_result(tid, {"type": "group", "child_ids": child_ids}, "PENDING")
    """,
    # GroupResult.save() persists the group and its children
    """
    from celery import group

    def run(sigs):
        result = group(sigs).apply_async()
        result.save()
        return result.id
    """,
    # saved straight away
    """
    from celery import group

    def run(sigs):
        group(sigs).apply_async().save()
    """,
    # a module helper that stores the metadata, handed the result
    """
    from celery import group
    from core.celery import app

    def _remember(result):
        app.backend.store_result(result.id, {"children": [c.id for c in result.results]}, "PENDING")

    def run(sigs):
        result = group(sigs).delay()
        _remember(result)
    """,
    # both of two groups stored
    """
    from celery import group
    from core.celery import app

    def dispatch(a, b, t1, t2):
        first = group(a).apply_async()
        second = group(b).apply_async()
        app.backend.store_result(t1, {"children": [c.id for c in first.results]}, "PENDING")
        app.backend.store_result(t2, {"children": [c.id for c in second.results]}, "PENDING")
    """,
    # group not imported at all: some other callable
    """
    def run(sigs):
        group(sigs).apply_async()
    """,
    # suppressed
    """
    from celery import group

    def run(sigs):
        group(sigs).delay()  # noqa: CEL005
    """,
    # consumed synchronously in the same scope: nothing outlives the call to track
    """
    from celery import group as g

    def resize_all(paths):
        job = g(resize.s(p) for p in paths).apply_async()
        return job.get(timeout=120)

    def total(paths):
        return sum(g(count.s(p) for p in paths)().get(timeout=30))

    def each(paths):
        job = g(resize.s(p) for p in paths).delay()
        if job.ready():
            pass
        for part in job.join(timeout=10):
            yield part
    """,
    # an attribute of self that is not a group
    """
    class Dispatcher:
        def __init__(self, task):
            self.job = task

        def run(self):
            return self.job.apply_async()
    """,
    # an attribute of self that is also bound some other way
    """
    from celery import group

    class Dispatcher:
        def __init__(self, sigs, extra):
            self.job = group(sigs)
            self.job |= extra

        def run(self):
            return self.job.apply_async()
    """,
]


@pytest.mark.parametrize("source,expected", INVALID)
def test_invalid(source, expected):
    assert lines(source, CODE) == expected


@pytest.mark.parametrize("source", VALID)
def test_valid(source):
    assert lines(source, CODE) == []


def test_docs_examples():
    rule = rule_by_code(CODE)
    assert lines(rule.doc_example("Example"), CODE)
    assert lines(rule.doc_example("Use instead"), CODE) == []


def test_message_names_the_function():
    (finding,) = findings(
        """
    from celery import group

    def dispatch(sigs):
        return group(sigs).delay()
    """,
        CODE,
    )
    assert "`dispatch`" in finding.message


# --- fixes ---------------------------------------------------------------------------------
def test_fix_assigned_dispatch():
    assert_fix(
        """
        from celery import group
        from core.celery import app

        def dispatch(signatures):
            task_group = group(signatures)
            group_result = task_group.apply_async()
            return group_result.id
        """,
        """
        from celery import group
        from core.celery import app
        import uuid

        def dispatch(signatures):
            task_group = group(signatures)
            group_result = task_group.apply_async()
            group_task_id = str(uuid.uuid4())
            app.backend.store_result(
                group_task_id,
                {"type": "group", "children": [child.id for child in group_result.results]},
                "PENDING",
            )
            return group_result.id
        """,
        CODE,
    )


def test_fix_keeps_the_comments_and_aliases_of_the_dispatch():
    assert_fix(
        """
        import uuid as u
        from celery import group as g
        from core.celery import app as celery_app

        def dispatch(sigs):
            job = g(
                sigs,  # the batch
            ).delay()  # go
            return job.id
        """,
        """
        import uuid as u
        from celery import group as g
        from core.celery import app as celery_app

        def dispatch(sigs):
            job = g(
                sigs,  # the batch
            ).delay()  # go
            group_task_id = str(u.uuid4())
            celery_app.backend.store_result(
                group_task_id,
                {"type": "group", "children": [child.id for child in job.results]},
                "PENDING",
            )
            return job.id
        """,
        CODE,
    )


def test_fix_return_statement_binds_then_returns():
    assert_fix(
        """
        from uuid import uuid4
        from celery import group
        from core.celery import app

        def dispatch(sigs, group_result):
            return group(sigs).apply_async()
        """,
        """
        from uuid import uuid4
        from celery import group
        from core.celery import app

        def dispatch(sigs, group_result):
            group_result_1 = group(sigs).apply_async()
            group_task_id = str(uuid4())
            app.backend.store_result(
                group_task_id,
                {"type": "group", "children": [child.id for child in group_result_1.results]},
                "PENDING",
            )
            return group_result_1
        """,
        CODE,
    )


def test_fix_keeps_crlf_and_tabs():
    before = (
        "from celery import group\r\nfrom core.celery import app\r\n\r\n"
        "class A:\r\n\tdef f(self, sigs):\r\n\t\tif sigs:\r\n\t\t\tgroup_result = group(sigs).delay()\r\n"
    )
    after = (
        "from celery import group\r\nfrom core.celery import app\r\nimport uuid\r\n\r\n"
        "class A:\r\n\tdef f(self, sigs):\r\n\t\tif sigs:\r\n\t\t\tgroup_result = group(sigs).delay()\r\n"
        "\t\t\tgroup_task_id = str(uuid.uuid4())\r\n"
        "\t\t\tapp.backend.store_result(\r\n"
        "\t\t\t\tgroup_task_id,\r\n"
        '\t\t\t\t{"type": "group", "children": [child.id for child in group_result.results]},\r\n'
        '\t\t\t\t"PENDING",\r\n'
        "\t\t\t)\r\n"
    )
    assert fixed(before, CODE, raw=True) == after


def test_fix_uses_module_celery_app_and_fresh_names():
    assert_fix(
        """
        import uuid
        from celery import Celery, group

        celery_app = Celery("server")

        def dispatch(sigs, group_task_id):
            res = group(sigs).apply_async()
            return res.id
        """,
        """
        import uuid
        from celery import Celery, group

        celery_app = Celery("server")

        def dispatch(sigs, group_task_id):
            res = group(sigs).apply_async()
            group_task_id_1 = str(uuid.uuid4())
            celery_app.backend.store_result(
                group_task_id_1,
                {"type": "group", "children": [child.id for child in res.results]},
                "PENDING",
            )
            return res.id
        """,
        CODE,
    )


def test_fix_adds_configured_app_import():
    settings = Settings(app_import="from server.worker import celery_app")
    result = fixed(
        """
        import uuid
        from celery import group

        def dispatch(sigs):
            res = group(sigs).apply_async()
        """,
        CODE,
        settings=settings,
    )
    assert "from server.worker import celery_app\n" in result
    assert "    celery_app.backend.store_result(\n" in result


def test_fix_at_module_level_with_attribute_target():
    result = fixed(
        """
        from celery import group
        from core.celery import app

        class Holder:
            pass

        holder = Holder()
        holder.result = group([]).apply_async()
        """,
        CODE,
    )
    assert "[child.id for child in holder.result.results]" in result


def test_no_fix_where_the_dispatch_is_conditional():
    assert_no_fix(
        """
        from celery import group
        from core.celery import app

        def dispatch(sigs, cached):
            result = cached or group(sigs).apply_async()
            ids = [s.id for s in sigs if group([s]).delay()]
            while group(sigs).delay().failed():
                pass
        """,
        CODE,
    )


def test_fix_hoists_dispatch_out_of_return_expression():
    assert_fix(
        """
        from celery import group
        from core.celery import app

        def dispatch(sigs):
            # hand out the group id
            return group(sigs).apply_async().id  # the id
        """,
        """
        from celery import group
        from core.celery import app
        import uuid

        def dispatch(sigs):
            # hand out the group id
            group_result = group(sigs).apply_async()
            group_task_id = str(uuid.uuid4())
            app.backend.store_result(
                group_task_id,
                {"type": "group", "children": [child.id for child in group_result.results]},
                "PENDING",
            )
            return group_result.id  # the id
        """,
        CODE,
    )


def test_fix_hoists_dispatch_out_of_for_and_comprehension():
    assert_fix(
        """
        import uuid
        from celery import group
        from core.celery import app

        def dispatch(sigs):
            ids = [c.id for c in group(sigs).apply_async().results]
            for child in group(
                sigs,
            )().children:
                print(child)
        """,
        """
        import uuid
        from celery import group
        from core.celery import app

        def dispatch(sigs):
            group_result = group(sigs).apply_async()
            group_task_id = str(uuid.uuid4())
            app.backend.store_result(
                group_task_id,
                {"type": "group", "children": [child.id for child in group_result.results]},
                "PENDING",
            )
            ids = [c.id for c in group_result.results]
            group_result_1 = group(
                sigs,
            )()
            group_task_id_1 = str(uuid.uuid4())
            app.backend.store_result(
                group_task_id_1,
                {"type": "group", "children": [child.id for child in group_result_1.results]},
                "PENDING",
            )
            for child in group_result_1.children:
                print(child)
        """,
        CODE,
    )


def test_no_fix_on_one_line_block():
    assert_no_fix(
        """
        from celery import group
        from core.celery import app

        def dispatch(sigs):
            if sigs: r = group(sigs).delay()
        """,
        CODE,
    )


def test_no_fix_when_app_name_is_taken():
    assert_no_fix(
        """
        from celery import group
        from fastapi import FastAPI

        app = FastAPI()

        @app.post("/run")
        def dispatch(sigs):
            return group(sigs).delay()
        """,
        CODE,
    )


def test_no_fix_when_uuid_is_shadowed():
    assert_no_fix(
        """
        from celery import group
        from core.celery import app

        def dispatch(sigs, uuid):
            r = group(sigs).delay()
        """,
        CODE,
    )


def test_no_fix_in_lambda():
    assert_no_fix(
        """
        from celery import group
        from core.celery import app

        later = lambda sigs: group(sigs).delay()
        """,
        CODE,
    )


def test_fix_is_idempotent_and_clears_all():
    source = dedent("""
        from celery import group
        from core.celery import app

        def dispatch(a, b):
            first = group(a).apply_async()
            second = group(b).delay()
        """)
    result = fixed(source, CODE)
    assert lines(result, CODE, raw=True) == []
    assert result.count("store_result(") == 2


@pytest.mark.parametrize(
    "source",
    [
        # the manifest must be written before any worker can pick up a task
        """
    from celery import group
    from core.celery import app

    def dispatch(paths, sigs, db):
        return db.save_manifest(paths), group(sigs).apply_async().id
    """,
        """
    from celery import group
    from core.celery import app

    def dispatch(sigs, log):
        log.info("queued %s", prepare(sigs), group(sigs).delay())
    """,
        """
    from celery import group
    from core.celery import app

    def dispatch(sigs, db):
        return {"manifest": db.save(sigs), "id": group(sigs).apply_async().id}
    """,
        """
    from celery import group
    from core.celery import app

    def dispatch(sigs, db):
        db.rows[next_key()] += len(group(sigs).apply_async().results)
    """,
    ],
)
def test_no_fix_when_something_runs_before_the_dispatch(source):
    assert_no_fix(source, CODE)


def test_fix_hoists_after_inert_parts_of_the_statement():
    assert_fix(
        """
        from celery import group
        from core.celery import app

        def dispatch(sigs, log):
            log.info("queued %s", group(sigs).delay().id, extra={"n": len(sigs)})
        """,
        """
        from celery import group
        from core.celery import app
        import uuid

        def dispatch(sigs, log):
            group_result = group(sigs).delay()
            group_task_id = str(uuid.uuid4())
            app.backend.store_result(
                group_task_id,
                {"type": "group", "children": [child.id for child in group_result.results]},
                "PENDING",
            )
            log.info("queued %s", group_result.id, extra={"n": len(sigs)})
        """,
        CODE,
    )


def test_fix_group_bound_to_self_attribute():
    assert_fix(
        """
        from celery import group
        from core.celery import app

        class Dispatcher:
            def __init__(self, sigs):
                self.job = group(sigs)

            def run(self):
                return self.job.apply_async()  # go
        """,
        """
        from celery import group
        from core.celery import app
        import uuid

        class Dispatcher:
            def __init__(self, sigs):
                self.job = group(sigs)

            def run(self):
                group_result = self.job.apply_async()
                group_task_id = str(uuid.uuid4())
                app.backend.store_result(
                    group_task_id,
                    {"type": "group", "children": [child.id for child in group_result.results]},
                    "PENDING",
                )
                return group_result  # go
        """,
        CODE,
    )


def test_fix_uses_the_app_a_function_receives_and_passes_on_as_app():
    """The parameter passed as `app=app` to `signature(...)` is the Celery app."""
    assert_fix(
        """
        from celery import group, signature

        def ingest_all(app, paths):
            signatures = [signature("rag.ingest_file", args=[p], app=app) for p in paths]
            result = group(signatures).apply_async()
            return result.id
        """,
        """
        from celery import group, signature
        import uuid

        def ingest_all(app, paths):
            signatures = [signature("rag.ingest_file", args=[p], app=app) for p in paths]
            result = group(signatures).apply_async()
            group_task_id = str(uuid.uuid4())
            app.backend.store_result(
                group_task_id,
                {"type": "group", "children": [child.id for child in result.results]},
                "PENDING",
            )
            return result.id
        """,
        CODE,
    )


@pytest.mark.parametrize(
    "dispatch",
    ["group(sigs).apply_async()", "group(sigs).delay()", "group(sigs)()", "group(sigs).set(queue='q').apply_async()"],
)
def test_fire_and_forget_groups_are_not_flagged(dispatch):
    """A group whose result is thrown away: nobody can ask about the batch later."""
    assert lines(f"from celery import group\n\ndef dispatch(sigs):\n    {dispatch}\n", CODE, raw=True) == []


# --- groups built by a workspace helper in another module -----------------------------------
from ruletest import workspace, workspace_cases, workspace_fixed, workspace_messages  # noqa: E402


def with_helper(router: str, helper: str | None = None, files: dict[str, str] | None = None) -> dict[str, str]:
    """`server/` with a helper module building the group and a router dispatching it."""
    base = {
        "server/requirements.txt": "celery\n",
        "server/app/__init__.py": "",
        "server/app/celery_app.py": 'from celery import Celery\n\napp = Celery("server")\n',
        "server/app/batches.py": helper
        or """
        from celery import group

        def build_ingest_group(paths):
            if not paths:
                return None
            return group(ingest.s(p) for p in paths)
        """,
        "server/app/router.py": router,
    }
    base.update(files or {})
    return base


HELPER_INVALID = [
    # (files, [(path, line)])
    (
        with_helper(
            """
            from app.batches import build_ingest_group

            def start(paths):
                result = build_ingest_group(paths).apply_async()
                return result.id
            """
        ),
        [("server/app/router.py", 4)],
    ),
    (  # bound to a name first, aliased import, `.delay()`
        with_helper(
            """
            from app.batches import build_ingest_group as make

            def start(paths):
                job = make(paths)
                result = job.delay()
                return {"id": result.id}
            """
        ),
        [("server/app/router.py", 5)],
    ),
    (  # called, through `.set(...)`, module import
        with_helper(
            """
            from app import batches

            def start(paths):
                return batches.build_ingest_group(paths).set(queue="ingest")().id
            """
        ),
        [("server/app/router.py", 4)],
    ),
    (  # a helper returning a name bound to a group, relative import, kept on `self`
        with_helper(
            """
            from .batches import build

            class Runner:
                def run(self, paths):
                    self.result = build(paths).apply_async()
            """,
            helper="""
            from celery import group as g

            def build(paths):
                batch = g(ingest.s(p) for p in paths)
                return batch
            """,
        ),
        [("server/app/router.py", 5)],
    ),
    (  # a method of the same module returning a group
        with_helper(
            """
            from celery import group

            class Service:
                def build(self, paths):
                    return group(ingest.s(p) for p in paths)

                def start(self, paths):
                    return self.build(paths).apply_async().id
            """
        ),
        [("server/app/router.py", 8)],
    ),
    (  # the result handed on, a walrus
        with_helper(
            """
            from app.batches import build_ingest_group

            def start(paths, store):
                if (result := build_ingest_group(paths).apply_async()):
                    store.remember(result)
            """
        ),
        [("server/app/router.py", 4)],
    ),
]

HELPER_VALID = [
    # fire and forget
    with_helper(
        """
        from app.batches import build_ingest_group

        def start(paths):
            build_ingest_group(paths).apply_async()
        """
    ),
    # the children are stored
    with_helper(
        """
        import uuid

        from app.batches import build_ingest_group
        from app.celery_app import app

        def start(paths):
            result = build_ingest_group(paths).apply_async()
            task_id = str(uuid.uuid4())
            app.backend.store_result(task_id, {"children": [c.id for c in result.results]}, "PENDING")
            return task_id
        """
    ),
    # only waited on
    with_helper(
        """
        from app.batches import build_ingest_group

        def start(paths):
            return build_ingest_group(paths).apply_async().get(timeout=60)
        """
    ),
    # a helper returning a chain, or a group in one branch and a chord in the other
    with_helper(
        """
        from app.batches import build_chain, build_either

        def start(paths):
            first = build_chain(paths).apply_async()
            second = build_either(paths).apply_async()
            return first.id, second.id
        """,
        helper="""
        from celery import chain, chord, group

        def build_chain(paths):
            return chain(ingest.s(p) for p in paths)

        def build_either(paths, callback=None):
            if callback:
                return chord(ingest.s(p) for p in paths)(callback)
            return group(ingest.s(p) for p in paths)
        """,
    ),
    # a look-alike of the same name in another module that returns no group
    with_helper(
        """
        from app.other import build_ingest_group

        def start(paths):
            return build_ingest_group(paths).apply_async().id
        """,
        files={
            "server/app/other.py": """
            def build_ingest_group(paths):
                return Batch(paths)
            """
        },
    ),
    # the helper's group in a chain: a chord or chain's result is what callers track
    with_helper(
        """
        from app.batches import build_ingest_group

        def start(paths):
            return (build_ingest_group(paths) | summarise.s()).apply_async().id
        """
    ),
    # the helper returns a group it sends itself (flagged there, not here)
    with_helper(
        """
        from app.batches import send_batch

        def start(paths):
            return send_batch(paths).id
        """,
        helper="""
        import uuid

        from celery import group
        from app.celery_app import app

        def send_batch(paths):
            result = group(ingest.s(p) for p in paths).apply_async()
            app.backend.store_result(str(uuid.uuid4()), {"children": [c.id for c in result.results]}, "PENDING")
            return result
        """,
    ),
    # a nested function's return is not the helper's
    with_helper(
        """
        from app.batches import make_builder

        def start(paths):
            return make_builder()(paths).apply_async().id
        """,
        helper="""
        from celery import group

        def make_builder():
            def build(paths):
                return group(ingest.s(p) for p in paths)
            return build
        """,
    ),
]

test_helper_invalid, test_helper_valid = workspace_cases("CEL005", HELPER_INVALID, HELPER_VALID)


def test_helper_group_message_names_the_helper(tmp_path):
    (message,) = workspace_messages(tmp_path, HELPER_INVALID[0][0], "CEL005")
    assert message.startswith("`group` (built by `app.batches.build_ingest_group`) dispatched in `start`")


def test_helper_group_needs_the_project():
    assert lines(HELPER_INVALID[0][0]["server/app/router.py"], "CEL005") == []


def test_fix_stores_the_children_of_a_helper_group(tmp_path):
    root = workspace(
        tmp_path,
        with_helper(
            """
            from app.batches import build_ingest_group
            from app.celery_app import app

            def start(paths):
                result = build_ingest_group(paths).apply_async()
                return result.id
            """
        ),
    )
    fixed_router = workspace_fixed(root, "server/app/router.py", "CEL005")
    # the same statements as for a group built here (see the fixes above), after the dispatch
    assert "import uuid\n" in fixed_router
    assert (
        "    result = build_ingest_group(paths).apply_async()\n"
        "    group_task_id = str(uuid.uuid4())\n"
        "    app.backend.store_result(\n"
        "        group_task_id,\n"
        '        {"type": "group", "children": [child.id for child in result.results]},\n'
    ) in fixed_router
    assert fixed_router.endswith('        "PENDING",\n    )\n    return result.id\n')
