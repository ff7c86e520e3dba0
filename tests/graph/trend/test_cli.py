"""`prepctl graph trend` as a user runs it: a subprocess, real exit codes, files written."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PIL import Image

from tests.support.cli import run_cli
from tests.support.paths import REPO
from tests.support.trend_history import GIT_ENV, TARGET, History, generate


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> History:
    return generate(tmp_path_factory.mktemp("trend-cli") / "repo", commits=60, packages=4, per_package=10,
                    seed=5)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True,
                          env=GIT_ENV).stdout


def test_json_matches_the_known_counts_and_leaves_the_work_tree_alone(history: History, tmp_path: Path):
    repo = history.repo
    # A dirty work tree on another branch: trend reads git objects, never the files.
    git(repo, "checkout", "-q", "-b", "elsewhere")
    (repo / "mono" / "scratch.py").write_text("import mono.core.orm\n")
    (repo / "mono" / "pkg00" / "mod000.py").write_text("this is not python (\n")
    before = git(repo, "status", "--porcelain")
    try:
        proc = run_cli("--root", repo, "graph", "trend", TARGET, "--format", "json", cwd=tmp_path)
        assert proc.code == 0, proc.stderr
        points = json.loads(proc.stdout)
        assert [(p["commit"], p["exists"], p["direct"], p["transitive"], p["skipped_files"]) for p in points] \
            == [(sha, e.exists, e.direct, e.transitive, e.broken_files)
                for sha, e in zip(history.shas, history.expected, strict=True)]
        assert git(repo, "status", "--porcelain") == before
        assert git(repo, "rev-parse", "--abbrev-ref", "HEAD").strip() == "elsewhere"
    finally:
        (repo / "mono" / "scratch.py").unlink()
        git(repo, "checkout", "-q", "-f", "main")
        git(repo, "branch", "-q", "-D", "elsewhere")


def test_table_with_svg_and_png_plots(history: History, tmp_path: Path):
    svg, png = tmp_path / "out" / "trend.svg", tmp_path / "trend.png"
    proc = run_cli("--root", history.repo, "graph", "trend", TARGET, "--plot", svg, cwd=tmp_path)
    assert proc.code == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == f"Importers of {TARGET}: 60 commit(s)"
    assert len(lines) == 3 + 60
    assert lines[3].startswith(history.shas[0][:12]) and lines[3].endswith(f"{TARGET} absent")
    assert f"wrote {svg}" in proc.stderr
    assert ET.parse(svg).getroot().tag.endswith("svg")
    assert "#9467bd" not in svg.read_text()  # no violations series without --contracts

    proc = run_cli("--root", history.repo, "graph", "trend", TARGET, "--every", "10", "--plot", png,
                   "--format", "csv", "--out", tmp_path / "trend.csv", cwd=tmp_path)
    assert proc.code == 0, proc.stderr
    assert proc.stdout == ""
    rows = (tmp_path / "trend.csv").read_text().splitlines()
    assert rows[0] == "commit,date,exists,direct,transitive,skipped_files"
    assert [r.split(",")[0] for r in rows[1:]] == [history.shas[i] for i in (0, 10, 20, 30, 40, 50, 59)]
    assert Image.open(png).size == (960, 420)


def test_groups_from_phases_yaml(history: History, tmp_path: Path):
    plan = tmp_path / "phases.yaml"
    plan.write_text(f"""\
version: 1
name: trend groups
root: {history.repo}
graph:
  groups:
    first: [mono.pkg00, mono.pkg01]
    second: [mono.pkg02]
phases:
  - id: p
    title: ORM audit
    weeks: 0-1
    owners: [platform]
    criteria:
      - id: orm-present
        kind: paths
        title: ORM present
        exists: [mono/core/orm.py]
