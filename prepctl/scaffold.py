"""`prepctl init`: a starting phases.yaml from the Markdown plan a team already has.

Every ``## Phase N – Title (Weeks A-B)`` heading becomes a phase, in order, each depending on the
one before. Every bullet under it becomes a task and a ``manual`` criterion: honest from day one
(it needs a recorded sign-off) until someone replaces it with a gate that checks it. Sections that
are not phases (principles, deliverables) are carried over as comments, so nothing written in the
plan is lost. The result is validated with the same loader as every other command before it is
written, and an existing file is never overwritten.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from prepctl.errors import PrepctlError, Problem

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_PHASE = re.compile(
    r"^phase\s+(?P<number>\d+[a-z]?)\b\s*(?:[:.–—-]+\s*)?(?P<title>.*?)\s*"
    r"(?:\(\s*weeks?\s+(?P<start>\d+)\s*(?:(?:-|–|—|to|\.\.)\s*(?P<end>\d+))?\s*\))?\s*$",
    re.IGNORECASE)
_BULLET = re.compile(r"^(?P<indent>\s*)(?:[-*+]|\d+[.)])\s+(?:\[[ xX]\]\s+)?(?P<text>.*\S)\s*$")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1")
_ID_WORDS = 5
_ID_LENGTH = 40
DEFAULT_ROLE = "tech-lead"


@dataclass
class OutlineItem:
    text: str
    line: int


@dataclass
class OutlineSection:
    """A heading of the plan and the bullets under it (a phase when ``number`` is set)."""

    title: str
    line: int
    number: str | None = None
    weeks: tuple[int, int] | None = None
    items: list[OutlineItem] = field(default_factory=list)


@dataclass
class PlanOutline:
    name: str
    sections: list[OutlineSection]

    @property
    def phases(self) -> list[OutlineSection]:
        return [s for s in self.sections if s.number is not None]


def _plain_text(text: str) -> str:
    return _EMPHASIS.sub(r"\2", _LINK.sub(r"\1", text)).strip()


def read_outline(text: str) -> PlanOutline:
    """The plan's title, and its sections with their top-level bullets (nested ones folded in)."""
    name = ""
    sections: list[OutlineSection] = []
    current: OutlineSection | None = None
    top_indent: int | None = None
    in_fence = False
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        heading = _HEADING.match(line)
        if heading:
            title = _plain_text(heading[2])
            phase = _PHASE.match(title)
            if len(heading[1]) == 1 and not name and not phase:
                name = title
                continue
            current = OutlineSection(title, number)
            if phase:
                current.number = phase["number"].lower()
                current.title = phase["title"] or f"Phase {phase['number']}"
                if phase["start"] is not None:
                    start = int(phase["start"])
                    current.weeks = (start, int(phase["end"]) if phase["end"] is not None else start)
            sections.append(current)
            top_indent = None
            continue
        bullet = _BULLET.match(line)
        if current is not None and bullet:
            indent = len(bullet["indent"].expandtabs(4))
            if top_indent is None or indent <= top_indent or not current.items:
                top_indent = indent if top_indent is None else min(top_indent, indent)
                current.items.append(OutlineItem(_plain_text(bullet["text"]), number))
            else:
                current.items[-1].text += "; " + _plain_text(bullet["text"])
        elif current is not None and current.items and line.strip() and line[:1].isspace():
            current.items[-1].text += " " + _plain_text(line)  # a bullet's continuation line
    return PlanOutline(name, sections)


def _check(outline: PlanOutline, file: str) -> None:
    problems: list[Problem] = []
    phases = outline.phases
    if not phases:
        problems.append(Problem(file=file, line=1, message="no phase headings found",
                                hint="prepctl init reads headings like '## Phase 1 – Analytics Service "
                                "Extraction (Weeks 3-5)' with bullet points under them"))
    seen: dict[str, int] = {}
    for phase in phases:
        if phase.number in seen:
            problems.append(Problem(file=file, line=phase.line, message=f"Phase {phase.number} appears "
                                    f"twice (first at line {seen[phase.number]})", hint="number phases uniquely"))
        seen.setdefault(phase.number or "", phase.line)
        if phase.weeks is None:
            problems.append(Problem(file=file, line=phase.line, message=f"Phase {phase.number} has no weeks",
                                    hint="end the heading with '(Weeks A-B)'"))
        elif phase.weeks[1] < phase.weeks[0]:
            problems.append(Problem(file=file, line=phase.line, message=f"Phase {phase.number} ends "
                                    f"(week {phase.weeks[1]}) before it starts (week {phase.weeks[0]})"))
        if not phase.items:
            problems.append(Problem(file=file, line=phase.line, message=f"Phase {phase.number} has no "
                                    "bullet points: nothing to check before it may start",
                                    hint="list its tasks or exit criteria as '- ...' under the heading"))
    if problems:
        raise PrepctlError(problems)


def criterion_id(text: str, taken: set[str]) -> str:
    """A short, unique, readable id from the first words of a bullet."""
    words = re.findall(r"[a-z0-9]+", text.lower())[:_ID_WORDS] or ["criterion"]
    base = words[0][:_ID_LENGTH]
    for word in words[1:]:
        if len(base) + 1 + len(word) > _ID_LENGTH:
            break
        base += "-" + word
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    taken.add(candidate)
    return candidate


