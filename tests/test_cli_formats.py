"""The machine-read formats: GitHub workflow commands that a file name cannot break out of, and
SARIF 2.1.0 as GitHub code scanning reads it (relative URIs, rule help links, fingerprints)."""

from __future__ import annotations

import json
import re
from urllib.parse import unquote, urlsplit

import pytest

from celery_patterns import REPOSITORY_URL, config
from celery_patterns.ftypes import Finding, Range, Severity
from celery_patterns.output import FINGERPRINT_KEY, format_github
from test_cli import BLOCKING, run, write


@pytest.fixture
def repo(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config.forget_cached_files()
    (tmp_path / ".git").mkdir()
    return tmp_path


# --- github -----------------------------------------------------------------------------------
def test_github_escapes_the_file_property_and_the_message():
    finding = Finding("CEL002", "50% done\r\nnext: ::error::x", Severity.HIGH, Range.of(0, 0, 0, 1))
    out = format_github([("a,b:c%d\n::warning file=x::pwned.py", finding)])
    assert out.count("\n") == 0  # one command, whatever the name holds
    command, message = out.split("::", 2)[1:]
    assert message == "CEL002 50%25 done%0D%0Anext: ::error::x"
    properties = dict(p.split("=", 1) for p in command.split(" ", 1)[1].split(","))
    assert properties["file"] == "a%2Cb%3Ac%25d%0A%3A%3Awarning file=x%3A%3Apwned.py"
    assert properties["title"] == "celery-patterns (CEL002)"


def test_github_output_of_a_real_run_with_an_odd_file_name(repo, capsys):
    write(repo, {"a,b:c.py": BLOCKING})
    _, out, _ = run(capsys, "check", "--no-cache", "--format", "github")
    assert ",file=a%2Cb%3Ac.py,line=4," in out


# --- sarif ------------------------------------------------------------------------------------
def sarif(capsys, *argv: str) -> dict:
    _, out, _ = run(capsys, "check", "--no-cache", "--format", "sarif", *argv)
    return json.loads(out)


def assert_sarif_structure(document: dict) -> None:
    """What the SARIF 2.1.0 schema requires of what this tool writes (no schema ships in a
    package on PyPI to validate against offline): required properties, their types and forms."""
    assert document["version"] == "2.1.0" and document["$schema"].endswith("sarif-2.1.0.json")
    assert isinstance(document["runs"], list) and len(document["runs"]) == 1
    run_ = document["runs"][0]
    driver = run_["tool"]["driver"]
    assert isinstance(driver["name"], str) and driver["name"]
    assert urlsplit(driver["informationUri"]).scheme == "https"
    ids = []
    for rule in driver["rules"]:
        assert isinstance(rule["id"], str)
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert urlsplit(rule["helpUri"]).scheme == "https"
        assert rule["defaultConfiguration"]["level"] in ("none", "note", "warning", "error")
        ids.append(rule["id"])
    assert len(ids) == len(set(ids))
    assert set(run_["originalUriBaseIds"]) == {"%SRCROOT%"}
    for base in run_["originalUriBaseIds"].values():
        assert "uri" not in base or urlsplit(base["uri"]).scheme == "file"
    for result in run_["results"]:
        assert isinstance(result["message"]["text"], str) and result["message"]["text"]
        assert ids[result["ruleIndex"]] == result["ruleId"]
        assert result["level"] in ("none", "note", "warning", "error")
        (location,) = result["locations"]
        artifact = location["physicalLocation"]["artifactLocation"]
        assert artifact["uriBaseId"] == "%SRCROOT%"
        uri = artifact["uri"]
        assert not urlsplit(uri).scheme and not uri.startswith("/") and ".." not in uri.split("/")
        assert re.fullmatch(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=@/]|%[0-9A-F]{2})+", uri), uri  # RFC 3986 path
        region = location["physicalLocation"]["region"]
        assert all(isinstance(region[k], int) and region[k] >= 1 for k in region)
        assert region["endLine"] >= region["startLine"]
        (value,) = result["partialFingerprints"].values()
        assert isinstance(value, str) and value


def test_sarif_is_well_formed(repo, capsys):
    write(repo, {"app/poll.py": BLOCKING, "app/bad.py": "def f(:\n"})
    document = sarif(capsys)
    assert_sarif_structure(document)
    driver = document["runs"][0]["tool"]["driver"]
    assert driver["informationUri"] == REPOSITORY_URL
    help_uris = {r["id"]: r["helpUri"] for r in driver["rules"]}
    assert help_uris["CEL002"] == f"{REPOSITORY_URL}/blob/main/docs/rules/CEL002.md"
    assert help_uris["CEL000"] == f"{REPOSITORY_URL}/blob/main/docs/rules/CEL000.md"


def test_sarif_uris_are_relative_to_the_repository_and_percent_encoded(repo, capsys, monkeypatch):
    write(repo, {"src/my app/ünï#1.py": BLOCKING})
    monkeypatch.chdir(repo / "src")  # run from below the root: URIs are still from the root
    document = sarif(capsys, "my app")
    assert_sarif_structure(document)
    (result,) = document["runs"][0]["results"]
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "src/my%20app/%C3%BCn%C3%AF%231.py"
    assert unquote(uri) == "src/my app/ünï#1.py"


def test_sarif_of_an_absolute_path_argument_is_relative_to_the_repository(repo, capsys, monkeypatch):
    write(repo, {"pkg/a.py": BLOCKING})
    monkeypatch.chdir(repo / "pkg")  # an absolute argument, run from elsewhere in the repository
    document = sarif(capsys, str(repo / "pkg" / "a.py"))
    assert_sarif_structure(document)
    (result,) = document["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "pkg/a.py"


def test_sarif_of_files_outside_the_workspace_has_no_dot_dot(tmp_path, monkeypatch, capsys):
    write(tmp_path, {"a/x/poll.py": BLOCKING, "b/poll.py": BLOCKING})
    (tmp_path / "a" / ".git").mkdir()
    monkeypatch.chdir(tmp_path / "a")
    document = sarif(capsys, "--workspace", ".", "x", "../b")
    assert_sarif_structure(document)
    uris = sorted(
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in document["runs"][0]["results"]
    )
    assert uris == ["a/x/poll.py", "b/poll.py"]


def fingerprints(document: dict) -> list[str]:
    return [r["partialFingerprints"][FINGERPRINT_KEY] for r in document["runs"][0]["results"]]


def test_sarif_fingerprints_follow_the_line_not_its_number(repo, capsys):
    write(repo, {"m.py": BLOCKING})
    before = fingerprints(sarif(capsys))
    write(repo, {"m.py": "# a comment\n\n" + BLOCKING.replace("    time.sleep(1)", "    time.sleep(1)   ")})
    after = sarif(capsys)
    assert fingerprints(after) == before
    assert after["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 6
    write(repo, {"m.py": BLOCKING.replace("time.sleep(1)", "time.sleep(2)")})
    assert fingerprints(sarif(capsys)) != before


def test_sarif_fingerprints_of_equal_lines_differ(repo, capsys):
    write(repo, {"m.py": BLOCKING + "    time.sleep(1)\n"})
    first, second = fingerprints(sarif(capsys))
    assert first != second and first.split(":")[0] == second.split(":")[0]
