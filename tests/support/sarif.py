"""SARIF checks and a small ratchet project: the vendored SARIF 2.1.0 schema, and a git repository
whose one contract has many baselined violations, for the SARIF, pre-commit and Action tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

from tests.support.graph import git
from tests.support.paths import REPO
from tests.support.trees import write

#: The SARIF 2.1.0 JSON Schema as published (2.1.0-rtm.5); where it came from: tests/data/sarif/README.md.
SARIF_SCHEMA = REPO / "tests" / "data" / "sarif" / "sarif-schema-2.1.0.json"

#: How many violations the project's baseline accepts.
BASELINED = 31

PROJECT_PLAN = """\
version: 1
name: ratchet project
root: .
graph:
  include: ["."]
  baseline: imports-baseline.json
phases:
  - id: p
    title: The UI stops reading the database
    weeks: 0-1
    owners: [tester]
    criteria:
      - id: ui-not-db
        kind: imports
        title: the UI does not import the database layer
        contract: {type: forbidden, source: [app.ui], forbidden: [app.db]}
services:
  - id: ui
    title: UI
    phase: p
    owners: [tester]
    flag: UI_ENABLED
"""


def sarif_log(text: str) -> dict[str, Any]:
    """The parsed log, after checking it against the official schema (raises if it is not valid)."""
    log = json.loads(text)
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema).validate(log)
    return log


def results(log: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for run in log["runs"] for r in run["results"]]


def open_results(log: dict[str, Any]) -> list[dict[str, Any]]:
    """Results a dashboard shows as alerts: not suppressed."""
    return [r for r in results(log) if not r.get("suppressions")]


def suppressed_results(log: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in results(log) if r.get("suppressions")]


def location_of(result: dict[str, Any]) -> tuple[str, int | None]:
    physical = result["locations"][0]["physicalLocation"]
    return physical["artifactLocation"]["uri"], physical.get("region", {}).get("startLine")


def ratchet_project(root: Path) -> Path:
    """A committed git repository: app.ui imports app.db in BASELINED modules, all accepted in the
    committed baseline (written by the test with `graph check --update-baseline`, see
    ``commit_baseline``). Returns the repository's folder."""
    files = {"phases.yaml": PROJECT_PLAN, "app/__init__.py": "", "app/db.py": "ENGINE = None\n",
             "app/ui/__init__.py": ""}
    for n in range(BASELINED):
        files[f"app/ui/legacy_{n}.py"] = f"from app import db\n\nVIEW_{n} = db.ENGINE\n"
    write(root, files)
    git(root, "init", "-q", "-b", "main")
    return root


def plant_violation(root: Path) -> Path:
    """A new forbidden import, on line 3 of app/ui/new_view.py."""
    path = root / "app" / "ui" / "new_view.py"
    path.write_text('"""A new view."""\n\nimport app.db\n', encoding="utf-8")
    return path


def commit_all(root: Path, message: str) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)
