"""CEL008 celery-logger-override: detection and fix cases."""

import pytest

from celery_patterns.rules import rule_by_code
from ruletest import assert_fix, assert_no_fix, findings, fixed, lines

CODE = "CEL008"

INVALID = [
    # (source, lines flagged)
    (
        """
    from celery import Celery

    app = Celery("server")
    """,
        [3],
    ),
    # import alias
    (
        """
    from celery import Celery as C

    app = C("server")
    """,
        [3],
    ),
    # module import
    (
        """
    import celery

    app = celery.Celery("server")
    """,
        [3],
    ),
    # once per module, on the first app
    (
        """
    from celery import Celery

    server = Celery("server")
    worker = Celery("worker")
    """,
        [3],
    ),
    # a factory function
    (
        """
    from celery import Celery

    def make_app():
        return Celery("x")
    """,
        [4],
    ),
    # after_setup_logger does not prevent the override
    (
        """
    from celery import Celery, signals

    app = Celery("x")

    @signals.after_setup_logger.connect
    def tweak(logger, **kwargs):
        logger.setLevel("INFO")
    """,
        [3],
    ),
    # another signal's connect is not setup_logging's
    (
        """
    from celery import Celery
    from celery.signals import worker_ready, setup_logging

    app = Celery("x")
    worker_ready.connect(print)
    setup_logging.disconnect(print)
    """,
        [4],
    ),
    # a look-alike `setup_logging` that is not Celery's
    (
        """
    from celery import Celery
    from mylib.signals import setup_logging

    app = Celery("x")

    @setup_logging.connect
    def handler(**kwargs):
        pass
    """,
        [4],
    ),
    # a local name shadows the signal module
    (
        """
    from celery import Celery, signals

    app = Celery("x")

    def configure(signals):
        signals.setup_logging.connect(print)
    """,
        [3],
    ),
    # the app made in a class body and a comment in the call
    (
        """
    from celery import Celery

    class Worker:
        app = Celery(
            "x",  # name
        )
    """,
        [4],
    ),
    # annotated assignment
    (
        """
    from celery import Celery

    app: Celery = Celery("x")
    """,
        [3],
    ),
    # worker_hijack_root_logger set, but to True
    (
        """
    from celery import Celery

    app = Celery("x")
    app.conf.worker_hijack_root_logger = True
    """,
        [3],
    ),
    # only the second app keeps the root logger: the first is reported
    (
        """
    import celery as c

    worker = c.Celery("worker")
    client = c.Celery("client", worker_hijack_root_logger=False)
    """,
        [3],
    ),
    # the setting on something that is not the app's conf
    (
        """
    from celery import Celery
    from .settings import settings

    app = Celery("x")
    settings.worker_hijack_root_logger = False
    """,
        [4],
    ),
    # a loop over other signals
    (
        """
    from celery import Celery, signals

    app = Celery("x")
    for signal in (signals.worker_ready, signals.worker_process_init):
        signal.connect(print)
    """,
        [3],
    ),
    # a look-alike key
    (
        """
    from celery import Celery

    app = Celery("x")
    app.conf.update({"worker_hijack_root_logger_level": False})
    """,
        [3],
    ),
]

