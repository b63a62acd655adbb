"""Which queue a task goes to: the routes and default queue of a service's apps."""

from __future__ import annotations

import fnmatch

from .summary import UNKNOWN


class Routing:
    """What the apps of one service say about queues: their routes, their default queue."""

    def __init__(self) -> None:
        self.patterns: list[tuple[str, str | None]] = []
        self.opaque = False  # a router function or routes built at run time
        self.default_queue = "celery"

    @classmethod
    def of(cls, project, service) -> Routing:
        routing = cls()
        for path, summary in project.summaries.items():
            if project.service_of(path) != service:
                continue
            routing.patterns.extend((r.pattern, r.queue) for r in summary.routes)
            settings = [dict(app.settings) for app in summary.apps] + [summary.settings]
            for values in settings:
                for key, value in values.items():
                    if key.lower().endswith("task_routes") and not isinstance(value, dict):
                        routing.opaque = routing.opaque or value == UNKNOWN or not _dict_list(value)
                    if key.lower().endswith("task_default_queue") and isinstance(value, str):
                        routing.default_queue = value
        return routing

    def queue_for(self, name: str) -> str | None:
        for pattern, queue in self.patterns:
            if fnmatch.fnmatchcase(name, pattern):
                return queue or self.default_queue
        return None

    @property
    def consumed(self) -> set[str]:
        """The queues the service's routes name; its default queue when it routes nothing."""
        return {q for _, q in self.patterns if q} or {self.default_queue}


def _dict_list(value) -> bool:
    return isinstance(value, list) and all(isinstance(item, dict) for item in value)


def _dict_list(value) -> bool:
    return isinstance(value, list) and all(isinstance(item, dict) for item in value)
