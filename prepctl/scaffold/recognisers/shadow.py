"""shadow: "run shadow traffic from the monolith to the new services".

The recorded requests are found in the repository (a ``.jsonl`` or ``.har`` file with "request"
or "shadow" in its path); without one the bullet stays manual. The URLs are not in a plan: they
come from environment variables whose defaults point at the discard port, so the gate errors
until they are set. "While keeping feature flags disabled" adds a flag criterion per setting the
plan asks to default to off.
"""

from __future__ import annotations

import re
from typing import ClassVar

from prepctl.scaffold.grounding import Repository
from prepctl.scaffold.recognisers.flag import expected_value, locate
from prepctl.scaffold.recognisers.interface import Bullet, Criterion, Draft, Outcome, PlanContext, Unsure

_RECORDING = re.compile(r"(shadow|request)[^/]*(/[^/]*)?\.(jsonl|har)$|^shadow/.*\.(jsonl|har)$", re.IGNORECASE)


class ShadowRecogniser:
    name: ClassVar[str] = "shadow"
    priority: ClassVar[int] = 20
    examples: ClassVar[tuple[str, ...]] = (
        "Run shadow traffic from the monolith to new services while keeping feature flags disabled.",
    )

    def recognise(self, bullet: Bullet, repo: Repository, plan: PlanContext) -> Outcome | None:
        if not bullet.has(r"\bshadow(ing)? (traffic|requests|reads)\b", r"\bshadow(ing)? the\b"):
            return None
        named = [s for s in bullet.spans if s.endswith((".jsonl", ".har"))]
        recordings = [p for p in (repo.resolve(s) for s in named) if p is not None] or ([] if named else
                                                               [f for f in repo.files if _RECORDING.search(f)])
        if len(recordings) != 1:
            return Unsure(self.name, "no recorded requests (a .jsonl or .har file) to replay" if not recordings else
                          f"several recordings, which one is meant: {', '.join(recordings)}")
        requests = recordings[0]
        count = sum(1 for line in (repo.read(requests) or "").splitlines() if line.strip())
        criteria = [Criterion("shadow", "Shadow traffic shows parity", {
            "requests": requests,
            "primary": "${PREPCTL_SHADOW_PRIMARY_URL:-http://127.0.0.1:9}",
            "candidate": "${PREPCTL_SHADOW_CANDIDATE_URL:-http://127.0.0.1:9}",
            "min_requests": max(count, 1), "max_mismatch_rate": 0.01, "p95_factor": 1.2}, "parity")]
        grounding = [f"recorded requests: {requests} ({count} lines)",
                     "URLs from PREPCTL_SHADOW_PRIMARY_URL / PREPCTL_SHADOW_CANDIDATE_URL (port 9 until set)"]
        if bullet.has(r"\b(flags?|settings?)\b.*\b(disabled|off)\b"):
            for other, span in plan.spans():
                if expected_value(other, span) is False:
                    where, problem = locate(repo, span)
                    if problem is None and not any(c.options.get("name") == span for c in criteria):
                        criteria.append(Criterion("flag", f"{span} stays off while shadowing",
                                                  {"name": span, "expect": False}, "flag-off"))
                        grounding.append(f"flag {span} (defaults to off in {plan.plan_file}:{other.line}) "
                                         f"defined at {where[0]}")
            if len(criteria) == 1:
                return Unsure(self.name, "the bullet keeps flags disabled, but the plan names no flag that "
                              "defaults to off")
        return Draft(self.name, criteria, grounding,
                     "shadow traffic: every recorded request answered alike by the monolith and the new service")


RECOGNISER = ShadowRecogniser()
