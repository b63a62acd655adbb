"""String folding: what text a string expression can have, as far as one module shows it.

- `literal_string`: a `str` literal, or a name bound only to one.
- `leading_text`: the known head of a string (a literal, an f-string's constant start, the
  left of `+`), through a name bound to one.
- `string_values`: every value a string expression can have, each whole or known up to
  a point (`f"rag.{name}"` with `name` bound to two literals has two values).
- `constant_text`: all the constant text of an expression, its parts separated by spaces
  (for reading words in a URL path built from parts).
- `first_interpolation`: where a string built from a literal start (`"file://" + path`,
  `f"file://{path}"`, `"file://{}".format(path)`, `"file://%s" % path`) first puts in a value
  that is not constant text, and the constant text before it.
"""

from __future__ import annotations

import ast
import string
from dataclasses import dataclass

from .facts import ModuleFacts


def literal_string(facts: ModuleFacts, expr: ast.AST) -> str | None:
    """A str literal's text, or that of a name bound only to one (no f-strings)."""
    if isinstance(expr, ast.Constant):
        return expr.value if isinstance(expr.value, str) else None
    if isinstance(expr, ast.Name):
        found = facts.lookup(expr.id, facts.scope_of(expr), expr)
        if found is None:
            return None
        values = {
            b.value.value
            if b.kind == "assign" and isinstance(b.value, ast.Constant) and isinstance(b.value.value, str)
            else None
            for b in found[1]
        }
        if len(values) == 1:
            return values.pop()
    return None


def leading_text(facts: ModuleFacts, expr: ast.AST, _depth: int = 0) -> str | None:
    """The (leading) text of a string expression: a literal, the constant head of an
    f-string, or a name bound only to such a string in its scope."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return expr.value
    if isinstance(expr, ast.JoinedStr):
        head = []
        for part in expr.values:
            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                head.append(part.value)
            else:
                break
        return "".join(head)
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
        return leading_text(facts, expr.left, _depth + 1)
    if isinstance(expr, ast.Name) and _depth < 4:
        found = facts.lookup(expr.id, facts.scope_of(expr), expr)
        if found:
            values = {
                leading_text(facts, b.value, _depth + 1) if b.kind == "assign" and b.value is not None else None
                for b in found[1]
            }
            if len(values) == 1:
                return values.pop()
    return None


_MAX_VALUES = 16  # beyond this many possible strings, give up rather than multiply them


def string_values(facts: ModuleFacts, expr: ast.AST, depth: int = 0) -> list[tuple[str, bool]] | None:
    """Every value a string expression can have, as (text, complete): a value whose end is
    unknown (`f"rag.{name}"`, `"rag.%s" % name`) has its known head and False. None when
    some value is not a string known here.

    A name counts by all its bindings in its scope (`mod = "rag.tasks"` in one branch,
    `mod = "rag.search"` in the other), and `a if c else b` by both sides; an f-string's
    `{name}` part by the strings that name is bound to."""
    if depth > 6:
        return None
    values: list[tuple[str, bool]] | None
    if isinstance(expr, ast.Constant):
        return [(expr.value, True)] if isinstance(expr.value, str) else None
    if isinstance(expr, ast.JoinedStr):
        values = _fstring_values(facts, expr, depth)
    elif isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
        left = string_values(facts, expr.left, depth + 1)
        values = None if left is None else _concat(left, string_values(facts, expr.right, depth + 1))
    elif isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Mod):  # "rag.%s" % name
        left = string_values(facts, expr.left, depth + 1)
        values = None if left is None else [_head_before(t, c, "%") for t, c in left]
    elif isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr == "format":
        template = string_values(facts, expr.func.value, depth + 1)  # "rag.{}".format(name)
        values = None if template is None else [_head_before(t, c, "{") for t, c in template]
    elif isinstance(expr, ast.IfExp):
        body, orelse = string_values(facts, expr.body, depth + 1), string_values(facts, expr.orelse, depth + 1)
        values = body + orelse if body is not None and orelse is not None else None
    elif isinstance(expr, ast.Name):
        found = facts.lookup(expr.id, facts.scope_of(expr), expr)
        if not found:
            return None
        values = []
        for binding in found[1]:
            sub = (
                string_values(facts, binding.value, depth + 1)
                if binding.kind == "assign" and binding.value is not None
                else None
            )
            if sub is None:
                return None
            values.extend(sub)
    else:
        return None
    if values is None or len(values) > _MAX_VALUES:
        return None
    return list(dict.fromkeys(values))


def _fstring_values(facts, expr: ast.JoinedStr, depth: int) -> list[tuple[str, bool]] | None:
    values = [("", True)]
    for part in expr.values:
        if isinstance(part, ast.Constant) and isinstance(part.value, str):
            values = _concat(values, [(part.value, True)])
            continue
        sub = None
        if isinstance(part, ast.FormattedValue) and part.conversion == -1 and part.format_spec is None:
            sub = string_values(facts, part.value, depth + 1)
        values = _concat(values, sub)
        if sub is None or len(values) > _MAX_VALUES:
            break  # the rest is unknown (or too many): the heads are what is known
    return values


def _concat(left: list[tuple[str, bool]], right: list[tuple[str, bool]] | None) -> list[tuple[str, bool]]:
    """The values of `left + right`; `right` None: unknown, which leaves only the heads."""
    out: list[tuple[str, bool]] = []
    for text, complete in left:
        if complete and right is not None:
            out.extend((text + more, done) for more, done in right)
        else:
            out.append((text, False))
    return out


def _head_before(text: str, complete: bool, marker: str) -> tuple[str, bool]:
    """A template's value: known up to its first placeholder."""
    at = text.find(marker)
    return (text[:at], False) if at >= 0 else (text, complete)


