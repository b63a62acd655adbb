"""Celery apps of one module and their settings.

- `celery_apps`: every `Celery(...)` call with the name (or attribute) it is bound to.
- `gather_config`: the settings one app gets in the module (`Celery(...)` keywords,
  `conf.update`, `conf.x = ...`, dicts and objects passed to them), and what is loaded from
  elsewhere (`Source`s the project model may read, or settings nobody can see);
  `gather_imported` the same for an app the module imports; `config_variants` splits them
  along the `if`/`else` branches that configure the app differently.
- `celery_app_name`: the name that reaches the module's Celery app from a scope.
"""

from __future__ import annotations

import ast
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from .branches import branch_path, compatible, exclusive
from .calls import local_function, parameter_for
from .celery import CELERY_APP_CLASSES, celery_app_calls, is_celery_app_call
from .facts import ModuleFacts, Scope, position_key, statement_of
from .names import visible_from_module
from .strings import literal_string


@dataclass(frozen=True, eq=False)
class CeleryApp:
    call: ast.Call
    statement: ast.stmt
    targets: tuple[ast.expr, ...]  # Name / Attribute targets the app is bound to (may be empty)
    scope: Scope  # scope of the statement that makes the app

    @property
    def name(self) -> str | None:
        return ast.unparse(self.targets[0]) if self.targets else None


def celery_apps(facts: ModuleFacts) -> list[CeleryApp]:
    """Every `Celery(...)` call (any alias, also `Celery[MyTask](...)`) in source order, with
    what it is bound to."""
    return facts.memo("app_config.celery_apps", lambda: _celery_apps(facts))


def _celery_apps(facts: ModuleFacts) -> list[CeleryApp]:
    apps = []
    calls = celery_app_calls(facts)
    if "[" in facts.source:  # `Celery[DjangoTask](...)`: the class subscripted for typing
        calls += [
            c
            for c in facts.nodes(ast.Call)
            if isinstance(c.func, ast.Subscript) and facts.resolve(c.func.value) in CELERY_APP_CLASSES
        ]
    for call in sorted(calls, key=position_key):
        parent = facts.parent(call)
        targets: tuple[ast.expr, ...] = ()
        if isinstance(parent, ast.Assign) and parent.value is call:
            # `app = celery_app = Celery(...)` binds every target
            if all(isinstance(t, (ast.Name, ast.Attribute)) for t in parent.targets):
                targets = tuple(parent.targets)
        elif isinstance(parent, ast.AnnAssign) and parent.value is call:
            if isinstance(parent.target, (ast.Name, ast.Attribute)):
                targets = (parent.target,)
        elif isinstance(parent, ast.NamedExpr) and parent.value is call:
            targets = (parent.target,)
        statement = statement_of(facts, call)
        if statement is None:  # pragma: no cover - every expression sits in a statement
            continue
        apps.append(CeleryApp(call, statement, targets, facts.scope_of(call)))
    return [app for i, app in enumerate(apps) if not _replaced_unused(facts, app, apps[i + 1 :])]


def _replaced_unused(facts: ModuleFacts, app: CeleryApp, later: list[CeleryApp]) -> bool:
    """`app = Celery(...)` bound again to another `Celery(...)` in the same scope before any
    read of it: only the live app matters (the first is never configured or run)."""
    names = {t.id for t in app.targets if isinstance(t, ast.Name)}
    if not names or len(names) != len(app.targets):
        return False
    for other in later:
        if exclusive(facts, app.statement, other.statement):
            continue  # `if x: app = Celery(a)` / `else: app = Celery(b)`: two apps
        if other.scope is app.scope and names <= {t.id for t in other.targets if isinstance(t, ast.Name)}:
            start, end = position_key(app.statement), position_key(other.statement)
            return not any(
                n.id in names and isinstance(n.ctx, ast.Load) and start < position_key(n) < end
                for n in facts.nodes(ast.Name)
            )
    return False


