"""Gate kinds by name, on the one registry idiom (:class:`prepctl.registry.Registry`).

Built-ins register like plugins: a ``module:Class`` target per kind, imported lazily so a plan
only pays for the kinds it uses. Third-party kinds register through the ``prepctl.gates``
entry-point group (value: ``module:GateClass``).
"""

from __future__ import annotations

from typing import Any

from prepctl.gates.base import Gate
from prepctl.plan.model import CriterionSpec
from prepctl.registry import Registry

BUILTIN: dict[str, str] = {
    "paths": "prepctl.gates.paths:PathsGate",
    "flag": "prepctl.gates.flag:FlagGate",
    "openapi": "prepctl.gates.openapi:OpenAPIGate",
    "schema": "prepctl.gates.schema:SchemaGate",
    "issues": "prepctl.gates.issues:IssuesGate",
    "command": "prepctl.gates.command:CommandGate",
    "manual": "prepctl.gates.manual:ManualGate",
    "imports": "prepctl.gates.imports:ImportsGate",
    "slo": "prepctl.gates.slo:SloGate",
    "incidents": "prepctl.gates.incidents:IncidentsGate",
    "signoff": "prepctl.gates.signoff:SignoffGate",
    "shadow": "prepctl.gates.shadow:ShadowGate",
}

GATES: Registry[type[Gate]] = Registry("gate kind", "prepctl.gates", BUILTIN)


class GateKinds:
    """The gate registry as the plan loader and the schema see it
    (:class:`prepctl.plan.model.CriterionKinds`): kind names and their options models."""

    def names(self) -> list[str]:
        return GATES.names()

    def options_model(self, kind: str) -> type[CriterionSpec] | None:
        gate = GATES.get(kind)
        return gate.options if gate is not None else None

    def contract_options(self) -> Any:
        """Every registered contract type's options (plugins' too), discriminated by ``type``."""
        from prepctl.graph.contracts import contract_spec

        return contract_spec()


#: What callers hand to ``prepctl.plan.load.load_plan`` and ``prepctl.plan.schema.json_schema``.
KINDS = GateKinds()
