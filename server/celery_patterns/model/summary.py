"""What one module tells the rest of the workspace: its module summary.

A summary is small plain data computed from the module's facts (the parse the check makes
anyway): the tasks it defines, the tasks it dispatches, its Celery apps and the settings it
gives them, the names it imports and the string constants it defines, and for each of its
functions the workspace calls it makes, the blocking calls and the result waits in it. The
project model (`project.py`) combines the summaries of every module of the workspace;
nothing in a summary refers to another module except by dotted name.

Names are absolute where the module can tell (`rag.tasks.ingest_file` for a name imported
from there, `server.jobs.poll` for the `poll` defined here); what it cannot tell stays
unresolved (None). Positions are this module's, 0-based.
"""

from __future__ import annotations

import ast
import hashlib
from dataclasses import dataclass, field

from ..analysis.app_config import CeleryApp, celery_apps, gather_config
from ..analysis.celery import CANVAS, CELERY_APP_CLASSES, is_canvas, is_process_pool, sends_task
from ..analysis.facts import FUNCTION_NODES, ModuleFacts, Scope, statement_of
from ..analysis.results import is_result
from ..analysis.strings import literal_string
from ..analysis.task_ids import revokes_task
from ..analysis.testing import sets_always_eager
from ..analysis.web import registered_views
from ..config import Settings
from ..ftypes import Range

SIGNATURE_NAMES = CANVAS["signature"] | {"celery.subtask", "celery.canvas.subtask"}
CHAIN_NAMES = CANVAS["chain"]
CHORD_NAMES = CANVAS["chord"]
SHARED_TASK = frozenset({"celery.shared_task", "celery.app.shared_task"})
TASK_CLASSES = frozenset({"celery.Task", "celery.app.task.Task", "celery.app.Task"})
CURRENT_APP = frozenset({"celery.current_app", "celery._state.current_app"})
CURRENT_TASK = frozenset({"celery.current_task", "celery._state.current_task"})
ALLOW_JOIN_RESULT = frozenset({"celery.result.allow_join_result"})
DIRECT_METHODS = frozenset({"delay", "apply_async", "s", "si"})
SENT_METHODS = frozenset({"delay", "apply_async"})
WAIT_METHODS = frozenset({"get", "wait", "join", "join_native"})
THREAD_RUNNERS = frozenset({"asyncio.to_thread", "asyncio.loop.run_in_executor"})
# `Task.__init__`/decorator options shown on hover (a task's behaviour, not its identity).
TASK_OPTIONS = (
    "queue",
    "max_retries",
    "default_retry_delay",
    "autoretry_for",
    "retry_backoff",
    "retry_kwargs",
    "acks_late",
    "time_limit",
    "soft_time_limit",
    "rate_limit",
    "ignore_result",
    "priority",
    "base",
)
MODULE_CODE = "<module>"  # the function name under which module-level code is summarised
_MISSING = object()
# What a summary holds and how it is read: part of every cache key, so that a summariser
# that reads code differently never meets the summaries an older one wrote.
SCHEMA = "3"


@dataclass(frozen=True)
class Parameter:
    name: str
    kind: str  # "positional_only", "positional", "var_positional", "keyword_only", "var_keyword"
    has_default: bool


@dataclass(frozen=True)
class TaskDef:
    """A task this module defines."""

    function: str  # the function (or class) name in the module
    span: Range  # its name in the `def`/`class` line
    parameters: tuple[Parameter, ...] | None  # as a dispatcher passes them (no `self` when bound); None: unknown
    name: str | None = None  # the `name=` string, when written as a literal
    name_ref: str | None = None  # ... or the absolute name of the constant it is written as
    named: bool = False  # `name=` is given (when neither of the above: built at run time)
    app: str | None = None  # absolute name of the app whose `.task` made it; None for `shared_task`
    app_unsure: bool = False  # `app` is imported under a name that does not say it is an app: the model decides
    doc: str = ""  # the first paragraph of its docstring
    options: tuple[tuple[str, str], ...] = ()  # (option, source text) from TASK_OPTIONS