# --- references -----------------------------------------------------------------------
def name_references(facts: ModuleFacts, name: str, scope: Scope) -> list[ast.Name]:
    """Loads of `name` anywhere in the module that resolve to its binding in `scope`."""
    if scope is facts.module_scope:
        candidates = facts.memo("app_config.loads_by_name", lambda: _loads_by_name(facts)).get(name, [])
    else:
        # A name resolves in the scope it is read in or in an enclosing one: the loads that
        # can reach a binding of `scope` are in it or in the scopes nested in it (looking
        # only there keeps a module of many functions from being scanned once per function).
        order = facts.memo("app_config.load_order", lambda: {n: i for i, n in enumerate(facts.nodes(ast.Name))})
        candidates = sorted(
            (n for s in _scope_and_nested(scope) for n in s.nodes if type(n) is ast.Name and n.id == name),
            key=order.__getitem__,
        )
    found = []
    for node in candidates:
        if not isinstance(node.ctx, ast.Load):
            continue
        hit = facts.lookup(name, facts.scope_of(node))
        if hit is not None and hit[0] is scope:
            found.append(node)
    return found


def _loads_by_name(facts: ModuleFacts) -> dict[str, list[ast.Name]]:
    found: dict[str, list[ast.Name]] = {}
    for node in facts.nodes(ast.Name):
        if isinstance(node.ctx, ast.Load):
            found.setdefault(node.id, []).append(node)
    return found


def _scope_and_nested(scope: Scope) -> Iterator[Scope]:
    yield scope
    for child in scope.children:
        yield from _scope_and_nested(child)


def binding_scope(facts: ModuleFacts, target: ast.Name) -> Scope:
    scope = facts.scope_of(target)
    if target.id in scope.global_names:
        return facts.module_scope
    return scope


# --- configuration ----------------------------------------------------------------------
# Explicit parameters of `Celery.__init__`: not settings (the rest of **kwargs are).
CELERY_PARAMETERS = frozenset(
    {
        "main",
        "loader",
        "backend",
        "amqp",
        "events",
        "log",
        "control",
        "set_as_current",
        "tasks",
        "broker",
        "include",
        "changes",
        "config_source",
        "fixups",
        "task_cls",
        "autofinalize",
        "namespace",
        "strict_typing",
    }
)
# Callees that take an app (or its `conf`) without configuring it.
INERT_BUILTINS = frozenset(
    {
        "print",
        "repr",
        "str",
        "format",
        "ascii",
        "isinstance",
        "issubclass",
        "id",
        "type",
        "hash",
        "bool",
        "callable",
        "hasattr",
        "dir",
        "len",
    }
)
INERT_MODULES = ("celery", "logging", "warnings", "pprint", "reprlib", "json", "structlog", "loguru")
LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log", "msg"})
LOGGER_FACTORIES = ("getLogger", "get_logger", "getlogger", "get_task_logger")
LOGGER_NAME = re.compile(r"^_*(?:log|logger)$", re.IGNORECASE)


@dataclass(frozen=True, eq=False)
class Source:
    """Settings the module loads from what it cannot read itself: a module or object named by
    `config_from_object(...)`/`config_source=`, a dict or a function's result defined elsewhere.
    The project model may read it."""

    kind: str  # "object": a module, class or dict loaded whole; "value": a dict (a name, a call's result)
    node: ast.expr  # as written: a string naming it (`"pkg.mod:Obj"`), a name, an attribute, a call
    namespace: str | None  # the `namespace=` it is loaded with
    origin: ast.AST  # the call that loads it


@dataclass(frozen=True, eq=False)
class Entry:
    """One thing the module does to the app's settings, where it does it."""

    origin: ast.AST
    key: str | None = None  # a setting...
    value: ast.expr | None = None
    source: Source | None = None  # ... or settings loaded from elsewhere...
    opaque: str | None = None  # ... or settings nobody can see: why


