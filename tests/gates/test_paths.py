from __future__ import annotations

import json
from pathlib import Path

from tests.support.cli import run_cli
from tests.support.paths import EXAMPLE
from tests.support.plans import write_plan


def _gate(tmp_path: Path, criteria: str, root: Path) -> tuple[int, dict]:
    plan = write_plan(tmp_path, criteria, root=str(root))
    result = run_cli("-c", plan, "gate", "p", "--format", "json")
    assert "Traceback" not in result.stderr
    return result.code, json.loads(result.stdout)


def test_paths_pass_on_example(tmp_path: Path):
    code, report = _gate(tmp_path, """
        - id: a
          kind: paths
          title: service exists, domains absent
          exists: [services/analytics_api/, "prep/compliance/*_compliance_engine/config.yaml"]
          absent: [prep/models/domains/, "**/*.java"]
        """, EXAMPLE)
    assert code == 0 and report["status"] == "pass"
    evidence = report["criteria"][0]["evidence"]
    glob_hit = next(e for e in evidence if "config.yaml" in e["label"])
    assert glob_hit["value"] == 3


def test_paths_fail_names_what_is_missing_and_present(tmp_path: Path):
    code, report = _gate(tmp_path, """
        - id: a
          kind: paths
          title: routers moved
          exists: [services/compliance_core/__init__.py]
          absent: [prep/analytics/routers.py]
        """, EXAMPLE)
    crit = report["criteria"][0]
    assert code == 1 and crit["status"] == "fail"
    assert "missing services/compliance_core/__init__.py" in crit["summary"]
    assert "still present prep/analytics/routers.py" in crit["summary"]
    assert any(e.get("path") == "prep/analytics/routers.py" for e in crit["evidence"])


def test_paths_on_empty_root_is_error_not_pass(tmp_path: Path):
    empty = tmp_path / "empty"
    empty.mkdir()
    code, report = _gate(tmp_path, """
        - id: a
          kind: paths
          title: orm gone
          absent: [prep/models/orm.py]
        """, empty)
    assert code == 2 and report["criteria"][0]["status"] == "error"
    assert "contains no files" in report["criteria"][0]["summary"]


def test_paths_cannot_escape_the_root(tmp_path: Path):
    root = tmp_path / "root"
    root.mkdir()
    (root / "a.txt").write_text("x")
    (tmp_path / "secret.txt").write_text("x")
    code, report = _gate(tmp_path, """
        - id: a
          kind: paths
          title: outside file is not seen
          exists: [../secret.txt]
        """, root)
    assert code == 1 and report["criteria"][0]["status"] == "fail"