VALID = [
    # worker_hijack_root_logger=False keeps Celery off the root logger: keyword, alias
    """
    from celery import Celery as C

    app = C("server", worker_hijack_root_logger=False)
    """,
    # conf.update keywords, multi-line with a comment
    """
    import celery

    app = celery.Celery("server")
    app.conf.update(
        worker_hijack_root_logger=False,  # structlog owns the root logger
        worker_log_format="%(message)s",
    )
    """,
    # conf.update dict, inside a factory
    """
    from celery import Celery

    def make_app():
        app = Celery("server")
        app.conf.update({"worker_hijack_root_logger": False})
        return app
    """,
    # attribute assignment through a conf alias, value from a module constant
    """
    from celery import Celery

    HIJACK = False
    app = Celery("server")
    conf = app.conf
    conf.worker_hijack_root_logger = HIJACK
    """,
    # the old name
    """
    from celery import Celery

    app = Celery("server")
    app.conf.CELERYD_HIJACK_ROOT_LOGGER = False
    """,
    # a namespaced name, and a local config class
    """
    from celery import Celery

    class Config:
        CELERY_WORKER_HIJACK_ROOT_LOGGER = False

    app = Celery("server", namespace="CELERY")
    app.config_from_object(Config)
    """,
    # a namespaced module-level setting read by config_from_object(__name__)
    """
    from celery import Celery

    CELERY_WORKER_HIJACK_ROOT_LOGGER = False

    app = Celery("server")
    app.config_from_object(__name__, namespace="CELERY")
    """,
    # connected in a loop over signals
    """
    from celery import Celery, signals

    app = Celery("server")

    def configure(**kwargs):
        pass

    for signal in (signals.setup_logging, signals.worker_process_init):
        signal.connect(configure)
    """,
    # the app kept in an attribute
    """
    from celery import Celery

    class Service:
        def __init__(self):
            self.app = Celery("server")
            self.app.conf.worker_hijack_root_logger = 0
    """,
    # the checklist's recommendation
    """
    from celery import Celery, signals

    app = Celery("server")

    @signals.setup_logging.connect
    def setup_celery_logging(**kwargs):
        pass  # Prevent Celery from overriding root logger
    """,
    # no Celery app in the module
    """
    from core.celery import app

    app.conf.update(task_serializer="json")
    """,
    # from celery.signals import setup_logging as alias
    """
    from celery import Celery
    from celery.signals import setup_logging as on_setup_logging

    app = Celery("x")

    @on_setup_logging.connect
    def keep_structlog(**kwargs):
        pass
    """,
    # decorator called with arguments
    """
    from celery import Celery
    from celery import signals as sig

    app = Celery("x")

    @sig.setup_logging.connect(weak=False)
    def keep(**kwargs):
        pass
    """,
    # connect as a call
    """
    from celery import Celery
    from celery.signals import setup_logging

    def handler(**kwargs):
        pass

    setup_logging.connect(handler)
    app = Celery("x")
    """,
    # receiver= keyword
    """
    import celery.signals
    from celery import Celery

    def handler(**kwargs):
        pass

    app = Celery("x")
    celery.signals.setup_logging.connect(receiver=handler)
    """,
    # connected inside a function
    """
    from celery import Celery
    from celery.signals import setup_logging

    app = Celery("x")

    def configure(handler):
        setup_logging.connect(handler)
    """,
    # import inside the function that connects
    """
    from celery import Celery

    def configure(handler):
        from celery import signals
        signals.setup_logging.connect(handler, weak=False)

    app = Celery("x")
    """,
    # a look-alike Celery class
    """
    from mylib import Celery

    app = Celery("x")
    """,
    # the name Celery without calling it
    """
    from celery import Celery

    def is_app(obj):
        return isinstance(obj, Celery)
    """,
    # through a module alias
    """
    import celery as cel

    app = cel.Celery("x")

    @cel.signals.setup_logging.connect
    def keep(**kwargs):
        pass
    """,
]


@pytest.mark.parametrize("source,expected", INVALID)
def test_invalid(source, expected):
    assert lines(source, CODE) == expected


@pytest.mark.parametrize("source", VALID)
def test_valid(source):
    assert lines(source, CODE) == []


def test_severity_is_low():
    [finding] = findings(
        """
        from celery import Celery

        app = Celery("x")
        """,
        CODE,
    )
    assert finding.severity.name == "LOW"


def test_docs_example_and_use_instead():
    rule = rule_by_code(CODE)
    assert lines(rule.doc_example("Example"), CODE)
    assert lines(rule.doc_example("Use instead"), CODE) == []


# --- fixes ------------------------------------------------------------------------------
def test_fix_adds_import_and_handler():
    assert_fix(
        """
        \"\"\"The Celery app.\"\"\"
        import os
        from celery import Celery

        app = Celery("server", broker=os.environ["BROKER"])
        app.config_from_object("core.celery.config")
        """,
        """
        \"\"\"The Celery app.\"\"\"
        import os
        from celery import signals, Celery

        app = Celery("server", broker=os.environ["BROKER"])


        @signals.setup_logging.connect
        def setup_celery_logging(**kwargs):
            pass  # Prevent Celery from overriding the root logger


        app.config_from_object("core.celery.config")
        """,
        CODE,
    )


