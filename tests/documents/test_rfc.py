"""`prepctl render rfc` and the template machinery (`prepctl templates`)."""

from __future__ import annotations

import json
import os
import re
import subprocess

from prepctl.documents.engine import shipped_dir
from tests.support.cli import run_cli
from tests.support.documents import GIT_ENV, HOSTILE, Project, make_project
from tests.support.paths import PHASES

NO_HISTORY = {"PREPCTL_NO_HISTORY": "1"}


def _verdict_rows(text: str) -> dict[str, str]:
    """criterion id -> status word, from the RFC's 'Current verdicts' table."""
    block = text.split("<!-- prepctl:begin verdicts -->", 1)[1].split("<!-- prepctl:end verdicts -->", 1)[0]
    rows = {}
    for line in block.splitlines():
        match = re.match(r"^\| `([^`]+)` \| \S+ (pass|warn|fail|error|skip)\b", line)
        if match:
            rows[match[1]] = match[2]
    return rows


def test_example_phase_1_rfc_has_owners_dates_criteria_verdicts_and_signoffs(tmp_path):
    out = tmp_path / "phase-1.md"
    first = run_cli("-c", PHASES, "render", "rfc", "phase-1", "--out", out, env=NO_HISTORY)
    assert first.code == 0, first.stderr
    text = out.read_text(encoding="utf-8")
    assert text.startswith("<!-- prepctl:begin header -->\n# RFC: Analytics Service Extraction\n")
    assert "| Owners | Lena Fischer (analytics) |" in text
    # start_date 2026-11-02 is week 0; weeks 3-5 run from Monday of week 3 to the end of week 5.
    assert "| Dates | 2026-11-23 – 2026-12-13 (weeks 3-5) |" in text
    assert "tech-lead (Lena Fischer), dba (Marcus Obi), eng-manager (Priya Raman)" in text

    gate = run_cli("-c", PHASES, "gate", "phase-1", "--format", "json", env=NO_HISTORY)
    report = json.loads(gate.stdout)
    rows = _verdict_rows(text)
    assert set(rows) == {c["id"] for c in report["criteria"]}
    for crit in report["criteria"]:
        assert f"`{crit['id']}` {crit['title']}" in text  # in the exit-criteria table
        if crit["kind"] != "signoff":  # the RFC judges sign-offs against itself (see below)
            assert rows[crit["id"]] == crit["status"], crit["id"]
    assert rows["rfc-signed-off"] == "fail"

    signoffs = text.split("<!-- prepctl:begin signoffs -->", 1)[1]
    assert "| Role | Approver | Status | Date | Recorded in | Note |" in signoffs
    for role, name in (("tech-lead", "Lena Fischer"), ("dba", "Marcus Obi"), ("eng-manager", "Priya Raman")):
        assert f"| {role} | {name} | ⏳ awaiting |" in signoffs
    assert "- Read-replica lag makes host dashboards disagree with bookings." in text
    assert "- `ANALYTICS_ENDPOINTS_ENABLED`" in text.split("## Rollback", 1)[1]

    second = run_cli("-c", PHASES, "render", "rfc", "phase-1", "--out", out, env=NO_HISTORY)
    assert second.code == 0, second.stderr
    assert "unchanged" in second.stdout
    assert out.read_text(encoding="utf-8") == text
    again = run_cli("-c", PHASES, "render", "rfc", "phase-1", "--out", "-", env=NO_HISTORY)
    assert again.stdout == text


def test_rfc_is_written_next_to_the_plan_and_is_a_fixed_point(tmp_path):
    project = make_project(tmp_path)
    assert run_cli("-c", project.plan, "render", "rfc", "--all").code == 0
    rfc0, rfc1 = project.rfc("phase-0"), project.rfc("phase-1")
    assert rfc0.is_file() and rfc1.is_file()
    before = rfc0.read_bytes()
    assert "unchanged" in run_cli("-c", project.plan, "render", "rfc", "phase-0").stdout
    assert rfc0.read_bytes() == before
    project.commit("rfcs")
    # Committing does not change what the document says about itself.
    assert "unchanged" in run_cli("-c", project.plan, "render", "rfc", "phase-0").stdout
    assert rfc0.read_bytes() == before


