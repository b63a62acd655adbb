"""CEL001 foreign-service-import: code of another service imported instead of a task signature.

## What it does
Flags `import rag...` and `from rag... import ...` (any alias, also inside functions and
`try` blocks) and `importlib.import_module(...)` / `__import__(...)` of a string naming
the `rag` package (a literal, an f-string, `"rag.%s" % x` or `"rag.{}".format(x)` whose
constant head names it, or a name every value of which does) in every module outside the
`rag` package itself. The foreign service packages are configurable (`foreign-packages`,
default `["rag"]`).

With the project model of the workspace (as the command line and the editor check), a
package is foreign when it is a configured one or the top-level package of another
service that makes a Celery app or defines tasks (a shared library is no other service),
and the import does not resolve to a module of the importing file's own service: a
repository whose own package is named `rag` imports it freely. Such a package is foreign
only to a service that uses Celery itself (makes an app, defines or sends a task): a
folder of tools with its own `requirements.txt` (`qa/`) or the root `setup.py` of a `src/`
project, with no Celery of their own, use it as a library. Without it, a module is
inside a package when its dotted name is (from the `__init__.py` files), or when its path
in the project starts with the package's directories, as for a namespace package.

Look-alikes stay clean: `import ragas`, `from ragtime import x`, `import myrag`, relative
imports (`from .rag import x`), strings such as `"ragas.x"` or `f"rag{suffix}"`, and an
`import_module` that is not `importlib`'s. So do imports only a type checker runs (under
`if TYPE_CHECKING:`, or the `else` of `if not TYPE_CHECKING:`, with typing's flag through
any alias): they add no runtime coupling. Under a module's own `TYPE_CHECKING = True`,
which may be true at run time, they are flagged.

## Why is this bad?
Importing a task makes the server load the worker's code and all of its heavy
dependencies, ties both services to one code base and release, and invites calling the
task function in-process by mistake. A signature names the task by string: the server
needs only the broker, and the worker can be deployed, scaled and upgraded on its own.

## Example
```python
from rag.tasks import ingest_file


def ingest(project_dir: str, database: str, path: str):
    return ingest_file.delay(project_dir, database, path)
```

## Use instead
```python
from celery import signature
from core.celery import app


def ingest(project_dir: str, database: str, path: str):
    return signature("rag.ingest_file", args=[project_dir, database, path], app=app).apply_async()
```

## Fix safety
Unsafe. The import is removed and each `task.delay(a, k=v)` becomes
`signature("rag.task", args=[a], kwargs={"k": v}, app=app).apply_async()`;
`task.apply_async(args, kwargs, **options)` keeps its options in `.apply_async(...)`.
`from celery import signature` and the app import (`app-import`) are added unless
already bound. The message is then sent by name through the configured app: the fix
cannot see whether the task is registered under the name `task-name-template` gives
(a task declared with another `name=`, or Celery's default `module.function` naming,
needs another template), nor the options the task's decorator set (queue, serializer,
time limits), which a by-name signature no longer applies. Removing the import also
drops its side effects. The comments of a removed import (after it, or between its
brackets) stay where it was, each on a line of its own.

No fix is offered when an imported name is used in any other way (called in-process,
passed around, `.s()`, other attributes), for a module imported whole and used as such,
dynamic and star imports, a name bound again elsewhere, when `signature` or the app
name is already bound to something else where it would be used, or when a comment inside
the import has no line to stay on (`if x: from rag.tasks import (a,  # why`).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from ..analysis.celery import CANVAS, DISPATCH_METHODS
from ..analysis.facts import position_key
from ..analysis.imports import (
    alias_binding,
    dunder_all,
    dynamic_import_values,
    imported_as,
    reads_import,
    type_checking_only,
)
from ..discovery import is_within, packages_holding
from ..fixes.comments import comments_in, has_comment
from ..fixes.context import rewritten
from ..fixes.dispatch import apply_async_arguments, delay_arguments, keyword, unconvertible_arguments
from ..fixes.imports import ImportSpec, add_imports, remove_aliases
from ..fixes.lazy import cst
from ..fixes.text import source_segment
from ..ftypes import FixSafety, Severity
from .base import Rule

SIGNATURE_NAMES = CANVAS["signature"]


class ForeignServiceImport(Rule):
    code = "CEL001"
    name = "foreign-service-import"
    message = "direct import from a foreign service; send its tasks with `signature()` instead"
    severity = Severity.HIGH
    fix_safety = FixSafety.UNSAFE
    fix_title = "Dispatch with `signature(...)` and remove the import"
    triggers = ("import",)  # import statements, import_module() and __import__() all contain it
    uses_project = True  # other services' packages, and what this file's own service holds

    def check(self, facts, settings):
        packages = _packages_outside(facts, settings)
        if not packages:
            return
        for statement in sorted(facts.nodes(ast.Import, ast.ImportFrom), key=position_key):
            found = [(a, p) for a, p in foreign_aliases(statement, packages) if not _own(facts, statement, a)]
            if not found or type_checking_only(facts, statement):
                continue
            module = statement.module if isinstance(statement, ast.ImportFrom) else found[0][0].name
            package = found[0][1]
            plan = make_plan(facts, settings, statement, found)
            yield self.finding(
                facts,
                statement,
                f"`{module}` is code of the `{package}` service; "
                f'send its tasks with `signature("{package}.<task>")` instead of importing them',
                no_fix_reason=plan if isinstance(plan, str) else None,
            )
        if "import_module" not in facts.source and "__import__" not in facts.source:
            return  # every dynamic form, aliases included, spells one of them somewhere
        for call in facts.nodes(ast.Call):
            imported = _dynamic_import(facts, call, packages)
            if imported is not None:
                module, package = imported
                yield self.finding(
                    facts,
                    call,
                    f"dynamic import of `{module}`, code of the `{package}` service; "
                    f'send its tasks with `signature("{package}.<task>")` instead',
                    no_fix_reason="a dynamic import cannot be rewritten mechanically",
                )

    def fix(self, ctx, finding):
        facts = ctx.facts
        statement = facts.node_at(finding.range, ast.Import, ast.ImportFrom)
        if statement is None:
            return None
        found = foreign_aliases(statement, _packages_outside(facts, ctx.settings))
        plan = make_plan(facts, ctx.settings, statement, found) if found else None
        if found is None or not isinstance(plan, Plan):
            return None
        foreign = {id(alias) for alias, _ in found}
        edits = [remove_aliases(ctx, statement, [i for i, a in enumerate(statement.names) if id(a) in foreign])]
        edits += _dispatch_edits(ctx, plan)
        if None in edits:
            return None  # a comment would be lost
        specs: list[ImportSpec] = [("celery", "signature", None)] if plan.add_signature else []
        specs += [plan.app_import] if plan.app_import else []
        return [*edits, *add_imports(ctx, specs)]


# --- detection ------------------------------------------------------------------------
def _packages_outside(facts, settings) -> tuple[str, ...]:
    """The foreign packages this module is not part of (its own package may import itself):
    the configured ones, and with the project model the top-level packages of the other
    services that make a Celery app or define tasks (a shared library is no other service),
    when this file's own service uses Celery."""
    packages = settings.foreign_packages
    project = facts.project
    # a folder of tools or a build script with no Celery of its own (`qa/`, the `setup.py` of
    # a `src/` project) uses the package as a library: no task of it is sent from there
    own = project.service_of(facts.path) if project is not None else None
    if project is not None and own is not None and project.uses_celery(own):
        others = (p for service, found in project.celery_packages.items() if service != own for p in found)
        packages = tuple(sorted({*packages, *others}))
    inside = packages_holding(packages, facts.path, facts.module_name, settings.root)
    return tuple(p for p in packages if p not in inside)


