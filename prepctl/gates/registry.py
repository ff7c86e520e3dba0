"""Gate kinds by name. Built-ins register like plugins: a module path per kind, imported lazily
so a plan only pays for the kinds it uses. Third-party kinds register through the
``prepctl.gates`` entry-point group (value: ``module:GateClass``).
"""

from __future__ import annotations

import importlib
from functools import cache

from prepctl.gates.base import Gate
from prepctl.plan import CriterionSpec, _AnyCriterion

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

#: Kinds a plan may already declare but this build cannot evaluate yet: they yield `error`.
PLANNED: dict[str, str] = {
}


@cache
def _entry_points() -> dict[str, str]:
    from importlib.metadata import entry_points

    return {ep.name: ep.value for ep in entry_points(group="prepctl.gates")}


def _target(kind: str) -> str | None:
    return BUILTIN.get(kind) or _entry_points().get(kind)


def all_kinds() -> list[str]:
    return sorted({*BUILTIN, *PLANNED, *_entry_points()})


@cache
def gate_class(kind: str) -> type[Gate] | None:
    target = _target(kind)
    if target is None:
        return None
    module_name, _, attr = target.partition(":")
    return getattr(importlib.import_module(module_name), attr)


def options_model(kind: str) -> type[CriterionSpec] | None:
    gate = gate_class(kind)
    if gate is not None:
        return gate.options
    if kind in PLANNED:
        return _AnyCriterion
    return None
