"""Contract `independence`: the listed modules must not import each other.

```yaml
contract:
  type: independence
  modules: [prep.models.domains.*]   # each match of * is one independent unit
```
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from prepctl.graph.contracts.base import (
    Contract,
    ContractContext,
    ContractOptions,
    ContractResult,
    ModulePatterns,
    Violation,
    chains_into,
    require_units,
)
from prepctl.graph.model import ImportGraph


class IndependenceOptions(ContractOptions):
    type: Literal["independence"]
    modules: ModulePatterns = Field(min_length=1, description=(
        "Module patterns; a pattern with a wildcard stands for every package it matches."))
    transitive: bool = Field(True, description="Also through other modules (true), or direct only.")

    def importer_scope(self) -> list[str] | None:
        return self.modules


class IndependenceContract(Contract[IndependenceOptions]):
    type = "independence"
    options = IndependenceOptions

    def check(self, options: IndependenceOptions, graph: ImportGraph, ctx: ContractContext) -> ContractResult:
        units = require_units(graph, "independence modules", options.modules,
                              hint="the packages do not exist (yet?) or the pattern is wrong")
        notes = []
        if len(units) == 1:
            notes.append(f"only one unit ({next(iter(units))}): nothing to be independent of")
        violations: list[Violation] = []
        for name, members in sorted(units.items()):
            for other, other_members in sorted(units.items()):
                if other != name:
                    violations.extend(chains_into(graph, members - other_members, other_members - members,
                                                  options.transitive, f"{name} must not depend on {other}"))
        return ContractResult(violations, f"{len(units)} independent unit(s): {', '.join(sorted(units))}",
                              notes)
