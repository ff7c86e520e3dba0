"""`prepctl init PLAN.md`: a phases.yaml from the team's Markdown plan (the seed plan here)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from prepctl.scaffold.outline import criterion_id, read_outline
from tests.support.cli import run_cli
from tests.support.paths import EXAMPLE, REPO
from tests.support.plans import load_plan

SEED = REPO / "examples" / "seed-plan.md"


def _bullets_under_phases(text: str) -> dict[str, list[str]]:
    """An independent count of the seed plan's phases and bullets, to compare init's output with."""
    found: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        heading = re.match(r"## Phase (\d+)", line)
        if heading:
            current = f"phase-{heading[1]}"
            found[current] = []
        elif line.startswith("## "):
            current = None
        elif current and line.startswith("- "):
            found[current].append(line[2:].strip())
    return found


def test_init_turns_the_seed_plan_into_a_valid_phases_yaml(tmp_path: Path):
    out = tmp_path / "phases.yaml"
    result = run_cli("--root", EXAMPLE, "init", SEED, "--out", out)
    assert result.code == 0, result.stderr
    assert "5 phases" in result.stdout and "15 of 23 bullets became evidence gates" in result.stdout
    assert "warning" not in result.stderr
    plan = load_plan(out)
    expected = _bullets_under_phases(SEED.read_text(encoding="utf-8"))
    assert [p.id for p in plan.phases] == list(expected) == [f"phase-{n}" for n in range(5)]
    assert [(p.title, str(p.weeks)) for p in plan.phases] == [
        ("Stabilization", "0-2"), ("Analytics Service Extraction", "3-5"), ("ORM Boundary", "5-7"),
        ("Compliance Engines", "7-9"), ("Hardening & Decommission", "9-10")]
    assert [p.depends_on for p in plan.phases] == [[], ["phase-0"], ["phase-1"], ["phase-2"], ["phase-3"]]
    assert plan.root == EXAMPLE.resolve()
    for phase in plan.phases:
        assert phase.tasks == expected[phase.id]
    text = out.read_text(encoding="utf-8")
    # Sections that are not phases are kept as comments, nothing of the plan is lost.
    assert "# From the plan's \"Guiding Principles\"" in text and "#   - Bug backlog first: No extraction" in text
    assert "#   - Signed-off RFCs for each phase with owners and exit criteria." in text
    assert "Harden feature flags: default `ANALYTICS_ENDPOINTS_ENABLED` to `False`" in text


def test_a_plan_the_repository_grounds_nothing_of_stays_manual_and_gates_on_sign_offs(tmp_path: Path):
    """Against an empty checkout no recogniser is sure of anything it must find there: every
    bullet is a manual criterion that passes with a recorded sign-off, and nothing is guessed.
    Only what lives outside the checkout stays a gate: the RFC sign-off (its file is beside
    phases.yaml) and the incidents (in Alertmanager)."""
    out = tmp_path / "phases.yaml"
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run_cli("--root", empty, "init", SEED, "--out", out)
    assert result.code == 0 and "5 phases" in result.stdout and "2 of 23 bullets" in result.stdout
    plan = load_plan(out)
    assert {c.kind for p in plan.phases for c in p.criteria} == {"manual", "signoff", "incidents"}
    gate = run_cli("-c", out, "gate", "phase-0", "--format", "json")
    assert gate.code == 1 and "needs sign-off by tech-lead" in gate.stdout
    for criterion in plan.phases[0].criteria:
        if criterion.kind != "manual":
            continue
        signed = run_cli("-c", out, "signoff", "phase-0", "--as", "tech-lead", "--name", "Dana Whitfield",
                         "--criterion", criterion.id)
        assert signed.code == 0, signed.stderr
    # Every manual criterion is signed; the gates still block: no RFC yet, no Alertmanager configured.
    after = run_cli("-c", out, "gate", "phase-0", "--format", "json")
    assert after.code == 2 and "RFC docs/rfc/phase-0.md not found" in after.stdout
    assert "no Alertmanager configured" in after.stdout
    assert "needs sign-off" not in after.stdout


def test_init_never_overwrites(tmp_path: Path):
    out = tmp_path / "phases.yaml"
    out.write_text("# hand-written\n", encoding="utf-8")
    result = run_cli("init", SEED, "--out", out)
    assert result.code == 2 and "already exists; prepctl init never overwrites it" in result.stderr
    assert out.read_text(encoding="utf-8") == "# hand-written\n"
    assert [p.name for p in tmp_path.iterdir()] == ["phases.yaml"]  # no temporary file left behind


def test_a_plan_it_cannot_read_names_the_line_and_writes_nothing(tmp_path: Path):
    bad = tmp_path / "plan.md"
    bad.write_text("# Plan\n\n## Phase 1 - Analytics\n- a task\n\n## Phase 2 - ORM (Weeks 5-3)\n\n"
                   "## Phase 2 - Again (Weeks 7-8)\n- x\n", encoding="utf-8")
    result = run_cli("init", bad, "--out", tmp_path / "phases.yaml")
    assert result.code == 2 and "Traceback" not in result.stderr
    assert f"{bad}:3: Phase 1 has no weeks (end the heading with '(Weeks A-B)')" in result.stderr
    assert f"{bad}:6: Phase 2 ends (week 3) before it starts (week 5)" in result.stderr
    assert f"{bad}:6: Phase 2 has no bullet points" in result.stderr
    assert f"{bad}:8: Phase 2 appears twice (first at line 6)" in result.stderr
    assert not (tmp_path / "phases.yaml").exists()
    prose = tmp_path / "prose.md"
    prose.write_text("Just some notes.\n", encoding="utf-8")
    none = run_cli("init", prose, "--out", tmp_path / "phases.yaml")
    assert none.code == 2 and f"{prose}:1: no phase headings found" in none.stderr
    missing = run_cli("init", tmp_path / "nope.md", "--out", tmp_path / "phases.yaml")
    assert missing.code == 2 and "plan not found" in missing.stderr


def test_a_root_without_python_is_warned_about(tmp_path: Path):
    result = run_cli("init", SEED, "--out", tmp_path / "phases.yaml")
    assert result.code == 0 and "no Python files under" in result.stderr


def test_outline_reading_cleans_markdown_and_folds_nested_bullets():
    outline = read_outline(
        "# The plan\n"
        "## Phase 0: Prep (Week 1)\n"
        "* **Bold** lead with a [link](http://x) and `code`\n"
        "  continued on the next line\n"
        "  - nested detail\n"
        "1. [x] numbered, checked\n"
        "```\n- not a bullet (code block)\n```\n"
        "## Phase 1 — Go (weeks 2 to 4)\n- go\n")
    assert outline.name == "The plan"
    first, second = outline.phases
    assert (first.number, first.title, first.weeks) == ("0", "Prep", (1, 1))
    assert [i.text for i in first.items] == [
        "Bold lead with a link and `code` continued on the next line; nested detail", "numbered, checked"]
    assert [i.line for i in first.items] == [3, 6]
    assert (second.title, second.weeks) == ("Go", (2, 4))


def test_criterion_ids_are_short_readable_and_unique():
    taken: set[str] = set()
    assert criterion_id("Confirm zero open Sev-0/Sev-1 incidents", taken) == "confirm-zero-open-sev-0"
    assert criterion_id("Confirm zero open Sev-0/Sev-1 incidents again", taken) == "confirm-zero-open-sev-0-2"
    assert criterion_id("!!!", taken) == "criterion"
    long = criterion_id("Supercalifragilisticexpialidocious-and-more words here", taken)
    assert len(long) <= 40 and long.startswith("supercalifragilisticexpialidocious")


def test_the_graph_section_follows_the_monolith_layout(tmp_path: Path):
    """A src/ layout is scanned from src/ and a top-level tests/ folder is left out, so the
    generated plan's graph names modules as Python does and audits only production code."""
    mono = tmp_path / "mono"
    (mono / "src" / "shop" / "models").mkdir(parents=True)
    (mono / "tests").mkdir()
    (mono / "build" / "lib" / "shop").mkdir(parents=True)
    (mono / "build" / "lib" / "shop" / "billing.py").write_text("from shop.models import orm\n")
    (mono / "src" / "shop" / "__init__.py").write_text("")
    (mono / "src" / "shop" / "models" / "__init__.py").write_text("")
    (mono / "src" / "shop" / "models" / "orm.py").write_text("")
    (mono / "src" / "shop" / "billing.py").write_text("from shop.models import orm\n")
    (mono / "tests" / "test_billing.py").write_text("from shop.models import orm\n")
    out = mono / "phases.yaml"
    assert run_cli("init", SEED, "--out", out).code == 0
    text = out.read_text(encoding="utf-8")
    assert 'include: ["src", "."]' in text and 'exclude: ["tests/*", "build/*"]' in text
    found = run_cli("-c", out, "graph", "importers", "shop.models.orm", "--format", "json")
    assert found.code == 0, found.stderr
    assert [d["module"] for d in json.loads(found.stdout)["direct"]] == ["shop.billing"]
    # A flat layout with no tests or migrations folder needs no graph section: the defaults fit.
    flat = tmp_path / "flat"
    (flat / "shop").mkdir(parents=True)
    (flat / "shop" / "__init__.py").write_text("")
    assert run_cli("init", SEED, "--out", flat / "phases.yaml").code == 0
    assert "graph:" not in (flat / "phases.yaml").read_text(encoding="utf-8")


def test_phase_headings_at_any_level_are_phases_even_the_first():
    outline = read_outline("# Phase 0 - Prep (Weeks 0-1)\n- a\n# Phase 1 - Go (Weeks 2-3)\n- b\n")
    assert [(p.number, p.title) for p in outline.phases] == [("0", "Prep"), ("1", "Go")]
    assert outline.name == ""  # no title heading: the file name is used