def _own(facts, statement, alias) -> bool:
    """The import resolves to a module of the importing file's own service (a repository
    whose own package is named like another service's imports itself freely)."""
    project = facts.project
    if project is None:
        return False
    module = statement.module if isinstance(statement, ast.ImportFrom) else alias.name
    return project.resolve(module, project.service_of(facts.path)) is not None


def _foreign(dotted: str, packages) -> str | None:
    return next((p for p in packages if is_within(dotted, p)), None)


def foreign_aliases(statement: ast.Import | ast.ImportFrom, packages) -> list[tuple[ast.alias, str]]:
    """The aliases of an import statement that bring in a foreign package, with the package."""
    if isinstance(statement, ast.Import):
        found = [(alias, _foreign(alias.name, packages)) for alias in statement.names]
    elif statement.level or not statement.module:  # relative imports stay inside this service
        return []
    else:
        module = statement.module
        found = [(a, _foreign(module, packages) or _foreign(f"{module}.{a.name}", packages)) for a in statement.names]
    return [(alias, package) for alias, package in found if package]


def _dynamic_import(facts, call: ast.Call, packages) -> tuple[str, str] | None:
    """(module text, package) when `call` imports a foreign module through importlib or
    `__import__`: every value its name can have names a foreign package."""
    values = dynamic_import_values(facts, call)
    if values is None:
        return None
    modules, owners = [], []
    for text, complete in values:
        package = next((p for p in packages if text.startswith(p + ".") or (complete and text == p)), None)
        if package is None:
            return None
        modules.append(text if complete else text + "…")
        owners.append(package)
    return " / ".join(dict.fromkeys(modules)), " / ".join(dict.fromkeys(owners))


