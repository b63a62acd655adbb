"""The flags a ruff or flake8 user reaches for, with ruff's meaning."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys

import pytest

from celery_patterns import config
from test_cli import BLOCKING, CLEAN, run, write

# CEL003 (an unbounded wait) has an unsafe fix; CEL002 a safe one.
UNSAFE = "from celery.result import AsyncResult\n\n\ndef wait(task_id):\n    return AsyncResult(task_id).get()\n"
SYNTAX = "def f(:\n    pass\n"


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NO_COLOR", raising=False)
    config.forget_cached_files()
    (tmp_path / ".git").mkdir()
    write(tmp_path, {"pyproject.toml": "[tool.celery-patterns]\n", "app/poll.py": BLOCKING, "app/ok.py": CLEAN})
    yield tmp_path
    config.forget_cached_files()


def test_exit_zero(project, capsys):
    code, out, _ = run(capsys, "check", "--exit-zero")
    assert code == 0 and "CEL002" in out


def test_exit_zero_keeps_configuration_errors(project, capsys):
    write(project, {"pyproject.toml": '[tool.celery-patterns]\nselect = ["CEL9"]\n'})
    assert run(capsys, "check", "--exit-zero")[0] == 2


def test_output_file(project, capsys):
    code, out, _ = run(capsys, "check", "--format", "json", "--output-file", "reports/out.json")
    assert code == 1 and out == ""
    assert json.loads((project / "reports" / "out.json").read_text())[0]["code"] == "CEL002"


def test_quiet_prints_the_findings_only(project, capsys):
    write(project, {"pyproject.toml": '[tool.celery-patterns]\ncolour = "blue"\n'})
    code, out, err = run(capsys, "check", "-q")
    assert code == 1
    assert out.splitlines() == [out.splitlines()[0]] and out.startswith("app/poll.py:4:5: CEL002")
    assert "unknown key" not in err
    code, out, _ = run(capsys, "check", "--quiet", "app/ok.py")
    assert (code, out) == (0, "")


def test_extend_select_adds_to_the_configured_selection(project, capsys):
    write(project, {"pyproject.toml": '[tool.celery-patterns]\nselect = ["CEL001"]\n', "app/wait.py": UNSAFE})
    assert run(capsys, "check", "--format", "json")[1].strip() == "[]"
    _, out, _ = run(capsys, "check", "--format", "json", "--extend-select", "CEL002")
    assert [i["code"] for i in json.loads(out)] == ["CEL002"]


def test_extend_ignore_adds_to_the_configured_ignores(project, capsys):
    write(project, {"pyproject.toml": '[tool.celery-patterns]\nignore = ["CEL003"]\n', "app/wait.py": UNSAFE})
    assert run(capsys, "check", "--extend-ignore", "CEL002")[0] == 0


def test_unknown_code_in_extend_flags_is_a_usage_error(project):
    from celery_patterns.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["check", "--extend-select", "XYZ1"])
    assert exc.value.code == 2


# --- --force-exclude --------------------------------------------------------------------------
def test_files_named_on_the_command_line_are_excluded_with_force_exclude(project, capsys):
    write(project, {"pyproject.toml": '[tool.celery-patterns]\nexclude = ["migrations"]\n'})
    write(project, {"migrations/0001.py": BLOCKING})
    assert run(capsys, "check", "migrations/0001.py")[0] == 1  # named: checked, as ruff does
    code, out, _ = run(capsys, "check", "--force-exclude", "migrations/0001.py", "app/ok.py")
    assert code == 0 and "All checks passed!" in out
    assert run(capsys, "check", "--force-exclude", "migrations")[0] == 0


def test_force_exclude_applies_extend_exclude_and_default_excludes(project, capsys):
    write(project, {"pyproject.toml": '[tool.celery-patterns]\nextend-exclude = ["gen_*.py"]\n'})
    write(project, {"app/gen_x.py": BLOCKING, ".venv/lib/x.py": BLOCKING})
    assert run(capsys, "check", "--force-exclude", "app/gen_x.py", ".venv/lib/x.py")[0] == 0


def test_pre_commit_hooks_pass_force_exclude():
    hooks = (os.path.join(os.path.dirname(__file__), "..", ".pre-commit-hooks.yaml"),)
    text = open(hooks[0], encoding="utf-8").read()
    entries = [line.split(":", 1)[1].strip() for line in text.splitlines() if line.strip().startswith("entry:")]
    assert entries and all("--force-exclude" in entry for entry in entries)


# --- standard input ------------------------------------------------------------------------------
def cli(*argv: str, stdin: bytes = b"", cwd=None, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "celery_patterns", *argv],
        input=stdin,
        capture_output=True,
        cwd=cwd,
        env=env,
        timeout=120,
    )


def test_stdin_is_checked_under_its_given_name(project):
    proc = cli("check", "--stdin-filename", "app/new.py", "-", stdin=BLOCKING.encode(), cwd=project)
    assert proc.returncode == 1
    assert proc.stdout.decode().startswith("app/new.py:4:5: CEL002")


def test_stdin_without_a_name(project):
    proc = cli("check", "--format", "json", "-", stdin=BLOCKING.encode(), cwd=project)
    assert proc.returncode == 1 and json.loads(proc.stdout)[0]["path"] == "-"


def test_stdin_uses_the_settings_of_its_name(project):
    write(project, {"svc/pyproject.toml": '[tool.celery-patterns]\nignore = ["CEL002"]\n'})
    proc = cli("check", "--stdin-filename", "svc/new.py", "-", stdin=BLOCKING.encode(), cwd=project)
    assert proc.returncode == 0, proc.stdout


def test_stdin_fix_writes_the_fixed_source_to_stdout_and_the_report_to_stderr(project):
    data = BLOCKING.replace("\n", "\r\n").encode()
    proc = cli("check", "--fix", "--stdin-filename", "app/new.py", "-", stdin=data, cwd=project)
    assert proc.returncode == 0
    assert b"await asyncio.sleep(1)\r\n" in proc.stdout and b"CEL002" not in proc.stdout
    assert b"Fixed 1 finding" in proc.stderr
    assert not (project / "app" / "new.py").exists()


def test_stdin_fix_of_clean_code_echoes_it(project):
    proc = cli("check", "--fix", "-", stdin=CLEAN.encode(), cwd=project)
    assert proc.returncode == 0 and proc.stdout == CLEAN.encode()


def test_stdin_with_force_exclude_of_an_excluded_name(project):
    write(project, {"pyproject.toml": '[tool.celery-patterns]\nexclude = ["generated"]\n'})
    argv = ("check", "--force-exclude", "--stdin-filename", "generated/x.py", "-")
    proc = cli(*argv, stdin=BLOCKING.encode(), cwd=project)
    assert (proc.returncode, proc.stdout) == (0, b"")
    proc = cli(*argv[:1], "--fix", *argv[1:], stdin=BLOCKING.encode(), cwd=project)
    assert (proc.returncode, proc.stdout) == (0, BLOCKING.encode())  # unchanged, for the editor


def test_stdin_diff(project):
    proc = cli("check", "--diff", "--stdin-filename", "app/new.py", "-", stdin=BLOCKING.encode(), cwd=project)
    assert proc.returncode == 1 and b"+    await asyncio.sleep(1)" in proc.stdout


# --- fixability marks, --show-fixes, --diff ---------------------------------------------------
def test_safe_and_unsafe_fixable_findings_are_marked_apart(project, capsys):
    write(project, {"app/wait.py": UNSAFE})
    code, out, _ = run(capsys, "check")
    lines = out.splitlines()
    poll = next(line for line in lines if line.startswith("app/poll.py"))
    wait = next(line for line in lines if line.startswith("app/wait.py"))
    assert poll.endswith("[*]") and wait.endswith("[!]")
    assert "[*] 1 fixable with `--fix` (1 unsafe fix available with `--fix --unsafe-fixes`)." in lines
    _, out, _ = run(capsys, "check", "--statistics")
    assert sorted(out.splitlines()) == [
        "1\tCEL002\t[*] blocking-sleep-in-async",
        "1\tCEL003\t[!] unbounded-result-wait",
    ]


def test_the_rules_legend_agrees_with_the_marks(capsys):
    _, out, _ = run(capsys, "rules")
    assert "[*] safe fix (applied by --fix)" in out and "[!] unsafe fix (needs --unsafe-fixes)" in out


def test_only_unsafe_fixes_left(project, capsys):
    write(project, {"app/poll.py": UNSAFE})
    _, out, _ = run(capsys, "check")
    assert out.splitlines()[-1] == "1 unsafe fix available with `--fix --unsafe-fixes`."


def test_show_fixes_after_fix(project, capsys):
    write(project, {"app/more.py": BLOCKING + "\n\nasync def again():\n    time.sleep(2)\n"})
    code, out, _ = run(capsys, "check", "--fix", "--show-fixes")
    assert code == 0
    assert "Fixed 3 findings:\n- app/more.py:\n    2 × CEL002 (blocking-sleep-in-async)\n- app/poll.py:\n" in out


def test_show_fixes_without_fix_lists_the_applicable_fixes(project, capsys):
    write(project, {"app/wait.py": UNSAFE})
    _, out, _ = run(capsys, "check", "--show-fixes")
    assert "  fix (safe): Replace with `await asyncio.sleep(...)`" in out
    assert "  fix (unsafe): Bound the wait with a timeout" in out


def test_diff_exits_1_only_when_fixes_are_pending(project, capsys):
    assert run(capsys, "check", "--diff")[0] == 1
    write(project, {"app/poll.py": UNSAFE})  # an unsafe fix only: --diff (without --unsafe-fixes) has nothing
    code, out, err = run(capsys, "check", "--diff")
    assert (code, out) == (0, "")
    assert "No findings would be fixed (1 additional fix available with `--unsafe-fixes`)." in err
    write(project, {"app/poll.py": SYNTAX})
    assert run(capsys, "check", "--diff")[0] == 0


def test_show_fixes_with_diff(project, capsys):
    _, _, err = run(capsys, "check", "--diff", "--show-fixes")
    assert "Would fix 1 finding:\n- app/poll.py:\n    1 × CEL002 (blocking-sleep-in-async)" in err


# --- colour ---------------------------------------------------------------------------------------------
def on_a_terminal(argv: list[str], cwd, env: dict) -> str:
    """The output of the command run with its stdout on a pseudo-terminal."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery_patterns", *argv], stdout=follower, stderr=subprocess.DEVNULL, cwd=cwd, env=env
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # EIO: the other end is closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    proc.wait(timeout=60)
    os.close(leader)
    return b"".join(chunks).decode()


def test_colour_on_a_terminal_only(project):
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    coloured = on_a_terminal(["check", "--no-cache", "app"], project, env)
    assert "\033[1mapp/poll.py\033[0m" in coloured and "\033[1;31mCEL002 [error]\033[0m" in coloured
    assert "\033[" not in on_a_terminal(["check", "--no-cache", "--no-color", "app"], project, env)
    assert "\033[" not in on_a_terminal(["check", "--no-cache", "app"], project, {**env, "NO_COLOR": "1"})
    assert "\033[" not in on_a_terminal(["check", "--no-cache", "--format", "json", "app"], project, env)
    piped = cli("check", "--no-cache", "app", cwd=project, env=env)
    assert b"\033[" not in piped.stdout and b"CEL002" in piped.stdout


# --- rule CEL000 ---------------------------------------------------------------------------------------
def test_rule_cel000(capsys):
    code, out, _ = run(capsys, "rule", "CEL000")
    assert code == 0 and out.startswith("# CEL000: syntax-error")
    assert "## What it does" in out and "## Fix safety" in out
