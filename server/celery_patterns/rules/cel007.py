"""CEL007 file-url-without-windows: a `file://` URL built from a path with no Windows handling.

## What it does
Flags string building of a `file://` URL from a non-constant path: `"file://" + path`
(also `"file://" + str(p)`, `"file://" + os.path.abspath(p) + "/results"`, a prefix held
in a constant), `f"file://{path}"`, `"file://{}".format(path)` and `"file://%s" % path`,
when the innermost scope (function, or the module) has no Windows handling:

- no platform test against a Windows value: `sys.platform` (`== "win32"`,
  `.startswith("win")`, `match sys.platform: case "win32":`, any alias), `os.name == "nt"`,
  `platform.system() == "Windows"`, `os.sep == "\\\\"`; or, used as the test of an
  `if`/`while`/conditional expression/`assert`, a flag named for Windows as a whole
  (`IS_WINDOWS`, `is_windows()`, `ON_NT`; not `win_rate`) or a name bound to such a test.
  `sys.platform == "darwin"` is not Windows handling;
- no `.replace("\\\\", "/")` (or `.replace(os.sep, "/")`, `.as_posix()`,
  `PureWindowsPath(p).as_posix()`) applied to that path: inside the URL expression, on the
  URL, on the same path expression in the scope (`path = path.replace(...)`,
  `self.results_dir.replace(...)`; another attribute of the same object, such as
  `self.name.replace(...)`, does not count), or in the value the path variable is bound
  to;
- no helper function of this module (or method of the enclosing class) that the path
  goes through (`f"file://{to_posix_path(d)}"`, `self._posix(d)`) and whose body tests the
  platform or normalises separators as above.

Not flagged: `Path.as_uri()` (not string building), `pathname2url(...)`, fully literal
URLs (`"file:///tmp/results"`, or a path that is a string constant), other schemes,
`"file://"` alone (`url.startswith("file://")`, `url.replace("file://", "")`), and text
that mentions the scheme without a URL after it (`f"cannot parse the file:// URL {url}"`:
a URL has no spaces).

## Why is this bad?
On Windows, `"file://" + "C:\\\\llamafarm\\\\results"` gives `file://C:\\llamafarm\\results`:
`C:` is read as the URL's host and the backslashes are not separators, so Celery's
filesystem result backend writes somewhere unexpected or fails. A Windows path needs
forward slashes and a third slash: `file:///C:/llamafarm/results`.

## Example
```python
def result_backend_url(path: str) -> str:
    return f"file://{path}"
```

## Use instead
```python
import sys

def result_backend_url(path: str) -> str:
    result_backend_path = path.replace("\\\\", "/")
    if sys.platform == "win32" and path[1] == ":":
        result_backend_url = f"file:///{result_backend_path}"
    else:
        result_backend_url = f"file://{result_backend_path}"
    return result_backend_url
```

## Fix safety
Unsafe. The statement becomes the checklist's Windows-aware construction, keeping the
URL expression's own form (concatenation, f-string, `.format`, `%`) and target name:
the path is normalised once into a new variable (wrapped in `str(...)` for f-strings,
`.format` and `%`, where it may be a `Path` whose `.replace` renames files), then
`if sys.platform == "win32" and <normalised>[1:2] == ":"` picks `file:///` over `file://`.
`[1:2]` instead of the checklist's `path[1]` does not raise on paths shorter than two
characters. `import sys` is added when missing (an existing alias is reused). A URL
used inline (`Celery(backend=f"file://{p}")`, `return "file://" + p`) is first computed
into `result_backend_url` (or `<keyword>_url`) just before the statement. On POSIX a path
containing a backslash changes, and the path is evaluated before the rest of the
statement, so review before applying. A URL written over several lines keeps its
parentheses (or gets some) when it is computed into its own variable; comments inside it
move with it. No fix where the path does not directly follow `file://`, where the
statement shares its line, inside a lambda, comprehension, conditional expression or
`and`/`or`, or where the path goes through a function defined outside the module
(`f"file://{unc_path(p)}"` after `from .utils import unc_path`, an inherited
`self.to_posix(p)`): the module cannot see whether it already handles Windows, and rewriting a path it made Windows-ready (a `\\\\?\\C:\\...`
form, say) can break it.
"""

from __future__ import annotations

