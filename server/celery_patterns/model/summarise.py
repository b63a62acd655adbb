"""Reading one module for the project model: its summary (see `summary.py`) from its facts."""

from __future__ import annotations

import ast
import copy
import dataclasses
import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TypeGuard

from ..analysis.app_config import AppConfig, CeleryApp, Source, celery_apps, gather_config, gather_imported
from ..analysis.celery import (
    ALLOW_JOIN_RESULT,
    CANVAS,
    CELERY_APP_CLASSES,
    CURRENT_APP,
    CURRENT_TASK,
    SHARED_TASK,
    canvas_built,
    is_process_pool,
    may_send_task,
    sends_task,
)
from ..analysis.celery_settings import is_setting_name
from ..analysis.config_dicts import DictParts, class_parts, dict_parts, returned_parts
from ..analysis.facts import FUNCTION_NODES, ModuleFacts, Scope, statement_of
from ..analysis.literals import (
    UNKNOWN,
    call_argument,
    is_plain,
    keyword_value,
    literal_keys,
    literal_length,
    literal_value,
    string_items,
)
from ..analysis.names import last_identifier, words
from ..analysis.results import is_result
from ..analysis.signals import connects
from ..analysis.strings import literal_string
from ..analysis.task_ids import revokes_task
from ..analysis.testing import sets_always_eager
from ..analysis.units import UNIT_NODES, replaced_units_only
from ..analysis.web import registered_views
from ..config import Settings
from ..ftypes import Range
from .summary import (
    MODULE_CODE,
    SCHEMA,
    TASK_OPTIONS,
    AppDef,
    AppUse,
    Block,
    CallSite,
    ConfigObject,
    Dispatch,
    Function,
    ModuleSummary,
    Parameter,
    RouteKey,
    SettingsSource,
    TaskDef,
)

SIGNATURE_NAMES = CANVAS["signature"] | {"celery.subtask", "celery.canvas.subtask"}
CHAIN_NAMES = CANVAS["chain"]
CHORD_NAMES = CANVAS["chord"]
DIRECT_METHODS = frozenset({"delay", "apply_async", "s", "si"})
SENT_METHODS = frozenset({"delay", "apply_async"})
WAIT_METHODS = frozenset({"get", "wait", "join", "join_native"})
# What a module does to an app it imports that the model gathers (`app.conf...`, `app.start()`).
APP_USES = frozenset(
    {
        "conf",
        "config_from_object",
        "config_from_envvar",
        "add_defaults",
        "autodiscover_tasks",
        "worker_main",
        "Worker",
        "start",
    }
)
THREAD_RUNNERS = frozenset({"asyncio.to_thread", "asyncio.loop.run_in_executor"})
_UNKNOWN = object()  # (what a name means, not worked out yet: None is an answer)


def summarise(facts: ModuleFacts, settings: Settings | None = None) -> ModuleSummary:
    """The summary of the module `facts` describes."""
    settings = settings or Settings()
    digest = digest_of(facts, settings)
    if not facts.by_unit:  # (a file read once, not an editor buffer: nothing reuses its parts)
        summary = _Summariser(facts, settings, record=False).run()
        summary.digest = digest
        return summary
    last, units = _LAST.reuse(facts, settings)
    if last is None:
        summariser = _Summariser(facts, settings, _LAST.unit_parts(facts, settings))
        summary, units = summariser.run(), summariser.units
    else:
        summary = copy.copy(last)  # (its interface, worked out already, comes along)
    summary.digest = digest
    _LAST.remember(facts, settings, summary, units)
    return summary


class _LastSummaries:
    """The last summary made of each of the few modules summarised most recently, with the
    top-level statements it was made from: an editor buffer is summarised on every keystroke.

    Most keystrokes in a comment or a blank change no statement. A summary is made from the
    tree (positions included), the module's name and the settings: when those are what they
    were, it is what it was. The statements of an incrementally parsed buffer that did not
    change are the very same objects (moved, if lines came or went before them: then positions
    differ); the few reparsed ones are compared by their dump.

    Most other keystrokes change one function. What a summary says of the code inside a
    top-level def or class (its functions' calls, its dispatches: `_UnitParts`) depends on
    that statement and the module-level code only, as what a local rule reports does
    (`engine/incremental.py`); when the module-level code and the units' headers are as they
    were, the units an edit did not touch are not summarised again (`unit_parts`)."""

    KEEP = 4
    MAX_COMPARED = 2  # statements compared by their dump, at most (an edit touches one or two)

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # path -> (module, settings, statements, summary, the parts of its units by id(statement))
        self._entries: OrderedDict[str, tuple] = OrderedDict()

    def reuse(self, facts: ModuleFacts, settings: Settings) -> tuple[ModuleSummary | None, dict]:
        """The last summary, when this tree is the one it was made from (and its units'
        parts, under the statements of this tree); else (None, {})."""
        entry = self._entry(facts, settings)
        if entry is None:
            return None, {}
        statements, summary, units = entry[2], entry[3], entry[4]
        body = facts.tree.body
        if len(statements) != len(body):
            return None, {}
        compared = 0
        renamed = {}
        for (old, lines), new in zip(statements, body):
            if _lines(old) != lines:  # moved since (or reparsed and the tree shifted)
                return None, {}
            if new is old:
                continue
            compared += 1
            if compared > self.MAX_COMPARED or _lines(new) != lines:
                return None, {}
            if ast.dump(old, include_attributes=True) != ast.dump(new, include_attributes=True):
                return None, {}
            renamed[id(old)] = id(new)
        return summary, {renamed.get(key, key): parts for key, parts in units.items()}

    def unit_parts(self, facts: ModuleFacts, settings: Settings) -> dict[int, _UnitParts]:
        """The parts of the last summary found in the units of this tree that are the very
        statements it was made from, when the rest of the module is as it was; by id(unit)."""
        entry = self._entry(facts, settings)
        if entry is None:
            return {}
        statements, units = [s for s, _ in entry[2]], entry[4]
        body = facts.tree.body
        if not units or not replaced_units_only(statements, body):
            return {}
        kept = {id(s) for s in statements}
        return {id(s): units[id(s)] for s in body if id(s) in kept and id(s) in units}

    def _entry(self, facts: ModuleFacts, settings: Settings) -> tuple | None:
        with self._lock:
            entry = self._entries.get(facts.path)
        if entry is None or entry[0] != facts.module_name or entry[1] != settings:
            return None
        return entry

    def remember(self, facts: ModuleFacts, settings: Settings, summary: ModuleSummary, units: dict) -> None:
        statements = [(statement, _lines(statement)) for statement in facts.tree.body]
        with self._lock:
            self._entries[facts.path] = (facts.module_name, settings, statements, summary, units)
            self._entries.move_to_end(facts.path)
            while len(self._entries) > self.KEEP:
                self._entries.popitem(last=False)


@dataclass
class _UnitParts:
    """What a summary holds of one top-level def or class: its functions (a class's methods)
    and its calls' dispatches (None: a call that is none), by the node's place in the unit."""

    lineno: int  # the unit's line then: its parts move with it
    found: dict[tuple, object] = field(default_factory=dict)
    config: tuple | None = None  # (the config object a top-level def's result is, or None), once asked
    _dispatches: list | None = field(default=None, repr=False, compare=False)
    _functions: list | None = field(default=None, repr=False, compare=False)

    def dispatches(self) -> list:
        """The dispatches of its calls, in the order the calls were found (asked only of the
        parts a later summary keeps, which nothing changes: worked out once)."""
        if self._dispatches is None:
            self._dispatches = [f for key, f in self.found.items() if key[0] == "Call" and f is not None]
        return self._dispatches

    def functions(self) -> list:
        """Its functions (a def, a class's methods), in the order they are written."""
        if self._functions is None:
            self._functions = [f for key, f in self.found.items() if key[0] in _FUNCTION_KEYS]
        return self._functions

    @staticmethod
    def key(node: ast.AST, unit: ast.stmt) -> tuple:
        # (positions from the unit's first line: the same for the same code wherever it moved)
        return (
            type(node).__name__,
            node.lineno - unit.lineno,  # type: ignore[attr-defined]
            node.col_offset,  # type: ignore[attr-defined]
            node.end_lineno - unit.lineno,  # type: ignore[attr-defined]
            node.end_col_offset,  # type: ignore[attr-defined]
        )


