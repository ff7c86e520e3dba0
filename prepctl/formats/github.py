"""`--format github`: workflow commands that annotate files in a GitHub Actions run.

GitHub shows 10 annotations of each level per step and 50 per job, so only what the change broke
is annotated: each failing or erroring evidence item with a file and line is
``::error file=…,line=…::``, a warning item ``::warning``. A baselined (accepted) item is never an
annotation: one ``::notice`` counts them, and ``$GITHUB_STEP_SUMMARY`` lists them all, with every
error and warning (GitHub would cut past the tenth). Each item's level is its own status
(``Evidence.status``), not its criterion's. Text is made inert (``clean``) and then percent-escaped,
so it can only ever be the data of our own command. The builder here is shared with
prepctl.formats.github_graph (`graph check` and `graph diff`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from prepctl.errors import PrepctlError
from prepctl.formats.interface import Format
from prepctl.formats.markdown import MarkdownFormat, md_escape
from prepctl.inert import clean, markdown_code_span
from prepctl.verdicts import GateReport, Status

Level = Literal["error", "warning", "notice"]

#: What GitHub shows of each annotation level: the rest of a step's are dropped from the UI.
SHOWN_PER_STEP = 10
SHOWN_PER_JOB = 50

LEVEL_OF: dict[Status, Level] = {Status.FAIL: "error", Status.ERROR: "error", Status.WARN: "warning"}


def escape_data(text: str) -> str:
    """A command's message: a newline cannot end the command and start another."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A command's property value: ``,`` cannot start another property, ``:`` cannot end them."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workspace_path(root: str, path: str) -> str:
    """Annotations need paths relative to the checkout, not to the monolith's root."""
    base = Path(os.environ.get("GITHUB_WORKSPACE") or os.getcwd())
    full = Path(path) if os.path.isabs(path) else Path(root) / path
    try:
        return full.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return full.as_posix()


@dataclass(frozen=True)
class Annotation:
    """One workflow command. ``path`` is relative to the checkout; a file needs a line."""

    level: Level
    title: str
    message: str
    path: str | None = None
    line: int | None = None

    def command(self) -> str:
        props = []
        if self.path and self.line:
            props += [f"file={escape_property(clean(self.path))}", f"line={int(self.line)}"]
        props.append(f"title={escape_property(clean(self.title))}")
        return f"::{self.level} {','.join(props)}::{escape_data(clean(self.message))}"

    @property
    def where(self) -> str:
        if not self.path:
            return ""
        return f"{self.path}:{self.line}" if self.line else self.path


@dataclass(frozen=True)
class Accepted:
    """An accepted finding (a baselined violation), listed in the step summary only."""

    group: str
    message: str
    path: str | None = None
    line: int | None = None