""")
    proc = run_cli("-c", plan, "graph", "trend", TARGET, "--groups", "--format", "json")
    assert proc.code == 0, proc.stderr
    points = json.loads(proc.stdout)
    for point, want in zip(points, history.expected, strict=True):
        assert sum(point["groups"].values()) == want.transitive
        assert set(point["groups"]) >= {"first", "second"}
    assert any(p["groups"]["first"] for p in points) and any(p["groups"]["second"] for p in points)


@pytest.mark.parametrize(("args", "message"), [
    (["--until", "no-such-branch"], "bad revision 'no-such-branch'"),
    (["--since", "someday"], "neither a revision nor a date"),
    (["--plot", "chart.pdf"], ".svg or .png"),
    (["--groups"], "--groups needs downstream groups"),
    (["--ignore", "sometimes"], "unknown import tag"),
    (["--every", "0"], "--every"),
])
def test_bad_input_exits_2_without_a_traceback(history: History, tmp_path: Path, args: list[str], message: str):
    proc = run_cli("--root", history.repo, "graph", "trend", TARGET, *args, cwd=tmp_path)
    assert proc.code == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""
    assert not (tmp_path / "chart.pdf").exists()


def test_unknown_module_suggests_one_that_existed(history: History, tmp_path: Path):
    proc = run_cli("--root", history.repo, "graph", "trend", "mono.core.orn", cwd=tmp_path)
    assert proc.code == 2
    assert "does not exist at any of the 60 commit(s)" in proc.stderr
    assert "did you mean 'mono.core.orm'?" in proc.stderr


def test_root_outside_git_is_an_input_error(tmp_path: Path):
    (tmp_path / "app.py").write_text("import os\n")
    proc = run_cli("--root", tmp_path, "graph", "trend", "app", cwd=tmp_path)
    assert proc.code == 2
    assert "not inside a git repository" in proc.stderr


def test_progress_bar_only_on_a_terminal(history: History, tmp_path: Path):
    plain = run_cli("--root", history.repo, "graph", "trend", TARGET, "--format", "csv", cwd=tmp_path)
    assert plain.code == 0 and plain.stderr == ""

    # stderr on a pseudo-terminal: the bar is drawn there, and stdout still carries only data.
    main_fd, child_fd = pty.openpty()
    env = {**os.environ, "COLUMNS": "100", "TERM": "xterm", "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "prepctl", "--root", str(history.repo), "graph", "trend",
                             TARGET, "--format", "csv"], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=child_fd, stdin=subprocess.DEVNULL, env=env)
    os.close(child_fd)
    drawn = b""
    while True:
        ready, _, _ = select.select([main_fd], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(main_fd, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        drawn += chunk
    stdout = proc.stdout.read().decode()
    assert proc.wait(timeout=60) == 0
    os.close(main_fd)
    assert b"counting importers" in drawn
    assert stdout == plain.stdout


def commit_steps(repo: Path, files: dict[str, str], steps: list[tuple[str, dict[str, str]]]) -> None:
    """A new repository with one commit per step; each step's files are written over the last."""
    git(repo.parent, "init", "-q", "-b", "main", str(repo))
    for subject, changes in steps:
        files.update(changes)
        for rel, text in files.items():
            (repo / rel).parent.mkdir(parents=True, exist_ok=True)
            (repo / rel).write_text(text)
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", subject)


def phase_plan(folder: Path, repo: Path, criteria: str) -> Path:
    """A phases.yaml over ``repo`` with one phase, p2, holding ``criteria`` (YAML list items)."""
    plan = folder / "phases.yaml"
    plan.write_text(f"version: 1\nname: trend contracts\nroot: {repo}\nphases:\n  - id: p2\n"
                    "    title: Repositories\n    weeks: 0-1\n    owners: [platform]\n    criteria:\n" + criteria)
    return plan


