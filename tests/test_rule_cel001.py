"""CEL001 foreign-service-import: detection and fix cases."""

import pytest

from celery_patterns.config import Settings
from celery_patterns.engine import compute_fix, fix_source
from celery_patterns.rules import rule_by_code
from ruletest import assert_fix, assert_no_fix, dedent, findings, fixed, lines, workspace, workspace_lines

CODE = "CEL001"

INVALID = [
    # (source, lines flagged)
    # the checklist's anti-pattern
    (
        """
    from rag.tasks import ingest_file

    ingest_file.delay("p", "db", "path")
    """,
        [1],
    ),
    (
        """
    import rag
    """,
        [1],
    ),
    (
        """
    import rag.tasks as rt
    """,
        [1],
    ),
    (
        """
    from rag import tasks
    """,
        [1],
    ),
    # several names, and a module mixed with a foreign one: one finding per statement
    (
        """
    import os, rag.tasks
    from rag.tasks import (
        ingest_file,  # ingest
        search,
    )
    """,
        [1, 2],
    ),
    # inside a function, and inside a try block
    (
        """
    def ingest(path):
        from rag.tasks import ingest_file
        return ingest_file.delay(path)

    try:
        import rag.celery_app
    except ImportError:
        pass
    """,
        [2, 6],
    ),
    # the else branch of `if TYPE_CHECKING` runs
    (
        """
    from typing import TYPE_CHECKING

    if TYPE_CHECKING:
        from rag.tasks import Result
    else:
        from rag.tasks import ingest_file
    """,
        [6],
    ),
    (
        """
    import importlib

    module = importlib.import_module("rag.tasks")
    """,
        [3],
    ),
    # importlib through an alias, an f-string whose head names the package
    (
        """
    import importlib as il

    def load(name):
        return il.import_module(f"rag.{name}")
    """,
        [4],
    ),
    # from-imported import_module with a name bound to the string
    (
        """
    from importlib import import_module as im

    TASKS = "rag.tasks"
    tasks = im(TASKS)
    """,
        [4],
    ),
    (
        """
    rag = __import__("rag")
    """,
        [1],
    ),
    # relative import_module anchored in the foreign package
    (
        """
    import importlib

    importlib.import_module(".tasks", package="rag")
    """,
        [3],
    ),
    # a file inside another foreign service still may not import this one
    (
        """
    from rag.tasks import ingest_file
    """,
        [1],
    ),
    # a flag named TYPE_CHECKING that is not typing's may be true at run time
    (
        """
    TYPE_CHECKING = True  # our own switch
    if TYPE_CHECKING:
        from rag.tasks import ingest_file
    """,
        [3],
    ),
    (
        """
    from mylib import TYPE_CHECKING
    from server import settings

    if TYPE_CHECKING:
        import rag.models
    if settings.TYPE_CHECKING:
        import rag.schemas
    """,
        [5, 7],
    ),
    # a name bound to several strings, every one of them a rag module
    (
        """
    import importlib

    def load(kind):
        if kind == "ingest":
            module = "rag.tasks"
        elif kind == "search":
            module = "rag.search"
        else:
            module = f"rag.plugins.{kind}"
        return importlib.import_module(module)
    """,
        [10],
    ),
    (
        """
    from importlib import import_module

    try:
        NAME = "rag.tasks"
    except ImportError:
        NAME = "rag.compat.tasks"
    tasks = import_module(NAME)
    legacy = import_module("rag.tasks" if NAME else "rag.old")
    """,
        [7, 8],
    ),
    # the package through a name in an f-string, `%` and `.format` templates
    (
        """
    import importlib

    PACKAGE = "rag"

    def load(name):
        importlib.import_module(f"{PACKAGE}.tasks")
        importlib.import_module("rag.%s" % name)
        return importlib.import_module("rag.{}".format(name))
    """,
        [6, 7, 8],
    ),
]

