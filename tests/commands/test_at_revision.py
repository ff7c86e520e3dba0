"""`prepctl gate PHASE --at REV`: verdicts of an old revision, read from git objects.

The repository is built in tmp_path: the example monolith in a sub-folder, a release tag whose
state passes, later commits that regress, and finally a dirty work tree on another branch. The
verdicts at the tag must be the tag's, and the work tree must be left exactly as it was.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from prepctl.errors import PrepctlError
from prepctl.evaluate import evaluate
from prepctl.sources.git import GitRevisionTree, list_commits, open_repo
from prepctl.verdicts import Status
from tests.support.paths import EXAMPLE
from tests.support.plans import load_plan

PLAN = """\
version: 1
name: at-revision test
root: monolith
phases:
  - id: phase-1
    title: Analytics routers moved out, blocking defects closed
    weeks: 0-2
    owners: [platform]
    criteria:
      - id: routers-gone
        kind: paths
        title: Routers moved into services/analytics_api
        exists: [services/analytics_api/__init__.py]
        absent: [prep/analytics/routers.py]
      - id: no-open-p0-p1
        kind: issues
        title: All P0/P1 defects closed
        report: REMAINING_ISSUES_REPORT.md
        severities: [P0, P1]
        max_open: 0
      - id: smoke
        kind: command
        title: Smoke test runs (live, work tree only)
        advisory: true
        run: ["true"]
  - id: phase-2
    title: Bookings service exists
    weeks: 2-4
    owners: [bookings]
    criteria:
      - id: bookings-service
        kind: paths
        title: services/bookings_api exists
        exists: [services/bookings_api/__init__.py]
  - id: phase-3
    title: Code-based criteria of every kind
    weeks: 4-6
    owners: [platform]
    criteria:
      - id: flag-off
        kind: flag
        title: ANALYTICS_ENDPOINTS_ENABLED defaults to False
        name: ANALYTICS_ENDPOINTS_ENABLED
        expect: false
        files: [prep/settings.py]
      - id: api-contract
        kind: openapi
        title: Analytics paths in openapi.yaml
        document: openapi.yaml
        paths:
          - {path: /api/v1/analytics, methods: [get]}
          - {path: /analytics/host/*, methods: [get]}
      - id: engine-schemas
        kind: schema
        title: Every engine config has a schema
        engines: prep/compliance/*_compliance_engine/
      - id: kitchens-off-orm
        kind: imports
        title: prep.kitchens does not import the ORM
        contract:
          type: forbidden
          source: [prep.kitchens]
          forbidden: [prep.models.orm]
"""

OPEN_DEFECT = "- [ ] PREP-412 Double charge when a booking payment is retried (owner: payments)"
CLOSED_DEFECT = "- [x] PREP-412 Double charge when a booking payment is retried (owner: payments)"
ORM_IMPORT = "from prep.models import orm"
FLAG_OFF = 'Field(default=False, alias="ANALYTICS_ENDPOINTS_ENABLED")'
FLAG_ON = 'Field(default=True, alias="ANALYTICS_ENDPOINTS_ENABLED")'


def git(repo: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True,
                          env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
                               "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid",
                               "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1",
                               "HOME": str(repo), "PATH": "/usr/bin:/bin:/usr/local/bin"})
    return proc.stdout


def commit_all(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


@pytest.fixture()
def history(tmp_path: Path) -> Path:
    """release-1 passes phase-1 and fails phase-2; the dirty work tree on `feature` is the opposite."""
    repo = tmp_path / "repo"
    mono = repo / "monolith"
    shutil.copytree(EXAMPLE, mono, ignore=shutil.ignore_patterns("__pycache__"))
    (repo / "phases.yaml").write_text(PLAN)
    report = mono / "REMAINING_ISSUES_REPORT.md"
    assert OPEN_DEFECT in report.read_text(), "the example's open P1 defect moved; update this test"
    git(repo, "init", "-q", "-b", "main")
    commit_all(repo, "import the monolith")

    # The release: routers moved out, the last P1 closed, every engine has a schema, kitchens
    # stopped importing the ORM.
    routers = mono / "prep" / "analytics" / "routers.py"
    routers_text = routers.read_text()
    routers.unlink()
    report.write_text(report.read_text().replace(OPEN_DEFECT, CLOSED_DEFECT))
    fire_schema = mono / "prep" / "compliance" / "fire_safety_compliance_engine" / "config.schema.json"
    assert not fire_schema.exists(), "the example gained a schema; update this test"
    fire_schema.write_text('{"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object"}\n')
    kitchens = mono / "prep" / "kitchens" / "service.py"
    kitchens_text = kitchens.read_text()
    assert ORM_IMPORT in kitchens_text
    kitchens.write_text(kitchens_text.replace(ORM_IMPORT, "from prep.kitchens import repository as orm"))
    (mono / "prep" / "kitchens" / "repository.py").write_text('"""Kitchen queries."""\n')
    commit_all(repo, "move analytics routers, close PREP-412")
    git(repo, "tag", "-a", "release-1", "-m", "release 1")

    # After the release the routers come back, and a bookings service appears.
    routers.write_text(routers_text)
    (mono / "services" / "bookings_api").mkdir()
    (mono / "services" / "bookings_api" / "__init__.py").write_text('"""bookings api"""\n')
    fire_schema.unlink()
    kitchens.write_text(kitchens_text)
    commit_all(repo, "regress: routers back; add bookings service")

    # Another branch, then uncommitted edits: the defect reopened, a new untracked file.
    git(repo, "checkout", "-q", "-b", "feature")
    report.write_text(report.read_text().replace(CLOSED_DEFECT, OPEN_DEFECT))
    (mono / "prep" / "analytics" / "scratch.py").write_text("x = 1\n")
    settings = mono / "prep" / "settings.py"
    assert FLAG_OFF in settings.read_text()
    settings.write_text(settings.read_text().replace(FLAG_OFF, FLAG_ON))
    openapi = mono / "openapi.yaml"
    assert "\n  /api/v1/analytics:\n" in openapi.read_text()
    openapi.write_text(openapi.read_text().replace("\n  /api/v1/analytics:\n", "\n  /api/v2/analytics:\n"))
    return repo


def statuses(report) -> dict[str, str]:
    return {c.id: c.status.value for phase in report.phases for c in phase.criteria}


def test_verdicts_at_tag_are_the_tags_while_work_tree_is_dirty_on_another_branch(history: Path):
    plan = load_plan(history / "phases.yaml")
    before_status = git(history, "status", "--porcelain")
    before_head = git(history, "rev-parse", "--abbrev-ref", "HEAD")
    tag_sha = git(history, "rev-parse", "release-1^{commit}").strip()

    at_tag = evaluate(plan, ["phase-1", "phase-2"], at="release-1")
    now = evaluate(plan, ["phase-1", "phase-2"])

    assert statuses(at_tag) == {"routers-gone": "pass", "no-open-p0-p1": "pass", "smoke": "skip",
                                "bookings-service": "fail"}
    assert [p.status for p in at_tag.phases] == [Status.PASS, Status.FAIL]
    assert at_tag.revision == tag_sha
    assert all(p.revision == tag_sha for p in at_tag.phases)
    smoke = at_tag.phases[0].criteria[2].verdict
    assert smoke.summary == "live source, not historical"

    # The work tree (dirty, on `feature`) says the opposite, so --at really read the tag.
    assert statuses(now) == {"routers-gone": "fail", "no-open-p0-p1": "fail", "smoke": "pass",
                             "bookings-service": "pass"}
    assert now.revision is None

    # Nothing was checked out or touched.
    assert git(history, "status", "--porcelain") == before_status
    assert git(history, "rev-parse", "--abbrev-ref", "HEAD") == before_head
    assert "scratch.py" in before_status


def test_code_based_kinds_read_the_revision(history: Path):
    """flag, openapi, schema and imports at the tag pass; on the dirty work tree each one fails."""
    plan = load_plan(history / "phases.yaml")
    at_tag = evaluate(plan, ["phase-3"], at="release-1")
    now = evaluate(plan, ["phase-3"])
    assert statuses(at_tag) == {"flag-off": "pass", "api-contract": "pass", "engine-schemas": "pass",
                                "kitchens-off-orm": "pass"}, [c.verdict for c in at_tag.phases[0].criteria]
    assert statuses(now) == {"flag-off": "fail", "api-contract": "fail", "engine-schemas": "fail",
                             "kitchens-off-orm": "fail"}, [c.verdict for c in now.phases[0].criteria]
    assert at_tag.phases[0].status is Status.PASS


def test_evidence_of_old_revision_names_it(history: Path):
    plan = load_plan(history / "phases.yaml")
    sha = git(history, "rev-parse", "HEAD~1").strip()
    report = evaluate(plan, ["phase-1"], at="HEAD~1")
    routers = report.phases[0].criteria[0].verdict
    assert routers.status is Status.PASS
    assert {e.revision for e in routers.evidence} == {sha}


def run_cli(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "prepctl", "-c", str(repo / "phases.yaml"), *args],
                          capture_output=True, text=True, cwd=repo)


def test_cli_json_records_the_revision(history: Path):
    tag_sha = git(history, "rev-parse", "release-1^{commit}").strip()
    proc = run_cli(history, "gate", "phase-1", "--at", "release-1", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["revision"] == tag_sha
    assert data["status"] == "pass"
    assert {c["id"]: c["status"] for c in data["criteria"]} == {
        "routers-gone": "pass", "no-open-p0-p1": "pass", "smoke": "skip"}

    proc = run_cli(history, "gate", "phase-2", "--at", "release-1", "--format", "json")
    assert proc.returncode == 1, proc.stderr
    assert json.loads(proc.stdout)["revision"] == tag_sha


@pytest.mark.parametrize("rev", ["no-such-tag", "HEAD~10", "--help", "HEAD^{tree}"])
def test_bad_revision_exits_2_with_a_clear_message(history: Path, rev: str):
    proc = run_cli(history, "gate", "phase-1", f"--at={rev}")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "revision" in proc.stderr and rev in proc.stderr
    assert proc.stdout == ""


def test_root_missing_at_old_revision_is_an_input_error(history: Path, tmp_path: Path):
    git(history, "checkout", "-q", "-b", "rename")
    git(history, "mv", "monolith", "mono2")
    commit_all(history, "rename")
    plan_text = (history / "phases.yaml").read_text().replace("root: monolith", "root: mono2")
    (history / "phases.yaml").write_text(plan_text)
    proc = run_cli(history, "gate", "phase-1", "--at", "release-1")
    assert proc.returncode == 2
    assert "mono2 does not exist at revision release-1" in proc.stderr


def test_root_outside_git_is_an_input_error(tmp_path: Path):
    with pytest.raises(PrepctlError, match="not inside a git repository"):
        GitRevisionTree.open(tmp_path, "HEAD")


def test_revision_tree_reads_git_objects_not_files(history: Path):
    tree = GitRevisionTree.open(history / "monolith", "release-1")
    assert not tree.exists("prep/analytics/routers.py")
    assert not tree.exists("prep/analytics/scratch.py")
    assert tree.is_dir("prep/analytics") and not tree.is_file("prep/analytics")
    assert CLOSED_DEFECT in tree.read_text("REMAINING_ISSUES_REPORT.md")
    with pytest.raises(FileNotFoundError):
        tree.read_bytes("prep/analytics/routers.py")
    with pytest.raises(IsADirectoryError):
        tree.read_bytes("prep")
    # blob_id is git's own id, taken from the tree object.
    expected = git(history, "rev-parse", "release-1:monolith/prep/models/orm.py").strip()
    assert tree.blob_id("prep/models/orm.py") == expected
    assert tree.glob("prep/analytics/*.py") == ["prep/analytics/__init__.py",
                                                 "prep/analytics/host_routes.py",
                                                 "prep/analytics/queries.py"]
    listed = git(history, "ls-tree", "-r", "--name-only", "release-1", "--", "monolith").split()
    assert list(tree.files()) == sorted(p.removeprefix("monolith/") for p in listed)


def test_list_commits_since_until_every(history: Path):
    repo = open_repo(history)
    all_commits = [c.subject for c in list_commits(repo)]
    assert all_commits == ["import the monolith", "move analytics routers, close PREP-412",
                           "regress: routers back; add bookings service"]
    assert [c.subject for c in list_commits(repo, since="release-1")] == all_commits[1:]
    assert [c.subject for c in list_commits(repo, until="release-1")] == all_commits[:2]
    assert [c.subject for c in list_commits(repo, every=2)] == [all_commits[0], all_commits[2]]
    assert [c.subject for c in list_commits(repo, since="2000-01-01")] == all_commits
    newest = list_commits(repo)[-1].date
    assert list_commits(repo, since=(newest + timedelta(days=2)).date().isoformat()) == []
    with pytest.raises(PrepctlError, match="neither a revision nor a date"):
        list_commits(repo, since="last tuesday-ish")
    with pytest.raises(PrepctlError, match="--every"):
        list_commits(repo, every=0)
    # `since` on another line of history than `until` is a mistake, not an empty range.
    git(history, "checkout", "-q", "--orphan", "unrelated")
    commit_all(history, "unrelated root")
    with pytest.raises(PrepctlError, match="is not an ancestor of main"):
        list_commits(repo, since="unrelated", until="main")
