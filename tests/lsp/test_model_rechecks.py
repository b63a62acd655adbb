"""Open documents checked again when the project model changes: in one pass, and only those
whose rules read the model. In process, counting checks (not timing them)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from celery_patterns.engine import settings_for
from celery_patterns.lsp import session as session_module
from celery_patterns.lsp.documents import OpenDocument
from celery_patterns.lsp.options import EditorOptions
from celery_patterns.lsp.session import CeleryPatternsServer


class Server(CeleryPatternsServer):
    """The session without a client: settings from pyproject.toml, publications recorded."""

    def __init__(self) -> None:
        super().__init__()
        self.published: list[str] = []

    def configuration(self, path: str):
        return settings_for(path), EditorOptions(), Path(path).stem

    def publish(self, uri: str, diagnostics: str, version: int | None = None) -> None:
        self.published.append(uri)


def task_module(i: int) -> str:
    """A module defining a task (its summary adds something to the model) and waiting on it."""
    return (
        "from proj.celery_app import app\n\n\n"
        f"@app.task\ndef task_{i}(x):\n    return x\n\n\n"
        f"def run_{i}():\n    return task_{i}.delay(1).get()\n"
    )


@pytest.fixture
def checks(monkeypatch) -> list[str]:
    """The paths of every document check the session runs."""
    seen: list[str] = []
    job = session_module._check_job

    def counting(text, path, *args):
        seen.append(path)
        return job(text, path, *args)

    monkeypatch.setattr(session_module, "_check_job", counting)
    return seen


async def open_documents(root: Path, count: int, select: str) -> Server:
    (root / "pyproject.toml").write_text(f'[tool.celery-patterns]\nselect = ["{select}"]\n')
    (root / "proj").mkdir()
    (root / "proj" / "celery_app.py").write_text('from celery import Celery\n\napp = Celery("proj")\n')
    server = Server()
    (model,) = server.models.set_roots([str(root)])
    model.index({})
    server.model_changed(model)  # indexed
    for i in range(count):  # buffers that are not on disk: each summary is new to the model
        path = str(root / "proj" / f"m{i}.py")
        doc = OpenDocument(Path(path).as_uri(), path, task_module(i), 1)
        server.documents[doc.uri] = doc
        server.typed_in(doc)
        server.schedule(doc)
    for _ in range(600):
        await asyncio.sleep(0.05)
        pending = [d for d in server.documents.values() if d.task is not None and not d.task.done()]
        if not pending and (server._rechecking is None or server._rechecking.done()):
            break
    assert all(d.result is not None for d in server.documents.values())
    return server


async def test_opening_documents_checks_each_a_bounded_number_of_times(tmp_path, checks):
    """Each new document's summary changes the model; the others are checked again once
    for the burst, not once per document opened after them (that was quadratic)."""
    count = 20
    server = await open_documents(tmp_path, count, "CEL003")
    try:
        assert len(checks) <= 3 * count, len(checks)
        assert len(set(checks)) == count
        assert all(d.model_seen == server.model_versions[str(tmp_path)] for d in server.documents.values())
    finally:
        server.checks.shutdown(wait=False)


async def test_documents_whose_rules_read_no_model_are_not_checked_again(tmp_path, checks):
    """CEL002 reads nothing of the model: a model change re-checks nothing."""
    server = await open_documents(tmp_path, 5, "CEL002")
    try:
        assert sorted(checks) == sorted(set(checks))  # once each
        assert not any(d.reads_model for d in server.documents.values())
    finally:
        server.checks.shutdown(wait=False)
