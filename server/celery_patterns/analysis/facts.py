"""Facts about one module, gathered in a single walk of its `ast` tree.

Rules ask questions of a `ModuleFacts` instead of walking the tree themselves:
which scope a node is in, what a name refers to (import aliases, simple assignments,
enclosing scopes, shadowing by parameters and locals, comprehension variables only inside
their comprehension, star imports of the modules in `STAR_EXPORTS`), which nodes of a
type exist. A rule that looks a name up itself passes the node it reads the name at
(`facts.lookup(name.id, facts.scope_of(name), name)`) to get comprehensions right.

Detection uses the standard library's `ast` because it is far faster than libcst;
libcst is only loaded when a fix is computed (see `fixing.py`).
"""

from __future__ import annotations

import ast
import bisect
import math
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import chain
from typing import Any, TypeVar, overload

from ..source import LineIndex

FUNCTION_NODES = (ast.FunctionDef, ast.AsyncFunctionDef)
SCOPE_NODES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
COMPREHENSION_NODES = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
_STATEMENT_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)  # never inside a comprehension
_UNKNOWN = object()  # (not worked out yet: None is an answer)
N = TypeVar("N", bound=ast.AST)
M = TypeVar("M", bound=ast.AST)


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
    function, which is what a reader expects (`[time.sleep(1) for _ in x]` blocks). The
    names a comprehension's `for` targets bind are not in `bindings`, though: as in
    Python 3 they exist only inside that comprehension (`ModuleFacts.lookup(..., at=node)`
    finds them there). A walrus target binds in the enclosing scope, as Python does.
    """

    kind: str  # "module", "function", "lambda", "class"
    node: ast.AST
    parent_ref: weakref.ref[Scope] | None  # weak: no reference cycles, trees free at once
    is_async: bool = False
    bindings: dict[str, list[Binding]] = field(default_factory=dict)
    global_names: set[str] = field(default_factory=set)
    nonlocal_names: set[str] = field(default_factory=set)
    nodes: list[ast.AST] = field(default_factory=list)  # nodes whose innermost scope is this
    # What the `for` targets of the comprehensions in this scope bind (not in `bindings`).
    comprehension_bindings: dict[str, list[Binding]] = field(default_factory=dict)
    class_comprehension: bool = False  # a class body holding a comprehension
    children: list[Scope] = field(default_factory=list)

    @property
    def parent(self) -> Scope | None:
        return self.parent_ref() if self.parent_ref is not None else None

    @property
    def name(self) -> str:
        return getattr(self.node, "name", "<module>" if self.kind == "module" else "<lambda>")

    def bind(self, name: str, binding: Binding) -> None:
        self.bindings.setdefault(name, []).append(binding)

    @overload
    def walk_own(self, kind: type[N], /) -> Iterator[N]: ...
    @overload
    def walk_own(self, *types: type[ast.AST]) -> Iterator[ast.AST]: ...
    def walk_own(self, *types: type[ast.AST]) -> Iterator[ast.AST]:
        """Nodes of the given types that belong to this scope, not to nested ones."""
        if not types:
            yield from self.nodes
            return
        for node in self.nodes:
            if isinstance(node, types):
                yield node


class ModuleFacts:
    """Everything the rules need to know about one parsed module."""

    def __init__(
        self,
        tree: ast.Module,
        source: str,
        index: LineIndex | None = None,
        path: str = "<string>",
        module_name: str | None = None,
        *,
        earlier: ModuleFacts | None = None,
        by_unit: bool = False,
        take_over: bool = True,
    ) -> None:
        """`by_unit`: keep what each top-level def and class added, for the facts of a next
        version of the text (an editor buffer's). `earlier`: those facts of the last version,
        whose units that are the very statements of this tree are taken instead of walked
        again (what a unit adds depends on nothing outside it: names are looked up when asked).
        They are taken over, module scope and all, and must not be used afterwards; facts
        taken over once already are not taken again. Without `take_over`, `earlier` is left
        as it is and the scopes taken are copied (twice the cost)."""
        self.tree = tree
        self.source = source
        self.index = index or LineIndex(source)
        self.path = path
        self.module_name = module_name  # dotted name relative to its source root, if known
        # The workspace's project model and this module's summary in it (`model/`), set by the
        # engine for the rules that read them; None when the check has no workspace.
        self.project: Any = None
        self.summary: Any = None
        self.scopes: list[Scope] = []
        # Nodes by type, in the order walked. With `by_unit`, put together per type when first
        # asked from `_parts`, each top-level statement's nodes by type (a unit's as it walked
        # them): a buffer's version asks for a few types of the dozens its units hold.
        self._by_type: dict[type, list[ast.AST]] = {}
        # (id(unit) or None, its nodes by type, its selections (`select`) or None for module code)
        self._parts: list[tuple[int | None, dict[type, list[ast.AST]], dict | None]] | None = None
        # Kept here rather than as attributes on the nodes: no per-node __dict__ and no
        # child<->parent cycles, so a tree is freed as soon as its facts are dropped.
        self._parents: dict[ast.AST, ast.AST | None] = {tree: None}
        self._scopes: dict[ast.AST, Scope] = {}
        self._own_scopes: dict[ast.AST, Scope] = {}
        # Facts that copy the units they take (`take_over=False`) map those units' nodes to the
        # scopes they were walked in, as they are, and read each scope through its copy here.
        self._copies: dict[Scope, Scope] = {}
        self.star_imports: list[str] = []  # the modules of `from m import *`, in source order
        self._star_statements: list[tuple[str, ast.ImportFrom]] = []
        # Names bound by comprehension `for` targets, per comprehension: visible only inside it.
        self._comprehension_bindings: dict[ast.AST, dict[str, list[Binding]]] = {}
        self._comprehension_names: set[str] = set()  # in any scope
        self._by_range: dict[type, dict] = {}  # per node type, range -> first such node
        self._memo: dict[str, object] = {}
        self._resolved: dict[tuple[int, str], str | None] = {}  # name_key -> what resolve() found
        # (scope binding a name, the name) -> (what its bindings refer to, found following assignments)
        self._bound_names: dict[tuple[int, str], tuple[str | None, bool]] = {}
        self.module_scope: Scope
        # With `by_unit`: the parents and scopes of the nodes outside the units (module code).
        self._outside: tuple[dict, dict, dict] = ({}, {}, {})
        taken = earlier._unit_facts if earlier is not None else None
        self._inherited = False  # whether the node maps are the last version's, taken over
        if earlier is not None and taken is not None and take_over:
            earlier._unit_facts = None  # (taken once)
            self._take_maps(earlier, taken)
            # The taken units' scopes have the last version's module scope as their parent:
            # it becomes this one's, emptied, so they are shared as they are.
            self.module_scope = self._emptied(earlier.module_scope)
        else:
            self.module_scope = self._new_scope("module", tree, None)
        # What each top-level def and class added, by id(statement) (with `by_unit` only).
        self._unit_facts: dict[int, _UnitFacts] | None = {} if by_unit or taken is not None else None
        self.by_unit = self._unit_facts is not None  # (an editor buffer's: what is made of it is kept per unit)
        # With `by_unit`: where each unit's nodes of a type lie in `nodes(type)`, by type, then
        # by id(statement).
        self._unit_slices: dict[type, dict[int, tuple[int, int]]] = {}
        _Collector(self).run(taken, copied=not take_over)

    # --- construction -----------------------------------------------------------------
    def _new_scope(self, kind: str, node: ast.AST, parent: Scope | None, is_async: bool = False) -> Scope:
        scope = Scope(kind, node, weakref.ref(parent) if parent is not None else None, is_async)
        if parent is not None:
            parent.children.append(scope)
        self.scopes.append(scope)
        self._own_scopes[node] = scope
        return scope

    def _take_maps(self, earlier: ModuleFacts, taken: dict[int, _UnitFacts]) -> None:
        """Take over the last version's parents and scopes of nodes, with what it held of its
        module code and of the units this tree does not keep taken out: the units kept are
        in them as they are (their nodes are the very same), so they are not added again."""
        parents, scopes, own_scopes = earlier._parents, earlier._scopes, earlier._own_scopes
        kept = {id(s) for s in self.tree.body if (unit := taken.get(id(s))) is not None and unit.statement is s}
        gone: list[tuple[dict, dict]] = [
            (parents, earlier._outside[0]),
            (scopes, earlier._outside[1]),
            (own_scopes, earlier._outside[2]),
        ]
        for key, unit in taken.items():
            if key not in kept:
                gone += [(parents, unit.parents), (scopes, unit.scopes), (own_scopes, unit.own_scopes)]
                parents.pop(unit.statement, None)
        for mapping, nodes in gone:
            for node in nodes:
                mapping.pop(node, None)
        for mapping in (parents, scopes, own_scopes):
            mapping.pop(earlier.tree, None)
        parents[self.tree] = None
        self._parents, self._scopes, self._own_scopes = parents, scopes, own_scopes
        earlier._parents, earlier._scopes, earlier._own_scopes = {}, {}, {}  # (unusable once taken)
        self._inherited = True

    def _emptied(self, module: Scope) -> Scope:
        module.node = self.tree
        module.bindings, module.nodes, module.children = {}, [], []
        module.global_names, module.nonlocal_names, module.comprehension_bindings = set(), set(), {}
        self.scopes.append(module)
        self._own_scopes[self.tree] = module
        return module

    # --- queries ----------------------------------------------------------------------
    @overload
    def nodes(self, kind: type[N], /) -> list[N]: ...
    @overload
    def nodes(self, kind: type[N], other: type[M], /) -> list[N | M]: ...
    @overload
    def nodes(self, *types: type[ast.AST]) -> list[ast.AST]: ...
    def nodes(self, *types: type[ast.AST]) -> list[Any]:
        out: list[ast.AST] = []
        for t in types:
            out.extend(self._of_type(t))
        return out

    def _of_type(self, kind: type[ast.AST]) -> list[ast.AST]:
        found = self._by_type.get(kind)
        if found is None:
            found = []
            if self._parts is not None:
                found = list(chain.from_iterable(part.get(kind, ()) for _, part, _ in self._parts))
                self._by_type[kind] = found
        return found

    @overload
    def select(self, key: str, keep, kind: type[N], /) -> list[N]: ...
    @overload
    def select(self, key: str, keep, kind: type[N], other: type[M], /) -> list[N | M]: ...
    def select(self, key: str, keep, *types: type[ast.AST]) -> list[Any]:
        """The nodes of `types` for which `keep(node)` holds, in the order `nodes` gives.

        `keep` must read the node alone (its syntax: no name resolved, no parent asked) and
        `key` name it: a buffer's unit keeps what it selected for the versions that take it,
        whose nodes are the same, so a long module's next version tests only the nodes of its
        module code and of the units an edit replaced."""
        found: list = []
        for kind in types:
            if self._parts is None:
                found += [node for node in self._of_type(kind) if keep(node)]
                continue
            for _, part, selections in self._parts:
                nodes = part.get(kind)
                if not nodes:
                    continue
                if selections is None:
                    found += [node for node in nodes if keep(node)]
                    continue
                chosen = selections.get((key, kind))
                if chosen is None:
                    chosen = selections[(key, kind)] = [node for node in nodes if keep(node)]
                found += chosen
        return found

    @property
    def by_type(self) -> dict[type, list[ast.AST]]:
        """Every type's nodes, in the order walked."""
        for _, part, _ in self._parts or ():
            for kind in part:
                self._of_type(kind)
        return {kind: nodes for kind, nodes in self._by_type.items() if nodes}

    def memo(self, key: str, compute):
        """`compute()`, worked out once per module: what a rule needs at every finding but
        that depends only on the module (key it by the rule, e.g. "CEL002.asyncio")."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def imported_names(self, qualname: str, top_level: bool = False) -> list[str]:
        """The module-level names (in binding order) bound only by importing `qualname`
        (`import asyncio as aio`, `from time import sleep`); with `top_level`, only by an
        import statement of the module's own body (not one inside an `if` or `try`)."""

        def index() -> dict[str, list[tuple[str, bool]]]:
            found: dict[str, list[tuple[str, bool]]] = {}
            for name, bindings in self.module_scope.bindings.items():
                if len(bindings) == 1 and bindings[0].kind == "import" and bindings[0].qualname:
                    found.setdefault(bindings[0].qualname, []).append(
                        (name, self.parent(bindings[0].node) is self.tree)
                    )
            return found

        entries = self.memo("imported_names", index).get(qualname, ())
        return [name for name, at_top in entries if at_top or not top_level]

    @overload
    def node_at(self, where, kind: type[N], /) -> N | None: ...
    @overload
    def node_at(self, where, *types: type[ast.AST]) -> ast.AST | None: ...
    def node_at(self, where, *types: type[ast.AST]) -> ast.AST | None:
        """The first node of `types` (in the order `nodes` gives) whose range is `where`:
        how a fixer finds the node its finding was made at."""
        unit = self._unit_at(where.start.line) if self._parts is not None else None
        if unit is not None:  # (a buffer's: only the nodes of the def or class on those lines)
            for t in types:
                where_in = self.unit_slice(unit, t)
                for node in self._of_type(t)[where_in[0] : where_in[1]] if where_in else ():
                    if self.range(node) == where:
                        return node
            return None
        for t in types:
            by_range = self._by_range.get(t)
            if by_range is None:  # built on first use: only fixes ask
                by_range = self._by_range[t] = {}
                for node in self._of_type(t):
                    by_range.setdefault(self.range(node), node)
            if (found := by_range.get(where)) is not None:
                return found
        return None

    def _unit_at(self, line: int) -> ast.stmt | None:
        """The top-level def or class on 0-based `line` (a line no other statement shares)."""
        body = self.tree.body
        i = bisect.bisect_right(body, line, key=first_line) - 1
        if i >= 0 and isinstance(body[i], _STATEMENT_SCOPES) and line < (body[i].end_lineno or 0):
            return body[i]
        return None

    def scope_of(self, node: ast.AST) -> Scope:
        scope = self._scopes[node]
        return self._copies.get(scope, scope) if self._copies else scope

    def unit_slice(self, statement: ast.stmt, kind: type[ast.AST]) -> tuple[int, int] | None:
        """Where the nodes of type `kind` of the top-level def or class `statement` (its
        decorators and defaults included) lie in `nodes(kind)`: a unit's nodes come one after
        another. None when it holds none, or when the facts are not `by_unit`."""
        slices = self._unit_slices.get(kind)
        if slices is None:  # (worked out for a type when first asked)
            slices = self._unit_slices[kind] = {}
            start = 0
            for unit, part, _ in self._parts or ():
                nodes = part.get(kind)
                if nodes:
                    if unit is not None:
                        slices[unit] = (start, start + len(nodes))
                    start += len(nodes)
        return slices.get(id(statement))

    def own_scope(self, node: ast.AST) -> Scope | None:
        """The scope a def, lambda or class (or the module) opens, else None."""
        scope = self._own_scopes.get(node)
        return self._copies.get(scope, scope) if self._copies and scope is not None else scope

    def parent(self, node: ast.AST) -> Any:
        # Any, not `ast.AST | None`: callers test the parent's type before they touch it.
        return self._parents.get(node)

    def ancestors(self, node: ast.AST) -> Iterator[ast.AST]:
        current = self.parent(node)
        while current is not None:
            yield current
            current = self.parent(current)

    def function_scope(self, node: ast.AST) -> Scope:
        """The innermost def/async def/lambda/class/module scope holding `node`."""
        return self.scope_of(node)

    def lookup(self, name: str, scope: Scope, at: ast.AST | None = None) -> tuple[Scope, list[Binding]] | None:
        """Find the bindings a name refers to from `scope`, following Python's rules.

        `at` is the node where the name is read (usually the `ast.Name` itself). With it,
        the targets of a comprehension are found exactly where they are visible
        (`[t for t in ts]` binds `t` inside the brackets alone), and the names of a class
        body are hidden from a comprehension in that body. Without it, a comprehension's
        targets are found only when nothing else in the scopes binds the name: a name read
        outside the comprehension is never taken for its variable, but one read inside
        it that is also bound outside is taken for the outer name.
        """
        first = True
        if at is not None and (name in self._comprehension_names or scope.class_comprehension):
            if name in self._comprehension_names and self._comprehension_in_reach(name, scope):
                in_comprehension = self._comprehension_lookup(name, scope, at)
                if in_comprehension is not None:
                    return in_comprehension
            if scope.class_comprehension and next(self._comprehensions_around(at), None) is not None:
                first = False  # a comprehension is a function scope: the class body is not visible
        current: Scope | None = scope
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
        if at is None and name in self._comprehension_names:
            return self._any_comprehension_binding(name, scope)
        return None

    @staticmethod
    def _comprehension_in_reach(name: str, scope: Scope) -> bool:
        """A comprehension in `scope` or around it binds `name` (else no node needs walking)."""
        current: Scope | None = scope
        while current is not None:
            if name in current.comprehension_bindings:
                return True
            current = current.parent
        return False

    def _any_comprehension_binding(self, name: str, scope: Scope) -> tuple[Scope, list[Binding]] | None:
        """The targets named `name` of the comprehensions in the innermost scope (from
        `scope` outwards) that has any."""
        current: Scope | None = scope
        while current is not None:
            bound = current.comprehension_bindings.get(name)
            if bound and (current is scope or current.kind != "class"):
                return current, bound
            current = current.parent
        return None

    def _comprehensions_around(self, node: ast.AST) -> Iterator[ast.AST]:
        """The comprehensions whose own scope holds `node`, innermost first. The first
        iterable of a comprehension is evaluated outside it, so it is not held."""
        parents = self._parents
        grandchild, child, current = None, node, parents.get(node)
        while current is not None and type(current) not in _STATEMENT_SCOPES:
            if isinstance(current, COMPREHENSION_NODES):
                first = current.generators[0]
                if not (child is first and grandchild is first.iter):
                    yield current
            grandchild, child, current = child, current, parents.get(current)

    def _comprehension_lookup(self, name: str, scope: Scope, at: ast.AST) -> tuple[Scope, list[Binding]] | None:
        for comprehension in self._comprehensions_around(at):
            bound = self._comprehension_bindings.get(comprehension, {}).get(name)
            if not bound:
                continue
            holder = self.scope_of(comprehension)
            current: Scope | None = scope
            while current is not None and current is not holder:  # a lambda in it may bind the name
                if name in current.bindings:
                    return None
                current = current.parent
            return holder, bound
        return None

    def _star_imported(self, name: ast.Name) -> str | None:
        """`module.name` when only a `from module import *` of a module whose public names
        are known binds `name` (the last such import that exports it)."""
        runs_later = False  # in a def or lambda: runs after the module is imported
        scope: Scope | None = self.scope_of(name)
        while scope is not None:
            if scope.kind in ("function", "lambda"):
                runs_later = True
                break
            scope = scope.parent
        for module, statement in reversed(self._star_statements):
            exported = STAR_EXPORTS.get(module)
            if exported is None or name.id not in exported:
                continue
            if runs_later or (statement.lineno, statement.col_offset) < (name.lineno, name.col_offset):
                return f"{module}.{name.id}"
        return None

    def resolve(self, expr: ast.AST, _depth: int = 0) -> str | None:
        """The dotted name an expression refers to, or None when it is not a plain import.

        `t.sleep` -> "time.sleep" after `import time as t`; `nap` -> "time.sleep" after
        `from time import sleep as nap` or `nap = time.sleep`; a parameter or local
        named `time` is not the module and gives None. A name bound only by a star import
        of a module listed in `STAR_EXPORTS` that exports it resolves into that module
        (`sleep` -> "time.sleep" after `from time import *`); other names bound nowhere
        resolve to `builtins.<name>`.
        """
        if _depth > 8:
            return None
        if isinstance(expr, ast.Attribute):
            base = self.resolve(expr.value, _depth + 1)
            return f"{base}.{expr.attr}" if base else None
        if not isinstance(expr, ast.Name):
            return None
        scope = self.scope_of(expr)
        key = self._name_key(expr, scope) if _depth == 0 else None
        if key is not None:
            known = self._resolved.get(key, _UNKNOWN)
            if known is not _UNKNOWN:
                return known  # type: ignore[return-value]
        qualname = self._resolve_name(expr, scope, _depth)
        if key is not None:
            self._resolved[key] = qualname
        return qualname

    def name_key(self, name: ast.Name) -> tuple[int, str] | None:
        """A key for what `name` means that every read of it in its scope shares, or None when
        where it is read matters (a comprehension's variable, a star import's name): what
        is worked out from a name once can be kept under it."""
        return self._name_key(name, self.scope_of(name))

    def _name_key(self, name: ast.Name, scope: Scope) -> tuple[int, str] | None:
        if name.id in self._comprehension_names or scope.class_comprehension or self._star_statements:
            return None
        return (id(scope), name.id)

    def _resolve_name(self, expr: ast.Name, scope: Scope, _depth: int) -> str | None:
        found = self.lookup(expr.id, scope, expr)
        if found is None:
            if self._star_statements:
                star = self._star_imported(expr)
                if star is not None:
                    return star
            return f"builtins.{expr.id}"
        scope, bindings = found
        # What a scope's bindings of a name say is the same from every scope reading it: a
        # module importing `time` 4,000 times, read in 4,000 functions, must not read each
        # binding for each (that made a 10 MB file of re-imports quadratic).
        key = (id(scope), expr.id)
        known = self._bound_names.get(key)
        if known is not None and (_depth == 0 or not known[1]):
            return known[0]
        qualname, followed = self._bound_name(bindings, _depth)
        if _depth == 0 or not followed:  # (what followed assignments depends on how deep it began)
            self._bound_names[key] = (qualname, followed)
        return qualname

    def _bound_name(self, bindings: list[Binding], _depth: int) -> tuple[str | None, bool]:
        """The one dotted name these bindings of a name all refer to, or None; and whether
        it followed an assignment (`nap = time.sleep`) to find it."""
        names = set()
        followed = False
        for binding in bindings:
            if binding.kind == "import":
                names.add(binding.qualname)
            elif binding.kind == "assign" and binding.value is not None and _is_reference(binding.value):
                followed = True
                target = self.resolve(binding.value, _depth + 1)
                if target is None:
                    return None, True
                names.add(target)
            else:
                return None, followed
        return (names.pop() if len(names) == 1 else None), followed

    def text(self, node: ast.AST) -> str:
        """Source text of a node, whitespace-normalised (used to compare expressions)."""
        # `name` and `a.b.c`, by far the most asked, written as `ast.unparse` writes them
        # without its cost (rules take the text of every status check's result).
        if type(node) is ast.Name:
            return node.id
        if type(node) is ast.Attribute and type(node.value) in (ast.Name, ast.Attribute):
            return f"{self.text(node.value)}.{node.attr}"
        if type(node) is ast.Call and type(node.func) in (ast.Name, ast.Attribute):  # `time.sleep(delay)`
            arguments = [_plain_text(a) for a in node.args]
            arguments += [_plain_text(k.value) and f"{k.arg}={_plain_text(k.value)}" for k in node.keywords if k.arg]
            if all(arguments) and len(arguments) == len(node.args) + len(node.keywords):
                return f"{self.text(node.func)}({', '.join(arguments)})"  # type: ignore[arg-type]
        try:
            return ast.unparse(node)
        except Exception:  # pragma: no cover - unparse handles every parsed node
            return ""

    def range(self, node: ast.AST):
        return self.index.node_range(node)


def _plain_text(node: ast.expr) -> str | None:
    """How `ast.unparse` writes a name, a dotted name or a plain literal; None for anything else."""
    if type(node) is ast.Name:
        return node.id
    if type(node) is ast.Attribute:
        base = _plain_text(node.value)
        return f"{base}.{node.attr}" if base and type(node.value) in (ast.Name, ast.Attribute) else None
    if type(node) is ast.Constant:
        value = node.value
        if value is None or type(value) in (bool, int, str, bytes) or (type(value) is float and math.isfinite(value)):
            return repr(value)  # (as unparse writes them: a float of 1e400 it writes `1e309`)
    return None


def first_line(statement: ast.stmt) -> int:
    """The 0-based line a statement starts on (a decorated one's first decorator's)."""
    decorators = getattr(statement, "decorator_list", None) or ()
    return min([statement.lineno, *(d.lineno for d in decorators)]) - 1


def in_generator_expression(facts: ModuleFacts, node: ast.AST) -> bool:
    """`node` is evaluated inside a generator expression of its own function."""
    scope = facts.scope_of(node).node
    for ancestor in facts.ancestors(node):
        if ancestor is scope:
            return False
        if isinstance(ancestor, ast.GeneratorExp):
            return True
    return False


def own_nodes(root: ast.AST) -> Iterator[ast.AST]:
    """`root` and its descendants that run in its scope: not entering nested def, lambda
    or class bodies (nor their decorators and defaults)."""
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        for child in iter_children(node):
            if not isinstance(child, SCOPE_NODES):
                stack.append(child)


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


def _target_names(target: ast.AST) -> Iterator[ast.Name]:
    """The names an assignment target binds (`x`, `(a, *b)`; not `o.x` nor `d[k]`)."""
    if type(target) is ast.Name:
        yield target
    elif isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            yield from _target_names(element)
    elif isinstance(target, ast.Starred):
        yield from _target_names(target.value)


def _is_reference(expr: ast.AST) -> bool:
    while isinstance(expr, ast.Attribute):
        expr = expr.value
    return isinstance(expr, ast.Name)


@dataclass(eq=False)
class _UnitFacts:
    """What walking one top-level def or class added to its module's facts, shared by the
    facts of later versions that take it (nothing changes it once walked)."""

    statement: ast.stmt
    parents: dict[ast.AST, ast.AST | None] = field(default_factory=dict)
    scopes: dict[ast.AST, Scope] = field(default_factory=dict)  # node -> its innermost scope
    own_scopes: dict[ast.AST, Scope] = field(default_factory=dict)
    by_type: dict[type, list[ast.AST]] = field(default_factory=dict)
    new_scopes: list[Scope] = field(default_factory=list)  # in the order they were opened
    comprehension_bindings: dict[ast.AST, dict[str, list[Binding]]] = field(default_factory=dict)
    comprehension_names: set[str] = field(default_factory=set)
    # What it added to the module scope: nodes (the statement, its decorators and defaults),
    # bindings (its name; a walrus in a decorator) and comprehension targets, in order.
    module_nodes: list[ast.AST] = field(default_factory=list)
    module_children: list[Scope] = field(default_factory=list)
    module_bindings: list[tuple[str, Binding]] = field(default_factory=list)
    module_comprehension_bindings: list[tuple[str, list[Binding]]] = field(default_factory=list)
    selections: dict[tuple[str, type], list[ast.AST]] = field(default_factory=dict)  # `ModuleFacts.select`'s


class _Collector:
    """One recursive walk: parents, scopes, bindings and the per-type index."""

    def __init__(self, facts: ModuleFacts) -> None:
        self.facts = facts
        self.by_type = facts._by_type
        self.parents = facts._parents
        self.scopes = facts._scopes
        self.comprehension_targets: set[ast.Name] = set()  # bound in their comprehension, not the scope
        self.unit: _UnitFacts | None = None  # the top-level def or class being recorded

    def run(self, earlier: dict[int, _UnitFacts] | None, copied: bool = False) -> None:
        facts = self.facts
        tree, module, units = facts.tree, facts.module_scope, facts._unit_facts
        self.scopes[tree] = module
        if units is None:
            self.visit_all(tree.body, tree, module)
            return
        earlier = earlier or {}
        parts = facts._parts = []
        outside = facts._outside
        for statement in tree.body:
            if not isinstance(statement, _STATEMENT_SCOPES):
                self.by_type = {}
                self.outside(statement, module)
                parts.append((None, self.by_type, None))
                continue
            unit = earlier.get(id(statement))
            if unit is not None and unit.statement is statement:
                self.copy(unit) if copied else self.take(unit)
            else:
                unit = self.record(statement)
            units[id(statement)] = unit
            parts.append((id(statement), unit.by_type, unit.selections))
        self.by_type = {}
        for ignore in tree.type_ignores:
            self.outside(ignore, module)
        parts.append((None, self.by_type, None))
        self.parents.update(outside[0])
        self.scopes.update(outside[1])
        facts._own_scopes.update(outside[2])

    def outside(self, statement: ast.AST, module: Scope) -> None:
        """Walk a statement of module code, its parents and scopes kept apart (`_outside`):
        the facts of the next version take these out of the maps they take over."""
        facts = self.facts
        parents, scopes, own_scopes = facts._outside
        kept = facts._own_scopes
        self.parents, self.scopes, facts._own_scopes = parents, scopes, own_scopes
        try:
            self.visit(statement, facts.tree, module)
        finally:
            self.parents, self.scopes, facts._own_scopes = facts._parents, facts._scopes, kept

    def record(self, statement: ast.stmt) -> _UnitFacts:
        """Walk a top-level def or class into a `_UnitFacts` of its own, then add that to the
        module's facts."""
        facts, module = self.facts, self.facts.module_scope
        unit = self.unit = _UnitFacts(statement)
        kept = (facts.scopes, facts._own_scopes, facts._comprehension_bindings, facts._comprehension_names)
        facts.scopes, facts._own_scopes = unit.new_scopes, unit.own_scopes
        facts._comprehension_bindings, facts._comprehension_names = (
            unit.comprehension_bindings,
            unit.comprehension_names,
        )
        self.parents, self.scopes, self.by_type = unit.parents, unit.scopes, unit.by_type
        nodes_before, children_before = len(module.nodes), len(module.children)
        try:
            self.visit(statement, facts.tree, module)
        finally:
            self.unit = None
            facts.scopes, facts._own_scopes, facts._comprehension_bindings, facts._comprehension_names = kept
            self.parents, self.scopes = facts._parents, facts._scopes
        unit.module_nodes = module.nodes[nodes_before:]
        unit.module_children = module.children[children_before:]
        self._add(unit)
        return unit

    def take(self, unit: _UnitFacts) -> None:
        """Add what an earlier walk of this very statement found, without walking it again
        (its scopes' parent is this module's scope, taken over)."""
        self.facts.module_scope.children.extend(unit.module_children)
        self._add_to_module(unit)
        self._add(unit, kept=self.facts._inherited)

    def copy(self, unit: _UnitFacts) -> None:
        """`take`, with the unit's scopes copied under this module's scope (the facts it was
        walked for keep theirs). Its nodes keep the scopes they were walked in; the facts read
        those through the copies (`_copies`): re-mapping every node cost a fix's check at the
        cursor of a 9,000-line module 20 ms, a fifth of it."""
        facts = self.facts
        module = facts.module_scope
        copies = facts._copies
        for old in unit.new_scopes:  # (in the order they were opened: parents first)
            parent = copies.get(old.parent, module)  # type: ignore[arg-type]
            copies[old] = Scope(
                old.kind,
                old.node,
                weakref.ref(parent),
                old.is_async,
                old.bindings,
                old.global_names,
                old.nonlocal_names,
                old.nodes,
                old.comprehension_bindings,
                old.class_comprehension,
            )
            parent.children.append(copies[old])
        self._add_to_module(unit)
        self._add(unit, new_scopes=[copies[old] for old in unit.new_scopes])
        for node in unit.module_nodes:  # (in the module scope of the facts it was walked for)
            self.scopes[node] = module

    def _add_to_module(self, unit: _UnitFacts) -> None:
        module = self.facts.module_scope
        module.nodes.extend(unit.module_nodes)
        for name, binding in unit.module_bindings:
            module.bind(name, binding)
        for name, bindings in unit.module_comprehension_bindings:
            module.comprehension_bindings.setdefault(name, []).extend(bindings)

    def _add(self, unit: _UnitFacts, new_scopes=None, kept: bool = False) -> None:
        """Add a unit's facts; `kept`: one the maps taken over hold already (`_take_maps`)."""
        facts = self.facts
        if not kept:
            self.parents.update(unit.parents)
            self.scopes.update(unit.scopes)
            facts._own_scopes.update(unit.own_scopes)
        self.parents[unit.statement] = facts.tree  # (the tree it was walked in may be another)
        facts.scopes.extend(unit.new_scopes if new_scopes is None else new_scopes)
        if unit.comprehension_bindings:
            facts._comprehension_bindings.update(unit.comprehension_bindings)
            facts._comprehension_names.update(unit.comprehension_names)

    def bind(self, scope: Scope, name: str, binding: Binding) -> None:
        scope.bind(name, binding)
        if self.unit is not None and scope is self.facts.module_scope:
            self.unit.module_bindings.append((name, binding))

    def visit(self, node: ast.AST, parent: ast.AST, scope: Scope) -> None:
        kind = type(node)
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
            if kind not in _BIND_THEN_WALK:
                return
        # The children, walked here rather than by a method of their own (a call less for
        # most nodes: celery+kombu's facts, 40 M instructions less) and faster than
        # ast.iter_child_nodes, which builds two generators per node.
        fields = _CHILD_FIELDS.get(kind)
        if fields is None:
            fields = _child_fields(kind)
        for name in fields:
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
        self.bind(scope, node.name, Binding("def", node))
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
        self.bind(scope, node.name, Binding("class", node))
        self.visit_all(node.decorator_list, node, scope)
        self.visit_all(node.bases, node, scope)
        self.visit_all(node.keywords, node, scope)
        inner = self.facts._new_scope("class", node, scope)
        self.visit_all(node.body, node, inner)

    def comprehension(self, node, parent, scope: Scope) -> None:
        bound: dict[str, list[Binding]] = {}
        for generator in node.generators:
            for target in _target_names(generator.target):
                self.comprehension_targets.add(target)
                bound.setdefault(target.id, []).append(Binding("other", target))
        if bound:
            self.facts._comprehension_bindings[node] = bound
            self.facts._comprehension_names.update(bound)
            for name, bindings in bound.items():
                scope.comprehension_bindings.setdefault(name, []).extend(bindings)
            if self.unit is not None and scope is self.facts.module_scope:
                self.unit.module_comprehension_bindings.extend(bound.items())
        if scope.kind == "class":
            scope.class_comprehension = True

    def parameters(self, args: ast.arguments, scope: Scope) -> None:
        every = [*args.posonlyargs, *args.args, *args.kwonlyargs]
        if args.vararg:
            every.append(args.vararg)
        if args.kwarg:
            every.append(args.kwarg)
        for arg in every:
            self.bind(scope, arg.arg, Binding("param", arg))
            self.parents[arg] = args
            self.scopes[arg] = scope
            if arg.annotation is not None:
                self.visit(arg.annotation, arg, scope.parent or scope)

    # --- binding nodes -------------------------------------------------------------------
    def import_(self, node: ast.Import, parent, scope: Scope) -> None:
        for alias in node.names:
            if alias.asname:
                self.bind(scope, alias.asname, Binding("import", node, alias.name))
            else:
                top = alias.name.split(".", 1)[0]
                self.bind(scope, top, Binding("import", node, top))

    def import_from(self, node: ast.ImportFrom, parent, scope: Scope) -> None:
        module = "." * (node.level or 0) + (node.module or "")
        for alias in node.names:
            if alias.name == "*":
                self.facts.star_imports.append(module)
                self.facts._star_statements.append((module, node))
                continue
            qual = f"{module}.{alias.name}" if module and not module.endswith(".") else module + alias.name
            self.bind(scope, alias.asname or alias.name, Binding("import", node, qual))

    def name(self, node: ast.Name, parent, scope: Scope) -> None:
        if not isinstance(node.ctx, ast.Load):
            if node in self.comprehension_targets:
                return
            value = None
            if isinstance(parent, ast.Assign) and len(parent.targets) == 1 and parent.targets[0] is node:
                value = parent.value
            elif isinstance(parent, ast.AnnAssign) and parent.target is node:
                value = parent.value
            elif isinstance(parent, ast.NamedExpr):
                value = parent.value
            self.bind(scope, node.id, Binding("assign" if value is not None else "other", node, value=value))

    def global_(self, node, parent, scope: Scope) -> None:
        scope.global_names.update(node.names)

    def nonlocal_(self, node, parent, scope: Scope) -> None:
        scope.nonlocal_names.update(node.names)

    def except_handler(self, node: ast.ExceptHandler, parent, scope: Scope) -> None:
        if node.name:
            self.bind(scope, node.name, Binding("other", node))

    def match_capture(self, node, parent, scope: Scope) -> None:
        name = getattr(node, "name", None) or getattr(node, "rest", None)
        if name:
            self.bind(scope, name, Binding("other", node))


# The fields that never hold a node worth visiting: names and flags, and the context and
# operator nodes, which are singletons `ast` shares between trees (never to be annotated).
# (Leaving them out takes celery+kombu's facts from 1,334 to 1,186 M instructions, callgrind.)
_NEVER_CHILDREN = frozenset(
    ("ctx", "op", "ops", "id", "attr", "arg", "asname", "module", "level", "type_comment", "kind")
    + ("conversion", "is_async", "simple", "tag", "rest", "kwd_attrs")
)
# Of each node type, worked out when first met; none for the nodes without child nodes worth visiting.
_CHILD_FIELDS: dict[type[ast.AST], tuple[str, ...]] = dict.fromkeys(
    (ast.Constant, ast.Pass, ast.Break, ast.Continue, ast.alias), ()
)


def _child_fields(kind: type[ast.AST]) -> tuple[str, ...]:
    fields = _CHILD_FIELDS[kind] = tuple(f for f in kind._fields if f not in _NEVER_CHILDREN)
    return fields


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
    ast.ListComp: _Collector.comprehension,
    ast.SetComp: _Collector.comprehension,
    ast.DictComp: _Collector.comprehension,
    ast.GeneratorExp: _Collector.comprehension,
}
# The nodes whose handler binds names only: their children are walked as any node's are.
_BIND_THEN_WALK: set[type] = {ast.Import, ast.ImportFrom, ast.ExceptHandler, *COMPREHENSION_NODES}
for _match_node in ("MatchAs", "MatchStar", "MatchMapping"):
    if hasattr(ast, _match_node):
        _HANDLERS[getattr(ast, _match_node)] = _Collector.match_capture
        _BIND_THEN_WALK.add(getattr(ast, _match_node))