def test_fix_reuses_signals_alias_and_crlf():
    before = (
        "from celery import Celery as C\r\nfrom celery import signals as sig\r\n\r\n"
        'app = C(\r\n    "x",  # name\r\n)\r\n'
    )
    after = (
        "from celery import Celery as C\r\nfrom celery import signals as sig\r\n\r\n"
        'app = C(\r\n    "x",  # name\r\n)\r\n\r\n\r\n'
        "@sig.setup_logging.connect\r\ndef setup_celery_logging(**kwargs):\r\n"
        "    pass  # Prevent Celery from overriding the root logger\r\n"
    )
    assert fixed(before, CODE, raw=True) == after


def test_fix_reuses_setup_logging_import_with_tabs():
    before = (
        "from celery import Celery\nfrom celery.signals import setup_logging as sl\n\n"
        "def make():\n\tapp = Celery('x')\n\treturn app\n\nAPP = make()\n"
    )
    after = (
        "from celery import Celery\nfrom celery.signals import setup_logging as sl\n\n"
        "def make():\n\tapp = Celery('x')\n\treturn app\n\n\n"
        "@sl.connect\ndef setup_celery_logging(**kwargs):\n"
        "\tpass  # Prevent Celery from overriding the root logger\n\n\nAPP = make()\n"
    )
    assert fixed(before, CODE, raw=True) == after


def test_fix_other_names_when_taken():
    assert_fix(
        """
        from celery import Celery
        from django.dispatch import signals

        def setup_celery_logging():
            return None

        app = Celery("x")
        """,
        """
        from celery import signals as celery_signals, Celery
        from django.dispatch import signals

        def setup_celery_logging():
            return None

        app = Celery("x")


        @celery_signals.setup_logging.connect
        def _setup_celery_logging(**kwargs):
            pass  # Prevent Celery from overriding the root logger
        """,
        CODE,
    )


def test_fix_module_import_only():
    assert_fix(
        """
        import celery

        app = celery.Celery("x")
        """,
        """
        import celery
        from celery import signals

        app = celery.Celery("x")


        @signals.setup_logging.connect
        def setup_celery_logging(**kwargs):
            pass  # Prevent Celery from overriding the root logger
        """,
        CODE,
    )


def test_fix_import_inside_factory():
    assert_fix(
        """
        \"\"\"Factory.\"\"\"
        from __future__ import annotations


        def make_app():
            from celery import Celery
            return Celery("x")
        """,
        """
        \"\"\"Factory.\"\"\"
        from __future__ import annotations
        from celery import signals


        def make_app():
            from celery import Celery
            return Celery("x")


        @signals.setup_logging.connect
        def setup_celery_logging(**kwargs):
            pass  # Prevent Celery from overriding the root logger
        """,
        CODE,
    )


def test_fix_does_not_trigger_cel006():
    result = fixed(
        """
        from celery import Celery

        app = Celery("x")
        app.config_from_object("celeryconfig")
        """,
        CODE,
    )
    assert not findings(result, None, raw=True)


def test_no_fix_when_every_name_is_taken():
    assert_no_fix(
        """
        from celery import Celery
        from blinker import signals
        from .x import celery_signals

        app = Celery("x")
        """,
        CODE,
    )


def test_star_import_counts():
    assert (
        lines(
            """
        from celery import Celery
        from celery.signals import *

        app = Celery("x")

        @setup_logging.connect
        def keep(**kwargs):
            pass
        """,
            CODE,
        )
        == []
    )


def test_hijack_setting_from_an_unknown_value_has_no_fix():
    source = """
        import os
        from celery import Celery

        app = Celery("x")
        app.conf.update(worker_hijack_root_logger=os.environ.get("HIJACK", "1") == "1")
        """
    assert_no_fix(source, CODE)
    [finding] = findings(source, CODE)
    assert "worker_hijack_root_logger" in finding.no_fix_reason


