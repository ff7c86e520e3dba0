"""incidents: no active alerts of given severities (Alertmanager).

Examples:
- "Confirm zero open Sev-0/Sev-1 incidents across API and background workers."
- "No critical pages for a week."  (stays manual: a time span is not an active-alert count)

The severity label's values are written as the plan spells them (``sev0|sev1``): check them
against the labels your alerts carry. The scope ("across API and workers") is not narrowed: all
services count, which is never weaker than the bullet.
"""

from __future__ import annotations

import re
from typing import ClassVar

from prepctl.scaffold.grounding import Repository
from prepctl.scaffold.recognisers.interface import Bullet, Criterion, Draft, Outcome, PlanContext, Unsure


class IncidentsRecogniser:
    name: ClassVar[str] = "incidents"
    priority: ClassVar[int] = 75
    examples: ClassVar[tuple[str, ...]] = (
        "Confirm zero open Sev-0/Sev-1 incidents across API and background workers.",)

    def recognise(self, bullet: Bullet, repo: Repository, plan: PlanContext) -> Outcome | None:
        if not bullet.has(r"\b(incidents?|pages|alerts?)\b") or not bullet.has(r"\b(open|active|firing)\b"):
            return None
        levels = re.findall(r"\bsev[- ]?([0-4])\b", bullet.text, re.IGNORECASE)
        levels += [m for group in re.findall(r"\bsev[- ]?[0-4]((?:\s*/\s*(?:sev[- ]?)?[0-4])+)", bullet.text,
                                             re.IGNORECASE) for m in re.findall(r"[0-4]", group)]
        if not levels:
            return Unsure(self.name, "the bullet names no severity (Sev-0, Sev-1 ...)")
        if bullet.has(r"\b(for|over|in) (a|the last|\d+) (day|week|month)s?\b"):
            return Unsure(self.name, "the bullet asks about a time span; the incidents gate counts active alerts")
        values = "|".join(f"sev{n}" for n in sorted(set(levels)))
        return Draft(self.name, [Criterion("incidents", f"No active Sev-{'/'.join(sorted(set(levels)))} alerts",
                                           {"matchers": [f'severity=~"{values}"'], "max_active": 0})],
                     [f"severity label values sev{'/sev'.join(sorted(set(levels)))} as the plan spells them: check "
                      "them against your alerts' labels", "needs sources.alertmanager.url in phases.yaml",
                      "scope: every service (never narrower than the bullet)"],
                     "the bullet asks for zero open incidents of these severities")


RECOGNISER = IncidentsRecogniser()
