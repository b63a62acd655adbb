"""Names a fix can introduce, and the words of identifiers.

A fix that adds a variable (`waited`, `group_result`, `child_id`) or a module-level name
(`setup_celery_logging`, `DEFAULT_TASK_TIMEOUT`) must pick one that changes the meaning of
nothing: not visible where it is added, and not read or bound anywhere inside that scope
(a nested function may read a global of that name).
"""

from __future__ import annotations

import ast
import itertools
import re
from collections.abc import Iterable, Iterator

from .facts import ModuleFacts, Scope


def names_used(facts: ModuleFacts, scope: Scope) -> set[str]:
    """Every name read or bound in `scope` and the scopes nested in it (once per scope)."""

    def collect() -> set[str]:
        names: set[str] = set()
        pending = [scope]
        while pending:
            current = pending.pop()
            names.update(current.bindings)
            names.update(node.id for node in current.nodes if type(node) is ast.Name)
            pending.extend(current.children)
        return names

    return facts.memo(f"names_used:{id(scope)}", collect)


def is_free(facts: ModuleFacts, name: str, scope: Scope) -> bool:
    """A new binding of `name` in `scope` would shadow nothing and be read by nothing."""
    return facts.lookup(name, scope) is None and name not in names_used(facts, scope)


def free_name(facts: ModuleFacts, scope: Scope, candidates: Iterable[str], taken: Iterable[str] = ()) -> str | None:
    """The first candidate free in `scope` and not among `taken` (names the same fix adds)."""
    taken = set(taken)
    return next((c for c in candidates if c not in taken and is_free(facts, c, scope)), None)


def numbered(base: str, first: int = 2) -> Iterator[str]:
    """`base_2`, `base_3`, ...: endless, so a free one is always found."""
    return (f"{base}_{n}" for n in itertools.count(first))


def free_at_module_level(facts: ModuleFacts, name: str) -> bool:
    """`name` is neither bound at module level nor read as a global anywhere."""
    if name in facts.module_scope.bindings:
        return False
    return not any(
        node.id == name and facts.lookup(name, facts.scope_of(node)) is None for node in facts.nodes(ast.Name)
    )


def visible_from_module(facts: ModuleFacts, name: str, scope: Scope) -> bool:
    """`name` read in `scope` refers to the module-level binding (not shadowed)."""
    found = facts.lookup(name, scope)
    return found is not None and found[0] is facts.module_scope


def usable_name(facts: ModuleFacts, name: str, at: ast.AST) -> str:
    """Can `name` be read at `at`? "yes" (a parameter, or a variable assigned before),
    "free" (bound nowhere visible: it may be introduced), "no" (bound otherwise or later)."""
    scope = facts.scope_of(at)
    found = facts.lookup(name, scope)
    if found is None:
        return "free"
    where, bindings = found
    if any(b.kind not in ("assign", "param") for b in bindings):
        return "no"
    if where is not scope and scope.kind in ("function", "lambda"):
        return "yes"  # read from a closure or a module global when the function runs
    if any(b.kind == "param" or _position(b.node) < _position(at) for b in bindings):
        return "yes"
    return "no"


def _position(node: ast.AST) -> tuple[int, int]:
    return (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))


# snake_case and camelCase words: `handleCancel` -> handle, cancel; `HTTPCancel` -> http, cancel.
_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")


def words(identifier: str) -> list[str]:
    """The lower-case word parts of an identifier or URL path."""
    return [w.lower() for w in _WORD.findall(identifier)]


# --- a module's name at a point in the code -------------------------------------------------
# Names tried, in order, for a new `import asyncio [as name]` when no existing one can be used.
ASYNCIO_NAMES = ("asyncio", "aio", "asyncio_module")
COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def module_name_at(
    facts: ModuleFacts, node: ast.AST, module: str, candidates: tuple[str, ...], *, whole_module: bool = False
) -> tuple[str | None, bool, str | None]:
    """How code at `node` can name `module`: `(name, import needed, None)` with an existing
    module-level `import module [as name]` that reaches `node`, else the first of
    `candidates` free there for a new one; `(None, False, why)` when all are taken.

    With `whole_module`, a name some function rebinds through `global` is never used (a
    check of one function looks at it and the module-level code only; a fix looks wider)."""
    scope = facts.scope_of(node)
    hidden = _comprehension_targets(facts, node, scope.node)
    avoid = _rebound_through_global(facts) if whole_module else frozenset()
    for name in sorted(facts.imported_names(module, top_level=True)):
        if name not in avoid and _reaches_module_binding(facts, name, scope, hidden):
            return name, False, None
    for name in candidates:
        if (
            name in avoid
            or name in facts.module_scope.bindings
            or name in hidden
            or facts.lookup(name, scope) is not None
            or _declared_in_chain(name, scope)
        ):
            continue
        if name != module and facts.star_imports:
            continue  # a star import may bind it
        return name, True, None
    taken = ", ".join(f"`{c}`" for c in candidates)
    return None, False, f"no name for the `{module}` module is free here ({taken} are taken)"


def _comprehension_targets(facts: ModuleFacts, node: ast.AST, stop: ast.AST) -> set[str]:
    """Names bound by the comprehensions around `node`: they hide the module's names there."""
    names: set[str] = set()
    for ancestor in facts.ancestors(node):
        if ancestor is stop:
            break
        if isinstance(ancestor, COMPREHENSIONS):
            for generator in ancestor.generators:
                names.update(n.id for n in ast.walk(generator.target) if isinstance(n, ast.Name))
    return names


def _reaches_module_binding(facts: ModuleFacts, name: str, scope: Scope, hidden: set[str]) -> bool:
    """`name` read in `scope` is the module-level binding (not a local, parameter,
    comprehension variable or a name a `global` statement lets the function rebind)."""
    if name in hidden:
        return False
    found = facts.lookup(name, scope)
    if found is None or found[0] is not facts.module_scope:
        return False
    return not _declared_in_chain(name, scope)


def _declared_in_chain(name: str, scope: Scope) -> bool:
    """A `global`/`nonlocal` statement for `name` in the scopes the code sits in."""
    current: Scope | None = scope
    while current is not None and current.kind != "module":
        if name in current.global_names or name in current.nonlocal_names:
            return True
        current = current.parent
    return False


def _rebound_through_global(facts: ModuleFacts) -> frozenset[str]:
    """Module-level names some function assigns (`global name; name = ...`)."""
    return frozenset(n for s in facts.scopes for n in s.global_names if n in s.bindings)


def fresh_name(facts: ModuleFacts, scope: Scope, base: str, taken: Iterable[str] = ()) -> str:
    """`base` when it is free in `scope` and not `taken`, else `base_1`, `base_2`, ..."""
    name = free_name(facts, scope, itertools.chain([base], numbered(base, 1)), taken)
    assert name is not None  # `numbered` never ends
    return name


def last_identifier(expr: ast.AST) -> str:
    """The identifier an expression ends with, through calls, subscripts and awaits:
    `user.api_token` -> api_token, `AsyncResult(x)` -> AsyncResult, `jobs[0].stop` -> stop."""
    while isinstance(expr, (ast.Call, ast.Subscript, ast.Await)):
        expr = expr.func if isinstance(expr, ast.Call) else expr.value
    if isinstance(expr, ast.Attribute):
        return expr.attr
    return expr.id if isinstance(expr, ast.Name) else ""
