"""Fuzzing: sources mutated from the rule tests' cases and the examples (a seeded mutator,
the same cases every run) go through the engine's check and fix-all, and some through the
command line's `--fix`. Nothing raises; every fixed text parses; a fix changes no byte
outside the top-level statements it had reason to touch (those holding a fixable finding,
and the imports it adds or tidies away).

`CELERY_PATTERNS_FUZZ_SEED` picks other cases (the run prints the seed of a failure)."""

from __future__ import annotations

import ast
import difflib
import importlib
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from celery_patterns.config import Settings
from celery_patterns.engine import check_source, fix_source
from ruletest import dedent

ROOT = Path(__file__).parent.parent
SEED = int(os.environ.get("CELERY_PATTERNS_FUZZ_SEED", "20261207"))
ENGINE_CASES = 300
CLI_CASES = 24

# Pieces a mutation inserts: brackets and quotes left open, indentation, odd characters,
# newer syntax, and the calls and statements the rules look for.
PIECES = [
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ":",
    ",",
    "'",
    '"',
    '"""',
    'f"{',
    "}",
    "\\",
    "\t",
    "    ",
    "\f",
    "\r",
    "\r\n",
    "\x00",
    "é",
    "🎉",
    "\u2028",
    "#",
    " # noqa",
    " # noqa: CEL002",
    "lambda: ",
    "not ",
    " and ",
    " if x else ",
    "async ",
    "await ",
    "yield ",
    "return ",
    "del ",
    "global x\n",
    "pass\n",
    "time.sleep(1)",
    "import time\n",
    "import asyncio\n",
    "from celery import shared_task\n",
    "@shared_task\n",
    "@app.task(bind=True)\n",
    "result.get()",
    ".delay(",
    ".apply_async(",
    "self.retry(",
    "requests.get(url)",
    "except Exception:\n    pass\n",
    "try:\n",
    "with open(p) as f:\n",
    "type X = int\n",
    "def f[T](x: T) -> T:\n",
    "except ValueError, TypeError:\n",
    't"{x}"',
]


def corpus() -> list[str]:
    """The invalid cases of every rule test (sources with findings, most of them fixable)
    and the example projects' files."""
    sources = []
    for path in sorted((ROOT / "tests").glob("test_rule_cel*.py")):
        module = importlib.import_module(path.stem)
        for case in getattr(module, "INVALID", []):
            source = case[0] if isinstance(case, tuple) else case
            if isinstance(source, str):
                sources.append(dedent(source))
    sources += [p.read_text(encoding="utf-8") for p in sorted((ROOT / "examples").rglob("*.py"))]
    return sources


def mutate(source: str, sources: list[str], rng: random.Random) -> str:
    """One to three random edits: insert a piece, delete or duplicate or swap lines, change
    an indent, splice in part of another source, truncate."""
    for _ in range(rng.randint(1, 3)):
        lines = source.splitlines(keepends=True) or [""]
        kind = rng.randrange(7)
        i = rng.randrange(len(lines))
        if kind == 0:
            at = rng.randint(0, len(source))
            source = source[:at] + rng.choice(PIECES) + source[at:]
        elif kind == 1:
            del lines[i]
            source = "".join(lines)
        elif kind == 2:
            lines.insert(i, lines[rng.randrange(len(lines))])
            source = "".join(lines)
        elif kind == 3:
            j = rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
            source = "".join(lines)
        elif kind == 4:
            lines[i] = rng.choice(["", "    ", "\t", "        "]) + lines[i].lstrip(" \t")
            source = "".join(lines)
        elif kind == 5:
            other = rng.choice(sources).splitlines(keepends=True)
            a = rng.randrange(len(other) or 1)
            lines[i:i] = other[a : a + rng.randint(1, 8)]
            source = "".join(lines)
        else:
            source = source[: rng.randint(0, len(source))]
    return source


