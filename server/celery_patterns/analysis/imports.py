"""Imports seen from a scope: the name through which code there reaches a module's function."""

from __future__ import annotations

from .facts import ModuleFacts, Scope


def function_path(facts: ModuleFacts, scope: Scope, module: str, function: str) -> tuple[str | None, bool]:
    """How code in `scope` names `module.function` (`uuid.uuid4`), and whether `import
    module` must be added for it: through a name bound only by importing the module
    (`u.uuid4` after `import uuid as u`) or the function (`uuid4`), else `module.function`
    with the import to add; (None, False) when `module` means something else there."""
    qualnames = {module, f"{module}.{function}"}

    def module_level() -> list[str]:
        # The module-level candidates; other module-level names cannot reach them.
        return [
            name
            for name, bindings in facts.module_scope.bindings.items()
            if all(b.kind == "import" for b in bindings) and {b.qualname for b in bindings} <= qualnames
        ]

    visible = set(facts.memo(f"function_path:{module}.{function}", module_level))
    current: Scope | None = scope
    while current is not None and current is not facts.module_scope:
        visible.update(current.bindings)
        current = current.parent
    for name in sorted(visible):
        found = facts.lookup(name, scope)
        if not found or not all(b.kind == "import" for b in found[1]):
            continue
        bound = {b.qualname for b in found[1]}
        if bound == {module}:
            return f"{name}.{function}", False
        if bound == {f"{module}.{function}"}:
            return name, False
    if facts.lookup(module, scope) is not None:
        return None, False
    return f"{module}.{function}", True
