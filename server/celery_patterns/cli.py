"""Command line: `celery-patterns check | rule CODE | rules | tasks | lsp`.

Exit codes: 0 nothing found, 1 findings (with --diff: fixes to make), 2 usage or
configuration error, or a file that could not be read or written.
"""

from __future__ import annotations

import argparse
import difflib
import gc
import hashlib
import json
import os
import sys
from collections import Counter
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from . import __version__, config, files, inventory
from .config import ConfigError, Settings
from .discovery import is_force_excluded, module_name_for, python_files
from .docs import SYNTAX_CODE, rule_page
from .engine import check_bytes, fix_source, project_for, validated, workspace_of
from .engine import settings_for as engine_settings_for
from .ftypes import Finding, Range, Severity
from .model.build import summary_settings_key
from .model.cache import Cache, content_key
from .model.interface import interface
from .model.project import Project
from .output import FORMATTERS, Options, fix_hint, format_fix_summary, format_statistics, hidden_unsafe, plural
from .rules import all_codes, all_rules
from .source import LineIndex, decode_source, encode_source

PARALLEL_THRESHOLD = 16  # below this, starting worker processes costs more than it saves
PROGRESS_THRESHOLD = 50
CRASH_MESSAGE = "internal error: the checker crashed on this file"


@dataclass
class FileResult:
    path: str
    findings: list[Finding] = field(default_factory=list)
    fixed: int = 0
    fixed_codes: dict[str, int] = field(default_factory=dict)  # what the fixes removed, per rule
    diff: str = ""
    fixed_data: bytes | None = None  # the fixed file (standard input: printed, not written)
    errors: list[str] = field(default_factory=list)  # the file was not checked or not written
    warnings: list[str] = field(default_factory=list)
    cacheable: bool = False  # the findings are a check of the bytes read, nothing else


@dataclass(frozen=True)
class Job:
    mode: str  # "check", "fix" or "diff"
    unsafe: bool
    select: tuple[str, ...] | None
    ignore: tuple[str, ...]
    extend_select: tuple[str, ...] = ()
    config: str | None = None  # `--config`: the file whose settings govern every file
    fix_root: str | None = None  # fixes are written only to files (link targets) below it
    write: bool = True  # False for standard input: the fixed text is returned


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
    check.add_argument("paths", nargs="*", default=["."], metavar="PATH", help="files or directories; `-`: stdin")
    check.add_argument("--format", "--output-format", choices=sorted(FORMATTERS), default="text")
    check.add_argument("-o", "--output-file", metavar="PATH", help="write the report to PATH instead of stdout")
    check.add_argument("--fix", action="store_true", help="apply safe fixes in place")
    check.add_argument("--unsafe-fixes", action="store_true", help="also apply unsafe fixes")
    check.add_argument("--diff", action="store_true", help="print the fixes as a unified diff; write nothing")
    check.add_argument("--show-fixes", action="store_true", help="list the fixes applied (or applicable)")
    check.add_argument("--select", type=_codes, help="comma-separated codes or prefixes to enable")
    check.add_argument("--extend-select", type=_codes, default=(), help="codes or prefixes to enable as well")
    check.add_argument("--ignore", type=_codes, default=(), help="comma-separated codes or prefixes to disable")
    check.add_argument("--extend-ignore", type=_codes, default=(), help="codes or prefixes to disable as well")
    check.add_argument(
        "--config", metavar="PATH", help="a pyproject.toml or celery-patterns.toml to use for every file"
    )
    check.add_argument(
        "--force-exclude", action="store_true", help="apply `exclude` to files named on the command line too"
    )
    check.add_argument("--stdin-filename", metavar="NAME", help="the file name the source read from stdin stands for")
    check.add_argument("--statistics", action="store_true", help="print counts per rule instead of findings")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    check.add_argument("-q", "--quiet", action="store_true", help="print the findings and nothing else")
    check.add_argument("--no-color", action="store_true", help="never colour the output (also: NO_COLOR)")
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
    known = set(all_codes()) | {SYNTAX_CODE}
    for code in codes:
        if code != "ALL" and not any(k.startswith(code) for k in known):
            raise argparse.ArgumentTypeError(f"unknown rule code {code!r}")
    return codes


