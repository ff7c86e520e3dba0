"""`prepctl status` against the calendar: start_date + weeks give each phase's dates, and each
phase is done, overdue, late to start, in progress or upcoming on a given day."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from prepctl.status import schedule_of
from tests.support.cli import run_cli
from tests.support.paths import PHASES, REPO
from tests.support.plans import write_plan

NO_HISTORY = {"PREPCTL_NO_HISTORY": "1"}
START, END = date(2026, 11, 23), date(2026, 12, 13)  # phases.yaml's phase-1: weeks 3-5 from 2026-11-02


@pytest.mark.parametrize(("today", "passed", "started", "state", "text"), [
    (date(2026, 12, 20), True, True, "done", "done (planned to end Dec 13)"),
    (date(2026, 12, 20), False, True, "overdue", "7 days overdue (end Dec 13)"),
    (date(2026, 12, 14), False, False, "overdue", "1 day overdue (end Dec 13)"),
    (date(2026, 11, 28), False, False, "late start", "5 days late (start Nov 23)"),
    (date(2026, 11, 28), False, True, "in progress", "ends Dec 13 (in 15 days)"),
    (date(2026, 12, 13), False, True, "in progress", "ends Dec 13 (in 0 days)"),
    (date(2026, 11, 22), False, False, "upcoming", "starts Nov 23 (in 1 day)"),
])
def test_schedule_states(today: date, passed: bool, started: bool, state: str, text: str):
    schedule = schedule_of(START, END, passed, started, today)
    assert (schedule.state, schedule.text) == (state, text)


def test_status_reports_the_schedule_on_a_given_day():
    result = run_cli("-c", PHASES, "status", "--format", "json", "--on", "2026-11-28", env=NO_HISTORY)
    assert result.code == 0, result.stderr
    rows = {r["phase"]: r["schedule"] for r in json.loads(result.stdout)["phases"]}
    assert rows["phase-0"] == {"start": "2026-11-02", "end": "2026-11-22", "state": "overdue",
                               "text": "6 days overdue (end Nov 22)"}
    assert rows["phase-1"]["state"] == "late start"  # blocked by phase-0 past its start
    assert rows["phase-2"] == {"start": "2026-12-07", "end": "2026-12-27", "state": "upcoming",
                               "text": "starts Dec 7 (in 9 days)"}
    table = run_cli("-c", PHASES, "status", "--on", "2026-11-28", env=NO_HISTORY).stdout
    assert "schedule" in table and "6 days overdue" in table


def test_without_a_start_date_there_is_no_schedule(tmp_path: Path):
    plan = write_plan(tmp_path, """
        - id: here
          kind: paths
          title: the plan exists
          exists: [phases.yaml]
        """)
    assert "start_date" not in plan.read_text(encoding="utf-8")
    result = run_cli("-c", plan, "status", "--format", "json", env=NO_HISTORY)
    assert result.code == 0, result.stderr
    (row,) = json.loads(result.stdout)["phases"]
    assert row["state"] == "passed" and row["schedule"] is None
    assert "schedule" not in run_cli("-c", plan, "status", env=NO_HISTORY).stdout


def test_a_malformed_day_is_an_input_error():
    result = run_cli("-c", PHASES, "status", "--on", "28.11.2026", env=NO_HISTORY)
    assert result.code == 2 and "--on '28.11.2026' is not a date (use YYYY-MM-DD" in result.stderr


def test_a_piped_table_is_120_columns_unless_COLUMNS_says_otherwise():
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"} | {**NO_HISTORY, "NO_COLOR": "1"}
    piped = subprocess.run([sys.executable, "-m", "prepctl", "-c", str(PHASES), "status", "--on", "2026-11-28"],
                           cwd=REPO, env=env, capture_output=True, text=True, check=True, timeout=120).stdout
    assert max(len(line) for line in piped.splitlines()) == 120
    wide = run_cli("-c", PHASES, "status", "--on", "2026-11-28", env={"COLUMNS": "220", **NO_HISTORY}).stdout
    assert 120 < max(len(line) for line in wide.splitlines()) <= 220
    assert "6 days overdue (end Nov 22)" in wide  # on one line now
