"""`prepctl report --out DIR`: the static dashboard, checked in headless Chromium."""

from __future__ import annotations

import base64
import io
import sys
from datetime import UTC, date, datetime, timedelta

import pytest

from prepctl.documents import dashboard
from prepctl.evaluate import evaluate
from prepctl.history import HistoryStore, RecordedCriterion, RecordedPhase, Run, history_path
from prepctl.status import standings
from prepctl.verdicts import Status
from tests.support.cli import run_cli
from tests.support.documents import HOSTILE, make_project, open_in_chromium


def _add_slo_history(project) -> None:
    start = datetime(2026, 1, 6, 9, 0, tzinfo=UTC)
    with HistoryStore(history_path(project.load())) as store:
        for i, value in enumerate((0.41, 0.52, 0.93, 0.47)):
            status = Status.FAIL if value > 0.8 else Status.PASS
            crit = RecordedCriterion("latency", "slo", "Latency", False, status, f"p95 = {value}",
                                     ({"label": f"p95{{service=\"api\"}} at 2026-01-0{6 + i}T09:00:00Z",
                                       "value": value, "expected": "pass if <= 0.8"},))
            store.add(Run(uid=f"{i + 1:032x}", time=start + timedelta(days=i), status=status, revision="a" * 40,
                          config_hash="c" * 64, plan_name="Docs test plan",
                          phases=(RecordedPhase("phase-0", "Stabilize", status, (crit,)),)))


@pytest.mark.browser
def test_dashboard_renders_in_chromium_and_hostile_text_stays_inert(tmp_path):
    project = make_project(tmp_path, open_issue=HOSTILE)
    _add_slo_history(project)
    assert run_cli("-c", project.plan, "gate", "--all").code == 1  # recorded, with the hostile title
    out = tmp_path / "site"
    result = run_cli("-c", project.plan, "report", "--out", out)
    assert result.code == 0, result.stderr
    page = out / "index.html"
    html = page.read_text(encoding="utf-8")
    assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html

    report = open_in_chromium(page, tmp_path, {
        # evidence sits in folded <details>; unfold it as a reader would, then read what shows
        "unfolded": "document.querySelectorAll('details').forEach(d => d.open = true); "
                    "document.querySelectorAll('details[open]').length",
        "hostile_shown": f"document.body.innerText.includes({HOSTILE!r})",
        "scripts": "document.scripts.length",
        "svgs": "document.querySelectorAll('svg').length",
        "gantt_bars": "document.querySelectorAll('#timeline rect.bar').length",
        "chart_points": "document.querySelectorAll('#metrics circle.dot').length",
        "history_cells": "document.querySelectorAll('#history rect.cell').length",
        "title": "document.title",
        "graph_image": "(() => { const i = document.querySelector('#graph img'); "
                       "return !!i && i.complete && i.naturalWidth > 0; })()",
    })
    errors = [c for c in report.console if c.get("type") in ("error", "assert")]
    errors += [e for e in report.log_entries if e.get("level") == "error"]
    assert errors == [], errors
    assert report.exceptions == []
    assert report.dialogs == []  # alert(1) never ran
    values = report.evaluations
    assert values["graph_image"] is True, "the import-graph engine's SVG should be on the page"
    assert values["unfolded"] > 0
    assert values["hostile_shown"] is True
    assert values["scripts"] == 0
    assert values["gantt_bars"] == 2
    # Four synthetic SLO points, then the real run's open P0/P1 count and its imports criterion's
    # violation count (every imports criterion carries that metric).
    assert values["chart_points"] == 4 + 2
    assert values["history_cells"] == 4 + 2  # four synthetic phase-0 runs, then one real run of both phases
    assert values["svgs"] >= 3
    assert values["title"] == "Docs test plan — prepctl dashboard"

    from PIL import Image

    image = Image.open(io.BytesIO(report.screenshot_png)).convert("RGB")
    assert image.size == (1280, 1800)
    colours = image.getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 50, "screenshot looks blank"
    white = sum(count for count, rgb in colours if rgb == (255, 255, 255))
    assert white < 0.95 * image.size[0] * image.size[1], "screenshot is almost all white"
    # the dark header band is painted: the page really rendered its CSS
    assert image.getpixel((640, 20)) == (0x24, 0x29, 0x2F)


@pytest.mark.graphviz
def test_dashboard_is_deterministic_and_refuses_foreign_files(tmp_path):
    project = make_project(tmp_path, git=False)
    out = tmp_path / "site"
    assert run_cli("-c", project.plan, "report", "--out", out).code == 0
    first = (out / "index.html").read_bytes()
    again = run_cli("-c", project.plan, "report", "--out", out)
    assert "unchanged" in again.stdout
    assert (out / "index.html").read_bytes() == first
    text = first.decode("utf-8")
    assert "Not evaluated: no gate runs recorded yet" in text
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "index.html").write_text("<p>team wiki</p>", encoding="utf-8")
    refused = run_cli("-c", project.plan, "report", "--out", foreign)
    assert refused.code == 2 and "not written by prepctl" in refused.stderr
    assert (foreign / "index.html").read_text(encoding="utf-8") == "<p>team wiki</p>"


