"""`celery-patterns lsp` with one kind of background work held until the test lets it go, so
that a test asks while that work is under way without racing it, however fast the machine or
the work becomes (such races were lost in CI as the checks got faster).

    held_server.py indexer          a folder's indexing starts once the folder holds RELEASE
    held_server.py workspace-check  the workspace check checks HELD_AFTER files, then waits
                                    until the workspace holds RELEASE

Held at most a minute: a failed test never hangs the server."""

from __future__ import annotations

import asyncio
import os
import sys
import time

from celery_patterns.cli import main
from celery_patterns.lsp import workspace
from celery_patterns.lsp.models import FolderModel

RELEASE = "release-the-held-work"  # (tests name it again: importing this module patches the server)
HELD_AFTER = 10
LONGEST = 60.0


def _released(path: str) -> bool:
    """Whether RELEASE is in the directory `path` or one above it."""
    while True:
        if os.path.exists(os.path.join(path, RELEASE)):
            return True
        parent = os.path.dirname(path)
        if parent == path:
            return False
        path = parent


def hold_the_indexer() -> None:
    index = FolderModel.index

    def held_index(self: FolderModel, *args, **kwargs) -> None:
        deadline = time.monotonic() + LONGEST
        while not _released(self.root) and time.monotonic() < deadline:
            time.sleep(0.01)
        index(self, *args, **kwargs)

    FolderModel.index = held_index  # type: ignore[method-assign]


def hold_the_workspace_check() -> None:
    check_one = workspace.check_one
    checked = 0

    async def held_check_one(ls, path: str):
        nonlocal checked
        checked += 1
        deadline = time.monotonic() + LONGEST
        while checked > HELD_AFTER and not _released(os.path.dirname(path)) and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        return await check_one(ls, path)

    workspace.check_one = held_check_one


if __name__ == "__main__":
    {"indexer": hold_the_indexer, "workspace-check": hold_the_workspace_check}[sys.argv[1]]()
    sys.exit(main(["lsp"]))