# --- the fix plan, shared by detection (is there a fix?) and the fixer ------------------
@dataclass(frozen=True)
class Use:
    call: ast.Call  # the `.delay(...)` / `.apply_async(...)` call
    method: str
    task: str  # the task name the signature will carry


@dataclass(frozen=True)
class Plan:
    uses: tuple[Use, ...]
    signature: str  # local name of celery.signature to call
    add_signature: bool
    app: str  # local name of the app
    app_import: tuple[str, str | None, str | None] | None  # the app import to add, when missing


def make_plan(facts, settings, statement, found) -> Plan | str:
    """What the fix would do for one import statement, or why it cannot be done."""
    if any(alias.name == "*" for alias, _ in found):
        return "a star import hides which names are used"
    scope = facts.scope_of(statement)
    if scope.kind == "class":
        return "the import binds class attributes, whose uses cannot be followed"
    comment = _lost_comment(facts, statement, found)
    if comment:
        return comment
    uses: list[Use] = []
    for alias, package in found:
        local, path, is_module = alias_binding(statement, alias)
        if any(b.node is not statement for b in scope.bindings.get(local, ())):
            return f"`{local}` is also bound elsewhere in this scope"
        if scope.kind == "module" and local in dunder_all(facts):
            return f"`{local}` is re-exported in `__all__`"
        for name in facts.nodes(ast.Name):
            if name.id != local or not isinstance(name.ctx, ast.Load):
                continue
            bound = facts.lookup(local, facts.scope_of(name), name)
            if bound is None or not any(b.node is statement for b in bound[1]):
                continue  # another binding of the same name (a local, a parameter)
            use = _use(facts, settings, name, path, is_module, package)
            if isinstance(use, str):
                return use
            uses.append(use)
    if not uses:  # nothing to rewrite: the import just goes
        return Plan((), "signature", False, "app", None)
    sites = {id(s): s for s in (facts.scope_of(u.call) for u in uses)}.values()
    signature = _import_name(facts, sites, SIGNATURE_NAMES, "signature")
    if isinstance(signature, str):
        return signature
    app = _app_name(facts, settings, sites)
    if isinstance(app, str):
        return app
    return Plan(tuple(uses), signature[0], signature[1], app[0], app[1])


def _lost_comment(facts, statement, found) -> str | None:
    """Why a comment between the import's brackets would be lost, if one would: when some
    of its names stay, or when it is the body of a one-line `if x: ...`, there is no line
    of its own to keep it on. (Only a comment can hold `#` in an import statement.)"""
    if "#" not in source_segment(facts, statement):
        return None
    if len(found) < len(statement.names):
        return "a comment inside the import would be lost with the names removed from it"
    start = facts.range(statement).start
    if facts.index.line_text(start.line)[: start.column].rstrip().endswith(":"):
        return "a comment inside the import has no line of its own to stay on"
    return None


