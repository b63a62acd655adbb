"""The whole-workspace check: the command, workspace pull diagnostics, progress, not blocking edits."""

from __future__ import annotations

import asyncio

import pytest
from lsprotocol import types
from lspsession import PYPROJECT, RELEASE, SLEEPY, held_client_fixture, lines, start, until


def make_workspace(root, files: int = 6):
    """Six modules under pkg/ (three with findings), plus files `check` would skip too:
    a virtualenv, node_modules, a .gitignore'd directory and an `extend-exclude`d one."""
    (root / "pyproject.toml").write_text(PYPROJECT + 'extend-exclude = ["generated"]\n')
    (root / ".gitignore").write_text("scratch/\n")
    for skipped in ("scratch", "generated"):
        (root / skipped).mkdir()
        (root / skipped / "ignored.py").write_text(SLEEPY)
    (root / "pkg").mkdir()
    for i in range(files):
        (root / "pkg" / f"sub{i % 3}").mkdir(parents=True, exist_ok=True)
        (root / "pkg" / f"sub{i % 3}" / f"mod{i}.py").write_text(SLEEPY if i % 2 == 0 else "x = 1\n")
    (root / ".venv" / "lib").mkdir(parents=True)
    (root / ".venv" / "lib" / "ignored.py").write_text(SLEEPY)
    (root / "node_modules").mkdir()
    (root / "node_modules" / "ignored.py").write_text(SLEEPY)
    return sorted((root / "pkg").rglob("*.py"), key=lambda p: p.name)  # mod0 ... mod5


async def test_check_workspace_command(client, tmp_path):
    files = make_workspace(tmp_path)
    session = await start(client, tmp_path)
    opened = session.open(files[0], SLEEPY.replace("time.sleep(2)", "pass"))  # the buffer, not the disk
    summary = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="celery-patterns.checkWorkspace")
    )
    assert summary == {"files": 6, "findings": 1 + 2 + 2}
    # (the other progress is the indexing of the project model, which starts with the server)
    (reports,) = [r for r in client.progress_reports.values() if r and r[0].title.startswith("celery-patterns")]
    assert reports[0].kind == "begin"
    assert reports[-1].kind == "end"
    if not session.pull:  # closed files are published; the open one as its buffer is
        published = {p.uri: p for p in client.published}
        assert set(published) == {f.as_uri() for f in files}
        assert lines(published[opened].diagnostics) == [5]
        assert lines(published[files[2].as_uri()].diagnostics) == [5, 9]
        # Files changed or deleted on disk afterwards: their published diagnostics follow.
        count = len(client.published)
        files[2].write_text("import time\n\n\nasync def f():\n    time.sleep(1)\n")
        files[4].unlink()
        client.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams(
                changes=[
                    types.FileEvent(uri=files[2].as_uri(), type=types.FileChangeType.Changed),
                    types.FileEvent(uri=files[4].as_uri(), type=types.FileChangeType.Deleted),
                ]
            )
        )
        await until(lambda: len(client.published) >= count + 2, "re-published diagnostics")
        latest = {p.uri: p for p in client.published[count:]}
        assert lines(latest[files[2].as_uri()].diagnostics) == [4]
        assert not latest[files[4].as_uri()].diagnostics
    else:
        assert client.published == []


async def test_workspace_pull_diagnostics(client, tmp_path):
    files = make_workspace(tmp_path)
    session = await start(client, tmp_path)
    client.progress_reports["ws-token"] = []  # a token the client made for this request
    report = await client.workspace_diagnostic_async(
        types.WorkspaceDiagnosticParams(previous_result_ids=[], work_done_token="ws-token")
    )
    by_uri = {item.uri: item for item in report.items}
    assert set(by_uri) == {f.as_uri() for f in files}
    assert all(item.kind == "full" and item.version is None for item in report.items)
    assert lines(by_uri[files[0].as_uri()].items) == [5, 9]
    assert [r.kind for r in client.progress_reports["ws-token"]][:: len(client.progress_reports["ws-token"]) - 1] == [
        "begin",
        "end",
    ]
    # Unchanged files are reported unchanged; an edited file and an open buffer are not.
    files[1].write_text(SLEEPY + "\n")
    uri = session.open(files[2])
    previous = [types.PreviousResultId(uri=item.uri, value=item.result_id) for item in report.items]
    again = await client.workspace_diagnostic_async(types.WorkspaceDiagnosticParams(previous_result_ids=previous))
    kinds = {item.uri: item.kind for item in again.items}
    assert kinds.pop(files[1].as_uri()) == "full"
    assert kinds.pop(uri) == "full"
    assert set(kinds.values()) == {"unchanged"}
    assert {item.version for item in again.items if item.uri == uri} == {1}
    assert session.pull or client.published  # push clients got the buffer's diagnostics as usual


# The workspace check, 10 files in, waits for the test to release it.
held_client = held_client_fixture("workspace-check", ["visual-studio-code"])


async def test_workspace_check_does_not_block_edits(held_client, tmp_path):
    client = held_client
    make_workspace(tmp_path, files=0)
    body = "".join(f"async def f{i}():\n    time.sleep({i})\n\n" for i in range(40))
    for i in range(40):
        (tmp_path / "pkg" / f"big{i}.py").write_text(f"import time\n\n{body}")
    session = await start(client, tmp_path)
    uri = session.open(tmp_path / "editing.py", "import time\n\n\nasync def f():\n    pass\n")
    await session.diagnostics(uri)
    running = asyncio.ensure_future(
        client.workspace_execute_command_async(types.ExecuteCommandParams(command="celery-patterns.checkWorkspace"))
    )
    await until(lambda: len(client.published) > 5, "the workspace check to be under way")
    for i in range(5):
        session.edit(uri, (4, 4), (4, 8), f"time.sleep({i})")
        diagnostics = await session.diagnostics(uri)
        assert lines(diagnostics) == [4]
    assert not running.done()
    (tmp_path / RELEASE).touch()
    summary = await running
    assert summary["files"] == 41


@pytest.mark.parametrize("client", ["neovim"], indirect=True)
async def test_workspace_command_twice_shares_one_run(client, tmp_path):
    make_workspace(tmp_path)
    session = await start(client, tmp_path)
    assert session
    command = types.ExecuteCommandParams(command="celery-patterns.checkWorkspace")
    first, second = await asyncio.gather(
        client.workspace_execute_command_async(command), client.workspace_execute_command_async(command)
    )
    assert first == second == {"files": 6, "findings": 6}
    runs = [r for r in client.progress_reports.values() if r and r[0].title.startswith("celery-patterns")]
    assert len(runs) == 1  # (beside the indexing of the project model)
