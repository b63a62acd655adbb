"""libcst for rule modules, imported on first use.

Rule modules hold their fixes next to their checks, but a check never needs libcst and
importing it costs about half of what parsing a whole project does. Rule modules write
`from ..fixes.lazy import cst` and use `cst.Call` etc. inside their fix code as usual.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING


class LazyModule:
    """Stands in for a module and imports it when an attribute is first read."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attribute: str):
        if self._module is None:
            self._module = importlib.import_module(self._name)
        return getattr(self._module, attribute)

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}>"


if TYPE_CHECKING:  # type checkers see libcst itself, so `cst.Call` annotations are checked
    import libcst as cst
    import libcst.metadata as cst_metadata
else:
    cst = LazyModule("libcst")
    cst_metadata = LazyModule("libcst.metadata")