@dataclass(frozen=True)
class Dispatch:
    """A task sent from this module, by name (`signature("rag.x")`) or directly (`x.delay()`)."""

    method: str  # signature, Signature, subtask, send_task, beat, delay, apply_async, s, si
    span: Range  # the name string (by name) or the callee (direct)
    call: Range  # the whole call (the beat entry's dict)
    function: str  # the function it sits in (MODULE_CODE for module-level code)
    name: str | None = None  # by name: the string, when known whole
    name_ref: str | None = None  # by name: the absolute name of the constant holding it
    literal: bool = False  # by name: `span` is the string itself (a literal the fix may edit)
    target: str | None = None  # direct: absolute name of what `.delay()` is called on
    positional: int | None = None  # how many positional arguments, when all are known
    keywords: tuple[str, ...] | None = None  # keyword argument names, when all are known
    sent: bool = False  # sent as it is (`delay`, `apply_async`, `send_task`, `signature(...).delay()`)
    callback: bool = False  # a chain/chord callback or `link=`: receives the previous result first
    app: str | None = None  # absolute name of the app it is sent through, when it says
    routed: bool = False  # the call (or the send of its signature) says its queue, or may (`**options`)

    @property
    def by_name(self) -> bool:
        return self.target is None


@dataclass(frozen=True)
class AppDef:
    """A Celery app this module makes, and what this module sets on it."""

    variable: str | None  # the module-level name it is bound to
    span: Range  # the `Celery(...)` call
    main: str | None  # `Celery("rag")`
    settings: tuple[tuple[str, object], ...] = ()  # key -> literal value (JSON-able) or UNKNOWN
    loads: tuple[str, ...] = ()  # what `config_from_object` loads: absolute module or object names
    hidden: str | None = None  # why some settings cannot be seen here
    namespace: str | None = None
    includes: tuple[str, ...] = ()  # task modules named by `include=`/`imports`/`autodiscover_tasks`
    starts_worker: bool = False  # `app.worker_main()`, `app.Worker(...)`, `app.start()` in this module


@dataclass(frozen=True)
class RouteKey:
    """A `task_routes` key: the name or glob it routes and where it is written."""

    pattern: str
    queue: str | None
    span: Range
    app: str | None  # the app whose settings it is in (absolute name), when known


@dataclass(frozen=True)
class CallSite:
    target: str  # absolute name of the callee
    span: Range  # the callee expression
    call: Range  # the whole call
    awaited: bool = False
    in_thread: bool = False  # handed to `asyncio.to_thread` / `run_in_executor` rather than called


@dataclass(frozen=True)
class Block:
    """A call that blocks the thread: `time.sleep`, a wait on a Celery result, a polling helper."""

    kind: str  # "sleep", "wait", "polling"
    text: str  # the call as written (`time.sleep(1)`, `result.get()`)
    span: Range
    exempt: bool = False  # a wait that Celery allows in a task (`disable_sync_subtasks=False`, `allow_join_result`)


@dataclass(frozen=True)
class Function:
    name: str  # in the module: `poll`, `Client.poll`, MODULE_CODE
    span: Range  # the name in its `def` line
    is_async: bool
    calls: tuple[CallSite, ...] = ()
    blocks: tuple[Block, ...] = ()
    current_task_only: tuple[Range, ...] = ()  # branches taken only inside a task (`if current_task:`)
    outside_task_only: tuple[Range, ...] = ()  # ... only outside one (`if not current_task:`, the else)


