"""Benchmark of the project model on a large workspace (run by hand, never a timed test).

    .venv/bin/python bench/model_bench.py [--files 3000] [--repeat 3] [--requests 100] [--edits 50]

Workspace: `--files` Python files (default 3,000) in two services, generated with a fixed seed:
`api/` (3/5 of the files: routers, services, schemas... with an app, task routes with exact
keys and patterns, and a beat schedule) dispatching by name (`signature("worker.x.y")`,
`app.send_task(...)`) to `worker/` (2/5: task modules of 1-4 tasks with their helpers). File
sizes follow a log-normal law (median ~110 lines, a few of 1,000+); one module of the API
is 2,000 lines long, dispatch-heavy (one dispatch every ~17 lines).

Measured:
(a) `celery-patterns check --no-cache --no-progress` of the whole workspace (what the CLI does
    for a project: the model, in worker processes, then every rule on every file);
(b) the language server, from the `initialized` notification to the end of its
    "Indexing Celery tasks" progress, with no cache (the workspace's cache folder removed
    first); and once more with the cache the first run left (a restart);
(c) `textDocument/definition`, `hover` and `completion` latency (send to answer, one request
    at a time, `--requests` each) on the task-name strings of the 2,000-line module, opened;
(d) keystroke -> diagnostics: the time from `didChange` to the `publishDiagnostics` of that
    version on the open 2,000-line module (`--edits` edits, alternately a character typed
    into a comment and one into an argument of a dispatch), with the model (the whole
    workspace indexed) and without it (the same file alone in an otherwise empty workspace).

(a) and (b) are the best of `--repeat` runs (least disturbed by other load). The client is
`bench/lsp_bench.py`'s raw JSON-RPC client over pipes (VS Code's capabilities: push
diagnostics, UTF-16, work-done progress): no client library in the measured path.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lsp_bench import PUSH_CLIENT, Server  # noqa: E402  (the raw client)

CACHE_DIRECTORY = ".celery-patterns-cache"
BIG = Path("api/routers/bulk_operations.py")
BIG_LINES = 2000

# --- the workspace ---------------------------------------------------------------------------
WORDS = (
    "account asset batch billing catalog cluster comment document embedding export feed file "
    "image index invoice job ledger media message metric model node order page payment photo "
    "pipeline project queue record report request sample schema search session shard snapshot "
    "source stream summary tag tenant thumbnail token upload user video webhook workspace"
).split()
VERBS = (
    "build check clean collect compute convert delete enrich export fetch index ingest load "
    "merge notify parse process purge rebuild refresh render resize score send sync transcode "
    "update validate"
).split()
PARAMS = ("project_id", "item_id", "tenant_id", "path", "options", "limit", "source_url", "user_id")
API_PACKAGES = (
    "routers services schemas core clients repositories auth admin billing search media "
    "notifications reports exports integrations webhooks analytics storage users projects"
).split()
WORKER_DOMAINS = (
    "ingest embeddings media reports billing notifications search exports cleanup analytics "
    "thumbnails sync indexing scoring"
).split()


class Gen:
    """Python text of plausible shape: classes, functions, loops, logging, comprehensions."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.n = 0

    def ident(self) -> str:
        self.n += 1
        return f"{self.rng.choice(VERBS)}_{self.rng.choice(WORDS)}_{self.n}"

    def body(self, indent: str, lines: int) -> list[str]:
        """About `lines` lines of statements at `indent`."""
        r, out = self.rng, []
        while len(out) < lines:
            kind = r.randrange(9)
            a, b = r.choice(WORDS), r.choice(WORDS)
            if kind == 0:
                out += [
                    f"{indent}for {a}_item in {b}s:",
                    f"{indent}    if not {a}_item.get({a!r}):",
                    f"{indent}        continue",
                    f"{indent}    result.append(_normalise({a}_item, limit=limit))",
                ]
            elif kind == 1:
                out += [
                    f"{indent}try:",
                    f"{indent}    {a} = client.fetch({b!r}, timeout=30)",
                    f"{indent}except (KeyError, ValueError) as error:",
                    f'{indent}    logger.warning("could not fetch {b}: %s", error)',
                    f"{indent}    {a} = None",
                ]
            elif kind == 2:
                out.append(f"{indent}{a}_by_{b} = {{x.id: x for x in {a}s if x.{b}_id is not None}}")
            elif kind == 3:
                out += [
                    f"{indent}if {a} is None or len({a}) > limit:",
                    f'{indent}    raise ValueError(f"bad {a}: {{{a}!r}}")',
                ]
            elif kind == 4:
                out.append(f'{indent}logger.info("{r.choice(VERBS)} %s for %s", {a}, {b})')
            elif kind == 5:
                out += [f"{indent}# {r.choice(VERBS)} the {a} before the {b} is {r.choice(VERBS)}ed"]
            elif kind == 6:
                out.append(f"{indent}total += sum(len(x.{a}s) for x in {b}s)")
            elif kind == 7:
                out += [
                    f"{indent}with open(path, encoding='utf-8') as handle:",
                    f"{indent}    {a}_lines = [line.strip() for line in handle if line.strip()]",
                ]
            else:
                out.append(f"{indent}{a} = {{'id': {b}_id, 'kind': {r.choice(WORDS)!r}, 'count': len({b}s)}}")
        return out

    def function(self, lines: int, is_async: bool = False) -> list[str]:
        name = self.ident()
        params = ", ".join(self.rng.sample(PARAMS, self.rng.randint(1, 4)))
        head = [f"{'async ' if is_async else ''}def {name}({params}, limit: int = 100):"]
        head.append(f'    """{name.split("_")[0].capitalize()} the {self.rng.choice(WORDS)}s."""')
        return [*head, "    result, total = [], 0", *self.body("    ", max(lines - 4, 1)), "    return result", ""]

    def klass(self, lines: int) -> list[str]:
        name = "".join(w.capitalize() for w in self.rng.sample(WORDS, 2)) + str(self.n)
        self.n += 1
        out = [f"class {name}:", f'    """A {self.rng.choice(WORDS)} of the API."""', ""]
        while len(out) < lines:
            method = self.ident()
            out += [f"    def {method}(self, limit: int = 10):", "        result, total = [], 0"]
            out += self.body("        ", self.rng.randint(4, 12))
            out += ["        return result", ""]
        return out + [""]

    def filler(self, lines: int, is_async_share: float = 0.0) -> list[str]:
        out: list[str] = []
        while len(out) < lines:
            size = min(self.rng.randint(8, 40), max(lines - len(out), 6))
            if self.rng.random() < 0.25:
                out += self.klass(size)
            else:
                out += self.function(size, is_async=self.rng.random() < is_async_share)
            out.append("")
        return out


