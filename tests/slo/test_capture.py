"""`capture(CaptureRequest) -> CaptureResult`: the `baseline capture` use case as a library call."""

from __future__ import annotations

import json

import pytest

from prepctl.errors import PrepctlError
from prepctl.slo.baselines import BaselineStore, CaptureRequest, capture
from tests.support.live_servers import slo, write_live_plan
from tests.support.plans import load_plan

OM = """\
# TYPE lat gauge
lat{svc="monolith"} 0.40 940
lat{svc="monolith"} 0.40 1000
lat{svc="monolith"} 0.50 1060
# EOF
"""


def snapshot_plan(tmp_path, query: str = 'lat{svc="monolith"}'):
    (tmp_path / "snap.om").write_text(OM, encoding="utf-8")
    path = write_live_plan(tmp_path, {"prometheus": {"url": "file:snap.om"}}, phases=[
        {"id": "phase-0", "criteria": [slo([
            {"name": "latency", "query": query, "window": "2m", "aggregate": "max", "pass": "< 1"}],
            id="freeze")]}])
    return load_plan(path)


def test_capture_returns_what_it_wrote(tmp_path):
    plan = snapshot_plan(tmp_path)
    result = capture(CaptureRequest(plan, "phase-0"))
    assert result.path == tmp_path / "baselines" / "phase-0.json"
    assert result.replaced is False
    assert result.baseline.name == "phase-0" and result.baseline.source == "file:snap.om"
    captured = result.baseline.objectives["latency"]
    assert [(s.labels, s.value) for s in captured.series] == [({"svc": "monolith"}, 0.5)]
    assert json.loads(result.path.read_text())["objectives"]["latency"]["criterion"] == "freeze"
    entry = BaselineStore(plan).entry("phase-0", "latency")
    assert entry.series == [((("svc", "monolith"),), 0.5)]


def test_capture_refuses_to_replace_unless_forced(tmp_path):
    plan = snapshot_plan(tmp_path)
    capture(CaptureRequest(plan, "phase-0"))
    with pytest.raises(PrepctlError, match="baseline 'phase-0' exists"):
        capture(CaptureRequest(plan, "phase-0"))
    assert capture(CaptureRequest(plan, "phase-0", force=True)).replaced is True


def test_capture_under_another_name(tmp_path):
    result = capture(CaptureRequest(snapshot_plan(tmp_path), "phase-0", name="freeze-2024"))
    assert result.path.name == "freeze-2024.json" and result.baseline.phase == "phase-0"


def test_capture_writes_nothing_when_an_objective_has_no_number(tmp_path):
    plan = snapshot_plan(tmp_path, query='lat{svc="absent"}')
    with pytest.raises(PrepctlError, match="latency: the query returned no series"):
        capture(CaptureRequest(plan, "phase-0"))
    assert not (tmp_path / "baselines").exists()