import ast
import builtins
import re
import string
import sys

from ..analysis.app_config import local_function
from ..analysis.facts import statement_of, top_level_statement
from ..analysis.names import free_name, is_free
from ..analysis.strings import literal_string
from ..fixes.text import alone_on_lines, import_insertion, statement_start
from ..ftypes import FixSafety, Severity
from .base import Rule

# `file://` at the start of the literal text or after a non-scheme character.
FILE_SCHEME = re.compile(r"(?:^|[^A-Za-z0-9+.\-])file://", re.IGNORECASE)
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
WINDOWS_WORDS = re.compile(r"^(?:win|win32|win64|windows|nt|cygwin|msys|posix|\\)$|^win", re.IGNORECASE)
# A flag named for Windows: `IS_WINDOWS`, `is_windows`, `ON_WIN`, `isWindows`, `_mswindows`.
WINDOWS_FLAG = re.compile(
    r"^_*(?:(?:is|on|running_on|use|using)_?(?:windows|win32|win64|win|nt|mswindows)|windows|win32|mswindows)$",
    re.IGNORECASE,
)
BUILTIN_NAMES = frozenset(dir(builtins))
STR_FUNCTIONS = frozenset({"builtins.str", "os.getcwd", "os.fspath", "tempfile.gettempdir", "tempfile.mkdtemp"})
NO_HOIST_PARENTS = (
    ast.Lambda,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
    ast.IfExp,
    ast.BoolOp,
    ast.FormattedValue,
    ast.JoinedStr,
)


class FileUrlWithoutWindows(Rule):
    code = "CEL007"
    name = "file-url-without-windows"
    message = "`file://` URL built from a path without Windows handling; use `file:///C:/...` on Windows"
    severity = Severity.MEDIUM
    fix_safety = FixSafety.UNSAFE
    fix_title = "Build the file URL the Windows-aware way"
    triggers = ("file:", "FILE:", "File:")

    def check(self, facts, settings):
        for node in facts.nodes(ast.BinOp, ast.JoinedStr, ast.Call):
            url = _file_url(facts, node)
            if url is None:
                continue
            kind, before, path, detail = url
            scope = facts.scope_of(node)
            if _windows_handled(facts, node, path, scope):
                continue
            plan = _plan(facts, node, kind, before, path, detail, scope)
            helper = _opaque_helper(facts, path) if path is not None else None
            if helper is not None:
                # its result may already be a Windows-ready path that a second rewrite breaks
                plan = (
                    f"the path comes from `{helper}(...)`, defined outside this module, which may "
                    "already handle Windows"
                )
            reason = plan if isinstance(plan, str) else None
            details = plan if isinstance(plan, dict) else {}
            yield self.finding(
                facts,
                node,
                "`file://` URL built from a path without Windows handling: on Windows it needs forward "
                "slashes and `file:///C:/...`",
                no_fix_reason=reason,
                kind=kind,
                **details,
            )

    def fix(self, ctx, finding):
        return _Fixer(ctx, finding).run()


