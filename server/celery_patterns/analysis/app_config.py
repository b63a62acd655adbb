"""Celery apps of one module and their settings.

- `celery_apps`: every `Celery(...)` call with the name (or attribute) it is bound to.
- `gather_config`: the settings one app gets in the module (`Celery(...)` keywords,
  `conf.update`, `conf.x = ...`, dicts and objects passed to them), and whether some are
  loaded from elsewhere.
- `celery_app_name`: the name that reaches the module's Celery app from a scope.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

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
    """Every `Celery(...)` call (any alias) in source order, with what it is bound to."""
    apps = []
    for call in sorted(celery_app_calls(facts), key=position_key):
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
    found = []
    for node in facts.nodes(ast.Name):
        if node.id != name or not isinstance(node.ctx, ast.Load):
            continue
        hit = facts.lookup(name, facts.scope_of(node))
        if hit is not None and hit[0] is scope:
            found.append(node)
    return found


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


@dataclass
class AppConfig:
    """The settings the module gives one app."""

    # key -> every value it is given (None where the value itself is not visible)
    settings: dict[str, list[ast.expr | None]] = field(default_factory=dict)
    unknown: str | None = None  # why the module cannot see the whole configuration
    updates: list[ast.Call] = field(default_factory=list)
    loads: list[ast.Call] = field(default_factory=list)  # `config_from_object(...)` calls
    namespace: str | None = None

    @property
    def keys(self) -> set[str]:
        return set(self.settings)

    def hide(self, reason: str) -> None:
        if self.unknown is None:
            self.unknown = reason

    def set(self, key: str, value: ast.expr | None) -> None:
        self.settings.setdefault(key, []).append(value)

    def add(self, items: list[tuple[str, ast.expr | None]] | None, reason: str) -> None:
        """Settings from a source that may be invisible (`items` None): then hide."""
        if items is None:
            self.hide(reason)
            return
        for key, value in items:
            self.set(key, value)


def gather_config(facts: ModuleFacts, app: CeleryApp) -> AppConfig:
    """Every setting the module gives `app`: `Celery(...)` keywords, `conf.update(...)`,
    `conf.key = ...`, `config_from_object` of a local object, through aliases and local
    functions the app is passed to; `unknown` says why some may be invisible."""
    config = AppConfig()
    for keyword in app.call.keywords:
        if keyword.arg is None:
            config.add(_dict_items(facts, keyword.value), "`Celery(**...)` of settings the module cannot see")
        elif keyword.arg == "changes":
            config.add(_dict_items(facts, keyword.value), "`Celery(changes=...)` the module cannot see")
        elif keyword.arg == "config_source":
            config.add(_object_items(facts, keyword.value), "`Celery(config_source=...)`")
        elif keyword.arg == "namespace":
            value = literal_string(facts, keyword.value)
            if value is None:
                config.hide("a namespace the module cannot see")
            config.namespace = value
        elif keyword.arg not in CELERY_PARAMETERS:
            config.set(keyword.arg, keyword.value)
    for ref in _app_references(facts, app, config):
        _app_use(facts, ref, config)
    return config


def _app_references(facts: ModuleFacts, app: CeleryApp, config: AppConfig) -> list[ast.expr]:
    """Expressions that refer to the app: its names (and simple aliases), or the
    attribute it is stored in (compared by text), and the parameters of local
    functions it is passed to."""
    refs: list[ast.expr] = []
    pending: list[tuple[str, Scope]] = []
    for target in app.targets:
        if isinstance(target, ast.Name):
            pending.append((target.id, binding_scope(facts, target)))
        else:
            text = facts.text(target)
            for node in facts.nodes(ast.Attribute):
                if isinstance(node.ctx, ast.Load) and node is not target and facts.text(node) == text:
                    refs.append(node)
                    _passed_on(facts, node, config, pending)
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
            config.hide(f"the app is passed to `{facts.text(call.func)}` in a way the module cannot follow")
        return
    if not inert_call(facts, call):
        config.hide(f"the app is passed to `{facts.text(call.func)}`, which may configure it")


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
            config.hide("`app.conf` is replaced")
    elif attr == "config_from_object" and called:
        config.loads.append(grand)
        source = grand.args[0] if grand.args else next((k.value for k in grand.keywords if k.arg == "obj"), None)
        config.add(_object_items(facts, source), "`config_from_object(...)` loads settings the module cannot see")
        namespace = next((k.value for k in grand.keywords if k.arg == "namespace"), None)
        if namespace is not None and config.namespace is None:
            config.namespace = literal_string(facts, namespace)
            if config.namespace is None:
                config.hide("a namespace the module cannot see")
    elif attr in ("config_from_envvar", "config_from_cmdline"):
        config.hide(f"`{attr}(...)` loads settings the module cannot see")
    elif attr == "add_defaults" and called:
        config.add(
            _dict_items(facts, grand.args[0]) if grand.args else None,
            "`add_defaults(...)` of settings the module cannot see",
        )


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
            config.set(parent.attr, _assigned_value(facts, parent))  # `app.conf.key = value`
        elif called and parent.attr in ("update", "add_defaults"):
            if parent.attr == "update":
                config.updates.append(grand)
            for arg in grand.args:
                config.add(_dict_items(facts, arg), f"`conf.{parent.attr}(...)` of a value the module cannot see")
            for keyword in grand.keywords:
                if keyword.arg is None:
                    config.add(_dict_items(facts, keyword.value), "`conf.update(**...)` the module cannot see")
                else:
                    config.set(keyword.arg, keyword.value)
        elif called and parent.attr == "setdefault":
            key = literal_string(facts, grand.args[0]) if grand.args else None
            value = grand.args[1] if len(grand.args) > 1 else None
            config.add([(key, value)] if key else None, "`conf.setdefault(...)` of a key the module cannot see")
        return
    if isinstance(parent, ast.Subscript) and parent.value is conf:
        if not isinstance(parent.ctx, ast.Load):
            key = literal_string(facts, parent.slice)
            config.add(
                [(key, _assigned_value(facts, parent))] if key else None,
                "`conf[...] = ...` of a key the module cannot see",
            )
        return
    if isinstance(parent, ast.Call) and conf in parent.args:
        if facts.resolve(parent.func) == "builtins.setattr" and len(parent.args) >= 2 and parent.args[0] is conf:
            key = literal_string(facts, parent.args[1])
            value = parent.args[2] if len(parent.args) > 2 else None
            config.add([(key, value)] if key else None, "`setattr(conf, ...)` of a key the module cannot see")
        elif not inert_call(facts, parent):
            config.hide(f"`conf` is passed to `{facts.text(parent.func)}`, which may configure it")


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
