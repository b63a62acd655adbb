"""Private helpers for CEL006, CEL007 and CEL008 (not a rule: the registry skips this module).

- `celery_apps`: every `Celery(...)` call with the name (or attribute) it is bound to.
- `app_references`: the expressions that refer to one app in the module (its name
  through scopes and simple aliases, parameters of local functions it is passed to).
- Text helpers for fixes that splice text into the source: these rules insert whole
  statements and dict entries, where copying the surrounding indentation and line
  endings by hand is simpler and more predictable than libcst whitespace nodes.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from ..celery_model import celery_app_calls
from ..facts import ModuleFacts, Scope


@dataclass(frozen=True, eq=False)
class CeleryApp:
    call: ast.Call
    statement: ast.stmt
    targets: tuple[ast.expr, ...]  # Name / Attribute targets the app is bound to (may be empty)
    scope: Scope  # scope of the statement that makes the app

    @property
    def name(self) -> str | None:
        return ast.unparse(self.targets[0]) if self.targets else None


def position_key(node: ast.AST) -> tuple[int, int]:
    return (node.lineno, node.col_offset)


def statement_of(facts: ModuleFacts, node: ast.AST) -> ast.stmt | None:
    current: ast.AST | None = node
    while current is not None and not isinstance(current, ast.stmt):
        current = facts.parent(current)
    return current


def top_level_statement(facts: ModuleFacts, node: ast.AST) -> ast.stmt | None:
    """The statement of the module body that holds `node`."""
    current: ast.AST | None = node
    while current is not None:
        parent = facts.parent(current)
        if isinstance(parent, ast.Module):
            return current if isinstance(current, ast.stmt) else None
        current = parent
    return None


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
    return apps


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


def local_function(facts: ModuleFacts, func: ast.expr) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The `def` a called name refers to, when it is defined in this module."""
    if not isinstance(func, ast.Name):
        return None
    hit = facts.lookup(func.id, facts.scope_of(func))
    if hit is None or len(hit[1]) != 1 or hit[1][0].kind != "def":
        return None
    node = hit[1][0].node
    return node if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else None


def parameter_for(function: ast.FunctionDef | ast.AsyncFunctionDef, call: ast.Call, arg: ast.expr) -> str | None:
    """The parameter of `function` that `arg` (an argument of `call`) is passed to."""
    positional = [*function.args.posonlyargs, *function.args.args]
    for index, value in enumerate(call.args):
        if value is arg:
            if isinstance(value, ast.Starred):
                return None
            if index < len(positional):
                return positional[index].arg
            return None
    for keyword in call.keywords:
        if keyword.value is arg and keyword.arg:
            names = {a.arg for a in [*positional, *function.args.kwonlyargs]}
            return keyword.arg if keyword.arg in names else None
    return None


# --- text -------------------------------------------------------------------------------
def offset_of(facts: ModuleFacts, node: ast.AST, end: bool = False) -> int:
    rng = facts.range(node)
    return facts.index.offset(rng.end if end else rng.start)


def line_start(source: str, offset: int) -> int:
    return max(source.rfind("\n", 0, offset), source.rfind("\r", 0, offset)) + 1


def line_end(source: str, offset: int) -> int:
    """Offset just past the line ending of the line holding `offset` (or len(source))."""
    i = offset
    while i < len(source) and source[i] not in "\r\n":
        i += 1
    if source.startswith("\r\n", i):
        return i + 2
    if i < len(source):
        return i + 1
    return i


def indentation(source: str, offset: int) -> str:
    """Leading whitespace of the line holding `offset`."""
    start = line_start(source, offset)
    i = start
    while i < len(source) and source[i] in " \t\x0c":
        i += 1
    return source[start:i]


def starts_line(source: str, offset: int) -> bool:
    """Only whitespace before `offset` on its line."""
    return source[line_start(source, offset):offset].strip(" \t\x0c") == ""


def ends_line(source: str, offset: int) -> bool:
    """Only whitespace or a comment after `offset` on its line."""
    end = line_end(source, offset)
    rest = source[offset:end].strip(" \t\x0c\r\n")
    return rest == "" or rest.startswith("#")


def alone_on_lines(facts: ModuleFacts, statement: ast.stmt) -> bool:
    source = facts.source
    return starts_line(source, offset_of(facts, statement)) and ends_line(source, offset_of(facts, statement, end=True))


