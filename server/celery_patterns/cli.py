"""Command line: `celery-patterns check | rule CODE | rules | lsp`.

Exit codes: 0 nothing found, 1 findings (or, with --diff, changes to make), 2 usage or
configuration error.
"""

from __future__ import annotations

import argparse
import difflib
import gc
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from . import __version__, inventory
from .config import ConfigError, Settings
from .discovery import module_name_for, python_files
from .engine import check_bytes, fix_source, project_for, settings_for, workspace_of
from .engine.workspace import settings_or_default
from .ftypes import Finding
from .model.project import Project
from .output import FORMATTERS, format_statistics
from .rules import all_codes, all_rules, rule_by_code
from .source import encode_source

PARALLEL_THRESHOLD = 16  # below this, starting worker processes costs more than it saves
PROGRESS_THRESHOLD = 50


@dataclass
class FileResult:
    path: str
    findings: list[Finding] = field(default_factory=list)
    fixed: int = 0
    diff: str = ""
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Job:
    mode: str  # "check", "fix" or "diff"
    unsafe: bool
    select: tuple[str, ...] | None
    ignore: tuple[str, ...]


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "check":
            return _check(args)
        if args.command == "rule":
            return _rule(args.code)
        if args.command == "rules":
            return _rules(args.format)
        if args.command == "tasks":
            return _tasks(args)
        if args.command == "lsp":
            from .lsp.server import start

            start(tcp=args.tcp)
            return 0
    except ConfigError as exc:
        print(f"celery-patterns: configuration error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    parser.print_help()
    return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="celery-patterns", description="Celery best-practice checks, quick fixes and a language server."
    )
    parser.add_argument("--version", action="version", version=f"celery-patterns {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    check = sub.add_parser("check", help="check Python files (default: the current directory)")
    check.add_argument("paths", nargs="*", default=["."], metavar="PATH")
    check.add_argument("--format", choices=sorted(FORMATTERS), default="text")
    check.add_argument("--fix", action="store_true", help="apply safe fixes in place")
    check.add_argument("--unsafe-fixes", action="store_true", help="also apply unsafe fixes")
    check.add_argument("--diff", action="store_true", help="print the fixes as a unified diff; write nothing")
    check.add_argument("--select", type=_codes, help="comma-separated codes or prefixes to enable")
    check.add_argument("--ignore", type=_codes, default=(), help="comma-separated codes or prefixes to disable")
    check.add_argument("--statistics", action="store_true", help="print counts per rule instead of findings")
    check.add_argument("--no-progress", action="store_true", help="never show a progress bar")
    check.add_argument("-j", "--jobs", type=int, default=0, help="worker processes (default: CPU count)")
    check.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    check.add_argument(
        "--workspace", metavar="DIR", help="the workspace whose tasks the project model knows (default: found)"
    )

    rule = sub.add_parser("rule", help="print a rule's documentation")
    rule.add_argument("code")
    rules = sub.add_parser("rules", help="list all rules")
    rules.add_argument("--format", choices=("text", "json"), default="text")

    tasks = sub.add_parser("tasks", help="list the workspace's tasks, their queues and who sends them")
    tasks.add_argument("paths", nargs="*", default=["."], metavar="PATH")
    tasks.add_argument("--format", choices=sorted(inventory.FORMATS), default="text")
    tasks.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    tasks.add_argument("--workspace", metavar="DIR", help="the workspace to read (default: found from PATH)")

    lsp = sub.add_parser("lsp", help="run the language server over stdio")
    lsp.add_argument("--tcp", metavar="HOST:PORT", help="listen on TCP instead (for debugging)")
    return parser


def _codes(text: str) -> tuple[str, ...]:
    codes = tuple(c.strip().upper() for c in text.split(",") if c.strip())
    known = set(all_codes()) | {"CEL000"}
    for code in codes:
        if code != "ALL" and not any(k.startswith(code) for k in known):
            raise argparse.ArgumentTypeError(f"unknown rule code {code!r}")
    return codes


# --- check --------------------------------------------------------------------------------
def _check(args) -> int:
    try:
        files = list(python_files(args.paths))
    except FileNotFoundError as exc:
        print(f"celery-patterns: no such file or directory: {exc}", file=sys.stderr)
        return 2
    _validate_settings(files)
    mode = "diff" if args.diff else ("fix" if args.fix or args.unsafe_fixes else "check")
    job = Job(mode, args.unsafe_fixes, args.select, tuple(args.ignore))
    show_progress = (
        not args.no_progress and args.format == "text" and sys.stderr.isatty() and len(files) >= PROGRESS_THRESHOLD
    )
    root = os.path.abspath(args.workspace) if args.workspace else workspace_of(args.paths)
    project = project_for(root, settings_or_default, use_cache=not args.no_cache, jobs=args.jobs)
    results = _run(files, job, args.jobs, show_progress, project)

    for result in results:
        for error in result.errors:
            print(error, file=sys.stderr)
    pairs = [(r.path, f) for r in results for f in r.findings]
    fixed = sum(r.fixed for r in results)

    if mode == "diff":
        diffs = "".join(r.diff for r in results)
        if diffs:
            sys.stdout.write(diffs)
        print(f"Would fix {fixed} finding{'s' if fixed != 1 else ''}.", file=sys.stderr)
        return 1 if diffs or pairs else 0

    if args.statistics:
        if pairs:
            print(format_statistics(pairs))
    elif args.format == "text":
        if pairs:
            print(FORMATTERS["text"](pairs))
        print(_summary(pairs, fixed, mode))
    else:
        print(FORMATTERS[args.format](pairs))
    return 1 if pairs else 0


def _summary(pairs, fixed: int, mode: str) -> str:
    remaining = len(pairs)
    if mode == "fix":
        return f"Fixed {fixed} finding{'s' if fixed != 1 else ''}, {remaining} remaining."
    if not remaining:
        return "All checks passed!"
    fixable = sum(1 for _, f in pairs if f.fixable)
    hint = f" ({fixable} fixable with `--fix`/`--unsafe-fixes`)" if fixable else ""
    return f"Found {remaining} finding{'s' if remaining != 1 else ''}{hint}."


def _validate_settings(files: list[str]) -> None:
    """Load every configuration once up front so an invalid one stops the run (exit 2)."""
    seen = set()
    for directory in sorted({os.path.dirname(os.path.abspath(f)) for f in files}):
        settings = settings_for(directory)
        if id(settings) in seen:
            continue
        seen.add(id(settings))
        for warning in settings.warnings:
            print(f"celery-patterns: warning: {warning}", file=sys.stderr)


def _run(files: list[str], job: Job, jobs: int, show_progress: bool, project: Project | None) -> list[FileResult]:
    workers = jobs or os.cpu_count() or 1
    tasks = [(path, job) for path in files]
    progress = _Progress(len(files)) if show_progress else None
    _quiet_gc()
    if workers > 1 and len(files) >= PARALLEL_THRESHOLD:
        chunk = max(1, min(32, len(files) // (workers * 4)))
        with ProcessPoolExecutor(max_workers=workers, initializer=_start_worker, initargs=(project,)) as pool:
            results = []
            for result in pool.map(_process, tasks, chunksize=chunk):
                results.append(result)
                if progress:
                    progress.advance()
    else:
        _start_worker(project)
        results = []
        for task in tasks:
            results.append(_process(task))
            if progress:
                progress.advance()
    if progress:
        progress.done()
    return results


_PROJECT: Project | None = None  # the workspace's model, in each process that checks files


def _start_worker(project: Project | None) -> None:
    global _PROJECT
    _PROJECT = project
    _quiet_gc()


def _quiet_gc() -> None:
    """Let the cycle collector run rarely.

    A syntax tree is hundreds of thousands of small objects; with the default threshold
    the collector walks them again and again while they are built (a third of the check
    time). Trees hold no reference cycles (see facts.py), so reference counting frees them.
    """
    gc.set_threshold(200_000, 50, 100)


def _process(task: tuple[str, Job]) -> FileResult:
    """Check (and maybe fix) one file; runs in a worker process."""
    return _process_file(*task)


def _process_file(path: str, job: Job) -> FileResult:
    result = FileResult(path)
    try:
        settings = _settings(path, job)
        with open(path, "rb") as handle:
            data = handle.read()
        # Without a pyproject.toml the directory the check runs from is the project (as the
        # editor takes the workspace folder).
        module_name = module_name_for(path, settings.root or os.getcwd())
        checked = check_bytes(data, path, settings, module_name, project=_PROJECT)
        result.errors.extend(checked.errors)
        result.findings = checked.report.findings
        source = checked.report.source
        if job.mode == "check" or source is None or not any(f.fixable for f in result.findings):
            return result
        outcome = fix_source(source, path, settings, unsafe=job.unsafe, module_name=module_name, project=_PROJECT)
        result.fixed = outcome.applied
        if outcome.source == source:
            return result
        if job.mode == "diff":
            result.diff = "".join(
                difflib.unified_diff(
                    source.splitlines(keepends=True),
                    outcome.source.splitlines(keepends=True),
                    fromfile=f"a/{path}",
                    tofile=f"b/{path}",
                )
            )
            return result
        with open(path, "wb") as handle:
            handle.write(encode_source(outcome.source, data))
        result.findings = outcome.remaining
    except (OSError, ConfigError) as exc:
        result.errors.append(f"celery-patterns: {path}: {exc}")
    return result


def _settings(path: str, job: Job) -> Settings:
    settings = settings_for(os.path.dirname(os.path.abspath(path)))
    return settings.merged(
        select=job.select,
        ignore=tuple(settings.ignore) + job.ignore if job.ignore else None,
    )


class _Progress:
    """A one-line progress bar on stderr, only shown on a terminal."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.count = 0

    def advance(self) -> None:
        self.count += 1
        if self.count % 10 and self.count != self.total:
            return
        width = 30
        filled = width * self.count // self.total
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {self.count}/{self.total} files")
        sys.stderr.flush()

    def done(self) -> None:
        sys.stderr.write("\r" + " " * 60 + "\r")
        sys.stderr.flush()


# --- tasks -------------------------------------------------------------------------------
def _tasks(args) -> int:
    missing = [p for p in args.paths if not os.path.exists(p)]
    if missing:
        print(f"celery-patterns: no such file or directory: {missing[0]}", file=sys.stderr)
        return 2
    root = os.path.abspath(args.workspace) if args.workspace else workspace_of(args.paths)
    project = project_for(root, settings_or_default, use_cache=not args.no_cache)
    wanted = [os.path.abspath(p) for p in args.paths]
    table = [
        row
        for row in inventory.rows(project)
        if any(
            row.task.summary.path == w or row.task.summary.path.startswith(w.rstrip(os.sep) + os.sep) for w in wanted
        )
    ]
    print(inventory.FORMATS[args.format](table))
    return 0


# --- documentation -----------------------------------------------------------------------
def _rule(code: str) -> int:
    rule = rule_by_code(code)
    if rule is None:
        print(f"celery-patterns: unknown rule {code!r}; `celery-patterns rules` lists them", file=sys.stderr)
        return 2
    print(rule.documentation(), end="")
    return 0


def _rules(fmt: str) -> int:
    if fmt == "json":
        import json

        print(
            json.dumps(
                [
                    {
                        "code": r.code,
                        "name": r.name,
                        "severity": r.severity.value,
                        "fix": r.fix_safety.value if r.fix_safety else None,
                        "summary": r.message,
                    }
                    for r in all_rules()
                ],
                indent=2,
            )
        )
        return 0
    for r in all_rules():
        fix = {None: "   ", "safe": "[*]", "unsafe": "[!]"}[r.fix_safety.value if r.fix_safety else None]
        print(f"{r.code}  {fix}  {r.severity.name.title():<6}  {r.name}")
    print("\n[*] safe fix (applied by --fix)   [!] unsafe fix (needs --unsafe-fixes)")
    return 0
