"""Task names across services in the editor: definition, hover, completion, references,
workspace symbols, and the diagnostics of one service following edits of the other."""

from __future__ import annotations

import asyncio
import textwrap
import time

from lsprotocol import types
from lspsession import CLIENTS, RELEASE, TIMEOUT, held_client_fixture, start, until

WORKER = textwrap.dedent('''\
    from celery import Celery

    app = Celery("rag")
    app.conf.task_routes = {"rag.*": {"queue": "rag"}}


    @app.task(name="rag.ingest_file", max_retries=3)
    def ingest_file(project_dir, database_name, source_path):
        """Split a file into chunks and embed them.

        More about it.
        """
        return 0


    @app.task(name="rag.search")
    def search(project_dir, database_name, query):
        return []
''')

CLIENT = textwrap.dedent("""\
    from celery import signature

    from core.app import app


    def ingest(project_dir, database_name, path):
        return signature("rag.ingest_file", args=[project_dir, database_name, path], app=app).apply_async()


    def find(project_dir, database_name, query):
        return app.send_task("rag.search", args=[project_dir, database_name, query])
""")

APP = 'from celery import Celery\n\napp = Celery("server")\n'


def two_services(root):
    (root / "rag").mkdir()
    (root / "rag" / "requirements.txt").write_text("celery\n")
    (root / "rag" / "worker.py").write_text(WORKER)
    (root / "server" / "core").mkdir(parents=True)
    (root / "server" / "requirements.txt").write_text("celery\nfastapi\n")
    (root / "server" / "core" / "__init__.py").write_text("")
    (root / "server" / "core" / "app.py").write_text(APP)
    (root / "server" / "core" / "client.py").write_text(CLIENT)
    return root


def position(text: str, needle: str, offset: int = 1) -> types.Position:
    """The position `offset` characters into the first `needle` of `text` (ASCII)."""
    at = text.index(needle) + offset
    line = text.count("\n", 0, at)
    return types.Position(line=line, character=at - (text.rfind("\n", 0, at) + 1))


async def indexed(client) -> None:
    """Wait until the model is indexed (the progress that says so ended)."""

    def done() -> bool:
        return any(
            r and r[0].title == "Indexing Celery tasks" and r[-1].kind == "end"
            for r in client.progress_reports.values()
        )

    if client.capabilities.window and client.capabilities.window.work_done_progress:
        await until(done, "the indexing to end")
    else:
        await asyncio.sleep(1)


async def opened(client, root, relative: str, text: str):
    """A session on `root` with `relative` open as `text`, checked, and the model indexed."""
    session = await start(client, root)
    uri = session.open(root / relative, text)
    await session.diagnostics(uri)
    await indexed(client)
    return session, uri


async def test_definition_hover_references_symbols(client, tmp_path):
    root = two_services(tmp_path)
    session, uri = await opened(client, root, "server/core/client.py", CLIENT)
    document = types.TextDocumentIdentifier(uri=uri)

    on_name = position(CLIENT, '"rag.ingest_file"', 3)
    locations = await client.text_document_definition_async(
        types.DefinitionParams(text_document=document, position=on_name)
    )
    (location,) = locations
    assert location.uri == (root / "rag" / "worker.py").as_uri()
    assert location.range.start == position(WORKER, "def ingest_file", 4)

    hover = await client.text_document_hover_async(types.HoverParams(text_document=document, position=on_name))
    text = hover.contents.value
    assert "rag.ingest_file(project_dir, database_name, source_path)" in text
    assert "Split a file into chunks and embed them." in text and "More about it" not in text
    assert "queue `rag`" in text and "`max_retries=3`" in text and "rag" in text

    worker = session.open(root / "rag" / "worker.py", WORKER)
    await session.diagnostics(worker)
    references = await client.text_document_references_async(
        types.ReferenceParams(
            text_document=types.TextDocumentIdentifier(uri=worker),
            position=position(WORKER, "def search", 5),
            context=types.ReferenceContext(include_declaration=False),
        )
    )
    assert [(r.uri, r.range.start.line) for r in references] == [
        (uri, CLIENT[: CLIENT.index('"rag.search"')].count("\n"))
    ]

    symbols = await client.workspace_symbol_async(types.WorkspaceSymbolParams(query="rag."))
    assert sorted(s.name for s in symbols) == ["rag.ingest_file", "rag.search"]


