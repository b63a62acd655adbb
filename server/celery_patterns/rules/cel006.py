"""CEL006 incomplete-app-config: a Celery app without serializer, timezone or routing settings.

## What it does
Gathers, for each Celery app made in the module (`Celery(...)` through any import alias,
`Celery[MyTask](...)` too, bound to a name or attribute), every setting the module gives
it: keyword arguments of `Celery(...)` (including `changes={...}` and `**settings`), every `app.conf.update(...)`
(dict literal, keywords, `**{...}`, `dict(...)` or a name bound to a dict literal),
`app.conf.key = ...`, `app.conf["key"] = ...`, `app.conf.setdefault("key", ...)` and
`app.add_defaults({...})`, following simple aliases (`conf = app.conf`, `celery_app = app`)
and local functions the app is passed to. It flags the app when any of `task_serializer`,
`accept_content`, `result_serializer`, `timezone`, `enable_utc`, `task_routes` is missing.
Old upper-case names count (`CELERY_TASK_SERIALIZER`, `CELERY_ACCEPT_CONTENT`,
`CELERY_RESULT_SERIALIZER`, `CELERY_TIMEZONE`, `CELERY_ENABLE_UTC`/`ENABLE_UTC`,
`CELERY_ROUTES`/`CELERY_TASK_ROUTES`), as do `<NAMESPACE>_TASK_SERIALIZER`-style names
when the app is made with `namespace=` or loads them with
`config_from_object(..., namespace=...)`.

The finding is on the app's first `conf.update(...)` call, else on `Celery(...)`. Nothing
is reported when settings come from somewhere the module cannot see:
`config_from_object(...)`/`config_from_envvar(...)`/`Celery(config_source=...)` of anything
but a local class or dict, `conf.update(...)` of a value that is not a literal dict, or the
app (or its `conf`) handed to a call that may configure it: a function defined
elsewhere, a method of another object, a local function whose parameter cannot be
matched. Calls that cannot configure it do not hide anything: logging
(`logger.info("%r", app)`, `logging.getLogger(__name__).debug(...)`, structlog),
`print`, `repr`, `str`, `format`, `"...".format(...)`, `isinstance`, f-strings, and
Celery's own API. Apps that are not bound to a name or attribute (`return Celery(...)`)
are not checked: their configuration happens where the caller keeps them. Nor is a
function's local app used only to control workers (every use is `client.control...`,
`client.close()` or `Control(app=client)`): it sends no task and reads no result, so no
task setting reaches anything; one that also sends a task, or leaves the function, is.

As the specification says ("lacks any of"), only the presence of each key is checked,
and values are not judged (`task_serializer="pickle"` counts as a serializer setting).
Checking a file alone, keys set anywhere in the module count, whichever `if`/`else`
branch sets them.

With the workspace (the command line, the editor), settings are gathered from everything
the app loads: modules that import the app and configure it; `config_from_object` modules
named by a string (their module-level settings, lower-case Celery names included, and
what they star-import), `"pkg.mod:Obj"` objects and classes (with their bases) in any
module; Django's settings with `config_from_object("django.conf:settings",
namespace="CELERY")` (the module `DJANGO_SETTINGS_MODULE` names in the workspace, else
`<package>/settings.py`; its `CELERY_...` names, the settings it star-imports, a
django-split-settings `include`; Django's own `TIME_ZONE`, which Celery takes as the time
zone when no `timezone` is set); dicts a module function returns or builds key by key
(`app.conf.update(make_settings())`). Where something loaded cannot be seen (outside the
workspace, built at run time), nothing is said. An app configured differently in the two
branches of an `if`/`else` is checked along each way through them, and reported in the
branch that lacks settings (on its `conf.update(...)` when it has one).

## Why is this bad?
Without explicit serializers a worker accepts whatever its Celery version defaults to
(pickle in old versions: remote code execution from the broker), the server and the RAG
worker can disagree on the wire format, times drift between local and UTC, and without
`task_routes` every task lands on the default queue, so the server's and the worker's
tasks are consumed by whichever process listens first.

## Example
```python
from celery import Celery

app = Celery("server", broker="filesystem://")
app.conf.update({
    "task_serializer": "json",
    "timezone": "UTC",
})
```

## Use instead
```python
from celery import Celery, signals

app = Celery("server", broker="filesystem://")
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


@signals.setup_logging.connect
def setup_celery_logging(**kwargs):
    pass
```

## Fix safety
Unsafe. The missing keys are added with the checklist's values (`"json"`, `["json"]`,
`"UTC"`, `True`, and the checklist's `task_routes`, which name this project's `rag.*`
and `core.celery.tasks.*` queues: adjust them for other projects). They go into the first
`conf.update(...)`, in its style (dict entries or keywords, one per line with the same
indentation and trailing-comma habit when the dict is multi-line, inline otherwise), or
into a new `app.conf.update({...})` right after the app is made, or after the
`app.config_from_object(...)` that follows it in the same block (Celery resets the
settings made before that call; no fix when it is called elsewhere). When the existing
settings use the old upper-case names, the old names are added (Celery refuses to mix
the two styles). Changing serializers, timezone and routing changes what the app sends
and where: review before applying.
"""

