"""What a first quick fix would wait for is done in the background once the server starts.

cattrs writes the code that converts a type between JSON and lsprotocol's classes the first
time it meets the type (28 ms for a code action, its resolve and their answers): the warm-up
converts them once, so a code action as an editor sends it meets no type it has not seen."""

from __future__ import annotations

from lsprotocol import types

from celery_patterns.lsp.session import CeleryPatternsServer

RANGE = {"start": {"line": 3, "character": 8}, "end": {"line": 3, "character": 25}}
DIAGNOSTIC = {  # as the server publishes it and VS Code sends it back
    "range": RANGE,
    "severity": 2,
    "code": "CEL002",
    "codeDescription": {"href": "https://example.org/CEL002"},
    "source": "celery-patterns",
    "message": "blocking `time.sleep` inside `async def`",
    "data": {"code": "CEL002", "range": [3, 8, 3, 25], "fixable": True, "safe": True, "version": 2},
}


def _conversions(converter) -> tuple[int, int]:
    """How many types cattrs has written a conversion for, each way."""
    return (
        converter._structure_func.dispatch.cache_info().currsize,
        converter._unstructure_func.dispatch.cache_info().currsize,
    )


def test_after_the_warm_up_a_code_action_and_its_resolve_meet_no_new_type():
    protocol = CeleryPatternsServer().protocol
    converter = protocol._converter
    protocol.warm_up_conversions()
    warmed = _conversions(converter)
    assert warmed[0] > 0 and warmed[1] > 0

    params = {
        "textDocument": {"uri": "file:///work/app.py"},
        "range": RANGE,
        "context": {"diagnostics": [DIAGNOSTIC], "only": ["quickfix"], "triggerKind": 1},
    }
    converter.structure(
        {"jsonrpc": "2.0", "id": 7, "method": types.TEXT_DOCUMENT_CODE_ACTION, "params": params},
        types.CodeActionRequest,
    )
    offered = {"title": "Use `await asyncio.sleep`", "kind": "quickfix", "diagnostics": [DIAGNOSTIC], "data": {"n": 1}}
    action = converter.structure(
        {"jsonrpc": "2.0", "id": 8, "method": types.CODE_ACTION_RESOLVE, "params": offered},
        types.CodeActionResolveRequest,
    ).params
    action.is_preferred = True
    edit = types.TextEdit(range=action.diagnostics[0].range, new_text="await asyncio.sleep(delay)")
    document = types.OptionalVersionedTextDocumentIdentifier(uri="file:///work/app.py", version=2)
    action.edit = types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(text_document=document, edits=[edit])])
    converter.unstructure(types.CodeActionResponse(id=7, result=[action]))
    converter.unstructure(types.CodeActionResolveResponse(id=8, result=action))
    action.edit = types.WorkspaceEdit(changes={"file:///work/app.py": [edit]})  # (a client without documentChanges)
    converter.unstructure(types.CodeActionResponse(id=7, result=[action]))

    assert _conversions(converter) == warmed