_FUNCTION_KEYS = frozenset(kind.__name__ for kind in FUNCTION_NODES)


# What some passes look at, chosen by syntax alone (`ModuleFacts.select`: a buffer's units keep it).
def _decorated_or_names_tasks(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return bool(function.decorator_list) or function.name == "gen_task_name"


def _may_register_task(call: ast.Call) -> bool:
    func = call.func
    return isinstance(func, ast.Attribute) and func.attr in ("task", "register_task") and bool(call.args)


def _may_use_app(node: ast.Attribute) -> bool:
    return node.attr in APP_USES


def _moved(found, lines: int):
    """A function or dispatch of a unit that moved by `lines` lines, moved with it."""
    if not lines or found is None:
        return found
    if isinstance(found, Range):
        return Range.of(found.start.line + lines, found.start.column, found.end.line + lines, found.end.column)
    if isinstance(found, tuple):
        return tuple(_moved(item, lines) for item in found)
    if dataclasses.is_dataclass(found) and not isinstance(found, type):
        changes = {}
        for f in dataclasses.fields(found):
            value = getattr(found, f.name)
            if isinstance(value, (Range, tuple)) or (dataclasses.is_dataclass(value) and not isinstance(value, type)):
                changes[f.name] = _moved(value, lines)
        return dataclasses.replace(found, **changes)
    return found


def _lines(statement: ast.stmt) -> tuple[int, int | None]:
    return statement.lineno, statement.end_lineno


_LAST = _LastSummaries()


def source_digest(source: str, module: str | None, settings: Settings) -> str:
    """What a summary is made from: the text, the module's name, the settings that shape it."""
    # (BLAKE2b: half SHA-256's instructions, 33 M for celery+kombu's 2.4 MB, counted by callgrind)
    digest = hashlib.blake2b(source.encode("utf-8", "surrogatepass"), digest_size=20)
    digest.update(f"\0{SCHEMA}\0{module}\0{sorted(settings.polling_helpers)}".encode())
    return digest.hexdigest()


def digest_of(facts: ModuleFacts, settings: Settings) -> str:
    """`source_digest` of the module `facts` describe, worked out once for them: a check asks
    it when it summarises the module and again when its rules read the model."""
    helpers = sorted(settings.polling_helpers)
    return facts.memo(f"digest\0{helpers}", lambda: source_digest(facts.source, facts.module_name, settings))


class _Summariser:
    def __init__(
        self, facts: ModuleFacts, settings: Settings, earlier: dict[int, _UnitParts] | None = None, record: bool = True
    ) -> None:
        self.facts = facts
        self.settings = settings
        self.earlier = earlier or {}  # what the last summary found in the units left as they were
        self.record = record  # whether to keep what each unit holds (`units`), for the next summary
        # What this one finds in each unit, by id(unit): the units left as they were keep
        # their parts as the last summary found them (at their `lineno` then).
        self.units: dict[int, _UnitParts] = dict(self.earlier)
        self._unit_at: dict[int, ast.stmt | None] = {}  # id(scope) -> its unit
        path = facts.path or ""
        self.summary = ModuleSummary(
            path, facts.module_name, path.endswith("__init__.py") or path.endswith("__init__.pyi")
        )
        self._app_calls: set[int] = set()  # the `Celery(...)` calls (subclasses included) of this module
        self._absolute_by_name: dict[tuple[int, str], str | None] = {}  # facts.name_key -> absolute name
        self._absolute_at: dict[int, str | None] = {}  # id(node) -> absolute name (the tree outlives this)

    def run(self) -> ModuleSummary:
        self._module_names()
        self._apps()
        self._tasks()
        self._functions()
        self._dispatches()
        self._settings_reading()
        self._service_traits()
        return self.summary

    # --- what a service does as a whole: revokes, starts tasks from views, runs tests eagerly --
    def _service_traits(self) -> None:
        facts, summary = self.facts, self.summary
        summary.always_eager = sets_always_eager(facts)
        source = facts.source
        if "revoke" in source or "terminate" in source:
            revoking = {self._function_of(n) for n in facts.select("revokes", revokes_task, ast.Attribute)}
            summary.revokes = sorted(revoking)
        if any(word in source for word in ("delay", "apply_async", "send_task", "celery")):
            starting = {  # (a send makes its module Celery code: no other sign is needed)
                self._function_of(call)
                for call in facts.select("may send a task", may_send_task, ast.Call)
                if sends_task(facts, call)
                and not (isinstance(call.func, ast.Attribute) and is_process_pool(facts, call.func.value))
            }
            summary.starts_tasks = sorted(starting)
        summary.views = sorted({name for view in registered_views(facts) if (name := self.absolute(view))})
        if "celery" in source and any(kind in source for kind in ("group", "chord", "chain")):
            self._canvas_returns()  # (a canvas is made by a name imported from celery)

    def _canvas_returns(self) -> None:
        """The functions whose every return of a value returns one kind of canvas: `return
        group(sigs)`, `return job` with `job = group(sigs)`, `return chord(header)(callback)`
        is not one (that sends it)."""
        facts = self.facts
        kinds: dict[str, set[str]] = {}
        for node in facts.nodes(ast.Return):
            if node.value is None or (isinstance(node.value, ast.Constant) and node.value.value is None):
                continue
            scope = facts.scope_of(node)
            owner = scope.parent
            if not (
                scope.kind == "function"
                and owner is not None
                and (owner is facts.module_scope or (owner.kind == "class" and owner.parent is facts.module_scope))
            ):
                continue  # a nested function's return is not the unit's
            function = self._function_of(node)
            kind = canvas_built(facts, node.value) or ""
            kinds.setdefault(function, set()).add(kind)  # "": something else
        self.summary.canvas_returns = {
            function: found.pop() for function, found in sorted(kinds.items()) if len(found) == 1 and "" not in found
        }

    # --- names ------------------------------------------------------------------------------
    def absolute(self, expr: ast.AST) -> str | None:
        """The absolute dotted name an expression refers to, or None."""
        # Several passes ask it of the same callee (calls, dispatches, apps): kept per node.
        known = self._absolute_at.get(id(expr), _UNKNOWN)
        if known is _UNKNOWN:
            known = self._absolute_at[id(expr)] = self._absolute(expr)
        return known  # type: ignore[return-value]

    def _absolute(self, expr: ast.AST) -> str | None:
        facts = self.facts
        if isinstance(expr, ast.Attribute):
            base = self.absolute(expr.value)
            if base is None and isinstance(expr.value, ast.Name) and expr.value.id in ("self", "cls"):
                owner = self._class_of(expr)
                return f"{self.prefix}{owner}.{expr.attr}" if owner else None
            return f"{base}.{expr.attr}" if base else None
        if not isinstance(expr, ast.Name):
            return None
        key = facts.name_key(expr)
        if key is not None:
            known = self._absolute_by_name.get(key, _UNKNOWN)
            if known is not _UNKNOWN:
                return known  # type: ignore[return-value]
        qualname = facts.resolve(expr)  # (None for a def or class: then it is looked up)
        name: str | None = None
        if qualname is not None:
            name = None if qualname.startswith("builtins.") else self.made_absolute(qualname)
        else:
            found = facts.lookup(expr.id, facts.scope_of(expr), expr)
            if (
                found is not None
                and found[0] is facts.module_scope
                and all(b.kind in ("def", "class") for b in found[1])
            ):
                name = f"{self.prefix}{expr.id}"
        if key is not None:
            self._absolute_by_name[key] = name
        return name

    def made_absolute(self, qualname: str) -> str | None:
        """`.tasks.x` (relative to this module's package) as an absolute name."""
        if not qualname.startswith("."):
            return qualname
        module = self.summary.module
        if not module:
            return None
        dots = len(qualname) - len(qualname.lstrip("."))
        package = module.split(".") if self.summary.is_package else module.split(".")[:-1]
        if dots - 1 > len(package):
            return None
        base = package[: len(package) - (dots - 1)]
        rest = qualname[dots:]
        return ".".join([*base, rest] if rest else base) or None

    @property
    def prefix(self) -> str:
        return f"{self.summary.module}." if self.summary.module else ""

    def _class_of(self, node: ast.AST) -> str | None:
        """The top-level class whose method holds `node`."""
        facts = self.facts
        scope: Scope | None = facts.scope_of(node)  # (a few scopes up, not every node up)
        while scope is not None:
            if scope.kind == "class" and facts.parent(scope.node) is facts.tree:
                return scope.name
            scope = scope.parent
        return None

    def _module_names(self) -> None:
        facts, summary = self.facts, self.summary
        for name, bindings in facts.module_scope.bindings.items():
            if len(bindings) != 1:
                continue
            binding = bindings[0]
            if binding.kind == "import" and binding.qualname:
                target = self.made_absolute(binding.qualname)
                if target:
                    summary.aliases[name] = target
            elif binding.kind == "assign" and isinstance(binding.value, ast.Constant):
                value = binding.value.value
                if isinstance(value, str):
                    summary.constants[name] = value
                if _setting_name(name) and is_plain(value):
                    summary.settings[name] = value
            elif binding.kind == "assign" and _setting_name(name) and binding.value is not None:
                summary.settings[name] = literal_value(binding.value)

    # --- apps -------------------------------------------------------------------------------
    def _apps(self) -> None:
        facts = self.facts
        # Every app is made by a class so named, or through an import of one.
        apps = [*celery_apps(facts), *self._subclass_apps()] if "Celery" in facts.source else []
        self._app_calls = {id(app.call) for app in apps}
        for app in apps:
            variable = app.name if app.targets and facts.parent(app.statement) is facts.tree else None
            config = gather_config(facts, app)
            settings = tuple((key, _last_literal(values)) for key, values in sorted(config.settings.items()))
            loads = tuple(filter(None, (self._loaded(call) for call in config.loads)))
            main = call_argument(app.call, 0, "main")
            includes = [literal_value(v) for k, v in ((k.arg, k.value) for k in app.call.keywords) if k == "include"]
            self.summary.apps.append(
                AppDef(
                    variable=variable,
                    span=facts.range(app.call),
                    main=main.value if isinstance(main, ast.Constant) and isinstance(main.value, str) else None,
                    settings=settings,
                    loads=loads,
                    hidden=config.unknown,
                    namespace=config.namespace,
                    includes=tuple(
                        i for value in includes if isinstance(value, list) for i in value if isinstance(i, str)
                    ),
                    starts_worker=self._starts_worker(variable) or config.starts_worker,
                    sources=self._sources(config),
                    opaque=self._opaque(config),
                    worker_imports=tuple(config.worker_imports),
                    discovers=config.discovers,
                    factory=self._factory(app),
                    throwaway=self._throwaway(app),
                )
            )
        self._route_settings()

    def _subclass_apps(self) -> list[CeleryApp]:
        """Apps made by a subclass of `Celery`: one defined here, or one named `...Celery`."""
        facts = self.facts
        local = {
            node.name
            for node in facts.tree.body
            if isinstance(node, ast.ClassDef) and any(facts.resolve(b) in CELERY_APP_CLASSES for b in node.bases)
        }
        apps = []
        for call in facts.nodes(ast.Call):
            func = call.func  # (`x.y.z(...)` names `...z`: only a local class or `...Celery` is resolved)
            if type(func) is ast.Attribute and not (func.attr in local or func.attr.endswith("Celery")):
                continue
            qualname = self.absolute(func) or ""
            last = qualname.rsplit(".", 1)[-1]
            if qualname in CELERY_APP_CLASSES or not (last in local or (last.endswith("Celery") and last != "Celery")):
                continue
            parent = facts.parent(call)
            targets = tuple(parent.targets) if isinstance(parent, ast.Assign) and parent.value is call else ()
            statement = statement_of(facts, call)
            if statement is not None and all(isinstance(t, (ast.Name, ast.Attribute)) for t in targets):
                apps.append(CeleryApp(call, statement, targets, facts.scope_of(call)))
        return apps

    def _route_settings(self) -> None:
        """Route keys wherever routes are set: `Celery(task_routes=...)`, `X.conf.task_routes =
        ...`, `X.conf.update(task_routes=...)` or `({"task_routes": ...})` on any app (one made
        here or imported), and Django's `CELERY_TASK_ROUTES = {...}`."""
        facts = self.facts
        if not facts.index.mentions("routes"):  # every routes key spells it
            return
        for node in facts.nodes(ast.Call, ast.Assign):
            if isinstance(node, ast.Assign):
                target = node.targets[0] if len(node.targets) == 1 else None
                if isinstance(target, ast.Attribute) and is_routes_key(target.attr) and self._app_conf(target.value):
                    self._routes(node.value, self.absolute(target.value.value))
                elif (
                    isinstance(target, ast.Name)
                    and is_routes_key(target.id)
                    and facts.scope_of(node) is facts.module_scope
                ):
                    self._routes(node.value, None)  # a settings module (Django's, `config_from_object`'s)
                continue
            func = node.func
            app = None
            if isinstance(func, ast.Attribute) and func.attr == "update" and self._app_conf(func.value):
                app = func.value.value
            elif self.absolute(func) in CELERY_APP_CLASSES:
                app = None
            else:
                continue
            for keyword in node.keywords:
                if keyword.arg and is_routes_key(keyword.arg):
                    self._routes(keyword.value, self.absolute(app) if app is not None else None)
            for argument in node.args[:1]:
                if isinstance(argument, ast.Dict):
                    for key, value in string_items(argument):
                        if is_routes_key(key):
                            self._routes(value, self.absolute(app) if app is not None else None)

    def _app_conf(self, expr: ast.AST) -> TypeGuard[ast.Attribute]:
        """`expr` is `X.conf` for an app `X`."""
        return isinstance(expr, ast.Attribute) and expr.attr == "conf" and self._is_app(expr.value)

    def _loaded(self, call: ast.Call) -> str | None:
        """What `app.config_from_object(x)` loads, as an absolute name: a module named by a
        string, or an object (class, module) named in code."""
        source = call_argument(call, 0, "obj")
        if isinstance(source, ast.Constant) and isinstance(source.value, str):
            return source.value.split(":", 1)[0]
        return self.absolute(source) if source is not None else None

    def _starts_worker(self, variable: str | None) -> bool:
        if variable is None:
            return False
        for call in self.facts.nodes(ast.Call):
            func = call.func
            if (
                isinstance(func, ast.Attribute)
                and func.attr in ("worker_main", "Worker", "start")
                and isinstance(func.value, ast.Name)
                and func.value.id == variable
            ):
                return True
        return False

    def _routes(self, value: ast.AST | None, app: str | None) -> None:
        if isinstance(value, ast.Name):  # `task_routes = ROUTES`, a dict bound once in the module
            found = self.facts.lookup(value.id, self.facts.scope_of(value), value)
            if (
                found is not None
                and len(found[1]) == 1
                and found[1][0].kind == "assign"
                and found[1][0].value is not None
            ):
                value = found[1][0].value
        entries = value.elts if isinstance(value, (ast.List, ast.Tuple)) else [value]
        for entry in entries:
            if not isinstance(entry, ast.Dict):
                self.summary.opaque_routes = True  # a router function, or routes built elsewhere
                continue
            for key, route in zip(entry.keys, entry.values):
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    self.summary.routes.append(RouteKey(key.value, _queue(route), self.facts.range(key), app))
                else:
                    self.summary.opaque_routes = True  # `**more`, a compiled pattern

    # --- tasks ------------------------------------------------------------------------------
    def _tasks(self) -> None:
        facts = self.facts
        for function in facts.select("decorated or gen_task_name", _decorated_or_names_tasks, *FUNCTION_NODES):
            if function.name == "gen_task_name" and isinstance(facts.parent(function), ast.ClassDef):
                self.summary.names_tasks = True
            for decorator in function.decorator_list:
                found = self._task_decorator(decorator)
                if found is not None:
                    app, unsure = found
                    # a decorator applied before the task's may take or add parameters
                    inner = function.decorator_list.index(decorator) < len(function.decorator_list) - 1
                    self._add_task(
                        function,
                        None if inner else function.args,
                        decorator if isinstance(decorator, ast.Call) else None,
                        app,
                        unsure,
                    )
        # `ingest = app.task(ingest_impl)`, `app.register_task(Ingest())`
        for call in facts.select("registers a task", _may_register_task, ast.Call):
            func = call.func
            assert isinstance(func, ast.Attribute)  # (what `_may_register_task` selects)
            if func.attr == "task" and self._is_app(func.value):
                definition = self._local_definition(call.args[0])
                if isinstance(definition, FUNCTION_NODES):
                    self._add_task(definition, definition.args, call, self.absolute(func.value) or "")
            elif func.attr == "register_task" and self._is_app(func.value):
                registered = call.args[0]
                cls = self._local_definition(registered.func if isinstance(registered, ast.Call) else registered)
                if isinstance(cls, ast.ClassDef):
                    self._add_task_class(cls, self.absolute(func.value))

    def _task_decorator(self, decorator: ast.AST) -> tuple[str, bool] | None:
        """The app of a task decorator (`""` for `shared_task`) and whether the model must
        confirm it is one (an imported name that does not say so), else None."""
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if self.absolute(target) in SHARED_TASK:
            return "", False
        if isinstance(target, ast.Attribute) and target.attr == "task":
            if self._is_app(target.value):
                return self.absolute(target.value) or "", False
            if self._imported(target.value):
                return self.absolute(target.value) or "", True
        return None

    def _imported(self, expr: ast.AST) -> bool:
        """`expr` is a name this module imports (from the workspace or elsewhere)."""
        if not isinstance(expr, ast.Name):
            return False
        found = self.facts.lookup(expr.id, self.facts.scope_of(expr), expr)
        return found is not None and all(b.kind == "import" for b in found[1]) and self.absolute(expr) is not None

    def _is_app(self, expr: ast.AST) -> bool:
        """`expr` may be a Celery app: made here, `current_app`, or imported (the model tells
        whether the import is one; here, a name that says so or comes from a Celery module)."""
        facts = self.facts
        name = self.absolute(expr)
        if name in CURRENT_APP:
            return True
        if isinstance(expr, ast.Name):
            found = facts.lookup(expr.id, facts.scope_of(expr), expr)
            if found is not None:
                for binding in found[1]:
                    if (
                        binding.kind == "assign"
                        and binding.value is not None
                        and (
                            id(binding.value) in self._app_calls
                            or facts.resolve(getattr(binding.value, "func", None) or binding.value)
                            in CELERY_APP_CLASSES
                        )
                    ):
                        return True
                    if (
                        binding.kind == "param"
                        and isinstance(binding.node, ast.arg)
                        and binding.node.annotation is not None
                        and facts.resolve(binding.node.annotation) in CELERY_APP_CLASSES
                    ):
                        return True
                if name is None and found[0] is facts.module_scope:
                    name = expr.id  # `celery_app = make_celery(flask_app)`: what its name says
        if name is None:
            return False
        last = name.rsplit(".", 1)[-1].lower()
        return "celery" in name.lower() or last in ("app", "celery_app", "celeryapp", "worker", "application")

    def _local_definition(self, expr: ast.AST) -> ast.AST | None:
        facts = self.facts
        if not isinstance(expr, ast.Name):
            return None
        found = facts.lookup(expr.id, facts.scope_of(expr), expr)
        if found is None or len(found[1]) != 1 or found[1][0].kind not in ("def", "class"):
            return None
        return found[1][0].node

    def _add_task(
        self,
        function: ast.FunctionDef | ast.AsyncFunctionDef,
        arguments: ast.arguments | None,
        options: ast.Call | None,
        app: str,
        unsure: bool = False,
    ) -> None:
        facts = self.facts
        keywords = {k.arg: k.value for k in options.keywords if k.arg} if options is not None else {}
        name, name_ref = self._string_or_constant(keywords.get("name"))
        bind_value = keywords.get("bind")
        bind = isinstance(bind_value, ast.Constant) and bind_value.value is True
        parameters = _parameters(arguments) if arguments is not None else None
        if bind and parameters and parameters[0].kind in ("positional_only", "positional"):
            parameters = parameters[1:]
        elif bind and parameters is not None:
            parameters = None  # `bind=True` on `def f(*args)`: the task fills the first one
        self.summary.tasks.append(
            TaskDef(
                function=function.name,
                span=self._name_span(function),
                parameters=tuple(parameters) if parameters is not None else None,
                name=name,
                name_ref=name_ref,
                named="name" in keywords or self._wrapped(function),
                app=app or None,
                app_unsure=unsure,
                doc=_first_paragraph(ast.get_docstring(function)),
                options=tuple((key, facts.text(keywords[key])) for key in TASK_OPTIONS if key in keywords),
            )
        )

    def _wrapped(self, function: ast.AST) -> bool:
        """`@functools.wraps(f)` makes the task's default name `f`'s, which this module cannot know."""
        return any(
            isinstance(d, ast.Call) and self.absolute(d.func) == "functools.wraps"
            for d in getattr(function, "decorator_list", ())
        )

    def _add_task_class(self, cls: ast.ClassDef, app: str | None) -> None:
        run = next((s for s in cls.body if isinstance(s, FUNCTION_NODES) and s.name == "run"), None)
        name = None
        name_ref = None
        named = False
        for statement in cls.body:
            if isinstance(statement, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "name" for t in statement.targets
            ):
                name, name_ref = self._string_or_constant(statement.value)
                named = True
        parameters = tuple(_parameters(run.args)[1:]) if run is not None else None  # inherited: unknown
        self.summary.tasks.append(
            TaskDef(
                function=cls.name,
                span=self._name_span(cls),
                parameters=parameters,
                name=name,
                name_ref=name_ref,
                named=named,
                app=app,
                doc=_first_paragraph(ast.get_docstring(cls) or (ast.get_docstring(run) if run else None)),
            )
        )

    def _string_or_constant(self, expr: ast.AST | None) -> tuple[str | None, str | None]:
        """A name given as a string (a literal, an f-string without fields, a local name bound
        only to a literal) or as a module constant (its absolute name, for the model)."""
        if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
            return expr.value, None
        if isinstance(expr, ast.JoinedStr):
            texts = [v.value for v in expr.values if isinstance(v, ast.Constant) and isinstance(v.value, str)]
            return ("".join(texts), None) if len(texts) == len(expr.values) else (None, None)  # no `{field}`
        if isinstance(expr, (ast.Name, ast.Attribute)):
            reference = self.absolute(expr)
            if reference is None and isinstance(expr, ast.Name):
                found = self.facts.lookup(expr.id, self.facts.scope_of(expr), expr)
                if found is not None and found[0] is self.facts.module_scope:
                    reference = f"{self.prefix}{expr.id}"  # a constant of this module
                elif found is not None:
                    return literal_string(self.facts, expr), None  # a local name
            return None, reference
        return None, None

    def _name_span(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> Range:
        """The name in a `def`/`class` line."""
        index = self.facts.index
        line = node.lineno - 1
        text = index.line_text(line)
        keyword = "class " if isinstance(node, ast.ClassDef) else "def "
        at = text.find(keyword + node.name, index.from_ast(node.lineno, node.col_offset).column)
        column = at + len(keyword) if at >= 0 else index.from_ast(node.lineno, node.col_offset).column
        return Range.of(line, column, line, column + len(node.name))

    # --- functions: calls, blocking calls, waits --------------------------------------------
    def _functions(self) -> None:
        facts, functions = self.facts, self.summary.functions
        # What runs in each function: its scope's own calls and `if`s (not those of the defs,
        # lambdas and classes nested in it, which run when called). The module's own code,
        # then each top-level def and each method of a top-level class, in the order they are
        # written (a name written twice is the later one, as in Python); the units an edit left
        # alone give their functions as the last summary found them, their code unread.
        branches = "current_task" in facts.source  # (every spelling of the test names it)
        functions[MODULE_CODE] = self._function(MODULE_CODE, None, facts.module_scope, None, branches)
        earlier = self.earlier
        for statement in facts.tree.body:
            if not isinstance(statement, UNIT_NODES):
                continue
            part = earlier.get(id(statement)) if earlier else None
            if part is not None:
                lines = statement.lineno - part.lineno
                for function in part.functions():
                    functions[function.name] = _moved(function, lines)
                continue
            if isinstance(statement, ast.ClassDef):
                defs = [(f"{statement.name}.{n.name}", n) for n in statement.body if isinstance(n, FUNCTION_NODES)]
            else:
                defs = [(statement.name, statement)]
            for name, node in defs:
                scope = facts.own_scope(node)
                if scope is not None:
                    functions[name] = self._function(name, node, scope, statement, branches)

    def _function(self, name: str, definition: ast.AST | None, scope: Scope, unit: ast.stmt | None, branches: bool):
        calls: list = []
        blocks: list = []
        inside: list = []
        outside: list = []
        for node in scope.nodes:
            if type(node) is ast.Call:
                self._call(node, calls, blocks)
            elif branches and type(node) is ast.If:
                self._task_branches(node, inside, outside)
        function = Function(
            name,
            isinstance(definition, ast.AsyncFunctionDef),
            tuple(calls),
            tuple(blocks),
            tuple(inside),
            tuple(outside),
        )
        if definition is not None:
            self._found(definition, unit, function)
        return function

    def _call(self, call: ast.Call, calls: list, blocks: list) -> None:
        facts = self.facts
        func = call.func
        qualname = self.absolute(func)
        if qualname == "time.sleep":
            blocks.append(Block("sleep", _short(facts.text(call)), facts.range(call)))
            return
        if qualname in THREAD_RUNNERS or (
            isinstance(func, ast.Attribute) and func.attr in ("to_thread", "run_in_executor")
        ):
            handed = (
                call.args[1]
                if func_attr(func) == "run_in_executor" and len(call.args) > 1
                else (call.args[0] if call.args else None)
            )
            if handed is not None and (target := self.absolute(handed)):
                calls.append(CallSite(target, facts.range(call), in_thread=True))
            return
        if (
            isinstance(func, ast.Attribute)
            and func.attr in WAIT_METHODS
            and is_result(facts, func.value, self.settings)
            and not is_process_pool(facts, func.value)
        ):
            blocks.append(Block("wait", _short(facts.text(call)), facts.range(call), self._wait_allowed(call)))
            return
        target = qualname
        if target is None:
            return
        if target.rsplit(".", 1)[-1] in self.settings.polling_helpers:
            blocks.append(Block("polling", _short(facts.text(call)), facts.range(call)))
        awaited = isinstance(facts.parent(call), ast.Await)
        calls.append(CallSite(target, facts.range(call), awaited=awaited))

    def _wait_allowed(self, call: ast.Call) -> bool:
        """Celery lets a task wait here: `disable_sync_subtasks=False`, or in `allow_join_result()`."""
        for keyword in call.keywords:
            if (
                keyword.arg == "disable_sync_subtasks"
                and isinstance(keyword.value, ast.Constant)
                and keyword.value.value is False
            ):
                return True
        for ancestor in self.facts.ancestors(call):
            if isinstance(ancestor, (ast.With, ast.AsyncWith)):
                for item in ancestor.items:
                    expr = item.context_expr
                    if self.absolute(expr.func if isinstance(expr, ast.Call) else expr) in ALLOW_JOIN_RESULT:
                        return True
            if isinstance(ancestor, (*FUNCTION_NODES, ast.Lambda, ast.ClassDef)):
                break
        return False

    def _task_branches(self, node: ast.If, inside: list, outside: list) -> None:
        """The code an `if` on `current_task` runs only inside a task, and only outside one:
        its branches, and what follows a branch that always leaves the block."""
        polarity = self._current_task_test(node.test)
        if polarity is None:
            return
        taken, other = (inside, outside) if polarity > 0 else (outside, inside)
        taken.append(self._span(node.body))
        if abs(polarity) == 2:
            return  # `if current_task and x:`: its else runs in and out of tasks
        if node.orelse:
            other.append(self._span(node.orelse))
        elif isinstance(node.body[-1], (ast.Return, ast.Raise, ast.Continue, ast.Break)):
            following = _following(self.facts.parent(node), node)
            if following:
                other.append(self._span(following))

    def _span(self, statements: list[ast.stmt]) -> Range:
        return Range(self.facts.range(statements[0]).start, self.facts.range(statements[-1]).end)

    def _current_task_test(self, test: ast.AST) -> int | None:
        """1 for a test true only inside a task (`current_task`, `current_task.request.id`,
        `getattr(current_task.request, "id", None)`, `... is not None`), -1 for its negation,
        2 (-2) for an `and` (`or`) holding one; None for a test that says nothing of it."""
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            inner = self._current_task_test(test.operand)
            return -inner if inner is not None else None
        if isinstance(test, ast.BoolOp):
            found = [self._current_task_test(v) for v in test.values]
            if isinstance(test.op, ast.And) and any(p is not None and p > 0 for p in found):
                return 2
            if isinstance(test.op, ast.Or) and any(p is not None and p < 0 for p in found):
                return -2
            return None
        if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], (ast.Is, ast.IsNot)):
            if isinstance(test.comparators[0], ast.Constant) and test.comparators[0].value is None:
                inner = self._current_task_test(test.left)
                if inner is not None and abs(inner) == 1:
                    return inner if isinstance(test.ops[0], ast.IsNot) else -inner
            return None
        for node in ast.walk(test):
            if isinstance(node, (ast.Name, ast.Attribute)) and self.absolute(node) in CURRENT_TASK:
                return 1
        return None

    # --- dispatches -------------------------------------------------------------------------
    def _dispatches(self) -> None:
        facts, dispatches = self.facts, self.summary.dispatches
        calls = facts.nodes(ast.Call)
        # A unit's calls come one after another, those of its decorators and defaults (module
        # code) first: of a unit left as it was, those are found afresh and the rest skipped,
        # its dispatches taken whole (`facts.unit_slice`).
        kept = {
            where[0]: (statement, self.earlier[id(statement)], where[1])
            for statement in (facts.tree.body if self.earlier else ())
            if id(statement) in self.earlier and (where := facts.unit_slice(statement, ast.Call))
        }
        i = 0
        while i < len(calls):
            if i in kept:
                statement, part, end = kept[i]
                while i < end and not self._in_own_scope(calls[i]):
                    self._dispatch(calls[i], None)
                    i += 1
                dispatches.extend(_moved(found, statement.lineno - part.lineno) for found in part.dispatches())
                i = end
                continue
            call = calls[i]
            self._dispatch(call, self._unit_of(facts.scope_of(call)) if self.record else None)
            i += 1
        if "schedule" not in facts.source:
            return
        for node in facts.nodes(ast.Dict):  # beat_schedule entries: {"task": "rag.x", "args": (...)}
            entry = dict(string_items(node))
            task = entry.get("task")
            if isinstance(task, ast.Constant) and isinstance(task.value, str) and "schedule" in entry:
                positional = literal_length(entry.get("args")) if "args" in entry else 0
                keywords = literal_keys(entry.get("kwargs")) if "kwargs" in entry else ()
                options = entry.get("options")
                self.summary.dispatches.append(
                    Dispatch(
                        "beat",
                        facts.range(task),
                        facts.range(node),
                        self._function_of(node),
                        name=task.value,
                        literal=True,
                        positional=positional,
                        keywords=keywords,
                        sent=True,
                        routed=options is not None and _routing_options(options),
                    )
                )

    def _in_own_scope(self, node: ast.AST) -> bool:
        """A node of a unit's code runs in its own scope (a def's, a class body's, or one
        nested in it), not as module code (decorators, defaults, a lambda in them)."""
        scope = self.facts.scope_of(node)
        # (a def or class scope in a unit can only be its own or one nested in it)
        return scope.kind in ("function", "class") or self._unit_of(scope) is not None

    def _dispatch(self, call: ast.Call, unit: ast.stmt | None) -> None:
        """The dispatch a call of `unit` (None: module code) makes, if any."""
        dispatch = self._by_name(call) or self._direct(call)
        self._found(call, unit, dispatch)  # (None too: a call that is no dispatch)
        if dispatch is not None:
            self.summary.dispatches.append(dispatch)

    def _by_name(self, call: ast.Call) -> Dispatch | None:
        facts = self.facts
        func = call.func
        qualname = self.absolute(func)
        app = None
        if qualname in SIGNATURE_NAMES:
            method = {"Signature": "Signature", "subtask": "subtask"}.get(qualname.rsplit(".", 1)[-1], "signature")
            app_arg = keyword_value(call, "app")
            app = self.absolute(app_arg) if app_arg is not None else None
        elif isinstance(func, ast.Attribute) and (
            func.attr == "send_task" or (func.attr == "signature" and self._is_app(func.value))
        ):  # `send_task` says what it is on any receiver (`self.app`, an imported `cel`)
            method = func.attr
            app = self.absolute(func.value)
        else:
            return None
        name_node = call_argument(call, 0, {"send_task": "name", "Signature": "task"}.get(method, "varies"))
        if name_node is None:
            return None
        name, name_ref = self._string_or_constant(name_node)
        if name is None and name_ref is None:
            return None  # a name built at run time: not judged
        positional = literal_length(call_argument(call, 1, "args")) if call_argument(call, 1, "args") is not None else 0
        kwargs = call_argument(call, 2, "kwargs")
        keywords = literal_keys(kwargs) if kwargs is not None else ()
        sent = method == "send_task" or self._sent_right_away(call)
        routed = any(_routing_options(c) for c in [call, *self._chained(call)])
        return Dispatch(
            method,
            facts.range(name_node),
            facts.range(call),
            self._function_of(call),
            name=name,
            name_ref=name_ref,
            literal=isinstance(name_node, (ast.Constant, ast.JoinedStr)),
            positional=positional,
            keywords=keywords,
            sent=sent,
            callback=self._in_callback(call),
            app=app,
            routed=routed,
        )

    def _direct(self, call: ast.Call) -> Dispatch | None:
        facts = self.facts
        func = call.func
        if not (isinstance(func, ast.Attribute) and func.attr in DIRECT_METHODS):
            return None
        target = self.absolute(func.value)
        if target is None or is_process_pool(facts, func.value):
            return None
        if func.attr == "apply_async":
            positional = (
                literal_length(call_argument(call, 0, "args")) if call_argument(call, 0, "args") is not None else 0
            )
            kwargs = call_argument(call, 1, "kwargs")
            keywords = literal_keys(kwargs) if kwargs is not None else ()
        else:
            positional = None if any(isinstance(a, ast.Starred) for a in call.args) else len(call.args)
            names = [k.arg for k in call.keywords if k.arg is not None]
            keywords = tuple(names) if len(names) == len(call.keywords) else None  # else a `**kwargs`
        sent = func.attr in SENT_METHODS or self._sent_right_away(call)
        routed = any(_routing_options(c) for c in [call, *self._chained(call)])
        return Dispatch(
            func.attr,
            facts.range(func.value),
            facts.range(call),
            self._function_of(call),
            target=target,
            positional=positional,
            keywords=keywords,
            sent=sent,
            callback=self._in_callback(call),
            routed=routed,
        )

    def _sent_right_away(self, call: ast.Call) -> bool:
        """`signature(...).apply_async()` / `.delay()`, also after `.set(...)`: the signature is sent."""
        chained = self._chained(call)
        return bool(chained) and func_attr(chained[-1].func) in SENT_METHODS

    def _chained(self, call: ast.Call) -> list[ast.Call]:
        """The calls of `.set(...)` on the signature `call` makes, up to its `.apply_async(...)`/`.delay(...)`."""
        facts = self.facts
        out: list[ast.Call] = []
        while True:
            parent = facts.parent(call)
            if not (isinstance(parent, ast.Attribute) and parent.value is call):
                return out
            outer = facts.parent(parent)
            if not (isinstance(outer, ast.Call) and outer.func is parent):
                return out  # `f(sig.delay)` passes the method along, it does not call it
            call = outer
            if parent.attr in SENT_METHODS:
                return [*out, call]
            if parent.attr != "set":
                return out
            out.append(call)

    def _in_callback(self, call: ast.Call) -> bool:
        """A signature that is not first in a chain (`chain(a, b)`, `a | b`), a chord's body,
        or a `link=`: Celery passes it the previous task's result as its first argument."""
        facts = self.facts
        child = call
        for chained in self._chained(call):  # `sig.set(...)`: the signature as the canvas holds it
            if func_attr(chained.func) != "set":
                return False
            child = chained
        if any(_immutable(c) for c in (call, *self._chained(call))):
            return False  # `immutable=True`: like `.si()`, the previous result is not passed
        parent = facts.parent(child)
        if isinstance(parent, ast.keyword) and parent.arg in ("link", "body"):
            return True
        if isinstance(parent, ast.BinOp) and isinstance(parent.op, ast.BitOr):
            return parent.right is child or not _leftmost(parent, child)
        if isinstance(parent, ast.Call):
            qualname = self.absolute(parent.func)
            if qualname in CHAIN_NAMES:
                return parent.args.index(child) > 0 if child in parent.args else False
            if qualname in CHORD_NAMES:
                return len(parent.args) > 1 and parent.args[1] is child
            if isinstance(parent.func, ast.Call) and self.absolute(parent.func.func) in CHORD_NAMES:
                return child in parent.args  # `chord(header)(callback)`
        return False

    # --- what the last summary found in the units an edit left alone ------------------------
    def _unit_of(self, scope: Scope) -> ast.stmt | None:
        """The top-level def or class whose code runs in `scope` (None: module-level code,
        decorators and defaults included)."""
        key = id(scope)
        if key not in self._unit_at:
            facts, outer = self.facts, scope
            while outer.parent is not None and outer.parent is not facts.module_scope:
                outer = outer.parent
            node = outer.node if outer.parent is facts.module_scope else None
            self._unit_at[key] = node if isinstance(node, UNIT_NODES) and facts.parent(node) is facts.tree else None
        return self._unit_at[key]

    def _found(self, node: ast.AST, unit: ast.stmt | None, found: object) -> None:
        """Keep what `node` (in `unit`, None: module-level code) was found to be, for the next
        summary of the buffer to reuse while the unit stays as it is."""
        if unit is None or not self.record:
            return
        part = self.units.get(id(unit))
        if part is None:
            part = self.units[id(unit)] = _UnitParts(unit.lineno)
        elif part is self.earlier.get(id(unit)):  # (never changed: the last summary's too)
            part = self.units[id(unit)] = _UnitParts(part.lineno, dict(part.found), part.config)
        part.found[_UnitParts.key(node, unit)] = _moved(found, part.lineno - unit.lineno)

    def _function_of(self, node: ast.AST) -> str:
        facts = self.facts
        scope = facts.scope_of(node)
        while scope.parent is not None and scope.parent is not facts.module_scope and scope.parent.kind != "class":
            scope = scope.parent
        if scope is facts.module_scope or scope.kind != "function":
            return MODULE_CODE
        owner = scope.parent
        if owner is not None and owner.kind == "class":
            return f"{owner.name}.{scope.name}"
        return scope.name

    # --- what an app's settings are read from -----------------------------------------------
    def _settings_reading(self) -> None:
        """What the model needs to gather an app's settings across modules: what this module
        does to apps it imports, the modules it imports, settings modules (Django's), config
        classes and dicts, and whether it connects a `setup_logging` receiver."""
        facts, summary = self.facts, self.summary
        summary.connects_logging = connects(facts)
        self._imports()
        if "DJANGO_SETTINGS_MODULE" in facts.source:
            self._django_settings()
        self._module_settings()
        self._config_objects()
        self._app_uses()

    def _sources(self, config: AppConfig) -> tuple[SettingsSource, ...]:
        return tuple(filter(None, (self._source(source, config.namespace) for source in config.sources)))

    def _opaque(self, config: AppConfig) -> str | None:
        if config.opaque is not None:
            return config.opaque
        unnamed = [s for s in config.sources if self._source(s, None) is None]
        return f"`{_short(self.facts.text(unnamed[0].node))}` cannot be followed" if unnamed else None

    def _source(self, source: Source, namespace: str | None) -> SettingsSource | None:
        """A settings source by absolute name, or None when it has none (a local value)."""
        node = source.node
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            name: str | None = node.value
        elif isinstance(node, ast.Call):
            name = self._reference(node.func)
        else:
            name = self._reference(node)
        if not name:
            return None
        return SettingsSource(source.kind, name, self.facts.range(node), source.namespace or namespace)

    def _reference(self, expr: ast.AST) -> str | None:
        """The absolute name of a name or attribute, this module's own module-level names included."""
        name = self.absolute(expr)
        if name is None and isinstance(expr, ast.Name):
            found = self.facts.lookup(expr.id, self.facts.scope_of(expr), expr)
            if found is not None and found[0] is self.facts.module_scope:
                name = f"{self.prefix}{expr.id}"
        return name

    def _factory(self, app: CeleryApp) -> bool:
        """The app is made in a function that returns it."""
        scope = app.scope
        if scope.kind != "function":
            return False
        names = {t.id for t in app.targets if isinstance(t, ast.Name)}
        return any(
            r.value is app.call or (isinstance(r.value, ast.Name) and r.value.id in names)
            for r in scope.walk_own(ast.Return)
        )

    def _throwaway(self, app: CeleryApp) -> bool:
        """The app is a local of a function that never lets it out: not returned or yielded,
        not declared global, not handed to a worker starter (`start_worker(app)`). No
        `celery worker` command can find it (a client made to revoke or inspect, a test's)."""
        scope = app.scope
        if scope.kind != "function" or not app.targets or not all(isinstance(t, ast.Name) for t in app.targets):
            return False
        names = {t.id for t in app.targets if isinstance(t, ast.Name)}
        for node in scope.walk_own(ast.Return, ast.Yield, ast.YieldFrom, ast.Global, ast.Nonlocal, ast.Call):
            if isinstance(node, (ast.Global, ast.Nonlocal)) and names & set(node.names):
                return False
            if isinstance(node, (ast.Return, ast.Yield, ast.YieldFrom)) and node.value is not None:
                if any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(node.value)):
                    return False
            if isinstance(node, ast.Call) and "worker" in words(last_identifier(node.func)):
                arguments = [*node.args, *(k.value for k in node.keywords)]
                if any(isinstance(a, ast.Name) and a.id in names for a in arguments):
                    return False
        return True

    def _imports(self) -> None:
        facts, summary = self.facts, self.summary
        found: list[str] = []
        for node in facts.nodes(ast.Import, ast.ImportFrom):
            if facts.scope_of(node) is not facts.module_scope:
                continue  # imported when a function runs, not when the module is loaded
            if isinstance(node, ast.Import):
                found += [alias.name for alias in node.names]
                continue
            base = self.made_absolute("." * node.level + (node.module or ""))
            if not base:
                continue
            if any(alias.name == "*" for alias in node.names):
                summary.star_imports.append(base)
            found += [base, *(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")]
        if "include" in facts.source and "split_settings" in facts.source:
            self._split_settings()
        summary.imported_modules = list(dict.fromkeys(found))

    def _split_settings(self) -> None:
        """django-split-settings: `include("components/base.py", optional("local.py"))` runs
        those files in this module's namespace, as a star import would (`?` marks optional)."""
        facts = self.facts
        package = self.made_absolute(".")
        for call in facts.nodes(ast.Call):
            if self.absolute(call.func) != "split_settings.tools.include" or package is None:
                continue
            for arg in call.args:
                optional = isinstance(arg, ast.Call) and (self.absolute(arg.func) or "").endswith(".optional")
                if optional and isinstance(arg, ast.Call) and arg.args:
                    arg = arg.args[0]  # `optional("local.py")`: the file it names
                text = literal_string(facts, arg)
                if text and text.endswith(".py") and not text.startswith(("/", "..")):
                    dotted = ".".join(p for p in text[: -len(".py")].replace("\\", "/").split("/") if p != ".")
                    self.summary.star_imports.append(("?" if optional else "") + f"{package}.{dotted}")

    def _django_settings(self) -> None:
        """`os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")`, or set by item."""
        facts = self.facts
        for node in facts.nodes(ast.Call, ast.Assign):
            if isinstance(node, ast.Call):
                func = node.func
                if not (
                    isinstance(func, ast.Attribute)
                    and func.attr == "setdefault"
                    and self.absolute(func.value) == "os.environ"
                    and len(node.args) == 2
                ):
                    continue
                key, value = node.args
            elif (
                len(node.targets) == 1
                and isinstance(node.targets[0], ast.Subscript)
                and self.absolute(node.targets[0].value) == "os.environ"
            ):
                key, value = node.targets[0].slice, node.value
            else:
                continue
            module = literal_string(facts, value)
            if literal_string(facts, key) == "DJANGO_SETTINGS_MODULE" and module:
                self.summary.django_settings.append(module)

    def _module_settings(self) -> None:
        """Module-level Celery settings that `settings` leaves out: lower-case names (a
        `config_from_object` module's), names bound more than once (`if DEBUG: ... else: ...`)."""
        summary = self.summary
        for name, bindings in self.facts.module_scope.bindings.items():
            if name in summary.settings or not is_setting_name(name):
                continue
            values = {repr(literal_value(b.value)) for b in bindings if b.kind == "assign"}
            if len(values) == len(bindings) == 1:
                summary.setting_names[name] = literal_value(bindings[0].value)
            elif bindings and all(b.kind == "assign" for b in bindings):
                summary.setting_names[name] = UNKNOWN if len(values) > 1 else literal_value(bindings[0].value)

    def _config_objects(self) -> None:
        """Module-level classes, dicts and functions (their results) holding Celery settings;
        those named for configuration (`...Config`, `get_settings`) also when they only pass
        along what another holds."""
        facts = self.facts
        for name, bindings in facts.module_scope.bindings.items():
            if len(bindings) != 1:
                continue
            binding = bindings[0]
            parts: DictParts | None
            if binding.kind == "class" and isinstance(binding.node, ast.ClassDef):
                parts = class_parts(facts, binding.node)
            elif binding.kind == "def":
                self._function_config(name, binding.node)
                continue
            elif binding.kind == "assign" and binding.value is not None and not isinstance(binding.value, ast.Constant):
                parts = dict_parts(facts, binding.value)
            else:
                continue
            config = self._config_object(name, parts) if parts is not None else None
            if config is not None:
                self.summary.config_objects[name] = config

    def _function_config(self, name: str, function: ast.AST) -> None:
        """The config object a module-level def's result is, if any: kept with its unit's parts
        (it reads the def's body; the names it follows are module-level, as they were while the
        unit is kept)."""
        part = self.units.get(id(function))
        if part is not None and part.config is not None:
            config = part.config[0]
        else:
            parts = returned_parts(self.facts, function)
            config = self._config_object(name, parts) if parts is not None else None
            if part is not None and part is not self.earlier.get(id(function)):
                part.config = (config,)
        if config is not None:
            self.summary.config_objects[name] = config

    def _config_object(self, name: str, parts: DictParts) -> ConfigObject | None:
        settings = tuple((key, literal_value(value)) for key, value in parts.items if is_setting_name(key))
        lowered = name.lower()
        named = "conf" in lowered or "setting" in lowered
        if not settings and not (named and (parts.refs or parts.items)):
            return None
        refs, complete = [], parts.complete
        for ref in parts.refs:
            target = self._reference(ref.func if isinstance(ref, ast.Call) else ref)
            if target is None:
                complete = False
            else:
                refs.append(target)
        return ConfigObject(settings, tuple(refs), complete)

    def _app_uses(self) -> None:
        """Apps this module imports and configures, points at task modules or starts."""
        facts = self.facts
        names = set()
        for node in facts.select("app use", _may_use_app, ast.Attribute):
            if isinstance(node.value, ast.Name) and node.value.id not in names:
                found = facts.lookup(node.value.id, facts.scope_of(node.value), node.value)
                if found is not None and found[0] is facts.module_scope and all(b.kind == "import" for b in found[1]):
                    names.add(node.value.id)
        for name in sorted(names):
            app = self.summary.aliases.get(name)
            if app is None:
                continue
            config = gather_imported(facts, name)
            settings = tuple((key, _last_literal(values)) for key, values in sorted(config.settings.items()))
            if not (settings or config.entries or config.worker_imports or config.discovers or config.starts_worker):
                continue
            self.summary.app_uses.append(
                AppUse(
                    app,
                    settings,
                    self._sources(config),
                    self._opaque(config),
                    config.namespace,
                    tuple(config.worker_imports),
                    config.discovers,
                    config.starts_worker,
                )
            )


# --- small helpers ------------------------------------------------------------------------------
def func_attr(func: ast.AST) -> str:
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


ROUTING_OPTIONS = frozenset({"queue", "routing_key", "exchange"})
_ROUTES_KEYS = ("task_routes", "celery_routes")  # as a keyword, a `conf` attribute, a settings name (any case)


def is_routes_key(name: str) -> bool:
    """`task_routes`, Django's `CELERY_TASK_ROUTES`, the old `CELERY_ROUTES`."""
    return name.lower().endswith(_ROUTES_KEYS)


def _setting_name(name: str) -> bool:
    """A module-level name a settings module gives Celery: UPPER_CASE (Django, old
    names), or a lower-case `task_...` of a `config_from_object` module."""
    return name.isupper() or name.startswith("task_")


def _routing_options(node: ast.AST) -> bool:
    """A call's keywords (or a beat entry's `options` dict) say where the task goes, or may:
    `queue=`, `routing_key=`, `exchange=`, in `options={...}`, or `**options` unknown."""
    if isinstance(node, ast.Dict):
        return any(k is None or not isinstance(k, ast.Constant) or k.value in ROUTING_OPTIONS for k in node.keys)
    if not isinstance(node, ast.Call):
        return True  # options built elsewhere
    for keyword in node.keywords:
        if keyword.arg is None or keyword.arg in ROUTING_OPTIONS:
            return True
        if keyword.arg == "options" and _routing_options(keyword.value):
            return True
    return False


def _queue(route: ast.AST) -> str | None:
    if isinstance(route, ast.Constant) and isinstance(route.value, str):
        return route.value
    if isinstance(route, ast.Dict):
        for key, value in string_items(route):
            if key == "queue" and isinstance(value, ast.Constant) and isinstance(value.value, str):
                return value.value
    return None


def _immutable(call: ast.Call) -> bool:
    """`signature(..., immutable=True)`, `sig.set(immutable=True)` (not `.s()`: its keywords are the task's)."""
    if isinstance(call.func, ast.Attribute) and call.func.attr == "s":
        return False
    return any(
        k.arg == "immutable" and isinstance(k.value, ast.Constant) and k.value.value is True for k in call.keywords
    )


def _following(parent: ast.AST, statement: ast.stmt) -> list[ast.stmt]:
    """The statements after `statement` in the block of `parent` that holds it."""
    for name in ("body", "orelse", "finalbody"):
        block = getattr(parent, name, None)
        if isinstance(block, list) and statement in block:
            return block[block.index(statement) + 1 :]
    return []


def _leftmost(binop: ast.BinOp, child: ast.AST) -> bool:
    """`child` is the leftmost operand of a chain of `|`."""
    node: ast.expr = binop
    while isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        node = node.left
    return node is child


def _parameters(arguments: ast.arguments) -> list[Parameter]:
    out = []
    positional = [*arguments.posonlyargs, *arguments.args]
    defaults = len(arguments.defaults)
    for index, arg in enumerate(positional):
        kind = "positional_only" if index < len(arguments.posonlyargs) else "positional"
        out.append(Parameter(arg.arg, kind, index >= len(positional) - defaults))
    if arguments.vararg is not None:
        out.append(Parameter(arguments.vararg.arg, "var_positional", True))
    for arg, default in zip(arguments.kwonlyargs, arguments.kw_defaults):
        out.append(Parameter(arg.arg, "keyword_only", default is not None))
    if arguments.kwarg is not None:
        out.append(Parameter(arguments.kwarg.arg, "var_keyword", True))
    return out


def _first_paragraph(doc: str | None) -> str:
    if not doc:
        return ""
    return " ".join(doc.strip().split("\n\n", 1)[0].split())


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


def _last_literal(values: list[ast.expr | None]) -> object:
    return literal_value(values[-1]) if values else UNKNOWN
