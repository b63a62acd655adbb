"""The command line's cache of check results (`.celery-patterns-cache/results.json`, beside the
summaries): a file's findings are reused while its bytes, the tool's version, its settings and
the project model's interface are unchanged. Observed by counting the checks a run makes."""

from __future__ import annotations

import json

import pytest

from celery_patterns import config
from celery_patterns.engine import batch
from test_cli import BLOCKING, CLEAN, run, write

# A dispatch whose arguments the task (in another module) does not take: CEL013 needs the model.
TASKS = "from celery import shared_task\n\n\n@shared_task\ndef ingest(path):\n    return path\n"
TASKS_WITH_LIMIT = TASKS.replace("def ingest(path):", "def ingest(path, limit=10):")
CALLER = "from app.tasks import ingest\n\n\ndef go():\n    ingest.delay('a', limit=3)\n"


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config.forget_cached_files()
    (tmp_path / ".git").mkdir()
    write(tmp_path, {"pyproject.toml": "[tool.celery-patterns]\n", "app/poll.py": BLOCKING, "app/ok.py": CLEAN})
    return tmp_path


@pytest.fixture
def checks(monkeypatch) -> list[str]:
    """The paths the run checked (not taken from the cache)."""
    seen: list[str] = []
    whole, begun = batch.check_bytes, batch.begin_check

    def counting(data, path, *args, **kwargs):
        seen.append(path)
        return whole(data, path, *args, **kwargs)

    def beginning(source, path, *args, **kwargs):
        seen.append(path)
        return begun(source, path, *args, **kwargs)

    # A file is checked whole, or in two phases when the model is built from its parse.
    monkeypatch.setattr(batch, "check_bytes", counting)
    monkeypatch.setattr(batch, "begin_check", beginning)
    return seen


def entries(project) -> dict:
    """The cached findings, by key (without the modules' interfaces kept beside them)."""
    found = json.loads((project / ".celery-patterns-cache" / "results.json").read_text())["entries"]
    return {k: v for k, v in found.items() if not k.startswith("interface:")}


def test_a_warm_run_checks_nothing_and_reports_the_same(project, capsys, checks):
    first = run(capsys, "check")
    assert sorted(checks) == ["app/ok.py", "app/poll.py"] and len(entries(project)) == 2
    assert (project / ".celery-patterns-cache" / ".gitignore").read_text().splitlines()[-1] == "*"
    checks.clear()
    assert run(capsys, "check") == first
    assert checks == []
    assert run(capsys, "check", "--format", "json")[1] == run(capsys, "check", "--format", "json", "--no-cache")[1]


def test_a_warm_run_works_out_no_interface(project, capsys, monkeypatch):
    """The model's digest re-encodes every summary: what it found for a module's bytes is kept."""
    worked_out: list[str] = []
    real = batch.interface

    def counting(summary):
        worked_out.append(summary.path)
        return real(summary)

    monkeypatch.setattr(batch, "interface", counting)
    run(capsys, "check")
    assert len(worked_out) == 2
    worked_out.clear()
    run(capsys, "check")
    assert worked_out == []
    write(project, {"app/poll.py": "# edited\n" + BLOCKING})
    run(capsys, "check")
    assert worked_out == [str(project / "app" / "poll.py")]


def test_an_edited_file_is_checked_again_and_its_change_shows(project, capsys, checks):
    run(capsys, "check")
    checks.clear()
    write(project, {"app/poll.py": "# edited\n" + BLOCKING})  # positions move; the interface does not
    assert "app/poll.py:5:5: CEL002" in run(capsys, "check")[1]
    assert checks == ["app/poll.py"]
    write(project, {"app/poll.py": BLOCKING + "\n\nasync def again():\n    time.sleep(2)\n"})
    out = run(capsys, "check")[1]
    assert "app/poll.py:4:5: CEL002" in out and "app/poll.py:8:5: CEL002" in out and "Found 2 findings." in out
    write(project, {"app/poll.py": CLEAN})
    assert run(capsys, "check")[1].endswith("All checks passed!\n")


def test_other_settings_are_other_entries(project, capsys, checks):
    run(capsys, "check")
    checks.clear()
    write(project, {"pyproject.toml": '[tool.celery-patterns.severity]\nCEL002 = "low"\n'})
    config.forget_cached_files()
    assert "CEL002 [information]" in run(capsys, "check")[1]
    assert sorted(checks) == ["app/ok.py", "app/poll.py"]
    checks.clear()
    assert run(capsys, "check", "--ignore", "CEL002")[0] == 0 and len(checks) == 2


def test_a_change_of_another_modules_interface_checks_again(project, capsys, checks):
    write(project, {"app/tasks.py": TASKS, "app/caller.py": CALLER})
    assert "app/caller.py:5:5: CEL013" in run(capsys, "check")[1]
    checks.clear()
    write(project, {"app/tasks.py": TASKS_WITH_LIMIT})
    assert "CEL013" not in run(capsys, "check")[1]
    assert "app/caller.py" in checks
    checks.clear()
    write(project, {"app/tasks.py": TASKS_WITH_LIMIT.replace("return path", "return path  # same interface")})
    run(capsys, "check")
    assert checks == ["app/tasks.py"]


def test_no_cache_neither_reads_nor_writes_it(project, capsys, checks):
    run(capsys, "check", "--no-cache")
    assert not (project / ".celery-patterns-cache" / "results.json").exists()
    run(capsys, "check")
    checks.clear()
    run(capsys, "check", "--no-cache")
    assert len(checks) == 2


def test_fix_and_diff_check_files_with_fixable_findings_again(project, capsys, checks):
    run(capsys, "check")
    checks.clear()
    code, out, _ = run(capsys, "check", "--diff")
    assert code == 1 and "+    await asyncio.sleep(1)" in out and checks == ["app/poll.py"]
    checks.clear()
    assert run(capsys, "check", "--fix")[0] == 0
    assert checks == ["app/poll.py"] and "await asyncio.sleep(1)" in (project / "app" / "poll.py").read_text()


def test_a_damaged_cache_is_ignored(project, capsys, checks):
    first = run(capsys, "check")
    path = project / ".celery-patterns-cache" / "results.json"
    data = json.loads(path.read_text())
    for key in data["entries"]:
        data["entries"][key] = [["CEL002", 5, "error", [0, 0, 0, 0], "yes", None]]
    path.write_text(json.dumps(data))
    checks.clear()
    assert run(capsys, "check") == first and len(checks) == 2
    path.write_text("{not json")
    assert run(capsys, "check") == first