# --- detection --------------------------------------------------------------------------
def _file_url(facts, node):
    """(kind, constant text before the path, path expression or None, extra) when `node`
    builds a `file://` URL from something that is not constant."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        parent = facts.parent(node)
        if isinstance(parent, ast.BinOp) and isinstance(parent.op, ast.Add) and parent.left is node:
            return None  # only the whole `a + b + c` chain
        operands = []
        current: ast.expr = node
        while isinstance(current, ast.BinOp) and isinstance(current.op, ast.Add):
            operands.append(current.right)
            current = current.left
        operands.append(current)
        operands.reverse()
        head = literal_string(facts, operands[0])
        if head is None:
            return None
        before = head
        for index, operand in enumerate(operands[1:], start=1):
            text = literal_string(facts, operand)
            if text is None:
                if isinstance(operand, ast.JoinedStr) and not any(
                    isinstance(v, ast.FormattedValue) for v in operand.values
                ):
                    before += "".join(v.value for v in operand.values)
                    continue
                if not _leads_to_path(before):
                    return None
                return "add", before, operand, {"index": index, "prev": operands[index - 1]}
            before += text
        return None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        template = literal_string(facts, node.left)
        if template is None or not isinstance(node.left, ast.Constant):
            return None
        head = template.split("%", 1)[0]
        if not _leads_to_path(head) or "%" not in template:
            return None
        right = node.right
        if isinstance(right, ast.Tuple):
            path = right.elts[0] if right.elts else None
        elif isinstance(right, ast.Dict):
            path = None
        else:
            path = right
        if path is not None and literal_string(facts, path) is not None:
            return None
        spec = template[len(head) : len(head) + 2]
        return "mod", head, path, {"simple": spec == "%s"}
    if isinstance(node, ast.JoinedStr):
        if isinstance(facts.parent(node), ast.FormattedValue):
            return None  # a format spec
        head = ""
        for position, value in enumerate(node.values):
            if isinstance(value, ast.Constant):
                head += value.value
                continue
            if not _leads_to_path(head):
                return None
            if literal_string(facts, value.value) is not None:
                continue  # a constant in braces is still constant text, not a path
            simple = value.conversion in (-1, ord("s")) and value.format_spec is None and position == 1
            return "fstring", head, value.value, {"simple": simple}
        return None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        template = node.func.value
        if not (isinstance(template, ast.Constant) and isinstance(template.value, str)):
            return None
        try:
            fields = list(string.Formatter().parse(template.value))
        except ValueError:
            return None
        if not fields or fields[0][1] is None or not _leads_to_path(fields[0][0]):
            return None
        head, field_name, spec, conversion = fields[0]
        path = None
        if field_name in ("", "0") and node.args and not isinstance(node.args[0], ast.Starred):
            path = node.args[0]
        elif field_name and field_name.isidentifier():
            path = next((k.value for k in node.keywords if k.arg == field_name), None)
        if path is None and not node.args and not node.keywords:
            return None
        if path is not None and literal_string(facts, path) is not None:
            return None
        simple = not spec and conversion in (None, "s")
        return "format", head, path, {"simple": simple, "field": field_name}
    return None


def _leads_to_path(text: str) -> bool:
    """The text ends in a URL that starts with `file://`: `"file://"`, `"--backend=file:///"`,
    not a message such as `"cannot parse the file:// URL: "` (a URL has no spaces)."""
    last = None
    for match in FILE_SCHEME.finditer(text):
        last = match
    return last is not None and not any(char.isspace() for char in text[last.end() :])


def _windows_handled(facts, url, path, scope) -> bool:
    """A platform test in the scope, or the path itself normalised (`.replace("\\\\", "/")`,
    `.as_posix()`, `as_uri()`, `pathname2url`) inside the URL, before it, or by a helper
    function of this module that handles Windows."""
    if path is not None and (_mentions_handler(facts, path) or _local_helper_handles(facts, path)):
        return True
    refs = _path_refs(facts, path)
    for node in scope.walk_own(ast.Compare, ast.Call, ast.Name, ast.Attribute, ast.Match):
        if _platform_test(facts, node, 0):
            return True
        if isinstance(node, ast.Call) and _normalises(facts, node):
            if _encloses(facts, node, url) or (path is not None and _encloses(facts, path, node)):
                return True
            if facts.text(node.func.value) in refs:  # `path = path.replace(...)`, `self.dir.replace(...)`
                return True
            parent = facts.parent(node)
            if isinstance(parent, ast.Assign) and any(facts.text(t) in refs for t in parent.targets):
                return True
    # the path variable's own value was normalised where it was bound
    for name in _path_ref_nodes(facts, path):
        if not isinstance(name, ast.Name):
            continue
        hit = facts.lookup(name.id, facts.scope_of(name))
        if hit is None:
            continue
        for binding in hit[1]:
            if binding.value is not None and any(
                isinstance(n, ast.Call) and (_normalises(facts, n) or _mentions_handler(facts, n))
                for n in ast.walk(binding.value)
            ):
                return True
    return False


def _platform_test(facts, node, depth) -> bool:
    """A test of the platform against Windows: `sys.platform == "win32"`, `os.name != "nt"`,
    `platform.system() in ("Windows", ...)`, `sys.platform.startswith("win")`, `match
    sys.platform: case "win32":`, or, used as a test, a flag named for Windows
    (`IS_WINDOWS`, `is_windows()`) or a name bound to such a test."""
    if isinstance(node, ast.Compare):
        operands = [node.left, *node.comparators]
        return any(_mentions_probe(facts, o) for o in operands) and any(_mentions_windows_word(o) for o in operands)
    if isinstance(node, ast.Call):
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr in ("startswith", "endswith")
            and _mentions_probe(facts, func.value)
        ):
            return any(_mentions_windows_word(arg) for arg in node.args)
        qualname = facts.resolve(func) or ""
        return qualname in ("sys.getwindowsversion", "platform.win32_ver", "platform.win32_edition")
    if isinstance(node, ast.Match):
        return _mentions_probe(facts, node.subject) and any(_mentions_windows_word(case.pattern) for case in node.cases)
    if isinstance(node, (ast.Name, ast.Attribute)) and isinstance(node.ctx, ast.Load) and _used_as_test(facts, node):
        identifier = node.id if isinstance(node, ast.Name) else node.attr
        if WINDOWS_FLAG.match(identifier):
            return True
        if isinstance(node, ast.Name) and depth < 2:
            hit = facts.lookup(node.id, facts.scope_of(node))
            if hit is not None:
                for binding in hit[1]:
                    if binding.value is not None and any(
                        _platform_test(facts, sub, depth + 1)
                        for sub in ast.walk(binding.value)
                        if isinstance(sub, (ast.Compare, ast.Call))
                    ):
                        return True
    return False


def _used_as_test(facts, node) -> bool:
    """`node` decides a branch: the test of an `if`/`while`/conditional expression/`assert`
    or a comprehension filter, alone, negated, called, or in `and`/`or`."""
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


def _mentions_probe(facts, expr) -> bool:
    for sub in ast.walk(expr):
        if isinstance(sub, (ast.Name, ast.Attribute)) and facts.resolve(sub) in PLATFORM_PROBES:
            return True
    return False


def _mentions_windows_word(expr) -> bool:
    for sub in ast.walk(expr):
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str) and WINDOWS_WORDS.search(sub.value):
            return True
    return False


def _normalises(facts, call: ast.Call) -> bool:
    """`x.replace("\\\\", "/")`, `x.replace(os.sep, "/")` or `x.as_posix()`."""
    func = call.func
    if not isinstance(func, ast.Attribute):
        return False
    if func.attr == "as_posix":
        return True
    if func.attr != "replace" or len(call.args) < 2:
        return False
    old, new = call.args[0], call.args[1]
    old_ok = (isinstance(old, ast.Constant) and isinstance(old.value, str) and "\\" in old.value) or facts.resolve(
        old
    ) in ("os.sep", "os.path.sep")
    return old_ok and isinstance(new, ast.Constant) and new.value == "/"


def _mentions_handler(facts, expr) -> bool:
    """`pathname2url(...)` or `.as_uri()` already produce a proper URL path."""
    for sub in ast.walk(expr):
        if isinstance(sub, ast.Call):
            if isinstance(sub.func, ast.Attribute) and sub.func.attr == "as_uri":
                return True
            if (facts.resolve(sub.func) or "").endswith("pathname2url"):
                return True
            if isinstance(sub.func, ast.Name) and sub.func.id == "pathname2url":
                return True
    return False


def _local_helper_handles(facts, path, depth: int = 0) -> bool:
    """The path goes through a function of this module (`to_posix(results_dir)`) whose own
    body tests the platform or normalises separators."""
    for sub in ast.walk(path):
        if not isinstance(sub, ast.Call):
            continue
        function = local_function(facts, sub.func) or _own_method(facts, sub.func)
        if function is None or depth > 2:
            continue
        helper_scope = facts.own_scope(function)
        for node in helper_scope.walk_own(ast.Compare, ast.Call, ast.Name, ast.Attribute, ast.Match):
            if _platform_test(facts, node, 0):
                return True
            if isinstance(node, ast.Call) and (
                _normalises(facts, node)
                or _mentions_handler(facts, node)
                or _local_helper_handles(facts, node, depth + 1)
            ):
                return True
    return False


def _own_method(facts, func):
    """The method `self.name` refers to, when the class around the calling method
    defines it."""
    if not _is_self_call(facts, func):
        return None
    owner = facts.scope_of(func).parent
    return next(
        (s for s in owner.node.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name == func.attr),
        None,
    )


def _opaque_helper(facts, path) -> str | None:
    """A function from another module of the project that the path goes through
    (`unc_path(p)`, `to_posix_path(p)`, an inherited `self.to_posix(p)`): it may already
    handle Windows."""
    for sub in ast.walk(path):
        if not isinstance(sub, ast.Call) or not isinstance(sub.func, (ast.Name, ast.Attribute)):
            continue
        if _is_self_call(facts, sub.func) and _own_method(facts, sub.func) is None:
            return facts.text(sub.func)  # inherited from a class the module may not hold
        qualname = facts.resolve(sub.func)
        if qualname is None:
            continue
        top = qualname.split(".", 1)[0]
        if top == "builtins":
            if qualname.count(".") == 1 and qualname[len("builtins.") :] not in BUILTIN_NAMES:
                return facts.text(sub.func)  # unbound here: from a star import
            continue
        if qualname.startswith(".") or top not in sys.stdlib_module_names:
            return facts.text(sub.func)
    return None


def _is_self_call(facts, func) -> bool:
    """`self.name` (or `cls.name`) inside a method: the first parameter's attribute."""
    if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)):
        return False
    method = facts.scope_of(func)
    arguments = getattr(method.node, "args", None)
    positional = [*arguments.posonlyargs, *arguments.args] if arguments is not None else []
    return (
        method.kind == "function"
        and bool(positional)
        and positional[0].arg == func.value.id
        and method.parent is not None
        and method.parent.kind == "class"
    )


