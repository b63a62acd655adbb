"""Diagnostics: capabilities, content, positions, versions, close, pull versus push."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from lsprotocol import types
from lspsession import SLEEPY, codes, lines, start, until

from celery_patterns import REPOSITORY_URL
from celery_patterns.rules import rule_by_code
from celery_patterns.source import LineIndex

DOCS = Path(__file__).resolve().parents[2] / "docs" / "rules"


async def test_capabilities_follow_the_client(client, project):
    session = await start(client, project)
    caps = session.capabilities
    assert caps.text_document_sync.change == types.TextDocumentSyncKind.Incremental
    assert caps.text_document_sync.open_close
    assert caps.hover_provider
    assert caps.code_action_provider.resolve_provider
    assert set(caps.code_action_provider.code_action_kinds) >= {"quickfix", "source.fixAll.celery-patterns"}
    assert "celery-patterns.checkWorkspace" in caps.execute_command_provider.commands
    if client.spec == "neovim":  # offers utf-8 first and pulls diagnostics
        assert session.encoding == "utf-8"
        assert caps.diagnostic_provider.workspace_diagnostics
        assert caps.diagnostic_provider.identifier == "celery-patterns"
    else:  # VS Code 1.65: no positionEncodings (so UTF-16), no pull
        assert session.encoding == "utf-16"
        assert caps.diagnostic_provider is None


async def test_diagnostics_on_open(client, project):
    session = await start(client, project)
    uri = session.open(project / "app" / "tasks.py", SLEEPY)
    diagnostics = await session.diagnostics(uri)
    assert lines(diagnostics) == [5, 9]
    first = diagnostics[0]
    assert first.range == types.Range(
        start=types.Position(line=5, character=8), end=types.Position(line=5, character=21)
    )
    assert first.severity == types.DiagnosticSeverity.Error  # CEL002 is High
    assert first.source == "celery-patterns"
    assert "time.sleep()" in first.message
    # The rule's page on the web: docs/rules/CEL002.md of the repository, generated from the
    # rule's own documentation (not a file:// path on the machine the server runs on).
    href = first.code_description.href
    assert href == f"{REPOSITORY_URL}/blob/main/docs/rules/CEL002.md"
    page = DOCS / Path(unquote(urlparse(href).path)).name
    assert page.read_text(encoding="utf-8") == rule_by_code("CEL002").documentation()
    assert first.data["code"] == "CEL002"
    assert first.data["fixable"] is True and first.data["safe"] is True
    assert first.data["version"] == 1
    assert first.data["range"] == [5, 8, 5, 21]


async def test_columns_after_emoji_and_non_ascii(client, project):
    """Astral characters are 2 UTF-16 units and 4 UTF-8 bytes; é is 1 and 2."""
    session = await start(client, project)
    text = 'import time\n\n\nasync def f():\n    s = "🎉é"; time.sleep(1)\n'
    uri = session.open(project / "emoji.py", text)
    (diagnostic,) = await session.diagnostics(uri)
    start_column = text.splitlines()[4].index("time.sleep")  # in code points: 14
    # 🎉 is 2 UTF-16 units (+1) and 4 UTF-8 bytes (+3); é is 1 unit and 2 bytes (+1).
    expected = {"utf-16": start_column + 1, "utf-8": start_column + 4}[session.encoding]
    assert diagnostic.range.start == types.Position(line=4, character=expected)
    assert diagnostic.range.end.character - diagnostic.range.start.character == len("time.sleep(1)")

    # An incremental edit after the emoji, in client units, lands where it should.
    version = session.edit(uri, (4, start_column), (4, start_column), "x = 1; ")
    assert version == 2
    (diagnostic,) = await session.diagnostics(uri)
    assert diagnostic.range.start.character == expected + len("x = 1; ")
    assert diagnostic.data["version"] == 2


async def test_form_feed_is_not_a_line_break(client, project):
    """LSP and Python break lines at \\n, \\r\\n and \\r only: a form feed (^L) is not one."""
    session = await start(client, project)
    text = "import time\n\x0c\nasync def f():\n    time.sleep(1)\n"
    uri = session.open(project / "ff.py", text)
    assert lines(await session.diagnostics(uri)) == [3]
    session.edit(uri, (3, 4), (3, 4), "await f()\n    ")
    assert lines(await session.diagnostics(uri)) == [4]
    assert LineIndex(session.texts[uri]).line_text(3) == "    await f()"


async def test_every_version_and_only_the_last_one_wins(client, project):
    session = await start(client, project)
    filler = "".join(f"async def g{i}():\n    time.sleep({i})\n\n" for i in range(100))
    head = "import time\n\n" + filler
    top = head.count("\n")
    uri = session.open(project / "rapid.py", head + "async def f():\n    pass\n")
    assert len(await session.diagnostics(uri)) == 100
    for i in range(25):  # typing, with no pause: each keystroke its own version
        session.edit(uri, (top + 1 + i, 0), (top + 1 + i, 0), "    time.sleep(1)\n")
    final = 26
    assert session.versions[uri] == final
    diagnostics = await session.diagnostics(uri)
    assert lines(diagnostics)[100:] == list(range(top + 1, top + 26))
    assert {d.data["version"] for d in diagnostics} == {final}
    if not session.pull:
        versions = [p.version for p in client.published if p.uri == uri]
        assert versions == sorted(versions), "a result for an older version was published after a newer one"
        assert versions[-1] == final
        for params in client.published:  # each publish is right for the version it names
            assert len(params.diagnostics) == 100 + params.version - 1


async def test_edits_give_what_a_fresh_open_of_the_same_text_gives(client, project):
    """Typing goes through the incremental parser: lines added and removed, statements
    split and joined, a syntax error on the way; each result must be the fresh one."""
    session = await start(client, project)
    body = "".join(f"async def g{i}(r):\n    time.sleep({i})\n    return r.get()\n\n" for i in range(30))
    uri = session.open(project / "typed.py", "import time\n\n" + body)
    await session.diagnostics(uri)
    edits = [
        ((10, 0), (10, 0), "    x = 1\n"),  # a line more inside a function
        ((3, 0), (4, 0), ""),  # a line less
        ((20, 4), (20, 4), "if r:\n        "),  # a new block
        ((30, 0), (30, 0), "@decorator\n"),  # glued to the next function
        ((2, 0), (2, 0), "x = (\n"),  # an open bracket: nothing below parses (compared below)
        ((2, 0), (3, 0), ""),  # closed again
        ((0, 0), (0, 0), "import time as t\n"),  # a new alias at the top
    ]
    for start_, end, text in edits:
        session.edit(uri, start_, end, text)
        typed = await session.diagnostics(uri)
        fresh_uri = session.open(project / f"fresh{session.versions[uri]}.py", session.texts[uri])
        fresh = await session.diagnostics(fresh_uri)
        if "CEL000" in codes(typed):  # recovered results differ by design: the last good ones are kept
            assert "CEL000" in codes(fresh)
            continue
        assert [(d.code, d.range, d.message) for d in typed] == [(d.code, d.range, d.message) for d in fresh]


async def test_close_clears_diagnostics(client, project):
    session = await start(client, project)
    uri = session.open(project / "closing.py", SLEEPY)
    assert len(await session.diagnostics(uri)) == 2
    session.close(uri)
    if session.pull:  # nothing is known of a closed document any more
        assert await session.diagnostics(uri) == []
    else:
        await until(
            lambda: client.published[-1].uri == uri and not client.published[-1].diagnostics, "diagnostics cleared"
        )


async def test_pull_clients_are_never_pushed_to(client, project):
    session = await start(client, project)
    uri = session.open(project / "p.py", SLEEPY)
    await session.diagnostics(uri)
    session.edit(uri, (0, 0), (0, 0), "# edited\n")
    diagnostics = await session.diagnostics(uri)
    assert lines(diagnostics) == [6, 10]
    await asyncio.sleep(0.2)
    if session.pull:
        assert client.published == []
    else:
        assert {p.version for p in client.published} >= {1, 2}


@pytest.mark.parametrize("client", ["neovim"], indirect=True)
async def test_pull_result_ids(client, project):
    session = await start(client, project)
    uri = session.open(project / "ids.py", SLEEPY)
    params = types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri))
    first = await client.text_document_diagnostic_async(params)
    assert first.kind == "full" and first.result_id
    params.previous_result_id = first.result_id
    again = await client.text_document_diagnostic_async(params)
    assert again.kind == "unchanged" and again.result_id == first.result_id
    session.edit(uri, (0, 0), (0, 0), "\n")
    changed = await client.text_document_diagnostic_async(params)
    assert changed.kind == "full" and changed.result_id != first.result_id


async def test_cancelled_request_is_answered_as_cancelled(client, project):
    session = await start(client, project)
    uri = session.open(project / "slow.py", _many_blocking_sleeps(3000))
    await session.diagnostics(uri)
    (action,) = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)),
            context=types.CodeActionContext(diagnostics=[], only=["source.fixAll"]),
        )
    )
    # Fixing 3,000 findings takes many seconds: the request is surely still running when cancelled.
    pending = asyncio.ensure_future(
        client.protocol.send_request_async(types.CODE_ACTION_RESOLVE, action, msg_id="slow-fix-all")
    )
    await asyncio.sleep(0.05)
    client.cancel_request(types.CancelParams(id="slow-fix-all"))
    try:
        await asyncio.wait_for(pending, TIMEOUT_CANCEL)
    except Exception as exc:  # pygls raises the error the server answered with
        assert "cancel" in str(exc).lower() or type(exc).__name__ == "JsonRpcRequestCancelled"
    else:
        raise AssertionError("the cancelled request was answered normally")
    # The server goes on answering at once.
    hover = await asyncio.wait_for(
        client.text_document_hover_async(
            types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=3, character=6)
            )
        ),
        2,
    )
    assert hover is not None and "CEL002" in hover.contents.value


async def test_cancelled_fix_all_stops_working(client, project):
    """The fixes share one worker: a cancelled fix-all that went on to the end of a large
    file (about 20 s here) would hold up the next quick fix that long."""
    session = await start(client, project)
    uri = session.open(project / "large.py", _many_blocking_sleeps(3000))
    diagnostics = await session.diagnostics(uri)
    (fix_all,) = await _actions(client, uri, [], "source.fixAll")
    pending = asyncio.ensure_future(
        client.protocol.send_request_async(types.CODE_ACTION_RESOLVE, fix_all, msg_id="large-fix-all")
    )
    await asyncio.sleep(0.3)
    client.cancel_request(types.CancelParams(id="large-fix-all"))
    with contextlib.suppress(Exception):
        await asyncio.wait_for(pending, TIMEOUT_CANCEL)
    last = diagnostics[-1]
    actions = await _actions(client, uri, [last], "quickfix")
    quick_fix = next(a for a in actions if "sleep" in a.title.lower() or a.is_preferred)
    resolved = await asyncio.wait_for(client.code_action_resolve_async(quick_fix), TIMEOUT_CANCEL)
    assert resolved.edit is not None


async def test_a_quick_fix_is_answered_while_a_fix_all_runs(client, project):
    """A fix-all of a large file takes many seconds: a quick fix asked meanwhile is not
    queued behind it (they have workers of their own)."""
    session = await start(client, project)
    uri = session.open(project / "large.py", _many_blocking_sleeps(3000))
    diagnostics = await session.diagnostics(uri)
    (fix_all,) = await _actions(client, uri, [], "source.fixAll")
    whole = asyncio.ensure_future(client.code_action_resolve_async(fix_all))
    await asyncio.sleep(0.3)  # the fix-all is under way
    last = diagnostics[-1]
    actions = await _actions(client, uri, [last], "quickfix")
    quick_fix = next(a for a in actions if a.is_preferred)
    resolved = await asyncio.wait_for(client.code_action_resolve_async(quick_fix), TIMEOUT_CANCEL)
    assert resolved.edit is not None
    assert not whole.done()  # answered before the fix-all, not after it
    await asyncio.wait_for(whole, 120)


async def _actions(client, uri: str, diagnostics: list, kind: str) -> list[types.CodeAction]:
    """The code actions of one kind at the diagnostics (at the file's start when none)."""
    start = types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=0))
    return await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=diagnostics[0].range if diagnostics else start,
            context=types.CodeActionContext(diagnostics=diagnostics, only=[kind]),
        )
    )


# One quick fix of that file takes about 1-2 s on the 2-core CI machine, the whole fix-all
# about 20 s: a cancelled fix-all that did not stop would hold the quick fix up beyond this.
TIMEOUT_CANCEL = 10.0


def _many_blocking_sleeps(count: int) -> str:
    """A module of `count` async functions that each call `time.sleep` (9,000 lines for 3,000)."""
    return "import time\n\n" + "".join(f"async def f{i}():\n    time.sleep({i})\n\n" for i in range(count))


async def test_source_and_syntax_error_codes(client, project):
    session = await start(client, project)
    uri = session.open(project / "broken_from_start.py", "import time\n\nasync def f(:\n    time.sleep(1)\n")
    diagnostics = await session.diagnostics(uri)
    assert "CEL000" in codes(diagnostics)