@dataclass
class AppConfig:
    """The settings the module gives one app."""

    # key -> every value it is given (None where the value itself is not visible)
    settings: dict[str, list[ast.expr | None]] = field(default_factory=dict)
    unknown: str | None = None  # why the module cannot see the whole configuration
    updates: list[ast.Call] = field(default_factory=list)
    loads: list[ast.Call] = field(default_factory=list)  # `config_from_object(...)` calls
    namespace: str | None = None
    entries: list[Entry] = field(default_factory=list)  # in the order they are found
    worker_imports: list[str] = field(default_factory=list)  # modules `autodiscover_tasks([...])` names
    discovers: bool = False  # `autodiscover_tasks()` of packages the module cannot list (Django's apps)
    starts_worker: bool = False  # `app.worker_main(...)`, `app.Worker(...)`, `app.start(...)`

    @property
    def keys(self) -> set[str]:
        return set(self.settings)

    @property
    def sources(self) -> list[Source]:
        return [e.source for e in self.entries if e.source is not None]

    @property
    def opaque(self) -> str | None:
        """Why some settings cannot be seen even with the whole workspace."""
        return next((e.opaque for e in self.entries if e.opaque is not None), None)

    def hide(self, reason: str, origin: ast.AST) -> None:
        self.entries.append(Entry(origin, opaque=reason))
        if self.unknown is None:
            self.unknown = reason

    def defer(self, source: Source, reason: str) -> None:
        self.entries.append(Entry(source.origin, source=source))
        if self.unknown is None:
            self.unknown = reason

    def set(self, key: str, value: ast.expr | None, origin: ast.AST) -> None:
        self.entries.append(Entry(origin, key, value))
        self.settings.setdefault(key, []).append(value)

    def add(self, items: list[tuple[str, ast.expr | None]] | None, reason: str, origin: ast.AST) -> None:
        """Settings from a source that may be invisible (`items` None): then hide."""
        if items is None:
            self.hide(reason, origin)
            return
        for key, value in items:
            self.set(key, value, origin)

    def load(self, facts: ModuleFacts, kind: str, expr, reason: str, origin: ast.AST, namespace=None) -> None:
        """Settings from `expr`: read here when the module shows them, else a `Source` for the
        model when it names something (a string, a name, a call), else hidden."""
        items = _object_items(facts, expr) if kind == "object" else _dict_items(facts, expr)
        if items is not None:
            self.add(items, reason, origin)
        elif isinstance(expr, ast.Constant) and isinstance(expr.value, str) and kind == "object":
            self.defer(Source(kind, expr, namespace, origin), reason)
        elif (bound := _local_call_result(facts, expr)) is not None:
            # `config = make_config(); Celery(config_source=config)`: the function's dict, as
            # if called there; changed afterwards (`config.update(user)`), more may be hidden
            call, changed = bound
            self.defer(Source("value", call, namespace, origin), reason)
            if changed:
                self.hide(reason, origin)
        elif isinstance(expr, (ast.Name, ast.Attribute)):
            self.defer(Source(kind, expr, namespace, origin), reason)
        elif isinstance(expr, ast.Call) and isinstance(expr.func, (ast.Name, ast.Attribute)):
            self.defer(Source("value", expr, namespace, origin), reason)
        else:
            self.hide(reason, origin)

    def subset(self, keep) -> AppConfig:
        """The configuration made where `keep(node)` says (one way through the `if`s)."""
        config = AppConfig(namespace=self.namespace)
        for entry in self.entries:
            if not keep(entry.origin):
                continue
            if entry.key is not None:
                config.set(entry.key, entry.value, entry.origin)
            elif entry.source is not None:
                config.defer(entry.source, "settings loaded from elsewhere")
            elif entry.opaque is not None:
                config.hide(entry.opaque, entry.origin)
        config.updates = [c for c in self.updates if keep(c)]
        config.loads = [c for c in self.loads if keep(c)]
        return config


def gather_config(facts: ModuleFacts, app: CeleryApp) -> AppConfig:
    """Every setting the module gives `app`: `Celery(...)` keywords, `conf.update(...)`,
    `conf.key = ...`, `config_from_object` of a local object, through aliases and local
    functions the app is passed to; `unknown` says why some may be invisible, `sources` what
    is loaded from elsewhere."""
    config = AppConfig()
    call = app.call
    for keyword in call.keywords:
        if keyword.arg is None:
            config.load(facts, "value", keyword.value, "`Celery(**...)` of settings the module cannot see", call)
        elif keyword.arg == "changes":
            config.load(facts, "value", keyword.value, "`Celery(changes=...)` the module cannot see", call)
        elif keyword.arg == "config_source":
            config.load(facts, "object", keyword.value, "`Celery(config_source=...)`", call)
        elif keyword.arg == "namespace":
            value = literal_string(facts, keyword.value)
            if value is None:
                config.hide("a namespace the module cannot see", call)
            config.namespace = value
        elif keyword.arg not in CELERY_PARAMETERS:
            config.set(keyword.arg, keyword.value, call)
    pending: list[tuple[str, Scope]] = []
    refs: list[ast.expr] = []
    for target in app.targets:
        if isinstance(target, ast.Name):
            pending.append((target.id, binding_scope(facts, target)))
        else:
            text = facts.text(target)
            for node in facts.nodes(ast.Attribute):
                if isinstance(node.ctx, ast.Load) and node is not target and facts.text(node) == text:
                    refs.append(node)
                    _passed_on(facts, node, config, pending)
    for ref in refs + _name_references(facts, pending, config):
        _app_use(facts, ref, config)
    return config


