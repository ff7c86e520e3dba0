"""The second pass over ``graph: contracts:``: each contract against its type's options model.

The contract types live in the graph engine, above the plan; the caller's
:class:`~prepctl.plan.model.CriterionKinds` hands over their union (the same one an ``imports``
criterion's ``contract:`` is validated against), so the plan imports none of them.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError, create_model

from prepctl.errors import Problem
from prepctl.plan.errormap import validation_problems
from prepctl.plan.model import CriterionKinds, Plan


def validate_graph_contracts(plan: Plan, file: str, positions: dict[tuple[Any, ...], tuple[int, int]],
                             kinds: CriterionKinds) -> list[Problem]:
    """Problems of ``graph: contracts:`` (duplicate ids, options of the wrong shape); binds each
    valid contract's typed options (:meth:`GraphContract.bind`)."""
    contracts = plan.graph.contracts
    if not contracts:
        return []
    problems: list[Problem] = []
    # A wrapper with one field, so an error's location reads graph.contracts[i].contract.KEY.
    wrapper: type[BaseModel] = create_model("GraphContractOptions", contract=(kinds.contract_options(), ...))
    seen: set[str] = set()
    for index, named in enumerate(contracts):
        base = ("graph", "contracts", index)
        if named.id in seen:
            line, column = positions.get((*base, "id"), (None, None))
            problems.append(Problem(file=file, line=line, column=column,
                                    message=f"duplicate contract id '{named.id}' in graph.contracts",
                                    hint="contract ids must be unique: the baseline file is keyed by them"))
        seen.add(named.id)
        data = {"contract": named.contract}
        try:
            named.bind(wrapper.model_validate(data).contract)  # type: ignore[attr-defined]
        except ValidationError as exc:
            problems.extend(validation_problems(exc, file, positions, wrapper, base, data=data))
    return problems
