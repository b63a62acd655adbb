"""`celery-patterns lsp` whose indexer waits for the test: a folder's indexing starts once the
folder holds a file named `release-the-indexer` (or after a minute: a failed test never hangs
the server). A test then asks before anything is indexed without racing the indexer, however
fast the machine or the indexer becomes."""

from __future__ import annotations

import os
import sys
import time

from celery_patterns.cli import main
from celery_patterns.lsp.models import FolderModel

RELEASE = "release-the-indexer"
_index = FolderModel.index


def _held_index(self: FolderModel, *args, **kwargs) -> None:
    deadline = time.monotonic() + 60
    while not os.path.exists(os.path.join(self.root, RELEASE)) and time.monotonic() < deadline:
        time.sleep(0.01)
    _index(self, *args, **kwargs)


FolderModel.index = _held_index  # type: ignore[method-assign]

if __name__ == "__main__":
    sys.exit(main(["lsp"]))
