"""Gate kind `imports`: an import-graph contract over the monolith's code.

```yaml
- id: repositories-not-orm
  kind: imports
  title: prep.bookings and prep.kitchens use repositories, not the ORM
  contract:
    type: forbidden
    source: [prep.bookings, prep.kitchens]
    forbidden: [prep.models.orm]
```

The contract types are those registered in ``prepctl.graph.contracts`` (built-ins and
plugins; ``prepctl schema`` lists them). Violations recorded in the plan's baseline file (graph:
baseline:) only warn; new ones fail. A scan that finds no module, or a pattern that matches
none, is an error: a contract about nothing passes nothing.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from prepctl.errors import GateError, PrepctlError
from prepctl.gates.base import Gate
from prepctl.graph.contracts import CONTRACTS, contract_spec
from prepctl.plan.model import CriterionSpec, Phase
from prepctl.sources.context import GateContext
from prepctl.verdicts import Verdict

#: Every registered contract type's options, discriminated by `type` (plugins' included).
ContractSpec = contract_spec()


class ImportsSpec(CriterionSpec):
    kind: Literal["imports"]
    contract: ContractSpec = Field(description=f"The rule, by `type`: {CONTRACTS.choices()}.")  # type: ignore[valid-type]
    baseline: bool = Field(True, description=(
        "Violations listed in the graph baseline file only warn (false: every violation fails)."))

    def graph_contract(self) -> ContractSpec:  # type: ignore[valid-type]
        return self.contract


class ImportsGate(Gate[ImportsSpec]):
    kind = "imports"
    options = ImportsSpec
    # The scan forks worker processes on a cold cache; that is only safe from the main thread,
    # which is where non-I/O gates run.
    does_io = False

    def check(self, spec: ImportsSpec, phase: Phase, ctx: GateContext) -> Verdict:
        from prepctl.graph.baseline import Baseline
        from prepctl.graph.check import evaluate_contract
        from prepctl.graph.contracts import ContractContext
        from prepctl.graph.load import build_graph, settings_from_plan

        settings = ctx.shared("graph-settings", lambda: settings_from_plan(ctx.plan))
        try:
            graph = ctx.shared("import-graph", lambda: build_graph(settings, ctx.tree))
            baseline = None
            if spec.baseline and settings.baseline_path is not None:
                path = settings.baseline_path
                baseline = ctx.shared("imports-baseline", lambda: Baseline.load(path))
            outcome = evaluate_contract(f"{phase.id}/{spec.id}", spec.contract, graph,
                                        ContractContext(tree=ctx.tree, groups=settings.groups), baseline)
        except PrepctlError as exc:
            raise GateError("; ".join(str(p) for p in exc.problems)) from None
        return outcome.verdict()