def _path_ref_nodes(facts, expr) -> list[ast.expr]:
    """The references a path expression is made of: whole names, attributes and items
    (`self.results_dir`, not `self`; `cfg["dir"]`, not `cfg`), not callees or modules."""
    if expr is None:
        return []
    out = []
    for sub in ast.walk(expr):
        if not isinstance(sub, (ast.Name, ast.Attribute, ast.Subscript)) or not isinstance(sub.ctx, ast.Load):
            continue
        parent = facts.parent(sub)
        if isinstance(parent, (ast.Attribute, ast.Subscript)) and parent.value is sub:
            continue  # part of a longer reference
        if isinstance(parent, ast.Call) and parent.func is sub:
            continue
        if isinstance(parent, ast.Subscript) and parent.slice is sub:
            continue
        root = sub
        while isinstance(root, (ast.Attribute, ast.Subscript)):
            root = root.value
        if isinstance(root, ast.Name):
            hit = facts.lookup(root.id, facts.scope_of(root))
            if hit is not None and all(b.kind == "import" for b in hit[1]):
                continue  # a module's attribute
        out.append(sub)
    return out


def _path_refs(facts, expr) -> set[str]:
    return {facts.text(node) for node in _path_ref_nodes(facts, expr)}


def _encloses(facts, outer, inner) -> bool:
    return inner is outer or any(a is outer for a in facts.ancestors(inner))


