"""Never lose a byte: what `check` reads (regular files only, a size limit) and how `--fix`
writes (a temporary file renamed over the original, only when it is unchanged since read)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest

from celery_patterns import files
from celery_patterns.engine import batch
from celery_patterns.engine import fix_source as real_fix_source
from test_cli import BLOCKING, CLEAN, run, write


@pytest.fixture
def here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()
    return tmp_path


def leftovers(directory) -> list[str]:
    return [p.name for p in directory.iterdir() if "celery-patterns-tmp" in p.name]


# --- what is read -------------------------------------------------------------------------------
def test_a_fifo_in_the_tree_is_skipped_not_waited_for(here):
    write(here, {"app/poll.py": BLOCKING})
    os.mkfifo(here / "app" / "pipe.py")
    proc = subprocess.run(
        [sys.executable, "-m", "celery_patterns", "check", "--no-cache", "app"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1 and "app/poll.py:4:5: CEL002" in proc.stdout
    assert "app/pipe.py: not a regular file, skipped" in proc.stderr


@pytest.mark.parametrize("name", ["app/pyproject.toml", "app/.gitignore", "pyproject.toml"])
def test_a_fifo_named_like_configuration_is_not_waited_for(here, name):
    """The configuration search and .gitignore reading open what is so named: a FIFO would
    block them forever (a device would be read until memory runs out)."""
    write(here, {"app/poll.py": BLOCKING})
    os.mkfifo(here / name)
    proc = subprocess.run(
        [sys.executable, "-m", "celery_patterns", "check", "--no-cache", "app"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1 and "app/poll.py:4:5: CEL002" in proc.stdout, proc.stderr


def test_a_fifo_named_on_the_command_line_is_skipped(here, capsys):
    os.mkfifo(here / "pipe.py")
    code, _, err = run(capsys, "check", "--no-cache", "pipe.py")
    assert code == 0 and "pipe.py: not a regular file, skipped" in err


def test_a_link_to_a_device_is_not_read(here, capsys):
    write(here, {"app/poll.py": BLOCKING})
    os.symlink("/dev/zero", here / "app" / "zero.py")
    code, out, err = run(capsys, "check", "--no-cache", "app")
    assert code == 1 and "zero.py: not a regular file, skipped" in err and "zero" not in out


def test_a_file_over_the_size_limit_is_skipped_with_a_message(here, capsys, monkeypatch):
    monkeypatch.setattr(files, "SIZE_LIMIT", 1000)
    write(here, {"big.py": BLOCKING + "#" * 2000 + "\n", "small.py": BLOCKING})
    code, out, err = run(capsys, "check", "--no-cache", ".")
    assert code == 1 and "big.py: too large (" in err and "big.py" not in out and "small.py" in out


def test_read_file_refuses_a_file_that_grows_past_the_limit(tmp_path):
    path = tmp_path / "m.py"
    path.write_bytes(b"x" * 11)
    with pytest.raises(files.SkippedFile, match="too large"):
        files.read_file(str(path), limit=10)
    assert files.read_file(str(path), limit=11) == b"x" * 11


@pytest.mark.parametrize("kind", ["dangling", "loop"])
def test_an_unreadable_file_is_an_error_exit_2(here, capsys, kind):
    write(here, {"app/poll.py": CLEAN})
    if kind == "dangling":
        os.symlink("nowhere.py", here / "app" / "gone.py")
    else:
        os.symlink("b.py", here / "app" / "a.py")
        os.symlink("a.py", here / "app" / "b.py")
    code, _, err = run(capsys, "check", "--no-cache", "app")
    assert code == 2 and "cannot read" in err


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_a_file_without_read_permission_is_an_error_exit_2(here, capsys):
    write(here, {"m.py": CLEAN})
    (here / "m.py").chmod(0)
    assert run(capsys, "check", "--no-cache", "m.py")[0] == 2


def test_exit_zero_does_not_hide_an_unreadable_file(here, capsys):
    os.symlink("nowhere.py", here / "gone.py")
    assert run(capsys, "check", "--no-cache", "--exit-zero", ".")[0] == 2


# --- how a fix is written ------------------------------------------------------------------------
def test_fix_keeps_the_mode_and_leaves_no_temporary_file(here, capsys):
    write(here, {"m.py": BLOCKING})
    (here / "m.py").chmod(0o751)
    inode = (here / "m.py").stat().st_ino
    assert run(capsys, "check", "--fix", "--no-cache", "m.py")[0] == 0
    info = (here / "m.py").stat()
    assert stat.S_IMODE(info.st_mode) == 0o751
    assert info.st_ino != inode  # a new file renamed over the old one, not the old one truncated
    assert "await asyncio.sleep(1)" in (here / "m.py").read_text()
    assert leftovers(here) == []


def _fix_then(monkeypatch, action):
    """Make the fix of a file run `action(path)` first: what an editor's save does meanwhile."""

    def fix_source(source, path, *args, **kwargs):
        action(path)
        return real_fix_source(source, path, *args, **kwargs)

    monkeypatch.setattr(batch, "fix_source", fix_source)


