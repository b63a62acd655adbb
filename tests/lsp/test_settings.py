"""Settings: initializationOptions, didChangeConfiguration and workspace/configuration over
pyproject.toml, reloading pyproject.toml, and multi-root workspaces."""

from __future__ import annotations

import asyncio

import pytest
from lsprotocol import types
from lspsession import PYPROJECT, SLEEPY, codes, lines, start, until

WARNING = types.DiagnosticSeverity.Warning
ERROR = types.DiagnosticSeverity.Error


@pytest.mark.parametrize("client", ["visual-studio-code"], indirect=True)  # the same for any client
@pytest.mark.parametrize(
    "options, expected",
    [
        ({"severity": {"CEL002": "warning"}}, [WARNING, WARNING]),
        ({"settings": {"severity": {"cel002": "low"}}}, [types.DiagnosticSeverity.Information] * 2),
        ({"celery-patterns": {"ignore": ["CEL002"]}}, []),
        ({"enable": False}, []),
        ({"select": ["CEL002"], "severity": {"CEL002": "warning"}}, [WARNING, WARNING]),
        ({"severity": {"CEL002": "hint"}}, [types.DiagnosticSeverity.Hint] * 2),
        ({"select": []}, [ERROR, ERROR]),  # an empty list is as if absent: pyproject's select, not no rule
        ({"celery-patterns": {"select": [], "ignore": []}}, [ERROR, ERROR]),
        ({"pylsp": {"plugins": {}}}, [ERROR, ERROR]),  # another server's settings
    ],
)
async def test_initialization_options(client, project, options, expected):
    session = await start(client, project, options=options)
    uri = session.open(project / "opts.py", SLEEPY)
    assert [d.severity for d in await session.diagnostics(uri)] == expected
    assert not [m.message for m in client.log_messages if "unknown key" in m.message]


async def test_did_change_configuration_rechecks(client, project):
    session = await start(client, project)
    uri = session.open(project / "conf.py", SLEEPY)
    assert {d.severity for d in await session.diagnostics(uri)} == {types.DiagnosticSeverity.Error}
    published = len(client.published)
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"celery-patterns": {"severity": {"CEL002": "warning"}}})
    )
    if not session.pull:
        await until(lambda: len(client.published) > published, "re-published diagnostics")
    assert {d.severity for d in await session.diagnostics(uri)} == {WARNING}


@pytest.mark.parametrize(
    "removed",
    [None, {}, {"settings": {}}, {"pylsp": {"plugins": {}}}, {"celery-patterns": {}}],
    ids=["null", "empty", "empty-settings", "other-server", "empty-section"],
)
async def test_removed_settings_give_way_to_pyproject(client, tmp_path, removed):
    (tmp_path / "pyproject.toml").write_text(PYPROJECT + 'severity = { CEL002 = "low" }\n')
    session = await start(client, tmp_path)
    uri = session.open(tmp_path / "removed.py", SLEEPY)
    assert {d.severity for d in await session.diagnostics(uri)} == {types.DiagnosticSeverity.Information}

    async def after_change(settings) -> set:
        published = len(client.published)
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=settings))
        if not session.pull:
            await until(lambda: len(client.published) > published, "re-published diagnostics")
        else:
            await asyncio.sleep(0.2)
        return {d.severity for d in await session.diagnostics(uri)}

    assert await after_change({"celery-patterns": {"severity": {"CEL002": "warning"}, "select": ["CEL001"]}}) == set()
    assert await after_change({"celery-patterns": {"severity": {"CEL002": "warning"}}}) == {WARNING}
    assert await after_change(removed) == {types.DiagnosticSeverity.Information}


@pytest.mark.parametrize("client", ["neovim"], indirect=True)
async def test_initialization_options_outlive_an_empty_change(client, project):
    # eglot sends `{"settings": {}}` right after connecting, whatever initializationOptions held.
    session = await start(client, project, options={"severity": {"CEL002": "warning"}})
    uri = session.open(project / "eglot.py", SLEEPY)
    assert {d.severity for d in await session.diagnostics(uri)} == {WARNING}
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={}))
    await asyncio.sleep(0.2)
    assert {d.severity for d in await session.diagnostics(uri)} == {WARNING}
    # Settings that then arrive, and go, leave the defaults: the initial ones were replaced.
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"celery-patterns": {"fixAll": False}})
    )
    await asyncio.sleep(0.2)
    assert {d.severity for d in await session.diagnostics(uri)} == {ERROR}
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    await asyncio.sleep(0.2)
    assert {d.severity for d in await session.diagnostics(uri)} == {ERROR}


@pytest.mark.parametrize("client", ["neovim"], indirect=True)
async def test_invalid_settings_are_shown_and_the_previous_kept(client, project):
    session = await start(client, project, options={"severity": {"CEL002": "warning"}})
    uri = session.open(project / "bad.py", SLEEPY)
    await session.diagnostics(uri)
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"celery-patterns": {"select": ["NOPE1"]}})
    )
    await until(lambda: client.messages, "an error message")
    assert client.messages[0].type == types.MessageType.Error
    assert "NOPE1" in client.messages[0].message
    await asyncio.sleep(0.1)
    assert {d.severity for d in await session.diagnostics(uri)} == {WARNING}