# --- check --------------------------------------------------------------------------------
class _Report:
    """Where the report goes (stdout, `--output-file`, or stderr when stdout carries fixed
    source), whether it is coloured, and what `--quiet` leaves out."""

    def __init__(self, args, stream: TextIO) -> None:
        self.stream = stream
        self.quiet = args.quiet
        self.color = (
            args.format == "text"
            and not args.no_color
            and not os.environ.get("NO_COLOR")  # no-color.org: set and not empty
            and _is_terminal(stream)
        )

    def findings(self, text: str) -> None:
        if text:
            print(text, file=self.stream)

    def note(self, text: str) -> None:
        """A summary line: left out with --quiet."""
        if text and not self.quiet:
            print(text, file=self.stream)


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _check(args) -> int:
    if args.output_file:
        try:
            Path(args.output_file).parent.mkdir(parents=True, exist_ok=True)
            with open(args.output_file, "w", encoding="utf-8") as stream:
                return _check_to(args, stream)
        except OSError as exc:
            print(f"celery-patterns: cannot write {args.output_file}: {exc.strerror or exc}", file=sys.stderr)
            return 2
    return _check_to(args, sys.stdout)


def _check_to(args, stream: TextIO) -> int:
    settings_for = _settings_source(args.config)
    if args.paths == ["-"] or args.stdin_filename:  # as ruff: a stdin name means stdin
        return _check_stdin(args, stream, settings_for)
    if "-" in args.paths:
        print("celery-patterns: `-` (standard input) cannot be mixed with other paths", file=sys.stderr)
        return 2
    report = _Report(args, stream)
    warnings: list[str] = []
    try:
        found = list(
            python_files(
                args.paths,
                settings_for=settings_for,
                force_exclude=args.force_exclude,
                on_skip=lambda path, why: warnings.append(f"celery-patterns: {path}: {why}"),
            )
        )
    except FileNotFoundError as exc:
        print(f"celery-patterns: no such file or directory: {exc}", file=sys.stderr)
        return 2
    _validate_settings(found, settings_for, args.quiet)
    mode = "diff" if args.diff else ("fix" if args.fix or args.unsafe_fixes else "check")
    root = os.path.abspath(args.workspace) if args.workspace else workspace_of(args.paths)
    job = Job(
        mode,
        args.unsafe_fixes,
        args.select,
        tuple(args.ignore) + tuple(args.extend_ignore),
        tuple(args.extend_select),
        os.path.abspath(args.config) if args.config else None,
        os.path.realpath(root),
    )
    show_progress = (
        not args.no_progress
        and not args.quiet
        and args.format == "text"
        and sys.stderr.isatty()
        and len(found) >= PROGRESS_THRESHOLD
    )
    project = _project(root, settings_for, args)
    if project is None:
        return 2
    cache = ResultsCache(None if args.no_cache else project.root, project, _or_default(settings_for))
    results = _run(found, job, args.jobs, show_progress, project, cache)
    cache.save()

    for warning in warnings:
        if not args.quiet:
            print(warning, file=sys.stderr)
    return _finish(args, report, results, mode, root)


def _finish(
    args, report: _Report, results: list[FileResult], mode: str, root: str | None, lines: _SourceLines | None = None
) -> int:
    """Print the report of a run and give its exit code."""
    errors = [e for r in results for e in r.errors]
    for result in results:
        for message in result.warnings:
            if not args.quiet:
                print(message, file=sys.stderr)
        for error in result.errors:
            print(error, file=sys.stderr)
    pairs = [(r.path, f) for r in results for f in r.findings]
    fixed = sum(r.fixed for r in results)
    fixed_codes = [(r.path, r.fixed_codes) for r in results if r.fixed_codes]
    options = Options(
        color=report.color,
        unsafe_fixes=args.unsafe_fixes,
        show_fixes=args.show_fixes and mode == "check",
        root=root,
        source_line=(lines or _SourceLines()).line,
    )

    if mode == "diff":
        # The diff alone goes to stdout (it can be piped to `patch`); the summary to stderr.
        report = _Report(args, sys.stderr) if report.stream is sys.stdout else report
        diffs = "".join(r.diff for r in results)
        if diffs:
            sys.stdout.write(diffs)
        hidden = sum(1 for _, f in pairs if hidden_unsafe(f, args.unsafe_fixes))
        more = f" ({plural(hidden, 'additional fix')} available with `--unsafe-fixes`)" if hidden else ""
        if args.show_fixes and fixed_codes:
            report.note(format_fix_summary(fixed_codes, would=True))
        if fixed:
            report.note(f"Would fix {plural(fixed, 'finding')}{more}.")
        else:
            report.note(f"No findings would be fixed{more}.")
        status = 1 if diffs else 0
    else:
        if args.statistics:
            report.findings(format_statistics(pairs, options) if pairs else "")
        elif args.format == "text":
            report.findings(FORMATTERS["text"](pairs, options))
            if mode == "fix" and args.show_fixes and fixed_codes:
                report.note("\n" + format_fix_summary(fixed_codes) + "\n")
            report.note(_summary(pairs, fixed, mode, args.unsafe_fixes))
        else:
            report.findings(FORMATTERS[args.format](pairs, options))
        status = 1 if pairs else 0
    if errors:
        return 2
    return 0 if args.exit_zero else status