# Celery's worker-control classes, given the app by keyword: `Control(app=client)`.
_CONTROL_CLASSES = frozenset({"Control", "Inspect"})


def control_client(facts: ModuleFacts, app: CeleryApp) -> bool:
    """The app is a function's local used only to control workers: every use of it is
    `client.control...`, `client.close()` or `Control(app=client)` (a revoke or an
    inspection). It sends no task and reads no result, so no task setting reaches anything."""
    if app.scope.kind != "function" or not app.targets or not all(isinstance(t, ast.Name) for t in app.targets):
        return False
    names = {t.id for t in app.targets if isinstance(t, ast.Name)}
    uses = [ref for name in names for ref in name_references(facts, name, app.scope)]
    for ref in uses:
        parent = facts.parent(ref)
        if isinstance(parent, ast.Attribute) and parent.value is ref:
            if parent.attr == "control":
                continue
            grand = facts.parent(parent)
            if parent.attr == "close" and isinstance(grand, ast.Call) and grand.func is parent:
                continue
            return False
        if isinstance(parent, ast.keyword) and parent.arg == "app":
            call = facts.parent(parent)
            func = call.func if isinstance(call, ast.Call) else None
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
            if name in _CONTROL_CLASSES:
                continue
        return False
    return bool(uses)


def gather_imported(facts: ModuleFacts, name: str) -> AppConfig:
    """What the module does to an app it imports as `name` (made in another module)."""
    config = AppConfig()
    for ref in _name_references(facts, [(name, facts.module_scope)], config):
        _app_use(facts, ref, config)
    return config


def config_variants(facts: ModuleFacts, app: CeleryApp, config: AppConfig, limit: int = 4):
    """The configurations `app` gets along each way through the `if`/`else` statements whose
    two branches both configure it, each with the first configuring call of its branches (a
    `conf.update(...)` when there is one); `[(config, None)]` when no `if`/`else` does (or more
    than `limit` do: then every branch counts, as when nothing differs)."""
    own = branch_path(facts, app.statement)
    paths = {id(e): branch_path(facts, e.origin) for e in config.entries}
    entries = [e for e in config.entries if compatible(paths[id(e)], own)]  # not another app's branch
    sides: dict[int, set[str]] = {}
    fixed = {branch for branch, _ in own}
    for entry in entries:
        for branch, side in paths[id(entry)]:
            if branch not in fixed:
                sides.setdefault(branch, set()).add(side)
    relevant = [branch for branch, found in sides.items() if len(found) == 2]
    if not relevant or len(relevant) > limit:
        return [(config, None)]
    variants, seen = [], set()
    for choice in itertools.product(("body", "orelse"), repeat=len(relevant)):
        world = dict(zip(relevant, choice))

        def keep(node, world=world) -> bool:
            path = branch_path(facts, node)
            return compatible(path, own) and all(world.get(b, s) == s for b, s in path)

        kept = [e for e in entries if keep(e.origin)]
        key = frozenset(id(e) for e in kept)
        if key in seen:
            continue
        seen.add(key)
        branched = [e.origin for e in kept if any(b in world for b, _ in paths[id(e)])]
        updates = [o for o in branched if any(o is u for u in config.updates)]
        anchor = min(updates or branched, key=position_key) if branched else None
        variants.append((config.subset(keep), anchor))
    return variants


def _name_references(facts: ModuleFacts, pending: list[tuple[str, Scope]], config: AppConfig) -> list[ast.expr]:
    """Loads of the app's names, of simple aliases of them, of the parameters of local
    functions it is passed to, and of names bound to what a local factory returns."""
    refs: list[ast.expr] = []
    seen = set()
    while pending:
        name, scope = pending.pop()
        if (name, id(scope)) in seen:
            continue
        seen.add((name, id(scope)))
        for ref in name_references(facts, name, scope):
            refs.append(ref)
            parent = facts.parent(ref)
            if (
                isinstance(parent, ast.Assign)
                and parent.value is ref
                and len(parent.targets) == 1
                and isinstance(parent.targets[0], ast.Name)
            ):
                alias = parent.targets[0]
                pending.append((alias.id, binding_scope(facts, alias)))
            elif isinstance(parent, ast.Return) and isinstance(facts.scope_of(ref).node, ast.FunctionDef):
                # a factory: follow `x = make_app()` in this module
                pending.extend(_factory_results(facts, facts.scope_of(ref).node))
            else:
                _passed_on(facts, ref, config, pending)
    return refs


