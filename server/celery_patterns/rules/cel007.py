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
URL expression's form (concatenation, f-string, `.format`, `%`) and target: the path is
normalised once into a new variable (through `str(...)` for f-strings, `.format` and `%`,
where it may be a `Path`, whose `.replace` renames files), then `if sys.platform ==
"win32" and <normalised>[1:2] == ":"` picks `file:///` over `file://` (`[1:2]`, unlike the
checklist's `path[1]`, does not raise on a path shorter than two characters). `import
sys` is added after the imports at the top of the module when missing (an existing alias
is reused). A URL used inline (`Celery(backend=f"file://{p}")`, `return "file://" + p`) is
first computed into `result_backend_url` (or `<keyword>_url`) just before the statement,
in parentheses when it spans lines; comments inside it move with it. On POSIX a path
containing a backslash changes, and the path is evaluated before the rest of the
statement: review before applying. No fix where the path does not directly follow
`file://`, where the statement shares its line, inside a lambda, comprehension,
conditional expression or `and`/`or`, or where the path goes through a function defined
outside the module (`unc_path(p)` after `from .utils import unc_path`, an inherited
`self.to_posix(p)`): it may already make the path Windows-ready (a `\\\\?\\C:\\...`
form, say), which a rewrite can break.
"""

from __future__ import annotations

import ast
import itertools
import re

from ..analysis.calls import defined_elsewhere
from ..analysis.facts import statement_of
from ..analysis.names import free_name, is_free, numbered
from ..analysis.paths import helper_handles_windows, makes_url, normalises_separators, path_references, returns_str
from ..analysis.platforms import scope_tests_windows
from ..analysis.strings import first_interpolation, leading_text
from ..fixes.imports import add_import
from ..fixes.lazy import cst
from ..fixes.nodes import attribute_base, parenthesized, replaced, standalone
from ..fixes.text import alone_on_lines, source_segment
from ..ftypes import FixSafety, Severity
from .base import Rule

# `file://` at the start of the literal text or after a non-scheme character.
FILE_SCHEME = re.compile(r"(?:^|[^A-Za-z0-9+.\-])file://", re.IGNORECASE)
# What follows `file://` where the path goes, in the source of the literal before the path.
PLACEHOLDERS = {"add": "['\"]+$", "fstring": r"\{", "format": r"\{", "mod": "%s"}
# Around a URL, code that runs later, conditionally or never: the URL cannot be computed before.
LAZY = (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.FormattedValue, ast.JoinedStr)
NO_HOIST_PARENTS = (*LAZY, ast.IfExp, ast.BoolOp)


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
            part = _file_url(facts, node)
            if part is None:
                continue
            scope = facts.scope_of(node)
            if _windows_handled(facts, node, part.value, scope):
                continue
            plan = _plan(facts, node, part, scope)
            helper = _helper_elsewhere(facts, part.value)
            if helper is not None:  # its result may be a Windows-ready path that a second rewrite breaks
                plan = f"the path comes from `{helper}(...)`, defined outside this module, which may already handle Windows"
            yield self.finding(
                facts,
                node,
                "`file://` URL built from a path without Windows handling: on Windows it needs forward "
                "slashes and `file:///C:/...`",
                no_fix_reason=plan if isinstance(plan, str) else None,
                kind=part.kind,
                **(plan if isinstance(plan, dict) else {}),
            )

    def fix(self, ctx, finding):
        facts, detail = ctx.facts, finding.detail
        node = facts.node_at(finding.range, ast.BinOp, ast.JoinedStr, ast.Call)
        part = _file_url(facts, node) if node is not None else None
        types = {"add": cst.BinaryOperation, "mod": cst.BinaryOperation, "fstring": cst.FormattedString}
        url = ctx.node_at(finding.range, types.get(detail("kind"), cst.Call))
        line = url
        while line is not None and not isinstance(line, cst.SimpleStatementLine):
            line = ctx.parent(line)
        if part is None or line is None or len(line.body) != 1 or not detail("path_name"):
            return None
        parts = _cst_parts(ctx, url, part)
        if parts is None or not isinstance(ctx.parent(line), (cst.Module, cst.IndentedBlock)):
            return None
        path, literal, windows_literal, q = parts
        path_name, url_name = cst.Name(detail("path_name")), detail("url_name")
        # `<name>_path = <path>.replace("\\", "/")`, `str(<path>)` when it may be a `Path`
        if detail("wrap_str"):
            subject = cst.Call(cst.Name("str"), [cst.Arg(path.with_changes(lpar=[], rpar=[]))])
        else:
            subject = attribute_base(path)
        separators = [cst.Arg(cst.SimpleString(f"{q}\\\\{q}")), cst.Arg(cst.SimpleString(f"{q}/{q}"))]
        normalise = cst.Assign(
            [cst.AssignTarget(path_name)], cst.Call(cst.Attribute(subject, cst.Name("replace")), separators)
        )
        posix_url = replaced(url, {path: path_name})
        windows_url = replaced(url, {path: path_name, literal: windows_literal})
        statement, rest = line.body[0], []
        if detail("direct"):
            windows, posix = statement.with_changes(value=windows_url), statement.with_changes(value=posix_url)
            trailing = line.trailing_whitespace
        else:  # the URL computed into `url_name` before the statement, which then uses it
            code = ctx.code_for(url)
            windows = cst.Assign([cst.AssignTarget(cst.Name(url_name))], standalone(windows_url, code))
            posix = cst.Assign([cst.AssignTarget(cst.Name(url_name))], standalone(posix_url, code))
            try:
                kept = replaced(statement, {url: cst.Name(url_name)})
            except cst.CSTValidationError:  # `return(...)`: the parentheses held the space
                kept = replaced(statement, {url: parenthesized(cst.Name(url_name))})
            rest, trailing = [line.with_changes(body=[kept], leading_lines=[])], cst.TrailingWhitespace()
        branch = cst.If(
            cst.parse_expression(f"{detail('sys_name')}.platform == {q}win32{q} and {path_name.value}[1:2] == {q}:{q}"),
            cst.IndentedBlock([cst.SimpleStatementLine([windows])]),
            cst.Else(cst.IndentedBlock([cst.SimpleStatementLine([posix], trailing_whitespace=trailing)])),
        )
        first = cst.SimpleStatementLine([normalise], leading_lines=line.leading_lines)
        edits = [ctx.replace(line, cst.FlattenSentinel([first, branch, *rest]))]
        if detail("add_sys"):
            edits.extend(add_import(ctx, "sys"))
        return edits if all(edits) else None


# --- detection --------------------------------------------------------------------------
def _file_url(facts, node):
    """Where a string expression puts a path after `file://` (see `first_interpolation`)."""
    part = first_interpolation(facts, node)
    if part is None:
        return None
    # the text ends in a URL that starts with `file://`: `"file://"`, `"--backend=file:///"`, not a
    # message such as `"cannot parse the file:// URL: "` (a URL has no spaces)
    schemes = list(FILE_SCHEME.finditer(part.head))
    if not schemes or any(c.isspace() for c in part.head[schemes[-1].end() :]):
        return None
    rest = part.head[schemes[-1].end() :] or (leading_text(facts, part.value) or "" if part.value is not None else "")
    if _posix_root(rest):
        return None  # `file:///tmp/app-{id}`: a path under a POSIX root cannot start with a drive letter
    return part


def _posix_root(text: str) -> bool:
    """`text` starts with an absolute POSIX directory (`/tmp/`, `/var/data`), not just `/`."""
    stripped = text.lstrip("/")
    return (
        text.startswith("/")
        and bool(stripped)
        and stripped[0] not in "{"
        and not (len(stripped) >= 2 and stripped[1] == ":")
    )


def _windows_handled(facts, url, path, scope) -> bool:
    """A platform test in the scope, or the path itself normalised (`.replace("\\\\", "/")`,
    `.as_posix()`, `as_uri()`, `pathname2url`) inside the URL, before it, or by a helper
    function of this module that handles Windows."""
    if scope_tests_windows(facts, scope):
        return True
    if path is not None and (makes_url(facts, path) or helper_handles_windows(facts, path)):
        return True
    refs = path_references(facts, path)
    texts = {facts.text(ref) for ref in refs}
    for call in scope.walk_own(ast.Call):
        if not normalises_separators(facts, call):
            continue
        if (
            _encloses(facts, call, url)
            or (path is not None and _encloses(facts, path, call))
            or facts.text(call.func.value) in texts
        ):
            return True  # the URL, or the path inside it, normalised; or `path = path.replace(...)`
        parent = facts.parent(call)
        if isinstance(parent, ast.Assign) and any(facts.text(t) in texts for t in parent.targets):
            return True  # `self.dir = self.dir.replace(...)`
    # the path variable's own value was normalised where it was bound
    for ref in refs:
        hit = facts.lookup(ref.id, facts.scope_of(ref)) if isinstance(ref, ast.Name) else None
        for binding in hit[1] if hit is not None else ():
            if binding.value is not None and any(
                isinstance(n, ast.Call) and (normalises_separators(facts, n) or makes_url(facts, n))
                for n in ast.walk(binding.value)
            ):
                return True
    return False


def _encloses(facts, outer, inner) -> bool:
    return inner is outer or any(a is outer for a in facts.ancestors(inner))


def _helper_elsewhere(facts, path) -> str | None:
    """A function defined outside the module that the path goes through (`unc_path(p)`, an
    inherited `self.to_posix(p)`): it may already handle Windows."""
    calls = (sub for sub in ast.walk(path) if isinstance(sub, ast.Call)) if path is not None else ()
    return next(filter(None, (defined_elsewhere(facts, call) for call in calls)), None)


# --- fix planning (on ast) ------------------------------------------------------------------
def _plan(facts, node, part, scope):
    """Details for the fixer, or the reason there is no fix."""
    if part.value is None:
        return "the path is not a single argument right after `file://`"
    if not part.head.lower().endswith("file://"):
        return "the path does not directly follow `file://`"
    if not part.plain or (part.kind == "fstring" and part.index != 1):
        return "the path is not plainly formatted right after `file://` (conversion, format spec or `%r`)"
    if (part.kind == "add" and not isinstance(part.literal, ast.Constant)) or _windows_literal(
        source_segment(facts, part.literal), PLACEHOLDERS[part.kind]
    ) is None:
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
    sys_name, add_sys = _sys_name(facts, scope)
    if sys_name is None:
        return add_sys
    if direct and isinstance(statement, (ast.Assign, ast.AnnAssign)):
        target = statement.targets[0] if isinstance(statement, ast.Assign) else statement.target
        stem, url_name = _stem(target), None
    else:
        parent = facts.parent(node)
        if isinstance(parent, ast.keyword) and parent.arg:
            url_name = parent.arg if parent.arg.endswith("url") else f"{parent.arg}_url"
        else:
            url_name = "result_backend_url"
        url_name = _free_name(facts, scope, url_name)
        stem = url_name.removesuffix("_url")
    return {
        "path_name": _free_name(facts, scope, _path_name(stem), taken={url_name} if url_name else set()),
        "url_name": url_name or "",
        "sys_name": sys_name,
        "add_sys": int(add_sys),
        "direct": int(direct),
        "wrap_str": int(part.kind != "add" and not returns_str(facts, part.value)),
    }


def _sys_name(facts, scope):
    """(the name of the `sys` module at the URL, whether `import sys` is to be added), or
    (None, the reason there is none)."""
    hit = facts.lookup("sys", scope)
    if hit is not None:
        if all(b.kind == "import" and b.qualname == "sys" for b in hit[1]):
            return "sys", False
        return None, "the name `sys` is bound to something else here"
    alias = next(iter(facts.imported_names("sys")), None)
    alias_hit = facts.lookup(alias, scope) if alias is not None else None
    if alias_hit is not None and alias_hit[0] is facts.module_scope:
        return alias, False
    if not is_free(facts, "sys", facts.module_scope):
        return None, "the name `sys` is used for something else in this module"
    return "sys", True


def _path_name(stem: str) -> str:
    """`result_backend` -> `result_backend_path`; `RESULT_PATH` -> `RESULT_PATH_POSIX`."""
    if not stem:
        return "result_backend_path"
    suffix = "_posix" if stem.lower().endswith("path") else "_path"
    return stem + (suffix.upper() if stem.isupper() else suffix)


def _stem(target) -> str:
    name = target.id if isinstance(target, ast.Name) else getattr(target, "attr", "result_backend_url")
    for suffix in ("_url", "_uri", "url", "uri"):
        if name.lower().endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)].rstrip("_")
    return name


def _free_name(facts, scope, base: str, taken=frozenset()) -> str:
    if not base.isidentifier():
        base = "result_backend_path"
    extra = "_POSIX" if base.isupper() else "_posix"
    name = free_name(facts, scope, itertools.chain((base, base + extra), numbered(base)), taken)
    assert name is not None  # `numbered` never ends
    return name


# --- fixing (libcst) ------------------------------------------------------------------------
def _windows_literal(code: str, follower: str) -> str | None:
    """The literal before the path with `file:///` for `file://` (`"file://"` -> `"file:///"`,
    `"file://%s/x"` -> `"file:///%s/x"`), or None when `file://` is not followed by `follower`
    (a regular expression: where the path goes)."""
    match = re.search(f"file://(?={follower})", code, re.IGNORECASE)
    return None if match is None else code[: match.end()] + "/" + code[match.end() :]


def _cst_parts(ctx, url, part):
    """(the path's node, the literal before it, that literal for Windows, its quote) in
    the URL's libcst node."""
    if part.kind == "fstring":  # (inside an f-string, `ast` positions are not to be trusted before 3.12)
        literal, path = (list(url.parts) + [None, None])[:2]
        if not isinstance(literal, cst.FormattedStringText) or not isinstance(path, cst.FormattedStringExpression):
            return None
        path, text, quote = path.expression, literal.value, url.quote[0]
    else:
        path, literal = ctx.node_at(part.value, cst.BaseExpression), ctx.node_at(part.literal, cst.SimpleString)
        if path is None or literal is None:
            return None
        text, quote = literal.value, literal.quote[0]
    windows = _windows_literal(text, "$" if part.kind == "fstring" else PLACEHOLDERS[part.kind])
    return None if windows is None else (path, literal, literal.with_changes(value=windows), quote)
