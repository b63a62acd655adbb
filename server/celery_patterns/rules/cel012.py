"""## What it does
Flags a task sent by name (`signature("rag.ingest_file")`, `app.send_task(...)`,
`subtask(...)`, `Signature(...)`, a `beat_schedule` entry's `"task"`) when no task of the
workspace registers that name, although the workspace does define tasks whose names start
like it (`rag.`) or the service that first segment names. A task's registered name is its
`name=` (a literal or a module constant) or Celery's default, `<module>.<function>`, with
the module named from its service's source root.

A name may be a literal, an f-string without fields, a name bound to a literal or a module
constant (imported or not). Celery's own tasks (`celery.backend_cleanup`, ...) count as
registered. A name the workspace cannot know is left alone: one built at run time, or one
whose first segment names neither a service nor any task of the workspace (the worker lives
elsewhere). So is a service whose task names the model cannot all know: a `name=` built at
run time, a task wrapped with `functools.wraps`, an app class that overrides
`gen_task_name`, a module that does not parse.

## Why is this bad?
Celery sends any name: the message waits in the queue, the worker logs "Received
unregistered task" and drops it, and the caller polls a result that stays PENDING forever.
Item 1 of the checklist trades a checked import for such a string; this rule checks it.

## Example
```python
from celery import Celery, signature

app = Celery("rag")


@app.task(name="rag.ingest_file")
def ingest_file(project_dir, database, path):
    ...


def ingest(project_dir, database, path):
    return signature("rag.ingest_fle", args=[project_dir, database, path], app=app).apply_async()
```

## Use instead
```python
from celery import Celery, signature

app = Celery("rag")


@app.task(name="rag.ingest_file")
def ingest_file(project_dir, database, path):
    ...


def ingest(project_dir, database, path):
    return signature("rag.ingest_file", args=[project_dir, database, path], app=app).apply_async()
```

## Fix safety
Unsafe: the name is replaced with the one registered name closest to it (a `difflib`
ratio of at least 0.8, and no other name as close), which is a guess at what was meant.
No fix is offered for a name held by a constant, or when two names are equally close.
"""

from __future__ import annotations

import ast
import difflib
from functools import partial

from ..ftypes import FixSafety, Range, Severity, TextEdit
from .base import Rule

_CLOSE_ENOUGH = 0.8


class UnknownTaskName(Rule):
    code = "CEL012"
    name = "unknown-task-name"
    message = "no task of the workspace registers this name"
    severity = Severity.HIGH
    fix_safety = FixSafety.UNSAFE
    fix_title = "Use the registered task name"
    # (`task`, which `send_task` and `subtask` hold, first: most modules of a service say it early)
    triggers = ("task", "signature", "Signature")
    uses_project = True

    def check(self, facts, settings):
        project, summary = facts.project, facts.summary
        if project is None:
            return
        service = project.service_of(facts.path)
        registered = project.task_names
        for dispatch in summary.dispatches:
            if not dispatch.by_name:
                continue
            name = project.dispatched_task_name(dispatch, service)
            if name is None or project.registers(name):
                continue
            segment = name.split(".", 1)[0]
            siblings = project.task_names_under(segment)
            owners = project.prefix_services(segment)
            if not owners or not project.knows_all_names(owners):
                continue  # the worker lives elsewhere, or has a task whose name is built at run time
            services = project.services_named(segment)
            # (kept with the task names: a name sent from many places is compared with them once)
            suggestion = project.lasting(("closest task name", name), partial(closest, name, registered))
            if suggestion:
                hint = f"; did you mean {suggestion!r}?"
            elif siblings:
                hint = f" (tasks named {segment}.*: {_listed(siblings)})"
            else:
                owned = project.task_names_of(services)
                hint = f" (the `{services[0].directory_name}` service registers: {_listed(owned) or 'no task'})"
            yield self.finding(
                facts,
                dispatch.span,
                f"no task of the workspace is registered as {name!r}: the worker drops it and the result stays "
                f"PENDING{hint}",
                no_fix_reason=None if suggestion and dispatch.literal else _why_no_fix(suggestion),
                suggestion=suggestion,
            )

    def fix(self, ctx, finding):
        suggestion = finding.detail("suggestion")
        literal = ctx.facts.node_at(finding.range, ast.Constant, ast.JoinedStr)
        if not suggestion or literal is None or "{" in suggestion or "}" in suggestion:
            return None
        text = ctx.index.text[ctx.index.offset(finding.range.start) : ctx.index.offset(finding.range.end)]
        body = text.lstrip("uUfF")
        quote = body[:3] if body[:3] in ('"""', "'''") else body[:1]
        if quote not in ('"', "'", '"""', "'''") or not body.endswith(quote) or "\\" in body:
            return None  # a raw, byte or escaped string: leave it to the user
        start = ctx.index.offset(finding.range.start) + (len(text) - len(body)) + len(quote)
        end = ctx.index.offset(finding.range.end) - len(quote)
        return [TextEdit(Range(ctx.index.position(start), ctx.index.position(end)), suggestion)]


def closest(name: str, names: list[str]) -> str | None:
    """The one name at least 0.8 similar to `name` with none other as close, else None."""
    matcher = difflib.SequenceMatcher(None, name)
    scored = []
    for candidate in names:  # (typing in a name re-checks it against every task of the workspace)
        matcher.set_seq2(candidate)
        # The quick ratios are upper bounds of the ratio: what they rule out cannot be close.
        if matcher.real_quick_ratio() >= _CLOSE_ENOUGH and matcher.quick_ratio() >= _CLOSE_ENOUGH:
            scored.append((matcher.ratio(), candidate))
    scored.sort(reverse=True)
    if not scored or scored[0][0] < _CLOSE_ENOUGH:
        return None
    if len(scored) > 1 and scored[1][0] == scored[0][0]:
        return None
    return scored[0][1]


def _listed(names: list[str]) -> str:
    return ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")


def _why_no_fix(suggestion: str | None) -> str:
    if suggestion is None:
        return "no registered name is close enough to be the one meant"
    return "the name is held by a variable or a constant; change it where it is defined"
