"""Facts about one module, gathered in a single walk of its `ast` tree.

Rules ask questions of a `ModuleFacts` instead of walking the tree themselves:
which scope a node is in, what a name refers to (import aliases, simple assignments,
enclosing scopes, shadowing by parameters and locals), which nodes of a type exist.

Detection uses the standard library's `ast` because it is far faster than libcst;
libcst is only loaded when a fix is computed (see `fixing.py`).
"""

from __future__ import annotations

import ast
import weakref
from dataclasses import dataclass, field
from typing import Iterator

from .source import LineIndex

FUNCTION_NODES = (ast.FunctionDef, ast.AsyncFunctionDef)
SCOPE_NODES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


@dataclass
class Binding:
    """One way a name gets a value in a scope."""

    kind: str  # "import", "assign", "param", "def", "class", "other"
    node: ast.AST
    qualname: str | None = None  # for imports: the dotted name it refers to
    value: ast.expr | None = None  # for `name = value` assignments


@dataclass(eq=False)
class Scope:
    """A module, function, lambda or class body.

    Comprehensions are not scopes here: the rules treat them as part of the enclosing
    function, which is what a reader expects (`[time.sleep(1) for _ in x]` blocks).
    """

    kind: str  # "module", "function", "lambda", "class"
    node: ast.AST
    parent_ref: "weakref.ref[Scope] | None"  # weak: no reference cycles, trees free at once
    is_async: bool = False
    bindings: dict[str, list[Binding]] = field(default_factory=dict)
    global_names: set[str] = field(default_factory=set)
    nonlocal_names: set[str] = field(default_factory=set)
    nodes: list[ast.AST] = field(default_factory=list)  # nodes whose innermost scope is this
    children: list["Scope"] = field(default_factory=list)

    @property
    def parent(self) -> "Scope | None":
        return self.parent_ref() if self.parent_ref is not None else None

    @property
    def name(self) -> str:
        return getattr(self.node, "name", "<module>" if self.kind == "module" else "<lambda>")

    def bind(self, name: str, binding: Binding) -> None:
        self.bindings.setdefault(name, []).append(binding)

    def walk_own(self, *types: type) -> Iterator[ast.AST]:
        """Nodes of the given types that belong to this scope, not to nested ones."""
        if not types:
            yield from self.nodes
            return
        for node in self.nodes:
            if isinstance(node, types):
                yield node


