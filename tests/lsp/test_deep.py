"""Deep but valid code does not take the server down (it used to segfault on open and on
resolving a quick fix): it says what it cannot check or fix, and goes on answering."""

from __future__ import annotations

from lsprotocol import types
from lspsession import SLEEPY, start
from test_actions import request

# 800 KB of `.b`: 400,000 levels, deeper than any Python's parser takes.
CHAIN = "x = a" + ".b" * 400_000 + "\n"
# 20,000 levels of `ast` tree around a blocking call (the rules walk it).
SUM = "import time\n\n\nasync def f():\n    time.sleep(1)\n    return " + " + ".join(["1"] * 20_000) + "\n"
# A blocking call inside 10,000 levels of libcst's tree.
AND_CHAIN = "import time\n\n\nasync def f():\n    x = time.sleep(1) and " + " and ".join(["1"] * 10_000) + "\n"


async def test_deep_files_are_said_and_the_server_goes_on(client, project):
    session = await start(client, project)
    chain = session.open(project / "chain.py", CHAIN)
    (diagnostic,) = await session.diagnostics(chain)
    assert diagnostic.code == "CEL000" and diagnostic.severity == types.DiagnosticSeverity.Warning
    assert diagnostic.message.startswith("too deeply nested to check")

    # Checked on the server's large stacks (Python 3.11), or said too deep (3.12+).
    deep_sum = session.open(project / "sum.py", SUM)
    (diagnostic,) = await session.diagnostics(deep_sum)
    assert diagnostic.code in ("CEL000", "CEL002")

    and_chain = session.open(project / "and_chain.py", AND_CHAIN)
    (diagnostic,) = await session.diagnostics(and_chain)
    assert diagnostic.code == "CEL002"
    assert diagnostic.data["noFixReason"].startswith("too large to fix in time")
    actions = await client.text_document_code_action_async(request(and_chain, [diagnostic]))
    assert [a.title for a in actions if a.kind == types.CodeActionKind.QuickFix] == ["Disable CEL002 for this line"]
    fix_all = await client.text_document_code_action_async(
        request(and_chain, [], only=[types.CodeActionKind.SourceFixAll])
    )
    for action in fix_all or []:
        resolved = await client.code_action_resolve_async(action) if action.edit is None else action
        assert not (resolved.edit and resolved.edit.document_changes)  # nothing it can fix

    # Still answering: a quick fix on an ordinary file.
    uri = session.open(project / "fixme.py", SLEEPY)
    diagnostics = await session.diagnostics(uri)
    actions = await client.text_document_code_action_async(request(uri, diagnostics[:1]))
    resolved = await client.code_action_resolve_async(actions[0])
    assert "await asyncio.sleep(1)" in session.apply(uri, resolved.edit)