from __future__ import annotations

import ast

from ..analysis.app_config import (
    CELERY_PARAMETERS,
    AppConfig,
    celery_apps,
    config_variants,
    control_client,
    gather_config,
)
from ..analysis.celery_settings import canonical
from ..analysis.control import block_of
from ..analysis.facts import position_key
from ..fixes.text import (
    alone_on_lines,
    appended_items,
    edit_at,
    first_string_literal,
    indent_unit,
    indentation,
    insert_after_line,
    item_lines,
    offset_of,
    quote_of,
)
from ..ftypes import FixSafety, Severity
from ..model.app_settings import app_at, external_settings, load
from .base import Rule

REQUIRED = ("task_serializer", "accept_content", "result_serializer", "timezone", "enable_utc", "task_routes")
# Celery's documented old-name mapping; ENABLE_UTC is the old key Celery 4/5 actually read.
OLD_NAMES = {
    "task_serializer": ("CELERY_TASK_SERIALIZER",),
    "accept_content": ("CELERY_ACCEPT_CONTENT",),
    "result_serializer": ("CELERY_RESULT_SERIALIZER",),
    "timezone": ("CELERY_TIMEZONE",),
    "enable_utc": ("CELERY_ENABLE_UTC", "ENABLE_UTC"),
    "task_routes": ("CELERY_ROUTES", "CELERY_TASK_ROUTES"),
}
ROUTES = (("rag.*", "rag"), ("core.celery.tasks.*", "server"))


