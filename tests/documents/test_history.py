"""Gate history: recording every `prepctl gate` run, listing, export/import, concurrency."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from prepctl.history import (
    EXPORT_FORMAT,
    HistoryStore,
    RecordedCriterion,
    RecordedPhase,
    Run,
    history_path,
    read_runs,
)
from prepctl.verdicts import Status
from tests.support.cli import run_cli
from tests.support.documents import make_project


def test_gate_runs_are_recorded_and_listed(tmp_path):
    project = make_project(tmp_path, open_issue="Checkout broken")
    head = project.run_git("rev-parse", "HEAD").strip()
    first = run_cli("-c", project.plan, "gate", "phase-0")
    assert first.code == 1  # the open P1 fails the phase
    assert run_cli("-c", project.plan, "gate", "--all").code == 1
    plan = project.load()
    runs = read_runs(plan)
    assert [sorted(p.phase for p in r.phases) for r in runs] == [["phase-0"], ["phase-0", "phase-1"]]
    run = runs[0]
    assert run.revision == head
    assert run.status is Status.FAIL and not run.historical
    import hashlib

    assert run.config_hash == hashlib.sha256(project.plan.read_bytes()).hexdigest()
    crit = {c.id: c for c in run.phase("phase-0").criteria}
    assert crit["no-open-p1"].status is Status.FAIL
    assert crit["no-open-p1"].evidence[0]["label"] == "open P1: PREP-2 Checkout broken"
    assert crit["no-open-p1"].evidence[0]["line"] == 6
    assert crit["app-exists"].status is Status.PASS

    listed = run_cli("-c", project.plan, "history")
    assert listed.code == 0
    lines = listed.stdout.splitlines()
    assert lines[0].split()[:3] == ["TIME", "(UTC)", "RUN"]
    assert len(lines) == 4  # header + phase-0 + (phase-0, phase-1)
    assert all(head[:10] in line for line in lines[1:])
    only = run_cli("-c", project.plan, "history", "phase-1")
    assert len(only.stdout.splitlines()) == 2 and "phase-1" in only.stdout.splitlines()[1]
    as_json = json.loads(run_cli("-c", project.plan, "history", "--format", "json").stdout)
    assert [r["uid"] for r in as_json] == [r.uid for r in runs]


def test_history_of_unknown_phase_is_an_error_and_empty_history_says_so(tmp_path):
    project = make_project(tmp_path)
    empty = run_cli("-c", project.plan, "history")
    assert empty.code == 0 and empty.stdout == "no gate runs recorded\n"
    assert not history_path(project.load()).exists()  # reading never creates the store
    unknown = run_cli("-c", project.plan, "history", "phase-7")
    assert unknown.code == 2 and "unknown phase 'phase-7'" in unknown.stderr


def test_gate_at_a_revision_is_recorded_as_historical(tmp_path):
    project = make_project(tmp_path)
    tag = project.run_git("rev-parse", "HEAD").strip()
    project.commit("later")
    result = run_cli("-c", project.plan, "gate", "phase-0", "--at", tag)
    assert result.code in (0, 1, 2)
    (run,) = read_runs(project.load())
    assert run.historical and run.revision == tag
    assert "(--at)" in run_cli("-c", project.plan, "history").stdout
    assert read_runs(project.load(), include_historical=False) == []


def test_export_then_import_moves_history_between_machines(tmp_path):
    ci = make_project(tmp_path / "ci")
    for _ in range(3):
        run_cli("-c", ci.plan, "gate", "--all")
    exported = run_cli("-c", ci.plan, "history", "export", "--format", "jsonl")
    assert exported.code == 0
    lines = exported.stdout.splitlines()
    assert len(lines) == 3
    assert all(json.loads(line)["format"] == EXPORT_FORMAT for line in lines)
    dump = tmp_path / "history.jsonl"
    assert run_cli("-c", ci.plan, "history", "export", "--out", dump).code == 0
    assert dump.read_text(encoding="utf-8") == exported.stdout

    laptop = make_project(tmp_path / "laptop")
    run_cli("-c", laptop.plan, "gate", "phase-1")  # a local run of its own
    imported = run_cli("-c", laptop.plan, "history", "import", dump)
    assert imported.code == 0, imported.stderr
    assert "imported 3 runs (0 already present)" in imported.stdout
    again = run_cli("-c", laptop.plan, "history", "import", dump)
    assert "imported 0 runs (3 already present)" in again.stdout
    ci_runs, laptop_runs = read_runs(ci.load()), read_runs(laptop.load())
    assert len(laptop_runs) == 4
    by_uid = {r.uid: r for r in laptop_runs}
    for run in ci_runs:
        assert by_uid[run.uid] == run  # every field, verdict and evidence survives the trip
    # and exporting the merged store gives the CI lines back, byte for byte
    merged = run_cli("-c", laptop.plan, "history", "export").stdout.splitlines()
    assert [line for line in merged if json.loads(line)["uid"] in {r.uid for r in ci_runs}] == lines


def test_import_of_a_malformed_file_names_the_line_and_imports_nothing(tmp_path):
    project = make_project(tmp_path)
    run_cli("-c", project.plan, "gate", "phase-0")
    good = run_cli("-c", project.plan, "history", "export").stdout
    bad = tmp_path / "bad.jsonl"
    record = json.loads(good)
    record["uid"] = "f" * 32
    broken = dict(record, status="maybe")
    bad.write_text(json.dumps(record) + "\n\n" + json.dumps(broken) + "\n", encoding="utf-8")
    other = make_project(tmp_path / "other")
    result = run_cli("-c", other.plan, "history", "import", bad)
    assert result.code == 2
    assert f"{bad}:3: status:" in result.stderr and "Traceback" not in result.stderr
    assert read_runs(other.load()) == []
    not_json = tmp_path / "text.jsonl"
    not_json.write_text("hello\n", encoding="utf-8")
    assert f"{not_json}:1:" in run_cli("-c", other.plan, "history", "import", not_json).stderr
    missing = run_cli("-c", other.plan, "history", "import", tmp_path / "nope.jsonl")
    assert missing.code == 2 and "file not found" in missing.stderr


def test_history_failure_is_reported_but_does_not_change_the_exit_code(tmp_path):
    project = make_project(tmp_path)
    (project.dir / ".prepctl").write_text("not a folder", encoding="utf-8")
    result = run_cli("-c", project.plan, "gate", "phase-1")
    assert result.code == 1  # phase-1 fails on its own merits, as without history
    assert "prepctl: warning: gate history not recorded" in result.stderr
    assert "Traceback" not in result.stderr
    corrupt = make_project(tmp_path / "corrupt")
    store = corrupt.dir / ".prepctl" / "history.sqlite3"
    store.parent.mkdir()
    store.write_bytes(b"this is not sqlite" * 100)
    result = run_cli("-c", corrupt.plan, "gate", "phase-0", "--format", "json")
    without = run_cli("-c", corrupt.plan, "gate", "phase-0", "--format", "json", env={"PREPCTL_NO_HISTORY": "1"})
    assert (result.code, json.loads(result.stdout)["status"]) == (without.code, "error") == (2, "error")
    assert "gate history not recorded" in result.stderr and "history.sqlite3" in result.stderr
    clean = run_cli("-c", project.plan, "gate", "phase-1", env={"PREPCTL_NO_HISTORY": "1"})
    assert clean.code == 1 and "warning" not in clean.stderr


def test_secrets_never_reach_history(tmp_path):
    project = make_project(tmp_path)
    token = "tok-3f9a1c77e2b4-SECRET"
    plan = project.plan.read_text(encoding="utf-8").replace(
        "phases:\n", "sources:\n  github: {repo: acme/prep, token_env: DEPLOY_TOKEN}\nphases:\n", 1).replace(
        "      - id: app-exists\n",
        "      - id: leaky\n"
        "        kind: command\n"
        "        title: A command that prints a token\n"
        "        run: [sh, -c, 'echo token=$DEPLOY_TOKEN; exit 1']\n"
        "      - id: app-exists\n")
    project.plan.write_text(plan, encoding="utf-8")
    # The gate never used the GitHub source, so nothing had read its token before history did.
    result = run_cli("-c", project.plan, "gate", "phase-0", env={"DEPLOY_TOKEN": token})
    assert result.code == 1
    assert token not in result.stdout + result.stderr
    raw = (project.dir / ".prepctl" / "history.sqlite3").read_bytes()
    wal = project.dir / ".prepctl" / "history.sqlite3-wal"
    raw += wal.read_bytes() if wal.exists() else b""
    exported = run_cli("-c", project.plan, "history", "export").stdout
    (leaky,) = [c for c in read_runs(project.load())[0].phase("phase-0").criteria if c.id == "leaky"]
    assert "token=***" in json.dumps(leaky.evidence)
    assert token.encode() not in raw
    assert token not in exported


_WRITER = """
import sys
from datetime import datetime, timedelta, UTC
from pathlib import Path
from prepctl.history import HistoryStore, Run, RecordedPhase, RecordedCriterion
from prepctl.verdicts import Status
path, worker, count = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
for i in range(count):
    store = HistoryStore(path)
    crits = tuple(RecordedCriterion(f"c{k}", "paths", "t", False, Status.PASS, "ok", ({"label": "e"},))
                  for k in range(20))
    store.add(Run(uid=f"{worker:04d}{i:028d}", time=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=i),
                  status=Status.PASS, revision=None, config_hash="h", plan_name="p",
                  phases=(RecordedPhase("phase-0", "P", Status.PASS, crits),)))
    store.close()
