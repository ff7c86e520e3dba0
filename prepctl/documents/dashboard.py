"""`prepctl report --out DIR`: one static HTML page for managers.

It shows the phase timeline (a Gantt chart of weeks coloured by each phase's state), every
phase's verdicts with evidence, the ORM dependency graph when the import-graph engine is
present, and charts of measured values (any gate's evidence metrics: SLO objectives, open
defects, active alerts) and of gate results over time from the gate history.

The page is self-contained (inline CSS and SVG, images as data: URIs) and carries no script
at all; its Content-Security-Policy forbids scripts too, so hostile text from a source (an issue
titled ``<script>…``) can only ever be shown, never run. The Gantt chart and the results grid
are computed here as plain geometry and drawn by the template, which autoescapes every string;
the line charts are drawn by ``prepctl.charts``, which XML-escapes every text it writes.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from markupsafe import Markup

from prepctl.charts import (
    COLOUR_MUTED,
    Frame,
    LinearScale,
    Marker,
    Shape,
    Text,
    linear_ticks,
    series_lines,
    threshold_line,
    to_svg,
    value_range,
    x_positions,
    y_grid,
)
from prepctl.documents import output
from prepctl.documents.engine import Renderer
from prepctl.documents.output import Planned
from prepctl.documents.views import (
    CriterionView,
    DateRange,
    criterion_views,
    phase_dates,
    recorded_metrics,
    value_text,
)
from prepctl.errors import PrepctlError, Problem
from prepctl.evaluate import Evaluation
from prepctl.history import Run, format_time, read_runs
from prepctl.plan.model import LoadedPlan
from prepctl.sources.context import GateContext
from prepctl.status import PhaseStanding, standings
from prepctl.verdicts import Metric, Status

TEMPLATE = "dashboard.html.j2"
INDEX = "index.html"
MAX_RUNS = 120
MAX_SERIES = 24

# Geometry of the charts, in SVG user units.
GANTT_LABEL_W, GANTT_ROW_H, GANTT_WEEK_W, GANTT_TOP = 230, 30, 48, 44
CHART_W, CHART_H, CHART_PAD_L, CHART_PAD_B, CHART_PAD_T = 560, 170, 76, 28, 14
COLOUR_SERIES, COLOUR_THRESHOLD = "#0969da", "#cf222e"
GRID_LABEL_W, GRID_CELL, GRID_TOP = 110, 14, 8


@dataclass(frozen=True)
class GanttBar:
    phase: str
    title: str
    state: str
    css: str
    weeks: str
    dates: str
    y: float
    x: float
    width: float


@dataclass(frozen=True)
class Gantt:
    width: float
    height: float
    bars: tuple[GanttBar, ...]
    ticks: tuple[tuple[float, str, str], ...]  # x, week, calendar date
    label_w: float
    row_h: float
    today_x: float | None = None  # where today falls, when start_date is set and it is in range
    today: str = ""


@dataclass(frozen=True)
class LineChart:
    title: str
    #: The chart as inline SVG, drawn by prepctl.charts (which XML-escapes every text in it).
    svg: Markup


@dataclass(frozen=True)
class GridCell:
    x: float
    y: float
    css: str
    tooltip: str


@dataclass(frozen=True)
class StatusGrid:
    width: float
    height: float
    rows: tuple[tuple[float, str], ...]
    cells: tuple[GridCell, ...]
    cell: float
    first: str
    last: str


@dataclass(frozen=True)
class PhasePanel:
    id: str
    title: str
    state: str
    css: str
    status: str
    dates: DateRange
    owners: tuple[str, ...]
    criteria: tuple[CriterionView, ...]
    schedule: str = ""  # "6 days overdue (end Nov 22)", when start_date is set
    schedule_css: str = ""


@dataclass(frozen=True)
class GraphPanel:
    available: bool
    note: str
    image: str  # a data: URI, or ""


@dataclass(frozen=True)
class DashboardView:
    plan_name: str
    start_date: str
    overall: str
    overall_css: str
    gantt: Gantt
    phases: tuple[PhasePanel, ...]
    graph: GraphPanel
    metric_charts: tuple[LineChart, ...]
    metric_note: str
    results: StatusGrid | None
    runs: int
    last_run: str
    #: Where the verdicts come from: "" when evaluated by this report, else the recorded gate run.
    source: str = ""


def state_css(state: str) -> str:
    if state.startswith("passed"):
        return "pass"
    if state.startswith("ready"):
        return "warn"
    if state.startswith("blocked"):
        return "blocked"
    return "fail"


def gantt(plan: LoadedPlan, standing: dict[str, PhaseStanding], today: date) -> Gantt:
    last_week = max(p.weeks.end for p in plan.phases) + 1
    bars = []
    for row, phase in enumerate(plan.phases):
        dates = phase_dates(plan, phase)
        state = standing[phase.id].state
        schedule = standing[phase.id].schedule
        bars.append(GanttBar(
            phase=phase.id, title=value_text(phase.title),
            state=state + (f" · {schedule.text}" if schedule and schedule.state != "done" else ""),
            css=state_css(state), weeks=str(phase.weeks),
            dates=f"{dates.start} – {dates.end}" if dates.start else "",
            y=GANTT_TOP + row * GANTT_ROW_H, x=GANTT_LABEL_W + phase.weeks.start * GANTT_WEEK_W,
            width=(phase.weeks.end - phase.weeks.start + 1) * GANTT_WEEK_W))
    ticks = []
    start = plan.model.start_date
    for week in range(last_week + 1):
        day = (start + timedelta(weeks=week)).strftime("%b %d") if start is not None else ""
        ticks.append((GANTT_LABEL_W + week * GANTT_WEEK_W, f"W{week}", day))
    today_x = None
    if start is not None and 0 <= (today - start).days <= last_week * 7:
        today_x = round(GANTT_LABEL_W + (today - start).days / 7 * GANTT_WEEK_W, 1)
    return Gantt(width=GANTT_LABEL_W + last_week * GANTT_WEEK_W + 360,
                 height=GANTT_TOP + len(plan.phases) * GANTT_ROW_H + 10,
                 bars=tuple(bars), ticks=tuple(ticks), label_w=GANTT_LABEL_W, row_h=GANTT_ROW_H,
                 today_x=today_x, today=f"today, {today:%b} {today.day}" if today_x is not None else "")


def _nice(value: float) -> str:
    return f"{value:.4g}"


def line_chart(title: str, values: list[tuple[str, float]], threshold: float | None,
               threshold_label: str) -> LineChart:
    """A line chart of (time label, value) in run order; the x axis is run index, not wall time."""
    frame = Frame(CHART_PAD_L, CHART_PAD_T, CHART_W - 12, CHART_H - CHART_PAD_B)
    low, high = value_range([v for _, v in values] + ([threshold] if threshold is not None else []))
    y = LinearScale(low, high, frame.bottom, frame.top)
    xs = x_positions(len(values), frame)
    points = [(x, y(v)) for x, (_, v) in zip(xs, values, strict=True)]
    shapes: list[Shape] = [*y_grid(frame, [(y(t), _nice(t)) for t in linear_ticks(low, high)])]
    if threshold is not None:
        shapes += threshold_line(frame, y(threshold), COLOUR_THRESHOLD, value_text(threshold_label))
    shapes += series_lines(points, COLOUR_SERIES, 2.0)
    shapes += [Marker(px, py, "circle", COLOUR_SERIES, f"{label}: {_nice(v)}", role="dot", filled=True,
                      radius=3.0) for (px, py), (label, v) in zip(points, values, strict=True)]
    shapes.append(Text(xs[0], CHART_H - 8, values[0][0], 11, "start", COLOUR_MUTED))
    if len(values) > 1:
        shapes.append(Text(xs[-1], CHART_H - 8, values[-1][0], 11, "end", COLOUR_MUTED))
    title = value_text(title)
    return LineChart(title=title, svg=Markup(to_svg(shapes, CHART_W, CHART_H, label=title)))


def _threshold(objective: str | None) -> float | None:
    """The first absolute bound in an objective (`pass if <= 0.8; ...`) becomes a threshold line."""
    match = re.search(r"(?:<=|>=|<|>)\s*(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)(?![\d%])", objective or "")
    return float(match[1]) if match else None


def metric_charts(runs: list[Run]) -> list[LineChart]:
    """One chart per measured series (phase, criterion, metric name), whatever gate measured it."""
    series: dict[tuple[str, str, str], list[tuple[str, Metric]]] = {}
    for run in runs:
        for phase in run.phases:
            for crit in phase.criteria:
                for metric in recorded_metrics(crit.evidence):
                    series.setdefault((phase.phase, crit.id, metric.name), []).append(
                        (format_time(run.time)[:16].replace("T", " "), metric))
    charts = []
    for (phase_id, crit_id, name), points in sorted(series.items())[:MAX_SERIES]:
        latest = points[-1][1]
        threshold = latest.threshold if latest.threshold is not None else _threshold(latest.objective)
        unit = f" ({latest.unit})" if latest.unit else ""
        charts.append(line_chart(f"{phase_id}/{crit_id}: {name}{unit}", [(t, m.value) for t, m in points],
                                 threshold, f"objective {latest.objective}" if latest.objective else ""))
    return charts


def results_grid(plan: LoadedPlan, runs: list[Run]) -> StatusGrid | None:
    """Each phase's gate status per recorded run: one row per phase, one column per run."""
    if not runs:
        return None
    phases = [p.id for p in plan.phases]
    known = set(phases)
    for run in runs:
        for recorded in run.phases:
            if recorded.phase not in known:
                known.add(recorded.phase)
                phases.append(recorded.phase)
    cells = []
    for column, run in enumerate(runs):
        for row, phase_id in enumerate(phases):
            recorded = run.phase(phase_id)
            if recorded is None:
                continue
            required = [c for c in recorded.criteria if not c.advisory]
            passing = sum(c.status is Status.PASS for c in required)
            cells.append(GridCell(
                x=GRID_LABEL_W + column * GRID_CELL, y=GRID_TOP + row * GRID_CELL,
                css=recorded.status.value,
                tooltip=f"{phase_id} {format_time(run.time)[:16].replace('T', ' ')} UTC: "
                        f"{recorded.status.value} ({passing}/{len(required)} required pass)"
                        f"{' at ' + run.revision[:10] if run.revision else ''}"))
    return StatusGrid(width=max(GRID_LABEL_W + len(runs) * GRID_CELL + 10, 620),
                      height=GRID_TOP + len(phases) * GRID_CELL + 22,
                      rows=tuple((GRID_TOP + i * GRID_CELL, p) for i, p in enumerate(phases)),
                      cells=tuple(cells), cell=GRID_CELL,
                      first=format_time(runs[0].time)[:16].replace("T", " "),
                      last=format_time(runs[-1].time)[:16].replace("T", " "))


