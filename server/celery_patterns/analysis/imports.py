"""Imports: what an import binds, whether it ever runs, what a dynamic import names.

- `alias_binding`: the local name an alias of an import statement binds, and the dotted
  path that name stands for.
- `type_checking_only`: a statement in the branch of `if TYPE_CHECKING:` that only a type
  checker takes.
- `dynamic_import_values`: every module name `importlib.import_module(...)` or
  `__import__(...)` can be given, relative names resolved.
- `imported_as` / `reads_import`: the module-level name an object is imported under, and
  whether code reads that import where it runs.
- `dunder_all`: the names a module lists in `__all__`.
- `function_path`: how code in a scope names `module.function` (`uuid.uuid4`), and whether
  an import must be added for it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from typing import Any

from .facts import ModuleFacts, Scope
from .strings import string_values

DYNAMIC_IMPORTERS = frozenset({"importlib.import_module", "importlib.__import__", "builtins.__import__"})
TYPE_CHECKING_FLAGS = frozenset({"typing.TYPE_CHECKING", "typing_extensions.TYPE_CHECKING"})


def alias_binding(statement: ast.Import | ast.ImportFrom, alias: ast.alias) -> tuple[str, list[str], bool]:
    """(local name, dotted path it stands for, whether it is certainly a module) for one
    alias: `import a.b` binds `a` (the path `a`), `import a.b as c` binds `c` (`a.b`),
    `from a import b` binds `b` (`a.b`, a module or not)."""
    if isinstance(statement, ast.ImportFrom):
        return alias.asname or alias.name, [*(statement.module or "").split("."), alias.name], False
    if alias.asname:
        return alias.asname, alias.name.split("."), True
    top = alias.name.split(".", 1)[0]
    return top, [top], True


def type_checking_only(facts: ModuleFacts, statement: ast.AST) -> bool:
    """True inside the branch of an `if TYPE_CHECKING:` (or `if not TYPE_CHECKING: ... else:`)
    that only a type checker takes. The flag must be typing's (or typing_extensions'),
    through any import alias: a module's own `TYPE_CHECKING = True` may be true at run time."""
    child = statement
    for ancestor in facts.ancestors(statement):
        if isinstance(ancestor, ast.If):
            test, negated = ancestor.test, False
            if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
                test, negated = test.operand, True
            branch = ancestor.orelse if negated else ancestor.body
            flag = isinstance(test, (ast.Name, ast.Attribute)) and facts.resolve(test) in TYPE_CHECKING_FLAGS
            if flag and any(s is child for s in branch):
                return True
        child = ancestor
    return False


def dynamic_import_values(facts: ModuleFacts, call: ast.Call) -> list[tuple[str, bool]] | None:
    """The module names a call of `importlib.import_module` or `__import__` can import, as
    `string_values` gives them (text, complete); a relative name (`import_module(".tasks",
    package="rag")`) joined to its one known `package=`. None when `call` is no dynamic
    import, or when some value is not known."""
    importer = facts.resolve(call.func)
    if importer not in DYNAMIC_IMPORTERS:
        return None
    name = _argument(call, 0, "name")
    values = string_values(facts, name) if name is not None else None
    if not values:
        return None
    resolved = []
    for text, complete in values:
        if text.startswith("."):
            base = _relative_base(facts, call) if importer == "importlib.import_module" else None
            if base is None:
                return None
            text = base + text
        resolved.append((text, complete))
    return resolved


def _relative_base(facts: ModuleFacts, call: ast.Call) -> str | None:
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


def imported_as(facts: ModuleFacts, qualnames: Iterable[str]) -> str | None:
    """A module-level name bound only by imports of one of `qualnames` (`from celery import
    signature as sig`), in binding order."""
    qualnames = set(qualnames)
    for name, bindings in facts.module_scope.bindings.items():
        if bindings and all(b.kind == "import" and b.qualname in qualnames for b in bindings):
            return name
    return None


def reads_import(facts: ModuleFacts, name: str, scopes: Iterable[Scope], qualnames: Iterable[str]) -> bool:
    """`name` read in each of `scopes` is unbound or bound only by imports of `qualnames`:
    an import of it under that name, existing or added, is what code there reads."""
    qualnames = set(qualnames)
    for scope in scopes:
        found = facts.lookup(name, scope)
        if found is not None and not all(b.kind == "import" and b.qualname in qualnames for b in found[1]):
            return False
    return True


def dunder_all(facts: ModuleFacts) -> set[str]:
    """The string literals of the module's `__all__` assignments (`=`, `+=`, annotated)."""
    names = set()
    node: Any
    for node in facts.module_scope.walk_own(ast.Assign, ast.AugAssign, ast.AnnAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets) and node.value is not None:
            for element in getattr(node.value, "elts", ()):
                if isinstance(element, ast.Constant) and isinstance(element.value, str):
                    names.add(element.value)
    return names


def function_path(facts: ModuleFacts, scope: Scope, module: str, function: str) -> tuple[str | None, bool]:
    """How code in `scope` names `module.function` (`uuid.uuid4`), and whether `import
    module` must be added for it: through a name bound only by importing the module
    (`u.uuid4` after `import uuid as u`) or the function (`uuid4`), else `module.function`
    with the import to add; (None, False) when `module` means something else there."""
    qualnames = {module, f"{module}.{function}"}

    def module_level() -> list[str]:
        # The module-level candidates; other module-level names cannot reach them.
        return [
            name
            for name, bindings in facts.module_scope.bindings.items()
            if all(b.kind == "import" for b in bindings) and {b.qualname for b in bindings} <= qualnames
        ]

    visible = set(facts.memo(f"function_path:{module}.{function}", module_level))
    current: Scope | None = scope
    while current is not None and current is not facts.module_scope:
        visible.update(current.bindings)
        current = current.parent
    for name in sorted(visible):
        found = facts.lookup(name, scope)
        if not found or not all(b.kind == "import" for b in found[1]):
            continue
        bound = {b.qualname for b in found[1]}
        if bound == {module}:
            return f"{name}.{function}", False
        if bound == {f"{module}.{function}"}:
            return name, False
    if facts.lookup(module, scope) is not None:
        return None, False
    return f"{module}.{function}", True
