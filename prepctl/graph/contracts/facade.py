"""Contract `facade`: only the facade may import the hidden modules.

```yaml
contract:
  type: facade
  modules: [prep.compliance.*_compliance_engine]   # each match is one hidden package
  facade: [services.compliance_core]
```

Modules inside one hidden package may import each other; one hidden package importing another
is a violation like any other importer outside the facade.
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
    require_units,
)
from prepctl.graph.model import ImportGraph


class FacadeOptions(ContractOptions):
    type: Literal["facade"]
    modules: ModulePatterns = Field(min_length=1, description="The hidden modules (patterns).")
    facade: ModulePatterns = Field(min_length=1, description="The only modules allowed to import them.")
    transitive: bool = Field(False, description=(
        "Also report modules that reach a hidden module through others, bypassing the facade."))


class FacadeContract(Contract[FacadeOptions]):
    type = "facade"
    options = FacadeOptions

    def check(self, options: FacadeOptions, graph: ImportGraph, ctx: ContractContext) -> ContractResult:
        units = require_units(graph, "facade modules", options.modules, hint="check the pattern")
        unit_of = {m: root for root, members in units.items() for m in members}
        facade = patterns.select(options.facade, graph.modules)
        notes = [] if facade else [f"the facade ({', '.join(options.facade)}) does not exist yet: "
                                   "every importer of a hidden module is a violation"]
        violations: list[Violation] = []
        for importer, imported in sorted(graph.statements):
            unit = unit_of.get(imported)
            if unit is None or importer in facade or unit_of.get(importer) == unit:
                continue
            violations.append(Violation(
                f"{importer} -> {imported}", f"{importer} imports {imported}, bypassing the facade",
                (graph.hop(importer, imported),)))
        if options.transitive:
            hidden = set(unit_of)
            direct_importers = {v.hops[0].importer for v in violations}
            chains = graph.shortest_chains_to(hidden, avoid=facade)
            for module in sorted(chains):
                if module in facade or module in hidden or module in direct_importers:
                    continue
                chain = chains[module]
                violations.append(Violation(
                    f"{module} -> {chain[-1]}",
                    f"{module} reaches {chain[-1]} through {len(chain) - 2} module(s), bypassing the facade",
                    tuple(graph.hops(chain))))
        return ContractResult(violations, f"{len(units)} hidden package(s) behind "
                              f"{len(facade)} facade module(s)", notes)