def test_hijack_string_value_is_not_trusted():
    # Celery tests the value's truth: the string "False" is true
    assert_no_fix(
        """
        from celery import Celery

        app = Celery("x", worker_hijack_root_logger="False")
        """,
        CODE,
    )


def test_fix_on_the_app_that_hijacks():
    assert_fix(
        """
        from celery import Celery

        client = Celery("client")
        client.conf.worker_hijack_root_logger = False
        worker = Celery("worker")
        """,
        """
        from celery import signals, Celery

        client = Celery("client")
        client.conf.worker_hijack_root_logger = False
        worker = Celery("worker")


        @signals.setup_logging.connect
        def setup_celery_logging(**kwargs):
            pass  # Prevent Celery from overriding the root logger
        """,
        CODE,
    )


RECEIVER = (
    "\n\n@signals.setup_logging.connect\ndef setup_celery_logging(**kwargs):\n"
    "    pass  # Prevent Celery from overriding the root logger\n"
)


@pytest.mark.parametrize(
    "before,after",
    [
        # the decorator runs at import time: `signals` is bound at the top, above the app
        (
            'from celery import Celery\napp = Celery("x")\nimport os\n',
            'from celery import signals, Celery\napp = Celery("x")\n' + RECEIVER + "\n\nimport os\n",
        ),
        # the first imports share a line: a line of its own above them
        (
            'import os; import sys\nfrom celery import Celery\n\napp = Celery("x")\n',
            'from celery import signals\n\nimport os; import sys\nfrom celery import Celery\n\napp = Celery("x")\n'
            + RECEIVER,
        ),
    ],
)
def test_fix_import_placement(before, after):
    assert fixed(before, CODE, raw=True) == after


def test_an_app_replaced_before_any_use_is_reported_once():
    source = 'from celery import Celery\n\napp = Celery("proj")\napp = Celery("proj", broker="redis://")\n'
    assert lines(source, CODE, raw=True) == [4]


# --- on the project model: the app's worker as a whole --------------------------------------------
from ruletest import workspace, workspace_cases, workspace_fixed, workspace_lines  # noqa: E402

APP = 'from celery import Celery\n\napp = Celery("proj")\n'
TASKS = "from proj.celery import app\n\n\n@app.task\ndef ingest(path):\n    return path\n"
SHARED = "from celery import shared_task\n\n\n@shared_task\ndef ingest(path):\n    return path\n"
RECEIVER_MODULE = (
    "from celery.signals import setup_logging\n\n\n@setup_logging.connect\ndef keep_logging(**kwargs):\n    pass\n"
)
DJANGO_APP = """
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")

app = Celery("proj")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
"""


def project(files: dict[str, str]) -> dict[str, str]:
    """A one-service workspace with a `proj` package holding `files`."""
    return {"pyproject.toml": "", "proj/__init__.py": "", **{f"proj/{k}": v for k, v in files.items()}}