VALID = [
    # look-alike package names
    """
    import ragas
    import myrag
    from ragtime import x
    from ragas.metrics import faithfulness
    """,
    # relative imports stay inside this service
    """
    from .rag import client
    from ..rag.tasks import build_signature
    from . import rag
    """,
    # a package of this service that happens to be called rag
    """
    from server.rag import client
    import server.rag.tasks
    """,
    # strings that are not the rag package
    """
    import importlib

    importlib.import_module("ragas.metrics")
    importlib.import_module("server.rag")
    __import__("ragtime")
    """,
    # an f-string that only starts with "rag": could be "ragas"
    """
    import importlib

    def load(suffix):
        return importlib.import_module(f"rag{suffix}")
    """,
    # not the real importlib
    """
    from mylib import import_module

    import_module("rag.tasks")
    """,
    """
    def load(importlib):
        return importlib.import_module("rag.tasks")
    """,
    """
    import importlib
    importlib = PluginLoader()
    importlib.import_module("rag.tasks")
    """,
    # a module name we cannot know is not flagged
    """
    import importlib

    def load(name):
        return importlib.import_module(name)
    """,
    # type-only imports add no runtime coupling, whatever typing's flag is called here
    """
    import typing as t
    from typing_extensions import TYPE_CHECKING as CHECKING

    if t.TYPE_CHECKING:
        from rag.tasks import IngestResult
    if CHECKING:
        import rag.models
    elif t.TYPE_CHECKING:
        import rag.schemas
    """,
    """
    from typing import *

    if TYPE_CHECKING:
        from rag.tasks import IngestResult
    """,
    # not every value of the name is a rag module
    """
    import importlib

    def load(kind, plugin):
        module = "rag.tasks" if kind else "ragas.metrics"
        importlib.import_module(module)
        if kind:
            name = "rag.search"
        else:
            name = plugin
        importlib.import_module(name)
        importlib.import_module(f"{plugin}.tasks")
    """,
    # a comprehension's variable is not the module-level string of the same name
    """
    import importlib

    name = "rag.tasks"
    modules = [importlib.import_module(name) for name in ("json", "csv")]
    """,
    """
    import typing
    from typing import TYPE_CHECKING

    if TYPE_CHECKING:
        from rag.tasks import IngestResult
    if typing.TYPE_CHECKING:
        import rag.models
    if not TYPE_CHECKING:
        pass
    else:
        import rag.schemas
    """,
    # the checklist's recommended code
    """
    from celery import signature
    from core.celery import app

    def build_ingest_signature(
        project_dir: str,
        database_name: str,
        source_path: str,
    ) -> signature:
        \"\"\"Build a Celery signature for the rag.ingest_file task.\"\"\"
        return signature(
            "rag.ingest_file",
            args=[project_dir, database_name, source_path],
            app=app,
        )

    task = signature("rag.ingest_file", args=[1, 2, 3], app=app)
    result = task.apply_async()
    """,
]


@pytest.mark.parametrize("source,expected", INVALID)
def test_invalid(source, expected):
    settings = Settings(foreign_packages=("rag", "runtime"))
    assert lines(source, CODE, settings=settings, module_name="runtime.worker") == expected
    assert lines(source, CODE) == expected


@pytest.mark.parametrize("source", VALID)
def test_valid(source):
    assert lines(source, CODE) == []


def test_inside_the_foreign_package_nothing_is_flagged():
    source = """
    from rag.tasks import ingest_file
    import rag.celery_app
    import importlib
    importlib.import_module("rag.tasks")
    """
    assert lines(source, CODE, module_name="rag.worker") == []
    assert lines(source, CODE, module_name="rag") == []
    # without a module name from the front end, the path tells
    assert lines(source, CODE, path="rag/worker.py") == []
    assert lines(source, CODE, module_name="ragas.worker") == [1, 2, 4]
    assert lines(source, CODE, module_name="server.rag") == [1, 2, 4]


NAMESPACE_SOURCE = """
from rag.core.ingest_handler import IngestHandler
import importlib
importlib.import_module("rag.core")
"""


def checked_at(path, root=None, source=NAMESPACE_SOURCE):
    """CEL001 lines for a file on disk, named as the command line names it."""
    from celery_patterns.discovery import module_name_for

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source)
    settings = Settings(root=str(root) if root else None)
    return lines(source, CODE, path=str(path), settings=settings, module_name=module_name_for(str(path), settings.root))


