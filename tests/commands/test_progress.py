"""Progress on standard error for `gate --all` and `shadow`: drawn on a terminal, absent off one,
never on standard output."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from prepctl.commands._progress import StderrProgress
from prepctl.evaluate import evaluate
from prepctl.shadow.recorded import load_requests
from prepctl.shadow.replay import ReplaySettings, Targets, progress_label, replay
from tests.support.cli import run_cli
from tests.support.plans import load_plan
from tests.support.shadow_servers import Trio
from tests.support.terminal import run_on_tty

NO_HISTORY = {"PREPCTL_NO_HISTORY": "1"}


@pytest.fixture
def two_phase_plan(tmp_path: Path) -> Path:
    path = tmp_path / "phases.yaml"
    criteria = "\n".join(f"""      - id: {cid}
        title: {cid} done
        kind: manual
        role: ops""" for cid in ("alpha", "beta", "gamma"))
    path.write_text(f"""version: 1
name: progress plan
root: .
phases:
  - id: first
    title: First
    weeks: 0-1
    owners: [tester]
    criteria:
{criteria}
  - id: second
    title: Second
    weeks: 1-2
    depends_on: [first]
    owners: [tester]
    criteria:
{criteria}
""", encoding="utf-8")
    return path


def test_evaluate_reports_every_criterion_up_to_the_total(two_phase_plan: Path):
    calls: list[tuple[int, int, str]] = []
    report = evaluate(load_plan(two_phase_plan), ["first", "second"], on_progress=lambda *call: calls.append(call))
    assert len(report.phases) == 2
    finished = [call for call in calls if "/" in call[2]]
    assert [done for done, _, _ in finished] == list(range(1, 7))
    assert {total for _, total, _ in calls} == {6}
    assert {label for _, _, label in finished} == {f"{p}/{c}" for p in ("first", "second")
                                                   for c in ("alpha", "beta", "gamma")}
    assert calls[0] == (0, 6, "first")


def test_gate_all_draws_progress_on_a_terminal_and_keeps_stdout_clean(two_phase_plan: Path):
    result = run_on_tty("-c", two_phase_plan, "gate", "--all", "--format", "json", tty="stderr", env=NO_HISTORY)
    assert result.code == 1, result.terminal
    shown = result.terminal.decode("utf-8", "replace")
    assert "evaluating" in shown
    assert "6/6" in shown or "0/6" in shown  # rich redraws at its own pace; the total is always there
    report = json.loads(result.piped)  # nothing but the report on standard output
    assert [p["phase"] for p in report["phases"]] == ["first", "second"]


def test_gate_all_draws_nothing_on_a_pipe(two_phase_plan: Path):
    result = run_cli("-c", two_phase_plan, "gate", "--all", env=NO_HISTORY)
    assert result.code == 1
    assert "evaluating" not in result.stderr and "\x1b" not in result.stderr
    forced = run_cli("-c", two_phase_plan, "gate", "--all", env={**NO_HISTORY, "FORCE_COLOR": "1"})
    assert "evaluating" not in forced.stderr  # colour may be forced; a redrawn bar in a log is not


def test_progress_label_keeps_the_query_string_out(tmp_path: Path):
    path = tmp_path / "requests.jsonl"
    path.write_text('{"path": "/api/v1/items?token=s3cret&x=1"}\n', encoding="utf-8")
    [request] = load_requests(path)
    assert progress_label(request) == "GET /api/v1/items"


@pytest.mark.live
def test_replay_reports_each_request_up_to_the_total(shadow_trio: Trio, requests_file: Path):
    calls: list[tuple[int, int, str]] = []
    requests = load_requests(requests_file)
    result = replay(requests, Targets(shadow_trio.primary.url, shadow_trio.candidate.url),
                    ReplaySettings(rate=0), on_progress=lambda *call: calls.append(call))
    total = len(result.exchanges)
    assert total > 2 and not result.not_run
    assert calls[0] == (0, total, "")
    assert sorted(done for done, _, label in calls if label) == list(range(1, total + 1))


@pytest.mark.live
def test_shadow_draws_progress_on_a_terminal_only(shadow_trio: Trio, requests_file: Path):
    args = ["shadow", "--requests", requests_file, "--primary", shadow_trio.primary.url,
            "--candidate", shadow_trio.candidate.url, "--rate", "0", "--format", "json"]
    on_tty = run_on_tty(*args, tty="stderr")
    assert on_tty.code == 1, on_tty.terminal  # the seeded difference
    assert "replaying" in on_tty.terminal.decode("utf-8", "replace")
    assert json.loads(on_tty.piped)["compared"] > 0
    piped = run_cli(*args)
    assert piped.code == 1
    assert "replaying" not in piped.stderr


class _FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_hostile_label_reaches_the_terminal_inert(monkeypatch: pytest.MonkeyPatch):
    terminal = _FakeTerminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    with StderrProgress("replaying") as on_progress:
        assert on_progress is not None  # stderr claims to be a terminal
        on_progress(1, 2, "GET /x\x1b]0;pwned\x07[bold red]markup[/]")
    written = terminal.getvalue()
    assert "replaying" in written
    assert "\x1b]0;" not in written and "\x07" not in written  # no OSC: the title stays the user's
    assert "GET /x[bold red]markup[/]" in written  # markup shown as typed, not applied


def test_off_a_terminal_there_is_no_callback_at_all(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    with StderrProgress("evaluating") as on_progress:
        assert on_progress is None