WORKSPACE_INVALID = [
    # (files, [(path, line)])
    # a task registered on the app in another module: a worker runs it
    (project({"celery.py": APP, "tasks.py": TASKS}), [("proj/celery.py", 3)]),
    # Django: tasks discovered, the settings do not keep the root logger
    (
        project({"settings.py": "CELERY_BROKER_URL = 'redis://'\n", "celery.py": DJANGO_APP, "tasks.py": SHARED}),
        [("proj/celery.py", 7)],
    ),
    # ... or keep Celery's default explicitly
    (
        project({"settings.py": "CELERY_WORKER_HIJACK_ROOT_LOGGER = True\n", "celery.py": DJANGO_APP}),
        [("proj/celery.py", 7)],
    ),
    # no task anywhere, but code starts its worker (in another module)
    (
        project(
            {
                "celery.py": APP,
                "worker.py": "from proj.celery import app\n\nif __name__ == '__main__':\n    app.worker_main(['worker'])\n",
            }
        ),
        [("proj/celery.py", 3)],
    ),
    # it names its task modules
    (
        project({"celery.py": 'from celery import Celery\n\napp = Celery("proj", include=["proj.jobs"])\n'}),
        [("proj/celery.py", 3)],
    ),
    # a `shared_task` in a module the app's module imports
    (project({"celery.py": "from proj import jobs  # noqa: F401\n" + APP, "jobs.py": SHARED}), [("proj/celery.py", 4)]),
    # a receiver connected where the worker never looks (the web app's module) does not count
    (
        project({"celery.py": APP, "tasks.py": TASKS, "web.py": "import flask\n\n" + RECEIVER_MODULE}),
        [("proj/celery.py", 3)],
    ),
    # an app a factory makes (`celery = make_celery()` elsewhere) with tasks on it
    (
        project(
            {
                "factory.py": "from celery import Celery\n\n\ndef make_celery(name):\n    app = Celery(name)\n    return app\n",
                "extensions.py": "from proj.factory import make_celery\n\ncelery = make_celery('proj')\n",
                "tasks.py": "from proj.extensions import celery\n\n\n@celery.task\ndef ingest(path):\n    return path\n",
            }
        ),
        [("proj/factory.py", 5)],
    ),
    # the hijack setting in a config module comes from the environment: flagged, without a fix
    (
        project(
            {
                "celeryconfig.py": "import os\n\nworker_hijack_root_logger = os.environ.get('HIJACK')\n",
                "celery.py": APP + 'app.config_from_object("proj.celeryconfig")\n',
                "tasks.py": TASKS,
            }
        ),
        [("proj/celery.py", 3)],
    ),
]

CONFIG_FUNCTION = (
    "def default_config(conf):\n"
    "    config = {'broker_url': conf}\n"
    "    config.setdefault('worker_hijack_root_logger', False)\n"
    "    return config\n"
)
LOCAL_CONFIG_APP = (
    "from celery import Celery\n\nfrom proj.config import default_config\n\n\n"
    "def create_app(conf, extra):\n"
    "    config = {binding}\n"
    "    config.update(extra)\n"
    "    app = Celery('proj', config_source=config)\n"
    "    app.worker_main(['worker'])\n"
    "    return app\n"
)
WORKSPACE_INVALID += [
    # the look-alike: the function's dict leaves the root logger to Celery
    (
        project(
            {
                "config.py": CONFIG_FUNCTION.replace("False", "True"),
                "factory.py": LOCAL_CONFIG_APP.format(binding="default_config(conf)"),
            }
        ),
        [("proj/factory.py", 9)],
    ),
]

THROWAWAY = (
    "from celery import Celery\nfrom celery.contrib.testing.worker import start_worker\n\n"
    "from proj import tasks  # noqa: F401\n\n\n"
    "def stop(task_id):\n"
    "    client = Celery()\n"
    "    client.control.revoke(task_id)\n"
)
WORKSPACE_INVALID += [
    # the look-alike: a function's app handed to a worker starter runs the imported shared tasks
    (
        project(
            {
                "tasks.py": SHARED,
                "views.py": THROWAWAY.replace("revoke(task_id)", "revoke(task_id)\n    start_worker(client)"),
            }
        ),
        [("proj/views.py", 8)],
    ),
]

