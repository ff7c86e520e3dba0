"""The `signoff` gate kind and `prepctl signoff`: approvals from git trailers and the sign-off
file, and staleness against the RFC's last content change."""

from __future__ import annotations

import json

import pytest

from prepctl.gates import registry
from prepctl.gates.signoff import SignoffGate
from prepctl.signoff.content import content_digest
from prepctl.signoff.git_approvals import parse_trailers
from prepctl.signoff.spec import spec_for
from prepctl.signoff.state import signoff_state
from prepctl.signoff.verdict import state_verdict
from prepctl.verdicts import Status
from tests.support.cli import run_cli
from tests.support.documents import Project, make_project


def _verdict(project: Project, phase: str = "phase-0"):
    plan = project.load()
    state = signoff_state(plan, plan.phase(phase), spec_for(plan.phase(phase)))
    return state, state_verdict(state)


def _gate_json(project: Project, phase: str = "phase-0") -> dict:
    result = run_cli("-c", project.plan, "gate", phase, "--format", "json")
    return next(c for c in json.loads(result.stdout)["criteria"] if c["kind"] == "signoff")


def _render(project: Project, phase: str = "phase-0") -> None:
    result = run_cli("-c", project.plan, "render", "rfc", phase)
    assert result.code == 0, result.stderr


def _touch_rfc_outside_regions(project: Project, note: str) -> None:
    rfc = project.rfc()
    rfc.write_text(rfc.read_text(encoding="utf-8") + f"\n{note}\n", encoding="utf-8")


def test_signoff_is_a_builtin_kind():
    assert registry.BUILTIN["signoff"] == "prepctl.gates.signoff:SignoffGate"
    assert registry.GATES.get("signoff") is SignoffGate


def test_trailers_are_read_from_the_last_paragraph_only():
    message = ("Approve the RFC\n\nApproved-by: Not A Trailer <x@y>\nis body text\n\n"
               "Signed-off-by: Someone <s@x>\nApproved-by: Ada Owner <ada@example.com>\n"
               "approved-by: Dee Bee <dee@example.com> (dba)\nApproved-by: no email here\n")
    found = parse_trailers(message)
    assert [(a.name, a.email, a.role) for a in found] == [
        ("Ada Owner", "ada@example.com", None), ("Dee Bee", "dee@example.com", "dba")]
    assert parse_trailers("Approved-by: Ada Owner <ada@example.com>") == ()  # subject only


def test_missing_rfc_is_an_error_not_a_pass(tmp_path):
    project = make_project(tmp_path)
    crit = _gate_json(project)
    assert crit["status"] == "error"
    assert "render it with `prepctl render rfc phase-0`" in crit["summary"]


def test_commit_trailer_approvals_pass_then_go_stale_when_content_changes(tmp_path):
    project = make_project(tmp_path)
    _render(project)
    project.commit("Add the phase-0 RFC", date="2026-01-02T10:00:00+00:00")
    crit = _gate_json(project)
    assert crit["status"] == "fail"
    assert crit["summary"] == "awaiting sign-off by tech-lead, dba"

    # Ada approves by name (she is the named tech-lead); the dba role is given explicitly.
    _touch_rfc_outside_regions(project, "Reviewed by Ada and Dee.")
    approval = project.commit("Approve phase-0 RFC\n\nApproved-by: Ada Owner <ada@example.com>\n"
                              "Approved-by: Dee Bee <dee@example.com> (dba)", date="2026-01-03T10:00:00+00:00")
    crit = _gate_json(project)
    assert crit["status"] == "pass", crit
    assert crit["summary"] == "signed off by tech-lead (Ada Owner), dba (Dee Bee)"
    labels = [e["label"] for e in crit["evidence"]]
    assert "tech-lead: approved by Ada Owner" in labels

    # Re-rendering status (a verdict changes) is not a content change: the approvals hold.
    (project.mono / "app" / "main.py").unlink()
    _render(project)
    project.commit("Re-render after app move", date="2026-01-04T10:00:00+00:00")
    state, verdict = _verdict(project)
    assert verdict.status is Status.PASS, verdict.summary
    assert state.last_change is not None and state.last_change.commit == approval

    # A content change (a new task in the plan, rendered into the RFC) makes them stale.
    plan = project.plan.read_text(encoding="utf-8").replace("tasks: [Close the P1 backlog]",
                                                            "tasks: [Close the P1 backlog, Also freeze deploys]")
    project.plan.write_text(plan, encoding="utf-8")
    _render(project)
    change = project.commit("Add a task", date="2026-01-05T10:00:00+00:00")
    crit = _gate_json(project)
    assert crit["status"] == "fail"
    assert crit["summary"] == "stale approval by tech-lead, dba (the RFC changed since)"
    stale = [e for e in crit["evidence"] if e["label"].startswith("tech-lead: stale")]
    assert len(stale) == 1
    assert (f"stale: approved at commit {approval[:10]} on 2026-01-03, before the RFC's last content "
            f"change (commit {change[:10]} on 2026-01-05)") in stale[0]["label"]
    assert stale[0]["revision"] == approval

    # The RFC itself shows it too.
    rfc = project.rfc().read_text(encoding="utf-8")
    assert "| tech-lead | Ada Owner | ⚠️ stale | 2026-01-03 |" in rfc


