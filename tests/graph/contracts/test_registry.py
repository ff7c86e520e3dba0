"""Every registered contract type is written the same way in the registry, the class and its
options, and the example in its module docstring is a valid contract."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter

from prepctl.graph.contracts import CONTRACTS, contract_spec
from tests.support.examples import docstring_example, literal_of


@pytest.mark.parametrize("name", CONTRACTS.names())
def test_type_is_the_same_in_registry_contract_and_options(name: str):
    contract = CONTRACTS.load(name)
    assert contract.type == name
    assert literal_of(contract.options, "type") == (name,)


@pytest.mark.parametrize("name", CONTRACTS.names())
def test_docstring_example_is_a_valid_contract(name: str):
    example = docstring_example(CONTRACTS.load(name))
    # A `contract:` mapping, as it appears in an imports criterion.
    assert isinstance(example, dict) and list(example) == ["contract"]
    options = TypeAdapter(contract_spec()).validate_python(example["contract"])
    assert type(options) is CONTRACTS.load(name).options and options.type == name


def test_the_union_and_the_imports_description_list_every_type():
    from prepctl.gates.imports import ImportsSpec

    mapping = TypeAdapter(contract_spec()).json_schema()["discriminator"]["mapping"]
    assert sorted(mapping) == CONTRACTS.names()
    assert CONTRACTS.choices() in (ImportsSpec.model_fields["contract"].description or "")
