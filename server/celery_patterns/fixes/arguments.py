"""Call arguments as libcst nodes: a keyword argument added the way the call is laid out."""

from __future__ import annotations

from .lazy import cst


def keyword_argument(keyword: str, value: cst.BaseExpression) -> cst.Arg:
    """`keyword=value`, written without spaces around `=`."""
    equal = cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace(""))
    return cst.Arg(value=value, keyword=cst.Name(keyword), equal=equal)


def append_argument(call: cst.Call, new: cst.Arg) -> cst.Call:
    """`call` with `new` as its last argument. On a multi-line argument list it gets a line of
    its own, indented as the others, a trailing comma stays last, and every comment stays on
    the line of the argument it was on (`a,  # note` / `new,` / `)`)."""
    args = list(call.args)
    if not args:
        return call.with_changes(args=[new])
    last = args[-1]
    layout = _argument_line(call)
    if isinstance(last.comma, cst.Comma):  # a trailing comma: keep it, after the new argument too
        after = last.comma.whitespace_after
        if isinstance(after, cst.ParenthesizedWhitespace):
            # `a,  # note` / `)`: the note stays after `a,`, the new line goes before `)`
            layout = layout or after
            args[-1] = last.with_changes(
                comma=last.comma.with_changes(
                    whitespace_after=after.with_changes(indent=layout.indent, last_line=layout.last_line)
                )
            )
            new = new.with_changes(comma=cst.Comma(whitespace_after=_line_break_like(after)))
        else:
            new = new.with_changes(comma=last.comma)
            args[-1] = last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
    else:
        after = last.whitespace_after_arg
        if isinstance(after, cst.ParenthesizedWhitespace):
            # `a  # note` / `)`: becomes `a,  # note` / `new` / `)`
            layout = layout or after
            args[-1] = last.with_changes(
                comma=cst.Comma(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")),
                whitespace_after_arg=after.with_changes(indent=layout.indent, last_line=layout.last_line),
            )
            new = new.with_changes(whitespace_after_arg=_line_break_like(after))
        else:
            args[-1] = last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
    return call.with_changes(args=[*args, new])


def _argument_line(call: cst.Call):
    """The line break and indentation that starts an argument's line (after `(` or after
    an earlier argument's comma), or None when the arguments do not start lines."""
    if isinstance(call.whitespace_before_args, cst.ParenthesizedWhitespace):
        return call.whitespace_before_args
    for arg in call.args[:-1]:
        if isinstance(arg.comma, cst.Comma) and isinstance(arg.comma.whitespace_after, cst.ParenthesizedWhitespace):
            return arg.comma.whitespace_after
    return None


def _line_break_like(whitespace):
    """The same line break and indentation, without the comment and blank lines."""
    return cst.ParenthesizedWhitespace(
        first_line=cst.TrailingWhitespace(),
        empty_lines=[],
        indent=whitespace.indent,
        last_line=whitespace.last_line,
    )