def test_uncommitted_content_changes_make_commit_approvals_stale(tmp_path):
    project = make_project(tmp_path)
    _render(project)
    project.commit("rfc\n\nApproved-by: Ada Owner <ada@example.com>\nApproved-by: Dee <d@x> (dba)")
    assert _verdict(project)[1].status is Status.PASS
    _touch_rfc_outside_regions(project, "An uncommitted new paragraph.")
    state, verdict = _verdict(project)
    assert verdict.status is Status.FAIL
    assert state.last_change is not None and state.last_change.uncommitted
    assert any("uncommitted content changes" in e.label for e in verdict.evidence)


def test_signoff_command_records_digest_and_detects_staleness(tmp_path):
    project = make_project(tmp_path)
    _render(project)
    project.commit("rfc", date="2026-01-02T10:00:00+00:00")
    first = run_cli("-c", project.plan, "signoff", "phase-0", "--as", "tech-lead", "--name", "Ada Owner",
                    "--email", "ada@example.com", "--date", "2026-01-03")
    assert first.code == 0, first.stderr
    digest = content_digest(project.rfc().read_text(encoding="utf-8"))
    assert f"content {digest}" in first.stdout
    second = run_cli("-c", project.plan, "signoff", "phase-0", "--as", "dba", "--name", "Dee Bee")
    assert second.code == 0, second.stderr
    signoffs = (project.dir / "signoffs.yaml").read_text(encoding="utf-8")
    assert f"rfc_digest: {digest}" in signoffs and "email: ada@example.com" in signoffs
    assert _verdict(project)[1].status is Status.PASS
    duplicate = run_cli("-c", project.plan, "signoff", "phase-0", "--as", "dba", "--name", "Dee Bee")
    assert "already recorded" in duplicate.stdout
    assert (project.dir / "signoffs.yaml").read_text(encoding="utf-8") == signoffs

    _touch_rfc_outside_regions(project, "Scope grew.")
    state, verdict = _verdict(project)
    assert verdict.status is Status.FAIL
    roles = {r.role: r for r in state.roles}
    assert roles["tech-lead"].status == "stale"
    problem = roles["tech-lead"].approvals[0].problem or ""
    assert problem.startswith("stale: approved on 2026-01-03 a version of the RFC whose content has changed")


def test_hand_written_file_entries_without_digest_compare_dates(tmp_path):
    project = make_project(tmp_path)
    _render(project)
    project.commit("rfc", date="2026-01-10T10:00:00+00:00")
    (project.dir / "signoffs.yaml").write_text(
        "signoffs:\n"
        "  - {phase: phase-0, role: tech-lead, name: Ada Owner, date: 2026-01-08}\n"
        "  - {phase: phase-0, role: dba, name: Dee Bee, date: 2026-01-11}\n", encoding="utf-8")
    state, verdict = _verdict(project)
    roles = {r.role: r for r in state.roles}
    assert roles["dba"].status == "approved"
    assert roles["tech-lead"].status == "stale"
    problem = roles["tech-lead"].approvals[0].problem or ""
    assert "approved on 2026-01-08, before the RFC's last content change" in problem
    assert verdict.status is Status.FAIL


