"""Platform tests: code that tells Windows apart from other systems.

- `tests_windows`: a comparison, call or `match` that tests the platform against Windows
  (`sys.platform == "win32"`, `os.name != "nt"`, `platform.system() in ("Windows", ...)`,
  `sys.platform.startswith("win")`, `os.sep == "\\\\"`), or, deciding a branch, a flag named
  for Windows (`IS_WINDOWS`, `is_windows()`) or a name bound to such a test.
"""

from __future__ import annotations

import ast
import re

from .facts import ModuleFacts

# What tells the platform (or its path separator) apart.
PLATFORM_PROBES = frozenset(
    {
        "sys.platform",
        "os.name",
        "platform.system",
        "platform.platform",
        "platform.uname",
        "os.sep",
        "os.path.sep",
        "os.altsep",
        "os.path.altsep",
        "sys.getwindowsversion",
        "platform.win32_ver",
        "platform.win32_edition",
    }
)
# Calls that exist (or answer) only on Windows.
WINDOWS_CALLS = frozenset({"sys.getwindowsversion", "platform.win32_ver", "platform.win32_edition"})
# A value a probe is compared with to tell Windows: `win32`, `nt`, `Windows`, `posix`, `\`.
WINDOWS_WORDS = re.compile(r"^(?:win|win32|win64|windows|nt|cygwin|msys|posix|\\)$|^win", re.IGNORECASE)
# A flag named for Windows as a whole: `IS_WINDOWS`, `is_windows`, `ON_WIN`, `isWindows`, `_mswindows`
# (not `win_rate`).
WINDOWS_FLAG = re.compile(
    r"^_*(?:(?:is|on|running_on|use|using)_?(?:windows|win32|win64|win|nt|mswindows)|windows|win32|mswindows)$",
    re.IGNORECASE,
)
_PROBE_NODES = (ast.Compare, ast.Call, ast.Name, ast.Attribute, ast.Match)


def tests_windows(facts: ModuleFacts, node: ast.AST, _depth: int = 0) -> bool:
    """`node` tests the platform against Windows (see the module's docstring);
    `sys.platform == "darwin"` does not."""
    if isinstance(node, ast.Compare):
        operands = [node.left, *node.comparators]
        return any(_mentions_probe(facts, o) for o in operands) and any(_mentions_windows_word(o) for o in operands)
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in ("startswith", "endswith"):
            if _mentions_probe(facts, func.value):
                return any(_mentions_windows_word(arg) for arg in node.args)
        return facts.resolve(func) in WINDOWS_CALLS
    if isinstance(node, ast.Match):
        return _mentions_probe(facts, node.subject) and any(_mentions_windows_word(case.pattern) for case in node.cases)
    if isinstance(node, (ast.Name, ast.Attribute)) and isinstance(node.ctx, ast.Load) and decides_branch(facts, node):
        if WINDOWS_FLAG.match(node.id if isinstance(node, ast.Name) else node.attr):
            return True
        if isinstance(node, ast.Name) and _depth < 2:  # `windows = sys.platform == "win32"`
            hit = facts.lookup(node.id, facts.scope_of(node))
            return hit is not None and any(
                tests_windows(facts, sub, _depth + 1)
                for binding in hit[1]
                if binding.value is not None
                for sub in ast.walk(binding.value)
                if isinstance(sub, (ast.Compare, ast.Call))
            )
    return False


def scope_tests_windows(facts: ModuleFacts, scope) -> bool:
    """Some code of `scope` itself (not of nested scopes) tests the platform against Windows."""
    return any(tests_windows(facts, node) for node in scope.walk_own(*_PROBE_NODES))


def decides_branch(facts: ModuleFacts, node: ast.AST) -> bool:
    """`node` decides a branch: the test of an `if`/`while`/conditional expression/`assert`
    or a comprehension filter, alone, negated, called, compared or in `and`/`or`."""
    current = node
    for parent in facts.ancestors(node):
        if (
            isinstance(parent, (ast.BoolOp, ast.Compare))
            or (isinstance(parent, ast.UnaryOp) and isinstance(parent.op, ast.Not))
            or (isinstance(parent, ast.Call) and parent.func is current)
        ):
            current = parent
            continue
        if isinstance(parent, (ast.If, ast.While, ast.IfExp, ast.Assert)):
            return parent.test is current
        if isinstance(parent, ast.comprehension):
            return current in parent.ifs
        return False
    return False


def _mentions_probe(facts: ModuleFacts, expr: ast.AST) -> bool:
    return any(
        isinstance(sub, (ast.Name, ast.Attribute)) and facts.resolve(sub) in PLATFORM_PROBES for sub in ast.walk(expr)
    )


def _mentions_windows_word(expr: ast.AST) -> bool:
    return any(
        isinstance(sub, ast.Constant) and isinstance(sub.value, str) and WINDOWS_WORDS.search(sub.value)
        for sub in ast.walk(expr)
    )
