"""CEL008 celery-logger-override: a worker's app whose worker never connects `setup_logging`.

## What it does
Flags the first `Celery(...)` call (any import alias, also `Celery[MyTask](...)`, at module
level or inside a factory function) of a module that connects no receiver to
`celery.signals.setup_logging` anywhere: neither as a decorator
(`@signals.setup_logging.connect`, `@setup_logging.connect`,
`@signals.setup_logging.connect(weak=False)`, any import alias) nor by a call
(`setup_logging.connect(handler)`, `signals.setup_logging.connect(receiver=fn)`,
`for signal in (signals.setup_logging, ...): signal.connect(fn)`), nor with Django's
`@receiver(signals.setup_logging)`, even inside a function. `after_setup_logger` /
`after_setup_task_logger` receivers do not count: they run *after* Celery has replaced the
root logger's handlers, so they cannot prevent the override. Reported once per module, on
the first app that takes over the root logger.

An app configured with `worker_hijack_root_logger=False` (as a `Celery(...)` keyword, in
`app.conf.update(...)` as a dict or keywords, by `app.conf.worker_hijack_root_logger = False`,
in a local `config_from_object` class, under the old name `CELERYD_HIJACK_ROOT_LOGGER` or
a `namespace=` prefixed one) already keeps Celery off the root logger: it is not flagged.
When the setting is given a value the module cannot see (`os.environ.get(...)`, a
non-empty string), the app is flagged without a fix.

With the workspace (the command line, the editor), the app's worker is looked at as a whole:
- a `setup_logging` receiver connected in any module the worker imports counts: the app's
  module and what it imports, the task modules `include=`, `imports` and
  `autodiscover_tasks(...)` name (every `tasks` module of the service when Django's
  installed apps are discovered), the settings modules it loads, followed through their
  module-level imports within the service;
- `worker_hijack_root_logger = False` set anywhere the app's settings come from counts: a
  module that imports the app and configures it, a `config_from_object` module or class,
  Django's settings (`CELERY_WORKER_HIJACK_ROOT_LOGGER = False` with `namespace="CELERY"`),
  a dict a function builds, also through a local name (`config = make_config()`, or
  `dict(make_config())`, then `Celery(config_source=config)`);
- an app that only sends tasks is not flagged: no task is registered on it anywhere in the
  workspace, it loads no task modules, and no code starts its worker (`app.worker_main()`,
  `app.Worker()`, `app.start()`). No worker runs it, so it never touches logging. Nor
  does one a function makes and never lets out (not returned, yielded, declared global or
  handed to a worker starter such as `start_worker(app)`): a client made to revoke or
  inspect, a test's app, whatever tasks its module imports.

## Why is this bad?
When no receiver is connected to `setup_logging`, a Celery worker configures logging
itself: it removes the root logger's handlers and installs its own, which silently
discards the service's structlog configuration (JSON output, processors, levels). An
empty receiver tells Celery that logging is already configured.

## Example
```python
from celery import Celery

app = Celery("server", broker="filesystem://")
app.config_from_object("core.celery.config")


@app.task
def ingest(path):
    ...
```

## Use instead
```python
from celery import Celery, signals

app = Celery("server", broker="filesystem://")
app.config_from_object("core.celery.config")


@signals.setup_logging.connect
def setup_celery_logging(**kwargs):
    pass  # Prevent Celery from overriding the root logger


@app.task
def ingest(path):
    ...
```

## Fix safety
Unsafe. An empty `setup_celery_logging(**kwargs)` receiver is added at module level right
after the statement that makes the app (after the whole factory function when the app is
made inside one: a signal connection is process-global). `signals` joins the
`from celery import ...` among the imports at the top of the module, else a `from celery
import signals` line is added after them (an existing `signals` or `setup_logging` import
is reused; if `signals` is taken, `celery_signals` is used; if `setup_celery_logging` is
taken, `_setup_celery_logging`). Once connected, Celery no longer
configures logging in the worker: a project that relied on Celery's default log output and
has no logging setup of its own would lose worker logs, so review before applying.
"""

from __future__ import annotations

import ast

from ..analysis.app_config import celery_apps, gather_config
from ..analysis.facts import position_key, top_level_statement
from ..analysis.literals import UNKNOWN
from ..analysis.names import free_at_module_level
from ..analysis.signals import SETUP_LOGGING, connects
from ..fixes.imports import add_import
from ..fixes.text import blank_lines_after, edit_at, insert_after_line, offset_of
from ..ftypes import FixSafety, Severity
from ..model.app_settings import app_at, app_settings, connects_logging, starts_worker
from .base import Rule

# The setting, its pre-4.0 name; a namespaced one (`CELERY_WORKER_...`) is added per app.
HIJACK_SETTINGS = ("worker_hijack_root_logger", "CELERYD_HIJACK_ROOT_LOGGER")
HANDLER_NAMES = ("setup_celery_logging", "_setup_celery_logging", "setup_celery_logging_handler")


