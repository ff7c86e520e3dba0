"""Reading a Markdown plan: its title, its sections (phases with weeks, and the others such as
guiding principles and deliverables) and the bullets under each, with their line numbers.

Every ``## Phase N – Title (Weeks A-B)`` heading is a phase. Text is kept as written: only
Markdown emphasis and link targets are dropped, and never inside a code span, so
`AIRFLOW__CORE__MULTI_TEAM` and `__init__.py` keep their underscores.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from prepctl.errors import PrepctlError, Problem

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_PHASE = re.compile(
    r"^phase\s+(?P<number>\d+[a-z]?)\b\s*(?:[:.–—-]+\s*)?(?P<title>.*?)\s*"
    r"(?:\(\s*weeks?\s+(?P<start>\d+)\s*(?:(?:-|–|—|to|\.\.)\s*(?P<end>\d+))?\s*\))?\s*$",
    re.IGNORECASE)
_BULLET = re.compile(r"^(?P<indent>\s*)(?:[-*+]|\d+[.)])\s+(?:\[[ xX]\]\s+)?(?P<text>.*\S)\s*$")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
#: Bold or italics: a delimiter that does not touch a word, a path or a dotted name on its outer
#: side, so `__init__.py` and AIRFLOW__CORE__X outside a code span are not emphasis either.
_EMPHASIS = re.compile(r"(?<![\w/.*])(\*\*|__|\*|_)(?=\S)(.+?)(?<=\S)\1(?![\w/.*])")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1")
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


def plain_text(text: str) -> str:
    """``text`` without Markdown emphasis and link targets; code spans are copied verbatim."""
    parts: list[str] = []
    last = 0
    for span in _CODE_SPAN.finditer(text):
        parts.append(_EMPHASIS.sub(r"\2", _LINK.sub(r"\1", text[last:span.start()])))
        parts.append(span.group(0))
        last = span.end()
    parts.append(_EMPHASIS.sub(r"\2", _LINK.sub(r"\1", text[last:])))
    return "".join(parts).strip()


def code_spans(text: str) -> list[str]:
    """The contents of the code spans of ``text``, in order."""
    return [m.group(2).strip() for m in _CODE_SPAN.finditer(text)]


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
            title = plain_text(heading[2])
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
                current.items.append(OutlineItem(plain_text(bullet["text"]), number))
            else:
                current.items[-1].text += "; " + plain_text(bullet["text"])
        elif current is not None and current.items and line.strip() and line[:1].isspace():
            current.items[-1].text += " " + plain_text(line)  # a bullet's continuation line
    return PlanOutline(name, sections)


def check_outline(outline: PlanOutline, file: str) -> None:
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