@dataclass
class ModuleSummary:
    path: str
    module: str | None
    is_package: bool = False  # an `__init__.py`
    aliases: dict[str, str] = field(default_factory=dict)  # module-level name -> absolute name it refers to
    constants: dict[str, str] = field(default_factory=dict)  # module-level NAME -> its string value
    tasks: list[TaskDef] = field(default_factory=list)
    dispatches: list[Dispatch] = field(default_factory=list)
    apps: list[AppDef] = field(default_factory=list)
    routes: list[RouteKey] = field(default_factory=list)
    functions: dict[str, Function] = field(default_factory=dict)
    settings: dict[str, object] = field(default_factory=dict)  # module-level UPPER_CASE literals (Django)
    names_tasks: bool = False  # a class here overrides `gen_task_name`: default task names are its own
    opaque_routes: bool = False  # routes set here that the model cannot read (a router function, a call)
    digest: str = ""  # of what it was made from (`source_digest`): a check of the same text reuses it
    always_eager: bool = False  # sets `task_always_eager` true (`CELERY_TASK_ALWAYS_EAGER = True`, ...)
    revokes: list[str] = field(default_factory=list)  # functions (MODULE_CODE too) that revoke Celery tasks
    starts_tasks: list[str] = field(default_factory=list)  # functions (MODULE_CODE too) that send a Celery task
    views: list[str] = field(default_factory=list)  # absolute names of what it registers as web views
    canvas_returns: dict[str, str] = field(default_factory=dict)  # function -> "group"/"chord"/"chain" it returns


UNKNOWN = "<unknown>"  # a setting whose value the module does not show


def summarise(facts: ModuleFacts, settings: Settings | None = None) -> ModuleSummary:
    """The summary of the module `facts` describes."""
    settings = settings or Settings()
    summary = _Summariser(facts, settings).run()
    summary.digest = source_digest(facts.source, facts.module_name, settings)
    return summary


def source_digest(source: str, module: str | None, settings: Settings) -> str:
    """What a summary is made from: the text, the module's name, the settings that shape it."""
    digest = hashlib.sha256(source.encode("utf-8", "surrogatepass"))
    digest.update(f"\0{SCHEMA}\0{module}\0{sorted(settings.polling_helpers)}".encode())
    return digest.hexdigest()


