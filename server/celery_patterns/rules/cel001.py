"""CEL001 foreign-service-import: code of another service imported instead of a task signature.

## What it does
Flags `import rag...` and `from rag... import ...` (any alias, also inside functions and
`try` blocks) and `importlib.import_module(...)` / `__import__(...)` of a string that
names the `rag` package, in every module outside the `rag` package itself. The string
may be a literal, an f-string or `"rag.%s" % x` / `"rag.{}".format(x)` whose constant
head names the package, or a name bound to such strings: it is flagged when every value
the name can have (each assignment in its scope, both sides of `a if c else b`) names a
foreign package. The foreign service packages are configurable (`foreign-packages`,
default `["rag"]`); a module inside one of them may import that package freely. A module
is inside a package when its dotted name is (from the `__init__.py` files), or when its
path in the project (relative to the directory of the configuration, else to the working
directory) starts with the package's directories: `rag/tasks/ingest.py` is part of `rag`
even when `rag/` is a namespace package without `__init__.py`. A directory named `rag`
above the project says nothing.

Look-alikes stay clean: `import ragas`, `from ragtime import x`, `import myrag`, relative
imports (`from .rag import x`), strings such as `"ragas.x"` or `f"rag{suffix}"`, and an
`import_module` that is not `importlib`'s.

Imports in the branch of `if TYPE_CHECKING:` that only a type checker takes (the body, or
the `else` of `if not TYPE_CHECKING:`) are not flagged: they never run, so they add no
runtime coupling between the services (they only tie the type checker's environment to
the other package, which is a packaging choice). The flag must be `typing.TYPE_CHECKING`
or `typing_extensions.TYPE_CHECKING`, through any import alias (`import typing as t`,
`if t.TYPE_CHECKING:`); a module's own `TYPE_CHECKING = True` or `settings.TYPE_CHECKING`
may be true at run time, and the imports under it are flagged.

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
drops its side effects. The comments of a removed import line (`# the worker` after it,
or those between its brackets) stay where the line was, each on a line of its own.

No fix is offered when an imported name is used in any other way (called in-process,
passed around, `.s()`, other attributes), for a module imported whole and used as such,
dynamic and star imports, a name bound again elsewhere, when `signature` or the app
name is already bound to something else where it would be used, or when a comment inside
the import has no line to stay on (`if x: from rag.tasks import (a,  # why`).
"""

from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..analysis.celery import CANVAS, DISPATCH_METHODS
from ..analysis.strings import string_values
from ..fixes.lazy import cst
from ..ftypes import FixSafety, Severity
from .base import Rule

DYNAMIC_IMPORTERS = frozenset({"importlib.import_module", "importlib.__import__", "builtins.__import__"})
SIGNATURE_NAMES = CANVAS["signature"]
TYPE_CHECKING_FLAGS = frozenset({"typing.TYPE_CHECKING", "typing_extensions.TYPE_CHECKING"})