def file_size(rng: random.Random) -> int:
    """Lines of one module: log-normal, median ~110, clamped to 15..1,500."""
    return int(min(max(rng.lognormvariate(math.log(110), 0.85), 15), 1500))


class Workspace:
    """The generated workspace: its files, tasks, and the 2,000-line module's dispatches."""

    def __init__(self, root: Path, files: int, seed: int = 7) -> None:
        self.root = root
        self.rng = random.Random(seed)
        self.gen = Gen(self.rng)
        self.tasks: list[tuple[str, int]] = []  # (registered name, positional parameters)
        self.written = 0
        self.lines = 0
        worker_files = files * 2 // 5
        self._worker(worker_files)
        self._api(files - worker_files)

    def write(self, relative: str, lines: list[str]) -> None:
        text = "\n".join(lines).rstrip("\n") + "\n"
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        if relative.endswith(".py"):
            self.written += 1
            self.lines += text.count("\n")

    # -- the worker: tasks ------------------------------------------------------------------
    def _worker(self, files: int) -> None:
        rng = self.rng
        self.write("worker/requirements.txt", ["celery[redis]==5.6.3", "sqlalchemy>=2"])
        self.write("worker/__init__.py", ['"""The worker service."""'])
        self.write(
            "worker/celery_app.py",
            [
                '"""The worker\'s Celery app."""',
                "",
                "from celery import Celery",
                "",
                'app = Celery("worker", broker="redis://redis:6379/0", backend="redis://redis:6379/1")',
                "app.conf.update(",
                '    task_serializer="json",',
                '    accept_content=["json"],',
                '    timezone="UTC",',
                '    task_routes={"worker.*": {"queue": "worker"}},',
                ")",
            ],
        )
        left = files - 2
        per_domain = math.ceil(left / len(WORKER_DOMAINS))
        for domain in WORKER_DOMAINS:
            if left <= 0:
                break
            self.write(f"worker/{domain}/__init__.py", [f'"""Tasks of {domain}."""'])
            left -= 1
            for j in range(min(per_domain - 1, left)):
                self._task_module(f"worker/{domain}/tasks_{j}.py", domain, j, file_size(rng))
                left -= 1

    def _task_module(self, relative: str, domain: str, j: int, lines: int) -> None:
        rng, gen = self.rng, self.gen
        out = [
            f'"""{domain.capitalize()} tasks, part {j}."""',
            "",
            "import logging",
            "import time",
            "",
            "from worker.celery_app import app",
            "",
            "logger = logging.getLogger(__name__)",
            "",
            "",
        ]
        tasks = rng.randint(1, 4)
        budget = max(lines - len(out), tasks * 12)
        for _ in range(tasks):
            function = gen.ident()
            params = rng.sample(PARAMS, rng.randint(1, 4))
            named = rng.random() < 0.85
            name = f"worker.{domain}.{function}" if named else f"worker.{domain}.tasks_{j}.{function}"
            self.tasks.append((name, len(params)))
            options = rng.choice(["", ", bind=True, max_retries=3", ", acks_late=True", ", rate_limit='10/m'"])
            bind = "self, " if "bind" in options else ""
            decorator = f'@app.task(name="{name}"{options})' if named else f"@app.task({options.lstrip(', ')})"
            out += [decorator, f"def {function}({bind}{', '.join(params)}):"]
            out.append(f'    """{function.split("_")[0].capitalize()} a {domain} {rng.choice(WORDS)}."""')
            out += [
                "    result, total, limit = [], 0, 100",
                *gen.body("    ", budget // tasks // 2),
                "    return result",
                "",
            ]
            out.append("")
        out += gen.filler(max(lines - len(out), 0))
        self.write(relative, out)

    # -- the API: dispatches by name ----------------------------------------------------------
    def dispatch(self, indent: str) -> list[str]:
        """A dispatch by name of one of the worker's tasks (right arguments, mostly)."""
        rng = self.rng
        name, count = rng.choice(self.tasks)
        args = ", ".join(PARAMS[:count])
        kind = rng.randrange(4)
        if kind == 0:
            return [f'{indent}signature("{name}", args=[{args}], app=app).apply_async()']
        if kind == 1:
            return [f'{indent}task_id = app.send_task("{name}", args=[{args}]).id']
        if kind == 2:
            return [
                f"{indent}job = signature(",
                f'{indent}    "{name}",',
                f"{indent}    args=[{args}],",
                f"{indent}    app=app,",
                f"{indent}).apply_async(countdown=5)",
            ]
        return [f'{indent}jobs.append(signature("{name}", args=[{args}], app=app))']

    def _api(self, files: int) -> None:
        rng = self.rng
        self.write("api/requirements.txt", ["fastapi>=0.110", "celery[redis]==5.6.3", "pydantic>=2"])
        self.write("api/__init__.py", ['"""The API service."""'])
        exact = rng.sample(self.tasks, 40)
        routes = [f'    "{name}": {{"queue": "worker-priority"}},' for name, _ in exact]
        routes += [f'    "worker.{domain}.*": {{"queue": "worker-{domain}"}},' for domain in WORKER_DOMAINS[:12]]
        self.write(
            "api/celery_app.py",
            [
                '"""The API\'s Celery app: it sends tasks to the worker by name."""',
                "",
                "from celery import Celery",
                "",
                'app = Celery("api", broker="redis://redis:6379/0", backend="redis://redis:6379/1")',
                'app.conf.update(task_serializer="json", accept_content=["json"], timezone="UTC")',
                "app.conf.task_routes = {",
                *routes,
                "}",
            ],
        )
        beat = rng.sample(self.tasks, 30)
        entries = []
        for i, (name, count) in enumerate(beat):
            args = ", ".join(repr(f"{p}-{i}") for p in PARAMS[:count])
            entries += [
                f'    "{name.rsplit(".", 1)[-1]}-every-{5 * (i + 1)}-minutes": {{',
                f'        "task": "{name}",',
                f'        "schedule": {300.0 * (i + 1)},',
                f'        "args": ({args},),',
                "    },",
            ]
        self.write(
            "api/beat.py",
            ['"""Periodic work of the worker, scheduled from the API."""', "", "from api.celery_app import app", ""]
            + ["app.conf.beat_schedule = {", *entries, "}"],
        )
        self.write(str(BIG), self._api_module("bulk operations", BIG_LINES, dispatch_every=17))
        left = files - 4
        per_package = math.ceil(left / len(API_PACKAGES))
        for package in API_PACKAGES:
            if left <= 0:
                break
            self.write(f"api/{package}/__init__.py", [f'"""{package.capitalize()} of the API."""'])
            left -= 1
            for j in range(min(per_package - 1, left)):
                self.write(f"api/{package}/{package}_{j}.py", self._api_module(package, file_size(rng)))
                left -= 1

    def _api_module(self, what: str, lines: int, dispatch_every: int = 0) -> list[str]:
        """A module of the API of about `lines` lines (exactly, with `dispatch_every`: then a
        function with one dispatch every `dispatch_every` lines)."""
        rng, gen = self.rng, self.gen
        out = [
            f'"""{what.capitalize()}: handlers and the work they hand to the worker."""',
            "",
            "import asyncio",
            "import logging",
            "import time",
            "",
            "from celery import signature",
            "",
            "from api.celery_app import app",
            "",
            "logger = logging.getLogger(__name__)",
            "",
            "",
        ]
        dispatches = 0 if dispatch_every else rng.choice([0, 0, 1, 1, 2, 3])
        functions = []
        while len(out) + sum(map(len, functions)) < lines:
            size = dispatch_every or rng.randint(10, 40)
            is_async = rng.random() < 0.4
            name = gen.ident()
            function = [
                f"{'async ' if is_async else ''}def {name}({', '.join(PARAMS[:4])}, limit: int = 50):",
                f'    """{name.split("_")[0].capitalize()} the {rng.choice(WORDS)}s of a project."""',
                "    result, total, jobs = [], 0, []",
            ]
            if dispatch_every or dispatches > 0:
                dispatches -= 1
                function += gen.body("    ", rng.randint(1, 3))
                function += self.dispatch("    ")
                if is_async and rng.random() < 0.3:  # a finding now and then (CEL002)
                    function += ["    while not result:", "        time.sleep(1)"]
            function += gen.body("    ", max(size - len(function) - 3, 1))
            functions.append([*function, "    return result", "", ""])
        if dispatch_every:  # whole functions only, then constants up to the exact size
            while len(out) + sum(map(len, functions)) > lines:
                functions.pop()
        for function in functions:
            out += function
        out += [f'{rng.choice(WORDS).upper()}_{i} = "{rng.choice(WORDS)}"' for i in range(lines - len(out))]
        return out


# --- measurements ----------------------------------------------------------------------------
def note(text: str) -> None:
    """Where the run is, on stderr."""
    print(f"[model_bench {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


class Timed(Server):
    """lsp_bench's client, noting when `initialized` was sent."""

    def notify(self, method: str, params) -> float:
        sent = super().notify(method, params)
        if method == "initialized":
            self.initialized_at = sent
        return sent


def wait_indexed(server: Server, timeout: float = 600.0) -> tuple[float, str]:
    """Wait for the end of the "Indexing Celery tasks" progress: (when, its message)."""
    tokens = set()
    while True:
        message = server.wait(lambda m: m.get("method") == "$/progress", timeout)
        value = message["params"]["value"]
        if value.get("kind") == "begin" and value.get("title") == "Indexing Celery tasks":
            tokens.add(message["params"]["token"])
        elif value.get("kind") == "end" and message["params"]["token"] in tokens:
            return message["_received"], value.get("message", "")


def cli_check(root: Path, repeat: int) -> dict:
    command = [sys.executable, "-m", "celery_patterns", "check", "--no-cache", "--no-progress", "--format", "json", "."]
    best, findings = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        run = subprocess.run(command, cwd=root, capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        if run.returncode not in (0, 1):
            raise SystemExit(f"celery-patterns check failed ({run.returncode}): {run.stderr[-2000:]}")
        best = min(best, elapsed)
        note(f"(a) celery-patterns check: {elapsed:.2f} s")
        data = json.loads(run.stdout)
        items = data if isinstance(data, list) else data.get("findings", data.get("results", []))
        findings = {}
        for item in items:
            findings[item["code"]] = findings.get(item["code"], 0) + 1
    return {"seconds": round(best, 2), "findings": dict(sorted(findings.items()))}


def indexing(root: Path, repeat: int) -> dict:
    """Cold (no cache) best of `repeat`, then warm (the cache of the last cold run)."""
    cold = []
    for _ in range(repeat):
        shutil.rmtree(root / CACHE_DIRECTORY, ignore_errors=True)
        server = Timed(root, PUSH_CLIENT)
        try:
            ended, message = wait_indexed(server)
            cold.append(ended - server.initialized_at)
            note(f"(b) indexing without cache: {cold[-1]:.2f} s ({message})")
            rss = server.rss_mb()
        finally:
            server.close()
    server = Timed(root, PUSH_CLIENT)
    try:
        ended, _ = wait_indexed(server)
        warm = ended - server.initialized_at
        note(f"(b) indexing with the cache: {warm:.2f} s")
    finally:
        server.close()
    return {
        "cold_seconds": round(min(cold), 2),
        "cold_runs": [round(c, 2) for c in cold],
        "warm_seconds": round(warm, 2),
        "message": message,
        "rss_mb_indexed": round(rss, 1),
    }


def name_positions(text: str) -> list[tuple[int, int, str, bool]]:
    """(line, column of the opening quote, name, whether the call opens on that line) of each
    task-name string dispatched in `text`."""
    found = []
    for number, line in enumerate(text.splitlines()):
        stripped = line.strip()
        for opening in ('signature("', 'send_task("'):
            at = line.find(opening)
            if at >= 0:
                quote = at + len(opening) - 1
                found.append((number, quote, line[quote + 1 : line.index('"', quote + 1)], True))
        if stripped.startswith('"worker.') and stripped.endswith('",'):
            quote = line.index('"')
            found.append((number, quote, stripped[1:-2], False))
    return found


def request_latency(server: Server, uri: str, positions: list, requests: int, budget: float = 60.0) -> dict:
    """Each method `requests` times (after 2 untimed, 1 when it took over 5 s), one at a time;
    a method whose requests take longer than `budget` seconds in all stops early (at least 3
    timed), saying so."""
    # Completion is offered where the call opens on the same line: `signature("worker.|`.
    single_line = [p for p in positions if p[3]]
    figures = {}
    for method in ("textDocument/definition", "textDocument/hover", "textDocument/completion"):
        times, empty, began, warmup = [], 0, time.perf_counter(), 2
        for n in range(requests + 2):
            if len(times) >= 3 and time.perf_counter() - began > budget:
                break
            on = single_line if method.endswith("completion") else positions
            line, quote, _, _ = on[n % len(on)]
            column = quote + 1 + (len("worker.") if method.endswith("completion") else 3)
            params = {"textDocument": {"uri": uri}, "position": {"line": line, "character": column}}
            start = time.perf_counter()
            request_id = server.send_request(method, params)
            answer = server.wait(lambda m, i=request_id: m.get("id") == i, timeout=3600)
            took = answer["_received"] - start
            if n == 0 and took > 5:
                warmup = 1
            if n >= warmup:
                times.append(took * 1000)
            if len(times) >= requests:
                break
            result = answer.get("result")
            if isinstance(result, dict) and "items" in result:
                result = result["items"]
            empty += not result
        figures[method.split("/")[1]] = {
            "median_ms": round(statistics.median(times), 1),
            "p90_ms": round(statistics.quantiles(times, n=10, method="inclusive")[-1], 1)
            if len(times) > 1
            else times[0],
            "max_ms": round(max(times), 1),
            "requests": len(times),
            "stopped_early": len(times) < requests,
            "empty_answers": empty,
        }
        note(f"{method}: median {figures[method.split('/')[1]]['median_ms']} ms over {len(times)}")
    return figures


def _range(line: int, column: int) -> dict:
    return {"start": {"line": line, "character": column}, "end": {"line": line, "character": column}}


def diagnostics_of(server: Server, uri: str, version: int) -> tuple[int, float]:
    message = server.wait(
        lambda m: (
            m.get("method") == "textDocument/publishDiagnostics"
            and m["params"]["uri"] == uri
            and m["params"].get("version") == version
        )
    )
    return len(message["params"]["diagnostics"]), message["_received"]


def keystrokes(server: Server, uri: str, text: str, edits: int, warmup: int = 5) -> dict:
    """The open module's diagnostics after each edit (the document must be open, version 1)."""
    lines = text.splitlines()
    comments = [i for i, line in enumerate(lines) if line.lstrip().startswith("# ")]
    arguments = [i for i, line in enumerate(lines) if "args=[project_id" in line]
    times, counts = [], set()
    for n in range(warmup + edits):
        version = n + 2
        if n % 2:  # into a dispatch's argument: `project_id` -> `project_idx`
            line = arguments[(n * 7) % len(arguments)]
            column = lines[line].index("args=[project_id") + len("args=[project_id")
            change = {"range": _range(line, column), "text": "x"}
            lines[line] = lines[line][:column] + "x" + lines[line][column:]
        else:  # a character at the end of a comment
            line = comments[(n * 11) % len(comments)]
            change = {"range": _range(line, len(lines[line])), "text": "!"}
            lines[line] += "!"
        sent = server.notify(
            "textDocument/didChange", {"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]}
        )
        count, received = diagnostics_of(server, uri, version)
        counts.add(count)
        if n >= warmup:
            times.append((received - sent) * 1000)
    return {
        "median_ms": round(statistics.median(times), 1),
        "p90_ms": round(statistics.quantiles(times, n=10, method="inclusive")[-1], 1),
        "max_ms": round(max(times), 1),
        "edits": len(times),
        "findings": sorted(counts),
    }


def open_and_settle(server: Server, path: Path) -> tuple[str, str, int]:
    text = path.read_text()
    uri = path.as_uri()
    server.open(uri, text)
    count, _ = diagnostics_of(server, uri, 1)
    return uri, text, count


def with_model(root: Path, requests: int, edits: int) -> dict:
    server = Timed(root, PUSH_CLIENT)
    try:
        wait_indexed(server)
        uri, text, count = open_and_settle(server, root / BIG)
        note(f"indexed; {BIG} open, {count} findings")
        positions = name_positions(text)
        figures = {"open_findings": count, "names": len(positions)}
        figures["requests"] = request_latency(server, uri, positions, requests)
        figures["keystrokes"] = keystrokes(server, uri, text, edits)
        note(f"(d) with the model: median {figures['keystrokes']['median_ms']} ms")
        figures["rss_mb"] = round(server.rss_mb(), 1)
        return figures
    finally:
        server.close()


def without_model(root: Path, edits: int) -> dict:
    """The same module alone: its service folder and nothing else to index."""
    with tempfile.TemporaryDirectory() as directory:
        alone = Path(directory)
        (alone / BIG).parent.mkdir(parents=True)
        shutil.copy(root / BIG, alone / BIG)
        shutil.copy(root / "api" / "requirements.txt", alone / "api" / "requirements.txt")
        server = Timed(alone, PUSH_CLIENT)
        try:
            wait_indexed(server)
            uri, text, count = open_and_settle(server, alone / BIG)
            figures = {"open_findings": count, "keystrokes": keystrokes(server, uri, text, edits)}
            note(f"(d) without the model: median {figures['keystrokes']['median_ms']} ms")
            return figures
        finally:
            server.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--edits", type=int, default=50)
    parser.add_argument("--keep", help="generate the workspace in this folder and keep it")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    directory = args.keep or tempfile.mkdtemp(prefix="celery-patterns-model-bench-")
    root = Path(directory)
    if root.exists() and any(root.iterdir()):
        shutil.rmtree(root)
    root.mkdir(parents=True, exist_ok=True)
    try:
        (root / ".git").mkdir()  # the workspace, for the command line as for the editor
        workspace = Workspace(root, args.files)
        note(f"generated {workspace.written} files, {workspace.lines:,} lines, {len(workspace.tasks)} tasks in {root}")
        results = {
            "workspace": {
                "files": workspace.written,
                "lines": workspace.lines,
                "tasks": len(workspace.tasks),
                "big_module_lines": len((root / BIG).read_text().splitlines()),
            },
            "cli_check": cli_check(root, args.repeat),
            "indexing": indexing(root, args.repeat),
            "with_model": with_model(root, args.requests, args.edits),
            "without_model": without_model(root, args.edits),
            "python": sys.version.split()[0],
            "cpu": os.cpu_count(),
        }
        results["load_average"] = [round(x, 1) for x in os.getloadavg()]
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    w, a, b = results["workspace"], results["cli_check"], results["indexing"]
    print(
        f"workspace: {w['files']} files, {w['lines']:,} lines, {w['tasks']} tasks; "
        f"{results['cpu']} cores, Python {results['python']}; load average at the end {results['load_average']}"
    )
    print(f"(a) celery-patterns check --no-cache: {a['seconds']} s (best of {args.repeat}), findings {a['findings']}")
    print(
        f"(b) initialized -> indexing ended: {b['cold_seconds']} s without cache (runs {b['cold_runs']}), "
        f"{b['cold_seconds'] / a['seconds']:.2f}x (a) [target <= 1.5x]; with the cache {b['warm_seconds']} s; "
        f"'{b['message']}'; server RSS {b['rss_mb_indexed']} MB"
    )
    m = results["with_model"]
    print(f"(c) on the {w['big_module_lines']}-line module's {m['names']} task-name strings [target median < 20 ms]")
    for method, r in m["requests"].items():
        print(
            f"    {method:11} median {r['median_ms']} ms, p90 {r['p90_ms']} ms, max {r['max_ms']} ms "
            f"({r['requests']} requests, {r['empty_answers']} empty)"
        )
    k, n = m["keystrokes"], results["without_model"]["keystrokes"]
    print("(d) didChange -> publishDiagnostics of that version, the open 2,000-line module")
    print(
        f"    with the model:    median {k['median_ms']} ms, p90 {k['p90_ms']} ms, max {k['max_ms']} ms, findings {k['findings']}"
    )
    print(
        f"    without the model: median {n['median_ms']} ms, p90 {n['p90_ms']} ms, max {n['max_ms']} ms, findings {n['findings']}"
    )
    print(f"    server RSS with the model and the module open: {m['rss_mb']} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
