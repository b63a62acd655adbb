"""## What it does
Flags routes that cannot do what they say:

- a `task_routes` key, an exact name or a glob (`"rag.*"`), that matches no task registered
  in the workspace (Celery's own `celery.*` tasks included) although the workspace holds the
  service those names belong to: a typo, and the route never applies;
- a task sent by name as it is (`send_task`, a beat entry, `signature(...).delay()`) from a
  service whose app has `task_routes`, to a task that another service of the workspace
  registers, when the name matches none of the sending app's routes and the dispatch names
  no queue itself (`queue=`, `routing_key=`, `exchange=`, `options`): it goes to the sending
  app's default queue (`task_default_queue`, else `celery`), which the task's own service
  never names (its routes' queues, and its default queue when it sets one or routes nothing),
  so no worker of that service is known to consume it.

Routes are gathered across modules: `Celery(...)` keywords, `conf.update(...)`,
`conf.task_routes = ...`, a `config_from_object` module's `task_routes`, and
`CELERY_TASK_ROUTES` (or the old `CELERY_ROUTES`) in Django settings. Nothing is said where
the model cannot see everything: a router function or routes built at run time, a worker
that declares `task_queues`, a service with a task whose name is built at run time or a
module that does not parse.

## Why is this bad?
A message on a queue nobody consumes waits forever, like a task nobody registers; a route
with a typo silently sends tasks to the default queue instead of the one meant.

## Example
```python
from celery import Celery

app = Celery("rag")
app.conf.task_routes = {"rag.ingst_*": {"queue": "rag"}}


@app.task(name="rag.ingest_file")
def ingest_file(path):
    ...
```

## Use instead
```python
from celery import Celery

app = Celery("rag")
app.conf.task_routes = {"rag.ingest_*": {"queue": "rag"}}


@app.task(name="rag.ingest_file")
def ingest_file(path):
    ...
```

## Fix safety
No fix: which queue a task belongs on is the deployment's decision.
"""

from __future__ import annotations

import fnmatch

from ..ftypes import Severity
from ..model.routing import Routing
from .base import Rule


class TaskRouteMismatch(Rule):
    code = "CEL014"
    name = "task-route-mismatch"
    message = "this route or dispatch sends work to a queue no worker of the workspace consumes"
    severity = Severity.MEDIUM
    # (`task`, which `send_task` and `subtask` hold, first: most modules of a service say it early)
    triggers = ("task", "signature", "Signature", "routes", "ROUTES")
    uses_project = True

    def check(self, facts, settings):
        project, summary = facts.project, facts.summary
        if project is None:
            return
        names = project.task_names
        for route in summary.routes:
            segment = route.pattern.split(".", 1)[0]
            if not segment or any(c in segment for c in "*?["):
                continue  # `*` routes everything: nothing to say about one service
            if project.registers(route.pattern) or any(fnmatch.fnmatchcase(name, route.pattern) for name in names):
                continue
            owners = project.prefix_services(segment)
            if not owners or not project.knows_all_names(owners):
                continue  # the tasks it routes are another workspace's, or may have a name built at run time
            yield self.finding(
                facts,
                route.span,
                f"route {route.pattern!r} matches no task registered in the workspace (tasks named {segment}.*: "
                f"{_listed(project.task_names_under(segment))}): it never applies",
            )
        yield from self._unrouted(facts, project, summary)

    def _unrouted(self, facts, project, summary):
        service = project.service_of(facts.path)
        routing = Routing.of(project, service)
        if not routing.patterns or routing.opaque:
            return  # no routes, or a router the model cannot read: the default queue is meant
        for dispatch in summary.dispatches:
            if not dispatch.by_name or not dispatch.sent or dispatch.routed:
                continue  # a signature sent elsewhere, or a dispatch that names its queue
            name = project.dispatched_task_name(dispatch, service)
            if name is None or routing.queue_for(name) is not None:
                continue
            owners = {t.service for t in project.tasks_by_name.get(name, ())}
            if not owners or service in owners:
                continue
            queue = routing.default_queue
            queues = [Routing.of(project, owner).consumed for owner in owners]
            if any(q is None for q in queues):
                continue  # a worker that declares its queues (`task_queues`) or routes opaquely
            consumed: set[str] = set().union(*filter(None, queues))
            if queue in consumed:
                continue
            owner = sorted(owners, key=lambda s: s.root)[0]
            yield self.finding(
                facts,
                dispatch.span,
                f"{name!r} matches no route of this service's app, so it goes to queue {queue!r}, which the "
                f"`{owner.directory_name}` service that registers it never names ({_listed(sorted(consumed))}); "
                f"add a route for it",
            )


def _listed(names: list[str]) -> str:
    return ", ".join(names[:5]) + (", ..." if len(names) > 5 else "") if names else "none"
