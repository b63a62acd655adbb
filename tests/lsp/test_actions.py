"""Code actions (quick fix, disable for this line, fix all), their resolution, and hover."""

from __future__ import annotations

import pytest
from lsprotocol import types
from lspsession import SLEEPY, lines, start
from pytest_lsp import client_capabilities

from celery_patterns.engine import check_source
from celery_patterns.ftypes import FixSafety
from celery_patterns.rules import all_rules


def request(uri: str, diagnostics, only=None, rng: types.Range | None = None) -> types.CodeActionParams:
    rng = rng or (
        diagnostics[0].range
        if diagnostics
        else types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=0))
    )
    return types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=rng,
        context=types.CodeActionContext(diagnostics=list(diagnostics), only=only),
    )


async def test_quick_fix_is_lazy_preferred_and_resolves(client, project):
    session = await start(client, project)
    uri = session.open(project / "fixme.py", SLEEPY)
    diagnostics = await session.diagnostics(uri)
    actions = await client.text_document_code_action_async(request(uri, diagnostics[:1]))
    titles = [a.title for a in actions]
    assert titles[:2] == ["Replace with `await asyncio.sleep(...)`", "Disable CEL002 for this line"]
    fix = actions[0]
    assert fix.kind == types.CodeActionKind.QuickFix
    assert fix.is_preferred is True  # the fix is safe
    assert fix.diagnostics[0].data == diagnostics[0].data
    assert fix.edit is None and fix.data["kind"] == "fix"  # both clients resolve edits lazily
    resolved = await client.code_action_resolve_async(fix)
    text = session.apply(uri, resolved.edit)
    assert "        await asyncio.sleep(1)\n" in text
    assert "import asyncio" in text
    assert lines(await session.diagnostics(uri)) == [text.splitlines().index("    time.sleep(2)")]


async def test_disable_for_this_line_adds_then_extends_noqa(client, project):
    session = await start(client, project)
    text = SLEEPY.replace("        time.sleep(1)", "        time.sleep(1)  # noqa: CEL001")
    uri = session.open(project / "quiet.py", text)
    diagnostics = await session.diagnostics(uri)
    for diagnostic, expected in [
        (diagnostics[0], "        time.sleep(1)  # noqa: CEL001, CEL002"),
        (diagnostics[1], "    time.sleep(2)  # noqa: CEL002"),
    ]:
        actions = await client.text_document_code_action_async(request(uri, [diagnostic]))
        (disable,) = [a for a in actions if a.title == "Disable CEL002 for this line"]
        assert disable.kind == types.CodeActionKind.QuickFix and not disable.is_preferred
        assert disable.edit is not None  # cheap: never deferred
        assert expected in session.apply(uri, disable.edit).splitlines()
        diagnostics = await session.diagnostics(uri)
    assert diagnostics == []


async def test_fix_all_applies_every_safe_fix(client, project):
    session = await start(client, project)
    uri = session.open(project / "all.py", SLEEPY)
    await session.diagnostics(uri)
    (action,) = await client.text_document_code_action_async(request(uri, [], only=["source.fixAll"]))
    assert action.kind == "source.fixAll.celery-patterns"
    assert action.edit is None
    resolved = await client.code_action_resolve_async(action)
    text = session.apply(uri, resolved.edit)
    assert "time.sleep" not in text and text.count("await asyncio.sleep(") == 2
    assert await session.diagnostics(uri) == []
    # Nothing left to fix: no fix-all action.
    assert not await client.text_document_code_action_async(request(uri, [], only=["source.fixAll"]))


@pytest.mark.parametrize("client", ["neovim"], indirect=True)
async def test_fix_all_can_be_switched_off(client, project):
    session = await start(client, project, options={"fixAll": False})
    uri = session.open(project / "nofixall.py", SLEEPY)
    await session.diagnostics(uri)
    assert not await client.text_document_code_action_async(request(uri, [], only=["source"]))


@pytest.mark.parametrize("client", ["visual-studio-code"], indirect=True)
async def test_only_quickfix_requested(client, project):
    session = await start(client, project)
    uri = session.open(project / "only.py", SLEEPY)
    diagnostics = await session.diagnostics(uri)
    actions = await client.text_document_code_action_async(request(uri, diagnostics[:1], only=["quickfix"]))
    assert {a.kind for a in actions} == {"quickfix"}
    actions = await client.text_document_code_action_async(request(uri, diagnostics[:1]))
    assert {a.kind for a in actions} == {"quickfix", "source.fixAll.celery-patterns"}


@pytest.mark.parametrize("client", ["neovim"], indirect=True)
async def test_actions_without_context_diagnostics_use_the_range(client, project):
    session = await start(client, project)
    uri = session.open(project / "ranged.py", SLEEPY)
    diagnostics = await session.diagnostics(uri)
    actions = await client.text_document_code_action_async(request(uri, [], rng=diagnostics[1].range))
    assert [a.title for a in actions if a.kind == "quickfix"] == [
        "Replace with `await asyncio.sleep(...)`",
        "Disable CEL002 for this line",
    ]


