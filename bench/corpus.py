"""Rebuild the accuracy corpus: real Celery services, as their source distributions on PyPI.

Each project below is an application or service that uses Celery for its own work (it defines tasks
and an app, dispatches them, and often polls or cancels results), not Celery itself. Versions are
pinned and each sdist's sha256 is checked, so every machine builds the same corpus. The corpus lives
outside the repository (default ``~/.cache/celery-patterns/corpus``; ``--dir`` or
``CELERY_PATTERNS_CORPUS`` to override): the repository's .gitignore would hide it from the tool, and
other projects' code never enters this repository.

Layout: ``<dir>/sdists/<file>`` (downloads) and ``<dir>/<name>/`` (one unpacked project each, the
sdist's top folder stripped). A project already unpacked at its pinned version is left alone, so the
script is idempotent; ``--force`` unpacks again.

Download: ``pip download --no-deps --no-binary :all: NAME==VERSION`` (``--ignore-requires-python``:
the code is read, never run). Where pip cannot prepare an old sdist's metadata, the file named in the
table is taken from the same index through its JSON Simple API (PEP 691). Only PyPI is reached.

Why each qualifies: counts from grep over the unpacked sdist (``*.py``): task definitions
(``@shared_task``, ``@<app>.task``, or the project's own task decorator), dispatches
(``.delay(``/``.apply_async(``), ``AsyncResult``, ``send_task(``. ``--counts`` recomputes them.

    python bench/corpus.py [--dir DIR] [--only NAME,...] [--force] [--counts]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DIR = Path(os.environ.get("CELERY_PATTERNS_CORPUS", Path.home() / ".cache" / "celery-patterns" / "corpus"))
INDEX = "https://pypi.org/simple"


@dataclass(frozen=True)
class Project:
    name: str  # PyPI name, also the folder name in the corpus
    version: str
    filename: str  # the sdist's file name on PyPI
    sha256: str
    stack: str  # web framework + how Celery is used
    why: str  # grep counts at this version: tasks / delay+apply_async / AsyncResult / send_task


PROJECTS: list[Project] = [
    # Django + Celery
    Project(
        "weblate",
        "2026.10.1",
        "weblate-2026.10.1.tar.gz",
        "2da6d85241de0d26d759ead1736b0d1d0b1feac85fb4cd2462e8d2c8c851b4f4",
        "Django; app with CELERY_ settings, beat, per-component task queues",
        "tasks 108, dispatch 61, AsyncResult 63, send_task 0",
    ),
    Project(
        "pretix",
        "2026.8.0",
        "pretix-2026.8.0.tar.gz",
        "97c46dab676f8c29461c81dce90c6fb7812b29fe9181f8d1288a32f36e11cc64",
        "Django; async views that dispatch then poll AsyncResult; plugins' tasks",
        "tasks 42, dispatch 86, AsyncResult 13, send_task 2",
    ),
    Project(
        "mayan-edms",
        "4.12.2",
        "mayan_edms-4.12.2.tar.gz",
        "92c4cc44420742ed2caa1145dbfa68e8153d91d767bee6289cf6cba8208334a0",
        "Django; app built from settings, dozens of queues declared per app",
        "tasks 72, dispatch 92, AsyncResult 0, send_task 0",
    ),
    Project(
        "nautobot",
        "3.2.7",
        "nautobot-3.2.7.tar.gz",
        "d8d90b807c4cf647ed630fc86ec75e5e7fe039d952531a125a29a0aa90d83581",
        "Django; Celery subclass, Jobs run as tasks, results stored in the DB",
        "tasks 3, dispatch 10, AsyncResult 3, send_task 1 (@nautobot_task; Jobs run through a job-runner task)",
    ),
    Project(
        "misago",
        "0.39.6",
        "misago-0.39.6.tar.gz",
        "67265caa84e0c1a448547b04a123b2ae9e5fb5ae5f53d9343ec2d9dd14e91074",
        "Django; shared_task for notifications and cleanup",
        "tasks 7, dispatch 11, AsyncResult 0, send_task 0",
    ),
    Project(
        "openwisp-controller",
        "1.3.2",
        "openwisp_controller-1.3.2.tar.gz",
        "a8dbee7f41b3d046f1a04b9af0a1d9d2996f846d8e8a0ff56185952d3dce9310",
        "Django; device config push and connection tasks",
        "tasks 27, dispatch 42, AsyncResult 0, send_task 1",
    ),
    Project(
        "openwisp-monitoring",
        "1.3",
        "openwisp_monitoring-1.3.tar.gz",
        "fd61c2d24b4f82c4ff45a71744148efa3a9750a16af5bd47fb492813260a8faa",
        "Django; periodic checks and metric writes as tasks",
        "tasks 13, dispatch 33, AsyncResult 0, send_task 0",
    ),
    Project(
        "edx-enterprise",
        "8.18.0",
        "edx_enterprise-8.18.0.tar.gz",
        "b5a30d743f2b1fcbbac78a5a1f0dceddd6f64f557ca73c576cd06a0bec90c1e4",
        "Django (Open edX plugin); shared_task, runs in the LMS's worker",
        "tasks 18, dispatch 16, AsyncResult 0, send_task 0",
    ),
    Project(
        "ora2",
        "7.1.2",
        "ora2-7.1.2.tar.gz",
        "d9082095adc6d6f19f2866fbe9fdc05b469d20298eff01dd5f0e0a1f8979e8e9",
        "Django (Open edX XBlock); shared_task for grading/report jobs",
        "tasks 5, dispatch 8, AsyncResult 0, send_task 0",
    ),
    Project(
        "arches",
        "8.1.5",
        "arches-8.1.5.tar.gz",
        "2060be779e09310907a8d0c524850d4f19aeba753e9ee5d901eac0b0e6ff06b5",
        "Django; Celery app from Django settings, export/import tasks, a worker check",
        "tasks 24, dispatch 15, AsyncResult 0, send_task 0",
    ),
    Project(
        "saleor",
        "2.10.1",
        "saleor-2.10.1.tar.gz",
        "252931a2e9ac7115de347165812819528fde9e55598994cb4dff341f1fec496b",
        "Django + GraphQL; emails, webhooks, exports as tasks",
        "tasks 24, dispatch 44, AsyncResult 0, send_task 0",
    ),
    Project(
        "doccano",
        "1.8.4",
        "doccano-1.8.4.tar.gz",
        "ac50f8f182bc97b97a7590f9d279ffffa6dd5eda183675eb51377ed139bbbb27",
        "Django REST; import/export tasks whose status the UI polls by task id",
        "tasks 2, dispatch 2, AsyncResult 4, send_task 0",
    ),
    # Flask (and Eve) + Celery
    Project(
        "lemur",
        "1.9.3",
        "lemur-1.9.3.tar.gz",
        "a02df46a166338a0b5b00a8ce01fd9078b03f37cfc26523cec6d0c0d216d6183",
        "Flask; Celery app bound to the Flask app, beat schedule of maintenance tasks",
        "tasks 24, dispatch 5, AsyncResult 0, send_task 0",
    ),
    Project(
        "apache-superset",
        "6.1.0",
        "apache_superset-6.1.0.tar.gz",
        "56976e5773864f906e30a689dec2641e554286e8be860ecc1e3d4ff5ff6b2e32",
        "Flask; async queries, reports, thumbnails and cache warm-up as tasks",
        "tasks 18, dispatch 14, AsyncResult 0, send_task 0",
    ),
    Project(
        "celery-director",
        "0.10.0",
        "celery-director-0.10.0.tar.gz",
        "51cc097db4700a19b7aba0f102606590971b493c26b06db42c689c82a7839d44",
        "Flask; builds workflows (chains/groups) of user tasks and tracks them",
        "tasks 7, dispatch 3, AsyncResult 0, send_task 0",
    ),
    Project(
        "superdesk-core",
        "2.5.3",
        "Superdesk-Core-2.5.3.tar.gz",
        "489887fb8aae018806bf012567e26ccdf7227b286e7ba92e7cdf657b5c6d9eb9",
        "Eve/Flask; ingest, publish and housekeeping tasks with locks",
        "tasks 18, dispatch 19, AsyncResult 0, send_task 0",
    ),
    Project(
        "opencve",
        "1.5.0",
        "opencve-1.5.0.tar.gz",
        "c14027be26544583b90f7e207596825a0961d232379b1b45aa62c652b08a9ba8",
        "Flask; periodic CVE import and alert chains",
        "tasks 6, dispatch 1, AsyncResult 0, send_task 0",
    ),
    # FastAPI + Celery
    Project(
        "fidesops",
        "1.8.2",
        "fidesops-1.8.2.tar.gz",
        "61d7b2abe8f50902c89e3a834da27af5ff38e69bfdb910b571d8dac571515b3d",
        "FastAPI; privacy-request execution as tasks, results polled",
        "tasks 2, dispatch 3, AsyncResult 4, send_task 0",
    ),
    Project(
        "ethyca-fides",
        "2.86.2",
        "ethyca_fides-2.86.2.tar.gz",
        "8c641119ad65f9b2fe09cd5a12cd414e2b15435af6f7774ffc5426c80adbe302",
        "FastAPI; privacy-request pipeline and scheduled jobs as tasks",
        "tasks 16, dispatch 106, AsyncResult 4, send_task 0",
    ),
    Project(
        "galaxy-app",
        "26.1.2",
        "galaxy_app-26.1.2.tar.gz",
        "8b22b7302bf3100eaf9239ee9abdc76b1889bf2569696430dfaf1c2a8aa0ffb8",
        "FastAPI (+ legacy WSGI); Celery subclass, @galaxy_task, results awaited by the API",
        "tasks 43, dispatch 11, AsyncResult 6, send_task 7 (mostly @galaxy_task)",
    ),
    Project(
        "langflow-base",
        "0.0.96",
        "langflow_base-0.0.96.tar.gz",
        "e11d94134836ce030f53345895cfbdba2b6b015dacaa789095022a54a07ee42a",
        "FastAPI; optional Celery backend for flow builds, results polled",
        "tasks 3, dispatch 2, AsyncResult 6, send_task 0",
    ),
    # Other stacks
    Project(
        "flower",
        "2.2.0",
        "flower-2.2.0.tar.gz",
        "c4f4751942ff8b5069e6604a136e073b860971b7658859bdc61da1dc17a4bb32",
        "Tornado; monitoring UI/API: applies tasks by name, reads and revokes results",
        "tasks 2, dispatch 3, AsyncResult 20, send_task 1",
    ),
    Project(
        "apache-airflow-providers-celery",
        "3.26.0",
        "apache_airflow_providers_celery-3.26.0.tar.gz",
        "eff3e4474f28efc101ebcb4fadb4536ef579514273c8ce753fef816bf1196890",
        "Airflow's CeleryExecutor: dispatches workloads, polls and revokes results",
        "tasks 3, dispatch 1, AsyncResult 28, send_task 0",
    ),
]

TASK_RE = re.compile(r"@shared_task|@[A-Za-z_][\w.]*\.task\b|@[a-z_]*_task\b")
DISPATCH_RE = re.compile(r"\.(?:delay|apply_async)\(")
RESULT_RE = re.compile(r"AsyncResult")
SEND_RE = re.compile(r"send_task\(")


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def pip_download(project: Project, dest: Path) -> bool:
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--quiet",
        "--no-deps",
        "--no-binary",
        ":all:",
        "--ignore-requires-python",
        "--disable-pip-version-check",
        "-d",
        str(dest),
        f"{project.name}=={project.version}",
    ]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["?"])[-1]
        print(f"  pip download failed ({last[:120]}); using the index's file list", file=sys.stderr)
    return (dest / project.filename).exists()


def index_download(project: Project, dest: Path) -> None:
    request = urllib.request.Request(
        f"{INDEX}/{project.name}/", headers={"Accept": "application/vnd.pypi.simple.v1+json"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        files = json.load(response)["files"]
    url = next(f["url"] for f in files if f["filename"] == project.filename)
    part = dest / (project.filename + ".part")
    with urllib.request.urlopen(url, timeout=300) as response, part.open("wb") as out:
        shutil.copyfileobj(response, out)
    part.replace(dest / project.filename)


def fetch(project: Project, sdists: Path) -> Path:
    path = sdists / project.filename
    if path.exists() and sha256(path) == project.sha256:
        return path
    path.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(dir=sdists) as tmp:
        if pip_download(project, Path(tmp)):
            (Path(tmp) / project.filename).replace(path)
        else:
            index_download(project, sdists)
    got = sha256(path)
    if got != project.sha256:
        path.unlink()
        raise SystemExit(f"{project.filename}: sha256 {got} does not match the pinned {project.sha256}")
    return path


def unpack(archive: Path, target: Path) -> None:
    staging = target.with_name(target.name + ".unpacking")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    if archive.name.endswith(".zip"):
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(staging)
    else:
        with tarfile.open(archive) as tf:
            if sys.version_info >= (3, 12):
                tf.extractall(staging, filter="data")
            else:  # 3.10/3.11 without the filter: refuse members that leave the folder
                for member in tf.getmembers():
                    resolved = (staging / member.name).resolve()
                    if not str(resolved).startswith(str(staging.resolve())) or member.issym() or member.islnk():
                        continue
                    tf.extract(member, staging)
    entries = list(staging.iterdir())
    root = entries[0] if len(entries) == 1 and entries[0].is_dir() else staging
    shutil.rmtree(target, ignore_errors=True)
    root.rename(target)
    shutil.rmtree(staging, ignore_errors=True)


def python_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if p.is_file())


def measure(root: Path, counts: bool) -> dict:
    files = python_files(root)
    lines = 0
    tasks = dispatch = results = sends = 0
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        lines += text.count("\n")
        if counts:
            tasks += len(TASK_RE.findall(text))
            dispatch += len(DISPATCH_RE.findall(text))
            results += len(RESULT_RE.findall(text))
            sends += len(SEND_RE.findall(text))
    info = {"files": len(files), "lines": lines}
    if counts:
        info["counts"] = f"tasks {tasks}, dispatch {dispatch}, AsyncResult {results}, send_task {sends}"
    return info


def build(directory: Path, only: set[str] | None = None, force: bool = False, counts: bool = False) -> list[dict]:
    sdists = directory / "sdists"
    sdists.mkdir(parents=True, exist_ok=True)
    rows = []
    for project in PROJECTS:
        if only and project.name not in only:
            continue
        target = directory / project.name
        marker = target / ".celery-patterns-corpus"
        if force or not marker.exists() or marker.read_text().strip() != project.version:
            print(f"- {project.name}=={project.version}: fetching", file=sys.stderr)
            unpack(fetch(project, sdists), target)
            marker.write_text(project.version + "\n")
        rows.append(
            {
                "name": project.name,
                "version": project.version,
                "path": str(target),
                "stack": project.stack,
                "why": project.why,
                **measure(target, counts),
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help=f"corpus folder (default {DEFAULT_DIR})")
    parser.add_argument("--only", help="comma-separated project names")
    parser.add_argument("--force", action="store_true", help="download and unpack again")
    parser.add_argument("--counts", action="store_true", help="recompute the grep counts")
    parser.add_argument("--json", action="store_true", help="print the table as JSON")
    args = parser.parse_args(argv)
    only = set(args.only.split(",")) if args.only else None
    rows = build(args.dir.expanduser(), only, args.force, args.counts)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"corpus: {args.dir.expanduser()}")
    print(f"{'project':34} {'version':>10} {'files':>6} {'lines':>8}  why")
    for row in rows:
        print(
            f"{row['name']:34} {row['version']:>10} {row['files']:6d} {row['lines']:8d}  "
            f"{row.get('counts', row['why'])}"
        )
    print(f"{'total':34} {'':>10} {sum(r['files'] for r in rows):6d} {sum(r['lines'] for r in rows):8d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
