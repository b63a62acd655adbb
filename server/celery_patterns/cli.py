"""Command line: `celery-patterns check | rule CODE | rules | tasks | lsp`.

Exit codes: 0 nothing found, 1 findings (with --diff: fixes to make), 2 usage or
configuration error, or a file that could not be read or written.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import TextIO

from . import __version__, config, files, inventory
from .config import ConfigError, Settings
from .discovery import is_force_excluded, python_files
from .docs import SYNTAX_CODE, rule_page
from .engine import project_for, validated, workspace_of
from .engine import settings_for as engine_settings_for
from .engine.batch import FileResult, Job, check_files, process_data, start_worker
from .model.project import Project
from .output import FORMATTERS, Options, fix_hint, format_fix_summary, format_statistics, hidden_unsafe, plural
from .rules import all_codes, all_rules
from .source import LineIndex, decode_source

PROGRESS_THRESHOLD = 50


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
    job = _job(args, mode, fix_root=os.path.realpath(root))
    show_progress = (
        not args.no_progress
        and not args.quiet
        and args.format == "text"
        and sys.stderr.isatty()
        and len(found) >= PROGRESS_THRESHOLD
    )
    try:
        results = check_files(
            found,
            job,
            root=root,
            model_settings=_or_default(settings_for),
            jobs=args.jobs,
            use_cache=not args.no_cache,
            progress=_Progress if show_progress else None,
        )
    except BrokenProcessPool:
        print(_died(root), file=sys.stderr)
        return 2

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
        print(_died(root), file=sys.stderr)
        return None


def _died(root: str) -> str:
    return f"celery-patterns: internal error: a worker process died while reading the workspace {root}"


def _or_default(settings_for: Callable[[str], Settings]) -> Callable[[str], Settings]:
    """The project model reads every file: the defaults where a configuration is invalid (a
    check of that file reports the error)."""

    def settings_or_default(path: str) -> Settings:
        try:
            return settings_for(path)
        except ConfigError:
            return Settings()

    return settings_or_default


def _job(args: argparse.Namespace, mode: str, **where) -> Job:
    """The run the command line asks for: its mode, rule selection and configuration
    (`where`: where fixes go, a tree or standard output)."""
    return Job(
        mode,
        args.unsafe_fixes,
        args.select,
        tuple(args.ignore) + tuple(args.extend_ignore),
        tuple(args.extend_select),
        os.path.abspath(args.config) if args.config else None,
        **where,
    )


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
    job = _job(args, mode, write=False)
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
    start_worker(project)
    result = process_data(path, data, job, named=bool(name))
    if mode == "fix":
        _write_stdout(result.fixed_data if result.fixed_data is not None else data)
    return _finish(args, report, [result], mode, root, lines)


def _write_stdout(data: bytes) -> None:
    sys.stdout.flush()
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


# --- progress -------------------------------------------------------------------------------
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