class ModuleFacts:
    """Everything the rules need to know about one parsed module."""

    def __init__(self, tree: ast.Module, source: str, index: LineIndex | None = None,
                 path: str = "<string>", module_name: str | None = None) -> None:
        self.tree = tree
        self.source = source
        self.index = index or LineIndex(source)
        self.path = path
        self.module_name = module_name  # dotted name relative to its source root, if known
        self.scopes: list[Scope] = []
        self.by_type: dict[type, list[ast.AST]] = {}
        # Kept here rather than as attributes on the nodes: no per-node __dict__ and no
        # child<->parent cycles, so a tree is freed as soon as its facts are dropped.
        self._parents: dict[ast.AST, ast.AST | None] = {tree: None}
        self._scopes: dict[ast.AST, Scope] = {}
        self._own_scopes: dict[ast.AST, Scope] = {}
        self.star_imports: list[str] = []
        self.module_scope = self._new_scope("module", tree, None)
        _Collector(self).run()

    # --- construction -----------------------------------------------------------------
    def _new_scope(self, kind: str, node: ast.AST, parent: Scope | None, is_async: bool = False) -> Scope:
        scope = Scope(kind, node, weakref.ref(parent) if parent is not None else None, is_async)
        if parent is not None:
            parent.children.append(scope)
        self.scopes.append(scope)
        self._own_scopes[node] = scope
        return scope

    # --- queries ----------------------------------------------------------------------
    def nodes(self, *types: type) -> list[ast.AST]:
        out: list[ast.AST] = []
        for t in types:
            out.extend(self.by_type.get(t, ()))
        return out

    def scope_of(self, node: ast.AST) -> Scope:
        return self._scopes[node]

    def own_scope(self, node: ast.AST) -> Scope | None:
        """The scope a def, lambda or class (or the module) opens, else None."""
        return self._own_scopes.get(node)

    def parent(self, node: ast.AST) -> ast.AST | None:
        return self._parents.get(node)

    def ancestors(self, node: ast.AST) -> Iterator[ast.AST]:
        node = self.parent(node)
        while node is not None:
            yield node
            node = self.parent(node)

    def function_scope(self, node: ast.AST) -> Scope:
        """The innermost def/async def/lambda/class/module scope holding `node`."""
        return self.scope_of(node)

    def lookup(self, name: str, scope: Scope) -> tuple[Scope, list[Binding]] | None:
        """Find the bindings a name refers to from `scope`, following Python's rules."""
        current: Scope | None = scope
        first = True
        while current is not None:
            if name in current.global_names and current is not self.module_scope:
                current = self.module_scope  # (`global x` at module level, legal, changes nothing)
                first = False
                continue
            # Class bodies are invisible to the functions nested in them.
            if current.kind != "class" or first:
                found = current.bindings.get(name)
                if found:
                    return current, found
            current = current.parent
            first = False
        return None

    def resolve(self, expr: ast.AST, _depth: int = 0) -> str | None:
        """The dotted name an expression refers to, or None when it is not a plain import.

        `t.sleep` -> "time.sleep" after `import time as t`; `nap` -> "time.sleep" after
        `from time import sleep as nap` or `nap = time.sleep`; a parameter or local
        named `time` is not the module and gives None. Names bound nowhere resolve to
        `builtins.<name>`.
        """
        if _depth > 8:
            return None
        if isinstance(expr, ast.Attribute):
            base = self.resolve(expr.value, _depth + 1)
            return f"{base}.{expr.attr}" if base else None
        if not isinstance(expr, ast.Name):
            return None
        found = self.lookup(expr.id, self.scope_of(expr))
        if found is None:
            return f"builtins.{expr.id}"
        _, bindings = found
        names = set()
        for binding in bindings:
            if binding.kind == "import":
                names.add(binding.qualname)
            elif binding.kind == "assign" and binding.value is not None and _is_reference(binding.value):
                target = self.resolve(binding.value, _depth + 1)
                if target is None:
                    return None
                names.add(target)
            else:
                return None
        return names.pop() if len(names) == 1 else None

    def string_value(self, expr: ast.AST, _depth: int = 0) -> str | None:
        """The (leading) text of a string expression: a literal, the constant head of
        an f-string, or a name bound only to such a string in its scope."""
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
            return self.string_value(expr.left, _depth + 1)
        if isinstance(expr, ast.Name) and _depth < 4:
            found = self.lookup(expr.id, self.scope_of(expr))
            if found:
                values = {
                    self.string_value(b.value, _depth + 1) if b.kind == "assign" and b.value is not None else None
                    for b in found[1]
                }
                if len(values) == 1:
                    return values.pop()
        return None

    def literal_string(self, expr: ast.AST) -> str | None:
        """A str literal's text, or that of a name bound only to one (no f-strings)."""
        if isinstance(expr, ast.Constant):
            return expr.value if isinstance(expr.value, str) else None
        if isinstance(expr, ast.Name):
            found = self.lookup(expr.id, self.scope_of(expr))
            if found is None:
                return None
            values = {
                b.value.value if b.kind == "assign" and isinstance(b.value, ast.Constant)
                and isinstance(b.value.value, str) else None
                for b in found[1]
            }
            if len(values) == 1:
                return values.pop()
        return None

    def text(self, node: ast.AST) -> str:
        """Source text of a node, whitespace-normalised (used to compare expressions)."""
        # `name` and `a.b.c`, by far the most asked, written as `ast.unparse` writes them
        # without its cost (rules take the text of every status check's result).
        if type(node) is ast.Name:
            return node.id
        if type(node) is ast.Attribute and type(node.value) in (ast.Name, ast.Attribute):
            return f"{self.text(node.value)}.{node.attr}"
        try:
            return ast.unparse(node)
        except Exception:  # pragma: no cover - unparse handles every parsed node
            return ""

    def range(self, node: ast.AST):
        return self.index.node_range(node)


def iter_children(node: ast.AST) -> Iterator[ast.AST]:
    """The child nodes of `node`, like `ast.iter_child_nodes` but without its two
    generators per node (it is on every rule's hot path)."""
    for name in node._fields:
        value = getattr(node, name, None)
        if isinstance(value, list):
            for item in value:
                if isinstance(item, ast.AST):
                    yield item
        elif isinstance(value, ast.AST):
            yield value


def _is_reference(expr: ast.AST) -> bool:
    while isinstance(expr, ast.Attribute):
        expr = expr.value
    return isinstance(expr, ast.Name)