def test_inside_a_namespace_package_nothing_is_flagged(tmp_path):
    # rag/ without __init__.py, as in a repository holding several services
    assert checked_at(tmp_path / "rag" / "tasks" / "ingest.py", tmp_path) == []
    # a package inside the namespace package: its dotted name says `tasks.worker`
    (tmp_path / "rag" / "tasks" / "__init__.py").write_text("")
    assert checked_at(tmp_path / "rag" / "tasks" / "worker.py", tmp_path) == []
    assert checked_at(tmp_path / "src" / "rag" / "jobs.py", tmp_path) == []
    # the other services of the project are still checked
    assert checked_at(tmp_path / "server" / "api.py", tmp_path) == [1, 3]
    assert checked_at(tmp_path / "ragtools" / "api.py", tmp_path) == [1, 3]


def test_a_directory_named_rag_above_the_project_does_not_count(tmp_path):
    project = tmp_path / "rag" / "monorepo"
    assert checked_at(project / "server" / "api.py", project) == [1, 3]
    assert checked_at(project / "rag" / "worker.py", project) == []


def test_without_configuration_the_working_directory_is_the_project(tmp_path, monkeypatch):
    services = tmp_path / "services"
    services.mkdir()
    monkeypatch.chdir(services)
    assert checked_at(services / "rag" / "tasks.py") == []
    assert checked_at(services / "server" / "api.py") == [1, 3]
    # a file outside the working directory: only its own name can tell
    assert checked_at(tmp_path / "rag" / "tasks.py") == [1, 3]


def test_configured_foreign_packages():
    settings = Settings(foreign_packages=("runtime", "rag.core"))
    source = """
    from runtime.jobs import run
    from rag import core
    from rag.utils import helper
    import runtimes
    """
    assert lines(source, CODE, settings=settings) == [1, 2]


def test_one_finding_per_statement_with_its_range():
    [finding] = findings("from rag.tasks import a, b, c\n", CODE)
    assert (finding.range.start.column, finding.range.end.column) == (0, 29)


def test_documentation_examples():
    rule = rule_by_code(CODE)
    assert lines(rule.doc_example("Example"), CODE)
    assert lines(rule.doc_example("Use instead"), CODE) == []


# --- fixes ---------------------------------------------------------------------------------
def test_fix_checklist_anti_pattern():
    assert_fix(
        """
        from rag.tasks import ingest_file


        def ingest(project_dir, database, path):
            result = ingest_file.delay(project_dir, database, path)
            return result.id
        """,
        """
        from celery import signature
        from core.celery import app


        def ingest(project_dir, database, path):
            result = signature("rag.ingest_file", args=[project_dir, database, path], app=app).apply_async()
            return result.id
        """,
        CODE,
    )


def test_fix_keeps_crlf_and_tabs():
    before = (
        "import os\r\nfrom rag.tasks import ingest_file\r\n\r\n"
        'def ingest(path):\r\n\tif path:\r\n\t\tingest_file.delay(path, mode="fast")\r\n'
    )
    after = (
        "import os\r\nfrom celery import signature\r\nfrom core.celery import app\r\n\r\n"
        "def ingest(path):\r\n\tif path:\r\n"
        '\t\tsignature("rag.ingest_file", args=[path], kwargs={"mode": "fast"}, app=app).apply_async()\r\n'
    )
    assert fixed(before, CODE, raw=True) == after


def test_fix_reuses_existing_aliases_and_keeps_apply_async_options():
    assert_fix(
        """
        from celery import signature as sig
        from core.celery import app as celery_app
        from rag.tasks import ingest_file as ingest


        def run(path):
            return ingest.apply_async(args=[path], kwargs={"force": True}, countdown=10, queue="rag")
        """,
        """
        from celery import signature as sig
        from core.celery import app as celery_app


        def run(path):
            return sig("rag.ingest_file", args=[path], kwargs={"force": True}, app=celery_app).apply_async(countdown=10, queue="rag")
        """,
        CODE,
    )


