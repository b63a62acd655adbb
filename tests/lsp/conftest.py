"""Fixtures of the end-to-end tests of `celery-patterns lsp` (helpers: `lspsession.py`)."""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_lsp
from lspsession import CLIENTS, PYPROJECT, SERVER, end_session, make_client
from pytest_lsp import ClientServerConfig, LanguageClient


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER, client_factory=make_client), params=CLIENTS)
async def client(lsp_client: LanguageClient, request):
    lsp_client.spec = request.param
    yield
    await end_session(lsp_client)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    return tmp_path
