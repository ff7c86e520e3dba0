"""`imports` decommission: "decommission X" / "decommission unused modules".

Examples:
- "Decommission `prep/analytics` once the service is live."
- "Decommission unused modules in the monolith once service SLOs are met." (the modules the plan
  moves elsewhere: the sources of its move bullets)

Drafted: a decommission contract: nothing imports the modules any more, and they are gone.
"""

from __future__ import annotations

from typing import ClassVar

from prepctl.scaffold.grounding import Repository
from prepctl.scaffold.recognisers.interface import Bullet, Criterion, Draft, Outcome, PlanContext, Unsure
from prepctl.scaffold.recognisers.modules import package_modules
from prepctl.scaffold.recognisers.move import parse_move


class DecommissionRecogniser:
    name: ClassVar[str] = "decommission"
    priority: ClassVar[int] = 15
    examples: ClassVar[tuple[str, ...]] = (
        "Decommission unused modules in the monolith once service SLOs are met.",
        "Decommission `prep/analytics`.",
    )

    def recognise(self, bullet: Bullet, repo: Repository, plan: PlanContext) -> Outcome | None:
        if not bullet.has(r"\bdecommission", r"\bdelete (the )?(old|legacy|unused)\b", r"\bretire\b"):
            return None
        modules, missing = package_modules(repo, bullet.spans)
        if missing:
            return Unsure(self.name, f"{', '.join(missing)}: no such module under the root")
        grounding: list[str] = []
        unchecked: list[str] = []
        if modules:
            grounding.append(f"modules named: {', '.join(modules)}")
        elif bullet.has(r"\bunused\b", r"\bold\b", r"\blegacy\b"):
            for other in plan.bullets:
                move = parse_move(other)
                found = repo.resolve(move.source) if move else None
                module = repo.module_of(found) if found else None
                if move and module:
                    modules.append(module)
                    grounding.append(f"{module}: moved to {move.target} by {plan.plan_file}:{other.line}")
            # Only what the plan moves is known to become unused; other dead code is for a person
            # to judge (`prepctl graph orphans` lists candidates).
            unchecked.append("any other unused module (candidates: prepctl graph orphans)")
        if not modules:
            return Unsure(self.name, "the bullet names no module, and the plan moves none elsewhere")
        return Draft(self.name, [Criterion("imports", f"{', '.join(modules)} decommissioned",
                                           {"contract": {"type": "decommission", "modules": modules}})],
                     grounding, "decommissioned: nothing imports these modules any more and they are gone",
                     unchecked=unchecked)


RECOGNISER = DecommissionRecogniser()