def test_fix_keeps_comments_inside_the_call_and_above_the_import():
    assert_fix(
        """
        import os

        # the worker's tasks
        from rag.tasks import ingest_file

        CHUNK = 10


        def ingest(path):
            ingest_file.delay(
                os.path.dirname(path),  # project
                "main",
                path,
            )
        """,
        """
        import os

        # the worker's tasks
        from celery import signature
        from core.celery import app

        CHUNK = 10


        def ingest(path):
            signature("rag.ingest_file", args=[
                os.path.dirname(path),  # project
                "main",
                path,
            ], app=app).apply_async()
        """,
        CODE,
    )


def test_fix_module_import_and_positional_apply_async():
    assert_fix(
        """
        import rag.tasks as rt
        from celery import group


        def run(a, b):
            rt.ingest.apply_async((a, b), {"k": 1}, countdown=5)
            return rt.search.delay(*b, **a)
        """,
        """
        from celery import signature, group
        from core.celery import app


        def run(a, b):
            signature("rag.ingest", args=(a, b), kwargs={"k": 1}, app=app).apply_async(countdown=5)
            return signature("rag.search", args=[*b], kwargs={**a}, app=app).apply_async()
        """,
        CODE,
    )


def test_fix_submodule_with_task_name_template_and_app_import():
    settings = Settings(task_name_template="{module}.{name}", app_import="from server.core.celery import app")
    assert_fix(
        """
        from rag import tasks


        def run(path):
            tasks.ingest_file.delay(path)
        """,
        """
        from celery import signature
        from server.core.celery import app


        def run(path):
            signature("rag.tasks.ingest_file", args=[path], app=app).apply_async()
        """,
        CODE,
        settings=settings,
    )


def test_fix_whole_package_import_and_keeps_other_modules():
    assert_fix(
        """
        import os, rag.tasks

        def run():
            rag.tasks.health.delay()
            return os.getcwd()
        """,
        """
        import os
        from celery import signature
        from core.celery import app

        def run():
            signature("rag.health", app=app).apply_async()
            return os.getcwd()
        """,
        CODE,
    )


def test_fix_import_inside_function():
    assert_fix(
        """
        from celery import signature


        def ingest(path):
            from rag.tasks import ingest_file
            return ingest_file.delay(path)
        """,
        """
        from celery import signature
        from core.celery import app


        def ingest(path):
            return signature("rag.ingest_file", args=[path], app=app).apply_async()
        """,
        CODE,
    )


def test_fix_only_import_in_a_block_leaves_pass():
    assert_fix(
        """
        import sys

        if sys.version_info >= (3, 10):
            from rag.tasks import health


        def check():
            return health.delay()
        """,
        """
        import sys
        from celery import signature
        from core.celery import app

        if sys.version_info >= (3, 10):
            pass


        def check():
            return signature("rag.health", app=app).apply_async()
        """,
        CODE,
    )


def test_fix_removes_an_import_from_a_line_of_several_statements():
    assert_fix(
        """
        import sys
        import os; from rag.tasks import ingest
        if sys.argv: from rag.tasks import search
        ingest.delay(os.sep)
        """,
        """
        import sys
        from celery import signature
        from core.celery import app

        import os
        if sys.argv: pass
        signature("rag.ingest", args=[os.sep], app=app).apply_async()
        """,
        CODE,
    )


def test_fix_keeps_a_comment_on_a_moved_argument():
    result = fixed(
        """
        from rag.tasks import ingest
        ingest.apply_async(
            countdown=3,
            kwargs={"a": 1},  # the options
        )
        """,
        CODE,
    )
    assert "# the options" in result and ".apply_async(\n    countdown=3,\n)" in result


def test_fix_keeps_the_comment_of_the_removed_import_line():
    assert_fix(
        """
        import os
        from rag.tasks import ingest_file as ingest  # the worker's task


        def run(path):
            return ingest.delay(os.path.basename(path))
        """,
        """
        import os
        # the worker's task
        from celery import signature
        from core.celery import app


        def run(path):
            return signature("rag.ingest_file", args=[os.path.basename(path)], app=app).apply_async()
        """,
        CODE,
    )


