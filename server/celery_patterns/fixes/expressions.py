"""Expressions as libcst nodes: an awaited call in the place of a blocking one."""

from __future__ import annotations

from .context import FixContext
from .lazy import cst


def awaited(ctx: FixContext, call, new_call):
    """What replaces `call` (a node of the original) so that `new_call` is awaited there:
    `await new_call`, parenthesised where the await is then read (`(await x()).y`); when
    `call` is already awaited, `new_call` alone (only the callee was wrong)."""
    parent = ctx.parent(call)
    if isinstance(parent, cst.Await):
        return new_call
    replacement = cst.Await(new_call.with_changes(lpar=[], rpar=[]), lpar=call.lpar, rpar=call.rpar)
    read_after = (
        (isinstance(parent, cst.Attribute) and parent.value is call)
        or (isinstance(parent, cst.Subscript) and parent.value is call)
        or (isinstance(parent, cst.Call) and parent.func is call)
    )
    if read_after and not call.lpar:
        replacement = replacement.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return replacement