def _passed_on(facts: ModuleFacts, ref: ast.expr, config: AppConfig, pending: list) -> None:
    """The app handed to a call: follow a local function's parameter, hide the
    configuration when the callee may configure it."""
    parent = facts.parent(ref)
    if isinstance(parent, ast.Call) and ref is not parent.func and ref in parent.args:
        call = parent
    elif isinstance(parent, ast.keyword) and isinstance(facts.parent(parent), ast.Call):
        call = facts.parent(parent)
    else:
        return
    function = local_function(facts, call.func)
    if function is not None:
        param = parameter_for(function, call, ref)
        if param is not None:
            pending.append((param, facts.own_scope(function)))
        else:
            config.hide(f"the app is passed to `{facts.text(call.func)}` in a way the module cannot follow", call)
        return
    if not inert_call(facts, call):
        config.hide(f"the app is passed to `{facts.text(call.func)}`, which may configure it", call)


def inert_call(facts: ModuleFacts, call: ast.Call) -> bool:
    """A call that cannot configure the app it is given: logging, printing, `repr`/`str`/
    `format`, `isinstance`, `"...".format(...)`, Celery's own API."""
    func = call.func
    if isinstance(func, ast.Attribute):
        if func.attr in LOG_METHODS and _is_logger(facts, func.value):
            return True
        if func.attr == "format" and (
            isinstance(func.value, ast.JoinedStr)
            or (isinstance(func.value, ast.Constant) and isinstance(func.value.value, str))
        ):
            return True
    qualname = facts.resolve(func)
    if qualname is None:
        return False
    if qualname.startswith("builtins."):
        return qualname[len("builtins.") :] in INERT_BUILTINS or qualname == "builtins.str.format"
    return qualname.split(".", 1)[0] in INERT_MODULES


def _is_logger(facts: ModuleFacts, expr: ast.expr | None, depth: int = 0) -> bool:
    """`logging`, `logger`, `self.log`, `logging.getLogger(...)`, `structlog.get_logger().bind(...)`,
    or a name bound to one of those."""
    if depth > 3 or expr is None:
        return False
    if isinstance(expr, ast.Call):
        func = expr.func
        if isinstance(func, ast.Attribute) and func.attr in ("bind", "opt", "getChild", "new", "with_fields"):
            return _is_logger(facts, func.value, depth + 1)
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        return name in LOGGER_FACTORIES
    qualname = facts.resolve(expr)
    if qualname is not None and not qualname.startswith("builtins.") and qualname.split(".", 1)[0] in INERT_MODULES:
        return True
    identifier = expr.id if isinstance(expr, ast.Name) else expr.attr if isinstance(expr, ast.Attribute) else ""
    if LOGGER_NAME.match(identifier):
        return True
    if isinstance(expr, ast.Name):
        hit = facts.lookup(expr.id, facts.scope_of(expr))
        if hit is not None and all(b.kind == "assign" and b.value is not None for b in hit[1]):
            return all(_is_logger(facts, b.value, depth + 1) for b in hit[1])
    return False


def _factory_results(facts: ModuleFacts, function) -> list[tuple[str, Scope]]:
    found = []
    for call in facts.nodes(ast.Call):
        if local_function(facts, call.func) is function:
            parent = facts.parent(call)
            if isinstance(parent, ast.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0], ast.Name):
                found.append((parent.targets[0].id, binding_scope(facts, parent.targets[0])))
    return found


WORKER_STARTS = frozenset({"worker_main", "Worker", "start"})


