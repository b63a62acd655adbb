"""## What it does
Flags a dispatch of a workspace task whose arguments cannot bind to the task's parameters:
more positional arguments than it takes, a keyword it does not have, one given twice, or,
for a dispatch sent as it is (`delay`, `apply_async`, `send_task`, a signature whose own
`apply_async()`/`delay()` is called), a required argument missing.

Dispatches by name (`signature("rag.search", args=[...], kwargs={...})`, `send_task`, a
`beat_schedule` entry's `args`/`kwargs`) and direct ones (`search.delay(...)`,
`search.apply_async(args=..., kwargs=...)`, `search.s(...)`) are both checked against the
task the name or the import resolves to. The parameters are the task function's, without
`self` for `bind=True`, and a `Task` subclass's `run` without `self`. A signature that is a
callback (after the first in a `chain` or `|`, a chord's body, a `link=`) receives the
previous task's result as its first argument, and it is counted; `.si()` does not.
Arguments the module cannot count (`*args`, a list built elsewhere) are not judged, and a
name that several tasks register is judged only when no task could take the arguments.

## Why is this bad?
The dispatch succeeds and the worker fails with a `TypeError` when it runs the task: the
error shows up in another service's log, long after the caller moved on, and the caller
waits for a result that is a failure.

## Example
```python
from celery import Celery, signature

app = Celery("rag")


@app.task(name="rag.search")
def search(project_dir, database, query):
    ...


def find(project_dir, database, query):
    return signature("rag.search", args=[project_dir, database, query, 10], app=app).apply_async()
```

## Use instead
```python
from celery import Celery, signature

app = Celery("rag")


@app.task(name="rag.search")
def search(project_dir, database, query, limit=10):
    ...


def find(project_dir, database, query):
    return signature("rag.search", args=[project_dir, database, query, 10], app=app).apply_async()
```

## Fix safety
No fix: whether the call or the task is wrong is for the user to say.
"""

from __future__ import annotations

from ..ftypes import Severity
from ..model.project import Task
from ..model.summary import Dispatch
from .base import Rule

_POSITIONAL = ("positional_only", "positional")


class TaskArgumentsMismatch(Rule):
    code = "CEL013"
    name = "task-arguments-mismatch"
    message = "the arguments cannot bind to the task's parameters"
    severity = Severity.HIGH
    # (`task`, which `send_task` and `subtask` hold, first: most modules of a service say it early)
    triggers = ("task", "signature", "Signature", "delay", "apply_async", ".s(", ".si(")
    uses_project = True

    def check(self, facts, settings):
        project, summary = facts.project, facts.summary
        if project is None:
            return
        service = project.service_of(facts.path)
        for dispatch in summary.dispatches:
            tasks = project.tasks_of(dispatch, service)
            problems = [binding_problem(task, dispatch) for task in tasks]
            if problems and all(problems):
                yield self.finding(facts, dispatch.span, f"task `{tasks[0].label}` {problems[0]}")


def binding_problem(task: Task, dispatch: Dispatch) -> str | None:
    """Why the dispatch's known arguments cannot bind to the task's parameters, or None."""
    parameters = task.definition.parameters
    if parameters is None:
        return None  # a decorator or a base class the model cannot read decides them
    positional = [p for p in parameters if p.kind in _POSITIONAL]
    given = dispatch.positional
    if given is not None and dispatch.callback and dispatch.method != "si":
        given += 1  # the previous task's result comes first
    takes_more = any(p.kind == "var_positional" for p in parameters)
    if given is not None and given > len(positional) and not takes_more:
        passed = " (the previous task's result first)" if dispatch.callback and dispatch.method != "si" else ""
        return f"takes {_count(len(positional), 'argument')}, {given} given{passed}"
    keywords = dispatch.keywords
    if keywords is not None:
        named = {p.name for p in parameters if p.kind in ("positional", "keyword_only")}
        takes_any = any(p.kind == "var_keyword" for p in parameters)
        for keyword in keywords:
            if keyword not in named and not takes_any:
                return f"has no parameter `{keyword}`"
        filled = {p.name for p in positional[: given or 0]}
        for keyword in keywords:
            if keyword in filled:
                return f"gets `{keyword}` twice (by position and by keyword)"
    if dispatch.sent and given is not None and keywords is not None:
        covered = {p.name for p in positional[:given]} | set(keywords)
        missing = [
            p.name
            for p in parameters
            if not p.has_default and p.kind in (*_POSITIONAL, "keyword_only") and p.name not in covered
        ]
        if missing:
            return f"is sent without {', '.join(f'`{m}`' for m in missing)} (required)"
    return None


def _count(number: int, word: str) -> str:
    return f"{number} {word}{'' if number == 1 else 's'}"
