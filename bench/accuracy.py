"""Accuracy on real Celery services: run the checker over the corpus, and score judged findings.

The corpus is the one ``bench/corpus.py`` builds (default ``~/.cache/celery-patterns/corpus``). Each
project is checked on its own, from its own folder, as its maintainers would run it:
``celery-patterns check --format json .``. Every finding goes to a JSON-lines file, one object a line:
``{"project", "path" (relative to the project), "line", "code", "message"}``. Counts per rule and per
project are printed; CEL000 (a file the tool could not parse) is counted apart, since it says which
code went unread rather than what is wrong with it.

Judging: a CSV with the header ``project,path,line,code,verdict,reason``, one row a finding, where
``verdict`` is
- ``act`` (or ``tp``): the finding is true by RULES.md and the project's maintainer would change the code;
- ``wontfix``: true by RULES.md, but the maintainer would leave it (deliberate, harmless, test code);
- ``fp``: false by RULES.md: the rule read the code wrongly (``reason`` says how, in general terms).
Per rule: precision = (act + tp + wontfix) / judged, act-share = (act + tp) / judged. Findings with no
row are reported as unjudged, rows with no finding as stale. ``--template`` writes a CSV of the
unjudged findings to fill in (all of them, or a stratified sample of ``--sample N`` per rule).

    python bench/accuracy.py --out findings.jsonl [--judgements bench/judgements] [--dir DIR]
                             [--tool PATH] [--only NAME,...] [--template new.csv [--sample 25]]
    python bench/accuracy.py --findings findings.jsonl --judgements bench/judgements   # score only
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpus  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_TOOL = ROOT / ".venv" / "bin" / "celery-patterns"
TRUE_ACT = {"act", "tp"}
TRUE_NO_ACT = {"wontfix"}
FALSE = {"fp"}
VERDICTS = TRUE_ACT | TRUE_NO_ACT | FALSE


def run_project(tool: Path, project_dir: Path, name: str) -> list[dict]:
    # --no-cache: every run measures the code under test, never results cached by another version
    command = [str(tool), "check", "--format", "json", "--no-progress", "--no-cache", "."]
    done = subprocess.run(command, cwd=project_dir, capture_output=True, text=True)
    if done.returncode not in (0, 1):
        raise SystemExit(f"{name}: {' '.join(command)} exited {done.returncode}\n{done.stderr[-2000:]}")
    rows = []
    for item in json.loads(done.stdout or "[]"):
        path = Path(item["path"])
        if path.is_absolute():
            path = path.relative_to(project_dir.resolve())
        rows.append(
            {
                "project": name,
                "path": path.as_posix(),
                "line": int(item["line"]),
                "code": item["code"],
                "message": item["message"],
            }
        )
    rows.sort(key=lambda r: (r["path"], r["line"], r["code"]))
    return rows


def collect(directory: Path, tool: Path, only: set[str] | None) -> list[dict]:
    findings = []
    for project in corpus.PROJECTS:
        if only and project.name not in only:
            continue
        project_dir = directory / project.name
        if not project_dir.is_dir():
            print(f"  {project.name}: not in {directory} (run bench/corpus.py)", file=sys.stderr)
            continue
        started = time.perf_counter()
        rows = run_project(tool, project_dir, project.name)
        print(f"  {project.name}: {len(rows)} findings in {time.perf_counter() - started:.1f}s", file=sys.stderr)
        findings.extend(rows)
    return findings


def key(row: dict) -> tuple:
    return (row["project"], row["path"], int(row["line"]), row["code"])


def print_counts(findings: list[dict]) -> None:
    codes = sorted({f["code"] for f in findings})
    projects = sorted({f["project"] for f in findings})
    per = Counter((f["project"], f["code"]) for f in findings)
    width = max([len(p) for p in projects] + [7])
    print(f"{'project':{width}} " + " ".join(f"{c:>6}" for c in codes) + f" {'total':>6}")
    for project in projects:
        cells = " ".join(f"{per[(project, c)] or '.':>6}" for c in codes)
        print(f"{project:{width}} {cells} {sum(per[(project, c)] for c in codes):6d}")
    totals = Counter(f["code"] for f in findings)
    print(f"{'total':{width}} " + " ".join(f"{totals[c]:6d}" for c in codes) + f" {len(findings):6d}")
    if totals.get("CEL000"):
        print(
            f"(CEL000: {totals['CEL000']} files not parsed; they are not judged. The tool parses with its own "
            f"Python's grammar: weblate needs 3.12+, so run --tool from a venv at least that new)"
        )


def read_judgements(paths: list[Path]) -> dict[tuple, dict]:
    """Judgements from CSV files, or every ``*.csv`` of a folder (``bench/judgements``)."""
    files = [f for p in paths for f in (sorted(p.glob("*.csv")) if p.is_dir() else [p])]
    table = {}
    for path in files:
        with path.open(newline="", encoding="utf-8") as stream:
            for row in csv.DictReader(stream):
                verdict = row["verdict"].strip().lower()
                if not verdict:
                    continue
                if verdict not in VERDICTS:
                    raise SystemExit(f"{path}: unknown verdict {verdict!r} in {row}")
                if key(row) in table:
                    raise SystemExit(f"{path}: {key(row)} is judged twice")
                row["verdict"] = verdict
                table[key(row)] = row
    return table


def score(findings: list[dict], judgements: dict[tuple, dict]) -> None:
    judged = [f for f in findings if f["code"] != "CEL000"]
    by_rule: dict[str, Counter] = defaultdict(Counter)
    unjudged = []
    reasons: dict[tuple, list] = defaultdict(list)
    for finding in judged:
        row = judgements.get(key(finding))
        if row is None:
            by_rule[finding["code"]]["unjudged"] += 1
            unjudged.append(finding)
            continue
        by_rule[finding["code"]][row["verdict"]] += 1
        if row["verdict"] not in TRUE_ACT:
            reasons[(finding["code"], row["verdict"], row["reason"].strip())].append(finding)
    print()
    print(
        f"{'rule':7} {'found':>5} {'judged':>6} {'act':>4} {'wontfix':>7} {'fp':>4} {'precision':>9} {'act-share':>9}"
    )
    total = Counter()
    for code in sorted(by_rule):
        c = by_rule[code]
        total.update(c)
        print(_score_line(code, c))
    print(_score_line("all", total))
    if reasons:
        print("\nnot acted on, by reason:")
        for (code, verdict, reason), rows in sorted(reasons.items(), key=lambda kv: (kv[0][0], -len(kv[1]))):
            where = ", ".join(f"{r['project']}:{r['path']}:{r['line']}" for r in rows[:2])
            print(f"  {code} {verdict:7} {len(rows):3d}  {reason}  [{where}]")
    if unjudged:
        print(f"\nunjudged: {len(unjudged)}")
        for f in unjudged[:20]:
            print(f"  {f['project']}:{f['path']}:{f['line']} {f['code']}")
    found = {key(f) for f in judged}
    stale = [k for k in judgements if k not in found]
    if stale:
        print(f"\nstale judgements (no such finding now): {len(stale)}")
        for k in stale[:20]:
            print(f"  {k[0]}:{k[1]}:{k[2]} {k[3]}")


def _score_line(code: str, c: Counter) -> str:
    act = c["act"] + c["tp"]
    judged = act + c["wontfix"] + c["fp"]
    found = judged + c["unjudged"]
    precision = f"{(act + c['wontfix']) / judged:.0%}" if judged else "-"
    share = f"{act / judged:.0%}" if judged else "-"
    return f"{code:7} {found:5d} {judged:6d} {act:4d} {c['wontfix']:7d} {c['fp']:4d} {precision:>9} {share:>9}"


def write_template(path: Path, findings: list[dict], judgements: dict, sample: int | None) -> None:
    todo = [f for f in findings if f["code"] != "CEL000" and key(f) not in judgements]
    if sample:
        rng = random.Random(0)
        by_rule = defaultdict(list)
        for f in todo:
            by_rule[f["code"]].append(f)
        todo = [
            f
            for code in sorted(by_rule)
            for f in sorted(rng.sample(by_rule[code], min(sample, len(by_rule[code]))), key=key)
        ]
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["project", "path", "line", "code", "verdict", "reason"])
        for f in todo:
            writer.writerow([f["project"], f["path"], f["line"], f["code"], "", ""])
    print(f"\nwrote {len(todo)} rows to judge to {path}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dir", type=Path, default=corpus.DEFAULT_DIR, help="corpus folder")
    parser.add_argument("--tool", type=Path, default=DEFAULT_TOOL, help="celery-patterns executable")
    parser.add_argument("--only", help="comma-separated project names")
    parser.add_argument("--out", type=Path, help="write findings.jsonl here")
    parser.add_argument("--findings", type=Path, help="read findings.jsonl instead of running the tool")
    parser.add_argument(
        "--judgements", type=Path, action="append", help="judgements CSV, or a folder of them (repeatable)"
    )
    parser.add_argument("--template", type=Path, help="write a CSV of the unjudged findings to fill in")
    parser.add_argument("--sample", type=int, help="with --template: at most N findings per rule")
    args = parser.parse_args(argv)
    if args.findings:
        findings = [json.loads(line) for line in args.findings.read_text(encoding="utf-8").splitlines() if line]
    else:
        if not args.out:
            parser.error("--out is required when the tool runs")
        only = set(args.only.split(",")) if args.only else None
        findings = collect(args.dir.expanduser(), args.tool, only)
        with args.out.open("w", encoding="utf-8") as stream:
            for f in findings:
                stream.write(json.dumps(f, ensure_ascii=False) + "\n")
        print(f"wrote {len(findings)} findings to {args.out}", file=sys.stderr)
    print_counts(findings)
    judgements = read_judgements(args.judgements) if args.judgements else {}
    if args.judgements:
        score(findings, judgements)
    if args.template:
        write_template(args.template, findings, judgements, args.sample)
    return 0


if __name__ == "__main__":
    sys.exit(main())