def _summary(pairs, fixed: int, mode: str, unsafe_fixes: bool) -> str:
    remaining = len(pairs)
    hint = fix_hint(pairs, unsafe_fixes)
    if mode == "fix":
        line = f"Fixed {plural(fixed, 'finding')}, {remaining} remaining."
        hidden = fix_hint([p for p in pairs if hidden_unsafe(p[1], unsafe_fixes)], unsafe_fixes)
        return line + (f"\n{hidden}" if hidden else "")
    if not remaining:
        return "All checks passed!"
    return f"Found {plural(remaining, 'finding')}." + (f"\n{hint}" if hint else "")


class _SourceLines:
    """Lines of checked files, read when the SARIF report asks for them (fingerprints)."""

    def __init__(self) -> None:
        self._indexes: dict[str, LineIndex | None] = {}

    def add(self, path: str, text: str) -> None:
        self._indexes[path] = LineIndex(text)

    def line(self, path: str, line: int) -> str:
        if path not in self._indexes:
            try:
                self._indexes[path] = LineIndex(decode_source(files.read_file(path)))
            except (OSError, ValueError, files.SkippedFile):
                self._indexes[path] = None
        index = self._indexes[path]
        return index.line_text(line) if index is not None else ""


def _settings_source(config_path: str | None) -> Callable[[str], Settings]:
    """What gives a path its settings: the nearest pyproject.toml, or the `--config` file."""
    if config_path is None:
        return engine_settings_for
    path = Path(config_path)
    if not path.is_file():
        raise ConfigError(f"{config_path}: no such configuration file (--config)")
    settings = validated(config.load_settings(path.resolve()), str(path))
    return lambda _path: settings


def _project(root: str, settings_for, args, overlays: dict[str, str] | None = None) -> Project | None:
    """The workspace's model; None (said on stderr) when a process summarising it died."""
    try:
        return project_for(
            root, _or_default(settings_for), use_cache=not args.no_cache, overlays=overlays, jobs=args.jobs
        )
    except BrokenProcessPool:
        print(
            f"celery-patterns: internal error: a worker process died while reading the workspace {root}",
            file=sys.stderr,
        )
        return None


def _or_default(settings_for: Callable[[str], Settings]) -> Callable[[str], Settings]:
    """The project model reads every file: the defaults where a configuration is invalid (a
    check of that file reports the error)."""

    def settings_or_default(path: str) -> Settings:
        try:
            return settings_for(path)
        except ConfigError:
            return Settings()

    return settings_or_default


def _validate_settings(files_: list[str], settings_for, quiet: bool) -> None:
    """Load every configuration once up front so an invalid one stops the run (exit 2)."""
    seen = set()
    for directory in sorted({os.path.dirname(os.path.abspath(f)) for f in files_}):
        settings = settings_for(directory)
        if id(settings) in seen:
            continue
        seen.add(id(settings))
        for warning in settings.warnings:
            if not quiet:
                print(f"celery-patterns: warning: {warning}", file=sys.stderr)


