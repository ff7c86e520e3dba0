"""Contract types, registered by name like gate kinds (one module each).

A contract's options are validated when phases.yaml is loaded (they are part of the `imports`
gate's options), so a typo in a contract is a config error with file:line, not a runtime one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from prepctl.graph.contracts.acyclic import AcyclicContract, AcyclicOptions
from prepctl.graph.contracts.audit import AuditContract, AuditOptions
from prepctl.graph.contracts.base import (
    Contract,
    ContractContext,
    ContractOptions,
    ContractResult,
    Violation,
)
from prepctl.graph.contracts.decommission import DecommissionContract, DecommissionOptions
from prepctl.graph.contracts.facade import FacadeContract, FacadeOptions
from prepctl.graph.contracts.forbidden import ForbiddenContract, ForbiddenOptions
from prepctl.graph.contracts.independence import IndependenceContract, IndependenceOptions
from prepctl.graph.contracts.layers import LayersContract, LayersOptions

if TYPE_CHECKING:
    from prepctl.graph.model import ImportGraph

CONTRACTS: dict[str, type[Contract]] = {
    c.type: c for c in (ForbiddenContract, LayersContract, IndependenceContract, FacadeContract,
                        AcyclicContract, DecommissionContract, AuditContract)
}

ContractSpec = Annotated[
    ForbiddenOptions | LayersOptions | IndependenceOptions | FacadeOptions | AcyclicOptions
    | DecommissionOptions | AuditOptions,
    Field(discriminator="type"),
]


def run_contract(options: ContractOptions, graph: ImportGraph, ctx: ContractContext | None = None) -> ContractResult:
    return CONTRACTS[options.type]().run(options, graph, ctx)


__all__ = ["CONTRACTS", "Contract", "ContractContext", "ContractOptions", "ContractResult", "ContractSpec",
           "Violation", "run_contract"]