def audit_target(plan: LoadedPlan) -> str | None:
    """The module the plan audits (a criterion whose contract is `{type: audit, target}`)."""
    for phase in plan.phases:
        for spec in phase.criteria:
            contract = spec.graph_contract()
            options = contract.model_dump(mode="json") if contract is not None else {}
            if options.get("type") == "audit" and options.get("target"):
                return str(options["target"])
    return None


def graph_panel(plan: LoadedPlan, ctx: GateContext | None = None) -> GraphPanel:
    """The ORM dependency graph from the import-graph engine, when this build has it; with the
    evaluation's ``ctx``, drawn from the import graph its `imports` criteria already built."""
    try:
        from prepctl.graph import report as graph_report
    except ImportError:
        return GraphPanel(False, "Not evaluated: this build of prepctl has no import-graph engine.", "")
    if getattr(graph_report, "importers_picture", None) is None:
        return GraphPanel(False, "Not evaluated: the import-graph engine has no dependency picture.", "")
    target = audit_target(plan)
    if target is None:
        return GraphPanel(False, "Not evaluated: no `imports` criterion audits a module "
                          "(contract: {type: audit, target: MODULE}).", "")
    try:
        svg = dependency_svg(plan, target, ctx)
    except PrepctlError as exc:
        return GraphPanel(False, f"Not evaluated: {exc}", "")
    except Exception as exc:  # the page must still render; the note says what went wrong
        return GraphPanel(False, f"Not evaluated: the dependency picture of {target} failed "
                          f"({type(exc).__name__}: {exc}).", "")
    if svg is None:
        return GraphPanel(False, "Not evaluated: Graphviz (`dot`) is not installed, so there is no "
                          "dependency picture.", "")
    # As an <img>, an SVG can never run script, whatever module names it contains.
    return GraphPanel(True, "", "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii"))


