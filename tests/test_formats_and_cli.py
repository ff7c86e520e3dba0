from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from tests.conftest import REPO, run_cli, write_plan

CRITERIA = """
- id: present
  kind: paths
  title: a exists
  exists: [a.txt]
- id: gone
  kind: paths
  title: b is gone
  absent: [sub/b.py]
- id: bugs
  kind: issues
  title: no open P1
  report: missing.md
"""


def _tree(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_text("a")
    (root / "sub" / "b.py").write_text("print('never run')\n")
    write_plan(tmp_path, CRITERIA, root="root")
    return tmp_path / "phases.yaml"


def test_json_schema_of_output(tmp_path: Path):
    result = run_cli("-c", _tree(tmp_path), "gate", "p", "--format", "json")
    report = json.loads(result.stdout)
    assert result.code == 1  # fail outranks error
    assert report["schema_version"] == 1 and report["phase"] == "p" and report["status"] == "fail"
    assert [c["status"] for c in report["criteria"]] == ["pass", "fail", "error"]
    for crit in report["criteria"]:
        assert {"id", "kind", "status", "summary", "evidence"} <= set(crit)


def test_table_has_no_colour_when_not_a_terminal(tmp_path: Path):
    result = run_cli("-c", _tree(tmp_path), "gate", "p")
    assert "\x1b[" not in result.stdout
    assert "still present: sub/b.py" in result.stdout and "overall: FAIL" in result.stdout


def test_markdown_format(tmp_path: Path):
    out = run_cli("-c", _tree(tmp_path), "gate", "p", "--format", "markdown").stdout
    assert out.startswith("# prepctl gate: **FAIL**")
    assert "| ❌ fail | `gone` b is gone | paths |" in out


def test_junit_format_counts(tmp_path: Path):
    out = run_cli("-c", _tree(tmp_path), "gate", "p", "--format", "junit").stdout
    root = ET.fromstring(out)
    assert root.tag == "testsuites"
    suite = root.find("testsuite")
    assert suite is not None and suite.get("tests") == "3"
    assert suite.get("failures") == "1" and suite.get("errors") == "1"
    failure = suite.find("testcase/failure")
    assert failure is not None and "sub/b.py" in (failure.text or "")


def test_github_format_annotations_and_step_summary(tmp_path: Path):
    plan = _tree(tmp_path)
    summary = tmp_path / "summary.md"
    summary.write_text("existing\n")
    result = run_cli("-c", plan, "gate", "p", "--format", "github", cwd=tmp_path,
                     env={"GITHUB_STEP_SUMMARY": str(summary), "GITHUB_WORKSPACE": str(tmp_path)})
    assert "::error title=p/gone fail::" in result.stdout or "::error file=" in result.stdout
    assert "::error title=p/bugs error::" in result.stdout
    text = summary.read_text()
    assert text.startswith("existing\n") and "# prepctl gate: **FAIL**" in text


def test_github_annotation_carries_file_and_line(tmp_path: Path):
    root = tmp_path / "root"
    root.mkdir()
    (root / "R.md").write_text("## P1\n- [ ] X-1 open\n")
    plan = write_plan(tmp_path, "- {id: b, kind: issues, title: t, report: R.md}", root="root")
    result = run_cli("-c", plan, "gate", "p", "--format", "github", cwd=tmp_path,
                     env={"GITHUB_WORKSPACE": str(tmp_path)})
    assert "::error file=root/R.md,line=2,title=p/b fail::" in result.stdout


def test_out_file_written(tmp_path: Path):
    out = tmp_path / "reports" / "gate.json"
    result = run_cli("-c", _tree(tmp_path), "gate", "p", "--format", "json", "--out", out)
    assert json.loads(out.read_text()) == json.loads(result.stdout)


def test_root_override_checks_another_checkout(tmp_path: Path):
    plan = _tree(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    (other / "a.txt").write_text("a")
    (other / "missing.md").write_text("## P1\n- [x] X-1 closed\n")
    result = run_cli("-c", plan, "--root", other, "gate", "p", "--format", "json")
    report = json.loads(result.stdout)
    assert result.code == 0 and report["root"] == str(other.resolve())


def test_unknown_phase_and_missing_argument_exit_2(tmp_path: Path):
    plan = _tree(tmp_path)
    result = run_cli("-c", plan, "gate", "q")
    assert result.code == 2 and "unknown phase 'q'" in result.stderr and "Traceback" not in result.stderr
    result = run_cli("-c", plan, "gate")
    assert result.code == 2 and "--all" in result.stderr


def test_strict_turns_warn_into_fail():
    from prepctl.verdicts import CriterionResult, Status, Verdict, phase_status

    warn = CriterionResult("w", "paths", "t", False, Verdict.of(Status.WARN, "meh"))
    ok = CriterionResult("o", "paths", "t", False, Verdict.of(Status.PASS, "ok"))
    assert phase_status([warn, ok]) is Status.WARN
    assert phase_status([warn, ok], strict=True) is Status.FAIL
    assert phase_status([]) is Status.ERROR


def test_planned_kind_is_error_not_pass(tmp_path: Path):
    from prepctl.gates import registry

    planned = sorted(registry.PLANNED)
    if not planned:  # every kind is built: nothing left to check here, and that is the point
        assert all(registry.gate_class(k) is not None for k in registry.all_kinds())
        return
    root = tmp_path / "root"
    root.mkdir()
    plan = write_plan(tmp_path, f"- {{id: x, kind: {planned[0]}, title: later}}", root="root")
    result = run_cli("-c", plan, "gate", "p", "--format", "json")
    crit = json.loads(result.stdout)["criteria"][0]
    assert result.code == 2 and crit["status"] == "error" and "gate kind not available" in crit["summary"]


def test_crashing_gate_becomes_error_verdict(tmp_path: Path, monkeypatch):
    from prepctl.evaluate import evaluate
    from prepctl.gates.paths import PathsGate
    from prepctl.plan import load_plan

    def boom(self, spec, phase, ctx):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(PathsGate, "check", boom)
    report = evaluate(load_plan(_tree(tmp_path)), ["p"])
    assert [c.status.value for c in report.phases[0].criteria][:2] == ["error", "error"]
    assert "disk on fire" in report.phases[0].criteria[0].verdict.summary


def test_help_lists_exit_codes_and_imports_nothing_heavy():
    result = run_cli("--help")
    assert result.code == 0 and "1 fail, 2 error" in result.stdout
    probe = ("import sys, prepctl.cli; heavy = {'networkx', 'httpx', 'jinja2', 'git', 'pydot', 'jsonschema'}"
             "; print(sorted(heavy & set(sys.modules)))")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO)
    assert loaded.stdout.strip() == "[]"


def test_status_json(tmp_path: Path):
    result = run_cli("-c", _tree(tmp_path), "status", "--format", "json")
    rows = json.loads(result.stdout)["phases"]
    assert rows[0]["phase"] == "p" and rows[0]["state"] == "failing"


def test_an_error_about_no_file_is_printed_once_prefixed():
    result = run_cli("status", "--format", "xml", env={"PREPCTL_NO_HISTORY": "1"})
    assert result.code == 2
    assert result.stderr == "prepctl: status supports --format table or json, not 'xml'\n"
