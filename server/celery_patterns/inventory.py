"""The workspace's tasks as people read them: `celery-patterns tasks`, and the editor's hover,
completion and symbols. Built from the project model; it reports nothing."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass

from .model.project import Project, Task
from .model.routing import Routing


@dataclass(frozen=True)
class DispatchSite:
    path: str
    line: int  # 1-based
    method: str
    service: str


@dataclass(frozen=True)
class TaskRow:
    task: Task
    name: str
    service: str  # the service's directory, relative to the workspace
    path: str  # relative to the workspace
    line: int  # 1-based
    parameters: str  # `(project_dir, database_name, source_path)`, as a dispatcher passes them
    queue: str
    dispatches: tuple[DispatchSite, ...]


def parameters_text(task: Task) -> str:
    """The parameters a dispatcher passes, as Python writes them (`self` of a bound task left
    out); `(...)` when the model does not know them (a task class inheriting its `run`)."""
    if task.definition.parameters is None:
        return "(...)"
    parts = []
    keyword_only = False
    for parameter in task.definition.parameters:
        if parameter.kind == "keyword_only" and not keyword_only:
            parts.append("*")
            keyword_only = True
        if parameter.kind == "var_positional":
            parts.append(f"*{parameter.name}")
            keyword_only = True
        elif parameter.kind == "var_keyword":
            parts.append(f"**{parameter.name}")
        else:
            parts.append(parameter.name + ("=..." if parameter.has_default else ""))
    return f"({', '.join(parts)})"


def rows(project: Project) -> list[TaskRow]:
    """One row per task of the workspace, by registered name."""
    sites: dict[str, list[DispatchSite]] = {}
    for dispatch, summary, service in project.dispatches():
        for task in project.tasks_of(dispatch, service):
            sites.setdefault(task.qualname + "@" + task.service.root, []).append(
                DispatchSite(
                    _relative(project, summary.path),
                    dispatch.span.start.line + 1,
                    dispatch.method,
                    _relative(project, service.root),
                )
            )
    routing: dict[str, Routing] = {}
    out = []
    for task in sorted(project.tasks, key=lambda t: (t.label, t.summary.path)):
        service = task.service
        if service.root not in routing:
            routing[service.root] = Routing.of(project, service)
        route = routing[service.root]
        out.append(
            TaskRow(
                task=task,
                name=task.label,  # (where it is defined when its name is built at run time)
                service=_relative(project, service.root),
                path=_relative(project, task.summary.path),
                line=task.definition.span.start.line + 1,
                parameters=parameters_text(task),
                queue=queue_of(route, task),
                dispatches=tuple(sites.get(task.qualname + "@" + service.root, ())),
            )
        )
    return out


def queue_of(routing: Routing, task: Task) -> str:
    """The queue the task goes to: its route's, else the default (also when its name, which
    routes match, is not known)."""
    return (routing.queue_for(task.name) if task.name is not None else None) or routing.default_queue


def _relative(project: Project, path: str) -> str:
    relative = os.path.relpath(path, project.root)
    return "." if relative == "." else relative.replace(os.sep, "/")


# --- formats --------------------------------------------------------------------------------
def as_text(table: list[TaskRow]) -> str:
    lines = []
    for row in table:
        lines.append(f"{row.name}{row.parameters}  queue={row.queue}  service={row.service}  {row.path}:{row.line}")
        for site in row.dispatches:
            lines.append(f"    <- {site.path}:{site.line} ({site.method})")
    if not table:
        lines.append("No Celery tasks found in the workspace.")
    return "\n".join(lines)


def as_json(table: list[TaskRow]) -> str:
    return json.dumps(
        [
            {
                "name": row.name,
                "service": row.service,
                "path": row.path,
                "line": row.line,
                "parameters": _parameter_names(row.task),
                "queue": row.queue,
                "dispatches": [{"path": s.path, "line": s.line, "method": s.method} for s in row.dispatches],
            }
            for row in table
        ],
        indent=2,
    )


def _parameter_names(task: Task) -> list[str] | None:
    parameters = task.definition.parameters
    return [p.name for p in parameters] if parameters is not None else None  # None: not known


def as_mermaid(table: list[TaskRow]) -> str:
    """A flowchart: each service with its tasks grouped by queue, and an arrow from each
    module that sends a task to it."""
    ids: dict[str, str] = {}

    def node(key: str, prefix: str) -> str:
        if key not in ids:
            ids[key] = f"{prefix}{len(ids)}"
        return ids[key]

    lines = ["flowchart LR"]
    by_service: dict[str, dict[str, list[TaskRow]]] = {}
    for row in table:
        by_service.setdefault(row.service, {}).setdefault(row.queue, []).append(row)
    for service, queues in sorted(by_service.items()):
        lines.append(f'  subgraph {node("service:" + service, "s")}["service {_label(service)}"]')
        for queue, members in sorted(queues.items()):
            lines.append(f'    subgraph {node("queue:" + service + ":" + queue, "q")}["queue {_label(queue)}"]')
            lines.extend(f'      {node("task:" + row.name + row.path, "t")}["{_label(row.name)}"]' for row in members)
            lines.append("    end")
        lines.append("  end")
    arrows = set()
    for row in table:
        for site in row.dispatches:
            arrows.add((node("module:" + site.path, "m"), site.path, node("task:" + row.name + row.path, "t")))
    for module, path, task in sorted(arrows):
        lines.append(f'  {module}["{_label(path)}"] --> {task}')
    return "\n".join(lines)


def _label(text: str) -> str:
    return re.sub(r'["\[\]<>]', "_", text)


FORMATS = {"text": as_text, "json": as_json, "mermaid": as_mermaid}