def _render_all(project: Project) -> None:
    result = run_cli("-c", project.plan, "render", "rfc", "--all", env=NO_HISTORY)
    assert result.code == 0, result.stderr


def _rfc_bytes(project: Project) -> dict[str, bytes]:
    return {phase: project.rfc(phase).read_bytes() for phase in ("phase-0", "phase-1")}


def _edit_by_hand(project: Project, words: str) -> None:
    rfc = project.rfc("phase-1")
    text = rfc.read_text(encoding="utf-8")
    rfc.write_text(text.replace("## Scope\n", f"{words}\n\n## Scope\n", 1), encoding="utf-8")


def test_edit_render_commit_render_is_byte_identical(tmp_path):
    project = make_project(tmp_path)
    _render_all(project)
    project.commit("rfcs")
    _edit_by_hand(project, "Why: the analytics load hurts checkout.")
    _render_all(project)
    rendered = _rfc_bytes(project)
    for phase, data in rendered.items():
        text = data.decode("utf-8")
        assert "uncommitted" not in text and not re.search(r"commit [0-9a-f]{7,}", text), phase
    project.commit("edit, render, commit")
    _render_all(project)
    assert _rfc_bytes(project) == rendered


def test_render_commit_edit_render_commit_render_is_byte_identical(tmp_path):
    project = make_project(tmp_path)
    _render_all(project)
    project.commit("rfcs")
    _render_all(project)
    first = _rfc_bytes(project)
    _edit_by_hand(project, "A hand-written paragraph.")
    _render_all(project)
    edited = _rfc_bytes(project)
    assert edited["phase-0"] == first["phase-0"]
    assert b"A hand-written paragraph." in edited["phase-1"]
    project.commit("edit")
    _render_all(project)
    assert _rfc_bytes(project) == edited
    check = run_cli("-c", project.plan, "render", "rfc", "--all", "--check", env=NO_HISTORY)
    assert check.code == 0, check.stdout + check.stderr


def test_fresh_clone_renders_the_committed_bytes_and_check_passes(tmp_path):
    project = make_project(tmp_path)
    _render_all(project)
    project.commit("rfcs")
    committed = _rfc_bytes(project)
    clone = tmp_path / "elsewhere" / "clone"
    subprocess.run(["git", "clone", "-q", str(project.dir), str(clone)], check=True, capture_output=True,
                   env={**os.environ, **GIT_ENV})
    cloned = Project(clone)
    check = run_cli("-c", cloned.plan, "render", "rfc", "--all", "--check", env=NO_HISTORY)
    assert check.code == 0, check.stdout + check.stderr
    assert check.stdout.count("is up to date") == 2
    _render_all(cloned)
    assert _rfc_bytes(cloned) == committed


def test_check_names_a_stale_rfc_and_writes_nothing(tmp_path):
    project = make_project(tmp_path)
    _render_all(project)
    plan = project.plan.read_text(encoding="utf-8")
    project.plan.write_text(plan.replace("tasks: [Close the P1 backlog]", "tasks: [Close the P1 backlog, "
                                         "Freeze deploys]"), encoding="utf-8")
    before = _rfc_bytes(project)
    check = run_cli("-c", project.plan, "render", "rfc", "--all", "--check", env=NO_HISTORY)
    assert check.code == 1
    assert f"{project.rfc('phase-0')} is stale; run `prepctl render rfc phase-0`" in check.stderr
    assert f"{project.rfc('phase-1')} is up to date" in check.stdout
    assert "+- Freeze deploys" in check.stdout and "--- a/phase-0.md" in check.stdout
    assert _rfc_bytes(project) == before
    missing = run_cli("-c", project.plan, "render", "rfc", "phase-1", "--out", tmp_path / "nope.md", "--check")
    assert missing.code == 1 and "nope.md is stale" in missing.stderr
    assert not (tmp_path / "nope.md").exists()


def test_check_ignores_live_state_regions_but_not_content(tmp_path):
    project = make_project(tmp_path, git=False)
    _render_all(project)
    rfc = project.rfc("phase-0")
    text = rfc.read_text(encoding="utf-8")
    # A verdict that moved (the monolith changed) is not a stale RFC...
    (project.mono / "app" / "main.py").unlink()
    assert run_cli("-c", project.plan, "render", "rfc", "phase-0", "--check").code == 0
    assert rfc.read_text(encoding="utf-8") == text
    # ...a hand edit inside a content region is.
    rfc.write_text(text.replace("- Close the P1 backlog", "- Close nothing"), encoding="utf-8")
    stale = run_cli("-c", project.plan, "render", "rfc", "phase-0", "--check")
    assert stale.code == 1 and "-- Close nothing" in stale.stdout


