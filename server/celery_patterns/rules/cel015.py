"""## What it does
Flags code that runs in a task and waits on a Celery result: `.get()`, `.wait()`, `.join()`
or `.join_native()` on a result (a dispatch's, an `AsyncResult(...)`, one whose status is
checked, as CEL003 decides). Code runs in a task when it is in a task's body, in a function
of the workspace that a task calls (up to three direct calls deep, across modules and
services), or in a branch taken only inside a task (`if current_task:`). A wait Celery
allows is not flagged: `disable_sync_subtasks=False`, or inside `with allow_join_result():`;
nor is one in code that runs only outside a task (`if not current_task:`, the `else` of
`if current_task:`, the code after `if current_task: return`).

## Why is this bad?
Celery refuses it: `result.get()` inside a task raises `RuntimeError("Never call
result.get() within a task!")`, since a worker whose every process waits on other tasks
deadlocks. When the wait sits in a FAILURE branch, that error replaces the task's own.
Build a `chain` or `chord` so the next task gets the result, or poll with a bounded loop
(checklist items 3 and 4) outside the worker.

## Example
```python
from celery import Celery

app = Celery("rag")


@app.task(name="rag.embed")
def embed(chunk):
    ...


@app.task(name="rag.ingest_file")
def ingest_file(chunks):
    return [embed.delay(chunk).get(timeout=60) for chunk in chunks]
```

## Use instead
```python
from celery import Celery, group

app = Celery("rag")


@app.task(name="rag.embed")
def embed(chunk):
    ...


@app.task(name="rag.ingest_file")
def ingest_file(chunks):
    return group(embed.s(chunk) for chunk in chunks).apply_async().id
```

## Fix safety
No fix: turning a wait into a chain or a chord changes the program's structure.
"""

from __future__ import annotations

from ..ftypes import Severity
from .base import Rule


class ResultWaitInTask(Rule):
    code = "CEL015"
    name = "result-wait-in-task"
    message = "a task waits on another task's result: Celery raises RuntimeError here"
    severity = Severity.HIGH
    triggers = (".get(", ".wait(", ".join(", ".join_native(")
    uses_project = True

    def check(self, facts, settings):
        project, summary = facts.project, facts.summary
        if project is None:
            return
        for function in summary.functions.values():
            chain = project.runs_in_task(summary, function.name)
            for block in function.blocks:
                if block.kind != "wait" or block.exempt:
                    continue
                guard = _innermost_guard(function, block.span)
                if guard == "outside":
                    continue  # `if not current_task:`, or after `if current_task: return`
                if chain is not None:
                    where = f"task `{chain[0]}`" + (
                        f" (through {' -> '.join(f'`{c}`' for c in chain[1:])})" if len(chain) > 1 else ""
                    )
                elif guard == "inside":
                    where = "a branch that runs only inside a task (`current_task`)"
                else:
                    continue
                yield self.finding(
                    facts,
                    block.span,
                    f'`{block.text}` waits on a task result in {where}: Celery raises RuntimeError("Never call '
                    f'result.get() within a task!"); chain the tasks or use a chord instead',
                )


def _innermost_guard(function, span) -> str | None:
    """Whether the innermost `current_task` branch holding `span` runs inside or outside a task."""
    holding = [(r, "inside") for r in function.current_task_only if r.contains(span)]
    holding += [(r, "outside") for r in function.outside_task_only if r.contains(span)]
    if not holding:
        return None
    return max(holding, key=lambda item: (item[0].start.line, item[0].start.column))[1]