# --- fix planning (cheap, on ast) -------------------------------------------------------------
def _plan(facts, node, kind, before, path, detail, scope):
    """Details for the fixer, or the reason there is no fix."""
    if path is None:
        return "the path is not a single argument right after `file://`"
    if not before.lower().endswith("file://"):
        return "the path does not directly follow `file://`"
    if kind == "add":
        prev = detail["prev"]
        written = _source(facts, prev).rstrip("'\"").lower()
        if not (isinstance(prev, ast.Constant) and written.endswith("file://")):
            return "the `file://` prefix is not one string literal right before the path"
    elif not detail["simple"]:
        return "the path is not plainly formatted right after `file://` (conversion, format spec or `%r`)"
    else:
        # the scheme and the placeholder must be written in one literal, as the fixer edits it
        template = node if kind == "fstring" else (node.left if kind == "mod" else node.func.value)
        follower = {"fstring": "{", "format": "{", "mod": "%s"}[kind]
        if f"file://{follower}" not in _source(facts, template).lower():
            return "the `file://` scheme and the path are not written together in one literal"
    statement = statement_of(facts, node)
    if statement is None or not alone_on_lines(facts, statement):
        return "the statement shares its line with other code"
    direct = (isinstance(statement, ast.Assign) and statement.value is node and len(statement.targets) == 1) or (
        isinstance(statement, ast.AnnAssign) and statement.value is node
    )
    if not direct:
        if not isinstance(statement, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Expr, ast.Return)):
            return "the URL is part of a compound statement's header"
        for ancestor in facts.ancestors(node):
            if ancestor is statement:
                break
            if isinstance(ancestor, NO_HOIST_PARENTS):
                return "the URL is evaluated conditionally or lazily here; it cannot be computed earlier"
    # `sys` for the platform test
    sys_hit = facts.lookup("sys", scope)
    sys_name = "sys"
    add_sys = False
    if sys_hit is not None:
        if not all(b.kind == "import" and b.qualname == "sys" for b in sys_hit[1]):
            return "the name `sys` is bound to something else here"
    else:
        alias = _module_alias(facts, "sys")
        if (
            alias is not None
            and facts.lookup(alias, scope) is not None
            and facts.lookup(alias, scope)[0] is facts.module_scope
        ):
            sys_name = alias
        elif not is_free(facts, "sys", facts.module_scope):
            return "the name `sys` is used for something else in this module"
        else:
            add_sys = True
    if direct:
        target = statement.targets[0] if isinstance(statement, ast.Assign) else statement.target
        stem = _stem(target)
        url_name = None
    else:
        parent = facts.parent(node)
        if isinstance(parent, ast.keyword) and parent.arg:
            url_name = parent.arg if parent.arg.endswith("url") else f"{parent.arg}_url"
        else:
            url_name = "result_backend_url"
        url_name = _free_name(facts, scope, url_name)
        if url_name is None:
            return "no free name for the URL variable"
        stem = url_name.removesuffix("_url")
    path_name = _free_name(facts, scope, _path_name(stem), taken={url_name} if url_name else set())
    if path_name is None:
        return "no free name for the normalised path"
    plan = {
        "path_name": path_name,
        "url_name": url_name or "",
        "sys_name": sys_name,
        "add_sys": int(add_sys),
        "direct": int(direct),
    }
    plan["wrap_str"] = int(kind != "add" and not _returns_str(facts, path))
    if kind == "add":
        plan["index"] = detail["index"]
    elif kind == "format":
        plan["field"] = detail["field"]
    return plan