def _app_use(facts: ModuleFacts, ref: ast.expr, config: AppConfig) -> None:
    parent = facts.parent(ref)
    if not isinstance(parent, ast.Attribute) or parent.value is not ref:
        return
    attr = parent.attr
    grand = facts.parent(parent)
    called = isinstance(grand, ast.Call) and grand.func is parent
    if attr == "conf":
        if isinstance(parent.ctx, ast.Load):
            _conf_uses(facts, parent, config)
        else:
            config.hide("`app.conf` is replaced", parent)
    elif attr == "config_from_object" and called:
        config.loads.append(grand)
        namespace = next((k.value for k in grand.keywords if k.arg == "namespace"), None)
        if namespace is not None and config.namespace is None:
            config.namespace = literal_string(facts, namespace)
            if config.namespace is None:
                config.hide("a namespace the module cannot see", grand)
        source = grand.args[0] if grand.args else next((k.value for k in grand.keywords if k.arg == "obj"), None)
        reason = "`config_from_object(...)` loads settings the module cannot see"
        name = literal_string(facts, namespace) if namespace is not None else None
        config.load(facts, "object", source, reason, grand, name)
    elif attr in ("config_from_envvar", "config_from_cmdline"):
        config.hide(f"`{attr}(...)` loads settings the module cannot see", parent)
    elif attr == "add_defaults" and called:
        reason = "`add_defaults(...)` of settings the module cannot see"
        config.load(facts, "value", grand.args[0] if grand.args else None, reason, grand)
    elif attr == "autodiscover_tasks" and called:
        _autodiscovered(facts, grand, config)
    elif attr in WORKER_STARTS and called:
        config.starts_worker = True


def _autodiscovered(facts: ModuleFacts, call: ast.Call, config: AppConfig) -> None:
    """`app.autodiscover_tasks(["pkg", ...], related_name="tasks")`: the modules it imports;
    packages it cannot list (Django's installed apps, a lambda): `discovers`."""
    packages = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "packages"), None)
    related = (
        call.args[1] if len(call.args) > 1 else next((k.value for k in call.keywords if k.arg == "related_name"), None)
    )
    suffix = "tasks" if related is None else literal_string(facts, related)
    names = [literal_string(facts, e) for e in packages.elts] if isinstance(packages, (ast.List, ast.Tuple)) else None
    if names is None or None in names or suffix is None:
        config.discovers = True
        return
    config.worker_imports.extend(f"{name}.{suffix}" for name in names if name)


def _conf_uses(facts: ModuleFacts, conf: ast.expr, config: AppConfig, depth: int = 0) -> None:
    """One reference to the app's `conf`: what it sets."""
    parent = facts.parent(conf)
    if (
        isinstance(parent, ast.Assign)
        and parent.value is conf
        and len(parent.targets) == 1
        and isinstance(parent.targets[0], ast.Name)
        and depth < 3
    ):
        alias = parent.targets[0]  # `conf = app.conf`
        for ref in name_references(facts, alias.id, binding_scope(facts, alias)):
            _conf_uses(facts, ref, config, depth + 1)
        return
    if isinstance(parent, ast.Attribute) and parent.value is conf:
        grand = facts.parent(parent)
        called = isinstance(grand, ast.Call) and grand.func is parent
        if not isinstance(parent.ctx, ast.Load):
            config.set(parent.attr, _assigned_value(facts, parent), parent)  # `app.conf.key = value`
        elif called and parent.attr in ("update", "add_defaults"):
            if parent.attr == "update":
                config.updates.append(grand)
            for arg in grand.args:
                config.load(facts, "value", arg, f"`conf.{parent.attr}(...)` of a value the module cannot see", grand)
            for keyword in grand.keywords:
                if keyword.arg is None:
                    config.load(facts, "value", keyword.value, "`conf.update(**...)` the module cannot see", grand)
                else:
                    config.set(keyword.arg, keyword.value, grand)
        elif called and parent.attr == "setdefault":
            key = literal_string(facts, grand.args[0]) if grand.args else None
            value = grand.args[1] if len(grand.args) > 1 else None
            config.add([(key, value)] if key else None, "`conf.setdefault(...)` of a key the module cannot see", grand)
        return
    if isinstance(parent, ast.Subscript) and parent.value is conf:
        if not isinstance(parent.ctx, ast.Load):
            key = literal_string(facts, parent.slice)
            config.add(
                [(key, _assigned_value(facts, parent))] if key else None,
                "`conf[...] = ...` of a key the module cannot see",
                parent,
            )
        return
    if isinstance(parent, ast.Call) and conf in parent.args:
        if facts.resolve(parent.func) == "builtins.setattr" and len(parent.args) >= 2 and parent.args[0] is conf:
            key = literal_string(facts, parent.args[1])
            value = parent.args[2] if len(parent.args) > 2 else None
            config.add([(key, value)] if key else None, "`setattr(conf, ...)` of a key the module cannot see", parent)
        elif not inert_call(facts, parent):
            config.hide(f"`conf` is passed to `{facts.text(parent.func)}`, which may configure it", parent)


