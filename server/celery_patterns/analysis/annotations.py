"""Type annotations as written: what they allow and which collection they name.

Read without importing anything: a string annotation (`"List[int]"`) is parsed, and
`Annotated[T, ...]` is read as `T`. Names are matched by their last part, so `typing.List`,
`List` and `t.List` are the same.
"""

from __future__ import annotations

import ast

_COLLECTIONS = {
    "dict": frozenset({"dict", "Dict", "Mapping", "MutableMapping"}),
    "list": frozenset({"list", "List", "Sequence", "MutableSequence", "Iterable", "Collection"}),
    "set": frozenset({"set", "Set", "AbstractSet", "MutableSet"}),
}


def read(annotation: ast.expr) -> ast.expr:
    """The annotation as an expression: a string parsed (left as it is when it does not
    parse), `Annotated[T, ...]` as `T`."""
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            annotation = ast.parse(annotation.value, mode="eval").body
        except SyntaxError:
            return annotation
    if isinstance(annotation, ast.Subscript) and type_name(annotation.value) == "Annotated":
        inner = annotation.slice
        if isinstance(inner, ast.Tuple) and inner.elts:
            return read(inner.elts[0])
    return annotation


def type_name(annotation: ast.expr) -> str | None:
    """The last name of what an annotation names (`Mapping` for `typing.Mapping[str, int]`),
    None for anything else (`X | None`, a literal)."""
    if isinstance(annotation, ast.Subscript):
        annotation = annotation.value
    if isinstance(annotation, ast.Name):
        return annotation.id
    if isinstance(annotation, ast.Attribute):
        return annotation.attr
    return None


def allows_none(annotation: ast.expr) -> bool:
    """`None`, `Optional[X]`, `X | None`, `Union[None, X]` (also inside a string)."""
    annotation = read(annotation)
    if isinstance(annotation, ast.Constant):
        return annotation.value is None
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        return allows_none(annotation.left) or allows_none(annotation.right)
    if isinstance(annotation, ast.Subscript):
        name = type_name(annotation)
        if name == "Optional":
            return True
        if name == "Union":
            members = annotation.slice.elts if isinstance(annotation.slice, ast.Tuple) else [annotation.slice]
            return any(allows_none(m) for m in members)
    return False


def collection_kind(annotation: ast.expr) -> str | None:
    """'dict', 'list', 'set' or 'tuple' when the annotation names such a collection (a
    mapping, a sequence or iterable, a set, a variable-length `tuple[X, ...]`), else None."""
    annotation = read(annotation)
    name = type_name(annotation)
    for kind, names in _COLLECTIONS.items():
        if name in names:
            return kind
    if name in ("tuple", "Tuple") and isinstance(annotation, ast.Subscript):
        arguments = annotation.slice
        if (
            isinstance(arguments, ast.Tuple)
            and len(arguments.elts) == 2
            and isinstance(arguments.elts[1], ast.Constant)
            and arguments.elts[1].value is Ellipsis
        ):
            return "tuple"
    return None