class _Collector:
    """One recursive walk: parents, scopes, bindings and the per-type index."""

    def __init__(self, facts: ModuleFacts) -> None:
        self.facts = facts
        self.by_type = facts.by_type
        self.parents = facts._parents
        self.scopes = facts._scopes

    def run(self) -> None:
        tree = self.facts.tree
        self.scopes[tree] = self.facts.module_scope
        self.children(tree, self.facts.module_scope)

    def visit(self, node: ast.AST, parent: ast.AST, scope: Scope) -> None:
        kind = type(node)
        if kind in _SHARED_LEAVES:
            return
        self.parents[node] = parent
        self.scopes[node] = scope
        scope.nodes.append(node)
        same = self.by_type.get(kind)
        if same is None:
            self.by_type[kind] = [node]
        else:
            same.append(node)
        handler = _HANDLERS.get(kind)
        if handler is not None:
            handler(self, node, parent, scope)
        elif kind not in _LEAVES:
            self.children(node, scope)

    def children(self, node: ast.AST, scope: Scope) -> None:
        # Faster than ast.iter_child_nodes, which builds two generators per node.
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, list):
                for item in value:
                    if isinstance(item, ast.AST):
                        self.visit(item, node, scope)
            elif isinstance(value, ast.AST):
                self.visit(value, node, scope)

    def visit_all(self, nodes, parent: ast.AST, scope: Scope) -> None:
        for child in nodes:
            if child is not None:
                self.visit(child, parent, scope)

    # --- scope-creating nodes ------------------------------------------------------------
    def function(self, node, parent, scope: Scope) -> None:
        scope.bind(node.name, Binding("def", node))
        self.visit_all(node.decorator_list, node, scope)
        args = node.args
        self.parents[args] = node
        self.visit_all(args.defaults, args, scope)
        self.visit_all(args.kw_defaults, args, scope)
        if node.returns is not None:
            self.visit(node.returns, node, scope)
        inner = self.facts._new_scope("function", node, scope, isinstance(node, ast.AsyncFunctionDef))
        self.scopes[args] = inner
        self.parameters(args, inner)
        self.visit_all(node.body, node, inner)

    def lambda_(self, node, parent, scope: Scope) -> None:
        args = node.args
        self.parents[args] = node
        self.visit_all(args.defaults, args, scope)
        self.visit_all(args.kw_defaults, args, scope)
        inner = self.facts._new_scope("lambda", node, scope)
        self.scopes[args] = inner
        self.parameters(args, inner)
        self.visit(node.body, node, inner)

    def class_(self, node, parent, scope: Scope) -> None:
        scope.bind(node.name, Binding("class", node))
        self.visit_all(node.decorator_list, node, scope)
        self.visit_all(node.bases, node, scope)
        self.visit_all(node.keywords, node, scope)
        inner = self.facts._new_scope("class", node, scope)
        self.visit_all(node.body, node, inner)

    def parameters(self, args: ast.arguments, scope: Scope) -> None:
        every = [*args.posonlyargs, *args.args, *args.kwonlyargs]
        if args.vararg:
            every.append(args.vararg)
        if args.kwarg:
            every.append(args.kwarg)
        for arg in every:
            scope.bind(arg.arg, Binding("param", arg))
            self.parents[arg] = args
            self.scopes[arg] = scope
            if arg.annotation is not None:
                self.visit(arg.annotation, arg, scope.parent or scope)

    # --- binding nodes -------------------------------------------------------------------
    def import_(self, node: ast.Import, parent, scope: Scope) -> None:
        for alias in node.names:
            if alias.asname:
                scope.bind(alias.asname, Binding("import", node, alias.name))
            else:
                top = alias.name.split(".", 1)[0]
                scope.bind(top, Binding("import", node, top))
        self.children(node, scope)

    def import_from(self, node: ast.ImportFrom, parent, scope: Scope) -> None:
        module = "." * (node.level or 0) + (node.module or "")
        for alias in node.names:
            if alias.name == "*":
                self.facts.star_imports.append(module)
                continue
            qual = f"{module}.{alias.name}" if module and not module.endswith(".") else module + alias.name
            scope.bind(alias.asname or alias.name, Binding("import", node, qual))
        self.children(node, scope)

    def name(self, node: ast.Name, parent, scope: Scope) -> None:
        if not isinstance(node.ctx, ast.Load):
            value = None
            if isinstance(parent, ast.Assign) and len(parent.targets) == 1 and parent.targets[0] is node:
                value = parent.value
            elif isinstance(parent, ast.AnnAssign) and parent.target is node:
                value = parent.value
            elif isinstance(parent, ast.NamedExpr):
                value = parent.value
            scope.bind(node.id, Binding("assign" if value is not None else "other", node, value=value))

    def global_(self, node, parent, scope: Scope) -> None:
        scope.global_names.update(node.names)

    def nonlocal_(self, node, parent, scope: Scope) -> None:
        scope.nonlocal_names.update(node.names)

    def except_handler(self, node: ast.ExceptHandler, parent, scope: Scope) -> None:
        if node.name:
            scope.bind(node.name, Binding("other", node))
        self.children(node, scope)

    def match_capture(self, node, parent, scope: Scope) -> None:
        name = getattr(node, "name", None) or getattr(node, "rest", None)
        if name:
            scope.bind(name, Binding("other", node))
        self.children(node, scope)


# Context and operator nodes are shared singletons in `ast`: never annotate them.
_SHARED_LEAVES = frozenset(
    t for base in (ast.expr_context, ast.operator, ast.boolop, ast.unaryop, ast.cmpop)
    for t in base.__subclasses__()
)

# Nodes without child nodes worth visiting.
_LEAVES = frozenset({ast.Constant, ast.Pass, ast.Break, ast.Continue, ast.alias})

_HANDLERS = {
    ast.FunctionDef: _Collector.function,
    ast.AsyncFunctionDef: _Collector.function,
    ast.Lambda: _Collector.lambda_,
    ast.ClassDef: _Collector.class_,
    ast.Import: _Collector.import_,
    ast.ImportFrom: _Collector.import_from,
    ast.Name: _Collector.name,
    ast.Global: _Collector.global_,
    ast.Nonlocal: _Collector.nonlocal_,
    ast.ExceptHandler: _Collector.except_handler,
}
for _match_node in ("MatchAs", "MatchStar", "MatchMapping"):
    if hasattr(ast, _match_node):
        _HANDLERS[getattr(ast, _match_node)] = _Collector.match_capture