"""


def test_concurrent_writers_all_land_whole(tmp_path):
    path = tmp_path / ".prepctl" / "history.sqlite3"
    workers, per_worker = 4, 15
    procs = [subprocess.Popen([sys.executable, "-c", _WRITER, str(path), str(w), str(per_worker)],
                              stderr=subprocess.PIPE) for w in range(workers)]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
    with HistoryStore(path) as store:
        runs = store.runs()
    assert len(runs) == workers * per_worker
    assert all(len(r.phases[0].criteria) == 20 for r in runs)
    connection = sqlite3.connect(path)
    assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    connection.close()


def test_runs_come_back_oldest_first_and_limit_keeps_the_newest(tmp_path):
    path = tmp_path / "h.sqlite3"
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with HistoryStore(path) as store:
        for i in (2, 0, 1):
            store.add(Run(uid=f"{i:032d}", time=start + timedelta(hours=i), status=Status.FAIL, revision="r",
                          config_hash="h", plan_name="p",
                          phases=(RecordedPhase("phase-0", "P", Status.FAIL,
                                                (RecordedCriterion("c", "k", "t", False, Status.FAIL, "s"),)),)))
        assert [r.uid[-1] for r in store.runs()] == ["0", "1", "2"]
        assert [r.uid[-1] for r in store.runs(limit=2)] == ["1", "2"]
        assert store.runs(phase="phase-9") == []


def test_import_refuses_a_forged_record(tmp_path):
    # A run stamped in 2099 would stay the latest run for good; a phase written as pass over a
    # failing criterion would tell the post-mortem and trend a story no gate run told.
    project = make_project(tmp_path)
    run_cli("-c", project.plan, "gate", "phase-1")
    record = json.loads(run_cli("-c", project.plan, "history", "export").stdout)
    assert record["phases"][0]["status"] == "fail"
    other = make_project(tmp_path / "other")

    def imported(name: str, forged: dict) -> str:
        path = tmp_path / name
        path.write_text(json.dumps(dict(forged, uid="e" * 32)) + "\n", encoding="utf-8")
        result = run_cli("-c", other.plan, "history", "import", path)
        assert result.code == 2 and "Traceback" not in result.stderr, result.stderr
        assert read_runs(other.load()) == []
        return result.stderr

    future = imported("future.jsonl", dict(record, time="2099-01-01T00:00:00.000000Z"))
    assert "future.jsonl:1:" in future and "in the future" in future
    phases = [dict(record["phases"][0], status="pass")]
    phase_lie = imported("phase.jsonl", dict(record, phases=phases, status="pass"))
    assert "phase phase-1 is recorded as pass, but its criteria roll up to fail" in phase_lie
    run_lie = imported("run.jsonl", dict(record, status="pass"))
    assert "the run is recorded as pass, but its phases roll up to fail" in run_lie