WORKSPACE_VALID = [
    # a function's local app that never leaves it, in a module importing shared tasks: a client
    # made to revoke (arches' ETL manager), a test's app handed to a mock (airflow's fixture)
    project({"tasks.py": SHARED, "views.py": THROWAWAY}),
    project(
        {
            "tasks.py": SHARED,
            "test_views.py": THROWAWAY.replace("def stop(task_id):", "def executor(mocker):").replace(
                "client.control.revoke(task_id)", "mocker.patch('proj.make', return_value=client)\n    yield 1"
            ),
        }
    ),
    # an app that only sends tasks: no task on it, no task modules, no worker started
    project({"client.py": APP + '\n\ndef ingest(path):\n    return app.send_task("worker.ingest", args=[path])\n'}),
    # ... a throwaway client made in a function to revoke a task, while the real app has tasks
    project(
        {
            "celery.py": "from proj import logs  # noqa: F401\n" + APP,
            "logs.py": RECEIVER_MODULE,
            "tasks.py": TASKS,
            "views.py": "from celery import Celery\n\n\ndef stop(task_id):\n    client = Celery()\n    client.control.revoke(task_id)\n",
        }
    ),
    # a receiver in a task module the app includes
    project(
        {
            "celery.py": 'from celery import Celery\n\napp = Celery("proj", include=["proj.tasks"])\n',
            "tasks.py": RECEIVER_MODULE,
        }
    ),
    # ... in a module the app's module imports, two imports away
    project(
        {
            "celery.py": "from proj import logs  # noqa: F401\n" + APP,
            "logs/__init__.py": "from .handlers import keep_logging  # noqa: F401\n",
            "logs/handlers.py": RECEIVER_MODULE,
            "tasks.py": TASKS,
        }
    ),
    # ... in the package that holds the app's module (imported before it)
    project({"celery.py": APP, "tasks.py": TASKS}) | {"proj/__init__.py": RECEIVER_MODULE},
    # ... with Django's `@receiver(setup_logging)` in a discovered tasks module
    project(
        {
            "settings.py": "CELERY_BROKER_URL = 'redis://'\n",
            "celery.py": DJANGO_APP,
            "app/__init__.py": "",
            "app/tasks.py": "from celery import shared_task, signals\nfrom django.dispatch import receiver\n\n\n"
            "@receiver(signals.setup_logging)\ndef keep(**kwargs):\n    pass\n\n\n@shared_task\ndef ingest():\n    pass\n",
        }
    ),
    # Django's settings keep the root logger (star-imported from the base settings)
    project(
        {
            "settings/__init__.py": "from .base import *  # noqa\n",
            "settings/base.py": "CELERY_WORKER_HIJACK_ROOT_LOGGER = False\n",
            "celery.py": DJANGO_APP,
            "tasks.py": SHARED,
        }
    ),
    # a config module keeps it (lower-case name)
    project(
        {
            "celeryconfig.py": "worker_hijack_root_logger = False\n",
            "celery.py": APP + 'app.config_from_object("proj.celeryconfig")\n',
            "tasks.py": TASKS,
        }
    ),
    # a function's dict keeps it (set by `setdefault` in a branch)
    project(
        {
            "settings.py": "def celery_settings(v3):\n    config = {'broker_url': 'redis://'}\n"
            "    if v3:\n        config.setdefault('worker_hijack_root_logger', False)\n    return config\n",
            "celery.py": "from proj.settings import celery_settings\n"
            + APP
            + "app.conf.update(celery_settings(True))\n",
            "tasks.py": TASKS,
        }
    ),
    # another module that imports the app keeps it
    project({"celery.py": APP, "tasks.py": TASKS + "\n\napp.conf.worker_hijack_root_logger = False\n"}),
    # `worker_hijack_root_logger=False` from a function's dict, through a local name, copied or
    # not, and updated with more settings (airflow's executor app)
    project({"config.py": CONFIG_FUNCTION, "factory.py": LOCAL_CONFIG_APP.format(binding="default_config(conf)")}),
    project(
        {"config.py": CONFIG_FUNCTION, "factory.py": LOCAL_CONFIG_APP.format(binding="dict(default_config(conf))")}
    ),
]

test_workspace_invalid, test_workspace_valid = workspace_cases(CODE, WORKSPACE_INVALID, WORKSPACE_VALID)


def test_send_only_apps_are_flagged_checking_a_file_alone():
    assert lines(
        next(f for f in WORKSPACE_VALID if "proj/client.py" in f)["proj/client.py"], CODE, path="proj/client.py"
    ) == [3]


def test_unknown_hijack_value_in_a_config_module_has_no_fix(tmp_path):
    root = workspace(tmp_path, WORKSPACE_INVALID[8][0])
    before = (root / "proj/celery.py").read_text()
    assert workspace_fixed(root, "proj/celery.py", CODE) == before


def test_fix_in_a_worker_app(tmp_path):
    root = workspace(tmp_path, WORKSPACE_INVALID[0][0])
    fixed_text = workspace_fixed(root, "proj/celery.py", CODE)
    assert fixed_text == 'from celery import signals, Celery\n\napp = Celery("proj")\n' + RECEIVER
    (root / "proj/celery.py").write_text(fixed_text)
    assert workspace_lines(root, CODE) == []
