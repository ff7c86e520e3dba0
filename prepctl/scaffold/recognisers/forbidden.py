"""`imports` forbidden: "stop importing X", "replace direct imports of X in A, B", "the monolith
no longer imports X".

Examples:
- "Replace direct ORM imports with repository interfaces in domain services (`prep/bookings`, `prep/kitchens`)."
- "The monolith no longer imports `prep.analytics`."

"Direct" imports are checked directly; otherwise through other modules too (the stronger check).
"The ORM" is the ORM module the plan names elsewhere, or the one module named `orm`.
"""

from __future__ import annotations

import re
from typing import ClassVar

from prepctl.scaffold.grounding import Repository
from prepctl.scaffold.recognisers.interface import Bullet, Criterion, Draft, Outcome, PlanContext, Unsure
from prepctl.scaffold.recognisers.modules import module_target, orm_module, package_modules


class ForbiddenRecogniser:
    name: ClassVar[str] = "forbidden"
    priority: ClassVar[int] = 45
    examples: ClassVar[tuple[str, ...]] = (
        "Replace direct ORM imports with repository interfaces in domain services (`prep/bookings`, `prep/kitchens`).",
        "The monolith no longer imports `prep.analytics`.",
        "Stop importing `legacy.billing` in `shop/orders`.",
    )

    def recognise(self, bullet: Bullet, repo: Repository, plan: PlanContext) -> Outcome | None:
        replace = bullet.has(r"\breplace (all )?(direct )?\w* ?imports\b", r"\bremove (all )?(direct )?\w* ?imports\b")
        stop = bullet.has(r"\b(stop|stops) importing\b", r"\bno longer imports?\b", r"\bmust not import\b",
                          r"\bnever imports?\b", r"\bimports?\b.*\bany ?more\b")
        if not (replace or stop):
            return None
        grounding: list[str] = []
        forbidden: str | None = None
        sources: list[str] = []
        if bullet.has(r"\bORM imports\b", r"\bimports? (of|from) the ORM\b", r"\bimporting the ORM\b"):
            orm = orm_module(repo, plan)
            if orm is None:
                return Unsure(self.name, "the bullet names the ORM, but no ORM module is named in the plan "
                              "and the repository has no single module named orm")
            forbidden = orm[0]
            grounding.append(f"the ORM is {orm[0]} ({orm[1]})")
            sources, missing = package_modules(repo, bullet.spans)
        else:
            named = [(s, module_target(repo, s)) for s in bullet.spans]
            named = [(s, t) for s, t in named if t is not None]
            if not named:
                return Unsure(self.name, "no code span names the module that is not to be imported")
            after = re.search(r"\bimport(?:s|ing)?\s+(?:of\s+|from\s+)?`([^`]+)`", bullet.text)
            first = next((i for i, (s, _) in enumerate(named) if after and s == after[1]), 0)
            named.insert(0, named.pop(first))
            span, (forbidden, where) = named[0]
            if where is None:
                return Unsure(self.name, f"{span} (module {forbidden}) does not exist under the root")
            grounding.append(f"{span} is module {forbidden} ({where})")
            sources, missing = package_modules(repo, [s for s, _ in named[1:]])
        if missing:
            return Unsure(self.name, f"{', '.join(missing)}: no such module under the root")
        if not sources:
            if not bullet.has(r"\bmonolith\b", r"\bnothing\b", r"\bno (other )?module\b"):
                return Unsure(self.name, f"the bullet does not say which modules must stop importing {forbidden}")
            sources = repo.top_packages()
            grounding.append(f"the monolith is every top-level package: {', '.join(sources)}")
        else:
            grounding.append(f"importers to clean: {', '.join(sources)}")
        options = {"type": "forbidden", "source": sources, "forbidden": [forbidden]}
        direct = bullet.has(r"\bdirect(ly)?\b")
        if direct:
            options["transitive"] = False
        return Draft(self.name, [Criterion("imports", f"{', '.join(sources)} do not import {forbidden}"
                                           + (" directly" if direct else ""), {"contract": options})],
                     grounding, "the bullet says these modules must stop importing " + forbidden
                     + ("; it says direct imports, so direct imports are checked" if direct else
                        "; checked through other modules too"))


RECOGNISER = ForbiddenRecogniser()
