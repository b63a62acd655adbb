"""Fixtures of the end-to-end tests of `celery-patterns lsp` (helpers: `lspsession.py`)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import pytest_lsp
from lspsession import CLIENTS, PYPROJECT, SERVER, make_client
from pytest_lsp import ClientServerConfig, LanguageClient


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER, client_factory=make_client), params=CLIENTS)
async def client(lsp_client: LanguageClient, request):
    lsp_client.spec = request.param
    yield
    if lsp_client.capabilities is None:  # the test failed before `initialize`
        lsp_client.exit(None)
    try:  # the server must exit promptly on shutdown + exit, whatever it was doing
        await asyncio.wait_for(lsp_client.shutdown_session(), 10)
    except asyncio.TimeoutError:
        lsp_client._server.kill()
        raise AssertionError("the server did not exit after shutdown and exit") from None


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    return tmp_path
