"""Contract `decommission`: the listed modules must have no importers, or be gone.

```yaml
contract:
  type: decommission
  modules: [prep.analytics, prep.utils.optional]
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
    Violation,
)
from prepctl.graph.model import ImportGraph


class DecommissionOptions(ContractOptions):
    type: Literal["decommission"]
    modules: ModulePatterns = Field(min_length=1, description="Modules that must be unused or deleted.")


class DecommissionContract(Contract[DecommissionOptions]):
    type = "decommission"
    options = DecommissionOptions

    def check(self, options: DecommissionOptions, graph: ImportGraph, ctx: ContractContext) -> ContractResult:
        violations: list[Violation] = []
        notes: list[str] = []
        gone = 0
        for pattern in options.modules:
            members = patterns.select([pattern], graph.modules)
            if not members:
                gone += 1
                notes.append(f"{pattern}: gone (no module matches among {len(graph):,} scanned)")
                continue
            for importer, imported in sorted(graph.statements):
                if imported in members and importer not in members:
                    violations.append(Violation(
                        f"{importer} -> {imported}",
                        f"{importer} still imports {imported}, which is to be decommissioned",
                        (graph.hop(importer, imported),)))
            notes.append(f"{pattern}: {len(members)} module(s) still present")
        return ContractResult(violations, f"{len(options.modules)} decommissioned pattern(s), "
                              f"{gone} gone", notes)