async def test_a_task_whose_name_is_built_at_run_time_is_a_symbol_named_where_it_is_defined(client, tmp_path):
    root = two_services(tmp_path)
    later = "from worker import app\n\n\n@app.task(name=make_name())\ndef later():\n    pass\n"
    (root / "rag" / "later.py").write_text(later)
    session, uri = await opened(client, root, "rag/worker.py", WORKER)
    symbols = await client.workspace_symbol_async(types.WorkspaceSymbolParams(query=""))
    assert sorted(s.name for s in symbols) == ["later.later", "rag.ingest_file", "rag.search"]


async def test_completion_of_task_names(client, tmp_path):
    root = two_services(tmp_path)
    text = CLIENT + '\n\ndef more(p):\n    return signature("rag.", args=[p])\n'
    session, uri = await opened(client, root, "server/core/client.py", text)
    completions = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=position(text, '"rag."', 5)
        )
    )
    labels = {item.label: item for item in completions.items}
    assert set(labels) == {"rag.ingest_file", "rag.search"}
    assert labels["rag.search"].detail.startswith("(project_dir, database_name, query)")
    # what is typed of the name (`rag.`) is replaced: by each item's edit, or the list's default range
    name_range = types.Range(start=position(text, '"rag."', 1), end=position(text, '"rag."', 5))
    if labels["rag.search"].text_edit is not None:
        assert labels["rag.search"].text_edit == types.TextEdit(range=name_range, new_text="rag.search")
    else:
        assert completions.item_defaults.edit_range == name_range
    # the documentation comes when the client resolves the item
    assert session.capabilities.completion_provider.resolve_provider
    assert labels["rag.search"].documentation is None
    resolved = await client.completion_item_resolve_async(labels["rag.ingest_file"])
    assert "Split a file into chunks and embed them." in resolved.documentation.value
    assert "queue `rag`" in resolved.documentation.value
    # what the name typed so far cannot become is not sent (clients filter the rest)
    typed = text + '\n\ndef again(p):\n    return signature("rag.sea", args=[p])\n'
    session.replace_all(uri, typed)
    narrowed = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=position(typed, '"rag.sea"', 8)
        )
    )
    assert [item.label for item in narrowed.items] == ["rag.search"] and not narrowed.is_incomplete
    outside = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=position(text, "return signature", 2)
        )
    )
    assert outside is None or not outside.items


async def test_completion_of_thousands_of_names_comes_in_parts(client, tmp_path):
    root = two_services(tmp_path)
    many = "".join(f'@app.task(name="rag.bulk_{n}")\ndef bulk_{n}(item):\n    return item\n\n\n' for n in range(1200))
    (root / "rag" / "bulk.py").write_text("from worker import app\n\n\n" + many)
    text = CLIENT + '\n\ndef more(p):\n    return signature("rag.", args=[p])\n'
    session, uri = await opened(client, root, "server/core/client.py", text)

    async def complete(typed: str) -> types.CompletionList:
        session.replace_all(uri, text.replace('"rag."', f'"{typed}"'))
        return await client.text_document_completion_async(
            types.CompletionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=position(text, '"rag."', 1 + len(typed)),
            )
        )

    first = await complete("rag.")
    assert first.is_incomplete and 0 < len(first.items) < 1202  # typing more asks again
    narrower = await complete("rag.bulk_119")
    assert not narrower.is_incomplete and len(narrower.items) < 500
    labels = [item.label for item in narrower.items]
    assert {"rag.bulk_119", *(f"rag.bulk_119{n}" for n in range(10))} <= set(labels)
    assert "rag.search" not in labels