def test_contract_violations_per_commit(tmp_path: Path):
    """--contracts: each plan contract's violations at every commit, as `graph check` counts them."""
    repo = tmp_path / "repo"
    commit_steps(repo, {"app/__init__.py": "", "app/orm.py": "class Booking: ...\n", "app/bookings/__init__.py": "",
                        "app/bookings/service.py": "X = 1\n", "app/bookings/repo.py": "Y = 2\n"}, [
        ("start", {}),
        ("service imports the ORM", {"app/bookings/service.py": "from app.orm import Booking\n"}),
        ("repo imports it too", {"app/bookings/repo.py": "import app.orm\n"}),
        ("README only", {"README.md": "docs\n"}),
        ("service fixed", {"app/bookings/service.py": "from app.bookings import repo\n"}),
        ("repo fixed", {"app/bookings/repo.py": "Y = 3\n"}),
    ])
    plan = phase_plan(tmp_path, repo, """\
      - id: bookings-not-orm
        kind: imports
        title: app.bookings does not import the ORM
        contract: {type: forbidden, source: [app.bookings], forbidden: [app.orm], transitive: true}
      - id: orm-audit
        kind: imports
        title: ORM audit
        contract: {type: audit, target: app.orm, report: docs/orm}
""")
    proc = run_cli("-c", plan, "graph", "trend", "app.orm", "--contracts", "--format", "json")
    assert proc.code == 0, proc.stderr
    points = json.loads(proc.stdout)
    # service, then repo import the ORM; a README changes nothing; service goes through repo,
    # which the contract counts once (at repo's import); repo fixed.
    assert [p["violations"] for p in points] == [{"p2/bookings-not-orm": n} for n in (0, 1, 2, 2, 1, 0)]
    # The same count `graph check` gives for a commit's tree.
    git(repo, "checkout", "-q", "HEAD~1")
    check = run_cli("-c", plan, "graph", "check", "--format", "json")
    [contract] = [c for c in json.loads(check.stdout)["contracts"] if c["contract"] == "p2/bookings-not-orm"]
    assert len(contract["new"]) + len(contract["known"]) == points[-2]["violations"]["p2/bookings-not-orm"]
    git(repo, "checkout", "-q", "main")
    svg = tmp_path / "burndown.svg"
    table = run_cli("-c", plan, "graph", "trend", "app.orm", "--contracts", "--plot", svg)
    assert table.code == 0, table.stderr
    # The chart adds the violations (all contracts together) as a third series, with its legend.
    drawn = svg.read_text()
    assert drawn.count('stroke="#9467bd"') == 2 and ">violations<" in drawn
    assert "bookings-not-orm" in table.stdout.splitlines()[1]
    csv_rows = run_cli("-c", plan, "graph", "trend", "app.orm", "--contracts", "--format", "csv").stdout.splitlines()
    assert csv_rows[0].endswith(",violations:p2/bookings-not-orm") and csv_rows[2].endswith(",1")


def test_a_skipped_file_in_a_contracts_scope_leaves_its_count_unknown(tmp_path: Path):
    """The skipped-file rule of `graph check`, per commit: a file in the contract's scope that
    the scanner had to skip hides its imports, so that commit's count is unknown (null), unless
    the contract tolerates the file (allow_skipped). A skipped file outside the scope changes
    nothing."""
    repo = tmp_path / "repo"
    broken = "from app.orm import Booking\n\n\ndef f(:\n    pass\n"  # the error is far from the import
    commit_steps(repo, {"app/__init__.py": "", "app/orm.py": "class Booking: ...\n",
                        "app/other.py": "X = 1\n", "app/bookings/__init__.py": "",
                        "app/bookings/service.py": "X = 1\n"}, [
        ("start", {}),
        ("service imports the ORM", {"app/bookings/service.py": "from app.orm import Booking\n"}),
        ("a syntax error in the service", {"app/bookings/service.py": broken}),
        ("fixed", {"app/bookings/service.py": "from app.orm import Booking\n"}),
        ("a syntax error outside the scope", {"app/other.py": "def g(:\n"}),
    ])
    plan = phase_plan(tmp_path, repo, """\
      - id: strict
        kind: imports
        title: app.bookings does not import the ORM
        contract: {type: forbidden, source: [app.bookings], forbidden: [app.orm]}
      - id: tolerant
        kind: imports
        title: the same, tolerating the broken service
        contract: {type: forbidden, source: [app.bookings], forbidden: [app.orm],
                   allow_skipped: [app/bookings/service.py]}
""")
    proc = run_cli("-c", plan, "graph", "trend", "app.orm", "--contracts", "--format", "json")
    assert proc.code == 0, proc.stderr
    points = json.loads(proc.stdout)
    assert [p["skipped_files"] for p in points] == [0, 0, 1, 0, 1]
    assert [p["violations"]["p2/strict"] for p in points] == [0, 1, None, 1, 1]
    # Tolerated, the broken file counts as what the scan could read of it: nothing.
    assert [p["violations"]["p2/tolerant"] for p in points] == [0, 1, 0, 1, 1]
    # `graph check` says the same of the broken commit: the strict contract is an error there.
    git(repo, "checkout", "-q", "HEAD~2")
    check = run_cli("-c", plan, "graph", "check", "--format", "json")
    statuses = {c["contract"]: c["status"] for c in json.loads(check.stdout)["contracts"]}
    assert statuses == {"p2/strict": "error", "p2/tolerant": "warn"}


def test_contracts_without_checkable_contracts_is_an_input_error(history: History, tmp_path: Path):
    proc = run_cli("--root", history.repo, "graph", "trend", TARGET, "--contracts", cwd=tmp_path)
    assert proc.code == 2 and "--contracts needs `imports` criteria" in proc.stderr
    assert "Traceback" not in proc.stderr