def dependency_svg(plan: LoadedPlan, target: str, ctx: GateContext | None = None) -> str | None:
    """The picture of `graph report TARGET` (who imports it, contract violations in red), alone:
    the panel shows nothing else. The rest of the report is not built: its usage matrix parses
    every importer's source (on the real-code corpus that was more CPU than the whole evaluation)
    and its HTML, Markdown and JSON files were written only to be thrown away. None without Graphviz.

    With ``ctx``, the settings and graph come from it under the keys the `imports` gate shares them
    by (``prepctl.gates.imports``), so the tree is scanned once per `report`; were the keys to
    drift apart, the graph would just be built again here, never a different one."""
    from prepctl.graph import queries, render
    from prepctl.graph.load import build_graph, settings_from_plan
    from prepctl.graph.report import importers_picture, importers_violations
    from prepctl.sources.tree import WorkTree

    if ctx is None:
        ctx = GateContext(plan=plan, tree=WorkTree(plan.root))
    settings = ctx.shared("graph-settings", lambda: settings_from_plan(plan))
    tree = ctx.tree
    graph = ctx.shared("import-graph", lambda: build_graph(settings, tree))
    found = queries.importers(graph, target, transitive=True, groups=settings.groups)
    picture = importers_picture(graph, found, importers_violations(settings, graph, found, tree), None)
    try:
        _, svg = render.render_picture(picture, "svg")
    except render.GraphvizMissing:
        return None
    return svg.decode("utf-8")