def _use(facts, settings, name: ast.Name, path: list[str], is_module: bool, package: str) -> Use | str:
    """The dispatch a reference of an imported name is part of, or why it is no dispatch."""
    attributes = []
    node: ast.expr = name
    parent = facts.parent(name)
    while isinstance(parent, ast.Attribute) and parent.value is node:
        attributes.append(parent.attr)
        node, parent = parent, facts.parent(parent)
    other = f"`{name.id}` is used other than by `.delay()`/`.apply_async()` (line {name.lineno})"
    if not attributes or attributes[-1] not in DISPATCH_METHODS:
        return other
    if not (isinstance(parent, ast.Call) and parent.func is node):
        return other
    if is_module and len(attributes) < 2:  # `rag.tasks.delay()`: a module has no `.delay`
        return other
    if "#" in source_segment(facts, node):  # only a comment can hold `#` in a.b.c
        return f"a comment inside `{facts.text(node)}` (line {name.lineno}) would be lost"
    full = [*path, *attributes[:-1]]
    reason = unconvertible_arguments(parent, attributes[-1])
    if reason:
        return reason
    task = settings.task_name_template.format(package=package, module=".".join(full[:-1]), name=full[-1])
    return Use(parent, attributes[-1], task)


def _import_name(facts, sites, qualnames, default: str) -> tuple[str, bool] | str:
    """(local name, whether an import must be added) for an object, or why it would clash."""
    existing = imported_as(facts, qualnames)
    name = existing or default
    if not reads_import(facts, name, sites, qualnames):
        return f"`{name}` is already bound to something else where the task is dispatched"
    return name, existing is None


def _app_name(facts, settings, sites) -> tuple[str, tuple | None] | str:
    """(local name of the app, its import to add or None), or why there is none."""
    app = settings.app
    if app.spec is None:
        return "a relative `app-import` cannot be added to another module"
    if app.module is not None and facts.module_name == app.module and app.local in facts.module_scope.bindings:
        # this module is where the app is made: use it where it is not shadowed
        if all(facts.lookup(app.local, scope)[0] is facts.module_scope for scope in sites):
            return app.local, None
        return f"`{app.local}` is already bound to something else where the task is dispatched"
    found = _import_name(facts, sites, {app.qualname}, app.local)
    if isinstance(found, str):
        return found
    return found[0], app.spec if found[1] else None


# --- the fix ----------------------------------------------------------------------------
def _dispatch_edits(ctx, plan: Plan) -> list:
    """One replacement for each outermost dispatch (those in its arguments rewritten with
    it); [None] when a node is not found or a comment would be lost (or doubled)."""
    calls = {ctx.node_at(use.call, cst.Call): use for use in plan.uses}
    if None in calls:
        return [None]
    edits = []
    for node in calls:
        outer = ctx.parent(node)
        while outer is not None and outer not in calls:
            outer = ctx.parent(outer)
        if outer is not None:
            continue  # rewritten with the dispatch it is in
        new = rewritten(node, lambda old, new: _signature_dispatch(new, calls[old], plan) if old in calls else None)
        if sorted(c.value for c in comments_in(new)) != sorted(c.value for c in comments_in(node)):
            return [None]
        edits.append(ctx.replace(node, new))
    return edits


def _signature_dispatch(call, use: Use, plan: Plan):
    """`signature("rag.x", args=[...], kwargs={...}, app=app).apply_async(<options>)`."""
    task = cst.Arg(cst.SimpleString(f'"{use.task}"'))
    opening = call.whitespace_before_args
    options: list = []
    if use.method == "delay":
        moved = delay_arguments(call)
        if moved:  # the opening went into the first bracket
            opening = cst.SimpleWhitespace("")
    else:
        moved, options = apply_async_arguments(call)
    if not options and not has_comment(opening):
        opening = cst.SimpleWhitespace("")
    signature = cst.Call(func=cst.Name(plan.signature), args=[task, *moved, keyword("app", cst.Name(plan.app))])
    return cst.Call(
        func=cst.Attribute(signature, cst.Name("apply_async")),
        args=options,
        whitespace_before_args=opening,
        lpar=call.lpar,
        rpar=call.rpar,
    )