def _assigned_value(facts: ModuleFacts, target: ast.expr) -> ast.expr | None:
    """The value of `target = value` (a plain, single-target assignment), else None."""
    statement = facts.parent(target)
    if isinstance(statement, ast.Assign) and target in statement.targets:
        return statement.value
    if isinstance(statement, ast.AnnAssign) and statement.target is target:
        return statement.value
    return None


def _dict_items(facts: ModuleFacts, expr, depth: int = 0) -> list[tuple[str, ast.expr | None]] | None:
    """The (key, value) pairs of a dict the module can see (literal, `dict(...)`, a name
    bound to one, `a | b`), or None."""
    if depth > 4 or expr is None:
        return None
    if isinstance(expr, ast.Dict):
        items: list[tuple[str, ast.expr | None]] = []
        for key, value in zip(expr.keys, expr.values):
            if key is None:
                sub = _dict_items(facts, value, depth + 1)
                if sub is None:
                    return None
                items += sub
            else:
                text = literal_string(facts, key)
                if text is None:
                    return None
                items.append((text, value))
        return items
    if isinstance(expr, ast.Call) and facts.resolve(expr.func) == "builtins.dict":
        items = []
        for arg in expr.args:
            sub = _dict_items(facts, arg, depth + 1)
            if sub is None:
                return None
            items += sub
        for keyword in expr.keywords:
            if keyword.arg is None:
                sub = _dict_items(facts, keyword.value, depth + 1)
                if sub is None:
                    return None
                items += sub
            else:
                items.append((keyword.arg, keyword.value))
        return items
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.BitOr):
        left = _dict_items(facts, expr.left, depth + 1)
        right = _dict_items(facts, expr.right, depth + 1)
        return None if left is None or right is None else left + right
    if isinstance(expr, ast.Name):
        hit = facts.lookup(expr.id, facts.scope_of(expr))
        if hit is None:
            return None
        scope, bindings = hit
        items = []
        for binding in bindings:
            if binding.kind != "assign" or binding.value is None:
                return None
            sub = _dict_items(facts, binding.value, depth + 1)
            if sub is None:
                return None
            items += sub
        # `SETTINGS["timezone"] = "UTC"` adds a key; `SETTINGS.update(...)` hides them.
        for ref in name_references(facts, expr.id, scope):
            parent = facts.parent(ref)
            if isinstance(parent, ast.Subscript) and parent.value is ref and not isinstance(parent.ctx, ast.Load):
                added = literal_string(facts, parent.slice)
                if added is None:
                    return None
                items.append((added, _assigned_value(facts, parent)))
            elif isinstance(parent, ast.AugAssign) or (
                isinstance(parent, ast.Attribute)
                and parent.value is ref
                and parent.attr in ("update", "setdefault", "__ior__")
            ):
                return None
        return items
    return None


def _local_call_result(facts: ModuleFacts, expr) -> tuple[ast.Call, bool] | None:
    """(the call, whether the dict is changed later) for a function's local name bound once
    to a call of a named function (`config = get_config(conf)`, or a copy of its result,
    `dict(get_config())`), else None."""
    if not isinstance(expr, ast.Name):
        return None
    hit = facts.lookup(expr.id, facts.scope_of(expr))
    if hit is None or hit[0].kind != "function" or len(hit[1]) != 1:
        return None
    binding = hit[1][0]
    call = binding.value
    if binding.kind != "assign" or not isinstance(call, ast.Call):
        return None
    if facts.resolve(call.func) == "builtins.dict" and len(call.args) == 1 and not call.keywords:
        call = call.args[0]  # a copy of the function's dict: `dict(get_config())`
    if not isinstance(call, ast.Call) or not isinstance(call.func, (ast.Name, ast.Attribute)):
        return None
    changed = False
    for ref in name_references(facts, expr.id, hit[0]):
        parent = facts.parent(ref)
        changed |= (isinstance(parent, ast.Subscript) and not isinstance(parent.ctx, ast.Load)) or (
            isinstance(parent, ast.AugAssign)
            or (isinstance(parent, ast.Attribute) and parent.attr in ("update", "setdefault", "__ior__", "pop"))
        )
    return call, changed


