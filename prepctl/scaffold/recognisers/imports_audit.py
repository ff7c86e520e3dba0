"""`imports` audit: "a dependency graph from X".

Examples:
- "Audit shared ORM usage by generating a dependency graph from `prep/models/orm.py` to downstream services."
- "Inventory every importer of `shop.models`."

The named file becomes its module; a file that does not exist leaves the bullet manual.
"""

from __future__ import annotations

from typing import ClassVar

from prepctl.scaffold.grounding import Repository
from prepctl.scaffold.recognisers.interface import Bullet, Criterion, Draft, Outcome, PlanContext, Unsure
from prepctl.scaffold.recognisers.modules import module_target


class AuditRecogniser:
    name: ClassVar[str] = "imports-audit"
    priority: ClassVar[int] = 55
    examples: ClassVar[tuple[str, ...]] = (
        "generating a dependency graph from `prep/models/orm.py` to downstream services",
        "inventory every importer of `shop.models`",
    )

    def recognise(self, bullet: Bullet, repo: Repository, plan: PlanContext) -> Outcome | None:
        if not bullet.has(r"dependency graph (from|of|for)\b", r"\b(inventory|list|audit)\b.*\bimporters?\b",
                          r"\bwho imports\b"):
            return None
        for span in bullet.spans:
            target = module_target(repo, span)
            if target is None:
                continue
            module, where = target
            if where is None:
                return Unsure(self.name, f"{span} names module {module}, which does not exist under the root")
            return Draft(self.name, [Criterion("imports", f"Dependency graph of {module}: every importer",
                                               {"contract": {"type": "audit", "target": module}})],
                         [f"{span} is module {module} ({where})"],
                         "the bullet asks for the dependency graph of one module: an audit lists every "
                         "importer with file:line and fails closed when the scan is incomplete")
        return Unsure(self.name, "no code span names a module or file of the repository")


RECOGNISER = AuditRecogniser()
