"""CEL006 incomplete-app-config: a Celery app without serializer, timezone or routing settings.

## What it does
Gathers, for each Celery app made in the module (`Celery(...)` through any import alias,
bound to a name or attribute), every setting the module gives it: keyword arguments of
`Celery(...)` (including `changes={...}` and `**settings`), every `app.conf.update(...)`
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
are not checked: their configuration happens where the caller keeps them.

As the specification says ("lacks any of"), only the presence of each key is checked:
keys set anywhere in the module count, whichever `if`/`else` branch sets them, and their
values are not judged (`task_serializer="pickle"` counts as a serializer setting).

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
    gather_config,
)
from ..analysis.facts import position_key
from ..fixes.text import (
    alone_on_lines,
    apply_insertions,
    first_string_literal,
    indent_unit,
    indentation,
    insert_after_line,
    line_start,
    offset_of,
    quote_of,
    starts_line,
)
from ..ftypes import FixSafety, Severity
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

    def check(self, facts, settings):
        for app in celery_apps(facts):
            if not app.targets:
                continue
            config = gather_config(facts, app)
            if config.unknown is not None:
                continue
            missing = [key for key in REQUIRED if not _present(key, config)]
            if not missing:
                continue
            style = _style(config)
            message = f"Celery app `{app.name}` is not fully configured: missing {', '.join(missing)}"
            if config.updates:
                target = min(config.updates, key=position_key)
                yield self.finding(facts, target, message, keys=tuple(missing), style=style, mode="update")
            else:
                reason = None
                anchor = _settings_anchor(facts, app, config)
                if not isinstance(app.statement, (ast.Assign, ast.AnnAssign)) or not alone_on_lines(
                    facts, app.statement
                ):
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
        newline = ctx.module.default_newline
        default_indent = ctx.module.default_indent
        if finding.detail("mode") == "update":
            return _fix_update(facts, call, keys, names, newline, default_indent)
        statement = facts.parent(call)
        if not isinstance(statement, (ast.Assign, ast.AnnAssign)):
            return None
        after = tuple(finding.detail("after") or ())
        anchor = next((s for s in _siblings(facts, statement) if position_key(s) == after), None)
        if anchor is None:
            return None
        return _fix_new(facts, call, anchor, finding.detail("receiver"), keys, names, newline, default_indent)


def _siblings(facts, statement: ast.stmt) -> list[ast.stmt]:
    """The statements of the block that holds `statement`."""
    parent = facts.parent(statement)
    for name in ("body", "orelse", "finalbody"):
        block = getattr(parent, name, None)
        if isinstance(block, list) and any(s is statement for s in block):
            return block
    return [statement]


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


# --- fixing -----------------------------------------------------------------------------
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
    inner = "".join(f"{indent}{unit}{route},{newline}" for route in routes)
    return "{" + newline + inner + indent + "}"


def _entries(keys, names, q, keyword_style, multiline, indent, unit, newline) -> list[str]:
    out = []
    for key, name in zip(keys, names):
        value = _value(key, q, multiline, indent, unit, newline)
        out.append(f"{name}={value}" if keyword_style else f"{q}{name}{q}: {value}")
    return out


def _fix_new(facts, call, statement, receiver, keys, names, newline, default_indent) -> str | None:
    source = facts.source
    if not receiver or not alone_on_lines(facts, statement):
        return None
    start = offset_of(facts, statement)
    indent = indentation(source, start)
    unit = indent_unit(indent, default_indent)
    q = quote_of(facts, first_string_literal([call]))
    entries = _entries(keys, names, q, False, True, indent + unit, unit, newline)
    body = "".join(f"{indent}{unit}{entry},{newline}" for entry in entries)
    text = f"{indent}{receiver}.conf.update({{{newline}{body}{indent}}}){newline}"
    where, prefix = insert_after_line(source, offset_of(facts, statement, end=True), newline)
    return apply_insertions(source, [(where, prefix + text)])


def _fix_update(facts, call, keys, names, newline, default_indent) -> str | None:
    source = facts.source
    container: ast.expr = call
    keyword_style = True
    if call.args and isinstance(call.args[0], ast.Dict):
        container, keyword_style = call.args[0], False
    else:
        spread = next((k.value for k in call.keywords if k.arg is None and isinstance(k.value, ast.Dict)), None)
        if spread is not None:
            container, keyword_style = spread, False
    if keyword_style and any(not name.isidentifier() for name in names):
        return None
    if isinstance(container, ast.Dict):
        elements = [(k if k is not None else v) for k, v in zip(container.keys, container.values)]
        ends = [offset_of(facts, v, end=True) for v in container.values]
        starts = [_element_start(source, facts, k, v) for k, v in zip(container.keys, container.values)]
        open_at = offset_of(facts, container)
        q = quote_of(
            facts,
            first_string_literal(k for k in container.keys if k is not None),
            quote_of(facts, first_string_literal([call])),
        )
    else:
        items = sorted([*call.args, *call.keywords], key=position_key)
        elements = items
        starts = [
            _element_start(source, facts, None, item)
            if isinstance(item, ast.keyword) and item.arg is None
            else offset_of(facts, item)
            for item in items
        ]
        ends = [offset_of(facts, item, end=True) for item in items]
        open_at = source.find("(", offset_of(facts, call.func, end=True))
        q = quote_of(facts, first_string_literal([call]))
    close_at = offset_of(facts, container, end=True) - 1
    if open_at < 0 or source[open_at] not in "({" or source[close_at] not in ")}":
        return None
    statement_indent = indentation(source, offset_of(facts, call))

    if not elements:
        # `conf.update({})` / `conf.update()`: write the checklist's multi-line block.
        if source[open_at + 1 : close_at].strip():
            return None
        indent = indentation(source, open_at)
        unit = indent_unit(indent, default_indent)
        entries = _entries(keys, names, q, False, True, indent + unit, unit, newline)
        body = "".join(f"{indent}{unit}{entry},{newline}" for entry in entries)
        block = f"{newline}{body}{indent}"
        if isinstance(container, ast.Call):
            block = "{" + block + "}"
        return source[: open_at + 1] + block + source[close_at:]

    tail = _scan_tail(source, ends[-1], close_at)
    if tail is None:
        return None
    after_value, comma = tail
    multiline = source.count("\n", open_at, close_at) + source.count("\r", open_at, close_at) > 0
    if not multiline:
        entries = _entries(keys, names, q, keyword_style, False, "", "", newline)
        return apply_insertions(source, [(after_value, "".join(f", {e}" for e in entries))])

    indent = next((indentation(source, s) for s in starts if starts_line(source, s)), None)
    if indent is None:
        indent = indentation(source, close_at) + indent_unit(statement_indent, default_indent)
    unit = indent_unit(indent, default_indent)
    entries = _entries(keys, names, q, keyword_style, True, indent, unit, newline)
    trailing = comma is not None
    insertions = []
    if starts_line(source, close_at):
        # closing bracket on its own line: new lines go just above it
        if not trailing:
            insertions.append((after_value, ","))
        lines = [
            f"{indent}{entry}{',' if trailing or i < len(entries) - 1 else ''}{newline}"
            for i, entry in enumerate(entries)
        ]
        insertions.append((line_start(source, close_at), "".join(lines)))
    else:
        # closing bracket hugs the last element: continue the list before it
        where = comma + 1 if trailing else after_value
        text = "".join(
            f"{',' if (i > 0 or not trailing) else ''}{newline}{indent}{entry}" for i, entry in enumerate(entries)
        )
        if trailing:
            text += ","
        insertions.append((where, text))
    return apply_insertions(source, insertions)


def _element_start(source, facts, key, value) -> int:
    if key is not None:
        return offset_of(facts, key)
    node = value.value if isinstance(value, ast.keyword) else value
    start = offset_of(facts, node) if not isinstance(value, ast.keyword) else offset_of(facts, value)
    if isinstance(value, ast.keyword):
        return start
    # `**spread` inside a dict: step back over whitespace and the two stars
    i = start
    while i > 0 and source[i - 1] in " \t":
        i -= 1
    if source[i - 2 : i] == "**":
        i -= 2
    return i


def _scan_tail(source: str, start: int, stop: int) -> tuple[int, int | None] | None:
    """Between the last element and the closing bracket there are only the element's
    closing parentheses, a comma, comments and whitespace. Returns (offset after the
    element with its parentheses, offset of the comma or None)."""
    after_value = start
    comma = None
    i = start
    while i < stop:
        char = source[i]
        if char == "#":
            while i < stop and source[i] not in "\r\n":
                i += 1
            continue
        if char == "," and comma is None:
            comma = i
        elif char == ")" and comma is None:
            after_value = i + 1
        elif char not in " \t\r\n\\\x0c":
            return None
        i += 1
    return after_value, comma
