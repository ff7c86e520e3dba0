"""`--format github`: workflow commands that annotate files in a GitHub Actions run.

Each failing or erroring piece of evidence with a location becomes ``::error file=…,line=…::``.
When ``$GITHUB_STEP_SUMMARY`` is set, the Markdown report is appended to it. Gate text is made
inert (``clean``) and then percent-escaped, so it can only ever be the data of our own command.
"""

from __future__ import annotations

import os
from pathlib import Path

from prepctl.formats.interface import Format
from prepctl.formats.markdown import MarkdownFormat
from prepctl.inert import clean
from prepctl.verdicts import GateReport, Status


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workspace_path(root: str, path: str) -> str:
    """Annotations need paths relative to the checkout, not to the monolith's root."""
    base = Path(os.environ.get("GITHUB_WORKSPACE") or os.getcwd())
    full = Path(path) if os.path.isabs(path) else Path(root) / path
    try:
        return full.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return full.as_posix()


class GitHubFormat(Format):
    name = "github"

    def render(self, report: GateReport) -> str:
        lines: list[str] = []
        for phase in report.phases:
            for c in phase.criteria:
                if c.status not in (Status.FAIL, Status.ERROR, Status.WARN):
                    continue
                level = "warning" if c.status is Status.WARN or c.advisory else "error"
                title = _escape_property(f"{phase.phase}/{c.id} {c.status.value}")
                located = [e for e in c.verdict.evidence if e.path and e.line]
                if not located:
                    lines.append(f"::{level} title={title}::{_escape_data(clean(c.verdict.summary))}")
                for e in located:
                    file = _escape_property(clean(workspace_path(report.root, e.path or "")))
                    message = _escape_data(clean(f"{c.verdict.summary} — {e.label}"))
                    lines.append(f"::{level} file={file},line={e.line},title={title}::{message}")
            lines.append(f"{phase.phase}: {phase.status.value}")
        lines.append(f"prepctl gate: {report.status.value}")
        summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
        if summary_file:
            with open(summary_file, "a", encoding="utf-8") as handle:
                handle.write(MarkdownFormat().render(report) + "\n")
        return "\n".join(lines) + "\n"