@pytest.mark.parametrize("client", ["visual-studio-code"], indirect=True)
async def test_eager_edits_for_clients_without_resolve(client, project):
    capabilities = client_capabilities("visual-studio-code")
    capabilities.text_document.code_action.resolve_support = None
    capabilities.workspace.workspace_edit.document_changes = False
    session = await start(client, project, capabilities=capabilities)
    uri = session.open(project / "eager.py", SLEEPY)
    diagnostics = await session.diagnostics(uri)
    actions = await client.text_document_code_action_async(request(uri, diagnostics[:1]))
    assert actions[0].edit is not None and actions[0].edit.changes  # plain `changes`, computed now
    (fix_all,) = await client.text_document_code_action_async(request(uri, [], only=["source.fixAll"]))
    assert "time.sleep" not in session.apply(uri, fix_all.edit)


async def test_stale_resolve_is_redone_on_the_current_text(client, project):
    session = await start(client, project)
    uri = session.open(project / "stale.py", SLEEPY)
    diagnostics = await session.diagnostics(uri)
    (fix, *_) = await client.text_document_code_action_async(request(uri, diagnostics[1:]))
    session.edit(uri, (0, 0), (0, 0), "# a comment line that moves nothing else on line 9\n")
    resolved = await client.code_action_resolve_async(fix)
    assert resolved.edit is None  # the finding moved: no edit rather than a wrong one
    fix_all = types.CodeAction(
        title="all", kind="source.fixAll.celery-patterns", data={"kind": "fixAll", "uri": uri, "version": 1}
    )
    resolved = await client.code_action_resolve_async(fix_all)
    text = session.apply(uri, resolved.edit)  # made for the current version (asserted in apply)
    assert text.startswith("# a comment line") and "time.sleep" not in text


async def test_hover_shows_the_rule_documentation(client, project):
    session = await start(client, project)
    uri = session.open(project / "hover.py", SLEEPY)
    diagnostics = await session.diagnostics(uri)
    at = diagnostics[0].range.start
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=at.line, character=at.character + 3),
        )
    )
    assert hover.contents.kind == types.MarkupKind.Markdown
    assert hover.contents.value.startswith("**CEL002**")
    for section in (
        "# CEL002: blocking-sleep-in-async",
        "## What it does",
        "## Why is this bad?",
        "## Example",
        "## Use instead",
        "## Fix safety",
    ):
        assert section in hover.contents.value
    assert hover.range == diagnostics[0].range
    nothing = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=0, character=2)
        )
    )
    assert nothing is None


def _unsafe_example():
    """A rule with an unsafe fix and its documented example, if any rule has one."""
    for rule in all_rules():
        if rule.fix_safety is FixSafety.UNSAFE and (example := rule.doc_example("Example")):
            findings = [
                f for f in check_source(example, "example.py").report.findings if f.code == rule.code and f.fixable
            ]
            if findings:
                return rule, example
    return None, None


@pytest.mark.parametrize("client", ["neovim"], indirect=True)
async def test_unsafe_fixes_are_offered_but_not_preferred_nor_in_fix_all(client, tmp_path):
    rule, example = _unsafe_example()
    if rule is None:
        pytest.skip("no rule with an unsafe fix and a fixable example")
    (tmp_path / "pyproject.toml").write_text(f'[tool.celery-patterns]\nselect = ["{rule.code}"]\n')
    session = await start(client, tmp_path)
    uri = session.open(tmp_path / "example.py", example)
    diagnostics = [d for d in await session.diagnostics(uri) if d.data["fixable"]]
    assert diagnostics and diagnostics[0].data["safe"] is False
    actions = await client.text_document_code_action_async(request(uri, diagnostics[:1]))
    fix = actions[0]
    assert fix.title.endswith("(unsafe)") and not fix.is_preferred
    assert "source.fixAll.celery-patterns" not in [a.kind for a in actions]  # safe fixes only
    resolved = await client.code_action_resolve_async(fix)
    assert resolved.edit is not None


@pytest.mark.parametrize("client", ["visual-studio-code"], indirect=True)
async def test_diagnostics_echoed_without_source_or_data_get_actions(client, project):
    # ALE sends our diagnostics back in the context with neither `source` nor `data`.
    session = await start(client, project)
    uri = session.open(project / "echoed.py", SLEEPY)
    diagnostics = await session.diagnostics(uri)
    echoed = [
        types.Diagnostic(range=d.range, message=d.message, code=d.code, severity=d.severity) for d in diagnostics[1:]
    ]
    actions = await client.text_document_code_action_async(request(uri, echoed, only=["quickfix"]))
    assert [a.title for a in actions] == ["Replace with `await asyncio.sleep(...)`", "Disable CEL002 for this line"]
    assert list(actions[0].diagnostics) == echoed  # the client's own diagnostic, as it sent it
    text = session.apply(uri, (await client.code_action_resolve_async(actions[0])).edit)
    assert "    await asyncio.sleep(2)\n" in text and "        time.sleep(1)\n" in text
    # Another tool's diagnostic at the same place names none of our findings.
    other = types.Diagnostic(range=diagnostics[0].range, message="line too long", code="E501", source="ruff")
    assert not await client.text_document_code_action_async(request(uri, [other], only=["quickfix"]))