def test_a_file_changed_since_it_was_read_is_not_written(here, capsys, monkeypatch):
    write(here, {"m.py": BLOCKING})
    saved = BLOCKING + "# saved by the editor meanwhile\n"
    _fix_then(monkeypatch, lambda path: write(here, {"m.py": saved}))
    code, out, err = run(capsys, "check", "--fix", "--no-cache", "m.py")
    assert code == 2 and "m.py: changed since it was read; not written" in err
    assert (here / "m.py").read_text() == saved
    assert "Fixed 0 findings" in out and leftovers(here) == []


def test_a_file_deleted_meanwhile_is_not_created_again(here, capsys, monkeypatch):
    write(here, {"m.py": BLOCKING})
    _fix_then(monkeypatch, lambda path: os.unlink(path))
    code, _, err = run(capsys, "check", "--fix", "--no-cache", "m.py")
    assert code == 2 and "deleted since it was read" in err
    assert not (here / "m.py").exists() and leftovers(here) == []


def test_a_fix_the_encoding_cannot_hold_leaves_the_file_whole(here, capsys, monkeypatch):
    """A latin-1 file and a fix that brings a character latin-1 has not: the file used to be
    opened (truncated) before the text was encoded, and was left empty."""
    data = b"# -*- coding: latin-1 -*-\n# caf\xe9\n" + BLOCKING.encode()
    write(here, {"m.py": data})

    def fix_source(source, *args, **kwargs):
        outcome = real_fix_source(source, *args, **kwargs)
        outcome.source = outcome.source.replace("# café", "# café €")
        return outcome

    monkeypatch.setattr(batch, "fix_source", fix_source)
    code, _, err = run(capsys, "check", "--fix", "--no-cache", "m.py")
    assert code == 2 and "cannot be encoded" in err
    assert (here / "m.py").read_bytes() == data and leftovers(here) == []


def test_a_link_inside_the_tree_is_fixed_through(here, capsys):
    write(here, {"real/m.py": BLOCKING})
    os.symlink(os.path.join("real", "m.py"), here / "link.py")
    assert run(capsys, "check", "--fix", "--no-cache", "link.py")[0] == 0
    assert (here / "link.py").is_symlink()
    assert "await asyncio.sleep(1)" in (here / "real" / "m.py").read_text()


def test_a_link_to_a_file_outside_the_tree_is_not_fixed(tmp_path, monkeypatch, capsys):
    write(tmp_path, {"outside/m.py": BLOCKING, "repo/app/ok.py": CLEAN})
    (tmp_path / "repo" / ".git").mkdir()
    os.symlink(tmp_path / "outside" / "m.py", tmp_path / "repo" / "app" / "link.py")
    monkeypatch.chdir(tmp_path / "repo")
    code, out, err = run(capsys, "check", "--fix", "--no-cache", "app")
    assert code == 1 and "link.py: a link to a file outside" in err and "not fixed" in err
    assert (tmp_path / "outside" / "m.py").read_text() == BLOCKING
    assert "Fixed 0 findings, 1 remaining." in out


def test_a_file_reached_through_a_link_too_is_checked_once(here, capsys):
    write(here, {"app/m.py": BLOCKING})
    os.symlink("m.py", here / "app" / "same.py")
    code, out, _ = run(capsys, "check", "--fix", "--no-cache", "app")
    assert code == 0 and "Fixed 1 finding, 0 remaining." in out


def test_replace_file_refuses_when_the_content_differs(tmp_path):
    path = tmp_path / "m.py"
    path.write_bytes(b"new")
    with pytest.raises(files.FileChanged):
        files.replace_file(str(path), b"fixed", expected=b"old")
    assert path.read_bytes() == b"new" and leftovers(tmp_path) == []
