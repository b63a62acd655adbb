"""The package as it is published: metadata, the licence in the wheel and the sdist, an sdist
whose tests run, one repository URL everywhere, and pre-commit hooks pre-commit accepts."""

from __future__ import annotations

import email
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from celery_patterns import DOCS_URL, REPOSITORY_URL, __version__
from celery_patterns.docs import rule_doc_uri

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_one_repository_url():
    urls = PYPROJECT["project"]["urls"]
    assert urls["Repository"] == REPOSITORY_URL == urls["Homepage"]
    assert all(url.startswith(REPOSITORY_URL) for url in urls.values())
    assert DOCS_URL == f"{REPOSITORY_URL}/blob/main/docs/rules"


def test_rule_links_are_web_pages_not_files_on_this_machine():
    assert rule_doc_uri("CEL002") == f"{REPOSITORY_URL}/blob/main/docs/rules/CEL002.md"
    assert (ROOT / "docs" / "rules" / "CEL002.md").is_file() and (ROOT / "docs" / "rules" / "CEL000.md").is_file()


def test_metadata():
    project = PYPROJECT["project"]
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]
    assert "MIT License" in (ROOT / "LICENSE").read_text(encoding="utf-8")
    classifiers = set(project["classifiers"])
    for minor in (10, 11, 12, 13):
        assert f"Programming Language :: Python :: 3.{minor}" in classifiers
    assert {"Framework :: Celery", "Topic :: Software Development :: Quality Assurance"} <= classifiers
    assert project["requires-python"] == ">=3.10"


def _sources(destination: Path) -> Path:
    """The files of the checkout (tracked, and new ones not ignored) copied to `destination`."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        if name.startswith("vscode-client/") or not (ROOT / name).is_file():
            continue
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    return destination


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git is needed to list the sources")
    source = _sources(tmp_path_factory.mktemp("src"))
    out = tmp_path_factory.mktemp("dist")
    # The wheel is built from the sdist, as `python -m build` does: what the sdist lacks, it lacks.
    proc = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(source)], capture_output=True, text=True, timeout=600
    )
    if proc.returncode != 0:
        pytest.fail(f"build failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return out


def test_the_wheel_has_the_licence_and_the_metadata(dist):
    (wheel,) = dist.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        info = f"celery_patterns-{__version__}.dist-info"
        assert f"{info}/licenses/LICENSE" in names
        metadata = email.message_from_bytes(archive.read(f"{info}/METADATA"))
    assert metadata["License-Expression"] == "MIT"
    assert "Framework :: Celery" in metadata.get_all("Classifier")
    assert f"Repository, {REPOSITORY_URL}" in metadata.get_all("Project-URL")
    assert not any(n.startswith("tests/") for n in names)


def test_the_sdist_has_the_licence_and_runnable_tests(dist, tmp_path):
    (sdist,) = dist.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        archive.extractall(tmp_path, filter="data") if sys.version_info >= (3, 12) else archive.extractall(tmp_path)
    (unpacked,) = tmp_path.iterdir()
    for name in (
        "LICENSE",
        "tests/ruletest.py",
        "tests/lsp/conftest.py",
        "tests/lsp/lspsession.py",
        "tests/editors/neovim_setup.lua",
        "docs/rules/CEL002.md",
        "examples/rag/pipeline.py",
    ):
        assert (unpacked / name).is_file(), name
    assert not list(unpacked.rglob("__pycache__"))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/test_rule_cel002.py",
            "tests/test_rule_docs.py",
        ],
        cwd=unpacked,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:]


# --- pre-commit ---------------------------------------------------------------------------------
def _readme_section(title: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(f"\n### {title}\n")
    end = text.index("\n## ", start)
    return text[start:end]


def test_pre_commit_accepts_the_hooks_and_the_readme_snippets(tmp_path):
    pytest.importorskip("pre_commit")
    command = [sys.executable, "-m", "pre_commit"]
    proc = subprocess.run(
        [*command, "validate-manifest", str(ROOT / ".pre-commit-hooks.yaml")], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    snippets = re.findall(r"```yaml\n(.*?)```", _readme_section("pre-commit"), re.S)
    assert len(snippets) == 2
    for i, snippet in enumerate(snippets):
        config = tmp_path / f"config{i}.yaml"
        config.write_text("repos:\n" + "".join(f"  {line}\n" for line in snippet.splitlines()), encoding="utf-8")
        proc = subprocess.run([*command, "validate-config", str(config)], capture_output=True, text=True)
        assert proc.returncode == 0, snippet + proc.stdout + proc.stderr


def test_the_readme_pins_a_release_tag_it_says_is_made_at_release():
    section = _readme_section("pre-commit")
    (rev,) = re.findall(r"rev: (\S+)", section)
    assert re.fullmatch(r"v\d+\.\d+\.\d+", rev) and rev == f"v{__version__}"
    assert "docs/release.md" in section and "repo: local" in section
