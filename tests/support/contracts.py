"""Import contracts built from keyword options, validated as a plan's `contracts:` entry is."""

from __future__ import annotations

from pydantic import TypeAdapter

from prepctl.graph.contracts import contract_spec

SPEC = TypeAdapter(contract_spec())


def contract(**options):
    return SPEC.validate_python(options)
