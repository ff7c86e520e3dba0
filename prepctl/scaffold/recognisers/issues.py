"""issues: open defects of given severities in a named report (Markdown, JSON or CSV).

Example: "No extraction work begins until all P0/P1 defects in `REMAINING_ISSUES_REPORT.md` are closed."

The report is opened; it must exist. A bullet that names no report stays manual: which tracker
and query are meant is not written down. "Validated in staging" is not something a report
shows: it gets a manual criterion.
"""

from __future__ import annotations

import re
from typing import ClassVar

from prepctl.scaffold.grounding import Repository
from prepctl.scaffold.recognisers.interface import Bullet, Criterion, Draft, Outcome, PlanContext, Unsure

_SEVERITY = re.compile(r"\b(P[0-4]|S[0-4]|blockers?|critical)\b", re.IGNORECASE)


class IssuesRecogniser:
    name: ClassVar[str] = "issues"
    priority: ClassVar[int] = 70
    examples: ClassVar[tuple[str, ...]] = (
        "all P0/P1 defects in `REMAINING_ISSUES_REPORT.md` are closed",
        "No open P1 bugs in `reports/bugs.csv`.",
    )

    def recognise(self, bullet: Bullet, repo: Repository, plan: PlanContext) -> Outcome | None:
        if not bullet.has(r"\b(defects?|bugs?|issues?)\b") or not bullet.has(r"\bP[0-4]\b"):
            return None
        severities = sorted({m.upper() for m in re.findall(r"\bP[0-4]\b", bullet.text, re.IGNORECASE)})
        reports = [s for s in bullet.spans if re.search(r"\.(md|json|csv|markdown)$", s, re.IGNORECASE)]
        if not reports:
            return Unsure(self.name, "the bullet names no report: which tracker and query hold the defects is "
                          "not written down")
        report = repo.find_document(reports[0])
        if report is None:
            return Unsure(self.name, f"{reports[0]}: no such report under the root")
        text = repo.read(report)
        if text is None:
            return Unsure(self.name, f"{report}: cannot be read as a text report (not UTF-8, not a regular file, "
                          "or too large)")
        unchecked = [m.group(0) for m in re.finditer(r"\b(validated|verified|tested) (in|on) \w+", bullet.text)]
        return Draft(self.name, [Criterion("issues", f"No open {'/'.join(severities)} defects in {report}",
                                           {"report": report, "severities": severities, "max_open": 0})],
                     [f"{report} opened ({len(text.splitlines())} lines)",
                      f"severities: {', '.join(severities)}"],
                     "the bullet asks for zero open defects of these severities in the named report",
                     unchecked=unchecked)


RECOGNISER = IssuesRecogniser()
