"""CEL006 incomplete-app-config: detection and fix cases."""

import pytest

from celery_patterns.rules import rule_by_code
from ruletest import assert_fix, assert_no_fix, findings, fixed, lines

CODE = "CEL006"

FULL = """{
    "task_serializer": "json",
    "accept_content": ["json"],
    "result_serializer": "json",
    "timezone": "UTC",
    "enable_utc": True,
    "task_routes": {"rag.*": {"queue": "rag"}},
}"""

INVALID = [
    # (source, lines flagged)
    # look-alikes of a control client: two that also send a task, one returned, one made at
    # module level
    (
        """
    from celery import Celery, signature
    from celery.app.control import Control

    def stop_and_retry(task_id):
        client = Celery()
        Control(app=client).revoke(task_id)
        signature("rag.retry", args=[task_id], app=client).delay()

    def stop(task_id):
        client = Celery()
        client.control.revoke(task_id)
        client.send_task("rag.retry", args=[task_id])

    def make():
        client = Celery()
        client.control.ping()
        return client

    client = Celery()
    client.control.revoke("x")
    """,
        [5, 10, 15, 19],
    ),
    # the docstring's example: reported on the conf.update call
    (
        """
    from celery import Celery

    app = Celery("server", broker="filesystem://")
    app.conf.update({
        "task_serializer": "json",
        "timezone": "UTC",
    })
    """,
        [4],
    ),
    # no configuration at all: reported on Celery(...)
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

    celery_app = C(__name__)
    celery_app.conf.task_serializer = "json"
    """,
        [3],
    ),
    # module import, keywords
    (
        """
    import celery

    app = celery.Celery("x")
    app.conf.update(task_serializer="json", accept_content=["json"])
    """,
        [4],
    ),
    # old upper-case names, one missing
    (
        """
    from celery import Celery

    app = Celery("x")
    app.conf.update(
        CELERY_TASK_SERIALIZER="json",
        CELERY_ACCEPT_CONTENT=["json"],
        CELERY_RESULT_SERIALIZER="json",
        CELERY_TIMEZONE="UTC",
        CELERY_ENABLE_UTC=True,
    )
    """,
        [4],
    ),
    # two apps checked separately: only the incomplete one
    (
        f"""
    from celery import Celery

    server = Celery("server")
    server.conf.update({FULL.replace(chr(10), " ")})
    worker = Celery("worker")
    worker.conf.timezone = "UTC"
    """,
        [5],
    ),
    # factory function
    (
        """
    from celery import Celery

    def make_app():
        app = Celery("x")
        app.conf.update({"task_serializer": "json"})
        return app
    """,
        [5],
    ),
    # annotated assignment
    (
        """
    from celery import Celery

    app: Celery = Celery("x", task_serializer="json")
    """,
        [3],
    ),
    # conf attribute and item assignments, task_routes missing
    (
        """
    from celery import Celery

    app = Celery("x")
    app.conf.task_serializer = "json"
    app.conf["accept_content"] = ["json"]
    app.conf.setdefault("result_serializer", "json")
    app.conf.timezone = "UTC"
    app.conf.enable_utc = True
    """,
        [3],
    ),
    # a module-level dict literal passed by name is read
    (
        """
    from celery import Celery

    SETTINGS = {"task_serializer": "json", "timezone": "UTC"}
    app = Celery("x")
    app.conf.update(SETTINGS)
    """,
        [5],
    ),
    # the app stored in an attribute
    (
        """
    from celery import Celery

    class Service:
        def __init__(self):
            self.app = Celery("svc")
            self.app.conf.update(timezone="UTC")
    """,
        [6],
    ),
    # an alias of conf, and of the app
    (
        """
    from celery import Celery

    app = Celery("x")
    celery_app = app
    conf = celery_app.conf
    conf.update(  # settings
        task_serializer="json",
    )
    """,
        [6],
    ),
    # `**{...}` literal
    (
        """
    from celery import Celery

    app = Celery("x")
    app.conf.update(**{"task_serializer": "json", "result_serializer": "json"})
    """,
        [4],
    ),
    # `changes=` and Celery keywords count, but not all are there
    (
        """
    from celery import Celery

    app = Celery(
        "x",
        broker="redis://",
        changes={"timezone": "UTC"},
        task_serializer="json",
    )
    """,
        [3],
    ),
    # logging the app does not configure it
    (
        """
    import logging
    from celery import Celery

    app = Celery("server", broker="filesystem://")
    logging.getLogger(__name__).info("created %r", app)
    """,
        [4],
    ),
    # nor do print, repr, str.format, f-strings, isinstance, a logger bound to a name
    (
        """
    import logging
    import celery as c

    log = logging.getLogger("celery.app")
    app = c.Celery("x")
    print(app, repr(app), "{}".format(app), f"{app!r}", isinstance(app, c.Celery))
    log.debug("conf: %s", app.conf)  # the conf too
    """,
        [5],
    ),
    # structlog, keyword arguments, an alias of Celery
    (
        """
    import structlog
    from celery import Celery as C

    app = C("x")
    structlog.get_logger().bind(component="celery").info("app ready", app=app)
    """,
        [4],
    ),
    # an app kept in an attribute, logged by the instance's logger
    (
        """
    from celery import Celery

    class Service:
        def __init__(self, logger):
            self.logger = logger
            self.app = Celery("svc")
            self.logger.warning("made %s", self.app)
    """,
        [6],
    ),
    # configured in a function through the module-level name
    (
        """
    from celery import Celery

    app = Celery("x")

    def configure():
        app.conf.update({"task_serializer": "json"})
    """,
        [6],
    ),
]

VALID = [
    # a function's throwaway client used only to control workers (arches' ETL view): it sends no
    # task and reads no result
    """
    from celery import Celery
    from celery.app import control

    def stop_loading(task_id):
        celery_app = Celery()
        remote_control = control.Control(app=celery_app)
        remote_control.revoke(task_id=task_id, terminate=True)

    def workers():
        client = Celery()
        try:
            return client.control.inspect().active()
        finally:
            client.close()
    """,
    # the checklist's recommended configuration
    """
    from celery import Celery

    app = Celery("server")
    app.conf.update({
        "task_serializer": "json",
        "accept_content": ["json"],
        "result_serializer": "json",
        "timezone": "UTC",
        "enable_utc": True,
        "task_routes": {
            "rag.*": {"queue": "rag"},
            "core.celery.tasks.*": {"queue": "server"},
        },
    })
    """,
    # settings loaded from somewhere the module cannot see
    """
    from celery import Celery

    app = Celery("proj")
    app.config_from_object("django.conf:settings", namespace="CELERY")
    """,
    """
    from celery import Celery

    app = Celery("proj")
    app.config_from_envvar("CELERY_CONFIG_MODULE")
    """,
    """
    from celery import Celery
    from .config import CeleryConfig

    app = Celery("proj", config_source=CeleryConfig)
    """,
    # update() of a value the module cannot see
    """
    from celery import Celery
    from .settings import settings

    app = Celery("proj")
    app.conf.update(settings.celery)
    """,
    # old names, complete (CELERY_ROUTES is the old task_routes)
    """
    from celery import Celery

    app = Celery("x")
    app.conf.update(
        CELERY_TASK_SERIALIZER="json",
        CELERY_ACCEPT_CONTENT=["json"],
        CELERY_RESULT_SERIALIZER="json",
        CELERY_TIMEZONE="UTC",
        ENABLE_UTC=True,
        CELERY_ROUTES={},
    )
    """,
    # every source together
    """
    from celery import Celery

    app = Celery("x", task_serializer="json", changes={"accept_content": ["json"]})
    app.conf.setdefault("result_serializer", "json")
    app.conf["timezone"] = "UTC"
    setattr(app.conf, "enable_utc", True)
    app.conf.task_routes = {}
    """,
    # no Celery app made here (imported): nothing to check
    """
    from core.celery import app

    app.conf.update(task_serializer="json")
    """,
    # a look-alike class called Celery
    """
    from mylib import Celery

    app = Celery("x")
    """,
    # an app that is not bound to a name: configured where it is kept
    """
    from celery import Celery

    def make():
        return Celery("x")
    """,
    # handed to a configurator defined elsewhere
    """
    from celery import Celery
    from .config import configure_celery

    app = Celery("x")
    configure_celery(app)
    """,
    # handed to an unknown registry method or by keyword: may be configured there
    """
    from celery import Celery
    from .plugins import registry, setup

    app = Celery("x")
    registry.register(app)
    """,
    """
    from celery import Celery
    from .plugins import setup

    app = Celery("x")
    setup(celery_app=app)
    """,
    # its conf handed to an unknown function
    """
    from celery import Celery
    from .settings import apply_settings

    app = Celery("x")
    apply_settings(app.conf)
    """,
    # an app kept in an attribute, handed to a configurator
    """
    from celery import Celery
    from .config import configure_celery

    class Service:
        def __init__(self):
            self.app = Celery("svc")
            configure_celery(self.app)
    """,
    # a local function whose parameter cannot be matched (`*apps`)
    f"""
    from celery import Celery

    def configure(*apps):
        for target in apps:
            target.conf.update({FULL.replace(chr(10), " ")})

    app = Celery("x")
    configure(app)
    """,
    # handed to a local function that configures it
    f"""
    from celery import Celery

    def configure(target):
        target.conf.update({FULL.replace(chr(10), " ")})

    app = Celery("x")
    configure(app)
    """,
    # a factory configured by its caller
    f"""
    from celery import Celery

    def make():
        app = Celery("x")
        return app

    celery_app = make()
    celery_app.conf.update({FULL.replace(chr(10), " ")})
    """,
    # namespace-prefixed names
    """
    from celery import Celery

    app = Celery("x", namespace="CELERY")
    app.conf.update({
        "CELERY_TASK_SERIALIZER": "json",
        "CELERY_ACCEPT_CONTENT": ["json"],
        "CELERY_RESULT_SERIALIZER": "json",
        "CELERY_TIMEZONE": "UTC",
        "CELERY_ENABLE_UTC": True,
        "CELERY_TASK_ROUTES": {},
    })
    """,
    # a local config class
    """
    from celery import Celery

    class Config:
        task_serializer = "json"
        accept_content = ["json"]
        result_serializer = "json"
        timezone = "UTC"
        enable_utc = True
        task_routes = {}

    app = Celery("x")
    app.config_from_object(Config)
    """,
    # a module-level dict, completed by item assignment
    """
    from celery import Celery

    SETTINGS = dict(task_serializer="json", accept_content=["json"], result_serializer="json")
    SETTINGS["timezone"] = "UTC"
    app = Celery("x", **SETTINGS, enable_utc=True, task_routes={})
    """,
]


@pytest.mark.parametrize("source,expected", INVALID)
def test_invalid(source, expected):
    assert lines(source, CODE) == expected


@pytest.mark.parametrize("source", VALID)
def test_valid(source):
    assert lines(source, CODE) == []


def test_message_lists_missing_keys():
    [finding] = findings(
        """
        from celery import Celery

        app = Celery("x", task_serializer="json", timezone="UTC")
        """,
        CODE,
    )
    assert "accept_content, result_serializer, enable_utc, task_routes" in finding.message
    assert "`app`" in finding.message


def test_noqa():
    assert (
        lines(
            """
        from celery import Celery

        app = Celery("x")  # noqa: CEL006
        """,
            CODE,
        )
        == []
    )


def test_docs_example_and_use_instead():
    rule = rule_by_code(CODE)
    assert lines(rule.doc_example("Example"), CODE)
    assert lines(rule.doc_example("Use instead"), CODE) == []


# --- fixes ------------------------------------------------------------------------------
def test_fix_multiline_dict():
    assert_fix(
        """
        from celery import Celery

        app = Celery("server", broker="filesystem://")
        app.conf.update({
            "task_serializer": "json",
            "timezone": "UTC",  # keep UTC
        })
        """,
        """
        from celery import Celery

        app = Celery("server", broker="filesystem://")
        app.conf.update({
            "task_serializer": "json",
            "timezone": "UTC",  # keep UTC
            "accept_content": ["json"],
            "result_serializer": "json",
            "enable_utc": True,
            "task_routes": {
                "rag.*": {"queue": "rag"},
                "core.celery.tasks.*": {"queue": "server"},
            },
        })
        """,
        CODE,
    )


def test_fix_single_line_dict_inline_single_quotes():
    assert_fix(
        """
        from celery import Celery

        app = Celery('x')
        app.conf.update({'task_serializer': 'json', 'accept_content': ['json'], 'result_serializer': 'json'})
        """,
        """
        from celery import Celery

        app = Celery('x')
        app.conf.update({'task_serializer': 'json', 'accept_content': ['json'], 'result_serializer': 'json', 'timezone': 'UTC', 'enable_utc': True, 'task_routes': {'rag.*': {'queue': 'rag'}, 'core.celery.tasks.*': {'queue': 'server'}}})
        """,
        CODE,
    )


def test_fix_keywords_without_trailing_comma_and_comment():
    assert_fix(
        """
        import celery as cel

        app = cel.Celery("x")
        app.conf.update(
            task_serializer="json",
            accept_content=["json"],
            result_serializer="json",
            timezone="UTC"  # local time is a bug
        )
        """,
        """
        import celery as cel

        app = cel.Celery("x")
        app.conf.update(
            task_serializer="json",
            accept_content=["json"],
            result_serializer="json",
            timezone="UTC",  # local time is a bug
            enable_utc=True,
            task_routes={
                "rag.*": {"queue": "rag"},
                "core.celery.tasks.*": {"queue": "server"},
            }
        )
        """,
        CODE,
    )


def test_fix_new_statement_crlf():
    before = 'from celery import Celery\r\n\r\napp = Celery("x")  # the app\r\napp.autodiscover_tasks()\r\n'
    after = (
        'from celery import Celery\r\n\r\napp = Celery("x")  # the app\r\n'
        "app.conf.update({\r\n"
        '    "task_serializer": "json",\r\n'
        '    "accept_content": ["json"],\r\n'
        '    "result_serializer": "json",\r\n'
        '    "timezone": "UTC",\r\n'
        '    "enable_utc": True,\r\n'
        '    "task_routes": {\r\n'
        '        "rag.*": {"queue": "rag"},\r\n'
        '        "core.celery.tasks.*": {"queue": "server"},\r\n'
        "    },\r\n"
        "})\r\n"
        "app.autodiscover_tasks()\r\n"
    )
    assert fixed(before, CODE, raw=True) == after


def test_fix_tabs_in_factory():
    before = (
        "from celery import Celery\n\ndef make():\n\tapp = Celery('x')\n\tapp.conf.update({\n"
        "\t\t'task_serializer': 'json',\n\t\t'accept_content': ['json'],\n\t\t'result_serializer': 'json',\n"
        "\t\t'timezone': 'UTC',\n\t\t'enable_utc': True,\n\t})\n\treturn app\n"
    )
    after = (
        "from celery import Celery\n\ndef make():\n\tapp = Celery('x')\n\tapp.conf.update({\n"
        "\t\t'task_serializer': 'json',\n\t\t'accept_content': ['json'],\n\t\t'result_serializer': 'json',\n"
        "\t\t'timezone': 'UTC',\n\t\t'enable_utc': True,\n"
        "\t\t'task_routes': {\n\t\t\t'rag.*': {'queue': 'rag'},\n\t\t\t'core.celery.tasks.*': {'queue': 'server'},\n\t\t},\n"
        "\t})\n\treturn app\n"
    )
    assert fixed(before, CODE, raw=True) == after


def test_fix_old_names_stay_old():
    assert_fix(
        """
        from celery import Celery

        app = Celery("x")
        app.conf.update({"CELERY_TASK_SERIALIZER": "json", "BROKER_URL": "redis://"})
        """,
        """
        from celery import Celery

        app = Celery("x")
        app.conf.update({"CELERY_TASK_SERIALIZER": "json", "BROKER_URL": "redis://", "CELERY_ACCEPT_CONTENT": ["json"], "CELERY_RESULT_SERIALIZER": "json", "CELERY_TIMEZONE": "UTC", "CELERY_ENABLE_UTC": True, "CELERY_ROUTES": {"rag.*": {"queue": "rag"}, "core.celery.tasks.*": {"queue": "server"}}})
        """,
        CODE,
    )


def test_fix_hugging_brace_and_aliased_import():
    assert_fix(
        """
        from celery import Celery as C

        app = C("x")
        app.conf.update({"task_serializer": "json",
                         "accept_content": ["json"],
                         "result_serializer": "json",
                         "timezone": "UTC",
                         "enable_utc": True})
        """,
        """
        from celery import Celery as C

        app = C("x")
        app.conf.update({"task_serializer": "json",
                         "accept_content": ["json"],
                         "result_serializer": "json",
                         "timezone": "UTC",
                         "enable_utc": True,
                         "task_routes": {
                             "rag.*": {"queue": "rag"},
                             "core.celery.tasks.*": {"queue": "server"},
                         }})
        """,
        CODE,
    )


def test_fix_update_of_a_named_dict_adds_keywords():
    assert_fix(
        """
        from celery import Celery

        SETTINGS = {"task_serializer": "json", "accept_content": ["json"], "result_serializer": "json"}
        app = Celery("x")
        app.conf.update(SETTINGS, timezone="UTC")
        """,
        """
        from celery import Celery

        SETTINGS = {"task_serializer": "json", "accept_content": ["json"], "result_serializer": "json"}
        app = Celery("x")
        app.conf.update(SETTINGS, timezone="UTC", enable_utc=True, task_routes={"rag.*": {"queue": "rag"}, "core.celery.tasks.*": {"queue": "server"}})
        """,
        CODE,
    )


def test_fix_empty_update():
    assert_fix(
        """
        from celery import Celery

        app = Celery("x")
        app.conf.update()
        """,
        """
        from celery import Celery

        app = Celery("x")
        app.conf.update({
            "task_serializer": "json",
            "accept_content": ["json"],
            "result_serializer": "json",
            "timezone": "UTC",
            "enable_utc": True,
            "task_routes": {
                "rag.*": {"queue": "rag"},
                "core.celery.tasks.*": {"queue": "server"},
            },
        })
        """,
        CODE,
    )


def test_fix_two_apps():
    result = fixed(
        """
        from celery import Celery

        server = Celery("server")
        worker = Celery("worker")
        """,
        CODE,
    )
    assert result.count(".conf.update({") == 2
    assert "server.conf.update" in result and "worker.conf.update" in result


def test_no_fix_app_on_a_shared_line():
    assert_no_fix(
        """
        from celery import Celery
        import os

        if os.environ.get("WORKER"): app = Celery("x")
        """,
        CODE,
    )


def test_no_fix_walrus():
    assert_no_fix(
        """
        from celery import Celery

        print(app := Celery("x"))
        """,
        CODE,
    )


# --- property: every style of update() ends complete, parseable and idempotent -----------
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from celery_patterns.rules.cel006 import REQUIRED  # noqa: E402

_VALUES = {
    "task_serializer": '"json"',
    "accept_content": '["json"]',
    "result_serializer": '"json"',
    "timezone": '"UTC"',
    "enable_utc": "True",
    "task_routes": "{}",
}


@settings(max_examples=80, deadline=None)
@given(
    present=st.lists(st.sampled_from(REQUIRED), unique=True, max_size=5),
    keyword_style=st.booleans(),
    multiline=st.booleans(),
    trailing_comma=st.booleans(),
    comment=st.booleans(),
    newline=st.sampled_from(["\n", "\r\n"]),
    indent=st.sampled_from(["    ", "\t", "  "]),
)
def test_fix_property(present, keyword_style, multiline, trailing_comma, comment, newline, indent):
    items = [f"{k}={_VALUES[k]}" if keyword_style else f'"{k}": {_VALUES[k]}' for k in present]
    items.append('broker_url="memory://"' if keyword_style else '"broker_url": "memory://"')
    if multiline:
        body = newline.join(
            f"{indent}{item}{',' if trailing_comma or i < len(items) - 1 else ''}"
            + ("  # note" if comment and i == 0 else "")
            for i, item in enumerate(items)
        )
        inner = f"{newline}{body}{newline}"
    else:
        inner = ", ".join(items) + ("," if trailing_comma else "")
    call = f"app.conf.update({inner})" if keyword_style else f"app.conf.update({{{inner}}})"
    source = f"from celery import Celery{newline}{newline}app = Celery('x'){newline}{call}{newline}"
    result = fixed(source, CODE, raw=True)
    assert not findings(result, CODE, raw=True)
    assert result.startswith(source.split(call)[0])
    # nothing but insertions: the original text is a subsequence of the result
    chars = iter(result)
    assert all(char in chars for char in source)
    assert ("\r\n" in result) == (newline == "\r\n")
    assert ("\n" in result.replace("\r\n", "")) == (newline == "\n")


def test_fix_goes_after_config_from_object():
    # Celery resets the settings made before `config_from_object(...)`
    assert_fix(
        """
        from celery import Celery

        class Config:
            task_serializer = "json"

        app = Celery("x")
        app.config_from_object(Config)  # local settings
        app.autodiscover_tasks()
        """,
        """
        from celery import Celery

        class Config:
            task_serializer = "json"

        app = Celery("x")
        app.config_from_object(Config)  # local settings
        app.conf.update({
            "accept_content": ["json"],
            "result_serializer": "json",
            "timezone": "UTC",
            "enable_utc": True,
            "task_routes": {
                "rag.*": {"queue": "rag"},
                "core.celery.tasks.*": {"queue": "server"},
            },
        })
        app.autodiscover_tasks()
        """,
        CODE,
    )


def test_no_fix_when_config_from_object_is_called_elsewhere():
    assert_no_fix(
        """
        from celery import Celery

        class Config:
            task_serializer = "json"

        app = Celery("x")

        def configure():
            app.config_from_object(Config)
        """,
        CODE,
    )


def test_namespace_of_config_from_object():
    assert (
        lines(
            """
        from celery import Celery

        JOBS_TASK_SERIALIZER = "json"
        JOBS_ACCEPT_CONTENT = ["json"]
        JOBS_RESULT_SERIALIZER = "json"
        JOBS_TIMEZONE = "UTC"
        JOBS_ENABLE_UTC = True
        JOBS_TASK_ROUTES = {}

        app = Celery("proj")
        app.config_from_object(__name__, namespace="JOBS")
        """,
            CODE,
            module_name="proj.celery",
        )
        == []
    )


def test_an_app_replaced_before_any_use_is_reported_once():
    source = 'from celery import Celery\n\napp = Celery("proj")\napp = Celery("proj", broker="redis://")\n'
    assert lines(source, CODE, raw=True) == [4]


# --- on the project model: settings gathered across the workspace ---------------------------------
from ruletest import workspace, workspace_cases, workspace_fixed, workspace_lines, workspace_messages  # noqa: E402

LOWER = """
task_serializer = "json"
accept_content = ["json"]
result_serializer = "json"
timezone = "UTC"
enable_utc = True
task_routes = {"proj.*": {"queue": "proj"}}
"""
DJANGO = """
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_TASK_ROUTES = {"proj.*": {"queue": "proj"}}
"""
DJANGO_APP = """
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")

app = Celery("proj")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
"""
STRING_LOAD = """
from celery import Celery

app = Celery("proj")
app.config_from_object("proj.celeryconfig")
"""


def project(files: dict[str, str]) -> dict[str, str]:
    """A one-service workspace with a `proj` package holding `files`."""
    return {"pyproject.toml": "", "proj/__init__.py": "", **{f"proj/{k}": v for k, v in files.items()}}


def without(text: str, *names: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.startswith(names))


WORKSPACE_INVALID = [
    # (files, [(path, line)])
    # a config module named by a string lacks a setting: on `Celery(...)`
    (project({"celeryconfig.py": without(LOWER, "timezone"), "celery.py": STRING_LOAD}), [("proj/celery.py", 3)]),
    # ... imported and passed as a module object, lower-case names
    (
        project(
            {
                "celeryconfig.py": without(LOWER, "task_routes"),
                "celery.py": """
                from celery import Celery
                from proj import celeryconfig

                app = Celery("proj")
                app.config_from_object(celeryconfig)
                """,
            }
        ),
        [("proj/celery.py", 4)],
    ),
    # Django's settings: DJANGO_SETTINGS_MODULE named in manage.py, a settings package star-importing its base
    (
        {
            **project(
                {
                    "settings/__init__.py": "",
                    "settings/base.py": without(DJANGO, "CELERY_TASK_ROUTES"),
                    "settings/prod.py": "from .base import *  # noqa\n\nDEBUG = False\n",
                    "celery.py": DJANGO_APP.replace(
                        'os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")', ""
                    ),
                }
            ),
            "manage.py": 'import os\n\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings.prod")\n',
        },
        [("proj/celery.py", 7)],
    ),
    # Django's settings found by the usual layout (no DJANGO_SETTINGS_MODULE anywhere)
    (
        project(
            {
                "settings.py": without(DJANGO, "CELERY_ENABLE_UTC"),
                "celery.py": DJANGO_APP.replace('os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")', ""),
            }
        ),
        [("proj/celery.py", 7)],
    ),
    # django-split-settings: `include(...)` of component files
    (
        project(
            {
                "settings/__init__.py": 'from split_settings.tools import include, optional\n\ninclude("components/celery.py", optional("local.py"))\n',
                "settings/components/celery.py": without(DJANGO, "CELERY_TIMEZONE"),
                "celery.py": DJANGO_APP,
            }
        ),
        [("proj/celery.py", 7)],
    ),
    # a dict built by a function of another module: on the `conf.update(...)`
    (
        project(
            {
                "settings.py": """
                def make_settings():
                    settings = {"task_serializer": "json", "accept_content": ["json"]}
                    settings["result_serializer"] = "json"
                    settings.update(timezone="UTC")
                    return settings
                """,
                "celery.py": """
                from celery import Celery
                from proj.settings import make_settings

                app = Celery("proj")
                app.conf.update(make_settings())
                """,
            }
        ),
        [("proj/celery.py", 5)],
    ),
    # `"pkg.mod:Obj"`: a class whose base (another module) holds some of the settings
    (
        project(
            {
                "base.py": "class Base:\n    task_serializer = 'json'\n    accept_content = ['json']\n",
                "config.py": "from proj.base import Base\n\n\nclass Prod(Base):\n    result_serializer = 'json'\n    timezone = 'UTC'\n",
                "celery.py": 'from celery import Celery\n\napp = Celery("proj")\napp.config_from_object("proj.config:Prod")\n',
            }
        ),
        [("proj/celery.py", 3)],
    ),
    # configured in another module that imports the app (the app's module sets nothing)
    (
        project(
            {
                "celery.py": 'from celery import Celery\n\ncelery_app = Celery("proj")\n',
                "factory.py": """
                from proj.celery import celery_app


                def create_app():
                    celery_app.conf.update(task_serializer="json", accept_content=["json"])
                """,
            }
        ),
        [("proj/celery.py", 3)],
    ),
    # configured differently per branch: reported in the branch that lacks settings
    (
        project(
            {
                "celeryconfig.py": LOWER,
                "celery.py": """
                import os

                from celery import Celery

                app = Celery("proj")
                if os.environ.get("PRODUCTION"):
                    app.config_from_object("proj.celeryconfig")
                else:
                    app.conf.update(broker_url="memory://", task_always_eager=True)
                """,
            }
        ),
        [("proj/celery.py", 9)],
    ),
    # an `elif` chain: the middle branch lacks settings
    (
        project(
            {
                "celery.py": """
                import os

                from celery import Celery

                FULL = dict(task_serializer="json", accept_content=["json"], result_serializer="json",
                            timezone="UTC", enable_utc=True, task_routes={})
                app = Celery("proj")
                if os.environ.get("A"):
                    app.conf.update(FULL)
                elif os.environ.get("B"):
                    app.conf.update({"task_serializer": "json"})
                else:
                    app.conf.update(FULL, broker_url="redis://")
                """,
            }
        ),
        [("proj/celery.py", 11)],
    ),
    # a branch that sets a key without `conf.update(...)`: reported on its statement
    (
        project(
            {
                "celery.py": """
                import os

                from celery import Celery

                app = Celery("proj")
                if os.environ.get("PRODUCTION"):
                    app.conf.update(task_serializer="json", accept_content=["json"], result_serializer="json",
                                    timezone="UTC", enable_utc=True, task_routes={})
                else:
                    app.conf.task_always_eager = True
                """,
            }
        ),
        [("proj/celery.py", 10)],
    ),
    # `Celery[MyTask](...)`: the class subscripted for typing still makes an app
    (
        project(
            {
                "celeryconfig.py": without(LOWER, "enable_utc"),
                "celery.py": STRING_LOAD.replace('Celery("', 'Celery[int]("'),
            }
        ),
        [("proj/celery.py", 3)],
    ),
    # Django's TIME_ZONE is the app's time zone only where the app reads Django's settings: a
    # config module loaded instead does not see it, nor does a CELERY_TIMEZONE variable in the
    # app's own module (a plain variable, not a setting of the app)
    (
        project(
            {
                "settings.py": 'TIME_ZONE = "Europe/Paris"\n',
                "celeryconfig.py": without(LOWER, "timezone"),
                "celery.py": STRING_LOAD,
            }
        ),
        [("proj/celery.py", 3)],
    ),
    (
        project(
            {
                "settings.py": without(DJANGO, "CELERY_TIMEZONE"),
                "celery.py": DJANGO_APP.replace("app.config", 'CELERY_TIMEZONE = "UTC"\napp.config'),
            }
        ),
        [("proj/celery.py", 7)],
    ),
]

WORKSPACE_VALID = [
    # the config module named by a string has them all
    project({"celeryconfig.py": LOWER, "celery.py": STRING_LOAD}),
    # Django's own TIME_ZONE sets the time zone of an app reading Django's settings (Celery's
    # `timezone` falls back to it), with or without the CELERY namespace
    project({"settings.py": without(DJANGO, "CELERY_TIMEZONE") + '\nTIME_ZONE = "UTC"\n', "celery.py": DJANGO_APP}),
    project(
        {
            "settings.py": without(DJANGO, "CELERY_TIMEZONE") + '\nTIME_ZONE = "UTC"\n',
            "celery.py": DJANGO_APP.replace(', namespace="CELERY"', ""),
        }
    ),
    # ... old upper-case names in a module-level config object loaded by name
    project(
        {
            "conf.py": 'CELERY_CONFIG = {"CELERY_TASK_SERIALIZER": "json", "CELERY_ACCEPT_CONTENT": ["json"],\n'
            '    "CELERY_RESULT_SERIALIZER": "json", "CELERY_TIMEZONE": "UTC", "ENABLE_UTC": True, "CELERY_ROUTES": {}}\n',
            "celery.py": 'from celery import Celery\nfrom proj.conf import CELERY_CONFIG\n\napp = Celery("proj")\napp.conf.update(CELERY_CONFIG)\n',
        }
    ),
    # Django's settings, star-imported into the module DJANGO_SETTINGS_MODULE names
    project(
        {
            "settings/__init__.py": "",
            "settings/base.py": DJANGO,
            "settings/prod.py": "from proj.settings.base import *\n",
            "celery.py": DJANGO_APP.replace('"proj.settings"', '"proj.settings.prod"'),
        }
    ),
    # ... a setting bound in both branches of an `if DEBUG:` counts
    project(
        {
            "settings.py": without(DJANGO, "CELERY_TIMEZONE")
            + '\nif DEBUG:\n    CELERY_TIMEZONE = "UTC"\nelse:\n    CELERY_TIMEZONE = "Europe/Paris"\n',
            "celery.py": DJANGO_APP,
        }
    ),
    # a function building the dict key by key, with `setdefault`
    project(
        {
            "celery.py": """
            from celery import Celery


            def make_settings(debug):
                settings = dict(task_serializer="json", accept_content=["json"], result_serializer="json")
                settings["timezone"] = "UTC"
                if debug:
                    settings.setdefault("enable_utc", True)
                settings.update({"task_routes": {}})
                return settings


            app = Celery("proj")
            app.conf.update(make_settings(False))
            """,
        }
    ),
    # every branch of the `if`/`else` configures it fully
    project(
        {
            "celeryconfig.py": LOWER,
            "celery.py": """
            import os

            from celery import Celery

            app = Celery("proj")
            if os.environ.get("PRODUCTION"):
                app.config_from_object("proj.celeryconfig")
            else:
                app.config_from_object("proj.celeryconfig")
                app.conf.update(task_always_eager=True)
            """,
        }
    ),
    # two apps made in the two branches (look-alike: not one app configured twice)
    project(
        {
            "celery.py": """
            import os

            from celery import Celery

            if os.environ.get("PRODUCTION"):
                app = Celery("proj", config_source="proj.celeryconfig")
            else:
                app = Celery("proj", task_serializer="json", accept_content=["json"], result_serializer="json",
                             timezone="UTC", enable_utc=True, task_routes={})
            """,
            "celeryconfig.py": LOWER,
        }
    ),
    # another module completes what the app's module sets
    project(
        {
            "celery.py": 'from celery import Celery\n\napp = Celery("proj", task_serializer="json")\n',
            "worker.py": """
            from proj.celery import app as celery_app

            celery_app.conf.update(accept_content=["json"], result_serializer="json", timezone="UTC")
            celery_app.conf.enable_utc = True
            celery_app.config_from_object("proj.routes")
            """,
            "routes.py": 'task_routes = {"proj.*": {"queue": "proj"}}\n',
        }
    ),
    # what cannot be seen is not judged: a module outside the workspace, ...
    project({"celery.py": STRING_LOAD.replace("proj.celeryconfig", "shared.celeryconfig")}),
    # ... a settings module star-importing one outside the workspace, ...
    project(
        {"celeryconfig.py": "from shared.defaults import *\n\ntask_serializer = 'json'\n", "celery.py": STRING_LOAD}
    ),
    # ... DJANGO_SETTINGS_MODULE naming a module the workspace does not hold (deploy-time settings), ...
    project(
        {
            "settings/__init__.py": "",
            "settings/base.py": "DEBUG = True\n",
            "celery.py": DJANGO_APP.replace('"proj.settings"', '"proj.settings.local"'),
        }
    ),
    # ... a class whose base is outside the workspace, ...
    project(
        {
            "config.py": "from pydantic_settings import BaseSettings\n\n\nclass CeleryConfig(BaseSettings):\n    task_serializer: str = 'json'\n",
            "celery.py": 'from celery import Celery\nfrom proj.config import CeleryConfig\n\napp = Celery("proj")\napp.config_from_object(CeleryConfig)\n',
        }
    ),
    # ... a dict merging what a parameter holds, ...
    project(
        {
            "settings.py": "def make_settings(extra):\n    return {'task_serializer': 'json', **extra}\n",
            "celery.py": 'from celery import Celery\nfrom proj.settings import make_settings\n\napp = Celery("proj")\napp.conf.update(make_settings({}))\n',
        }
    ),
    # ... Flask's config (an attribute of an object made at run time), ...
    project(
        {
            "celery.py": """
            from celery import Celery


            def make_celery(flask_app):
                celery = Celery(flask_app.import_name)
                celery.conf.update(flask_app.config)
                return celery
            """,
        }
    ),
    # ... or a branch loading something unseen while the other is complete
    project(
        {
            "celeryconfig.py": LOWER,
            "celery.py": """
            import os

            from celery import Celery

            app = Celery("proj")
            if os.environ.get("CELERY_CONFIG"):
                app.config_from_object(os.environ["CELERY_CONFIG"])
            else:
                app.config_from_object("proj.celeryconfig")
            """,
        }
    ),
]

test_workspace_invalid, test_workspace_valid = workspace_cases(CODE, WORKSPACE_INVALID, WORKSPACE_VALID)


def test_branch_message_and_per_file_reading(tmp_path):
    files = WORKSPACE_INVALID[8][0]
    [message] = workspace_messages(tmp_path, files, CODE)
    assert message.endswith(
        "missing task_serializer, accept_content, result_serializer, timezone, enable_utc, "
        "task_routes in this branch of the `if`/`else`"
    )
    # checked alone, the module cannot see the config module: nothing is said, as before
    assert lines(files["proj/celery.py"], CODE, path="proj/celery.py") == []


def test_message_lists_what_the_config_module_lacks(tmp_path):
    files = project({"celeryconfig.py": without(LOWER, "timezone", "task_routes"), "celery.py": STRING_LOAD})
    assert workspace_messages(tmp_path, files, CODE) == [
        "Celery app `app` is not fully configured: missing timezone, task_routes"
    ]


def test_fix_in_the_branch_that_lacks_settings(tmp_path):
    root = workspace(tmp_path, WORKSPACE_INVALID[8][0])
    fixed_text = workspace_fixed(root, "proj/celery.py", CODE)
    assert 'app.conf.update(broker_url="memory://", task_always_eager=True, task_serializer="json",' in fixed_text
    assert fixed_text.count("task_serializer") == 1
    (root / "proj/celery.py").write_text(fixed_text)
    assert workspace_lines(root, CODE) == []


def test_fix_after_a_config_module_load(tmp_path):
    root = workspace(tmp_path, WORKSPACE_INVALID[0][0])
    fixed_text = workspace_fixed(root, "proj/celery.py", CODE)
    assert fixed_text.endswith(
        'app.config_from_object("proj.celeryconfig")\napp.conf.update({\n    "timezone": "UTC",\n})\n'
    )