def test_hand_written_text_outside_regions_survives_and_regions_follow_the_plan(tmp_path):
    project = make_project(tmp_path, git=False)
    assert run_cli("-c", project.plan, "render", "rfc", "phase-0").code == 0
    rfc = project.rfc()
    text = rfc.read_text(encoding="utf-8")
    placeholder = "_Why this phase, what changes for users and operators."
    assert placeholder in text
    mine = "We stabilise first because the launch surface is fragile.\n\n| my | table |\n"
    edited = text.replace(text[text.index(placeholder):].split("\n", 1)[0] + "\n", mine)
    rfc.write_text(edited, encoding="utf-8")
    plan = project.plan.read_text(encoding="utf-8").replace("tasks: [Close the P1 backlog]",
                                                            "tasks: [Close the P1 backlog, Freeze deploys]")
    project.plan.write_text(plan, encoding="utf-8")
    assert run_cli("-c", project.plan, "render", "rfc", "phase-0").code == 0
    after = rfc.read_text(encoding="utf-8")
    assert mine in after
    assert "- Freeze deploys" in after
    assert after == edited.replace("- Close the P1 backlog\n", "- Close the P1 backlog\n- Freeze deploys\n")


def test_hostile_text_from_a_source_is_inert_in_markdown_and_html(tmp_path):
    project = make_project(tmp_path, open_issue=HOSTILE, git=False)
    md = run_cli("-c", project.plan, "render", "rfc", "phase-0", "--out", "-")
    assert md.code == 0, md.stderr
    assert "<script>" not in md.stdout
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in md.stdout or "`<script>" in md.stdout
    out = tmp_path / "rfc.html"
    html = run_cli("-c", project.plan, "render", "rfc", "phase-0", "--format", "html", "--out", out)
    assert html.code == 0, html.stderr
    page = out.read_text(encoding="utf-8")
    assert "<script" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert '<meta name="generator" content="prepctl">' in page
    assert "Content-Security-Policy" in page
    # self-contained: no stylesheet, script or image is fetched from anywhere
    assert not re.search(r"""(src|href)=["'](https?:|//)""", page)
    assert "<h1>RFC: Stabilize</h1>" in page


def test_html_output_never_replaces_a_file_prepctl_did_not_write(tmp_path):
    project = make_project(tmp_path, git=False)
    out = tmp_path / "mine.html"
    out.write_text("<html>my own page</html>", encoding="utf-8")
    result = run_cli("-c", project.plan, "render", "rfc", "phase-0", "--format", "html", "--out", out)
    assert result.code == 2
    assert "not written by prepctl" in result.stderr
    assert out.read_text(encoding="utf-8") == "<html>my own page</html>"


def test_all_with_out_folder_writes_one_file_per_phase(tmp_path):
    project = make_project(tmp_path, git=False)
    folder = tmp_path / "rfcs"
    result = run_cli("-c", project.plan, "render", "rfc", "--all", "--out", folder, "--format", "html")
    assert result.code == 0, result.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["phase-0.html", "phase-1.html"]


def test_dates_without_start_date_say_how_to_get_them(tmp_path):
    project = make_project(tmp_path, git=False)
    project.plan.write_text(project.plan.read_text(encoding="utf-8").replace("start_date: 2026-01-05\n", ""),
                            encoding="utf-8")
    result = run_cli("-c", project.plan, "render", "rfc", "phase-1", "--out", "-")
    assert "| Dates | weeks 2-4 (set start_date in phases.yaml for calendar dates) |" in result.stdout


def test_unknown_phase_is_a_clear_error(tmp_path):
    project = make_project(tmp_path, git=False)
    result = run_cli("-c", project.plan, "render", "rfc", "phase-9")
    assert result.code == 2
    assert "unknown phase 'phase-9'" in result.stderr and "Traceback" not in result.stderr


# ---------------------------------------------------------------- templates