@dataclass
class Annotations:
    """What one invocation reports: annotations, accepted findings and the step summary."""

    #: Where relative evidence paths start (the monolith's root).
    root: str
    #: The summary's heading, e.g. "prepctl graph check: FAIL".
    heading: str
    #: How the notice names the accepted findings, and why they are accepted.
    accepted_noun: str = "baselined violation(s)"
    accepted_reason: str = "accepted"
    items: list[Annotation] = field(default_factory=list)
    accepted: list[Accepted] = field(default_factory=list)
    seen: set[Annotation] = field(default_factory=set)

    def add(self, level: Level, title: str, message: str, path: str | None = None,
            line: int | None = None) -> None:
        located = workspace_path(self.root, path) if path and line else None
        item = Annotation(level, title, message, located, line if located else None)
        if item not in self.seen:  # one scan problem is reported by every contract it concerns
            self.seen.add(item)
            self.items.append(item)

    def accept(self, group: str, message: str, path: str | None = None, line: int | None = None) -> None:
        self.accepted.append(Accepted(group, message, workspace_path(self.root, path) if path else None, line))

    def of_level(self, level: Level) -> list[Annotation]:
        return [a for a in self.items if a.level == level]

    def render(self, tail: list[str], extra_markdown: str = "") -> str:
        """The commands (errors first: GitHub shows the first ones), then ``tail``; the step
        summary is appended to ``$GITHUB_STEP_SUMMARY`` when it is set."""
        summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
        lines = [a.command() for level in ("error", "warning") for a in self.of_level(level)]
        lines += [n.command() for n in self.notices(listed=bool(summary_file))]
        if summary_file:
            text = self.summary_markdown() + ("\n" + extra_markdown if extra_markdown else "") + "\n"
            try:
                # Append mode: earlier steps' summaries stay; one write keeps ours in one piece.
                with open(summary_file, "a", encoding="utf-8") as handle:
                    handle.write(text)
            except OSError as exc:
                # The list is where the accepted findings and the errors past GitHub's limit are:
                # without it the run would read cleaner than it is.
                raise PrepctlError(f"$GITHUB_STEP_SUMMARY ({summary_file}): cannot append the step "
                                   f"summary: {exc.strerror or exc}; unset it or point it at a writable "
                                   "file") from None
        return "\n".join(lines + tail) + "\n"

    def notices(self, listed: bool) -> list[Annotation]:
        where = "listed in the step summary" if listed else "not listed: $GITHUB_STEP_SUMMARY is not set"
        out: list[Annotation] = []
        if self.accepted:
            groups = len({a.group for a in self.accepted})
            out.append(Annotation("notice", "prepctl: accepted", f"{len(self.accepted)} {self.accepted_noun} in "
                                  f"{groups} contract(s) — {self.accepted_reason}; {where}"))
        for level in ("error", "warning"):
            count = len(self.of_level(level))
            if count > SHOWN_PER_STEP:
                out.append(Annotation("notice", f"prepctl: {count} {level}s",
                                      f"{count} {level} annotations: GitHub shows {SHOWN_PER_STEP} per step "
                                      f"({SHOWN_PER_JOB} per job); all {count} are {where}"))
        return out

    def summary_markdown(self) -> str:
        errors, warnings = self.of_level("error"), self.of_level("warning")
        out = [f"## {md_escape(self.heading)}", "",
               f"{len(errors)} error(s), {len(warnings)} warning(s), {len(self.accepted)} "
               f"{md_escape(self.accepted_noun)} ({md_escape(self.accepted_reason)}).", ""]
        for name, found in (("error", errors), ("warning", warnings)):
            if not found:
                continue
            out += [f"### {name.capitalize()}s ({len(found)})", ""]
            if len(found) > SHOWN_PER_STEP:
                out += [f"GitHub shows {SHOWN_PER_STEP} {name} annotations per step ({SHOWN_PER_JOB} per "
                        f"job); all {len(found)} are listed here.", ""]
            out += _table(["where", "what", "message"],
                          [[a.where, a.title, a.message] for a in found])
        if self.accepted:
            out += [f"### {md_escape(self.accepted_noun.capitalize())} ({len(self.accepted)}) — "
                    f"{md_escape(self.accepted_reason)}", ""]
            out += _table(["where", "contract", "violation"],
                          [[f"{a.path}:{a.line}" if a.path and a.line else a.path or "", a.group, a.message]
                           for a in self.accepted])
        return "\n".join(out)


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    """A Markdown table of untrusted cells: locations as code spans, the rest escaped prose."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for where, *rest in rows:
        cells = [markdown_code_span(clean(where), in_table=True) if where else ""] + [md_escape(c) for c in rest]
        lines.append("| " + " | ".join(cells) + " |")
    return lines + [""]


def report_annotations(report: GateReport) -> Annotations:
    """A gate report's annotations: each evidence item at its own status's level."""
    found = Annotations(root=report.root, heading=f"prepctl gate: {report.status.value.upper()}")
    for phase in report.phases:
        for c in phase.criteria:
            if c.status not in LEVEL_OF:
                continue
            rule = f"{phase.phase}/{c.id}"
            title = f"{rule} {c.status.value}"
            levels: list[Level] = []
            for e in c.verdict.evidence:
                if e.baselined:
                    found.accept(rule, e.label, e.path, e.line)
                    continue
                level = LEVEL_OF.get(e.status_in(c.status, c.advisory))
                if level is None or not (e.path and e.line):
                    continue
                found.add(level, title, f"{c.verdict.summary} — {e.label}", e.path, e.line)
                levels.append(level)
            level = LEVEL_OF[Status.WARN if c.advisory and c.status is Status.FAIL else c.status]
            accepted_only = c.status is Status.WARN and any(e.baselined for e in c.verdict.evidence)
            # The criterion itself, once, when no located item carries its level: an error with
            # no file, or a warning that is not just the notice's accepted findings.
            if level not in levels and not (level == "warning" and (levels or accepted_only)):
                found.add(level, title, c.verdict.summary)
    return found


class GitHubFormat(Format):
    name = "github"

    def render(self, report: GateReport) -> str:
        tail = [f"{phase.phase}: {phase.status.value}" for phase in report.phases]
        tail.append(f"prepctl gate: {report.status.value}")
        return report_annotations(report).render(tail, MarkdownFormat().render(report))
