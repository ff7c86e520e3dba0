"""`--format github` for `gate`, `graph check` and `graph diff`: only what the change broke is an
annotation; baselined violations are one notice and the step summary lists everything."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from prepctl.formats import get_format
from prepctl.verdicts import CriterionResult, Evidence, GateReport, PhaseResult, Status, Verdict
from tests.support.cli import CliResult, run_cli
from tests.support.graph import git
from tests.support.plans import write_plan
from tests.support.trees import write

CRITERIA = """\
- id: a-no-db
  kind: imports
  title: pkg.a does not use the database module
  contract: {type: forbidden, source: [pkg.a], forbidden: [pkg.db]}
- id: b-no-db
  kind: imports
  title: pkg.b does not use the database module
  contract: {type: forbidden, source: [pkg.b], forbidden: [pkg.db]}
"""
#: Baselined violations per contract (two contracts): 32 in all, as in the report that asked.
KNOWN = 16
NEW_FILE = "pkg/a/fresh.py"
NEW_LINE = 3

ANNOTATION = re.compile(r"^::(error|warning|notice) (?:file=([^,:]*),line=(\d+),)?title=[^:]*::")


@dataclass
class Project:
    root: Path
    plan: Path
    summary: Path

    def run(self, *args: str) -> CliResult:
        return run_cli("-c", self.plan, *args, cwd=self.root,
                       env={"GITHUB_WORKSPACE": str(self.root), "GITHUB_STEP_SUMMARY": str(self.summary)})


def commands(stdout: str, level: str) -> list[tuple[str | None, int | None]]:
    """(file, line) of each ``::level`` command printed."""
    found = []
    for line in stdout.splitlines():
        match = ANNOTATION.match(line)
        assert match or not line.startswith("::"), f"a command that is not ours: {line!r}"
        if match and match[1] == level:
            found.append((match[2], int(match[3]) if match[3] else None))
    return found


def _project(tmp_path: Path, new_files: int = 0) -> Project:
    """32 violations recorded in the baseline, committed on main; then ``new_files`` new ones
    (one import each, on line 3) in the work tree."""
    files = {"pkg/__init__.py": "", "pkg/db.py": "", "pkg/a/__init__.py": "", "pkg/b/__init__.py": ""}
    for group in ("a", "b"):
        files.update({f"pkg/{group}/m{n:02}.py": "from pkg import db\n" for n in range(KNOWN)})
    write(tmp_path, files)
    plan = write_plan(tmp_path, CRITERIA, extra="graph: {baseline: baseline.json}")
    project = Project(tmp_path, plan, tmp_path / "summary.md")
    recorded = run_cli("-c", plan, "graph", "check", "--update-baseline", cwd=tmp_path)
    assert recorded.code == 0, recorded.stderr
    assert f"{2 * KNOWN} known violation(s) in 2 contract(s)" in recorded.stderr
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "base")
    names = [NEW_FILE] + [f"pkg/b/new{n:02}.py" for n in range(1, new_files)]
    write(tmp_path, {name: '"""New."""\n\nimport pkg.db\n' for name in names[:new_files]})
    return project


@pytest.fixture
def one_new(tmp_path: Path) -> Project:
    return _project(tmp_path, new_files=1)


def _assert_one_error_and_the_rest_summarised(result: CliResult, summary: str, notice: str) -> None:
    assert result.code == 1, result.stderr
    assert commands(result.stdout, "error") == [(NEW_FILE, NEW_LINE)]
    assert commands(result.stdout, "warning") == []
    [accepted] = [line for line in result.stdout.splitlines() if line.startswith("::notice")]
    assert notice in accepted and "listed in the step summary" in accepted
    for group in ("a", "b"):
        for n in range(KNOWN):
            assert f"`pkg/{group}/m{n:02}.py:1`" in summary, f"pkg/{group}/m{n:02}.py missing from the summary"
    assert f"`{NEW_FILE}:{NEW_LINE}`" in summary


def test_gate_annotates_only_the_new_violation(one_new: Project):
    result = one_new.run("gate", "p", "--format", "github")
    summary = one_new.summary.read_text(encoding="utf-8")
    _assert_one_error_and_the_rest_summarised(result, summary, "32 baselined violation(s) in 2 contract(s) — accepted")
    assert "# prepctl gate: **FAIL**" in summary  # the full report follows the lists


def test_graph_check_annotates_only_the_new_violation(one_new: Project):
    result = one_new.run("graph", "check", "--format", "github")
    summary = one_new.summary.read_text(encoding="utf-8")
    _assert_one_error_and_the_rest_summarised(result, summary, "32 baselined violation(s) in 2 contract(s) — accepted")
    assert "## prepctl graph check: FAIL" in summary


def test_graph_diff_annotates_only_what_the_head_adds(one_new: Project):
    result = one_new.run("graph", "diff", "--base", "main", "--format", "github")
    summary = one_new.summary.read_text(encoding="utf-8")
    _assert_one_error_and_the_rest_summarised(
        result, summary, "32 violation(s) already on main in 2 contract(s) — not added by this change")


def test_the_summary_is_appended_and_without_it_the_notice_says_so(one_new: Project):
    one_new.summary.write_text("earlier step\n", encoding="utf-8")
    one_new.run("graph", "check", "--format", "github")
    assert one_new.summary.read_text(encoding="utf-8").startswith("earlier step\n## prepctl graph check")
    bare = run_cli("-c", one_new.plan, "graph", "check", "--format", "github", cwd=one_new.root,
                   env={"GITHUB_WORKSPACE": str(one_new.root), "GITHUB_STEP_SUMMARY": ""})
    [notice] = [line for line in bare.stdout.splitlines() if line.startswith("::notice")]
    assert "not listed: $GITHUB_STEP_SUMMARY is not set" in notice


@pytest.mark.parametrize("args", [("gate", "p"), ("graph", "check"), ("graph", "diff", "--base", "main")],
                         ids=["gate", "graph-check", "graph-diff"])
def test_more_than_ten_errors_are_all_listed_in_the_summary(tmp_path: Path, args: tuple[str, ...]):
    project = _project(tmp_path, new_files=12)
    result = project.run(*args, "--format", "github")
    assert result.code == 1, result.stderr
    errors = commands(result.stdout, "error")
    assert len(errors) == 12 and (NEW_FILE, NEW_LINE) in errors
    notices = [line for line in result.stdout.splitlines() if line.startswith("::notice")]
    assert any("GitHub shows 10 per step (50 per job); all 12 are listed in the step summary" in n
               for n in notices), notices
    summary = project.summary.read_text(encoding="utf-8")
    assert "GitHub shows 10 error annotations per step (50 per job); all 12 are listed here." in summary
    for file, line in errors:
        assert f"`{file}:{line}`" in summary


def test_a_warn_status_item_is_a_warning_inside_a_failing_criterion(one_new: Project):
    """A file the scan skips outside the contract's scope is the item's own warn, not the fail."""
    write(one_new.root, {"pkg/c/__init__.py": "", "pkg/c/broken.py": "def broken(:\n"})
    result = one_new.run("gate", "p", "--format", "github")
    assert result.code == 1, result.stderr
    assert commands(result.stdout, "error") == [(NEW_FILE, NEW_LINE)]
    assert ("pkg/c/broken.py", 1) in commands(result.stdout, "warning")


def test_an_error_without_location_is_one_error_without_a_file(tmp_path: Path):
    write(tmp_path, {"pkg/__init__.py": "", "pkg/db.py": ""})
    plan = write_plan(tmp_path, """\
        - id: about-nothing
          kind: imports
          title: a contract whose source matches no module
          contract: {type: forbidden, source: [nothing.here], forbidden: [pkg.db]}
        """)
    result = run_cli("-c", plan, "gate", "p", "--format", "github", cwd=tmp_path,
                     env={"GITHUB_WORKSPACE": str(tmp_path), "GITHUB_STEP_SUMMARY": ""})
    assert result.code == 2, result.stderr
    assert commands(result.stdout, "error") == [(None, None)]
    [error] = [line for line in result.stdout.splitlines() if line.startswith("::error")]
    assert error.startswith("::error title=p/about-nothing error::")


def test_levels_come_from_evidence_fields_whatever_the_gate_kind(monkeypatch, tmp_path: Path):
    """A plugin's gate (kind "ticket") gets the same treatment as `imports`: only fields count."""
    monkeypatch.setenv("GITHUB_WORKSPACE", "/w")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "s.md"))
    evidence = (Evidence("blocker", path="a.py", line=1),
                Evidence("slow", path="b.py", line=2, status=Status.WARN),
                Evidence("waived", path="c.py", line=3, status=Status.WARN, baselined=True),
                Evidence("fine", path="d.py", line=4, status=Status.PASS))
    criterion = CriterionResult("t", "ticket", "T", False, Verdict.of(Status.FAIL, "ticket open", evidence))
    report = GateReport([PhaseResult("p", "P", Status.FAIL, [criterion])], Status.FAIL, "/w/phases.yaml", "/w")
    text = get_format("github").render(report)
    assert commands(text, "error") == [("a.py", 1)]
    assert commands(text, "warning") == [("b.py", 2)]
    assert "1 baselined violation(s) in 1 contract(s)" in text
    assert "`c.py:3`" in (tmp_path / "s.md").read_text(encoding="utf-8")


