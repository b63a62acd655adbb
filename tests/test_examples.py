"""The bundled example project: every rule fires, and fixes leave only what the README lists."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from celery_patterns.cli import main
from celery_patterns.rules import all_codes

ROOT = Path(__file__).resolve().parents[1]


def check_json(capsys, path: Path) -> list[dict]:
    main(["check", "--format", "json", str(path)])
    return json.loads(capsys.readouterr().out)


def test_every_rule_fires_on_the_examples(capsys):
    codes = {item["code"] for item in check_json(capsys, ROOT / "examples")}
    assert codes == set(all_codes())


CLEAN = ("server/api/routers/datasets.py", "rag/celery_app.py", "rag/tasks.py")


def test_clean_example_files_stay_clean(capsys):
    paths = {item["path"] for item in check_json(capsys, ROOT / "examples")}
    for clean in CLEAN:
        assert not any(p.endswith(clean) for p in paths), clean


def readme_not_fixable() -> set[tuple[str, str]]:
    """`path CODE` pairs listed in the README between the not-auto-fixable markers."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("<!-- not-auto-fixable -->")[1].split("<!-- /not-auto-fixable -->")[0]
    return set(re.findall(r"`(examples/[^`:]+):\d+` (CEL\d{3})", block))


def test_fixing_the_examples_leaves_only_what_the_readme_lists(tmp_path, capsys, monkeypatch):
    copy = tmp_path / "examples"
    shutil.copytree(ROOT / "examples", copy)
    monkeypatch.chdir(tmp_path)
    main(["check", "--unsafe-fixes", "examples"])
    capsys.readouterr()
    remaining = {(item["path"], item["code"]) for item in check_json(capsys, Path("examples"))}
    assert remaining == readme_not_fixable()
    # and a second run changes nothing
    before = {p: p.read_bytes() for p in copy.rglob("*.py")}
    main(["check", "--unsafe-fixes", "examples"])
    capsys.readouterr()
    assert {p: p.read_bytes() for p in copy.rglob("*.py")} == before