# --- standard input -------------------------------------------------------------------------
def _check_stdin(args, stream: TextIO, settings_for) -> int:
    """`check -`: the source from stdin; `--stdin-filename` names it (settings, module name,
    exclusion). With --fix the fixed source goes to stdout and the report to stderr (ruff)."""
    name = args.stdin_filename
    data = sys.stdin.buffer.read()
    fixing = (args.fix or args.unsafe_fixes) and not args.diff
    if args.output_file is None and (fixing or args.diff):
        stream = sys.stderr
    report = _Report(args, stream)
    if name and args.force_exclude and is_force_excluded(name, settings_for):
        if fixing:
            _write_stdout(data)  # unchanged: an editor replaces its buffer with what it gets
        return 0
    path = name or "-"
    settings_for(os.path.abspath(name) if name else os.path.join(os.getcwd(), "-"))  # invalid: exit 2 now
    mode = "diff" if args.diff else ("fix" if fixing else "check")
    root = os.path.abspath(args.workspace) if args.workspace else workspace_of([name] if name else [])
    job = Job(
        mode,
        args.unsafe_fixes,
        args.select,
        tuple(args.ignore) + tuple(args.extend_ignore),
        tuple(args.extend_select),
        os.path.abspath(args.config) if args.config else None,
        write=False,
    )
    lines = _SourceLines()
    overlays = {}
    try:
        text = decode_source(data)
        lines.add(path, text)
        if name:
            overlays[os.path.abspath(name)] = text  # the model sees the text, not the file on disk
    except ValueError:
        pass
    project = _project(root, settings_for, args, overlays)
    if project is None:
        return 2
    _start_worker(project)
    result = _process_data(path, data, job, named=bool(name))
    if mode == "fix":
        _write_stdout(result.fixed_data if result.fixed_data is not None else data)
    return _finish(args, report, [result], mode, root, lines)


def _write_stdout(data: bytes) -> None:
    sys.stdout.flush()
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


# --- running the checks ------------------------------------------------------------------------
class ResultsCache:
    """Findings of files already checked, in the workspace's `.celery-patterns-cache/`: a file's
    are reused while its bytes, the tool's version, its settings and the project model's
    interface (what other modules can observe of each module) are what they were.

    The model's interface is a digest of every module's (`model.interface`). Working one out
    re-encodes the module's summary (a second for celery + kombu, half a warm run), so each is
    kept too, under what its summary is made from: the module's bytes, path, module name and
    the settings that shape summaries."""

    def __init__(self, root: str | None, project: Project | None, settings_for: Callable[[str], Settings]) -> None:
        self.cache = Cache(root, "results")
        self.enabled = root is not None
        self.project = project
        self.settings_for = settings_for
        self._model: str | None = None

    def model_digest(self, read: dict[str, bytes]) -> str:
        """The digest of the model's interfaces; `read`: bytes already read, by absolute path."""
        if self._model is None:
            digest = hashlib.sha256()
            project = self.project
            for path, summary in sorted((project.summaries if project else {}).items()):
                digest.update(f"{path}\0{self._interface(path, summary, read)}\0".encode("utf-8", "surrogatepass"))
            self._model = digest.hexdigest()
        return self._model

    def _interface(self, path: str, summary, read: dict[str, bytes]) -> str:
        data = read.get(path)
        if data is None:
            try:
                data = files.read_file(path)
            except (OSError, files.SkippedFile):
                return interface(summary)
        module = self.project.layout.module_name(path) if self.project else None
        key = "interface:" + content_key(
            data, path, module or "", summary_settings_key(self.settings_for(path)), summary.path
        )
        found = self.cache.get(key)
        if not isinstance(found, str):
            found = interface(summary)
            self.cache.put(key, found)
        return found

    def key(self, path: str, data: bytes, settings: Settings, module: str | None, read: dict[str, bytes]) -> str:
        return content_key(data, os.path.abspath(path), module or "", repr(settings), self.model_digest(read))

    def get(self, key: str) -> list[Finding] | None:
        if not self.enabled:
            return None
        entry = self.cache.get(key)
        if entry is None:
            return None
        try:
            return [_decode_finding(item) for item in entry]
        except (TypeError, ValueError, KeyError, IndexError):
            return None

    def put(self, key: str, findings: list[Finding]) -> None:
        if self.enabled:
            self.cache.put(key, [_encode_finding(f) for f in findings])

    def save(self) -> None:
        if self.enabled:
            self.cache.save()


def _encode_finding(finding: Finding) -> list:
    r = finding.range
    return [
        finding.code,
        finding.message,
        finding.severity.value,
        [r.start.line, r.start.column, r.end.line, r.end.column],
        finding.fixable,
        finding.no_fix_reason,
    ]


def _decode_finding(item: list) -> Finding:
    code, message, severity, (line, column, end_line, end_column), fixable, reason = item
    if not isinstance(code, str) or not isinstance(message, str) or not isinstance(fixable, bool):
        raise ValueError(item)
    if reason is not None and not isinstance(reason, str):
        raise ValueError(item)
    return Finding(
        code,
        message,
        Severity(severity),
        Range.of(int(line), int(column), int(end_line), int(end_column)),
        fixable,
        reason,
    )