def test_a_hostile_file_name_is_data_of_one_command(one_new: Project):
    """A file the scan must skip, named to close our command and open others."""
    hostile = "pkg/a/x,line=9,title=t::y%0A::set-output name=z::w\n::error::injected.py"
    write(one_new.root, {hostile: "import pkg.db\n"})
    result = one_new.run("graph", "check", "--format", "github")
    assert result.code == 1, result.stderr  # the new violation (fail outranks the unknown file)
    lines = result.stdout.splitlines()
    assert all(ANNOTATION.match(line) or not line.startswith("::") for line in lines)
    assert not any("injected" in line and not line.startswith("::") for line in lines)
    [skipped] = [line for line in lines if "could not be judged" in line]
    # Its text is the data of one command: '%0A' stays text ('%250A'), no newline reaches the log.
    assert skipped.startswith("::error title=p/a-no-db%3A could not be judged::") and "y%250A::set-output" in skipped
    assert len(lines) == 4 and lines[-1] == "prepctl graph check: fail"  # error, error, notice, status


@pytest.mark.parametrize("args", [("gate", "p"), ("graph", "check")], ids=["gate", "graph-check"])
def test_an_unwritable_step_summary_is_an_error_not_a_quieter_run(one_new: Project, args: tuple[str, ...]):
    result = run_cli("-c", one_new.plan, *args, "--format", "github", cwd=one_new.root,
                     env={"GITHUB_WORKSPACE": str(one_new.root),
                          "GITHUB_STEP_SUMMARY": str(one_new.root / "no-such-folder" / "summary.md")})
    assert result.code == 2 and "Traceback" not in result.stderr
    assert "$GITHUB_STEP_SUMMARY" in result.stderr and "cannot append the step summary" in result.stderr