class _Summariser:
    def __init__(self, facts: ModuleFacts, settings: Settings) -> None:
        self.facts = facts
        self.settings = settings
        path = facts.path or ""
        self.summary = ModuleSummary(
            path, facts.module_name, path.endswith("__init__.py") or path.endswith("__init__.pyi")
        )
        self._app_calls: set[int] = set()  # the `Celery(...)` calls (subclasses included) of this module
        self._absolute_by_name: dict[tuple[int, str], str | None] = {}  # facts.name_key -> absolute name
        self._absolute_at: dict[int, object] = {}  # id(node) -> absolute name (the tree outlives this)

    def run(self) -> ModuleSummary:
        self._module_names()
        self._apps()
        self._tasks()
        self._functions()
        self._dispatches()
        self._service_traits()
        return self.summary

    # --- what a service does as a whole: revokes, starts tasks from views, runs tests eagerly --
    def _service_traits(self) -> None:
        facts, summary = self.facts, self.summary
        summary.always_eager = sets_always_eager(facts)
        source = facts.source
        if "revoke" in source or "terminate" in source:
            revoking = {self._function_of(n) for n in facts.nodes(ast.Attribute) if revokes_task(n)}
            summary.revokes = sorted(revoking)
        if any(word in source for word in ("delay", "apply_async", "send_task", "celery")):
            starting = {  # (a send makes its module Celery code: no other sign is needed)
                self._function_of(call)
                for call in facts.nodes(ast.Call)
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
            kind = next((k for k in ("group", "chord", "chain") if is_canvas(facts, node.value, k)), "")
            kinds.setdefault(function, set()).add(kind)  # "": something else
        self.summary.canvas_returns = {
            function: found.pop() for function, found in sorted(kinds.items()) if len(found) == 1 and "" not in found
        }

    # --- names ------------------------------------------------------------------------------
    def absolute(self, expr: ast.AST) -> str | None:
        """The absolute dotted name an expression refers to, or None."""
        # Several passes ask it of the same callee (calls, dispatches, apps): kept per node.
        found = self._absolute_at.get(id(expr), _MISSING)
        if found is _MISSING:
            found = self._absolute_at[id(expr)] = self._absolute(expr)
        return found  # type: ignore[return-value]

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
        if key is not None and key in self._absolute_by_name:
            return self._absolute_by_name[key]
        found = facts.lookup(expr.id, facts.scope_of(expr), expr)
        if found is not None and found[0] is facts.module_scope and all(b.kind in ("def", "class") for b in found[1]):
            name: str | None = f"{self.prefix}{expr.id}"
        else:
            qualname = facts.resolve(expr)
            name = None if qualname is None or qualname.startswith("builtins.") else self.made_absolute(qualname)
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
        for ancestor in self.facts.ancestors(node):
            if isinstance(ancestor, ast.ClassDef) and self.facts.parent(ancestor) is self.facts.tree:
                return ancestor.name
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
                if _setting_name(name) and _plain(value):
                    summary.settings[name] = value
            elif binding.kind == "assign" and _setting_name(name) and binding.value is not None:
                summary.settings[name] = _literal(binding.value)

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
            main = _argument(app.call, 0, "main")
            includes = [_literal(v) for k, v in ((k.arg, k.value) for k in app.call.keywords) if k == "include"]
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
                    starts_worker=self._starts_worker(variable),
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
            qualname = self.absolute(call.func) or ""
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
        if "routes" not in facts.source.lower():  # every routes key spells it
            return
        for node in facts.nodes(ast.Call, ast.Assign):
            if isinstance(node, ast.Assign):
                target = node.targets[0] if len(node.targets) == 1 else None
                if (
                    isinstance(target, ast.Attribute)
                    and is_routes_key(target.attr)
                    and _conf_of_app(self, target.value)
                ):
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
            if isinstance(func, ast.Attribute) and func.attr == "update" and _conf_of_app(self, func.value):
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
                    for key, value in _string_items(argument):
                        if is_routes_key(key):
                            self._routes(value, self.absolute(app) if app is not None else None)

    def _loaded(self, call: ast.Call) -> str | None:
        """What `app.config_from_object(x)` loads, as an absolute name: a module named by a
        string, or an object (class, module) named in code."""
        source = _argument(call, 0, "obj")
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
        for function in facts.nodes(*FUNCTION_NODES):
            if function.name == "gen_task_name" and isinstance(facts.parent(function), ast.ClassDef):
                self.summary.names_tasks = True
            for decorator in function.decorator_list:
                task = self._task_decorator(decorator)
                if task is not None:
                    task, unsure = task
                    # a decorator applied before the task's may take or add parameters
                    inner = function.decorator_list.index(decorator) < len(function.decorator_list) - 1
                    self._add_task(
                        function,
                        None if inner else function.args,
                        decorator if isinstance(decorator, ast.Call) else None,
                        task,
                        unsure,
                    )
        for call in facts.nodes(ast.Call):  # `ingest = app.task(ingest_impl)`, `app.register_task(Ingest())`
            func = call.func
            if not (isinstance(func, ast.Attribute) and call.args):
                continue
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
        function: ast.AST,
        arguments: ast.arguments | None,
        options: ast.Call | None,
        app: str,
        unsure: bool = False,
    ) -> None:
        facts = self.facts
        keywords = {k.arg: k.value for k in options.keywords if k.arg} if options is not None else {}
        name, name_ref = self._string_or_constant(keywords.get("name"))
        bind = isinstance(keywords.get("bind"), ast.Constant) and keywords["bind"].value is True
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
        if isinstance(expr, ast.JoinedStr) and all(isinstance(v, ast.Constant) for v in expr.values):
            return "".join(v.value for v in expr.values), None
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

    def _name_span(self, node: ast.AST) -> Range:
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
        facts = self.facts
        units: list[tuple[str, ast.AST, Scope]] = [(MODULE_CODE, facts.tree, facts.module_scope)]
        for node in facts.nodes(*FUNCTION_NODES):
            owner = facts.parent(node)
            scope = facts.own_scope(node)
            if scope is None:
                continue
            if owner is facts.tree:
                units.append((node.name, node, scope))
            elif isinstance(owner, ast.ClassDef) and facts.parent(owner) is facts.tree:
                units.append((f"{owner.name}.{node.name}", node, scope))
        # What runs in each unit: its scope's own calls and `if`s (not those of the defs,
        # lambdas and classes nested in it, which run when called), in one pass over the module.
        found: dict[int, tuple[list, list, list, list]] = {id(scope): ([], [], [], []) for _, _, scope in units}
        for call in facts.nodes(ast.Call):
            lists = found.get(id(facts.scope_of(call)))
            if lists is not None:
                self._call(call, lists[0], lists[1])
        if "current_task" in facts.source:  # (every spelling of the test names it)
            for test in facts.nodes(ast.If):
                lists = found.get(id(facts.scope_of(test)))
                if lists is not None:
                    self._task_branches(test, lists[2], lists[3])
        for name, node, scope in units:
            calls, blocks, inside, outside = found[id(scope)]
            span = self._name_span(node) if node is not facts.tree else Range.of(0, 0, 0, 0)
            self.summary.functions[name] = Function(
                name,
                span,
                isinstance(node, ast.AsyncFunctionDef),
                tuple(calls),
                tuple(blocks),
                tuple(inside),
                tuple(outside),
            )

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
            target = self.absolute(handed) if handed is not None else None
            if target:
                calls.append(CallSite(target, facts.range(handed), facts.range(call), in_thread=True))
            return
        if (
            isinstance(func, ast.Attribute)
            and func.attr in WAIT_METHODS
            and is_result(facts, func.value, self.settings)
            and not is_process_pool(facts, func.value)
        ):
            blocks.append(Block("wait", _short(facts.text(call)), facts.range(call), self._wait_allowed(call)))
            return
        target = self.absolute(func)
        if target is None:
            return
        if target.rsplit(".", 1)[-1] in self.settings.polling_helpers:
            blocks.append(Block("polling", _short(facts.text(call)), facts.range(call)))
        awaited = isinstance(facts.parent(call), ast.Await)
        calls.append(CallSite(target, facts.range(func), facts.range(call), awaited=awaited))

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
        facts = self.facts
        for call in facts.nodes(ast.Call):
            dispatch = self._by_name(call) or self._direct(call)
            if dispatch is not None:
                self.summary.dispatches.append(dispatch)
        for node in facts.nodes(ast.Dict):  # beat_schedule entries: {"task": "rag.x", "args": (...)}
            entry = dict(_string_items(node))
            task = entry.get("task")
            if isinstance(task, ast.Constant) and isinstance(task.value, str) and "schedule" in entry:
                positional = _count(entry.get("args")) if "args" in entry else 0
                keywords = _keys(entry.get("kwargs")) if "kwargs" in entry else ()
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

    def _by_name(self, call: ast.Call) -> Dispatch | None:
        facts = self.facts
        func = call.func
        qualname = self.absolute(func)
        app = None
        if qualname in SIGNATURE_NAMES:
            method = {"Signature": "Signature", "subtask": "subtask"}.get(qualname.rsplit(".", 1)[-1], "signature")
            app_arg = _keyword(call, "app")
            app = self.absolute(app_arg) if app_arg is not None else None
        elif isinstance(func, ast.Attribute) and (
            func.attr == "send_task" or (func.attr == "signature" and self._is_app(func.value))
        ):  # `send_task` says what it is on any receiver (`self.app`, an imported `cel`)
            method = func.attr
            app = self.absolute(func.value)
        else:
            return None
        name_node = _argument(call, 0, {"send_task": "name", "Signature": "task"}.get(method, "varies"))
        if name_node is None:
            return None
        name, name_ref = self._string_or_constant(name_node)
        if name is None and name_ref is None:
            return None  # a name built at run time: not judged
        positional = _count(_argument(call, 1, "args")) if _argument(call, 1, "args") is not None else 0
        kwargs = _argument(call, 2, "kwargs")
        keywords = _keys(kwargs) if kwargs is not None else ()
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
            positional = _count(_argument(call, 0, "args")) if _argument(call, 0, "args") is not None else 0
            kwargs = _argument(call, 1, "kwargs")
            keywords = _keys(kwargs) if kwargs is not None else ()
        else:
            positional = None if any(isinstance(a, ast.Starred) for a in call.args) else len(call.args)
            keywords = None if any(k.arg is None for k in call.keywords) else tuple(k.arg for k in call.keywords)
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
        return bool(chained) and chained[-1].func.attr in SENT_METHODS

    def _chained(self, call: ast.Call) -> list[ast.Call]:
        """The calls of `.set(...)` on the signature `call` makes, up to its `.apply_async(...)`/`.delay(...)`."""
        facts, out = self.facts, []
        while True:
            parent = facts.parent(call)
            if not (
                isinstance(parent, ast.Attribute)
                and parent.value is call
                and isinstance(facts.parent(parent), ast.Call)
            ):
                return out
            call = facts.parent(parent)
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
            if chained.func.attr != "set":
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