def _run(
    found: list[str], job: Job, jobs: int, show_progress: bool, project: Project | None, cache: ResultsCache
) -> list[FileResult]:
    """Check (and fix) every file: from the cache where it has the findings, else in worker
    processes. A worker that dies costs the file it was checking one finding, not the run."""
    results: list[FileResult | None] = [None] * len(found)
    todo: list[int] = []
    tasks: list[tuple[str, bytes, Job]] = []
    keys: dict[int, str] = {}
    read: dict[int, bytes] = {}
    for i, path in enumerate(found):
        try:
            read[i] = files.read_file(path)
        except files.SkippedFile as exc:
            results[i] = FileResult(path, warnings=[f"celery-patterns: {path}: {exc}"])
        except OSError as exc:
            results[i] = FileResult(path, errors=[f"celery-patterns: {path}: cannot read: {exc.strerror or exc}"])
    by_path = {os.path.abspath(found[i]): data for i, data in read.items()}
    for i, data in read.items():
        path = found[i]
        if cache.enabled:
            try:
                settings = _settings(path, job)
            except ConfigError as exc:
                results[i] = FileResult(path, errors=[f"celery-patterns: {path}: {exc}"])
                continue
            module = project.layout.module_name(path) if project else None
            keys[i] = cache.key(path, data, settings, module, by_path)
            cached = cache.get(keys[i])
            if cached is not None and (job.mode == "check" or not any(f.fixable for f in cached)):
                results[i] = FileResult(path, cached, cacheable=True)
                continue
        todo.append(i)
        tasks.append((path, data, job))

    progress = _Progress(len(todo)) if show_progress and todo else None
    workers = jobs or os.cpu_count() or 1
    _quiet_gc()
    reread: set[int] = set()
    if workers > 1 and len(tasks) >= PARALLEL_THRESHOLD:
        checked, reread = _run_in_pools(tasks, workers, project, progress)
    else:
        _start_worker(project)
        checked = []
        for task in tasks:
            checked.append(_process(task))
            if progress:
                progress.advance()
    if progress:
        progress.done()
    for position, (i, result) in enumerate(zip(todo, checked)):
        results[i] = result
        if result.cacheable and i in keys and position not in reread:
            cache.put(keys[i], result.findings)
    return [r for r in results if r is not None]