def _quoted(text: str) -> str:
    # A JSON string is a valid YAML double-quoted scalar: colons, '#' and quotes stay literal.
    return json.dumps(text, ensure_ascii=False)


def _comment_lines(text: str, indent: str = "") -> list[str]:
    return [f"{indent}# {line}".rstrip() for line in text.splitlines()]


#: Top-level folders that are not part of a dependency audit when a monolith has them: tests and
#: migrations, and build output (build/lib/ holds a second copy of every package).
_NOT_AUDITED = ("tests", "test", "migrations", "alembic", "build", "dist")


@dataclass(frozen=True)
class GraphSuggestion:
    """What the monolith's layout says about the `graph:` section (empty: the defaults fit)."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()


def suggest_graph(root: Path) -> GraphSuggestion:
    """The source roots the graph would use anyway, written out when they are not the plain
    checkout (a src/ layout), and tests, migrations and build folders at the top left out."""
    from prepctl.graph.load import default_include

    include = default_include(root)
    return GraphSuggestion(include=include if include != (".",) else (),
                           exclude=tuple(f"{name}/*" for name in _NOT_AUDITED if (root / name).is_dir()))


def render_yaml(outline: PlanOutline, plan_file: str, root: str,
                graph: GraphSuggestion = GraphSuggestion()) -> str:
    """phases.yaml text for ``outline``: phases in order, each bullet a task and a manual criterion."""
    lines = [
        "# yaml-language-server: $schema=./phases.schema.json",
        "# (write the schema next to this file: prepctl schema > phases.schema.json)",
        f"# Generated by `prepctl init` from {plan_file}. Edit freely: prepctl init never overwrites it.",
        "# Every bullet of the plan is a `manual` criterion for now: it passes only with a recorded",
        "# sign-off (prepctl signoff PHASE --criterion ID ...). Replace each with a gate kind that",
        "# checks it from evidence (issues, slo, imports, flag, openapi, ...): see docs/gates/index.md.",
        "version: 1",
        f"name: {_quoted(outline.name or Path(plan_file).stem)}",
        f"root: {_quoted(root)}",
    ]
    for section in outline.sections:
        if section.number is None and section.items:
            lines.append("")
            lines.append(f"# From the plan's \"{section.title}\" (line {section.line}), not a phase:")
            lines += [f"#   - {item.text}" for item in section.items]
    if graph.include or graph.exclude:
        lines.append("")
        lines.append("# The import graph (prepctl graph ..., `imports` criteria); see docs/import-graph.md.")
        lines.append("graph:")
        if graph.include:
            lines.append(f"  include: [{', '.join(_quoted(i) for i in graph.include)}]  # source roots, as on sys.path")
        if graph.exclude:
            lines.append(f"  exclude: [{', '.join(_quoted(e) for e in graph.exclude)}]  # not part of the "
                         "dependency audit")
    lines.append("")
    lines.append("phases:")
    previous: str | None = None
    for phase in outline.phases:
        assert phase.weeks is not None
        phase_id = f"phase-{phase.number}"
        lines.append(f"  - id: {phase_id}")
        lines.append(f"    title: {_quoted(phase.title)}")
        lines.append(f"    weeks: {phase.weeks[0]}-{phase.weeks[1]}")
        lines.append("    owners: [TBD]  # who leads this phase")
        if previous:
            lines.append(f"    depends_on: [{previous}]  # the plan's order; edit where phases may overlap")
        lines.append("    tasks:")
        lines += [f"      - {_quoted(item.text)}" for item in phase.items]
        lines.append("    criteria:")
        taken: set[str] = set()
        for item in phase.items:
            lines.append(f"      - id: {criterion_id(item.text, taken)}   # {plan_file}:{item.line}")
            lines.append("        kind: manual")
            lines.append(f"        title: {_quoted(item.text)}")
            lines.append(f"        role: {DEFAULT_ROLE}")
        previous = phase_id
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class InitResult:
    path: Path
    phases: int
    criteria: int
    python_files: int


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
    _check(outline, str(plan_md))
    out_dir = out.parent if str(out.parent) else Path(".")
    if not out_dir.is_dir():
        raise PrepctlError(Problem(file=str(out), message=f"folder {out_dir} does not exist"))
    if not root.is_dir():
        raise PrepctlError(Problem(file="--root", message=f"{root} is not a folder",
                                   hint="point it at the checkout of the monolith"))
    yaml_text = render_yaml(outline, _path_from(out_dir, plan_md), _path_from(out_dir, root), suggest_graph(root))
    try:
        loaded = atomic_create_text(out, yaml_text, lambda path: load_plan(path, kinds=KINDS))
    except FileExistsError:
        raise PrepctlError(Problem(file=str(out), message="appeared while writing; not overwritten")) from None
    return InitResult(out, len(loaded.phases), sum(len(p.criteria) for p in loaded.phases),
                      _count_python_files(root))
