"""`--format markdown`: a report to paste into a PR, an RFC or a CI summary.

Every piece of gate text (titles, summaries, evidence) is untrusted: it goes through
prepctl.inert, so raw HTML shows as text, a `|` cannot split a row, a backtick cannot close a
code span, and no line of the report is a CI workflow command. prepctl's own markup (the table,
``<details>``, code spans around ids) is written here around the escaped text.
"""

from __future__ import annotations

from prepctl.formats.interface import Format
from prepctl.inert import clean, markdown_code_block, markdown_code_span, markdown_inline
from prepctl.verdicts import Evidence, GateReport, PhaseResult, Status

ICONS = {Status.PASS: "✅", Status.WARN: "⚠️", Status.FAIL: "❌", Status.ERROR: "🛑", Status.SKIP: "⏭️"}


def md_escape(text: object) -> str:
    """Untrusted text for one line of Markdown prose or a table cell."""
    return markdown_inline(clean(text))


def _evidence_lines(e: Evidence) -> list[str]:
    where = f" — {markdown_code_span(clean(e.location))}" if e.location else ""
    multiline = isinstance(e.value, str) and "\n" in e.value.strip("\n")
    shown = e.value is not None and e.value != "" and not multiline
    lines = [f"- {md_escape(e.label)}{where}{': ' + md_escape(e.value) if shown else ''}"]
    if multiline:
        lines += ["", markdown_code_block(clean(e.value)), ""]
    return lines


def phase_markdown(phase: PhaseResult) -> str:
    lines = [f"## {ICONS[phase.status]} {phase.phase}: {md_escape(phase.title)} — **{phase.status.value.upper()}**", ""]
    if phase.revision:
        lines += [f"Evaluated at revision {markdown_code_span(clean(phase.revision))}.", ""]
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
            lines += _evidence_lines(e)
        lines += ["", "</details>", ""]
    return "\n".join(lines)


class MarkdownFormat(Format):
    name = "markdown"

    def render(self, report: GateReport) -> str:
        head = f"# prepctl gate: **{report.status.value.upper()}**\n\n"
        return (head + "\n".join(phase_markdown(p) for p in report.phases)).rstrip("\n") + "\n"
