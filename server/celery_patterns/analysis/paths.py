"""Filesystem paths in expressions: what a path is made of, and what makes it fit for Windows.

- `path_references`: the names, attributes and items a path expression is made of.
- `normalises_separators`: `p.replace("\\\\", "/")`, `p.replace(os.sep, "/")`, `p.as_posix()`.
- `makes_url`: `pathname2url(p)`, `p.as_uri()`: the path is made a proper URL already.
- `helper_handles_windows`: the path goes through a function of this module whose own body
  tests the platform, normalises separators or makes a URL.
- `returns_str`: an expression known to give a `str` (so `.replace` on it is `str.replace`,
  not `Path.replace`, which renames a file).
"""

from __future__ import annotations

import ast

from .calls import local_function, own_method
from .facts import ModuleFacts
from .platforms import tests_windows

STR_FUNCTIONS = frozenset({"builtins.str", "os.getcwd", "os.fspath", "tempfile.gettempdir", "tempfile.mkdtemp"})
STR_PATH_FUNCTIONS = frozenset({"abspath", "join", "realpath", "normpath", "expanduser", "dirname"})  # of os.path
SEPARATORS = frozenset({"os.sep", "os.path.sep"})


def path_references(facts: ModuleFacts, expr: ast.AST | None) -> list[ast.expr]:
    """The references a path expression is made of: whole names, attributes and items
    (`self.results_dir`, not `self`; `cfg["dir"]`, not `cfg`), not callees or modules."""
    if expr is None:
        return []
    out: list[ast.expr] = []
    for sub in ast.walk(expr):
        if not isinstance(sub, (ast.Name, ast.Attribute, ast.Subscript)) or not isinstance(sub.ctx, ast.Load):
            continue
        parent = facts.parent(sub)
        if isinstance(parent, (ast.Attribute, ast.Subscript)) and sub in (parent.value, getattr(parent, "slice", None)):
            continue  # part of a longer reference, or an index
        if isinstance(parent, ast.Call) and parent.func is sub:
            continue
        root: ast.expr = sub
        while isinstance(root, (ast.Attribute, ast.Subscript)):
            root = root.value
        if isinstance(root, ast.Name):
            hit = facts.lookup(root.id, facts.scope_of(root))
            if hit is not None and all(b.kind == "import" for b in hit[1]):
                continue  # a module's attribute
        out.append(sub)
    return out


def normalises_separators(facts: ModuleFacts, call: ast.Call) -> bool:
    """`x.replace("\\\\", "/")`, `x.replace(os.sep, "/")` or `x.as_posix()`."""
    func = call.func
    if not isinstance(func, ast.Attribute):
        return False
    if func.attr == "as_posix":
        return True
    if func.attr != "replace" or len(call.args) < 2:
        return False
    old, new = call.args[0], call.args[1]
    backslash = isinstance(old, ast.Constant) and isinstance(old.value, str) and "\\" in old.value
    return (backslash or facts.resolve(old) in SEPARATORS) and isinstance(new, ast.Constant) and new.value == "/"


def makes_url(facts: ModuleFacts, expr: ast.AST) -> bool:
    """`pathname2url(...)` or `.as_uri()` somewhere in `expr`: they make a proper URL path."""
    for sub in ast.walk(expr):
        if isinstance(sub, ast.Call):
            func = sub.func
            if isinstance(func, ast.Attribute) and func.attr == "as_uri":
                return True
            if (facts.resolve(func) or "").endswith("pathname2url") or (
                isinstance(func, ast.Name) and func.id == "pathname2url"
            ):
                return True
    return False


def helper_handles_windows(facts: ModuleFacts, path: ast.AST, _depth: int = 0) -> bool:
    """The path goes through a function of this module (`to_posix(results_dir)`, a method
    `self._posix(d)` of the class) whose own body tests the platform, normalises separators
    or makes a URL (or calls such a function in turn)."""
    for sub in ast.walk(path):
        if not isinstance(sub, ast.Call) or _depth > 2:
            continue
        function = local_function(facts, sub.func) or own_method(facts, sub.func)
        scope = facts.own_scope(function) if function is not None else None
        if scope is None:
            continue
        for node in scope.walk_own(ast.Compare, ast.Call, ast.Name, ast.Attribute, ast.Match):
            if tests_windows(facts, node):
                return True
            if isinstance(node, ast.Call) and (
                normalises_separators(facts, node)
                or makes_url(facts, node)
                or helper_handles_windows(facts, node, _depth + 1)
            ):
                return True
    return False


def returns_str(facts: ModuleFacts, expr: ast.AST, _depth: int = 0) -> bool:
    """`expr` is known to give a `str`: a string, `str(...)`, `os.getcwd()`, `os.path.join(...)`
    and the like, or a name bound only to such values."""
    if isinstance(expr, ast.Constant):
        return isinstance(expr.value, str)
    if isinstance(expr, ast.JoinedStr):
        return True
    if isinstance(expr, ast.Name) and _depth < 3:
        hit = facts.lookup(expr.id, facts.scope_of(expr))
        return hit is not None and all(
            b.kind == "assign" and b.value is not None and returns_str(facts, b.value, _depth + 1) for b in hit[1]
        )
    if not isinstance(expr, ast.Call):
        return False
    qualname = facts.resolve(expr.func) or ""
    return qualname in STR_FUNCTIONS or (
        qualname.startswith("os.path.") and qualname.rsplit(".", 1)[1] in STR_PATH_FUNCTIONS
    )
