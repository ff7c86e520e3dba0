"""`--from-history` fails closed: a damaged or edited history store, or a recorded run that lacks
a criterion, is refused (exit 2, a message naming the store) or replaced by an intact run of the
same tree state; it never makes a phase pass that the plan says fails.

Recorded in-process with `run_gate` (what `prepctl gate --all` does), damaged with sqlite3, read
back with `evaluation_for` (what `status`, `report` and `render rfc` call); one case goes through
the CLI for the exit code and the message."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from prepctl.errors import PrepctlError
from prepctl.evaluate import GateRequest, evaluation_for, run_gate
from prepctl.history import history_path, read_runs
from prepctl.plan.model import LoadedPlan
from prepctl.verdicts import Status
from tests.support.documents import GIT_ENV
from tests.support.paths import REPO
from tests.support.plans import load_plan, write_plan

CRITERIA = """\
- {id: here, kind: paths, title: present, exists: [app/main.py]}
- {id: gone, kind: paths, title: absent, exists: [app/missing.py]}
"""


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, env={**os.environ, **GIT_ENV}, check=True, capture_output=True)


@pytest.fixture
def recorded(tmp_path: Path) -> LoadedPlan:
    """A clean git repository whose one phase fails (`gone`), with one `gate --all` run recorded."""
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.py").write_text("x = 1\n", encoding="utf-8")
    write_plan(tmp_path, CRITERIA)
    (tmp_path / ".gitignore").write_text(".prepctl/\n", encoding="utf-8")
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "plan")
    plan = load_plan(tmp_path / "phases.yaml")
    assert run_gate(plan, GateRequest(all_phases=True)).exit_code == 1
    [run] = read_runs(plan)
    assert run.clean is True
    return plan


def damage(plan: LoadedPlan, *statements: str) -> None:
    connection = sqlite3.connect(history_path(plan))
    for statement in statements:
        connection.execute(statement)
    connection.commit()
    connection.close()


def test_the_intact_run_is_replayed_and_fails_as_recorded(recorded: LoadedPlan):
    phase = evaluation_for(recorded, ["p"], from_history=True).phase("p")
    assert phase.status is Status.FAIL
    assert [(c.id, c.status) for c in phase.criteria] == [("here", Status.PASS), ("gone", Status.FAIL)]


@pytest.mark.parametrize(("statement", "says"), [
    ("UPDATE criterion_results SET evidence = '{}'", "evidence is not a list of objects"),
    ("UPDATE criterion_results SET evidence = '[1, \"x\"]'", "evidence is not a list of objects"),
    ("UPDATE criterion_results SET evidence = '[{'", "cannot read history"),
    ("UPDATE criterion_results SET status = 'bogus' WHERE criterion = 'gone'", "'bogus' is not a valid Status"),
    ("UPDATE runs SET time = 'yesterday'", "cannot read history"),
    ("DROP TABLE criterion_results", "no such table"),
    ("UPDATE criterion_results SET kind = 'python' WHERE criterion = 'gone'",
     "recorded p/gone as kind 'python', but phases.yaml declares 'paths'"),
], ids=["evidence-object", "evidence-not-objects", "evidence-not-json", "status", "time", "table", "kind"])
def test_a_damaged_store_is_refused(recorded: LoadedPlan, statement: str, says: str):
    damage(recorded, statement)
    with pytest.raises(PrepctlError) as caught:
        evaluation_for(recorded, ["p"], from_history=True)
    message = str(caught.value.problems[0])
    assert says in message and str(history_path(recorded)) in message


def test_a_store_that_is_not_a_database_is_refused(recorded: LoadedPlan):
    path = history_path(recorded)
    for leftover in path.parent.glob(path.name + "-*"):  # the WAL and its index
        leftover.unlink()
    path.write_bytes(b"not a database" * 100)
    with pytest.raises(PrepctlError, match="history store unusable"):
        evaluation_for(recorded, ["p"], from_history=True)


def test_a_record_flipped_to_advisory_cannot_pass_the_phase(recorded: LoadedPlan):
    """Whether a criterion is advisory is phases.yaml's (the run was recorded under the same
    config hash), not the record's: an edited row must not turn a failing phase into a pass."""
    damage(recorded, "UPDATE criterion_results SET advisory = 1 WHERE criterion = 'gone'",
           "UPDATE phase_results SET status = 'pass'", "UPDATE runs SET status = 'pass'")
    phase = evaluation_for(recorded, ["p"], from_history=True).phase("p")
    assert phase.status is Status.FAIL
    assert [c.advisory for c in phase.criteria] == [False, False]