def _source(facts, node) -> str:
    rng = facts.range(node)
    return facts.source[facts.index.offset(rng.start) : facts.index.offset(rng.end)]


def _returns_str(facts, expr, depth: int = 0) -> bool:
    """Calls known to return `str` need no `str(...)` before `.replace`."""
    if isinstance(expr, ast.Constant):
        return isinstance(expr.value, str)
    if isinstance(expr, ast.JoinedStr):
        return True
    if isinstance(expr, ast.Name) and depth < 3:
        hit = facts.lookup(expr.id, facts.scope_of(expr))
        return hit is not None and all(
            b.kind == "assign" and b.value is not None and _returns_str(facts, b.value, depth + 1) for b in hit[1]
        )
    if not isinstance(expr, ast.Call):
        return False
    qualname = facts.resolve(expr.func) or ""
    return qualname in STR_FUNCTIONS or (
        qualname.startswith("os.path.")
        and qualname.rsplit(".", 1)[1] in ("abspath", "join", "realpath", "normpath", "expanduser", "dirname")
    )


def _path_name(stem: str) -> str:
    """`result_backend` -> `result_backend_path`; `RESULT_PATH` -> `RESULT_PATH_POSIX`."""
    if not stem:
        return "result_backend_path"
    suffix = "_posix" if stem.lower().endswith("path") else "_path"
    return stem + (suffix.upper() if stem.isupper() else suffix)


def _stem(target) -> str:
    if isinstance(target, ast.Name):
        name = target.id
    elif isinstance(target, ast.Attribute):
        name = target.attr
    else:
        name = "result_backend_url"
    for suffix in ("_url", "_uri", "url", "uri"):
        if name.lower().endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)].rstrip("_")
    return name


def _free_name(facts, scope, base: str, taken=frozenset()) -> str | None:
    if not base.isidentifier():
        base = "result_backend_path"
    extra = "_POSIX" if base.isupper() else "_posix"
    return free_name(facts, scope, (base, base + extra, *(f"{base}_{i}" for i in range(2, 10))), taken)


def _module_alias(facts, module: str) -> str | None:
    return next(iter(facts.imported_names(module)), None)


