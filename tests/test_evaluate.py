"""The `gate` use case as a library call: evaluation, the history record and the exit code."""

from __future__ import annotations

from pathlib import Path

import pytest

from prepctl.errors import PrepctlError
from prepctl.evaluate import GateRequest, run_gate
from prepctl.history import DISABLE_ENV, read_runs
from prepctl.verdicts import Status
from tests.support.plans import load_plan

PLAN = """\
version: 1
name: gate
root: .
phases:
  - id: first
    title: first
    weeks: 0-1
    owners: [me]
    criteria:
      - {id: there, kind: paths, title: a exists, exists: [a.txt]}
  - id: second
    title: second
    weeks: 1-2
    owners: [me]
    depends_on: [first]
    criteria:
      - {id: there, kind: paths, title: a exists, exists: [a.txt]}
      - {id: soft, kind: paths, title: c exists, exists: [c.txt]}
"""


@pytest.fixture
def plan_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv(DISABLE_ENV, raising=False)
    (tmp_path / "a.txt").write_text("a")
    (tmp_path / "phases.yaml").write_text(PLAN)
    return tmp_path / "phases.yaml"


def test_a_gate_run_is_recorded_and_decides_the_exit_code(plan_path: Path):
    plan = load_plan(plan_path)
    passed = run_gate(plan, GateRequest(phase="first"))
    assert passed.report.status is Status.PASS and passed.exit_code == 0

    failed = run_gate(plan, GateRequest(phase="second", with_deps=True))
    assert [p.phase for p in failed.report.phases] == ["first", "second"]
    assert failed.report.status is Status.FAIL and failed.exit_code == 1

    runs = read_runs(plan)
    assert [(run.status, [p.phase for p in run.phases]) for run in runs] == [
        (Status.PASS, ["first"]), (Status.FAIL, ["first", "second"])]


def test_a_gate_needs_a_phase_or_all(plan_path: Path):
    plan = load_plan(plan_path)
    with pytest.raises(PrepctlError, match="name a PHASE or pass --all"):
        run_gate(plan, GateRequest())
    every = run_gate(plan, GateRequest(all_phases=True, strict=True))
    assert [p.phase for p in every.report.phases] == ["first", "second"] and every.report.strict


def test_lazy_imports_are_loaded_before_the_threads_and_a_missing_one_is_left_to_the_check():
    import sys

    from prepctl.evaluate import import_before_threads
    from prepctl.gates.schema import SchemaGate

    class Broken(SchemaGate):
        lazy_imports = ("prepctl_no_such_module",)

    class Eager(SchemaGate):  # the schema gate itself imports jsonschema only on a cache miss
        lazy_imports = ("jsonschema",)

    import_before_threads([Broken, Eager])
    assert "jsonschema" in sys.modules and "prepctl_no_such_module" not in sys.modules


def test_a_recorded_evidence_item_keeps_its_own_status_and_baselined_mark():
    from prepctl.evaluate import recorded_evidence
    from prepctl.verdicts import Evidence, Status

    item = Evidence(label="a.b imports c (baselined)", path="a/b.py", line=3, status=Status.WARN, baselined=True)
    assert recorded_evidence(item.to_dict()) == item
    forged = recorded_evidence({"label": "x", "status": "passed-ish", "baselined": "yes"})
    assert forged.status is None and forged.baselined is False  # read, never trusted