class ForeignServiceImport(Rule):
    code = "CEL001"
    name = "foreign-service-import"
    message = "direct import from a foreign service; send its tasks with `signature()` instead"
    severity = Severity.HIGH
    fix_safety = FixSafety.UNSAFE
    fix_title = "Dispatch with `signature(...)` and remove the import"
    triggers = ("import",)  # import statements, import_module() and __import__() all contain it

    def applies_to(self, source, settings):
        # An import of a package spells its last name as a word (`import rag`, `from rag.x
        # import y`, `from acme import rag`); a dynamic one spells `import_module` or `__import__`.
        if "import_module" in source or "__import__" in source:
            return True
        return "import" in source and _package_words(settings.foreign_packages).search(source) is not None

    def check(self, facts, settings):
        packages = _packages_outside(facts, settings)
        if not packages:
            return
        statements = sorted(facts.nodes(ast.Import, ast.ImportFrom), key=lambda s: (s.lineno, s.col_offset))
        first_adding_imports = None
        for statement in statements:
            found = foreign_aliases(statement, packages)
            if not found or _type_checking_only(facts, statement):
                continue
            module, package = _imported_module(statement, found), found[0][1]
            plan = make_plan(facts, settings, statement, found)
            if isinstance(plan, Plan) and plan.adds_imports and not _suppressed(facts, statement, self.code):
                # Two fixes that each add `from celery import signature` would both be taken in
                # one fix-all round (their edits do not overlap) and import it twice: the
                # later ones wait until the first has added the imports.
                if first_adding_imports is None:
                    first_adding_imports = statement.lineno
                else:
                    plan = f"fix the import on line {first_adding_imports} first: both add the same imports"
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
        packages = _packages_outside(facts, ctx.settings)
        statement = facts.node_at(finding.range, ast.Import, ast.ImportFrom)
        if statement is None:
            return None
        found = foreign_aliases(statement, packages)
        plan = make_plan(facts, ctx.settings, statement, found) if found else "not foreign"
        if isinstance(plan, str):
            return None
        target = ctx.node_at(finding.range, cst.Import, cst.ImportFrom)
        if target is None:
            return None
        calls = {}
        for use in plan.uses:
            node = ctx.node_at(facts.range(use.call), cst.Call)
            if node is None:
                return None
            calls[node] = use
        drop = None
        if len(found) < len(statement.names):  # `import os, rag.tasks`: keep `os`
            foreign = {id(alias) for alias, _ in found}
            drop = {i for i, alias in enumerate(statement.names) if id(alias) in foreign}
        module = _rewrite(ctx.module, target, drop, calls, plan)
        if module is None:
            return None
        if plan.adds_imports:
            from ..fixes.legacy import add_imports  # late: checks never load libcst

            imports = [("celery", "signature", None)] if plan.add_signature else []
            module = add_imports(module, [*imports, *filter(None, [plan.app_import])])
        return module


# --- detection ------------------------------------------------------------------------
def _within(dotted: str, package: str) -> bool:
    return dotted == package or dotted.startswith(package + ".")


def _foreign(dotted: str, packages) -> str | None:
    return next((p for p in packages if _within(dotted, p)), None)


@lru_cache(maxsize=8)
def _package_words(packages: tuple[str, ...]) -> re.Pattern:
    names = sorted({p.rsplit(".", 1)[-1] for p in packages if p}) or ["(?!)"]
    return re.compile(r"\b(?:" + "|".join(re.escape(n) for n in names) + r")\b")


def _packages_outside(facts, settings) -> tuple[str, ...]:
    """The foreign packages this module is not part of (its own package may import itself).

    A module is part of a package when its dotted name is inside it, or when its path in
    the project starts with the package's directories: `rag/tasks/ingest.py` belongs to
    `rag` even when `rag/` has no `__init__.py` (a namespace package), which the dotted
    name derived from `__init__.py` files cannot tell."""
    name = _module_name(facts, settings)
    parts = _project_parts(facts.path, settings)
    return tuple(
        p
        for p in settings.foreign_packages
        if not (name is not None and _within(name, p))
        and not (parts is not None and parts[: p.count(".") + 1] == p.split("."))
    )


def _module_name(facts, settings) -> str | None:
    if facts.module_name:
        return facts.module_name
    path = facts.path
    if not path or path.startswith("<"):
        return None
    from ..discovery import module_name_for

    return module_name_for(path, settings.root)


def _project_parts(path: str, settings) -> list[str] | None:
    """The file's path in the project, without its suffix and a leading `src/`: relative to
    the configuration's directory, else to the working directory; None outside both. Only
    directories inside the project count: an ancestor of it named `rag` says nothing."""
    if not path or path.startswith("<"):
        return None
    file = Path(os.path.abspath(path))
    try:
        bases = [settings.root, os.getcwd()]
    except OSError:  # the working directory is gone
        bases = [settings.root]
    for base in filter(None, bases):
        try:
            parts = list(file.with_suffix("").relative_to(os.path.abspath(base)).parts)
        except ValueError:
            continue
        return parts[1:] if parts[:1] == ["src"] else parts
    return None


