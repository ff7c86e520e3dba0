"""phases.yaml text from a plan's outline and what the recognisers made of each bullet.

Each generated criterion carries a comment: the plan's file:line, the recogniser, the grounding
it found and why. A bullet no recogniser is sure about stays a ``manual`` criterion (under a
phase) or a comment (principles, deliverables), with the reason.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from prepctl.inert import inert
from prepctl.scaffold.outline import OutlineSection, PlanOutline, criterion_id
from prepctl.scaffold.recognisers import Decision

DEFAULT_ROLE = "tech-lead"


@dataclass(frozen=True)
class GraphSuggestion:
    """What the monolith's layout says about the `graph:` section (empty: the defaults fit)."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()


def quoted(value: Any) -> str:
    # JSON is valid YAML flow style: colons, '#' and quotes stay literal.
    return json.dumps(value, ensure_ascii=False)


def _comment(text: str, indent: str) -> list[str]:
    # Grounding quotes file names from the checkout: no control character may reach the YAML.
    return [f"{indent}# {line}".rstrip() for line in inert(text).splitlines()]


def _placed(outline: PlanOutline, decisions: dict[int, Decision]) -> dict[str, list[Decision]]:
    """Decisions per phase id: a phase's own bullets, then gates drafted from other sections
    (principles go to the first phase, deliverables to the last, "each phase" to every one)."""
    phases = [f"phase-{p.number}" for p in outline.phases]
    placed: dict[str, list[Decision]] = {p: [] for p in phases}
    for section in outline.sections:
        for item in section.items:
            decision = decisions[item.line]
            if section.number is not None:
                placed[f"phase-{section.number}"].append(decision)
            elif decision.draft is not None:
                where = decision.draft.placement
                if where == "each":
                    targets = phases
                elif where == "last" or "deliverable" in section.title.lower():
                    targets = phases[-1:]
                else:
                    targets = phases[:1]
                for target in targets:
                    placed[target].append(decision)
    return placed


def unique_id(candidate: str, taken: set[str]) -> str:
    """``candidate``, or ``candidate-2`` ... when a criterion of the phase has that id already."""
    found, n = candidate, 2
    while found in taken:
        found, n = f"{candidate}-{n}", n + 1
    taken.add(found)
    return found


def _criterion_lines(decision: Decision, plan_file: str, taken: set[str]) -> list[str]:
    bullet, draft = decision.bullet, decision.draft
    pad = "      "
    lines: list[str] = []
    base = criterion_id(bullet.text, set(taken))
    if draft is None:
        why = "; ".join(f"{u.recogniser}: {u.why}" for u in decision.unsure) or "no recogniser matched its wording"
        lines += _comment(f"{plan_file}:{bullet.line} · manual: {why}", pad)
        lines.append(f"{pad}- id: {unique_id(base, taken)}")
        lines += [f"{pad}  kind: manual", f"{pad}  title: {quoted(bullet.text)}", f"{pad}  role: {DEFAULT_ROLE}"]
        return lines
    lines += _comment(f"{plan_file}:{bullet.line} · recogniser {draft.recogniser}: {draft.why}", pad)
    lines += _comment("grounding: " + "; ".join(draft.grounding), pad) if draft.grounding else []
    several = len(draft.criteria) > 1
    for criterion in draft.criteria:
        ident = unique_id(f"{base}-{criterion.suffix}" if several and criterion.suffix else base, taken)
        lines.append(f"{pad}- id: {ident}")
        lines.append(f"{pad}  kind: {criterion.kind}")
        lines.append(f"{pad}  title: {quoted(criterion.title)}")
        if criterion.kind == "signoff":
            lines.append(f"{pad}  roles: [{DEFAULT_ROLE}]  # who approves the RFC: add approvers: to the phase")
        for key, value in criterion.options.items():
            lines.append(f"{pad}  {key}: {quoted(value)}")
    if draft.unchecked:
        lines += _comment("the rest of the bullet no gate above checks: it needs a sign-off", pad)
        lines.append(f"{pad}- id: {unique_id(base + '-rest', taken)}")
        rest = f"{bullet.text} (not checked by a gate: {'; '.join(draft.unchecked)})"
        lines += [f"{pad}  kind: manual", f"{pad}  title: {quoted(rest)}",
                  f"{pad}  role: {DEFAULT_ROLE}"]
    return lines


def _section_comment(section: OutlineSection, decisions: dict[int, Decision], plan_file: str) -> list[str]:
    lines = ["", f"# From the plan's \"{section.title}\" (line {section.line}), not a phase:"]
    for item in section.items:
        decision = decisions[item.line]
        lines.append(f"#   - {item.text}")
        if decision.draft is not None:
            lines.append(f"#     -> {decision.kind} criteria ({decision.draft.recogniser}), "
                         f"see {plan_file}:{item.line} below")
    return lines


def render_yaml(outline: PlanOutline, decisions: dict[int, Decision], plan_file: str, root: str,
                graph: GraphSuggestion = GraphSuggestion()) -> str:
    """phases.yaml text: phases in order, each bullet a task and its drafted (or manual) criteria."""
    gated = sum(1 for d in decisions.values() if d.draft is not None)
    lines = [
        "# yaml-language-server: $schema=./phases.schema.json",
        "# (write the schema next to this file: prepctl schema > phases.schema.json)",
        f"# Generated by `prepctl init` from {plan_file}. Edit freely: prepctl init never overwrites it.",
        f"# {gated} of {len(decisions)} bullets became evidence gates, each grounded in the repository (see",
        "# the comment above each criterion). The others are `manual`: they pass only with a recorded",
        "# sign-off (prepctl signoff PHASE --criterion ID ...) until a gate checks them; see docs/gates/index.md.",
        "# slo and incidents criteria need sources: prometheus / alertmanager (url:) here to be evaluated.",
        "version: 1",
        f"name: {quoted(outline.name or plan_file)}",
        f"root: {quoted(root)}",
    ]
    for section in outline.sections:
        if section.number is None and section.items:
            lines += _section_comment(section, decisions, plan_file)
    if graph.include or graph.exclude:
        lines.append("")
        lines.append("# The import graph (prepctl graph ..., `imports` criteria); see docs/import-graph.md.")
        lines.append("graph:")
        if graph.include:
            lines.append(f"  include: [{', '.join(quoted(i) for i in graph.include)}]  # source roots, as on sys.path")
        if graph.exclude:
            lines.append(f"  exclude: [{', '.join(quoted(e) for e in graph.exclude)}]  # not part of the "
                         "dependency audit")
    lines.append("")
    lines.append("phases:")
    placed = _placed(outline, decisions)
    previous: str | None = None
    for phase in outline.phases:
        assert phase.weeks is not None
        phase_id = f"phase-{phase.number}"
        lines.append(f"  - id: {phase_id}")
        lines.append(f"    title: {quoted(phase.title)}")
        lines.append(f"    weeks: {phase.weeks[0]}-{phase.weeks[1]}")
        lines.append("    owners: [TBD]  # who leads this phase")
        if previous:
            lines.append(f"    depends_on: [{previous}]  # the plan's order; edit where phases may overlap")
        lines.append("    tasks:")
        lines += [f"      - {quoted(item.text)}" for item in phase.items]
        lines.append("    criteria:")
        taken: set[str] = set()
        for decision in placed[phase_id]:
            lines += _criterion_lines(decision, plan_file, taken)
        previous = phase_id
    return "\n".join(lines) + "\n"