def _object_items(facts: ModuleFacts, expr) -> list[tuple[str, ast.expr | None]] | None:
    """Settings of a `config_from_object` source: a local class or dict, this module."""
    if expr is None:
        return None
    items = _dict_items(facts, expr)
    if items is not None:
        return items
    if isinstance(expr, ast.Name):
        hit = facts.lookup(expr.id, facts.scope_of(expr))
        if hit is not None and len(hit[1]) == 1 and isinstance(cls := hit[1][0].node, ast.ClassDef):
            items = []
            for statement in cls.body:
                if isinstance(statement, ast.Assign):
                    items += [(t.id, statement.value) for t in statement.targets if isinstance(t, ast.Name)]
                elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
                    items.append((statement.target.id, statement.value))
            # A base class may hold more settings: only a plain class is fully visible.
            return items if not cls.bases else None
    if facts.resolve(expr) == "builtins.__name__" or (
        facts.module_name and literal_string(facts, expr) == facts.module_name
    ):
        return [
            (name, binding.value)
            for name, bindings in facts.module_scope.bindings.items()
            for binding in bindings
            if binding.kind == "assign"
        ]
    return None


def _looks_like_app_import(name: str, qualname: str) -> bool:
    """`from core.celery import app`, `from .worker import celery_app`: a Celery app import."""
    if qualname == "celery.current_app":
        return True
    parts = qualname.lstrip(".").split(".")
    if parts[0] == "celery" or not parts[0]:
        return False  # the celery package itself (`import celery`, `from celery import group`)
    last = parts[-1]
    if name.lower() in ("celery", "celery_app", "celeryapp") or last in ("celery", "celery_app", "celeryapp"):
        return True
    return last == "app" and any("celery" in part for part in parts[:-1])


def celery_app_name(facts, settings, scope, *, allow_add: bool = False):
    """The name of the module's Celery app as seen from `scope`.

    Returns (name, None), (name, the (module, name, asname) import to add) or (None, reason).
    In order of preference: a module-level name bound to `Celery(...)`; the binding made by
    `settings.app_import` (any alias); another import that is plainly a Celery app (`from
    .worker import celery_app`, `celery.current_app`); with `allow_add`, the settings' app
    import when its name is free.
    """
    module = facts.module_scope
    candidates: list[tuple[int, int, str]] = []
    app_qual, add_spec = settings.app.qualname, settings.app.spec
    for name, bindings in module.bindings.items():
        for binding in bindings:
            if binding.kind == "assign" and binding.value is not None and is_celery_app_call(facts, binding.value):
                candidates.append((0, binding.node.lineno, name))
            elif binding.kind == "import" and binding.qualname == app_qual:
                candidates.append((1, binding.node.lineno, name))
            elif binding.kind == "import" and _looks_like_app_import(name, binding.qualname or ""):
                rank = 3 if binding.qualname == "celery.current_app" else 2
                candidates.append((rank, binding.node.lineno, name))
    # A parameter annotated as a Celery app (dependency injection), or one the function
    # passes on as `app=` (`signature("rag.x", app=app)`), is the nearest app.
    node = scope.node
    if scope.kind == "function":
        passed_as_app = {
            k.value.id
            for call in scope.walk_own(ast.Call)
            for k in call.keywords
            if k.arg == "app" and isinstance(k.value, ast.Name)
        }
        for arg in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]:
            if arg.annotation is not None and facts.resolve(arg.annotation) in CELERY_APP_CLASSES:
                return arg.arg, None
            if arg.arg in passed_as_app:
                return arg.arg, None
    for _, _, name in sorted(candidates):
        if len(module.bindings[name]) == 1 and visible_from_module(facts, name, scope):
            return name, None
    if candidates:
        return None, "the module's Celery app is shadowed or rebound here"
    if not allow_add:
        return None, "the module has no Celery app binding to call"
    name = settings.app.local
    if add_spec is None:
        return None, "the configured app import is relative"
    if name in module.bindings or facts.lookup(name, scope) is not None:
        return None, f"`{name}` is already bound to something that is not the Celery app"
    return name, add_spec
