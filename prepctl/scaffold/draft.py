"""`prepctl init`: a phases.yaml drafted from the Markdown plan a team already has.

Every phase heading becomes a phase, each bullet a task. The recognisers turn each bullet they are
sure about into evidence gates grounded in the repository (``--root``); the rest stay ``manual``
criteria that need a recorded sign-off. The result is validated with the same loader as every
other command before it is written, and an existing file is never overwritten.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from prepctl.errors import PrepctlError, Problem
from prepctl.inert import inert
from prepctl.scaffold.grounding import Repository
from prepctl.scaffold.outline import PlanOutline, check_outline, code_spans, read_outline
from prepctl.scaffold.recognisers import Decision, decide
from prepctl.scaffold.recognisers.interface import Bullet, PlanContext
from prepctl.scaffold.render import GraphSuggestion, render_yaml

#: Top-level folders that are not part of a dependency audit when a monolith has them: tests and
#: migrations, and build output (build/lib/ holds a second copy of every package).
_NOT_AUDITED = ("tests", "test", "migrations", "alembic", "build", "dist")


def suggest_graph(root: Path) -> GraphSuggestion:
    """The source roots the graph would use anyway, written out when they are not the plain
    checkout (a src/ layout), and tests, migrations and build folders at the top left out."""
    from prepctl.graph.load import default_include

    include = default_include(root)
    return GraphSuggestion(include=include if include != (".",) else (),
                           exclude=tuple(f"{name}/*" for name in _NOT_AUDITED if (root / name).is_dir()))


@dataclass(frozen=True)
class InitResult:
    path: Path
    phases: int
    criteria: int
    python_files: int
    decisions: list[Decision]
    #: The plan as the generated file names it (relative to it when near).
    plan_file: str

    @property
    def gated(self) -> int:
        return sum(1 for d in self.decisions if d.draft is not None)


def _count_python_files(root: Path, limit: int = 1000) -> int:
    from prepctl.sources.tree import IGNORED_DIRS

    found = 0
    for _, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in IGNORED_DIRS]
        found += sum(1 for f in files if f.endswith(".py"))
        if found >= limit:
            break
    return found


def _path_from(folder: Path, target: Path) -> str:
    """``target`` relative to ``folder`` when that stays near (a checkout moves as a whole),
    else absolute."""
    relative = os.path.relpath(target.resolve(), folder.resolve())
    return str(target.resolve()) if relative.startswith(os.pardir + os.sep + os.pardir) else relative


def bullets_of(outline: PlanOutline) -> list[Bullet]:
    return [Bullet(item.text, item.line, section.title,
                   f"phase-{section.number}" if section.number is not None else None, tuple(code_spans(item.text)))
            for section in outline.sections for item in section.items]


def draft_decisions(outline: PlanOutline, root: Path, plan_file: str) -> dict[int, Decision]:
    """What the recognisers make of every bullet, by the bullet's line."""
    bullets = bullets_of(outline)
    repo = Repository(root)
    context = PlanContext(bullets, plan_file)
    return {b.line: decide(b, repo, context) for b in bullets}


def explain(decisions: dict[int, Decision], plan_file: str) -> str:
    """Per bullet: the kind chosen, the grounding, and why (or why it stayed manual)."""
    lines: list[str] = []
    for line, decision in sorted(decisions.items()):
        bullet = decision.bullet
        where = bullet.phase or bullet.section
        lines.append(f"{plan_file}:{line} [{where}] {bullet.text}")
        if decision.draft is not None:
            draft = decision.draft
            lines.append(f"  kind: {decision.kind} (recogniser {draft.recogniser})")
            lines += [f"  grounding: {g}" for g in draft.grounding]
            lines.append(f"  why: {draft.why}")
            if draft.unchecked:
                lines.append(f"  not checked, stays manual: {'; '.join(draft.unchecked)}")
        else:
            lines.append("  kind: manual")
            lines += [f"  why: {u.recogniser}: {u.why}" for u in decision.unsure] or \
                ["  why: no recogniser matched its wording"]
    # File names and document text from the checkout reach the terminal: inert.
    return inert("\n".join(lines)) + "\n"


def init_plan(plan_md: Path, out: Path, root: Path) -> InitResult:
    """Write ``out`` from ``plan_md``; refuse if ``out`` exists. Validated before it lands."""
    from prepctl.fileio import atomic_create_text, read_input_text
    from prepctl.gates.registry import KINDS
    from prepctl.plan.load import load_plan

    if out.exists():
        raise PrepctlError(Problem(file=str(out), message="already exists; prepctl init never overwrites it",
                                   hint="pass --out NEW.yaml, or move the file away"))
    text = read_input_text(plan_md, what="plan", missing_hint="pass the Markdown file of your plan")
    outline = read_outline(text)
    check_outline(outline, str(plan_md))
    out_dir = out.parent if str(out.parent) else Path(".")
    if not out_dir.is_dir():
        raise PrepctlError(Problem(file=str(out), message=f"folder {out_dir} does not exist"))
    if not root.is_dir():
        raise PrepctlError(Problem(file="--root", message=f"{root} is not a folder",
                                   hint="point it at the checkout of the monolith"))
    plan_file = _path_from(out_dir, plan_md)
    decisions = draft_decisions(outline, root, plan_file)
    yaml_text = render_yaml(outline, decisions, plan_file, _path_from(out_dir, root), suggest_graph(root))
    try:
        loaded = atomic_create_text(out, yaml_text, lambda path: load_plan(path, kinds=KINDS))
    except FileExistsError:
        raise PrepctlError(Problem(file=str(out), message="appeared while writing; not overwritten")) from None
    return InitResult(out, len(loaded.phases), sum(len(p.criteria) for p in loaded.phases),
                      _count_python_files(root), list(decisions.values()), plan_file)


def init_from_importlinter(config: Path | None, out: Path, root: Path) -> tuple[Path, dict[str, list[str]]]:
    """Write ``out`` from an import-linter configuration (None: the one found in ``root``); refuse
    if ``out`` exists. Validated before it lands. Returns it and contract name -> criterion ids."""
    from prepctl.fileio import atomic_create_text
    from prepctl.gates.registry import KINDS
    from prepctl.graph.contracts.importlinter_config import discover
    from prepctl.plan.load import load_plan
    from prepctl.scaffold.importlinter import draft_from_importlinter
    from prepctl.sources.tree import WorkTree

    if out.exists():
        raise PrepctlError(Problem(file=str(out), message="already exists; prepctl init never overwrites it",
                                   hint="pass --out NEW.yaml, or move the file away"))
    if not root.is_dir():
        raise PrepctlError(Problem(file="--root", message=f"{root} is not a folder",
                                   hint="point it at the checkout the contracts are about"))
    if config is None:
        found = discover(WorkTree(root))
        if found is None:
            raise PrepctlError(Problem(file=str(root), message="no import-linter configuration (pyproject.toml "
                                       "[tool.importlinter], .importlinter or setup.cfg [importlinter])",
                                       hint="pass the file: prepctl init --from-importlinter FILE"))
        config = root / found
    out_dir = out.parent if str(out.parent) else Path(".")
    if not out_dir.is_dir():
        raise PrepctlError(Problem(file=str(out), message=f"folder {out_dir} does not exist"))
    draft = draft_from_importlinter(config, root, _path_from(out_dir, root), suggest_graph(root).include)
    try:
        atomic_create_text(out, draft.text, lambda path: load_plan(path, kinds=KINDS))
    except FileExistsError:
        raise PrepctlError(Problem(file=str(out), message="appeared while writing; not overwritten")) from None
    return out, draft.criteria
