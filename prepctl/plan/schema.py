"""The JSON Schema of phases.yaml (``prepctl schema``), criteria of every registered kind included."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from prepctl.plan.model import CriterionKinds, GraphContract, Plan, UntypedCriterion
from prepctl.plan.pyproject import POINTER
from prepctl.registry import one_of


def json_schema(kinds: CriterionKinds) -> dict[str, Any]:
    """A JSON Schema for phases.yaml, criteria included, for yaml-language-server.

    Each kind in ``kinds`` adds its options model; the criterion's ``kind`` enum lists them all,
    so a plugin kind is in the schema as soon as it is installed.
    """
    plan_schema = Plan.model_json_schema()
    defs = plan_schema.setdefault("$defs", {})
    variants = []
    for kind in kinds.names():
        model = kinds.options_model(kind)
        assert model is not None
        sub = model.model_json_schema(ref_template="#/$defs/{model}")
        for name, definition in sub.pop("$defs", {}).items():
            defs.setdefault(name, definition)
        sub["properties"]["kind"] = {"const": kind, "title": "Kind"}
        sub["title"] = f"{kind} criterion"
        name = f"Criterion_{kind}"
        defs[name] = sub
        variants.append({"if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]},
                         "then": {"$ref": f"#/$defs/{name}"}})
    criterion_def = defs.get(UntypedCriterion.__name__, {})
    criterion_def.clear()
    criterion_def.update({
        "title": "Criterion",
        "type": "object",
        "required": ["id", "kind", "title"],
        "properties": {"kind": {"enum": kinds.names(), "description": "The gate kind: " + one_of(kinds.names())}},
        "allOf": variants,
    })
    _contract_types(defs, kinds)
    plan_schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    plan_schema["title"] = "prepctl phases.yaml"
    return plan_schema


def _contract_types(defs: dict[str, Any], kinds: CriterionKinds) -> None:
    """``graph: contracts: [{contract: ...}]`` lists every contract type's options, as an
    ``imports`` criterion's ``contract:`` does (the same union, the same definitions)."""
    union = TypeAdapter(kinds.contract_options()).json_schema(ref_template="#/$defs/{model}")
    for name, definition in union.pop("$defs", {}).items():
        defs.setdefault(name, definition)
    named = defs.get(GraphContract.__name__)
    if named is not None:
        description = named["properties"]["contract"].get("description")
        named["properties"]["contract"] = {**union, "description": description}


def pyproject_schema(kinds: CriterionKinds) -> dict[str, Any]:
    """A JSON Schema for pyproject.toml's ``[tool.prepctl]`` table: either ``config`` (the path
    of a phases.yaml, relative to pyproject.toml) alone, or the plan inline."""
    plan = json_schema(kinds)
    defs = plan.pop("$defs")
    plan.pop("$schema")
    defs["InlinePlan"] = plan
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "prepctl [tool.prepctl]",
        "$defs": defs,
        "oneOf": [
            {"title": "Pointer", "type": "object", "additionalProperties": False, "required": [POINTER],
             "properties": {POINTER: {"type": "string", "minLength": 1, "description":
                                      "The phases.yaml to use, relative to pyproject.toml."}}},
            {"$ref": "#/$defs/InlinePlan"},
        ],
    }
