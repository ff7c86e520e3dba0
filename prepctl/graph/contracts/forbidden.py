"""Contract `forbidden`: source modules must not import the forbidden ones.

```yaml
contract:
  type: forbidden
  source: [prep.bookings, prep.kitchens]
  forbidden: [prep.models.orm]
  transitive: true      # false: only direct imports count
```
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from prepctl import patterns
from prepctl.graph.contracts.base import (
    Contract,
    ContractContext,
    ContractOptions,
    ContractResult,
    ModulePatterns,
    chains_into,
    importers_headline,
    require,
)
from prepctl.graph.model import ImportGraph


class ForbiddenOptions(ContractOptions):
    type: Literal["forbidden"]
    source: ModulePatterns = Field(min_length=1, description="Module patterns that must stay clean.")
    forbidden: ModulePatterns = Field(min_length=1, description="Module patterns they must not import.")
    transitive: bool = Field(True, description="Also through other modules (true), or direct only.")
    missing_ok: bool = Field(False, description=(
        "Pass when no forbidden module exists (e.g. deleted by the refactor). Off by default: "
        "a misspelt pattern would otherwise pass forever."))

    def importer_scope(self) -> list[str] | None:
        return self.source


class ForbiddenContract(Contract[ForbiddenOptions]):
    type = "forbidden"
    options = ForbiddenOptions

    def check(self, options: ForbiddenOptions, graph: ImportGraph, ctx: ContractContext) -> ContractResult:
        targets = patterns.select(options.forbidden, graph.modules)
        if not targets:
            if options.missing_ok:
                return ContractResult([], f"no module matches {', '.join(options.forbidden)}: "
                                      "nothing left to import (missing_ok)")
            require(graph, "forbidden", options.forbidden)
        sources = require(graph, "source", options.source) - targets
        mode = "directly or transitively" if options.transitive else "directly"
        violations = chains_into(graph, sources, targets, options.transitive, "forbidden")
        return ContractResult(violations, f"{len(sources)} source module(s) must not import "
                              f"{len(targets)} forbidden module(s) {mode}",
                              headline=importers_headline(violations, ", ".join(options.forbidden)))