def test_gantt_places_phases_by_week_with_their_state(tmp_path):
    project = make_project(tmp_path, git=False)
    plan = project.load()
    results = {r.phase: r for r in evaluate(plan, plan.order()).phases}
    today = date(2026, 1, 21)  # week 2, day 2: phase-0 (weeks 0-1) is over, phase-1 has begun
    gantt = dashboard.gantt(plan, standings(plan, results, today), today)
    bars = {b.phase: b for b in gantt.bars}
    week = dashboard.GANTT_WEEK_W
    assert bars["phase-0"].x == dashboard.GANTT_LABEL_W and bars["phase-0"].width == 2 * week
    assert bars["phase-1"].x == dashboard.GANTT_LABEL_W + 2 * week and bars["phase-1"].width == 3 * week
    assert (bars["phase-0"].css, bars["phase-1"].css) == ("fail", "blocked")
    assert bars["phase-0"].state == "failing · 3 days overdue (end Jan 18)"
    assert bars["phase-1"].state == "blocked by phase-0 · 2 days late (start Jan 19)"
    assert bars["phase-1"].dates == "2026-01-19 – 2026-02-08"
    assert gantt.ticks[0][1:] == ("W0", "Jan 05")
    assert gantt.today_x == dashboard.GANTT_LABEL_W + round(16 / 7 * week, 1) and gantt.today == "today, Jan 21"
    assert dashboard.gantt(plan, standings(plan, results, date(2027, 1, 1)), date(2027, 1, 1)).today_x is None


def test_graph_section_uses_the_graph_engine_when_present(tmp_path, monkeypatch):
    project = make_project(tmp_path, git=False)
    plan = project.load()
    import prepctl.graph

    # engine absent: neither importable nor already bound on its package by an earlier import
    monkeypatch.setitem(sys.modules, "prepctl.graph.report", None)
    monkeypatch.delattr(prepctl.graph, "report", raising=False)
    absent = dashboard.graph_panel(plan)
    assert not absent.available and absent.note.startswith("Not evaluated")

    # engine present: the panel asks it for the picture alone (dependency_svg), nothing else
    monkeypatch.delitem(sys.modules, "prepctl.graph.report")
    asked = []

    def picture(the_plan, target: str, ctx=None) -> str | None:
        asked.append(target)
        assert the_plan is plan
        return '<svg xmlns="http://www.w3.org/2000/svg"><text>prep.models.orm</text></svg>'

    monkeypatch.setattr(dashboard, "dependency_svg", picture)
    present = dashboard.graph_panel(plan)
    assert present.available and asked == ["app.main"]
    assert base64.b64decode(present.image.removeprefix("data:image/svg+xml;base64,")).startswith(b"<svg")

    monkeypatch.setattr(dashboard, "dependency_svg", lambda the_plan, target, ctx=None: None)
    no_dot = dashboard.graph_panel(plan)
    assert not no_dot.available and "Graphviz" in no_dot.note

    def broken(the_plan, target: str, ctx=None) -> str | None:
        raise TypeError("boom")

    monkeypatch.setattr(dashboard, "dependency_svg", broken)
    failed = dashboard.graph_panel(plan)
    assert not failed.available
    assert failed.note == "Not evaluated: the dependency picture of app.main failed (TypeError: boom)."


@pytest.mark.graphviz
def test_the_graph_panel_is_the_dependency_report_s_picture(tmp_path, monkeypatch):
    """The panel draws what `graph report TARGET` draws (same importers, same violations), without
    building the rest of the report."""
    from prepctl.graph.load import settings_from_plan
    from prepctl.graph.report import build_report
    from tests.support.plans import load_plan, write_plan

    app = tmp_path / "app"
    app.mkdir()
    (app / "__init__.py").write_text("", encoding="utf-8")
    (app / "models.py").write_text("X = 1\n", encoding="utf-8")
    (app / "views.py").write_text("import app.models\n", encoding="utf-8")
    (app / "api.py").write_text("from app import views\n", encoding="utf-8")
    plan = load_plan(write_plan(tmp_path, """\
        - {id: orm, kind: imports, title: who imports the models, contract: {type: audit, target: app.models}}
        """))
    svg = dashboard.dependency_svg(plan, "app.models")
    assert svg is not None and svg == build_report(settings_from_plan(plan), "app.models").svg
    assert "app.views" in svg and "app.api" in svg
    panel = dashboard.graph_panel(plan)
    assert panel.available and base64.b64decode(panel.image.removeprefix("data:image/svg+xml;base64,")) == svg.encode()

    # `report` scans once: the panel draws from the graph the imports criterion built.
    from prepctl.evaluate import Evaluation

    evaluation = Evaluation(plan)
    evaluation.phase("p")

    def no_second_build(*args, **kwargs):
        raise AssertionError("the import graph was built a second time")

    monkeypatch.setattr("prepctl.graph.load.build_graph", no_second_build)
    assert dashboard.dependency_svg(plan, "app.models", evaluation.context()) == svg
