"""`--format markdown`: a report to paste into a PR, an RFC or a CI summary."""

from __future__ import annotations

from prepctl.formats.base import Format
from prepctl.secrets import redact
from prepctl.verdicts import GateReport, PhaseResult, Status

ICONS = {Status.PASS: "✅", Status.WARN: "⚠️", Status.FAIL: "❌", Status.ERROR: "🛑", Status.SKIP: "⏭️"}


def md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def phase_markdown(phase: PhaseResult) -> str:
    lines = [f"## {ICONS[phase.status]} {phase.phase}: {md_escape(phase.title)} — **{phase.status.value.upper()}**", ""]
    if phase.revision:
        lines += [f"Evaluated at revision `{phase.revision}`.", ""]
    lines += ["| | Criterion | Kind | Summary |", "|---|---|---|---|"]
    for c in phase.criteria:
        advisory = " _(advisory)_" if c.advisory else ""
        lines.append(f"| {ICONS[c.status]} {c.status.value} | `{c.id}` {md_escape(c.title)}{advisory} "
                     f"| {c.kind} | {md_escape(c.verdict.summary)} |")
    lines.append("")
    for c in phase.criteria:
        if c.status is Status.PASS or not c.verdict.evidence:
            continue
        lines.append(f"<details><summary><code>{c.id}</code> evidence</summary>\n")
        for e in c.verdict.evidence:
            where = f" — `{e.location}`" if e.location else ""
            value = f": {e.value}" if e.value is not None and not isinstance(e.value, str) or (
                isinstance(e.value, str) and "\n" not in e.value and e.value) else ""
            lines.append(f"- {md_escape(e.label)}{where}{md_escape(str(value))}")
            if isinstance(e.value, str) and "\n" in e.value:
                lines += ["", "```", e.value, "```"]
        lines += ["", "</details>", ""]
    return "\n".join(lines)


class MarkdownFormat(Format):
    name = "markdown"

    def render(self, report: GateReport) -> str:
        head = f"# prepctl gate: **{report.status.value.upper()}**\n\n"
        return redact(head + "\n".join(phase_markdown(p) for p in report.phases)).rstrip("\n") + "\n"
