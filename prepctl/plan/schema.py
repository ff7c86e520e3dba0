"""The JSON Schema of phases.yaml (``prepctl schema``), criteria of every registered kind included."""

from __future__ import annotations

from typing import Any

from prepctl.plan.model import CriterionKinds, Plan, UntypedCriterion
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
    plan_schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    plan_schema["title"] = "prepctl phases.yaml"
    return plan_schema
