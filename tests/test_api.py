"""The public library API, used exactly as a script would: nothing but ``prepctl.api``."""

from __future__ import annotations

from pathlib import Path

import pytest

from prepctl import api
from tests.support.paths import EXAMPLE as EXAMPLE_MONOLITH
from tests.support.paths import PHASES as EXAMPLE_PLAN


def test_load_evaluate_and_scan_the_bundled_example():
    plan = api.load_plan(path=EXAMPLE_PLAN)
    assert plan.order()[0] == "phase-0" and plan.root == EXAMPLE_MONOLITH

    report = api.evaluate(plan, phase="phase-1",
                          criteria=["routers-moved-out", "analytics-service-package"])
    assert isinstance(report, api.GateReport)
    (phase,) = report.phases
    # Plan order, whatever order the criteria were named in; one failing criterion fails the phase.
    assert [(c.id, c.status.value) for c in phase.criteria] == [
        ("analytics-service-package", "pass"), ("routers-moved-out", "fail")]
    assert phase.status.value == report.status.value == "fail"

    graph = api.scan_graph(root=EXAMPLE_MONOLITH, packages=["prep"])
    assert isinstance(graph, api.ImportGraph) and "prep.models.orm" in graph
    assert all(module.split(".")[0] == "prep" for module in graph.modules)
    assert graph.importers("prep.models.orm"), "the example monolith imports its ORM"


def test_several_phases_are_evaluated_in_the_order_given():
    plan = api.load_plan(path=EXAMPLE_PLAN)
    report = api.evaluate(plan, phase=["phase-3", "phase-2"], criteria=["rfc-signed-off"])
    assert [p.phase for p in report.phases] == ["phase-3", "phase-2"]
    assert [[c.id for c in p.criteria] for p in report.phases] == [["rfc-signed-off"], ["rfc-signed-off"]]


def test_bad_input_is_a_prepctl_error_naming_what_is_wrong(tmp_path: Path):
    plan = api.load_plan(path=EXAMPLE_PLAN)
    with pytest.raises(api.PrepctlError, match="phase-1 has no criterion 'no-such-check'"):
        api.evaluate(plan, phase="phase-1", criteria=["no-such-check"])
    with pytest.raises(api.PrepctlError, match="unknown phase 'phase-9'"):
        api.evaluate(plan, phase="phase-9")
    with pytest.raises(api.PrepctlError, match="is not a folder"):
        api.scan_graph(root=tmp_path / "missing")
    with pytest.raises(api.PrepctlError, match="not found"):
        api.load_plan(path=tmp_path / "phases.yaml")


def test_arguments_are_keywords():
    with pytest.raises(TypeError):
        api.load_plan(EXAMPLE_PLAN)  # type: ignore[misc]
    with pytest.raises(TypeError):
        api.scan_graph(EXAMPLE_MONOLITH)  # type: ignore[misc]