async def test_renaming_a_task_in_the_worker_flags_the_server_without_touching_it(client, tmp_path):
    root = two_services(tmp_path)
    session = await start(client, root)
    server_uri = session.open(root / "server" / "core" / "client.py", CLIENT)
    assert not await session.diagnostics(server_uri)
    await indexed(client)
    worker_uri = session.open(root / "rag" / "worker.py", WORKER)
    await session.diagnostics(worker_uri)

    async def server_codes(expected: set[str]) -> None:
        async def matches() -> bool:
            return {d.code for d in await session.diagnostics(server_uri)} == expected

        for _ in range(100):
            if await matches():
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"server diagnostics never became {expected}")

    session.replace_all(worker_uri, WORKER.replace('name="rag.search"', 'name="rag.find"'))
    await server_codes({"CEL012"})
    session.replace_all(worker_uri, WORKER)
    await server_codes(set())
    session.replace_all(worker_uri, WORKER.replace("database_name, query)", "query)"))
    await server_codes({"CEL013"})


# --- every dispatch form leads to the task ----------------------------------------------------------
FORMS = textwrap.dedent("""\
    from celery import Signature, signature, subtask

    from core.app import app


    def forms(p):
        app.send_task("rag.search", args=[p, p, p])
        Signature("rag.search", args=(p, p, p))
        subtask("rag.search", args=(p, p, p))
        app.signature("rag.search", args=(p, p, p))
        signature("rag.search", args=(p, p, p))


    app.conf.beat_schedule = {"nightly": {"task": "rag.search", "schedule": 60.0, "args": ("a", "b", "c")}}
    app.conf.task_routes = {"rag.search": {"queue": "search"}, "rag.*": {"queue": "rag"}}
""")


async def test_definition_from_every_form_of_dispatch_by_name(client, tmp_path):
    root = two_services(tmp_path)
    session, uri = await opened(client, root, "server/core/forms.py", FORMS)
    document = types.TextDocumentIdentifier(uri=uri)
    lines = FORMS.splitlines()
    uses = [(n, line.index('"rag.search"')) for n, line in enumerate(lines) if '"rag.search"' in line]
    assert len(uses) == 7  # send_task, Signature, subtask, app.signature, signature, beat "task", routes key
    for line, column in uses:
        at = types.Position(line=line, character=column + 3)
        locations = await client.text_document_definition_async(
            types.DefinitionParams(text_document=document, position=at)
        )
        assert [(loc.uri, loc.range.start) for loc in locations or []] == [
            ((root / "rag" / "worker.py").as_uri(), position(WORKER, "def search", 4))
        ], lines[line]
    pattern = types.Position(line=len(lines) - 1, character=lines[-1].index('"rag.*"') + 2)
    assert not await client.text_document_definition_async(
        types.DefinitionParams(text_document=document, position=pattern)
    )  # a route pattern names no one task


# --- files changed on disk, not open: the open documents follow ---------------------------------------
SEARCH = textwrap.dedent("""\
    from worker import app


    @app.task(name="rag.search")
    def search(project_dir, database_name, query):
        return []
""")


async def codes_become(session, uri: str, expected: set[str], since: float) -> None:
    """The document's diagnostic codes become `expected` (within TIMEOUT of `since`: how soon is
    a speed, which no test here times)."""
    while True:
        found = {d.code for d in await session.diagnostics(uri)}
        if found == expected:
            return
        if time.monotonic() - since > TIMEOUT:
            raise AssertionError(f"diagnostics {found}, not {expected}, {TIMEOUT} s after the change")
        await asyncio.sleep(0.02)


def watched(client, path, change: types.FileChangeType) -> float:
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(changes=[types.FileEvent(uri=path.as_uri(), type=change)])
    )
    return time.monotonic()


