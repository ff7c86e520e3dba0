"""The plugin API: every name a third-party gate kind, output format or contract type needs.

A plugin imports from here only; these names keep their meaning across minor versions, while
the modules they live in may move. A gate kind is one module and one entry point:

```python
# ticket_gate.py
from typing import Literal

from prepctl.plugin import CriterionSpec, Evidence, Gate, GateContext, GateError, Phase, Status, Verdict


class TicketSpec(CriterionSpec):
    kind: Literal["ticket"]  # the same name as the entry point and Gate.kind
    file: str


class TicketGate(Gate[TicketSpec]):
    kind = "ticket"
    options = TicketSpec
    does_io = False  # reads the tree only: runs on the main thread

    def check(self, spec: TicketSpec, phase: Phase, ctx: GateContext) -> Verdict:
        if not ctx.tree.is_file(spec.file):
            raise GateError(f"{spec.file} not found")  # becomes an `error` verdict, never a pass
        done = "DONE" in ctx.tree.read_text(spec.file)
        return Verdict.of(Status.PASS if done else Status.FAIL, f"{spec.file}: {'done' if done else 'open'}",
                          [Evidence("ticket", path=spec.file, expected="DONE")])
```

```toml
# pyproject.toml of the plugin's distribution
[project.entry-points."prepctl.gates"]
ticket = "ticket_gate:TicketGate"
```

Once installed, ``prepctl validate`` checks ``kind: ticket`` criteria against ``TicketSpec``
(with ``file:line:col`` errors), ``prepctl schema`` lists the kind, and ``prepctl gate`` runs it.
Evidence that carries a :class:`Metric` (``Evidence(..., metric=Metric("queue depth", 42,
threshold=100))``) is charted on the dashboard and tabulated in post-mortems, like an SLO.
Output formats join the ``prepctl.formats`` group (a :class:`Format` subclass) and contract
types the ``prepctl.contracts`` group (a :class:`Contract` with its :class:`ContractOptions`).
A plugin cannot replace a built-in name: the built-in wins (``Registry.clashes`` reports it).
"""

from __future__ import annotations

from prepctl.errors import GateError, Problem
from prepctl.formats.interface import Format
from prepctl.gates.base import Gate
from prepctl.graph.contracts.base import Contract, ContractContext, ContractOptions, ContractResult, Violation
from prepctl.plan.model import CriterionSpec, LoadedPlan, Phase
from prepctl.registry import Registry
from prepctl.sources.context import GateContext
from prepctl.sources.tree import Tree
from prepctl.verdicts import Evidence, GateReport, Metric, Status, Verdict

__all__ = [
    "Contract",
    "ContractContext",
    "ContractOptions",
    "ContractResult",
    "CriterionSpec",
    "Evidence",
    "Format",
    "Gate",
    "GateContext",
    "GateError",
    "GateReport",
    "LoadedPlan",
    "Metric",
    "Phase",
    "Problem",
    "Registry",
    "Status",
    "Tree",
    "Verdict",
    "Violation",
]