def test_templates_list_show_and_eject(tmp_path):
    project = make_project(tmp_path, git=False)
    listed = run_cli("-c", project.plan, "templates", "list")
    assert listed.code == 0
    for name in ("rfc.md.j2", "runbook.md.j2", "postmortem.md.j2", "document.html.j2", "dashboard.html.j2"):
        assert re.search(rf"^{re.escape(name)}\s+shipped\s", listed.stdout, re.MULTILINE), name
    shown = run_cli("-c", project.plan, "templates", "show", "rfc.md")
    assert shown.stdout == (shipped_dir() / "rfc.md.j2").read_text(encoding="utf-8")
    ejected = run_cli("-c", project.plan, "templates", "eject", "rfc.md.j2")
    assert ejected.code == 0, ejected.stderr
    copy = project.dir / "templates" / "rfc.md.j2"
    assert copy.read_bytes() == (shipped_dir() / "rfc.md.j2").read_bytes()
    assert re.search(r"^rfc\.md\.j2\s+project override\s", run_cli("-c", project.plan, "templates", "list").stdout,
                     re.MULTILINE)
    again = run_cli("-c", project.plan, "templates", "eject", "rfc.md.j2")
    assert again.code == 2 and "already exists" in again.stderr
    unknown = run_cli("-c", project.plan, "templates", "show", "nope")
    assert unknown.code == 2 and "known templates: dashboard.html.j2" in unknown.stderr


def test_project_template_overrides_the_shipped_one(tmp_path):
    project = make_project(tmp_path, git=False)
    folder = project.dir / "templates"
    folder.mkdir()
    (folder / "rfc.md.j2").write_text(
        "<!-- prepctl:begin header -->\n# Our RFC {{ rfc.id }} by {{ rfc.owners|join(', ') }}\n"
        "<!-- prepctl:end header -->\n", encoding="utf-8")
    result = run_cli("-c", project.plan, "render", "rfc", "phase-0", "--out", "-")
    assert result.code == 0, result.stderr
    assert result.stdout == ("<!-- prepctl:begin header -->\n# Our RFC phase-0 by Ada Owner\n"
                             "<!-- prepctl:end header -->\n")


def test_undefined_variable_in_an_override_is_an_error_with_file_and_line(tmp_path):
    project = make_project(tmp_path, git=False)
    folder = project.dir / "templates"
    folder.mkdir()
    override = folder / "rfc.md.j2"
    override.write_text("# {{ rfc.title }}\n\nOwner: {{ rfc.ownr }}\n", encoding="utf-8")
    result = run_cli("-c", project.plan, "render", "rfc", "phase-0")
    assert result.code == 2
    assert f"{override}:3" in result.stderr and "ownr" in result.stderr
    assert "Traceback" not in result.stderr
    assert not project.rfc().exists()


def test_syntax_error_in_an_override_names_file_and_line(tmp_path):
    project = make_project(tmp_path, git=False)
    folder = project.dir / "templates"
    folder.mkdir()
    override = folder / "runbook.md.j2"
    override.write_text("# Runbook\n{% for s in services %}\n{{ s.id }\n", encoding="utf-8")
    result = run_cli("-c", project.plan, "render", "runbook")
    assert result.code == 2
    assert f"{override}:3" in result.stderr and "template syntax error" in result.stderr


def test_absolute_paths_of_this_checkout_are_written_relative(tmp_path):
    from prepctl.documents.rfc import relative_paths
    from prepctl.documents.views import CriterionView, EvidenceView

    project = make_project(tmp_path, git=False)
    plan = project.load()
    home, mono = str(project.dir), str(project.mono)
    evidence = EvidenceView(label=f"scanned {mono}", location=f"{home}/signoffs.yaml",
                            value=f"{home}2/other and {mono}/app", expected="", revision="", url="")
    view = CriterionView("c", "imports", "t", "", False, (), "error", "x", f"{mono}: matched nothing",
                         (evidence,), True)
    (fixed,) = relative_paths(plan, (view,))
    assert fixed.summary == "mono: matched nothing"
    (shown,) = fixed.evidence
    assert (shown.label, shown.location) == ("scanned mono", "signoffs.yaml")
    assert shown.value == f"{home}2/other and mono/app"  # another folder's name is left alone
