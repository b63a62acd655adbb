"""The parentheses that group an expression, as the source writes them.

`ast` leaves them out of a node's position (`(x)` is the `x` inside), libcst counts them into
the node (`lpar`/`rpar`). A fix that writes text around an expression needs them to write
`(x) or y` as libcst would, not `(x or y)`. They are read from the tokens of the statement
around the expression, so comments, strings and line continuations in between are no trap.
"""

from __future__ import annotations

import ast
import io
import keyword
import tokenize
from collections.abc import Iterator

from ..analysis.facts import ModuleFacts, statement_of
from .text import line_start, offset_of

_TRIVIA = frozenset({tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT})
_VALUE_ENDS = frozenset({tokenize.NUMBER, tokenize.STRING, getattr(tokenize, "FSTRING_END", tokenize.STRING)})


def grouped_span(facts: ModuleFacts, node: ast.expr) -> tuple[int, int]:
    """The offsets of `node` with the parentheses that group it (`(x)`, `((x))`; not those
    of a call `f(x)`), as libcst's node for it spans."""
    start, end = offset_of(facts, node), offset_of(facts, node, end=True)
    statement = statement_of(facts, node)
    if statement is None:
        return start, end
    tokens = _tokens(facts.source, line_start(facts.source, offset_of(facts, statement)))
    before: list[tuple[tokenize.TokenInfo, int, int]] = []
    try:
        for token in tokens:
            if token[1] >= start:
                break
            before.append(token)
        after = next((t for t in tokens if t[1] >= end), None)
        while (
            before
            and after is not None
            and before[-1][0].string == "("
            and after[0].string == ")"
            and not (len(before) > 1 and _ends_value(before[-2][0]))
        ):
            start, end = before.pop()[1], after[2]
            after = next(tokens, None)
    except (tokenize.TokenError, SyntaxError):
        pass  # the parentheses found so far
    return start, end


def _tokens(source: str, base: int) -> Iterator[tuple[tokenize.TokenInfo, int, int]]:
    """The tokens from offset `base` (a line start) on, without comments and line breaks,
    each with its start and end offset."""
    starts: list[int] = []
    stream = io.StringIO(source[base:], newline="")
    position = base

    def readline() -> str:
        nonlocal position
        line = stream.readline()
        starts.append(position)
        position += len(line)
        return line

    for token in tokenize.generate_tokens(readline):
        if token.type not in _TRIVIA:
            yield token, starts[token.start[0] - 1] + token.start[1], starts[token.end[0] - 1] + token.end[1]


def _ends_value(token: tokenize.TokenInfo) -> bool:
    """A `(` after this token calls what it ends (`f(x)`, `g()(x)`): a name that is not a
    keyword, a literal, a closing bracket."""
    if token.type == tokenize.NAME:
        return not keyword.iskeyword(token.string)
    return token.type in _VALUE_ENDS or token.string in (")", "]", "}")