def foreign_aliases(statement: ast.Import | ast.ImportFrom, packages) -> list[tuple[ast.alias, str]]:
    """The aliases of an import statement that bring in a foreign package, with the package."""
    found = []
    if isinstance(statement, ast.Import):
        for alias in statement.names:
            package = _foreign(alias.name, packages)
            if package:
                found.append((alias, package))
        return found
    if statement.level or not statement.module:  # relative imports stay inside this service
        return found
    for alias in statement.names:
        package = _foreign(statement.module, packages) or _foreign(f"{statement.module}.{alias.name}", packages)
        if package:
            found.append((alias, package))
    return found


def _suppressed(facts, statement, code: str) -> bool:
    """`# noqa` on the statement's line: the engine will drop its finding."""
    line = statement.lineno - 1
    if "noqa" not in facts.index.line_text(line).lower():
        return False
    from ..analysis.comments import LineComments

    codes = LineComments(facts.index, facts.tree).noqa_codes(line)
    return codes is not None and (not codes or code in codes)


def _imported_module(statement, found) -> str:
    if isinstance(statement, ast.ImportFrom):
        return statement.module
    return found[0][0].name


def _type_checking_only(facts, statement: ast.AST) -> bool:
    """True inside the branch of an `if TYPE_CHECKING:` (or `if not TYPE_CHECKING: ... else:`)
    that only a type checker takes."""
    child = statement
    for ancestor in facts.ancestors(statement):
        if isinstance(ancestor, ast.If):
            test, negated = ancestor.test, False
            if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
                test, negated = test.operand, True
            branch = ancestor.orelse if negated else ancestor.body
            if _is_type_checking(facts, test) and any(s is child for s in branch):
                return True
        child = ancestor
    return False


def _is_type_checking(facts, expr: ast.AST) -> bool:
    """`typing.TYPE_CHECKING` (or typing_extensions'), through any import alias; a flag of
    the same name that is not typing's may well be true at run time."""
    return isinstance(expr, (ast.Name, ast.Attribute)) and facts.resolve(expr) in TYPE_CHECKING_FLAGS


def _dynamic_import(facts, call: ast.Call, packages) -> tuple[str, str] | None:
    """(module text, package) when `call` imports a foreign module through importlib or
    `__import__`: every value its name can have names a foreign package."""
    importer = facts.resolve(call.func)
    if importer not in DYNAMIC_IMPORTERS:
        return None
    name = _argument(call, 0, "name")
    if name is None:
        return None
    values = string_values(facts, name)
    if not values:
        return None
    modules, owners = [], []
    for text, complete in values:
        if text.startswith("."):  # import_module(".tasks", package="rag")
            base = _relative_base(facts, call) if importer == "importlib.import_module" else None
            if base is None:
                return None
            text = base + text
        package = next((p for p in packages if text.startswith(p + ".") or (complete and text == p)), None)
        if package is None:
            return None
        modules.append(text if complete else text + "…")
        owners.append(package)
    return " / ".join(dict.fromkeys(modules)), " / ".join(dict.fromkeys(owners))


def _relative_base(facts, call: ast.Call) -> str | None:
    """The one complete value of `import_module`'s `package=` argument, if it has one."""
    argument = _argument(call, 1, "package")
    values = string_values(facts, argument) if argument is not None else None
    texts = {text for text, complete in values or () if complete}
    if values and len(texts) == 1 and all(complete for _, complete in values):
        return texts.pop()
    return None