def constant_text(facts: ModuleFacts, expr: ast.AST, depth: int = 0) -> str:
    """The constant text of a string expression: literals, the literal parts of an f-string,
    both sides of `+`, the template of `%` and `.format()`, and names bound to such strings
    (each part separated by a space, so words of different parts do not run together)."""
    if depth > 4:
        return ""
    if isinstance(expr, ast.Constant):
        return expr.value if isinstance(expr.value, str) else ""
    if isinstance(expr, ast.JoinedStr):
        return " ".join(constant_text(facts, part, depth + 1) for part in expr.values)
    if isinstance(expr, ast.FormattedValue):
        return constant_text(facts, expr.value, depth + 1)
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
        return f"{constant_text(facts, expr.left, depth + 1)} {constant_text(facts, expr.right, depth + 1)}"
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Mod):
        return constant_text(facts, expr.left, depth + 1)
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr == "format":
        return constant_text(facts, expr.func.value, depth + 1)
    if isinstance(expr, ast.Name):
        found = facts.lookup(expr.id, facts.scope_of(expr))
        if found:
            return " ".join(
                constant_text(facts, b.value, depth + 1) for b in found[1] if b.kind == "assign" and b.value is not None
            )
    return ""


@dataclass(frozen=True)
class Interpolation:
    """Where a string expression first puts in a value that is not constant text."""

    kind: str  # "add" (`+`), "fstring", "format" (`"...".format()`) or "mod" (`%`)
    head: str  # the constant text before it
    value: ast.expr | None  # None where the expression does not say which (`% {...}`, `.format(*args)`)
    plain: bool  # written as `str(value)` writes it: no conversion, format spec or `%r`
    index: int  # its place among the operands of `+` or the values of an f-string (0 otherwise)
    literal: ast.expr  # what holds the text right before it: the operand before, the f-string, the template


def first_interpolation(facts: ModuleFacts, node: ast.AST) -> Interpolation | None:
    """The first value a whole string expression puts in that is not constant text
    (literals, names bound only to one, `{"literal"}` in an f-string), or None when `node`
    is not built from a literal start by `+`, an f-string, `.format()` or `%`, is part of
    a longer one, or is all constant."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        parent = facts.parent(node)
        if isinstance(parent, ast.BinOp) and isinstance(parent.op, ast.Add) and parent.left is node:
            return None  # only the whole `a + b + c`
        operands: list[ast.expr] = []
        current: ast.expr = node
        while isinstance(current, ast.BinOp) and isinstance(current.op, ast.Add):
            operands.append(current.right)
            current = current.left
        operands.append(current)
        operands.reverse()
        head = literal_string(facts, operands[0])
        if head is None:
            return None
        for index, operand in enumerate(operands[1:], start=1):
            text = literal_string(facts, operand)
            if text is None and isinstance(operand, ast.JoinedStr):
                if all(isinstance(v, ast.Constant) for v in operand.values):
                    text = "".join(str(v.value) for v in operand.values if isinstance(v, ast.Constant))
            if text is None:
                return Interpolation("add", head, operand, True, index, operands[index - 1])
            head += text
        return None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        template = node.left
        if not (isinstance(template, ast.Constant) and isinstance(template.value, str)) or "%" not in template.value:
            return None
        head = template.value.split("%", 1)[0]
        right = node.right
        value = right if not isinstance(right, (ast.Tuple, ast.Dict)) else None
        if isinstance(right, ast.Tuple) and right.elts:
            value = right.elts[0]
        if value is not None and literal_string(facts, value) is not None:
            return None
        return Interpolation("mod", head, value, template.value[len(head) : len(head) + 2] == "%s", 0, template)
    if isinstance(node, ast.JoinedStr):
        if isinstance(facts.parent(node), ast.FormattedValue):
            return None  # a format spec
        head = ""
        for index, part in enumerate(node.values):
            if isinstance(part, ast.Constant):
                head += str(part.value)
                continue
            assert isinstance(part, ast.FormattedValue)
            text = literal_string(facts, part.value)
            if text is None:  # (a constant's conversion or format spec is not applied to `head`)
                plain = part.conversion in (-1, ord("s")) and part.format_spec is None
                return Interpolation("fstring", head, part.value, plain, index, node)
            head += text
        return None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        template = node.func.value
        if not (isinstance(template, ast.Constant) and isinstance(template.value, str)):
            return None
        try:
            fields = list(string.Formatter().parse(template.value))
        except ValueError:
            return None
        if not fields or fields[0][1] is None:
            return None
        head, field, spec, conversion = fields[0]
        value = None
        if field in ("", "0") and node.args and not isinstance(node.args[0], ast.Starred):
            value = node.args[0]
        elif field and field.isidentifier():
            value = next((k.value for k in node.keywords if k.arg == field), None)
        if (value is None and not node.args and not node.keywords) or (
            value is not None and literal_string(facts, value) is not None
        ):
            return None
        return Interpolation("format", head, value, not spec and conversion in (None, "s"), 0, template)
    return None