@pytest.mark.parametrize("client", ["visual-studio-code"], indirect=True)
async def test_invalid_pyproject_is_shown_and_the_previous_kept(client, project):
    session = await start(client, project)
    uri = session.open(project / "badproject.py", SLEEPY)
    assert len(await session.diagnostics(uri)) == 2
    (project / "pyproject.toml").write_text(PYPROJECT + 'severity = { CEL002 = "catastrophic" }\n')
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=(project / "pyproject.toml").as_uri(), type=types.FileChangeType.Changed)]
        )
    )
    await until(lambda: client.messages, "an error message")
    assert "catastrophic" in client.messages[0].message
    await asyncio.sleep(0.1)
    assert len(await session.diagnostics(uri)) == 2


async def test_pyproject_change_rechecks_open_documents(client, project):
    session = await start(client, project)
    if not session.pull:
        await until(lambda: client.registrations, "a file watcher registration")
        (registration,) = client.registrations  # VS Code watches files for us
        assert registration.method == "workspace/didChangeWatchedFiles"
        patterns = [w["globPattern"] for w in registration.register_options["watchers"]]
        assert "**/pyproject.toml" in patterns
    uri = session.open(project / "reload.py", SLEEPY)
    assert len(await session.diagnostics(uri)) == 2
    published = len(client.published)
    (project / "pyproject.toml").write_text(PYPROJECT + 'ignore = ["CEL002"]\n')
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=(project / "pyproject.toml").as_uri(), type=types.FileChangeType.Changed)]
        )
    )
    if not session.pull:
        await until(
            lambda: len(client.published) > published and not client.published[-1].diagnostics,
            "diagnostics cleared by the new configuration",
        )
    assert await session.diagnostics(uri) == []


@pytest.mark.parametrize("client", ["neovim"], indirect=True)
async def test_a_new_pyproject_is_found(client, tmp_path):
    session = await start(client, tmp_path)
    sub = tmp_path / "pkg"
    uri = session.open(sub / "mod.py", SLEEPY)
    assert lines(await session.diagnostics(uri)) == [5, 9]  # no configuration: every rule
    (sub / "pyproject.toml").write_text('[tool.celery-patterns]\nignore = ["CEL002"]\n')
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=(sub / "pyproject.toml").as_uri(), type=types.FileChangeType.Created)]
        )
    )
    if not session.pull:
        await until(lambda: not lines(client.published[-1].diagnostics), "CEL002 ignored")
    await asyncio.sleep(0.1)
    assert lines(await session.diagnostics(uri)) == []


async def test_multi_root_folders_use_their_own_configuration(client, tmp_path):
    strict, relaxed, edited = tmp_path / "strict", tmp_path / "relaxed", tmp_path / "edited"
    for folder in (strict, relaxed, edited):
        folder.mkdir()
        (folder / "pyproject.toml").write_text(PYPROJECT)
    (relaxed / "pyproject.toml").write_text(PYPROJECT + 'severity = { CEL002 = "low" }\n')
    # The editor's per-folder settings (workspace/configuration with a scope) for the third.
    client.set_configuration({"severity": {"CEL002": "warning"}}, section="celery-patterns", scope_uri=edited.as_uri())
    session = await start(client, strict, relaxed, edited)
    await asyncio.sleep(0.2)  # the server asks for the configuration after `initialized`
    severities = {}
    for folder in (strict, relaxed, edited):
        uri = session.open(folder / "app.py", SLEEPY)
        severities[folder.name] = {d.severity for d in await session.diagnostics(uri)}
    assert severities == {
        "strict": {types.DiagnosticSeverity.Error},
        "relaxed": {types.DiagnosticSeverity.Information},
        "edited": {WARNING},
    }


@pytest.mark.parametrize("client", ["neovim"], indirect=True)
async def test_hint_severity_from_pyproject(client, tmp_path):
    (tmp_path / "pyproject.toml").write_text(PYPROJECT + 'severity = { CEL002 = "hint" }\n')
    session = await start(client, tmp_path)
    uri = session.open(tmp_path / "hinted.py", SLEEPY)
    assert [d.severity for d in await session.diagnostics(uri)] == [types.DiagnosticSeverity.Hint] * 2


@pytest.mark.parametrize("client", ["visual-studio-code"], indirect=True)
async def test_show_syntax_errors_setting(client, project):
    session = await start(client, project, options={"showSyntaxErrors": False})
    uri = session.open(project / "quiet_syntax.py", SLEEPY + "\ndef broken(:\n    pass\n")
    diagnostics = await session.diagnostics(uri)
    assert codes(diagnostics) == ["CEL002", "CEL002"]
    assert lines(diagnostics) == [5, 9]


@pytest.mark.parametrize("key", ["exclude", "extend-exclude"])
async def test_open_documents_the_settings_exclude_get_no_diagnostics(client, tmp_path, key):
    """As `--force-exclude` on the command line: a generated file opened in the editor is
    still not ours to check; the files beside it are."""
    (tmp_path / "pyproject.toml").write_text(PYPROJECT + f'{key} = ["gen"]\n')
    (tmp_path / "gen").mkdir()
    session = await start(client, tmp_path)
    excluded = session.open(tmp_path / "gen" / "x.py", SLEEPY)
    kept = session.open(tmp_path / "y.py", SLEEPY)
    assert codes(await session.diagnostics(kept)) == ["CEL002", "CEL002"]
    assert await session.diagnostics(excluded) == []
