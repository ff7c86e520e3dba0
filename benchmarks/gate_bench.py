"""`prepctl gate --all` on the example plan, first run and warm, beside `prepctl report`; and
on a plan whose one criterion checks a generated 3 MB OpenAPI 3.1 document, cold and warm.

    .venv/bin/python benchmarks/gate_bench.py [-c phases.yaml] [--repeat 5] [--openapi-mb 3]
    .venv/bin/python benchmarks/gate_bench.py --real-corpus --openapi-mb 0   # + a real project's code

A plan outside this checkout (`-c ~/src/monolith/phases.yaml`, a real project) is timed the same
way on a copy of the git work tree holding it (or of its folder outside git). `--real-corpus`
adds a real codebase: the real-code corpus of corpus_bench.py (8 PyPI packages pinned by version
and sha256, ~6,400 files) under a plan whose one criterion is an `imports` audit of `django.db`
over all of it, first run and warm, like the example.

The checkout holding the plan is copied to a temporary folder first (without .git, the venv,
build output and any .prepctl state), so the runs start from no cache and record their gate history there,
not in the checkout. Every run is the real CLI in its own process. First = no .prepctl yet
(import-scan cache, validation caches and history all empty); warm = the following runs on the
unchanged tree (median of REPEAT). `report` then writes the dashboard from the same warm state:
issue 16 wants it at most 1.2x one `gate --all`. Live sources the example points at and that are
not running (its Alertmanager on 127.0.0.1:19093 unless scripts/live-stack.sh started it) fail
fast as connection refused, the same on every run.

The OpenAPI document is generated (seeded, no download) in the shape of Airflow's generated REST
API spec, which issue 16 timed: per resource a collection and an item path (list with
limit/offset/order_by parameters, create, get, patch, delete), operation ids, tags, summaries and
descriptions, `$ref`s to component schemas, shared responses and parameters; schemas with typed,
formatted, nullable (`type: [string, "null"]`), enum and nested properties. Cold = no `.prepctl`
before the run (median of REPEAT, each from scratch); warm = the runs that follow.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from whole_process import Sample, Summary, run_process

REPO = Path(__file__).resolve().parent.parent
NOT_COPIED = shutil.ignore_patterns(".git", ".venv", "build", "dist", ".prepctl", "__pycache__", "*.so",
                                    "prepctl", "tests", "benchmarks", ".ruff_cache", ".pytest_cache")
#: Another project is copied whole but for its git store, virtualenvs, prepctl state and caches.
NOT_COPIED_ELSEWHERE = shutil.ignore_patterns(".git", ".venv", "venv", ".tox", ".nox", ".prepctl", "__pycache__",
                                              ".ruff_cache", ".pytest_cache", ".mypy_cache", "node_modules")


def default_plan() -> Path:
    for candidate in (REPO / "phases.yaml", REPO / "examples" / "prep-plan" / "phases.yaml"):
        if candidate.is_file():
            return candidate
    raise SystemExit("no example plan found: pass -c PATH/phases.yaml")


def openapi_document(target_bytes: int, seed: int = 16) -> str:
    """A valid OpenAPI 3.1 YAML document of about ``target_bytes``, shaped like Airflow's."""
    import yaml

    rng = random.Random(seed)
    words = ("dag", "run", "task", "instance", "pool", "variable", "connection", "asset", "event",
             "backfill", "job", "plugin", "provider", "xcom", "log", "import", "error", "config")
    kinds: list[dict[str, Any]] = [{"type": "string"}, {"type": "integer", "minimum": 0},
                                   {"type": "boolean"}, {"type": "string", "format": "date-time"},
                                   {"type": ["string", "null"]}, {"type": "number"},
                                   {"type": "string", "enum": ["queued", "running", "success", "failed"]},
                                   {"type": "array", "items": {"type": "string"}}]
    doc: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": "Generated REST API", "version": "2", "description": "Benchmark document."},
        "paths": {}, "components": {
            "schemas": {"HTTPExceptionResponse": {"type": "object", "required": ["detail"],
                                                  "properties": {"detail": {"type": "string"}}}},
            "responses": {code: {"description": text, "content": {"application/json": {"schema": {
                "$ref": "#/components/schemas/HTTPExceptionResponse"}}}}
                for code, text in (("Unauthorized", "Unauthorized"), ("Forbidden", "Forbidden"),
                                   ("NotFound", "Not Found"))},
            "parameters": {name: {"name": name, "in": "query", "required": False,
                                  "schema": {"type": "integer", "minimum": 0, "default": default}}
                           for name, default in (("limit", 50), ("offset", 0))}}}
    errors = {"401": {"$ref": "#/components/responses/Unauthorized"},
              "403": {"$ref": "#/components/responses/Forbidden"}}
    index, size, batch = 0, 0, 20
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    while size < target_bytes:
        for _ in range(batch):
            name = f"{rng.choice(words).title()}{rng.choice(words).title()}{index}"
            index += 1
            props = {f"{rng.choice(words)}_{k}": {**rng.choice(kinds), "title": f"Field {k}",
                                                 "description": f"The {k}th field of {name}."}
                     for k in range(rng.randint(8, 16))}
            schemas = doc["components"]["schemas"]
            schemas[f"{name}Response"] = {"type": "object", "title": name, "properties": props,
                                          "required": sorted(props)[:3], "additionalProperties": False}
            schemas[f"{name}Body"] = {"type": "object", "properties": dict(list(props.items())[:5])}
            schemas[f"{name}Collection"] = {"type": "object", "required": ["items", "total_entries"], "properties": {
                "items": {"type": "array", "items": {"$ref": f"#/components/schemas/{name}Response"}},
                "total_entries": {"type": "integer"}}}

            def operation(verb: str, schema: str, body: bool = False, item: bool = False,
                          name: str = name) -> dict[str, Any]:
                op: dict[str, Any] = {
                    "tags": [name], "summary": f"{verb.title()} {name}", "operationId": f"{verb}_{name}",
                    "description": f"{verb.title()} {name}: generated for the gate benchmark.",
                    "responses": {"200": {"description": "Successful Response", "content": {
                        "application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}},
                        **errors, **({"404": {"$ref": "#/components/responses/NotFound"}} if item else {})}}
                if body:
                    op["requestBody"] = {"required": True, "content": {"application/json": {"schema": {
                        "$ref": f"#/components/schemas/{name}Body"}}}}
                return op

            listing = operation("list", f"{name}Collection")
            listing["parameters"] = [{"$ref": "#/components/parameters/limit"},
                                     {"$ref": "#/components/parameters/offset"},
                                     {"name": "order_by", "in": "query", "schema": {"type": "string"}}]
            ident = {"name": "item_id", "in": "path", "required": True, "schema": {"type": "string"}}
            doc["paths"][f"/api/v2/{name.lower()}s"] = {"get": listing,
                                                        "post": operation("post", f"{name}Response", body=True)}
            doc["paths"][f"/api/v2/{name.lower()}s/{{item_id}}"] = {
                "parameters": [ident], "get": operation("get", f"{name}Response", item=True),
                "patch": operation("patch", f"{name}Response", body=True, item=True),
                "delete": {**operation("delete", f"{name}Response", item=True),
                           "responses": {"204": {"description": "Deleted"}, **errors}}}
        # Dumping is the slow part: measure after each batch, and size the next from the average.
        size = len(yaml.dump(doc, Dumper=dumper, sort_keys=False, width=120))
        batch = max(5, int((target_bytes - size) / (size / index)) + 1)
    return yaml.dump(doc, Dumper=dumper, sort_keys=False, width=120)


OPENAPI_PLAN = """\
version: 1
name: openapi benchmark
root: .
phases:
  - id: contract
    title: The API contract
    weeks: 0-1
    owners: [bench]
    criteria:
      - id: api
        kind: openapi
        title: the generated REST API is valid and offers its first resource
        document: openapi.yaml
        paths: ["/api/v2/*"]
"""


def openapi_rounds(workdir: Path, env: dict[str, str], megabytes: float, repeat: int) -> list[tuple[str, Summary]]:
    """Cold (no .prepctl) and warm `gate --all` on a plan whose one criterion is the document."""
    folder = workdir / "openapi"
    folder.mkdir()
    text = openapi_document(int(megabytes * 2**20))
    (folder / "openapi.yaml").write_text(text, encoding="utf-8")
    (folder / "phases.yaml").write_text(OPENAPI_PLAN, encoding="utf-8")
    print(f"  openapi.yaml: {len(text.encode()) / 2**20:.2f} MB, {text.count(chr(10)):,} lines, "
          f"{text.count('operationId'):,} operations", file=sys.stderr, flush=True)
    gate = [sys.executable, "-m", "prepctl", "-c", str(folder / "phases.yaml"), "gate", "--all"]
    cold: list[Sample] = []
    warm: list[Sample] = []
    for round_ in range(repeat):
        shutil.rmtree(folder / ".prepctl", ignore_errors=True)
        cold.append(run_process(gate, env=env))  # the document is valid: exit 0
        warm.append(run_process(gate, env=env))
        print(f"  openapi round {round_ + 1}: cold {cold[-1].wall:.2f} s (CPU {cold[-1].cpu:.2f}), "
              f"warm {warm[-1].wall:.2f} s (CPU {warm[-1].cpu:.2f})", file=sys.stderr, flush=True)
    return [(f"{megabytes:g} MB OpenAPI, gate --all cold", Summary.of(cold)),
            (f"{megabytes:g} MB OpenAPI, gate --all warm", Summary.of(warm))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-c", "--config", type=Path, default=None, help="the plan (default: the example's)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--openapi-mb", type=float, default=3.0,
                        help="size of the generated OpenAPI document (0: skip that plan)")
    parser.add_argument("--only-openapi", action="store_true", help="skip the example plan")
    parser.add_argument("--real-corpus", action="store_true",
                        help="also gate --all over the real-code corpus (corpus_bench.py's pinned wheels)")
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "prepctl-bench",
                        help="where corpus_bench.py keeps the real corpus's wheels and files")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    plan = (args.config or default_plan()).resolve()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    workdir = Path(tempfile.mkdtemp(prefix="gate-bench-"))
    rows: list[tuple[str, Summary]] = []
    try:
        if not args.only_openapi:
            rows += example_rounds(workdir, env, plan, args.repeat)
        if args.real_corpus:
            rows += real_corpus_rounds(workdir, env, args.cache, args.repeat)
        if args.openapi_mb > 0:
            rows += openapi_rounds(workdir, env, args.openapi_mb, args.repeat)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    shown = "" if args.only_openapi else f"plan {plan.relative_to(REPO) if plan.is_relative_to(REPO) else plan}, "
    print(f"cpus: {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}, python {sys.version.split()[0]}, "
          f"{shown}median of {args.repeat}\n")
    print("| run | wall s | CPU s | peak MB |\n|---|---:|---:|---:|")
    for name, summary in rows:
        print(f"| {name} | {summary.wall:.2f} | {summary.cpu:.2f} | {summary.peak_mb:.0f} |")
    by_name = dict(rows)
    print()
    for slow, fast, what in (("gate --all, first run", "gate --all, warm", "first / warm gate --all"),
                             ("report, warm", "gate --all, warm", "report / warm gate --all (target <= 1.2×)"),
                             ("real corpus, gate --all, first run", "real corpus, gate --all, warm",
                              "real corpus: first / warm gate --all"),
                             ("real corpus, report, warm", "real corpus, gate --all, warm",
                              "real corpus: report / warm gate --all"),
                             (f"{args.openapi_mb:g} MB OpenAPI, gate --all cold",
                              f"{args.openapi_mb:g} MB OpenAPI, gate --all warm",
                              "OpenAPI cold / warm gate --all (target >= 10×)")):
        if slow in by_name and fast in by_name:
            a, b = by_name[slow], by_name[fast]
            print(f"{what}: {a.wall / b.wall:.2f}× wall, {a.cpu / b.cpu:.2f}× CPU")
    if args.json:
        args.json.write_text(json.dumps({name: summary.__dict__ for name, summary in rows}, indent=2) + "\n")


def project_of(plan: Path) -> Path:
    """The folder to copy for ``plan``: this checkout, else the git work tree holding the plan (its
    root: may point above the plan's folder), else the plan's folder."""
    if plan.is_relative_to(REPO):
        return REPO
    top = subprocess.run(["git", "-C", str(plan.parent), "rev-parse", "--show-toplevel"],
                         capture_output=True, text=True, check=False)
    return Path(top.stdout.strip()) if top.returncode == 0 and top.stdout.strip() else plan.parent


def real_corpus_rounds(workdir: Path, env: dict[str, str], cache: Path, repeat: int) -> list[tuple[str, Summary]]:
    """`gate --all` (and `report`) over the real-code corpus: corpus_bench.py's corpus and plan."""
    import corpus_bench  # benchmarks/ is sys.path[0] when this file runs as a script

    corpus = corpus_bench.build_corpus(cache)
    plan = corpus_bench.write_plan(workdir / "real-corpus", corpus, verify_syntax=True)
    return example_rounds(workdir, env, plan, repeat, label="real corpus, ")


def example_rounds(workdir: Path, env: dict[str, str], plan: Path, repeat: int,
                   label: str = "") -> list[tuple[str, Summary]]:
    """The example (or -c) plan: one first run, then REPEAT warm `gate --all` and `report` runs."""
    # The plan may name files beside it or above it (root: ../prep-monolith): copy the checkout
    # it lives in (this one, or the project's git work tree), or its folder outside git.
    base = project_of(plan)
    copy = workdir / ("copy-" + (label.strip(", ").replace(" ", "-") or "example"))
    shutil.copytree(base, copy, ignore=NOT_COPIED if base == REPO else NOT_COPIED_ELSEWHERE, symlinks=True)
    copied_plan = copy / plan.relative_to(base)
    prepctl = [sys.executable, "-m", "prepctl", "-c", str(copied_plan)]
    gate = [*prepctl, "gate", "--all"]
    report = [*prepctl, "report", "--out", str(copy / "dashboard")]
    # gate exits 1 when a criterion fails and 2 when one errors: the example has both today.
    codes = (0, 1, 2)
    first = run_process(gate, env=env, ok_codes=codes)
    print(f"  {label}first gate --all: {first.wall:.2f} s (CPU {first.cpu:.2f}), exit {first.returncode}",
          file=sys.stderr, flush=True)
    warm: list[Sample] = []
    reports: list[Sample] = []
    for round_ in range(repeat):
        warm.append(run_process(gate, env=env, ok_codes=codes))
        reports.append(run_process(report, env=env, ok_codes=codes))
        print(f"  {label}round {round_ + 1}: gate --all {warm[-1].wall:.2f} s (CPU {warm[-1].cpu:.2f}), "
              f"report {reports[-1].wall:.2f} s (CPU {reports[-1].cpu:.2f})", file=sys.stderr, flush=True)
    return [(f"{label}gate --all, first run", Summary.of([first])), (f"{label}gate --all, warm", Summary.of(warm)),
            (f"{label}report, warm", Summary.of(reports))]

if __name__ == "__main__":
    main()
