"""Contract types, registered by name like gate kinds (one module each).

Built-ins and plugins register alike (:class:`prepctl.registry.Registry`): a type name maps to a
``module:ContractClass`` target, and third-party types join through the ``prepctl.contracts``
entry-point group. A contract's options are validated when phases.yaml is loaded (they are part
of the `imports` gate's options, through :func:`contract_spec`), so a typo in a contract is a
config error with file:line, not a runtime one.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Annotated, Any, Union

from pydantic import Field

from prepctl.graph.contracts.base import (
    Contract,
    ContractContext,
    ContractOptions,
    ContractResult,
    Violation,
)
from prepctl.registry import Registry

if TYPE_CHECKING:
    from prepctl.graph.model import ImportGraph

BUILTIN: dict[str, str] = {
    "forbidden": "prepctl.graph.contracts.forbidden:ForbiddenContract",
    "layers": "prepctl.graph.contracts.layers:LayersContract",
    "independence": "prepctl.graph.contracts.independence:IndependenceContract",
    "facade": "prepctl.graph.contracts.facade:FacadeContract",
    "acyclic": "prepctl.graph.contracts.acyclic:AcyclicContract",
    "decommission": "prepctl.graph.contracts.decommission:DecommissionContract",
    "audit": "prepctl.graph.contracts.audit:AuditContract",
    "importlinter": "prepctl.graph.contracts.importlinter:ImportLinterContract",
}

CONTRACTS: Registry[type[Contract]] = Registry("contract type", "prepctl.contracts", BUILTIN)


@cache
def contract_spec() -> Any:
    """The options of every registered contract type, one union discriminated by ``type``.

    Imports every contract type (a plugin's too): the union is what validates a contract in
    phases.yaml and what the JSON schema lists.
    """
    options = tuple(contract.options for _, contract in CONTRACTS.items())
    return Annotated[Union[options], Field(discriminator="type")]  # noqa: UP007 - built at run time


def run_contract(options: ContractOptions, graph: ImportGraph, ctx: ContractContext | None = None) -> ContractResult:
    return CONTRACTS.load(options.type)().run(options, graph, ctx)


__all__ = ["CONTRACTS", "Contract", "ContractContext", "ContractOptions", "ContractResult",
           "Violation", "contract_spec", "run_contract"]