# --- small helpers ------------------------------------------------------------------------------
def _conf_of_app(summariser: _Summariser, expr: ast.AST) -> bool:
    """`expr` is `X.conf` for an app `X`."""
    return isinstance(expr, ast.Attribute) and expr.attr == "conf" and summariser._is_app(expr.value)


def func_attr(func: ast.AST) -> str:
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _argument(call: ast.Call, position: int, keyword: str) -> ast.expr | None:
    for item in call.keywords:
        if item.arg == keyword:
            return item.value
    if len(call.args) > position and not any(isinstance(a, ast.Starred) for a in call.args[: position + 1]):
        return call.args[position]
    return None


def _keyword(call: ast.Call, keyword: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == keyword), None)


def _count(expr: ast.AST | None) -> int | None:
    """How many positional arguments a literal `args=` holds; None when not known."""
    if isinstance(expr, (ast.List, ast.Tuple)) and not any(isinstance(e, ast.Starred) for e in expr.elts):
        return len(expr.elts)
    if isinstance(expr, ast.Constant) and expr.value is None:
        return 0
    return None


def _keys(expr: ast.AST | None) -> tuple[str, ...] | None:
    """The keyword names a literal `kwargs=` holds (`{"a": 1}`, `dict(a=1)`); None when not known."""
    if isinstance(expr, ast.Dict):
        if all(isinstance(k, ast.Constant) and isinstance(k.value, str) for k in expr.keys):
            return tuple(k.value for k in expr.keys)
        return None
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id == "dict" and not expr.args:
        if all(k.arg for k in expr.keywords):
            return tuple(k.arg for k in expr.keywords)
    if isinstance(expr, ast.Constant) and expr.value is None:
        return ()
    return None


def _string_items(node: ast.Dict):
    for key, value in zip(node.keys, node.values):
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            yield key.value, value


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
        for key, value in _string_items(route):
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
    node = binop
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


def _plain(value: object) -> bool:
    return isinstance(value, (str, int, float, bool)) or value is None


def _literal(expr: ast.AST | None) -> object:
    """The JSON-able value of a literal expression, else UNKNOWN."""
    if expr is None:
        return UNKNOWN
    try:
        value = ast.literal_eval(expr)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return UNKNOWN
    return _jsonable(value)


def _jsonable(value: object) -> object:
    if _plain(value):
        return value
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_jsonable(v) for v in value]
        return UNKNOWN if UNKNOWN in items else items
    if isinstance(value, dict):
        items = {str(k): _jsonable(v) for k, v in value.items()}
        return UNKNOWN if UNKNOWN in items.values() else items
    return UNKNOWN


def _last_literal(values: list[ast.expr | None]) -> object:
    return _literal(values[-1]) if values else UNKNOWN