def test_fix_keeps_the_comments_inside_a_removed_import():
    assert_fix(
        """
        from celery import signature
        from core.celery import app
        from rag.tasks import (  # the worker's tasks
            ingest_file,  # ingest one file
            search,
        )  # end
        ingest_file.delay(1)
        search.delay(2)
        """,
        """
        from celery import signature
        from core.celery import app
        # the worker's tasks
        # ingest one file
        # end
        signature("rag.ingest_file", args=[1], app=app).apply_async()
        signature("rag.search", args=[2], app=app).apply_async()
        """,
        CODE,
    )


def test_fix_keeps_comments_of_an_import_in_a_block_crlf():
    before = (
        "from celery import signature\r\nfrom core.celery import app\r\n\r\n"
        "def run(path):\r\n"
        "\tfrom rag.tasks import ingest_file  # lazy: the worker is heavy\r\n"
        "\treturn ingest_file.delay(path)\r\n"
        "\r\n"
        "def late(path):\r\n"
        "\tif path:\r\n"
        "\t\tfrom rag.tasks import search  # only here\r\n"
        "\t\tsearch.delay(path)\r\n"
        "\t\tfrom rag.tasks import health  # last\r\n"
    )
    after = (
        "from celery import signature\r\nfrom core.celery import app\r\n\r\n"
        "def run(path):\r\n"
        "\t# lazy: the worker is heavy\r\n"
        '\treturn signature("rag.ingest_file", args=[path], app=app).apply_async()\r\n'
        "\r\n"
        "def late(path):\r\n"
        "\tif path:\r\n"
        "\t\t# only here\r\n"
        '\t\tsignature("rag.search", args=[path], app=app).apply_async()\r\n'
        "\t\t# last\r\n"
    )
    assert_fix(before, after, CODE, raw=True)


def test_fix_keeps_the_comment_of_a_line_that_stays():
    assert_fix(
        """
        import os; from rag.tasks import ingest_file  # both
        if os.sep: from rag.tasks import search  # one-line block
        ingest_file.delay(1)
        """,
        """
        from celery import signature
        from core.celery import app

        import os  # both
        if os.sep: pass  # one-line block
        signature("rag.ingest_file", args=[1], app=app).apply_async()
        """,
        CODE,
    )


def test_fix_keeps_the_other_names_of_a_from_import():
    settings = Settings(foreign_packages=("acme.rag",))
    assert_fix(
        """
        from acme import (
            rag,
            utils,
        )

        def run():
            rag.ingest.delay(utils.path())
        """,
        """
        from acme import (
            utils,
        )
        from celery import signature
        from core.celery import app

        def run():
            signature("acme.rag.ingest", args=[utils.path()], app=app).apply_async()
        """,
        CODE,
        settings=settings,
    )


def test_two_imports_adding_the_same_imports_are_both_fixed_in_one_round():
    # Both fixes add `from celery import signature` and the app import: the engine makes
    # that identical edit once (they used to wait for each other, a round each).
    source = dedent(
        """
        from rag.tasks import ingest_file
        from rag.tasks import search

        ingest_file.delay(1)
        search.delay(2)
        """
    )
    first, second = findings(source, CODE, raw=True)
    assert first.fixable and second.fixable
    for finding in (first, second):
        assert compute_fix(source, finding, Settings(), "server/app/module.py") is not None
    outcome = fix_source(source, "server/app/module.py", unsafe=True, codes={CODE}, max_rounds=1)
    assert outcome.applied == 2 and not outcome.remaining
    assert outcome.source.count("from celery import signature") == 1


def test_fix_nested_dispatches():
    assert_fix(
        """
        from rag.tasks import ingest, search
        ingest.delay(search.delay(1), k=search.delay(2))
        """,
        """
        from celery import signature
        from core.celery import app

        signature("rag.ingest", args=[signature("rag.search", args=[1], app=app).apply_async()], kwargs={"k": signature("rag.search", args=[2], app=app).apply_async()}, app=app).apply_async()
        """,
        CODE,
    )


def test_fix_joins_the_celery_import_next_to_the_removed_one():
    # The added name and the removed import are separate edits: one span over both overlaps.
    assert_fix(
        """
        from celery import group
        from rag.tasks import a
        group([a.delay()])
        """,
        """
        from celery import signature, group
        from core.celery import app

        group([signature("rag.a", app=app).apply_async()])
        """,
        CODE,
    )