def test_approvals_by_the_wrong_person_or_role_do_not_count(tmp_path):
    project = make_project(tmp_path)
    _render(project)
    project.commit("rfc\n\nApproved-by: Mallory <m@x> (tech-lead)\nApproved-by: Eve <e@x>\n"
                   "Approved-by: Dee <d@x> (cfo)")
    state, verdict = _verdict(project)
    roles = {r.role: r for r in state.roles}
    assert roles["tech-lead"].status == "missing"
    assert roles["tech-lead"].approvals[0].problem == "tech-lead must be approved by Ada Owner"
    assert sorted(a.name for a in state.unmatched) == ["Dee", "Eve"]
    assert verdict.status is Status.FAIL
    assert any(e.label == "approval by Eve matches no required role" for e in verdict.evidence)


def test_rfc_outside_git_counts_digest_approvals_only(tmp_path):
    project = make_project(tmp_path, git=False)
    _render(project)
    assert run_cli("-c", project.plan, "signoff", "phase-0", "--as", "tech-lead", "--name", "Ada Owner").code == 0
    with (project.dir / "signoffs.yaml").open("a", encoding="utf-8") as handle:
        handle.write("  - {phase: phase-0, role: dba, name: Dee Bee, date: 2030-01-01}\n")
    state, verdict = _verdict(project)
    roles = {r.role: r for r in state.roles}
    assert roles["tech-lead"].status == "approved"
    assert roles["dba"].status == "stale"  # no digest and no git: cannot tell, so it does not count
    assert "not in git" in (roles["dba"].approvals[0].problem or "")
    assert verdict.status is Status.FAIL


@pytest.mark.parametrize(("args", "words"), [
    (["phase-0", "--as", "cfo", "--name", "X"], "'cfo' is not an approver role of phase-0"),
    (["phase-0", "--as", "tech-lead", "--name", "Mallory"], "tech-lead of phase-0 is Ada Owner, not Mallory"),
    (["phase-0", "--as", "dba", "--name", "D", "--date", "yesterday"], "'yesterday' is not a date"),
    (["phase-1", "--as", "dba", "--name", "D", "--criterion", "service-exists"], "not a manual one"),
    (["phase-1", "--as", "sre", "--name", "D", "--criterion", "replica"], "needs a sign-off by 'dba'"),
    (["phase-9", "--as", "dba", "--name", "D"], "unknown phase 'phase-9'"),
])
def test_signoff_command_rejects_bad_input(tmp_path, args, words):
    project = make_project(tmp_path)
    _render(project)
    result = run_cli("-c", project.plan, "signoff", *args)
    assert result.code == 2
    assert words in result.stderr and "Traceback" not in result.stderr
    assert not (project.dir / "signoffs.yaml").exists()


def test_signoff_before_the_rfc_exists_says_to_render_it(tmp_path):
    project = make_project(tmp_path)
    result = run_cli("-c", project.plan, "signoff", "phase-0", "--as", "dba", "--name", "Dee")
    assert result.code == 2
    assert "prepctl render rfc phase-0" in result.stderr


def test_manual_criterion_signoff_feeds_the_manual_gate(tmp_path):
    project = make_project(tmp_path)
    before = run_cli("-c", project.plan, "gate", "phase-1", "--format", "json")
    replica = next(c for c in json.loads(before.stdout)["criteria"] if c["id"] == "replica")
    assert replica["status"] == "fail"
    result = run_cli("-c", project.plan, "signoff", "phase-1", "--criterion", "replica", "--as", "dba",
                     "--name", "Dee Bee")
    assert result.code == 0, result.stderr
    after = run_cli("-c", project.plan, "gate", "phase-1", "--format", "json")
    replica = next(c for c in json.loads(after.stdout)["criteria"] if c["id"] == "replica")
    assert replica["status"] == "pass"
