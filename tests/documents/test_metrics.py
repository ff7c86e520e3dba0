"""Documents read metrics from evidence, whatever gate recorded them: a new gate kind that fills
`Evidence.metric` gets a dashboard chart and a post-mortem table without any document naming it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Literal

from prepctl.documents import dashboard, postmortem
from prepctl.documents.engine import Renderer
from prepctl.gates.base import Gate
from prepctl.history import open_history, read_runs, record_gate_run, run_from_report, with_legacy_metrics
from prepctl.plan.model import CriterionSpec, Phase
from prepctl.sources.context import GateContext
from prepctl.sources.tree import WorkTree
from prepctl.verdicts import CriterionResult, Evidence, GateReport, Metric, PhaseResult, Status, Verdict
from tests.support.documents import make_project


class GaugeSpec(CriterionSpec):
    kind: Literal["gauge"]
    reading: float
    limit: float


class GaugeGate(Gate[GaugeSpec]):
    """A gate kind no document knows: it reads a number and compares it with a limit."""

    kind = "gauge"
    options = GaugeSpec

    def check(self, spec: GaugeSpec, phase: Phase, ctx: GateContext) -> Verdict:
        status = Status.PASS if spec.reading <= spec.limit else Status.FAIL
        metric = Metric("queue depth", spec.reading, unit="jobs", objective=f"<= {spec.limit:g}",
                        threshold=spec.limit, direction="lower")
        return Verdict.of(status, f"queue depth {spec.reading:g}",
                          [Evidence("queue depth now", value=spec.reading, metric=metric)])


GAUGE = GaugeSpec(id="queue-depth", kind="gauge", title="Job queue drains", reading=0, limit=100)


def _record_gauge_runs(project, readings: list[float]) -> None:
    plan = project.load()
    phase = plan.phase("phase-0")
    start = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)
    for index, reading in enumerate(readings):
        spec = GAUGE.model_copy(update={"reading": reading})
        verdict = GaugeGate().check(spec, phase, GateContext(plan=plan, tree=WorkTree(plan.root)))
        result = CriterionResult(spec.id, spec.kind, spec.title, False, verdict)
        report = GateReport(phases=[PhaseResult("phase-0", phase.title, verdict.status, [result])],
                            status=verdict.status, config_path=str(plan.path), root=str(plan.root))
        run = run_from_report(plan, report, now=start + timedelta(days=index))
        with open_history(plan) as store:
            store.add(run)


def test_a_new_gate_kinds_metric_gets_a_dashboard_chart(tmp_path):
    project = make_project(tmp_path, git=False)
    _record_gauge_runs(project, [40.0, 130.0, 75.0])
    view = dashboard.build_view(project.load())
    titles = [chart.title for chart in view.metric_charts]
    assert titles == ["phase-0/queue-depth: queue depth (jobs)"]
    svg = str(view.metric_charts[0].svg)
    assert len(re.findall(r'<circle class="dot"', svg)) == 3
    assert "<title>objective &lt;= 100</title>" in svg  # the threshold line, from Metric.threshold
    assert '2026-02-03 09:00: 130' in svg
    assert view.metric_note == ""

    html_path = tmp_path / "site"
    planned = dashboard.render_dashboard(project.load(), html_path)
    assert "phase-0/queue-depth: queue depth (jobs)" in planned.new
    section = planned.new.split('<section id="metrics">', 1)[1].split("</section>", 1)[0]
    assert section.count('class="dot"') == 3


def test_a_new_gate_kinds_metric_gets_a_postmortem_table(tmp_path):
    project = make_project(tmp_path, git=False)
    _record_gauge_runs(project, [40.0, 130.0, 75.0])
    plan = project.load()
    # The plan names the new kind's criterion (the registry that lets it load is not under test here).
    phase = plan.phase("phase-0").model_copy(update={"criteria": [*plan.phase("phase-0").criteria, GAUGE]})
    runs = read_runs(plan, "phase-0", include_historical=False)
    view = postmortem.build_view(plan, phase, runs, None, None, None)
    text = Renderer(plan.config_dir).render(postmortem.TEMPLATE, pm=view)
    impact = text.split("<!-- prepctl:begin slo-impact -->", 1)[1].split("<!-- prepctl:end slo-impact -->")[0]
    assert "### `queue-depth` Job queue drains" in impact
    assert "Out of bounds in 1 of 3 recorded runs (2026-02-03 09:00 UTC – 2026-02-03 09:00 UTC)" in impact
    assert "| queue depth | 3 | 40 | 130 | 75 | &lt;= 100 |" in impact
    assert "`queue-depth` was out of bounds in 1 of 3 runs" in text


def test_without_metrics_the_dashboard_says_why(tmp_path):
    project = make_project(tmp_path, git=False)
    plan = project.load()
    verdict = Verdict.of(Status.PASS, "fine", [Evidence("a count, not a measurement", value=3)])
    report = GateReport(phases=[PhaseResult("phase-0", "Stabilize", Status.PASS,
                                            [CriterionResult("c", "gauge", "C", False, verdict)])],
                        status=Status.PASS, config_path=str(plan.path), root=str(plan.root))
    record_gate_run(plan, report)
    view = dashboard.build_view(plan)
    assert view.metric_charts == ()
    assert view.metric_note.startswith("Not evaluated: no recorded run has a measured value")


def test_a_recorded_metric_is_read_fail_closed():
    good = Metric("p95", 0.4, objective="pass if <= 0.8")
    assert Metric.from_dict(good.to_dict()) == good
    assert Metric.from_dict({"name": "p95", "value": "0.4"}) is None  # a string is not a number
    assert Metric.from_dict({"name": "p95", "value": True}) is None
    assert Metric.from_dict({"name": "p95", "value": float("nan")}) is None
    assert Metric.from_dict({"name": "p95", "value": 1, "threshold": "x"}) is None
    assert Metric.from_dict("p95 = 0.4") is None
    assert Metric.from_dict({"name": "n", "value": 2, "direction": "sideways"}) == Metric("n", 2.0)


def test_runs_recorded_before_metrics_read_back_with_their_slo_metric():
    old = ({"label": "p95: query (instant, Prometheus at 2026-01-06T09:00:00Z)", "value": "q"},
           {"label": 'p95{service="api"} at 2026-01-06T09:00:00Z', "value": 0.5, "expected": "pass if <= 0.8"})
    upgraded = with_legacy_metrics("slo", old)
    assert "metric" not in upgraded[0]
    assert upgraded[1]["metric"] == {"name": 'p95{service="api"}', "value": 0.5, "objective": "pass if <= 0.8"}
    # Other kinds never recorded a measurement as a bare value; a count stays a count.
    assert with_legacy_metrics("issues", ({"label": "P0/P1 items read", "value": 3},)) == (
        {"label": "P0/P1 items read", "value": 3},)