def test_fix_removes_the_first_statement_of_a_line():
    assert_fix(
        """
        from rag.tasks import ingest; x = 1;
        ingest.delay(1)
        """,
        """
        from celery import signature
        from core.celery import app

        x = 1;
        signature("rag.ingest", args=[1], app=app).apply_async()
        """,
        CODE,
    )


def test_suppressed_import_does_not_hold_back_the_next():
    [finding] = findings(
        """
        from rag.tasks import ingest_file  # noqa: CEL001
        from rag.tasks import search

        ingest_file.delay(1)
        search.delay(2)
        """,
        CODE,
    )
    assert finding.range.start.line == 1 and finding.fixable


def test_fix_several_statements_share_the_added_imports():
    result = fixed(
        """
        from rag.tasks import ingest_file
        from rag.tasks import search

        ingest_file.delay(1)
        search.delay(2)
        """,
        CODE,
    )
    assert result.count("from celery import signature") == 1
    assert result.count("from core.celery import app") == 1
    assert 'signature("rag.ingest_file", args=[1], app=app)' in result
    assert 'signature("rag.search", args=[2], app=app)' in result
    assert "from rag" not in result


def test_fix_unused_import_is_removed():
    assert_fix(
        """
        import json
        from rag.tasks import ingest_file
        print(json)
        """,
        """
        import json
        print(json)
        """,
        CODE,
    )


def test_fix_in_the_app_module_uses_the_local_app():
    source = """
    from celery import Celery
    from rag.tasks import health

    app = Celery("server")

    def ping():
        return health.delay()
    """
    result = fixed(source, CODE, module_name="core.celery")
    assert 'signature("rag.health", app=app).apply_async()' in result
    assert "from core.celery import app" not in result
    shadowed = source.replace("def ping():", "def ping(app):")
    assert_no_fix(shadowed, CODE, module_name="core.celery")


@pytest.mark.parametrize(
    "source",
    [
        # called in-process
        """
    from rag.tasks import ingest_file
    ingest_file("p", "db", "path")
    """,
        # passed around / other attributes
        """
    from celery import group
    from rag.tasks import ingest_file
    group(ingest_file.s(p) for p in paths).apply_async()
    """,
        # a whole module used as a value
        """
    import rag.tasks
    registry = [rag.tasks]
    """,
        # one name of a multi-name import is not fixable: the statement is left alone
        """
    from rag.tasks import ingest_file, search
    ingest_file.delay(1)
    search(2)
    """,
        # `app` is something else in this module
        """
    from fastapi import FastAPI
    from rag.tasks import ingest_file

    app = FastAPI()
    ingest_file.delay(1)
    """,
        # `signature` is a parameter where the task is dispatched
        """
    from rag.tasks import ingest_file

    def run(signature):
        ingest_file.delay(signature)
    """,
        # the name is bound a second time
        """
    try:
        from rag.tasks import ingest_file
    except ImportError:
        ingest_file = None

    def run():
        ingest_file.delay(1)
    """,
        # re-exported
        """
    from rag.tasks import ingest_file
    __all__ = ["ingest_file"]
    """,
        """
    from rag.tasks import *
    ingest_file.delay(1)
    """,
        """
    import importlib
    tasks = importlib.import_module("rag.tasks")
    """,
        # a comment inside the callee would be lost
        """
    from rag.tasks import ingest_file
    result = (ingest_file  # the worker's task
              .delay(1))
    """,
        # apply_async with options by position
        """
    from rag.tasks import ingest_file
    ingest_file.apply_async((1,), {}, "task-id")
    """,
        # a comment inside the import would have no line of its own
        """
    import sys
    if sys.argv: from rag.tasks import (ingest_file,  # the worker's
                                        search)
    ingest_file.delay(1)
    """,
        """
    from acme import (rag,  # the worker
                      utils)
    rag.ingest.delay(utils)
    """,
    ],
)
def test_no_fix(source):
    assert_no_fix(source, CODE, settings=Settings(foreign_packages=("rag", "acme.rag")))