class CeleryLoggerOverride(Rule):
    code = "CEL008"
    name = "celery-logger-override"
    message = (
        "Celery app without a `setup_logging` receiver: the worker will override the root logger; "
        "connect an empty `setup_celery_logging` handler"
    )
    severity = Severity.LOW
    fix_safety = FixSafety.UNSAFE
    fix_title = "Connect an empty `setup_logging` receiver"
    triggers = ("Celery",)
    uses_project = True

    def check(self, facts, settings):
        apps = celery_apps(facts)
        if not apps or connects(facts):
            return
        project, summary = facts.project, facts.summary
        for app in apps:
            hijack = _hijacks_root_logger(facts, app)
            model = app_at(summary, facts.range(app.call)) if project is not None and summary is not None else None
            if model is not None and hijack is not False:
                if not starts_worker(project, summary, model) or connects_logging(project, summary, model):
                    continue  # only sends tasks, or the worker connects a receiver in another module
                values = app_settings(project, summary, model).settings.get(HIJACK_SETTINGS[0], [])
                if any(value is False or value == 0 for value in values if not isinstance(value, str)):
                    continue  # `worker_hijack_root_logger = False` in a settings module
                if UNKNOWN in values and hijack:
                    hijack = None
            if hijack is False:
                continue  # `worker_hijack_root_logger=False` already keeps the root logger
            plan = _plan(facts, app.call)
            reason = plan if isinstance(plan, str) else None
            if hijack is None:
                reason = (
                    "`worker_hijack_root_logger` is set from a value the module cannot see; "
                    "if it is False, no receiver is needed"
                )
            yield self.finding(facts, app.call, no_fix_reason=reason)
            return

    def fix(self, ctx, finding):
        facts = ctx.facts
        call = facts.node_at(finding.range, ast.Call)
        plan = _plan(facts, call) if call is not None else None
        if plan is None or isinstance(plan, str):
            return None
        handler, decorator, signals_name, anchor = plan
        source = ctx.source
        unit, newline = ctx.defaults
        where, prefix = insert_after_line(source, offset_of(facts, anchor, end=True), newline)
        blank, code_follows = blank_lines_after(source, where)
        text = (
            f"{prefix}{newline}{newline}@{decorator}{newline}"
            f"def {handler}(**kwargs):{newline}"
            f"{unit}pass  # Prevent Celery from overriding the root logger{newline}"
        )
        if code_follows:
            text += newline * max(0, 2 - blank)
        edits = [edit_at(ctx.index, where, text)]
        if signals_name is not None:  # at the head of the module: before the app, as the decorator needs
            edits.extend(add_import(ctx, "celery", "signals", None if signals_name == "signals" else signals_name))
            if edits[-1] is None:
                return None
        return edits


def _hijacks_root_logger(facts, app) -> bool | None:
    """Whether the app's worker will take over the root logger: False when the module
    sets `worker_hijack_root_logger` (or an old or namespaced name) to a false constant,
    None when it sets it to a value it cannot see, True otherwise."""
    if not facts.index.mentions("hijack"):
        return True
    config = gather_config(facts, app)
    names = set(HIJACK_SETTINGS)
    if config.namespace:
        names.add(f"{config.namespace}_{HIJACK_SETTINGS[0]}".upper())
    values = [value for name in names for value in config.settings.get(name, ())]
    if not values:
        return True
    truths = {_truth(facts, value) for value in values}
    if True in truths:
        return True
    return None if None in truths else False


def _truth(facts, expr, depth: int = 0) -> bool | None:
    """The truth of a constant (or of a name bound only to constants), None when the
    module cannot tell."""
    if isinstance(expr, ast.Name) and depth < 3:
        hit = facts.lookup(expr.id, facts.scope_of(expr))
        if hit is None or not all(b.kind == "assign" and b.value is not None for b in hit[1]):
            return None
        truths = {_truth(facts, b.value, depth + 1) for b in hit[1]}
        return truths.pop() if len(truths) == 1 else None
    if isinstance(expr, ast.Constant):
        if isinstance(expr.value, str) and expr.value:
            return None  # "False" is a true value for Celery unless something converts it
        return bool(expr.value)
    return None


def _plan(facts, call):
    """(handler name, decorator text, the name of a `from celery import signals` to add or
    None, statement to insert after), or the reason there is no fix."""
    anchor = top_level_statement(facts, call)
    if anchor is None:
        return "the app is not made inside a module-level statement"
    handler = next((name for name in HANDLER_NAMES if free_at_module_level(facts, name)), None)
    if handler is None:
        return "no free name for the `setup_logging` receiver"
    existing = _module_import_of(facts, SETUP_LOGGING, anchor)
    if existing is not None:
        return handler, f"{existing}.connect", None, anchor
    existing = _module_import_of(facts, "celery.signals", anchor)
    if existing is not None:
        return handler, f"{existing}.setup_logging.connect", None, anchor
    for name in ("signals", "celery_signals"):
        if free_at_module_level(facts, name):
            return handler, f"{name}.setup_logging.connect", name, anchor
    return "the names `signals` and `celery_signals` are both taken"


def _module_import_of(facts, qualname: str, before: ast.stmt) -> str | None:
    """A module-level name bound only by a top-level import of `qualname` made before
    `before` (the decorator runs at import time)."""
    for name, bindings in facts.module_scope.bindings.items():
        if len(bindings) != 1 or bindings[0].kind != "import" or bindings[0].qualname != qualname:
            continue
        statement = bindings[0].node
        if facts.parent(statement) is facts.tree and position_key(statement) < position_key(before):
            return name
    return None