def indent_unit(indent: str, default: str) -> str:
    """One level of indentation consistent with `indent` (tabs stay tabs)."""
    if "\t" in indent:
        return "\t"
    return default if "\t" not in default else "    "


def quote_of(source: str, node: ast.AST | None, facts: ModuleFacts, default: str = '"') -> str:
    """The quote character a string literal is written with."""
    if node is None:
        return default
    start = offset_of(facts, node)
    for char in source[start:start + 4]:
        if char in "'\"":
            return char
    return default


def first_string_literal(nodes) -> ast.Constant | None:
    for node in nodes:
        for sub in ast.walk(node):
            if isinstance(sub, ast.Constant) and isinstance(sub.value, str) and not isinstance(sub, ast.JoinedStr):
                return sub
    return None


def apply_insertions(source: str, insertions: list[tuple[int, str]]) -> str:
    """Insert texts at offsets (later offsets first so earlier ones stay valid)."""
    for offset, text in sorted(insertions, key=lambda pair: pair[0], reverse=True):
        source = source[:offset] + text + source[offset:]
    return source


def insert_after_line(source: str, offset: int, newline: str) -> tuple[int, str]:
    """Where a new line goes after the line holding `offset`, and the prefix it needs."""
    end = line_end(source, offset)
    if end == len(source) and not source.endswith(("\n", "\r")):
        return end, newline
    return end, ""


def blank_lines_after(source: str, offset: int) -> tuple[int, bool]:
    """Count of blank lines starting at `offset`, and whether code follows them."""
    count = 0
    i = offset
    while i < len(source):
        end = line_end(source, i)
        if source[i:end].strip() != "":
            return count, True
        count += 1
        i = end
    return count, False


def module_name_free(facts: ModuleFacts, name: str) -> bool:
    """`name` is neither bound at module level nor read as a global anywhere."""
    if name in facts.module_scope.bindings:
        return False
    for node in facts.nodes(ast.Name):
        if node.id == name and facts.lookup(name, facts.scope_of(node)) is None:
            return False
    return True


def name_free_in(facts: ModuleFacts, name: str, scope: Scope) -> bool:
    """`name` is not bound in `scope` (or what it sees) nor read as a global in it."""
    if facts.lookup(name, scope) is not None:
        return False
    for node in scope.walk_own(ast.Name):
        if node.id == name:
            return False
    for child in _descendant_scopes(scope):
        if name in child.bindings or any(n.id == name for n in child.walk_own(ast.Name)):
            return False
    return True


def _descendant_scopes(scope: Scope):
    for child in scope.children:
        yield child
        yield from _descendant_scopes(child)


def import_insertion(facts: ModuleFacts, before: ast.stmt | None, module: str) -> tuple[int, str] | None:
    """Where a new top-level `from <module> import ...` line goes, and its line prefix.

    After the first top-level `from <module> import ...` if there is one, else after the
    last top-level import before `before`, else before the first statement that is
    neither the docstring nor a `__future__` import.
    """
    body = facts.tree.body
    source = facts.source
    limit = position_key(before) if before is not None else None
    same = None
    last_import = None
    for statement in body:
        if limit is not None and position_key(statement) >= limit:
            break
        if isinstance(statement, ast.ImportFrom) and statement.level == 0 and statement.module == module and same is None:
            same = statement
        if isinstance(statement, (ast.Import, ast.ImportFrom)):
            last_import = statement
    anchor = same or last_import
    if anchor is not None:
        end = offset_of(facts, anchor, end=True)
        if not ends_line(source, end):
            return None
        return line_end(source, end), ""
    for index, statement in enumerate(body):
        is_doc = index == 0 and isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant) \
            and isinstance(statement.value.value, str)
        is_future = isinstance(statement, ast.ImportFrom) and statement.module == "__future__"
        if is_doc or is_future:
            continue
        start = statement_start(facts, statement)
        if not starts_line(source, start) or indentation(source, start):
            return None
        return line_start(source, start), ""
    return None


def statement_start(facts: ModuleFacts, statement: ast.stmt) -> int:
    """Offset where a statement begins, decorators included."""
    nodes = [statement, *getattr(statement, "decorator_list", ())]
    return min(offset_of(facts, node) for node in nodes)
