"""The `celery-patterns` command: formats, exit codes, configuration, fixes, errors."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from celery_patterns.cli import main

BLOCKING = textwrap.dedent("""\
    import time

    async def poll():
        time.sleep(1)
""")
CLEAN = "import asyncio\n\nasync def poll():\n    await asyncio.sleep(1)\n"


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="")
    return root


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, {"pyproject.toml": "[tool.celery-patterns]\n", "app/poll.py": BLOCKING, "app/ok.py": CLEAN})
    return tmp_path


# --- formats and exit codes --------------------------------------------------------------
def test_text_format_and_exit_1(project, capsys):
    code, out, _ = run(capsys, "check")
    assert code == 1
    assert "app/poll.py:4:5: CEL002 [error] " in out
    assert "Found 1 finding" in out


def test_exit_0_when_clean(project, capsys):
    code, out, _ = run(capsys, "check", "app/ok.py")
    assert code == 0
    assert "All checks passed!" in out


def test_json_format_has_exactly_the_documented_keys(project, capsys):
    code, out, _ = run(capsys, "check", "--format", "json", "app")
    assert code == 1
    items = json.loads(out)
    assert items == [
        {
            "path": "app/poll.py",
            "code": "CEL002",
            "severity": "error",
            "message": items[0]["message"],
            "line": 4,
            "column": 5,
            "end_line": 4,
            "end_column": 18,
            "fixable": True,
        }
    ]


def test_json_columns_count_code_points(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, {"m.py": "import time\n\nasync def poll():\n    x = '🦙é'; time.sleep(1)\n"})
    _, out, _ = run(capsys, "check", "--format", "json", "m.py")
    item = json.loads(out)[0]
    assert (item["line"], item["column"], item["end_column"]) == (4, 15, 28)


def test_sarif_format(project, capsys):
    code, out, _ = run(capsys, "check", "--format", "sarif")
    assert code == 1
    sarif = json.loads(out)
    assert sarif["version"] == "2.1.0"
    run_ = sarif["runs"][0]
    rule_ids = [r["id"] for r in run_["tool"]["driver"]["rules"]]
    assert "CEL002" in rule_ids and "CEL000" in rule_ids
    (result,) = run_["results"]
    assert result["ruleId"] == "CEL002" and result["level"] == "error"
    assert rule_ids[result["ruleIndex"]] == "CEL002"
    region = result["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 4, "startColumn": 5, "endLine": 4, "endColumn": 18}
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "app/poll.py"


def test_github_format(project, capsys):
    code, out, _ = run(capsys, "check", "--format", "github")
    assert code == 1
    assert out.startswith("::error title=celery-patterns (CEL002),file=app/poll.py,line=4,col=5,")


def test_statistics(project, capsys):
    write(project, {"app/more.py": BLOCKING})
    code, out, _ = run(capsys, "check", "--statistics")
    assert code == 1
    assert out.split() == ["2", "CEL002", "[*]", "blocking-sleep-in-async"]


def test_select_and_ignore_flags(project, capsys):
    assert run(capsys, "check", "--ignore", "CEL002")[0] == 0
    assert run(capsys, "check", "--select", "CEL00")[0] == 1
    assert run(capsys, "check", "--select", "CEL001")[0] == 0


def test_unknown_code_is_a_usage_error(project, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["check", "--select", "XYZ999"])
    assert exc.value.code == 2


def test_missing_path_exit_2(project, capsys):
    code, _, err = run(capsys, "check", "nope/")
    assert code == 2 and "no such file" in err


# --- configuration ------------------------------------------------------------------------
def config(project: Path, body: str) -> None:
    (project / "pyproject.toml").write_text("[tool.celery-patterns]\n" + textwrap.dedent(body), encoding="utf-8")


def test_config_ignore_and_select(project, capsys):
    config(project, 'ignore = ["CEL002"]\n')
    assert run(capsys, "check")[0] == 0
    config(project, 'select = ["CEL001"]\n')
    assert run(capsys, "check")[0] == 0


def test_config_severity_override(project, capsys):
    config(project, '[tool.celery-patterns.severity]\nCEL002 = "low"\n')
    _, out, _ = run(capsys, "check", "--format", "json")
    assert json.loads(out)[0]["severity"] == "information"


def test_config_hint_severity_in_every_format(project, capsys):
    config(project, 'severity = { CEL002 = "hint" }\n')
    assert "app/poll.py:4:5: CEL002 [hint] " in run(capsys, "check")[1]
    assert json.loads(run(capsys, "check", "--format", "json")[1])[0]["severity"] == "hint"
    (result,) = json.loads(run(capsys, "check", "--format", "sarif")[1])["runs"][0]["results"]
    assert result["level"] == "note"  # SARIF has nothing below note
    assert run(capsys, "check", "--format", "github")[1].startswith("::notice title=celery-patterns (CEL002),")


def test_config_per_file_ignores(project, capsys):
    config(project, '[tool.celery-patterns.per-file-ignores]\n"app/poll.py" = ["CEL002"]\n')
    assert run(capsys, "check")[0] == 0
    config(project, '[tool.celery-patterns.per-file-ignores]\n"tests/*" = ["CEL002"]\n')
    assert run(capsys, "check")[0] == 1


def test_config_exclude(project, capsys):
    config(project, 'exclude = ["app/poll.py"]\n')
    assert run(capsys, "check")[0] == 0
    config(project, 'exclude = ["app"]\n')
    code, out, _ = run(capsys, "check")
    assert code == 0


def test_config_found_by_walking_up(project, capsys):
    config(project, 'ignore = ["CEL002"]\n')
    code, _, _ = run(capsys, "check", str(project / "app" / "poll.py"))
    assert code == 0


def test_nested_config_wins(project, capsys):
    config(project, 'ignore = ["CEL002"]\n')
    write(project, {"svc/pyproject.toml": "[tool.celery-patterns]\n", "svc/poll.py": BLOCKING})
    _, out, _ = run(capsys, "check", "--format", "json")
    assert [i["path"] for i in json.loads(out)] == ["svc/poll.py"]


def test_config_foreign_packages(project, capsys):
    write(project, {"app/imports.py": "from billing.tasks import charge\n\ncharge.delay(1)\n"})
    assert "CEL001" not in run(capsys, "check", "--format", "json")[1]
    config(project, 'foreign-packages = ["billing"]\n')
    _, out, _ = run(capsys, "check", "--format", "json")
    assert "CEL001" in [i["code"] for i in json.loads(out)]


def test_foreign_package_itself_is_not_flagged(project, capsys):
    write(project, {"rag/__init__.py": "", "rag/worker.py": "from rag.tasks import ingest\n"})
    _, out, _ = run(capsys, "check", "--format", "json", "rag")
    assert json.loads(out) == []


def test_config_polling_helpers(project, capsys):
    write(project, {"app/client.py": "def stats(task):\n    return wait_for_it(task, timeout=3)\n"})
    assert "CEL010" not in run(capsys, "check", "--format", "json")[1]
    config(project, 'polling-helpers = ["wait_for_it"]\n')
    assert "CEL010" in run(capsys, "check", "--format", "json")[1]


def test_config_app_import_and_task_name_template(project, capsys):
    config(project, 'app-import = "from myproj.worker import celery_app"\ntask-name-template = "tasks.{name}"\n')
    write(project, {"app/direct.py": "from rag.tasks import ingest\n\n\ndef go(p):\n    ingest.delay(p)\n"})
    code, _, _ = run(capsys, "check", "--unsafe-fixes", "app/direct.py")
    text = (project / "app" / "direct.py").read_text()
    assert "from myproj.worker import celery_app" in text
    assert 'signature("tasks.ingest"' in text and "app=celery_app" in text


def test_unknown_key_warns(project, capsys):
    config(project, 'colour = "blue"\n')
    code, _, err = run(capsys, "check")
    assert code == 1 and "unknown key `colour`" in err


@pytest.mark.parametrize(
    "body,needle",
    [
        ('select = "CEL9"\n', "unknown rule code"),
        ("select = [1, 2]\n", "must be a list of strings"),
        ('[tool.celery-patterns.severity]\nCEL002 = "fatal"\n', "unknown severity"),
        ('foreign-packages = ["not a package"]\n', "not a package name"),
        ('app-import = "app = 1"\n', "must look like"),
        ('task-name-template = "rag.tasks"\n', "{name}"),
        ('task-name-template = "{nope}.{name}"\n', "task-name-template"),
        ('per-file-ignores = ["x"]\n', "per-file-ignores"),
    ],
)
def test_invalid_config_exit_2(project, capsys, body, needle):
    config(project, body)
    code, out, err = run(capsys, "check")
    assert code == 2
    assert needle in err and out == ""


def test_broken_toml_exit_2(project, capsys):
    (project / "pyproject.toml").write_text("[tool.celery-patterns\nselect = [", encoding="utf-8")
    # without a parsable section header the file is not ours; make it ours but broken
    (project / "pyproject.toml").write_text("[tool.celery-patterns]\nselect = [", encoding="utf-8")
    code, _, err = run(capsys, "check")
    assert code == 2 and "cannot read configuration" in err


# --- discovery ----------------------------------------------------------------------------
def test_gitignore_is_honoured(project, capsys):
    write(project, {".gitignore": "generated/\n", "generated/poll.py": BLOCKING})
    (project / ".git").mkdir()
    _, out, _ = run(capsys, "check", "--format", "json")
    assert [i["path"] for i in json.loads(out)] == ["app/poll.py"]


def test_explicit_file_is_checked_even_if_ignored(project, capsys):
    write(project, {".gitignore": "generated/\n", "generated/poll.py": BLOCKING})
    assert run(capsys, "check", "generated/poll.py")[0] == 1


def test_virtualenvs_are_skipped(project, capsys):
    write(project, {".venv/lib/x.py": BLOCKING, "node_modules/y.py": BLOCKING})
    _, out, _ = run(capsys, "check", "--format", "json")
    assert len(json.loads(out)) == 1


# --- bad input ------------------------------------------------------------------------------
def test_syntax_error_is_one_cel000_finding(project, capsys):
    write(project, {"app/broken.py": "def f(:\n    pass\n"})
    _, out, _ = run(capsys, "check", "--format", "json", "app/broken.py")
    (item,) = json.loads(out)
    assert item["code"] == "CEL000" and item["line"] == 1 and "syntax error" in item["message"]


def test_undecodable_file_is_cel000(project, capsys):
    write(project, {"app/latin.py": b"# -*- coding: utf-8 -*-\nx = '\xff\xfe'\n"})
    code, out, _ = run(capsys, "check", "--format", "json", "app/latin.py")
    (item,) = json.loads(out)
    assert code == 1 and item["code"] == "CEL000" and "decode" in item["message"]


def test_null_bytes_do_not_crash(project, capsys):
    write(project, {"app/nul.py": b"x = 1\x00\n"})
    code, out, _ = run(capsys, "check", "--format", "json", "app/nul.py")
    assert code == 1 and json.loads(out)[0]["code"] == "CEL000"


def test_noqa(project, capsys):
    write(project, {"app/poll.py": BLOCKING.replace("time.sleep(1)", "time.sleep(1)  # noqa: CEL002")})
    assert run(capsys, "check")[0] == 0
    write(project, {"app/poll.py": BLOCKING.replace("time.sleep(1)", "time.sleep(1)  # noqa: CEL003, CEL001")})
    assert run(capsys, "check")[0] == 1
    write(project, {"app/poll.py": BLOCKING.replace("time.sleep(1)", "time.sleep(1)  # noqa")})
    assert run(capsys, "check")[0] == 0


# --- fixes -----------------------------------------------------------------------------------
def test_fix_writes_and_reports(project, capsys):
    code, out, _ = run(capsys, "check", "--fix")
    assert code == 0
    assert "Fixed 1 finding, 0 remaining." in out
    assert "await asyncio.sleep(1)" in (project / "app" / "poll.py").read_text()
    assert (project / "app" / "ok.py").read_text() == CLEAN


def test_fix_keeps_crlf_and_bom(project, capsys):
    data = b"\xef\xbb\xbf" + BLOCKING.replace("\n", "\r\n").encode()
    write(project, {"app/poll.py": data})
    run(capsys, "check", "--fix")
    fixed = (project / "app" / "poll.py").read_bytes()
    assert fixed.startswith(b"\xef\xbb\xbf") and b"await asyncio.sleep(1)\r\n" in fixed
    assert b"\n" not in fixed.replace(b"\r\n", b"")


def test_diff_writes_nothing(project, capsys):
    before = (project / "app" / "poll.py").read_text()
    code, out, err = run(capsys, "check", "--diff")
    assert code == 1
    assert "+    await asyncio.sleep(1)" in out and "-    time.sleep(1)" in out
    assert "Would fix 1 finding." in err
    assert (project / "app" / "poll.py").read_text() == before


def test_second_fix_changes_nothing(project, capsys):
    run(capsys, "check", "--fix")
    after = (project / "app" / "poll.py").read_text()
    code, out, _ = run(capsys, "check", "--fix")
    assert (project / "app" / "poll.py").read_text() == after
    assert "Fixed 0 findings" in out


# --- documentation commands ------------------------------------------------------------------
def test_rule_command(capsys):
    code, out, _ = run(capsys, "rule", "cel002")
    assert code == 0 and out.startswith("# CEL002: blocking-sleep-in-async")
    assert "## Why is this bad?" in out


def test_rule_command_unknown(capsys):
    assert run(capsys, "rule", "CEL999")[0] == 2


def test_rules_command_lists_all(capsys):
    code, out, _ = run(capsys, "rules")
    assert code == 0
    for n in range(1, 17):
        assert f"CEL{n:03d}" in out
    code, out, _ = run(capsys, "rules", "--format", "json")
    assert len(json.loads(out)) == 16


# --- as a user runs it ------------------------------------------------------------------------
def test_console_script_in_parallel_without_progress_bar(tmp_path):
    files = {f"pkg/m{i}.py": BLOCKING for i in range(60)}
    write(tmp_path, files)
    proc = subprocess.run(
        [sys.executable, "-m", "celery_patterns", "check", "--format", "json", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    assert len(json.loads(proc.stdout)) == 60
    assert "files" not in proc.stderr  # no progress bar when not on a terminal


def test_text_output_says_why_a_finding_has_no_fix(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, {"m.py": "import time\n\nasync def poll(items):\n    return list(time.sleep(i) for i in items)\n"})
    _, out, _ = run(capsys, "check", "m.py")
    assert "(no automatic fix: an `await` here would turn the generator expression" in out


def test_without_configuration_the_current_directory_is_the_project(tmp_path, monkeypatch, capsys):
    """No pyproject.toml: a loose file is named from the directory the check runs in (below a
    directory that cannot be a package), so code inside the rag service may import from it."""
    write(
        tmp_path,
        {
            "service-repo/rag/tests/test_core.py": "from rag.core.factories import make\n",
            "service-repo/server/api.py": "from rag.tasks import ingest_file\n\ningest_file.delay('a')\n",
        },
    )
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "check", "--no-progress", "--select", "CEL001", ".")
    assert code == 1
    assert "server/api.py:1:1: CEL001" in out
    assert "test_core.py" not in out