def test_a_run_missing_a_criterion_is_never_replayed_in_part(recorded: LoadedPlan):
    damage(recorded, "DELETE FROM criterion_results WHERE criterion = 'gone'")
    with pytest.raises(PrepctlError, match=r"no gate run of this tree state covers p/gone"):
        evaluation_for(recorded, ["p"], from_history=True)


def test_an_intact_older_run_of_the_same_state_stands_in_for_a_damaged_newer_one(recorded: LoadedPlan):
    [older] = read_runs(recorded)
    run_gate(recorded, GateRequest(all_phases=True))
    newer = read_runs(recorded)[-1]
    damage(recorded, "DELETE FROM criterion_results WHERE criterion = 'gone' AND run_id = "
           f"(SELECT id FROM runs WHERE uid = '{newer.uid}')")
    evaluation = evaluation_for(recorded, ["p"], from_history=True)
    assert evaluation.run is not None and evaluation.run.uid == older.uid
    assert f"#{older.uid[:8]}" in evaluation.used  # says which run it used
    assert evaluation.phase("p").status is Status.FAIL


def test_through_the_cli_a_damaged_row_exits_2_with_the_store_named(recorded: LoadedPlan):
    damage(recorded, "UPDATE criterion_results SET evidence = '[1]'")
    proc = subprocess.run([sys.executable, "-m", "prepctl", "-c", str(recorded.path), "status", "--from-history"],
                          capture_output=True, text=True, timeout=120, cwd=recorded.config_dir,
                          env={**os.environ, "PYTHONPATH": str(REPO), "NO_COLOR": "1"}, stdin=subprocess.DEVNULL)
    assert proc.returncode == 2 and proc.stdout == ""
    assert f"prepctl: {history_path(recorded)}: cannot read history: a criterion's evidence" in proc.stderr
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr


def test_another_config_on_the_same_clean_commit_is_refused(tmp_path: Path):
    """The config hash alone tells: phases.yaml is ignored by git here, so editing it leaves the
    tree clean and the commit the same; the recorded run is of another plan all the same."""
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.py").write_text("x = 1\n", encoding="utf-8")
    config = write_plan(tmp_path, CRITERIA)
    (tmp_path / ".gitignore").write_text(".prepctl/\nphases.yaml\n", encoding="utf-8")
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "code only")
    run_gate(load_plan(config), GateRequest(all_phases=True))
    config.write_text(config.read_text(encoding="utf-8").replace("app/missing.py", "app/main.py"), encoding="utf-8")
    plan = load_plan(config)
    with pytest.raises(PrepctlError, match=r"no gate run recorded on a clean tree at [0-9a-f]{10} with this "
                       r"phases.yaml \(config [0-9a-f]{8}\)"):
        evaluation_for(plan, ["p"], from_history=True)
    assert evaluation_for(plan, ["p"]).phase("p").status is Status.PASS  # evaluating now: the new plan passes


@pytest.fixture
def unignored(tmp_path: Path) -> LoadedPlan:
    """A clean repository with no .gitignore at all: prepctl's `.prepctl/` shows as untracked."""
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.py").write_text("x = 1\n", encoding="utf-8")
    write_plan(tmp_path, CRITERIA)
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "plan")
    return load_plan(tmp_path / "phases.yaml")


def test_prepctl_s_own_state_folder_does_not_make_the_tree_dirty(unignored: LoadedPlan):
    """The history file of the first run is untracked when the second looks; neither counts it."""
    run_gate(unignored, GateRequest(all_phases=True))
    run_gate(unignored, GateRequest(all_phases=True))
    assert [run.clean for run in read_runs(unignored)] == [True, True]
    status = subprocess.run(["git", "status", "--porcelain"], cwd=unignored.config_dir, capture_output=True,
                            text=True, check=True).stdout
    assert ".prepctl/" in status  # git does see it: prepctl leaves its own folder out on purpose
    assert evaluation_for(unignored, ["p"], from_history=True).phase("p").status is Status.FAIL


@pytest.mark.parametrize("change", ["untracked", "staged-rename", "modified"])
def test_any_other_change_still_makes_the_tree_dirty(unignored: LoadedPlan, change: str):
    run_gate(unignored, GateRequest(all_phases=True))
    folder = unignored.config_dir
    if change == "untracked":
        (folder / ".prepctl-notes.txt").write_text("not prepctl's state\n", encoding="utf-8")
    elif change == "staged-rename":
        git(folder, "mv", "app/main.py", "app/renamed.py")
    else:
        (folder / "app" / "main.py").write_text("x = 2\n", encoding="utf-8")
    with pytest.raises(PrepctlError, match="the work tree has uncommitted changes"):
        evaluation_for(unignored, ["p"], from_history=True)
