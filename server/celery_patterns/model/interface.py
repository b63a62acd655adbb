"""A module summary's interface: what other modules can observe of it (positions left out).

Two versions of a module with the same interface leave every other module's findings as
they were: an edit inside a function body that changes no task, dispatch, route, setting,
call or blocking call. The editor re-checks other open documents only when it changes, the
model keeps what it worked out, and the command line's cache keys results by it.
"""

from __future__ import annotations

import hashlib
import json
import weakref
from functools import partial

from .cache import encode
from .summary import Function, ModuleSummary

# Positions, and the digest of the text the summary was made from: an edit that moves code
# changes them but nothing another module can observe.
_POSITIONS = frozenset({"span", "call", "current_task_only", "outside_task_only", "digest"})
# Each function's encoding, by the function: the summary of a buffer's next version keeps the
# functions of the units an edit left alone (the same objects). An entry goes with its function
# (it never keeps one alive), and at most 20,000 are kept: a 9,000-line module has 1,500, and
# while it is open there are two sets (the model's summary of its file, the editor's of its
# buffer); with 2,000 the first quick fix encoded them all again (50 ms).
_ENCODED_FUNCTIONS: dict[int, tuple[weakref.ref[Function], bytes]] = {}
_KEEP_ENCODED = 20_000


def interface(summary: ModuleSummary) -> str:
    """A digest of everything in the summary but positions (worked out once per summary)."""
    return _digests(summary)[0]


def interface_but_dispatches(summary: ModuleSummary) -> str:
    """The interface but for what the module dispatches (typing a task name in a string
    changes only that): what the project works out across modules (the call graph, the task
    names, the routing...) does not read it, so it holds while one types (`Project.lasting`)."""
    return _digests(summary)[1]


def _digests(summary: ModuleSummary) -> tuple[str, str]:
    """Both digests, from one encoding of the summary (kept on it)."""
    found = summary.__dict__.get("_interfaces")
    if found is None:
        data = encode(summary, leave_out=_POSITIONS | {"functions"})
        dispatches = json.dumps(data.pop("dispatches", None), sort_keys=True).encode()
        rest = hashlib.sha1(json.dumps(data, sort_keys=True).encode())
        for name, function in sorted(summary.functions.items()):
            rest.update(b"\0" + name.encode() + b"\0" + _encoded(function))
        but_dispatches = rest.hexdigest()
        rest.update(b"\0" + dispatches)
        found = (rest.hexdigest(), but_dispatches)
        summary.__dict__["_interfaces"] = found
    return found


def _encoded(function: Function) -> bytes:
    key = id(function)
    kept = _ENCODED_FUNCTIONS.get(key)
    if kept is not None and kept[0]() is function:
        return kept[1]
    if len(_ENCODED_FUNCTIONS) >= _KEEP_ENCODED:
        _ENCODED_FUNCTIONS.clear()
    encoded = json.dumps(encode(function, leave_out=_POSITIONS), sort_keys=True).encode()
    _ENCODED_FUNCTIONS[key] = (weakref.ref(function, partial(_forget, key)), encoded)
    return encoded


def _forget(key: int, _gone: weakref.ref) -> None:
    _ENCODED_FUNCTIONS.pop(key, None)
