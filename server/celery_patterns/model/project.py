"""The project model: the module summaries of a workspace, combined.

It answers the questions no single file can: which tasks the workspace registers and under
which names, what a dotted name imported in one module is in another (re-exports through
`__init__.py` followed), which services there are, what routes each app has, and which
functions run in a task or block through the helpers they call. Rules read it; nothing
here reports anything.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Generic, TypeVar

from ..analysis.celery import BUILTIN_TASKS
from ..analysis.testing import is_test_path
from .interface import interface, interface_but_dispatches
from .layout import Layout, Service
from .summary import MODULE_CODE, AppDef, Dispatch, Function, ModuleSummary, TaskDef

T = TypeVar("T")

CALL_DEPTH = 3  # how far "runs in a task" and "blocks through a helper" follow direct calls
_MISSING = object()
_MOVED = object()  # the key of `Project._moved` in the shared `_lasting`


class lasting_property(Generic[T]):
    """A property worked out once per interface of the workspace (`Project.lasting`): for what
    holds no position of any module."""

    def __init__(self, compute: Callable[[Project], T]) -> None:
        self.compute = compute
        self.name = compute.__name__
        self.__doc__ = compute.__doc__

    def __get__(self, project: Project | None, owner: type | None = None) -> T:
        if project is None:
            return self  # type: ignore[return-value]  # (the descriptor itself, on the class)
        return project.lasting(self.name, lambda: self.compute(project))


@dataclass(frozen=True)
class Task:
    """A task of the workspace: its definition, the module holding it, its registered name."""

    definition: TaskDef
    summary: ModuleSummary
    service: Service
    name: str | None  # None when the model cannot know it (`name=` built at run time)

    @property
    def label(self) -> str:
        """How messages call it: its registered name, else where it is defined."""
        return self.name or self.qualname

    @property
    def qualname(self) -> str:
        return f"{self.summary.module}.{self.definition.function}" if self.summary.module else self.definition.function


@dataclass(frozen=True)
class FunctionRef:
    summary: ModuleSummary
    function: Function
    service: Service

    @property
    def qualname(self) -> str:
        module = self.summary.module
        return f"{module}.{self.function.name}" if module else self.function.name


class Project:
    """The summaries of a workspace's modules (by path), and what they say together."""

    def __init__(
        self,
        layout: Layout,
        summaries: dict[str, ModuleSummary],
        unreadable: frozenset[str] = frozenset(),
        lasting: dict[object, object] | None = None,
    ) -> None:
        self.layout = layout
        self.summaries = summaries
        self.unreadable = unreadable  # workspace files that do not parse (with this Python): unknown
        self._memo: dict[object, object] = {}
        # What is worked out from the modules' interfaces alone, shared (the same dict) by the
        # projects `with_summary` derives without changing what they read: what the check of
        # one keystroke works out, the next finds (see `lasting`).
        self._lasting: dict[object, object] = {} if lasting is None else lasting
        # The paths whose summaries differ between the projects sharing `_lasting`: what it
        # holds that points at a summary (a task) is pointed at this project's for them only.
        self._moved: set[str] = self._lasting.setdefault(_MOVED, set())  # type: ignore[assignment]

    def memo(self, key: object, compute: Callable[[], T]) -> T:
        """`compute()`, worked out once per project: what every checked file asks of the whole
        workspace (a service's routing), which would otherwise cost a pass over all summaries
        per file."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]  # type: ignore[return-value]  # (stored by the same key's compute)

    def lasting(self, key: object, compute: Callable[[], T]) -> T:
        """`compute()`, worked out once for every project with the same module interfaces
        (an edited buffer whose tasks, calls, routes... are as they were; its dispatches may
        differ): for what holds no position of any module (an edit moves those) and reads no
        dispatch. Without it every keystroke in the editor would work the whole call graph,
        the routing and the task names out again."""
        found = self._lasting.get(key, _MISSING)
        if found is _MISSING:
            found = self._lasting.setdefault(key, compute())
        return found  # type: ignore[return-value]  # (stored by the same key's compute)

    @property
    def root(self) -> str:
        return self.layout.root

    def with_summary(self, summary: ModuleSummary) -> Project:
        """The same workspace with one module as `summary` says (an edited buffer)."""
        path = os.path.abspath(summary.path)  # the model's paths are absolute, a check's may not be
        known = self.summaries.get(path)
        if known is summary or (known is not None and summary.digest and known.digest == summary.digest):
            return self  # the file as the model read it (the same text): reuse what it computed
        if path != summary.path:
            summary = dataclasses.replace(summary, path=path)
        # (what the indexes read: a dispatch's name typed changes the interface, not them)
        same = known is not None and (
            interface(known) == interface(summary)
            or interface_but_dispatches(known) == interface_but_dispatches(summary)
        )
        if same:
            self._moved.add(path)
        return Project(
            self.layout,
            {**self.summaries, path: summary},
            self.unreadable - {path},
            self._lasting if same else None,
        )

    def summary_of(self, path: str, digest: str) -> ModuleSummary | None:
        """The model's summary of a file, when it was made from what `digest` says."""
        known = self.summaries.get(os.path.abspath(path))
        return known if known is not None and known.digest == digest else None

    def service_of(self, path: str) -> Service:
        return self.layout.service_of(path)

    # --- modules ----------------------------------------------------------------------------
    @lasting_property
    def _module_paths(self) -> dict[tuple[str, str], str]:
        """(service root, module name) -> path of the module."""
        found: dict[tuple[str, str], str] = {}
        for path, summary in sorted(self.summaries.items()):
            if summary.module:
                found.setdefault((self.service_of(path).root, summary.module), path)
        for path in sorted(self.summaries):  # other names an import may use
            for name in self.layout.module_names(path)[1:]:
                if name:
                    found.setdefault((self.service_of(path).root, name), path)
        return found

    @lasting_property
    def services(self) -> list[Service]:
        return sorted({self.service_of(p) for p in self.summaries}, key=lambda s: s.root)

    def module(self, name: str, service: Service) -> ModuleSummary | None:
        path = self._module_paths.get((service.root, name))
        return self.summaries.get(path) if path is not None else None

    def resolve(self, qualname: str, service: Service, _depth: int = 0) -> tuple[ModuleSummary, str] | None:
        """What an absolute dotted name refers to in the workspace, seen from `service`:
        (the module defining it, the name in that module: `poll`, `Client.poll`, `` for the
        module itself), following re-exports; None when it is outside the workspace."""
        if _depth > 8:
            return None
        parts = qualname.split(".")
        for cut in range(len(parts), 0, -1):
            module = self.module(".".join(parts[:cut]), service)
            if module is None:
                continue
            rest = parts[cut:]
            if not rest:
                return module, ""
            target = module.aliases.get(rest[0])
            if target is not None and rest[0] not in module.functions:
                return self.resolve(".".join([target, *rest[1:]]), service, _depth + 1)
            return module, ".".join(rest)
        return None

    def resolve_anywhere(self, qualname: str, service: Service) -> tuple[ModuleSummary, str] | None:
        """`resolve` in `service`, else in the service whose modules the name starts with."""
        found = self.resolve(qualname, service)
        if found is not None:
            return found
        for other in self.services:
            if other != service:
                found = self.resolve(qualname, other)
                if found is not None:
                    return found
        return None

    # --- tasks ------------------------------------------------------------------------------
    @cached_property
    def tasks(self) -> list[Task]:
        # Found once per interface (a registered name may take lookups across modules), then
        # the tasks of the modules edited since pointed at this project's summaries (where an
        # edited buffer's tasks are now): a keystroke costs what the edited modules hold.
        tasks = list(self._found_tasks)
        for path in self._moved:
            for i in self._task_positions.get(path, ()):
                tasks[i] = self._current(tasks[i])
        return tasks

    @lasting_property
    def _task_positions(self) -> dict[str, list[int]]:
        """Module path -> the positions of its tasks in `tasks`."""
        found: dict[str, list[int]] = {}
        for i, task in enumerate(self._found_tasks):
            found.setdefault(task.summary.path, []).append(i)
        return found

    def _current(self, task: Task) -> Task:
        summary = self.summaries.get(task.summary.path, task.summary)
        if summary is task.summary:
            return task
        # The same interface: the same tasks, in the same order.
        i = next(i for i, d in enumerate(task.summary.tasks) if d is task.definition)
        return Task(summary.tasks[i], summary, task.service, task.name)

    @lasting_property
    def _found_tasks(self) -> list[Task]:
        """The tasks, pointing at the summaries of the project that found them."""
        found = []
        for path, summary in sorted(self.summaries.items()):
            service = self.service_of(path)
            for definition in summary.tasks:
                if definition.app_unsure and not self.is_app(definition.app, service):
                    continue  # `@x.task` on an imported `x` that is no Celery app of the workspace
                found.append(Task(definition, summary, service, self._registered_name(definition, summary, service)))
        return found

    def _registered_name(self, definition: TaskDef, summary: ModuleSummary, service: Service) -> str | None:
        if definition.name is not None:
            return definition.name
        if definition.name_ref is not None:
            return self.constant(definition.name_ref, service)
        if definition.named or service.root in self._services_naming_tasks:
            return None
        return f"{summary.module}.{definition.function}" if summary.module else definition.function

    @lasting_property
    def _services_naming_tasks(self) -> set[str]:
        """The services with an app class that makes its own default task names (`gen_task_name`)."""
        return {self.service_of(p).root for p, s in self.summaries.items() if s.names_tasks}

    def constant(self, qualname: str, service: Service) -> str | None:
        """The string a module constant holds."""
        found = self.resolve(qualname, service)
        if found is None:
            return None
        module, name = found
        return module.constants.get(name)

    @cached_property
    def tasks_by_name(self) -> dict[str, list[Task]]:
        """Registered name -> the tasks registered so (read-only)."""
        found = self._found_by_name
        # the tasks of the modules edited since, as `tasks` points them (by the found ones)
        current = {
            id(self._found_tasks[i]): self.tasks[i] for path in self._moved for i in self._task_positions.get(path, ())
        }
        if not current:
            return found
        found = dict(found)
        for name in {t.name for t in current.values() if t.name is not None}:
            found[name] = [current.get(id(t), t) for t in found[name]]
        return found

    @lasting_property
    def _found_by_name(self) -> dict[str, list[Task]]:
        return _by_name(self._found_tasks)

    @lasting_property
    def task_names(self) -> list[str]:
        """The registered names of the workspace's tasks, sorted."""
        return sorted(self.tasks_by_name)

    def prefix_services(self, segment: str) -> set[Service]:
        """The services that names starting `segment.` belong to: those it names, and those
        registering tasks named so."""
        return {*self.services_named(segment), *self._by_first_segment.get(segment, ((), set()))[1]}

    def task_names_under(self, segment: str) -> list[str]:
        """The registered names starting `segment.` (or that are `segment`), sorted."""
        return self._by_first_segment.get(segment, ([], set()))[0]

    @lasting_property
    def _by_first_segment(self) -> dict[str, tuple[list[str], set[Service]]]:
        """A registered name's first segment -> (the names starting so, the services registering them)."""
        found: dict[str, tuple[list[str], set[Service]]] = {}
        for name in self.task_names:
            names, services = found.setdefault(name.split(".", 1)[0], ([], set()))
            names.append(name)
            services.update(t.service for t in self.tasks_by_name[name])
        return found

    def task_names_of(self, services: Iterable[Service]) -> list[str]:
        """The registered names of these services' tasks, sorted."""
        wanted = frozenset(services)
        return self.lasting(
            ("task names of", wanted),
            lambda: [n for n in self.task_names if any(t.service in wanted for t in self.tasks_by_name[n])],
        )

    def knows_all_names(self, services: Iterable[Service]) -> bool:
        """Every task these services register has a name the model knows: none is named at
        run time, and no module of theirs failed to parse."""
        return self._names_unknown.isdisjoint(services)

    @lasting_property
    def _names_unknown(self) -> set[Service]:
        """The services with a task named at run time or a module that does not parse."""
        return {t.service for t in self.tasks if t.name is None} | {self.service_of(p) for p in self.unreadable}

    def registers(self, name: str) -> bool:
        """Some worker of the workspace knows a task by this name (Celery's own included)."""
        return name in self.tasks_by_name or name in BUILTIN_TASKS

    def task_at(self, qualname: str, service: Service) -> Task | None:
        """The task a dotted name (`rag.tasks.ingest_file`) refers to."""
        found = self.resolve_anywhere(qualname, service)
        if found is None:
            return None
        module, name = found
        return next((t for t in self._tasks_in(module.path) if t.definition.function == name), None)

    def _tasks_in(self, path: str) -> list[Task]:
        return [self.tasks[i] for i in self._task_positions.get(path, ())]

    def dispatched_task_name(self, dispatch: Dispatch, service: Service) -> str | None:
        """The name a dispatch by name sends, when known whole."""
        if dispatch.name is not None:
            return dispatch.name
        return self.constant(dispatch.name_ref, service) if dispatch.name_ref else None

    def tasks_of(self, dispatch: Dispatch, service: Service) -> list[Task]:
        """The tasks a dispatch reaches (none when unknown)."""
        if dispatch.target is None:  # sent by name
            name = self.dispatched_task_name(dispatch, service)
            return list(self.tasks_by_name.get(name, ())) if name else []
        task = self.task_at(dispatch.target, service)
        return [task] if task is not None else []

    # --- services and apps ------------------------------------------------------------------
    @cached_property
    def apps(self) -> list[tuple[AppDef, ModuleSummary, Service]]:
        return [(app, self.summaries[p], service) for p, service in self._app_modules for app in self.summaries[p].apps]

    @lasting_property
    def _app_modules(self) -> list[tuple[str, Service]]:
        """(path, service) of the modules making Celery apps."""
        return [(p, self.service_of(p)) for p, s in sorted(self.summaries.items()) if s.apps]

    def is_app(self, qualname: str | None, service: Service) -> bool:
        """The dotted name refers to a Celery app made in the workspace."""
        found = self.resolve_anywhere(qualname, service) if qualname else None
        return found is not None and any(app.variable == found[1] for app in found[0].apps)

    def service_names(self, service: Service) -> set[str]:
        """What a task name's first segment can be to mean this service: its directory, its
        top-level packages, its apps' main names."""
        return self.lasting(("service names", service), lambda: self._service_names(service))

    def _service_names(self, service: Service) -> set[str]:
        names = {service.directory_name}
        for path, summary in self.summaries.items():
            if self.service_of(path) == service and summary.module:
                names.add(summary.module.split(".", 1)[0])
        names.update(app.main for app, _, s in self.apps if s == service and app.main)
        return names

    def services_named(self, segment: str) -> list[Service]:
        return [s for s in self.services if segment in self.service_names(s) and self.defines_celery(s)]

    def defines_celery(self, service: Service) -> bool:
        """The service makes a Celery app or defines a task (else it is a library)."""
        return service in self._celery_services

    @lasting_property
    def _celery_services(self) -> set[Service]:
        return {s for _, _, s in self.apps} | {t.service for t in self.tasks}

    def uses_celery(self, service: Service) -> bool:
        """The service makes a Celery app, defines a task or sends one (else its code, a
        build script or a folder of tools, has no Celery of its own)."""
        return service in self._celery_services or service in self._sending_services

    @cached_property
    def _sending_services(self) -> set[Service]:
        return {self.service_of(p) for p, s in self.summaries.items() if s.dispatches or s.starts_tasks}

    @lasting_property
    def celery_packages(self) -> dict[Service, frozenset[str]]:
        """The top-level packages of each service that makes a Celery app or defines a task."""
        found: dict[Service, set[str]] = {}
        for path, summary in self.summaries.items():
            service = self.service_of(path)
            if summary.module and self.defines_celery(service):
                found.setdefault(service, set()).add(summary.module.split(".", 1)[0])
        return {service: frozenset(packages) for service, packages in found.items()}

    # --- functions and calls ----------------------------------------------------------------
    def function(self, qualname: str, service: Service) -> FunctionRef | None:
        found = self.resolve_anywhere(qualname, service)
        if found is None:
            return None
        module, name = found
        function = module.functions.get(name)
        if function is None or name == MODULE_CODE:
            return None
        return FunctionRef(module, function, self.service_of(module.path))

    def functions_of(self, summary: ModuleSummary) -> Iterator[FunctionRef]:
        service = self.service_of(summary.path)
        for function in summary.functions.values():
            yield FunctionRef(summary, function, service)

    def blocking_path(self, start: FunctionRef, depth: int = CALL_DEPTH) -> list[str] | None:
        """The shortest chain of direct calls (up to `depth` deep) from a sync function to
        a blocking call: the qualnames called, ending with the blocking call's text; None."""
        frontier = [(start, [start.qualname])]
        seen = {(start.service.root, start.qualname)}
        for level in range(depth + 1):
            following = []
            for ref, path in frontier:
                if ref.function.is_async:
                    continue
                if ref.function.blocks:  # a wait Celery allows in a task blocks the event loop all the same
                    return [*path, ref.function.blocks[0].text]
                if level == depth:
                    continue
                for call in ref.function.calls:
                    if call.awaited or call.in_thread:
                        continue
                    callee = self.function(call.target, ref.service)
                    if callee is not None and (callee.service.root, callee.qualname) not in seen:
                        seen.add((callee.service.root, callee.qualname))
                        following.append((callee, [*path, callee.qualname]))
            frontier = following
        return None

    @lasting_property
    def in_tasks(self) -> dict[tuple[str, str], list[str]]:
        """(service root, function qualname) -> the chain from a task to it, for every
        workspace function a task runs (itself, or up to CALL_DEPTH direct calls away)."""
        reach: dict[tuple[str, str], list[str]] = {}
        frontier = []
        for task in self.tasks:
            function = task.summary.functions.get(task.definition.function) or task.summary.functions.get(
                f"{task.definition.function}.run"
            )
            if function is not None:
                ref = FunctionRef(task.summary, function, task.service)
                reach.setdefault((ref.service.root, ref.qualname), [task.label])
                frontier.append((ref, [task.label]))
        for _ in range(CALL_DEPTH):
            following = []
            for ref, path in frontier:
                for call in ref.function.calls:
                    if call.in_thread:
                        continue
                    callee = self.function(call.target, ref.service)
                    if callee is None:
                        continue
                    key = (callee.service.root, callee.qualname)
                    if key not in reach:
                        reach[key] = [*path, callee.qualname]
                        following.append((callee, reach[key]))
            frontier = following
        return reach

    def runs_in_task(self, summary: ModuleSummary, function: str) -> list[str] | None:
        """The chain from a task to `function` of `summary`'s module, when a task runs it."""
        qualname = f"{summary.module}.{function}" if summary.module else function
        return self.in_tasks.get((self.service_of(summary.path).root, qualname))

    # --- what functions build and send ------------------------------------------------------
    @lasting_property
    def _canvas_builder_names(self) -> frozenset[str]:
        """The names of the workspace functions that return a group, chord or chain."""
        return frozenset(name.rsplit(".", 1)[-1] for s in self.summaries.values() for name in s.canvas_returns)

    def canvas_built_by(self, target: str, service: Service) -> str | None:
        """The kind of canvas ("group", "chord", "chain") that the workspace function `target`
        names (an absolute name, seen from `service`) returns (`return group(sigs)`), or None."""
        if target.rsplit(".", 1)[-1] not in self._canvas_builder_names:
            return None
        ref = self.function(target, service)
        return ref.summary.canvas_returns.get(ref.function.name) if ref is not None else None

    def start_path(self, start: FunctionRef, depth: int = CALL_DEPTH) -> list[str] | None:
        """The shortest chain of direct calls (up to `depth` deep) from `start` to a
        workspace function whose own code sends a Celery task: the qualnames, `start`'s
        first; None when it sends none."""
        chains = {(start.service.root, start.qualname): [start.qualname]}
        frontier = [start]
        for _ in range(depth + 1):
            sending = next((ref for ref in frontier if ref.function.name in ref.summary.starts_tasks), None)
            if sending is not None:
                return chains[(sending.service.root, sending.qualname)]
            following = []
            for ref in frontier:
                for callee in self._callees(ref):
                    key = (callee.service.root, callee.qualname)
                    if key not in chains:
                        chains[key] = [*chains[(ref.service.root, ref.qualname)], callee.qualname]
                        following.append(callee)
            frontier = following
        return None

    def _callees(self, ref: FunctionRef) -> Iterator[FunctionRef]:
        """The workspace functions `ref` calls directly."""
        for call in ref.function.calls:
            callee = self.function(call.target, ref.service)
            if callee is not None:
                yield callee

    # --- services as a whole ----------------------------------------------------------------
    def is_test(self, path: str) -> bool:
        """The file is test code (`tests/`, `test_*.py`, `conftest.py`...)."""
        return is_test_path(relative(self, path))

    @lasting_property
    def eager_services(self) -> frozenset[str]:
        """The roots of the services some module of which turns `task_always_eager` on."""
        return frozenset(self.service_of(p).root for p, s in self.summaries.items() if s.always_eager)

    def runs_eagerly(self, path: str) -> bool:
        """The file's service, or one holding it, turns `task_always_eager` on somewhere:
        its tests' dispatches run in the test's process and their results are ready."""
        root = self.service_of(path).root
        return any(root == eager or root.startswith(eager.rstrip(os.sep) + os.sep) for eager in self.eager_services)

    @lasting_property
    def revoking_services(self) -> frozenset[str]:
        """The roots of the services whose code (tests aside) revokes Celery tasks: in its own
        modules, or by calling a workspace function (of a library, say) that does."""
        revoking = {
            f"{s.module}.{name}"
            for s in self.summaries.values()
            if s.module and not self.is_test(s.path)
            for name in s.revokes
            if name != MODULE_CODE
        }
        last_names = {name.rsplit(".", 1)[-1] for name in revoking}
        found = set()
        for path, summary in self.summaries.items():
            service = self.service_of(path)
            if service.root in found or self.is_test(path):
                continue
            if summary.revokes or any(
                call.target.rsplit(".", 1)[-1] in last_names
                and (ref := self.function(call.target, service)) is not None
                and ref.qualname in revoking
                for function in summary.functions.values()
                for call in function.calls
            ):
                found.add(service.root)
        return frozenset(found)

    @lasting_property
    def _views(self) -> dict[str, frozenset[str]]:
        """Module path -> the names of its functions and classes some module of the workspace
        registers as web views (Django's `path("x/", views.run)`, `RunView.as_view()`...)."""
        found: dict[str, set[str]] = {}
        for path, summary in self.summaries.items():
            service = self.service_of(path)
            for view in summary.views:
                target = self.resolve_anywhere(view, service)
                if target is not None and target[1]:
                    found.setdefault(target[0].path, set()).add(target[1])
        return {path: frozenset(names) for path, names in found.items()}

    def views_in(self, path: str) -> frozenset[str]:
        """The names of a module's functions and classes registered as views."""
        return self._views.get(os.path.abspath(path), frozenset())

    # --- everything -------------------------------------------------------------------------
    def dispatches(self) -> Iterable[tuple[Dispatch, ModuleSummary, Service]]:
        for path, summary in sorted(self.summaries.items()):
            service = self.service_of(path)
            for dispatch in summary.dispatches:
                yield dispatch, summary, service


def _by_name(tasks: list[Task]) -> dict[str, list[Task]]:
    found: dict[str, list[Task]] = {}
    for task in tasks:
        if task.name is not None:
            found.setdefault(task.name, []).append(task)
    return found


def relative(project: Project, path: str) -> str:
    """`path` as the user reads it: relative to the workspace."""
    try:
        return os.path.relpath(path, project.root)
    except ValueError:
        return path