# --- fixing (libcst) --------------------------------------------------------------------
# libcst is imported inside the functions: a plain check must not load it (on 3.11 even a
# top-level `import libcst` of the registry's lazy module loads it).
def _url_types(kind):
    import libcst as cst

    return {
        "add": (cst.BinaryOperation,),
        "mod": (cst.BinaryOperation,),
        "fstring": (cst.FormattedString,),
        "format": (cst.Call,),
    }[kind]


def _atoms():
    import libcst as cst

    return (
        cst.Name,
        cst.Attribute,
        cst.Call,
        cst.Subscript,
        cst.SimpleString,
        cst.FormattedString,
        cst.ConcatenatedString,
        cst.Integer,
    )


class _Fixer:
    def __init__(self, ctx, finding) -> None:
        self.ctx = ctx
        self.finding = finding
        self.kind = finding.detail("kind")

    def run(self) -> str | None:
        import libcst as cst

        ctx, finding = self.ctx, self.finding
        if not finding.detail("path_name"):
            return None
        url = ctx.node_at(finding.range, *_url_types(self.kind))
        if url is None:
            return None
        parents = ctx.parent_map()
        line = url
        while line is not None and not isinstance(line, cst.SimpleStatementLine):
            line = parents.get(line)
        if line is None or len(line.body) != 1 or not isinstance(parents.get(line), (cst.Module, cst.IndentedBlock)):
            return None
        parts = self._parts(url)
        if parts is None:
            return None
        path, prefix, windows_prefix, quote = parts
        path_name = finding.detail("path_name")
        sys_name = finding.detail("sys_name")
        newline = ctx.module.default_newline
        unit = ctx.module.default_indent

        # `<name>_path = <path>.replace("\\", "/")`
        subject = path.with_changes(lpar=[], rpar=[]) if path.lpar else path
        if self.kind != "add" and finding.detail("wrap_str"):
            subject = cst.Call(func=cst.Name("str"), args=[cst.Arg(subject)])
        elif not isinstance(subject, _atoms()) or path.lpar:
            subject = subject.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
        replace = cst.parse_expression(f"x.replace({quote}\\\\{quote}, {quote}/{quote})")
        normalise = cst.Assign(
            targets=[cst.AssignTarget(cst.Name(path_name))],
            value=replace.with_changes(func=replace.func.with_changes(value=subject)),
        )
        new_name = cst.Name(path_name)
        posix_url = _swap(url, {path: new_name})
        windows_url = _swap(url, {path: new_name, prefix: windows_prefix})
        statement = line.body[0]
        if finding.detail("direct"):
            win_statement = statement.with_changes(value=windows_url)
            posix_statement = statement.with_changes(value=posix_url)
            rest = []
        else:
            url_name = finding.detail("url_name")
            win_statement = cst.Assign(
                targets=[cst.AssignTarget(cst.Name(url_name))], value=_hoistable(windows_url, ctx)
            )
            posix_statement = cst.Assign(
                targets=[cst.AssignTarget(cst.Name(url_name))], value=_hoistable(posix_url, ctx)
            )
            try:
                kept = _swap(statement, {url: cst.Name(url_name)})
            except cst.CSTValidationError:  # `return(...)`: the parentheses held the space
                kept = _swap(statement, {url: cst.Name(url_name, lpar=[cst.LeftParen()], rpar=[cst.RightParen()])})
            rest = [line.with_changes(body=[kept], leading_lines=[])]
        test = cst.parse_statement(
            f"if {sys_name}.platform == {quote}win32{quote} and {path_name}[1:2] == {quote}:{quote}:{newline}"
            f"{unit}pass{newline}else:{newline}{unit}pass{newline}",
            config=ctx.module.config_for_parsing,
        )
        branch = test.with_changes(
            body=test.body.with_changes(body=[cst.SimpleStatementLine(body=[win_statement])]),
            orelse=test.orelse.with_changes(
                body=test.orelse.body.with_changes(
                    body=[
                        cst.SimpleStatementLine(
                            body=[posix_statement],
                            trailing_whitespace=line.trailing_whitespace
                            if finding.detail("direct")
                            else cst.TrailingWhitespace(),
                        )
                    ]
                )
            ),
        )
        first = cst.SimpleStatementLine(body=[normalise], leading_lines=line.leading_lines)
        module = ctx.replace({line: cst.FlattenSentinel([first, branch, *rest])})
        code = ctx.render(module)
        if finding.detail("add_sys"):
            # a plain `import sys` line after the imports; the text before the replaced
            # statement is unchanged, so offsets into the old source still hold there
            facts = ctx.facts
            url_node = facts.node_at(finding.range, ast.BinOp, ast.JoinedStr, ast.Call)
            anchor = top_level_statement(facts, url_node) if url_node is not None else None
            spot = import_insertion(facts, anchor, "sys") if anchor is not None else None
            if spot is None or spot[0] > statement_start(facts, anchor):
                from ..fixes.legacy import add_imports

                return add_imports(module, [("sys", None, None)])
            code = code[: spot[0]] + spot[1] + "import sys" + newline + code[spot[0] :]
        return code

    def _parts(self, url):
        """(path node, prefix node, prefix node for Windows, quote) inside the URL."""
        import libcst as cst

        if self.kind == "add":
            operands = []
            current = url
            while isinstance(current, cst.BinaryOperation) and isinstance(current.operator, cst.Add):
                operands.append(current.right)
                current = current.left
            operands.append(current)
            operands.reverse()
            index = self.finding.detail("index")
            if not isinstance(index, int) or index >= len(operands) or index < 1:
                return None
            path, prefix = operands[index], operands[index - 1]
            if not isinstance(prefix, cst.SimpleString):
                return None
            new_value = _slash_before_end(prefix.value)
            if new_value is None:
                return None
            return path, prefix, prefix.with_changes(value=new_value), prefix.quote[0]
        if self.kind == "fstring":
            first, second = (list(url.parts) + [None, None])[:2]
            if not isinstance(first, cst.FormattedStringText) or not isinstance(second, cst.FormattedStringExpression):
                return None
            if not first.value.lower().endswith("file://"):
                return None
            return second.expression, first, first.with_changes(value=first.value + "/"), url.quote[0]
        if self.kind == "mod":
            template = url.left
            if not isinstance(template, cst.SimpleString):
                return None
            right = url.right
            path = right.elements[0].value if isinstance(right, cst.Tuple) and right.elements else right
            new_value = _slash_before(template.value, "%s")
            if new_value is None:
                return None
            return path, template, template.with_changes(value=new_value), template.quote[0]
        # format
        func = url.func
        if not isinstance(func, cst.Attribute) or not isinstance(func.value, cst.SimpleString):
            return None
        template = func.value
        field = self.finding.detail("field")
        if field in ("", "0", None):
            positional = [a for a in url.args if a.keyword is None and not a.star]
            if not positional:
                return None
            path = positional[0].value
        else:
            path = next((a.value for a in url.args if a.keyword is not None and a.keyword.value == field), None)
            if path is None:
                return None
        new_value = _slash_before(template.value, "{")
        if new_value is None:
            return None
        return path, template, template.with_changes(value=new_value), template.quote[0]