async def test_a_closed_file_changed_on_disk_refreshes_the_open_documents(client, tmp_path):
    root = two_services(tmp_path)
    session = await start(client, root)
    uri = session.open(root / "server" / "core" / "client.py", CLIENT)
    await indexed(client)
    await codes_become(session, uri, set(), time.monotonic())
    worker = root / "rag" / "worker.py"
    worker.write_text(WORKER.replace('name="rag.search"', 'name="rag.find"'))
    await codes_become(session, uri, {"CEL012"}, watched(client, worker, types.FileChangeType.Changed))
    worker.write_text(WORKER)
    await codes_become(session, uri, set(), watched(client, worker, types.FileChangeType.Changed))


async def test_a_file_deleted_on_disk_refreshes_the_open_documents(client, tmp_path):
    root = two_services(tmp_path)
    (root / "rag" / "worker.py").write_text(WORKER[: WORKER.index('@app.task(name="rag.search")')])
    search = root / "rag" / "search.py"
    search.write_text(SEARCH)
    session = await start(client, root)
    uri = session.open(root / "server" / "core" / "client.py", CLIENT)
    await indexed(client)
    await codes_become(session, uri, set(), time.monotonic())
    search.unlink()
    await codes_become(session, uri, {"CEL012"}, watched(client, search, types.FileChangeType.Deleted))
    search.write_text(SEARCH)
    await codes_become(session, uri, set(), watched(client, search, types.FileChangeType.Created))


# --- before the model is indexed ------------------------------------------------------------------------
OWN = textwrap.dedent("""\
    from celery import Celery, signature

    app = Celery("rag")


    @app.task(name="rag.own")
    def own(item):
        return item


    def send(item):
        return signature("rag.own", args=[item], app=app).apply_async()


    def more(item):
        return signature("rag.", args=[item])
""")


held_client = held_client_fixture("indexer", CLIENTS)  # the indexer waits for the test to release it


async def test_requests_before_the_model_is_indexed_answer_from_what_is_known(held_client, tmp_path):
    client = held_client
    root = two_services(tmp_path)
    session = await start(client, root)
    uri = session.open(root / "rag" / "own.py", OWN)
    client_uri = session.open(root / "server" / "core" / "client.py", CLIENT)
    document = types.TextDocumentIdentifier(uri=uri)

    def indexing_ended() -> bool:
        return any(
            r and r[0].title == "Indexing Celery tasks" and r[-1].kind == "end"
            for r in client.progress_reports.values()
        )

    # The document itself is known: its own task is found.
    on_own = position(OWN, '"rag.own", args', 3)
    locations = await client.text_document_definition_async(
        types.DefinitionParams(text_document=document, position=on_own)
    )
    assert [(loc.uri, loc.range.start) for loc in locations] == [(uri, position(OWN, "def own", 4))]
    hover = await client.text_document_hover_async(types.HoverParams(text_document=document, position=on_own))
    assert "rag.own(item)" in hover.contents.value
    completions = await client.text_document_completion_async(
        types.CompletionParams(text_document=document, position=position(OWN, '"rag."', 5))
    )
    assert completions is not None  # (what is indexed so far: maybe nothing yet)
    # What is not indexed yet: no answer, and no error.
    elsewhere = types.TextDocumentIdentifier(uri=client_uri)
    on_search = position(CLIENT, '"rag.search"', 3)
    await client.text_document_definition_async(types.DefinitionParams(text_document=elsewhere, position=on_search))
    await client.text_document_hover_async(types.HoverParams(text_document=elsewhere, position=on_search))
    await client.text_document_references_async(
        types.ReferenceParams(
            text_document=elsewhere, position=on_search, context=types.ReferenceContext(include_declaration=True)
        )
    )
    await client.workspace_symbol_async(types.WorkspaceSymbolParams(query="rag"))
    assert not indexing_ended()
    assert not [m for m in client.log_messages if m.type == types.MessageType.Error]
    (root / RELEASE).touch()
    await until(indexing_ended, "the indexing to end", timeout=300)
    locations = await client.text_document_definition_async(
        types.DefinitionParams(text_document=elsewhere, position=on_search)
    )
    assert [loc.uri for loc in locations] == [(root / "rag" / "worker.py").as_uri()]