def cases(count: int, salt: int) -> list[tuple[int, str]]:
    """`count` sources: the corpus in a shuffled order (each one once before any twice), a
    quarter as they are, the rest mutated."""
    sources = corpus()
    rng = random.Random(SEED + salt)
    order = list(range(len(sources)))
    rng.shuffle(order)
    out = []
    for n in range(count):
        base = sources[order[n % len(order)]]
        out.append((n, base if n % 4 == 0 else mutate(base, sources, rng)))
    return out


def touchable_lines(source: str, checked) -> set[int]:
    """0-based lines a fix-all may change: the top-level statements holding a fixable
    finding, every import (added next to, or tidied away), and where a name imported by
    a fixable import is used (the fix of an import rewrites its uses)."""
    tree = ast.parse(source)
    fixable_lines = {f.range.start.line for f in checked.report.findings if f.fixable}
    spans = []
    renamed: set[str] = set()
    for statement in tree.body:
        decorators = getattr(statement, "decorator_list", None) or []
        first = min([statement.lineno, *(d.lineno for d in decorators)]) - 1
        last = (statement.end_lineno or statement.lineno) - 1
        span = set(range(first, last + 1))
        spans.append((statement, span))
        if isinstance(statement, (ast.Import, ast.ImportFrom)) and span & fixable_lines:
            renamed |= {(a.asname or a.name).split(".")[0] for a in statement.names}
    allowed: set[int] = set()
    for statement, span in spans:
        uses = {n.id for n in ast.walk(statement) if isinstance(n, ast.Name)}
        if span & fixable_lines or isinstance(statement, (ast.Import, ast.ImportFrom)) or uses & renamed:
            allowed |= span
    return allowed


def test_engine_check_and_fix_all_never_fail():
    settings = Settings()  # every rule
    for n, source in cases(ENGINE_CASES, 0):
        where = f"case {n} (seed {SEED}):\n{source}"
        checked = check_source(source, "fuzz.py", settings)  # raises nothing
        assert checked.report.findings is not None, where
        outcome = fix_source(source, "fuzz.py", settings, unsafe=True)
        if outcome.source == source:
            continue
        assert checked.facts is not None, where  # only a text that parses is fixed
        ast.parse(outcome.source)  # the fixed text parses
        allowed = touchable_lines(source, checked)
        before, after = source.splitlines(keepends=True), outcome.source.splitlines(keepends=True)
        matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
        for tag, i1, i2, _, _ in matcher.get_opcodes():
            if tag in ("replace", "delete"):
                outside = [i for i in range(i1, i2) if i not in allowed]
                assert not outside, f"{where}\nchanged line {outside[0] + 1}:\n{outcome.source}"


def test_cli_fix_on_mutated_files(tmp_path):
    """`--fix --unsafe-fixes` over a tree of mutated files, in worker processes: it ends with
    a summary, no internal error; every file it rewrote parses."""
    (tmp_path / "pyproject.toml").write_text("[tool.celery-patterns]\n")
    written = {}
    for n, source in cases(CLI_CASES, 1):
        path = tmp_path / "pkg" / f"m{n:03}.py"
        path.parent.mkdir(exist_ok=True)
        try:
            path.write_text(source, encoding="utf-8", newline="")
        except UnicodeEncodeError:  # a lone surrogate cannot be a file's text
            continue
        written[path] = path.read_bytes()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "celery_patterns",
            "check",
            "--no-cache",
            "--fix",
            "--unsafe-fixes",
            "--jobs",
            "2",
            "pkg",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode in (0, 1), proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stdout + proc.stderr, proc.stderr[-3000:]
    assert "Fixed " in proc.stdout + proc.stderr
    for path, data in written.items():
        now = path.read_bytes()
        if now != data:
            ast.parse(now)


@pytest.mark.parametrize("salt", [2])
def test_mutations_are_not_all_trivial(salt):
    """The mutator makes broken and fixable cases both (else the tests above test little)."""
    broken = fixed = 0
    for _, source in cases(60, salt):
        checked = check_source(source, "fuzz.py")
        broken += checked.report.syntax_error
        fixed += any(f.fixable for f in checked.report.findings)
    assert broken >= 5 and fixed >= 10, (broken, fixed)
