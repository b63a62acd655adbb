"""Celery dispatches as libcst: the arguments of `task.delay(...)` and `task.apply_async(...)`
as the `args=[...]` / `kwargs={...}` keywords that a signature (or `send_task`) takes.

Each argument keeps its comments; a call written one argument per line stays one per line.
"""

from __future__ import annotations

import ast

from .comments import has_comment, without_comments
from .lazy import cst


def keyword(name: str, value, comma=None):
    """The argument `name=value` (no spaces around `=`)."""
    return cst.Arg(value, keyword=cst.Name(name), equal=_equal(), comma=comma or cst.MaybeSentinel.DEFAULT)


def delay_arguments(call) -> list:
    """`delay(a, *b, k=v, **kw)` -> `args=[a, *b], kwargs={"k": v, **kw}` (either left out
    when it would be empty).

    Each argument keeps its own comma and the whitespace (comments, line breaks) after
    it; the whitespace after `(` moves after the first bracket.
    """
    positional = [a for a in call.args if a.keyword is None and a.star != "**"]
    named = [a for a in call.args if a.keyword is not None or a.star == "**"]
    groups = [(k, items) for k, items in (("args", positional), ("kwargs", named)) if items]
    out = []
    opening = call.whitespace_before_args
    for index, (name, items) in enumerate(groups):
        elements = [_element(a) for a in items]
        closing = items[-1].whitespace_after_arg
        separator = _comma()
        next_opening: cst.BaseParenthesizableWhitespace = cst.SimpleWhitespace("")
        if index < len(groups) - 1:  # the comma between the groups leaves the bracket
            comma = items[-1].comma
            elements[-1] = elements[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            closing = comma.whitespace_before
            if has_comment(comma.whitespace_after):
                separator = comma.with_changes(whitespace_before=cst.SimpleWhitespace(""))
            elif isinstance(comma.whitespace_after, cst.ParenthesizedWhitespace):
                next_opening = comma.whitespace_after  # a line break: the next group opens on it
        value: cst.BaseExpression
        if name == "args":
            value = cst.List(
                elements, lbracket=cst.LeftSquareBracket(opening), rbracket=cst.RightSquareBracket(closing)
            )
        else:
            value = cst.Dict(elements, lbrace=cst.LeftCurlyBrace(opening), rbrace=cst.RightCurlyBrace(closing))
        out.append(keyword(name, value, separator))
        opening = next_opening
    return out


def _element(arg):
    """A call's argument as an element of a list (`a`, `*b`) or a dict (`"k": v`, `**kw`)."""
    if arg.keyword is not None:
        return cst.DictElement(
            cst.SimpleString(f'"{arg.keyword.value}"'),
            arg.value,
            comma=arg.comma,
            whitespace_before_colon=cst.SimpleWhitespace(""),
            whitespace_after_colon=cst.SimpleWhitespace(" "),
        )
    if arg.star == "**":
        return cst.StarredDictElement(arg.value, comma=arg.comma, whitespace_before_value=arg.whitespace_after_star)
    if arg.star == "*":
        return cst.StarredElement(arg.value, comma=arg.comma, whitespace_before_value=arg.whitespace_after_star)
    return cst.Element(arg.value, comma=arg.comma)


def apply_async_arguments(call) -> tuple[list, list]:
    """`apply_async(args, kwargs, **options)` -> (`args=`/`kwargs=` keywords, the other
    options); see `unconvertible_arguments` for the calls it takes."""
    moved, options = [], []
    position = 0
    for arg in call.args:
        if arg.keyword is None and not arg.star:
            arg = arg.with_changes(keyword=cst.Name(("args", "kwargs")[position]), equal=_equal())
            position += 1
        elif arg.keyword is None or arg.keyword.value not in ("args", "kwargs"):
            options.append(arg)
            continue
        # Among other arguments a line break would only look odd; a comment stays.
        comma = arg.comma if isinstance(arg.comma, cst.Comma) and has_comment(arg.comma.whitespace_after) else _comma()
        after = arg.whitespace_after_arg if has_comment(arg.whitespace_after_arg) else cst.SimpleWhitespace("")
        moved.append(arg.with_changes(comma=comma, whitespace_after_arg=after))
    last = call.args[-1] if call.args else None
    if (
        last is not None
        and options
        and options[-1] is not last
        and not (isinstance(options[-1].comma, cst.Comma) and has_comment(options[-1].comma.whitespace_after))
    ):  # it ends the call now: give it the call's ending (a comment of its own stays)
        comma = last.comma
        if isinstance(comma, cst.Comma):  # a comment there went with the moved argument
            comma = comma.with_changes(whitespace_after=without_comments(comma.whitespace_after))
        options[-1] = options[-1].with_changes(
            comma=comma, whitespace_after_arg=without_comments(last.whitespace_after_arg)
        )
    return moved, options


def unconvertible_arguments(call: ast.Call, method: str) -> str | None:
    """Why the arguments of a `.delay()` / `.apply_async()` call (its `ast` node) cannot be
    converted by `delay_arguments` / `apply_async_arguments`, or None when they can."""
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


def _comma():
    return cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))


def _equal():
    return cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace(""))
