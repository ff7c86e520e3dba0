"""One evaluation per invocation (`render rfc --all`, `render runbook`, `render postmortem`,
`report`, `status`), and `--from-history`: reuse a recorded gate run of the same tree state.

A throw-away gate kind installed through an entry point (as pip would leave it) appends
"PHASE/CRITERION" to a log file on every `check`, so the counts are taken through the real CLI
path, in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.support.documents import GIT_ENV
from tests.support.paths import REPO

GATE_MODULE = '''
import os
from typing import Literal

from prepctl.plugin import CriterionSpec, Evidence, Gate, GateContext, Metric, Phase, Status, Verdict


class CountedSpec(CriterionSpec):
    kind: Literal["counted"]
    result: str = "pass"


class CountedGate(Gate[CountedSpec]):
    kind = "counted"
    options = CountedSpec
    does_io = False

    def check(self, spec, phase, ctx):
        with open(os.environ["COUNT_LOG"], "a", encoding="utf-8") as log:
            log.write(f"{phase.id}/{spec.id}\\n")
        return Verdict.of(Status(spec.result), f"counted {spec.id}",
                          [Evidence("marker", path="app/main.py", line=3, value={"n": 1}, expected="1",
                                    metric=Metric("ratio", 0.5, unit="%", objective="<= 1", threshold=1.0,
                                                  direction="lower"))])


class CountedIoSpec(CountedSpec):
    kind: Literal["counted-io"]


class CountedIoGate(CountedGate):
    kind = "counted-io"
    options = CountedIoSpec
    does_io = True  # checked in worker threads: counted all the same
'''

ENTRY_POINTS = "[prepctl.gates]\ncounted = counted_gate:CountedGate\ncounted-io = counted_gate:CountedIoGate\n"


def criteria(phase: str, results: tuple[str, str] = ("pass", "pass")) -> str:
    return (f"      - {{id: {phase}-a, kind: counted, title: a, result: {results[0]}}}\n"
            f"      - {{id: {phase}-b, kind: counted, title: b, result: {results[1]}}}\n"
            f"      - {{id: {phase}-io, kind: counted-io, title: io, advisory: true}}\n")


def plan_text(second: tuple[str, str] = ("pass", "fail")) -> str:
    """Four phases: p1 and p2 depend on p0, p3 on both."""
    phases = [("p0", [], ("pass", "pass")), ("p1", ["p0"], second), ("p2", ["p0"], ("pass", "pass")),
              ("p3", ["p1", "p2"], ("pass", "pass"))]
    text = ("version: 1\nname: counted plan\nroot: mono\nstart_date: 2026-11-02\n"
            "services:\n  - {id: svc, title: Service, phase: p1, owners: [ops], slos: [p1/p1-a]}\n"
            "phases:\n")
    for pid, deps, results in phases:
        text += (f"  - id: {pid}\n    title: Phase {pid}\n    weeks: 0-1\n    owners: [tester]\n"
                 f"    depends_on: [{', '.join(deps)}]\n    criteria:\n" + criteria(pid, results))
    return text


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A git repository (committed, clean) holding phases.yaml, the monolith and the plugin."""
    site = tmp_path / "site"
    dist = site / "counted-0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: counted\nVersion: 0\n", encoding="utf-8")
    (dist / "entry_points.txt").write_text(ENTRY_POINTS, encoding="utf-8")
    (site / "counted_gate.py").write_text(GATE_MODULE, encoding="utf-8")
    repo = tmp_path / "repo"
    (repo / "mono" / "app").mkdir(parents=True)
    (repo / "mono" / "app" / "main.py").write_text("print('app')\n", encoding="utf-8")
    (repo / "phases.yaml").write_text(plan_text(), encoding="utf-8")
    (repo / ".gitignore").write_text(".prepctl/\nout/\n", encoding="utf-8")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "plan")
    return repo


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, env={**os.environ, **GIT_ENV}, check=True,
                          capture_output=True, text=True).stdout