def _run_in_pools(tasks: list, workers: int, project: Project | None, progress) -> tuple[list[FileResult], set[int]]:
    """The results of `tasks`, in order, from a pool of worker processes, and which tasks were
    run on bytes other than those first read. When a worker dies (a crash in a C extension,
    the memory killer), the pool is broken: every file not finished yet is read again (a
    worker may have written its fix before the pool broke) and tried again in a fresh pool,
    one file per call; when a pool breaks before finishing any file, the first file left is
    run alone: if it breaks that pool too, it is the one that kills its worker, and gets a
    finding saying so."""
    results: dict[int, FileResult] = {}
    reread: set[int] = set()
    pending = list(range(len(tasks)))
    # Files are fixed one per call: a batch lost with a broken pool would lose what it did.
    chunk = 1 if tasks and tasks[0][2].mode != "check" else max(1, min(32, len(tasks) // (workers * 4)))
    alone = False
    while pending:
        if alone:
            index = pending.pop(0)
            broken = _pool_round(tasks, [[index]], 1, project, results, progress)
            if broken and index not in results:
                results[index] = _crashed(tasks[index][0])
                if progress:
                    progress.advance()
            alone = False
        else:
            before = len(results)
            batches = [pending[i : i + chunk] for i in range(0, len(pending), chunk)]
            broken = _pool_round(tasks, batches, workers, project, results, progress)
            chunk = 1
            alone = broken and len(results) == before
        pending = [i for i in pending if i not in results]
        for index in pending:
            path, data, job = tasks[index]
            try:
                now = files.read_file(path)
            except (OSError, files.SkippedFile):
                continue  # its check reports what became of it
            if now != data:
                tasks[index] = (path, now, job)
                reread.add(index)
    return [results[i] for i in range(len(tasks))], reread


def _pool_round(tasks, batches: list[list[int]], workers: int, project, results: dict, progress) -> bool:
    """Run batches of tasks in one pool; True when the pool broke (a worker died)."""
    broken = False
    with ProcessPoolExecutor(max_workers=workers, initializer=_start_worker, initargs=(project,)) as pool:
        try:
            futures = {pool.submit(_process_batch, [tasks[i] for i in batch]): batch for batch in batches}
        except BrokenProcessPool:
            return True
        waiting = set(futures)
        while waiting:
            done, waiting = wait(waiting, return_when=FIRST_COMPLETED)
            for future in done:
                try:
                    batch_results = future.result()
                except BrokenProcessPool:
                    broken = True
                    continue
                for index, result in zip(futures[future], batch_results):
                    results[index] = result
                    if progress:
                        progress.advance()
    return broken


def _crashed(path: str) -> FileResult:
    finding = Finding(SYNTAX_CODE, CRASH_MESSAGE, Severity.HIGH, Range.of(0, 0, 0, 0))
    return FileResult(path, [finding])


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


def _process_batch(tasks: list[tuple[str, bytes, Job]]) -> list[FileResult]:
    return [_process(task) for task in tasks]


def _process(task: tuple[str, bytes, Job]) -> FileResult:
    """Check (and maybe fix) one file; runs in a worker process. An exception the checker did
    not expect costs the file a finding, not the run."""
    path, data, job = task
    try:
        return _process_data(path, data, job)
    except Exception:  # RecursionError and MemoryError among them
        return _crashed(path)


def _process_data(path: str, data: bytes, job: Job, named: bool = True) -> FileResult:
    """Check the bytes `data` read from `path`; fix them as `job` says. `named`: False for
    standard input without `--stdin-filename` (settings from the working directory, no
    module name)."""
    result = FileResult(path)
    try:
        settings = _settings(path if named else os.path.join(os.getcwd(), "-"), job)
    except ConfigError as exc:
        result.errors.append(f"celery-patterns: {path}: {exc}")
        return result
    # Without a pyproject.toml the directory the check runs from is the project (as the
    # editor takes the workspace folder).
    module_name = module_name_for(path, settings.root or os.getcwd()) if named else None
    project = _PROJECT if named else None
    checked = check_bytes(data, path, settings, module_name, project=project)
    result.errors.extend(checked.errors)
    result.findings = checked.report.findings
    result.cacheable = not checked.errors
    source = checked.report.source
    if job.mode == "check" or source is None or not any(f.fixable for f in result.findings):
        return result
    outcome = fix_source(source, path, settings, unsafe=job.unsafe, module_name=module_name, project=project)
    if outcome.source == source:
        return result
    result.cacheable = False
    result.fixed = outcome.applied
    result.fixed_codes = dict(Counter(f.code for f in result.findings) - Counter(f.code for f in outcome.remaining))
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
    # Encoded before anything is written: a fix that brings a character the file's encoding
    # cannot hold leaves the file as it was.
    try:
        fixed = encode_source(outcome.source, data)
    except (UnicodeEncodeError, LookupError, SyntaxError) as exc:
        return _not_written(result, f"the fixed text cannot be encoded in the file's encoding ({exc})")
    if not job.write:
        result.fixed_data = fixed
        result.findings = outcome.remaining
        return result
    if job.fix_root is not None and not _inside(os.path.realpath(path), job.fix_root):
        result.fixed, result.fixed_codes = 0, {}
        result.warnings.append(
            f"celery-patterns: {path}: a link to a file outside {job.fix_root}; not fixed (fix it where it is)"
        )
        return result
    try:
        files.replace_file(path, fixed, data)
    except files.FileChanged as exc:
        return _not_written(result, str(exc))
    except OSError as exc:
        return _not_written(result, f"cannot write the fix: {exc.strerror or exc}")
    result.findings = outcome.remaining
    return result


def _not_written(result: FileResult, why: str) -> FileResult:
    result.fixed, result.fixed_codes = 0, {}
    result.errors.append(f"celery-patterns: {result.path}: {why}")
    return result


def _inside(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)


def _settings(path: str, job: Job) -> Settings:
    if job.config is not None:
        settings = validated(config.load_settings(Path(job.config)), job.config)
    else:
        settings = engine_settings_for(os.path.dirname(os.path.abspath(path)))
    select = job.select if job.select is not None else settings.select
    if job.extend_select and select is not None:
        select = tuple(select) + job.extend_select
    return settings.merged(
        select=select,
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
    project = project_for(root, _or_default(engine_settings_for), use_cache=not args.no_cache)
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
    try:
        page = rule_page(code)
    except KeyError:
        print(f"celery-patterns: unknown rule {code!r}; `celery-patterns rules` lists them", file=sys.stderr)
        return 2
    print(page, end="")
    return 0


def _rules(fmt: str) -> int:
    if fmt == "json":
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
