"""`signoff`: signed-off RFCs.

Examples:
- "Signed-off RFCs for each phase with owners and exit criteria." (one per phase)
- "The RFC for this phase is signed off by the tech lead."
"""

from __future__ import annotations

from typing import ClassVar

from prepctl.scaffold.grounding import Repository
from prepctl.scaffold.recognisers.interface import Bullet, Criterion, Draft, Outcome, PlanContext


class SignoffRecogniser:
    name: ClassVar[str] = "signoff"
    priority: ClassVar[int] = 5
    examples: ClassVar[tuple[str, ...]] = ("Signed-off RFCs for each phase with owners and exit criteria.",)

    def recognise(self, bullet: Bullet, repo: Repository, plan: PlanContext) -> Outcome | None:
        if not bullet.has(r"\bsign(ed)?[- ]?off\b.*\bRFCs?\b", r"\bRFCs?\b.*\bsign(ed)?[- ]?off\b"):
            return None
        each = bullet.has(r"\beach phase\b", r"\bevery phase\b", r"\bper phase\b")
        return Draft(self.name, [Criterion("signoff", "The phase's RFC is signed off by every approver")],
                     ["RFC file: docs/rfc/<phase>.md (relative to phases.yaml), approvals as commit trailers"],
                     "the bullet asks for a signed-off RFC" + (" for each phase" if each else ""),
                     placement="each" if each else "first")


RECOGNISER = SignoffRecogniser()