def _argument(call: ast.Call, position: int, keyword: str) -> ast.expr | None:
    if len(call.args) > position and not any(isinstance(a, ast.Starred) for a in call.args[: position + 1]):
        return call.args[position]
    return next((k.value for k in call.keywords if k.arg == keyword), None)


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
    app_import: tuple[str, str | None, str | None] | None  # for fixing.add_imports, when missing

    @property
    def adds_imports(self) -> bool:
        return bool(self.uses) and (self.add_signature or self.app_import is not None)


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
        local, path, is_module = _bound(statement, alias)
        if any(b.node is not statement for b in scope.bindings.get(local, ())):
            return f"`{local}` is also bound elsewhere in this scope"
        if scope.kind == "module" and local in _dunder_all(facts):
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
    signature = _name_for(facts, sites, SIGNATURE_NAMES, "signature")
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
    rng = facts.range(statement)
    if "#" not in facts.index.text[facts.index.offset(rng.start) : facts.index.offset(rng.end)]:
        return None
    if len(found) < len(statement.names):
        return "a comment inside the import would be lost with the names removed from it"
    if facts.index.line_text(rng.start.line)[: rng.start.column].rstrip().endswith(":"):
        return "a comment inside the import has no line of its own to stay on"
    return None


def _bound(statement, alias: ast.alias) -> tuple[str, list[str], bool]:
    """(local name, dotted path it stands for, whether it is certainly a module)."""
    if isinstance(statement, ast.ImportFrom):
        return alias.asname or alias.name, [*statement.module.split("."), alias.name], False
    if alias.asname:
        return alias.asname, alias.name.split("."), True
    top = alias.name.split(".", 1)[0]
    return top, [top], True


def _use(facts, settings, name: ast.Name, path: list[str], is_module: bool, package: str) -> Use | str:
    """The dispatch a reference of an imported name is part of, or why it is no dispatch."""
    attributes = []
    node, parent = name, facts.parent(name)
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
    if "#" in (ast.get_source_segment(facts.source, node) or ""):  # only a comment can hold `#` in a.b.c
        return f"a comment inside `{facts.text(node)}` (line {name.lineno}) would be lost"
    full = [*path, *attributes[:-1]]
    reason = _arguments_problem(parent, attributes[-1])
    if reason:
        return reason
    task = settings.task_name_template.format(package=package, module=".".join(full[:-1]), name=full[-1])
    return Use(parent, attributes[-1], task)


def _arguments_problem(call: ast.Call, method: str) -> str | None:
    if method == "delay":
        if call.keywords and call.args:
            first_keyword = min((k.lineno, k.col_offset) for k in call.keywords)
            if any((a.lineno, a.col_offset) > first_keyword for a in call.args):
                return "a positional argument follows a keyword argument in `.delay()`"
        return None
    if len(call.args) > 2 or any(isinstance(a, ast.Starred) for a in call.args):
        return "`.apply_async()` gets arguments beyond `args` and `kwargs` by position"
    keywords = {k.arg for k in call.keywords}
    if ("args" in keywords and call.args) or ("kwargs" in keywords and len(call.args) > 1):
        return "`.apply_async()` gets `args`/`kwargs` twice"
    return None


def _dunder_all(facts) -> set[str]:
    names = set()
    for node in facts.module_scope.walk_own(ast.Assign, ast.AugAssign, ast.AnnAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets) and node.value is not None:
            for element in getattr(node.value, "elts", ()):
                if isinstance(element, ast.Constant) and isinstance(element.value, str):
                    names.add(element.value)
    return names


def _module_import(facts, qualnames) -> str | None:
    """A module-level name bound only by imports of one of `qualnames`."""
    for name, bindings in facts.module_scope.bindings.items():
        if bindings and all(b.kind == "import" and b.qualname in qualnames for b in bindings):
            return name
    return None


def _name_for(facts, sites, qualnames, default: str) -> tuple[str, bool] | str:
    """(local name, whether an import must be added) for an object, or why it would clash."""
    existing = _module_import(facts, qualnames)
    name = existing or default
    for scope in sites:
        found = facts.lookup(name, scope)
        if found is not None and not all(b.kind == "import" and b.qualname in qualnames for b in found[1]):
            return f"`{name}` is already bound to something else where the task is dispatched"
    return name, existing is None


