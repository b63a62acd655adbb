"""A buffer with a syntax error keeps useful diagnostics; nothing a client sends takes the server down."""

from __future__ import annotations

import pytest
from lsprotocol import types
from lspsession import SLEEPY, codes, lines, start

THREE = (
    SLEEPY
    + """

async def third(result):
    time.sleep(3)
"""
)


async def test_syntax_error_keeps_the_other_findings(client, project):
    session = await start(client, project)
    uri = session.open(project / "typing.py", THREE)
    assert lines(await session.diagnostics(uri)) == [5, 9, 14]
    # Half-typed call in the middle function: the rest of the module still parses.
    session.edit(uri, (10, 10), (10, 10), "(")  # `return result(` never closed
    diagnostics = await session.diagnostics(uri)
    assert "CEL000" in codes(diagnostics)
    assert lines(diagnostics) == [5, 9, 14]
    (syntax,) = [d for d in diagnostics if d.code == "CEL000"]
    assert syntax.range.start.line == 10 and syntax.severity == types.DiagnosticSeverity.Error
    assert not any(d.data["fixable"] for d in diagnostics)  # no fixes on a text that does not parse
    # Fixed again: back to normal.
    session.edit(uri, (10, 10), (10, 11), "")
    assert codes(await session.diagnostics(uri)) == ["CEL002"] * 3


@pytest.mark.parametrize("client", ["neovim"], indirect=True)
async def test_broken_block_falls_back_to_the_last_good_results(client, project):
    session = await start(client, project)
    uri = session.open(project / "block.py", THREE)
    await session.diagnostics(uri)
    # Break the header of the second function: its body cannot be parsed as anything.
    session.edit(uri, (8, 20), (8, 20), "(((")
    session.edit(uri, (0, 0), (0, 0), "# moved one line down\n")  # the old results move along
    diagnostics = await session.diagnostics(uri)
    assert "CEL000" in codes(diagnostics)
    assert lines(diagnostics) == [6, 10, 15]


@pytest.mark.parametrize("client", ["visual-studio-code"], indirect=True)
async def test_nothing_parses(client, project):
    session = await start(client, project)
    uri = session.open(project / "garbage.py", THREE)
    await session.diagnostics(uri)
    session.edit(uri, (0, 0), (0, 0), '"""')  # everything is now one unterminated string
    diagnostics = await session.diagnostics(uri)
    assert "CEL000" in codes(diagnostics)
    assert lines(diagnostics) == [5, 9, 14]  # the last good results


async def test_opened_with_a_syntax_error(client, project):
    session = await start(client, project)
    uri = session.open(project / "born_broken.py", THREE.replace("async def poll(result):", "async def poll(result:"))
    diagnostics = await session.diagnostics(uri)
    assert "CEL000" in codes(diagnostics)
    assert lines(diagnostics) == [9, 14]  # the parts that parse

    # A new finding while broken: the parts that parse are checked for real.
    session.edit(uri, (11, 0), (11, 0), "async def fourth():\n    time.sleep(4)\n")
    diagnostics = await session.diagnostics(uri)
    assert "CEL000" in codes(diagnostics)
    assert lines(diagnostics) == [9, 12, 16]


async def test_odd_requests_do_not_hurt(client, project):
    session = await start(client, project)
    uri = session.open(project / "odd.py", SLEEPY)
    await session.diagnostics(uri)
    unknown = (project / "never_opened.py").as_uri()
    doc = types.TextDocumentIdentifier(uri=unknown)
    far = types.Position(line=10_000, character=10_000)
    nowhere = types.Range(start=far, end=far)
    assert not await client.text_document_code_action_async(
        types.CodeActionParams(text_document=doc, range=nowhere, context=types.CodeActionContext(diagnostics=[]))
    )
    assert await client.text_document_hover_async(types.HoverParams(text_document=doc, position=far)) is None
    assert (
        await client.text_document_hover_async(
            types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=far)
        )
        is None
    )
    bogus = types.CodeAction(title="bogus", data={"kind": "fix", "uri": uri, "version": "x", "range": "nope"})
    assert (await client.code_action_resolve_async(bogus)).edit is None
    not_ours = types.Diagnostic(
        range=nowhere, message="?", source="celery-patterns", code="CEL002", data={"code": 3, "range": [None]}
    )
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=nowhere,
            context=types.CodeActionContext(diagnostics=[not_ours]),
        )
    )
    assert [a.kind for a in actions] == ["source.fixAll.celery-patterns"]
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=unknown, version=3),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text="x")],
        )
    )
    client.text_document_did_close(types.DidCloseTextDocumentParams(text_document=doc))
    # Edits beyond the end of the document are clamped, as the protocol asks.
    session.texts[uri] += "\n# appended"
    session._send(uri, [types.TextDocumentContentChangePartial(range=nowhere, text="\n# appended")])
    assert lines(await session.diagnostics(uri)) == [5, 9]
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=[1, 2]))
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"celery-patterns": {"enable": "yes", "severity": ["x"]}})
    )
    assert lines(await session.diagnostics(uri)) == [5, 9]
    assert not [m for m in client.log_messages if "internal error" in m.message]
