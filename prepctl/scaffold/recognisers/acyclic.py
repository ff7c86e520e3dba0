"""`imports` acyclic: "no import cycles between/in A, B".

Examples:
- "No import cycles between `shop/orders` and `shop/billing`."
- "`saleor/graphql` is free of circular imports."
"""

from __future__ import annotations

from typing import ClassVar

from prepctl.scaffold.grounding import Repository
from prepctl.scaffold.recognisers.interface import Bullet, Criterion, Draft, Outcome, PlanContext, Unsure
from prepctl.scaffold.recognisers.modules import package_modules


class AcyclicRecogniser:
    name: ClassVar[str] = "acyclic"
    priority: ClassVar[int] = 50
    examples: ClassVar[tuple[str, ...]] = ("No import cycles between `shop/orders` and `shop/billing`.",)

    def recognise(self, bullet: Bullet, repo: Repository, plan: PlanContext) -> Outcome | None:
        if not bullet.has(r"\bno (import )?cycles?\b", r"\bacyclic\b", r"\bcircular imports?\b",
                          r"\bimport cycles?\b"):
            return None
        modules, missing = package_modules(repo, bullet.spans)
        if missing:
            return Unsure(self.name, f"{', '.join(missing)}: no such module under the root")
        if not modules:
            if not bullet.has(r"\bmonolith\b", r"\banywhere\b", r"\bcode ?base\b"):
                return Unsure(self.name, "the bullet does not name the packages to keep free of cycles")
            everywhere = Criterion("imports", "No import cycles anywhere", {"contract": {"type": "acyclic"}})
            return Draft(self.name, [everywhere],
                         ["scope: every module"], "the bullet forbids import cycles in the whole code base")
        return Draft(self.name, [Criterion("imports", f"No import cycles within {', '.join(modules)}",
                                           {"contract": {"type": "acyclic", "modules": modules}})],
                     [f"modules: {', '.join(modules)}"], "the bullet forbids import cycles among these packages")


RECOGNISER = AcyclicRecogniser()