def _app_name(facts, settings, sites) -> tuple[str, tuple | None] | str:
    app = settings.app
    local, needed = app.local, app.spec
    if needed is None:
        return "a relative `app-import` cannot be added to another module"
    if app.module is not None and facts.module_name == app.module and local in facts.module_scope.bindings:
        # this module is where the app is made: use it where it is not shadowed
        if all(facts.lookup(local, scope)[0] is facts.module_scope for scope in sites):
            return local, None
        return f"`{local}` is already bound to something else where the task is dispatched"
    found = _name_for(facts, sites, {app.qualname}, local)
    if isinstance(found, str):
        return found
    name, missing = found
    return name, needed if missing else None


# --- the fix ----------------------------------------------------------------------------
# Functions, not constants: building a node at import time would load libcst for every check.
def _empty():
    return cst.SimpleWhitespace("")


def _comma():
    return cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))


def _equal():
    return cst.AssignEqual(whitespace_before=_empty(), whitespace_after=_empty())


def _rewrite(module, statement, drop: set[int] | None, calls: dict, plan: Plan):
    """The module with the dispatches replaced and the import removed, in one pass; None
    when a comment would be lost.

    The comments of a removed import line (after it, or inside its brackets) stay where
    the line was, each on a line of its own."""

    class Rewriter(cst.CSTTransformer):
        """Replaces the dispatches and removes the import in one pass."""

        def __init__(self, statement, drop: set[int] | None, calls: dict, plan: Plan) -> None:
            super().__init__()
            self.statement = statement
            self.drop = drop  # indexes of aliases to remove; None: the whole statement
            self.calls = calls
            self.plan = plan
            self.failed = False
            self.orphan = None  # (removed line, its leading lines) waiting for its block

        def leave_Call(self, original, updated):
            use = self.calls.get(original)
            if use is None:
                return updated
            new = _signature_dispatch(updated, use, self.plan)
            if _comments(new) != _comments(updated):  # never lose (or duplicate) a comment
                self.failed = True
                return updated
            return new

        def leave_Import(self, original, updated):
            return self._remove_import(original, updated)

        def leave_ImportFrom(self, original, updated):
            return self._remove_import(original, updated)

        def _remove_import(self, original, updated):
            if original is not self.statement:
                return updated
            if self.drop is None:
                return cst.RemoveFromParent()
            if any(_comments(a) for i, a in enumerate(updated.names) if i in self.drop):
                self.failed = True  # `import os, rag  # why` keeps its line comment; these would go
                return updated
            names = [a for i, a in enumerate(updated.names) if i not in self.drop]
            # The last name keeps the ending of the statement's last one (a trailing comma
            # and line break before `)`, or nothing).
            names[-1] = names[-1].with_changes(comma=updated.names[-1].comma)
            return updated.with_changes(names=names)

        def _small_statements(self, original, updated):
            """The remaining statements of a line that held the import (`import os; import rag`)."""
            body = list(updated.body)
            if body and original.body[-1] is self.statement:  # the last one goes: its `;` too
                body[-1] = body[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
            return body

        def _removed_comments(self, original) -> list:
            """Comment lines for the comments inside the import statement, if it goes whole."""
            if self.drop is not None:
                return []
            inside = next(s for s in original.body if s is self.statement)
            return [_comment_line(text) for text in _comments(inside, ordered=True)]

        def leave_SimpleStatementLine(self, original, updated):
            if not any(s is self.statement for s in original.body):
                return updated
            kept = self._removed_comments(original)
            body = self._small_statements(original, updated)
            if body:  # `import os; import rag  # note`: the line and its comment stay
                return updated.with_changes(body=body, leading_lines=[*updated.leading_lines, *kept])
            if original.trailing_whitespace.comment is not None:
                kept.append(_comment_line(original.trailing_whitespace.comment.value))
            self.orphan = (original, [*original.leading_lines, *kept])
            return cst.RemoveFromParent()

        def leave_SimpleStatementSuite(self, original, updated):
            if not any(s is self.statement for s in original.body):
                return updated
            if self._removed_comments(original):
                self.failed = True  # `if x: from rag import (a,  # why` has no line to put it on
                return updated
            return updated.with_changes(body=self._small_statements(original, updated) or [cst.Pass()])

        def leave_IndentedBlock(self, original, updated):
            return self._adopt_orphan(original, updated, pass_if_empty=True)

        def leave_Module(self, original, updated):
            return self._adopt_orphan(original, updated, pass_if_empty=False)

        def _adopt_orphan(self, original, updated, pass_if_empty: bool):
            """Keep the comments and blank lines above a removed import line: only the line goes."""
            if self.orphan is None or not any(s is self.orphan[0] for s in original.body):
                return updated
            line, lines = self.orphan
            self.orphan = None
            index = next(i for i, s in enumerate(original.body) if s is line)
            body = list(updated.body)
            if index < len(body):
                body[index] = body[index].with_changes(leading_lines=[*lines, *body[index].leading_lines])
                return updated.with_changes(body=body)
            if not body and pass_if_empty:
                return updated.with_changes(body=[cst.SimpleStatementLine([cst.Pass()], leading_lines=lines)])
            return updated.with_changes(footer=[*lines, *updated.footer])

    rewriter = Rewriter(statement, drop, calls, plan)
    new = module.visit(rewriter)
    return None if rewriter.failed else new


def _signature_dispatch(call: cst.Call, use: Use, plan: Plan) -> cst.Call:
    """`signature("rag.x", args=[...], kwargs={...}, app=app).apply_async(<options>)`."""
    task = cst.Arg(cst.SimpleString(f'"{use.task}"'), comma=_comma())
    app = cst.Arg(cst.Name(plan.app), keyword=cst.Name("app"), equal=_equal())
    opening = call.whitespace_before_args
    if use.method == "delay":
        moved, options = _delay_arguments(call), []
        if moved:  # the opening went into the first bracket
            opening = _empty()
    else:
        moved, options = _apply_async_arguments(call)
    if not options and not _has_comment(opening):
        opening = _empty()
    signature = cst.Call(func=cst.Name(plan.signature), args=[task, *moved, app])
    return cst.Call(
        func=cst.Attribute(signature, cst.Name("apply_async")),
        args=options,
        whitespace_before_args=opening,
        lpar=call.lpar,
        rpar=call.rpar,
    )


def _delay_arguments(call: cst.Call) -> list[cst.Arg]:
    """`delay(a, *b, k=v, **kw)` -> `args=[a, *b], kwargs={"k": v, **kw}`.

    Each argument keeps its own comma and the whitespace (comments, line breaks) after
    it; the whitespace after `(` moves after the first bracket, so a call written one
    argument per line stays one per line.
    """
    positional = [a for a in call.args if a.keyword is None and a.star != "**"]
    named = [a for a in call.args if a.keyword is not None or a.star == "**"]
    groups = [(k, items) for k, items in (("args", positional), ("kwargs", named)) if items]
    out = []
    opening = call.whitespace_before_args
    for index, (keyword, items) in enumerate(groups):
        elements = [_element(a) for a in items]
        closing = items[-1].whitespace_after_arg
        separator, next_opening = _comma(), _empty()
        if index < len(groups) - 1:  # the comma between the groups leaves the bracket
            comma = items[-1].comma
            elements[-1] = elements[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            closing = comma.whitespace_before
            if _has_comment(comma.whitespace_after):
                separator = comma.with_changes(whitespace_before=_empty())
            elif isinstance(comma.whitespace_after, cst.ParenthesizedWhitespace):
                next_opening = comma.whitespace_after  # a line break: the next group opens on it
        if keyword == "args":
            value = cst.List(
                elements, lbracket=cst.LeftSquareBracket(opening), rbracket=cst.RightSquareBracket(closing)
            )
        else:
            value = cst.Dict(elements, lbrace=cst.LeftCurlyBrace(opening), rbrace=cst.RightCurlyBrace(closing))
        out.append(cst.Arg(value, keyword=cst.Name(keyword), equal=_equal(), comma=separator))
        opening = next_opening
    return out


def _element(arg: cst.Arg):
    if arg.keyword is not None:
        return cst.DictElement(
            cst.SimpleString(f'"{arg.keyword.value}"'),
            arg.value,
            comma=arg.comma,
            whitespace_before_colon=_empty(),
            whitespace_after_colon=cst.SimpleWhitespace(" "),
        )
    if arg.star == "**":
        return cst.StarredDictElement(arg.value, comma=arg.comma, whitespace_before_value=arg.whitespace_after_star)
    if arg.star == "*":
        return cst.StarredElement(arg.value, comma=arg.comma, whitespace_before_value=arg.whitespace_after_star)
    return cst.Element(arg.value, comma=arg.comma)


def _apply_async_arguments(call: cst.Call) -> tuple[list[cst.Arg], list[cst.Arg]]:
    """(`args=`/`kwargs=` for the signature, the other options for `.apply_async()`)."""
    moved, options = [], []
    position = 0
    for arg in call.args:
        if arg.keyword is None and not arg.star:
            keyword = ("args", "kwargs")[position]
            position += 1
            arg = arg.with_changes(keyword=cst.Name(keyword), equal=_equal())
        elif arg.keyword is None or arg.keyword.value not in ("args", "kwargs"):
            options.append(arg)
            continue
        # In the middle of the signature call a line break would only look odd; a comment stays.
        comma = arg.comma if isinstance(arg.comma, cst.Comma) and _has_comment(arg.comma.whitespace_after) else _comma()
        after = arg.whitespace_after_arg if _has_comment(arg.whitespace_after_arg) else _empty()
        moved.append(arg.with_changes(comma=comma, whitespace_after_arg=after))
    last = call.args[-1] if call.args else None
    if (
        options
        and options[-1] is not last
        and not (isinstance(options[-1].comma, cst.Comma) and _has_comment(options[-1].comma.whitespace_after))
    ):  # it ends the call now: give it the call's ending (a comment of its own stays)
        comma = last.comma
        if isinstance(comma, cst.Comma):  # a comment there went with the moved argument
            comma = comma.with_changes(whitespace_after=_without_comments(comma.whitespace_after))
        options[-1] = options[-1].with_changes(
            comma=comma, whitespace_after_arg=_without_comments(last.whitespace_after_arg)
        )
    return moved, options


def _has_comment(whitespace) -> bool:
    if isinstance(whitespace, cst.ParenthesizedWhitespace):
        return whitespace.first_line.comment is not None or any(e.comment for e in whitespace.empty_lines)
    return False


def _without_comments(whitespace):
    if not _has_comment(whitespace):
        return whitespace
    return whitespace.with_changes(
        first_line=cst.TrailingWhitespace(), empty_lines=[e for e in whitespace.empty_lines if not e.comment]
    )


def _comments(node: cst.CSTNode, ordered: bool = False) -> list[str]:
    """The comments inside a node: sorted, or in source order."""
    found = []

    class Collect(cst.CSTVisitor):
        def visit_Comment(self, comment):
            found.append(comment.value)

    node.visit(Collect())
    return found if ordered else sorted(found)


def _comment_line(text: str):
    """A line holding only the comment `text`, at the indentation of its block."""
    return cst.EmptyLine(indent=True, whitespace=_empty(), comment=cst.Comment(text))