# The public names `from module import *` binds, for the modules the rules care about:
# each module's `__all__` (or, without one, its names not starting with `_`), the union
# over Python 3.11-3.13, and celery 5.4 (whose package `__all__` also holds its
# lazy compat modules). A star import of any other module binds names nobody here knows.
_STAR_EXPORT_TEXT = {
    "time": """
        CLOCK_BOOTTIME CLOCK_MONOTONIC CLOCK_MONOTONIC_RAW CLOCK_PROCESS_CPUTIME_ID CLOCK_REALTIME
        CLOCK_TAI CLOCK_THREAD_CPUTIME_ID altzone asctime clock_getres clock_gettime clock_gettime_ns
        clock_settime clock_settime_ns ctime daylight get_clock_info gmtime localtime mktime monotonic
        monotonic_ns perf_counter perf_counter_ns process_time process_time_ns pthread_getcpuclockid
        sleep strftime strptime struct_time thread_time thread_time_ns time time_ns timezone tzname tzset
    """,
    "asyncio": """
        ALL_COMPLETED AbstractChildWatcher AbstractEventLoop AbstractEventLoopPolicy AbstractServer
        Barrier BaseEventLoop BaseProtocol BaseTransport BoundedSemaphore BrokenBarrierError
        BufferedProtocol CancelledError Condition DatagramProtocol DatagramTransport
        DefaultEventLoopPolicy Event EventLoop FIRST_COMPLETED FIRST_EXCEPTION FastChildWatcher Future
        Handle IncompleteReadError InvalidStateError LifoQueue LimitOverrunError Lock
        MultiLoopChildWatcher PidfdChildWatcher PriorityQueue Protocol Queue QueueEmpty QueueFull
        QueueShutDown ReadTransport Runner SafeChildWatcher SelectorEventLoop Semaphore
        SendfileNotAvailableError Server StreamReader StreamReaderProtocol StreamWriter
        SubprocessProtocol SubprocessTransport Task TaskGroup ThreadedChildWatcher Timeout TimeoutError
        TimerHandle Transport WriteTransport all_tasks as_completed create_eager_task_factory
        create_subprocess_exec create_subprocess_shell create_task current_task eager_task_factory
        ensure_future gather get_child_watcher get_event_loop get_event_loop_policy get_running_loop
        iscoroutine iscoroutinefunction isfuture new_event_loop open_connection open_unix_connection
        run run_coroutine_threadsafe set_child_watcher set_event_loop set_event_loop_policy shield
        sleep start_server start_unix_server timeout timeout_at to_thread wait wait_for wrap_future
        _enter_task _get_running_loop _leave_task _register_task _set_running_loop _unregister_task
    """,
    "importlib": "__import__ import_module invalidate_caches reload",
    "typing": """
        AbstractSet Annotated Any AnyStr AsyncContextManager AsyncGenerator AsyncIterable AsyncIterator
        Awaitable BinaryIO ByteString Callable ChainMap ClassVar Collection Concatenate Container
        ContextManager Coroutine Counter DefaultDict Deque Dict Final ForwardRef FrozenSet Generator
        Generic Hashable IO ItemsView Iterable Iterator KeysView List Literal LiteralString Mapping
        MappingView Match MutableMapping MutableSequence MutableSet NamedTuple Never NewType NoDefault
        NoReturn NotRequired Optional OrderedDict ParamSpec ParamSpecArgs ParamSpecKwargs Pattern
        Protocol ReadOnly Required Reversible Self Sequence Set Sized SupportsAbs SupportsBytes
        SupportsComplex SupportsFloat SupportsIndex SupportsInt SupportsRound TYPE_CHECKING Text TextIO
        Tuple Type TypeAlias TypeAliasType TypeGuard TypeIs TypeVar TypeVarTuple TypedDict Union Unpack
        ValuesView assert_never assert_type cast clear_overloads dataclass_transform final get_args
        get_origin get_overloads get_protocol_members get_type_hints is_protocol is_typeddict
        no_type_check no_type_check_decorator overload override reveal_type runtime_checkable
    """,
    "celery": """
        Celery bugreport shared_task Task current_app current_task Signature chain chord chunks group
        signature maybe_signature subtask xmap xstarmap uuid execute log messaging registry local
        VERSION SERIES VERSION_BANNER version_info_t version_info maybe_patch_concurrency
    """,
    "celery.app": """
        Celery AppPickler app_or_default default_app bugreport enable_trace disable_trace shared_task
        push_current_task pop_current_task
    """,
    "celery.states": """
        PENDING RECEIVED STARTED SUCCESS FAILURE REVOKED RETRY IGNORED READY_STATES UNREADY_STATES
        EXCEPTION_STATES PROPAGATE_STATES precedence state
    """,
    "celery.result": "ResultBase AsyncResult ResultSet GroupResult EagerResult result_from_tuple",
    "celery.canvas": "Signature chain xmap xstarmap chunks group chord signature maybe_signature",
    "celery.signals": """
        before_task_publish after_task_publish task_internal_error task_prerun task_postrun
        task_success task_received task_rejected task_unknown task_retry task_failure task_revoked
        celeryd_init celeryd_after_setup worker_init worker_before_create_process worker_process_init
        worker_process_shutdown worker_ready worker_shutdown worker_shutting_down setup_logging
        after_setup_logger after_setup_task_logger beat_init beat_embedded_init heartbeat_sent
        eventlet_pool_started eventlet_pool_preshutdown eventlet_pool_postshutdown eventlet_pool_apply
    """,
}
STAR_EXPORTS: dict[str, frozenset[str]] = {
    module: frozenset(names.split()) for module, names in _STAR_EXPORT_TEXT.items()
}
# typing_extensions 4.16: typing's names but `ByteString`, and its own additions.
STAR_EXPORTS["typing_extensions"] = (STAR_EXPORTS["typing"] - {"ByteString"}) | frozenset(
    """
    Buffer CapsuleType Doc Format IntVar NoExtraItems Reader Sentinel TypeForm Writer deprecated
    disjoint_base evaluate_forward_ref get_annotations get_original_bases runtime sentinel type_repr
""".split()
)


def position_key(node: ast.AST) -> tuple[int, int]:
    return (node.lineno, node.col_offset)  # type: ignore[attr-defined]  # any node with a position


def statement_of(facts: ModuleFacts, node: ast.AST) -> ast.stmt | None:
    current: ast.AST | None = node
    while current is not None and not isinstance(current, ast.stmt):
        current = facts.parent(current)
    return current


def top_level_statement(facts: ModuleFacts, node: ast.AST) -> ast.stmt | None:
    """The statement of the module body that holds `node`."""
    current: ast.AST | None = node
    while current is not None:
        parent = facts.parent(current)
        if isinstance(parent, ast.Module):
            return current if isinstance(current, ast.stmt) else None
        current = parent
    return None
