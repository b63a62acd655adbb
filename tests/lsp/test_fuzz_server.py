"""Fuzzing the server: mutated sources (`tests/test_fuzz.py`'s seeded mutator) opened, their
quick fixes and fix-all asked for and resolved; every request is answered and every edit
leaves a text that parses when the original did."""

from __future__ import annotations

import ast

from lsprotocol import types
from lspsession import start
from test_actions import request

from test_fuzz import cases

SERVER_CASES = 16


def parses(text: str) -> bool:
    try:
        ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


async def test_mutated_sources_through_the_server(client, project):
    (project / "pyproject.toml").write_text("[tool.celery-patterns]\n")  # every rule
    session = await start(client, project)
    applied = 0
    for n, source in cases(SERVER_CASES, 3):
        if "\x00" in source or "\r" in source:
            source = source.replace("\x00", "").replace("\r", "")  # (the test client keeps text as lines)
        uri = session.open(project / f"fuzz{n:02}.py", source)
        diagnostics = await session.diagnostics(uri)
        for diagnostic in [d for d in diagnostics if d.data and d.data.get("fixable")][:1]:
            actions = await client.text_document_code_action_async(request(uri, [diagnostic]))
            fixes = [
                a
                for a in actions or []
                if a.kind == types.CodeActionKind.QuickFix and not a.title.startswith("Disable")
            ]
            if not fixes:
                continue
            resolved = fixes[0] if fixes[0].edit is not None else await client.code_action_resolve_async(fixes[0])
            if resolved.edit is None:
                continue
            text = session.apply(uri, resolved.edit)
            assert parses(text), f"case {n}: {resolved.title}\n{source}\n---\n{text}"
            await session.diagnostics(uri)
            applied += 1
        fix_all = await client.text_document_code_action_async(
            request(uri, [], only=[types.CodeActionKind.SourceFixAll])
        )
        for action in fix_all or []:
            resolved = action if action.edit is not None else await client.code_action_resolve_async(action)
            if resolved.edit is not None and (resolved.edit.document_changes or resolved.edit.changes):
                text = session.apply(uri, resolved.edit)
                assert parses(text), f"case {n}: fix all\n{source}\n---\n{text}"
        session.close(uri)
    assert applied >= 2  # (else the cases test little)
    # Still answering.
    uri = session.open(project / "last.py", "import time\n\n\nasync def f():\n    time.sleep(1)\n")
    assert [d.code for d in await session.diagnostics(uri)] == ["CEL002"]