def prepctl(repo: Path, *args: str | Path) -> tuple[subprocess.CompletedProcess[str], Counter[str]]:
    """Run prepctl on the project; also how often each criterion was checked."""
    log = repo.parent / "checks.log"
    log.write_text("", encoding="utf-8")
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120", "COUNT_LOG": str(log),
           "PYTHONPATH": os.pathsep.join([str(repo.parent / "site"), str(REPO)])}
    proc = subprocess.run([sys.executable, "-m", "prepctl", "-c", str(repo / "phases.yaml"), *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=120, stdin=subprocess.DEVNULL,
                          cwd=repo)
    return proc, Counter(log.read_text(encoding="utf-8").split())


ALL = {f"{p}/{p}-{c}" for p in ("p0", "p1", "p2", "p3") for c in ("a", "b", "io")}


@pytest.mark.parametrize("args", [
    ("render", "rfc", "--all", "--out", "out"),
    ("render", "rfc", "--all", "--out", "-", "--format", "html"),
    ("render", "rfc", "--all", "--out", "out", "--check"),
    ("report", "--out", "out/dashboard"),
    ("status",),
    ("status", "--format", "json"),
], ids=["rfc-all", "rfc-all-html", "rfc-all-check", "report", "status", "status-json"])
def test_each_criterion_is_checked_exactly_once_per_invocation(project: Path, args: tuple[str, ...]):
    proc, checks = prepctl(project, *args)
    assert proc.returncode in (0, 1), proc.stderr  # --check: 1, the RFCs are not written yet
    assert "Traceback" not in proc.stderr
    assert set(checks) == ALL, checks
    assert all(n == 1 for n in checks.values()), checks


def test_runbook_and_postmortem_check_nothing(project: Path):
    """They are built from the plan and the recorded history, never from a live evaluation."""
    prepctl(project, "gate", "--all")  # history for the post-mortem
    for args in (("render", "runbook", "--out", "-"), ("render", "runbook", "--format", "html", "--out", "-"),
                 ("render", "postmortem", "p1", "--out", "-"),
                 ("render", "postmortem", "p1", "--format", "html", "--out", "-")):
        proc, checks = prepctl(project, *args)
        assert proc.returncode == 0, proc.stderr
        assert checks == Counter(), (args, checks)
        assert proc.stdout.strip(), args


def test_one_rfc_checks_only_its_own_phase(project: Path):
    proc, checks = prepctl(project, "render", "rfc", "p3", "--out", "-")
    assert proc.returncode == 0, proc.stderr
    assert checks == Counter({"p3/p3-a": 1, "p3/p3-b": 1, "p3/p3-io": 1})


# ---------------------------------------------------------------- --from-history


def test_from_history_reuses_the_recorded_run_and_says_which(project: Path):
    gate, checked = prepctl(project, "gate", "--all")
    assert gate.returncode == 1 and set(checked) == ALL  # p1-b fails
    [run] = json.loads(prepctl(project, "history", "--format", "json")[0].stdout)
    assert run["clean"] is True
    head = git(project, "rev-parse", "HEAD").strip()

    now, _ = prepctl(project, "status", "--format", "json")
    replayed, checks = prepctl(project, "status", "--format", "json", "--from-history")
    assert checks == Counter()  # nothing evaluated
    assert replayed.returncode == 0, replayed.stderr
    assert json.loads(replayed.stdout) == json.loads(now.stdout)
    assert (f"prepctl: using gate run #{run['uid'][:8]} of {run['time'][:19].replace('T', ' ')} UTC at "
            f"{head[:10]} (config {run['config_hash'][:8]})") in replayed.stderr

    rfc, checks = prepctl(project, "render", "rfc", "--all", "--out", "out", "--from-history")
    assert rfc.returncode == 0 and checks == Counter(), rfc.stderr
    text = (project / "out" / "p1.md").read_text(encoding="utf-8")
    assert f"Exit criteria in gate run #{run['uid'][:8]} of " in text
    assert "| `p1-b` | ❌ fail | counted p1-b |" in text
    assert "`app/main.py:3`" in text  # evidence round-trips: path and line
    fresh = (project / "out" / "fresh").mkdir(parents=True) or prepctl(
        project, "render", "rfc", "p1", "--out", "out/fresh/p1.md")[0]
    assert fresh.returncode == 0
    fresh_text = (project / "out" / "fresh" / "p1.md").read_text(encoding="utf-8")
    # Only the state line differs: the verdicts and their evidence are the recorded ones.
    assert fresh_text.replace("Exit criteria now:", "X") == text.replace(
        f"Exit criteria in gate run #{run['uid'][:8]} of {run['time'][:19].replace('T', ' ')} UTC:", "X")

    report, checks = prepctl(project, "report", "--out", "out/dash", "--from-history")
    assert report.returncode == 0 and checks == Counter(), report.stderr
    html = (project / "out" / "dash" / "index.html").read_text(encoding="utf-8")
    assert f"Overall gate status in gate run #{run['uid'][:8]}" in html


def test_from_history_refuses_a_dirty_tree(project: Path):
    prepctl(project, "gate", "--all")
    (project / "mono" / "app" / "new.py").write_text("x = 1\n", encoding="utf-8")  # untracked counts
    proc, checks = prepctl(project, "status", "--from-history")
    assert proc.returncode == 2 and checks == Counter()
    assert "the work tree has uncommitted changes" in proc.stderr and "Traceback" not in proc.stderr


def test_a_run_recorded_on_a_dirty_tree_is_never_reused(project: Path):
    (project / "mono" / "app" / "main.py").write_text("print('changed')\n", encoding="utf-8")
    prepctl(project, "gate", "--all")  # recorded at HEAD, but of a tree HEAD does not hold
    git(project, "checkout", "--", ".")
    proc, checks = prepctl(project, "report", "--out", "out/d", "--from-history")
    assert proc.returncode == 2 and checks == Counter()
    assert "no gate run recorded on a clean tree at" in proc.stderr
    assert not (project / "out" / "d").exists()


def test_from_history_refuses_another_config_or_commit(project: Path):
    prepctl(project, "gate", "--all")
    (project / "phases.yaml").write_text(plan_text(second=("pass", "pass")), encoding="utf-8")
    git(project, "commit", "-qam", "p1 passes now")  # clean again, but another commit and config
    proc, checks = prepctl(project, "status", "--from-history")
    assert proc.returncode == 2 and checks == Counter()
    assert "no gate run recorded on a clean tree" in proc.stderr and "run `prepctl gate --all` first" in proc.stderr


def test_from_history_refuses_a_run_without_the_phase(project: Path):
    prepctl(project, "gate", "p0")
    proc, checks = prepctl(project, "render", "rfc", "p1", "--out", "-", "--from-history")
    assert proc.returncode == 2 and checks == Counter() and proc.stdout == ""
    assert "no gate run of this tree state covers p1" in proc.stderr
    ok, checks = prepctl(project, "render", "rfc", "p0", "--out", "-", "--from-history")
    assert ok.returncode == 0 and checks == Counter(), ok.stderr


def test_from_history_outside_git_is_refused(tmp_path: Path, project: Path):
    import shutil

    shutil.rmtree(project / ".git")
    prepctl(project, "gate", "--all")
    proc, checks = prepctl(project, "status", "--from-history")
    assert proc.returncode == 2 and checks == Counter()
    assert "not in git" in proc.stderr


# ---------------------------------------------------------------- in-process: the record round-trips


def test_a_recorded_run_gives_back_the_verdicts_documents_show(tmp_path: Path):
    """Status, summary and every evidence field (with its metric) survive recording and reading."""
    import sqlite3

    from prepctl.evaluate import Evaluation, evaluate
    from prepctl.history import HistoryStore, history_path, read_runs, run_from_report
    from prepctl.verdicts import Evidence, Metric, Verdict
    from tests.support.plans import load_plan, write_plan

    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.py").write_text("x = 1\n", encoding="utf-8")
    plan = load_plan(write_plan(tmp_path, """\
        - {id: here, kind: paths, title: present, exists: [app/main.py]}
        - {id: gone, kind: paths, title: absent, exists: [app/missing.py]}
        """))
    report = evaluate(plan, ["p"])
    # A metric and every evidence field, as a plugin gate may record them.
    extra = Evidence("m", path="a.py", line=7, value={"k": [1, 2]}, expected="<= 3", revision="abc",
                     url="https://example.com/x", metric=Metric("lag", 2.5, "s", "<= 3", 3.0, "lower"))
    first = report.phases[0].criteria[0]
    report.phases[0].criteria[0] = type(first)(first.id, first.kind, first.title, first.advisory,
                                               Verdict(first.status, first.verdict.summary,
                                                       (*first.verdict.evidence, extra)), first.seconds)
    with HistoryStore(history_path(plan)) as store:
        store.add(run_from_report(plan, report))
    [run] = read_runs(plan)
    assert run.clean is None  # tmp_path is not in git: not known, so never replayed
    replayed = Evaluation.from_run(plan, run).phase("p")
    assert [c.verdict for c in replayed.criteria] == [c.verdict for c in report.phases[0].criteria]
    assert replayed.status is report.phases[0].status

    connection = sqlite3.connect(history_path(plan))
    assert connection.execute("PRAGMA user_version").fetchone() == (2,)
    connection.close()


def test_a_schema_1_store_gains_the_clean_column_and_keeps_its_runs(tmp_path: Path):
    import sqlite3

    from prepctl.history import read_runs
    from prepctl.history.store import SCHEMA
    from tests.support.plans import load_plan, write_plan

    plan = load_plan(write_plan(tmp_path, "- {id: here, kind: paths, title: present, exists: [x]}"))
    path = tmp_path / ".prepctl" / "history.sqlite3"
    path.parent.mkdir()
    connection = sqlite3.connect(path)
    connection.executescript(SCHEMA.replace(",\n    clean INTEGER", ""))
    connection.execute("INSERT INTO runs VALUES (1, 'a', '2026-12-01T00:00:00.000000Z', 'pass', 'r', 'h', "
                       "'test plan', 0, 0)")
    connection.execute("PRAGMA user_version = 1")
    connection.commit()
    connection.close()
    [run] = read_runs(plan)
    assert (run.uid, run.revision, run.clean) == ("a", "r", None)
    connection = sqlite3.connect(path)
    assert connection.execute("PRAGMA user_version").fetchone() == (2,)
    connection.close()


@pytest.mark.parametrize(("args", "says"), [
    (("history", "p0", "p1"), "too many arguments; usage: prepctl history [PHASE]"),
    (("history", "--format", "xml"), "history lists --format table or json, not 'xml'"),
    (("history", "export", "x"), "`history export` takes no arguments"),
    (("history", "export", "--format", "csv"), "history export writes --format jsonl, not 'csv'"),
    (("history", "import"), "`history import` needs one FILE"),
])
def test_history_usage_errors_exit_2_with_the_usage(project: Path, args: tuple[str, ...], says: str):
    """The `history` dispatch lives in prepctl.history.listing now; the command still exits 2."""
    proc, _ = prepctl(project, *args)
    assert proc.returncode == 2 and proc.stdout == ""
    assert f"prepctl: {says}" in proc.stderr and "Traceback" not in proc.stderr
