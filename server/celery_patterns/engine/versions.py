"""Is a syntax error only syntax that a newer Python accepts?

celery-patterns reads a file with the `ast` of the Python it runs on. A file written for a
newer Python (a `type` statement or `def f[T]()` of PEP 695 on 3.12, the f-strings of PEP 701,
`except A, B:` of PEP 758 on 3.14) does not parse there, and calling that a syntax error
would be wrong. libcst's parser knows the syntax of every version up to 3.15: when it parses
the top-level statement where `ast` failed, and that statement uses a feature newer than this
Python, the file is reported as needing that version (`engine.check`), at warning severity.

Only the logical line where `ast` failed is given to libcst, completed into a module when it is
the header of a block (`def f[T]():` gets a `pass` body, `except A, B:` a `try:` before it): a
file being typed in is often broken, and parsing the whole file again on every keystroke would
cost 100 ms and more (and libcst takes seconds on some long expressions). The line is parsed
only when its text could hold one of the features.
"""

from __future__ import annotations

import re
import sys

from ..source import split_lines

RUNNING = f"{sys.version_info.major}.{sys.version_info.minor}"
# Text that might be one of the features below; anything else is an ordinary syntax error.
_MAYBE_NEW = re.compile(
    r"""^\s*type\s+\w|^\s*(async\s+)?def\s+\w+\s*\[|^\s*class\s+\w+\s*\[|^\s*except\b|\b[fFtT][rR]?['"]|\b[rR][fFtT]['"]""",
    re.MULTILINE,
)
_MAX_LINES = 50  # of one logical line
_MAX_CHARACTERS = 5_000


def newer_syntax(source: str, error_line: int) -> tuple[str, str] | None:
    """(version, feature) when the logical line at 0-based `error_line` parses with libcst and
    uses a feature added after this Python; None otherwise."""
    lines = split_lines(source)
    if not lines:
        return None
    snippet = _logical_line(lines, min(max(error_line, 0), len(lines) - 1))
    if snippet is None or not _MAYBE_NEW.search(snippet):
        return None
    from ..fixes.lazy import cst  # libcst is loaded only for such a file

    config = cst.PartialParserConfig(python_version="3.14")
    # A line inside brackets (an argument, a dict entry) is a statement once bracketed.
    for candidate in (snippet, f"f(\n{snippet})\n", f"{{\n{snippet}}}\n"):
        try:
            module = cst.parse_module(candidate, config=config)
            break
        except Exception:  # ParserSyntaxError, and anything libcst's parser raises
            continue
    else:
        return None
    found = _newest_feature(module, cst)
    if found is None or _version_key(found[0]) <= _version_key(RUNNING):
        return None
    return found


def _logical_line(lines: list[str], i: int) -> str | None:
    """The logical line starting at line i (its brackets closed, at most _MAX_LINES), moved to
    column 0 and made a module: a block header gets a `pass` body, a clause its statement."""
    indent = lines[i][: len(lines[i]) - len(lines[i].lstrip(" \t"))]
    taken: list[str] = []
    depth = 0
    for line in lines[i : i + _MAX_LINES]:
        taken.append(line[len(indent) :] if line.startswith(indent) else line.lstrip(" \t"))
        depth += sum(line.count(c) for c in "([{") - sum(line.count(c) for c in ")]}")
        if depth <= 0 and not line.rstrip("\r\n").endswith("\\"):
            break
    text = "".join(taken)
    if len(text) > _MAX_CHARACTERS:
        return None
    if not text.endswith(("\n", "\r")):
        text += "\n"
    head = text.lstrip()
    if text.rstrip().endswith(":"):  # a block header: give it a body
        text += "    pass\n"
    if head.startswith(("except", "finally")):
        text = "try:\n    pass\n" + text
    elif head.startswith(("elif", "else")):
        text = "if x:\n    pass\n" + text
    return text


def _newest_feature(module, cst) -> tuple[str, str] | None:
    newest: tuple[str, str] | None = None
    stack = [module]
    while stack:
        node = stack.pop()
        found = _feature(node, cst)
        if found is not None and (newest is None or _version_key(found[0]) > _version_key(newest[0])):
            newest = found
        stack.extend(node.children)
    return newest


def _feature(node, cst) -> tuple[str, str] | None:
    templated = getattr(cst, "TemplatedString", None)
    if templated is not None and isinstance(node, templated):
        return "3.14", "a template string (PEP 750)"
    if isinstance(node, cst.ExceptHandler) and _bare_tuple(node.type, cst):
        return "3.14", "`except` with several exceptions and no parentheses (PEP 758)"
    star = getattr(cst, "ExceptStarHandler", None)
    if star is not None and isinstance(node, star):
        return "3.11", "`except*` (PEP 654)"
    if isinstance(node, cst.TypeParam) and getattr(node, "default", None) is not None:
        return "3.13", "a default for a type parameter (PEP 696)"
    if isinstance(node, cst.TypeAlias):
        return "3.12", "a `type` statement (PEP 695)"
    if isinstance(node, cst.TypeParameters):
        return "3.12", "type parameters (PEP 695)"
    if isinstance(node, cst.FormattedString) and _new_fstring(node, cst):
        return "3.12", "an f-string that reuses its quotes or holds a backslash or comment (PEP 701)"
    return None


def _bare_tuple(node, cst) -> bool:
    return isinstance(node, cst.Tuple) and not node.lpar


def _new_fstring(node, cst) -> bool:
    """Whether an f-string needs 3.12: its quote, a backslash, a comment or (in a one-line
    f-string) a line break inside a replacement field."""
    quote = node.start.lstrip("rRfFbBuU")
    module = cst.Module(body=[])
    for part in node.parts:
        if not isinstance(part, cst.FormattedStringExpression):
            continue
        code = module.code_for_node(part)[1:-1]  # without the braces
        if quote in code or "\\" in code or "#" in code or (len(quote) == 1 and "\n" in code):
            return True
    return False


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))