def _hoistable(url, ctx):
    """The URL expression as the value of its own statement: a line break inside it needs
    parentheses there (its own, or new ones when the enclosing call's held it)."""
    import libcst as cst

    if url.lpar:
        return url
    code = ctx.module.code_for_node(url)
    if "\n" in code or "\r" in code:
        try:
            ast.parse(f"_ = {code}")
        except SyntaxError:  # the line break was inside the enclosing call's brackets
            return url.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return url


def _slash_before_end(literal: str) -> str | None:
    """`"file://"` -> `"file:///"` (the scheme must end the literal's text)."""
    quote_length = 3 if literal.endswith(('"""', "'''")) else 1
    body = literal[:-quote_length]
    if not body.lower().endswith("file://"):
        return None
    return body + "/" + literal[-quote_length:]


def _slash_before(literal: str, follower: str) -> str | None:
    """Insert `/` after the first `file://` that is followed by `follower`."""
    match = re.search(r"file://(?=" + re.escape(follower) + ")", literal, re.IGNORECASE)
    if match is None:
        return None
    return literal[: match.end()] + "/" + literal[match.end() :]


def _swap(node, replacements):
    """`node` with some of its descendants (found by identity) replaced."""
    import libcst as cst

    class Swapper(cst.CSTTransformer):
        def on_leave(self, original_node, updated_node):
            return replacements.get(original_node, updated_node)

    return node.visit(Swapper())
