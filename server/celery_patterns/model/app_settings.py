"""What a Celery app ends up with across the workspace: its settings, and what its worker imports.

An app's settings come from its own module (`Celery(...)` keywords, `conf.update(...)`,
`conf.key = ...`), from every module that imports it and configures it, and from what those
load: a `config_from_object` module (its module-level settings, those it star-imports, a
django-split-settings `include`), a class (with its bases), a dict or what a function returns
(`conf.update(make_settings())`), Django's settings with `namespace="CELERY"` (the module
`DJANGO_SETTINGS_MODULE` names in the workspace, else `<package>/settings.py`). Settings are
read under their canonical names (`CELERY_TASK_SERIALIZER` is `task_serializer`); `complete`
says whether every source was found and read whole: where it is not, an absent setting may
be set where the model cannot look.

The worker of an app imports its module, the modules `include=`, `imports` and
`autodiscover_tasks` name, the settings modules it reads, and what all of those import at
module level, within the service (`worker_modules`).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..analysis.celery_settings import canonical
from ..analysis.literals import UNKNOWN
from .layout import Service
from .summary import AppDef, AppUse, ModuleSummary, SettingsSource

if TYPE_CHECKING:
    from ..ftypes import Range
    from .project import Project  # (a sibling in its layer: it hands itself to these functions)

DJANGO_SETTINGS = frozenset({"django.conf:settings", "django.conf.settings"})
DEPTH = 8  # how far settings modules, bases and merged dicts are followed


@dataclass
class Gathered:
    """Settings by canonical name, each with every value it is given (a literal or UNKNOWN)."""

    settings: dict[str, list[object]] = field(default_factory=dict)
    complete: bool = True
    modules: list[ModuleSummary] = field(default_factory=list)  # settings modules read

    def add(self, items: Iterable[tuple[str, object]], namespace: str | None = None) -> None:
        for key, value in items:
            for name in canonical(key, namespace):
                self.settings.setdefault(name, []).append(value)

    def merge(self, other: Gathered) -> None:
        for key, values in other.settings.items():
            self.settings.setdefault(key, []).extend(values)
        self.complete = self.complete and other.complete
        self.modules += [m for m in other.modules if all(m is not known for known in self.modules)]


def app_settings(project: Project, summary: ModuleSummary, app: AppDef) -> Gathered:
    """Everything the workspace sets on `app` (made in `summary`'s module)."""
    return project.memo(("app-settings", summary.path, app.span), lambda: _app_settings(project, summary, app))


def _app_settings(project: Project, summary: ModuleSummary, app: AppDef) -> Gathered:
    gathered = Gathered()
    gathered.add(app.settings, app.namespace)
    gathered.complete = app.opaque is None
    gathered.merge(load(project, summary, app.sources))
    gathered.merge(external_settings(project, summary, app))
    return gathered


def app_uses(project: Project, summary: ModuleSummary, app: AppDef) -> list[tuple[AppUse, ModuleSummary]]:
    """What other modules do to `app`: those that import it and configure or start it."""
    if app.variable is None:
        return []
    return _uses_index(project).get((summary.path, app.variable), [])


def _uses_index(project: Project) -> dict[tuple[str, str], list[tuple[AppUse, ModuleSummary]]]:
    def compute() -> dict[tuple[str, str], list[tuple[AppUse, ModuleSummary]]]:
        found: dict[tuple[str, str], list[tuple[AppUse, ModuleSummary]]] = {}
        for path, summary in sorted(project.summaries.items()):
            for use in summary.app_uses:
                target = project.resolve(use.app, project.service_of(path))
                if target is not None:
                    found.setdefault((target[0].path, target[1]), []).append((use, summary))
        return found

    return project.memo("app-uses", compute)


def load(project: Project, summary: ModuleSummary, sources: Iterable[SettingsSource]) -> Gathered:
    """The settings `sources` (written in `summary`'s module) load."""
    gathered = Gathered()
    service = project.service_of(summary.path)
    for source in sources:
        gathered.merge(_source(project, service, summary, source))
    return gathered


def _source(project: Project, service: Service, summary: ModuleSummary, source: SettingsSource) -> Gathered:
    name, namespace = source.name, source.namespace
    if name in DJANGO_SETTINGS:
        modules, complete = django_settings(project, summary)
        gathered = Gathered(complete=complete)
        for settings_module in modules:
            gathered.merge(module_settings(project, service, settings_module, namespace))
        return gathered
    module, _, attribute = name.partition(":")
    target = project.resolve(f"{module}.{attribute}" if attribute else module, service)
    if target is None and module.startswith("django.conf.settings."):  # `conf.update(settings.CELERY)`
        modules, complete = django_settings(project, summary)
        gathered = Gathered(complete=complete and bool(modules))
        for found in modules:
            gathered.merge(_named(project, service, found, module[len("django.conf.settings.") :], namespace, 0))
        return gathered
    if target is None:
        return Gathered(complete=False)
    found, rest = target
    if not rest:
        return module_settings(project, service, found, namespace)
    return _named(project, service, found, rest, namespace, 0)


def _named(
    project: Project, service: Service, module: ModuleSummary, name: str, namespace: str | None, depth: int
) -> Gathered:
    """The settings a module-level class, dict or function (its result) of `module` holds."""
    config = module.config_objects.get(name)
    if config is None:
        value = module.settings.get(name, module.setting_names.get(name))
        gathered = Gathered(complete=isinstance(value, dict))
        if isinstance(value, dict):
            gathered.add(value.items(), namespace)
        return gathered
    gathered = Gathered(complete=config.complete)
    gathered.add(config.settings, namespace)
    for ref in config.refs:
        target = project.resolve(ref, service) if depth < DEPTH else None
        if target is None or not target[1]:
            gathered.complete = False
        else:
            gathered.merge(_named(project, service, target[0], target[1], namespace, depth + 1))
    return gathered


def module_settings(
    project: Project, service: Service, module: ModuleSummary, namespace: str | None, depth: int = 0
) -> Gathered:
    """The settings a settings module holds, with those it star-imports."""
    gathered = Gathered(modules=[module])
    gathered.add(module.settings.items(), namespace)
    gathered.add(module.setting_names.items(), namespace)
    for star in module.star_imports:
        optional = star.startswith("?")
        pattern = star.lstrip("?")
        if "*" in pattern or "?" in pattern or "[" in pattern:
            found = [s for s in _service_modules(project, service) if fnmatch.fnmatchcase(s.module or "", pattern)]
        else:
            one = project.module(pattern, service)
            found = [one] if one is not None else []
            if not found and not optional:
                gathered.complete = False
        for other in found:
            if depth < DEPTH and other is not module:
                gathered.merge(module_settings(project, service, other, namespace, depth + 1))
    return gathered


def django_settings(project: Project, summary: ModuleSummary) -> tuple[list[ModuleSummary], bool]:
    """The Django settings modules an app of `summary`'s module reads: those its module names
    in `DJANGO_SETTINGS_MODULE`, else those the service names, else `<package>.settings`;
    and whether every one named was found."""
    service = project.service_of(summary.path)
    names = summary.django_settings or _service_django_settings(project, service)
    if names:
        found = [project.module(name, service) for name in names]
        return [m for m in found if m is not None], all(m is not None for m in found)
    parts = (summary.module or "").split(".")
    for candidate in (f"{parts[0]}.settings", ".".join([*parts[:-1], "settings"]), "settings"):
        module = project.module(candidate, service)
        if module is not None:
            return [module], True
    return [], False


def _service_django_settings(project: Project, service: Service) -> list[str]:
    def compute() -> list[str]:
        names = [
            name
            for path, s in sorted(project.summaries.items())
            if project.service_of(path) == service
            for name in s.django_settings
        ]
        return list(dict.fromkeys(names))

    return project.memo(("django-settings", service), compute)


def _service_modules(project: Project, service: Service) -> list[ModuleSummary]:
    def compute() -> list[ModuleSummary]:
        return [s for path, s in sorted(project.summaries.items()) if project.service_of(path) == service]

    return project.memo(("service-modules", service), compute)


def literal_values(gathered: Gathered, key: str) -> list[object]:
    """The values a setting is given, UNKNOWN where they cannot be seen."""
    return [UNKNOWN if value is None else value for value in gathered.settings.get(key, ())]


# --- the worker ---------------------------------------------------------------------------------
def task_modules(project: Project, summary: ModuleSummary, app: AppDef) -> tuple[list[str], bool]:
    """The task modules the app names (`include=`, `imports`, `autodiscover_tasks([...])`), and
    whether it also discovers packages the model cannot list (Django's installed apps)."""
    uses = [use for use, _ in app_uses(project, summary, app)]
    names = [*app.includes, *app.worker_imports, *(n for use in uses for n in use.worker_imports)]
    settings = app_settings(project, summary, app).settings
    for key in ("imports", "include"):
        for value in settings.get(key, ()):
            names += [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
    discovers = app.discovers or any(use.discovers for use in uses)
    return names, discovers


def worker_modules(project: Project, summary: ModuleSummary, app: AppDef) -> frozenset[str]:
    """The paths of the modules the app's worker imports: its own module and the task and
    settings modules it loads, and what they import at module level (their packages too),
    within the service."""
    return project.memo(("worker-modules", summary.path, app.span), lambda: _worker_modules(project, summary, app))


def _worker_modules(project: Project, summary: ModuleSummary, app: AppDef) -> frozenset[str]:
    service = project.service_of(summary.path)
    names, discovers = task_modules(project, summary, app)
    queue = [summary, *app_settings(project, summary, app).modules]
    queue += [m for m in (project.module(name, service) for name in names) if m is not None]
    if discovers:  # every `tasks` module of the service's packages
        queue += [s for s in _service_modules(project, service) if (s.module or "").rsplit(".", 1)[-1] == "tasks"]
    seen: set[str] = set()
    while queue:
        module = queue.pop()
        if module.path in seen:
            continue
        seen.add(module.path)
        parts = (module.module or "").split(".")
        packages = [".".join(parts[:cut]) for cut in range(1, len(parts))]  # run before the module
        for name in [*packages, *module.imported_modules]:
            found = project.module(name, service)
            if found is not None and found.path not in seen:
                queue.append(found)
    return frozenset(seen)


def starts_worker(project: Project, summary: ModuleSummary, app: AppDef) -> bool:
    """A worker runs this app: tasks are registered on it, it loads task modules, or code starts
    its worker (`app.worker_main()`, `app.Worker()`, `app.start()`); an app that does none of
    these only sends tasks (or inspects workers), as does a local of a function that never
    lets it out (a client made to revoke, a test's app)."""
    if app.starts_worker or any(use.starts_worker for use, _ in app_uses(project, summary, app)):
        return True
    if app.throwaway:
        return False  # a function's local client: no `celery worker` can find it, whatever it imports
    names, discovers = task_modules(project, summary, app)
    if names or discovers:
        return True
    placed, unplaced = _registrations(project)
    if app.variable is not None and (summary.path, app.variable) in placed:
        return True
    service = project.service_of(summary.path)
    if app.factory and service in unplaced:
        return True  # `app = make_celery()` elsewhere: tasks on apps the model cannot place
    modules = worker_modules(project, summary, app)
    return any(t.definition.app is None and t.summary.path in modules for t in project.tasks)


def _registrations(project: Project) -> tuple[set[tuple[str, str]], set[Service]]:
    """The apps tasks are registered on, as (module path, name); the services with tasks on
    an app no module-level `Celery(...)` binding is (one a factory made)."""

    def compute() -> tuple[set[tuple[str, str]], set[Service]]:
        placed: set[tuple[str, str]] = set()
        unplaced: set[Service] = set()
        for task in project.tasks:
            if task.definition.app is None:
                continue  # `shared_task`: registered on the apps that import its module
            target = project.resolve(task.definition.app, task.service)
            if target is not None and any(a.variable == target[1] for a in target[0].apps):
                placed.add((target[0].path, target[1]))
            else:
                unplaced.add(task.service)
        return placed, unplaced

    return project.memo("task-registrations", compute)


def connects_logging(project: Project, summary: ModuleSummary, app: AppDef) -> ModuleSummary | None:
    """A module the app's worker imports that connects a `setup_logging` receiver."""
    modules = worker_modules(project, summary, app)
    return next((project.summaries[p] for p in sorted(modules) if project.summaries[p].connects_logging), None)


def app_at(summary: ModuleSummary, span: Range) -> AppDef | None:
    """The app `summary` made by the `Celery(...)` call at `span`."""
    return next((app for app in summary.apps if app.span == span), None)


def external_settings(project: Project, summary: ModuleSummary, app: AppDef) -> Gathered:
    """What modules other than the app's own set on it, with what they load."""
    return project.memo(("external-settings", summary.path, app.span), lambda: _external(project, summary, app))


def _external(project: Project, summary: ModuleSummary, app: AppDef) -> Gathered:
    gathered = Gathered()
    for use, user in app_uses(project, summary, app):
        gathered.add(use.settings, use.namespace)
        gathered.complete = gathered.complete and use.opaque is None
        gathered.merge(load(project, user, use.sources))
    return gathered