class IncompleteAppConfig(Rule):
    code = "CEL006"
    name = "incomplete-app-config"
    message = "Celery app configuration lacks serializer, timezone or routing settings"
    severity = Severity.MEDIUM
    fix_safety = FixSafety.UNSAFE
    fix_title = "Add the missing Celery settings"
    triggers = ("Celery",)
    uses_project = True

    def check(self, facts, settings):
        project, summary = facts.project, facts.summary
        for app in celery_apps(facts):
            if not app.targets or control_client(facts, app):
                continue  # unbound (configured where the caller keeps it), or only revokes/inspects
            config = gather_config(facts, app)
            model = app_at(summary, facts.range(app.call)) if project is not None and summary is not None else None
            if model is None:
                if config.unknown is None:
                    yield from self._report(facts, app, config, config.keys, None)
                continue
            external = external_settings(project, summary, model)
            for variant, branch in config_variants(facts, app, config):
                spans = {facts.range(source.node) for source in variant.sources}
                sources = [source for source in model.sources if source.span in spans]
                if variant.opaque is not None or len(sources) < len(spans):
                    continue  # settings nobody can see, as where they come from is built at run time
                loaded = load(project, summary, sources)
                if loaded.complete and external.complete:
                    keys = {name for key in variant.keys for name in canonical(key, config.namespace)}
                    yield from self._report(
                        facts, app, variant, keys | set(loaded.settings) | set(external.settings), branch
                    )

    def _report(self, facts, app, config: AppConfig, keys: set[str], branch):
        """The finding for an app (or one branch of its configuration) lacking settings."""
        missing = [key for key in REQUIRED if key not in keys and not _present(key, config)]
        if not missing:
            return
        style = _style(config)
        message = f"Celery app `{app.name}` is not fully configured: missing {', '.join(missing)}"
        if branch is not None:
            message += " in this branch of the `if`/`else`"
            if not any(branch is update for update in config.updates):
                yield self.finding(
                    facts,
                    branch,
                    message,
                    no_fix_reason="this branch has no `conf.update(...)` to add the settings to",
                )
                return
        if branch is not None or config.updates:
            target = branch if branch is not None else min(config.updates, key=position_key)
            yield self.finding(facts, target, message, keys=tuple(missing), style=style, mode="update")
            return
        reason = None
        anchor = _settings_anchor(facts, app, config)
        if not isinstance(app.statement, (ast.Assign, ast.AnnAssign)) or not alone_on_lines(facts, app.statement):
            reason = "the app is not made by a statement of its own, after which settings could go"
        elif anchor is None:
            reason = (
                "`config_from_object(...)` is called away from where the app is made, and it "
                "resets settings made before it"
            )
        yield self.finding(
            facts,
            app.call,
            message,
            no_fix_reason=reason,
            keys=tuple(missing),
            style=style,
            mode="new",
            receiver=app.name,
            after=position_key(anchor) if anchor is not None else (),
        )

    def fix(self, ctx, finding):
        facts = ctx.facts
        call = facts.node_at(finding.range, ast.Call)
        if call is None:
            return None
        keys = finding.detail("keys") or ()
        names = [_emitted_name(key, finding.detail("style")) for key in keys]
        if finding.detail("mode") == "update":
            edits = _fix_update(ctx, call, keys, names)
        else:
            statement = facts.parent(call)
            after = tuple(finding.detail("after") or ())
            anchor = next((s for s in _siblings(facts, statement) if position_key(s) == after), None)
            if anchor is None or not isinstance(statement, (ast.Assign, ast.AnnAssign)):
                return None
            edits = _fix_new(ctx, call, anchor, finding.detail("receiver"), keys, names)
        return [edit_at(ctx.index, *edit) for edit in edits or ()]


def _siblings(facts, statement: ast.stmt) -> list[ast.stmt]:
    """The statements of the block that holds `statement`."""
    return block_of(facts.parent(statement), statement) or [statement]


def _settings_anchor(facts, app, config: AppConfig) -> ast.stmt | None:
    """The statement new settings go after: the one that makes the app, or the last
    `app.config_from_object(...)` statement of the same block after it (Celery resets
    the settings made before that call); None when such a call is somewhere else."""
    block = _siblings(facts, app.statement)
    anchor = app.statement
    for call in config.loads:
        statement = facts.parent(call)
        if isinstance(statement, ast.Expr) and any(s is statement for s in block):
            if position_key(statement) > position_key(anchor):
                anchor = statement
        elif position_key(call) > position_key(app.call):
            return None
    return anchor if alone_on_lines(facts, anchor) else None


def _present(key: str, config: AppConfig) -> bool:
    names = {key, *OLD_NAMES[key]}
    if config.namespace:
        names.add(f"{config.namespace}_{key}".upper())
    return bool(names & config.keys)


def _style(config: AppConfig) -> str:
    """'new' (lower-case names), 'old' (CELERY_...), or 'ns:<NAMESPACE>'."""
    settings = {k for k in config.keys if k not in CELERY_PARAMETERS}
    if settings and all(k.isupper() for k in settings):
        return f"ns:{config.namespace.upper()}" if config.namespace else "old"
    return "new"


def _emitted_name(key: str, style) -> str:
    if style == "old":
        return OLD_NAMES[key][0]
    if isinstance(style, str) and style.startswith("ns:"):
        return f"{style[3:]}_{key}".upper()
    return key