def _schedule_text(standing: PhaseStanding) -> str:
    return standing.schedule.text if standing.schedule else ""


def _schedule_css(standing: PhaseStanding) -> str:
    state = standing.schedule.state if standing.schedule else ""
    return {"overdue": "fail", "late start": "warn", "done": "pass"}.get(state, "")


def build_view(plan: LoadedPlan, evaluation: Evaluation | None = None) -> DashboardView:
    """The dashboard from the invocation's one ``evaluation``: the phase panels and the statuses
    read along the DAG share it (each criterion checked at most once)."""
    order = plan.order()
    evaluation = evaluation or Evaluation(plan)
    report = evaluation.report(order)
    results = {r.phase: r for r in report.phases}
    today = date.today()
    standing = standings(plan, results, today)
    runs = read_runs(plan, include_historical=False, limit=MAX_RUNS)
    phases = tuple(PhasePanel(
        id=p.id, title=value_text(p.title), state=standing[p.id].state, css=state_css(standing[p.id].state),
        status=results[p.id].status.value, dates=phase_dates(plan, p), owners=tuple(p.owners),
        criteria=criterion_views(p, results[p.id]),
        schedule=_schedule_text(standing[p.id]), schedule_css=_schedule_css(standing[p.id]))
        for p in plan.phases)
    charts = metric_charts(runs)
    if charts:
        metric_note = ""
    elif not runs:
        metric_note = "Not evaluated: no gate runs recorded yet (run `prepctl gate --all`, or import history)."
    else:
        metric_note = ("Not evaluated: no recorded run has a measured value (no criterion, such as an "
                       "`slo` objective, recorded a metric).")
    return DashboardView(
        plan_name=value_text(plan.model.name),
        start_date=plan.model.start_date.isoformat() if plan.model.start_date else "",
        overall=report.status.value, overall_css=report.status.value, gantt=gantt(plan, standing, today),
        phases=phases, graph=graph_panel(plan, evaluation.context()), metric_charts=tuple(charts),
        metric_note=metric_note,
        results=results_grid(plan, runs), runs=len(runs),
        source=evaluation.source,
        last_run=format_time(runs[-1].time)[:16].replace("T", " ") + " UTC" if runs else "")


def render_dashboard(plan: LoadedPlan, out_dir: Path, evaluation: Evaluation | None = None) -> Planned:
    if out_dir.exists() and not out_dir.is_dir():
        raise PrepctlError(Problem(file=str(out_dir), message="is not a folder",
                                   hint="--out names the folder to write index.html into"))
    renderer = Renderer(plan.config_dir)
    html = renderer.render(TEMPLATE, d=build_view(plan, evaluation), generator_meta=output.GENERATOR_META)
    return output.plan_html(out_dir / INDEX, html)
