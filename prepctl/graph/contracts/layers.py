"""Contract `layers`: a layer may import the layers below it, never those above.

```yaml
contract:
  type: layers
  containers: [prep]          # optional: layer names are relative to each container
  layers: [api, [bookings, kitchens, reviews], models]   # top to bottom; a list = one layer
```
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from prepctl import patterns
from prepctl.graph.contracts.base import (
    Contract,
    ContractContext,
    ContractOptions,
    ContractResult,
    Violation,
    chains_into,
    check_patterns,
    require,
)
from prepctl.graph.model import ImportGraph


class LayersOptions(ContractOptions):
    type: Literal["layers"]
    layers: list[str | list[str]] = Field(min_length=2, description=(
        "Layers from top to bottom; an entry that is a list holds sibling modules of one layer."))
    containers: list[str] = Field(default_factory=list, description=(
        "Packages the layers live in; each is checked on its own (layer names are relative)."))
    transitive: bool = Field(True, description="Also through other modules (true), or direct only.")
    missing_ok: bool = Field(False, description="Allow a layer to match no module.")

    def importer_scope(self) -> list[str] | None:
        names = [n for layer in self.layers for n in ([layer] if isinstance(layer, str) else layer)]
        return [f"{c}.{n}" if c else n for c in self.containers or [""] for n in names]

    @field_validator("containers")
    @classmethod
    def _containers(cls, value: list[str]) -> list[str]:
        check_patterns(value)
        return value

    @field_validator("layers")
    @classmethod
    def _layers(cls, value: list[str | list[str]]) -> list[str | list[str]]:
        for layer in value:
            check_patterns(layer)
        return value


class LayersContract(Contract[LayersOptions]):
    type = "layers"
    options = LayersOptions

    def check(self, options: LayersOptions, graph: ImportGraph, ctx: ContractContext) -> ContractResult:
        violations: list[Violation] = []
        notes: list[str] = []
        containers = options.containers or [""]
        total = 0
        for container in containers:
            layer_sets: list[tuple[str, set[str]]] = []
            for layer in options.layers:
                names = [layer] if isinstance(layer, str) else layer
                full = [f"{container}.{n}" if container else n for n in names]
                found = patterns.select(full, graph.modules)
                if not found and not options.missing_ok:
                    found = require(graph, "layer", full)
                if not found:
                    notes.append(f"layer {', '.join(full)} matches no module (missing_ok)")
                layer_sets.append((", ".join(full), found))
            total += sum(len(s) for _, s in layer_sets)
            for low_index, (low_name, low) in enumerate(layer_sets):
                # Chains through another layer above are that layer's violation, not this one's.
                above = set().union(*(s for _, s in layer_sets[:low_index]))
                for high_name, high in layer_sets[:low_index]:
                    if high and low:
                        violations.extend(chains_into(graph, low - high, high, options.transitive,
                                                      f"layer {low_name} is below {high_name}",
                                                      avoid=above - high))
        mode = "" if options.transitive else " (direct imports only)"
        return ContractResult(violations, f"{len(options.layers)} layers in {len(containers)} "
                              f"container(s), {total} module(s): no upward imports{mode}", notes)