def test_no_fix_reason_names_the_use():
    [finding] = findings(
        """
        from rag.tasks import ingest_file
        ingest_file("p")
        """,
        CODE,
    )
    assert not finding.fixable and "line 2" in finding.no_fix_reason


# --- on the project model: services, not just configured names ------------------------------------
def test_a_repository_whose_own_package_is_rag_imports_it_freely(tmp_path):
    workspace(
        tmp_path,
        {
            "pyproject.toml": "[project]\nname = 'rag'\n",
            "rag/__init__.py": "",
            "rag/tasks.py": "from celery import shared_task\n\n@shared_task\ndef ingest(path):\n    return path\n",
            "rag/api.py": "from rag.tasks import ingest\n\ndef run(path):\n    return ingest.delay(path)\n",
            "scripts/reindex.py": "import rag.tasks\n\nrag.tasks.ingest.delay('x')\n",
        },
    )
    assert workspace_lines(tmp_path, CODE) == []


def test_another_services_package_is_foreign_without_configuration(tmp_path):
    workspace(
        tmp_path,
        {
            "pyproject.toml": "[tool.celery-patterns]\nforeign-packages = []\n",
            "worker/requirements.txt": "celery\n",
            "worker/indexer/__init__.py": "",
            "worker/indexer/tasks.py": "from celery import shared_task\n\n@shared_task\ndef index(path):\n    return path\n",
            "api/requirements.txt": "fastapi\n",
            "api/app/__init__.py": "",
            "api/app/routes.py": "from indexer.tasks import index\n\ndef run(path):\n    return index.delay(path)\n",
            "api/app/local.py": "from app.routes import run\n",
        },
    )
    assert workspace_lines(tmp_path, CODE) == [("api/app/routes.py", 1)]


def test_a_shared_library_service_is_not_another_service(tmp_path):
    workspace(
        tmp_path,
        {
            "common/requirements.txt": "pydantic\n",
            "common/shared/__init__.py": "",
            "common/shared/models.py": "class Job:\n    pass\n",
            "api/requirements.txt": "fastapi\n",
            "api/routes.py": "from shared.models import Job\n\ndef make():\n    return Job()\n",
        },
    )
    assert workspace_lines(tmp_path, CODE) == []


def test_a_folder_of_tools_without_celery_imports_another_service_as_a_library(tmp_path):
    """`qa/` (its own requirements) seeding the database with the product's models, and the
    root `setup.py` of a `src/` project importing its build helpers: no Celery in either."""
    workspace(
        tmp_path,
        {
            "pyproject.toml": "[project]\nname = 'shop'\n",
            "setup.py": "def build():\n    from shop._build import Build\n    return Build()\n",
            "src/setup.cfg": "[metadata]\nname = shop\n",
            "src/shop/__init__.py": "",
            "src/shop/_build.py": "class Build:\n    pass\n",
            "src/shop/celery_app.py": "from celery import Celery\n\napp = Celery('shop')\n",
            "src/shop/tasks.py": "from shop.celery_app import app\n\n@app.task\ndef mail(to):\n    return to\n",
            "qa/requirements.txt": "requests\n",
            "qa/seed.py": "from shop.tasks import mail\nfrom shop._build import Build\n\nBuild()\n",
        },
    )
    assert workspace_lines(tmp_path, CODE) == []


def test_a_folder_that_sends_tasks_of_another_service_is_flagged(tmp_path):
    """The look-alike: the tools folder dispatches the product's task (a `.delay()` makes it
    Celery code), as does one that makes its own app."""
    workspace(
        tmp_path,
        {
            "src/setup.cfg": "[metadata]\nname = shop\n",
            "src/shop/__init__.py": "",
            "src/shop/tasks.py": "from celery import shared_task\n\n@shared_task\ndef mail(to):\n    return to\n",
            "qa/requirements.txt": "requests\n",
            "qa/seed.py": "from shop.tasks import mail\n\nmail.delay('a@b.c')\n",
            "ops/requirements.txt": "celery\n",
            "ops/app.py": "from celery import Celery\n\napp = Celery('ops')\n",
            "ops/check.py": "import shop.tasks\n",
        },
    )
    assert workspace_lines(tmp_path, CODE) == [("ops/check.py", 1), ("qa/seed.py", 1)]
