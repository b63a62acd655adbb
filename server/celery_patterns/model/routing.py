"""Which queue a task goes to: the routes and default queue of a service's apps."""

from __future__ import annotations

import fnmatch

from ..analysis.literals import UNKNOWN


class Routing:
    """What the apps of one service say about queues: their routes, their default queue."""

    def __init__(self) -> None:
        self.patterns: list[tuple[str, str | None]] = []
        self.opaque = False  # a router function or routes built at run time
        self.default_queue = "celery"
        self.explicit_default = False  # `task_default_queue` is set
        self.declares_queues = False  # `task_queues` is set: a worker consumes those
        self._queues: dict[str, str | None] = {}  # name -> queue_for(name): the routing outlives a keystroke

    @classmethod
    def of(cls, project, service) -> Routing:
        return project.lasting(("routing", service), lambda: cls._of(project, service))

    @classmethod
    def _of(cls, project, service) -> Routing:
        routing = cls()
        for path, summary in project.summaries.items():
            if project.service_of(path) != service:
                continue
            routing.patterns.extend((r.pattern, r.queue) for r in summary.routes)
            routing.opaque = routing.opaque or summary.opaque_routes
            settings = [dict(app.settings) for app in summary.apps] + [summary.settings]
            for values in settings:
                for key, value in values.items():
                    key = key.lower()
                    if key.endswith(("task_default_queue", "celery_default_queue")) and isinstance(value, str):
                        routing.default_queue = value
                        routing.explicit_default = value != UNKNOWN
                    elif key.endswith(("task_queues", "celery_queues")):
                        routing.declares_queues = True
        return routing

    def queue_for(self, name: str) -> str | None:
        """The queue the routes send a task of this name to; None when no route matches."""
        if name not in self._queues:
            self._queues[name] = next(
                (queue or self.default_queue for pattern, queue in self.patterns if fnmatch.fnmatchcase(name, pattern)),
                None,
            )
        return self._queues[name]

    @property
    def consumed(self) -> set[str] | None:
        """The queues a worker of the service is known to consume: those its routes name,
        and its default queue when it sets one or routes nothing; None when not known."""
        if self.opaque or self.declares_queues:
            return None
        named = {q for _, q in self.patterns if q}
        return named | {self.default_queue} if self.explicit_default or not named else named
