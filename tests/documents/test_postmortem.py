"""`prepctl render postmortem`: the timeline and measured impact come from recorded gate history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prepctl.history import HistoryStore, RecordedCriterion, RecordedPhase, Run, history_path
from prepctl.verdicts import Status
from tests.support.cli import run_cli
from tests.support.documents import make_project

SLO_CRITERION = """\
      - id: latency
        kind: slo
        title: Latency within bounds
        objectives:
          - name: p95
            query: histogram_quantile(0.95, rate(http_seconds_bucket[5m]))
            pass: "<= 0.8"
"""
T0 = datetime(2026, 1, 6, 9, 0, tzinfo=UTC)
P, F, E = Status.PASS, Status.FAIL, Status.ERROR


def _run(index: int, when: datetime, issues: Status, app: Status, latency: Status, value: float,
         historical: bool = False) -> Run:
    crits = (
        RecordedCriterion("no-open-p1", "issues", "All P0/P1 defects closed", False, issues,
                          "1 open P0/P1" if issues is F else "0 open P0/P1"),
        RecordedCriterion("app-exists", "paths", "The app exists", False, app,
                          "missing app/main.py" if app is not P else "1 required present"),
        RecordedCriterion("latency", "slo", "Latency within bounds", False, latency, f"p95 = {value}",
                          ({"label": "p95: query (instant, Prometheus at 2026-01-06T09:00:00Z)", "value": "q"},
                           {"label": f"p95{{service=\"api\"}} at {when.isoformat()}", "value": value,
                            "expected": "pass if <= 0.8"})),
    )
    worst = F if F in (issues, app, latency) else (E if E in (issues, app, latency) else P)
    return Run(uid=f"{index:032x}", time=when, status=worst, revision=f"{index:x}" * 40, config_hash="c" * 64,
               plan_name="Docs test plan", historical=historical,
               phases=(RecordedPhase("phase-0", "Stabilize", worst, crits),))


def _project_with_history(tmp_path):
    project = make_project(tmp_path, git=False)
    text = project.plan.read_text(encoding="utf-8")
    marker = "      - id: rfc-signed-off\n"
    project.plan.write_text(text.replace(marker, SLO_CRITERION + marker, 1), encoding="utf-8")
    plan = project.load()
    with HistoryStore(history_path(plan)) as store:
        store.add(_run(1, T0, F, P, P, 0.5))
        store.add(_run(2, T0 + timedelta(hours=26), P, P, F, 0.95))
        store.add(_run(9, T0 + timedelta(hours=30), F, F, F, 9.0, historical=True))  # `--at`: ignored
        store.add(_run(3, T0 + timedelta(hours=50), P, F, P, 0.6))
        store.add(_run(4, T0 + timedelta(hours=74), P, P, P, 0.55))
    return project


def test_timeline_shows_first_failure_first_pass_regressions_and_recoveries(tmp_path):
    project = _project_with_history(tmp_path)
    result = run_cli("-c", project.plan, "render", "postmortem", "phase-0", "--out", "-")
    assert result.code == 0, result.stderr
    text = result.stdout
    timeline = text.split("<!-- prepctl:begin timeline -->\n", 1)[1].split("<!-- prepctl:end timeline -->")[0]
    rows = [line.split(" | ")[:4] for line in timeline.splitlines() if line.startswith("| 2026")]
    assert rows == [
        ["| 2026-01-06 09:00 UTC", "**phase**", "first failed", "fail"],
        ["| 2026-01-06 09:00 UTC", "`no-open-p1`", "first failed", "fail"],
        ["| 2026-01-06 09:00 UTC", "`app-exists`", "first passed", "pass"],
        ["| 2026-01-06 09:00 UTC", "`latency`", "first passed", "pass"],
        ["| 2026-01-07 11:00 UTC", "`no-open-p1`", "first passed", "pass"],
        ["| 2026-01-07 11:00 UTC", "`latency`", "regressed", "fail"],
        ["| 2026-01-08 11:00 UTC", "`app-exists`", "regressed", "fail"],
        ["| 2026-01-08 11:00 UTC", "`latency`", "recovered", "pass"],
        ["| 2026-01-09 11:00 UTC", "**phase**", "first passed", "pass"],
        ["| 2026-01-09 11:00 UTC", "`app-exists`", "recovered", "pass"],
    ]
    assert "| 4 runs, 2026-01-06 09:00 UTC – 2026-01-09 11:00 UTC |" in text
    impact = text.split("<!-- prepctl:begin slo-impact -->", 1)[1]
    assert ("Out of bounds in 1 of 4 recorded runs (2026-01-07 11:00 UTC – 2026-01-07 11:00 UTC); "
            "latest: pass.") in impact
    assert '| p95{service="api"} | 4 | 0.5 | 0.95 | 0.55 | pass if &lt;= 0.8 |' in impact
    assert "- `no-open-p1` reached pass (2026-01-07 11:00 UTC) and never regressed." in text
    assert "- `app-exists` regressed 1 time(s) after passing." in text
    assert "- [ ] Evaluate `rfc-signed-off` (RFC signed off): no recorded run has it." in text
    assert "`no-open-p1` took longest from first failure to pass (26.0 h)" in text


def test_postmortem_is_deterministic_and_keeps_human_sections(tmp_path):
    project = _project_with_history(tmp_path)
    assert run_cli("-c", project.plan, "render", "postmortem", "phase-0").code == 0
    path = project.dir / "docs" / "postmortems" / "phase-0.md"
    text = path.read_text(encoding="utf-8")
    assert "## What went well" in text and "_Add your own._" in text
    notes = text.replace("_What happened, in three sentences, for someone who was not there._",
                         "The app folder was deleted by a bad merge on Jan 8.")
    path.write_text(notes, encoding="utf-8")
    again = run_cli("-c", project.plan, "render", "postmortem", "phase-0")
    assert "unchanged" in again.stdout
    assert path.read_text(encoding="utf-8") == notes


def test_window_and_incident_title(tmp_path):
    project = _project_with_history(tmp_path)
    result = run_cli("-c", project.plan, "render", "postmortem", "phase-0", "--incident",
                     "App folder deleted", "--since", "2026-01-08", "--until", "2026-01-08T23:59Z")
    assert result.code == 0, result.stderr
    path = project.dir / "docs" / "postmortems" / "phase-0-app-folder-deleted.md"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!-- prepctl:begin header -->\n# Post-mortem: App folder deleted (phase-0)\n")
    assert "1 runs, 2026-01-08 11:00 UTC – 2026-01-08 11:00 UTC (window 2026-01-08 00:00 UTC – " in text
    bad = run_cli("-c", project.plan, "render", "postmortem", "phase-0", "--since", "last week")
    assert bad.code == 2 and "--since: 'last week' is not a date or time" in bad.stderr


def test_without_history_the_sections_say_not_evaluated(tmp_path):
    project = make_project(tmp_path, git=False)
    result = run_cli("-c", project.plan, "render", "postmortem", "phase-1", "--format", "html", "--out",
                     tmp_path / "pm.html")
    assert result.code == 0, result.stderr
    html = (tmp_path / "pm.html").read_text(encoding="utf-8")
    assert "No gate runs recorded for <code>phase-1</code>" in html
    assert ("Not evaluated: no criterion of phase <code>phase-1</code> recorded a measured value") in html
