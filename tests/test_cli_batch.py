"""A check of a workspace (`engine/batch.py`) parses each file once: the project model is built
from the summaries of the same parse the checks use. Its findings are those of a check of each
file whole against the model, in one process or in worker processes, with or without the cache."""

from __future__ import annotations

import ast
import json

import pytest

from celery_patterns import config
from celery_patterns.cli import main
from celery_patterns.model.cache import DIRECTORY
from ruletest import workspace
from test_cli import BLOCKING
from test_model_cli import FILES

# Each service dispatching to the other, with wrong names and argument counts (CEL012, CEL013),
# blocking calls (CEL002) and results waited for in tasks (CEL003, CEL015): rules on the model
# and rules without it, in more files than a run checks in one process (16).
MORE = {
    f"server/app/caller{i:02}.py": f"""
    import time
    from app.celery_app import app

    def go(path):
        app.send_task("rag.ingest_file", args=[path, {i}])
        return app.send_task("rag.serch", args=[path])

    async def wait():
        time.sleep({i})

    @app.task
    def chained():
        return app.send_task("rag.search", args=["q"]).get()
    """
    for i in range(20)
}


@pytest.fixture
def repo(tmp_path, monkeypatch):
    config.forget_cached_files()
    root = workspace(tmp_path, {**FILES, **MORE, "server/app/poll.py": BLOCKING})
    (root / ".git").mkdir()
    monkeypatch.chdir(root)
    return root


def check(capsys, *argv: str) -> list[dict]:
    main(["check", "--format", "json", *argv, "."])
    out, _ = capsys.readouterr()
    return json.loads(out)


def test_each_file_is_parsed_once(repo, capsys, monkeypatch):
    parsed: list[str] = []
    real = ast.parse

    def counting(source, filename="<unknown>", *args, **kwargs):
        parsed.append(str(filename))
        return real(source, filename, *args, **kwargs)

    monkeypatch.setattr(ast, "parse", counting)
    found = check(capsys, "--no-cache", "--jobs", "1")
    assert {"CEL002", "CEL012", "CEL013"} <= {f["code"] for f in found}
    checked = sorted(p for p in parsed if p.endswith(".py"))
    assert len(checked) == len(set(checked)) == len([p for p in (*FILES, *MORE, "poll.py") if p.endswith(".py")])


def test_worker_processes_whole_checks_and_the_cache_find_the_same(repo, capsys):
    alone = check(capsys, "--no-cache", "--jobs", "1")
    codes = {f["code"] for f in alone}
    assert {"CEL002", "CEL003", "CEL012", "CEL013"} <= codes, codes
    assert check(capsys, "--no-cache", "--jobs", "2") == alone
    assert check(capsys, "--jobs", "2") == alone  # writes the cache
    assert check(capsys, "--jobs", "2") == alone  # every finding from it
    # Summaries cached, findings not: each file is checked whole against the model.
    (repo / DIRECTORY / "results.json").unlink()
    assert check(capsys, "--jobs", "2") == alone
    (repo / DIRECTORY / "results.json").unlink()
    assert check(capsys, "--jobs", "1") == alone


def test_an_edit_elsewhere_in_the_model_shows_in_the_files_that_read_it(repo, capsys):
    before = check(capsys, "--jobs", "2")
    assert sum(f["code"] == "CEL012" for f in before) == 21  # `rag.serch` x 20, `rag.ingest_fle`
    tasks = repo / "rag" / "tasks.py"
    tasks.write_text(tasks.read_text().replace('name="rag.search"', 'name="rag.serch"'))
    after = check(capsys, "--jobs", "2")
    assert after == check(capsys, "--no-cache", "--jobs", "1")
    # `rag.search` x 21 now (the callers and server/app/jobs.py), `rag.ingest_fle`
    assert sum(f["code"] == "CEL012" for f in after) == 22
    assert sum("rag.search" in f["message"] and f["code"] == "CEL012" for f in after) == 21