# --- fixing: (offset, text[, end offset]) edits ---------------------------------------------
def _value(key: str, q: str, multiline: bool, indent: str, unit: str, newline: str) -> str:
    if key in ("task_serializer", "result_serializer"):
        return f"{q}json{q}"
    if key == "accept_content":
        return f"[{q}json{q}]"
    if key == "timezone":
        return f"{q}UTC{q}"
    if key == "enable_utc":
        return "True"
    routes = [f"{q}{pattern}{q}: {{{q}queue{q}: {q}{queue}{q}}}" for pattern, queue in ROUTES]
    if not multiline:
        return "{" + ", ".join(routes) + "}"
    return "{" + newline + item_lines(routes, indent + unit, newline) + indent + "}"


def _entries(keys, names, q, keyword_style, newline):
    """A `render(multiline, indent, unit)` of the missing settings as keywords or dict entries."""

    def render(multiline: bool, indent: str, unit: str) -> list[str]:
        values = [_value(key, q, multiline, indent, unit, newline) for key in keys]
        return [f"{name}={value}" if keyword_style else f"{q}{name}{q}: {value}" for name, value in zip(names, values)]

    return render


def _fix_new(ctx, call, statement, receiver, keys, names):
    """A new `app.conf.update({...})` statement after `statement`."""
    facts, source = ctx.facts, ctx.source
    if not receiver or not alone_on_lines(facts, statement):
        return None
    default_unit, newline = ctx.defaults
    indent = indentation(source, offset_of(facts, statement))
    unit = indent_unit(indent, default_unit)
    entries = _entries(keys, names, quote_of(facts, first_string_literal([call])), False, newline)
    body = item_lines(entries(True, indent + unit, unit), indent + unit, newline)
    where, prefix = insert_after_line(source, offset_of(facts, statement, end=True), newline)
    return [(where, f"{prefix}{indent}{receiver}.conf.update({{{newline}{body}{indent}}}){newline}")]


def _fix_update(ctx, call, keys, names):
    """The missing settings added to `conf.update(...)`: to its dict (literal or `**{...}`),
    else as keywords."""
    facts, source = ctx.facts, ctx.source
    default_unit, newline = ctx.defaults
    container = call.args[0] if call.args and isinstance(call.args[0], ast.Dict) else None
    container = container or next((k.value for k in call.keywords if not k.arg and isinstance(k.value, ast.Dict)), None)
    quote = quote_of(facts, first_string_literal([call]))
    if container is not None:
        starts = [_entry_start(facts, k, v) for k, v in zip(container.keys, container.values)]
        ends = [offset_of(facts, v, end=True) for v in container.values]
        open_at = offset_of(facts, container)
        quote = quote_of(facts, first_string_literal(k for k in container.keys if k is not None), quote)
    elif any(not name.isidentifier() for name in names):
        return None
    else:
        items = sorted([*call.args, *call.keywords], key=position_key)
        starts = [offset_of(facts, item) for item in items]
        ends = [offset_of(facts, item, end=True) for item in items]
        open_at = source.find("(", offset_of(facts, call.func, end=True))
    close_at = offset_of(facts, container or call, end=True) - 1
    if open_at < 0 or source[open_at] not in "({" or source[close_at] not in ")}":
        return None
    entries = _entries(keys, names, quote, container is None, newline)
    if starts:
        return appended_items(source, (open_at, close_at), starts, ends[-1], default_unit, newline, entries)
    if source[open_at + 1 : close_at].strip():
        return None
    # `conf.update({})` / `conf.update()`: the checklist's block, one setting a line
    indent = indentation(source, open_at)
    unit = indent_unit(indent, default_unit)
    entries = _entries(keys, names, quote, False, newline)
    block = f"{newline}{item_lines(entries(True, indent + unit, unit), indent + unit, newline)}{indent}"
    return [(open_at + 1, block if container is not None else "{" + block + "}", close_at)]


def _entry_start(facts, key, value) -> int:
    """Where a dict display's entry starts: its key, or the `**` before its value."""
    if key is not None:
        return offset_of(facts, key)
    source = facts.source
    start = i = offset_of(facts, value)
    while i > 0 and source[i - 1] in " \t":
        i -= 1
    return i - 2 if source[i - 2 : i] == "**" else start
